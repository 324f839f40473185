// PreparedSetCache: LRU eviction order, the byte bound, sets too large to keep, failed
// loads not cached, and concurrent Gets of one missing set building it once. Sets are
// real 16-member prepared sets; the loader is a counting stand-in for the registry.
#include "node/chain/prepared_set_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "consensus/ledger/kv.h"
#include "zk/point.h"
#include "zk/scalar.h"

namespace hito::node::chain {
namespace {

namespace ledger = consensus::ledger;
using zk::proof::membership::PreparedSet;

PreparedSet SetOf(uint32_t seed, size_t n = 16) {
  std::vector<zk::Point> members;
  for (size_t i = 0; i < n; ++i)
    members.push_back(zk::Point::MulBase(zk::Scalar::FromU64(seed * 1000 + i + 1)));
  return PreparedSet::Create(members).value();
}

Hash32 HashOf(uint8_t b) {
  Hash32 h{};
  h[0] = b;
  return h;
}

// Hands out SetOf(hash[0]) for any hash whose first byte is non-zero, counting calls.
struct FakeRegistry {
  std::atomic<int> loads{0};
  std::chrono::milliseconds delay{0};
  PreparedSetCache::Loader loader() {
    return [this](const ledger::RegistryStore&, uint32_t,
                  const Hash32& h) -> PreparedSetCache::LoadResult {
      ++loads;
      std::this_thread::sleep_for(delay);
      if (h[0] == 0) return std::optional<PreparedSet>();
      if (h[0] == 0xff) return DataLossError("corrupt set");
      return std::optional<PreparedSet>(SetOf(h[0]));
    };
  }
};

class PreparedSetCacheTest : public ::testing::Test {
 protected:
  ledger::MemoryKv kv_;
  ledger::RegistryStore store_{&kv_};
  FakeRegistry registry_;
  const uint64_t one_ = PreparedSetCache::EstimateBytes(16);
};

TEST_F(PreparedSetCacheTest, EstimateChargesTablesAndPoints) {
  // The figure documented for the default bound: a 2^14 set is ~47 MB with its tables.
  EXPECT_GT(PreparedSetCache::EstimateBytes(16384), uint64_t{45} << 20);
  EXPECT_LT(PreparedSetCache::EstimateBytes(16384), uint64_t{48} << 20);
  EXPECT_GT(one_, 16u * 120);
}

TEST_F(PreparedSetCacheTest, HitsDoNotReloadAndLeastRecentlyUsedIsEvictedFirst) {
  PreparedSetCache cache(3 * one_, registry_.loader());
  for (uint8_t b = 1; b <= 3; ++b) {
    auto s = cache.Get(store_, 0, HashOf(b));
    ASSERT_TRUE(s.ok() && s->has_value());
  }
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.bytes(), 3 * one_);
  // Touch 1, so 2 is now the least recently used.
  auto again = cache.Get(store_, 0, HashOf(1));
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->hash(), SetOf(1).hash());
  EXPECT_EQ(registry_.loads.load(), 3);
  ASSERT_TRUE(cache.Get(store_, 0, HashOf(4)).ok());
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_TRUE(cache.Contains(0, HashOf(1)));
  EXPECT_FALSE(cache.Contains(0, HashOf(2)));
  EXPECT_TRUE(cache.Contains(0, HashOf(3)));
  EXPECT_TRUE(cache.Contains(0, HashOf(4)));
  // The cohort is part of the key.
  EXPECT_FALSE(cache.Contains(1, HashOf(1)));
  ASSERT_TRUE(cache.Get(store_, 1, HashOf(1)).ok());
  EXPECT_FALSE(cache.Contains(0, HashOf(3)));
  EXPECT_EQ(registry_.loads.load(), 5);
}

TEST_F(PreparedSetCacheTest, NeverHoldsMoreThanTheBound) {
  PreparedSetCache cache(2 * one_ + one_ / 2, registry_.loader());
  for (uint8_t b = 1; b <= 20; ++b) {
    ASSERT_TRUE(cache.Get(store_, 0, HashOf(b)).ok());
    EXPECT_LE(cache.bytes(), 2 * one_ + one_ / 2);
    EXPECT_LE(cache.size(), 2u);
  }
  // A set larger than the whole bound is returned but not kept.
  PreparedSetCache tiny(one_ - 1, registry_.loader());
  auto s = tiny.Get(store_, 0, HashOf(9));
  ASSERT_TRUE(s.ok() && s->has_value());
  EXPECT_EQ(tiny.size(), 0u);
  EXPECT_EQ(tiny.bytes(), 0u);
}

TEST_F(PreparedSetCacheTest, MissingAndFailedSetsAreNotCached) {
  PreparedSetCache cache(4 * one_, registry_.loader());
  auto missing = cache.Get(store_, 0, HashOf(0));
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  auto corrupt = cache.Get(store_, 0, HashOf(0xff));
  EXPECT_EQ(corrupt.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(cache.size(), 0u);
  ASSERT_TRUE(cache.Get(store_, 0, HashOf(0)).ok());
  EXPECT_EQ(registry_.loads.load(), 3);  // asked again, loaded again
}

TEST_F(PreparedSetCacheTest, ConcurrentGetsOfOneMissingSetBuildItOnce) {
  registry_.delay = std::chrono::milliseconds(50);
  PreparedSetCache cache(4 * one_, registry_.loader());
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      auto s = cache.Get(store_, 3, HashOf(7));
      if (s.ok() && s->has_value() && (*s)->hash() == SetOf(7).hash()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads);
  EXPECT_EQ(registry_.loads.load(), 1);
  EXPECT_EQ(cache.builds(), 1u);
  EXPECT_EQ(cache.size(), 1u);
}

TEST_F(PreparedSetCacheTest, DefaultLoaderReadsTheRegistryStore) {
  // No such set in an empty store: nullopt, not an error.
  PreparedSetCache cache;
  auto s = cache.Get(store_, 0, HashOf(5));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_FALSE(s->has_value());
}

}  // namespace
}  // namespace hito::node::chain
