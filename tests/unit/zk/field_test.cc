// Field arithmetic mod 2^255 - 19 (zk/field.h) and SQRT_RATIO_M1 (zk/ec_internal.h):
// mul/square/add/sub/invert against an independent bit-serial reference on thousands of
// random and edge-case inputs, canonical encoding, and the RFC 9496 A.4 vectors.
#include "zk/field.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <nlohmann/json.hpp>
#include <string>

#include "base/hex.h"
#include "tests/support/vectors.h"
#include "zk/ec_internal.h"

namespace hito::zk::internal {
namespace {

// Reference arithmetic on 4x64-bit words, values < p, written independently of field.h.
using W = std::array<uint64_t, 4>;
constexpr W kP = {0xffffffffffffffedu, 0xffffffffffffffffu, 0xffffffffffffffffu,
                  0x7fffffffffffffffu};

bool Geq(const W& a, const W& b) {
  for (int i = 3; i >= 0; --i) {
    if (a[static_cast<size_t>(i)] != b[static_cast<size_t>(i)]) {
      return a[static_cast<size_t>(i)] > b[static_cast<size_t>(i)];
    }
  }
  return true;
}
W RawSub(const W& a, const W& b) {
  W r{};
  unsigned __int128 borrow = 0;
  for (size_t i = 0; i < 4; ++i) {
    unsigned __int128 d = static_cast<unsigned __int128>(a[i]) - b[i] - borrow;
    r[i] = static_cast<uint64_t>(d);
    borrow = (d >> 64) ? 1 : 0;
  }
  return r;
}
W RefAdd(const W& a, const W& b) {  // a, b < p < 2^255, so a + b < 2^256
  W r{};
  unsigned __int128 c = 0;
  for (size_t i = 0; i < 4; ++i) {
    c += static_cast<unsigned __int128>(a[i]) + b[i];
    r[i] = static_cast<uint64_t>(c);
    c >>= 64;
  }
  return Geq(r, kP) ? RawSub(r, kP) : r;
}
W RefMul(const W& a, const W& b) {
  W r{};
  for (int bit = 255; bit >= 0; --bit) {
    r = RefAdd(r, r);
    if ((b[static_cast<size_t>(bit / 64)] >> (bit % 64)) & 1) r = RefAdd(r, a);
  }
  return r;
}
W RefReduce(W a) {  // any value < 2^256
  while (Geq(a, kP)) a = RawSub(a, kP);
  return a;
}
W ToW(const std::array<uint8_t, 32>& b) {
  W w{};
  for (size_t i = 0; i < 32; ++i) w[i / 8] |= uint64_t{b[i]} << (8 * (i % 8));
  return w;
}
std::array<uint8_t, 32> FromW(const W& w) {
  std::array<uint8_t, 32> b{};
  for (size_t i = 0; i < 32; ++i) b[i] = static_cast<uint8_t>(w[i / 8] >> (8 * (i % 8)));
  return b;
}

// A random input with bit 255 cleared (may be >= p, a non-canonical but valid input).
std::array<uint8_t, 32> RandomBytes() {
  std::array<uint8_t, 32> b{};
  randombytes_buf(b.data(), b.size());
  b[31] &= 0x7f;
  return b;
}

std::vector<std::array<uint8_t, 32>> Inputs(int random_count) {
  std::vector<std::array<uint8_t, 32>> v;
  v.push_back(FromW({0, 0, 0, 0}));
  v.push_back(FromW({1, 0, 0, 0}));
  v.push_back(FromW(RawSub(kP, {1, 0, 0, 0})));                 // p - 1
  v.push_back(FromW(kP));                                       // p (== 0)
  v.push_back(FromW({0xffffffffffffffffu, 0xffffffffffffffffu,  // 2^255 - 1
                     0xffffffffffffffffu, 0x7fffffffffffffffu}));
  v.push_back(FromW({0, 0, 0, 0x4000000000000000u}));      // 2^254
  v.push_back(FromW({(uint64_t{1} << 51) - 1, 0, 0, 0}));  // limb boundary
  for (int i = 0; i < random_count; ++i) v.push_back(RandomBytes());
  return v;
}

std::array<uint8_t, 32> Canon(const std::array<uint8_t, 32>& b) {
  W w = ToW(b);
  w[3] &= 0x7fffffffffffffffu;
  return FromW(RefReduce(w));
}

TEST(FieldTest, EncodeIsCanonical) {
  for (const auto& b : Inputs(2000)) EXPECT_EQ(FeToBytes(FeFromBytes(b)), Canon(b));
  // Bit 255 is ignored on input.
  auto b = Canon(RandomBytes());
  auto hi = b;
  hi[31] |= 0x80;
  EXPECT_EQ(FeToBytes(FeFromBytes(hi)), b);
}

TEST(FieldTest, MulSquareAddSubMatchReference) {
  auto in = Inputs(2000);
  for (size_t i = 0; i < in.size(); ++i) {
    const auto& x = in[i];
    const auto& y = in[(i * 7 + 3) % in.size()];
    const W a = ToW(Canon(x)), b = ToW(Canon(y));
    const Fe fa = FeFromBytes(x), fb = FeFromBytes(y);
    EXPECT_EQ(FeToBytes(FeMul(fa, fb)), FromW(RefMul(a, b)));
    EXPECT_EQ(FeToBytes(FeSq(fa)), FromW(RefMul(a, a)));
    EXPECT_EQ(FeToBytes(FeAdd(fa, fb)), FromW(RefAdd(a, b)));
    EXPECT_EQ(FeToBytes(FeSub(fa, fb)), FromW(RefAdd(a, RefReduce(RawSub(kP, b)))));
    EXPECT_EQ(FeToBytes(FeNeg(fa)), FromW(RefReduce(RawSub(kP, a))));
    // Unreduced sums as Mul inputs (limbs up to 2^53).
    const Fe s = FeAdd(fa, fb);
    EXPECT_EQ(FeToBytes(FeMul(s, s)), FromW(RefMul(RefAdd(a, b), RefAdd(a, b))));
    EXPECT_EQ(FeToBytes(FeSq(s)), FromW(RefMul(RefAdd(a, b), RefAdd(a, b))));
  }
}

TEST(FieldTest, InvertAndPredicates) {
  for (const auto& x : Inputs(500)) {
    const Fe a = FeFromBytes(x);
    if (FeIsZero(a)) {
      EXPECT_TRUE(FeIsZero(FeInvert(a)));
      continue;
    }
    EXPECT_TRUE(FeEq(FeMul(a, FeInvert(a)), FeOne()));
    EXPECT_EQ(FeIsNegative(a), uint64_t{Canon(x)[0] & 1u});
    EXPECT_TRUE(FeEq(FeAbs(a), FeAbs(FeNeg(a))));
    EXPECT_EQ(FeIsNegative(FeAbs(a)), 0u);
    EXPECT_TRUE(FeEq(FeSelect(a, FeOne(), ~uint64_t{0}), FeOne()));
    EXPECT_TRUE(FeEq(FeSelect(a, FeOne(), 0), a));
  }
}

TEST(FieldTest, SqrtRatioMatchesDefinition) {
  for (int i = 0; i < 500; ++i) {
    const Fe u = FeFromBytes(RandomBytes()), v = FeFromBytes(RandomBytes());
    const SqrtRatio s = FeSqrtRatioM1(u, v);
    EXPECT_EQ(FeIsNegative(s.r), 0u);
    const Fe check = FeMul(v, FeSq(s.r));
    if (s.was_square) {
      EXPECT_TRUE(FeEq(check, u));
    } else {
      EXPECT_TRUE(FeEq(check, FeMul(kSqrtM1, u)));
    }
  }
  // A square is recognised: u = w^2 * v.
  for (int i = 0; i < 200; ++i) {
    const Fe w = FeFromBytes(RandomBytes()), v = FeFromBytes(RandomBytes());
    const SqrtRatio s = FeSqrtRatioM1(FeMul(FeSq(w), v), v);
    EXPECT_EQ(s.was_square, 1u);
    EXPECT_TRUE(FeEq(s.r, FeAbs(w)));
  }
}

TEST(FieldTest, Rfc9496SqrtRatioVectors) {
  auto j = hito::testing::LoadVectors("ristretto255.json");
  auto vs = j["sqrt_ratio_m1"]["vectors"];
  ASSERT_EQ(vs.size(), 6u);
  auto fe = [](const nlohmann::json& h) {
    auto b = HexDecode(h.get<std::string>());
    HITO_ASSERT(b.ok() && b->size() == 32);
    std::array<uint8_t, 32> a{};
    std::copy(b->begin(), b->end(), a.begin());
    return a;
  };
  for (const auto& v : vs) {
    const SqrtRatio s = FeSqrtRatioM1(FeFromBytes(fe(v["u"])), FeFromBytes(fe(v["v"])));
    EXPECT_EQ(s.was_square == 1, v["was_square"].get<bool>()) << v["u"] << " " << v["v"];
    EXPECT_EQ(FeToBytes(s.r), fe(v["r"])) << v["u"] << " " << v["v"];
  }
}

}  // namespace
}  // namespace hito::zk::internal
