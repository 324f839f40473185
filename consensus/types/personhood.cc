#include "consensus/types/personhood.h"

#include <sodium.h>

#include <algorithm>

#include "base/assert.h"
#include "base/hash.h"
#include "consensus/types/limits.h"
#include "consensus/types/transaction.h"

namespace hito::consensus::types {
namespace {

constexpr std::string_view kDedupTagLabel = "hito/v1/dedup-tag";
constexpr std::string_view kAttestationSignLabel = "hito/v1/attestation-sign";
constexpr std::string_view kAttestationIdLabel = "hito/v1/attestation-id";
constexpr std::string_view kPossessionLabel = "hito/v1/register-possession";
constexpr std::string_view kRevokeSignLabel = "hito/v1/revoke-sign";
constexpr std::string_view kCommitmentLabel = "hito/v1/identity-commitment";
constexpr std::string_view kClaimContextPrefix = "ubi/";
constexpr std::string_view kClaimMessageLabel = "hito/v1/claim-message";

std::string Path(std::string_view prefix, std::string_view field) {
  std::string s(prefix);
  s += '.';
  s += field;
  return s;
}

}  // namespace

Hash32 DedupTag(const DedupKey& key, std::string_view handle) {
  Writer w;
  WriteSigningLabel(&w, kDedupTagLabel);
  w.Raw(AsBytes(handle));
  Hash32 out;
  const Bytes& in = w.bytes();
  const int rc =
      crypto_generichash(out.data(), out.size(), in.data(), in.size(), key.data(), key.size());
  HITO_ASSERT(rc == 0);  // fails only on out-of-range lengths, which are constants here
  return out;
}

Bytes AttestationSigningBytes(const Attestation& a) {
  return EncodeWith([&](Writer* w) {
    WriteSigningLabel(w, kAttestationSignLabel);
    w->String(a.chain_id);
    w->Fixed(a.identity);
    w->Fixed(a.dedup_tag);
    w->U64(a.expiry_epoch);
  });
}

void SignAttestation(Attestation* a, const Ed25519PrivateKey& key) {
  a->attester = key.public_key();
  a->signature = key.Sign(AttestationSigningBytes(*a));
}

bool VerifyAttestationSignature(const Attestation& a) {
  return Ed25519Verify(a.attester, AttestationSigningBytes(a), a.signature);
}

Hash32 AttestationId(const Attestation& a) {
  Hasher h(kAttestationIdLabel);
  h.Update(a.attester);
  h.Update(AttestationSigningBytes(a));
  return h.Finish();
}

Bytes PossessionMessage(const Attestation& a) {
  return EncodeWith([&](Writer* w) {
    WriteSigningLabel(w, kPossessionLabel);
    WriteAttestation(w, a);
  });
}

void WriteAttestation(Writer* w, const Attestation& a) {
  w->String(a.chain_id);
  w->Fixed(a.attester);
  w->Fixed(a.identity);
  w->Fixed(a.dedup_tag);
  w->U64(a.expiry_epoch);
  w->Fixed(a.signature);
}

Status ReadAttestation(Reader* r, std::string_view what, Attestation* a) {
  const std::string chain = Path(what, "chain_id");
  HITO_RETURN_IF_ERROR(r->String(chain, kChainIdMaxLen, &a->chain_id));
  HITO_RETURN_IF_ERROR(ValidateChainId(chain, a->chain_id));
  HITO_RETURN_IF_ERROR(r->Fixed(Path(what, "attester"), &a->attester));
  HITO_RETURN_IF_ERROR(r->Fixed(Path(what, "identity"), &a->identity));
  HITO_RETURN_IF_ERROR(r->Fixed(Path(what, "dedup_tag"), &a->dedup_tag));
  HITO_RETURN_IF_ERROR(r->U64(Path(what, "expiry_epoch"), &a->expiry_epoch));
  HITO_RETURN_IF_ERROR(r->Fixed(Path(what, "signature"), &a->signature));
  return Status::Ok();
}

Bytes EncodeAttestation(const Attestation& a) {
  return EncodeWith([&](Writer* w) { WriteAttestation(w, a); });
}

Result<Attestation> DecodeAttestation(ByteView bytes) {
  return DecodeWhole<Attestation>(bytes, "attestation", [](Reader* r, Attestation* a) {
    return ReadAttestation(r, "attestation", a);
  });
}

void WriteRegistrationBody(Writer* w, const Registration& reg) {
  WriteAttestation(w, reg.attestation);
  w->Fixed(reg.possession);
}

Status ReadRegistrationBody(Reader* r, Registration* reg) {
  HITO_RETURN_IF_ERROR(ReadAttestation(r, "register.attestation", &reg->attestation));
  return r->Fixed("register.possession", &reg->possession);
}

void WriteRevocationUnsigned(Writer* w, const Revocation& rev) {
  w->U8(kTxVersion);
  w->U8(static_cast<uint8_t>(TxKind::kRevoke));
  w->String(rev.chain_id);
  w->Fixed(rev.attester);
  w->Fixed(rev.identity);
}

Status ReadRevocationBody(Reader* r, Revocation* rev) {
  HITO_RETURN_IF_ERROR(r->String("revoke.chain_id", kChainIdMaxLen, &rev->chain_id));
  HITO_RETURN_IF_ERROR(ValidateChainId("revoke.chain_id", rev->chain_id));
  HITO_RETURN_IF_ERROR(r->Fixed("revoke.attester", &rev->attester));
  HITO_RETURN_IF_ERROR(r->Fixed("revoke.identity", &rev->identity));
  return r->Fixed("revoke.signature", &rev->signature);
}

Bytes RevocationSigningBytes(const Revocation& rev) {
  return EncodeWith([&](Writer* w) {
    WriteSigningLabel(w, kRevokeSignLabel);
    WriteRevocationUnsigned(w, rev);
  });
}

void SignRevocation(Revocation* rev, const Ed25519PrivateKey& key) {
  rev->attester = key.public_key();
  rev->signature = key.Sign(RevocationSigningBytes(*rev));
}

bool VerifyRevocationSignature(const Revocation& rev) {
  return Ed25519Verify(rev.attester, RevocationSigningBytes(rev), rev.signature);
}

Bytes CommitmentPossessionMessage(std::string_view chain_id, const IdentityPoint& identity,
                                  uint16_t kind, const Hash32& value) {
  return EncodeWith([&](Writer* w) {
    WriteSigningLabel(w, kCommitmentLabel);
    w->String(chain_id);
    w->Fixed(identity);
    w->U16(kind);
    w->Fixed(value);
  });
}

std::string ClaimContext(uint64_t epoch) {
  std::string out(kClaimContextPrefix);
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((epoch >> shift) & 0xff));
  }
  return out;
}

Bytes ClaimMessage(std::string_view chain_id, uint64_t epoch, uint32_t cohort,
                   const Hash32& recipient) {
  return EncodeWith([&](Writer* w) {
    WriteSigningLabel(w, kClaimMessageLabel);
    w->String(chain_id);
    w->U64(epoch);
    w->U32(cohort);
    w->Fixed(recipient);
  });
}

Hash32 ClaimNullifier(const Claim& c) {
  HITO_ASSERT(c.proof.size() >= 32);
  Hash32 out;
  std::copy(c.proof.begin(), c.proof.begin() + 32, out.begin());
  return out;
}

void WriteClaimBody(Writer* w, const Claim& c) {
  w->U64(c.epoch);
  w->U32(c.cohort);
  w->Fixed(c.recipient);
  w->VarBytes(c.proof);
}

Status ReadClaimBody(Reader* r, Claim* c) {
  HITO_RETURN_IF_ERROR(r->U64("claim.epoch", &c->epoch));
  HITO_RETURN_IF_ERROR(r->U32("claim.cohort", &c->cohort));
  HITO_RETURN_IF_ERROR(r->Fixed("claim.recipient", &c->recipient));
  HITO_RETURN_IF_ERROR(r->VarBytes("claim.proof", kClaimProofMaxBytes, &c->proof));
  // Only the sizes 32 * (8 + 5m), m = 2..8, are proofs; the ledger decodes the points.
  const size_t n = c->proof.size();
  if (n < kClaimProofMinBytes || n % 32 != 0 || (n / 32 - 8) % 5 != 0) {
    return InvalidArgumentError("claim.proof: " + std::to_string(n) +
                                " bytes is not the size of a membership proof");
  }
  return Status::Ok();
}

}  // namespace hito::consensus::types
