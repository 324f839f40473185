#include "zk/proof/sigma.h"

#include "zk/proof/transcript.h"

namespace hito::zk::proof {
namespace {

// A nonzero uniform nonce whose commitment k*G is not the identity (k != 0 suffices).
Scalar Nonce() {
  for (;;) {
    Scalar k = Scalar::Random();
    if (!k.IsZero()) return k;  // probability 2^-252 of a retry
  }
}

Scalar SchnorrChallenge(const Point& p, ByteView message, const Point& r) {
  Transcript t("hito/v1/schnorr");
  t.AppendPoint("P", p);
  t.Append("message", message);
  t.AppendPoint("R", r);
  return t.ChallengeScalar("c");
}

Scalar DleqChallenge(const Point& h, const Point& p, const Point& q, ByteView message,
                     const Point& r1, const Point& r2) {
  Transcript t("hito/v1/dleq");
  t.AppendPoint("H", h);
  t.AppendPoint("P", p);
  t.AppendPoint("Q", q);
  t.Append("message", message);
  t.AppendPoint("R1", r1);
  t.AppendPoint("R2", r2);
  return t.ChallengeScalar("c");
}

Result<Scalar> DecodeScalarAt(ByteView b, size_t offset, const char* what) {
  auto s = Scalar::Decode(b.subspan(offset, 32));
  if (!s.ok()) return s.status().WithContext(what);
  return s;
}

}  // namespace

std::array<uint8_t, SchnorrProof::kSize> SchnorrProof::Encode() const {
  std::array<uint8_t, kSize> out{};
  std::copy(r.bytes().begin(), r.bytes().end(), out.begin());
  std::copy(s.bytes().begin(), s.bytes().end(), out.begin() + 32);
  return out;
}

Result<SchnorrProof> SchnorrProof::Decode(ByteView b) {
  if (b.size() != kSize) {
    return InvalidArgumentError("schnorr proof: expected 64 bytes, got " +
                                std::to_string(b.size()));
  }
  SchnorrProof p;
  auto r = Point::Decode(b.first(32));
  if (!r.ok()) return r.status().WithContext("schnorr proof: R");
  p.r = *r;
  HITO_ASSIGN_OR_RETURN(p.s, DecodeScalarAt(b, 32, "schnorr proof: s"));
  return p;
}

Result<SchnorrProof> SchnorrProve(const Scalar& x, ByteView message) {
  if (x.IsZero()) return InvalidArgumentError("schnorr: secret is zero");
  Point p = Point::MulBase(x);
  Scalar k = Nonce();
  SchnorrProof proof;
  proof.r = Point::MulBase(k);
  Scalar c = SchnorrChallenge(p, message, proof.r);
  proof.s = k + c * x;
  k.Wipe();
  return proof;
}

Status SchnorrVerify(const Point& p, ByteView message, const SchnorrProof& proof) {
  if (p.IsIdentity()) return InvalidArgumentError("schnorr: public key is the identity");
  if (proof.r.IsIdentity()) return InvalidArgumentError("schnorr: R is the identity");
  Scalar c = SchnorrChallenge(p, message, proof.r);
  if (!(Point::MulBase(proof.s) == proof.r + p.Mul(c))) {
    return InvalidArgumentError("schnorr: proof does not verify");
  }
  return Status::Ok();
}

std::array<uint8_t, DleqProof::kSize> DleqProof::Encode() const {
  std::array<uint8_t, kSize> out{};
  std::copy(c.bytes().begin(), c.bytes().end(), out.begin());
  std::copy(s.bytes().begin(), s.bytes().end(), out.begin() + 32);
  return out;
}

Result<DleqProof> DleqProof::Decode(ByteView b) {
  if (b.size() != kSize) {
    return InvalidArgumentError("dleq proof: expected 64 bytes, got " + std::to_string(b.size()));
  }
  DleqProof p;
  HITO_ASSIGN_OR_RETURN(p.c, DecodeScalarAt(b, 0, "dleq proof: c"));
  HITO_ASSIGN_OR_RETURN(p.s, DecodeScalarAt(b, 32, "dleq proof: s"));
  if (p.c.IsZero()) return InvalidArgumentError("dleq proof: zero challenge");
  return p;
}

Result<DleqProof> DleqProve(const Scalar& x, const Point& h, ByteView message) {
  if (x.IsZero()) return InvalidArgumentError("dleq: secret is zero");
  if (h.IsIdentity()) return InvalidArgumentError("dleq: H is the identity");
  Point p = Point::MulBase(x);
  Point q = h.Mul(x);
  Scalar k = Nonce();
  DleqProof proof;
  proof.c = DleqChallenge(h, p, q, message, Point::MulBase(k), h.Mul(k));
  proof.s = k + proof.c * x;
  k.Wipe();
  return proof;
}

Status DleqVerify(const Point& h, const Point& p, const Point& q, ByteView message,
                  const DleqProof& proof) {
  if (h.IsIdentity() || p.IsIdentity() || q.IsIdentity()) {
    return InvalidArgumentError("dleq: H, P and Q must not be the identity");
  }
  Point r1 = Point::MulBase(proof.s) - p.Mul(proof.c);
  Point r2 = h.Mul(proof.s) - q.Mul(proof.c);
  if (!(DleqChallenge(h, p, q, message, r1, r2) == proof.c)) {
    return InvalidArgumentError("dleq: proof does not verify");
  }
  return Status::Ok();
}

}  // namespace hito::zk::proof
