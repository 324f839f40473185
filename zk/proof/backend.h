// Group arithmetic used by the membership prover and verifier (internal to zk/proof).
//
// The prover and verifier in triptych.cc are written against this small interface:
//   Elem                          a group element in working form (trivially copyable)
//   FromPublic(Point) / ToPoint   conversions (FromPublic only on public points)
//   Decode(Point), DecodeBatch    the same, as error values: the verifier's and the set
//                                 builder's path for points that came from a peer
//   Encode                        canonical bytes, constant time (for secret elements)
//   Add, Sub, Identity
//   MsmSecret(scalars, elems)     constant time in the scalars (and in secret elems)
//   MsmPublic(scalars, elems)     variable time, public data only
// SodiumBackend goes through libsodium's public API: correct, constant time, slow; it is
// kept as the reference the tests compare against. EcBackend uses our own arithmetic
// (zk/ec.h): MsmConstTime for secrets, MsmVartime for verification.
#ifndef HITO_ZK_PROOF_BACKEND_H_
#define HITO_ZK_PROOF_BACKEND_H_

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "base/assert.h"
#include "base/status.h"
#include "zk/ec.h"
#include "zk/point.h"
#include "zk/scalar.h"

namespace hito::zk::proof::internal {

struct SodiumBackend {
  using Elem = Point;
  static Elem FromPublic(const Point& p) { return p; }
  static Result<Elem> Decode(const Point& p) { return p; }
  static Result<std::vector<Elem>> DecodeBatch(std::span<const Point> p) {
    return std::vector<Elem>(p.begin(), p.end());
  }
  static Point ToPoint(const Elem& e) { return e; }
  static std::array<uint8_t, 32> Encode(const Elem& e) { return e.bytes(); }
  static Elem Identity() { return Point::Identity(); }
  static Elem Add(const Elem& a, const Elem& b) { return a + b; }
  static Elem Sub(const Elem& a, const Elem& b) { return a - b; }
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

struct EcBackend {
  using Elem = EdPoint;
  // Invariant, not input: only for the fixed generators, U_ctx and points the prover
  // computed itself. A Point is a canonical encoding by construction (Point::Decode is its
  // only way in from bytes), so this cannot fail on any peer's bytes.
  static Elem FromPublic(const Point& p) {
    auto e = EdPoint::FromPoint(p);
    HITO_ASSERT(e.ok());
    return *e;
  }
  // For set members and proof points (they came from a peer): even a Point that somehow
  // fails to decode is an error value here, never an abort.
  static Result<Elem> Decode(const Point& p) { return EdPoint::FromPoint(p); }
  static Result<std::vector<Elem>> DecodeBatch(std::span<const Point> p) {
    return EdPoint::DecodeBatch(p);
  }
  static Point ToPoint(const Elem& e) { return e.ToPoint(); }
  // Constant time (ToPoint re-validates the encoding, which branches on it).
  static std::array<uint8_t, 32> Encode(const Elem& e) { return e.Encode(); }
  static Elem Identity() { return EdPoint::Identity(); }
  static Elem Add(const Elem& a, const Elem& b) { return a + b; }
  static Elem Sub(const Elem& a, const Elem& b) { return a - b; }
  static Elem MsmSecret(std::span<const Scalar> s, std::span<const Elem> p) {
    return MsmConstTime(s, p);
  }
  static Elem MsmPublic(std::span<const Scalar> s, std::span<const Elem> p) {
    return MsmVartime(s, p);
  }
};

}  // namespace hito::zk::proof::internal

#endif  // HITO_ZK_PROOF_BACKEND_H_
