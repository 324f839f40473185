// The DKG's shares used as threshold OPRF keys (zk/dkg.h with zk/oprf.h): a client's
// dedup tag computed by t validators from their DKG shares (partial evaluations with DLEQ
// proofs checked against the DKG's public shares K_l) equals the tag under the
// reconstructed key (test-side only) and against K; after resharing to a different
// committee, the new validators produce the very same tag.
#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/zk/dkg_sim.h"
#include "zk/dkg.h"
#include "zk/oprf.h"

namespace hito::zk::dkg {
namespace {

struct Shared {
  Outcome outcome;
  std::vector<Scalar> shares;  // [l - 1]
};

template <typename Transcript>
Shared Combine(const sim::Members& m, const Transcript& t, const Outcome& o) {
  Shared s{o, {}};
  for (Result<Scalar>& r : sim::CombineAll(m, t, o)) {
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    s.shares.push_back(r.ok() ? *r : Scalar());
  }
  return s;
}

// The tag of `handle` evaluated by the validators `who` (in that order) of a sharing.
oprf::Tag ThresholdTag(const Shared& s, const std::vector<uint16_t>& who, ByteView handle) {
  auto blinded = oprf::Blind(handle, oprf::Mode::kVoprf);
  EXPECT_TRUE(blinded.ok());
  std::vector<oprf::PublicShare> validators;
  std::vector<oprf::EvaluationShare> answers;
  for (uint16_t l = 1; l <= s.shares.size(); ++l) {
    validators.push_back({l, s.outcome.public_shares[l - 1u]});
  }
  for (uint16_t l : who) {
    oprf::KeyShare key{l, s.shares[l - 1u], s.outcome.public_shares[l - 1u]};
    auto z = oprf::PartialEvaluate(key, blinded->element);
    EXPECT_TRUE(z.ok());
    answers.push_back(*z);
  }
  auto combined =
      oprf::VerifyAndCombine(validators, blinded->element, answers, s.outcome.threshold);
  EXPECT_TRUE(combined.ok()) << combined.status().ToString();
  auto out = oprf::FinalizeCombined(handle, blinded->blind, combined->element);
  EXPECT_TRUE(out.ok());
  return oprf::TagOf(*out);
}

// The tag under k itself, reconstructed from the first t shares, checked against K.
oprf::Tag CentralTag(const Shared& s, ByteView handle) {
  std::vector<uint16_t> xs;
  for (uint16_t l = 1; l <= s.outcome.threshold; ++l) xs.push_back(l);
  auto lambda = oprf::LagrangeAtZero(xs);
  EXPECT_TRUE(lambda.ok());
  Scalar k;
  for (size_t i = 0; i < xs.size(); ++i) k += (*lambda)[i] * s.shares[i];
  EXPECT_EQ(Point::MulBase(k), s.outcome.group_key);
  auto blinded = oprf::Blind(handle, oprf::Mode::kVoprf);
  EXPECT_TRUE(blinded.ok());
  auto eval = oprf::BlindEvaluate(k, blinded->element, oprf::Mode::kVoprf);
  EXPECT_TRUE(eval.ok());
  auto out = oprf::Finalize(handle, blinded->blind, eval->element, blinded->element,
                            s.outcome.group_key, eval->proof, oprf::Mode::kVoprf);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return oprf::TagOf(*out);
}

TEST(DkgOprfTest, DkgSharesEvaluateTheTagAndResharingKeepsIt) {
  const ByteView handle = AsBytes("passport:XK-4411-77");
  const sim::Members old_members = sim::MakeMembers(4, 60);
  const SessionId dkg_session = sim::SessionFor("oprf/dkg");
  sim::DkgRun dkg = sim::DealAll(old_members, dkg_session);
  auto o = Qualify(dkg_session, old_members.committee, dkg.transcript);
  ASSERT_TRUE(o.ok());
  const Shared before = Combine(old_members, dkg.transcript, *o);
  const oprf::Tag tag = CentralTag(before, handle);
  EXPECT_EQ(ThresholdTag(before, {1, 2, 3}, handle), tag);
  EXPECT_EQ(ThresholdTag(before, {4, 2, 1}, handle), tag);
  EXPECT_NE(ThresholdTag(before, {1, 2, 3}, AsBytes("passport:XK-4411-78")), tag);

  const sim::Members new_members = sim::MakeMembers(5, 61);
  const SessionId reshare_session = sim::SessionFor("oprf/reshare");
  sim::ReshareRun reshare = sim::ReshareAll(before.shares, new_members, reshare_session);
  auto o2 =
      QualifyReshare(reshare_session, before.outcome, new_members.committee, reshare.transcript);
  ASSERT_TRUE(o2.ok());
  const Shared after = Combine(new_members, reshare.transcript, *o2);
  EXPECT_EQ(after.outcome.threshold, 4);
  EXPECT_EQ(ThresholdTag(after, {5, 4, 3, 2}, handle), tag);
  EXPECT_EQ(ThresholdTag(after, {1, 2, 3, 5}, handle), tag);
  EXPECT_EQ(CentralTag(after, handle), tag);
}

}  // namespace
}  // namespace hito::zk::dkg
