// ChangeSet (consensus/ledger/kv.h): entries read in bytewise key order, one per key, the
// last write winning, whatever order the writes came in; checked against a std::map model
// (the type ChangeSet replaced) on random and large write sequences.
#include "consensus/ledger/kv.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace hito::consensus::ledger {
namespace {

using Model = std::map<Bytes, std::optional<Bytes>>;

Bytes B(std::string_view s) { return ToBytes(AsBytes(s)); }

// The set's entries as the model type, in iteration order.
std::vector<std::pair<Bytes, std::optional<Bytes>>> Entries(const ChangeSet& set) {
  std::vector<std::pair<Bytes, std::optional<Bytes>>> out;
  for (const auto& [key, value] : set) {
    std::optional<Bytes> v;
    if (value) v = ToBytes(*value);
    out.emplace_back(ToBytes(key), std::move(v));
  }
  return out;
}

std::vector<std::pair<Bytes, std::optional<Bytes>>> Entries(const Model& m) {
  return {m.begin(), m.end()};
}

TEST(ChangeSet, ReadsInBytewiseKeyOrder) {
  ChangeSet set;
  set.Put(B("t/b"), B("1"));
  set.Put(B("a/"), B("2"));
  set.Delete(B("m/root"));
  set.Put(B("a"), B("3"));     // a prefix sorts before its extensions
  set.Put(B("\xff"), B("4"));  // bytes compare unsigned
  set.Put(B(std::string("a\0", 2)), B("5"));
  const auto e = Entries(set);
  ASSERT_EQ(e.size(), 6u);
  EXPECT_EQ(e[0].first, B("a"));
  EXPECT_EQ(e[1].first, B(std::string("a\0", 2)));
  EXPECT_EQ(e[2].first, B("a/"));
  EXPECT_EQ(e[3].first, B("m/root"));
  EXPECT_FALSE(e[3].second.has_value());
  EXPECT_EQ(e[4].first, B("t/b"));
  EXPECT_EQ(e[5].first, B("\xff"));
  EXPECT_EQ(set.size(), 6u);
}

TEST(ChangeSet, LastWriteToAKeyWins) {
  ChangeSet set;
  set.Delete(B("k"));
  set.Put(B("k"), B("v"));  // delete then put: a put
  set.Put(B("j"), B("1"));
  set.Delete(B("j"));  // put then delete: a delete
  set.Put(B("i"), B("1"));
  set.Put(B("i"), B("2"));  // put then put: the second value
  EXPECT_EQ(set.size(), 3u);
  ASSERT_TRUE(set.Find(B("k")).has_value() && set.Find(B("k"))->has_value());
  EXPECT_EQ(ToBytes(**set.Find(B("k"))), B("v"));
  ASSERT_TRUE(set.Find(B("j")).has_value());
  EXPECT_FALSE(set.Find(B("j"))->has_value());  // a deletion
  EXPECT_EQ(ToBytes(**set.Find(B("i"))), B("2"));
  EXPECT_FALSE(set.Find(B("h")).has_value());  // nothing said about h
}

TEST(ChangeSet, EraseTakesBackEveryWriteToTheKey) {
  ChangeSet set;
  set.Put(B("a"), B("1"));
  set.Put(B("b"), B("1"));
  set.Delete(B("c"));
  set.Erase(B("b"));
  set.Erase(B("c"));
  set.Erase(B("zz"));  // never written: no effect
  EXPECT_EQ(Entries(set), (Entries(Model{{B("a"), B("1")}})));
  // A write after an erase counts again.
  set.Put(B("b"), B("2"));
  EXPECT_EQ(Entries(set), (Entries(Model{{B("a"), B("1")}, {B("b"), B("2")}})));
}

TEST(ChangeSet, PutUninitializedIsFilledInPlace) {
  ChangeSet set;
  std::span<uint8_t> v = set.PutUninitialized(B("k"), 3);
  ASSERT_EQ(v.size(), 3u);
  v[0] = 7;
  v[1] = 8;
  v[2] = 9;
  set.PutUninitialized(B("e"), 0);  // an empty value is a value, not a deletion
  EXPECT_EQ(ToBytes(**set.Find(B("k"))), (Bytes{7, 8, 9}));
  ASSERT_TRUE(set.Find(B("e")).has_value() && set.Find(B("e"))->has_value());
  EXPECT_TRUE((*set.Find(B("e")))->empty());
}

TEST(ChangeSet, EqualityIgnoresWriteOrderAndOverwrittenWrites) {
  ChangeSet a{{B("x"), B("1")}, {B("y"), std::nullopt}, {B("z"), B("3")}};
  ChangeSet b;
  b.Put(B("z"), B("0"));
  b.Delete(B("y"));
  b.Put(B("z"), B("3"));
  b.Put(B("x"), B("1"));
  EXPECT_EQ(a, b);
  b.Put(B("y"), B(""));  // a put of an empty value differs from a deletion
  EXPECT_FALSE(a == b);
  ChangeSet c{{B("x"), B("1")}, {B("y"), std::nullopt}};
  EXPECT_FALSE(a == c);
  c.Put(B("z"), B("4"));
  EXPECT_FALSE(a == c);
  c.clear();
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(c, ChangeSet{});
}

// The same writes in any order of distinct keys give the same iteration, byte for byte.
TEST(ChangeSet, IterationIsDeterministicWhateverTheWriteOrder) {
  std::mt19937_64 rng(7);
  std::vector<std::pair<Bytes, std::optional<Bytes>>> writes;
  for (int i = 0; i < 2000; ++i) {
    Bytes key(1 + rng() % 40);
    for (auto& b : key) b = static_cast<uint8_t>(rng() % 4);  // short alphabet: shared prefixes
    std::optional<Bytes> value;
    if (rng() % 3 != 0) value = Bytes(rng() % 50, static_cast<uint8_t>(i));
    writes.emplace_back(std::move(key), std::move(value));
  }
  std::sort(writes.begin(), writes.end());
  writes.erase(std::unique(writes.begin(), writes.end(),
                           [](const auto& x, const auto& y) { return x.first == y.first; }),
               writes.end());
  auto build = [](const std::vector<std::pair<Bytes, std::optional<Bytes>>>& ws) {
    ChangeSet s;
    for (const auto& [k, v] : ws) v ? s.Put(k, *v) : s.Delete(k);
    return s;
  };
  const ChangeSet sorted = build(writes);
  for (int round = 0; round < 5; ++round) {
    auto shuffled = writes;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    const ChangeSet s = build(shuffled);
    EXPECT_EQ(Entries(s), Entries(sorted));
  }
  EXPECT_EQ(Entries(sorted), (std::vector<std::pair<Bytes, std::optional<Bytes>>>(writes)));
}

// Random writes, deletes and erases in runs (as producers write), against the model.
void CheckAgainstModel(uint64_t seed, int ops, int key_space) {
  std::mt19937_64 rng(seed);
  ChangeSet set;
  Model model;
  for (int i = 0; i < ops; ++i) {
    const int r = static_cast<int>(rng() % static_cast<uint64_t>(key_space));
    const Bytes key = B("k/" + std::to_string(r));
    switch (rng() % 8) {
      case 0:
        set.Delete(key);
        model[key] = std::nullopt;
        break;
      case 1:
        set.Erase(key);
        model.erase(key);
        break;
      default: {
        const Bytes value = B(std::to_string(rng()));
        set.Put(key, value);
        model[key] = value;
      }
    }
    // Reads in the middle of writing see everything written so far.
    if (i % (ops / 7 + 1) == 0) ASSERT_EQ(Entries(set), Entries(model)) << "op " << i;
  }
  EXPECT_EQ(set.size(), model.size());
  EXPECT_EQ(Entries(set), Entries(model));
  for (const auto& [k, v] : model) {
    const auto found = set.Find(k);
    ASSERT_TRUE(found.has_value());
    ASSERT_EQ(found->has_value(), v.has_value());
    if (v) EXPECT_EQ(ToBytes(**found), *v);
  }
}

TEST(ChangeSet, MatchesAMapOnRandomWrites) {
  for (uint64_t seed = 1; seed <= 20; ++seed) CheckAgainstModel(seed, 500, 60);
}

TEST(ChangeSet, LargeBatchMatchesAMap) { CheckAgainstModel(99, 200'000, 50'000); }

// A block's shape: a long increasing run of records, then the tree pages, then two
// metadata keys below the pages; the result is sorted and complete.
TEST(ChangeSet, IncreasingRunsMergeIntoOneOrder) {
  ChangeSet set;
  Model model;
  auto put = [&](const std::string& k, const std::string& v) {
    set.Put(B(k), B(v));
    model[B(k)] = B(v);
  };
  for (int i = 0; i < 30'000; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "a/%08d", i);
    put(buf, "acct");
  }
  put("s/supply", "1");
  for (int i = 0; i < 30'000; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "t/%08d", i);
    put(buf, "page");
  }
  put("m/height", "7");
  put("m/root", "r");
  set.Normalize();
  EXPECT_EQ(Entries(set), Entries(model));
}

TEST(MemoryKv, ApplyWritesAndDeletes) {
  MemoryKv kv;
  kv.Apply(ChangeSet{{B("a"), B("1")}, {B("b"), B("2")}});
  kv.Apply(ChangeSet{{B("a"), std::nullopt}, {B("c"), B("3")}, {B("b"), B("4")}});
  const std::map<Bytes, Bytes> want{{B("b"), B("4")}, {B("c"), B("3")}};
  EXPECT_EQ(kv.entries(), want);
  std::optional<Bytes> v;
  ASSERT_TRUE(kv.Get(B("a"), &v).ok());
  EXPECT_FALSE(v.has_value());
  ASSERT_TRUE(kv.Get(B("c"), &v).ok());
  EXPECT_EQ(v, B("3"));
}

}  // namespace
}  // namespace hito::consensus::ledger
