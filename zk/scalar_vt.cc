#include "zk/scalar_vt.h"

namespace hito::zk {
namespace {

__extension__ typedef unsigned __int128 U128;
using Limbs = std::array<uint64_t, 5>;

constexpr uint64_t kMask52 = (uint64_t{1} << 52) - 1;

constexpr Limbs FromBytes(const std::array<uint8_t, 32>& b) {
  uint64_t w[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < 32; ++i) w[i / 8] |= uint64_t{b[i]} << (8 * (i % 8));
  return Limbs{w[0] & kMask52, ((w[0] >> 52) | (w[1] << 12)) & kMask52,
               ((w[1] >> 40) | (w[2] << 24)) & kMask52, ((w[2] >> 28) | (w[3] << 36)) & kMask52,
               w[3] >> 16};
}

constexpr std::array<uint8_t, 32> ToBytes(const Limbs& l) {
  const uint64_t w[4] = {l[0] | (l[1] << 52), (l[1] >> 12) | (l[2] << 40),
                         (l[2] >> 24) | (l[3] << 28), (l[3] >> 36) | (l[4] << 16)};
  std::array<uint8_t, 32> b{};
  for (size_t i = 0; i < 32; ++i) b[i] = static_cast<uint8_t>(w[i / 8] >> (8 * (i % 8)));
  return b;
}

// l = 2^252 + 27742317777372353535851937790883648493, little-endian bytes.
constexpr std::array<uint8_t, 32> kOrderBytes = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};
constexpr Limbs kL = FromBytes(kOrderBytes);

// a - b over 5x52 limbs; adds l back if the result is negative. Constant time.
constexpr Limbs SubModL(const Limbs& a, const Limbs& b) {
  Limbs d{};
  uint64_t borrow = 0;
  for (size_t i = 0; i < 5; ++i) {
    borrow = a[i] - (b[i] + (borrow >> 63));
    d[i] = borrow & kMask52;
  }
  const uint64_t mask = 0 - (borrow >> 63);  // all ones iff a < b
  uint64_t carry = 0;
  for (size_t i = 0; i < 5; ++i) {
    carry = (carry >> 52) + d[i] + (kL[i] & mask);
    d[i] = carry & kMask52;
  }
  return d;
}

constexpr Limbs AddModL(const Limbs& a, const Limbs& b) {
  Limbs s{};
  uint64_t carry = 0;
  for (size_t i = 0; i < 5; ++i) {
    carry = a[i] + b[i] + (carry >> 52);
    s[i] = carry & kMask52;
  }
  return SubModL(s, kL);  // a + b < 2l, and 2l < 2^260
}

// -l^-1 mod 2^52, by Newton iteration on the inverse mod 2^64.
constexpr uint64_t LFactor() {
  uint64_t x = kL[0];  // correct to 3 bits for odd l0
  for (int i = 0; i < 6; ++i) x *= 2 - kL[0] * x;
  return (0 - x) & kMask52;
}
constexpr uint64_t kLFactor = LFactor();
static_assert(((kLFactor * kL[0]) & kMask52) == kMask52, "LFACTOR * l0 == -1 mod 2^52");

constexpr U128 M(uint64_t a, uint64_t b) { return static_cast<U128>(a) * b; }

// Montgomery reduction of a 9-limb product: returns z / R mod l, R = 2^260.
constexpr Limbs MontReduce(const std::array<U128, 9>& z) {
  uint64_t n[5] = {0, 0, 0, 0, 0};
  U128 carry = 0;
  for (size_t i = 0; i < 5; ++i) {
    U128 s = carry + z[i];
    for (size_t j = 0; j < i; ++j) s += M(n[j], kL[i - j]);
    n[i] = (static_cast<uint64_t>(s) * kLFactor) & kMask52;
    carry = (s + M(n[i], kL[0])) >> 52;
  }
  Limbs r{};
  for (size_t i = 5; i < 9; ++i) {
    U128 s = carry + z[i];
    for (size_t j = i - 4; j < 5; ++j) s += M(n[j], kL[i - j]);
    r[i - 5] = static_cast<uint64_t>(s) & kMask52;
    carry = s >> 52;
  }
  r[4] = static_cast<uint64_t>(carry);
  return SubModL(r, kL);  // result < 2l
}

constexpr Limbs MontMul(const Limbs& a, const Limbs& b) {
  std::array<U128, 9> z{};
  for (size_t i = 0; i < 5; ++i) {
    for (size_t j = 0; j < 5; ++j) z[i + j] += M(a[i], b[j]);
  }
  return MontReduce(z);
}

// R^2 mod l = 2^520 mod l, by doubling.
constexpr Limbs ComputeRR() {
  Limbs x{1, 0, 0, 0, 0};
  for (int i = 0; i < 520; ++i) x = AddModL(x, x);
  return x;
}
constexpr Limbs kRR = ComputeRR();

}  // namespace

ScalarVt ScalarVt::One() {
  static const ScalarVt kOne = FromScalar(Scalar::One());
  return kOne;
}

ScalarVt ScalarVt::FromScalar(const Scalar& s) {
  ScalarVt r;
  r.l_ = MontMul(FromBytes(s.bytes()), kRR);
  return r;
}

Scalar ScalarVt::ToScalar() const {
  const Limbs plain = MontMul(l_, Limbs{1, 0, 0, 0, 0});
  auto r = Scalar::Decode(ToBytes(plain));
  HITO_ASSERT(r.ok());  // fully reduced
  return *r;
}

ScalarVt ScalarVt::operator+(const ScalarVt& o) const {
  ScalarVt r;
  r.l_ = AddModL(l_, o.l_);
  return r;
}

ScalarVt ScalarVt::operator-(const ScalarVt& o) const {
  ScalarVt r;
  r.l_ = SubModL(l_, o.l_);
  return r;
}

ScalarVt ScalarVt::operator*(const ScalarVt& o) const {
  ScalarVt r;
  r.l_ = MontMul(l_, o.l_);
  return r;
}

ScalarVt ScalarVtSum::Value() const {
  // z = sum (a_i R)(b_i R) = (sum a_i b_i) R^2; one reduction gives (sum a_i b_i) R.
  ScalarVt r;
  r.l_ = MontReduce(z_);
  return r;
}

void ScalarVtSum::Fold() {
  // Replace the columns by the reduced value v (= s R) times One (= R mod l), whose
  // reduction is v again: the sum is unchanged and the columns are small again.
  const ScalarVt v = Value();
  z_.fill(0);
  count_ = 0;
  AddProduct(v, ScalarVt::One());
}

}  // namespace hito::zk
