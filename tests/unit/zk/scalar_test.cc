// Scalar (zk/scalar.h): canonical decoding (rejects l, l+1, 2^256-1, wrong lengths),
// field laws and inverse on random values, and wiping.
#include "zk/scalar.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "zk/scalar_vt.h"

namespace hito::zk {
namespace {

// l - 1, l, l + 1 and 2^256 - 1 as little-endian bytes, built from l = 2^252 + c.
std::array<uint8_t, 32> OrderPlus(int delta) {
  // l little-endian (RFC 9496 section 4: l = 2^252 + 27742317777372353535851937790883648493).
  std::array<uint8_t, 32> l = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                               0xa2, 0xde, 0xf9, 0xde, 0x14, 0,    0,    0,    0,    0,    0,
                               0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};
  l[0] = static_cast<uint8_t>(l[0] + delta);  // no carry for |delta| <= 2
  return l;
}

TEST(ScalarTest, ZeroOneAndSmallValues) {
  EXPECT_TRUE(Scalar().IsZero());
  EXPECT_TRUE(Scalar::Zero().IsZero());
  EXPECT_FALSE(Scalar::One().IsZero());
  EXPECT_EQ(Scalar::One().bytes()[0], 1);
  EXPECT_EQ(Scalar::FromU64(2) + Scalar::FromU64(3), Scalar::FromU64(5));
  EXPECT_EQ(Scalar::FromU64(6) * Scalar::FromU64(7), Scalar::FromU64(42));
  EXPECT_EQ(Scalar::FromU64(0x0102030405060708).bytes()[7], 0x01);
}

TEST(ScalarTest, DecodeAcceptsCanonical) {
  auto lm1 = OrderPlus(-1);
  auto s = Scalar::Decode(lm1);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s + Scalar::One(), Scalar::Zero());
  EXPECT_EQ(-Scalar::One(), *s);
  auto zero = Scalar::Decode(std::array<uint8_t, 32>{});
  ASSERT_TRUE(zero.ok());
  EXPECT_TRUE(zero->IsZero());
}

TEST(ScalarTest, DecodeRejectsNonCanonical) {
  EXPECT_FALSE(Scalar::Decode(OrderPlus(0)).ok());
  EXPECT_FALSE(Scalar::Decode(OrderPlus(1)).ok());
  std::array<uint8_t, 32> ones;
  ones.fill(0xff);
  auto r = Scalar::Decode(ones);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  std::array<uint8_t, 32> top{};
  top[31] = 0x80;  // 2^255
  EXPECT_FALSE(Scalar::Decode(top).ok());
  EXPECT_FALSE(IsCanonicalScalar(OrderPlus(0)));
  EXPECT_TRUE(IsCanonicalScalar(OrderPlus(-1)));
}

TEST(ScalarTest, DecodeRejectsWrongLength) {
  std::array<uint8_t, 33> long_b{};
  EXPECT_FALSE(Scalar::Decode(long_b).ok());
  EXPECT_FALSE(Scalar::Decode(ByteView(long_b).first(31)).ok());
  EXPECT_FALSE(Scalar::Decode(ByteView()).ok());
}

TEST(ScalarTest, FieldLawsOnRandomValues) {
  for (int i = 0; i < 1000; ++i) {
    Scalar a = Scalar::Random(), b = Scalar::Random(), c = Scalar::Random();
    EXPECT_EQ(a + b, b + a);
    EXPECT_EQ(a * b, b * a);
    EXPECT_EQ((a + b) * c, a * c + b * c);
    EXPECT_EQ(a - b + b, a);
    EXPECT_EQ(a + (-a), Scalar::Zero());
    if (!a.IsZero()) EXPECT_EQ(a * a.Invert(), Scalar::One());
    auto d = Scalar::Decode(a.bytes());
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(*d, a);
  }
}

TEST(ScalarTest, FromUniformBytesReduces) {
  std::array<uint8_t, 64> b{};
  auto l = OrderPlus(0);
  std::copy(l.begin(), l.end(), b.begin());
  EXPECT_TRUE(Scalar::FromUniformBytes(b).IsZero());
  b[0] = static_cast<uint8_t>(b[0] + 5);
  EXPECT_EQ(Scalar::FromUniformBytes(b), Scalar::FromU64(5));
  std::array<uint8_t, 64> hi{};
  hi[32] = 1;  // 2^256 mod l
  Scalar two256 = Scalar::FromU64(1);
  for (int i = 0; i < 256; ++i) two256 = two256 + two256;
  EXPECT_EQ(Scalar::FromUniformBytes(hi), two256);
}

TEST(ScalarTest, WipeZeroes) {
  Scalar s = Scalar::Random();
  s.Wipe();
  EXPECT_TRUE(s.IsZero());
}

TEST(ScalarDeathTest, InvertZeroAsserts) {
  EXPECT_DEATH({ (void)Scalar::Zero().Invert(); }, "");
}

TEST(ScalarVtTest, MatchesScalarOnRandomInputs) {
  std::vector<Scalar> edge = {Scalar::Zero(),      Scalar::One(),
                              -Scalar::One(),      Scalar::FromU64(2),
                              -Scalar::FromU64(2), *Scalar::Decode(OrderPlus(-1))};
  for (int i = 0; i < 3000; ++i) {
    const Scalar a = i < 36 ? edge[static_cast<size_t>(i) % 6] : Scalar::Random();
    const Scalar b = i < 36 ? edge[static_cast<size_t>(i) / 6] : Scalar::Random();
    const ScalarVt va = ScalarVt::FromScalar(a), vb = ScalarVt::FromScalar(b);
    EXPECT_EQ(va.ToScalar(), a);
    EXPECT_EQ((va * vb).ToScalar(), a * b);
    EXPECT_EQ((va + vb).ToScalar(), a + b);
    EXPECT_EQ((va - vb).ToScalar(), a - b);
    EXPECT_EQ((-va).ToScalar(), -a);
    EXPECT_EQ(va.Square().ToScalar(), a * a);
    EXPECT_EQ(va.MulAdd(vb, va).ToScalar(), a * b + a);
    EXPECT_EQ(va == vb, a == b);
    EXPECT_EQ(va.IsZero(), a.IsZero());
  }
  EXPECT_EQ(ScalarVt::One().ToScalar(), Scalar::One());
  EXPECT_EQ(ScalarVt::FromU64(12345).ToScalar(), Scalar::FromU64(12345));
  EXPECT_TRUE(ScalarVt::Zero().IsZero());
}

TEST(ScalarVtTest, LongProductChainMatches) {
  // A Gray-code-like chain of multiply-adds, as the verifier runs it.
  Scalar acc = Scalar::One();
  ScalarVt vacc = ScalarVt::One();
  for (int i = 0; i < 2000; ++i) {
    const Scalar x = Scalar::Random(), y = Scalar::Random();
    acc = acc * x + y;
    vacc = vacc.MulAdd(ScalarVt::FromScalar(x), ScalarVt::FromScalar(y));
  }
  EXPECT_EQ(vacc.ToScalar(), acc);
}

TEST(ScalarVtTest, SumOfProductsMatchesAcrossFolds) {
  // Counts around the internal fold (every 255 products) and well past it, with the
  // largest values (l - 1) as well as random ones.
  for (size_t count : {0u, 1u, 2u, 254u, 255u, 256u, 510u, 511u, 1000u, 3000u}) {
    ScalarVtSum sum;
    Scalar want;
    for (size_t i = 0; i < count; ++i) {
      const bool big = i % 3 == 0;
      const Scalar a = big ? -Scalar::One() : Scalar::Random();
      const Scalar b = big ? -Scalar::One() : Scalar::Random();
      sum.AddProduct(ScalarVt::FromScalar(a), ScalarVt::FromScalar(b));
      want += a * b;
    }
    EXPECT_EQ(sum.Value().ToScalar(), want) << "count=" << count;
  }
}

}  // namespace
}  // namespace hito::zk
