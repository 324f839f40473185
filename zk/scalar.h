// Scalar: an element of Z/lZ, the scalar field of ristretto255, where
// l = 2^252 + 27742317777372353535851937790883648493.
//
// A Scalar always holds the canonical 32-byte little-endian encoding of a value < l.
// Arithmetic goes through libsodium (crypto_core_ristretto255_scalar_*) and is constant
// time, so Scalars may hold secrets; call Wipe() on secrets when done. Decoding accepts
// canonical encodings only. A Scalar is a value type: copyable, no shared state, safe to
// use from several threads as long as one object is not written concurrently.
#ifndef HITO_ZK_SCALAR_H_
#define HITO_ZK_SCALAR_H_

#include <array>
#include <cstdint>

#include "base/bytes.h"
#include "base/status.h"

namespace hito::zk {

class Scalar {
 public:
  Scalar();  // zero

  static Scalar Zero();
  static Scalar One();
  static Scalar FromU64(uint64_t v);
  // Exactly 32 bytes, little-endian, canonical (< l) only.
  static Result<Scalar> Decode(ByteView b);
  // Interprets 64 bytes as a little-endian integer and reduces it mod l.
  static Scalar FromUniformBytes(const std::array<uint8_t, 64>& b);
  // Uniform in [0, l) from libsodium's CSPRNG.
  static Scalar Random();

  // Canonical little-endian encoding.
  const std::array<uint8_t, 32>& bytes() const { return b_; }

  Scalar operator+(const Scalar& o) const;
  Scalar operator-(const Scalar& o) const;
  Scalar operator*(const Scalar& o) const;
  Scalar operator-() const;
  Scalar& operator+=(const Scalar& o) { return *this = *this + o; }
  Scalar& operator-=(const Scalar& o) { return *this = *this - o; }
  Scalar& operator*=(const Scalar& o) { return *this = *this * o; }
  // Multiplicative inverse. REQUIRES a non-zero scalar (HITO_ASSERT).
  Scalar Invert() const;
  // Constant time.
  bool IsZero() const;
  // Overwrites the value with zero (sodium_memzero); the scalar is then Zero().
  void Wipe();

  // Constant time.
  friend bool operator==(const Scalar& a, const Scalar& b);

 private:
  std::array<uint8_t, 32> b_{};
};

// True iff the 32 little-endian bytes encode an integer < l. Constant time.
bool IsCanonicalScalar(const std::array<uint8_t, 32>& b);

}  // namespace hito::zk

#endif  // HITO_ZK_SCALAR_H_
