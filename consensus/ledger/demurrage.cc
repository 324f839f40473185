#include "consensus/ledger/demurrage.h"

#include "base/assert.h"

namespace hito::consensus::ledger::demurrage {
namespace {

constexpr U128 kLow64 = (U128{1} << 64) - 1;

// r = floor(2^127 (10^6 - ppm) / 10^6), exact: 2^127 = q 10^6 + rem.
U128 PerEpochFactor(uint32_t ppm) {
  const U128 keep = kPpm - ppm;
  return (kOne / kPpm) * keep + ((kOne % kPpm) * keep) / kPpm;
}

}  // namespace

U128 MulQ127(U128 a, U128 b) {
  HITO_ASSERT(a <= kOne && b <= kOne);
  const U128 a0 = a & kLow64, a1 = a >> 64;
  const U128 b0 = b & kLow64, b1 = b >> 64;
  const U128 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  // The 256-bit product as hi * 2^128 + lo.
  const U128 mid = (p00 >> 64) + (p01 & kLow64) + (p10 & kLow64);  // < 3 * 2^64
  const U128 lo = (mid << 64) | (p00 & kLow64);
  const U128 hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
  // a, b <= 2^127 so the product is <= 2^254 and the result <= 2^127.
  return (hi << 1) | (lo >> 127);
}

U128 Factor(uint32_t ppm, uint64_t epochs) {
  HITO_ASSERT(ppm <= kMaxPpmPerEpoch);
  if (ppm == 0 || epochs == 0) return kOne;
  if (epochs >= kEpochsToZero) return 0;
  U128 result = kOne;
  U128 power = PerEpochFactor(ppm);  // r^(2^i) as i walks the bits of `epochs`
  for (uint64_t k = epochs; k != 0;) {
    if ((k & 1) != 0) result = MulQ127(result, power);
    k >>= 1;
    if (k != 0) power = MulQ127(power, power);
  }
  HITO_ASSERT(result <= kOne);
  return result;
}

Decayed Decay(uint64_t balance, uint32_t ppm, uint64_t epochs) {
  if (ppm != 0 && epochs != 0 && epochs <= kExactEpochs) {
    // Exact: floor(balance * keep^k / 10^(6k)); keep^3 < 2^60 and 10^18 < 2^60.
    U128 keep_k = 1, denominator = 1;
    for (uint64_t i = 0; i < epochs; ++i) {
      keep_k *= kPpm - ppm;
      denominator *= kPpm;
    }
    const U128 product = U128{balance} * keep_k;
    const U128 rem = product % denominator;
    Decayed d;
    d.value = static_cast<uint64_t>(product / denominator);
    // rem / denominator < 1, times 2^64 rounded down (rem < 2^60, so the shift fits).
    d.cut = static_cast<uint64_t>((rem << 64) / denominator);
    return d;
  }
  const U128 f = Factor(ppm, epochs);
  if (f == kOne) return Decayed{balance, 0};
  // balance * f = w * 2^64 + low, with w = balance * f >> 64 < 2^127 + 2^64.
  const U128 f0 = f & kLow64, f1 = f >> 64;
  const U128 b = balance;
  const U128 low_product = b * f0;
  const U128 w = b * f1 + (low_product >> 64);
  const uint64_t low = static_cast<uint64_t>(low_product);
  Decayed d;
  d.value = static_cast<uint64_t>(w >> 63);  // floor(balance * f / 2^127)
  // (balance * f - value * 2^127) / 2^63, rounded down: the cut fraction times 2^64.
  d.cut = static_cast<uint64_t>(((w & ((U128{1} << 63) - 1)) << 1) | (low >> 63));
  HITO_ASSERT(d.value <= balance);
  return d;
}

SupplyState AdvanceSupply(SupplyState s, uint32_t ppm, uint64_t epoch) {
  HITO_ASSERT(epoch >= s.epoch && ppm <= kMaxPpmPerEpoch);
  if (ppm == 0) {
    s.epoch = epoch;
    return s;
  }
  const U128 keep = kPpm - ppm;
  while (s.epoch < epoch && s.scaled != 0) {
    // ceil(scaled * keep / 10^6) without overflow: scaled = q 10^6 + rem.
    const U128 q = s.scaled / kPpm, rem = s.scaled % kPpm;
    s.scaled = q * keep + (rem * keep + kPpm - 1) / kPpm;
    ++s.epoch;
  }
  s.epoch = epoch;
  return s;
}

std::optional<SupplyState> AddUnits(SupplyState s, uint64_t amount) {
  const U128 add = U128{amount} << 64;
  if (s.scaled > ~U128{0} - add) return std::nullopt;
  s.scaled += add;
  return s;
}

std::optional<SupplyState> SubUnits(SupplyState s, uint64_t amount) {
  const U128 sub = U128{amount} << 64;
  if (s.scaled < sub) return std::nullopt;
  s.scaled -= sub;
  return s;
}

std::optional<SupplyState> SubCut(SupplyState s, uint64_t cut) {
  if (s.scaled < cut) return std::nullopt;
  s.scaled -= cut;
  return s;
}

}  // namespace hito::consensus::ledger::demurrage
