// Personhood encodings (consensus/types/personhood.h): register (kind 2), revoke (kind 6)
// and claim (kind 3) round trips inside transactions, strictness (truncation at every
// offset, trailing bytes, bad chain id, claim proofs of any length but 32 * (8 + 5m) for
// m = 2..8), the standalone attestation encoding, what each signature and the
// proof-of-possession message bind, the single-use attestation id, DedupTag (keyed:
// another key gives another tag; the handle stays hidden behind the key), and kind 7
// still reserved (4 and 5 are governance, governance_test.cc).
#include "consensus/types/personhood.h"

#include <gtest/gtest.h>

#include "base/hash.h"
#include "consensus/types/transaction.h"
#include "tests/unit/types/test_util.h"

namespace hito::consensus::types {
namespace {

using testing::HasMessage;

TEST(PersonhoodTest, RegistrationRoundTripsAsKind2) {
  const Transaction tx{testing::SampleRegistration()};
  EXPECT_EQ(tx.kind(), TxKind::kRegister);
  const Bytes enc = EncodeTransaction(tx);
  EXPECT_EQ(enc[0], kTxVersion);
  EXPECT_EQ(enc[1], 2);
  // version, kind, chain id (4 + 11), attester, identity, tag, expiry, signature, proof
  EXPECT_EQ(enc.size(), 2u + 15 + 32 + 32 + 32 + 8 + 64 + 64);
  Result<Transaction> back = DecodeTransaction(enc);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, tx);
  testing::ExpectStrict(enc, [](ByteView b) { return DecodeTransaction(b); });
}

TEST(PersonhoodTest, RevocationRoundTripsAsKind6) {
  const Transaction tx{testing::SignedRevocationSample()};
  EXPECT_EQ(tx.kind(), TxKind::kRevoke);
  EXPECT_EQ(TxKindName(TxKind::kRevoke), "revoke");
  const Bytes enc = EncodeTransaction(tx);
  EXPECT_EQ(enc[1], 6);
  EXPECT_EQ(enc.size(), 2u + 15 + 32 + 32 + 64);
  Result<Transaction> back = DecodeTransaction(enc);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, tx);
  testing::ExpectStrict(enc, [](ByteView b) { return DecodeTransaction(b); });
}

TEST(PersonhoodTest, DecoderNamesFieldsAndRejectsBadChainIds) {
  const Bytes enc = EncodeTransaction(Transaction{testing::SampleRegistration()});
  Result<Transaction> r = DecodeTransaction(ByteView(enc.data(), enc.size() - 1));
  EXPECT_TRUE(HasMessage(r.status(), "register.possession: truncated")) << r.status().ToString();
  Registration bad = testing::SampleRegistration();
  bad.attestation.chain_id = "Hito";
  r = DecodeTransaction(EncodeTransaction(Transaction{bad}));
  EXPECT_TRUE(HasMessage(r.status(), "register.attestation.chain_id")) << r.status().ToString();
  Revocation rev = testing::SignedRevocationSample();
  rev.chain_id = "";
  r = DecodeTransaction(EncodeTransaction(Transaction{rev}));
  EXPECT_TRUE(HasMessage(r.status(), "revoke.chain_id")) << r.status().ToString();
}

TEST(PersonhoodTest, AttestationEncodingIsStrict) {
  const Attestation a = testing::SignedAttestation();
  const Bytes enc = EncodeAttestation(a);
  EXPECT_EQ(*DecodeAttestation(enc), a);
  testing::ExpectStrict(enc, [](ByteView b) { return DecodeAttestation(b); });
}

TEST(PersonhoodTest, AttestationSignatureBindsChainPointTagAndExpiry) {
  const Attestation a = testing::SignedAttestation();
  EXPECT_TRUE(VerifyAttestationSignature(a));
  std::vector<Attestation> changed(5, a);
  changed[0].chain_id = "hito-test-2";
  changed[1].identity[0] ^= 1;
  changed[2].dedup_tag[31] ^= 1;
  changed[3].expiry_epoch += 1;
  changed[4].attester = testing::Key(5).public_key();
  for (const Attestation& c : changed) EXPECT_FALSE(VerifyAttestationSignature(c));
  // The signing bytes start with the framed label, so they are never another message.
  const Bytes sb = AttestationSigningBytes(a);
  const std::string_view label = "hito/v1/attestation-sign";
  ASSERT_GT(sb.size(), label.size() + 1);
  EXPECT_EQ(sb[0], label.size());
  EXPECT_EQ(std::string(sb.begin() + 1, sb.begin() + 1 + label.size()), label);
}

TEST(PersonhoodTest, AttestationIdIgnoresTheSignatureButNotTheStatementOrSigner) {
  const Attestation a = testing::SignedAttestation();
  Attestation resigned = a;
  resigned.signature[0] ^= 1;  // a different signature over the same statement
  EXPECT_EQ(AttestationId(resigned), AttestationId(a));
  Attestation later = a;
  later.expiry_epoch += 1;
  EXPECT_NE(AttestationId(later), AttestationId(a));
  Attestation other_signer = a;
  other_signer.attester = testing::Key(5).public_key();
  EXPECT_NE(AttestationId(other_signer), AttestationId(a));
}

TEST(PersonhoodTest, PossessionMessageBindsTheWholeAttestation) {
  const Attestation a = testing::SignedAttestation();
  Attestation other_chain = a;
  other_chain.chain_id = "hito-test-2";
  Attestation other_sig = a;
  other_sig.signature[1] ^= 1;
  EXPECT_NE(PossessionMessage(a), PossessionMessage(other_chain));
  EXPECT_NE(PossessionMessage(a), PossessionMessage(other_sig));
  EXPECT_NE(PossessionMessage(a), AttestationSigningBytes(a));
}

TEST(PersonhoodTest, RevocationSignatureBindsChainAndIdentity) {
  const Revocation r = testing::SignedRevocationSample();
  EXPECT_TRUE(VerifyRevocationSignature(r));
  Revocation moved = r;
  moved.identity[0] ^= 1;
  EXPECT_FALSE(VerifyRevocationSignature(moved));
  Revocation elsewhere = r;
  elsewhere.chain_id = "hito-test-2";
  EXPECT_FALSE(VerifyRevocationSignature(elsewhere));
}

TEST(PersonhoodTest, DedupTagIsKeyedAndDeterministic) {
  DedupKey k1;
  k1.fill(1);
  DedupKey k2;
  k2.fill(2);
  EXPECT_EQ(DedupTag(k1, "alice"), DedupTag(k1, "alice"));
  EXPECT_NE(DedupTag(k1, "alice"), DedupTag(k1, "bob"));
  EXPECT_NE(DedupTag(k1, "alice"), DedupTag(k2, "alice"));
  // Not an unkeyed hash of the handle, which anyone could compute from a guess.
  EXPECT_NE(DedupTag(k1, "alice"), DomainHash("hito/v1/dedup-tag", AsBytes("alice")));
}

// A claim whose proof is `proof_bytes` long; the bytes are not a proof (this module only
// checks the length, the ledger decodes the points).
Claim ClaimWithProofBytes(size_t proof_bytes) {
  Claim c;
  c.epoch = 0x0102030405060708;
  c.cohort = 0x0a0b0c0d;
  c.recipient = testing::H("recipient");
  c.proof.resize(proof_bytes);
  for (size_t i = 0; i < proof_bytes; ++i) c.proof[i] = static_cast<uint8_t>(i * 7 + 1);
  return c;
}

size_t ClaimProofBytes(size_t m) { return 32 * (8 + 5 * m); }

TEST(PersonhoodTest, ClaimRoundTripsAsKind3ForEveryProofSize) {
  for (size_t m = 2; m <= 8; ++m) {
    const Transaction tx{ClaimWithProofBytes(ClaimProofBytes(m))};
    EXPECT_EQ(tx.kind(), TxKind::kClaim);
    const Bytes enc = EncodeTransaction(tx);
    EXPECT_EQ(enc[0], kTxVersion);
    EXPECT_EQ(enc[1], 3);
    // version, kind, epoch, cohort, recipient, proof length, proof
    ASSERT_EQ(enc.size(), 2u + 8 + 4 + 32 + 4 + ClaimProofBytes(m)) << "m = " << m;
    EXPECT_EQ(enc[2], 0x01);   // epoch big-endian
    EXPECT_EQ(enc[10], 0x0a);  // cohort big-endian
    Result<Transaction> back = DecodeTransaction(enc);
    ASSERT_TRUE(back.ok()) << "m = " << m << ": " << back.status().ToString();
    EXPECT_EQ(*back, tx);
  }
  EXPECT_EQ(kClaimProofMinBytes, ClaimProofBytes(2));
  EXPECT_EQ(kClaimProofMaxBytes, ClaimProofBytes(8));
  EXPECT_EQ(TxKindName(TxKind::kClaim), "claim");
}

TEST(PersonhoodTest, ClaimTruncatedAnywhereOrWithTrailingBytesIsRefused) {
  const Bytes enc = EncodeTransaction(Transaction{ClaimWithProofBytes(ClaimProofBytes(2))});
  testing::ExpectStrict(enc, [](ByteView b) { return DecodeTransaction(b); });
}

TEST(PersonhoodTest, ClaimProofOfAnotherLengthIsRefused) {
  const size_t min = ClaimProofBytes(2);
  const size_t max = ClaimProofBytes(8);
  // Not 32 * (8 + 5m) for any m in 2..8: empty, shorter than the smallest proof (m = 1 and
  // one scalar short), a whole number of scalars between two sizes, a partial scalar.
  for (size_t n : {size_t{0}, size_t{32}, ClaimProofBytes(1), min - 32, min + 32, min + 4 * 32,
                   min + 1, max - 1, max - 32}) {
    const Bytes enc = EncodeTransaction(Transaction{ClaimWithProofBytes(n)});
    Result<Transaction> r = DecodeTransaction(enc);
    ASSERT_FALSE(r.ok()) << n << " proof bytes decoded";
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(HasMessage(r.status(), "claim.proof: " + std::to_string(n) + " bytes is not"))
        << r.status().ToString();
  }
  // Longer than the largest proof (m = 9 and one scalar over): refused at the length prefix.
  for (size_t n : {ClaimProofBytes(9), max + 32}) {
    const Bytes enc = EncodeTransaction(Transaction{ClaimWithProofBytes(n)});
    Result<Transaction> r = DecodeTransaction(enc);
    ASSERT_FALSE(r.ok()) << n << " proof bytes decoded";
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(HasMessage(r.status(), "claim.proof")) << r.status().ToString();
    EXPECT_TRUE(HasMessage(r.status(), "exceeds the maximum of " + std::to_string(max)))
        << r.status().ToString();
  }
}

TEST(PersonhoodTest, ClaimLengthPrefixPastTheEndIsRefused) {
  Bytes enc = EncodeTransaction(Transaction{ClaimWithProofBytes(ClaimProofBytes(2))});
  enc.resize(enc.size() - 32);  // the prefix still says the full proof
  Result<Transaction> r = DecodeTransaction(enc);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasMessage(r.status(), "claim.proof: truncated")) << r.status().ToString();
}

TEST(PersonhoodTest, ValidatorKindStaysReserved) {
  Bytes enc = EncodeTransaction(Transaction{testing::SampleRegistration()});
  enc[1] = static_cast<uint8_t>(TxKind::kValidator);
  EXPECT_EQ(DecodeTransaction(enc).status().code(), StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace hito::consensus::types
