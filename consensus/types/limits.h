// Protocol limits. Every list, string and message the node accepts has one.
#ifndef HITO_CONSENSUS_TYPES_LIMITS_H_
#define HITO_CONSENSUS_TYPES_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace hito::consensus::types {

inline constexpr size_t kChainIdMaxLen = 64;
inline constexpr size_t kMemoMaxLen = 256;
inline constexpr size_t kTxMaxBytes = 64 * 1024;
inline constexpr uint32_t kBlockMaxTxs = 20'000;
inline constexpr size_t kBlockMaxBytes = 8 * 1024 * 1024;
inline constexpr uint32_t kValidatorsMax = 128;
inline constexpr uint32_t kEvidenceMaxPerBlock = 64;
// A block's time is strictly after its parent's and at most this much after it, so one
// proposer can move the chain's clock by at most an hour per block (docs/decisions.md).
inline constexpr uint64_t kBlockTimeMaxStepMs = 60 * 60 * 1000;
// The latest genesis time (9999-12-31T23:59:59.999Z): from there, reaching u64 block times
// in steps of kBlockTimeMaxStepMs takes more than 5 * 10^12 blocks.
inline constexpr uint64_t kGenesisTimeMaxMs = 253'402'300'799'999;

// 1 HITO = 1,000,000 base units. Amounts are always integers of base units.
inline constexpr uint64_t kUnitsPerHito = 1'000'000;

}  // namespace hito::consensus::types

#endif  // HITO_CONSENSUS_TYPES_LIMITS_H_
