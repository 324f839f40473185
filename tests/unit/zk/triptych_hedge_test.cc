// Hedged prover nonces (spec section 8): every nonce is derived from the secret, the
// index, the statement and the fresh randomness. A source that repeats (or is stuck at
// zero) still gives other nonces for another statement or another prover, and the proofs
// stay valid; with the same source and statement the proof is reproducible.
#include <gtest/gtest.h>

#include <array>
#include <span>
#include <string>
#include <vector>

#include "base/hash.h"
#include "tests/unit/zk/test_prover.h"
#include "zk/proof/triptych.h"

namespace hito::zk::proof::membership {
namespace {

using test_prover::SeededProverRng;

constexpr std::string_view kChain = "hito-test";

class StuckRng final : public ProverRng {
 public:
  void Fill(std::span<uint8_t, 32> out) override { std::fill(out.begin(), out.end(), 0); }
};

struct Fixture {
  std::vector<Scalar> secrets;
  PreparedSet set;
};

Fixture MakeFixture() {
  SeededProverRng rng(AsBytes("hedge-set"));
  std::vector<Scalar> secrets;
  std::vector<Point> members;
  for (int i = 0; i < 20; ++i) {
    secrets.push_back(rng.Next());
    members.push_back(Point::MulBase(secrets.back()));
  }
  auto set = PreparedSet::Create(members);
  HITO_ASSERT(set.ok());
  return {std::move(secrets), std::move(set).value()};
}

Proof ProveWith(const Fixture& f, uint64_t index, std::string_view ctx, std::string_view msg,
                ProverRng* rng) {
  auto p = Prove(f.set, index, f.secrets[index], kChain, ctx, AsBytes(msg), rng);
  HITO_ASSERT(p.ok());
  EXPECT_TRUE(Verify(f.set, kChain, ctx, AsBytes(msg), *p).ok());
  return std::move(p).value();
}

TEST(TriptychHedgeTest, SameRandomnessAndStatementReproduceTheProof) {
  const Fixture f = MakeFixture();
  SeededProverRng r1(AsBytes("fresh")), r2(AsBytes("fresh"));
  EXPECT_EQ(ProveWith(f, 7, "ubi/1", "to:a", &r1).Encode(),
            ProveWith(f, 7, "ubi/1", "to:a", &r2).Encode());
}

TEST(TriptychHedgeTest, RepeatedRandomnessUnderAnotherStatementGivesOtherNonces) {
  // A = Com(a; r_A) depends on nothing but nonces: equal A would mean equal nonces, and
  // two responses z_A = r_A + x r_B under one (r_A, r_B) and two challenges reveal them.
  const Fixture f = MakeFixture();
  StuckRng stuck;
  const Proof base = ProveWith(f, 7, "ubi/1", "to:a", &stuck);
  const Proof other_msg = ProveWith(f, 7, "ubi/1", "to:b", &stuck);
  const Proof other_ctx = ProveWith(f, 7, "ubi/2", "to:a", &stuck);
  const Proof other_member = ProveWith(f, 8, "ubi/1", "to:a", &stuck);
  EXPECT_NE(base.a, other_msg.a);
  EXPECT_NE(base.a, other_ctx.a);
  EXPECT_NE(base.a, other_member.a);
  EXPECT_NE(base.z_a, other_msg.z_a);
  // The same statement with a stuck source repeats itself, and only then.
  EXPECT_EQ(base.Encode(), ProveWith(f, 7, "ubi/1", "to:a", &stuck).Encode());
}

TEST(TriptychHedgeTest, FreshRandomnessStillMatters) {
  // Same statement, different fresh bytes: different nonces (a healthy source gives
  // unlinkable proofs of one statement).
  const Fixture f = MakeFixture();
  SeededProverRng r1(AsBytes("fresh-1")), r2(AsBytes("fresh-2"));
  const Proof p1 = ProveWith(f, 3, "ubi/1", "to:a", &r1);
  const Proof p2 = ProveWith(f, 3, "ubi/1", "to:a", &r2);
  EXPECT_NE(p1.a, p2.a);
  EXPECT_EQ(p1.tag, p2.tag);  // the nullifier is a function of the secret and context
  EXPECT_NE(Prove(f.set, 3, f.secrets[3], kChain, "ubi/1", AsBytes("to:a"))->a,
            Prove(f.set, 3, f.secrets[3], kChain, "ubi/1", AsBytes("to:a"))->a);
}

}  // namespace
}  // namespace hito::zk::proof::membership
