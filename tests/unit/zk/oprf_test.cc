// Threshold VOPRF (zk/oprf.h) with random keys: the single-key and threshold paths agree;
// shares with a tampered element, a tampered proof, a proof for another validator's key or
// for another blinded element are refused and their index named; malformed,
// non-canonical and identity encodings of shares and proofs are refused by the decoders;
// bad parameters (threshold, indices, zero keys and blinds, over-long inputs) are refused.
// The RFC vectors are in oprf_vectors_test.cc.
#include "zk/oprf.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/hex.h"
#include "tests/support/vectors.h"

namespace hito::zk::oprf {
namespace {

Bytes B(const Point& p) { return Bytes(p.bytes().begin(), p.bytes().end()); }

// A dealt 3-of-4 key and the partial evaluations of one blinded handle.
struct Fixture {
  Scalar sk = Scalar::Random();
  std::vector<KeyShare> shares;
  std::vector<PublicShare> publics;
  Bytes input =
      ToBytes(AsBytes("\x01\x01\x03"
                      "FRA\x09"
                      "12AB34567"));
  Blinded blinded;
  std::vector<EvaluationShare> answers;

  explicit Fixture(uint16_t t = 3, uint16_t n = 4) {
    auto s = ShareKey(sk, t, n);
    EXPECT_TRUE(s.ok());
    shares = *s;
    for (const KeyShare& k : shares) publics.push_back({k.index, k.public_share});
    auto b = Blind(input);
    EXPECT_TRUE(b.ok());
    blinded = *b;
    for (const KeyShare& k : shares) {
      auto e = PartialEvaluate(k, blinded.element);
      EXPECT_TRUE(e.ok());
      answers.push_back(*e);
    }
  }
};

TEST(OprfTest, ThresholdEqualsSingleKeyVoprf) {
  Fixture f;
  auto ev = BlindEvaluate(f.sk, f.blinded.element);
  ASSERT_TRUE(ev.ok());
  const Point pk = Point::MulBase(f.sk);
  auto single = Finalize(f.input, f.blinded.blind, ev->element, f.blinded.element, pk, ev->proof);
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  auto combined = VerifyAndCombine(f.publics, f.blinded.element, f.answers, 3);
  ASSERT_TRUE(combined.ok()) << combined.status().ToString();
  EXPECT_EQ(combined->element, ev->element);
  EXPECT_EQ((std::vector<uint16_t>{1, 2, 3}), combined->used);  // the first t good ones
  auto threshold = FinalizeCombined(f.input, f.blinded.blind, combined->element);
  ASSERT_TRUE(threshold.ok());
  EXPECT_EQ(*threshold, *single);
  // The tag is the output's first 32 bytes.
  const Tag tag = TagOf(*threshold);
  EXPECT_TRUE(std::equal(tag.begin(), tag.end(), threshold->begin()));
}

TEST(OprfTest, OutputDependsOnInputAndKeyNotOnBlind) {
  Fixture f;
  auto again = Blind(f.input);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->element, f.blinded.element);  // fresh blind, unlinkable request
  auto ev1 = BlindEvaluate(f.sk, f.blinded.element);
  auto ev2 = BlindEvaluate(f.sk, again->element);
  auto o1 = FinalizeCombined(f.input, f.blinded.blind, ev1->element);
  auto o2 = FinalizeCombined(f.input, again->blind, ev2->element);
  ASSERT_TRUE(o1.ok() && o2.ok());
  EXPECT_EQ(*o1, *o2);
  auto other = Blind(AsBytes("another handle"));
  auto ev3 = BlindEvaluate(f.sk, other->element);
  EXPECT_NE(*FinalizeCombined(AsBytes("another handle"), other->blind, ev3->element), *o1);
  auto ev4 = BlindEvaluate(Scalar::Random(), f.blinded.element);
  EXPECT_NE(*FinalizeCombined(f.input, f.blinded.blind, ev4->element), *o1);
}

TEST(OprfTest, SingleKeyProofRefusesWrongKeyAndTampering) {
  Fixture f;
  auto ev = BlindEvaluate(f.sk, f.blinded.element);
  ASSERT_TRUE(ev.ok());
  const Point pk = Point::MulBase(f.sk);
  EXPECT_TRUE(VerifyProof(pk, f.blinded.element, ev->element, ev->proof).ok());
  EXPECT_FALSE(
      VerifyProof(Point::MulBase(Scalar::Random()), f.blinded.element, ev->element, ev->proof)
          .ok());
  Proof bad = ev->proof;
  bad.s += Scalar::One();
  EXPECT_FALSE(Finalize(f.input, f.blinded.blind, ev->element, f.blinded.element, pk, bad).ok());
  // A proof made in the other mode does not verify in this one (domain separation).
  EXPECT_FALSE(VerifyProof(pk, f.blinded.element, ev->element, ev->proof, Mode::kOprf).ok());
}

TEST(OprfTest, ShareWithTamperedElementIsRefusedAndNamed) {
  Fixture f;
  EvaluationShare bad = f.answers[1];  // validator 2
  bad.element = bad.element + Point::Base();
  Status st = VerifyShare(f.publics[1].key, f.blinded.element, bad);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.ToString().find("oprf share 2"), std::string::npos) << st.ToString();
  std::vector<EvaluationShare> answers = f.answers;
  answers[1] = bad;
  auto combined = VerifyAndCombine(f.publics, f.blinded.element, answers, 3);
  ASSERT_TRUE(combined.ok());  // 1, 3, 4 are still three good shares
  EXPECT_EQ(combined->refused, std::vector<uint16_t>{2});
  EXPECT_EQ((std::vector<uint16_t>{1, 3, 4}), combined->used);
  EXPECT_EQ(combined->element, f.blinded.element.Mul(f.sk));
}

TEST(OprfTest, ShareWithTamperedProofIsRefused) {
  Fixture f;
  EvaluationShare bad_c = f.answers[0];
  bad_c.proof.c += Scalar::One();
  EvaluationShare bad_s = f.answers[0];
  bad_s.proof.s += Scalar::One();
  EvaluationShare swapped = f.answers[0];
  swapped.proof = f.answers[2].proof;  // a valid proof, of another statement
  for (const EvaluationShare& bad : {bad_c, bad_s, swapped}) {
    EXPECT_FALSE(VerifyShare(f.publics[0].key, f.blinded.element, bad).ok());
  }
}

TEST(OprfTest, ProofAgainstAnotherValidatorsKeyIsRefused) {
  Fixture f;
  // Validator 2 answers honestly but claims to be validator 3.
  EvaluationShare impostor = f.answers[1];
  impostor.index = 3;
  EXPECT_FALSE(VerifyShare(f.publics[2].key, f.blinded.element, impostor).ok());
  std::vector<EvaluationShare> answers = {f.answers[0], impostor, f.answers[3]};
  auto combined = VerifyAndCombine(f.publics, f.blinded.element, answers, 3);
  ASSERT_FALSE(combined.ok());
  EXPECT_NE(combined.status().ToString().find("refused proofs from: 3"), std::string::npos)
      << combined.status().ToString();
}

TEST(OprfTest, ShareForAnotherBlindedElementIsRefused) {
  Fixture f;
  auto other = Blind(AsBytes("someone else"));
  ASSERT_TRUE(other.ok());
  auto answer = PartialEvaluate(f.shares[0], other->element);
  ASSERT_TRUE(answer.ok());
  EXPECT_FALSE(VerifyShare(f.publics[0].key, f.blinded.element, *answer).ok());
}

TEST(OprfTest, CombineNamesEveryRefusedIndexWhenTooFewRemain) {
  Fixture f;
  std::vector<EvaluationShare> answers = f.answers;
  answers[0].element = answers[0].element + Point::Base();
  answers[3].proof.s += Scalar::One();
  auto combined = VerifyAndCombine(f.publics, f.blinded.element, answers, 3);
  ASSERT_FALSE(combined.ok());
  EXPECT_NE(combined.status().ToString().find("refused proofs from: 1 4"), std::string::npos)
      << combined.status().ToString();
}

TEST(OprfTest, CombineRefusesRepeatedAndUnknownIndices) {
  Fixture f;
  std::vector<EvaluationShare> repeated = {f.answers[0], f.answers[0], f.answers[1]};
  EXPECT_FALSE(VerifyAndCombine(f.publics, f.blinded.element, repeated, 3).ok());
  EXPECT_FALSE(Combine(repeated).ok());
  std::vector<PublicShare> known(f.publics.begin(), f.publics.begin() + 3);  // not 4
  std::vector<EvaluationShare> with4 = {f.answers[0], f.answers[3], f.answers[1]};
  auto st = VerifyAndCombine(known, f.blinded.element, with4, 3);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().ToString().find("unknown validator"), std::string::npos);
  EXPECT_FALSE(VerifyAndCombine(f.publics, f.blinded.element, f.answers, 0).ok());
  EXPECT_FALSE(Combine({}).ok());
}

TEST(OprfTest, LagrangeCoefficientsInterpolateAConstant) {
  // sum lambda_i * f(i) = f(0); for f = 1 the coefficients sum to one.
  const std::vector<uint16_t> idx = {2, 5, 7, 256};
  auto l = LagrangeAtZero(idx);
  ASSERT_TRUE(l.ok());
  Scalar sum;
  for (const Scalar& s : *l) sum += s;
  EXPECT_EQ(sum, Scalar::One());
  EXPECT_FALSE(LagrangeAtZero(std::vector<uint16_t>{1, 0}).ok());
  EXPECT_FALSE(LagrangeAtZero(std::vector<uint16_t>{1, 257}).ok());
  EXPECT_FALSE(LagrangeAtZero(std::vector<uint16_t>{3, 3}).ok());
  EXPECT_FALSE(LagrangeAtZero(std::vector<uint16_t>{}).ok());
}

TEST(OprfTest, ShareKeyRefusesBadParameters) {
  const Scalar k = Scalar::Random();
  EXPECT_FALSE(ShareKey(k, 0, 3).ok());
  EXPECT_FALSE(ShareKey(k, 4, 3).ok());
  EXPECT_FALSE(ShareKey(k, 2, 257).ok());
  EXPECT_FALSE(ShareKey(Scalar::Zero(), 2, 3).ok());
  auto ok = ShareKey(k, 256, 256);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->back().index, 256);
}

TEST(OprfTest, EvaluatorsRefuseBadRequests) {
  Fixture f;
  EXPECT_FALSE(PartialEvaluate(f.shares[0], Point::Identity()).ok());
  KeyShare no_index = f.shares[0];
  no_index.index = 0;
  EXPECT_FALSE(PartialEvaluate(no_index, f.blinded.element).ok());
  KeyShare zero = f.shares[0];
  zero.secret = Scalar::Zero();
  zero.public_share = Point::Identity();
  EXPECT_FALSE(PartialEvaluate(zero, f.blinded.element).ok());
  EXPECT_FALSE(BlindEvaluate(f.sk, Point::Identity()).ok());
  EXPECT_FALSE(BlindEvaluate(Scalar::Zero(), f.blinded.element).ok());
}

TEST(OprfTest, ClientRefusesBadInputs) {
  EXPECT_FALSE(BlindWith(AsBytes("x"), Scalar::Zero()).ok());
  const Bytes too_long(kMaxInputSize + 1, 'a');
  EXPECT_FALSE(Blind(too_long).ok());
  EXPECT_TRUE(Blind(Bytes(kMaxInputSize, 'a')).ok());
  EXPECT_TRUE(Blind(Bytes()).ok());  // the empty input is an input like any other
  EXPECT_FALSE(FinalizeCombined(AsBytes("x"), Scalar::One(), Point::Identity()).ok());
  EXPECT_FALSE(FinalizeCombined(too_long, Scalar::One(), Point::Base()).ok());
  EXPECT_FALSE(VerifyProof(Point::Identity(), Point::Base(), Point::Base(), Proof{}).ok());
}

TEST(OprfTest, ShareEncodingRoundTrips) {
  Fixture f;
  for (const EvaluationShare& s : f.answers) {
    const auto enc = s.Encode();
    auto dec = EvaluationShare::Decode(enc);
    ASSERT_TRUE(dec.ok()) << dec.status().ToString();
    EXPECT_EQ(*dec, s);
  }
  const auto p = f.answers[0].proof.Encode();
  auto dp = Proof::Decode(p);
  ASSERT_TRUE(dp.ok());
  EXPECT_EQ(*dp, f.answers[0].proof);
}

// The share's bytes with `at` overwritten by `with`.
Bytes Patched(const EvaluationShare& s, size_t at, const Bytes& with) {
  const auto enc = s.Encode();
  Bytes b(enc.begin(), enc.end());
  std::copy(with.begin(), with.end(), b.begin() + static_cast<std::ptrdiff_t>(at));
  return b;
}

TEST(OprfTest, ShareDecoderRefusesMalformedEncodings) {
  Fixture f;
  const EvaluationShare& s = f.answers[0];
  const auto enc = s.Encode();
  const Bytes good(enc.begin(), enc.end());
  auto refused = [](const Bytes& b, const std::string& why) {
    auto d = EvaluationShare::Decode(b);
    EXPECT_FALSE(d.ok()) << why;
    if (!d.ok()) EXPECT_FALSE(d.status().ToString().empty());
  };
  refused(Bytes(), "empty");
  refused(Bytes(good.begin(), good.end() - 1), "short");
  Bytes longer = good;
  longer.push_back(0);
  refused(longer, "trailing byte");
  refused(Patched(s, 0, {0, 0}), "index 0");
  refused(Patched(s, 0, {0x01, 0x01}), "index 257");
  refused(Patched(s, 2, Bytes(32, 0)), "identity element");
  refused(Patched(s, 2,
                  hito::testing::Hex(
                      "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")),
          "non-canonical element (>= p)");
  Bytes high_bit = B(Point::Base());
  high_bit[31] |= 0x80;
  refused(Patched(s, 2, high_bit), "element with bit 255 set");
  // l = 2^252 + 27742317777372353535851937790883648493, little-endian: not canonical.
  const Bytes l =
      hito::testing::Hex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
  refused(Patched(s, 34, l), "c = l");
  refused(Patched(s, 66, l), "s = l");
  refused(Patched(s, 66, Bytes(32, 0xff)), "s all ones");
  EXPECT_FALSE(Proof::Decode(Bytes(63, 0)).ok());
  EXPECT_TRUE(EvaluationShare::Decode(good).ok());
}

TEST(OprfTest, ShareDecoderRefusesEveryRfc9496BadEncoding) {
  Fixture f;
  const nlohmann::json j = hito::testing::LoadVectors("ristretto255.json");
  size_t n = 0;
  for (const auto& v : j["invalid_encodings"]["vectors"]) {
    EXPECT_FALSE(
        EvaluationShare::Decode(Patched(f.answers[0], 2, hito::testing::Hex(v["encoding"]))).ok())
        << v["encoding"];
    ++n;
  }
  EXPECT_GT(n, 20u);
}

}  // namespace
}  // namespace hito::zk::oprf
