// Transcript (zk/proof/transcript.h): determinism, sensitivity to every input (domain,
// label, data, order), length framing (no ambiguity between label/data splits), chained
// challenges, forking by copy, and nonzero challenges.
#include "zk/proof/transcript.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace hito::zk::proof {
namespace {

Scalar Challenge(std::string_view domain,
                 std::initializer_list<std::pair<std::string_view, std::string_view>> recs) {
  Transcript t(domain);
  for (const auto& [label, data] : recs) t.AppendString(label, data);
  return t.ChallengeScalar("c");
}

TEST(TranscriptTest, DeterministicAndNonzero) {
  const Scalar a = Challenge("d", {{"x", "1"}});
  EXPECT_EQ(a, Challenge("d", {{"x", "1"}}));
  EXPECT_FALSE(a.IsZero());
}

TEST(TranscriptTest, EveryInputMatters) {
  std::set<std::array<uint8_t, 32>> seen;
  const Scalar cs[] = {
      Challenge("d", {{"x", "1"}}),
      Challenge("e", {{"x", "1"}}),              // domain
      Challenge("d", {{"y", "1"}}),              // label
      Challenge("d", {{"x", "2"}}),              // data
      Challenge("d", {{"x", "1"}, {"x", "1"}}),  // repetition
      Challenge("d", {{"a", "1"}, {"b", "2"}}),  // order ...
      Challenge("d", {{"b", "2"}, {"a", "1"}}),  // ... matters
      Challenge("d", {{"x", ""}}),               // empty data
      Challenge("d", {}),                        // nothing
      Challenge("d", {{"xy", "z"}}),             // framing: label/data split
      Challenge("d", {{"x", "yz"}}),             //
      Challenge("d", {{"x", "y"}, {"", "z"}}),   // framing: record split
      Challenge("dx", {{"", "1"}}),              // framing: domain/label split
  };
  for (const Scalar& c : cs) seen.insert(c.bytes());
  EXPECT_EQ(seen.size(), std::size(cs));
}

TEST(TranscriptTest, ChallengesChainAndForkByCopy) {
  Transcript t("d");
  t.AppendString("x", "1");
  Transcript fork = t;
  const Scalar c1 = t.ChallengeScalar("c");
  const Scalar c2 = t.ChallengeScalar("c");
  EXPECT_NE(c1, c2);  // the first challenge is absorbed before the second
  EXPECT_EQ(fork.ChallengeScalar("c"), c1);
  fork.AppendString("y", "2");
  EXPECT_NE(fork.ChallengeScalar("c"), c2);
  // The challenge label is bound.
  Transcript u("d");
  u.AppendString("x", "1");
  EXPECT_NE(u.ChallengeScalar("other"), c1);
}

TEST(TranscriptTest, TypedAppendsEqualTheirBytes) {
  Transcript a("d"), b("d");
  a.AppendU64("n", 0x0102030405060708);
  const uint8_t be[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  b.Append("n", be);
  EXPECT_EQ(a.ChallengeScalar("c"), b.ChallengeScalar("c"));
  Transcript p("d"), q("d");
  p.AppendPoint("P", Point::Base());
  q.Append("P", Point::Base().bytes());
  EXPECT_EQ(p.ChallengeScalar("c"), q.ChallengeScalar("c"));
}

TEST(TranscriptTest, ChallengesLookUniform) {
  // 256 challenges: all distinct, and every bit of the low 31 bytes is set in some and
  // clear in others (a gross bias or truncation would show).
  Transcript t("d");
  std::set<std::array<uint8_t, 32>> seen;
  std::array<int, 248> ones{};
  for (int i = 0; i < 256; ++i) {
    const Scalar c = t.ChallengeScalar("c");
    seen.insert(c.bytes());
    for (size_t bit = 0; bit < 248; ++bit) ones[bit] += (c.bytes()[bit / 8] >> (bit % 8)) & 1;
  }
  EXPECT_EQ(seen.size(), 256u);
  for (size_t bit = 0; bit < 248; ++bit) {
    EXPECT_GT(ones[bit], 60) << bit;
    EXPECT_LT(ones[bit], 196) << bit;
  }
}

}  // namespace
}  // namespace hito::zk::proof
