#include "consensus/bft/vote_set.h"

#include "base/assert.h"

namespace hito::consensus::bft {

VoteSet::AddResult VoteSet::Add(uint32_t index, uint64_t power, const types::Vote& vote,
                                const types::Vote** existing) {
  auto it = votes_.find(index);
  if (it != votes_.end()) {
    if (it->second == vote) return AddResult::kDuplicate;
    if (existing != nullptr) *existing = &it->second;
    return AddResult::kConflict;
  }
  votes_.emplace(index, vote);
  power_[vote.block_hash] += power;
  total_power_ += power;
  return AddResult::kAdded;
}

void VoteSet::Remove(uint32_t index, uint64_t power) {
  auto it = votes_.find(index);
  if (it == votes_.end()) return;
  auto p = power_.find(it->second.block_hash);
  HITO_ASSERT(p != power_.end() && p->second >= power);
  p->second -= power;
  if (p->second == 0) power_.erase(p);
  total_power_ -= power;
  votes_.erase(it);
}

const types::Vote* VoteSet::Get(uint32_t index) const {
  auto it = votes_.find(index);
  return it == votes_.end() ? nullptr : &it->second;
}

bool VoteSet::Has(uint32_t index, const types::Vote& vote) const {
  const types::Vote* v = Get(index);
  return v != nullptr && *v == vote;
}

uint64_t VoteSet::PowerFor(const std::optional<Hash32>& value) const {
  auto it = power_.find(value);
  return it == power_.end() ? 0 : it->second;
}

std::optional<std::optional<Hash32>> VoteSet::ValueWithPower(uint64_t quorum) const {
  for (const auto& [value, power] : power_) {
    if (power >= quorum) return value;
  }
  return std::nullopt;
}

}  // namespace hito::consensus::bft
