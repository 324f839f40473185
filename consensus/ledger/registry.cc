#include "consensus/ledger/registry.h"

#include <algorithm>
#include <string>
#include <utility>

#include "base/assert.h"
#include "base/checked.h"
#include "base/hash.h"
#include "base/hex.h"
#include "consensus/ledger/dkg.h"
#include "consensus/ledger/ledger.h"
#include "consensus/ledger/state_record.h"
#include "consensus/types/codec.h"
#include "zk/point.h"
#include "zk/proof/sigma.h"
#include "zk/proof/triptych.h"

namespace hito::consensus::ledger {
namespace {

using types::Reader;
using types::Writer;

// r/params version 2 appends dedup_quota_per_epoch; version 1 records still decode.
constexpr uint8_t kParamsVersion1 = 1;
constexpr uint8_t kParamsVersion = 2;
constexpr uint8_t kStateVersion = 1;
constexpr uint8_t kAttesterVersion = 1;

constexpr std::string_view kParamsKey = "r/params";
constexpr std::string_view kStateKey = "r/state";

Bytes Prefixed(std::string_view prefix, ByteView tail) {
  Bytes key(prefix.begin(), prefix.end());
  key.insert(key.end(), tail.begin(), tail.end());
  return key;
}
Bytes U64Key(std::string_view prefix, uint64_t v) {
  return Prefixed(prefix, types::EncodeWith([&](Writer* w) { w->U64(v); }));
}
Bytes CohortKey(uint32_t cohort) {
  return Prefixed("r/c/", types::EncodeWith([&](Writer* w) { w->U32(cohort); }));
}
Bytes SetKey(uint32_t cohort, const Hash32& hash) {
  return Prefixed("r/s/", types::EncodeWith([&](Writer* w) {
                    w->U32(cohort);
                    w->Fixed(hash);
                  }));
}
Bytes IdentityKey(uint64_t index) { return U64Key("r/i/", index); }
Bytes PointKey(const types::IdentityPoint& p) { return Prefixed("r/p/", p); }
Bytes TagKey(const Hash32& tag) { return Prefixed("r/g/", tag); }
Bytes UsedKey(const Hash32& id) { return Prefixed("r/a/", id); }
Bytes AttesterKey(const Ed25519PublicKey& pk) { return Prefixed(registry::kAttesterKeyPrefix, pk); }
Bytes ExpiryKey(uint64_t epoch) { return U64Key("r/e/", epoch); }

std::string Short(ByteView b) { return HexEncode(b).substr(0, 16); }

// r/state: the next index and the cohorts changed since the last snapshot.
struct RegistryState {
  uint64_t next_index = 0;
  std::vector<uint32_t> dirty;  // strictly increasing
};

Bytes EncodeState(const RegistryState& s) {
  return types::EncodeWith([&](Writer* w) {
    w->U8(kStateVersion);
    w->U64(s.next_index);
    w->U32(static_cast<uint32_t>(s.dirty.size()));
    for (uint32_t c : s.dirty) w->U32(c);
  });
}

Result<RegistryState> ReadState(const RegistryStore& store) {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store.Get(KeyOf(kStateKey)));
  if (!raw) return DataLossError("registry: r/params without r/state");
  return DecodeStateRecord<RegistryState>(*raw, "r/state", [](Reader* r, RegistryState* s) {
    uint8_t version = 0;
    HITO_RETURN_IF_ERROR(r->U8("version", &version));
    if (version != kStateVersion) return InvalidArgumentError("unknown version");
    HITO_RETURN_IF_ERROR(r->U64("next_index", &s->next_index));
    uint32_t n = 0;
    HITO_RETURN_IF_ERROR(r->Count("dirty", UINT32_MAX, 4, &n));
    for (uint32_t i = 0; i < n; ++i) {
      uint32_t c = 0;
      HITO_RETURN_IF_ERROR(r->U32("dirty[]", &c));
      if (!s->dirty.empty() && c <= s->dirty.back()) return InvalidArgumentError("dirty order");
      s->dirty.push_back(c);
    }
    return Status::Ok();
  });
}

void MarkDirty(RegistryState* s, uint32_t cohort) {
  auto it = std::lower_bound(s->dirty.begin(), s->dirty.end(), cohort);
  if (it == s->dirty.end() || *it != cohort) s->dirty.insert(it, cohort);
}

// r/t/<pk>: registrations counted in `quota_epoch`.
struct AttesterRecord {
  uint64_t quota_epoch = 0;
  uint32_t used = 0;
};

Bytes EncodeAttester(const AttesterRecord& a) {
  return types::EncodeWith([&](Writer* w) {
    w->U8(kAttesterVersion);
    w->U64(a.quota_epoch);
    w->U32(a.used);
  });
}

Result<std::optional<AttesterRecord>> ReadAttester(const RegistryStore& store,
                                                   const Ed25519PublicKey& pk) {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store.Get(AttesterKey(pk)));
  if (!raw) return std::optional<AttesterRecord>();
  HITO_ASSIGN_OR_RETURN(
      AttesterRecord a,
      DecodeStateRecord<AttesterRecord>(*raw, "r/t", [](Reader* r, AttesterRecord* a) {
        uint8_t version = 0;
        HITO_RETURN_IF_ERROR(r->U8("version", &version));
        if (version != kAttesterVersion) {
          return InvalidArgumentError("unknown version");
        }
        HITO_RETURN_IF_ERROR(r->U64("quota_epoch", &a->quota_epoch));
        return r->U32("used", &a->used);
      }));
  return std::optional<AttesterRecord>(a);
}

Result<std::optional<uint64_t>> ReadIndex(const RegistryStore& store, const Bytes& key) {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store.Get(key));
  if (!raw) return std::optional<uint64_t>();
  HITO_ASSIGN_OR_RETURN(
      uint64_t v, DecodeStateRecord<uint64_t>(
                      *raw, "r/ index", [](Reader* r, uint64_t* v) { return r->U64("index", v); }));
  return std::optional<uint64_t>(v);
}
Bytes EncodeIndex(uint64_t v) {
  return types::EncodeWith([&](Writer* w) { w->U64(v); });
}

// r/e/<epoch>: what expires at that epoch, as a sequence of entries appended in block
// order: 0x00 index:u64 (an identity; stale if it was renewed or died since) or 0x01
// attestation_id:32 (a single-use mark to drop).
struct ExpiryBucket {
  std::vector<uint64_t> indices;
  std::vector<Hash32> attestations;
};
constexpr uint8_t kBucketIdentity = 0;
constexpr uint8_t kBucketAttestation = 1;

Result<ExpiryBucket> ReadBucket(const RegistryStore& store, uint64_t epoch) {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store.Get(ExpiryKey(epoch)));
  if (!raw) return ExpiryBucket{};
  return DecodeStateRecord<ExpiryBucket>(*raw, "r/e", [](Reader* r, ExpiryBucket* b) {
    while (r->remaining() > 0) {
      uint8_t tag = 0;
      HITO_RETURN_IF_ERROR(r->U8("tag", &tag));
      if (tag == kBucketIdentity) {
        HITO_RETURN_IF_ERROR(r->U64("index", &b->indices.emplace_back()));
      } else if (tag == kBucketAttestation) {
        HITO_RETURN_IF_ERROR(r->Fixed("attestation", &b->attestations.emplace_back()));
      } else {
        return InvalidArgumentError("unknown entry tag " + std::to_string(tag));
      }
    }
    return Status::Ok();
  });
}

// r/c/<cohort>: (first epoch, set hash) in increasing epoch order.
struct SnapshotEntry {
  uint64_t from_epoch = 0;
  Hash32 set_hash{};
};
using SnapshotHistory = std::vector<SnapshotEntry>;

Bytes EncodeHistory(const SnapshotHistory& h) {
  return types::EncodeWith([&](Writer* w) {
    w->U32(static_cast<uint32_t>(h.size()));
    for (const SnapshotEntry& e : h) {
      w->U64(e.from_epoch);
      w->Fixed(e.set_hash);
    }
  });
}

Result<SnapshotHistory> ReadHistory(const RegistryStore& store, uint32_t cohort) {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store.Get(CohortKey(cohort)));
  if (!raw) return SnapshotHistory{};
  return DecodeStateRecord<SnapshotHistory>(*raw, "r/c", [](Reader* r, SnapshotHistory* h) {
    uint32_t n = 0;
    HITO_RETURN_IF_ERROR(r->Count("entries", UINT32_MAX, 40, &n));
    h->resize(n);
    for (SnapshotEntry& e : *h) {
      HITO_RETURN_IF_ERROR(r->U64("from_epoch", &e.from_epoch));
      HITO_RETURN_IF_ERROR(r->Fixed("set_hash", &e.set_hash));
    }
    return Status::Ok();
  });
}

Bytes EncodeMembers(const std::vector<types::IdentityPoint>& members) {
  return types::EncodeWith([&](Writer* w) {
    w->U32(static_cast<uint32_t>(members.size()));
    for (const types::IdentityPoint& p : members) w->Fixed(p);
  });
}

Status WriteIdentity(RegistryStore* store, const Identity& id) {
  HITO_ASSERT(id.commitments.size() <= kIdentityCommitmentsMax);
  store->Put(IdentityKey(id.index), EncodeIdentity(id));
  return Status::Ok();
}

Result<Identity> LoadIdentity(const RegistryStore& store, uint64_t index) {
  HITO_ASSIGN_OR_RETURN(std::optional<Identity> id, registry::IdentityAt(store, index));
  if (!id) return DataLossError("registry: identity " + std::to_string(index) + " missing");
  return *std::move(id);
}

Status AddToBucket(RegistryStore* store, uint64_t epoch, std::optional<uint64_t> index,
                   std::optional<Hash32> attestation) {
  Writer w;
  if (index) {
    w.U8(kBucketIdentity);
    w.U64(*index);
  }
  if (attestation) {
    w.U8(kBucketAttestation);
    w.Fixed(*attestation);
  }
  return store->Append(ExpiryKey(epoch), w.bytes());
}

// Ends a live identity: its slot becomes a filler in the next snapshot and its tag free.
Status Kill(RegistryStore* store, const RegistryParams& p, RegistryState* state, Identity id,
            IdentityStatus why) {
  HITO_ASSERT(id.status == IdentityStatus::kLive && why != IdentityStatus::kLive);
  id.status = why;
  HITO_RETURN_IF_ERROR(WriteIdentity(store, id));
  MarkDirty(state, registry::CohortOf(p, id.index));
  HITO_ASSIGN_OR_RETURN(std::optional<uint64_t> holder, ReadIndex(*store, TagKey(id.dedup_tag)));
  if (holder && *holder == id.index) store->Delete(TagKey(id.dedup_tag));
  return Status::Ok();
}

Status ExpireEpoch(RegistryStore* store, const RegistryParams& p, RegistryState* state,
                   uint64_t epoch) {
  HITO_ASSIGN_OR_RETURN(ExpiryBucket b, ReadBucket(*store, epoch));
  for (uint64_t index : b.indices) {
    HITO_ASSIGN_OR_RETURN(Identity id, LoadIdentity(*store, index));
    // Renewed since (a later expiry) or already dead: nothing expires here.
    if (id.status != IdentityStatus::kLive || id.expiry_epoch != epoch) continue;
    HITO_RETURN_IF_ERROR(Kill(store, p, state, std::move(id), IdentityStatus::kExpired));
  }
  // An attestation expiring now can no longer register (its expiry is not in the
  // future), so its single-use mark is no longer needed.
  for (const Hash32& a : b.attestations) store->Delete(UsedKey(a));
  store->Delete(ExpiryKey(epoch));
  return Status::Ok();
}

// The members of cohort `cohort` as the registry holds them now.
Result<std::vector<types::IdentityPoint>> CohortMembers(const RegistryStore& store,
                                                        const RegistryParams& p,
                                                        const RegistryState& state,
                                                        uint32_t cohort) {
  const uint64_t begin = uint64_t{cohort} << p.cohort_bits;
  const uint64_t end = std::min(state.next_index, begin + (uint64_t{1} << p.cohort_bits));
  if (begin >= end) {
    return DataLossError("registry: changed cohort " + std::to_string(cohort) + " holds no index");
  }
  std::vector<types::IdentityPoint> members;
  members.reserve(static_cast<size_t>(end - begin));
  for (uint64_t i = begin; i < end; ++i) {
    HITO_ASSIGN_OR_RETURN(Identity id, LoadIdentity(store, i));
    if (id.status == IdentityStatus::kLive) {
      members.push_back(id.point);
    } else {
      members.push_back(zk::proof::membership::Filler(i - begin).bytes());
    }
  }
  return members;
}

Status FreezeCohort(RegistryStore* store, const RegistryParams& p, const RegistryState& state,
                    uint32_t cohort, uint64_t epoch) {
  HITO_ASSIGN_OR_RETURN(std::vector<types::IdentityPoint> members,
                        CohortMembers(*store, p, state, cohort));
  const Hash32 hash = registry::MembershipSetHash(members);
  HITO_ASSIGN_OR_RETURN(SnapshotHistory history, ReadHistory(*store, cohort));
  if (!history.empty() && history.back().set_hash == hash) return Status::Ok();  // shared
  if (!history.empty() && history.back().from_epoch >= epoch) {
    return DataLossError("registry: cohort " + std::to_string(cohort) +
                         " already has a snapshot from epoch " +
                         std::to_string(history.back().from_epoch));
  }
  history.push_back(SnapshotEntry{epoch, hash});
  store->Put(CohortKey(cohort), EncodeHistory(history));
  store->Put(SetKey(cohort, hash), EncodeMembers(members));
  return Status::Ok();
}

// Drops the snapshots no epoch of the window [epoch + 1 - window, epoch] uses. A cohort's
// set only ever grows or loses live members, so a hash never comes back once replaced
// and a dropped entry's set record is used by no other entry.
Status PruneSnapshots(RegistryStore* store, const RegistryParams& p, const RegistryState& state,
                      uint64_t epoch) {
  if (epoch + 1 < p.claim_window) return Status::Ok();
  const uint64_t oldest = epoch + 1 - p.claim_window;
  const uint64_t cohorts = (state.next_index >> p.cohort_bits) +
                           ((state.next_index & ((uint64_t{1} << p.cohort_bits) - 1)) != 0 ? 1 : 0);
  for (uint64_t c = 0; c < cohorts; ++c) {
    const uint32_t cohort = static_cast<uint32_t>(c);
    HITO_ASSIGN_OR_RETURN(SnapshotHistory history, ReadHistory(*store, cohort));
    size_t drop = 0;
    while (drop + 1 < history.size() && history[drop + 1].from_epoch <= oldest) ++drop;
    if (drop == 0) continue;
    for (size_t i = 0; i < drop; ++i) store->Delete(SetKey(cohort, history[i].set_hash));
    history.erase(history.begin(), history.begin() + static_cast<std::ptrdiff_t>(drop));
    store->Put(CohortKey(cohort), EncodeHistory(history));
  }
  return Status::Ok();
}

}  // namespace

Result<std::optional<Bytes>> RegistryStore::Get(const Bytes& key) const {
  if (auto it = writes_.find(key); it != writes_.end()) return it->second;
  std::optional<Bytes> value;
  HITO_RETURN_IF_ERROR(base_->Get(key, &value));
  return value;
}

Status RegistryStore::Append(const Bytes& key, ByteView tail) {
  auto it = writes_.find(key);
  if (it == writes_.end() || !it->second) {
    std::optional<Bytes> base;
    if (it == writes_.end()) HITO_RETURN_IF_ERROR(base_->Get(key, &base));
    it = writes_.insert_or_assign(key, base ? std::move(*base) : Bytes{}).first;
  }
  it->second->insert(it->second->end(), tail.begin(), tail.end());
  return Status::Ok();
}

Bytes EncodeIdentity(const Identity& id) {
  return types::EncodeWith([&](Writer* w) {
    w->U8(kIdentityRecordVersion);
    w->Fixed(id.point);
    w->Fixed(id.dedup_tag);
    w->Fixed(id.attester);
    w->U64(id.expiry_epoch);
    w->U64(id.registered_epoch);
    w->U8(static_cast<uint8_t>(id.status));
    w->U8(static_cast<uint8_t>(id.commitments.size()));
    for (const Commitment& c : id.commitments) {
      w->U16(c.kind);
      w->Fixed(c.value);
    }
  });
}

Result<Identity> DecodeIdentity(uint64_t index, ByteView bytes) {
  Identity out;
  out.index = index;
  HITO_ASSIGN_OR_RETURN(out,
                        DecodeStateRecord<Identity>(bytes, "r/i", [index](Reader* r, Identity* id) {
                          id->index = index;
                          uint8_t version = 0;
                          HITO_RETURN_IF_ERROR(r->U8("version", &version));
                          if (version != kIdentityRecordVersion)
                            return InvalidArgumentError("unknown version");
                          HITO_RETURN_IF_ERROR(r->Fixed("point", &id->point));
                          HITO_RETURN_IF_ERROR(r->Fixed("dedup_tag", &id->dedup_tag));
                          HITO_RETURN_IF_ERROR(r->Fixed("attester", &id->attester));
                          HITO_RETURN_IF_ERROR(r->U64("expiry_epoch", &id->expiry_epoch));
                          HITO_RETURN_IF_ERROR(r->U64("registered_epoch", &id->registered_epoch));
                          uint8_t status = 0;
                          HITO_RETURN_IF_ERROR(r->U8("status", &status));
                          if (status > static_cast<uint8_t>(IdentityStatus::kExpired)) {
                            return InvalidArgumentError("unknown status");
                          }
                          id->status = static_cast<IdentityStatus>(status);
                          uint8_t n = 0;
                          HITO_RETURN_IF_ERROR(r->U8("commitments", &n));
                          if (n > kIdentityCommitmentsMax)
                            return InvalidArgumentError("too many commitments");
                          id->commitments.resize(n);
                          for (Commitment& c : id->commitments) {
                            HITO_RETURN_IF_ERROR(r->U16("kind", &c.kind));
                            HITO_RETURN_IF_ERROR(r->Fixed("value", &c.value));
                          }
                          return Status::Ok();
                        }));
  return out;
}

Bytes EncodeRegistryParams(const RegistryParams& p) {
  return types::EncodeWith([&](Writer* w) {
    w->U8(kParamsVersion);
    w->U8(p.cohort_bits);
    w->U64(p.max_attestation_epochs);
    w->U32(p.attester_quota_per_epoch);
    w->U64(p.claim_window);
    w->U32(p.dedup_quota_per_epoch);
  });
}

Result<RegistryParams> DecodeRegistryParams(ByteView bytes, uint32_t v1_dedup_quota) {
  auto read = [v1_dedup_quota](Reader* r, RegistryParams* p) {
    uint8_t version = 0;
    HITO_RETURN_IF_ERROR(r->U8("version", &version));
    if (version != kParamsVersion1 && version != kParamsVersion) {
      return InvalidArgumentError("unknown version");
    }
    HITO_RETURN_IF_ERROR(r->U8("cohort_bits", &p->cohort_bits));
    HITO_RETURN_IF_ERROR(r->U64("max_attestation_epochs", &p->max_attestation_epochs));
    HITO_RETURN_IF_ERROR(r->U32("attester_quota_per_epoch", &p->attester_quota_per_epoch));
    HITO_RETURN_IF_ERROR(r->U64("claim_window", &p->claim_window));
    if (version == kParamsVersion1) {
      p->dedup_quota_per_epoch = v1_dedup_quota;
      return Status::Ok();
    }
    return r->U32("dedup_quota_per_epoch", &p->dedup_quota_per_epoch);
  };
  HITO_ASSIGN_OR_RETURN(RegistryParams p,
                        DecodeStateRecord<RegistryParams>(bytes, "r/params", read));
  const Status valid = ValidateRegistryParams(p);
  if (!valid.ok()) return DataLossError("r/params record: " + valid.message());
  return p;
}

Status ValidateRegistryParams(const RegistryParams& p) {
  auto bad = [](std::string_view what, uint64_t lo, uint64_t hi) {
    return InvalidArgumentError("registry params: " + std::string(what) + " must be in " +
                                std::to_string(lo) + ".." + std::to_string(hi));
  };
  if (p.cohort_bits > kCohortBitsMax) return bad("cohort_bits", 0, kCohortBitsMax);
  if (p.max_attestation_epochs < 1 || p.max_attestation_epochs > kMaxAttestationEpochsMax) {
    return bad("max_attestation_epochs", 1, kMaxAttestationEpochsMax);
  }
  if (p.attester_quota_per_epoch < 1) return bad("attester_quota_per_epoch", 1, UINT32_MAX);
  if (p.claim_window < 1 || p.claim_window > kSnapshotWindowMax) {
    return bad("claim_window", 1, kSnapshotWindowMax);
  }
  if (p.dedup_quota_per_epoch < kDedupQuotaPerEpochMin ||
      p.dedup_quota_per_epoch > kDedupQuotaPerEpochMax) {
    return bad("dedup_quota_per_epoch", kDedupQuotaPerEpochMin, kDedupQuotaPerEpochMax);
  }
  return Status::Ok();
}

namespace registry {

uint32_t CohortOf(const RegistryParams& p, uint64_t index) {
  // Indices grow by one per registration: below 2^48 for any conceivable chain, and the
  // ledger refuses registrations that would leave the u32 cohort range.
  return static_cast<uint32_t>(index >> p.cohort_bits);
}

Result<std::optional<RegistryParams>> ReadParams(const RegistryStore& store) {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store.Get(KeyOf(kParamsKey)));
  if (!raw) return std::optional<RegistryParams>();
  // A version 1 record predates the parameter: the chain kept the quota in k/keys then
  // (absent before a genesis DKG formed a key set: the default).
  uint32_t v1_dedup_quota = kDefaultDedupQuotaPerEpoch;
  if (!raw->empty() && (*raw)[0] == kParamsVersion1) {
    HITO_ASSIGN_OR_RETURN(std::optional<DedupKeySet> keys, dkg::ReadKeySet(store));
    if (keys) v1_dedup_quota = keys->quota_per_epoch;
  }
  HITO_ASSIGN_OR_RETURN(RegistryParams p, DecodeRegistryParams(*raw, v1_dedup_quota));
  return std::optional<RegistryParams>(p);
}

Status InitGenesis(RegistryStore* store, const RegistryParams& p,
                   const std::vector<Ed25519PublicKey>& attesters) {
  HITO_RETURN_IF_ERROR(ValidateRegistryParams(p));
  if (attesters.empty()) return InvalidArgumentError("registry genesis: no attesters");
  store->Put(KeyOf(kParamsKey), EncodeRegistryParams(p));
  store->Put(KeyOf(kStateKey), EncodeState(RegistryState{}));
  for (const Ed25519PublicKey& a : attesters) {
    const Status s = AddAttester(store, a);
    if (s.code() == StatusCode::kAlreadyExists) {
      return InvalidArgumentError("genesis: attester " + HexEncode(a) + " listed twice");
    }
    HITO_RETURN_IF_ERROR(s);
  }
  return Status::Ok();
}

Status AddAttester(RegistryStore* store, const Ed25519PublicKey& attester) {
  HITO_ASSIGN_OR_RETURN(std::optional<AttesterRecord> rec, ReadAttester(*store, attester));
  if (rec) return AlreadyExistsError("attester " + HexEncode(attester) + " is accredited");
  store->Put(AttesterKey(attester), EncodeAttester(AttesterRecord{}));
  return Status::Ok();
}

Status RemoveAttester(RegistryStore* store, const Ed25519PublicKey& attester) {
  HITO_ASSIGN_OR_RETURN(std::optional<AttesterRecord> rec, ReadAttester(*store, attester));
  if (!rec) return NotFoundError("attester " + HexEncode(attester) + " is not accredited");
  store->Delete(AttesterKey(attester));
  return Status::Ok();
}

Status RevokeIdentity(RegistryStore* store, const RegistryParams& p,
                      const types::IdentityPoint& point) {
  HITO_ASSIGN_OR_RETURN(std::optional<Identity> id, FindIdentity(*store, point));
  if (!id) return NotFoundError("no identity with point " + Short(point));
  if (id->status != IdentityStatus::kLive) {
    return FailedPreconditionError("identity " + std::to_string(id->index) + " is not live");
  }
  HITO_ASSIGN_OR_RETURN(RegistryState state, ReadState(*store));
  HITO_RETURN_IF_ERROR(Kill(store, p, &state, *std::move(id), IdentityStatus::kRevoked));
  store->Put(KeyOf(kStateKey), EncodeState(state));
  return Status::Ok();
}

void WriteParams(RegistryStore* store, const RegistryParams& p) {
  store->Put(KeyOf(kParamsKey), EncodeRegistryParams(p));
}

Result<bool> IsAttester(const RegistryStore& store, const Ed25519PublicKey& attester) {
  HITO_ASSIGN_OR_RETURN(std::optional<AttesterRecord> rec, ReadAttester(store, attester));
  return rec.has_value();
}

Status BeginEpoch(RegistryStore* store, const RegistryParams& p, uint64_t epoch) {
  HITO_ASSIGN_OR_RETURN(RegistryState state, ReadState(*store));
  HITO_RETURN_IF_ERROR(ExpireEpoch(store, p, &state, epoch));
  for (uint32_t cohort : state.dirty) {
    HITO_RETURN_IF_ERROR(FreezeCohort(store, p, state, cohort, epoch));
  }
  state.dirty.clear();
  HITO_RETURN_IF_ERROR(PruneSnapshots(store, p, state, epoch));
  store->Put(KeyOf(kStateKey), EncodeState(state));
  return Status::Ok();
}

namespace {

// Rules that read nothing but the transaction and the parameters.
std::optional<TxResult> CheckStatement(std::string_view chain_id, const RegistryParams& p,
                                       uint64_t epoch, const types::Attestation& a) {
  if (a.chain_id != chain_id) {
    return Refused(TxCode::kWrongChain, "attestation for chain \"" + a.chain_id +
                                            "\", this chain is \"" + std::string(chain_id) + "\"");
  }
  if (a.expiry_epoch <= epoch) {
    return Refused(TxCode::kAttestationExpired, "attestation expired at epoch " +
                                                    std::to_string(a.expiry_epoch) +
                                                    ", this is epoch " + std::to_string(epoch));
  }
  if (a.expiry_epoch - epoch > p.max_attestation_epochs) {
    return Refused(TxCode::kAttestationTooLong,
                   "attestation expiry " + std::to_string(a.expiry_epoch) + " is more than " +
                       std::to_string(p.max_attestation_epochs) + " epochs after " +
                       std::to_string(epoch));
  }
  if (!zk::Point::Decode(a.identity).ok()) {
    return Refused(TxCode::kBadProof,
                   "identity is not a canonical non-identity ristretto255 point");
  }
  return std::nullopt;
}

// The attester's signature and the registrant's proof of possession: the expensive part,
// after every cheap rule.
std::optional<TxResult> VerifyRegistration(const types::Registration& reg) {
  const types::Attestation& a = reg.attestation;
  if (!types::VerifyAttestationSignature(a)) {
    return Refused(TxCode::kBadSignature, "attestation signature does not verify");
  }
  Result<zk::Point> point = zk::Point::Decode(a.identity);
  Result<zk::proof::SchnorrProof> proof = zk::proof::SchnorrProof::Decode(reg.possession);
  if (!point.ok() || !proof.ok() ||
      !zk::proof::SchnorrVerify(*point, types::PossessionMessage(a), *proof).ok()) {
    return Refused(TxCode::kBadProof, "proof of possession does not verify for this identity");
  }
  return std::nullopt;
}

// A registration whose point is registered already: a renewal if it is live with the same
// tag and a later expiry, refused otherwise.
Result<TxResult> Renew(RegistryStore* store, Identity id, const types::Attestation& a) {
  if (id.status != IdentityStatus::kLive || id.dedup_tag != a.dedup_tag) {
    return Refused(TxCode::kIdentityExists,
                   "identity " + Short(a.identity) + " is registered (index " +
                       std::to_string(id.index) + "); a renewal needs it live with the same tag");
  }
  if (a.expiry_epoch <= id.expiry_epoch) {
    return Refused(TxCode::kRenewalNotLater, "renewal expiry " + std::to_string(a.expiry_epoch) +
                                                 " is not after " +
                                                 std::to_string(id.expiry_epoch));
  }
  id.expiry_epoch = a.expiry_epoch;
  id.attester = a.attester;
  HITO_RETURN_IF_ERROR(WriteIdentity(store, id));
  HITO_RETURN_IF_ERROR(AddToBucket(store, a.expiry_epoch, id.index, std::nullopt));
  return TxResult{};
}

// A new identity at the next index; the live holder of its tag, if any, is replaced,
// whichever accredited attester issued it: tags are one per person across attesters (the
// validators' OPRF), so a second attester checking the same person is the same person
// coming back (personhood.md, "Replacement across attesters"). The result's message names
// the replaced identity, its attester and the replacing attester, in full, so a
// replacement by a copied tag is on record against the attester that signed it.
Result<TxResult> Append(RegistryStore* store, const RegistryParams& p, uint64_t epoch,
                        const types::Attestation& a) {
  HITO_ASSIGN_OR_RETURN(RegistryState state, ReadState(*store));
  const uint64_t index = state.next_index;
  if ((index >> p.cohort_bits) >= UINT32_MAX) {
    return Refused(TxCode::kAttesterQuota, "the registry is full (cohort numbers exhausted)");
  }
  TxResult result;
  HITO_ASSIGN_OR_RETURN(std::optional<uint64_t> holder, ReadIndex(*store, TagKey(a.dedup_tag)));
  if (holder) {
    HITO_ASSIGN_OR_RETURN(Identity old, LoadIdentity(*store, *holder));
    if (old.status != IdentityStatus::kLive) {
      return DataLossError("registry: r/g names identity " + std::to_string(old.index) +
                           ", which is not live");
    }
    result.message = "replaced identity " + std::to_string(old.index) + " of attester " +
                     HexEncode(old.attester) + " (same dedup tag); replacement attested by " +
                     HexEncode(a.attester);
    HITO_RETURN_IF_ERROR(Kill(store, p, &state, std::move(old), IdentityStatus::kReplaced));
  }
  Identity id;
  id.index = index;
  id.point = a.identity;
  id.dedup_tag = a.dedup_tag;
  id.attester = a.attester;
  id.expiry_epoch = a.expiry_epoch;
  id.registered_epoch = epoch;
  HITO_RETURN_IF_ERROR(WriteIdentity(store, id));
  store->Put(PointKey(a.identity), EncodeIndex(index));
  store->Put(TagKey(a.dedup_tag), EncodeIndex(index));
  HITO_RETURN_IF_ERROR(AddToBucket(store, a.expiry_epoch, index, std::nullopt));
  MarkDirty(&state, CohortOf(p, index));
  state.next_index = index + 1;
  store->Put(KeyOf(kStateKey), EncodeState(state));
  return result;
}

}  // namespace

Result<TxResult> ApplyRegistration(RegistryStore* store, std::string_view chain_id,
                                   const RegistryParams& p, uint64_t epoch,
                                   const types::Registration& reg, SignatureCheck sigs) {
  const types::Attestation& a = reg.attestation;
  if (std::optional<TxResult> refused = CheckStatement(chain_id, p, epoch, a)) {
    return *std::move(refused);
  }
  HITO_ASSIGN_OR_RETURN(std::optional<AttesterRecord> attester, ReadAttester(*store, a.attester));
  if (!attester) {
    return Refused(TxCode::kAttesterNotAccredited,
                   "attester " + Short(a.attester) + " is not accredited");
  }
  const Hash32 attestation_id = types::AttestationId(a);
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> used, store->Get(UsedKey(attestation_id)));
  if (used) return Refused(TxCode::kAttestationUsed, "this attestation has registered already");
  AttesterRecord quota = attester->quota_epoch == epoch ? *attester : AttesterRecord{epoch, 0};
  if (quota.used >= p.attester_quota_per_epoch) {
    return Refused(TxCode::kAttesterQuota, "attester " + Short(a.attester) + " used its " +
                                               std::to_string(p.attester_quota_per_epoch) +
                                               " registrations of epoch " + std::to_string(epoch));
  }
  if (sigs == SignatureCheck::kVerify) {
    if (std::optional<TxResult> refused = VerifyRegistration(reg)) return *std::move(refused);
  }
  HITO_ASSIGN_OR_RETURN(std::optional<uint64_t> existing, ReadIndex(*store, PointKey(a.identity)));
  TxResult result;
  if (existing) {
    HITO_ASSIGN_OR_RETURN(Identity id, LoadIdentity(*store, *existing));
    HITO_ASSIGN_OR_RETURN(result, Renew(store, std::move(id), a));
  } else {
    HITO_ASSIGN_OR_RETURN(result, Append(store, p, epoch, a));
  }
  if (!result.ok()) return result;
  ++quota.used;
  store->Put(AttesterKey(a.attester), EncodeAttester(quota));
  store->Put(UsedKey(attestation_id), EncodeIndex(a.expiry_epoch));
  HITO_RETURN_IF_ERROR(AddToBucket(store, a.expiry_epoch, std::nullopt, attestation_id));
  return result;
}

Status GenesisIdentities(RegistryStore* store, const RegistryParams& p,
                         const std::vector<GenesisIdentity>& identities) {
  for (size_t i = 0; i < identities.size(); ++i) {
    const GenesisIdentity& g = identities[i];
    const std::string what = "genesis: identity " + std::to_string(i) + ": ";
    HITO_ASSIGN_OR_RETURN(std::optional<AttesterRecord> attester, ReadAttester(*store, g.attester));
    if (!attester) return InvalidArgumentError(what + "attester is not accredited");
    if (!zk::Point::Decode(g.point).ok()) {
      return InvalidArgumentError(what + "point is not a canonical non-identity point");
    }
    if (g.expiry_epoch == 0 || g.expiry_epoch > p.max_attestation_epochs) {
      return InvalidArgumentError(what + "expiry_epoch must be 1.." +
                                  std::to_string(p.max_attestation_epochs));
    }
    HITO_ASSIGN_OR_RETURN(std::optional<uint64_t> point, ReadIndex(*store, PointKey(g.point)));
    HITO_ASSIGN_OR_RETURN(std::optional<uint64_t> tag, ReadIndex(*store, TagKey(g.dedup_tag)));
    if (point || tag)
      return InvalidArgumentError(what + (point ? "point" : "dedup tag") + " listed twice");
    types::Attestation a;
    a.attester = g.attester;
    a.identity = g.point;
    a.dedup_tag = g.dedup_tag;
    a.expiry_epoch = g.expiry_epoch;
    HITO_ASSIGN_OR_RETURN(TxResult r, Append(store, p, /*epoch=*/0, a));
    if (!r.ok()) return InvalidArgumentError(what + r.message);
  }
  // Epoch 0 has no first block to freeze them at: genesis freezes them now.
  HITO_ASSIGN_OR_RETURN(RegistryState state, ReadState(*store));
  for (uint32_t cohort : state.dirty) {
    HITO_RETURN_IF_ERROR(FreezeCohort(store, p, state, cohort, /*epoch=*/0));
  }
  state.dirty.clear();
  store->Put(KeyOf(kStateKey), EncodeState(state));
  return Status::Ok();
}

Result<TxResult> ApplyRevocation(RegistryStore* store, std::string_view chain_id,
                                 const RegistryParams& p, const types::Revocation& rev,
                                 SignatureCheck sigs) {
  if (rev.chain_id != chain_id) {
    return Refused(TxCode::kWrongChain, "revocation for chain \"" + rev.chain_id + "\"");
  }
  HITO_ASSIGN_OR_RETURN(bool accredited, IsAttester(*store, rev.attester));
  if (!accredited) {
    return Refused(TxCode::kAttesterNotAccredited,
                   "attester " + Short(rev.attester) + " is not accredited");
  }
  if (sigs == SignatureCheck::kVerify && !types::VerifyRevocationSignature(rev)) {
    return Refused(TxCode::kBadSignature, "revocation signature does not verify");
  }
  HITO_ASSIGN_OR_RETURN(std::optional<Identity> id, FindIdentity(*store, rev.identity));
  if (!id) return Refused(TxCode::kIdentityUnknown, "no identity " + Short(rev.identity));
  if (id->status != IdentityStatus::kLive) {
    return Refused(TxCode::kIdentityNotLive,
                   "identity " + std::to_string(id->index) + " is not live");
  }
  if (id->attester != rev.attester) {
    return Refused(TxCode::kNotIssuer, "identity " + std::to_string(id->index) +
                                           " was attested by " + Short(id->attester) + ", not by " +
                                           Short(rev.attester));
  }
  HITO_ASSIGN_OR_RETURN(RegistryState state, ReadState(*store));
  HITO_RETURN_IF_ERROR(Kill(store, p, &state, *std::move(id), IdentityStatus::kRevoked));
  store->Put(KeyOf(kStateKey), EncodeState(state));
  return TxResult{};
}

Result<TxResult> AddCommitment(RegistryStore* store, std::string_view chain_id,
                               const types::IdentityPoint& point, const Commitment& commitment,
                               const types::PossessionProof& proof) {
  HITO_ASSIGN_OR_RETURN(std::optional<Identity> id, FindIdentity(*store, point));
  if (!id) return Refused(TxCode::kIdentityUnknown, "no identity " + Short(point));
  if (id->status != IdentityStatus::kLive) {
    return Refused(TxCode::kIdentityNotLive,
                   "identity " + std::to_string(id->index) + " is not live");
  }
  for (const Commitment& c : id->commitments) {
    if (c.kind == commitment.kind) {
      return Refused(TxCode::kCommitmentRefused,
                     "identity already holds a commitment of kind " + std::to_string(c.kind));
    }
  }
  if (id->commitments.size() >= kIdentityCommitmentsMax) {
    return Refused(TxCode::kCommitmentRefused, "identity holds the maximum of " +
                                                   std::to_string(kIdentityCommitmentsMax) +
                                                   " commitments");
  }
  Result<zk::Point> p = zk::Point::Decode(point);
  Result<zk::proof::SchnorrProof> pop = zk::proof::SchnorrProof::Decode(proof);
  const Bytes message =
      types::CommitmentPossessionMessage(chain_id, point, commitment.kind, commitment.value);
  if (!p.ok() || !pop.ok() || !zk::proof::SchnorrVerify(*p, message, *pop).ok()) {
    return Refused(TxCode::kBadProof, "proof of possession does not verify for this identity");
  }
  id->commitments.push_back(commitment);
  HITO_RETURN_IF_ERROR(WriteIdentity(store, *id));
  return TxResult{};
}

Result<std::optional<AttesterQuota>> GetAttesterQuota(const RegistryStore& store,
                                                      const Ed25519PublicKey& attester) {
  HITO_ASSIGN_OR_RETURN(std::optional<AttesterRecord> rec, ReadAttester(store, attester));
  if (!rec) return std::optional<AttesterQuota>();
  return std::optional<AttesterQuota>(AttesterQuota{rec->quota_epoch, rec->used});
}

Result<uint64_t> Size(const RegistryStore& store) {
  HITO_ASSIGN_OR_RETURN(std::optional<RegistryParams> p, ReadParams(store));
  if (!p) return uint64_t{0};
  HITO_ASSIGN_OR_RETURN(RegistryState state, ReadState(store));
  return state.next_index;
}

Result<std::optional<Identity>> IdentityAt(const RegistryStore& store, uint64_t index) {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store.Get(IdentityKey(index)));
  if (!raw) return std::optional<Identity>();
  HITO_ASSIGN_OR_RETURN(Identity id, DecodeIdentity(index, *raw));
  return std::optional<Identity>(std::move(id));
}

Result<std::optional<Identity>> FindIdentity(const RegistryStore& store,
                                             const types::IdentityPoint& point) {
  HITO_ASSIGN_OR_RETURN(std::optional<uint64_t> index, ReadIndex(store, PointKey(point)));
  if (!index) return std::optional<Identity>();
  HITO_ASSIGN_OR_RETURN(Identity id, LoadIdentity(store, *index));
  return std::optional<Identity>(std::move(id));
}

Result<std::optional<Hash32>> SnapshotHash(const RegistryStore& store, uint64_t epoch,
                                           uint32_t cohort) {
  HITO_ASSIGN_OR_RETURN(SnapshotHistory history, ReadHistory(store, cohort));
  std::optional<Hash32> found;
  for (const SnapshotEntry& e : history) {
    if (e.from_epoch > epoch) break;
    found = e.set_hash;
  }
  return found;
}

Result<std::optional<std::vector<types::IdentityPoint>>> SnapshotMembers(const RegistryStore& store,
                                                                         uint32_t cohort,
                                                                         const Hash32& set_hash) {
  using Members = std::vector<types::IdentityPoint>;
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store.Get(SetKey(cohort, set_hash)));
  if (!raw) return std::optional<Members>();
  HITO_ASSIGN_OR_RETURN(Members members,
                        DecodeStateRecord<Members>(*raw, "r/s", [](Reader* r, Members* m) {
                          uint32_t n = 0;
                          HITO_RETURN_IF_ERROR(r->Count("members", UINT32_MAX, 32, &n));
                          m->resize(n);
                          for (types::IdentityPoint& p : *m) {
                            HITO_RETURN_IF_ERROR(r->Fixed("member", &p));
                          }
                          return Status::Ok();
                        }));
  return std::optional<Members>(std::move(members));
}

Hash32 MembershipSetHash(const std::vector<types::IdentityPoint>& members) {
  Hasher h("hito/v1/triptych/set");
  h.UpdateU64(members.size());
  for (const types::IdentityPoint& p : members) h.Update(p);
  return h.Finish();
}

}  // namespace registry
}  // namespace hito::consensus::ledger
