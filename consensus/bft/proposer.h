// Proposer selection: weighted round-robin over the validator set of one height.
//
// The schedule is the smooth weighted round-robin sequence (the one nginx and Tendermint
// use): every slot, each validator's priority grows by its weight; the validator with the
// highest priority (ties: lowest set index) proposes and its priority drops by the total
// weight. Over one period of `total weight` slots each validator proposes exactly `weight`
// times, interleaved rather than in runs, so a crashed heavy validator does not stall many
// consecutive rounds. The proposer of (height, round) is slot (height + round) mod period:
// a pure function of the set, the height and the round, which every node computes alike
// without any state carried between heights.
//
// Weights are the voting powers when their total is at most kProposerPeriodMax; above it
// each weight is scaled to max(1, power / ceil(total / kProposerPeriodMax)) so the
// precomputed period stays small. Pure and deterministic; not thread-safe to mutate.
#ifndef HITO_CONSENSUS_BFT_PROPOSER_H_
#define HITO_CONSENSUS_BFT_PROPOSER_H_

#include <cstdint>
#include <vector>

#include "consensus/types/validator_set.h"

namespace hito::consensus::bft {

inline constexpr uint64_t kProposerPeriodMax = 4096;

class ProposerSchedule {
 public:
  ProposerSchedule() = default;
  // `set` must be non-empty.
  explicit ProposerSchedule(const types::ValidatorSet& set);

  // Index in the set of the proposer of (height, round).
  uint32_t ProposerIndex(uint64_t height, uint32_t round) const;
  // Length of one full period of the schedule.
  uint64_t period() const { return sequence_.size(); }

 private:
  std::vector<uint32_t> sequence_;  // proposer index of each slot of one period
};

}  // namespace hito::consensus::bft

#endif  // HITO_CONSENSUS_BFT_PROPOSER_H_
