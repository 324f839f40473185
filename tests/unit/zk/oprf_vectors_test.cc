// OPRF (zk/oprf.h) against the RFC 9497 ristretto255-SHA512 vectors of
// tests/vectors/oprf_ristretto255_sha512.json (Appendix A.1.1, OPRF mode): Blind,
// BlindEvaluate and Finalize reproduce BlindedElement, EvaluationElement and Output byte
// for byte; the threshold path (ShareKey, PartialEvaluate, VerifyAndCombine,
// FinalizeCombined) with the vectors' key reproduces the same evaluation and output for
// several (t, n) and every t-subset of shares, and t-1 shares do not.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/hex.h"
#include "tests/support/vectors.h"
#include "zk/oprf.h"

namespace hito::zk::oprf {
namespace {

using hito::testing::Hex;

Bytes B(const Point& p) { return Bytes(p.bytes().begin(), p.bytes().end()); }

struct Vector {
  std::string name;
  Bytes input;
  Scalar blind;
  Bytes blinded;
  Bytes evaluated;
  Bytes output;
};

struct VectorFile {
  Scalar sk;
  std::vector<Vector> vectors;
};

VectorFile LoadFile() {
  const nlohmann::json j = hito::testing::LoadVectors("oprf_ristretto255_sha512.json");
  VectorFile f;
  EXPECT_EQ(j["mode"], 0);
  EXPECT_EQ(ContextString(Mode::kOprf), Hex(j["context_string"]["hex"]));
  auto sk = Scalar::Decode(Hex(j["skSm"]));
  EXPECT_TRUE(sk.ok());
  f.sk = *sk;
  for (const auto& v : j["vectors"]) {
    auto blind = Scalar::Decode(Hex(v["Blind"]));
    EXPECT_TRUE(blind.ok());
    f.vectors.push_back(Vector{v["name"].get<std::string>(), Hex(v["Input"]), *blind,
                               Hex(v["BlindedElement"]), Hex(v["EvaluationElement"]),
                               Hex(v["Output"])});
  }
  EXPECT_EQ(f.vectors.size(), 2u);
  return f;
}

Bytes OutBytes(const Output& o) { return Bytes(o.begin(), o.end()); }

TEST(OprfVectorsTest, SingleKeyMatchesRfc) {
  const VectorFile f = LoadFile();
  for (const Vector& v : f.vectors) {
    auto blinded = BlindWith(v.input, v.blind, Mode::kOprf);
    ASSERT_TRUE(blinded.ok()) << blinded.status().ToString();
    EXPECT_EQ(B(blinded->element), v.blinded) << v.name;
    auto ev = BlindEvaluate(f.sk, blinded->element, Mode::kOprf);
    ASSERT_TRUE(ev.ok());
    EXPECT_EQ(B(ev->element), v.evaluated) << v.name;
    auto out = FinalizeCombined(v.input, v.blind, ev->element);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(OutBytes(*out), v.output) << v.name;
    // The proof our evaluator attaches verifies, so the proof-checking Finalize agrees.
    const Point pk = Point::MulBase(f.sk);
    auto checked =
        Finalize(v.input, v.blind, ev->element, blinded->element, pk, ev->proof, Mode::kOprf);
    ASSERT_TRUE(checked.ok()) << checked.status().ToString();
    EXPECT_EQ(*checked, *out);
  }
}

// Every subset of {1..n} with t elements, in lexicographic order.
std::vector<std::vector<uint16_t>> Subsets(uint16_t n, uint16_t t) {
  std::vector<std::vector<uint16_t>> out;
  for (uint32_t mask = 0; mask < (1u << n); ++mask) {
    if (static_cast<uint16_t>(__builtin_popcount(mask)) != t) continue;
    std::vector<uint16_t> s;
    for (uint16_t i = 0; i < n; ++i) {
      if ((mask >> i) & 1u) s.push_back(static_cast<uint16_t>(i + 1));
    }
    out.push_back(s);
  }
  return out;
}

struct Dealt {
  std::vector<KeyShare> shares;
  std::vector<PublicShare> publics;
};

Dealt Deal(const Scalar& sk, uint16_t t, uint16_t n) {
  auto shares = ShareKey(sk, t, n);
  EXPECT_TRUE(shares.ok()) << shares.status().ToString();
  Dealt d{*shares, {}};
  for (const KeyShare& s : d.shares) d.publics.push_back({s.index, s.public_share});
  return d;
}

TEST(OprfVectorsTest, EveryThresholdSubsetGivesTheRfcOutput) {
  const VectorFile f = LoadFile();
  const std::vector<std::pair<uint16_t, uint16_t>> params = {{1, 1}, {1, 3}, {2, 2}, {2, 3},
                                                             {3, 4}, {3, 5}, {4, 7}};
  for (const auto& [t, n] : params) {
    const Dealt d = Deal(f.sk, t, n);
    for (const Vector& v : f.vectors) {
      auto blinded = BlindWith(v.input, v.blind, Mode::kOprf);
      ASSERT_TRUE(blinded.ok());
      std::vector<EvaluationShare> all;
      for (const KeyShare& s : d.shares) {
        auto e = PartialEvaluate(s, blinded->element);
        ASSERT_TRUE(e.ok()) << e.status().ToString();
        all.push_back(*e);
      }
      for (const auto& subset : Subsets(n, t)) {
        std::vector<EvaluationShare> chosen;
        for (uint16_t i : subset) chosen.push_back(all[i - 1]);
        auto combined = VerifyAndCombine(d.publics, blinded->element, chosen, t);
        ASSERT_TRUE(combined.ok()) << combined.status().ToString();
        EXPECT_EQ(combined->used, subset);
        EXPECT_TRUE(combined->refused.empty());
        EXPECT_EQ(B(combined->element), v.evaluated) << v.name << " t=" << t << " n=" << n;
        auto out = FinalizeCombined(v.input, v.blind, combined->element);
        ASSERT_TRUE(out.ok());
        EXPECT_EQ(OutBytes(*out), v.output) << v.name << " t=" << t << " n=" << n;
      }
    }
  }
}

TEST(OprfVectorsTest, FewerThanThresholdSharesGiveAnUnrelatedOutput) {
  const VectorFile f = LoadFile();
  for (const auto& [t, n] : std::vector<std::pair<uint16_t, uint16_t>>{{2, 3}, {3, 4}, {4, 7}}) {
    const Dealt d = Deal(f.sk, t, n);
    const Vector& v = f.vectors[0];
    auto blinded = BlindWith(v.input, v.blind, Mode::kOprf);
    ASSERT_TRUE(blinded.ok());
    std::vector<EvaluationShare> all;
    for (const KeyShare& s : d.shares) all.push_back(*PartialEvaluate(s, blinded->element));
    const uint16_t short_t = static_cast<uint16_t>(t - 1);
    for (const auto& subset : Subsets(n, short_t)) {
      std::vector<EvaluationShare> chosen;
      for (uint16_t i : subset) chosen.push_back(all[i - 1]);
      // The client refuses to combine fewer than t ...
      auto refused = VerifyAndCombine(d.publics, blinded->element, chosen, t);
      EXPECT_FALSE(refused.ok());
      // ... and interpolating them anyway gives neither the evaluation nor the output.
      auto wrong = Combine(chosen);
      ASSERT_TRUE(wrong.ok());
      EXPECT_NE(B(*wrong), v.evaluated);
      auto out = FinalizeCombined(v.input, v.blind, *wrong);
      ASSERT_TRUE(out.ok());
      EXPECT_NE(OutBytes(*out), v.output);
    }
  }
}

}  // namespace
}  // namespace hito::zk::oprf
