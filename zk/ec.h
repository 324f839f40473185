// EdPoint and multi-scalar multiplication: our own ristretto255 arithmetic.
//
// An EdPoint is a ristretto255 element held as a representative on the Edwards curve in
// extended coordinates (X:Y:Z:T) over a radix-2^51 field (zk/field.h). Equality and
// IsIdentity are ristretto equalities (they identify the 4 representatives of a class).
// Field arithmetic, the addition formulas, Decode/ToPoint (RFC 9496 decode/encode) and
// MsmConstTime are constant time; MsmVartime is variable time and for public data only
// (verification). Point (zk/point.h, libsodium) remains the type for encodings and for
// single constant-time operations on secrets.
//
// Performance notes for callers (see docs/protocol/arithmetic.md for figures):
//  - Decoding costs one inverse square root (~4 us); decode a fixed anonymity set once
//    (DecodeBatch) and keep the EdPoints.
//  - MsmVartime picks Straus (w-NAF) for small inputs and signed-digit Pippenger above.
//  - MsmConstTimeMany computes several MSMs over the same points sharing the per-point
//    lookup tables: the prover's m MSMs over one anonymity set should use it.
//  - For the verifier's coefficient sums (out[k] += h * lo[k] over a batch) use
//    ScalarVtSum (zk/scalar_vt.h): ~3.5x faster per product than ScalarVt's mul + add.
//
// Value types; all functions are pure and thread-safe.
#ifndef HITO_ZK_EC_H_
#define HITO_ZK_EC_H_

#include <span>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "zk/ec_internal.h"
#include "zk/point.h"
#include "zk/scalar.h"

namespace hito::zk {

class EdPoint {
 public:
  EdPoint() : p_(internal::ExtIdentity()) {}  // identity
  explicit EdPoint(const internal::ExtPoint& p) : p_(p) {}

  static EdPoint Identity() { return EdPoint(); }
  // The ristretto255 generator B.
  static EdPoint Base();
  // Our own RFC 9496 decode: exactly 32 bytes, canonical encodings only, and rejects the
  // identity, like Point::Decode.
  static Result<EdPoint> Decode(ByteView b);
  // As Decode, but accepts the identity (like Point::DecodeAllowIdentity).
  static Result<EdPoint> DecodeAllowIdentity(ByteView b);
  // Converts a Point. A Point is already canonical, and may be the identity, which is
  // accepted; an error here means a broken invariant, returned rather than asserted.
  static Result<EdPoint> FromPoint(const Point& p);
  // Converts many public points (e.g. a 2^16 anonymity set) as FromPoint does; on failure
  // the error names the first bad index. Identity points are accepted: a caller whose set
  // must not contain the identity checks that on the Points (Point::IsIdentity).
  static Result<std::vector<EdPoint>> DecodeBatch(std::span<const Point> points);
  // RFC 9496 element derivation (one-way map) of 64 bytes; equals Point::FromUniformBytes.
  static EdPoint FromUniformBytes(const std::array<uint8_t, 64>& b);

  // Our own RFC 9496 encode, constant time.
  Point ToPoint() const;
  std::array<uint8_t, 32> Encode() const;

  EdPoint operator+(const EdPoint& o) const;
  EdPoint operator-(const EdPoint& o) const;
  EdPoint& operator+=(const EdPoint& o) { return *this = *this + o; }
  EdPoint& operator-=(const EdPoint& o) { return *this = *this - o; }
  EdPoint Double() const;
  EdPoint operator-() const { return EdPoint(internal::ExtNeg(p_)); }
  // Ristretto equality with the identity: X == 0 or Y == 0. Constant time.
  bool IsIdentity() const;
  // Ristretto equality: X1*Y2 == Y1*X2 or Y1*Y2 == X1*X2. Constant time.
  friend bool operator==(const EdPoint& a, const EdPoint& b);

  const internal::ExtPoint& ext() const { return p_; }

 private:
  internal::ExtPoint p_;
};

// sum_i scalars[i] * points[i]. Variable time: public data only. REQUIRES equal sizes
// (HITO_ASSERT). Straus below kStrausMax points, Pippenger (window by size) above.
EdPoint MsmVartime(std::span<const Scalar> scalars, std::span<const EdPoint> points);

// sum_i scalars[i] * points[i], constant time in the scalars (the points are public):
// fixed-window signed radix-2^5 Straus with constant-time table selection and complete
// formulas; no branch or memory index depends on a scalar. REQUIRES equal sizes.
EdPoint MsmConstTime(std::span<const Scalar> scalars, std::span<const EdPoint> points);

// For Z2 (prover): several constant-time MSMs over the same public points,
//   out[j] = sum_i scalar_rows[j][i] * points[i],
// building each point's lookup table once and sharing it across the rows (processed in
// chunks of points so memory stays bounded). Same constant-time guarantees as
// MsmConstTime. REQUIRES every row to have points.size() entries.
std::vector<EdPoint> MsmConstTimeMany(std::span<const std::vector<Scalar>> scalar_rows,
                                      std::span<const EdPoint> points);

// Precomputed tables for a fixed list of public points (e.g. an anonymity set that is
// verified against many times), for variable-time MSMs over those points:
//   table[k][i] = 2^(k * h * c) * points[i] in affine Niels form, k < copies,
// where c is the Pippenger window and h = ceil(ceil(254 / c) / copies) windows per copy.
// An MSM over the points then runs h windows over copies * n entries instead of
// ceil(254 / c) windows over n: the same number of bucket additions, but copies times
// fewer bucket reductions and doubling chains, which pays for a larger window. Memory is
// 120 * copies * n bytes (docs/protocol/arithmetic.md, section 7.4). Immutable after
// Build; thread-safe to share.
class MsmFixedBase {
 public:
  // window = 0 and copies = 0 pick both from the size under a 64 MiB budget
  // (FixedBaseParams). REQUIRES 2 <= window <= 16, 1 <= copies <= ceil(254 / window).
  static MsmFixedBase Build(std::span<const EdPoint> points, int window = 0, int copies = 0);

  size_t size() const { return n_; }
  int window() const { return c_; }
  int copies() const { return t_; }
  size_t memory_bytes() const { return table_.size() * sizeof(internal::AffineNiels); }

  // sum_i scalars[i] * points[i] + sum_j extra_scalars[j] * extra_points[j]. Variable
  // time: public data only. REQUIRES scalars.size() == size(), equal extra sizes.
  EdPoint Msm(std::span<const Scalar> scalars, std::span<const Scalar> extra_scalars = {},
              std::span<const EdPoint> extra_points = {}) const;

 private:
  size_t n_ = 0;
  int c_ = 0;                                 // window
  int t_ = 0;                                 // copies
  int h_ = 0;                                 // windows per copy
  std::vector<internal::AffineNiels> table_;  // [k * n + i]
};

// Internal tuning knobs, exposed for tests and benchmarks.
namespace msm_internal {
inline constexpr size_t kStrausMax = 128;
EdPoint Straus(std::span<const Scalar> scalars, std::span<const EdPoint> points);
// window = 0 picks the window from the size.
EdPoint Pippenger(std::span<const Scalar> scalars, std::span<const EdPoint> points, int window = 0);
int PippengerWindow(size_t n);
// (window, copies) for MsmFixedBase over n points within max_bytes of tables.
std::pair<int, int> FixedBaseParams(size_t n, size_t max_bytes = size_t{64} << 20);
}  // namespace msm_internal

}  // namespace hito::zk

#endif  // HITO_ZK_EC_H_
