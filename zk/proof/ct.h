// Constant-time helpers for the membership prover (internal to zk/proof).
//
// Nothing here branches on or indexes memory by its secret inputs. Declassify and
// DeclassifyValue are zk/ct.h's (marking a published value public for valgrind
// memcheck), brought into this namespace: the prover calls them exactly on what the
// protocol publishes, so the memcheck test in tests/unit/zk/ct_prove_valgrind.cc flags any
// other use of a secret in a branch or an address.
#ifndef HITO_ZK_PROOF_CT_H_
#define HITO_ZK_PROOF_CT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "zk/ct.h"
#include "zk/scalar.h"

namespace hito::zk::proof::ct {

using ::hito::zk::ct::Declassify;
using ::hito::zk::ct::DeclassifyValue;

// Keeps the optimiser from turning mask arithmetic back into a branch.
inline uint64_t ValueBarrier(uint64_t v) {
  __asm__("" : "+r"(v));
  return v;
}

// 1 if a == b, else 0.
inline uint64_t Eq(uint64_t a, uint64_t b) {
  uint64_t x = ValueBarrier(a ^ b);
  return ((x | (0 - x)) >> 63) ^ 1;
}

// 1 if a < b, else 0; both below 2^63.
inline uint64_t Lt(uint64_t a, uint64_t b) { return ValueBarrier(a - b) >> 63; }

// dst = src if bit == 1, unchanged if bit == 0, for any trivially copyable type.
template <typename T>
void CondAssign(T* dst, const T& src, uint64_t bit) {
  static_assert(std::is_trivially_copyable_v<T>);
  std::array<unsigned char, sizeof(T)> d;
  std::array<unsigned char, sizeof(T)> s;
  std::memcpy(d.data(), dst, sizeof(T));
  std::memcpy(s.data(), &src, sizeof(T));
  const auto mask = static_cast<unsigned char>(0 - ValueBarrier(bit));
  for (size_t i = 0; i < sizeof(T); ++i) {
    d[i] = static_cast<unsigned char>(d[i] ^ ((d[i] ^ s[i]) & mask));
  }
  std::memcpy(dst, d.data(), sizeof(T));
}

// out = items[index] reading every element; index < count.
template <typename T>
void Select(T* out, const T* items, size_t count, uint64_t index) {
  for (size_t i = 0; i < count; ++i) CondAssign(out, items[i], Eq(i, index));
}

// s^-1 for s != 0 as s^(l-2), by square-and-multiply over the public exponent.
Scalar Invert(const Scalar& s);

}  // namespace hito::zk::proof::ct

#endif  // HITO_ZK_PROOF_CT_H_
