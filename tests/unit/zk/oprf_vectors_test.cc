// OPRF (zk/oprf.h) against the RFC 9497 ristretto255-SHA512 vectors.
// OPRF mode (tests/vectors/oprf_ristretto255_sha512.json, Appendix A.1.1): Blind,
// BlindEvaluate and Finalize reproduce BlindedElement, EvaluationElement and Output byte
// for byte; the threshold path (ShareKey, PartialEvaluate, VerifyAndCombine,
// FinalizeCombined) with the vectors' key reproduces the same evaluation and output for
// several (t, n) and every t-subset of shares, and t-1 shares do not.
// VOPRF mode (tests/vectors/voprf_ristretto255_sha512.json, Appendix A.1.2): pkSm, the
// blinded element, the evaluation, the proof made with the vector's ProofRandomScalar, the
// proof's verification and the output, byte for byte; tampered proofs, keys and elements
// are refused; each element of the batch vector reproduces its values one at a time, and
// a threshold sharing of the vectors' key gives the same evaluation and output.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
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

// ---- VOPRF mode (Appendix A.1.2) ----

// One element of a VOPRF vector: a batch-of-B vector has B of these.
struct VoprfElement {
  Bytes input;
  Scalar blind;
  Bytes blinded;
  Bytes evaluated;
  Bytes output;
};

struct VoprfVector {
  std::string name;
  std::vector<VoprfElement> elements;
  Bytes proof;   // c || s, one proof for the whole batch
  Scalar nonce;  // the RFC's ProofRandomScalar
};

struct VoprfFile {
  Scalar sk;
  Bytes pk;
  Bytes group_dst;
  std::vector<VoprfVector> vectors;
};

// The comma-separated fields of a batch vector, split (one field for a batch of 1).
std::vector<std::string> SplitBatch(const nlohmann::json& field) {
  std::vector<std::string> out;
  std::string_view s = field.get_ref<const std::string&>();
  for (size_t comma; (comma = s.find(',')) != std::string_view::npos; s.remove_prefix(comma + 1)) {
    out.emplace_back(s.substr(0, comma));
  }
  out.emplace_back(s);
  return out;
}

Scalar ScalarOf(const nlohmann::json& hex) {
  auto s = Scalar::Decode(Hex(hex));
  EXPECT_TRUE(s.ok()) << hex;
  return s.ok() ? *s : Scalar::One();
}

VoprfVector LoadVoprfVector(const nlohmann::json& v) {
  const auto inputs = SplitBatch(v["Input"]), blinds = SplitBatch(v["Blind"]);
  const auto blinded = SplitBatch(v["BlindedElement"]);
  const auto evaluated = SplitBatch(v["EvaluationElement"]), outputs = SplitBatch(v["Output"]);
  const size_t batch = v["Batch"].get<size_t>();
  EXPECT_EQ(inputs.size(), batch);
  EXPECT_TRUE(blinds.size() == batch && blinded.size() == batch && evaluated.size() == batch &&
              outputs.size() == batch);
  VoprfVector out;
  out.name = "VOPRF vector with batch " + std::to_string(batch) + ", input " + v["Input"].dump();
  for (size_t i = 0; i < batch; ++i) {
    out.elements.push_back(VoprfElement{Hex(inputs[i]), ScalarOf(blinds[i]), Hex(blinded[i]),
                                        Hex(evaluated[i]), Hex(outputs[i])});
  }
  out.proof = Hex(v["Proof"]["proof"]);
  out.nonce = ScalarOf(v["Proof"]["r"]);
  return out;
}

VoprfFile LoadVoprfFile() {
  const nlohmann::json j = hito::testing::LoadVectors("voprf_ristretto255_sha512.json");
  EXPECT_EQ(j["identifier"], "ristretto255-SHA512");
  EXPECT_EQ(j["mode"], 1);
  VoprfFile f{ScalarOf(j["skSm"]), Hex(j["pkSm"]), Hex(j["groupDST"]), {}};
  for (const auto& v : j["vectors"]) f.vectors.push_back(LoadVoprfVector(v));
  EXPECT_EQ(f.vectors.size(), 3u);
  return f;
}

Point PointOf(const Bytes& b) {
  auto p = Point::Decode(b);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? *p : Point::Base();
}

TEST(VoprfVectorsTest, KeyAndDomainMatchRfc) {
  const VoprfFile f = LoadVoprfFile();
  EXPECT_EQ(B(Point::MulBase(f.sk)), f.pk);
  // groupDST = "HashToGroup-" || contextString, with the VOPRF mode's context string.
  Bytes dst = ToBytes(AsBytes("HashToGroup-"));
  const Bytes ctx = ContextString(Mode::kVoprf);
  dst.insert(dst.end(), ctx.begin(), ctx.end());
  EXPECT_EQ(dst, f.group_dst);
}

TEST(VoprfVectorsTest, SingleElementVectorsMatchRfc) {
  const VoprfFile f = LoadVoprfFile();
  const Point pk = PointOf(f.pk);
  size_t checked = 0;
  for (const VoprfVector& v : f.vectors) {
    if (v.elements.size() != 1) continue;  // the batch vector: BatchVectorElementsMatchRfc
    const VoprfElement& e = v.elements[0];
    auto blinded = BlindWith(e.input, e.blind, Mode::kVoprf);
    ASSERT_TRUE(blinded.ok()) << blinded.status().ToString();
    EXPECT_EQ(B(blinded->element), e.blinded) << v.name;
    auto ev = BlindEvaluateWithNonce(f.sk, blinded->element, v.nonce, Mode::kVoprf);
    ASSERT_TRUE(ev.ok()) << ev.status().ToString();
    EXPECT_EQ(B(ev->element), e.evaluated) << v.name;
    const auto proof_bytes = ev->proof.Encode();
    EXPECT_EQ(Bytes(proof_bytes.begin(), proof_bytes.end()), v.proof) << v.name;
    // The RFC's proof bytes, decoded, verify and let Finalize produce the RFC's output.
    auto proof = Proof::Decode(v.proof);
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    const Point evaluated = PointOf(e.evaluated), blinded_rfc = PointOf(e.blinded);
    EXPECT_TRUE(VerifyProof(pk, blinded_rfc, evaluated, *proof, Mode::kVoprf).ok()) << v.name;
    auto out = Finalize(e.input, e.blind, evaluated, blinded_rfc, pk, *proof, Mode::kVoprf);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(OutBytes(*out), e.output) << v.name;
    ++checked;
  }
  EXPECT_EQ(checked, 2u);
}

// Each way of altering what the RFC proof speaks about, or the proof itself, is refused,
// and Finalize then gives no output.
TEST(VoprfVectorsTest, AlteredProofOrStatementIsRefused) {
  const VoprfFile f = LoadVoprfFile();
  const VoprfVector& v = f.vectors[0];
  const VoprfElement& e = v.elements[0];
  const Point pk = PointOf(f.pk), blinded = PointOf(e.blinded), evaluated = PointOf(e.evaluated);
  auto proof = Proof::Decode(v.proof);
  ASSERT_TRUE(proof.ok());
  const Point other = PointOf(f.vectors[1].elements[0].evaluated);
  Proof bumped_c = *proof, bumped_s = *proof;
  bumped_c.c += Scalar::One();
  bumped_s.s += Scalar::One();
  EXPECT_FALSE(VerifyProof(pk, blinded, evaluated, bumped_c, Mode::kVoprf).ok());
  EXPECT_FALSE(VerifyProof(pk, blinded, evaluated, bumped_s, Mode::kVoprf).ok());
  EXPECT_FALSE(VerifyProof(pk + Point::Base(), blinded, evaluated, *proof, Mode::kVoprf).ok());
  EXPECT_FALSE(
      VerifyProof(pk, PointOf(f.vectors[1].elements[0].blinded), evaluated, *proof, Mode::kVoprf)
          .ok());
  EXPECT_FALSE(VerifyProof(pk, blinded, other, *proof, Mode::kVoprf).ok());
  // The same proof in the OPRF mode's domain.
  EXPECT_FALSE(VerifyProof(pk, blinded, evaluated, *proof, Mode::kOprf).ok());
  EXPECT_FALSE(Finalize(e.input, e.blind, other, blinded, pk, *proof, Mode::kVoprf).ok());
  // A proof byte flipped: either no longer a canonical scalar or not a valid proof.
  for (size_t i : {0u, 31u, 32u, 63u}) {
    Bytes tampered = v.proof;
    tampered[i] ^= 0x01;
    auto p = Proof::Decode(tampered);
    EXPECT_TRUE(!p.ok() || !VerifyProof(pk, blinded, evaluated, *p, Mode::kVoprf).ok()) << i;
  }
}

// The batch vector (B = 2) carries one proof over both elements (the RFC's
// ComputeComposites over a batch). Our API proves and verifies one element at a time
// (a batch of one), so that proof is not checked here; each element's blinded element,
// evaluation and output are, since they do not depend on the batch.
TEST(VoprfVectorsTest, BatchVectorElementsMatchRfc) {
  const VoprfFile f = LoadVoprfFile();
  const Point pk = PointOf(f.pk);
  size_t checked = 0;
  for (const VoprfVector& v : f.vectors) {
    if (v.elements.size() == 1) continue;
    for (const VoprfElement& e : v.elements) {
      auto blinded = BlindWith(e.input, e.blind, Mode::kVoprf);
      ASSERT_TRUE(blinded.ok());
      EXPECT_EQ(B(blinded->element), e.blinded) << v.name;
      auto ev = BlindEvaluate(f.sk, blinded->element, Mode::kVoprf);
      ASSERT_TRUE(ev.ok());
      EXPECT_EQ(B(ev->element), e.evaluated) << v.name;
      auto out =
          Finalize(e.input, e.blind, ev->element, blinded->element, pk, ev->proof, Mode::kVoprf);
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      EXPECT_EQ(OutBytes(*out), e.output) << v.name;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 2u);
}

// hito's deployment: the VOPRF key shared 3-of-5; the combined evaluation and the
// output are the RFC's.
TEST(VoprfVectorsTest, ThresholdSharingOfTheKeyGivesTheRfcOutput) {
  const VoprfFile f = LoadVoprfFile();
  const Dealt d = Deal(f.sk, 3, 5);
  for (const VoprfVector& v : f.vectors) {
    for (const VoprfElement& e : v.elements) {
      auto blinded = BlindWith(e.input, e.blind);
      ASSERT_TRUE(blinded.ok());
      std::vector<EvaluationShare> answers;
      for (size_t i : {4u, 1u, 2u}) {
        auto a = PartialEvaluate(d.shares[i], blinded->element);
        ASSERT_TRUE(a.ok());
        answers.push_back(*a);
      }
      auto combined = VerifyAndCombine(d.publics, blinded->element, answers, 3);
      ASSERT_TRUE(combined.ok()) << combined.status().ToString();
      EXPECT_EQ(B(combined->element), e.evaluated) << v.name;
      auto out = FinalizeCombined(e.input, e.blind, combined->element);
      ASSERT_TRUE(out.ok());
      EXPECT_EQ(OutBytes(*out), e.output) << v.name;
    }
  }
}

}  // namespace
}  // namespace hito::zk::oprf
