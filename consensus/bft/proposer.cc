#include "consensus/bft/proposer.h"

#include "base/assert.h"

namespace hito::consensus::bft {

ProposerSchedule::ProposerSchedule(const types::ValidatorSet& set) {
  const auto& validators = set.validators();
  HITO_ASSERT(!validators.empty());
  const uint64_t total = set.total_power();
  uint64_t divisor = 1;
  if (total > kProposerPeriodMax) {
    divisor = (total + kProposerPeriodMax - 1) / kProposerPeriodMax;
  }
  std::vector<int64_t> weight(validators.size());
  int64_t period = 0;
  for (size_t i = 0; i < validators.size(); ++i) {
    uint64_t w = validators[i].power / divisor;
    if (w == 0) w = 1;
    weight[i] = static_cast<int64_t>(w);
    period += weight[i];
  }
  std::vector<int64_t> priority(validators.size(), 0);
  sequence_.reserve(static_cast<size_t>(period));
  for (int64_t slot = 0; slot < period; ++slot) {
    size_t best = 0;
    for (size_t i = 0; i < validators.size(); ++i) {
      priority[i] += weight[i];
      if (priority[i] > priority[best]) best = i;
    }
    priority[best] -= period;
    sequence_.push_back(static_cast<uint32_t>(best));
  }
}

uint32_t ProposerSchedule::ProposerIndex(uint64_t height, uint32_t round) const {
  HITO_ASSERT(!sequence_.empty());
  const uint64_t n = sequence_.size();
  const uint64_t slot = (height % n + round % n) % n;
  return sequence_[static_cast<size_t>(slot)];
}

}  // namespace hito::consensus::bft
