// StateMachine: Tendermint consensus as a pure state machine, Step(event) -> actions.
//
// This is Algorithm 1 of Buchman, Kwon and Milosevic, "The latest gossip on BFT consensus"
// (arXiv 1807.04938), for one validator, with weighted voting power. The state machine reads no
// clock, does no I/O, starts no thread and draws no randomness: the node (or the
// simulator in tests/sim) feeds it events (messages, fired timeouts, the application's
// verdicts) and carries out the actions it returns, in order. The same event sequence
// always yields the same action sequence.
//
// The state machine agrees on block hashes (the paper's id(v)); blocks travel beside proposals.
// It signs through a VoteSigner handed in by its owner, so the node can put its never-sign-
// twice record and its WAL in front of every signature (docs/protocol/consensus.md,
// "Durability"). Incoming votes and proposals are checked (height, membership in the
// validator set of the height, signature, proposer of the round) before they count.
//
// Ownership: the state machine holds pointers to its VoteSigner and Verifier, which must outlive
// it. Not thread-safe; the owner serialises calls.
#ifndef HITO_CONSENSUS_BFT_STATE_MACHINE_H_
#define HITO_CONSENSUS_BFT_STATE_MACHINE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/ed25519.h"
#include "base/status.h"
#include "consensus/bft/proposer.h"
#include "consensus/bft/round_timeouts.h"
#include "consensus/bft/vote_set.h"
#include "consensus/types/block.h"
#include "consensus/types/validator_set.h"
#include "consensus/types/vote.h"

namespace hito::consensus::bft {

enum class Step : uint8_t { kPropose = 1, kPrevote = 2, kPrecommit = 3 };
std::string_view StepName(Step step);

struct Config {
  std::string chain_id;
  RoundTimeouts timeouts;
  // Messages for the next height held until it starts: at most this many in all, and at
  // most future_per_validator_max from one validator key.
  uint32_t future_messages_max = 2048;
  uint32_t future_per_validator_max = 16;
  // Rounds above the current one in which a validator may hold votes at once (the highest
  // ones are kept), so a peer cannot make the state machine allocate a vote set per round.
  uint32_t future_rounds_per_validator = 2;
};

// Signs the state machine's own messages. A refusal (non-OK) means "do not send": the state machine
// then goes on as if it had voted, which is always safe (a missing vote never conflicts).
class VoteSigner {
 public:
  virtual ~VoteSigner() = default;
  virtual const Ed25519PublicKey& public_key() const = 0;
  virtual Status SignVote(types::Vote* vote) = 0;
  virtual Status SignProposal(types::Proposal* proposal) = 0;
};

// A VoteSigner over a plain key with no guard, for tests. The node's VoteSigner (which
// the simulator runs too) puts the never-sign-twice record in front of the key.
class KeyVoteSigner : public VoteSigner {
 public:
  KeyVoteSigner(std::string chain_id, Ed25519PrivateKey key)
      : chain_id_(std::move(chain_id)), key_(std::move(key)) {}
  const Ed25519PublicKey& public_key() const override { return key_.public_key(); }
  Status SignVote(types::Vote* vote) override;
  Status SignProposal(types::Proposal* proposal) override;

 private:
  std::string chain_id_;
  Ed25519PrivateKey key_;
};

// Checks signatures. The default calls consensus/types; an owner may put a cache of
// already-verified exact message bytes in front (the simulator does).
class Verifier {
 public:
  virtual ~Verifier() = default;
  virtual bool VerifyVote(std::string_view chain_id, const types::Vote& vote);
  virtual bool VerifyProposal(std::string_view chain_id, const types::Proposal& proposal);
};

// The lock a validator restores after a restart: the round and block hash of its last
// non-nil precommit at the height (the paper's lockedRound / id(lockedValue)). The signer
// record holds it, since a lock changes only together with a signed precommit.
struct Lock {
  uint32_t round = 0;
  Hash32 block_hash{};
};

// ---- Events ----
// Start (or restart) consensus at `height` with the validator set of that height (never
// empty) and a restored lock no later than `round`; either broken stops the process.
struct StartHeight {
  uint64_t height = 0;
  types::ValidatorSet validators;
  uint32_t round = 0;        // a restarted validator resumes in its recorded round
  std::optional<Lock> lock;  // restored lock, if the signer record holds one
};
struct ProposalReceived {
  types::Proposal proposal;
  std::optional<types::Block> block;  // nullopt when the block comes later
};
struct BlockReceived {
  types::Block block;
};
struct VoteReceived {
  types::Vote vote;
};
struct TimeoutFired {
  uint64_t height = 0;
  uint32_t round = 0;
  Step step = Step::kPropose;
};
// The application's verdict on a block the state machine asked it to validate.
struct BlockValidated {
  uint64_t height = 0;
  Hash32 block_hash{};
  bool valid = false;
};
// The application's answer to RequestBlock: the block to propose.
struct BlockBuilt {
  uint64_t height = 0;
  uint32_t round = 0;
  types::Block block;
};
using Event = std::variant<StartHeight, ProposalReceived, BlockReceived, VoteReceived, TimeoutFired,
                           BlockValidated, BlockBuilt>;

// ---- Actions ----
struct BroadcastProposal {
  types::Proposal proposal;  // signed
  types::Block block;
};
struct BroadcastVote {
  types::Vote vote;  // signed
};
struct ScheduleTimeout {
  uint64_t height = 0;
  uint32_t round = 0;
  Step step = Step::kPropose;
  uint64_t duration_ms = 0;
};
// Build a block for (height, round) and answer with BlockBuilt.
struct RequestBlock {
  uint64_t height = 0;
  uint32_t round = 0;
};
// Judge this block (execution, header rules) and answer with BlockValidated.
struct ValidateBlock {
  types::Block block;
  Hash32 block_hash{};
};
// The height is decided: store block and commit, execute, then send StartHeight(h + 1).
struct Decide {
  uint64_t height = 0;
  uint32_t round = 0;
  types::Block block;
  types::Commit commit;
};
struct RecordEvidence {
  types::DuplicateVoteEvidence evidence;
};
// Two validly signed, different proposals by the proposer of one round: keep and include
// in a block as RecordEvidence (ledger::CheckPendingEvidence, Block::proposal_evidence).
struct RecordProposalEvidence {
  types::ConflictingProposalEvidence evidence;
};
using Action = std::variant<BroadcastProposal, BroadcastVote, ScheduleTimeout, RequestBlock,
                            ValidateBlock, Decide, RecordEvidence, RecordProposalEvidence>;

// Why an incoming message did not count (for logs, metrics and tests).
enum class Rejection : uint8_t {
  kNone = 0,
  kWrongHeight,
  kNotMember,
  kBadSignature,
  kNotProposer,
  kDuplicate,
  kBadPolRound,
  kBufferFull,
  kRoundTooFar,
  // A proposal without a POL round whose block names another proposer in its header.
  kWrongBlockProposer,
};

class StateMachine {
 public:
  StateMachine(Config config, VoteSigner* signer, Verifier* verifier);

  // Feeds one event; returns the actions to carry out, in order.
  std::vector<Action> Step(const Event& event);

  // Read-only views for the owner and tests.
  uint64_t height() const { return height_; }
  uint32_t round() const { return round_; }
  bft::Step step() const { return step_; }
  bool started() const { return started_; }
  bool decided() const { return decided_; }
  std::optional<Lock> lock() const;
  std::optional<uint32_t> valid_round() const { return valid_round_; }
  // Why the last incoming message was not counted (kNone if it was, or if none).
  Rejection last_rejection() const { return last_rejection_; }
  size_t buffered_messages() const { return future_.size(); }
  // The block with this header hash, if the state machine holds it (the node writes the block of
  // its lock to its WAL beside the precommit, so a restart can re-propose it).
  const types::Block* FindBlock(const Hash32& hash) const;
  // Proposer index in the current set for (current height, round).
  uint32_t ProposerIndex(uint32_t round) const;

 private:
  void OnStartHeight(const StartHeight& e);
  void OnProposal(const ProposalReceived& e);
  void OnBlock(const types::Block& block);
  void OnVote(const types::Vote& vote);
  void OnTimeout(const TimeoutFired& e);
  void OnBlockValidated(const BlockValidated& e);
  void OnBlockBuilt(const BlockBuilt& e);

  void StartRound(uint32_t round);
  void ProposeBlock(const types::Block& block, std::optional<uint32_t> pol_round);
  void CastVote(types::VoteType type, std::optional<Hash32> block_hash);
  void Schedule(bft::Step step, uint64_t base_ms, uint64_t delta_ms);
  void AddVote(const types::Vote& vote, uint32_t index);
  void EvaluateRules();
  bool RuleProposalPrevote();
  bool RuleDecide();
  bool RuleRoundSkip();
  void MaybeValidate(const Hash32& hash);
  void Buffer(const Event& event, const Ed25519PublicKey& sender, uint64_t msg_height);
  VoteSet& Votes(uint32_t round, types::VoteType type);
  const VoteSet* FindVotes(uint32_t round, types::VoteType type) const;
  bool HasQuorumFor(uint32_t round, types::VoteType type, const Hash32& hash) const;
  // Valid(v): block present and the application said valid.
  bool IsValid(const Hash32& hash) const;
  // A proposal's block is valid and, unless it is a re-proposal with a POL round, its
  // header names the proposal's signer as proposer.
  bool ProposalValid(const types::Proposal& p) const;
  static bool NamesItsProposer(const types::Proposal& p, const types::Block& block);
  bool IsNextHeight(uint64_t h) const { return height_ < UINT64_MAX && h == height_ + 1; }
  bool BlockKnown(const Hash32& hash) const { return blocks_.count(hash) != 0; }
  bool Referenced(const Hash32& hash) const;
  void EvictFutureRounds(uint32_t index);
  void CheckConflictingProposal(const types::Proposal& first, const types::Proposal& second);

  Config config_;
  VoteSigner* signer_;
  Verifier* verifier_;
  std::vector<Action> out_;
  Rejection last_rejection_ = Rejection::kNone;

  // Algorithm 1, lines 1-9: the process state (decision_p is the Decide action).
  bool started_ = false;
  uint64_t height_ = 0;
  uint32_t round_ = 0;
  bft::Step step_ = bft::Step::kPropose;
  bool decided_ = false;
  std::optional<uint32_t> locked_round_;  // nullopt = -1
  Hash32 locked_hash_{};
  std::optional<uint32_t> valid_round_;  // nullopt = -1
  Hash32 valid_hash_{};

  types::ValidatorSet validators_;
  ProposerSchedule schedule_;
  std::optional<uint32_t> my_index_;

  // Message log of the current height (line 53 empties it).
  std::map<uint32_t, types::Proposal> proposals_;  // by round, from that round's proposer
  std::map<Hash32, types::Block> blocks_;
  std::map<Hash32, bool> verdicts_;
  std::set<Hash32> validating_;
  std::map<std::pair<uint32_t, uint8_t>, VoteSet> votes_;            // (round, type)
  std::map<uint32_t, std::set<uint32_t>> future_rounds_;             // validator -> rounds > round_
  std::set<std::tuple<uint32_t, uint32_t, uint8_t>> evidence_done_;  // (validator, round, type)
  std::set<uint32_t> proposal_evidence_done_;                        // rounds reported
  bool awaiting_block_ = false;  // RequestBlock sent for (height_, round_)

  // Per-round "for the first time" flags (lines 34, 36, 47).
  bool prevote_timeout_scheduled_ = false;
  bool precommit_timeout_scheduled_ = false;
  bool line36_done_ = false;

  // Messages for height_ + 1, in arrival order.
  std::vector<std::pair<uint64_t, Event>> future_;
  std::map<Ed25519PublicKey, uint32_t> future_count_;
};

// Builds the commit for `block_hash` from the precommits of one round: one entry per
// validator in set order, kCommit with the signature for a precommit of that block,
// kAbsent otherwise.
types::Commit BuildCommit(const types::ValidatorSet& set, uint64_t height, uint32_t round,
                          const Hash32& block_hash, const VoteSet& precommits);

}  // namespace hito::consensus::bft

#endif  // HITO_CONSENSUS_BFT_STATE_MACHINE_H_
