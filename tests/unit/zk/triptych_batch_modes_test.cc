// BatchVerify's cost rules (zk/proof/triptych.h, spec section 6): batches under kMinBatch
// are checked one proof at a time; kFirstInvalid names only the lowest invalid index in at
// most 1 + ceil(log2 n) combined checks, however many proofs are bad; kAllInvalid names
// every bad proof in at most 1 + 2B ceil(log2 n). Malformed proofs (any shape a peer can
// send) are reported, never an abort.
#include <gtest/gtest.h>
#include <sodium.h>

#include <bit>
#include <set>
#include <string>
#include <vector>

#include "base/hash.h"
#include "zk/proof/triptych.h"

namespace hito::zk::proof::membership {
namespace {

constexpr std::string_view kChain = "hito-test";
constexpr std::string_view kCtx = "ubi/7";

size_t CeilLog2(size_t n) { return n <= 1 ? 0 : std::bit_width(n - 1); }

struct Batch {
  PreparedSet set;
  std::vector<Proof> proofs;
  std::vector<std::string> msgs;
  std::vector<ByteView> views() const {
    std::vector<ByteView> v;
    for (const auto& m : msgs) v.push_back(AsBytes(m));
    return v;
  }
};

// n honest proofs against a 16-member set (fast proving), message "claim i".
Batch MakeBatch(size_t n) {
  std::vector<Scalar> secrets;
  std::vector<Point> members;
  for (size_t i = 0; i < 16; ++i) {
    secrets.push_back(Scalar::Random());
    members.push_back(Point::MulBase(secrets.back()));
  }
  auto set = PreparedSet::Create(members);
  HITO_ASSERT(set.ok());
  Batch b{std::move(set).value(), {}, {}};
  for (size_t i = 0; i < n; ++i) {
    b.msgs.push_back("claim " + std::to_string(i));
    auto p = Prove(b.set, i % 16, secrets[i % 16], kChain, kCtx, AsBytes(b.msgs.back()));
    HITO_ASSERT(p.ok());
    b.proofs.push_back(std::move(p).value());
  }
  return b;
}

void Break(Proof* p) { p->z = p->z + Scalar::One(); }

TEST(TriptychBatchModesTest, SmallBatchesAreCheckedOneByOne) {
  for (size_t n = 1; n < kMinBatch; ++n) {
    Batch b = MakeBatch(n);
    BatchResult ok = BatchVerify(b.set, kChain, kCtx, b.views(), b.proofs);
    EXPECT_TRUE(ok.status.ok());
    EXPECT_EQ(ok.checks, n) << "one check per proof";
    // A failure costs nothing extra: no bisection over a small batch.
    Break(&b.proofs[n - 1]);
    BatchResult bad = BatchVerify(b.set, kChain, kCtx, b.views(), b.proofs);
    EXPECT_EQ(bad.invalid, std::vector<size_t>({n - 1}));
    EXPECT_EQ(bad.checks, n);
    BatchResult first =
        BatchVerify(b.set, kChain, kCtx, b.views(), b.proofs, BatchMode::kFirstInvalid);
    EXPECT_EQ(first.invalid, std::vector<size_t>({n - 1}));
    EXPECT_EQ(first.checks, n);
  }
  // From kMinBatch on, an all-valid batch is one combined check.
  Batch b = MakeBatch(kMinBatch);
  BatchResult ok = BatchVerify(b.set, kChain, kCtx, b.views(), b.proofs);
  EXPECT_TRUE(ok.status.ok());
  EXPECT_EQ(ok.checks, 1u);
}

TEST(TriptychBatchModesTest, FirstInvalidCostIsLogarithmicWhateverTheNumberBad) {
  constexpr size_t kN = 32;
  Batch b = MakeBatch(kN);
  const std::vector<ByteView> views = b.views();
  const size_t first_bound = 1 + CeilLog2(kN);
  for (const std::set<size_t>& bad : std::vector<std::set<size_t>>{
           {0}, {31}, {5, 6, 7, 30}, {3, 11, 17, 19, 23, 29}, {16, 17, 18, 19, 20, 21, 22, 23}}) {
    std::vector<Proof> proofs = b.proofs;
    for (size_t i : bad) Break(&proofs[i]);
    BatchResult first = BatchVerify(b.set, kChain, kCtx, views, proofs, BatchMode::kFirstInvalid);
    EXPECT_FALSE(first.status.ok());
    EXPECT_EQ(first.invalid, std::vector<size_t>({*bad.begin()}));
    EXPECT_LE(first.checks, first_bound) << bad.size() << " bad";
    BatchResult all = BatchVerify(b.set, kChain, kCtx, views, proofs, BatchMode::kAllInvalid);
    EXPECT_EQ(all.invalid, std::vector<size_t>(bad.begin(), bad.end()));
    EXPECT_LE(all.checks, 1 + 2 * bad.size() * CeilLog2(kN));
  }
  // Every proof bad: the block verdict still costs 1 + log2 n checks, not 2n.
  std::vector<Proof> all_bad = b.proofs;
  for (Proof& p : all_bad) Break(&p);
  BatchResult first = BatchVerify(b.set, kChain, kCtx, views, all_bad, BatchMode::kFirstInvalid);
  EXPECT_EQ(first.invalid, std::vector<size_t>({0}));
  EXPECT_LE(first.checks, first_bound);
  BatchResult all = BatchVerify(b.set, kChain, kCtx, views, all_bad, BatchMode::kAllInvalid);
  EXPECT_EQ(all.invalid.size(), kN);
}

TEST(TriptychBatchModesTest, AllInvalidDoesNotRecheckAHalfKnownToFail) {
  // One bad proof (13) among 16: the whole batch; [0,8) passes, so [8,16) is known bad
  // without a check; [8,12) passes, [12,16) inferred; [12,14) fails, so [14,16) still needs
  // its own check; [12,13) passes, 13 inferred: 6 checks. Checking both halves of every
  // failing range costs 1 + 2 * 4 = 9.
  Batch b = MakeBatch(16);
  Break(&b.proofs[13]);
  BatchResult r = BatchVerify(b.set, kChain, kCtx, b.views(), b.proofs);
  EXPECT_EQ(r.invalid, std::vector<size_t>({13}));
  EXPECT_EQ(r.checks, 6u);
}

TEST(TriptychBatchModesTest, MalformedAndInvalidProofsInFirstMode) {
  Batch b = MakeBatch(8);
  const std::vector<ByteView> views = b.views();
  // A malformed proof after an invalid one: the invalid (lower) one is named.
  std::vector<Proof> p1 = b.proofs;
  Break(&p1[2]);
  p1[6].y.clear();
  BatchResult r1 = BatchVerify(b.set, kChain, kCtx, views, p1, BatchMode::kFirstInvalid);
  EXPECT_EQ(r1.invalid, std::vector<size_t>({2}));
  // A malformed proof first: named at once; no later proof can be lower.
  std::vector<Proof> p2 = b.proofs;
  p2[1].f.pop_back();
  Break(&p2[5]);
  BatchResult r2 = BatchVerify(b.set, kChain, kCtx, views, p2, BatchMode::kFirstInvalid);
  EXPECT_EQ(r2.invalid, std::vector<size_t>({1}));
  EXPECT_LE(r2.checks, 1u);  // only proof 0 could be lower
  BatchResult r3 = BatchVerify(b.set, kChain, kCtx, views, p2, BatchMode::kAllInvalid);
  EXPECT_EQ(r3.invalid, std::vector<size_t>({1, 5}));
}

TEST(TriptychBatchModesTest, NoProofShapeAborts) {
  // Shapes no decoder produces but a caller (or a future decoder) might hand over: each is
  // an error value, in Verify and in both batch modes.
  Batch b = MakeBatch(4);
  std::vector<Proof> shapes;
  shapes.push_back(Proof{});  // m = 0, nothing inside
  Proof huge_m = b.proofs[0];
  huge_m.m = size_t{1} << 40;
  shapes.push_back(huge_m);
  Proof x_short = b.proofs[0];
  x_short.x.pop_back();
  shapes.push_back(x_short);
  Proof y_long = b.proofs[0];
  y_long.y.push_back(y_long.y[0]);
  shapes.push_back(y_long);
  Proof f_empty = b.proofs[0];
  f_empty.f.clear();
  shapes.push_back(f_empty);
  Proof identity_tag = b.proofs[0];
  identity_tag.tag = Point::Identity();
  shapes.push_back(identity_tag);
  Proof identity_x = b.proofs[0];
  identity_x.x[1] = Point::Identity();
  shapes.push_back(identity_x);
  const std::string msg = "claim 0";
  for (size_t k = 0; k < shapes.size(); ++k) {
    EXPECT_FALSE(Verify(b.set, kChain, kCtx, AsBytes(msg), shapes[k]).ok()) << k;
  }
  std::vector<ByteView> views(shapes.size(), AsBytes(msg));
  BatchResult all = BatchVerify(b.set, kChain, kCtx, views, shapes, BatchMode::kAllInvalid);
  EXPECT_EQ(all.invalid.size(), shapes.size());
  EXPECT_EQ(all.checks, 0u);
  BatchResult first = BatchVerify(b.set, kChain, kCtx, views, shapes, BatchMode::kFirstInvalid);
  EXPECT_EQ(first.invalid, std::vector<size_t>({0}));
  // Unequal spans: an error, nothing verified.
  BatchResult uneven =
      BatchVerify(b.set, kChain, kCtx, std::span(views).first(2), shapes, BatchMode::kFirstInvalid);
  EXPECT_FALSE(uneven.status.ok());
  EXPECT_EQ(uneven.checks, 0u);
}

}  // namespace
}  // namespace hito::zk::proof::membership
