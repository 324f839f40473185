#include "zk/oprf.h"

#include <sodium.h>

#include <algorithm>
#include <set>
#include <string>
#include <string_view>

#include "base/assert.h"
#include "zk/ct.h"
#include "zk/ec.h"
#include "zk/hash_to_group.h"

namespace hito::zk::oprf {
namespace {

constexpr std::string_view kContextPrefix = "OPRFV1-";
constexpr std::string_view kSuiteIdentifier = "-ristretto255-SHA512";

Bytes Dst(std::string_view label, Mode mode) {
  Bytes dst = ToBytes(AsBytes(label));
  const Bytes ctx = ContextString(mode);
  dst.insert(dst.end(), ctx.begin(), ctx.end());
  return dst;
}

void AppendU16(Bytes* out, size_t v) {
  HITO_ASSERT(v <= 0xffff);
  out->push_back(static_cast<uint8_t>(v >> 8));
  out->push_back(static_cast<uint8_t>(v & 0xff));
}

// I2OSP(len(x), 2) || x, the RFC's framing of every transcript field.
void AppendFramed(Bytes* out, ByteView x) {
  AppendU16(out, x.size());
  out->insert(out->end(), x.begin(), x.end());
}

void AppendLabel(Bytes* out, std::string_view label) {
  const ByteView b = AsBytes(label);
  out->insert(out->end(), b.begin(), b.end());
}

// Marks a value the protocol publishes (or that is a public function of published values)
// as no longer secret for the valgrind memcheck test; no effect otherwise.
void Publish(const Point& p) { ct::DeclassifyValue(p); }
void Publish(const Scalar& s) { ct::DeclassifyValue(s); }

Status CheckInputSize(ByteView input) {
  if (input.size() > kMaxInputSize) {
    return InvalidArgumentError("oprf: input of " + std::to_string(input.size()) +
                                " bytes, at most 65535");
  }
  return Status::Ok();
}

// RFC 9497 ComputeComposites for a batch of one: the weight d0 binding pk, C and D.
// Public data only.
Scalar CompositeWeight(const Point& pk, const Point& c, const Point& d, Mode mode) {
  Bytes seed_transcript;
  AppendFramed(&seed_transcript, pk.bytes());
  AppendFramed(&seed_transcript, Dst("Seed-", mode));
  std::array<uint8_t, crypto_hash_sha512_BYTES> seed{};
  crypto_hash_sha512(seed.data(), seed_transcript.data(), seed_transcript.size());
  Bytes transcript;
  AppendFramed(&transcript, seed);
  AppendU16(&transcript, 0);  // I2OSP(i, 2) for the only element
  AppendFramed(&transcript, c.bytes());
  AppendFramed(&transcript, d.bytes());
  AppendLabel(&transcript, "Composite");
  return HashToScalar(transcript, Dst("HashToScalar-", mode));
}

// The RFC's challenge over (B = pk, M, Z, t2, t3).
Scalar Challenge(const Point& pk, const Point& m, const Point& z, const Point& t2, const Point& t3,
                 Mode mode) {
  Bytes transcript;
  for (const Point* p : {&pk, &m, &z, &t2, &t3}) AppendFramed(&transcript, p->bytes());
  AppendLabel(&transcript, "Challenge");
  return HashToScalar(transcript, Dst("HashToScalar-", mode));
}

// RFC GenerateProof(k, G, pk, [c], [d]) with nonce r, where d = k*c was already computed
// (and published). The composite Z = d0*d is computed from public values, which equals
// the RFC's k*M. Only r and k are secret; they go through libsodium alone.
Proof GenerateProof(const Scalar& k, const Point& pk, const Point& c, const Point& d,
                    const Scalar& r, Mode mode) {
  const Scalar d0 = CompositeWeight(pk, c, d, mode);
  const Point m = c.Mul(d0);
  const Point z = d.Mul(d0);
  Point t2 = Point::MulBase(r);
  Point t3 = m.Mul(r);
  // t2 and t3 are recomputed by every verifier from (c, s): they are public.
  Publish(t2);
  Publish(t3);
  Proof proof;
  proof.c = Challenge(pk, m, z, t2, t3, mode);
  proof.s = r - proof.c * k;
  Publish(proof.s);
  return proof;
}

Result<EdPoint> DecodePublic(const Point& p, const char* what) {
  auto e = EdPoint::FromPoint(p);
  if (!e.ok()) return e.status().WithContext(what);
  return e;
}

// Shared by BlindEvaluate and PartialEvaluate: evaluated = k * blinded with its proof.
Result<Evaluation> EvaluateWithProof(const Scalar& k, const Point& pk, const Point& blinded,
                                     const Scalar& nonce, Mode mode) {
  if (blinded.IsIdentity()) return InvalidArgumentError("oprf: blinded element is the identity");
  Evaluation ev;
  ev.element = blinded.Mul(k);
  Publish(ev.element);  // the answer itself
  if (ev.element.IsIdentity() || pk.IsIdentity()) {
    return InvalidArgumentError("oprf: evaluation key is zero");
  }
  ev.proof = GenerateProof(k, pk, blinded, ev.element, nonce, mode);
  return ev;
}

Bytes FinalizeTranscript(ByteView input, const Point& unblinded) {
  Bytes t;
  AppendFramed(&t, input);
  AppendFramed(&t, unblinded.bytes());
  AppendLabel(&t, "Finalize");
  return t;
}

}  // namespace

Bytes ContextString(Mode mode) {
  Bytes ctx = ToBytes(AsBytes(kContextPrefix));
  ctx.push_back(static_cast<uint8_t>(mode));
  AppendLabel(&ctx, kSuiteIdentifier);
  return ctx;
}

std::array<uint8_t, Proof::kSize> Proof::Encode() const {
  std::array<uint8_t, kSize> out{};
  std::copy(c.bytes().begin(), c.bytes().end(), out.begin());
  std::copy(s.bytes().begin(), s.bytes().end(), out.begin() + 32);
  return out;
}

Result<Proof> Proof::Decode(ByteView b) {
  if (b.size() != kSize) {
    return InvalidArgumentError("oprf proof: expected 64 bytes, got " + std::to_string(b.size()));
  }
  auto c = Scalar::Decode(b.first(32));
  if (!c.ok()) return c.status().WithContext("oprf proof: c");
  auto s = Scalar::Decode(b.subspan(32));
  if (!s.ok()) return s.status().WithContext("oprf proof: s");
  return Proof{*c, *s};
}

Result<Blinded> Blind(ByteView input, Mode mode) {
  Scalar blind = Scalar::Random();  // libsodium: uniform and nonzero
  auto out = BlindWith(input, blind, mode);
  blind.Wipe();
  return out;
}

Result<Blinded> BlindWith(ByteView input, const Scalar& blind, Mode mode) {
  HITO_RETURN_IF_ERROR(CheckInputSize(input));
  const Point t = HashToGroup(input, Dst("HashToGroup-", mode));
  if (t.IsIdentity()) return InvalidArgumentError("oprf: input hashes to the identity");
  Blinded out;
  out.element = t.Mul(blind);
  Publish(out.element);  // sent to the evaluators
  // T is not the identity, so only a zero blind gives the identity here; checking the
  // published element rather than the secret keeps the check off the blind.
  if (out.element.IsIdentity()) return InvalidArgumentError("oprf: blind is zero");
  out.blind = blind;
  return out;
}

Result<Evaluation> BlindEvaluate(const Scalar& sk, const Point& blinded, Mode mode) {
  Scalar nonce = Scalar::Random();
  auto out = BlindEvaluateWithNonce(sk, blinded, nonce, mode);
  nonce.Wipe();
  return out;
}

Result<Evaluation> BlindEvaluateWithNonce(const Scalar& sk, const Point& blinded,
                                          const Scalar& nonce, Mode mode) {
  Point pk = Point::MulBase(sk);
  Publish(pk);
  return EvaluateWithProof(sk, pk, blinded, nonce, mode);
}

Status VerifyProof(const Point& pk, const Point& blinded, const Point& evaluated,
                   const Proof& proof, Mode mode) {
  if (pk.IsIdentity() || blinded.IsIdentity() || evaluated.IsIdentity()) {
    return InvalidArgumentError(
        "oprf proof: public key, blinded or evaluated element is the identity");
  }
  HITO_ASSIGN_OR_RETURN(const EdPoint pk_e, DecodePublic(pk, "oprf proof: public key"));
  HITO_ASSIGN_OR_RETURN(const EdPoint c_e, DecodePublic(blinded, "oprf proof: blinded"));
  HITO_ASSIGN_OR_RETURN(const EdPoint d_e, DecodePublic(evaluated, "oprf proof: evaluated"));
  const Scalar d0 = CompositeWeight(pk, blinded, evaluated, mode);
  const Point m = MsmVartime(std::array{d0}, std::array{c_e}).ToPoint();
  const Point z = MsmVartime(std::array{d0}, std::array{d_e}).ToPoint();
  // t2 = s*G + c*pk;  t3 = s*M + c*Z = (s*d0)*C + (c*d0)*D.
  const Point t2 =
      MsmVartime(std::array{proof.s, proof.c}, std::array{EdPoint::Base(), pk_e}).ToPoint();
  const Point t3 =
      MsmVartime(std::array{proof.s * d0, proof.c * d0}, std::array{c_e, d_e}).ToPoint();
  if (!(Challenge(pk, m, z, t2, t3, mode) == proof.c)) {
    return InvalidArgumentError("oprf proof: does not verify");
  }
  return Status::Ok();
}

Result<Output> Finalize(ByteView input, const Scalar& blind, const Point& evaluated,
                        const Point& blinded, const Point& pk, const Proof& proof, Mode mode) {
  HITO_RETURN_IF_ERROR(VerifyProof(pk, blinded, evaluated, proof, mode));
  return FinalizeCombined(input, blind, evaluated);
}

Result<Output> FinalizeCombined(ByteView input, const Scalar& blind, const Point& evaluated) {
  HITO_RETURN_IF_ERROR(CheckInputSize(input));
  if (evaluated.IsIdentity())
    return InvalidArgumentError("oprf: evaluated element is the identity");
  // blind is nonzero (Blind and BlindWith guarantee it), so its inverse exists.
  Scalar inverse = blind.Invert();
  Point unblinded = evaluated.Mul(inverse);
  Bytes transcript = FinalizeTranscript(input, unblinded);
  Output out{};
  crypto_hash_sha512(out.data(), transcript.data(), transcript.size());
  inverse.Wipe();
  SecureWipe(transcript.data(), transcript.size());
  SecureWipe(&unblinded, sizeof(unblinded));
  return out;
}

Tag TagOf(const Output& output) {
  Tag tag{};
  std::copy_n(output.begin(), kTagSize, tag.begin());
  return tag;
}

// ---- Threshold ----

Result<std::vector<KeyShare>> ShareKey(const Scalar& k, uint16_t threshold, uint16_t n) {
  if (threshold == 0 || threshold > n || n > kMaxParticipants) {
    return InvalidArgumentError("oprf: sharing needs 1 <= t <= n <= 256, got t=" +
                                std::to_string(threshold) + " n=" + std::to_string(n));
  }
  if (Point::MulBase(k).IsIdentity()) return InvalidArgumentError("oprf: key is zero");
  // f(x) = k + a_1 x + ... + a_{t-1} x^{t-1}, coefficients from libsodium's RNG.
  std::vector<Scalar> coefficients{k};
  for (uint16_t j = 1; j < threshold; ++j) coefficients.push_back(Scalar::Random());
  std::vector<KeyShare> shares;
  shares.reserve(n);
  for (uint16_t i = 1; i <= n; ++i) {
    const Scalar x = Scalar::FromU64(i);
    Scalar y;  // Horner: ((a_{t-1} x + a_{t-2}) x + ...) x + k
    for (size_t j = coefficients.size(); j-- > 0;) y = y * x + coefficients[j];
    KeyShare share{i, y, Point::MulBase(y)};
    Publish(share.public_share);
    shares.push_back(share);
    share.Wipe();
    y.Wipe();
  }
  for (Scalar& a : coefficients) a.Wipe();
  HITO_ASSERT(shares.size() == n);
  return shares;
}

std::array<uint8_t, EvaluationShare::kSize> EvaluationShare::Encode() const {
  std::array<uint8_t, kSize> out{};
  out[0] = static_cast<uint8_t>(index >> 8);
  out[1] = static_cast<uint8_t>(index & 0xff);
  std::copy(element.bytes().begin(), element.bytes().end(), out.begin() + 2);
  const auto p = proof.Encode();
  std::copy(p.begin(), p.end(), out.begin() + 34);
  return out;
}

Result<EvaluationShare> EvaluationShare::Decode(ByteView b) {
  if (b.size() != kSize) {
    return InvalidArgumentError("oprf share: expected " + std::to_string(kSize) + " bytes, got " +
                                std::to_string(b.size()));
  }
  EvaluationShare share;
  share.index = static_cast<uint16_t>((b[0] << 8) | b[1]);
  if (share.index == 0 || share.index > kMaxParticipants) {
    return InvalidArgumentError("oprf share: index " + std::to_string(share.index) +
                                " outside 1..256");
  }
  auto z = Point::Decode(b.subspan(2, 32));  // canonical, not the identity
  if (!z.ok()) return z.status().WithContext("oprf share: element");
  share.element = *z;
  HITO_ASSIGN_OR_RETURN(share.proof, Proof::Decode(b.subspan(34)));
  return share;
}

Result<EvaluationShare> PartialEvaluate(const KeyShare& share, const Point& blinded) {
  Scalar nonce = Scalar::Random();
  auto out = PartialEvaluateWithNonce(share, blinded, nonce);
  nonce.Wipe();
  return out;
}

Result<EvaluationShare> PartialEvaluateWithNonce(const KeyShare& share, const Point& blinded,
                                                 const Scalar& nonce) {
  if (share.index == 0 || share.index > kMaxParticipants) {
    return InvalidArgumentError("oprf: share index " + std::to_string(share.index) +
                                " outside 1..256");
  }
  HITO_ASSIGN_OR_RETURN(Evaluation ev, EvaluateWithProof(share.secret, share.public_share, blinded,
                                                         nonce, Mode::kVoprf));
  return EvaluationShare{share.index, ev.element, ev.proof};
}

Status VerifyShare(const Point& public_share, const Point& blinded, const EvaluationShare& share) {
  Status st = VerifyProof(public_share, blinded, share.element, share.proof, Mode::kVoprf);
  if (!st.ok()) return st.WithContext("oprf share " + std::to_string(share.index));
  return Status::Ok();
}

Result<std::vector<Scalar>> LagrangeAtZero(std::span<const uint16_t> indices) {
  if (indices.empty()) return InvalidArgumentError("oprf: no shares to combine");
  std::set<uint16_t> seen;
  for (uint16_t i : indices) {
    if (i == 0 || i > kMaxParticipants) {
      return InvalidArgumentError("oprf: share index " + std::to_string(i) + " outside 1..256");
    }
    if (!seen.insert(i).second) {
      return InvalidArgumentError("oprf: share index " + std::to_string(i) + " repeated");
    }
  }
  std::vector<Scalar> lambdas;
  lambdas.reserve(indices.size());
  for (uint16_t i : indices) {
    Scalar num = Scalar::One(), den = Scalar::One();
    for (uint16_t j : indices) {
      if (j == i) continue;
      num *= Scalar::FromU64(j);
      den *= Scalar::FromU64(j) - Scalar::FromU64(i);
    }
    lambdas.push_back(num * den.Invert());  // den != 0: indices are distinct mod l
  }
  return lambdas;
}

Result<Point> Combine(std::span<const EvaluationShare> shares) {
  std::vector<uint16_t> indices;
  std::vector<EdPoint> elements;
  for (const EvaluationShare& s : shares) {
    indices.push_back(s.index);
    if (s.element.IsIdentity()) {
      return InvalidArgumentError("oprf share " + std::to_string(s.index) + ": identity element");
    }
    HITO_ASSIGN_OR_RETURN(EdPoint e, DecodePublic(s.element, "oprf share: element"));
    elements.push_back(e);
  }
  HITO_ASSIGN_OR_RETURN(const std::vector<Scalar> lambdas, LagrangeAtZero(indices));
  return MsmVartime(lambdas, elements).ToPoint();
}

Result<Combined> VerifyAndCombine(std::span<const PublicShare> validators, const Point& blinded,
                                  std::span<const EvaluationShare> shares, uint16_t threshold) {
  if (threshold == 0) return InvalidArgumentError("oprf: threshold is zero");
  std::set<uint16_t> seen;
  Combined out;
  std::vector<EvaluationShare> good;
  for (const EvaluationShare& s : shares) {
    if (!seen.insert(s.index).second) {
      return InvalidArgumentError("oprf share " + std::to_string(s.index) + ": repeated index");
    }
    auto v = std::find_if(validators.begin(), validators.end(),
                          [&](const PublicShare& p) { return p.index == s.index; });
    if (v == validators.end()) {
      return InvalidArgumentError("oprf share " + std::to_string(s.index) + ": unknown validator");
    }
    if (good.size() == threshold) continue;  // enough already; the rest are not needed
    if (VerifyShare(v->key, blinded, s).ok()) {
      good.push_back(s);
      out.used.push_back(s.index);
    } else {
      out.refused.push_back(s.index);
    }
  }
  if (good.size() < threshold) {
    std::string refused;
    for (uint16_t i : out.refused) refused += " " + std::to_string(i);
    return FailedPreconditionError(
        "oprf: " + std::to_string(good.size()) + " good shares of " + std::to_string(threshold) +
        " needed; refused proofs from:" + (refused.empty() ? std::string(" none") : refused));
  }
  HITO_ASSIGN_OR_RETURN(out.element, Combine(good));
  return out;
}

}  // namespace hito::zk::oprf
