// The validators module of the ledger: which validator set rules each height, the changes
// scheduled for later heights, and the equivocation evidence recorded on chain.
//
// Both live in state, under the state root, so every node derives the same set for the
// same height from the blocks alone, and anyone can check with a state proof which set
// ruled a height and that a piece of evidence was recorded:
//   v/sets               the schedule: (activation height, validator set) entries in
//                        increasing height order; the set of height h is the entry with
//                        the greatest activation height <= h          (tree leaf)
//   e/<evidence hash:32> recorded evidence: height recorded u64, evidence bytes
//                                                                     (tree leaf)
//
// The rule (docs/protocol/consensus.md, "Validator set changes"): a change decided while
// executing block h takes effect at height h + kValidatorChangeDelay (D = 2). Header h
// carries validators_hash (set of h) and next_validators_hash (set of h + 1), and both
// must be fixed by the state after block h - 1 that the proposer builds on: a change
// decided in h - 1 may therefore touch h + 1 at the earliest. So after block h the state
// knows the sets of every height up to h + 2, and block sync can verify the commit of h + 1
// with the state after h.
//
// Pure functions over a KvReader: no I/O, no clock; not thread-safe beyond the reader's.
#ifndef HITO_CONSENSUS_LEDGER_VALIDATORS_H_
#define HITO_CONSENSUS_LEDGER_VALIDATORS_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "consensus/ledger/kv.h"
#include "consensus/types/validator_set.h"
#include "consensus/types/vote.h"

namespace hito::consensus::ledger {

// D: a change decided in block h rules from height h + D.
inline constexpr uint64_t kValidatorChangeDelay = 2;
// Evidence for height e may be included in blocks e + 1 .. e + kEvidenceMaxAgeHeights.
// About 100 s at the default 1 s interval: long enough for gossip and a few failed
// rounds, short enough that the state keeps only a few old validator sets.
inline constexpr uint64_t kEvidenceMaxAgeHeights = 100;
// Bound on the schedule's entries (future changes plus the sets kept for evidence).
inline constexpr size_t kValidatorScheduleMax = 64;

inline constexpr std::string_view kValidatorSetsKey = "v/sets";
inline constexpr std::string_view kEvidencePrefix = "e/";

struct ValidatorSetChange {
  uint64_t height = 0;  // first height the set rules
  types::ValidatorSet set;
  friend bool operator==(const ValidatorSetChange&, const ValidatorSetChange&) = default;
};

// The schedule as stored in v/sets. Entries are in strictly increasing height order; the
// first one rules every height from its own on (the genesis set has height 1).
class ValidatorSchedule {
 public:
  const std::vector<ValidatorSetChange>& entries() const { return entries_; }
  // The set of `height`; nullptr if no entry covers it (below the first one kept).
  const types::ValidatorSet* SetAt(uint64_t height) const;
  // Adds or replaces (a later decision for the same height wins) the entry at `height`.
  Status Put(uint64_t height, types::ValidatorSet set);
  // Drops entries no height >= `oldest_needed` uses. Returns true if any was dropped.
  bool Prune(uint64_t oldest_needed);

  friend Bytes EncodeValidatorSchedule(const ValidatorSchedule& s);
  friend Result<ValidatorSchedule> DecodeValidatorSchedule(ByteView bytes);
  friend bool operator==(const ValidatorSchedule&, const ValidatorSchedule&) = default;

 private:
  std::vector<ValidatorSetChange> entries_;
};

// u32be count, then per entry: u64be height, u32be length, EncodeValidatorSet bytes.
Bytes EncodeValidatorSchedule(const ValidatorSchedule& s);
// Strict (state is trusted data, so a bad record is kDataLoss).
Result<ValidatorSchedule> DecodeValidatorSchedule(ByteView bytes);

// The genesis schedule: the genesis set from height 1, then `changes` (from the genesis
// file's validator_schedule). Strict: heights >= 2 and strictly increasing, at most
// kValidatorScheduleMax - 1 changes, each set non-empty.
Result<ValidatorSchedule> GenesisValidatorSchedule(const types::ValidatorSet& genesis_set,
                                                   const std::vector<ValidatorSetChange>& changes);

// Reads v/sets.
Result<ValidatorSchedule> ReadValidatorSchedule(const KvReader& state);
// The set of `height` in the state after block `committed_height` (its m/height). Known
// for heights committed_height + 1 - kEvidenceMaxAgeHeights .. committed_height + D;
// kOutOfRange outside (a later height may still change; an older one was pruned).
Result<types::ValidatorSet> ValidatorSetAt(const KvReader& state, uint64_t committed_height,
                                           uint64_t height);

// Schedules `set` to rule from decided_height + D in `schedule` (read with
// ReadValidatorSchedule). Governance's changes reach it through ValidatorRecords
// (`scheduled`), so the pruning and the write of v/sets happen once per block.
Status ScheduleValidatorSetChange(ValidatorSchedule* schedule, uint64_t decided_height,
                                  types::ValidatorSet set);

// The state key of a piece of evidence: "e/" + BLAKE2b-256 "hito/v1/evidence" of its
// canonical encoding. Its record: u64be height recorded, then EncodeEvidence.
Bytes EvidenceKey(const types::DuplicateVoteEvidence& e);
Bytes EncodeEvidenceRecord(uint64_t recorded_height, const types::DuplicateVoteEvidence& e);
// The same for conflicting-proposal evidence, over EncodeProposalEvidence (whose first
// byte, the kind tag, keeps the two kinds' keys apart).
Bytes EvidenceKey(const types::ConflictingProposalEvidence& e);
Bytes EncodeEvidenceRecord(uint64_t recorded_height, const types::ConflictingProposalEvidence& e);

// Checks one piece of evidence for inclusion in block `block_height` on the state after
// block_height - 1: signatures and shape (types::VerifyEvidence), height below the block
// and at most kEvidenceMaxAgeHeights old, signer in the set of THAT height, and not
// recorded before. kInvalidArgument with the reason otherwise.
Status CheckEvidence(const KvReader& state, std::string_view chain_id,
                     const ValidatorSchedule& schedule, uint64_t block_height,
                     const types::DuplicateVoteEvidence& e);
// The same rules for conflicting-proposal evidence (types::VerifyProposalEvidence).
Status CheckEvidence(const KvReader& state, std::string_view chain_id,
                     const ValidatorSchedule& schedule, uint64_t block_height,
                     const types::ConflictingProposalEvidence& e);

// Whether a node may keep a piece of evidence it heard of (from its engine or a peer)
// for a later block, on the state after block `committed_height`: its height is at most
// committed_height + 1 (the height being decided; anything later is refused), the signer
// was a validator of THAT height, and CheckEvidence holds for the first block that may
// include it. Refusals are kInvalidArgument (or the storage error).
Status CheckPendingEvidence(const KvReader& state, std::string_view chain_id,
                            uint64_t committed_height, const types::DuplicateVoteEvidence& e);
Status CheckPendingEvidence(const KvReader& state, std::string_view chain_id,
                            uint64_t committed_height, const types::ConflictingProposalEvidence& e);

// A state from a genesis without validators (ledger-only tests) has no v/sets record;
// then ValidatorRecords writes nothing and refuses any evidence.
//
// What block `block_height` writes in this module, on the state after block_height - 1:
// each piece of evidence recorded once (the block is refused if any is invalid,
// recorded before or listed twice), and the schedule pruned to what evidence can still
// need, with `scheduled` (a governance decision in this block) set to rule from
// block_height + D. The records are returned in key order; the caller adds them to its
// changes and the state tree.
Result<std::vector<std::pair<Bytes, Bytes>>> ValidatorRecords(
    const KvReader& state, std::string_view chain_id, uint64_t block_height,
    const std::vector<types::DuplicateVoteEvidence>& evidence,
    const std::vector<types::ConflictingProposalEvidence>& proposal_evidence = {},
    const std::optional<types::ValidatorSet>& scheduled = std::nullopt);

}  // namespace hito::consensus::ledger

#endif  // HITO_CONSENSUS_LEDGER_VALIDATORS_H_
