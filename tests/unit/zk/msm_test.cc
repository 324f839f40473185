// Multi-scalar multiplication (zk/ec.h): MsmVartime (Straus and Pippenger sizes, every
// window), MsmConstTime and MsmConstTimeMany checked against a libsodium reference
// (crypto_scalarmult_ristretto255 + add per point) and against each other, with zero
// scalars, repeated points, identity points, extreme scalars and sizes 0 and 1.
#include <gtest/gtest.h>
#include <sodium.h>

#include <vector>

#include "zk/ec.h"

namespace hito::zk {
namespace {

struct Instance {
  std::vector<Scalar> scalars;
  std::vector<Point> points;
  std::vector<EdPoint> ed;
};

// Mixes in the edge cases: zero and -1 scalars, small scalars, repeated and identity points.
Instance Make(size_t n, bool edge_cases) {
  Instance in;
  for (size_t i = 0; i < n; ++i) {
    Scalar s = Scalar::Random();
    Point p = Point::MulBase(Scalar::Random());
    if (edge_cases) {
      switch (i % 9) {
        case 1:
          s = Scalar::Zero();
          break;
        case 2:
          s = -Scalar::One();
          break;
        case 3:
          s = Scalar::FromU64(i);
          break;
        case 4:
          if (i > 0) p = in.points[i - 1];
          break;  // repeated point
        case 5:
          p = Point::Identity();
          break;
        case 6:
          if (i > 0) p = Point::Identity() - in.points[i - 1];
          break;  // cancels
        default:
          break;
      }
    }
    in.scalars.push_back(s);
    in.points.push_back(p);
  }
  auto ed = EdPoint::DecodeBatch(in.points);
  HITO_ASSERT(ed.ok());
  in.ed = *ed;
  return in;
}

Point Reference(const Instance& in) {
  Point acc;
  for (size_t i = 0; i < in.points.size(); ++i) acc = acc + in.points[i].Mul(in.scalars[i]);
  return acc;
}

TEST(MsmTest, EmptyAndSingle) {
  EXPECT_TRUE(MsmVartime({}, {}).IsIdentity());
  EXPECT_TRUE(MsmConstTime({}, {}).IsIdentity());
  EXPECT_TRUE(msm_internal::Pippenger({}, {}).IsIdentity());
  for (int i = 0; i < 20; ++i) {
    Instance in = Make(1, false);
    const Point want = in.points[0].Mul(in.scalars[0]);
    EXPECT_EQ(MsmVartime(in.scalars, in.ed).ToPoint(), want);
    EXPECT_EQ(MsmConstTime(in.scalars, in.ed).ToPoint(), want);
    EXPECT_EQ(msm_internal::Pippenger(in.scalars, in.ed, 4).ToPoint(), want);
  }
  std::vector<Scalar> zero = {Scalar::Zero()};
  std::vector<EdPoint> base = {EdPoint::Base()};
  EXPECT_TRUE(MsmVartime(zero, base).IsIdentity());
  EXPECT_TRUE(MsmConstTime(zero, base).IsIdentity());
}

TEST(MsmTest, StrausSizesMatchLibsodium) {
  for (size_t n : {2u, 3u, 7u, 16u, 33u, 64u, 128u}) {
    for (int rep = 0; rep < 3; ++rep) {
      Instance in = Make(n, rep > 0);
      const Point want = Reference(in);
      EXPECT_EQ(msm_internal::Straus(in.scalars, in.ed).ToPoint(), want) << "n=" << n;
      EXPECT_EQ(MsmVartime(in.scalars, in.ed).ToPoint(), want) << "n=" << n;
    }
  }
}

TEST(MsmTest, PippengerEveryWindowMatchesLibsodium) {
  Instance in = Make(300, true);
  const Point want = Reference(in);
  for (int c = 2; c <= 16; ++c) {
    EXPECT_EQ(msm_internal::Pippenger(in.scalars, in.ed, c).ToPoint(), want) << "c=" << c;
  }
}

TEST(MsmTest, PippengerSizesMatchLibsodium) {
  for (size_t n : {129u, 257u, 1000u, 2500u}) {
    Instance in = Make(n, true);
    EXPECT_EQ(MsmVartime(in.scalars, in.ed).ToPoint(), Reference(in)) << "n=" << n;
  }
}

TEST(MsmTest, ExtremeScalars) {
  // All scalars l - 1 (largest digits everywhere) and all equal points.
  const size_t n = 200;
  std::vector<Scalar> s(n, -Scalar::One());
  const Point p = Point::MulBase(Scalar::Random());
  std::vector<EdPoint> e(n, *EdPoint::FromPoint(p));
  const Point want = p.Mul(-Scalar::FromU64(n));
  EXPECT_EQ(MsmVartime(s, e).ToPoint(), want);
  EXPECT_EQ(msm_internal::Straus(s, e).ToPoint(), want);
  EXPECT_EQ(MsmConstTime(s, e).ToPoint(), want);
  // Scalars 2^k with every bit position.
  std::vector<Scalar> pow2;
  Scalar x = Scalar::One();
  for (int k = 0; k < 253; ++k) {
    pow2.push_back(x);
    x = x + x;
  }
  Instance in = Make(pow2.size(), false);
  in.scalars = pow2;
  const Point ref = Reference(in);
  EXPECT_EQ(MsmVartime(in.scalars, in.ed).ToPoint(), ref);
  EXPECT_EQ(msm_internal::Straus(in.scalars, in.ed).ToPoint(), ref);
  EXPECT_EQ(MsmConstTime(in.scalars, in.ed).ToPoint(), ref);
}

// MsmFixedBase (precomputed copies 2^(k h c) P_i): every window and copy count at one
// size, with the edge cases (zero, -1 and small scalars, repeated, identity and cancelling
// points) and extra points; the table is reused across scalar vectors.
TEST(MsmFixedBaseTest, EveryWindowAndCopyCountMatchesLibsodium) {
  Instance in = Make(150, true);
  Instance extra = Make(40, true);
  const Point want = Reference(in);
  const Point want_extra = Reference(extra);
  for (int c = 2; c <= 16; ++c) {
    const int windows = (254 + c - 1) / c;
    for (int t : {1, 2, 3, windows / 2, windows - 1, windows}) {
      if (t < 1) continue;
      const MsmFixedBase table = MsmFixedBase::Build(in.ed, c, t);
      EXPECT_EQ(table.window(), c);
      EXPECT_EQ(table.copies(), t);
      EXPECT_EQ(table.memory_bytes(), static_cast<size_t>(t) * 150 * 120);
      EXPECT_EQ(table.Msm(in.scalars).ToPoint(), want) << "c=" << c << " t=" << t;
      EXPECT_EQ(table.Msm(in.scalars, extra.scalars, extra.ed).ToPoint(), want + want_extra)
          << "c=" << c << " t=" << t;
    }
  }
}

TEST(MsmFixedBaseTest, ScalarsNearOrderAndPowersOfTwo) {
  // Scalars l - 1 .. l - 5 (top digits set in every window), 2^k for every bit position,
  // and all-zero scalars, with a table reused for each vector.
  Instance in = Make(253, false);
  const MsmFixedBase table = MsmFixedBase::Build(in.ed);
  Scalar x = Scalar::One();
  for (size_t k = 0; k < 253; ++k) {
    in.scalars[k] = k < 200 ? x : -Scalar::FromU64(k - 199);
    x = x + x;
  }
  EXPECT_EQ(table.Msm(in.scalars).ToPoint(), Reference(in));
  for (auto& s : in.scalars) s = -Scalar::One();
  EXPECT_EQ(table.Msm(in.scalars).ToPoint(), Reference(in));
  for (auto& s : in.scalars) s = Scalar::Zero();
  EXPECT_TRUE(table.Msm(in.scalars).IsIdentity());
  // Random again, after the extreme ones: no state carried between calls.
  for (auto& s : in.scalars) s = Scalar::Random();
  EXPECT_EQ(table.Msm(in.scalars).ToPoint(), Reference(in));
}

TEST(MsmFixedBaseTest, DefaultParamsAndSizes) {
  for (size_t n : {0u, 1u, 2u, 129u, 1000u, 4096u}) {
    Instance in = Make(n, true);
    const MsmFixedBase table = MsmFixedBase::Build(in.ed);
    EXPECT_EQ(table.size(), n);
    EXPECT_EQ(table.Msm(in.scalars).ToPoint(), Reference(in)) << "n=" << n;
    EXPECT_EQ(MsmVartime(in.scalars, in.ed).ToPoint(), Reference(in)) << "n=" << n;
  }
  // The parameter choice respects the memory budget (120 bytes per table entry).
  for (size_t n : {size_t{1} << 10, size_t{1} << 14, size_t{1} << 16}) {
    const auto [c, t] = msm_internal::FixedBaseParams(n);
    EXPECT_GE(c, 4);
    EXPECT_LE(c, 12);
    EXPECT_LE(static_cast<size_t>(t) * n * 120, size_t{64} << 20) << "n=" << n;
    const auto [c1, t1] = msm_internal::FixedBaseParams(n, 0);  // no memory: one copy
    EXPECT_EQ(t1, 1);
    EXPECT_EQ(c1, msm_internal::PippengerWindow(n));
  }
}

TEST(MsmFixedBaseDeathTest, SizeMismatchAsserts) {
  Instance in = Make(10, false);
  const MsmFixedBase table = MsmFixedBase::Build(in.ed);
  std::vector<Scalar> short_scalars(9);
  EXPECT_DEATH(table.Msm(short_scalars), "");
  std::vector<Scalar> one(1);
  EXPECT_DEATH(table.Msm(in.scalars, one, {}), "");
  EXPECT_DEATH(MsmFixedBase::Build(in.ed, 12, 23), "");
}

TEST(MsmTest, ConstTimeMatchesVartimeAndLibsodium) {
  for (size_t n : {2u, 17u, 255u, 256u, 257u, 700u}) {
    Instance in = Make(n, true);
    const EdPoint vt = MsmVartime(in.scalars, in.ed);
    const EdPoint ct = MsmConstTime(in.scalars, in.ed);
    EXPECT_EQ(ct, vt) << "n=" << n;
    EXPECT_EQ(ct.ToPoint(), Reference(in)) << "n=" << n;
  }
}

TEST(MsmTest, ConstTimeManySharesTablesCorrectly) {
  const size_t n = 600;
  Instance in = Make(n, true);
  std::vector<std::vector<Scalar>> rows;
  for (int r = 0; r < 4; ++r) {
    std::vector<Scalar> row;
    for (size_t i = 0; i < n; ++i) row.push_back(r == 3 ? Scalar::Zero() : Scalar::Random());
    rows.push_back(row);
  }
  const auto out = MsmConstTimeMany(rows, in.ed);
  ASSERT_EQ(out.size(), rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    EXPECT_EQ(out[r], MsmVartime(rows[r], in.ed)) << "row " << r;
  }
  EXPECT_TRUE(out[3].IsIdentity());
  EXPECT_TRUE(MsmConstTimeMany({}, in.ed).empty());
}

TEST(MsmTest, ConstTimeManyBothTableFormsAgree) {
  // 1-2 rows use projective tables, 3+ rows affine ones; both must agree with vartime.
  Instance in = Make(150, true);
  for (size_t rows = 1; rows <= 4; ++rows) {
    std::vector<std::vector<Scalar>> r(rows);
    for (auto& row : r) {
      for (size_t i = 0; i < in.ed.size(); ++i) row.push_back(Scalar::Random());
    }
    const auto out = MsmConstTimeMany(r, in.ed);
    ASSERT_EQ(out.size(), rows);
    for (size_t j = 0; j < rows; ++j) EXPECT_EQ(out[j], MsmVartime(r[j], in.ed)) << rows;
  }
}

TEST(MsmTest, RandomizedAgainstLibsodium) {
  // Many small random instances of random sizes across the Straus/Pippenger crossover.
  for (int rep = 0; rep < 40; ++rep) {
    const size_t n = 1 + static_cast<size_t>(randombytes_uniform(300));
    Instance in = Make(n, rep % 2 == 0);
    const Point want = Reference(in);
    EXPECT_EQ(MsmVartime(in.scalars, in.ed).ToPoint(), want) << "n=" << n;
    EXPECT_EQ(MsmConstTime(in.scalars, in.ed).ToPoint(), want) << "n=" << n;
  }
}

TEST(MsmDeathTest, SizeMismatchAsserts) {
  std::vector<Scalar> s(2);
  std::vector<EdPoint> p(3);
  EXPECT_DEATH({ (void)MsmVartime(s, p); }, "");
  EXPECT_DEATH({ (void)MsmConstTime(s, p); }, "");
}

}  // namespace
}  // namespace hito::zk
