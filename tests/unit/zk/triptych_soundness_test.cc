// Soundness of the membership proof against a prover that skips the witness check
// (tests/unit/zk/test_prover.h ProveUnchecked): Verify and BatchVerify (both modes, one by
// one and batched) must reject a tag J = r'^-1 U with r' != r, a tag built for another
// context, a proof for a key outside the set, a proof at a filler position, and two
// individually invalid proofs whose errors cancel in an unweighted sum.
#include <gtest/gtest.h>
#include <sodium.h>

#include <array>
#include <string>
#include <vector>

#include "base/hash.h"
#include "tests/unit/zk/test_prover.h"
#include "zk/hash_to_group.h"
#include "zk/proof/triptych.h"
#include "zk/proof/triptych_internal.h"

namespace hito::zk::proof::membership {
namespace {

using test_prover::HonestTag;
using test_prover::ProveUnchecked;

constexpr std::string_view kChain = "hito-test";
constexpr std::string_view kCtx = "ubi/7";
constexpr size_t kLen = 13;  // padded to 16: positions 13..15 are fillers

struct Fixture {
  std::vector<Scalar> secrets;
  PreparedSet set;
};

Fixture MakeFixture() {
  std::vector<Scalar> secrets;
  std::vector<Point> members;
  for (size_t i = 0; i < kLen; ++i) {
    secrets.push_back(Scalar::Random());
    members.push_back(Point::MulBase(secrets.back()));
  }
  auto set = PreparedSet::Create(members);
  HITO_ASSERT(set.ok());
  return {std::move(secrets), std::move(set).value()};
}

std::string MsgFor(size_t i) { return "to:account-" + std::to_string(i); }

// Honest proofs by members 0..count-1, message MsgFor(i).
std::vector<Proof> HonestProofs(const Fixture& f, size_t count) {
  std::vector<Proof> out;
  for (size_t i = 0; i < count; ++i) {
    auto p = Prove(f.set, i, f.secrets[i], kChain, kCtx, AsBytes(MsgFor(i)));
    HITO_ASSERT(p.ok());
    out.push_back(std::move(p).value());
  }
  return out;
}

std::vector<std::string> Messages(size_t count) {
  std::vector<std::string> out;
  for (size_t i = 0; i < count; ++i) out.push_back(MsgFor(i));
  return out;
}

std::vector<ByteView> Views(const std::vector<std::string>& msgs) {
  std::vector<ByteView> out;
  for (const auto& m : msgs) out.push_back(AsBytes(m));
  return out;
}

// `bad` (message MsgFor(at)) is rejected by Verify, alone in a batch, among three honest
// proofs (one by one) and among seven (weighted batch and bisection), in both modes.
void ExpectRejectedEverywhere(const Fixture& f, const Proof& bad, size_t at) {
  const std::string msg = MsgFor(at);
  EXPECT_FALSE(Verify(f.set, kChain, kCtx, AsBytes(msg), bad).ok());
  for (size_t count : {size_t{1}, size_t{3}, size_t{8}}) {
    std::vector<Proof> proofs = HonestProofs(f, count);
    const size_t pos = count / 2;
    std::vector<std::string> msgs = Messages(count);
    proofs[pos] = bad;
    msgs[pos] = msg;
    const std::vector<ByteView> views = Views(msgs);
    for (BatchMode mode : {BatchMode::kAllInvalid, BatchMode::kFirstInvalid}) {
      BatchResult r = BatchVerify(f.set, kChain, kCtx, views, proofs, mode);
      EXPECT_FALSE(r.status.ok()) << "count " << count;
      EXPECT_EQ(r.invalid, std::vector<size_t>({pos})) << "count " << count;
    }
  }
}

TEST(TriptychSoundnessTest, UncheckedProverWithTrueWitnessIsAccepted) {
  // The test prover is the real prover minus its checks: with a true witness its proofs
  // verify, so the rejections below come from the false witness, not from the tool.
  const Fixture f = MakeFixture();
  auto p = ProveUnchecked(f.set, 4, f.secrets[4], kChain, kCtx, AsBytes(MsgFor(4)));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(Verify(f.set, kChain, kCtx, AsBytes(MsgFor(4)), *p).ok());
}

TEST(TriptychSoundnessTest, TagFromAnotherSecretIsRejected) {
  // Membership of M_4 proved with its true secret r, but the nullifier is r'^-1 U: a
  // fresh tag per claim would allow double claims.
  const Fixture f = MakeFixture();
  const Scalar other = Scalar::Random();
  const Point forged = HonestTag(other, kChain, kCtx);
  auto p = ProveUnchecked(f.set, 4, f.secrets[4], kChain, kCtx, AsBytes(MsgFor(4)), &forged);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->tag, forged);
  ExpectRejectedEverywhere(f, *p, 4);
  // Nor does another member's secret make it pass: tag of member 5, membership of 4.
  const Point tag5 = HonestTag(f.secrets[5], kChain, kCtx);
  auto q = ProveUnchecked(f.set, 4, f.secrets[4], kChain, kCtx, AsBytes(MsgFor(4)), &tag5);
  ASSERT_TRUE(q.ok());
  ExpectRejectedEverywhere(f, *q, 4);
}

TEST(TriptychSoundnessTest, TagForAnotherContextIsRejected) {
  // The statement says kCtx but the tag is r^-1 U of another context: re-using one
  // epoch's nullifier in another epoch must not pass.
  const Fixture f = MakeFixture();
  const Point other_ctx_tag = HonestTag(f.secrets[4], kChain, "ubi/8");
  auto p = ProveUnchecked(f.set, 4, f.secrets[4], kChain, kCtx, AsBytes(MsgFor(4)), &other_ctx_tag);
  ASSERT_TRUE(p.ok());
  ExpectRejectedEverywhere(f, *p, 4);
  // An honest proof made in the other context is not valid in this one either.
  auto q = Prove(f.set, 4, f.secrets[4], kChain, "ubi/8", AsBytes(MsgFor(4)));
  ASSERT_TRUE(q.ok());
  ExpectRejectedEverywhere(f, *q, 4);
}

TEST(TriptychSoundnessTest, NonMemberKeyIsRejected) {
  const Fixture f = MakeFixture();
  const Scalar outsider = Scalar::Random();
  for (uint64_t index : {uint64_t{0}, uint64_t{4}, uint64_t{kLen - 1}}) {
    auto p = ProveUnchecked(f.set, index, outsider, kChain, kCtx, AsBytes(MsgFor(4)));
    ASSERT_TRUE(p.ok());
    ExpectRejectedEverywhere(f, *p, 4);
  }
  // The honest prover refuses the same request.
  EXPECT_FALSE(Prove(f.set, 4, outsider, kChain, kCtx, AsBytes(MsgFor(4))).ok());
}

TEST(TriptychSoundnessTest, FillerIndexIsRejected) {
  const Fixture f = MakeFixture();
  for (uint64_t index = kLen; index < f.set.padded_size(); ++index) {
    // Nobody knows a filler's discrete log; try a member's secret and a random one.
    for (const Scalar& secret : {f.secrets[0], Scalar::Random()}) {
      auto p = ProveUnchecked(f.set, index, secret, kChain, kCtx, AsBytes(MsgFor(4)));
      ASSERT_TRUE(p.ok());
      ExpectRejectedEverywhere(f, *p, 4);
    }
    EXPECT_FALSE(Prove(f.set, index, f.secrets[0], kChain, kCtx, AsBytes(MsgFor(4))).ok());
  }
  // Past the padded set the hook itself refuses, with an error value.
  const std::vector<Scalar> nonces(internal::NonceCount(f.set.m()), Scalar::One());
  auto past =
      internal::ProveWithNonces(f.set, f.set.padded_size(), f.secrets[0], kChain, kCtx,
                                AsBytes("m"), HonestTag(f.secrets[0], kChain, kCtx), nonces);
  EXPECT_FALSE(past.ok());
  auto short_nonces =
      internal::ProveWithNonces(f.set, 0, f.secrets[0], kChain, kCtx, AsBytes("m"),
                                HonestTag(f.secrets[0], kChain, kCtx), std::span(nonces).first(3));
  EXPECT_FALSE(short_nonces.ok());
}

TEST(TriptychSoundnessTest, ErrorsThatCancelInAnUnweightedSumAreCaught) {
  // Two proofs by different members; z_A of the first raised by delta, of the second
  // lowered by delta. Equation (1), A + xB - Com(f; z_A) = 0, is linear in z_A with
  // coefficient -H, and z_A is not absorbed in the challenge: the residuals are -delta*H
  // and +delta*H, which sum to the identity. Only random weights tell them apart.
  const Fixture f = MakeFixture();
  std::vector<Proof> proofs = HonestProofs(f, 4);
  const std::vector<std::string> msgs = Messages(4);
  const std::vector<ByteView> views = Views(msgs);
  const Scalar delta = Scalar::Random();
  const Scalar za1 = proofs[1].z_a, za2 = proofs[2].z_a;
  proofs[1].z_a = proofs[1].z_a + delta;
  proofs[2].z_a = proofs[2].z_a - delta;

  const std::array<uint8_t, 8> zero{};
  const Point h = HashToGroup(zero, AsBytes("hito/v1/triptych/generators"));
  const Point residual1 = h.Mul(za1 - proofs[1].z_a);  // -delta*H
  const Point residual2 = h.Mul(za2 - proofs[2].z_a);  // +delta*H
  ASSERT_FALSE(residual1.IsIdentity());
  ASSERT_FALSE(residual2.IsIdentity());
  ASSERT_TRUE((residual1 + residual2).IsIdentity()) << "the errors must cancel unweighted";

  EXPECT_FALSE(Verify(f.set, kChain, kCtx, views[1], proofs[1]).ok());
  EXPECT_FALSE(Verify(f.set, kChain, kCtx, views[2], proofs[2]).ok());
  // Four proofs: one weighted combined check, then the search.
  BatchResult all = BatchVerify(f.set, kChain, kCtx, views, proofs, BatchMode::kAllInvalid);
  EXPECT_FALSE(all.status.ok());
  EXPECT_EQ(all.invalid, std::vector<size_t>({1, 2}));
  BatchResult first = BatchVerify(f.set, kChain, kCtx, views, proofs, BatchMode::kFirstInvalid);
  EXPECT_FALSE(first.status.ok());
  EXPECT_EQ(first.invalid, std::vector<size_t>({1}));
  // The pair alone (below kMinBatch: each checked on its own).
  std::vector<Proof> pair = {proofs[1], proofs[2]};
  std::vector<ByteView> pair_views = {views[1], views[2]};
  BatchResult two = BatchVerify(f.set, kChain, kCtx, pair_views, pair);
  EXPECT_EQ(two.invalid, std::vector<size_t>({0, 1}));
}

}  // namespace
}  // namespace hito::zk::proof::membership
