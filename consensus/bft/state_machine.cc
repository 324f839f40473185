// The state machine follows Algorithm 1 of arXiv 1807.04938. Comments "Algorithm 1, lines a-b"
// name the pseudocode each piece carries out; docs/protocol/consensus.md lists the
// mapping and the few deliberate deviations.
#include "consensus/bft/state_machine.h"

#include <algorithm>

#include "base/assert.h"

namespace hito::consensus::bft {
namespace {

using types::Block;
using types::Proposal;
using types::Vote;
using types::VoteType;

uint8_t TypeKey(VoteType type) { return static_cast<uint8_t>(type); }

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

uint64_t TimeoutMs(uint64_t base_ms, uint64_t delta_ms, uint32_t round) {
  uint64_t extra = 0;
  uint64_t total = 0;
  if (__builtin_mul_overflow(delta_ms, static_cast<uint64_t>(round), &extra) ||
      __builtin_add_overflow(base_ms, extra, &total)) {
    return UINT64_MAX;
  }
  return total;
}

// Within a round the step only moves forward (propose, prevote, precommit); StartRound is
// the one way back to propose, in a later round.
void AdvanceStep(Step* step, Step next) {
  HITO_ASSERT(next > *step);
  *step = next;
}

// lockedRound/lockedValue and validRound/validValue (lines 38-39, 42-43) are only ever
// set to the current round, which never goes back within a height: they move forward.
void MoveForward(std::optional<uint32_t>* at_round, Hash32* value, uint32_t round,
                 const Hash32& hash) {
  HITO_ASSERT(!at_round->has_value() || **at_round <= round);
  *at_round = round;
  *value = hash;
}

}  // namespace

std::string_view StepName(Step step) {
  switch (step) {
    case Step::kPropose:
      return "propose";
    case Step::kPrevote:
      return "prevote";
    case Step::kPrecommit:
      return "precommit";
  }
  return "unknown";
}

Status KeyVoteSigner::SignVote(Vote* vote) {
  types::SignVote(chain_id_, vote, key_);
  return Status::Ok();
}

Status KeyVoteSigner::SignProposal(Proposal* proposal) {
  types::SignProposal(chain_id_, proposal, key_);
  return Status::Ok();
}

bool Verifier::VerifyVote(std::string_view chain_id, const Vote& vote) {
  return types::VerifyVoteSignature(chain_id, vote);
}

bool Verifier::VerifyProposal(std::string_view chain_id, const Proposal& proposal) {
  return types::VerifyProposalSignature(chain_id, proposal);
}

types::Commit BuildCommit(const types::ValidatorSet& set, uint64_t height, uint32_t round,
                          const Hash32& block_hash, const VoteSet& precommits) {
  types::Commit commit;
  commit.height = height;
  commit.round = round;
  commit.block_hash = block_hash;
  commit.signatures.resize(set.size());
  for (uint32_t index : precommits.Voters()) {
    const Vote* vote = precommits.VoteFor(index, block_hash);
    if (index < commit.signatures.size() && vote != nullptr) {
      commit.signatures[index].flag = types::CommitFlag::kCommit;
      commit.signatures[index].signature = vote->signature;
    }
  }
  return commit;
}

StateMachine::StateMachine(Config config, VoteSigner* signer, Verifier* verifier)
    : config_(std::move(config)), signer_(signer), verifier_(verifier) {
  HITO_ASSERT(signer_ != nullptr && verifier_ != nullptr);
}

std::vector<Action> StateMachine::Step(const Event& event) {
  out_.clear();
  last_rejection_ = Rejection::kNone;
  std::visit(Overloaded{
                 [&](const StartHeight& e) { OnStartHeight(e); },
                 [&](const ProposalReceived& e) { OnProposal(e); },
                 [&](const BlockReceived& e) { OnBlock(e.block); },
                 [&](const VoteReceived& e) { OnVote(e.vote); },
                 [&](const TimeoutFired& e) { OnTimeout(e); },
                 [&](const BlockValidated& e) { OnBlockValidated(e); },
                 [&](const BlockBuilt& e) { OnBlockBuilt(e); },
             },
             event);
  EvaluateRules();
  std::vector<Action> actions = std::move(out_);
  out_.clear();
  return actions;
}

std::optional<Lock> StateMachine::lock() const {
  if (!locked_round_) return std::nullopt;
  return Lock{*locked_round_, locked_hash_};
}

const Block* StateMachine::FindBlock(const Hash32& hash) const {
  auto it = blocks_.find(hash);
  return it == blocks_.end() ? nullptr : &it->second;
}

uint32_t StateMachine::ProposerIndex(uint32_t round) const {
  return schedule_.ProposerIndex(height_, round);
}

// ---- Height and round changes ----

void StateMachine::OnStartHeight(const StartHeight& e) {
  HITO_ASSERT(e.validators.size() > 0);              // the owner's bug: a height needs validators
  HITO_ASSERT(!e.lock || e.lock->round <= e.round);  // a restored lock is never ahead
  if (started_ && e.height < height_) return;
  // Algorithm 1, line 53: reset lockedRound, lockedValue, validRound, validValue and
  // empty the message log; then line 54 / line 10: StartRound.
  started_ = true;
  height_ = e.height;
  decided_ = false;
  validators_ = e.validators;
  schedule_ = ProposerSchedule(validators_);
  my_index_ = validators_.IndexOf(signer_->public_key());
  locked_round_.reset();
  locked_hash_ = Hash32{};
  valid_round_.reset();
  valid_hash_ = Hash32{};
  if (e.lock) {
    locked_round_ = e.lock->round;
    locked_hash_ = e.lock->block_hash;
    valid_round_ = e.lock->round;
    valid_hash_ = e.lock->block_hash;
  }
  proposals_.clear();
  blocks_.clear();
  verdicts_.clear();
  validating_.clear();
  votes_.clear();
  future_rounds_.clear();
  evidence_done_.clear();
  proposal_evidence_done_.clear();
  round_ = 0;  // a new height: rounds start again (StartRound sets the one to run)
  StartRound(e.round);

  // Replay what was buffered for this height; keep what is for a later one.
  std::vector<std::pair<uint64_t, Event>> buffered = std::move(future_);
  future_.clear();
  future_count_.clear();
  for (auto& [msg_height, event] : buffered) {
    if (msg_height == height_) {
      if (const auto* p = std::get_if<ProposalReceived>(&event)) OnProposal(*p);
      if (const auto* v = std::get_if<VoteReceived>(&event)) OnVote(v->vote);
      EvaluateRules();
    } else if (IsNextHeight(msg_height)) {
      const Ed25519PublicKey& sender = std::holds_alternative<ProposalReceived>(event)
                                           ? std::get<ProposalReceived>(event).proposal.proposer
                                           : std::get<VoteReceived>(event).vote.validator;
      Buffer(event, sender, msg_height);
    }
  }
  last_rejection_ = Rejection::kNone;
}

// Algorithm 1, lines 11-21: StartRound(round).
void StateMachine::StartRound(uint32_t round) {
  HITO_ASSERT(round >= round_);  // rounds never go back within a height
  round_ = round;                // line 12
  step_ = bft::Step::kPropose;   // line 13
  prevote_timeout_scheduled_ = false;
  precommit_timeout_scheduled_ = false;
  line36_done_ = false;
  awaiting_block_ = false;
  // Votes at rounds <= round_ are no longer "future" for the per-validator bound.
  for (auto& [index, rounds] : future_rounds_) {
    rounds.erase(rounds.begin(), rounds.upper_bound(round_));
  }
  if (my_index_ && ProposerIndex(round_) == *my_index_) {  // line 14
    if (valid_round_ && BlockKnown(valid_hash_)) {
      // Lines 15-16, 19: propose validValue with validRound.
      ProposeBlock(blocks_.at(valid_hash_), valid_round_);
    } else {
      // Lines 17-18: getValue(); the application answers with BlockBuilt (line 19 then).
      awaiting_block_ = true;
      out_.push_back(RequestBlock{height_, round_});
    }
  }
  // Line 21. Deviation: the proposer schedules timeoutPropose too, so that a block the
  // application never builds (or a refused signature) cannot stall the round.
  Schedule(bft::Step::kPropose, config_.timeouts.propose_base_ms,
           config_.timeouts.propose_delta_ms);
  HITO_ASSERT(round_ == round && step_ == bft::Step::kPropose);
}

void StateMachine::OnBlockBuilt(const BlockBuilt& e) {
  if (!started_ || decided_ || e.height != height_ || e.round != round_ || !awaiting_block_ ||
      step_ != bft::Step::kPropose || e.block.header.height != height_) {
    return;
  }
  awaiting_block_ = false;
  ProposeBlock(e.block, std::nullopt);  // line 19 with validRound = -1
}

// Algorithm 1, line 19: broadcast <PROPOSAL, h_p, round_p, proposal, validRound_p>.
void StateMachine::ProposeBlock(const Block& block, std::optional<uint32_t> pol_round) {
  Proposal p;
  p.height = height_;
  p.round = round_;
  p.pol_round = pol_round;
  p.block_hash = types::HeaderHash(block.header);
  p.proposer = signer_->public_key();
  if (!signer_->SignProposal(&p).ok()) return;  // refused: send nothing
  out_.push_back(BroadcastProposal{p, block});
  // The broadcast reaches the proposer too: record it as received. The application built
  // the block (or it was already validated as validValue), so it counts as valid.
  proposals_[round_] = p;
  blocks_.emplace(p.block_hash, block);
  verdicts_[p.block_hash] = true;
}

void StateMachine::Schedule(bft::Step step, uint64_t base_ms, uint64_t delta_ms) {
  out_.push_back(ScheduleTimeout{height_, round_, step, TimeoutMs(base_ms, delta_ms, round_)});
}

// Algorithm 1, lines 57-67: OnTimeoutPropose, OnTimeoutPrevote, OnTimeoutPrecommit.
void StateMachine::OnTimeout(const TimeoutFired& e) {
  if (!started_ || decided_ || e.height != height_ || e.round != round_) return;
  switch (e.step) {
    case bft::Step::kPropose:  // lines 57-60
      if (step_ == bft::Step::kPropose) {
        CastVote(VoteType::kPrevote, std::nullopt);
        AdvanceStep(&step_, bft::Step::kPrevote);
      }
      break;
    case bft::Step::kPrevote:  // lines 61-64
      if (step_ == bft::Step::kPrevote) {
        CastVote(VoteType::kPrecommit, std::nullopt);
        AdvanceStep(&step_, bft::Step::kPrecommit);
      }
      break;
    case bft::Step::kPrecommit:  // lines 65-67 (no round follows the last one)
      if (round_ < UINT32_MAX) StartRound(round_ + 1);
      break;
  }
}

// ---- Incoming messages ----

void StateMachine::Buffer(const Event& event, const Ed25519PublicKey& sender, uint64_t msg_height) {
  if (!started_ || !IsNextHeight(msg_height)) {
    last_rejection_ = Rejection::kWrongHeight;
    return;
  }
  // Only keys of the current set may fill the buffer (sets change at boundaries fixed in
  // advance, so the next height's signers are almost always these); bounded in all and per
  // key so that no peer can make the state machine allocate without bound.
  if (!validators_.IndexOf(sender)) {
    last_rejection_ = Rejection::kNotMember;
    return;
  }
  uint32_t& count = future_count_[sender];
  if (future_.size() >= config_.future_messages_max || count >= config_.future_per_validator_max) {
    last_rejection_ = Rejection::kBufferFull;
    return;
  }
  ++count;
  future_.emplace_back(msg_height, event);
}

void StateMachine::OnProposal(const ProposalReceived& e) {
  const Proposal& p = e.proposal;
  if (started_ && IsNextHeight(p.height)) {
    Buffer(e, p.proposer, p.height);
    return;
  }
  if (!started_ || p.height != height_) {
    last_rejection_ = Rejection::kWrongHeight;
    return;
  }
  auto index = validators_.IndexOf(p.proposer);
  if (!index) {
    last_rejection_ = Rejection::kNotMember;
    return;
  }
  if (*index != ProposerIndex(p.round)) {  // "from proposer(h_p, r)"
    last_rejection_ = Rejection::kNotProposer;
    return;
  }
  if (p.pol_round && *p.pol_round >= p.round) {  // a POL must be from an earlier round
    last_rejection_ = Rejection::kBadPolRound;
    return;
  }
  if (p.round > round_ && p.round - round_ > 1) {  // bound how far ahead we keep proposals
    last_rejection_ = Rejection::kRoundTooFar;
    return;
  }
  auto it = proposals_.find(p.round);
  if (it != proposals_.end()) {
    // The first proposal of a round counts; a second, different one from the same
    // proposer does not, but is evidence that it equivocated.
    if (it->second == p && e.block) OnBlock(*e.block);
    if (!(it->second == p)) CheckConflictingProposal(it->second, p);
    last_rejection_ = Rejection::kDuplicate;
    return;
  }
  if (!verifier_->VerifyProposal(config_.chain_id, p)) {
    last_rejection_ = Rejection::kBadSignature;
    return;
  }
  if (e.block && types::HeaderHash(e.block->header) == p.block_hash &&
      !NamesItsProposer(p, *e.block)) {
    last_rejection_ = Rejection::kWrongBlockProposer;
    return;
  }
  proposals_.emplace(p.round, p);
  if (e.block) OnBlock(*e.block);
}

// `first` counted for its round (signature checked); `second` is another proposal from
// the same proposer for the same round. Reported once per round, and only if the two
// propose different things (a second signature over the same content is no equivocation).
void StateMachine::CheckConflictingProposal(const Proposal& first, const Proposal& second) {
  HITO_ASSERT(first.proposer == second.proposer && first.round == second.round);
  if (first.block_hash == second.block_hash && first.pol_round == second.pol_round) return;
  if (proposal_evidence_done_.count(second.round) != 0) return;
  if (!verifier_->VerifyProposal(config_.chain_id, second)) return;
  proposal_evidence_done_.insert(second.round);
  out_.push_back(RecordProposalEvidence{types::MakeProposalEvidence(first, second)});
}

bool StateMachine::NamesItsProposer(const Proposal& p, const Block& block) {
  // A re-proposal (pol_round set) carries the block of an earlier round, built by that
  // round's proposer; its 2f+1 prevotes vouch for it.
  return p.pol_round.has_value() || block.header.proposer == p.proposer;
}

bool StateMachine::ProposalValid(const Proposal& p) const {
  return IsValid(p.block_hash) && NamesItsProposer(p, blocks_.at(p.block_hash));
}

bool StateMachine::Referenced(const Hash32& hash) const {
  if (locked_round_ && locked_hash_ == hash) return true;  // a restored lock's block
  for (const auto& [round, p] : proposals_) {
    if (p.block_hash == hash) return true;
  }
  for (const auto& [key, set] : votes_) {
    if (set.PowerFor(hash) > 0) return true;
  }
  return false;
}

void StateMachine::OnBlock(const Block& block) {
  if (!started_ || block.header.height != height_) return;
  const Hash32 hash = types::HeaderHash(block.header);
  if (BlockKnown(hash) || !Referenced(hash)) return;  // keep only blocks someone proposed
  blocks_.emplace(hash, block);
  MaybeValidate(hash);
}

void StateMachine::MaybeValidate(const Hash32& hash) {
  if (verdicts_.count(hash) != 0 || validating_.count(hash) != 0) return;
  const Block& block = blocks_.at(hash);
  if (block.header.chain_id != config_.chain_id || block.header.height != height_) {
    verdicts_[hash] = false;
    return;
  }
  validating_.insert(hash);
  out_.push_back(ValidateBlock{block, hash});
}

void StateMachine::OnBlockValidated(const BlockValidated& e) {
  if (!started_ || e.height != height_ || validating_.count(e.block_hash) == 0) return;
  validating_.erase(e.block_hash);
  verdicts_[e.block_hash] = e.valid;
}

void StateMachine::EvictFutureRounds(uint32_t index) {
  auto& rounds = future_rounds_[index];
  const uint64_t power = validators_.validators()[index].power;
  while (rounds.size() > config_.future_rounds_per_validator) {
    const uint32_t lowest = *rounds.begin();
    rounds.erase(rounds.begin());
    for (VoteType type : {VoteType::kPrevote, VoteType::kPrecommit}) {
      auto it = votes_.find({lowest, TypeKey(type)});
      if (it != votes_.end()) it->second.Remove(index, power);
    }
  }
}

void StateMachine::OnVote(const Vote& vote) {
  if (started_ && IsNextHeight(vote.height)) {
    Buffer(VoteReceived{vote}, vote.validator, vote.height);
    return;
  }
  if (!started_ || vote.height != height_) {
    last_rejection_ = Rejection::kWrongHeight;
    return;
  }
  if (vote.type != VoteType::kPrevote && vote.type != VoteType::kPrecommit) {
    last_rejection_ = Rejection::kBadSignature;
    return;
  }
  auto index = validators_.IndexOf(vote.validator);
  if (!index) {
    last_rejection_ = Rejection::kNotMember;
    return;
  }
  const VoteSet* existing = FindVotes(vote.round, vote.type);
  if (existing != nullptr && existing->Has(*index, vote)) {  // before the costly check
    last_rejection_ = Rejection::kDuplicate;
    return;
  }
  const bool future = vote.round > round_;
  if (future) {
    const auto& rounds = future_rounds_[*index];
    if (rounds.count(vote.round) == 0 && rounds.size() >= config_.future_rounds_per_validator &&
        vote.round < *rounds.begin()) {
      last_rejection_ = Rejection::kRoundTooFar;
      return;
    }
  }
  if (!verifier_->VerifyVote(config_.chain_id, vote)) {
    last_rejection_ = Rejection::kBadSignature;
    return;
  }
  if (future) {
    future_rounds_[*index].insert(vote.round);
    EvictFutureRounds(*index);
  }
  AddVote(vote, *index);
}

void StateMachine::AddVote(const Vote& vote, uint32_t index) {
  const uint64_t power = validators_.validators()[index].power;
  const Vote* first = nullptr;
  auto result = Votes(vote.round, vote.type).Add(index, power, vote, &first);
  if (result == VoteSet::AddResult::kDuplicate) {
    last_rejection_ = Rejection::kDuplicate;
    return;
  }
  if (result == VoteSet::AddResult::kConflict || result == VoteSet::AddResult::kAddedConflicting) {
    // Two signed votes by one validator for one (height, round, type) with different
    // values: equivocation, reported once per (validator, round, type). The second value
    // still counts for its own tally (VoteSet explains why); a third is dropped.
    if (result == VoteSet::AddResult::kConflict) last_rejection_ = Rejection::kDuplicate;
    if (evidence_done_.insert({index, vote.round, TypeKey(vote.type)}).second) {
      types::DuplicateVoteEvidence ev;
      ev.a = *first;
      ev.b = vote;
      if (!(types::EncodeVote(ev.a) < types::EncodeVote(ev.b))) std::swap(ev.a, ev.b);
      out_.push_back(RecordEvidence{std::move(ev)});
    }
    if (result == VoteSet::AddResult::kConflict) return;
  }
  // A vote may name a block we hold but have not judged yet (proposal seen earlier).
  if (vote.block_hash && BlockKnown(*vote.block_hash)) MaybeValidate(*vote.block_hash);
}

VoteSet& StateMachine::Votes(uint32_t round, VoteType type) {
  return votes_[{round, TypeKey(type)}];
}

const VoteSet* StateMachine::FindVotes(uint32_t round, VoteType type) const {
  auto it = votes_.find({round, TypeKey(type)});
  return it == votes_.end() ? nullptr : &it->second;
}

bool StateMachine::HasQuorumFor(uint32_t round, VoteType type, const Hash32& hash) const {
  const VoteSet* set = FindVotes(round, type);
  return set != nullptr && set->PowerFor(hash) >= validators_.QuorumPower();
}

bool StateMachine::IsValid(const Hash32& hash) const {
  auto it = verdicts_.find(hash);
  return BlockKnown(hash) && it != verdicts_.end() && it->second;
}

// Casts our vote for the current round (the paper's "broadcast <PREVOTE/PRECOMMIT ...>").
// The broadcast reaches us too: our own vote is counted directly.
void StateMachine::CastVote(VoteType type, std::optional<Hash32> block_hash) {
  if (!my_index_) return;  // not a validator at this height: observe only
  Vote v;
  v.type = type;
  v.height = height_;
  v.round = round_;
  v.block_hash = block_hash;
  v.validator = signer_->public_key();
  if (!signer_->SignVote(&v).ok()) return;  // refused: send nothing, count nothing
  out_.push_back(BroadcastVote{v});
  AddVote(v, *my_index_);
}

// ---- The "upon" rules, evaluated until none fires ----

void StateMachine::EvaluateRules() {
  if (!started_) return;
  const uint64_t quorum = validators_.QuorumPower();
  // Every iteration that fires changes the step, the round or decides, and each of those
  // moves forward only, so the loop is short; the bound is a guard.
  for (int guard = 0; guard < 1024 && !decided_; ++guard) {
    if (RuleDecide()) return;
    bool fired = RuleRoundSkip();
    fired = RuleProposalPrevote() || fired;

    const VoteSet* prevotes = FindVotes(round_, VoteType::kPrevote);
    const VoteSet* precommits = FindVotes(round_, VoteType::kPrecommit);
    // Lines 34-35: upon 2f+1 <PREVOTE, h_p, round_p, *> while step = prevote, first time.
    if (step_ == bft::Step::kPrevote && !prevote_timeout_scheduled_ && prevotes != nullptr &&
        prevotes->total_power() >= quorum) {
      prevote_timeout_scheduled_ = true;
      Schedule(bft::Step::kPrevote, config_.timeouts.prevote_base_ms,
               config_.timeouts.prevote_delta_ms);
    }
    // Lines 36-43: upon PROPOSAL(h_p, round_p, v, *) from proposer AND 2f+1
    // <PREVOTE, h_p, round_p, id(v)> while valid(v) and step >= prevote, first time.
    auto p = proposals_.find(round_);
    if (!line36_done_ && step_ != bft::Step::kPropose && p != proposals_.end() &&
        ProposalValid(p->second) && prevotes != nullptr &&
        prevotes->PowerFor(p->second.block_hash) >= quorum) {
      line36_done_ = true;
      const Hash32 hash = p->second.block_hash;
      if (step_ == bft::Step::kPrevote) {  // lines 37-41
        MoveForward(&locked_round_, &locked_hash_, round_, hash);
        CastVote(VoteType::kPrecommit, hash);
        AdvanceStep(&step_, bft::Step::kPrecommit);
      }
      MoveForward(&valid_round_, &valid_hash_, round_, hash);  // lines 42-43
      fired = true;
    }
    // Lines 44-46: upon 2f+1 <PREVOTE, h_p, round_p, nil> while step = prevote.
    prevotes = FindVotes(round_, VoteType::kPrevote);
    if (step_ == bft::Step::kPrevote && prevotes != nullptr &&
        prevotes->PowerFor(std::nullopt) >= quorum) {
      CastVote(VoteType::kPrecommit, std::nullopt);
      AdvanceStep(&step_, bft::Step::kPrecommit);
      fired = true;
    }
    // Lines 47-48: upon 2f+1 <PRECOMMIT, h_p, round_p, *> for the first time.
    precommits = FindVotes(round_, VoteType::kPrecommit);
    if (!precommit_timeout_scheduled_ && precommits != nullptr &&
        precommits->total_power() >= quorum) {
      precommit_timeout_scheduled_ = true;
      Schedule(bft::Step::kPrecommit, config_.timeouts.precommit_base_ms,
               config_.timeouts.precommit_delta_ms);
    }
    if (!fired) return;
  }
}

// Lines 22-33: the proposal of round_p, in step propose.
bool StateMachine::RuleProposalPrevote() {
  if (step_ != bft::Step::kPropose) return false;
  auto it = proposals_.find(round_);
  if (it == proposals_.end()) return false;
  const Proposal& p = it->second;
  const Hash32& hash = p.block_hash;
  // valid(v) needs the block and the application's verdict; wait for both (timeoutPropose
  // bounds the wait).
  if (!BlockKnown(hash) || verdicts_.count(hash) == 0) return false;
  const bool valid = ProposalValid(p);
  bool vote_for_block = false;
  if (!p.pol_round) {
    // Lines 22-27: upon <PROPOSAL, h_p, round_p, v, -1> while step = propose:
    // prevote id(v) if valid(v) and (lockedRound = -1 or lockedValue = v), else nil.
    vote_for_block = valid && (!locked_round_ || locked_hash_ == hash);
  } else {
    // Lines 28-33: upon <PROPOSAL, h_p, round_p, v, vr> AND 2f+1 <PREVOTE, h_p, vr, id(v)>
    // while step = propose and 0 <= vr < round_p: prevote id(v) if valid(v) and
    // (lockedRound <= vr or lockedValue = v), else nil.
    const uint32_t vr = *p.pol_round;
    if (!HasQuorumFor(vr, VoteType::kPrevote, hash)) return false;  // wait for the POL
    vote_for_block = valid && (!locked_round_ || *locked_round_ <= vr || locked_hash_ == hash);
  }
  CastVote(VoteType::kPrevote, vote_for_block ? std::optional<Hash32>(hash) : std::nullopt);
  AdvanceStep(&step_, bft::Step::kPrevote);  // lines 27 / 33
  return true;
}

// Lines 49-54: upon PROPOSAL(h_p, r, v, *) AND 2f+1 <PRECOMMIT, h_p, r, id(v)> while
// decision_p[h_p] = nil: if valid(v), decide. Deviation: v may come from any proposal or
// block message with that hash, not only proposer(h_p, r)'s; the precommits fix id(v).
bool StateMachine::RuleDecide() {
  if (decided_) return false;
  const uint64_t quorum = validators_.QuorumPower();
  for (const auto& [key, set] : votes_) {
    if (key.second != TypeKey(VoteType::kPrecommit)) continue;
    auto value = set.ValueWithPower(quorum);
    if (!value || !*value) continue;
    const Hash32& hash = **value;
    if (!IsValid(hash)) continue;  // wait for the block or the verdict
    decided_ = true;
    out_.push_back(Decide{height_, key.first, blocks_.at(hash),
                          BuildCommit(validators_, height_, key.first, hash, set)});
    // Line 52-54 (h_p + 1, reset, StartRound(0)) happen when the owner, having stored and
    // executed the block, sends StartHeight for the next height.
    return true;
  }
  return false;
}

// Lines 55-56: upon f+1 <*, h_p, round, *, *> with round > round_p: StartRound(round).
// Counted over votes (distinct validators, either type); the highest such round wins.
bool StateMachine::RuleRoundSkip() {
  const uint64_t total = validators_.total_power();
  std::map<uint32_t, std::set<uint32_t>> voters;  // round -> validator indices
  for (auto it = votes_.rbegin(); it != votes_.rend(); ++it) {
    if (it->first.first <= round_) break;
    for (uint32_t index : it->second.Voters()) voters[it->first.first].insert(index);
  }
  for (auto it = voters.rbegin(); it != voters.rend(); ++it) {
    uint64_t power = 0;
    for (uint32_t index : it->second) power += validators_.validators()[index].power;
    if (power * 3 > total) {            // more than a third: at least one correct process is there
      HITO_ASSERT(it->first > round_);  // only rounds above ours were counted
      StartRound(it->first);
      return true;
    }
  }
  return false;
}

}  // namespace hito::consensus::bft
