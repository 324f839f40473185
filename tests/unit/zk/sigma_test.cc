// Schnorr and DLEQ proofs (zk/proof/sigma.h): completeness, message binding, wrong keys,
// every byte of the encoding tampered, strict decoding (sizes, non-canonical scalars,
// non-canonical and identity points) and rejection of degenerate statements.
#include "zk/proof/sigma.h"

#include <gtest/gtest.h>

#include <array>

namespace hito::zk::proof {
namespace {

ByteView Msg(std::string_view s) { return AsBytes(s); }

TEST(SchnorrTest, CompleteAndBoundToMessageAndKey) {
  const Scalar x = Scalar::Random();
  const Point p = Point::MulBase(x);
  auto proof = SchnorrProve(x, Msg("register"));
  ASSERT_TRUE(proof.ok());
  EXPECT_TRUE(SchnorrVerify(p, Msg("register"), *proof).ok());
  auto dec = SchnorrProof::Decode(proof->Encode());
  ASSERT_TRUE(dec.ok());
  EXPECT_TRUE(SchnorrVerify(p, Msg("register"), *dec).ok());
  EXPECT_FALSE(SchnorrVerify(p, Msg("register2"), *proof).ok());
  EXPECT_FALSE(SchnorrVerify(Point::MulBase(Scalar::Random()), Msg("register"), *proof).ok());
  EXPECT_FALSE(SchnorrVerify(Point::Identity(), Msg("register"), *proof).ok());
  EXPECT_FALSE(SchnorrProve(Scalar::Zero(), Msg("m")).ok());
}

TEST(SchnorrTest, TamperingAndDecoding) {
  const Scalar x = Scalar::Random();
  const Point p = Point::MulBase(x);
  auto proof = SchnorrProve(x, Msg("m"));
  ASSERT_TRUE(proof.ok());
  const auto enc = proof->Encode();
  for (size_t i = 0; i < enc.size(); ++i) {
    for (uint8_t bit : {uint8_t{0x01}, uint8_t{0x10}}) {
      auto bad = enc;
      bad[i] ^= bit;
      auto dec = SchnorrProof::Decode(bad);
      if (dec.ok()) EXPECT_FALSE(SchnorrVerify(p, Msg("m"), *dec).ok()) << i;
    }
  }
  EXPECT_FALSE(SchnorrProof::Decode(ByteView(enc.data(), 63)).ok());
  std::array<uint8_t, 65> longer{};
  EXPECT_FALSE(SchnorrProof::Decode(longer).ok());
  auto ident = enc;
  std::fill(ident.begin(), ident.begin() + 32, 0);  // R = identity
  EXPECT_FALSE(SchnorrProof::Decode(ident).ok());
  auto big_s = enc;
  std::fill(big_s.begin() + 32, big_s.end(), 0xff);  // s >= l
  EXPECT_FALSE(SchnorrProof::Decode(big_s).ok());
  // A semantically different valid proof: s + 1.
  SchnorrProof other = *proof;
  other.s = other.s + Scalar::One();
  EXPECT_FALSE(SchnorrVerify(p, Msg("m"), other).ok());
}

TEST(DleqTest, CompleteAndSound) {
  const Scalar x = Scalar::Random();
  const Point h = Point::MulBase(Scalar::Random());
  const Point p = Point::MulBase(x);
  const Point q = h.Mul(x);
  auto proof = DleqProve(x, h, Msg("ctx"));
  ASSERT_TRUE(proof.ok());
  EXPECT_TRUE(DleqVerify(h, p, q, Msg("ctx"), *proof).ok());
  auto dec = DleqProof::Decode(proof->Encode());
  ASSERT_TRUE(dec.ok());
  EXPECT_TRUE(DleqVerify(h, p, q, Msg("ctx"), *dec).ok());
  EXPECT_FALSE(DleqVerify(h, p, q, Msg("ctx2"), *proof).ok());
  // Unequal logs: Q = x' H.
  const Point q2 = h.Mul(Scalar::Random());
  EXPECT_FALSE(DleqVerify(h, p, q2, Msg("ctx"), *proof).ok());
  EXPECT_FALSE(DleqVerify(h, q, p, Msg("ctx"), *proof).ok());
  EXPECT_FALSE(DleqVerify(Point::MulBase(Scalar::Random()), p, q, Msg("ctx"), *proof).ok());
  EXPECT_FALSE(DleqVerify(h, Point::Identity(), q, Msg("ctx"), *proof).ok());
  EXPECT_FALSE(DleqProve(x, Point::Identity(), Msg("m")).ok());
  EXPECT_FALSE(DleqProve(Scalar::Zero(), h, Msg("m")).ok());
}

TEST(DleqTest, TamperingAndDecoding) {
  const Scalar x = Scalar::Random();
  const Point h = Point::MulBase(Scalar::Random());
  const Point p = Point::MulBase(x);
  const Point q = h.Mul(x);
  auto proof = DleqProve(x, h, Msg("m"));
  ASSERT_TRUE(proof.ok());
  const auto enc = proof->Encode();
  for (size_t i = 0; i < enc.size(); ++i) {
    auto bad = enc;
    bad[i] ^= 0x01;
    auto dec = DleqProof::Decode(bad);
    if (dec.ok()) EXPECT_FALSE(DleqVerify(h, p, q, Msg("m"), *dec).ok()) << i;
  }
  EXPECT_FALSE(DleqProof::Decode(ByteView(enc.data(), 32)).ok());
  auto zero_c = enc;
  std::fill(zero_c.begin(), zero_c.begin() + 32, 0);
  EXPECT_FALSE(DleqProof::Decode(zero_c).ok());
  auto big = enc;
  std::fill(big.begin(), big.begin() + 32, 0xff);
  EXPECT_FALSE(DleqProof::Decode(big).ok());
  // The Schnorr and DLEQ transcripts are separate domains: a Schnorr proof's bytes do not
  // make a DLEQ proof.
  auto schnorr = SchnorrProve(x, Msg("m"));
  ASSERT_TRUE(schnorr.ok());
  auto as_dleq = DleqProof::Decode(schnorr->Encode());
  if (as_dleq.ok()) EXPECT_FALSE(DleqVerify(h, p, q, Msg("m"), *as_dleq).ok());
}

}  // namespace
}  // namespace hito::zk::proof
