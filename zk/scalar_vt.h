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
#include <cstddef>
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

  // Montgomery-form limbs (x * 2^260 mod l, five 52-bit limbs), fully reduced.
  const std::array<uint64_t, 5>& limbs() const { return l_; }

  // Limbs are fully reduced (value < l), so limb equality is value equality.
  friend bool operator==(const ScalarVt& a, const ScalarVt& b) { return a.l_ == b.l_; }
  friend class ScalarVtSum;

 private:
  std::array<uint64_t, 5> l_;
};

// A sum of products sum_i a_i * b_i of ScalarVt values, for the verifier's inner loop
// (out[k] += h * lo[k] over a whole batch): AddProduct is the 5x5 schoolbook product
// added into 9 wide (128-bit) columns, with no reduction; the Montgomery reduction runs
// once per 255 products (an automatic fold) and in Value(). About twice as fast per
// product as ScalarVt's multiply-then-add. 144 bytes + a counter; value type.
class ScalarVtSum {
 public:
  ScalarVtSum() = default;  // zero

  void AddProduct(const ScalarVt& a, const ScalarVt& b) {
    if (count_ == kFoldAt) Fold();
    for (size_t i = 0; i < 5; ++i) {
      for (size_t j = 0; j < 5; ++j) {
        z_[i + j] += static_cast<U128>(a.limbs()[i]) * b.limbs()[j];
      }
    }
    ++count_;
  }
  // The reduced sum.
  ScalarVt Value() const;

 private:
  __extension__ typedef unsigned __int128 U128;
  // After k products each column is < 5k * 2^104 and the reduced value < (k/256 + 1) l:
  // 255 keeps the reduction's single final subtraction exact.
  static constexpr uint32_t kFoldAt = 255;
  void Fold();

  std::array<U128, 9> z_{};
  uint32_t count_ = 0;
};

}  // namespace hito::zk

#endif  // HITO_ZK_SCALAR_VT_H_
