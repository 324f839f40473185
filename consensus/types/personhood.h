// Personhood: attestations, registrations, revocations and the dedup tag, with their one
// canonical encoding and signing bytes (docs/protocol/personhood.md).
//
//   attestation  = chain_id:str(<=64) attester:pubkey32 identity:point32 dedup_tag:hash32
//                  expiry_epoch:u64 signature:sig64
//   register     = attestation possession:bytes64        (transaction kind 2)
//   revoke       = chain_id:str(<=64) attester:pubkey32 identity:point32 signature:sig64
//                                                         (transaction kind 6)
//   claim        = epoch:u64 cohort:u32 recipient:account32 proof:bytes(<=1536)
//                                                         (transaction kind 3)
// An identity point is the 32-byte ristretto255 encoding of P = sk*G; this module keeps
// it opaque (the ledger decodes it), so the wallet can build and sign without zk/. The
// dedup tag is 32 opaque bytes everywhere: only DedupTag knows how it is derived.
// Pure functions; thread-safe.
#ifndef HITO_CONSENSUS_TYPES_PERSONHOOD_H_
#define HITO_CONSENSUS_TYPES_PERSONHOOD_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/ed25519.h"
#include "base/status.h"
#include "consensus/types/codec.h"

namespace hito::consensus::types {

using IdentityPoint = std::array<uint8_t, 32>;    // ristretto255 encoding of P
using PossessionProof = std::array<uint8_t, 64>;  // zk::proof::SchnorrProof encoding R || s
// The secret key under which an attester derives dedup tags (today: keyed BLAKE2b).
using DedupKey = std::array<uint8_t, 32>;

inline constexpr size_t kDedupHandleMaxLen = 1024;

// The one derivation of a dedup tag from a person's canonical real-world handle:
// BLAKE2b-256 keyed with `key` over len(label):u8 || "hito/v1/dedup-tag" || handle.
// Everything else treats the tag as 32 opaque bytes, so replacing this derivation by a
// threshold OPRF of the validators changes this function and nothing else.
Hash32 DedupTag(const DedupKey& key, std::string_view handle);

// An attester's statement that the holder of P is a person it checked, identified among
// its attestations by the dedup tag, until (excluding) epoch `expiry_epoch`.
struct Attestation {
  std::string chain_id;
  Ed25519PublicKey attester{};
  IdentityPoint identity{};
  Hash32 dedup_tag{};
  uint64_t expiry_epoch = 0;
  Ed25519Signature signature{};

  friend bool operator==(const Attestation&, const Attestation&) = default;
};

// Label "hito/v1/attestation-sign" framing, then chain_id:str identity dedup_tag
// expiry_epoch:u64. The signed statement is exactly (chain id, P, tag, expiry).
Bytes AttestationSigningBytes(const Attestation& a);
void SignAttestation(Attestation* a, const Ed25519PrivateKey& key);  // fills the signature
[[nodiscard]] bool VerifyAttestationSignature(const Attestation& a);
// What makes an attestation single-use: BLAKE2b-256 "hito/v1/attestation-id" of the
// attester key and the signing bytes. The signature is left out on purpose: a second
// signature over the same statement is the same attestation.
Hash32 AttestationId(const Attestation& a);
// The message the registrant's Schnorr proof of possession is bound to: label
// "hito/v1/register-possession" framing, then the full attestation encoding (chain id
// and attester signature included), so a proof is useless for another chain, another
// attestation or another P.
Bytes PossessionMessage(const Attestation& a);

Bytes EncodeAttestation(const Attestation& a);
Result<Attestation> DecodeAttestation(ByteView bytes);  // strict, whole buffer

struct Registration {
  Attestation attestation;
  PossessionProof possession{};  // Schnorr proof of knowledge of log_G(P)

  friend bool operator==(const Registration&, const Registration&) = default;
};

// An attester withdraws an identity it issued (its record's attester).
struct Revocation {
  std::string chain_id;
  Ed25519PublicKey attester{};
  IdentityPoint identity{};
  Ed25519Signature signature{};

  friend bool operator==(const Revocation&, const Revocation&) = default;
};

// A UBI claim (docs/protocol/ubi.md): a membership proof that its maker is a live member
// of cohort `cohort` in the snapshot of epoch `epoch`, bound to ClaimMessage, with the
// proof's tag as the claim's nullifier. No signature, fee or nonce: the proof is the
// authorisation. The proof stays opaque bytes here (the ledger decodes it strictly), so
// its length is all this module checks: ProofSize(m) = 32 * (8 + 5m) for m in 2..8.
struct Claim {
  uint64_t epoch = 0;
  uint32_t cohort = 0;
  Hash32 recipient{};  // an AccountId
  Bytes proof;

  friend bool operator==(const Claim&, const Claim&) = default;
};
inline constexpr size_t kClaimProofMinBytes = 32 * (8 + 5 * 2);
inline constexpr size_t kClaimProofMaxBytes = 32 * (8 + 5 * 8);
// The proof's context, derived from the epoch alone in one binary form: the 4 bytes
// "ubi/" then epoch:u64 big-endian (12 bytes). Never taken from a transaction, so no
// second spelling of an epoch ("ubi/42", "ubi/042") names the same context.
std::string ClaimContext(uint64_t epoch);
// The message the proof is bound to: label "hito/v1/claim-message" framing, then
// chain_id:str epoch:u64 cohort:u32 recipient:32. A recipient changed in transit breaks
// the proof.
Bytes ClaimMessage(std::string_view chain_id, uint64_t epoch, uint32_t cohort,
                   const Hash32& recipient);
// The claim's nullifier: the proof's tag J (its first 32 bytes, spec section 4).
// Requires proof.size() >= 32 (every decoded claim has it).
Hash32 ClaimNullifier(const Claim& c);

// Label "hito/v1/revoke-sign" framing, then the transaction encoding without the
// signature (version, kind, chain id, attester, identity).
Bytes RevocationSigningBytes(const Revocation& r);
void SignRevocation(Revocation* r, const Ed25519PrivateKey& key);
[[nodiscard]] bool VerifyRevocationSignature(const Revocation& r);

// The message bound by the owner's proof of possession when adding a public commitment
// to their identity record: label "hito/v1/identity-commitment" framing, chain_id:str,
// identity, kind:u16, value:hash32.
Bytes CommitmentPossessionMessage(std::string_view chain_id, const IdentityPoint& identity,
                                  uint16_t kind, const Hash32& value);

// Bodies in place inside a transaction (transaction.cc); `what` prefixes error paths.
void WriteAttestation(Writer* w, const Attestation& a);
Status ReadAttestation(Reader* r, std::string_view what, Attestation* a);
void WriteRegistrationBody(Writer* w, const Registration& reg);
Status ReadRegistrationBody(Reader* r, Registration* reg);
void WriteRevocationUnsigned(Writer* w, const Revocation& rev);  // version and kind too
Status ReadRevocationBody(Reader* r, Revocation* rev);
void WriteClaimBody(Writer* w, const Claim& c);
Status ReadClaimBody(Reader* r, Claim* c);

}  // namespace hito::consensus::types

#endif  // HITO_CONSENSUS_TYPES_PERSONHOOD_H_
