// Lazily reduced sums of products mod l, for the batch verifier (internal to zk/proof).
//
// The batch verifier's set coefficients are sum_b hi_b * lo_b over up to B proofs for each
// of the N set members. Reducing after every product (as ScalarVt does) costs a Montgomery
// reduction per term; here each operand is split into five 52-bit limbs, the 25 limb
// products of a term are added into nine 128-bit column sums without any carry, and the
// sum is reduced once (libsodium's 512-bit reduction) at the end. A column holds at most
// 5 * kMaxTerms products below 2^104, far below 2^128; the whole sum stays below 2^512 as
// long as it has at most kMaxTerms = 64 terms of operands below l < 2^253. Public data
// only (variable time is fine, but the code has no data-dependent branches anyway).
#ifndef HITO_ZK_PROOF_DOT_H_
#define HITO_ZK_PROOF_DOT_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "zk/scalar.h"

namespace hito::zk::internal {

__extension__ typedef unsigned __int128 U128;

struct Limbs52 {
  std::array<uint64_t, 5> v{};
  static Limbs52 FromScalar(const Scalar& s);
};

class DotAccumulator {
 public:
  static constexpr size_t kMaxTerms = 64;

  void AddProduct(const Limbs52& a, const Limbs52& b) {
    for (size_t i = 0; i < 5; ++i) {
      for (size_t j = 0; j < 5; ++j) col_[i + j] += static_cast<U128>(a.v[i]) * b.v[j];
    }
  }
  // The sum mod l. The accumulator must then be Reset before reuse.
  Scalar Finish() const;
  void Reset() { col_.fill(0); }

 private:
  std::array<U128, 9> col_{};
};

}  // namespace hito::zk::internal

#endif  // HITO_ZK_PROOF_DOT_H_
