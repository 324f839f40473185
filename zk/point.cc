#include "zk/point.h"

#include <sodium.h>

#include <algorithm>
#include <string>

#include "zk/ct.h"

namespace hito::zk {

Point::Point() = default;

Point Point::Identity() { return Point(); }

Point Point::Base() {
  static const Point kBase = MulBase(Scalar::One());
  return kBase;
}

Result<Point> Point::DecodeAllowIdentity(ByteView b) {
  if (b.size() != 32) {
    return InvalidArgumentError("point: expected 32 bytes, got " + std::to_string(b.size()));
  }
  Point p;
  std::copy(b.begin(), b.end(), p.b_.begin());
  // libsodium 1.0.18's is_valid_point ignores bit 255 (it accepts B's encoding with the
  // top bit set), so that bit is checked here: RFC 9496 encodings have it clear. Otherwise
  // is_valid_point checks the canonical encoding (and accepts the identity).
  if ((p.b_[31] & 0x80) != 0 || crypto_core_ristretto255_is_valid_point(p.b_.data()) != 1) {
    return InvalidArgumentError("point: not a canonical ristretto255 encoding");
  }
  return p;
}

Result<Point> Point::Decode(ByteView b) {
  HITO_ASSIGN_OR_RETURN(Point p, DecodeAllowIdentity(b));
  if (p.IsIdentity()) return InvalidArgumentError("point: identity not allowed");
  return p;
}

Point Point::FromUniformBytes(const std::array<uint8_t, 64>& b) {
  Point p;
  crypto_core_ristretto255_from_hash(p.b_.data(), b.data());
  return p;
}

Point Point::MulBase(const Scalar& s) {
  Point p;
  // libsodium returns -1 when the result is the identity (only for s = 0 mod l, since s
  // is canonical and its top bit, which libsodium masks, is always 0). The output is then
  // all zeros, which is our identity encoding; we zero it explicitly anyway.
  int rc = crypto_scalarmult_ristretto255_base(p.b_.data(), s.bytes().data());
  // Whether the product is the identity says only whether s = 0, which callers with a
  // secret scalar rule out (or check on the published product): declassified.
  ct::DeclassifyValue(rc);
  if (rc != 0) p.b_.fill(0);
  return p;
}

Point Point::Mul(const Scalar& s) const {
  Point p;
  // -1 means "result is the identity": this point always decodes (it is canonical), and
  // canonical scalars never have the masked top bit set.
  int rc = crypto_scalarmult_ristretto255(p.b_.data(), s.bytes().data(), b_.data());
  // Public for the same reason as in MulBase: with a nonzero scalar and a non-identity
  // point the answer is always "no", so the bit tells nothing about the scalar.
  ct::DeclassifyValue(rc);
  if (rc != 0) p.b_.fill(0);
  return p;
}

Point Point::operator+(const Point& o) const {
  Point p;
  int rc = crypto_core_ristretto255_add(p.b_.data(), b_.data(), o.b_.data());
  HITO_ASSERT(rc == 0);  // both operands are canonical encodings
  return p;
}

Point Point::operator-(const Point& o) const {
  Point p;
  int rc = crypto_core_ristretto255_sub(p.b_.data(), b_.data(), o.b_.data());
  HITO_ASSERT(rc == 0);
  return p;
}

bool Point::IsIdentity() const { return sodium_is_zero(b_.data(), b_.size()) == 1; }

}  // namespace hito::zk
