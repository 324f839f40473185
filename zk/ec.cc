#include "zk/ec.h"

#include <algorithm>
#include <string>

namespace hito::zk {

using internal::Completed;
using internal::ExtPoint;
using internal::Fe;

namespace {

// RFC 9496 section 4.3.1 decode. Returns was-valid in `ok` (constant time in the value
// except for the final accept/reject).
ExtPoint RistrettoDecode(const std::array<uint8_t, 32>& b, bool* ok) {
  using namespace internal;  // NOLINT(google-build-using-namespace)
  const Fe s = FeFromBytes(b);
  // Canonical: re-encoding the field element gives the same bytes (this also rejects a
  // set bit 255), and s is non-negative.
  const auto re = FeToBytes(s);
  uint64_t diff = 0;
  for (size_t i = 0; i < 32; ++i) diff |= static_cast<uint64_t>(re[i] ^ b[i]);
  const uint64_t canonical = ((diff | (0 - diff)) >> 63) ^ 1u;
  const uint64_t s_negative = FeIsNegative(s);

  const Fe ss = FeSq(s);
  const Fe u1 = FeSub(FeOne(), ss);
  const Fe u2 = FeCarry(FeAdd(FeOne(), ss));
  const Fe u2_sqr = FeSq(u2);
  const Fe v = FeSub(FeNeg(FeMul(kD, FeSq(u1))), u2_sqr);
  const SqrtRatio inv = FeSqrtRatioM1(FeOne(), FeMul(v, u2_sqr));
  const Fe den_x = FeMul(inv.r, u2);
  const Fe den_y = FeMul(FeMul(inv.r, den_x), v);
  const Fe s2 = FeAdd(s, s);
  const Fe x = FeAbs(FeMul(s2, den_x));
  const Fe y = FeMul(u1, den_y);
  const Fe t = FeMul(x, y);
  const uint64_t good = canonical & (s_negative ^ 1u) & inv.was_square & (FeIsNegative(t) ^ 1u) &
                        ((FeIsZeroMask(y) & 1u) ^ 1u);
  *ok = good == 1;
  return ExtPoint{x, y, FeOne(), t};
}

// RFC 9496 section 4.3.4 MAP (Elligator 2 variant) of one field element.
ExtPoint ElligatorMap(const Fe& t) {
  using namespace internal;  // NOLINT(google-build-using-namespace)
  const Fe r = FeMul(kSqrtM1, FeSq(t));
  const Fe u = FeMul(FeAdd(r, FeOne()), kOneMinusDSq);
  const Fe v = FeMul(FeSub(FeNeg(FeOne()), FeMul(r, kD)), FeCarry(FeAdd(r, kD)));
  const SqrtRatio sr = FeSqrtRatioM1(u, v);
  const Fe s_prime = FeNeg(FeAbs(FeMul(sr.r, t)));
  const uint64_t sq_mask = 0 - sr.was_square;
  const Fe s = FeSelect(s_prime, sr.r, sq_mask);
  const Fe c = FeSelect(r, FeNeg(FeOne()), sq_mask);
  const Fe n = FeSub(FeMul(FeMul(c, FeSub(r, FeOne())), kDMinusOneSq), v);
  const Fe w0 = FeMul(FeAdd(s, s), v);
  const Fe w1 = FeMul(n, kSqrtAdMinusOne);
  const Fe ss = FeSq(s);
  const Fe w2 = FeSub(FeOne(), ss);
  const Fe w3 = FeCarry(FeAdd(FeOne(), ss));
  return ExtPoint{FeMul(w0, w3), FeMul(w2, w1), FeMul(w1, w3), FeMul(w0, w2)};
}

}  // namespace

EdPoint EdPoint::Base() {
  static const EdPoint kBase = [] {
    auto r = FromPoint(Point::Base());
    HITO_ASSERT(r.ok());
    return *r;
  }();
  return kBase;
}

Result<EdPoint> EdPoint::DecodeAllowIdentity(ByteView b) {
  if (b.size() != 32) {
    return InvalidArgumentError("point: expected 32 bytes, got " + std::to_string(b.size()));
  }
  std::array<uint8_t, 32> a{};
  std::copy(b.begin(), b.end(), a.begin());
  bool ok = false;
  ExtPoint p = RistrettoDecode(a, &ok);
  if (!ok) return InvalidArgumentError("point: not a canonical ristretto255 encoding");
  return EdPoint(p);
}

Result<EdPoint> EdPoint::Decode(ByteView b) {
  HITO_ASSIGN_OR_RETURN(EdPoint p, DecodeAllowIdentity(b));
  if (p.IsIdentity()) return InvalidArgumentError("point: identity not allowed");
  return p;
}

Result<EdPoint> EdPoint::FromPoint(const Point& p) { return DecodeAllowIdentity(p.bytes()); }

Result<std::vector<EdPoint>> EdPoint::DecodeBatch(std::span<const Point> points) {
  std::vector<EdPoint> out;
  out.reserve(points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    auto r = FromPoint(points[i]);
    if (!r.ok()) return r.status().WithContext("point " + std::to_string(i));
    out.push_back(*r);
  }
  return out;
}

EdPoint EdPoint::FromUniformBytes(const std::array<uint8_t, 64>& b) {
  std::array<uint8_t, 32> lo{}, hi{};
  std::copy(b.begin(), b.begin() + 32, lo.begin());
  std::copy(b.begin() + 32, b.end(), hi.begin());
  // FeFromBytes ignores bit 255, as the RFC's "mask the top bit, decode mod p" requires.
  const ExtPoint p1 = ElligatorMap(internal::FeFromBytes(lo));
  const ExtPoint p2 = ElligatorMap(internal::FeFromBytes(hi));
  return EdPoint(p1) + EdPoint(p2);
}

std::array<uint8_t, 32> EdPoint::Encode() const {
  using namespace internal;  // NOLINT(google-build-using-namespace)
  const Fe& x0 = p_.X;
  const Fe& y0 = p_.Y;
  const Fe& z0 = p_.Z;
  const Fe& t0 = p_.T;
  const Fe u1 = FeMul(FeAdd(z0, y0), FeSub(z0, y0));
  const Fe u2 = FeMul(x0, y0);
  const SqrtRatio inv = FeSqrtRatioM1(FeOne(), FeMul(u1, FeSq(u2)));
  const Fe den1 = FeMul(inv.r, u1);
  const Fe den2 = FeMul(inv.r, u2);
  const Fe z_inv = FeMul(FeMul(den1, den2), t0);
  const Fe ix0 = FeMul(x0, kSqrtM1);
  const Fe iy0 = FeMul(y0, kSqrtM1);
  const Fe enchanted = FeMul(den1, kInvSqrtAMinusD);
  const uint64_t rotate = 0 - FeIsNegative(FeMul(t0, z_inv));
  const Fe x = FeSelect(x0, iy0, rotate);
  Fe y = FeSelect(y0, ix0, rotate);
  const Fe den_inv = FeSelect(den2, enchanted, rotate);
  y = FeCondNeg(y, FeIsNegative(FeMul(x, z_inv)));
  const Fe s = FeAbs(FeMul(den_inv, FeSub(z0, y)));
  return FeToBytes(s);
}

Point EdPoint::ToPoint() const {
  auto r = Point::DecodeAllowIdentity(Encode());
  HITO_ASSERT(r.ok());  // our encoder always yields a canonical encoding
  return *r;
}

EdPoint EdPoint::operator+(const EdPoint& o) const {
  return EdPoint(internal::ToExt(internal::Add(p_, internal::ToProjNiels(o.p_))));
}

EdPoint EdPoint::operator-(const EdPoint& o) const {
  return EdPoint(internal::ToExt(internal::Sub(p_, internal::ToProjNiels(o.p_))));
}

EdPoint EdPoint::Double() const { return EdPoint(internal::ToExt(internal::Dbl(ToProj(p_)))); }

bool EdPoint::IsIdentity() const {
  return ((internal::FeIsZeroMask(p_.X) | internal::FeIsZeroMask(p_.Y)) & 1u) == 1;
}

bool operator==(const EdPoint& a, const EdPoint& b) {
  using namespace internal;  // NOLINT(google-build-using-namespace)
  const uint64_t e1 = FeEqMask(FeMul(a.p_.X, b.p_.Y), FeMul(a.p_.Y, b.p_.X));
  const uint64_t e2 = FeEqMask(FeMul(a.p_.Y, b.p_.Y), FeMul(a.p_.X, b.p_.X));
  return ((e1 | e2) & 1u) == 1;
}

}  // namespace hito::zk
