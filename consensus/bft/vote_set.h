// VoteSet: the votes of one type in one round of one height, with their voting power.
//
// It holds at most one vote per validator (the first valid one; a second, different vote
// by the same validator is equivocation, reported to the caller and not counted), and
// sums power per voted value (a block hash, or nil). Callers check signatures and
// membership before adding. Not thread-safe.
#ifndef HITO_CONSENSUS_BFT_VOTE_SET_H_
#define HITO_CONSENSUS_BFT_VOTE_SET_H_

#include <cstdint>
#include <map>
#include <optional>

#include "base/bytes.h"
#include "consensus/types/vote.h"

namespace hito::consensus::bft {

class VoteSet {
 public:
  enum class AddResult { kAdded, kDuplicate, kConflict };

  // Adds `vote` cast by the validator at `index` with `power`. On kConflict, *existing
  // points to the vote already held for that validator.
  AddResult Add(uint32_t index, uint64_t power, const types::Vote& vote,
                const types::Vote** existing);
  // Removes the vote of a validator (used to evict votes of far-future rounds).
  void Remove(uint32_t index, uint64_t power);

  const types::Vote* Get(uint32_t index) const;
  // The stored vote of `index` is exactly `vote`.
  bool Has(uint32_t index, const types::Vote& vote) const;
  uint64_t PowerFor(const std::optional<Hash32>& value) const;
  // Power of every vote held, whatever its value (the paper's "2f+1 <..., *>").
  uint64_t total_power() const { return total_power_; }
  // The value holding at least `quorum` power, if any.
  std::optional<std::optional<Hash32>> ValueWithPower(uint64_t quorum) const;
  const std::map<uint32_t, types::Vote>& votes() const { return votes_; }

 private:
  std::map<uint32_t, types::Vote> votes_;
  std::map<std::optional<Hash32>, uint64_t> power_;
  uint64_t total_power_ = 0;
};

}  // namespace hito::consensus::bft

#endif  // HITO_CONSENSUS_BFT_VOTE_SET_H_
