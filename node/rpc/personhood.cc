#include "node/rpc/personhood.h"

#include <algorithm>
#include <optional>
#include <string>
#include <variant>

#include "base/assert.h"
#include "base/bech32m.h"
#include "base/checked.h"
#include "base/hex.h"
#include "consensus/ledger/ledger.h"
#include "consensus/ledger/registry.h"
#include "consensus/ledger/ubi.h"
#include "consensus/types/codec.h"
#include "node/rpc/errors.h"
#include "node/rpc/governance.h"
#include "zk/point.h"
#include "zk/proof/triptych.h"

namespace hito::node::rpc {
namespace {

namespace ledger = consensus::ledger;
namespace registry = consensus::ledger::registry;
namespace types = consensus::types;
namespace pb = hito::v1;

std::string AsString(ByteView b) { return std::string(AsChars(b)); }

// A 32-byte request field, or the refusal naming it.
grpc::Status Fixed32(const std::string& bytes, std::string_view field,
                     std::array<uint8_t, 32>* out) {
  if (bytes.size() != 32) {
    return InvalidArgument(std::string(field) + " must be 32 bytes, got " +
                           std::to_string(bytes.size()));
  }
  std::copy(bytes.begin(), bytes.end(), out->begin());
  return grpc::Status::OK;
}

pb::IdentityStatus StatusOf(ledger::IdentityStatus s) {
  switch (s) {
    case ledger::IdentityStatus::kLive:
      return pb::IDENTITY_STATUS_LIVE;
    case ledger::IdentityStatus::kRevoked:
      return pb::IDENTITY_STATUS_REVOKED;
    case ledger::IdentityStatus::kReplaced:
      return pb::IDENTITY_STATUS_REPLACED;
    case ledger::IdentityStatus::kExpired:
      return pb::IDENTITY_STATUS_EXPIRED;
  }
  return pb::IDENTITY_STATUS_UNSPECIFIED;
}

// ListSnapshotMembers' token: where the next page starts in which set.
constexpr uint8_t kMembersTokenVersion = 1;
struct MembersToken {
  uint64_t epoch = 0;
  uint32_t cohort = 0;
  Hash32 set_hash{};
  uint64_t offset = 0;
};

std::string EncodeMembersToken(const MembersToken& t) {
  return HexEncode(types::EncodeWith([&](types::Writer* w) {
    w->U8(kMembersTokenVersion);
    w->U64(t.epoch);
    w->U32(t.cohort);
    w->Fixed(t.set_hash);
    w->U64(t.offset);
  }));
}

Result<MembersToken> DecodeMembersToken(const std::string& token) {
  HITO_ASSIGN_OR_RETURN(Bytes raw, HexDecode(token));
  return types::DecodeWhole<MembersToken>(raw, "token", [](types::Reader* r, MembersToken* t) {
    uint8_t version = 0;
    HITO_RETURN_IF_ERROR(r->U8("version", &version));
    if (version != kMembersTokenVersion) return InvalidArgumentError("unknown version");
    HITO_RETURN_IF_ERROR(r->U64("epoch", &t->epoch));
    HITO_RETURN_IF_ERROR(r->U32("cohort", &t->cohort));
    HITO_RETURN_IF_ERROR(r->Fixed("set_hash", &t->set_hash));
    return r->U64("offset", &t->offset);
  });
}

// ListAttesters' token: the last attester key of the previous page.
constexpr std::string_view kAttestersTokenPrefix = "a1";

std::string EncodeAttestersToken(const Ed25519PublicKey& last) {
  return std::string(kAttestersTokenPrefix) + HexEncode(last);
}

Result<Ed25519PublicKey> DecodeAttestersToken(const std::string& token) {
  if (!token.starts_with(kAttestersTokenPrefix)) return InvalidArgumentError("unknown version");
  HITO_ASSIGN_OR_RETURN(Hash32 key, HexDecode32(token.substr(kAttestersTokenPrefix.size())));
  return Ed25519PublicKey(key);
}

}  // namespace

grpc::Status HeightRefusal(uint64_t requested, uint64_t served) {
  if (requested == 0 || requested == served) return grpc::Status::OK;
  std::map<std::string, std::string> md{{"latest_height", std::to_string(served)}};
  if (requested > served) {
    return RpcError(grpc::StatusCode::FAILED_PRECONDITION, "HEIGHT_NOT_YET_COMMITTED",
                    "height " + std::to_string(requested) + " is not committed yet (latest " +
                        std::to_string(served) + ")",
                    md);
  }
  return RpcError(grpc::StatusCode::FAILED_PRECONDITION, "HEIGHT_NOT_AVAILABLE",
                  "only the latest state (height " + std::to_string(served) +
                      ") is kept; historical reads are not supported",
                  md);
}

void FillPersonhoodTxView(const types::Transaction& tx, pb::TransactionView* v) {
  if (const auto* reg = std::get_if<types::Registration>(&tx.body)) {
    const types::Attestation& a = reg->attestation;
    v->set_chain_id(a.chain_id);
    v->set_identity(AsString(a.identity));
    v->set_attester(AsString(a.attester));
    v->set_expiry_epoch(a.expiry_epoch);
    v->set_dedup_tag(AsString(a.dedup_tag));
    v->set_signature(AsString(a.signature));
  } else if (const auto* rev = std::get_if<types::Revocation>(&tx.body)) {
    v->set_chain_id(rev->chain_id);
    v->set_identity(AsString(rev->identity));
    v->set_attester(AsString(rev->attester));
    v->set_signature(AsString(rev->signature));
  } else if (const auto* c = std::get_if<types::Claim>(&tx.body)) {
    v->set_epoch(c->epoch);
    v->set_cohort(c->cohort);
    v->set_recipient(EncodeAddress(c->recipient));
    if (c->proof.size() >= 32) v->set_nullifier(AsString(types::ClaimNullifier(*c)));
  }
}

void FillBlockEvents(const std::vector<chain::BlockEvent>& events, const std::vector<Bytes>& txs,
                     google::protobuf::RepeatedPtrField<pb::BlockEvent>* out) {
  for (const chain::BlockEvent& e : events) {
    pb::BlockEvent* p = out->Add();
    if (!chain::IsBlockStart(e.kind)) {
      HITO_ASSERT(e.tx_index < txs.size());
      p->set_tx_hash(AsString(types::TransactionHash(txs[e.tx_index])));
      p->set_tx_index(e.tx_index);
    }
    switch (e.kind) {
      case chain::BlockEvent::Kind::kRegistration: {
        pb::RegistrationEvent* r = p->mutable_registration();
        r->set_identity(AsString(e.identity));
        r->set_index(e.index);
        r->set_cohort(e.cohort);
        r->set_renewal(e.renewal);
        r->set_expiry_epoch(e.expiry_epoch);
        r->set_first_claim_epoch(e.first_claim_epoch);
        break;
      }
      case chain::BlockEvent::Kind::kRevocation:
        p->mutable_revocation()->set_identity(AsString(e.identity));
        p->mutable_revocation()->set_index(e.index);
        break;
      case chain::BlockEvent::Kind::kClaim: {
        pb::ClaimEvent* c = p->mutable_claim();
        c->set_epoch(e.epoch);
        c->set_cohort(e.cohort);
        c->set_nullifier(AsString(e.nullifier));
        c->set_recipient(EncodeAddress(e.recipient));
        c->set_amount(e.amount);
        break;
      }
      default:
        FillGovernanceEvent(e, p);
    }
  }
}

// ---------------------------------------------------------------------------------------

struct PersonhoodRpc::Served {
  std::shared_ptr<const store::StateView> state;
  std::optional<ledger::RegistryStore> store;  // over `state`
  uint64_t height = 0;
  uint64_t epoch = 0;
  ledger::Params params;
  ledger::RegistryParams rp;
  ledger::UbiParams up;
};

grpc::Status PersonhoodRpc::Open(uint64_t requested_height, Served* out) const {
  out->state = store_->State();
  out->store.emplace(out->state.get());
  out->height = out->state->height();
  const ledger::Ledger l(chain_id_, out->state.get());
  Result<std::optional<ledger::RegistryParams>> rp = l.GetRegistryParams();
  if (!rp.ok()) return InternalRpcError(rp.status());
  if (!rp->has_value()) {
    return RpcError(grpc::StatusCode::FAILED_PRECONDITION, "PERSONHOOD_DISABLED",
                    "this chain's genesis accredits no attester: it has no personhood registry "
                    "and no UBI");
  }
  Result<std::optional<ledger::UbiParams>> up = l.GetUbiParams();
  if (!up.ok()) return InternalRpcError(up.status());
  if (!up->has_value()) return InternalRpcError(DataLossError("registry without UBI params"));
  Result<ledger::Params> params = l.GetParams();
  if (!params.ok()) return InternalRpcError(params.status());
  out->rp = **rp;
  out->up = **up;
  out->params = *params;
  out->epoch = ledger::EpochOf(out->params, out->height);
  return HeightRefusal(requested_height, out->height);
}

uint64_t PersonhoodRpc::LiveMembers(uint32_t cohort, const Hash32& set_hash,
                                    const std::vector<types::IdentityPoint>& members) {
  const std::pair<uint32_t, Hash32> key{cohort, set_hash};
  {
    MutexLock lock(mu_);
    if (auto it = live_members_.find(key); it != live_members_.end()) return it->second;
  }
  uint64_t live = 0;
  for (size_t j = 0; j < members.size(); ++j) {
    live += members[j] == zk::proof::membership::Filler(j).bytes() ? 0 : 1;
  }
  HITO_ASSERT(live <= members.size());
  MutexLock lock(mu_);
  // Every snapshot in the window, for a registry of a few thousand cohorts, fits; beyond
  // that the cache starts over rather than grow without bound.
  if (live_members_.size() >= 65536) live_members_.clear();
  live_members_[key] = live;
  return live;
}

grpc::Status PersonhoodRpc::GetRegistry(const pb::GetRegistryRequest& req,
                                        pb::GetRegistryResponse* resp) {
  Served s;
  grpc::Status st = Open(req.height(), &s);
  if (!st.ok()) return st;
  Result<uint64_t> size = registry::Size(*s.store);
  if (!size.ok()) return InternalRpcError(size.status());
  resp->set_height(s.height);
  resp->set_epoch(s.epoch);
  resp->set_identities(*size);
  resp->set_cohort_bits(s.rp.cohort_bits);
  // Indices 0..size-1 fill cohorts 0..CohortOf(size - 1).
  resp->set_cohorts(*size == 0 ? 0 : registry::CohortOf(s.rp, *size - 1) + 1);
  resp->set_max_attestation_epochs(s.rp.max_attestation_epochs);
  resp->set_attester_quota_per_epoch(s.rp.attester_quota_per_epoch);
  resp->set_claim_window(s.rp.claim_window);
  resp->set_dedup_quota_per_epoch(s.rp.dedup_quota_per_epoch);
  return grpc::Status::OK;
}

grpc::Status PersonhoodRpc::GetIdentity(const pb::GetIdentityRequest& req,
                                        pb::GetIdentityResponse* resp) {
  Served s;
  grpc::Status st = Open(req.height(), &s);
  if (!st.ok()) return st;
  types::IdentityPoint point{};
  if (st = Fixed32(req.identity(), "identity", &point); !st.ok()) return st;
  Result<std::optional<ledger::Identity>> found = registry::FindIdentity(*s.store, point);
  if (!found.ok()) return InternalRpcError(found.status());
  if (!found->has_value()) {
    return RpcError(grpc::StatusCode::NOT_FOUND, "IDENTITY_NOT_FOUND",
                    "no identity was registered with point " + HexEncode(point));
  }
  const ledger::Identity& id = **found;
  const uint32_t cohort = registry::CohortOf(s.rp, id.index);
  resp->set_height(s.height);
  resp->set_identity(AsString(id.point));
  resp->set_index(id.index);
  resp->set_cohort(cohort);
  resp->set_status(StatusOf(id.status));
  resp->set_registered_epoch(id.registered_epoch);
  resp->set_expiry_epoch(id.expiry_epoch);
  resp->set_first_claim_epoch(id.registered_epoch + 1);
  resp->set_attester(AsString(id.attester));
  resp->set_epoch(s.epoch);
  if (s.epoch < id.registered_epoch + 1) return grpc::Status::OK;  // in no snapshot yet
  Result<std::optional<Hash32>> hash = registry::SnapshotHash(*s.store, s.epoch, cohort);
  if (!hash.ok()) return InternalRpcError(hash.status());
  if (!hash->has_value()) return grpc::Status::OK;
  Result<std::optional<std::vector<types::IdentityPoint>>> members =
      registry::SnapshotMembers(*s.store, cohort, **hash);
  if (!members.ok()) return InternalRpcError(members.status());
  if (members->has_value()) resp->set_cohort_live_members(LiveMembers(cohort, **hash, **members));
  return grpc::Status::OK;
}

grpc::Status PersonhoodRpc::ListSnapshotMembers(const pb::ListSnapshotMembersRequest& req,
                                                pb::ListSnapshotMembersResponse* resp) {
  Served s;
  grpc::Status st = Open(req.height(), &s);
  if (!st.ok()) return st;
  uint32_t page = 0;
  if (st = PageSize(req.page_size(), kSnapshotPageDefault, kSnapshotPageMax, &page); !st.ok()) {
    return st;
  }
  const std::string where =
      "cohort " + std::to_string(req.cohort()) + " in epoch " + std::to_string(req.epoch());
  // The registry answers a future epoch with the latest snapshot; it is not frozen yet.
  Result<std::optional<Hash32>> hash =
      req.epoch() > s.epoch ? std::optional<Hash32>()
                            : registry::SnapshotHash(*s.store, req.epoch(), req.cohort());
  if (!hash.ok()) return InternalRpcError(hash.status());
  std::optional<std::vector<types::IdentityPoint>> members;
  if (hash->has_value()) {
    Result<std::optional<std::vector<types::IdentityPoint>>> m =
        registry::SnapshotMembers(*s.store, req.cohort(), **hash);
    if (!m.ok()) return InternalRpcError(m.status());
    members = *std::move(m);
  }
  if (!members) {
    return RpcError(grpc::StatusCode::NOT_FOUND, "SNAPSHOT_NOT_FOUND",
                    "no snapshot of " + where + " in state (never frozen, or left the window)");
  }
  const uint64_t total = members->size();
  uint64_t offset = 0;
  if (!req.page_token().empty()) {
    Result<MembersToken> t = DecodeMembersToken(req.page_token());
    if (!t.ok()) return BadToken("not a token of this method (" + t.status().message() + ")");
    if (t->epoch != req.epoch() || t->cohort != req.cohort() || t->set_hash != **hash) {
      return BadToken("issued for another snapshot than " + where);
    }
    if (t->offset == 0 || t->offset >= total) {
      return BadToken("position " + std::to_string(t->offset) + " is outside the set of " +
                      std::to_string(total));
    }
    offset = t->offset;
  }
  const uint64_t end = std::min<uint64_t>(total, offset + page);
  resp->set_height(s.height);
  resp->set_set_hash(AsString(**hash));
  resp->set_total_members(total);
  resp->set_live_members(LiveMembers(req.cohort(), **hash, *members));
  resp->set_first_index(offset);
  resp->mutable_members()->Reserve(static_cast<int>(end - offset));
  for (uint64_t i = offset; i < end; ++i) resp->add_members(AsString((*members)[i]));
  if (end < total) {
    resp->set_next_page_token(EncodeMembersToken({req.epoch(), req.cohort(), **hash, end}));
  }
  return grpc::Status::OK;
}

grpc::Status PersonhoodRpc::ListAttesters(const pb::ListAttestersRequest& req,
                                          pb::ListAttestersResponse* resp) {
  Served s;
  grpc::Status st = Open(req.height(), &s);
  if (!st.ok()) return st;
  uint32_t page = 0;
  if (st = PageSize(req.page_size(), kAttesterPageDefault, kAttesterPageMax, &page); !st.ok()) {
    return st;
  }
  const std::string_view prefix = registry::kAttesterKeyPrefix;
  Bytes start_after;
  if (!req.page_token().empty()) {
    Result<Ed25519PublicKey> last = DecodeAttestersToken(req.page_token());
    if (!last.ok()) {
      return BadToken("not a token of this method (" + last.status().message() + ")");
    }
    start_after.assign(prefix.begin(), prefix.end());
    start_after.insert(start_after.end(), last->begin(), last->end());
  }
  // One more than the page: whether a next page exists.
  Result<std::vector<Bytes>> keys = s.state->ScanKeys(AsBytes(prefix), start_after, page + 1);
  if (!keys.ok()) return InternalRpcError(keys.status());
  resp->set_height(s.height);
  for (size_t i = 0; i < keys->size() && i < page; ++i) {
    const Bytes& key = (*keys)[i];
    if (key.size() != prefix.size() + 32) {
      return InternalRpcError(
          DataLossError("attester record key of " + std::to_string(key.size()) + " bytes"));
    }
    Ed25519PublicKey pk{};
    std::copy(key.begin() + static_cast<std::ptrdiff_t>(prefix.size()), key.end(), pk.begin());
    Result<std::optional<registry::AttesterQuota>> q = registry::GetAttesterQuota(*s.store, pk);
    if (!q.ok()) return InternalRpcError(q.status());
    if (!q->has_value()) return InternalRpcError(DataLossError("attester record vanished"));
    pb::Attester* a = resp->add_attesters();
    a->set_public_key(AsString(pk));
    a->set_registrations_in_quota_epoch((*q)->used);
    a->set_quota_epoch((*q)->quota_epoch);
    if (i + 1 == page && keys->size() > page) resp->set_next_page_token(EncodeAttestersToken(pk));
  }
  return grpc::Status::OK;
}

// ---------------------------------------------------------------------------------------

grpc::Status PersonhoodRpc::GetUbiParams(const pb::GetUbiParamsRequest& req,
                                         pb::GetUbiParamsResponse* resp) {
  Served s;
  grpc::Status st = Open(req.height(), &s);
  if (!st.ok()) return st;
  resp->set_height(s.height);
  resp->set_epoch_blocks(s.params.epoch_blocks);
  resp->set_ubi_per_epoch(s.up.ubi_per_epoch);
  resp->set_claim_window(s.rp.claim_window);
  resp->set_demurrage_ppm_per_epoch(s.params.demurrage_ppm_per_epoch);
  resp->set_cohort_bits(s.rp.cohort_bits);
  resp->set_max_attestation_epochs(s.rp.max_attestation_epochs);
  resp->set_max_claims_per_block(s.up.max_claims_per_block);
  return grpc::Status::OK;
}

grpc::Status PersonhoodRpc::GetEpoch(const pb::GetEpochRequest& req, pb::GetEpochResponse* resp) {
  Served s;
  grpc::Status st = Open(req.height(), &s);
  if (!st.ok()) return st;
  resp->set_height(s.height);
  resp->set_epoch(s.epoch);
  resp->set_oldest_open_epoch(ledger::ubi::OldestOpenEpoch(s.rp, s.epoch));
  // (epoch + 1) * epoch_blocks: the epoch of a stored height, so it fits unless the chain
  // is within one epoch of 2^64 blocks; saturate there.
  const std::optional<uint64_t> next = CheckedMul(s.epoch + 1, s.params.epoch_blocks);
  resp->set_next_epoch_height(next.value_or(UINT64_MAX));
  resp->set_epoch_blocks(s.params.epoch_blocks);
  return grpc::Status::OK;
}

namespace {

// EPOCH_NOT_OPEN unless `epoch` is one of the open epochs at `current`.
grpc::Status OpenEpoch(const ledger::RegistryParams& rp, uint64_t current, uint64_t epoch) {
  const uint64_t oldest = ledger::ubi::OldestOpenEpoch(rp, current);
  if (epoch >= oldest && epoch <= current) return grpc::Status::OK;
  return RpcError(
      grpc::StatusCode::FAILED_PRECONDITION, "EPOCH_NOT_OPEN",
      "epoch " + std::to_string(epoch) + " is not open: epochs " + std::to_string(oldest) + ".." +
          std::to_string(current) + " are",
      {{"oldest_open_epoch", std::to_string(oldest)}, {"epoch", std::to_string(current)}});
}

}  // namespace

grpc::Status PersonhoodRpc::GetNullifier(const pb::GetNullifierRequest& req,
                                         pb::GetNullifierResponse* resp) {
  Served s;
  grpc::Status st = Open(req.height(), &s);
  if (!st.ok()) return st;
  Hash32 nullifier{};
  if (st = Fixed32(req.nullifier(), "nullifier", &nullifier); !st.ok()) return st;
  if (st = OpenEpoch(s.rp, s.epoch, req.epoch()); !st.ok()) return st;
  Result<bool> used = ledger::ubi::NullifierUsed(*s.store, req.epoch(), nullifier);
  if (!used.ok()) return InternalRpcError(used.status());
  resp->set_height(s.height);
  resp->set_used(*used);
  return grpc::Status::OK;
}

grpc::Status PersonhoodRpc::GetSupply(const pb::GetSupplyRequest& req,
                                      pb::GetSupplyResponse* resp) {
  Served s;
  grpc::Status st = Open(req.height(), &s);
  if (!st.ok()) return st;
  Result<uint64_t> supply = ledger::Ledger(chain_id_, s.state.get()).Supply();
  if (!supply.ok()) return InternalRpcError(supply.status());
  resp->set_height(s.height);
  resp->set_supply(*supply);
  return grpc::Status::OK;
}

grpc::Status PersonhoodRpc::GetEpochClaims(const pb::GetEpochClaimsRequest& req,
                                           pb::GetEpochClaimsResponse* resp) {
  Served s;
  grpc::Status st = Open(req.height(), &s);
  if (!st.ok()) return st;
  if (st = OpenEpoch(s.rp, s.epoch, req.epoch()); !st.ok()) return st;
  Result<uint64_t> claims = ledger::ubi::ClaimsInEpoch(*s.store, req.epoch());
  if (!claims.ok()) return InternalRpcError(claims.status());
  resp->set_height(s.height);
  resp->set_epoch(req.epoch());
  resp->set_claims(*claims);
  return grpc::Status::OK;
}

}  // namespace hito::node::rpc
