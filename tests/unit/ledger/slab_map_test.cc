// SlabMap and key_order.h (consensus/ledger): the ledger caches' hash map and the
// bytewise key order, checked against std::map and std::array's operators on random
// operations, with hashers that force long probe runs (so backward-shift deletion and
// wrap-around are exercised).
#include "consensus/ledger/slab_map.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

#include "consensus/ledger/key_order.h"

namespace hito::consensus::ledger {
namespace {

struct FirstByteHash {  // few distinct homes: long probe runs
  uint64_t operator()(const Hash32& k) const { return k[0] % 8; }
};
struct HighHomeHash {  // homes at the table's end: runs wrap around
  uint64_t operator()(const Hash32& k) const { return 0xFFFFFFF0u + k[0] % 4; }
};
struct GoodHash {
  uint64_t operator()(const Hash32& k) const { return MixBits(LoadBE64(k.data())); }
};

Hash32 Key(std::mt19937_64& rng, int space) {
  Hash32 k{};
  const auto r = static_cast<uint64_t>(rng() % static_cast<uint64_t>(space));
  k[0] = static_cast<uint8_t>(r);
  k[31] = static_cast<uint8_t>(r >> 8);
  return k;
}

template <typename H>
void RandomOps(uint64_t seed, int ops, int space) {
  std::mt19937_64 rng(seed);
  SlabMap<Hash32, int, H> map;
  std::map<Hash32, int> model;
  for (int i = 0; i < ops; ++i) {
    const Hash32 k = Key(rng, space);
    if (rng() % 3 == 0) {
      const uint32_t idx = map.Find(k);
      ASSERT_EQ(idx != map.kNone, model.count(k) == 1);
      if (idx != map.kNone) {
        map.Erase(idx);
        model.erase(k);
      }
    } else {
      auto [idx, inserted] = map.FindOrInsert(k);
      ASSERT_EQ(inserted, model.count(k) == 0);
      if (inserted) EXPECT_EQ(map.value(idx), 0);  // a reused slot starts from V{}
      map.value(idx) = i;
      model[k] = i;
    }
    ASSERT_EQ(map.size(), model.size());
  }
  for (int r = 0; r < space; ++r) {
    Hash32 k{};
    k[0] = static_cast<uint8_t>(r);
    k[31] = static_cast<uint8_t>(r >> 8);
    const uint32_t idx = map.Find(k);
    auto it = model.find(k);
    ASSERT_EQ(idx != map.kNone, it != model.end()) << r;
    if (idx != map.kNone) {
      EXPECT_EQ(map.key(idx), k);
      EXPECT_EQ(map.value(idx), it->second);
    }
  }
  size_t live = 0;
  for (uint32_t i = 0; i < map.slab_size(); ++i) live += map.live(i) ? 1 : 0;
  EXPECT_EQ(live, model.size());
  map.Clear();
  EXPECT_EQ(map.size(), 0u);
  EXPECT_EQ(map.Find(model.empty() ? Hash32{} : model.begin()->first), map.kNone);
}

TEST(SlabMap, MatchesAMapWithCollidingHashes) {
  for (uint64_t seed = 1; seed <= 10; ++seed) RandomOps<FirstByteHash>(seed, 3000, 300);
}

TEST(SlabMap, MatchesAMapWhenProbeRunsWrapAround) {
  for (uint64_t seed = 1; seed <= 10; ++seed) RandomOps<HighHomeHash>(seed, 3000, 300);
}

TEST(SlabMap, MatchesAMapAtScale) { RandomOps<GoodHash>(5, 200'000, 60'000); }

TEST(SlabMap, IndicesStayValidAcrossGrowth) {
  SlabMap<Hash32, int, GoodHash> map;
  std::vector<std::pair<Hash32, uint32_t>> seen;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 10'000; ++i) {
    Hash32 k{};
    for (auto& b : k) b = static_cast<uint8_t>(rng());
    auto [idx, inserted] = map.FindOrInsert(k);
    ASSERT_TRUE(inserted);
    map.value(idx) = i;
    seen.emplace_back(k, idx);
  }
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(map.Find(seen[i].first), seen[i].second);
    EXPECT_EQ(map.value(seen[i].second), static_cast<int>(i));
  }
}

TEST(KeyOrder, AgreesWithArrayOperators) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20'000; ++i) {
    Hash32 a{}, b{};
    for (auto& x : a) x = static_cast<uint8_t>(rng() % 3);  // many equal prefixes
    b = a;
    const size_t changes = rng() % 3;
    for (size_t c = 0; c < changes; ++c) b[rng() % 32] = static_cast<uint8_t>(rng());
    EXPECT_EQ(KeyLess(a, b), a < b);
    EXPECT_EQ(KeyLess(b, a), b < a);
    EXPECT_EQ(KeyEqual(a, b), a == b);
  }
  EXPECT_TRUE(KeyIsZero(Hash32{}));
  Hash32 one{};
  one[31] = 1;
  EXPECT_FALSE(KeyIsZero(one));
}

TEST(KeyOrder, SortByWordSortsLikeStdSort) {
  std::mt19937_64 rng(12);
  std::vector<Hash32> keys(5000);
  for (auto& k : keys) {
    for (auto& x : k) x = static_cast<uint8_t>(rng() % 2 == 0 ? 0 : rng());  // word ties
  }
  std::vector<Hash32> want = keys;
  std::sort(want.begin(), want.end());
  SortByWord(
      &keys, [](const Hash32& k) { return LoadBE64(k.data()); },
      [](const Hash32& a, const Hash32& b) { return KeyLess(a, b); });
  EXPECT_EQ(keys, want);
}

}  // namespace
}  // namespace hito::consensus::ledger
