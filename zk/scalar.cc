#include "zk/scalar.h"

#include <sodium.h>

#include <algorithm>
#include <string>

#include "zk/ct.h"

namespace hito::zk {
namespace {

// l in little-endian bytes.
constexpr std::array<uint8_t, 32> kOrder = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};

}  // namespace

bool IsCanonicalScalar(const std::array<uint8_t, 32>& b) {
  // Constant-time b < l: subtract l from b byte by byte and keep the final borrow.
  unsigned borrow = 0;
  for (size_t i = 0; i < 32; ++i) {
    unsigned diff = unsigned{b[i]} - unsigned{kOrder[i]} - borrow;
    borrow = (diff >> 8) & 1u;
  }
  return borrow == 1;
}

Scalar::Scalar() = default;

Scalar Scalar::Zero() { return Scalar(); }

Scalar Scalar::One() { return FromU64(1); }

Scalar Scalar::FromU64(uint64_t v) {
  Scalar s;
  for (size_t i = 0; i < 8; ++i) s.b_[i] = static_cast<uint8_t>(v >> (8 * i));
  return s;
}

Result<Scalar> Scalar::Decode(ByteView b) {
  if (b.size() != 32) {
    return InvalidArgumentError("scalar: expected 32 bytes, got " + std::to_string(b.size()));
  }
  Scalar s;
  std::copy(b.begin(), b.end(), s.b_.begin());
  if (!IsCanonicalScalar(s.b_)) return InvalidArgumentError("scalar: not canonical (>= l)");
  return s;
}

Scalar Scalar::FromUniformBytes(const std::array<uint8_t, 64>& b) {
  Scalar s;
  crypto_core_ristretto255_scalar_reduce(s.b_.data(), b.data());
  return s;
}

Scalar Scalar::Random() {
  Scalar s;
  crypto_core_ristretto255_scalar_random(s.b_.data());
  return s;
}

Scalar Scalar::operator+(const Scalar& o) const {
  Scalar r;
  crypto_core_ristretto255_scalar_add(r.b_.data(), b_.data(), o.b_.data());
  return r;
}

Scalar Scalar::operator-(const Scalar& o) const {
  Scalar r;
  crypto_core_ristretto255_scalar_sub(r.b_.data(), b_.data(), o.b_.data());
  return r;
}

Scalar Scalar::operator*(const Scalar& o) const {
  Scalar r;
  crypto_core_ristretto255_scalar_mul(r.b_.data(), b_.data(), o.b_.data());
  return r;
}

Scalar Scalar::operator-() const {
  Scalar r;
  crypto_core_ristretto255_scalar_negate(r.b_.data(), b_.data());
  return r;
}

Scalar Scalar::Invert() const {
  // The zero test is an assertion: it always passes for a caller that keeps its contract,
  // so its outcome (and libsodium's matching return code) is public.
  bool zero = IsZero();
  ct::DeclassifyValue(zero);
  HITO_ASSERT(!zero);
  Scalar r;
  int rc = crypto_core_ristretto255_scalar_invert(r.b_.data(), b_.data());
  ct::DeclassifyValue(rc);
  HITO_ASSERT(rc == 0);
  return r;
}

bool Scalar::IsZero() const { return sodium_is_zero(b_.data(), b_.size()) == 1; }

void Scalar::Wipe() { sodium_memzero(b_.data(), b_.size()); }

bool operator==(const Scalar& a, const Scalar& b) {
  return sodium_memcmp(a.b_.data(), b.b_.data(), 32) == 0;
}

}  // namespace hito::zk
