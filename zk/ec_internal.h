// Internal: curve constants, point representations and the addition/doubling formulas
// of the twisted Edwards curve -x^2 + y^2 = 1 + d x^2 y^2 over GF(2^255 - 19) that
// underlies ristretto255, plus the RFC 9496 SQRT_RATIO_M1 function.
//
// Formulas: Hisil, Wong, Carter, Dawson, "Twisted Edwards Curves Revisited" (ASIACRYPT
// 2008), extended coordinates with a = -1, in the "Niels" cached forms used by ref10 and
// curve25519-dalek. They are complete on this curve (d is not a square), so they need no
// special case for the identity or for doubling, and contain no branches: constant time.
// See docs/protocol/arithmetic.md. Not part of the public API.
#ifndef HITO_ZK_EC_INTERNAL_H_
#define HITO_ZK_EC_INTERNAL_H_

#include "zk/field.h"

namespace hito::zk::internal {

// SQRT_RATIO_M1(u, v) of RFC 9496 section 4.2: (was_square, r) with r the non-negative
// square root of u/v if it exists, else of SQRT_M1 * u / v. Constant time.
struct SqrtRatio {
  uint64_t was_square;  // 1 or 0
  Fe r;
};

// sqrt(-1) = 2^((p-1)/4); (p-1)/4 = 2^253 - 5 = 8 * (2^250 - 1) + 3 and 2^3 = 8.
inline constexpr Fe kSqrtM1 = FeCarry(FeMul(FeSqN(FePow2501(FeFromU64(2)).t250, 3), FeFromU64(8)));

constexpr SqrtRatio FeSqrtRatioM1(const Fe& u, const Fe& v) {
  const Fe v3 = FeMul(FeSq(v), v);
  const Fe v7 = FeMul(FeSq(v3), v);
  Fe r = FeMul(FeMul(u, v3), FePow22523(FeMul(u, v7)));
  const Fe check = FeMul(v, FeSq(r));
  const Fe neg_u = FeNeg(u);
  const uint64_t correct = FeEqMask(check, u);
  const uint64_t flipped = FeEqMask(check, neg_u);
  const uint64_t flipped_i = FeEqMask(check, FeMul(neg_u, kSqrtM1));
  r = FeSelect(r, FeMul(kSqrtM1, r), flipped | flipped_i);
  return SqrtRatio{(correct | flipped) & 1u, FeAbs(r)};
}

// d = -121665 / 121666.
inline constexpr Fe kD = FeMul(FeNeg(FeFromU64(121665)), FeInvert(FeFromU64(121666)));
inline constexpr Fe kD2 = FeCarry(FeAdd(kD, kD));
// 1 / sqrt(a - d) with a = -1, non-negative (RFC 9496 INVSQRT_A_MINUS_D).
inline constexpr Fe kInvSqrtAMinusD = FeSqrtRatioM1(FeOne(), FeSub(FeNeg(FeOne()), kD)).r;
// sqrt(a*d - 1) (RFC 9496 SQRT_AD_MINUS_ONE); the RFC's constant is the negative root.
inline constexpr Fe kSqrtAdMinusOne = FeNeg(FeSqrtRatioM1(FeSub(FeNeg(kD), FeOne()), FeOne()).r);
inline constexpr Fe kOneMinusDSq = FeSub(FeOne(), FeSq(kD));
inline constexpr Fe kDMinusOneSq = FeSq(FeSub(kD, FeOne()));

static_assert(FeEq(FeSq(kSqrtM1), FeNeg(FeOne())), "sqrt(-1)");
static_assert(FeEq(FeMul(kD, FeFromU64(121666)), FeNeg(FeFromU64(121665))), "d");
static_assert(FeEq(FeMul(FeSq(kInvSqrtAMinusD), FeSub(FeNeg(FeOne()), kD)), FeOne()),
              "1/sqrt(a-d)");
static_assert(FeEq(FeSq(kSqrtAdMinusOne), FeSub(FeNeg(kD), FeOne())), "sqrt(ad-1)");

// Extended coordinates: x = X/Z, y = Y/Z, x*y = T/Z.
struct ExtPoint {
  Fe X, Y, Z, T;
};
// "Completed" point ((X:Z), (Y:T)): x = X/Z, y = Y/T. Output of additions and doublings.
struct Completed {
  Fe X, Y, Z, T;
};
// Projective (X:Y:Z), no T: enough as the input of a doubling.
struct ProjPoint {
  Fe X, Y, Z;
};
// Projective Niels form of an extended point: (Y+X, Y-X, Z, 2d*T).
struct ProjNiels {
  Fe YpX, YmX, Z, T2d;
};
// Affine Niels form (Z = 1): (y+x, y-x, 2d*x*y).
struct AffineNiels {
  Fe ypx, ymx, xy2d;
};

constexpr ExtPoint ExtIdentity() { return ExtPoint{FeZero(), FeOne(), FeOne(), FeZero()}; }
constexpr AffineNiels AffineNielsIdentity() { return AffineNiels{FeOne(), FeOne(), FeZero()}; }
constexpr ProjNiels ProjNielsIdentity() { return ProjNiels{FeOne(), FeOne(), FeOne(), FeZero()}; }

HITO_ZK_INLINE ExtPoint ToExt(const Completed& c) {
  return ExtPoint{FeMul(c.X, c.T), FeMul(c.Y, c.Z), FeMul(c.Z, c.T), FeMul(c.X, c.Y)};
}
HITO_ZK_INLINE ProjPoint ToProj(const Completed& c) {
  return ProjPoint{FeMul(c.X, c.T), FeMul(c.Y, c.Z), FeMul(c.Z, c.T)};
}
HITO_ZK_INLINE ProjPoint ToProj(const ExtPoint& p) { return ProjPoint{p.X, p.Y, p.Z}; }
HITO_ZK_INLINE ProjNiels ToProjNiels(const ExtPoint& p) {
  return ProjNiels{FeAdd(p.Y, p.X), FeSub(p.Y, p.X), p.Z, FeMul(p.T, kD2)};
}

// 2P (dbl-2008-hwcd with a = -1): 4S, no multiplications.
HITO_ZK_INLINE Completed Dbl(const ProjPoint& p) {
  const Fe xx = FeSq(p.X);
  const Fe yy = FeSq(p.Y);
  const Fe zz2 = FeAdd(FeSq(p.Z), FeSq(p.Z));
  const Fe xy2 = FeSq(FeAdd(p.X, p.Y));
  const Fe y = FeAdd(yy, xx);
  const Fe z = FeSub(yy, xx);
  return Completed{FeSub(xy2, y), FeCarry(y), z, FeSub(zz2, z)};
}

// P + Q with Q in projective Niels form (add-2008-hwcd-3): 4M.
HITO_ZK_INLINE Completed Add(const ExtPoint& p, const ProjNiels& q) {
  const Fe a = FeMul(FeAdd(p.Y, p.X), q.YpX);
  const Fe b = FeMul(FeSub(p.Y, p.X), q.YmX);
  const Fe c = FeMul(q.T2d, p.T);
  const Fe zz = FeMul(p.Z, q.Z);
  const Fe d = FeAdd(zz, zz);
  return Completed{FeSub(a, b), FeAdd(a, b), FeAdd(d, c), FeSub(d, c)};
}
HITO_ZK_INLINE Completed Sub(const ExtPoint& p, const ProjNiels& q) {
  const Fe a = FeMul(FeAdd(p.Y, p.X), q.YmX);
  const Fe b = FeMul(FeSub(p.Y, p.X), q.YpX);
  const Fe c = FeMul(q.T2d, p.T);
  const Fe zz = FeMul(p.Z, q.Z);
  const Fe d = FeAdd(zz, zz);
  return Completed{FeSub(a, b), FeAdd(a, b), FeSub(d, c), FeAdd(d, c)};
}
// P + Q with Q in affine Niels form (madd-2008-hwcd-3): 3M.
HITO_ZK_INLINE Completed Add(const ExtPoint& p, const AffineNiels& q) {
  const Fe a = FeMul(FeAdd(p.Y, p.X), q.ypx);
  const Fe b = FeMul(FeSub(p.Y, p.X), q.ymx);
  const Fe c = FeMul(q.xy2d, p.T);
  const Fe d = FeAdd(p.Z, p.Z);
  return Completed{FeSub(a, b), FeAdd(a, b), FeAdd(d, c), FeSub(d, c)};
}
HITO_ZK_INLINE Completed Sub(const ExtPoint& p, const AffineNiels& q) {
  const Fe a = FeMul(FeAdd(p.Y, p.X), q.ymx);
  const Fe b = FeMul(FeSub(p.Y, p.X), q.ypx);
  const Fe c = FeMul(q.xy2d, p.T);
  const Fe d = FeAdd(p.Z, p.Z);
  return Completed{FeSub(a, b), FeAdd(a, b), FeSub(d, c), FeAdd(d, c)};
}

HITO_ZK_INLINE ExtPoint ExtNeg(const ExtPoint& p) {
  return ExtPoint{FeNeg(p.X), p.Y, p.Z, FeNeg(p.T)};
}

// Constant-time conditional negation of a Niels point (swap Y+X / Y-X, negate 2dT).
HITO_ZK_INLINE AffineNiels CondNeg(const AffineNiels& q, uint64_t bit) {
  const uint64_t mask = 0 - bit;
  return AffineNiels{FeSelect(q.ypx, q.ymx, mask), FeSelect(q.ymx, q.ypx, mask),
                     FeCondNeg(q.xy2d, bit)};
}

HITO_ZK_INLINE ProjNiels CondNeg(const ProjNiels& q, uint64_t bit) {
  const uint64_t mask = 0 - bit;
  return ProjNiels{FeSelect(q.YpX, q.YmX, mask), FeSelect(q.YmX, q.YpX, mask), q.Z,
                   FeCondNeg(q.T2d, bit)};
}

}  // namespace hito::zk::internal

#endif  // HITO_ZK_EC_INTERNAL_H_
