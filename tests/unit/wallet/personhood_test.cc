// The wallet's offline personhood code: attestation JSON round trip and refusal of
// malformed files (bad JSON, missing or disagreeing fields, bad points, bad signatures),
// identity-point validation, the tag carried as given (it comes from the validators'
// OPRF, tested in tests/unit/node/rpc_dedup_test.cc), the registration's proof of
// possession, and that the nullifier computed locally is the tag of a real claim proof.
#include "wallet/personhood.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/hash.h"
#include "base/hex.h"
#include "zk/point.h"
#include "zk/proof/sigma.h"
#include "zk/proof/triptych.h"

namespace hito::wallet {
namespace {

namespace types = consensus::types;

constexpr std::string_view kChain = "hito-test-1";

class PersonhoodTest : public ::testing::Test {
 protected:
  void SetUp() override { InitCrypto(); }

  types::Attestation Attest(const IdentitySecret& id, uint8_t tag_byte = 0x5a) {
    Hash32 tag{};
    tag.fill(tag_byte);
    auto a = MakeAttestation(kChain, attester_, id.Point(), tag, 12);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return *a;
  }
  // The JSON of a fresh attestation, edited by `edit`, parsed back.
  Status ParseEdited(const std::function<void(nlohmann::ordered_json&)>& edit) {
    IdentitySecret id = IdentitySecret::Generate();
    nlohmann::ordered_json j = AttestationToJson(Attest(id));
    edit(j);
    return AttestationFromJson(j.dump()).status();
  }

  Ed25519PrivateKey attester_ = Ed25519PrivateKey::Generate();
};

TEST_F(PersonhoodTest, AttestationJsonRoundTrip) {
  IdentitySecret id = IdentitySecret::Generate();
  types::Attestation a = Attest(id);
  EXPECT_EQ(a.chain_id, kChain);
  EXPECT_EQ(a.attester, attester_.public_key());
  EXPECT_EQ(a.identity, id.Point());
  EXPECT_EQ(a.expiry_epoch, 12u);
  EXPECT_TRUE(types::VerifyAttestationSignature(a));
  nlohmann::ordered_json j = AttestationToJson(a);
  EXPECT_EQ(j["bytes"], HexEncode(types::EncodeAttestation(a)));
  EXPECT_EQ(j["dedup_tag"], HexEncode(a.dedup_tag));
  auto back = AttestationFromJson(j.dump(2));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, a);
}

TEST_F(PersonhoodTest, MalformedAttestationJsonRefused) {
  EXPECT_FALSE(AttestationFromJson("").ok());
  EXPECT_FALSE(AttestationFromJson("not json").ok());
  EXPECT_FALSE(AttestationFromJson("[1,2]").ok());
  EXPECT_FALSE(AttestationFromJson(std::string(kAttestationFileMaxBytes + 1, ' ')).ok());
  for (const char* field :
       {"chain_id", "attester", "identity", "dedup_tag", "expiry_epoch", "signature", "bytes"}) {
    Status s = ParseEdited([&](auto& j) { j.erase(field); });
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << field;
    EXPECT_NE(s.message().find(field), std::string::npos) << s.message();
  }
  EXPECT_FALSE(ParseEdited([](auto& j) { j["bytes"] = "zz"; }).ok());
  EXPECT_FALSE(ParseEdited([](auto& j) {
                 std::string b = j["bytes"];
                 j["bytes"] = b.substr(0, b.size() - 2);  // truncated
               }).ok());
  EXPECT_FALSE(ParseEdited([](auto& j) { j["bytes"] = std::string(j["bytes"]) + "00"; }).ok());
  EXPECT_FALSE(ParseEdited([](auto& j) { j["expiry_epoch"] = 13; }).ok());
  EXPECT_FALSE(ParseEdited([](auto& j) { j["expiry_epoch"] = -1; }).ok());
  EXPECT_FALSE(ParseEdited([](auto& j) { j["expiry_epoch"] = "12"; }).ok());
  EXPECT_FALSE(ParseEdited([](auto& j) { j["chain_id"] = "other"; }).ok());
  EXPECT_FALSE(ParseEdited([](auto& j) { j["identity"] = std::string(64, '0'); }).ok());
  EXPECT_FALSE(ParseEdited([](auto& j) { j["dedup_tag"] = std::string(63, '0'); }).ok());
}

TEST_F(PersonhoodTest, AttestationWithBadSignatureOrPointRefused) {
  IdentitySecret id = IdentitySecret::Generate();
  types::Attestation a = Attest(id);
  a.expiry_epoch = 13;  // fields and bytes agree, the signature no longer covers them
  Status s = AttestationFromJson(AttestationToJson(a).dump()).status();
  EXPECT_NE(s.message().find("does not verify"), std::string::npos) << s.ToString();

  types::Attestation bad_point = a;
  bad_point.identity.fill(0xff);  // not a canonical point
  types::SignAttestation(&bad_point, attester_);
  s = AttestationFromJson(AttestationToJson(bad_point).dump()).status();
  EXPECT_NE(s.message().find("canonical"), std::string::npos) << s.ToString();
}

TEST_F(PersonhoodTest, IdentityPointsValidated) {
  IdentitySecret id = IdentitySecret::Generate();
  auto p = ParseIdentityPoint(HexEncode(id.Point()));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, id.Point());
  EXPECT_FALSE(ParseIdentityPoint("").ok());
  EXPECT_FALSE(ParseIdentityPoint(HexEncode(id.Point()).substr(2)).ok());
  EXPECT_FALSE(ParseIdentityPoint(HexEncode(id.Point()) + "00").ok());
  EXPECT_FALSE(ParseIdentityPoint(std::string(63, '0') + "g").ok());
  EXPECT_FALSE(ParseIdentityPoint(std::string(64, '0')).ok());  // the identity element
  EXPECT_FALSE(ParseIdentityPoint(std::string(64, 'f')).ok());  // non-canonical
  std::array<uint8_t, 32> zero{};
  EXPECT_FALSE(MakeAttestation(kChain, attester_, zero, Hash32{}, 5).ok());
}

TEST_F(PersonhoodTest, TheTagIsCarriedAsGiven) {
  IdentitySecret a = IdentitySecret::Generate();
  Hash32 tag{};
  tag.fill(0x33);
  EXPECT_EQ(Attest(a, 0x33).dedup_tag, tag);
  EXPECT_NE(Attest(a, 0x33).dedup_tag, Attest(a, 0x34).dedup_tag);
}

TEST_F(PersonhoodTest, RegistrationCarriesAValidProofOfPossession) {
  IdentitySecret id = IdentitySecret::Generate();
  types::Attestation a = Attest(id);
  auto reg = BuildRegistration(a, id);
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  EXPECT_EQ(reg->attestation, a);
  auto proof = zk::proof::SchnorrProof::Decode(reg->possession);
  ASSERT_TRUE(proof.ok());
  auto p = zk::Point::Decode(id.Point());
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(zk::proof::SchnorrVerify(*p, types::PossessionMessage(a), *proof).ok());
  // Bound to this attestation.
  types::Attestation other = a;
  other.expiry_epoch += 1;
  EXPECT_FALSE(zk::proof::SchnorrVerify(*p, types::PossessionMessage(other), *proof).ok());
  // Someone else's attestation is refused before any proof is made.
  IdentitySecret stranger = IdentitySecret::Generate();
  EXPECT_EQ(BuildRegistration(a, stranger).status().code(), StatusCode::kInvalidArgument);
}

// A 16-member set holding `id` at `position`, the rest random points.
zk::proof::membership::PreparedSet SetWith(const IdentitySecret& id, size_t position) {
  std::vector<zk::Point> members;
  for (size_t i = 0; i < 16; ++i) {
    members.push_back(i == position ? *zk::Point::Decode(id.Point())
                                    : zk::Point::MulBase(zk::Scalar::Random()));
  }
  return *zk::proof::membership::PreparedSet::Create(members);
}

TEST_F(PersonhoodTest, LocalNullifierIsTheClaimProofsTag) {
  IdentitySecret id = IdentitySecret::Generate();
  zk::proof::membership::PreparedSet set = SetWith(id, 5);
  Hash32 recipient = DomainHash("hito/v1/test", AsBytes("recipient"));
  auto claim = BuildClaim(set, 5, id, kChain, 7, 3, recipient);
  ASSERT_TRUE(claim.ok()) << claim.status().ToString();
  EXPECT_EQ(claim->epoch, 7u);
  EXPECT_EQ(claim->cohort, 3u);
  EXPECT_EQ(claim->recipient, recipient);
  EXPECT_EQ(types::ClaimNullifier(*claim), LocalNullifier(id, kChain, 7));
  auto proof = zk::proof::membership::Proof::Decode(claim->proof);
  ASSERT_TRUE(proof.ok());
  EXPECT_TRUE(zk::proof::membership::Verify(set, kChain, types::ClaimContext(7),
                                            types::ClaimMessage(kChain, 7, 3, recipient), *proof)
                  .ok());
  // One nullifier per epoch and chain.
  EXPECT_NE(LocalNullifier(id, kChain, 8), LocalNullifier(id, kChain, 7));
  EXPECT_NE(LocalNullifier(id, "other-chain", 7), LocalNullifier(id, kChain, 7));
  EXPECT_NE(LocalNullifier(IdentitySecret::Generate(), kChain, 7), LocalNullifier(id, kChain, 7));
}

TEST_F(PersonhoodTest, ClaimRefusedForAPositionThatIsNotTheIdentity) {
  IdentitySecret id = IdentitySecret::Generate();
  zk::proof::membership::PreparedSet set = SetWith(id, 5);
  Hash32 recipient{};
  EXPECT_EQ(BuildClaim(set, 4, id, kChain, 7, 0, recipient).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildClaim(set, 16, id, kChain, 7, 0, recipient).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hito::wallet
