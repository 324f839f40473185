// Internal: arithmetic in GF(p), p = 2^255 - 19, in radix 2^51 (five 64-bit limbs).
//
// Every function here is constant time by construction: no branch and no memory index
// depends on a field element's value, so the same code serves the verifier (public data)
// and the prover's constant-time paths (zk/ec.h). Everything is constexpr so the curve
// and ristretto constants are computed by the compiler from their definitions
// (see zk/ec_internal.h) instead of being typed in.
//
// Limb bounds. A "reduced" element has limbs < 2^51 + 2^13 (the output of Mul, Sq, Sub,
// Carry and FromBytes). Add does not reduce: the sum of two reduced elements has limbs
// < 2^53. Mul and Sq accept limbs < 2^54 (the 5 partial products of 2^54 * 19 * 2^54 stay
// below 2^115), so one level of Add before a Mul is always safe. Sub accepts limbs < 2^54
// in both operands. Only ToBytes produces the unique canonical value.
//
// Not part of the public API; include zk/ec.h instead.
#ifndef HITO_ZK_FIELD_H_
#define HITO_ZK_FIELD_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace hito::zk::internal {

__extension__ typedef unsigned __int128 U128;

// The hot field and point functions are forced inline: called through the MSM loops they
// are otherwise emitted out of line (a measured ~30% loss from calls and struct copies).
#define HITO_ZK_INLINE [[gnu::always_inline]] constexpr

inline constexpr uint64_t kMask51 = (uint64_t{1} << 51) - 1;

struct Fe {
  uint64_t l[5];
};

constexpr Fe FeZero() { return Fe{{0, 0, 0, 0, 0}}; }
constexpr Fe FeOne() { return Fe{{1, 0, 0, 0, 0}}; }
constexpr Fe FeFromU64(uint64_t v) { return Fe{{v & kMask51, v >> 51, 0, 0, 0}}; }

// Propagates carries so that every limb is < 2^51 + 2^13 (limb 0 absorbs 19 * carry).
HITO_ZK_INLINE Fe FeCarry(const Fe& a) {
  uint64_t l0 = a.l[0], l1 = a.l[1], l2 = a.l[2], l3 = a.l[3], l4 = a.l[4];
  l1 += l0 >> 51;
  l0 &= kMask51;
  l2 += l1 >> 51;
  l1 &= kMask51;
  l3 += l2 >> 51;
  l2 &= kMask51;
  l4 += l3 >> 51;
  l3 &= kMask51;
  l0 += 19 * (l4 >> 51);
  l4 &= kMask51;
  return Fe{{l0, l1, l2, l3, l4}};
}

HITO_ZK_INLINE Fe FeAdd(const Fe& a, const Fe& b) {
  return Fe{{a.l[0] + b.l[0], a.l[1] + b.l[1], a.l[2] + b.l[2], a.l[3] + b.l[3], a.l[4] + b.l[4]}};
}

// a - b computed as (a + 16p) - b, then carried. Limbs of a, b < 2^54.
HITO_ZK_INLINE Fe FeSub(const Fe& a, const Fe& b) {
  constexpr uint64_t k16p0 = 36028797018963664u;  // 16 * (2^51 - 19)
  constexpr uint64_t k16pi = 36028797018963952u;  // 16 * (2^51 - 1)
  return FeCarry(Fe{{a.l[0] + k16p0 - b.l[0], a.l[1] + k16pi - b.l[1], a.l[2] + k16pi - b.l[2],
                     a.l[3] + k16pi - b.l[3], a.l[4] + k16pi - b.l[4]}});
}

HITO_ZK_INLINE Fe FeNeg(const Fe& a) { return FeSub(FeZero(), a); }

// Reduces five 128-bit column sums to a reduced element.
HITO_ZK_INLINE Fe FeReduceWide(U128 c0, U128 c1, U128 c2, U128 c3, U128 c4) {
  c1 += static_cast<uint64_t>(c0 >> 51);
  uint64_t r0 = static_cast<uint64_t>(c0) & kMask51;
  c2 += static_cast<uint64_t>(c1 >> 51);
  uint64_t r1 = static_cast<uint64_t>(c1) & kMask51;
  c3 += static_cast<uint64_t>(c2 >> 51);
  uint64_t r2 = static_cast<uint64_t>(c2) & kMask51;
  c4 += static_cast<uint64_t>(c3 >> 51);
  uint64_t r3 = static_cast<uint64_t>(c3) & kMask51;
  uint64_t carry = static_cast<uint64_t>(c4 >> 51);
  uint64_t r4 = static_cast<uint64_t>(c4) & kMask51;
  r0 += carry * 19;  // carry < 2^64 / 19 since c4 < 2^115
  r1 += r0 >> 51;
  r0 &= kMask51;
  return Fe{{r0, r1, r2, r3, r4}};
}

HITO_ZK_INLINE U128 M(uint64_t a, uint64_t b) { return static_cast<U128>(a) * b; }

HITO_ZK_INLINE Fe FeMul(const Fe& a, const Fe& b) {
  const uint64_t b1_19 = b.l[1] * 19, b2_19 = b.l[2] * 19, b3_19 = b.l[3] * 19, b4_19 = b.l[4] * 19;
  U128 c0 =
      M(a.l[0], b.l[0]) + M(a.l[4], b1_19) + M(a.l[3], b2_19) + M(a.l[2], b3_19) + M(a.l[1], b4_19);
  U128 c1 = M(a.l[1], b.l[0]) + M(a.l[0], b.l[1]) + M(a.l[4], b2_19) + M(a.l[3], b3_19) +
            M(a.l[2], b4_19);
  U128 c2 = M(a.l[2], b.l[0]) + M(a.l[1], b.l[1]) + M(a.l[0], b.l[2]) + M(a.l[4], b3_19) +
            M(a.l[3], b4_19);
  U128 c3 = M(a.l[3], b.l[0]) + M(a.l[2], b.l[1]) + M(a.l[1], b.l[2]) + M(a.l[0], b.l[3]) +
            M(a.l[4], b4_19);
  U128 c4 = M(a.l[4], b.l[0]) + M(a.l[3], b.l[1]) + M(a.l[2], b.l[2]) + M(a.l[1], b.l[3]) +
            M(a.l[0], b.l[4]);
  return FeReduceWide(c0, c1, c2, c3, c4);
}

HITO_ZK_INLINE Fe FeSq(const Fe& a) {
  const uint64_t a0_2 = a.l[0] * 2, a1_2 = a.l[1] * 2, a3_19 = a.l[3] * 19, a4_19 = a.l[4] * 19;
  U128 c0 = M(a.l[0], a.l[0]) + M(a1_2, a4_19) + M(a.l[2] * 2, a3_19);
  U128 c1 = M(a0_2, a.l[1]) + M(a.l[2] * 2, a4_19) + M(a.l[3], a3_19);
  U128 c2 = M(a0_2, a.l[2]) + M(a.l[1], a.l[1]) + M(a.l[3] * 2, a4_19);
  U128 c3 = M(a0_2, a.l[3]) + M(a1_2, a.l[2]) + M(a.l[4], a4_19);
  U128 c4 = M(a0_2, a.l[4]) + M(a1_2, a.l[3]) + M(a.l[2], a.l[2]);
  return FeReduceWide(c0, c1, c2, c3, c4);
}

// a^(2^k), k >= 1.
constexpr Fe FeSqN(Fe a, int k) {
  for (int i = 0; i < k; ++i) a = FeSq(a);
  return a;
}

// Loads 32 little-endian bytes, ignoring bit 255 (RFC 9496 / RFC 7748 convention).
// The result may be non-canonical (value in [p, 2^255)); it is still a valid input to
// every operation here.
constexpr Fe FeFromBytes(const std::array<uint8_t, 32>& b) {
  uint64_t w[4] = {0, 0, 0, 0};
  for (int i = 0; i < 4; ++i) {
    for (int j = 7; j >= 0; --j) w[i] = (w[i] << 8) | b[static_cast<size_t>(8 * i + j)];
  }
  return Fe{{w[0] & kMask51, ((w[0] >> 51) | (w[1] << 13)) & kMask51,
             ((w[1] >> 38) | (w[2] << 26)) & kMask51, ((w[2] >> 25) | (w[3] << 39)) & kMask51,
             (w[3] >> 12) & kMask51}};
}

// Canonical 32-byte little-endian encoding (fully reduced mod p).
constexpr std::array<uint8_t, 32> FeToBytes(const Fe& a) {
  Fe h = FeCarry(FeCarry(a));  // limbs < 2^51 except limb 0 < 2^51 + 19*small
  h = FeCarry(h);
  // q = 1 iff h >= p: add 19 and see whether it overflows 2^255.
  uint64_t q = (h.l[0] + 19) >> 51;
  q = (h.l[1] + q) >> 51;
  q = (h.l[2] + q) >> 51;
  q = (h.l[3] + q) >> 51;
  q = (h.l[4] + q) >> 51;
  h.l[0] += 19 * q;
  h.l[1] += h.l[0] >> 51;
  h.l[0] &= kMask51;
  h.l[2] += h.l[1] >> 51;
  h.l[1] &= kMask51;
  h.l[3] += h.l[2] >> 51;
  h.l[2] &= kMask51;
  h.l[4] += h.l[3] >> 51;
  h.l[3] &= kMask51;
  h.l[4] &= kMask51;
  const uint64_t w[4] = {h.l[0] | (h.l[1] << 51), (h.l[1] >> 13) | (h.l[2] << 38),
                         (h.l[2] >> 26) | (h.l[3] << 25), (h.l[3] >> 39) | (h.l[4] << 12)};
  std::array<uint8_t, 32> out{};
  for (size_t i = 0; i < 32; ++i) out[i] = static_cast<uint8_t>(w[i / 8] >> (8 * (i % 8)));
  return out;
}

// All-ones mask if the (reduced) values are equal, else 0. Constant time.
constexpr uint64_t FeEqMask(const Fe& a, const Fe& b) {
  const auto x = FeToBytes(a), y = FeToBytes(b);
  uint64_t diff = 0;
  for (size_t i = 0; i < 32; ++i) diff |= static_cast<uint64_t>(x[i] ^ y[i]);
  return ((diff | (0 - diff)) >> 63) - 1;  // diff == 0 -> all ones
}
constexpr bool FeEq(const Fe& a, const Fe& b) { return FeEqMask(a, b) != 0; }
constexpr uint64_t FeIsZeroMask(const Fe& a) { return FeEqMask(a, FeZero()); }
constexpr bool FeIsZero(const Fe& a) { return FeIsZeroMask(a) != 0; }
// RFC 9496 IS_NEGATIVE: the low bit of the canonical encoding.
constexpr uint64_t FeIsNegative(const Fe& a) { return FeToBytes(a)[0] & 1u; }

// r = mask ? b : a, for mask all-ones or zero. Constant time.
HITO_ZK_INLINE Fe FeSelect(const Fe& a, const Fe& b, uint64_t mask) {
  Fe r{};
  for (int i = 0; i < 5; ++i) r.l[i] = a.l[i] ^ (mask & (a.l[i] ^ b.l[i]));
  return r;
}
// Negates a (reduced) element when bit = 1.
HITO_ZK_INLINE Fe FeCondNeg(const Fe& a, uint64_t bit) { return FeSelect(a, FeNeg(a), 0 - bit); }
constexpr Fe FeAbs(const Fe& a) { return FeCondNeg(a, FeIsNegative(a)); }

// Returns (a^(2^250 - 1), a^11), the common prefix of the inversion and sqrt chains.
struct Pow250 {
  Fe t250;
  Fe a11;
};
constexpr Pow250 FePow2501(const Fe& a) {
  Fe a2 = FeSq(a);
  Fe a9 = FeMul(FeSqN(a2, 2), a);
  Fe a11 = FeMul(a9, a2);
  Fe t5 = FeMul(FeSq(a11), a9);             // 2^5 - 1
  Fe t10 = FeMul(FeSqN(t5, 5), t5);         // 2^10 - 1
  Fe t20 = FeMul(FeSqN(t10, 10), t10);      // 2^20 - 1
  Fe t40 = FeMul(FeSqN(t20, 20), t20);      // 2^40 - 1
  Fe t50 = FeMul(FeSqN(t40, 10), t10);      // 2^50 - 1
  Fe t100 = FeMul(FeSqN(t50, 50), t50);     // 2^100 - 1
  Fe t200 = FeMul(FeSqN(t100, 100), t100);  // 2^200 - 1
  Fe t250 = FeMul(FeSqN(t200, 50), t50);    // 2^250 - 1
  return Pow250{t250, a11};
}

// a^(p-2) = a^-1 (0 -> 0).
constexpr Fe FeInvert(const Fe& a) {
  Pow250 t = FePow2501(a);
  return FeMul(FeSqN(t.t250, 5), t.a11);  // 2^255 - 32 + 11 = p - 2
}

// a^((p-5)/8) = a^(2^252 - 3).
constexpr Fe FePow22523(const Fe& a) {
  Pow250 t = FePow2501(a);
  return FeMul(FeSqN(t.t250, 2), a);
}

}  // namespace hito::zk::internal

#endif  // HITO_ZK_FIELD_H_
