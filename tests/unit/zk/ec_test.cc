// EdPoint (zk/ec.h): our own RFC 9496 decode/encode/one-way map on the published vectors
// (tests/vectors/ristretto255.json), and add/sub/double/negate/equality against
// libsodium's Point on random inputs, including non-canonical representatives.
#include "zk/ec.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <nlohmann/json.hpp>
#include <string>

#include "base/hex.h"
#include "tests/support/vectors.h"

namespace hito::zk {
namespace {

nlohmann::json LoadVectors() { return hito::testing::LoadVectors("ristretto255.json"); }

using hito::testing::Hex;

Bytes B(const std::array<uint8_t, 32>& a) { return Bytes(a.begin(), a.end()); }

Point RandomPoint() { return Point::MulBase(Scalar::Random()); }

EdPoint Ed(const Point& p) {
  auto r = EdPoint::FromPoint(p);
  HITO_ASSERT(r.ok());
  return *r;
}

TEST(EdPointTest, GeneratorMultiplesVectors) {
  auto v = LoadVectors()["generator_multiples"]["encodings"];
  ASSERT_EQ(v.size(), 16u);
  EdPoint acc = EdPoint::Identity();
  for (size_t k = 0; k < v.size(); ++k) {
    const Bytes want = Hex(v[k]);
    EXPECT_EQ(B(acc.Encode()), want) << "k=" << k;
    auto d = EdPoint::DecodeAllowIdentity(want);
    ASSERT_TRUE(d.ok()) << "k=" << k;
    EXPECT_EQ(*d, acc);
    EXPECT_EQ(B(d->Encode()), want);
    EXPECT_EQ(EdPoint::Decode(want).ok(), k != 0) << "identity rejected by Decode";
    acc = acc + EdPoint::Base();
  }
}

TEST(EdPointTest, InvalidEncodingsRejected) {
  auto v = LoadVectors()["invalid_encodings"]["vectors"];
  ASSERT_EQ(v.size(), 29u);
  for (const auto& e : v) {
    const Bytes b = Hex(e["encoding"]);
    EXPECT_FALSE(EdPoint::Decode(b).ok()) << e["encoding"] << " " << e["reason_code"];
    EXPECT_FALSE(EdPoint::DecodeAllowIdentity(b).ok()) << e["encoding"];
  }
  EXPECT_FALSE(EdPoint::Decode(Bytes(31)).ok());
  EXPECT_FALSE(EdPoint::Decode(Bytes(33)).ok());
}

TEST(EdPointTest, ElementDerivationVectors) {
  auto v = LoadVectors()["element_derivation"]["vectors"];
  ASSERT_EQ(v.size(), 11u);
  for (const auto& e : v) {
    const Bytes in = Hex(e["input"]);
    std::array<uint8_t, 64> a{};
    std::copy(in.begin(), in.end(), a.begin());
    EXPECT_EQ(B(EdPoint::FromUniformBytes(a).Encode()), Hex(e["output"])) << e["input"];
  }
}

TEST(EdPointTest, OneWayMapMatchesLibsodiumOnRandomInputs) {
  for (int i = 0; i < 500; ++i) {
    std::array<uint8_t, 64> a{};
    randombytes_buf(a.data(), a.size());
    EXPECT_EQ(EdPoint::FromUniformBytes(a).ToPoint(), Point::FromUniformBytes(a));
  }
}

TEST(EdPointTest, RandomEncodingsRoundTripAndInvalidOnesAgreeWithLibsodium) {
  for (int i = 0; i < 2000; ++i) {
    const Point p = RandomPoint();
    const EdPoint e = Ed(p);
    EXPECT_EQ(e.ToPoint(), p);
    // Random 32-byte strings: our decoder accepts exactly what libsodium accepts.
    std::array<uint8_t, 32> r{};
    randombytes_buf(r.data(), r.size());
    if (i % 2) r[31] &= 0x7f;
    if (i % 4 == 1) r[0] &= 0xfe;  // even, so more of them are valid
    const bool ours = EdPoint::DecodeAllowIdentity(r).ok();
    const bool theirs = Point::DecodeAllowIdentity(r).ok();
    EXPECT_EQ(ours, theirs);
    if (ours) EXPECT_EQ(B(EdPoint::DecodeAllowIdentity(r)->Encode()), B(r));
  }
}

TEST(EdPointTest, GroupOpsMatchLibsodium) {
  for (int i = 0; i < 1000; ++i) {
    const Point p = RandomPoint(), q = RandomPoint();
    const EdPoint ep = Ed(p), eq = Ed(q);
    EXPECT_EQ((ep + eq).ToPoint(), p + q);
    EXPECT_EQ((ep - eq).ToPoint(), p - q);
    EXPECT_EQ(ep.Double().ToPoint(), p + p);
    EXPECT_EQ((-ep).ToPoint(), Point::Identity() - p);
    EXPECT_EQ(ep + eq, Ed(p + q));
    EXPECT_FALSE(ep == eq);
    EXPECT_TRUE((ep - ep).IsIdentity());
    EXPECT_FALSE(ep.IsIdentity());
    // Chains of operations without re-encoding stay consistent.
    EdPoint chain = ep;
    for (int k = 0; k < 5; ++k) chain = (chain + eq).Double() - ep;
    Point pchain = p;
    for (int k = 0; k < 5; ++k) {
      pchain = pchain + q;
      pchain = pchain + pchain - p;
    }
    EXPECT_EQ(chain.ToPoint(), pchain);
  }
}

TEST(EdPointTest, IdentityAndTorsionRepresentatives) {
  EXPECT_TRUE(EdPoint::Identity().IsIdentity());
  EXPECT_TRUE(EdPoint().ToPoint().IsIdentity());
  EXPECT_EQ(B(EdPoint().Encode()), Bytes(32, 0));
  // The 2-torsion point (0, -1) is another representative of the identity; adding it
  // changes the Edwards point but not the ristretto element or its encoding.
  using namespace internal;  // NOLINT(google-build-using-namespace)
  const EdPoint t2(ExtPoint{FeZero(), FeNeg(FeOne()), FeOne(), FeZero()});
  EXPECT_TRUE(t2.IsIdentity());
  EXPECT_EQ(B(t2.Encode()), Bytes(32, 0));
  // The 4-torsion point (sqrt(-1), 0).
  const EdPoint t4(ExtPoint{kSqrtM1, FeZero(), FeOne(), FeZero()});
  EXPECT_TRUE(t4.IsIdentity());
  for (int i = 0; i < 200; ++i) {
    const Point p = RandomPoint();
    const EdPoint e = Ed(p);
    EXPECT_EQ(e + t2, e);
    EXPECT_EQ(e + t4, e);
    EXPECT_EQ((e + t2).ToPoint(), p);
    EXPECT_EQ((e + t4).ToPoint(), p);
    EXPECT_EQ((e + t4 + t2).Double().ToPoint(), p + p);
    EXPECT_EQ(e + EdPoint::Identity(), e);
  }
}

TEST(EdPointTest, DecodeBatch) {
  std::vector<Point> pts;
  for (int i = 0; i < 64; ++i) pts.push_back(RandomPoint());
  pts.push_back(Point::Identity());
  auto r = EdPoint::DecodeBatch(pts);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), pts.size());
  for (size_t i = 0; i < pts.size(); ++i) EXPECT_EQ((*r)[i].ToPoint(), pts[i]);
  EXPECT_TRUE(EdPoint::DecodeBatch({}).ok());
}

}  // namespace
}  // namespace hito::zk
