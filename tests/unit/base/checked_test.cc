// Checked arithmetic: results in range are exact, and every overflow, underflow and
// narrowing that does not fit returns nullopt instead of wrapping.
#include "base/checked.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace hito {
namespace {

constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();

TEST(CheckedTest, AddInRangeAndOverflow) {
  EXPECT_EQ(CheckedAdd<uint64_t>(2, 3), 5u);
  EXPECT_EQ(CheckedAdd<uint64_t>(kU64Max - 1, 1), kU64Max);
  EXPECT_EQ(CheckedAdd<uint64_t>(kU64Max, 1), std::nullopt);
  EXPECT_EQ(CheckedAdd<int64_t>(kI64Max, 1), std::nullopt);
  EXPECT_EQ(CheckedAdd<int64_t>(kI64Min, -1), std::nullopt);
  EXPECT_EQ(CheckedAdd<int64_t>(kI64Min, kI64Max), -1);
  EXPECT_EQ(CheckedAdd<uint8_t>(200, 56), std::nullopt);
  EXPECT_EQ(CheckedAdd<uint8_t>(200, 55), 255);
}

TEST(CheckedTest, SubInRangeAndUnderflow) {
  EXPECT_EQ(CheckedSub<uint64_t>(5, 5), 0u);
  EXPECT_EQ(CheckedSub<uint64_t>(0, 1), std::nullopt);
  EXPECT_EQ(CheckedSub<int64_t>(kI64Min, 1), std::nullopt);
  EXPECT_EQ(CheckedSub<int64_t>(0, kI64Min), std::nullopt);
  EXPECT_EQ(CheckedSub<int64_t>(-1, kI64Max), kI64Min);
}

TEST(CheckedTest, MulInRangeAndOverflow) {
  EXPECT_EQ(CheckedMul<uint64_t>(1ull << 32, (1ull << 32) - 1), (1ull << 32) * ((1ull << 32) - 1));
  EXPECT_EQ(CheckedMul<uint64_t>(1ull << 32, 1ull << 32), std::nullopt);
  EXPECT_EQ(CheckedMul<uint64_t>(kU64Max, 0), 0u);
  EXPECT_EQ(CheckedMul<int64_t>(kI64Min, -1), std::nullopt);
  EXPECT_EQ(CheckedMul<int64_t>(-3037000499LL, 3037000499LL), -3037000499LL * 3037000499LL);
  EXPECT_EQ(CheckedMul<int64_t>(3037000500LL, 3037000500LL), std::nullopt);
}

TEST(CheckedTest, CastFitsOrFails) {
  EXPECT_EQ((CheckedCast<uint32_t, uint64_t>(0xffffffffull)), 0xffffffffu);
  EXPECT_EQ((CheckedCast<uint32_t, uint64_t>(0x100000000ull)), std::nullopt);
  EXPECT_EQ((CheckedCast<uint64_t, int64_t>(-1)), std::nullopt);
  EXPECT_EQ((CheckedCast<int64_t, uint64_t>(kU64Max)), std::nullopt);
  EXPECT_EQ((CheckedCast<int64_t, uint64_t>(static_cast<uint64_t>(kI64Max))), kI64Max);
  EXPECT_EQ((CheckedCast<int8_t, int64_t>(-128)), -128);
  EXPECT_EQ((CheckedCast<int8_t, int64_t>(-129)), std::nullopt);
}

TEST(CheckedTest, UsableInConstantExpressions) {
  static_assert(CheckedAdd<uint32_t>(1, 2) == 3u);
  static_assert(!CheckedMul<uint32_t>(1u << 16, 1u << 16).has_value());
  SUCCEED();
}

}  // namespace
}  // namespace hito
