// Personhood encodings (consensus/types/personhood.h): register (kind 2) and revoke
// (kind 6) round trips inside transactions, strictness (truncation at every offset,
// trailing bytes, bad chain id), the standalone attestation encoding, what each signature
// and the proof-of-possession message bind, the single-use attestation id, and DedupTag
// (keyed: another key gives another tag; the handle stays hidden behind the key).
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

TEST(PersonhoodTest, ClaimAndOtherKindsStayReserved) {
  Bytes enc = EncodeTransaction(Transaction{testing::SampleRegistration()});
  enc[1] = static_cast<uint8_t>(TxKind::kClaim);
  EXPECT_EQ(DecodeTransaction(enc).status().code(), StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace hito::consensus::types
