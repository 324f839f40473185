#include "consensus/ledger/dkg.h"

#include <algorithm>
#include <map>
#include <utility>

#include "base/assert.h"
#include "base/hash.h"
#include "consensus/ledger/ledger.h"
#include "consensus/ledger/records.h"
#include "consensus/ledger/registry.h"
#include "consensus/types/codec.h"
#include "zk/dkg.h"

namespace hito::consensus::ledger::dkg {
namespace {

namespace zdkg = zk::dkg;
using types::Reader;
using types::Writer;

constexpr std::string_view kSessionLabel = "hito/v1/dkg-session";
constexpr std::string_view kParamsKey = "k/params";
constexpr std::string_view kKeysKey = "k/keys";
constexpr std::string_view kSessionKey = "k/session";
constexpr std::string_view kIndexKey = "k/index";
constexpr std::string_view kLastKey = "k/last";
constexpr std::string_view kDecidedKey = "k/decided";
constexpr size_t kIndexEntrySize = 5;

// k/d/<dealer>, k/c/<dealer><complainer>, k/j/<dealer><complainer>.
Bytes MessageKey(zdkg::MessageType type, uint16_t dealer, uint16_t complainer) {
  const char* prefix = type == zdkg::MessageType::kComplaint       ? "k/c/"
                       : type == zdkg::MessageType::kJustification ? "k/j/"
                                                                   : "k/d/";
  Bytes key = KeyBytes(prefix);
  Writer w;
  w.U16(dealer);
  if (type == zdkg::MessageType::kComplaint || type == zdkg::MessageType::kJustification) {
    w.U16(complainer);
  }
  Bytes tail = std::move(w).bytes();
  key.insert(key.end(), tail.begin(), tail.end());
  return key;
}

void WriteKeys(Writer* w, const std::vector<Ed25519PublicKey>& keys) {
  w->U32(static_cast<uint32_t>(keys.size()));
  for (const Ed25519PublicKey& k : keys) w->Fixed(k);
}

Status ReadKeys(Reader* r, std::string_view what, std::vector<Ed25519PublicKey>* keys) {
  uint32_t n = 0;
  HITO_RETURN_IF_ERROR(r->Count(what, zdkg::kMaxParticipants, 32, &n));
  keys->resize(n);
  for (Ed25519PublicKey& k : *keys) HITO_RETURN_IF_ERROR(r->Fixed(what, &k));
  return Status::Ok();
}

Bytes EncodeSession(const DkgSession& s) {
  return types::EncodeWith([&](Writer* w) {
    w->U8(static_cast<uint8_t>(s.kind));
    w->Fixed(s.id);
    w->U16(s.threshold);
    w->U64(s.start_height);
    w->U64(s.dealing_until);
    w->U64(s.complaints_until);
    w->U64(s.justifications_until);
    WriteKeys(w, s.dealers);
    WriteKeys(w, s.recipients);
  });
}

Status ReadSessionBody(Reader* r, DkgSession* s) {
  uint8_t kind = 0;
  HITO_RETURN_IF_ERROR(r->U8("k/session.kind", &kind));
  if (kind != 1 && kind != 2) return InvalidArgumentError("k/session.kind: unknown");
  s->kind = static_cast<DkgKind>(kind);
  HITO_RETURN_IF_ERROR(r->Fixed("k/session.id", &s->id));
  HITO_RETURN_IF_ERROR(r->U16("k/session.threshold", &s->threshold));
  HITO_RETURN_IF_ERROR(r->U64("k/session.start", &s->start_height));
  HITO_RETURN_IF_ERROR(r->U64("k/session.h1", &s->dealing_until));
  HITO_RETURN_IF_ERROR(r->U64("k/session.h2", &s->complaints_until));
  HITO_RETURN_IF_ERROR(r->U64("k/session.h3", &s->justifications_until));
  HITO_RETURN_IF_ERROR(ReadKeys(r, "k/session.dealers", &s->dealers));
  return ReadKeys(r, "k/session.recipients", &s->recipients);
}

Bytes EncodeKeySet(const DedupKeySet& k) {
  return types::EncodeWith([&](Writer* w) {
    w->Fixed(k.group_key);
    w->U16(k.threshold);
    w->U32(k.quota_per_epoch);
    w->U32(static_cast<uint32_t>(k.shares.size()));
    for (const DedupValidatorShare& s : k.shares) {
      w->Fixed(s.validator);
      w->U16(s.index);
      w->Fixed(s.public_share);
    }
  });
}

Status ReadKeySetBody(Reader* r, DedupKeySet* k) {
  HITO_RETURN_IF_ERROR(r->Fixed("k/keys.group_key", &k->group_key));
  HITO_RETURN_IF_ERROR(r->U16("k/keys.threshold", &k->threshold));
  HITO_RETURN_IF_ERROR(r->U32("k/keys.quota", &k->quota_per_epoch));
  uint32_t n = 0;
  HITO_RETURN_IF_ERROR(r->Count("k/keys.shares", zdkg::kMaxParticipants, 66, &n));
  k->shares.resize(n);
  for (DedupValidatorShare& s : k->shares) {
    HITO_RETURN_IF_ERROR(r->Fixed("k/keys.validator", &s.validator));
    HITO_RETURN_IF_ERROR(r->U16("k/keys.index", &s.index));
    HITO_RETURN_IF_ERROR(r->Fixed("k/keys.public_share", &s.public_share));
  }
  return Status::Ok();
}

Bytes EncodeResult(const DkgResult& res) {
  return types::EncodeWith([&](Writer* w) {
    w->Fixed(res.session);
    w->U64(res.height);
    w->Bool(res.formed);
    w->String(res.reason);
  });
}

Status ReadResultBody(Reader* r, DkgResult* res) {
  HITO_RETURN_IF_ERROR(r->Fixed("k/last.session", &res->session));
  HITO_RETURN_IF_ERROR(r->U64("k/last.height", &res->height));
  HITO_RETURN_IF_ERROR(r->Bool("k/last.formed", &res->formed));
  return r->String("k/last.reason", 1024, &res->reason);
}

// A record of this module, decoded strictly; a bad one is kDataLoss (state is trusted).
template <typename T, typename ReadFn>
Result<std::optional<T>> ReadRecord(const RegistryStore& store, std::string_view key,
                                    ReadFn&& read) {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store.Get(KeyBytes(key)));
  if (!raw) return std::optional<T>();
  auto decoded = types::DecodeWhole<T>(*raw, key, read);
  if (!decoded.ok()) return DataLossError(decoded.status().message());
  return std::optional<T>(std::move(*decoded));
}

Result<DkgSession> MakeSession(std::string_view chain_id, DkgKind kind, uint64_t height,
                               uint64_t phase_blocks, std::vector<Ed25519PublicKey> dealers,
                               std::vector<Ed25519PublicKey> recipients, uint16_t threshold) {
  DkgSession s;
  s.id = SessionId(chain_id, kind, height);
  s.kind = kind;
  s.threshold = threshold;
  s.start_height = height;
  s.dealing_until = height + phase_blocks;  // phase_blocks <= kDkgPhaseBlocksMax
  s.complaints_until = s.dealing_until + phase_blocks;
  s.justifications_until = s.complaints_until + phase_blocks;
  s.dealers = std::move(dealers);
  s.recipients = std::move(recipients);
  HITO_RETURN_IF_ERROR(zdkg::ValidateCommittee({s.recipients, s.threshold}));
  if (s.dealers.empty() || s.dealers.size() > zdkg::kMaxParticipants) {
    return InvalidArgumentError("dkg: 1 to 256 dealers");
  }
  return s;
}

// Deletes the stored messages and their index, the open session's record and the
// decided one's.
Status DropSession(RegistryStore* store) {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> index, store->Get(KeyBytes(kIndexKey)));
  if (index) {
    if (index->size() % kIndexEntrySize != 0) return DataLossError("k/index: truncated entry");
    for (size_t at = 0; at < index->size(); at += kIndexEntrySize) {
      const uint8_t* e = index->data() + at;
      const auto dealer = static_cast<uint16_t>((e[1] << 8) | e[2]);
      const auto complainer = static_cast<uint16_t>((e[3] << 8) | e[4]);
      store->Delete(MessageKey(static_cast<zdkg::MessageType>(e[0]), dealer, complainer));
    }
    store->Delete(KeyBytes(kIndexKey));
  }
  store->Delete(KeyBytes(kSessionKey));
  store->Delete(KeyBytes(kDecidedKey));
  return Status::Ok();
}

Bytes EncodeDecided(const DkgSession& s, const std::optional<DedupKeySet>& old_keys) {
  Bytes out = EncodeSession(s);
  const Bytes tail = types::EncodeWith([&](Writer* w) {
    w->Bool(old_keys.has_value());
    if (old_keys) {
      const Bytes k = EncodeKeySet(*old_keys);
      w->Raw(k);
    }
  });
  out.insert(out.end(), tail.begin(), tail.end());
  return out;
}

Status ReadDecidedBody(Reader* r, DecidedSession* d) {
  HITO_RETURN_IF_ERROR(ReadSessionBody(r, &d->session));
  bool has_old = false;
  HITO_RETURN_IF_ERROR(r->Bool("k/decided.has_old_keys", &has_old));
  if (!has_old) return Status::Ok();
  d->old_keys.emplace();
  return ReadKeySetBody(r, &*d->old_keys);
}

std::vector<Ed25519PublicKey> SetKeys(const types::ValidatorSet& set) {
  std::vector<Ed25519PublicKey> keys;
  keys.reserve(set.size());
  for (const types::Validator& v : set.validators()) keys.push_back(v.public_key);
  return keys;
}

bool SameMembers(std::vector<Ed25519PublicKey> a, std::vector<Ed25519PublicKey> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

// The holders of `keys` in share-index order, or nullopt unless the indices are exactly
// 1..n (a committee of zk::dkg needs them so).

std::optional<std::vector<Ed25519PublicKey>> HoldersByIndex(const DedupKeySet& keys) {
  std::map<uint16_t, Ed25519PublicKey> by_index;
  for (const DedupValidatorShare& s : keys.shares) by_index.emplace(s.index, s.validator);
  if (by_index.size() != keys.shares.size()) return std::nullopt;
  std::vector<Ed25519PublicKey> holders;
  for (const auto& [index, key] : by_index) {
    if (index != holders.size() + 1) return std::nullopt;
    holders.push_back(key);
  }
  return holders;
}

}  // namespace

Hash32 SessionId(std::string_view chain_id, DkgKind kind, uint64_t start_height) {
  return DomainHash(kSessionLabel, types::EncodeWith([&](Writer* w) {
                      w->String(chain_id);
                      w->U8(static_cast<uint8_t>(kind));
                      w->U64(start_height);
                    }));
}

Result<std::optional<uint64_t>> ReadPhaseBlocks(const RegistryStore& store) {
  return ReadRecord<uint64_t>(store, kParamsKey,
                              [](Reader* r, uint64_t* p) { return r->U64("k/params", p); });
}

Result<std::optional<DedupKeySet>> ReadKeySet(const RegistryStore& store) {
  return ReadRecord<DedupKeySet>(store, kKeysKey, ReadKeySetBody);
}

Result<std::optional<DkgSession>> ReadSession(const RegistryStore& store) {
  return ReadRecord<DkgSession>(store, kSessionKey, ReadSessionBody);
}

Result<std::optional<DkgResult>> ReadLastResult(const RegistryStore& store) {
  return ReadRecord<DkgResult>(store, kLastKey, ReadResultBody);
}

Result<std::optional<DecidedSession>> ReadDecided(const RegistryStore& store) {
  return ReadRecord<DecidedSession>(store, kDecidedKey, ReadDecidedBody);
}

Status InitGenesis(RegistryStore* store, std::string_view chain_id,
                   const types::ValidatorSet& validators, const std::optional<DedupKeySet>& keys,
                   const std::optional<DkgGenesis>& start) {
  if (!keys && !start) return Status::Ok();
  if (keys && start) {
    return InvalidArgumentError("genesis: a dedup key set and a genesis DKG are exclusive");
  }
  const uint64_t phase = start ? start->phase_blocks : kDefaultDkgPhaseBlocks;
  if (phase == 0 || phase > kDkgPhaseBlocksMax) {
    return InvalidArgumentError("genesis: dkg phase_blocks must be 1.." +
                                std::to_string(kDkgPhaseBlocksMax));
  }
  store->Put(KeyBytes(kParamsKey), types::EncodeWith([&](Writer* w) { w->U64(phase); }));
  if (keys) {
    store->Put(KeyBytes(kKeysKey), EncodeKeySet(*keys));
    return Status::Ok();
  }
  std::vector<Ed25519PublicKey> members = SetKeys(validators);
  if (members.empty()) return InvalidArgumentError("genesis: a DKG needs validators");
  const uint16_t t =
      start->threshold != 0 ? start->threshold : zdkg::DefaultThreshold(members.size());
  auto session = MakeSession(chain_id, DkgKind::kDkg, 0, phase, members, members, t);
  if (!session.ok()) return InvalidArgumentError("genesis: " + session.status().message());
  store->Put(KeyBytes(kSessionKey), EncodeSession(*session));
  return Status::Ok();
}

namespace {

// A DKG that failed (fewer than t dealers qualified) leaves no key set: the next block opens
// another among the ruling set, as a failed resharing is retried, so a chain whose genesis
// DKG failed (validators not running yet, say) still gets a key without a new genesis. The
// failed run's threshold is kept while the members are the same.
Status RetryFailedDkg(RegistryStore* store, std::string_view chain_id, uint64_t height,
                      const types::ValidatorSet& ruling, uint64_t phase) {
  HITO_ASSIGN_OR_RETURN(std::optional<DkgSession> open, ReadSession(*store));
  if (open) return Status::Ok();
  HITO_ASSIGN_OR_RETURN(std::optional<DkgResult> last, ReadLastResult(*store));
  if (!last || last->formed) return Status::Ok();
  std::vector<Ed25519PublicKey> members = SetKeys(ruling);
  if (members.empty()) return Status::Ok();
  HITO_ASSIGN_OR_RETURN(std::optional<DecidedSession> failed, ReadDecided(*store));
  const uint16_t t = failed && failed->session.kind == DkgKind::kDkg &&
                             SameMembers(failed->session.recipients, members)
                         ? failed->session.threshold
                         : zdkg::DefaultThreshold(members.size());
  HITO_RETURN_IF_ERROR(DropSession(store));
  HITO_ASSIGN_OR_RETURN(DkgSession s,
                        MakeSession(chain_id, DkgKind::kDkg, height, phase, members, members, t));
  store->Put(KeyBytes(kSessionKey), EncodeSession(s));
  return Status::Ok();
}

}  // namespace

Status BeginBlock(RegistryStore* store, std::string_view chain_id, uint64_t height,
                  const types::ValidatorSet& ruling) {
  HITO_ASSIGN_OR_RETURN(std::optional<uint64_t> phase, ReadPhaseBlocks(*store));
  if (!phase) return Status::Ok();
  HITO_ASSIGN_OR_RETURN(std::optional<DedupKeySet> keys, ReadKeySet(*store));
  if (!keys) return RetryFailedDkg(store, chain_id, height, ruling, *phase);
  std::vector<Ed25519PublicKey> members = SetKeys(ruling);
  std::optional<std::vector<Ed25519PublicKey>> holders = HoldersByIndex(*keys);
  // A dealt genesis key set may use any distinct indices; zk::dkg numbers dealers 1..n,
  // so such a set is never reshared (docs/protocol/dedup-dkg.md).
  if (!holders) return Status::Ok();
  // Membership, not order: a set is sorted by key, but a dealt key set may number its
  // holders in another order (each holder's index is in k/keys); resharing to the same
  // members would only cost 3 * phase blocks.
  if (SameMembers(*holders, members) || members.empty()) return Status::Ok();
  HITO_ASSIGN_OR_RETURN(std::optional<DkgSession> open, ReadSession(*store));
  if (open && open->kind == DkgKind::kReshare && SameMembers(open->recipients, members)) {
    return Status::Ok();
  }
  if (!open) {
    // The holders of a key set that just formed combine their shares from k/decided and
    // the kept messages, which opening a session deletes: a grace of one phase after the
    // decision lets every holder, one briefly down or syncing too, combine first.
    HITO_ASSIGN_OR_RETURN(std::optional<DkgResult> last, ReadLastResult(*store));
    if (last && last->formed && height <= last->height + *phase) return Status::Ok();
  }
  HITO_RETURN_IF_ERROR(DropSession(store));
  const uint16_t t = zdkg::DefaultThreshold(members.size());
  HITO_ASSIGN_OR_RETURN(DkgSession s, MakeSession(chain_id, DkgKind::kReshare, height, *phase,
                                                  std::move(*holders), std::move(members), t));
  store->Put(KeyBytes(kSessionKey), EncodeSession(s));
  return Status::Ok();
}

namespace {

// The slot a message fills: (type, dealer, complainer); complainer 0 for a dealing.
struct Slot {
  zdkg::MessageType type{};
  uint16_t dealer = 0;
  uint16_t complainer = 0;
};

bool IsMember(const std::vector<Ed25519PublicKey>& members, uint16_t index,
              const Ed25519PublicKey& sender) {
  return index >= 1 && index <= members.size() && members[index - 1] == sender;
}

// Refused unless from < height <= until.
TxResult CheckPhase(std::string_view what, uint64_t height, uint64_t from, uint64_t until) {
  if (height > from && height <= until) return TxResult{};
  return Refused(TxCode::kDkgOutOfPhase,
                 std::string(what) + " accepted in blocks " + std::to_string(from + 1) + ".." +
                     std::to_string(until) + ", this is block " + std::to_string(height));
}

// The rules of a message's role: its phase, its sender's membership, and for a complaint
// or a justification the message it answers.
Result<TxResult> CheckRole(const RegistryStore& store, const DkgSession& s, uint64_t height,
                           const types::DkgMessage& m, Slot* slot) {
  const Ed25519PublicKey& who = m.sender;
  if (const auto* c = std::get_if<zdkg::Complaint>(&m.payload)) {
    *slot = {zdkg::MessageType::kComplaint, c->dealer, c->complainer};
    TxResult r = CheckPhase("complaints", height, s.dealing_until, s.complaints_until);
    if (!r.ok()) return r;
    if (!IsMember(s.recipients, c->complainer, who)) {
      return Refused(TxCode::kDkgNotMember, "the sender is not recipient " +
                                                std::to_string(c->complainer) + " of the session");
    }
    HITO_ASSIGN_OR_RETURN(std::optional<Bytes> dealing,
                          store.Get(MessageKey(zdkg::MessageType::kDealing, c->dealer, 0)));
    if (!dealing) return Refused(TxCode::kDkgRefused, "no dealing of the accused dealer");
    return TxResult{};
  }
  if (const auto* j = std::get_if<zdkg::Justification>(&m.payload)) {
    *slot = {zdkg::MessageType::kJustification, j->dealer, j->complainer};
    TxResult r = CheckPhase("justifications", height, s.complaints_until, s.justifications_until);
    if (!r.ok()) return r;
    if (!IsMember(s.dealers, j->dealer, who)) {
      return Refused(TxCode::kDkgNotMember,
                     "the sender is not dealer " + std::to_string(j->dealer) + " of the session");
    }
    HITO_ASSIGN_OR_RETURN(
        std::optional<Bytes> complaint,
        store.Get(MessageKey(zdkg::MessageType::kComplaint, j->dealer, j->complainer)));
    if (!complaint) return Refused(TxCode::kDkgRefused, "no complaint to answer");
    return TxResult{};
  }
  const bool reshare = std::holds_alternative<zdkg::ReshareDealing>(m.payload);
  if (reshare != (s.kind == DkgKind::kReshare)) {
    return Refused(TxCode::kDkgRefused, reshare ? "a reshare dealing in a DKG session"
                                                : "a DKG dealing in a resharing session");
  }
  const uint16_t dealer = reshare ? std::get<zdkg::ReshareDealing>(m.payload).dealer
                                  : std::get<zdkg::Dealing>(m.payload).dealer;
  *slot = {reshare ? zdkg::MessageType::kReshareDealing : zdkg::MessageType::kDealing, dealer, 0};
  TxResult r = CheckPhase("dealings", height, s.start_height, s.dealing_until);
  if (!r.ok()) return r;
  if (!IsMember(s.dealers, dealer, who)) {
    return Refused(TxCode::kDkgNotMember,
                   "the sender is not dealer " + std::to_string(dealer) + " of the session");
  }
  return TxResult{};
}

template <typename T>
Status DecodeInto(const Bytes& raw, std::vector<T>* out) {
  auto m = T::Decode(raw);
  if (!m.ok()) return DataLossError("dkg message record: " + m.status().message());
  out->push_back(std::move(*m));
  return Status::Ok();
}

}  // namespace

Result<DkgMessages> ReadMessages(const RegistryStore& store) {
  DkgMessages out;
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> index, store.Get(KeyBytes(kIndexKey)));
  if (!index) return out;
  if (index->size() % kIndexEntrySize != 0) return DataLossError("k/index: truncated entry");
  for (size_t at = 0; at < index->size(); at += kIndexEntrySize) {
    const uint8_t* e = index->data() + at;
    const auto type = static_cast<zdkg::MessageType>(e[0]);
    const auto dealer = static_cast<uint16_t>((e[1] << 8) | e[2]);
    const auto complainer = static_cast<uint16_t>((e[3] << 8) | e[4]);
    HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw,
                          store.Get(MessageKey(type, dealer, complainer)));
    if (!raw) return DataLossError("k/index names a missing message");
    if (type == zdkg::MessageType::kDealing) HITO_RETURN_IF_ERROR(DecodeInto(*raw, &out.dealings));
    if (type == zdkg::MessageType::kReshareDealing) {
      HITO_RETURN_IF_ERROR(DecodeInto(*raw, &out.reshares));
    }
    if (type == zdkg::MessageType::kComplaint) {
      HITO_RETURN_IF_ERROR(DecodeInto(*raw, &out.complaints));
    }
    if (type == zdkg::MessageType::kJustification) {
      HITO_RETURN_IF_ERROR(DecodeInto(*raw, &out.justifications));
    }
  }
  return out;
}

Result<zdkg::Outcome> KeySetOutcome(const DedupKeySet& keys) {
  zdkg::Outcome old;
  old.threshold = keys.threshold;
  auto k = zk::Point::Decode(keys.group_key);
  if (!k.ok()) return DataLossError("k/keys.group_key: " + k.status().message());
  old.group_key = *k;
  std::map<uint16_t, Hash32> by_index;
  for (const DedupValidatorShare& s : keys.shares) by_index.emplace(s.index, s.public_share);
  for (const auto& [index, share] : by_index) {
    auto p = zk::Point::Decode(share);
    if (!p.ok()) return DataLossError("k/keys.public_share: " + p.status().message());
    old.public_shares.push_back(*p);
  }
  return old;
}

namespace {

DedupKeySet KeySetFrom(const zdkg::Outcome& o, const std::vector<Ed25519PublicKey>& recipients,
                       uint32_t quota) {
  HITO_ASSERT(o.public_shares.size() == recipients.size());
  DedupKeySet k;
  k.group_key = o.group_key.bytes();
  k.threshold = o.threshold;
  k.quota_per_epoch = quota;
  for (size_t m = 0; m < recipients.size(); ++m) {
    k.shares.push_back({recipients[m], static_cast<uint16_t>(m + 1), o.public_shares[m].bytes()});
  }
  return k;
}

// The new key set of a finished session, or why it failed (the status).
Result<DedupKeySet> Decide(const RegistryStore& store, const DkgSession& s) {
  HITO_ASSIGN_OR_RETURN(DkgMessages m, ReadMessages(store));
  if (s.kind == DkgKind::kDkg) {
    zdkg::DkgTranscript t{std::move(m.dealings), std::move(m.complaints),
                          std::move(m.justifications)};
    HITO_ASSIGN_OR_RETURN(zdkg::Outcome o, zdkg::Qualify(s.id, {s.recipients, s.threshold}, t));
    return KeySetFrom(o, s.recipients, kDefaultDedupQuotaPerEpoch);
  }
  HITO_ASSIGN_OR_RETURN(std::optional<DedupKeySet> keys, ReadKeySet(store));
  if (!keys) return DataLossError("a resharing without k/keys");
  HITO_ASSIGN_OR_RETURN(zdkg::Outcome old, KeySetOutcome(*keys));
  zdkg::ReshareTranscript t{std::move(m.reshares), std::move(m.complaints),
                            std::move(m.justifications)};
  HITO_ASSIGN_OR_RETURN(zdkg::Outcome o,
                        zdkg::QualifyReshare(s.id, old, {s.recipients, s.threshold}, t));
  if (o.group_key.bytes() != keys->group_key) {
    return FailedPreconditionError("resharing changed the group key");
  }
  return KeySetFrom(o, s.recipients, keys->quota_per_epoch);
}

}  // namespace

Result<TxResult> ApplyMessage(RegistryStore* store, std::string_view chain_id, uint64_t height,
                              const types::DkgMessage& m, SignatureCheck sigs) {
  HITO_ASSIGN_OR_RETURN(std::optional<uint64_t> phase, ReadPhaseBlocks(*store));
  if (!phase) return Refused(TxCode::kUnsupportedKind, "transaction kind dkg is not enabled");
  if (m.chain_id != chain_id) {
    return Refused(TxCode::kWrongChain, "dkg message for chain \"" + m.chain_id + "\"");
  }
  HITO_ASSIGN_OR_RETURN(std::optional<DkgSession> s, ReadSession(*store));
  if (!s || s->id != m.session) {
    return Refused(TxCode::kDkgNoSession, "no open DKG session with this id");
  }
  if (sigs == SignatureCheck::kVerify && !types::VerifyDkgSignature(m)) {
    return Refused(TxCode::kBadSignature, "signature does not verify for the sender key");
  }
  Slot slot;
  HITO_ASSIGN_OR_RETURN(TxResult r, CheckRole(*store, *s, height, m, &slot));
  if (!r.ok()) return r;
  const Bytes key = MessageKey(slot.type, slot.dealer, slot.complainer);
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> existing, store->Get(key));
  if (existing) return Refused(TxCode::kDkgRefused, "this message slot is already filled");
  store->Put(key, types::EncodeDkgPayload(m.payload));
  const Bytes entry = types::EncodeWith([&](Writer* w) {
    w->U8(static_cast<uint8_t>(slot.type));
    w->U16(slot.dealer);
    w->U16(slot.complainer);
  });
  HITO_RETURN_IF_ERROR(store->Append(KeyBytes(kIndexKey), entry));
  return TxResult{};
}

Status EndBlock(RegistryStore* store, uint64_t height) {
  HITO_ASSIGN_OR_RETURN(std::optional<DkgSession> s, ReadSession(*store));
  if (!s || height != s->justifications_until) return Status::Ok();
  DkgResult res{s->id, height, false, ""};
  std::optional<DedupKeySet> old_keys;
  if (s->kind == DkgKind::kReshare) {
    HITO_ASSIGN_OR_RETURN(old_keys, ReadKeySet(*store));
  }
  Result<DedupKeySet> keys = Decide(*store, *s);
  if (keys.ok()) {
    store->Put(KeyBytes(kKeysKey), EncodeKeySet(*keys));
    res.formed = true;
  } else if (keys.status().code() == StatusCode::kDataLoss) {
    return keys.status();
  } else {
    res.reason = keys.status().message();
  }
  // The messages stay, under the decided record, until the next session opens.
  store->Delete(KeyBytes(kSessionKey));
  store->Put(KeyBytes(kDecidedKey), EncodeDecided(*s, old_keys));
  store->Put(KeyBytes(kLastKey), EncodeResult(res));
  return Status::Ok();
}

}  // namespace hito::consensus::ledger::dkg
