// VoteSet: the votes of one type in one round of one height, with their voting power.
//
// Power is summed per voted value (a block hash, or nil) over the validators that signed a
// vote for that value, as the paper counts "2f+1 <PREVOTE, h, r, id(v)>": messages from
// distinct processes for that value. A validator that equivocates therefore counts for
// each value it signed (it is faulty; quorum intersection already allows for that), which
// keeps a proof-of-lock visible to a validator that happened to receive the conflicting
// vote first. To bound memory, at most kValuesPerValidator votes (distinct values) are
// kept per validator; further ones are reported as conflicts and dropped. Power "for any
// value" counts each validator once. Callers check signatures and membership first.
// Not thread-safe.
#ifndef HITO_CONSENSUS_BFT_VOTE_SET_H_
#define HITO_CONSENSUS_BFT_VOTE_SET_H_

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "base/bytes.h"
#include "consensus/types/vote.h"

namespace hito::consensus::bft {

inline constexpr size_t kValuesPerValidator = 2;

class VoteSet {
 public:
  enum class AddResult {
    kAdded,             // first vote of this validator
    kDuplicate,         // exactly this vote is already held
    kAddedConflicting,  // a second value from this validator: kept, and equivocation
    kConflict,          // a further value: equivocation, not kept
  };

  // Adds `vote` cast by the validator at `index` with `power`. On kAddedConflicting and
  // kConflict, *first points to the validator's first vote.
  AddResult Add(uint32_t index, uint64_t power, const types::Vote& vote, const types::Vote** first);
  // Removes every vote of a validator (used to evict votes of far-future rounds).
  void Remove(uint32_t index, uint64_t power);

  // The validator's vote for `value`, if it signed one.
  const types::Vote* VoteFor(uint32_t index, const std::optional<Hash32>& value) const;
  // Exactly `vote` is held.
  bool Has(uint32_t index, const types::Vote& vote) const;
  uint64_t PowerFor(const std::optional<Hash32>& value) const;
  // Power of the validators holding any vote here, each once (the paper's "2f+1 <..., *>").
  uint64_t total_power() const { return total_power_; }
  // The value holding at least `quorum` power, if any (the lowest such value if, with
  // equivocators counted twice, several do).
  std::optional<std::optional<Hash32>> ValueWithPower(uint64_t quorum) const;
  // Validators holding a vote here (in index order).
  std::vector<uint32_t> Voters() const;
  size_t size() const { return votes_.size(); }

 private:
  std::map<uint32_t, std::vector<types::Vote>> votes_;  // by validator, first vote first
  std::map<std::optional<Hash32>, uint64_t> power_;
  uint64_t total_power_ = 0;
};

}  // namespace hito::consensus::bft

#endif  // HITO_CONSENSUS_BFT_VOTE_SET_H_
