#include "node/chain/block_events.h"

#include <set>
#include <variant>

#include "base/assert.h"
#include "consensus/ledger/ledger.h"
#include "consensus/ledger/registry.h"
#include "consensus/types/codec.h"
#include "consensus/types/governance.h"

namespace hito::node::chain {
namespace {

namespace ledger = consensus::ledger;
namespace types = consensus::types;

constexpr uint8_t kEventsVersionV1 = 1;  // kinds 1..3, every field of every kind; read only
constexpr uint8_t kEventsVersion = 2;
// A block holds at most kBlockMaxTxs transactions, each with at most one event, and its
// start at most a round's proposals times two, its queued changes and one round.
constexpr uint32_t kMaxEvents = 1u << 20;

// The state after the block: its writes over the state before it.
class AfterBlock final : public ledger::KvReader {
 public:
  AfterBlock(const ledger::KvReader& before, const ledger::ChangeSet& changes)
      : before_(before), changes_(changes) {}
  Status Get(ByteView key, std::optional<Bytes>* value) const override {
    if (std::optional<std::optional<ByteView>> w = changes_.Find(key)) {
      *value = *w ? std::optional<Bytes>(ToBytes(**w)) : std::nullopt;
      return Status::Ok();
    }
    return before_.Get(key, value);
  }

 private:
  const ledger::KvReader& before_;
  const ledger::ChangeSet& changes_;
};

// Registrations, revocations and claims have events; transfers and ballots do not
// (a ballot's effect is its proposals' tallies), proposals have their own.
bool IsPersonhood(const types::Transaction& tx) {
  return std::holds_alternative<types::Registration>(tx.body) ||
         std::holds_alternative<types::Revocation>(tx.body) ||
         std::holds_alternative<types::Claim>(tx.body);
}
bool IsProposal(const types::Transaction& tx) {
  return std::holds_alternative<types::GovernanceProposal>(tx.body);
}

std::string Bounded(std::string why) {
  if (why.size() > kEventWhyMaxBytes) why.resize(kEventWhyMaxBytes);
  return why;
}

// The block-start events of `g`, in the order the ledger did the work.
std::vector<BlockEvent> BlockStartEvents(const ledger::GovernanceBlockStart& g, uint64_t epoch) {
  std::vector<BlockEvent> out;
  for (const ledger::governance::ParamChangeApplied& p : g.params) {
    BlockEvent e;
    e.kind = BlockEvent::Kind::kParamChange;
    e.epoch = epoch;
    e.param = p.change.param;
    e.value = p.change.value;
    e.applied = p.applied;
    e.why = Bounded(p.why);
    out.push_back(std::move(e));
  }
  for (const ledger::governance::ProposalClosed& c : g.closed) {
    BlockEvent e;
    e.kind = BlockEvent::Kind::kProposalDecided;
    e.round = c.round;
    e.proposal = c.index;
    e.outcome = c.record.outcome;
    e.tally = c.record.tally;
    e.ballots = c.record.ballots;
    e.live = c.record.live;
    e.deposit = c.record.deposit;
    e.refunded = c.refunded;
    out.push_back(e);
    const bool passed = c.record.outcome == ledger::ProposalOutcome::kExecuted ||
                        c.record.outcome == ledger::ProposalOutcome::kNotExecuted;
    if (!passed) continue;
    BlockEvent x;
    x.kind = BlockEvent::Kind::kProposalExecuted;
    x.round = c.round;
    x.proposal = c.index;
    x.action_tag = static_cast<uint8_t>(types::ActionTagOf(c.record.action));
    x.executed = c.record.outcome == ledger::ProposalOutcome::kExecuted;
    x.reason = c.record.reason;
    x.why = Bounded(c.why);
    x.from_epoch = c.from_epoch;
    x.from_height = c.from_height;
    out.push_back(std::move(x));
  }
  if (g.opened) {
    BlockEvent e;
    e.kind = BlockEvent::Kind::kRoundOpened;
    e.round = g.opened->state.round;
    e.epoch = g.opened->state.start_epoch;
    e.round_epochs = g.opened->state.round_epochs;
    e.voice_credits = g.opened->state.voice_credits;
    e.live = g.opened->state.live;
    e.proposals = g.opened->proposals;
    out.push_back(e);
  }
  return out;
}

// The identity of `point` after the block; every executed registration or revocation
// leaves one.
Result<ledger::Identity> IdentityAfter(const ledger::RegistryStore& after,
                                       const types::IdentityPoint& point) {
  HITO_ASSIGN_OR_RETURN(std::optional<ledger::Identity> id,
                        ledger::registry::FindIdentity(after, point));
  if (!id) return InternalError("block events: an executed transaction names an unknown identity");
  return *std::move(id);
}

struct Context {
  const ledger::RegistryStore* before;
  const ledger::RegistryStore* after;
  std::optional<ledger::RegistryParams> rp;  // nullopt: no registry (and no personhood tx)
  uint64_t ubi_per_epoch = 0;
  std::set<types::IdentityPoint> registered;  // points registered earlier in this block
  uint64_t round = 0;                         // the round the block's proposals were submitted in
  uint32_t next_proposal = 0;                 // the index the next accepted proposal got
};

Result<BlockEvent> RegistrationEvent(Context* c, const types::Registration& reg) {
  const types::Attestation& a = reg.attestation;
  BlockEvent e;
  e.kind = BlockEvent::Kind::kRegistration;
  e.identity = a.identity;
  HITO_ASSIGN_OR_RETURN(std::optional<ledger::Identity> prior,
                        ledger::registry::FindIdentity(*c->before, a.identity));
  // An executed registration of a point that exists is a renewal (personhood.md, rule 11).
  e.renewal = prior.has_value() || c->registered.contains(a.identity);
  c->registered.insert(a.identity);
  HITO_ASSIGN_OR_RETURN(ledger::Identity id, IdentityAfter(*c->after, a.identity));
  e.index = id.index;
  e.cohort = ledger::registry::CohortOf(*c->rp, id.index);
  e.expiry_epoch = a.expiry_epoch;
  e.first_claim_epoch = id.registered_epoch + 1;
  return e;
}

Result<BlockEvent> EventOf(Context* c, const types::Transaction& tx) {
  if (const auto* p = std::get_if<types::GovernanceProposal>(&tx.body)) {
    BlockEvent e;
    e.kind = BlockEvent::Kind::kProposalSubmitted;
    e.round = c->round;
    e.proposal = c->next_proposal++;
    e.proposer = types::AccountIdFromPublicKey(p->sender);
    e.action_tag = static_cast<uint8_t>(types::ActionTagOf(p->action));
    e.deposit = p->deposit;
    return e;
  }
  if (const auto* reg = std::get_if<types::Registration>(&tx.body)) {
    return RegistrationEvent(c, *reg);
  }
  BlockEvent e;
  if (const auto* rev = std::get_if<types::Revocation>(&tx.body)) {
    e.kind = BlockEvent::Kind::kRevocation;
    e.identity = rev->identity;
    HITO_ASSIGN_OR_RETURN(ledger::Identity id, IdentityAfter(*c->after, rev->identity));
    e.index = id.index;
    return e;
  }
  const auto& claim = std::get<types::Claim>(tx.body);
  e.kind = BlockEvent::Kind::kClaim;
  e.epoch = claim.epoch;
  e.cohort = claim.cohort;
  e.nullifier = types::ClaimNullifier(claim);
  e.recipient = claim.recipient;
  e.amount = c->ubi_per_epoch;
  return e;
}

// The context of a block's transaction events: the registry before and after it and, for
// proposals, the round they went into and the index the first of them got.
Status FillContext(const ledger::Ledger& after_ledger, const ledger::RegistryStore& after_store,
                   uint32_t proposals, Context* c) {
  HITO_ASSIGN_OR_RETURN(c->rp, after_ledger.GetRegistryParams());
  HITO_ASSIGN_OR_RETURN(std::optional<ledger::UbiParams> up, after_ledger.GetUbiParams());
  if (up) c->ubi_per_epoch = up->ubi_per_epoch;
  if (proposals == 0) return Status::Ok();
  HITO_ASSIGN_OR_RETURN(const ledger::RoundState round, ledger::governance::ReadRound(after_store));
  HITO_ASSIGN_OR_RETURN(const uint32_t count,
                        ledger::governance::ProposalsInRound(after_store, round.round));
  if (count < proposals) return InternalError("block events: proposals executed but not recorded");
  c->round = round.round;
  c->next_proposal = count - proposals;
  return Status::Ok();
}

}  // namespace

Result<std::vector<BlockEvent>> ComputeBlockEvents(std::string_view chain_id,
                                                   const ledger::KvReader& before,
                                                   const ledger::ChangeSet& changes,
                                                   const std::vector<types::Transaction>& txs,
                                                   const std::vector<ledger::TxResult>& results,
                                                   const ledger::GovernanceBlockStart& governance) {
  HITO_ASSERT(txs.size() == results.size());
  auto has_event = [&](size_t i) {
    return results[i].ok() && (IsPersonhood(txs[i]) || IsProposal(txs[i]));
  };
  uint32_t proposals = 0;
  bool any = !governance.params.empty() || !governance.closed.empty() || governance.opened;
  for (size_t i = 0; i < txs.size(); ++i) {
    any = any || has_event(i);
    proposals += results[i].ok() && IsProposal(txs[i]) ? 1 : 0;
  }
  if (!any) return std::vector<BlockEvent>();
  AfterBlock after_kv(before, changes);
  const ledger::Ledger after_ledger(std::string(chain_id), &after_kv);
  HITO_ASSIGN_OR_RETURN(const ledger::Params params, after_ledger.GetParams());
  HITO_ASSIGN_OR_RETURN(const uint64_t height, after_ledger.Height());
  std::vector<BlockEvent> events = BlockStartEvents(governance, ledger::EpochOf(params, height));
  const ledger::RegistryStore before_store(&before);
  const ledger::RegistryStore after_store(&after_kv);
  Context c{&before_store, &after_store, std::nullopt, 0, {}, 0, 0};
  HITO_RETURN_IF_ERROR(FillContext(after_ledger, after_store, proposals, &c));
  for (size_t i = 0; i < txs.size(); ++i) {
    if (!has_event(i)) continue;
    if (IsPersonhood(txs[i]) && !c.rp) {
      return InternalError("block events: personhood executed without a registry");
    }
    HITO_ASSIGN_OR_RETURN(BlockEvent e, EventOf(&c, txs[i]));
    e.tx_index = static_cast<uint32_t>(i);
    events.push_back(e);
  }
  return events;
}

namespace {

void WriteTxEvent(types::Writer* w, const BlockEvent& e) {
  w->U32(e.tx_index);
  switch (e.kind) {
    case BlockEvent::Kind::kRegistration:
      w->Fixed(e.identity);
      w->U64(e.index);
      w->U32(e.cohort);
      w->Bool(e.renewal);
      w->U64(e.expiry_epoch);
      w->U64(e.first_claim_epoch);
      return;
    case BlockEvent::Kind::kRevocation:
      w->Fixed(e.identity);
      w->U64(e.index);
      return;
    case BlockEvent::Kind::kClaim:
      w->U64(e.epoch);
      w->U32(e.cohort);
      w->Fixed(e.nullifier);
      w->Fixed(e.recipient);
      w->U64(e.amount);
      return;
    default:
      HITO_ASSERT(e.kind == BlockEvent::Kind::kProposalSubmitted);
      w->U64(e.round);
      w->U32(e.proposal);
      w->Fixed(e.proposer);
      w->U8(e.action_tag);
      w->U64(e.deposit);
  }
}

void WriteBlockStartEvent(types::Writer* w, const BlockEvent& e) {
  switch (e.kind) {
    case BlockEvent::Kind::kParamChange:
      w->U64(e.epoch);
      w->U16(e.param);
      w->U64(e.value);
      w->Bool(e.applied);
      w->String(e.why);
      return;
    case BlockEvent::Kind::kProposalDecided:
      w->U64(e.round);
      w->U32(e.proposal);
      w->U8(static_cast<uint8_t>(e.outcome));
      w->U64(static_cast<uint64_t>(e.tally));
      w->U64(e.ballots);
      w->U64(e.live);
      w->U64(e.deposit);
      w->Bool(e.refunded);
      return;
    case BlockEvent::Kind::kProposalExecuted:
      w->U64(e.round);
      w->U32(e.proposal);
      w->U8(e.action_tag);
      w->Bool(e.executed);
      w->U16(static_cast<uint16_t>(e.reason));
      w->String(e.why);
      w->U64(e.from_epoch);
      w->U64(e.from_height);
      return;
    default:
      HITO_ASSERT(e.kind == BlockEvent::Kind::kRoundOpened);
      w->U64(e.round);
      w->U64(e.epoch);
      w->U64(e.round_epochs);
      w->U64(e.voice_credits);
      w->U64(e.live);
      w->U32(e.proposals);
  }
}

}  // namespace

Bytes EncodeBlockEvents(const std::vector<BlockEvent>& events) {
  if (events.empty()) return {};
  return types::EncodeWith([&](types::Writer* w) {
    w->U8(kEventsVersion);
    w->U32(static_cast<uint32_t>(events.size()));
    for (const BlockEvent& e : events) {
      HITO_ASSERT(e.why.size() <= kEventWhyMaxBytes);
      w->U8(static_cast<uint8_t>(e.kind));
      if (IsBlockStart(e.kind)) {
        WriteBlockStartEvent(w, e);
      } else {
        WriteTxEvent(w, e);
      }
    }
  });
}

namespace {

constexpr uint8_t kKindMax = static_cast<uint8_t>(BlockEvent::Kind::kRoundOpened);

// Version 1: kinds 1..3 with every field.
Status ReadEventV1(types::Reader* r, BlockEvent* e) {
  uint8_t kind = 0;
  HITO_RETURN_IF_ERROR(r->U8("kind", &kind));
  if (kind < 1 || kind > 3) return InvalidArgumentError("unknown event kind");
  e->kind = static_cast<BlockEvent::Kind>(kind);
  HITO_RETURN_IF_ERROR(r->U32("tx_index", &e->tx_index));
  HITO_RETURN_IF_ERROR(r->Fixed("identity", &e->identity));
  HITO_RETURN_IF_ERROR(r->U64("index", &e->index));
  HITO_RETURN_IF_ERROR(r->U32("cohort", &e->cohort));
  HITO_RETURN_IF_ERROR(r->Bool("renewal", &e->renewal));
  HITO_RETURN_IF_ERROR(r->U64("expiry_epoch", &e->expiry_epoch));
  HITO_RETURN_IF_ERROR(r->U64("first_claim_epoch", &e->first_claim_epoch));
  HITO_RETURN_IF_ERROR(r->U64("epoch", &e->epoch));
  HITO_RETURN_IF_ERROR(r->Fixed("nullifier", &e->nullifier));
  HITO_RETURN_IF_ERROR(r->Fixed("recipient", &e->recipient));
  return r->U64("amount", &e->amount);
}

Status ReadActionTag(types::Reader* r, uint8_t* tag) {
  HITO_RETURN_IF_ERROR(r->U8("action_tag", tag));
  if (*tag < 1 || *tag > static_cast<uint8_t>(types::ActionTag::kText)) {
    return InvalidArgumentError("unknown action tag " + std::to_string(*tag));
  }
  return Status::Ok();
}

Status ReadTxEvent(types::Reader* r, BlockEvent* e) {
  HITO_RETURN_IF_ERROR(r->U32("tx_index", &e->tx_index));
  switch (e->kind) {
    case BlockEvent::Kind::kRegistration:
      HITO_RETURN_IF_ERROR(r->Fixed("identity", &e->identity));
      HITO_RETURN_IF_ERROR(r->U64("index", &e->index));
      HITO_RETURN_IF_ERROR(r->U32("cohort", &e->cohort));
      HITO_RETURN_IF_ERROR(r->Bool("renewal", &e->renewal));
      HITO_RETURN_IF_ERROR(r->U64("expiry_epoch", &e->expiry_epoch));
      return r->U64("first_claim_epoch", &e->first_claim_epoch);
    case BlockEvent::Kind::kRevocation:
      HITO_RETURN_IF_ERROR(r->Fixed("identity", &e->identity));
      return r->U64("index", &e->index);
    case BlockEvent::Kind::kClaim:
      HITO_RETURN_IF_ERROR(r->U64("epoch", &e->epoch));
      HITO_RETURN_IF_ERROR(r->U32("cohort", &e->cohort));
      HITO_RETURN_IF_ERROR(r->Fixed("nullifier", &e->nullifier));
      HITO_RETURN_IF_ERROR(r->Fixed("recipient", &e->recipient));
      return r->U64("amount", &e->amount);
    default:
      HITO_RETURN_IF_ERROR(r->U64("round", &e->round));
      HITO_RETURN_IF_ERROR(r->U32("proposal", &e->proposal));
      HITO_RETURN_IF_ERROR(r->Fixed("proposer", &e->proposer));
      HITO_RETURN_IF_ERROR(ReadActionTag(r, &e->action_tag));
      return r->U64("deposit", &e->deposit);
  }
}

Status ReadParamChange(types::Reader* r, BlockEvent* e) {
  HITO_RETURN_IF_ERROR(r->U64("epoch", &e->epoch));
  HITO_RETURN_IF_ERROR(r->U16("param", &e->param));
  HITO_RETURN_IF_ERROR(r->U64("value", &e->value));
  HITO_RETURN_IF_ERROR(r->Bool("applied", &e->applied));
  HITO_RETURN_IF_ERROR(r->String("why", kEventWhyMaxBytes, &e->why));
  if (e->applied != e->why.empty()) {
    return InvalidArgumentError("a parameter change has a reason iff it was dropped");
  }
  return Status::Ok();
}

Status ReadDecided(types::Reader* r, BlockEvent* e) {
  HITO_RETURN_IF_ERROR(r->U64("round", &e->round));
  HITO_RETURN_IF_ERROR(r->U32("proposal", &e->proposal));
  uint8_t outcome = 0;
  HITO_RETURN_IF_ERROR(r->U8("outcome", &outcome));
  if (outcome < 1 || outcome > static_cast<uint8_t>(ledger::ProposalOutcome::kNotExecuted)) {
    return InvalidArgumentError("unknown outcome " + std::to_string(outcome));
  }
  e->outcome = static_cast<ledger::ProposalOutcome>(outcome);
  uint64_t tally = 0;
  HITO_RETURN_IF_ERROR(r->U64("tally", &tally));
  e->tally = static_cast<int64_t>(tally);
  HITO_RETURN_IF_ERROR(r->U64("ballots", &e->ballots));
  HITO_RETURN_IF_ERROR(r->U64("live", &e->live));
  HITO_RETURN_IF_ERROR(r->U64("deposit", &e->deposit));
  return r->Bool("refunded", &e->refunded);
}

Status ReadExecuted(types::Reader* r, BlockEvent* e) {
  HITO_RETURN_IF_ERROR(r->U64("round", &e->round));
  HITO_RETURN_IF_ERROR(r->U32("proposal", &e->proposal));
  HITO_RETURN_IF_ERROR(ReadActionTag(r, &e->action_tag));
  HITO_RETURN_IF_ERROR(r->Bool("executed", &e->executed));
  uint16_t reason = 0;
  HITO_RETURN_IF_ERROR(r->U16("reason", &reason));
  if (reason > static_cast<uint16_t>(ledger::kLastTxCode)) {
    return InvalidArgumentError("unknown reason code " + std::to_string(reason));
  }
  e->reason = static_cast<ledger::TxCode>(reason);
  HITO_RETURN_IF_ERROR(r->String("why", kEventWhyMaxBytes, &e->why));
  if (e->executed != (e->reason == ledger::TxCode::kOk)) {
    return InvalidArgumentError("an execution has a reason code iff it did not execute");
  }
  HITO_RETURN_IF_ERROR(r->U64("from_epoch", &e->from_epoch));
  return r->U64("from_height", &e->from_height);
}

Status ReadRoundOpened(types::Reader* r, BlockEvent* e) {
  HITO_RETURN_IF_ERROR(r->U64("round", &e->round));
  HITO_RETURN_IF_ERROR(r->U64("start_epoch", &e->epoch));
  HITO_RETURN_IF_ERROR(r->U64("round_epochs", &e->round_epochs));
  HITO_RETURN_IF_ERROR(r->U64("voice_credits", &e->voice_credits));
  HITO_RETURN_IF_ERROR(r->U64("live", &e->live));
  return r->U32("proposals", &e->proposals);
}

Status ReadEvent(types::Reader* r, BlockEvent* e) {
  uint8_t kind = 0;
  HITO_RETURN_IF_ERROR(r->U8("kind", &kind));
  if (kind < 1 || kind > kKindMax) {
    return InvalidArgumentError("unknown event kind " + std::to_string(kind));
  }
  e->kind = static_cast<BlockEvent::Kind>(kind);
  switch (e->kind) {
    case BlockEvent::Kind::kParamChange:
      return ReadParamChange(r, e);
    case BlockEvent::Kind::kProposalDecided:
      return ReadDecided(r, e);
    case BlockEvent::Kind::kProposalExecuted:
      return ReadExecuted(r, e);
    case BlockEvent::Kind::kRoundOpened:
      return ReadRoundOpened(r, e);
    default:
      return ReadTxEvent(r, e);
  }
}

}  // namespace

Result<std::vector<BlockEvent>> DecodeBlockEvents(ByteView bytes) {
  using Events = std::vector<BlockEvent>;
  Result<Events> out =
      types::DecodeWhole<Events>(bytes, "block events", [](types::Reader* r, Events* events) {
        uint8_t version = 0;
        HITO_RETURN_IF_ERROR(r->U8("version", &version));
        if (version != kEventsVersion && version != kEventsVersionV1) {
          return InvalidArgumentError("unknown version " + std::to_string(version));
        }
        const bool v1 = version == kEventsVersionV1;
        uint32_t n = 0;
        // The smallest event: v1 any (kind, tx_index, identity, ...); v2 a parameter
        // change (kind, epoch, param, value, applied, an empty reason's length).
        HITO_RETURN_IF_ERROR(
            r->Count("events", kMaxEvents, v1 ? 1 + 4 + 32 : 1 + 8 + 2 + 8 + 1 + 4, &n));
        events->resize(n);
        for (BlockEvent& e : *events)
          HITO_RETURN_IF_ERROR(v1 ? ReadEventV1(r, &e) : ReadEvent(r, &e));
        return Status::Ok();
      });
  if (!out.ok()) return DataLossError("block events record: " + out.status().message());
  return out;
}

}  // namespace hito::node::chain
