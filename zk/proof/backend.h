// Group arithmetic used by the membership prover and verifier (internal to zk/proof).
//
// The prover and verifier in triptych.cc are written against this small interface:
//   Elem                          a group element in working form (trivially copyable)
//   FromPublic(Point) / ToPoint   conversions (FromPublic only on public points)
//   Add, Sub, Identity
//   MsmSecret(scalars, elems)     constant time in the scalars (and in secret elems)
//   MsmPublic(scalars, elems)     variable time, public data only
// SodiumBackend goes through libsodium's public API: correct, constant time, slow.
#ifndef HITO_ZK_PROOF_BACKEND_H_
#define HITO_ZK_PROOF_BACKEND_H_

#include <span>

#include "zk/point.h"
#include "zk/scalar.h"

namespace hito::zk::internal {

struct SodiumBackend {
  using Elem = Point;
  static Elem FromPublic(const Point& p) { return p; }
  static Point ToPoint(const Elem& e) { return e; }
  static Elem Identity() { return Point::Identity(); }
  static Elem Add(const Elem& a, const Elem& b) { return a + b; }
  static Elem MsmSecret(std::span<const Scalar> s, std::span<const Elem> p) {
    Elem acc;
    for (size_t i = 0; i < s.size(); ++i) acc = acc + p[i].Mul(s[i]);
    return acc;
  }
  static Elem MsmPublic(std::span<const Scalar> s, std::span<const Elem> p) {
    Elem acc;
    for (size_t i = 0; i < s.size(); ++i) {
      if (!s[i].IsZero()) acc = acc + p[i].Mul(s[i]);
    }
    return acc;
  }
};

}  // namespace hito::zk::internal

#endif  // HITO_ZK_PROOF_BACKEND_H_
