// Demurrage: balances shrink by `demurrage_ppm_per_epoch` parts per million per epoch.
//
// Applied lazily and in exact integer arithmetic (docs/protocol/ubi.md, "Supply"). An
// account record carries the epoch its balance was last settled at; its balance at a later
// epoch e is Decay(balance, ppm, e - settled epoch), rounded toward zero. The supply is
// tracked as one 128-bit fixed-point aggregate (SupplyState) that decays once per epoch,
// rounded up, and loses at each settlement the exact fraction the account's rounding cut.
// The proof in ubi.md gives, at every height,
//   sum of balances <= Supply() <= sum of balances + (accounts with a nonzero record)
// and exact equality when the rate is 0. Pure functions; no I/O, no floating point.
#ifndef HITO_CONSENSUS_LEDGER_DEMURRAGE_H_
#define HITO_CONSENSUS_LEDGER_DEMURRAGE_H_

#include <cstdint>
#include <optional>

namespace hito::consensus::ledger::demurrage {

__extension__ typedef unsigned __int128 U128;

inline constexpr uint32_t kPpm = 1'000'000;
// The largest rate genesis accepts (a rate of 10^6 would empty every account at once).
inline constexpr uint32_t kMaxPpmPerEpoch = kPpm - 1;
// 1.0 in the Q127 fixed point of Factor.
inline constexpr U128 kOne = U128{1} << 127;
// Gaps of at least this many epochs decay every balance to 0 without computing the factor;
// that is the exact rule too, since for any rate >= 1 ppm and balance < 2^64,
// 2^64 (1 - 10^-6)^(2^26) < 2^-32.
inline constexpr uint64_t kEpochsToZero = uint64_t{1} << 26;

// floor(a * b / 2^127) for a, b <= 2^127 (exact, through a 256-bit product).
U128 MulQ127(U128 a, U128 b);

// The decay factor over `epochs` epochs at `ppm` per epoch, in Q127: 2^127 exactly when
// ppm or epochs is 0, 0 when epochs >= kEpochsToZero, otherwise square-and-multiply of
// r = floor(2^127 (10^6 - ppm) / 10^6) over the bits of `epochs` from the least
// significant, every product rounded toward zero by MulQ127. So Factor <= 2^127 r^k and
// the shortfall is less than 2k units of 2^-127 (ubi.md, lemma 1).
U128 Factor(uint32_t ppm, uint64_t epochs);

// Gaps of at most this many epochs are decayed exactly (Decay).
inline constexpr uint64_t kExactEpochs = 3;

// A balance settled over k = `epochs` epochs. For k <= kExactEpochs the exact rule:
// value = floor(balance * (10^6 - ppm)^k / 10^(6k)). For longer gaps (an account idle for
// more than three epochs): value = floor(balance * Factor / 2^127), which is the exact
// value rounded toward zero except when the exact value lies within balance * 2k * 2^-127
// (< 2^-36) above an integer, where it is one less (never more). And
// cut = floor(2^64 * (balance * Factor / 2^127 - value)), the fraction the rounding toward
// zero removed, in units of 2^-64 (so cut < 2^64).
struct Decayed {
  uint64_t value = 0;
  uint64_t cut = 0;
};
Decayed Decay(uint64_t balance, uint32_t ppm, uint64_t epochs);

// The supply aggregate: `scaled` is the supply in units of 2^-64 base units (the reported
// supply is scaled >> 64), decayed up to `epoch`. Invariant (ubi.md): scaled >= 2^64 x the
// exact sum, over every account record, of balance * (1 - ppm/10^6)^(epoch - settled).
struct SupplyState {
  U128 scaled = 0;
  uint64_t epoch = 0;
  uint64_t Units() const { return static_cast<uint64_t>(scaled >> 64); }
  friend bool operator==(const SupplyState&, const SupplyState&) = default;
};

// Brings the supply to `epoch` (>= s.epoch), one epoch at a time:
// scaled <- ceil(scaled * (10^6 - ppm) / 10^6), rounded up so the invariant holds. Stops
// early at 0. `epoch - s.epoch` is 1 at the first block of each epoch.
SupplyState AdvanceSupply(SupplyState s, uint32_t ppm, uint64_t epoch);

// Adds `amount` base units; nullopt when the reported supply would exceed u64.
std::optional<SupplyState> AddUnits(SupplyState s, uint64_t amount);
// Removes `amount` base units (a burned fee); nullopt when it would go below zero.
std::optional<SupplyState> SubUnits(SupplyState s, uint64_t amount);
// Removes a settlement's cut (units of 2^-64); nullopt when it would go below zero.
std::optional<SupplyState> SubCut(SupplyState s, uint64_t cut);

}  // namespace hito::consensus::ledger::demurrage

#endif  // HITO_CONSENSUS_LEDGER_DEMURRAGE_H_
