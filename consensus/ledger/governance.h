// Governance: proposals with a deposit, anonymous quadratic ballots per round, the tally
// at the round's close and the execution of what passed (docs/protocol/governance.md).
//
// Records, all state tree leaves:
//   g/params                          version:u8 round_epochs:u64 voice_credits:u64
//                                     quorum_ppm:u32 proposal_deposit:u64
//                                     max_proposals_per_round:u32
//   g/state                           the current round: version:u8 round:u64
//                                     start_epoch:u64 round_epochs:u64 voice_credits:u64
//                                     live:u64 escrow:u64
//   g/p/<round:u64><index:u32>        a proposal and its tally and outcome
//   g/k/<round:u64>                   proposals of that round: count:u32
//   g/b/<round:u64><nullifier:32>     a nullifier's ballot in that round
//   g/n/<round:u64>                   distinct nullifiers that voted then: count:u64
//   g/l/<round:u64><chunk:u32>        those nullifiers, kBallotChunk per record, for pruning
//   g/pending                         parameter changes due at the next epoch's start
// Enabled by genesis (Genesis::governance) on a chain with the registry. The ledger moves
// the money (fee, deposit, refunds); this module decides and keeps the records.
//
// Deterministic, no I/O; state read and written through a RegistryStore overlay. Not
// thread-safe.
#ifndef HITO_CONSENSUS_LEDGER_GOVERNANCE_H_
#define HITO_CONSENSUS_LEDGER_GOVERNANCE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "consensus/ledger/registry.h"
#include "consensus/ledger/tx_result.h"
#include "consensus/ledger/ubi.h"
#include "consensus/types/governance.h"
#include "consensus/types/transaction.h"
#include "consensus/types/validator_set.h"

namespace hito::consensus::ledger {

struct GovernanceParams {
  uint64_t round_epochs = 7;                // epochs per round; <= claim_window
  uint64_t voice_credits = 100;             // a ballot's budget: sum of v^2
  uint32_t quorum_ppm = 100'000;            // ballots / live identities, parts per million
  uint64_t proposal_deposit = 100'000'000;  // base units escrowed per proposal (100 HITO)
  uint32_t max_proposals_per_round = 64;
  friend bool operator==(const GovernanceParams&, const GovernanceParams&) = default;
};
inline constexpr uint64_t kRoundEpochsMax = kSnapshotWindowMax;
inline constexpr uint64_t kVoiceCreditsMax = uint64_t{1} << 32;
inline constexpr uint32_t kQuorumPpmMax = 1'000'000;
inline constexpr uint64_t kProposalDepositMax = uint64_t{1} << 62;
inline constexpr uint32_t kMaxProposalsPerRoundMax = 256;
// A nullifier casts at most this many ballots per round (the first and its replacements).
inline constexpr uint8_t kBallotRevisionsMax = 4;
inline constexpr uint64_t kBallotChunk = 1024;

Bytes EncodeGovernanceParams(const GovernanceParams& p);
Result<GovernanceParams> DecodeGovernanceParams(ByteView bytes);  // kDataLoss if corrupt
Status ValidateGovernanceParams(const GovernanceParams& p);       // kInvalidArgument

// The round in progress (g/state).
struct RoundState {
  uint64_t round = 0;
  uint64_t start_epoch = 0;
  uint64_t round_epochs = 0;   // this round's length (the param when it opened)
  uint64_t voice_credits = 0;  // this round's budget (the param when it opened)
  uint64_t live = 0;           // live identities of the snapshot of start_epoch
  uint64_t escrow = 0;         // deposits of proposals not yet closed
  friend bool operator==(const RoundState&, const RoundState&) = default;
};

enum class ProposalOutcome : uint8_t {
  kOpen = 0,
  kNoQuorum = 1,
  kRejected = 2,     // quorum reached, tally <= 0
  kExecuted = 3,     // passed and executed
  kNotExecuted = 4,  // passed, but its action no longer applied (reason in the record)
};

struct ProposalRecord {
  types::AccountId proposer{};
  uint64_t deposit = 0;
  types::Action action;
  int64_t tally = 0;
  uint64_t ballots = 0;
  ProposalOutcome outcome = ProposalOutcome::kOpen;
  TxCode reason = TxCode::kOk;  // for kNotExecuted
  uint64_t live = 0;            // the voting round's live count, set at the close
  friend bool operator==(const ProposalRecord&, const ProposalRecord&) = default;
};

namespace governance {

// Genesis, after the registry's (identities included): params and round 0 opened at
// epoch 0 with the live identities of genesis. Fails if the params are invalid or
// round_epochs exceeds the registry's claim_window.
Status InitGenesis(RegistryStore* store, const GovernanceParams& p, const RegistryParams& rp);
// nullopt when governance is not enabled.
Result<std::optional<GovernanceParams>> ReadParams(const RegistryStore& store);
Result<RoundState> ReadRound(const RegistryStore& store);

// The registry's live identities now (reads every identity record).
Result<uint64_t> LiveIdentities(const RegistryStore& store);

// A queued parameter change at the epoch it was due: applied, or dropped because it no
// longer fits the parameters of that moment (`why` says which rule; the code a proposal
// of it would be refused with is TX_PROPOSAL_INVALID).
struct ParamChangeApplied {
  types::ParamChange change;
  bool applied = false;
  std::string why;  // dropped only
  friend bool operator==(const ParamChangeApplied&, const ParamChangeApplied&) = default;
};

// At the first block of `epoch`, before anything else: applies the parameter changes due
// then (each checked again; one that no longer fits is dropped), in queue order, and
// says what became of each.
Result<std::vector<ParamChangeApplied>> ApplyPendingParams(RegistryStore* store, uint64_t epoch);

// A proposal decided at a round's close, as the block events report it. Not state: the
// node keeps it with the block, and nothing in the ledger reads it back.
struct ProposalClosed {
  uint64_t round = 0;  // submitted in this round, voted in round + 1
  uint32_t index = 0;
  ProposalRecord record;  // as written at the close (outcome, tally, ballots, live, reason)
  bool refunded = false;  // the deposit was minted back (set by the ledger once credited)
  std::string why;        // kNotExecuted: why the action no longer applied
  // kExecuted: a parameter change is queued for `from_epoch`; any other action but text
  // holds from `from_height` (validator changes and evidence removals at
  // height + kValidatorChangeDelay, attesters and revocations at once).
  uint64_t from_epoch = 0;
  uint64_t from_height = 0;
  friend bool operator==(const ProposalClosed&, const ProposalClosed&) = default;
};

// What closing a round hands the ledger: deposits to mint back (`closed[proposal]`'s),
// the validator set to schedule from height + kValidatorChangeDelay (nullopt: no change),
// and, for the block events, what was decided and which round opened.
struct Refund {
  types::AccountId to{};
  uint64_t amount = 0;
  size_t proposal = 0;  // its index in RoundClose::closed
};
struct RoundOpened {
  RoundState state;        // as written (round, start epoch, length, credits, live, escrow)
  uint32_t proposals = 0;  // of the round before it: what this round votes on
  friend bool operator==(const RoundOpened&, const RoundOpened&) = default;
};
struct RoundClose {
  std::vector<Refund> refunds;
  std::optional<types::ValidatorSet> next_validators;
  std::vector<ProposalClosed> closed;  // in index order
  std::optional<RoundOpened> opened;   // set iff a round ended at this block
};
// At the first block (`height`) of `epoch`, after the registry's and UBI's epoch work:
// if the round ends here, closes it (tally, outcome and execution of the proposals voted
// in it, prune its ballots) and opens the next.
Result<RoundClose> BeginEpoch(RegistryStore* store, uint64_t height, uint64_t epoch);

// Rule 5 and 6 of a proposal in a block at `height` of round `round.round` (the money
// rules are the ledger's): the round has room and the action applies now.
Result<TxResult> CheckProposal(const RegistryStore& store, uint64_t height,
                               const types::Action& action);
// Records an accepted proposal (its deposit already taken) in the current round.
Status RecordProposal(RegistryStore* store, const types::AccountId& proposer, uint64_t deposit,
                      const types::Action& action);

// The cheap rules of a ballot (3..8 of governance.md) in the current round: a refusal, or
// the statement whose proof must verify.
using BallotCheck = ubi::MembershipCheck;
Result<BallotCheck> CheckBallot(const RegistryStore& store, std::string_view chain_id,
                                const types::Ballot& ballot);
// Records a valid ballot, replacing the nullifier's earlier one of the round if any
// (its contribution to every tally removed first).
Status RecordBallot(RegistryStore* store, const types::Ballot& ballot, const Hash32& nullifier);

// Queries on committed state.
Result<std::optional<ProposalRecord>> GetProposal(const RegistryStore& store, uint64_t round,
                                                  uint32_t index);
Result<uint32_t> ProposalsInRound(const RegistryStore& store, uint64_t round);
// The entries of a nullifier's ballot in `round` (nullopt: none, or pruned).
Result<std::optional<std::vector<types::BallotEntry>>> GetBallot(const RegistryStore& store,
                                                                 uint64_t round,
                                                                 const Hash32& nullifier);
Result<uint64_t> VotersInRound(const RegistryStore& store, uint64_t round);

}  // namespace governance
}  // namespace hito::consensus::ledger

#endif  // HITO_CONSENSUS_LEDGER_GOVERNANCE_H_
