#include "consensus/ledger/governance.h"

#include <algorithm>
#include <functional>
#include <string>
#include <utility>

#include "base/assert.h"
#include "base/checked.h"
#include "base/hex.h"
#include "consensus/ledger/nullifier_list.h"
#include "consensus/ledger/state_record.h"
#include "consensus/ledger/validators.h"
#include "consensus/types/codec.h"
#include "consensus/types/limits.h"
#include "consensus/types/vote.h"

namespace hito::consensus::ledger {
namespace {

using types::Reader;
using types::Writer;

constexpr uint8_t kParamsVersion = 1;
constexpr uint8_t kStateVersion = 1;
constexpr uint8_t kProposalVersion = 1;
constexpr uint8_t kBallotVersion = 1;
constexpr std::string_view kParamsKey = "g/params";
constexpr std::string_view kStateKey = "g/state";
constexpr std::string_view kPendingKey = "g/pending";

Bytes ProposalKey(uint64_t round, uint32_t index) {
  return KeyWith("g/p/", [&](Writer* w) {
    w->U64(round);
    w->U32(index);
  });
}
Bytes ProposalCountKey(uint64_t round) {
  return KeyWith("g/k/", [&](Writer* w) { w->U64(round); });
}
Bytes BallotKey(uint64_t round, const Hash32& nullifier) {
  return KeyWith("g/b/", [&](Writer* w) {
    w->U64(round);
    w->Fixed(nullifier);
  });
}
Bytes VoterCountKey(uint64_t round) {
  return KeyWith("g/n/", [&](Writer* w) { w->U64(round); });
}
Bytes VoterChunkKey(uint64_t round, uint32_t chunk) {
  return KeyWith("g/l/", [&](Writer* w) {
    w->U64(round);
    w->U32(chunk);
  });
}

std::string U(uint64_t v) { return std::to_string(v); }

// --- records -------------------------------------------------------------------------

Bytes EncodeRound(const RoundState& s) {
  return types::EncodeWith([&](Writer* w) {
    w->U8(kStateVersion);
    w->U64(s.round);
    w->U64(s.start_epoch);
    w->U64(s.round_epochs);
    w->U64(s.voice_credits);
    w->U64(s.live);
    w->U64(s.escrow);
  });
}

Bytes EncodeProposalRecord(const ProposalRecord& p) {
  return types::EncodeWith([&](Writer* w) {
    w->U8(kProposalVersion);
    w->Fixed(p.proposer);
    w->U64(p.deposit);
    w->VarBytes(types::EncodeAction(p.action));
    w->U64(static_cast<uint64_t>(p.tally));
    w->U64(p.ballots);
    w->U8(static_cast<uint8_t>(p.outcome));
    w->U16(static_cast<uint16_t>(p.reason));
    w->U64(p.live);
  });
}

Result<ProposalRecord> DecodeProposalRecord(ByteView bytes) {
  return DecodeStateRecord<ProposalRecord>(bytes, "g/p", [](Reader* r, ProposalRecord* p) {
    uint8_t version = 0;
    HITO_RETURN_IF_ERROR(r->U8("version", &version));
    if (version != kProposalVersion) return InvalidArgumentError("unknown version");
    HITO_RETURN_IF_ERROR(r->Fixed("proposer", &p->proposer));
    HITO_RETURN_IF_ERROR(r->U64("deposit", &p->deposit));
    Bytes action;
    HITO_RETURN_IF_ERROR(r->VarBytes("action", types::kTxMaxBytes, &action));
    Result<types::Action> a = types::DecodeAction(action);
    if (!a.ok()) return a.status();
    p->action = *std::move(a);
    uint64_t tally = 0;
    HITO_RETURN_IF_ERROR(r->U64("tally", &tally));
    p->tally = static_cast<int64_t>(tally);
    HITO_RETURN_IF_ERROR(r->U64("ballots", &p->ballots));
    uint8_t outcome = 0;
    HITO_RETURN_IF_ERROR(r->U8("outcome", &outcome));
    if (outcome > static_cast<uint8_t>(ProposalOutcome::kNotExecuted)) {
      return InvalidArgumentError("unknown outcome");
    }
    p->outcome = static_cast<ProposalOutcome>(outcome);
    uint16_t reason = 0;
    HITO_RETURN_IF_ERROR(r->U16("reason", &reason));
    p->reason = static_cast<TxCode>(reason);
    return r->U64("live", &p->live);
  });
}

struct BallotRecord {
  uint8_t revision = 0;  // replacements so far
  std::vector<types::BallotEntry> entries;
};
Bytes EncodeBallotRecord(const BallotRecord& b) {
  return types::EncodeWith([&](Writer* w) {
    w->U8(kBallotVersion);
    w->U8(b.revision);
    types::WriteBallotEntries(w, b.entries);
  });
}
Result<std::optional<BallotRecord>> ReadBallot(const RegistryStore& store, uint64_t round,
                                               const Hash32& nullifier) {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store.Get(BallotKey(round, nullifier)));
  if (!raw) return std::optional<BallotRecord>();
  HITO_ASSIGN_OR_RETURN(
      BallotRecord b, DecodeStateRecord<BallotRecord>(*raw, "g/b", [](Reader* r, BallotRecord* b) {
        uint8_t version = 0;
        HITO_RETURN_IF_ERROR(r->U8("version", &version));
        if (version != kBallotVersion) return InvalidArgumentError("version");
        HITO_RETURN_IF_ERROR(r->U8("revision", &b->revision));
        return types::ReadBallotEntries(r, "entries", &b->entries);
      }));
  return std::optional<BallotRecord>(std::move(b));
}

// The nullifiers that cast a ballot in `round`, for pruning.
NullifierList RoundVoters(uint64_t round) {
  return NullifierList{VoterCountKey(round),
                       [round](uint32_t c) { return VoterChunkKey(round, c); }, kBallotChunk,
                       "governance: g/n"};
}

Status WriteRound(RegistryStore* store, const RoundState& s) {
  store->Put(KeyOf(kStateKey), EncodeRound(s));
  return Status::Ok();
}

Result<GovernanceParams> ReadEnabledParams(const RegistryStore& store) {
  HITO_ASSIGN_OR_RETURN(std::optional<GovernanceParams> p, governance::ReadParams(store));
  if (!p) return FailedPreconditionError("governance is not enabled");
  return *p;
}

// --- parameters ----------------------------------------------------------------------

// Every parameter a proposal may change, as one value the checks work on.
struct AllParams {
  UbiParams ubi;
  RegistryParams registry;
  GovernanceParams gov;
};

Result<AllParams> ReadAll(const RegistryStore& store) {
  AllParams a;
  HITO_ASSIGN_OR_RETURN(std::optional<RegistryParams> rp, registry::ReadParams(store));
  HITO_ASSIGN_OR_RETURN(std::optional<UbiParams> up, ubi::ReadParams(store));
  HITO_ASSIGN_OR_RETURN(a.gov, ReadEnabledParams(store));
  if (!rp || !up) return DataLossError("governance: g/params without the registry or ubi");
  a.registry = *rp;
  a.ubi = *up;
  return a;
}

// Sets `change` in `a`; false (with `why`) for an unknown id, a fixed parameter or a
// value that does not fit the field.
bool SetParam(const types::ParamChange& change, AllParams* a, std::string* why) {
  auto fits_u32 = [&](uint32_t* field) {
    if (change.value > UINT32_MAX) {
      *why = "value " + U(change.value) + " does not fit in 32 bits";
      return false;
    }
    *field = static_cast<uint32_t>(change.value);
    return true;
  };
  switch (static_cast<types::ParamId>(change.param)) {
    case types::ParamId::kUbiPerEpoch:
      a->ubi.ubi_per_epoch = change.value;
      return true;
    case types::ParamId::kMaxClaimsPerBlock:
      return fits_u32(&a->ubi.max_claims_per_block);
    case types::ParamId::kMaxAttestationEpochs:
      a->registry.max_attestation_epochs = change.value;
      return true;
    case types::ParamId::kAttesterQuotaPerEpoch:
      return fits_u32(&a->registry.attester_quota_per_epoch);
    case types::ParamId::kClaimWindow:
      a->registry.claim_window = change.value;
      return true;
    case types::ParamId::kRoundEpochs:
      a->gov.round_epochs = change.value;
      return true;
    case types::ParamId::kVoiceCredits:
      a->gov.voice_credits = change.value;
      return true;
    case types::ParamId::kQuorumPpm:
      return fits_u32(&a->gov.quorum_ppm);
    case types::ParamId::kProposalDeposit:
      a->gov.proposal_deposit = change.value;
      return true;
    case types::ParamId::kMaxProposalsPerRound:
      return fits_u32(&a->gov.max_proposals_per_round);
    case types::ParamId::kDedupQuotaPerEpoch:
      return fits_u32(&a->registry.dedup_quota_per_epoch);
  }
  *why = "unknown parameter " + U(change.param);
  return false;
}

// Every range, and the cross-rule: the snapshot of a round (the current one, of length
// `current_round_epochs`, and every later one) stays in state for the whole round.
Status ValidateAll(const AllParams& a, uint64_t current_round_epochs) {
  HITO_RETURN_IF_ERROR(ValidateUbiParams(a.ubi));
  HITO_RETURN_IF_ERROR(ValidateRegistryParams(a.registry));
  HITO_RETURN_IF_ERROR(ValidateGovernanceParams(a.gov));
  const uint64_t longest = std::max(a.gov.round_epochs, current_round_epochs);
  if (longest > a.registry.claim_window) {
    return InvalidArgumentError("round_epochs (" + U(longest) +
                                " for this or the next round) must be at most claim_window (" +
                                U(a.registry.claim_window) + ")");
  }
  return Status::Ok();
}

void WriteAll(RegistryStore* store, const AllParams& before, const AllParams& after) {
  if (!(after.ubi == before.ubi)) ubi::WriteParams(store, after.ubi);
  if (!(after.registry == before.registry)) registry::WriteParams(store, after.registry);
  if (!(after.gov == before.gov)) store->Put(KeyOf(kParamsKey), EncodeGovernanceParams(after.gov));
}

struct Pending {
  uint64_t epoch = 0;
  std::vector<types::ParamChange> changes;
};
Result<Pending> ReadPending(const RegistryStore& store) {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store.Get(KeyOf(kPendingKey)));
  if (!raw) return Pending{};
  return DecodeStateRecord<Pending>(*raw, "g/pending", [](Reader* r, Pending* p) {
    HITO_RETURN_IF_ERROR(r->U64("epoch", &p->epoch));
    uint32_t n = 0;
    HITO_RETURN_IF_ERROR(r->Count("changes", kMaxProposalsPerRoundMax, 10, &n));
    p->changes.resize(n);
    for (types::ParamChange& c : p->changes) {
      HITO_RETURN_IF_ERROR(r->U16("param", &c.param));
      HITO_RETURN_IF_ERROR(r->U64("value", &c.value));
    }
    return Status::Ok();
  });
}
Bytes EncodePending(const Pending& p) {
  return types::EncodeWith([&](Writer* w) {
    w->U64(p.epoch);
    w->U32(static_cast<uint32_t>(p.changes.size()));
    for (const types::ParamChange& c : p.changes) {
      w->U16(c.param);
      w->U64(c.value);
    }
  });
}

// The parameters in force with the queued changes applied (those still valid), in order.
Result<AllParams> WithPending(const RegistryStore& store, const AllParams& now,
                              uint64_t round_epochs) {
  HITO_ASSIGN_OR_RETURN(Pending pending, ReadPending(store));
  AllParams a = now;
  for (const types::ParamChange& c : pending.changes) {
    AllParams next = a;
    std::string why;
    if (SetParam(c, &next, &why) && ValidateAll(next, round_epochs).ok()) a = next;
  }
  return a;
}

// --- actions -------------------------------------------------------------------------

TxResult Invalid(std::string why) { return Refused(TxCode::kProposalInvalid, std::move(why)); }

// The signer of recorded evidence `hash` (nullopt: no such record).
Result<std::optional<Ed25519PublicKey>> EvidenceSigner(const RegistryStore& store,
                                                       const Hash32& hash) {
  Bytes key(kEvidencePrefix.begin(), kEvidencePrefix.end());
  key.insert(key.end(), hash.begin(), hash.end());
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store.Get(key));
  if (!raw) return std::optional<Ed25519PublicKey>();
  if (raw->size() < 8) return DataLossError("e/ record shorter than its height");
  const ByteView body(raw->data() + 8, raw->size() - 8);
  if (Result<types::DuplicateVoteEvidence> e = types::DecodeEvidence(body); e.ok()) {
    return std::optional<Ed25519PublicKey>(e->a.validator);
  }
  if (Result<types::ConflictingProposalEvidence> e = types::DecodeProposalEvidence(body); e.ok()) {
    return std::optional<Ed25519PublicKey>(e->a.proposer);
  }
  return DataLossError("e/ record holds no evidence");
}

// Applies a validator action to `set`; a refusal says why it does not apply.
Result<TxResult> ApplyValidatorAction(const RegistryStore& store, const types::Action& action,
                                      types::ValidatorSet* set) {
  std::vector<types::Validator> vs = set->validators();
  auto find = [&](const Ed25519PublicKey& k) {
    return std::find_if(vs.begin(), vs.end(),
                        [&](const types::Validator& v) { return v.public_key == k; });
  };
  if (const auto* add = std::get_if<types::AddValidator>(&action)) {
    if (find(add->validator) != vs.end()) return Invalid("validator is in the set already");
    vs.push_back(types::Validator{add->validator, add->power});
  } else if (const auto* pw = std::get_if<types::ValidatorPower>(&action)) {
    auto it = find(pw->validator);
    if (it == vs.end()) return Invalid("validator is not in the set");
    if (it->power == pw->power) return Invalid("validator has that power already");
    it->power = pw->power;
  } else {
    Ed25519PublicKey key{};
    if (const auto* rm = std::get_if<types::RemoveValidator>(&action)) {
      key = rm->validator;
    } else {
      const auto& ev = std::get<types::EvidenceRemoval>(action);
      HITO_ASSIGN_OR_RETURN(std::optional<Ed25519PublicKey> signer,
                            EvidenceSigner(store, ev.evidence));
      if (!signer)
        return Invalid("no evidence " + HexEncode(ev.evidence).substr(0, 16) + " recorded");
      key = *signer;
    }
    auto it = find(key);
    if (it == vs.end()) return Invalid("validator is not in the set");
    vs.erase(it);
    if (vs.empty()) return Invalid("the set would be empty");
  }
  Result<types::ValidatorSet> next = types::ValidatorSet::Create(std::move(vs));
  if (!next.ok()) return Invalid("resulting set: " + next.status().message());
  *set = *std::move(next);
  return TxResult{};
}

bool IsValidatorAction(const types::Action& a) {
  return std::holds_alternative<types::AddValidator>(a) ||
         std::holds_alternative<types::RemoveValidator>(a) ||
         std::holds_alternative<types::ValidatorPower>(a) ||
         std::holds_alternative<types::EvidenceRemoval>(a);
}

// The set that rules `height` + D in `store` (nullopt: a chain without a schedule, or one
// whose schedule has no room for another entry, so a change could not be scheduled).
Result<std::optional<types::ValidatorSet>> SetAfterDelay(const RegistryStore& store,
                                                         uint64_t height) {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store.Get(KeyOf(kValidatorSetsKey)));
  if (!raw) return std::optional<types::ValidatorSet>();
  HITO_ASSIGN_OR_RETURN(ValidatorSchedule schedule, DecodeValidatorSchedule(*raw));
  if (schedule.entries().size() + 1 >= kValidatorScheduleMax) {
    return std::optional<types::ValidatorSet>();
  }
  const types::ValidatorSet* set = schedule.SetAt(height + kValidatorChangeDelay);
  if (set == nullptr) return DataLossError("v/sets covers no later height");
  return std::optional<types::ValidatorSet>(*set);
}

// Whether `action` applies to the state now. `validators` is the working set validator
// actions apply to (nullopt: the chain has none); `params` the parameters the change is
// judged against. Changes nothing in `store`.
Result<TxResult> CheckAction(const RegistryStore& store, const types::Action& action,
                             const AllParams& params, uint64_t round_epochs,
                             const std::optional<types::ValidatorSet>& validators) {
  if (const auto* p = std::get_if<types::ParamChange>(&action)) {
    AllParams next = params;
    std::string why;
    if (!SetParam(*p, &next, &why)) return Invalid(why);
    const Status valid = ValidateAll(next, round_epochs);
    if (!valid.ok()) return Invalid(valid.message());
    return TxResult{};
  }
  if (const auto* a = std::get_if<types::AddAttester>(&action)) {
    HITO_ASSIGN_OR_RETURN(bool is, registry::IsAttester(store, a->attester));
    if (is) return Invalid("attester " + HexEncode(a->attester).substr(0, 16) + " is accredited");
    return TxResult{};
  }
  if (const auto* a = std::get_if<types::RemoveAttester>(&action)) {
    HITO_ASSIGN_OR_RETURN(bool is, registry::IsAttester(store, a->attester));
    if (!is) {
      return Invalid("attester " + HexEncode(a->attester).substr(0, 16) + " is not accredited");
    }
    return TxResult{};
  }
  if (IsValidatorAction(action)) {
    if (!validators) return Invalid("this chain has no validator schedule, or no room in it");
    types::ValidatorSet copy = *validators;
    return ApplyValidatorAction(store, action, &copy);
  }
  if (const auto* rv = std::get_if<types::RevokeIdentity>(&action)) {
    HITO_ASSIGN_OR_RETURN(std::optional<Identity> id, registry::FindIdentity(store, rv->identity));
    if (!id) return Invalid("no identity with this point");
    if (id->status != IdentityStatus::kLive) {
      return Invalid("identity " + U(id->index) + " is not live");
    }
    return TxResult{};
  }
  return TxResult{};  // text
}

// --- rounds --------------------------------------------------------------------------

Status PruneBallots(RegistryStore* store, uint64_t round) {
  return PruneNullifiers(store, RoundVoters(round),
                         [round](const Hash32& n) { return BallotKey(round, n); });
}

bool QuorumReached(uint64_t ballots, uint64_t live, uint32_t quorum_ppm) {
  if (live == 0) return false;
  using U128 = unsigned __int128;
  return U128{ballots} * kQuorumPpmMax >= U128{quorum_ppm} * live;
}

// Executes passed proposal `rec` (index order), or says why it cannot be.
Result<TxResult> Execute(RegistryStore* store, const ProposalRecord& rec, uint64_t epoch,
                         uint64_t next_round_epochs,
                         std::optional<types::ValidatorSet>* validators) {
  HITO_ASSIGN_OR_RETURN(AllParams now, ReadAll(*store));
  HITO_ASSIGN_OR_RETURN(AllParams queued, WithPending(*store, now, next_round_epochs));
  HITO_ASSIGN_OR_RETURN(TxResult ok,
                        CheckAction(*store, rec.action, queued, next_round_epochs, *validators));
  if (!ok.ok()) return ok;
  if (const auto* p = std::get_if<types::ParamChange>(&rec.action)) {
    HITO_ASSIGN_OR_RETURN(Pending pending, ReadPending(*store));
    pending.epoch = epoch + 1;
    pending.changes.push_back(*p);
    store->Put(KeyOf(kPendingKey), EncodePending(pending));
  } else if (const auto* a = std::get_if<types::AddAttester>(&rec.action)) {
    HITO_RETURN_IF_ERROR(registry::AddAttester(store, a->attester));
  } else if (const auto* r = std::get_if<types::RemoveAttester>(&rec.action)) {
    HITO_RETURN_IF_ERROR(registry::RemoveAttester(store, r->attester));
  } else if (IsValidatorAction(rec.action)) {
    HITO_ASSIGN_OR_RETURN(TxResult applied,
                          ApplyValidatorAction(*store, rec.action, &**validators));
    HITO_ASSERT(applied.ok());  // CheckAction ran the same rules on a copy
  } else if (const auto* rv = std::get_if<types::RevokeIdentity>(&rec.action)) {
    HITO_RETURN_IF_ERROR(registry::RevokeIdentity(store, now.registry, rv->identity));
  }
  return TxResult{};
}

using governance::ProposalClosed;
using governance::Refund;
using governance::RoundClose;

// When executed action `action` takes effect (ProposalClosed): a parameter change at the
// epoch it is queued for, validator changes at height + kValidatorChangeDelay, attesters
// and revocations at once, text never.
void SetEffect(const types::Action& action, uint64_t height, uint64_t epoch,
               ProposalClosed* closed) {
  if (std::holds_alternative<types::ParamChange>(action)) {
    closed->from_epoch = epoch + 1;
  } else if (IsValidatorAction(action)) {
    closed->from_height = height + kValidatorChangeDelay;
  } else if (!std::holds_alternative<types::TextProposal>(action)) {
    closed->from_height = height;
  }
}

// Decides proposal `voted`/`index` at the close of `round` (which it debits the deposit
// from), executes it if it passed, and records it in `out` (its refund too).
Status CloseProposal(RegistryStore* store, uint64_t height, uint64_t epoch,
                     const GovernanceParams& gp, uint64_t voted, uint32_t index, RoundState* round,
                     RoundClose* out) {
  HITO_ASSIGN_OR_RETURN(std::optional<ProposalRecord> rec,
                        governance::GetProposal(*store, voted, index));
  if (!rec) return DataLossError("governance: proposal " + U(voted) + "/" + U(index) + " missing");
  const bool quorum = QuorumReached(rec->ballots, round->live, gp.quorum_ppm);
  if (round->escrow < rec->deposit) return DataLossError("governance: escrow below a deposit");
  round->escrow -= rec->deposit;
  ProposalClosed closed;
  closed.round = voted;
  closed.index = index;
  if (quorum && rec->deposit != 0) {
    out->refunds.push_back(Refund{rec->proposer, rec->deposit, out->closed.size()});
  }
  rec->live = round->live;
  if (!quorum) {
    rec->outcome = ProposalOutcome::kNoQuorum;
  } else if (rec->tally <= 0) {
    rec->outcome = ProposalOutcome::kRejected;
  } else {
    HITO_ASSIGN_OR_RETURN(TxResult r,
                          Execute(store, *rec, epoch, gp.round_epochs, &out->next_validators));
    rec->outcome = r.ok() ? ProposalOutcome::kExecuted : ProposalOutcome::kNotExecuted;
    rec->reason = r.code;
    closed.why = r.ok() ? "" : r.message;
    if (r.ok()) SetEffect(rec->action, height, epoch, &closed);
  }
  store->Put(ProposalKey(voted, index), EncodeProposalRecord(*rec));
  closed.record = *std::move(rec);
  out->closed.push_back(std::move(closed));
  return Status::Ok();
}

// Closes round `round` (>= 1): decides, in index order, the proposals of the round before
// it, which were voted in it.
Status CloseVotedRound(RegistryStore* store, uint64_t height, uint64_t epoch,
                       const GovernanceParams& gp, RoundState* round, RoundClose* out) {
  HITO_ASSERT(round->round >= 1);
  const uint64_t voted = round->round - 1;
  HITO_ASSIGN_OR_RETURN(const uint32_t count, governance::ProposalsInRound(*store, voted));
  HITO_ASSIGN_OR_RETURN(out->next_validators, SetAfterDelay(*store, height));
  const std::optional<types::ValidatorSet> before = out->next_validators;
  for (uint32_t i = 0; i < count; ++i) {
    HITO_RETURN_IF_ERROR(CloseProposal(store, height, epoch, gp, voted, i, round, out));
  }
  if (out->next_validators == before) out->next_validators.reset();
  HITO_ASSERT(out->closed.size() == count);
  return Status::Ok();
}

}  // namespace

Bytes EncodeGovernanceParams(const GovernanceParams& p) {
  return types::EncodeWith([&](Writer* w) {
    w->U8(kParamsVersion);
    w->U64(p.round_epochs);
    w->U64(p.voice_credits);
    w->U32(p.quorum_ppm);
    w->U64(p.proposal_deposit);
    w->U32(p.max_proposals_per_round);
  });
}

Result<GovernanceParams> DecodeGovernanceParams(ByteView bytes) {
  HITO_ASSIGN_OR_RETURN(
      GovernanceParams p,
      DecodeStateRecord<GovernanceParams>(bytes, "g/params", [](Reader* r, GovernanceParams* p) {
        uint8_t version = 0;
        HITO_RETURN_IF_ERROR(r->U8("version", &version));
        if (version != kParamsVersion) {
          return InvalidArgumentError("unknown version");
        }
        HITO_RETURN_IF_ERROR(r->U64("round_epochs", &p->round_epochs));
        HITO_RETURN_IF_ERROR(r->U64("voice_credits", &p->voice_credits));
        HITO_RETURN_IF_ERROR(r->U32("quorum_ppm", &p->quorum_ppm));
        HITO_RETURN_IF_ERROR(r->U64("proposal_deposit", &p->proposal_deposit));
        return r->U32("max_proposals_per_round", &p->max_proposals_per_round);
      }));
  const Status valid = ValidateGovernanceParams(p);
  if (!valid.ok()) return DataLossError("g/params record: " + valid.message());
  return p;
}

Status ValidateGovernanceParams(const GovernanceParams& p) {
  auto bad = [](std::string_view what, uint64_t lo, uint64_t hi) {
    return InvalidArgumentError("governance params: " + std::string(what) + " must be in " + U(lo) +
                                ".." + U(hi));
  };
  if (p.round_epochs < 1 || p.round_epochs > kRoundEpochsMax) {
    return bad("round_epochs", 1, kRoundEpochsMax);
  }
  if (p.voice_credits < 1 || p.voice_credits > kVoiceCreditsMax) {
    return bad("voice_credits", 1, kVoiceCreditsMax);
  }
  if (p.quorum_ppm < 1 || p.quorum_ppm > kQuorumPpmMax) return bad("quorum_ppm", 1, kQuorumPpmMax);
  if (p.proposal_deposit > kProposalDepositMax) {
    return bad("proposal_deposit", 0, kProposalDepositMax);
  }
  if (p.max_proposals_per_round < 1 || p.max_proposals_per_round > kMaxProposalsPerRoundMax) {
    return bad("max_proposals_per_round", 1, kMaxProposalsPerRoundMax);
  }
  return Status::Ok();
}

namespace governance {

Status InitGenesis(RegistryStore* store, const GovernanceParams& p, const RegistryParams& rp) {
  HITO_RETURN_IF_ERROR(ValidateGovernanceParams(p));
  if (p.round_epochs > rp.claim_window) {
    return InvalidArgumentError("governance params: round_epochs (" + U(p.round_epochs) +
                                ") must be at most claim_window (" + U(rp.claim_window) + ")");
  }
  store->Put(KeyOf(kParamsKey), EncodeGovernanceParams(p));
  RoundState s;
  s.round_epochs = p.round_epochs;
  s.voice_credits = p.voice_credits;
  HITO_ASSIGN_OR_RETURN(s.live, LiveIdentities(*store));
  return WriteRound(store, s);
}

Result<std::optional<GovernanceParams>> ReadParams(const RegistryStore& store) {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store.Get(KeyOf(kParamsKey)));
  if (!raw) return std::optional<GovernanceParams>();
  HITO_ASSIGN_OR_RETURN(GovernanceParams p, DecodeGovernanceParams(*raw));
  return std::optional<GovernanceParams>(p);
}

Result<RoundState> ReadRound(const RegistryStore& store) {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store.Get(KeyOf(kStateKey)));
  if (!raw) return DataLossError("governance: g/params without g/state");
  return DecodeStateRecord<RoundState>(*raw, "g/state", [](Reader* r, RoundState* s) {
    uint8_t version = 0;
    HITO_RETURN_IF_ERROR(r->U8("version", &version));
    if (version != kStateVersion) return InvalidArgumentError("unknown version");
    HITO_RETURN_IF_ERROR(r->U64("round", &s->round));
    HITO_RETURN_IF_ERROR(r->U64("start_epoch", &s->start_epoch));
    HITO_RETURN_IF_ERROR(r->U64("round_epochs", &s->round_epochs));
    HITO_RETURN_IF_ERROR(r->U64("voice_credits", &s->voice_credits));
    HITO_RETURN_IF_ERROR(r->U64("live", &s->live));
    return r->U64("escrow", &s->escrow);
  });
}

Result<uint64_t> LiveIdentities(const RegistryStore& store) {
  HITO_ASSIGN_OR_RETURN(const uint64_t size, registry::Size(store));
  uint64_t live = 0;
  for (uint64_t i = 0; i < size; ++i) {
    HITO_ASSIGN_OR_RETURN(std::optional<Identity> id, registry::IdentityAt(store, i));
    if (!id) return DataLossError("governance: identity " + U(i) + " missing");
    if (id->status == IdentityStatus::kLive) ++live;
  }
  return live;
}

Result<std::vector<ParamChangeApplied>> ApplyPendingParams(RegistryStore* store, uint64_t epoch) {
  std::vector<ParamChangeApplied> out;
  HITO_ASSIGN_OR_RETURN(Pending pending, ReadPending(*store));
  if (pending.changes.empty() || pending.epoch != epoch) return out;
  HITO_ASSIGN_OR_RETURN(const RoundState round, ReadRound(*store));
  HITO_ASSIGN_OR_RETURN(const AllParams before, ReadAll(*store));
  AllParams a = before;
  for (const types::ParamChange& c : pending.changes) {
    AllParams next = a;
    ParamChangeApplied report{c, false, ""};
    if (SetParam(c, &next, &report.why)) {
      const Status valid = ValidateAll(next, round.round_epochs);
      report.applied = valid.ok();
      if (report.applied) a = next;
      report.why = valid.ok() ? "" : valid.message();
    }
    out.push_back(std::move(report));
  }
  WriteAll(store, before, a);
  store->Delete(KeyOf(kPendingKey));
  return out;
}

Result<RoundClose> BeginEpoch(RegistryStore* store, uint64_t height, uint64_t epoch) {
  RoundClose out;
  HITO_ASSIGN_OR_RETURN(RoundState round, ReadRound(*store));
  const std::optional<uint64_t> end = CheckedAdd(round.start_epoch, round.round_epochs);
  if (!end || epoch < *end) return out;
  HITO_ASSIGN_OR_RETURN(const GovernanceParams gp, ReadEnabledParams(*store));
  // Close round V: the proposals of V - 1 were voted in it.
  if (round.round >= 1) {
    HITO_RETURN_IF_ERROR(CloseVotedRound(store, height, epoch, gp, &round, &out));
  }
  HITO_RETURN_IF_ERROR(PruneBallots(store, round.round));
  // Open round V + 1 on the snapshot frozen at this epoch (the registry's epoch work ran).
  RoundState next;
  next.round = round.round + 1;
  next.start_epoch = epoch;
  next.round_epochs = gp.round_epochs;
  next.voice_credits = gp.voice_credits;
  next.escrow = round.escrow;
  HITO_ASSIGN_OR_RETURN(next.live, LiveIdentities(*store));
  HITO_RETURN_IF_ERROR(WriteRound(store, next));
  HITO_ASSIGN_OR_RETURN(const uint32_t voted_next, ProposalsInRound(*store, round.round));
  out.opened = RoundOpened{next, voted_next};
  return out;
}

Result<TxResult> CheckProposal(const RegistryStore& store, uint64_t height,
                               const types::Action& action) {
  HITO_ASSIGN_OR_RETURN(const RoundState round, ReadRound(store));
  HITO_ASSIGN_OR_RETURN(const AllParams params, ReadAll(store));
  HITO_ASSIGN_OR_RETURN(const uint32_t count, ProposalsInRound(store, round.round));
  if (count >= params.gov.max_proposals_per_round) {
    return Refused(TxCode::kProposalsPerRound, "round " + U(round.round) + " holds " + U(count) +
                                                   " proposals, the most it may");
  }
  std::optional<types::ValidatorSet> validators;
  if (IsValidatorAction(action)) {
    HITO_ASSIGN_OR_RETURN(validators, SetAfterDelay(store, height));
  }
  return CheckAction(store, action, params, round.round_epochs, validators);
}

Status RecordProposal(RegistryStore* store, const types::AccountId& proposer, uint64_t deposit,
                      const types::Action& action) {
  HITO_ASSIGN_OR_RETURN(RoundState round, ReadRound(*store));
  HITO_ASSIGN_OR_RETURN(const uint32_t count, ProposalsInRound(*store, round.round));
  ProposalRecord rec;
  rec.proposer = proposer;
  rec.deposit = deposit;
  rec.action = action;
  store->Put(ProposalKey(round.round, count), EncodeProposalRecord(rec));
  store->Put(ProposalCountKey(round.round),
             types::EncodeWith([&](Writer* w) { w->U32(count + 1); }));
  const std::optional<uint64_t> escrow = CheckedAdd(round.escrow, deposit);
  if (!escrow) return DataLossError("governance: escrow overflows");
  round.escrow = *escrow;
  return WriteRound(store, round);
}

Result<BallotCheck> CheckBallot(const RegistryStore& store, std::string_view chain_id,
                                const types::Ballot& ballot) {
  BallotCheck out;
  HITO_ASSIGN_OR_RETURN(const RoundState round, ReadRound(store));
  if (ballot.round != round.round) {
    out.refusal = Refused(
        TxCode::kRoundNotOpen,
        "round " + U(ballot.round) + " is not open to ballots: round " + U(round.round) + " is");
    return out;
  }
  HITO_ASSIGN_OR_RETURN(std::optional<Hash32> set_hash,
                        registry::SnapshotHash(store, round.start_epoch, ballot.cohort));
  if (!set_hash) {
    out.refusal =
        Refused(TxCode::kNoSnapshot,
                "cohort " + U(ballot.cohort) + " had no snapshot in epoch " + U(round.start_epoch));
    return out;
  }
  uint32_t count = 0;  // round 0 votes on nothing
  if (round.round >= 1) {
    HITO_ASSIGN_OR_RETURN(count, ProposalsInRound(store, round.round - 1));
  }
  // Rule 5: every entry names a proposal being voted on.
  if (ballot.entries.back().index >= count) {
    out.refusal = Refused(TxCode::kBallotInvalid,
                          "entry for proposal " + U(ballot.entries.back().index) + ": round " +
                              U(round.round) + " votes on " + U(count) + " proposals");
    return out;
  }
  // Rule 6: sum(v^2) <= credits, without overflow. |v| as an unsigned magnitude (2^63 for
  // the most negative value); |v| >= 2^32 squares past every budget (credits <= 2^32).
  uint64_t spent = 0;
  for (const types::BallotEntry& e : ballot.entries) {
    const uint64_t mag =
        e.vote < 0 ? uint64_t{0} - static_cast<uint64_t>(e.vote) : static_cast<uint64_t>(e.vote);
    std::optional<uint64_t> sq = mag < (uint64_t{1} << 32) ? CheckedMul(mag, mag) : std::nullopt;
    std::optional<uint64_t> sum = sq ? CheckedAdd(spent, *sq) : std::nullopt;
    if (!sum || *sum > round.voice_credits) {
      out.refusal =
          Refused(TxCode::kBallotOverBudget, "the votes' squares exceed the round's " +
                                                 U(round.voice_credits) + " voice credits");
      return out;
    }
    spent = *sum;
  }
  Result<zk::proof::membership::Proof> proof = zk::proof::membership::Proof::Decode(ballot.proof);
  if (!proof.ok()) {
    out.refusal = Refused(TxCode::kBadProof, "ballot proof: " + proof.status().message());
    return out;
  }
  const Hash32 nullifier = types::BallotNullifier(ballot);
  HITO_ASSIGN_OR_RETURN(std::optional<BallotRecord> prior,
                        ReadBallot(store, round.round, nullifier));
  if (prior && prior->revision + 1 >= kBallotRevisionsMax) {
    out.refusal = Refused(TxCode::kBallotRevisions,
                          "nullifier " + HexEncode(nullifier).substr(0, 16) + " cast " +
                              U(kBallotRevisionsMax) + " ballots in round " + U(round.round));
    return out;
  }
  ubi::MembershipStatement st;
  st.cohort = ballot.cohort;
  st.set_hash = *set_hash;
  st.context = types::BallotContext(round.round);
  st.message = types::BallotMessage(chain_id, round.round, ballot.cohort, ballot.entries);
  st.proof = *std::move(proof);
  st.nullifier = nullifier;
  out.statement = std::move(st);
  return out;
}

Status RecordBallot(RegistryStore* store, const types::Ballot& ballot, const Hash32& nullifier) {
  const uint64_t round = ballot.round;
  HITO_ASSIGN_OR_RETURN(std::optional<BallotRecord> prior, ReadBallot(*store, round, nullifier));
  HITO_ASSERT(round >= 1);  // CheckBallot: round 0 has no proposals to vote on
  auto add = [&](const types::BallotEntry& e, int sign) -> Status {
    const Bytes key = ProposalKey(round - 1, e.index);
    HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store->Get(key));
    if (!raw) return DataLossError("governance: ballot for a missing proposal");
    HITO_ASSIGN_OR_RETURN(ProposalRecord rec, DecodeProposalRecord(*raw));
    const std::optional<int64_t> tally =
        sign > 0 ? CheckedAdd(rec.tally, e.vote) : CheckedSub(rec.tally, e.vote);
    const std::optional<uint64_t> ballots =
        sign > 0 ? CheckedAdd(rec.ballots, uint64_t{1}) : CheckedSub(rec.ballots, uint64_t{1});
    if (!tally || !ballots) return DataLossError("governance: tally out of range");
    rec.tally = *tally;
    rec.ballots = *ballots;
    store->Put(key, EncodeProposalRecord(rec));
    return Status::Ok();
  };
  BallotRecord next;
  next.entries = ballot.entries;
  if (prior) {
    for (const types::BallotEntry& e : prior->entries) HITO_RETURN_IF_ERROR(add(e, -1));
    next.revision = static_cast<uint8_t>(prior->revision + 1);
  } else {
    HITO_RETURN_IF_ERROR(AppendNullifier(store, RoundVoters(round), nullifier));
  }
  for (const types::BallotEntry& e : ballot.entries) HITO_RETURN_IF_ERROR(add(e, +1));
  store->Put(BallotKey(round, nullifier), EncodeBallotRecord(next));
  return Status::Ok();
}

Result<std::optional<ProposalRecord>> GetProposal(const RegistryStore& store, uint64_t round,
                                                  uint32_t index) {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store.Get(ProposalKey(round, index)));
  if (!raw) return std::optional<ProposalRecord>();
  HITO_ASSIGN_OR_RETURN(ProposalRecord rec, DecodeProposalRecord(*raw));
  return std::optional<ProposalRecord>(std::move(rec));
}

Result<uint32_t> ProposalsInRound(const RegistryStore& store, uint64_t round) {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store.Get(ProposalCountKey(round)));
  if (!raw) return uint32_t{0};
  return DecodeStateRecord<uint32_t>(*raw, "g/k",
                                     [](Reader* r, uint32_t* v) { return r->U32("count", v); });
}

Result<std::optional<std::vector<types::BallotEntry>>> GetBallot(const RegistryStore& store,
                                                                 uint64_t round,
                                                                 const Hash32& nullifier) {
  using Out = std::optional<std::vector<types::BallotEntry>>;
  HITO_ASSIGN_OR_RETURN(std::optional<BallotRecord> b, ReadBallot(store, round, nullifier));
  if (!b) return Out();
  return Out(std::move(b->entries));
}

Result<uint64_t> VotersInRound(const RegistryStore& store, uint64_t round) {
  return ListSize(store, RoundVoters(round));
}

}  // namespace governance
}  // namespace hito::consensus::ledger
