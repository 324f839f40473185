// Multi-scalar multiplication: vartime Straus (w-NAF) and signed-digit Pippenger for
// verification; constant-time fixed-window Straus for the prover. See
// docs/protocol/arithmetic.md for the parameters and their costs.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <vector>

#include "zk/ec.h"

namespace hito::zk {

using internal::AffineNiels;
using internal::Completed;
using internal::ExtPoint;
using internal::Fe;
using internal::ProjNiels;

namespace {

// The scalar as four little-endian 64-bit words.
std::array<uint64_t, 4> Words(const Scalar& s) {
  std::array<uint64_t, 4> w{};
  const auto& b = s.bytes();
  for (size_t i = 0; i < 32; ++i) w[i / 8] |= uint64_t{b[i]} << (8 * (i % 8));
  return w;
}

// Bits [pos, pos + width) of the 256-bit value w (width <= 32; bits past 255 read 0).
inline uint64_t BitsAt(const std::array<uint64_t, 4>& w, size_t pos, size_t width) {
  const size_t idx = pos / 64, sh = pos % 64;
  uint64_t v = w[idx] >> sh;
  if (sh != 0 && idx + 1 < 4) v |= w[idx + 1] << (64 - sh);
  return v & ((uint64_t{1} << width) - 1);
}

// Width-w NAF of a scalar (< 2^253): digits odd in (-2^(w-1), 2^(w-1)) or 0, 256 entries.
void Naf(const Scalar& s, int w, std::array<int8_t, 256>* out) {
  out->fill(0);
  const auto words = Words(s);
  const uint64_t width = uint64_t{1} << w;
  const uint64_t half = width >> 1;
  uint64_t carry = 0;
  size_t pos = 0;
  while (pos < 256) {
    const uint64_t window = carry + BitsAt(words, pos, static_cast<size_t>(w));
    if ((window & 1) == 0) {
      ++pos;
      continue;
    }
    if (window < half) {
      carry = 0;
      (*out)[pos] = static_cast<int8_t>(window);
    } else {
      carry = 1;
      (*out)[pos] = static_cast<int8_t>(static_cast<int64_t>(window) - static_cast<int64_t>(width));
    }
    pos += static_cast<size_t>(w);
  }
}

ExtPoint AddExt(const ExtPoint& a, const ExtPoint& b) {
  return internal::ToExt(internal::Add(a, internal::ToProjNiels(b)));
}

ExtPoint DoubleN(const ExtPoint& p, int n) {
  // Intermediate doublings only need projective coordinates (3M instead of 4M).
  internal::ProjPoint q = internal::ToProj(p);
  for (int i = 0; i + 1 < n; ++i) q = internal::ToProj(internal::Dbl(q));
  return internal::ToExt(internal::Dbl(q));
}

// Montgomery's trick: replaces each z[i] (all non-zero) with its inverse.
void BatchInvert(std::vector<Fe>* z) {
  const size_t n = z->size();
  if (n == 0) return;
  std::vector<Fe> prefix(n);
  Fe acc = internal::FeOne();
  for (size_t i = 0; i < n; ++i) {
    prefix[i] = acc;
    acc = internal::FeMul(acc, (*z)[i]);
  }
  acc = internal::FeInvert(acc);
  for (size_t i = n; i-- > 0;) {
    const Fe inv = internal::FeMul(acc, prefix[i]);
    acc = internal::FeMul(acc, (*z)[i]);
    (*z)[i] = inv;
  }
}

AffineNiels ToAffineNiels(const ExtPoint& p, const Fe& zinv) {
  const Fe x = internal::FeMul(p.X, zinv);
  const Fe y = internal::FeMul(p.Y, zinv);
  return AffineNiels{internal::FeCarry(internal::FeAdd(y, x)), internal::FeSub(y, x),
                     internal::FeMul(internal::FeMul(x, y), internal::kD2)};
}

// Batch-normalises points to affine Niels form.
std::vector<AffineNiels> Normalize(std::span<const ExtPoint> pts) {
  std::vector<Fe> z(pts.size());
  for (size_t i = 0; i < pts.size(); ++i) z[i] = pts[i].Z;
  BatchInvert(&z);
  std::vector<AffineNiels> out(pts.size());
  for (size_t i = 0; i < pts.size(); ++i) out[i] = ToAffineNiels(pts[i], z[i]);
  return out;
}

// Enough radix-2^c windows that the top signed digit is at most 2^(c-1) (scalars < 2^253).
size_t NumWindows(int c) { return static_cast<size_t>((254 + c - 1) / c); }

// Signed radix-2^c digits of s, digit k in [-2^(c-1), 2^(c-1)) with a carry into the next
// window (the top digit may reach 2^(c-1)), written to out[k * stride].
void SignedDigits(const Scalar& s, int c, size_t num_windows, int32_t* out, size_t stride) {
  const auto w = Words(s);
  const int64_t radix = int64_t{1} << c;
  const int64_t half = radix >> 1;
  int64_t carry = 0;
  for (size_t k = 0; k < num_windows; ++k) {
    int64_t d =
        carry + static_cast<int64_t>(BitsAt(w, k * static_cast<size_t>(c), static_cast<size_t>(c)));
    carry = 0;
    if (d >= half && k + 1 < num_windows) {
      d -= radix;
      carry = 1;
    }
    out[k * stride] = static_cast<int32_t>(d);
  }
}

// The 2^(c-1) buckets of one Pippenger window, reused across windows.
class Buckets {
 public:
  explicit Buckets(int c) : b_(size_t{1} << (c - 1)), used_(b_.size()) {}

  // Adds every entry aff[e] times the sign of d[e] into bucket |d[e]| - 1 (d[e] = 0 adds
  // nothing) and returns sum_j (j + 1) * bucket[j].
  ExtPoint Pass(const int32_t* d, const AffineNiels* aff, size_t count) {
    std::fill(used_.begin(), used_.end(), 0);
    constexpr size_t kAhead = 4;  // prefetch distance for the (random) bucket accesses
    for (size_t i = 0; i < count; ++i) {
      if (i + kAhead < count && d[i + kAhead] != 0) {
        const int32_t da = d[i + kAhead];
        __builtin_prefetch(&b_[static_cast<size_t>(da > 0 ? da : -da) - 1]);
      }
      const int32_t di = d[i];
      if (di == 0) continue;
      const size_t b = static_cast<size_t>(di > 0 ? di : -di) - 1;
      if (!used_[b]) {
        b_[b] = internal::ExtIdentity();
        used_[b] = 1;
      }
      // The sign is random: negate the operand with masks instead of branching on it.
      const uint64_t neg = static_cast<uint64_t>(di < 0);
      b_[b] = internal::ToExt(internal::Add(b_[b], internal::CondNeg(aff[i], neg)));
    }
    // sum_j (j+1) * bucket[j] by running sums from the top bucket down.
    ExtPoint running = internal::ExtIdentity();
    ExtPoint total = internal::ExtIdentity();
    bool started = false;
    for (size_t j = b_.size(); j-- > 0;) {
      if (used_[j]) {
        running = started ? AddExt(running, b_[j]) : b_[j];
        started = true;
      }
      if (started) total = AddExt(total, running);
    }
    return total;
  }

 private:
  std::vector<ExtPoint> b_;
  std::vector<uint8_t> used_;
};

}  // namespace

namespace msm_internal {

EdPoint Straus(std::span<const Scalar> scalars, std::span<const EdPoint> points) {
  HITO_ASSERT(scalars.size() == points.size());
  constexpr int kW = 5;  // odd multiples 1P, 3P, ..., 15P
  const size_t n = points.size();
  std::vector<std::array<ProjNiels, 8>> tables(n);
  std::vector<std::array<int8_t, 256>> nafs(n);
  int top = -1;
  for (size_t i = 0; i < n; ++i) {
    const ExtPoint& p = points[i].ext();
    const ExtPoint p2 = DoubleN(p, 1);
    ExtPoint cur = p;
    tables[i][0] = internal::ToProjNiels(cur);
    for (size_t j = 1; j < 8; ++j) {
      cur = AddExt(cur, p2);
      tables[i][j] = internal::ToProjNiels(cur);
    }
    Naf(scalars[i], kW, &nafs[i]);
    for (int b = 255; b > top; --b) {
      if (nafs[i][static_cast<size_t>(b)] != 0) {
        top = b;
        break;
      }
    }
  }
  ExtPoint acc = internal::ExtIdentity();
  for (int b = top; b >= 0; --b) {
    acc = DoubleN(acc, 1);
    for (size_t i = 0; i < n; ++i) {
      const int d = nafs[i][static_cast<size_t>(b)];
      if (d > 0) {
        acc = internal::ToExt(internal::Add(acc, tables[i][static_cast<size_t>(d / 2)]));
      } else if (d < 0) {
        acc = internal::ToExt(internal::Sub(acc, tables[i][static_cast<size_t>(-d / 2)]));
      }
    }
  }
  return EdPoint(acc);
}

int PippengerWindow(size_t n) {
  // Cost model in field multiplications: per window, n mixed additions (7M) and two
  // full additions per bucket for the running sums (9M each); windows = ceil(254 / c).
  // The window is capped at 12: 2^11 buckets of 160 bytes (320 KiB) still fit the 512 KiB
  // L2 of the reference machine; at 13 the model's 9% gain turned into a 35% loss
  // (measured at 2^16 points, docs/protocol/arithmetic.md).
  int best = 4;
  double best_cost = 1e300;
  for (int c = 4; c <= 12; ++c) {
    const double windows = static_cast<double>((254 + c - 1) / c);
    const double buckets = static_cast<double>(size_t{1} << (c - 1));
    const double cost = windows * (7.0 * static_cast<double>(n) + 18.0 * buckets);
    if (cost < best_cost) {
      best_cost = cost;
      best = c;
    }
  }
  return best;
}

EdPoint Pippenger(std::span<const Scalar> scalars, std::span<const EdPoint> points, int window) {
  HITO_ASSERT(scalars.size() == points.size());
  const size_t n = points.size();
  if (n == 0) return EdPoint::Identity();
  const int c = window > 0 ? window : PippengerWindow(n);
  HITO_ASSERT(c >= 2 && c <= 20);
  const size_t num_windows = NumWindows(c);

  // Signed digits, window-major: digits[k * n + i] in [-2^(c-1), 2^(c-1)].
  std::vector<int32_t> digits(num_windows * n);
  for (size_t i = 0; i < n; ++i) SignedDigits(scalars[i], c, num_windows, &digits[i], n);

  std::vector<ExtPoint> ext(n);
  for (size_t i = 0; i < n; ++i) ext[i] = points[i].ext();
  const std::vector<AffineNiels> aff = Normalize(ext);

  Buckets buckets(c);
  ExtPoint acc = internal::ExtIdentity();
  for (size_t k = num_windows; k-- > 0;) {
    if (k + 1 < num_windows) acc = DoubleN(acc, c);
    acc = AddExt(acc, buckets.Pass(&digits[k * n], aff.data(), n));
  }
  return EdPoint(acc);
}

std::pair<int, int> FixedBaseParams(size_t n, size_t max_bytes) {
  // PippengerWindow's cost model, over h windows of copies * n entries; the window keeps
  // the cap at 12 (the buckets must stay in L2). One copy is plain Pippenger; more copies
  // must fit max_bytes and save at least 1% each step to be worth their memory.
  auto cost = [n](int c, size_t t) {
    const size_t h = (NumWindows(c) + t - 1) / t;
    const double buckets = static_cast<double>(size_t{1} << (c - 1));
    return static_cast<double>(h) * (7.0 * static_cast<double>(t * n) + 18.0 * buckets);
  };
  int best_c = PippengerWindow(n), best_t = 1;
  double best_cost = cost(best_c, 1);
  for (int c = 4; c <= 12; ++c) {
    for (size_t t = 2; t <= NumWindows(c); ++t) {
      if (t * n * sizeof(AffineNiels) > max_bytes) break;
      if (cost(c, t) < best_cost * 0.99) {
        best_cost = cost(c, t);
        best_c = c;
        best_t = static_cast<int>(t);
      }
    }
  }
  return {best_c, best_t};
}

}  // namespace msm_internal

EdPoint MsmVartime(std::span<const Scalar> scalars, std::span<const EdPoint> points) {
  HITO_ASSERT(scalars.size() == points.size());
  if (points.size() <= msm_internal::kStrausMax) return msm_internal::Straus(scalars, points);
  return msm_internal::Pippenger(scalars, points);
}

MsmFixedBase MsmFixedBase::Build(std::span<const EdPoint> points, int window, int copies) {
  MsmFixedBase t;
  t.n_ = points.size();
  if (window == 0 && copies == 0) {
    std::tie(window, copies) = msm_internal::FixedBaseParams(points.size());
  }
  HITO_ASSERT(window >= 2 && window <= 16);
  const size_t w = NumWindows(window);
  HITO_ASSERT(copies >= 1 && static_cast<size_t>(copies) <= w);
  t.c_ = window;
  t.t_ = copies;
  t.h_ = static_cast<int>((w + static_cast<size_t>(copies) - 1) / static_cast<size_t>(copies));
  // Copy k is copy k - 1 doubled h * c times (projective doublings), then all copies are
  // batch-normalised at once.
  const size_t n = t.n_;
  std::vector<ExtPoint> ext(n * static_cast<size_t>(copies));
  for (size_t i = 0; i < n; ++i) ext[i] = points[i].ext();
  for (size_t k = 1; k < static_cast<size_t>(copies); ++k) {
    for (size_t i = 0; i < n; ++i) ext[k * n + i] = DoubleN(ext[(k - 1) * n + i], t.h_ * t.c_);
  }
  t.table_ = Normalize(ext);
  return t;
}

EdPoint MsmFixedBase::Msm(std::span<const Scalar> scalars, std::span<const Scalar> extra_scalars,
                          std::span<const EdPoint> extra_points) const {
  HITO_ASSERT(scalars.size() == n_);
  HITO_ASSERT(extra_scalars.size() == extra_points.size());
  const EdPoint extra = MsmVartime(extra_scalars, extra_points);
  if (n_ == 0) return extra;
  const size_t w = NumWindows(c_);
  const size_t h = static_cast<size_t>(h_);
  const size_t entries = n_ * static_cast<size_t>(t_);
  // Window j of scalar i is digit j % h of copy j / h: digits[(j % h) * entries +
  // (j / h) * n + i]. Positions past the last window stay 0.
  std::vector<int32_t> digits(h * entries, 0);
  std::vector<int32_t> one(w);
  for (size_t i = 0; i < n_; ++i) {
    SignedDigits(scalars[i], c_, w, one.data(), 1);
    for (size_t j = 0; j < w; ++j) digits[(j % h) * entries + (j / h) * n_ + i] = one[j];
  }
  Buckets buckets(c_);
  ExtPoint acc = internal::ExtIdentity();
  for (size_t p = h; p-- > 0;) {
    if (p + 1 < h) acc = DoubleN(acc, c_);
    acc = AddExt(acc, buckets.Pass(&digits[p * entries], table_.data(), entries));
  }
  return EdPoint(AddExt(acc, extra.ext()));
}

namespace {

constexpr int kCtWindow = 5;                               // signed radix 2^kCtWindow
constexpr size_t kCtTable = size_t{1} << (kCtWindow - 1);  // multiples 1 .. 2^(w-1)
// Enough digits that the top one, bits [w * (k - 1), 253) plus a carry, is <= 2^(w-1).
constexpr size_t kCtDigits = (254 + kCtWindow - 1) / kCtWindow;
constexpr size_t kCtChunk = 128;  // points per table batch
constexpr size_t kCtAffineMinRows = 3;

// Signed radix-32 digits in [-16, 16), constant time (no branch on the scalar).
void CtDigits(const Scalar& s, std::array<int8_t, kCtDigits>* out) {
  const auto w = Words(s);
  uint64_t carry = 0;
  for (size_t k = 0; k < kCtDigits; ++k) {
    const uint64_t v = BitsAt(w, k * kCtWindow, kCtWindow) + carry;  // 0 .. 2^w
    carry = (v + kCtTable) >> kCtWindow;                             // 1 iff v >= 2^(w-1)
    (*out)[k] =
        static_cast<int8_t>(static_cast<int64_t>(v) - static_cast<int64_t>(carry << kCtWindow));
  }
}

// Constant-time table[|d| - 1] (identity for d = 0), negated when d < 0. Scans every
// entry and ORs in the masked one, word by word, so the memory access pattern and the
// instruction stream are independent of d.
// A table entry: a Niels point (AffineNiels: 15 words; ProjNiels: 20 words) padded to
// whole 4-word vectors, so the constant-time scan below runs on SIMD registers (GNU
// vector extension; SSE2/NEON when AVX2 is not enabled).
typedef uint64_t V4 __attribute__((vector_size(32)));
template <typename N>
struct alignas(32) CtEntry {
  static constexpr size_t kVectors = (sizeof(N) / sizeof(uint64_t) + 3) / 4;
  V4 v[kVectors];
};
template <typename N>
using CtTable = std::array<CtEntry<N>, kCtTable>;

template <typename N>
CtEntry<N> ToEntry(const N& n) {
  static_assert(sizeof(N) % sizeof(uint64_t) == 0);
  CtEntry<N> e{};
  std::memcpy(&e, &n, sizeof(N));
  return e;
}

template <typename N>
N NielsIdentity();
template <>
AffineNiels NielsIdentity<AffineNiels>() {
  return internal::AffineNielsIdentity();
}
template <>
ProjNiels NielsIdentity<ProjNiels>() {
  return internal::ProjNielsIdentity();
}

// Constant-time table[|d| - 1] (the identity for d = 0), negated when d < 0. Scans every
// entry and ORs in the masked one, so the memory access pattern and the instruction
// stream are independent of d.
template <typename N>
N CtSelect(const CtTable<N>& table, int8_t d) {
  constexpr size_t kV = CtEntry<N>::kVectors;
  const uint64_t du = static_cast<uint64_t>(static_cast<int64_t>(d));
  const uint64_t neg = du >> 63;
  const uint64_t abs = (du ^ (0 - neg)) + neg;
  const uint64_t is_zero = 0 - (((abs | (0 - abs)) >> 63) ^ 1u);  // all ones iff d == 0
  static const CtEntry<N> kIdentity = ToEntry(NielsIdentity<N>());
  V4 acc[kV];
  const V4 mz = {is_zero, is_zero, is_zero, is_zero};
  for (size_t q = 0; q < kV; ++q) acc[q] = mz & kIdentity.v[q];
  for (size_t j = 0; j < kCtTable; ++j) {
    const uint64_t x = abs ^ (j + 1);
    const uint64_t eq = ((x | (0 - x)) >> 63) - 1;  // all ones iff abs == j + 1
    const V4 m = {eq, eq, eq, eq};
    for (size_t q = 0; q < kV; ++q) acc[q] |= m & table[j].v[q];
  }
  N r;
  std::memcpy(&r, acc, sizeof(r));
  return internal::CondNeg(r, neg);
}

// Tables [1P .. 16P] for a chunk of (public) points: affine Niels (batch-normalised,
// ~7M more per entry, 1M less per addition) or projective Niels (no inversion).
template <typename N>
std::vector<CtTable<N>> CtTables(std::span<const EdPoint> pts) {
  std::vector<ExtPoint> multiples(pts.size() * kCtTable);
  for (size_t i = 0; i < pts.size(); ++i) {
    const ExtPoint& p = pts[i].ext();
    const ProjNiels pn = internal::ToProjNiels(p);
    ExtPoint cur = p;
    multiples[i * kCtTable] = cur;
    for (size_t j = 1; j < kCtTable; ++j) {
      cur = internal::ToExt(internal::Add(cur, pn));
      multiples[i * kCtTable + j] = cur;
    }
  }
  std::vector<CtTable<N>> tables(pts.size());
  if constexpr (std::is_same_v<N, AffineNiels>) {
    const std::vector<AffineNiels> aff = Normalize(multiples);
    for (size_t i = 0; i < pts.size(); ++i) {
      for (size_t j = 0; j < kCtTable; ++j) tables[i][j] = ToEntry(aff[i * kCtTable + j]);
    }
  } else {
    for (size_t i = 0; i < pts.size(); ++i) {
      for (size_t j = 0; j < kCtTable; ++j) {
        tables[i][j] = ToEntry(internal::ToProjNiels(multiples[i * kCtTable + j]));
      }
    }
  }
  return tables;
}

template <typename N>
std::vector<EdPoint> CtMsmRows(std::span<const std::vector<Scalar>> scalar_rows,
                               std::span<const EdPoint> points) {
  const size_t n = points.size();
  std::vector<ExtPoint> results(scalar_rows.size(), internal::ExtIdentity());
  std::vector<std::array<int8_t, kCtDigits>> digits(std::min(kCtChunk, n));
  for (size_t start = 0; start < n; start += kCtChunk) {
    const size_t len = std::min(kCtChunk, n - start);
    const auto tables = CtTables<N>(points.subspan(start, len));
    for (size_t r = 0; r < scalar_rows.size(); ++r) {
      for (size_t i = 0; i < len; ++i) CtDigits(scalar_rows[r][start + i], &digits[i]);
      ExtPoint acc = internal::ExtIdentity();
      for (size_t k = kCtDigits; k-- > 0;) {
        if (k + 1 < kCtDigits) acc = DoubleN(acc, kCtWindow);
        for (size_t i = 0; i < len; ++i) {
          acc = internal::ToExt(internal::Add(acc, CtSelect<N>(tables[i], digits[i][k])));
        }
      }
      results[r] = AddExt(results[r], acc);
    }
  }
  for (auto& d : digits) SecureWipe(d.data(), d.size());  // the digits are secret
  std::vector<EdPoint> out;
  out.reserve(results.size());
  for (const auto& p : results) out.emplace_back(p);
  return out;
}

}  // namespace

std::vector<EdPoint> MsmConstTimeMany(std::span<const std::vector<Scalar>> scalar_rows,
                                      std::span<const EdPoint> points) {
  for (const auto& row : scalar_rows) HITO_ASSERT(row.size() == points.size());
  // Affine tables cost ~112M per point to build and save ~51M per point per row: they pay
  // from 3 rows on. Below that, projective tables (no inversion) are cheaper.
  if (scalar_rows.size() >= kCtAffineMinRows) return CtMsmRows<AffineNiels>(scalar_rows, points);
  return CtMsmRows<ProjNiels>(scalar_rows, points);
}

EdPoint MsmConstTime(std::span<const Scalar> scalars, std::span<const EdPoint> points) {
  HITO_ASSERT(scalars.size() == points.size());
  std::vector<Scalar> row(scalars.begin(), scalars.end());
  std::vector<EdPoint> r = MsmConstTimeMany(std::span<const std::vector<Scalar>>(&row, 1), points);
  for (auto& s : row) s.Wipe();  // the copy held secrets
  return r[0];
}

}  // namespace hito::zk
