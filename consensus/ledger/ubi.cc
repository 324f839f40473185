#include "consensus/ledger/ubi.h"

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <utility>

#include "base/checked.h"
#include "base/hex.h"
#include "consensus/ledger/nullifier_list.h"
#include "consensus/ledger/state_record.h"
#include "consensus/types/codec.h"
#include "zk/point.h"

namespace hito::consensus::ledger {
namespace {

using types::Reader;
using types::Writer;

constexpr uint8_t kParamsVersion = 1;
constexpr uint8_t kStateVersion = 1;
constexpr uint8_t kNullifierVersion = 1;
constexpr std::string_view kParamsKey = "u/params";
constexpr std::string_view kStateKey = "u/state";

Bytes NullifierKey(uint64_t epoch, const Hash32& nullifier) {
  return KeyWith("u/n/", [&](Writer* w) {
    w->U64(epoch);
    w->Fixed(nullifier);
  });
}
Bytes CountKey(uint64_t epoch) {
  return KeyWith("u/k/", [&](Writer* w) { w->U64(epoch); });
}
Bytes ChunkKey(uint64_t epoch, uint32_t chunk) {
  return KeyWith("u/l/", [&](Writer* w) {
    w->U64(epoch);
    w->U32(chunk);
  });
}

// The nullifiers spent in `epoch`, for pruning.
NullifierList EpochNullifiers(uint64_t epoch) {
  return NullifierList{CountKey(epoch), [epoch](uint32_t c) { return ChunkKey(epoch, c); },
                       kNullifierChunk, "ubi: u/k"};
}

Result<uint64_t> ReadPrunedBefore(const RegistryStore& store) {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store.Get(KeyOf(kStateKey)));
  if (!raw) return DataLossError("ubi: u/params without u/state");
  return DecodeStateRecord<uint64_t>(*raw, "u/state", [](Reader* r, uint64_t* v) {
    uint8_t version = 0;
    HITO_RETURN_IF_ERROR(r->U8("version", &version));
    if (version != kStateVersion) return InvalidArgumentError("unknown version");
    return r->U64("pruned_before", v);
  });
}
Bytes EncodeState(uint64_t pruned_before) {
  return types::EncodeWith([&](Writer* w) {
    w->U8(kStateVersion);
    w->U64(pruned_before);
  });
}

// Deletes every nullifier of `epoch`, its chunk lists and its count.
Status PruneEpoch(RegistryStore* store, uint64_t epoch) {
  return PruneNullifiers(store, EpochNullifiers(epoch),
                         [epoch](const Hash32& n) { return NullifierKey(epoch, n); });
}

}  // namespace

Bytes EncodeUbiParams(const UbiParams& p) {
  return types::EncodeWith([&](Writer* w) {
    w->U8(kParamsVersion);
    w->U64(p.ubi_per_epoch);
    w->U32(p.max_claims_per_block);
  });
}

Result<UbiParams> DecodeUbiParams(ByteView bytes) {
  HITO_ASSIGN_OR_RETURN(
      UbiParams p, DecodeStateRecord<UbiParams>(bytes, "u/params", [](Reader* r, UbiParams* p) {
        uint8_t version = 0;
        HITO_RETURN_IF_ERROR(r->U8("version", &version));
        if (version != kParamsVersion) {
          return InvalidArgumentError("unknown version");
        }
        HITO_RETURN_IF_ERROR(r->U64("ubi_per_epoch", &p->ubi_per_epoch));
        return r->U32("max_claims_per_block", &p->max_claims_per_block);
      }));
  const Status valid = ValidateUbiParams(p);
  if (!valid.ok()) return DataLossError("u/params record: " + valid.message());
  return p;
}

Status ValidateUbiParams(const UbiParams& p) {
  if (p.max_claims_per_block < 1 || p.max_claims_per_block > kMaxClaimsPerBlockMax) {
    return InvalidArgumentError("ubi params: max_claims_per_block must be in 1.." +
                                std::to_string(kMaxClaimsPerBlockMax));
  }
  return Status::Ok();
}

Result<std::optional<zk::proof::membership::PreparedSet>> LoadPreparedSet(
    const RegistryStore& store, uint32_t cohort, const Hash32& set_hash) {
  using Prepared = std::optional<zk::proof::membership::PreparedSet>;
  HITO_ASSIGN_OR_RETURN(auto members, registry::SnapshotMembers(store, cohort, set_hash));
  if (!members) return Prepared();
  std::vector<zk::Point> points;
  points.reserve(members->size());
  for (const types::IdentityPoint& m : *members) {
    Result<zk::Point> p = zk::Point::Decode(m);
    if (!p.ok()) return DataLossError("r/s member is not a canonical point");
    points.push_back(*p);
  }
  Result<zk::proof::membership::PreparedSet> set =
      zk::proof::membership::PreparedSet::Create(points);
  if (!set.ok()) return DataLossError("r/s set cannot be prepared: " + set.status().message());
  if (set->hash() != set_hash) return DataLossError("r/s members do not hash to their key");
  return Prepared(*std::move(set));
}

namespace ubi {

Status InitGenesis(RegistryStore* store, const UbiParams& p) {
  HITO_RETURN_IF_ERROR(ValidateUbiParams(p));
  store->Put(KeyOf(kParamsKey), EncodeUbiParams(p));
  store->Put(KeyOf(kStateKey), EncodeState(0));
  return Status::Ok();
}

Result<std::optional<UbiParams>> ReadParams(const RegistryStore& store) {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store.Get(KeyOf(kParamsKey)));
  if (!raw) return std::optional<UbiParams>();
  HITO_ASSIGN_OR_RETURN(UbiParams p, DecodeUbiParams(*raw));
  return std::optional<UbiParams>(p);
}

void WriteParams(RegistryStore* store, const UbiParams& p) {
  store->Put(KeyOf(kParamsKey), EncodeUbiParams(p));
}

uint64_t OldestOpenEpoch(const RegistryParams& rp, uint64_t epoch) {
  return epoch + 1 >= rp.claim_window ? epoch + 1 - rp.claim_window : 0;
}

Status BeginEpoch(RegistryStore* store, const RegistryParams& rp, uint64_t epoch) {
  HITO_ASSIGN_OR_RETURN(uint64_t pruned_before, ReadPrunedBefore(*store));
  const uint64_t oldest_open = OldestOpenEpoch(rp, epoch);
  if (pruned_before >= oldest_open) return Status::Ok();
  for (uint64_t e = pruned_before; e < oldest_open; ++e) {
    HITO_RETURN_IF_ERROR(PruneEpoch(store, e));
  }
  store->Put(KeyOf(kStateKey), EncodeState(oldest_open));
  return Status::Ok();
}

Result<ClaimCheck> CheckClaim(const RegistryStore& store, std::string_view chain_id,
                              const RegistryParams& rp, uint64_t epoch, const types::Claim& claim) {
  ClaimCheck out;
  const uint64_t oldest = OldestOpenEpoch(rp, epoch);
  if (claim.epoch > epoch || claim.epoch < oldest) {
    out.refusal = Refused(TxCode::kEpochNotOpen,
                          "epoch " + std::to_string(claim.epoch) + " is not open: epochs " +
                              std::to_string(oldest) + ".." + std::to_string(epoch) + " are");
    return out;
  }
  HITO_ASSIGN_OR_RETURN(std::optional<Hash32> set_hash,
                        registry::SnapshotHash(store, claim.epoch, claim.cohort));
  if (!set_hash) {
    out.refusal = Refused(TxCode::kNoSnapshot, "cohort " + std::to_string(claim.cohort) +
                                                   " had no snapshot in epoch " +
                                                   std::to_string(claim.epoch));
    return out;
  }
  Result<zk::proof::membership::Proof> proof = zk::proof::membership::Proof::Decode(claim.proof);
  if (!proof.ok()) {
    out.refusal = Refused(TxCode::kBadProof, "claim proof: " + proof.status().message());
    return out;
  }
  const Hash32 nullifier = types::ClaimNullifier(claim);
  HITO_ASSIGN_OR_RETURN(bool used, NullifierUsed(store, claim.epoch, nullifier));
  if (used) {
    out.refusal = Refused(TxCode::kAlreadyClaimed,
                          "epoch " + std::to_string(claim.epoch) + " was claimed with nullifier " +
                              HexEncode(nullifier).substr(0, 16) + " already");
    return out;
  }
  ClaimStatement st;
  st.cohort = claim.cohort;
  st.set_hash = *set_hash;
  st.context = types::ClaimContext(claim.epoch);
  st.message = types::ClaimMessage(chain_id, claim.epoch, claim.cohort, claim.recipient);
  st.proof = *std::move(proof);
  st.nullifier = nullifier;
  out.statement = std::move(st);
  return out;
}

Result<VerifyOutcome> VerifyStatements(const RegistryStore& store, std::string_view chain_id,
                                       const std::vector<const ClaimStatement*>& statements,
                                       PreparedSets* sets, zk::proof::membership::BatchMode mode) {
  VerifyOutcome out;
  out.valid.assign(statements.size(), true);
  // Groups in a fixed order (set, cohort, context) so the work done is the same on every
  // node; within a group, statements keep their order.
  std::map<std::tuple<Hash32, uint32_t, std::string>, std::vector<size_t>> groups;
  for (size_t i = 0; i < statements.size(); ++i) {
    const ClaimStatement& s = *statements[i];
    groups[{s.set_hash, s.cohort, s.context}].push_back(i);
  }
  bool failed = false;
  for (const auto& [key, members] : groups) {
    if (failed) {  // kFirstInvalid: one failure condemns the rest unchecked
      for (size_t i : members) out.valid[i] = false;
      continue;
    }
    const auto& [set_hash, cohort, context] = key;
    HITO_ASSIGN_OR_RETURN(std::optional<zk::proof::membership::PreparedSet> set,
                          sets->Get(store, cohort, set_hash));
    if (!set) {
      return FailedPreconditionError("snapshot set " + HexEncode(set_hash).substr(0, 16) +
                                     " of cohort " + std::to_string(cohort) + " is not in state");
    }
    std::vector<ByteView> messages;
    std::vector<zk::proof::membership::Proof> proofs;
    messages.reserve(members.size());
    proofs.reserve(members.size());
    for (size_t i : members) {
      messages.emplace_back(statements[i]->message);
      proofs.push_back(statements[i]->proof);
    }
    const zk::proof::membership::BatchResult r =
        zk::proof::membership::BatchVerify(*set, chain_id, context, messages, proofs, mode);
    out.checks += r.checks;
    for (size_t bad : r.invalid) out.valid[members[bad]] = false;
    if (!r.invalid.empty() && mode == zk::proof::membership::BatchMode::kFirstInvalid) {
      failed = true;
      for (size_t j = r.invalid.front() + 1; j < members.size(); ++j) out.valid[members[j]] = false;
    }
  }
  return out;
}

Status RecordClaim(RegistryStore* store, uint64_t epoch_claimed, const Hash32& nullifier) {
  store->Put(NullifierKey(epoch_claimed, nullifier),
             types::EncodeWith([](Writer* w) { w->U8(kNullifierVersion); }));
  return AppendNullifier(store, EpochNullifiers(epoch_claimed), nullifier);
}

Result<bool> NullifierUsed(const RegistryStore& store, uint64_t epoch, const Hash32& nullifier) {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store.Get(NullifierKey(epoch, nullifier)));
  return raw.has_value();
}

Result<uint64_t> ClaimsInEpoch(const RegistryStore& store, uint64_t epoch) {
  return ListSize(store, EpochNullifiers(epoch));
}

}  // namespace ubi
}  // namespace hito::consensus::ledger
