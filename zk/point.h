// Point: an element of the ristretto255 group (RFC 9496), held as its canonical 32-byte
// encoding.
//
// Operations go through libsodium's public ristretto255 API and are constant time, so
// they may be applied to secrets (e.g. r * G for a secret r). Each operation decodes and
// re-encodes, so they are slow (~12 us for an add, ~43 us for a scalar multiplication);
// bulk work on public data uses EdPoint and the MSMs in zk/ec.h. Because the encoding is
// canonical, byte equality is group equality. A Point is a value type, safe to share
// between threads read-only.
#ifndef HITO_ZK_POINT_H_
#define HITO_ZK_POINT_H_

#include <array>
#include <cstdint>

#include "base/bytes.h"
#include "base/status.h"
#include "zk/scalar.h"

namespace hito::zk {

class Point {
 public:
  Point();  // identity (all-zero encoding)

  static Point Identity();
  // The canonical ristretto255 generator B.
  static Point Base();
  // Exactly 32 bytes, canonical; rejects the identity.
  static Result<Point> Decode(ByteView b);
  // As Decode, but accepts the identity.
  static Result<Point> DecodeAllowIdentity(ByteView b);
  // RFC 9496 element derivation (one-way map) of 64 uniform bytes
  // (crypto_core_ristretto255_from_hash).
  static Point FromUniformBytes(const std::array<uint8_t, 64>& b);
  // s * B, constant time (libsodium); s = 0 gives the identity. The one bit "is the
  // product the identity?" (here: is s = 0?) is declassified (zk/ct.h): callers never
  // multiply by a secret zero, so for them it is always "no".
  static Point MulBase(const Scalar& s);
  // s * this, constant time (libsodium); total: the identity or s = 0 give the identity.
  // As in MulBase, only "is the product the identity?" is declassified.
  Point Mul(const Scalar& s) const;
  Point operator+(const Point& o) const;
  Point operator-(const Point& o) const;
  Point& operator+=(const Point& o) { return *this = *this + o; }
  Point& operator-=(const Point& o) { return *this = *this - o; }
  bool IsIdentity() const;

  const std::array<uint8_t, 32>& bytes() const { return b_; }

  friend bool operator==(const Point&, const Point&) = default;

 private:
  std::array<uint8_t, 32> b_{};
};

}  // namespace hito::zk

#endif  // HITO_ZK_POINT_H_
