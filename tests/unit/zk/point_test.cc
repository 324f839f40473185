// Point (zk/point.h): RFC 9496 vectors (multiples of B, invalid encodings, element
// derivation) loaded from tests/vectors/ristretto255.json, identity rejection, and
// group laws / total scalar multiplication through libsodium.
#include "zk/point.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "base/hex.h"
#include "tests/support/vectors.h"

namespace hito::zk {
namespace {

nlohmann::json LoadVectors() { return hito::testing::LoadVectors("ristretto255.json"); }

using hito::testing::Hex;

TEST(PointTest, GeneratorMultiplesEncodeExactly) {
  auto v = LoadVectors()["generator_multiples"]["encodings"];
  ASSERT_EQ(v.size(), 16u);
  Point acc;
  for (size_t k = 0; k < v.size(); ++k) {
    Bytes want = Hex(v[k]);
    EXPECT_EQ(Bytes(acc.bytes().begin(), acc.bytes().end()), want) << "k=" << k;
    Point m = Point::MulBase(Scalar::FromU64(k));
    EXPECT_EQ(m, acc) << "k=" << k;
    EXPECT_EQ(Point::Base().Mul(Scalar::FromU64(k)), acc) << "k=" << k;
    if (k == 0) {
      EXPECT_FALSE(Point::Decode(want).ok());
      EXPECT_TRUE(Point::DecodeAllowIdentity(want).ok());
    } else {
      auto d = Point::Decode(want);
      ASSERT_TRUE(d.ok()) << d.status().ToString();
      EXPECT_EQ(*d, acc);
    }
    acc = acc + Point::Base();
  }
}

TEST(PointTest, InvalidEncodingsRejected) {
  auto v = LoadVectors()["invalid_encodings"]["vectors"];
  ASSERT_EQ(v.size(), 29u);
  for (const auto& e : v) {
    Bytes b = Hex(e["encoding"]);
    auto r = Point::Decode(b);
    EXPECT_FALSE(r.ok()) << e["encoding"];
    if (!r.ok()) EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_FALSE(Point::DecodeAllowIdentity(b).ok()) << e["encoding"];
  }
}

TEST(PointTest, ElementDerivationVectors) {
  auto v = LoadVectors()["element_derivation"]["vectors"];
  ASSERT_EQ(v.size(), 11u);
  for (const auto& e : v) {
    Bytes in = Hex(e["input"]);
    ASSERT_EQ(in.size(), 64u);
    std::array<uint8_t, 64> a{};
    std::copy(in.begin(), in.end(), a.begin());
    Point p = Point::FromUniformBytes(a);
    EXPECT_EQ(Bytes(p.bytes().begin(), p.bytes().end()), Hex(e["output"]));
  }
}

TEST(PointTest, DecodeRejectsWrongLengthAndIdentity) {
  const Point base = Point::Base();
  Bytes b(base.bytes().begin(), base.bytes().end());
  EXPECT_TRUE(Point::Decode(b).ok());
  b.push_back(0);
  EXPECT_FALSE(Point::Decode(b).ok());
  b.resize(31);
  EXPECT_FALSE(Point::Decode(b).ok());
  EXPECT_FALSE(Point::Decode(std::array<uint8_t, 32>{}).ok());
  // Non-canonical: 2^255 - 1 >= p.
  std::array<uint8_t, 32> big;
  big.fill(0xff);
  big[31] = 0x7f;
  EXPECT_FALSE(Point::DecodeAllowIdentity(big).ok());
  // Bit 255 set on a valid encoding (libsodium 1.0.18's is_valid_point accepts it).
  for (int i = 0; i < 100; ++i) {
    std::array<uint8_t, 32> hi = Point::MulBase(Scalar::Random()).bytes();
    hi[31] |= 0x80;
    EXPECT_FALSE(Point::Decode(hi).ok());
    EXPECT_FALSE(Point::DecodeAllowIdentity(hi).ok());
  }
  std::array<uint8_t, 32> id_hi{};
  id_hi[31] = 0x80;
  EXPECT_FALSE(Point::DecodeAllowIdentity(id_hi).ok());
  // Negative (odd) field element: B's encoding with the low bit flipped.
  std::array<uint8_t, 32> odd = Point::Base().bytes();
  odd[0] ^= 1;
  EXPECT_FALSE(Point::Decode(odd).ok());
}

TEST(PointTest, TotalScalarMultiplication) {
  Point b = Point::Base();
  EXPECT_TRUE(Point::MulBase(Scalar::Zero()).IsIdentity());
  EXPECT_TRUE(b.Mul(Scalar::Zero()).IsIdentity());
  EXPECT_TRUE(Point::Identity().Mul(Scalar::Random()).IsIdentity());
  EXPECT_TRUE(Point().IsIdentity());
  // (l - 1) * B = -B
  Scalar lm1 = -Scalar::One();
  EXPECT_EQ(Point::MulBase(lm1), Point::Identity() - b);
  EXPECT_EQ(b.Mul(lm1) + b, Point::Identity());
}

TEST(PointTest, GroupLawsOnRandomPoints) {
  for (int i = 0; i < 200; ++i) {
    Scalar x = Scalar::Random(), y = Scalar::Random();
    Point p = Point::MulBase(x), q = Point::MulBase(y);
    EXPECT_EQ(p + q, Point::MulBase(x + y));
    EXPECT_EQ(p - q, Point::MulBase(x - y));
    EXPECT_EQ(p.Mul(y), q.Mul(x));
    EXPECT_EQ(p + Point::Identity(), p);
    EXPECT_TRUE((p - p).IsIdentity());
    auto d = Point::Decode(p.bytes());
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(*d, p);
  }
}

}  // namespace
}  // namespace hito::zk
