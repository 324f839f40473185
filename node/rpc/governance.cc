#include "node/rpc/governance.h"

#include <memory>
#include <optional>
#include <string>

#include "base/assert.h"
#include "base/bech32m.h"
#include "base/checked.h"
#include "base/hex.h"
#include "consensus/ledger/governance.h"
#include "consensus/ledger/ledger.h"
#include "consensus/types/codec.h"
#include "node/rpc/errors.h"
#include "node/rpc/personhood.h"

namespace hito::node::rpc {
namespace {

namespace ledger = consensus::ledger;
namespace governance = consensus::ledger::governance;
namespace types = consensus::types;
namespace pb = hito::v1;

std::string AsString(ByteView b) { return std::string(AsChars(b)); }

pb::ProposalStatus StatusOf(ledger::ProposalOutcome o) {
  switch (o) {
    case ledger::ProposalOutcome::kOpen:
      return pb::PROPOSAL_OPEN;
    case ledger::ProposalOutcome::kNoQuorum:
      return pb::PROPOSAL_NO_QUORUM;
    case ledger::ProposalOutcome::kRejected:
      return pb::PROPOSAL_REJECTED;
    case ledger::ProposalOutcome::kExecuted:
      return pb::PROPOSAL_EXECUTED;
    case ledger::ProposalOutcome::kNotExecuted:
      return pb::PROPOSAL_NOT_EXECUTED;
  }
  return pb::PROPOSAL_STATUS_ANY;
}

void FillProposal(uint64_t round, uint32_t index, const ledger::ProposalRecord& p,
                  pb::ProposalView* v) {
  v->set_round(round);
  v->set_index(index);
  v->set_proposer(EncodeAddress(p.proposer));
  v->set_deposit(p.deposit);
  const types::ActionTag tag = types::ActionTagOf(p.action);
  v->set_action_tag(static_cast<uint32_t>(tag));
  v->set_action_name(std::string(types::ActionName(tag)));
  v->set_action(AsString(types::EncodeAction(p.action)));
  v->set_tally(p.tally);
  v->set_ballots(p.ballots);
  v->set_status(StatusOf(p.outcome));
  if (p.outcome == ledger::ProposalOutcome::kNotExecuted) {
    v->set_reason(std::string(ledger::TxCodeName(p.reason)));
  }
  v->set_live(p.live);
}

// ListProposals' token: the round and the index the next page starts at.
constexpr uint8_t kProposalsTokenVersion = 1;
struct ProposalsToken {
  uint64_t round = 0;
  uint32_t index = 0;
};

std::string EncodeProposalsToken(const ProposalsToken& t) {
  return HexEncode(types::EncodeWith([&](types::Writer* w) {
    w->U8(kProposalsTokenVersion);
    w->U64(t.round);
    w->U32(t.index);
  }));
}

Result<ProposalsToken> DecodeProposalsToken(const std::string& token) {
  HITO_ASSIGN_OR_RETURN(Bytes raw, HexDecode(token));
  return types::DecodeWhole<ProposalsToken>(raw, "token", [](types::Reader* r, ProposalsToken* t) {
    uint8_t version = 0;
    HITO_RETURN_IF_ERROR(r->U8("version", &version));
    if (version != kProposalsTokenVersion) return InvalidArgumentError("unknown version");
    HITO_RETURN_IF_ERROR(r->U64("round", &t->round));
    return r->U32("index", &t->index);
  });
}

// ballots * 10^6 / live, rounded down (0 for no live identity); at most 10^6 while
// ballots <= live, saturated otherwise.
uint32_t TurnoutPpm(uint64_t ballots, uint64_t live) {
  if (live == 0) return 0;
  using U128 = unsigned __int128;
  const U128 ppm = U128{ballots} * ledger::kQuorumPpmMax / live;
  return ppm > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(ppm);
}

void FillDecided(const chain::BlockEvent& e, pb::ProposalDecidedEvent* d) {
  d->set_round(e.round);
  d->set_index(e.proposal);
  d->set_quorum(e.outcome != ledger::ProposalOutcome::kNoQuorum);
  d->set_passed(e.outcome == ledger::ProposalOutcome::kExecuted ||
                e.outcome == ledger::ProposalOutcome::kNotExecuted);
  d->set_status(StatusOf(e.outcome));
  d->set_tally(e.tally);
  d->set_ballots(e.ballots);
  d->set_live(e.live);
  d->set_turnout_ppm(TurnoutPpm(e.ballots, e.live));
  d->set_deposit(e.deposit);
  d->set_deposit_refunded(e.refunded);
}

void FillExecuted(const chain::BlockEvent& e, pb::ProposalExecutedEvent* x) {
  x->set_round(e.round);
  x->set_index(e.proposal);
  x->set_action_tag(e.action_tag);
  x->set_action_name(std::string(types::ActionName(static_cast<types::ActionTag>(e.action_tag))));
  x->set_executed(e.executed);
  if (!e.executed) {
    x->set_reason(std::string(ledger::TxCodeName(e.reason)));
    x->set_detail(e.why);
  }
  x->set_from_epoch(e.from_epoch);
  x->set_from_height(e.from_height);
}

}  // namespace

void FillGovernanceEvent(const chain::BlockEvent& e, pb::BlockEvent* out) {
  out->set_block_start(chain::IsBlockStart(e.kind));
  switch (e.kind) {
    case chain::BlockEvent::Kind::kProposalSubmitted: {
      pb::ProposalSubmittedEvent* p = out->mutable_proposal_submitted();
      p->set_round(e.round);
      p->set_index(e.proposal);
      p->set_proposer(EncodeAddress(e.proposer));
      p->set_action_tag(e.action_tag);
      p->set_action_name(
          std::string(types::ActionName(static_cast<types::ActionTag>(e.action_tag))));
      p->set_deposit(e.deposit);
      return;
    }
    case chain::BlockEvent::Kind::kParamChange: {
      pb::ParamChangeEvent* p = out->mutable_param_change();
      p->set_epoch(e.epoch);
      p->set_param(e.param);
      p->set_value(e.value);
      p->set_applied(e.applied);
      if (!e.applied) {
        p->set_reason(std::string(ledger::TxCodeName(ledger::TxCode::kProposalInvalid)));
        p->set_detail(e.why);
      }
      return;
    }
    case chain::BlockEvent::Kind::kProposalDecided:
      return FillDecided(e, out->mutable_proposal_decided());
    case chain::BlockEvent::Kind::kProposalExecuted:
      return FillExecuted(e, out->mutable_proposal_executed());
    case chain::BlockEvent::Kind::kRoundOpened: {
      pb::RoundOpenedEvent* r = out->mutable_round_opened();
      r->set_round(e.round);
      r->set_start_epoch(e.epoch);
      r->set_round_epochs(e.round_epochs);
      r->set_voice_credits(e.voice_credits);
      r->set_live(e.live);
      r->set_proposals(e.proposals);
      return;
    }
    default:
      HITO_ASSERT(false);  // the personhood kinds are FillBlockEvents'
  }
}

struct GovernanceRpc::Served {
  std::shared_ptr<const store::StateView> state;
  std::optional<ledger::RegistryStore> store;  // over `state`
  uint64_t height = 0;
  ledger::Params params;
  ledger::GovernanceParams gp;
};

grpc::Status GovernanceRpc::Open(uint64_t requested_height, Served* out) const {
  out->state = store_->State();
  out->store.emplace(out->state.get());
  out->height = out->state->height();
  const ledger::Ledger l(chain_id_, out->state.get());
  Result<std::optional<ledger::GovernanceParams>> gp = l.GetGovernanceParams();
  if (!gp.ok()) return InternalRpcError(gp.status());
  if (!gp->has_value()) {
    return RpcError(grpc::StatusCode::FAILED_PRECONDITION, "GOVERNANCE_DISABLED",
                    "this chain's genesis does not enable governance: no proposals, no ballots");
  }
  Result<ledger::Params> params = l.GetParams();
  if (!params.ok()) return InternalRpcError(params.status());
  out->gp = **gp;
  out->params = *params;
  return HeightRefusal(requested_height, out->height);
}

grpc::Status GovernanceRpc::GetGovernance(const pb::GetGovernanceRequest& req,
                                          pb::GetGovernanceResponse* resp) const {
  Served s;
  grpc::Status st = Open(req.height(), &s);
  if (!st.ok()) return st;
  Result<ledger::RoundState> round = governance::ReadRound(*s.store);
  if (!round.ok()) return InternalRpcError(round.status());
  Result<uint32_t> proposals = governance::ProposalsInRound(*s.store, round->round);
  if (!proposals.ok()) return InternalRpcError(proposals.status());
  Result<uint64_t> voters = governance::VotersInRound(*s.store, round->round);
  if (!voters.ok()) return InternalRpcError(voters.status());
  resp->set_height(s.height);
  resp->set_epoch(ledger::EpochOf(s.params, s.height));
  pb::GovernanceParams* p = resp->mutable_params();
  p->set_round_epochs(s.gp.round_epochs);
  p->set_voice_credits(s.gp.voice_credits);
  p->set_quorum_ppm(s.gp.quorum_ppm);
  p->set_proposal_deposit(s.gp.proposal_deposit);
  p->set_max_proposals_per_round(s.gp.max_proposals_per_round);
  resp->set_round(round->round);
  resp->set_round_start_epoch(round->start_epoch);
  resp->set_round_epochs(round->round_epochs);
  const std::optional<uint64_t> next_epoch = CheckedAdd(round->start_epoch, round->round_epochs);
  const std::optional<uint64_t> next_height =
      next_epoch ? CheckedMul(*next_epoch, s.params.epoch_blocks) : std::nullopt;
  resp->set_next_round_height(next_height.value_or(UINT64_MAX));
  resp->set_voice_credits(round->voice_credits);
  resp->set_live(round->live);
  resp->set_escrow(round->escrow);
  resp->set_proposals(*proposals);
  resp->set_voters(*voters);
  return grpc::Status::OK;
}

grpc::Status GovernanceRpc::ListProposals(const pb::ListProposalsRequest& req,
                                          pb::ListProposalsResponse* resp) const {
  Served s;
  grpc::Status st = Open(req.height(), &s);
  if (!st.ok()) return st;
  uint32_t page = 0;
  if (st = PageSize(req.page_size(), kProposalPageDefault, kProposalPageMax, &page); !st.ok()) {
    return st;
  }
  if (!pb::ProposalStatus_IsValid(req.status())) {
    return InvalidArgument("status " + std::to_string(req.status()) + " is not a ProposalStatus");
  }
  Result<uint32_t> count = governance::ProposalsInRound(*s.store, req.round());
  if (!count.ok()) return InternalRpcError(count.status());
  uint32_t index = 0;
  if (!req.page_token().empty()) {
    Result<ProposalsToken> t = DecodeProposalsToken(req.page_token());
    if (!t.ok()) return BadToken("not a token of this method (" + t.status().message() + ")");
    if (t->round != req.round()) return BadToken("issued for round " + std::to_string(t->round));
    if (t->index > *count) return BadToken("index past the round's proposals");
    index = t->index;
  }
  resp->set_height(s.height);
  resp->set_round(req.round());
  resp->set_proposals(*count);
  // Filtered pages may be short: at most `page` records are read per call.
  const uint32_t end = *count - index > page ? index + page : *count;
  for (; index < end; ++index) {
    Result<std::optional<ledger::ProposalRecord>> p =
        governance::GetProposal(*s.store, req.round(), index);
    if (!p.ok()) return InternalRpcError(p.status());
    if (!p->has_value()) {
      return InternalRpcError(DataLossError("proposal " + std::to_string(index) + " of round " +
                                            std::to_string(req.round()) + " missing"));
    }
    if (req.status() != pb::PROPOSAL_STATUS_ANY && StatusOf((*p)->outcome) != req.status()) {
      continue;
    }
    FillProposal(req.round(), index, **p, resp->add_items());
  }
  if (end < *count) resp->set_next_page_token(EncodeProposalsToken({req.round(), end}));
  return grpc::Status::OK;
}

}  // namespace hito::node::rpc
