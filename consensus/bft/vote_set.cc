#include "consensus/bft/vote_set.h"

#include "base/assert.h"

namespace hito::consensus::bft {

VoteSet::AddResult VoteSet::Add(uint32_t index, uint64_t power, const types::Vote& vote,
                                const types::Vote** first) {
  auto it = votes_.find(index);
  if (it == votes_.end()) {
    votes_[index].push_back(vote);
    power_[vote.block_hash] += power;
    total_power_ += power;
    return AddResult::kAdded;
  }
  std::vector<types::Vote>& held = it->second;
  for (const types::Vote& v : held) {
    if (v == vote) return AddResult::kDuplicate;
  }
  if (first != nullptr) *first = &held.front();
  for (const types::Vote& v : held) {
    // Same value, different bytes (a second signature over it): nothing new to count.
    if (v.block_hash == vote.block_hash) return AddResult::kDuplicate;
  }
  if (held.size() >= kValuesPerValidator) return AddResult::kConflict;
  held.push_back(vote);
  if (first != nullptr) *first = &held.front();  // the push may have moved it
  power_[vote.block_hash] += power;
  return AddResult::kAddedConflicting;
}

void VoteSet::Remove(uint32_t index, uint64_t power) {
  auto it = votes_.find(index);
  if (it == votes_.end()) return;
  for (const types::Vote& v : it->second) {
    auto p = power_.find(v.block_hash);
    HITO_ASSERT(p != power_.end() && p->second >= power);
    p->second -= power;
    if (p->second == 0) power_.erase(p);
  }
  total_power_ -= power;
  votes_.erase(it);
}

const types::Vote* VoteSet::VoteFor(uint32_t index, const std::optional<Hash32>& value) const {
  auto it = votes_.find(index);
  if (it == votes_.end()) return nullptr;
  for (const types::Vote& v : it->second) {
    if (v.block_hash == value) return &v;
  }
  return nullptr;
}

bool VoteSet::Has(uint32_t index, const types::Vote& vote) const {
  const types::Vote* v = VoteFor(index, vote.block_hash);
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

std::vector<uint32_t> VoteSet::Voters() const {
  std::vector<uint32_t> out;
  out.reserve(votes_.size());
  for (const auto& [index, votes] : votes_) out.push_back(index);
  return out;
}

}  // namespace hito::consensus::bft
