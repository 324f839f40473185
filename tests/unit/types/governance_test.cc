// Governance encodings (consensus/types/governance.h): proposals (kind 4) of every action
// and ballots (kind 5) round trip inside transactions; strictness (truncation at every
// offset, trailing bytes, unknown action tags, zero power, ballot entries out of order or
// repeated, an empty or oversized entry list, proof sizes); votes near 2^63 decode as
// the signed values they are; what the signature, the ballot message and the context bind.
#include "consensus/types/governance.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "consensus/types/transaction.h"
#include "tests/support/keys.h"

namespace hito::consensus::types {
namespace {

Bytes ProofBytes(size_t m) { return Bytes(32 * (8 + 5 * m), 0x42); }

std::vector<Action> EveryAction() {
  Ed25519PublicKey pk{};
  pk[0] = 7;
  return {ParamChange{static_cast<uint16_t>(ParamId::kQuorumPpm), 250'000},
          AddAttester{pk},
          RemoveAttester{pk},
          AddValidator{pk, 10},
          RemoveValidator{pk},
          ValidatorPower{pk, 3},
          EvidenceRemoval{Hash32{9}},
          RevokeIdentity{IdentityPoint{4}},
          TextProposal{Bytes{'h', 'i'}}};
}

GovernanceProposal SignedProposal(Action action) {
  GovernanceProposal p;
  p.chain_id = "hito-test-1";
  p.nonce = 3;
  p.fee = 1000;
  p.deposit = 5'000'000;
  p.action = std::move(action);
  SignProposal(&p, hito::testing::KeyFor(1));
  return p;
}

Ballot SampleBallot() {
  Ballot b;
  b.round = 4;
  b.cohort = 2;
  b.entries = {{0, 5}, {3, -2}, {7, 0}};
  b.proof = ProofBytes(2);
  return b;
}

TEST(GovernanceTypesTest, EveryActionRoundTripsInAProposal) {
  uint8_t tag = 1;
  for (const Action& a : EveryAction()) {
    EXPECT_EQ(static_cast<uint8_t>(ActionTagOf(a)), tag++);
    const GovernanceProposal p = SignedProposal(a);
    EXPECT_TRUE(VerifyProposalSignature(p));
    const Bytes enc = EncodeTransaction(Transaction{p});
    EXPECT_EQ(enc[1], static_cast<uint8_t>(TxKind::kProposal));
    Result<Transaction> back = DecodeTransaction(enc);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->kind(), TxKind::kProposal);
    EXPECT_EQ(std::get<GovernanceProposal>(back->body), p);
    Result<Action> action = DecodeAction(EncodeAction(a));
    ASSERT_TRUE(action.ok());
    EXPECT_EQ(*action, a);
    // Every strict prefix is refused, and so is a trailing byte.
    for (size_t n = 0; n < enc.size(); ++n) {
      EXPECT_FALSE(DecodeTransaction(ByteView(enc.data(), n)).ok()) << n;
    }
    Bytes longer = enc;
    longer.push_back(0);
    EXPECT_FALSE(DecodeTransaction(longer).ok());
  }
}

TEST(GovernanceTypesTest, SignatureBindsEveryField) {
  const GovernanceProposal p = SignedProposal(TextProposal{Bytes{'x'}});
  GovernanceProposal q = p;
  q.deposit += 1;
  EXPECT_FALSE(VerifyProposalSignature(q));
  q = p;
  q.action = TextProposal{Bytes{'y'}};
  EXPECT_FALSE(VerifyProposalSignature(q));
  q = p;
  q.chain_id = "hito-test-2";
  EXPECT_FALSE(VerifyProposalSignature(q));
}

TEST(GovernanceTypesTest, UnknownActionTagsAndZeroPowerAreRefused) {
  for (uint8_t tag : {uint8_t{0}, uint8_t{10}, uint8_t{255}}) {
    Bytes enc = EncodeAction(RemoveAttester{});
    enc[0] = tag;
    Result<Action> r = DecodeAction(enc);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("unknown action"), std::string::npos);
  }
  for (const Action& a : {Action{AddValidator{{}, 0}}, Action{ValidatorPower{{}, 0}}}) {
    Result<Action> r = DecodeAction(EncodeAction(a));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("power must be >= 1"), std::string::npos);
  }
  Bytes text = EncodeAction(TextProposal{Bytes(kProposalTextMaxLen + 1, 'a')});
  EXPECT_FALSE(DecodeAction(text).ok());
  EXPECT_TRUE(DecodeAction(EncodeAction(TextProposal{Bytes(kProposalTextMaxLen, 'a')})).ok());
}

TEST(GovernanceTypesTest, BallotRoundTripsWithExtremeVotes) {
  Ballot b = SampleBallot();
  b.entries = {
      {0, std::numeric_limits<int64_t>::min()}, {1, std::numeric_limits<int64_t>::max()}, {2, -1}};
  const Bytes enc = EncodeTransaction(Transaction{b});
  Result<Transaction> back = DecodeTransaction(enc);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(std::get<Ballot>(back->body), b);
  for (size_t n = 0; n < enc.size(); ++n) {
    EXPECT_FALSE(DecodeTransaction(ByteView(enc.data(), n)).ok()) << n;
  }
}

TEST(GovernanceTypesTest, BallotEntriesMustBeStrictlyIncreasingAndNonEmpty) {
  for (const std::vector<BallotEntry>& entries :
       {std::vector<BallotEntry>{{3, 1}, {3, 1}}, std::vector<BallotEntry>{{4, 1}, {2, 1}},
        std::vector<BallotEntry>{}}) {
    Ballot b = SampleBallot();
    b.entries = entries;
    EXPECT_FALSE(DecodeTransaction(EncodeTransaction(Transaction{b})).ok());
  }
  Ballot full = SampleBallot();
  full.entries.clear();
  for (uint32_t i = 0; i < kBallotEntriesMax; ++i) full.entries.push_back({i, 0});
  EXPECT_TRUE(DecodeTransaction(EncodeTransaction(Transaction{full})).ok());
  full.entries.push_back({kBallotEntriesMax, 0});
  EXPECT_FALSE(DecodeTransaction(EncodeTransaction(Transaction{full})).ok());
}

TEST(GovernanceTypesTest, BallotProofMustHaveAMembershipProofSize) {
  for (size_t m = 2; m <= 8; ++m) {
    Ballot b = SampleBallot();
    b.proof = ProofBytes(m);
    EXPECT_TRUE(DecodeTransaction(EncodeTransaction(Transaction{b})).ok()) << m;
    b.proof.push_back(0);
    EXPECT_FALSE(DecodeTransaction(EncodeTransaction(Transaction{b})).ok()) << m;
  }
  Ballot b = SampleBallot();
  b.proof = Bytes(32, 1);
  EXPECT_FALSE(DecodeTransaction(EncodeTransaction(Transaction{b})).ok());
}

TEST(GovernanceTypesTest, ContextAndMessageBindRoundCohortAndVotes) {
  EXPECT_EQ(BallotContext(1).size(), 13u);
  EXPECT_EQ(BallotContext(1).substr(0, 5), "vote/");
  EXPECT_NE(BallotContext(1), BallotContext(2));
  EXPECT_NE(BallotContext(1), ClaimContext(1));
  const Ballot b = SampleBallot();
  const Bytes m = BallotMessage("hito-test-1", b.round, b.cohort, b.entries);
  EXPECT_NE(m, BallotMessage("hito-test-2", b.round, b.cohort, b.entries));
  EXPECT_NE(m, BallotMessage("hito-test-1", b.round + 1, b.cohort, b.entries));
  EXPECT_NE(m, BallotMessage("hito-test-1", b.round, b.cohort + 1, b.entries));
  std::vector<BallotEntry> other = b.entries;
  other[1].vote = 2;
  EXPECT_NE(m, BallotMessage("hito-test-1", b.round, b.cohort, other));
  EXPECT_EQ(BallotNullifier(b), Hash32{[] {
              Hash32 h;
              h.fill(0x42);
              return h;
            }()});
}

}  // namespace
}  // namespace hito::consensus::types
