// ScalarVt: fast arithmetic mod l for the verifier's coefficient work (public data).
//
// Values are held in Montgomery form (x * R mod l, R = 2^260) in five 52-bit limbs, so a
// multiplication is one 5x5 schoolbook product plus a Montgomery reduction (no Barrett
// step and no byte conversion), several times faster than a libsodium scalar_mul. Convert
// from and to Scalar at the edges. The code has no data-dependent branches, but it is
// intended for public data only: secrets use Scalar (libsodium). Value type, thread-safe.
#ifndef HITO_ZK_SCALAR_VT_H_
#define HITO_ZK_SCALAR_VT_H_

#include <array>
#include <cstdint>

#include "zk/scalar.h"

namespace hito::zk {

class ScalarVt {
 public:
  ScalarVt() : l_{0, 0, 0, 0, 0} {}  // zero

  static ScalarVt Zero() { return ScalarVt(); }
  static ScalarVt One();
  static ScalarVt FromU64(uint64_t v) { return FromScalar(Scalar::FromU64(v)); }
  static ScalarVt FromScalar(const Scalar& s);
  Scalar ToScalar() const;

  ScalarVt operator+(const ScalarVt& o) const;
  ScalarVt operator-(const ScalarVt& o) const;
  ScalarVt operator*(const ScalarVt& o) const;
  ScalarVt operator-() const { return Zero() - *this; }
  ScalarVt& operator+=(const ScalarVt& o) { return *this = *this + o; }
  ScalarVt& operator-=(const ScalarVt& o) { return *this = *this - o; }
  ScalarVt& operator*=(const ScalarVt& o) { return *this = *this * o; }
  ScalarVt Square() const { return *this * *this; }
  // this * a + b, the verifier's inner step.
  ScalarVt MulAdd(const ScalarVt& a, const ScalarVt& b) const { return *this * a + b; }
  bool IsZero() const { return (l_[0] | l_[1] | l_[2] | l_[3] | l_[4]) == 0; }

  // Limbs are fully reduced (value < l), so limb equality is value equality.
  friend bool operator==(const ScalarVt& a, const ScalarVt& b) { return a.l_ == b.l_; }

 private:
  std::array<uint64_t, 5> l_;
};

}  // namespace hito::zk

#endif  // HITO_ZK_SCALAR_VT_H_
