// Votes, proposals and duplicate-vote evidence: round trips, strict decoding (truncation,
// trailing bytes, boolean 2, unknown vote type, evidence order), signatures binding every
// field and the chain id, and evidence checks (a real equivocation verifies, forged or
// malformed evidence fails).
#include "consensus/types/vote.h"

#include <gtest/gtest.h>

#include "tests/unit/types/test_util.h"

namespace hito::consensus::types {
namespace {

using testing::H;
using testing::HasMessage;
using testing::kChain;
using testing::Key;
using testing::SignedVote;

TEST(VoteTest, RoundTripWithAndWithoutBlockHash) {
  for (std::optional<Hash32> bh : {std::optional<Hash32>(H("b")), std::optional<Hash32>()}) {
    const Vote v = SignedVote(Key(1), VoteType::kPrecommit, 5, 2, bh);
    const Bytes enc = EncodeVote(v);
    EXPECT_EQ(enc.size(), 1u + 8 + 4 + 1 + (bh ? 32 : 0) + 32 + 64);
    Result<Vote> back = DecodeVote(enc);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, v);
    EXPECT_TRUE(VerifyVoteSignature(kChain, *back));
  }
}

TEST(VoteTest, RejectsTruncationAndTrailingBytes) {
  for (std::optional<Hash32> bh : {std::optional<Hash32>(H("b")), std::optional<Hash32>()}) {
    testing::ExpectStrict(EncodeVote(SignedVote(Key(1), VoteType::kPrevote, 5, 2, bh)),
                          [](ByteView b) { return DecodeVote(b); });
  }
}

TEST(VoteTest, RejectsNonCanonicalBooleanAndUnknownType) {
  Bytes enc = EncodeVote(SignedVote(Key(1), VoteType::kPrevote, 5, 2, H("b")));
  Bytes bad_bool = enc;
  bad_bool[13] = 2;  // has_block_hash
  Result<Vote> r = DecodeVote(bad_bool);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(HasMessage(r.status(), "vote.has_block_hash: boolean must be 0 or 1, got 2"))
      << r.status().ToString();
  for (int t : {0, 3, 255}) {
    Bytes bad_type = enc;
    bad_type[0] = static_cast<uint8_t>(t);
    r = DecodeVote(bad_type);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(HasMessage(r.status(), "vote.type: unknown vote type " + std::to_string(t)));
  }
}

TEST(VoteTest, EverySignedFieldIsBound) {
  const Vote good = SignedVote(Key(1), VoteType::kPrevote, 5, 2, H("b"));
  ASSERT_TRUE(VerifyVoteSignature(kChain, good));
  std::vector<Vote> t(6, good);
  t[0].type = VoteType::kPrecommit;
  t[1].height += 1;
  t[2].round += 1;
  t[3].block_hash = H("c");
  t[4].block_hash.reset();
  t[5].validator = Key(2).public_key();
  for (size_t i = 0; i < t.size(); ++i) EXPECT_FALSE(VerifyVoteSignature(kChain, t[i])) << i;
  EXPECT_FALSE(VerifyVoteSignature("other-chain", good));
}

TEST(VoteTest, SignatureByAnotherKeyFails) {
  Vote v;
  v.type = VoteType::kPrevote;
  v.height = 1;
  v.validator = Key(1).public_key();
  SignVote(kChain, &v, Key(2));  // wrong signer for the claimed validator
  EXPECT_FALSE(VerifyVoteSignature(kChain, v));
}

TEST(VoteTest, SigningBytesSeparateVotesFromProposals) {
  const Bytes vb = VoteSigningBytes(kChain, SignedVote(Key(1), VoteType::kPrevote, 1, 0, H("b")));
  const std::string label = "hito/v1/vote-sign";
  EXPECT_EQ(vb[0], label.size());
  EXPECT_EQ(std::string(vb.begin() + 1, vb.begin() + 1 + static_cast<long>(label.size())), label);
}

Proposal SignedProposal(std::optional<uint32_t> pol) {
  Proposal p;
  p.height = 9;
  p.round = 3;
  p.pol_round = pol;
  p.block_hash = H("block");
  p.proposer = Key(1).public_key();
  SignProposal(kChain, &p, Key(1));
  return p;
}

TEST(ProposalTest, RoundTripAndStrictDecoding) {
  for (std::optional<uint32_t> pol : {std::optional<uint32_t>(1), std::optional<uint32_t>()}) {
    const Proposal p = SignedProposal(pol);
    Result<Proposal> back = DecodeProposal(EncodeProposal(p));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, p);
    EXPECT_TRUE(VerifyProposalSignature(kChain, *back));
    testing::ExpectStrict(EncodeProposal(p), [](ByteView b) { return DecodeProposal(b); });
  }
  Bytes enc = EncodeProposal(SignedProposal(std::nullopt));
  enc[12] = 2;  // has_pol_round
  EXPECT_TRUE(HasMessage(DecodeProposal(enc).status(), "proposal.has_pol_round: boolean"));
}

TEST(ProposalTest, EverySignedFieldIsBound) {
  const Proposal good = SignedProposal(1);
  std::vector<Proposal> t(6, good);
  t[0].height += 1;
  t[1].round += 1;
  t[2].pol_round = 0;
  t[3].pol_round.reset();
  t[4].block_hash[0] ^= 1;
  t[5].proposer = Key(2).public_key();
  for (size_t i = 0; i < t.size(); ++i) EXPECT_FALSE(VerifyProposalSignature(kChain, t[i])) << i;
  EXPECT_FALSE(VerifyProposalSignature("other-chain", good));
  // A proposal signature is not a vote signature over the same numbers.
  Vote v;
  v.type = VoteType::kPrevote;
  v.height = good.height;
  v.round = good.round;
  v.block_hash = good.block_hash;
  v.validator = good.proposer;
  v.signature = good.signature;
  EXPECT_FALSE(VerifyVoteSignature(kChain, v));
}

TEST(EvidenceTest, RealEquivocationVerifiesAndRoundTrips) {
  const DuplicateVoteEvidence e = testing::MakeEvidence(Key(1), 4);
  EXPECT_TRUE(VerifyEvidence(kChain, e).ok()) << VerifyEvidence(kChain, e).ToString();
  Result<DuplicateVoteEvidence> back = DecodeEvidence(EncodeEvidence(e));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, e);
  testing::ExpectStrict(EncodeEvidence(e), [](ByteView b) { return DecodeEvidence(b); });

  // A vote for a block and a nil vote in the same step are also an equivocation.
  Vote a = SignedVote(Key(1), VoteType::kPrecommit, 4, 1, H("x"));
  Vote b = SignedVote(Key(1), VoteType::kPrecommit, 4, 1, std::nullopt);
  DuplicateVoteEvidence nil_e =
      EncodeVote(a) < EncodeVote(b) ? DuplicateVoteEvidence{a, b} : DuplicateVoteEvidence{b, a};
  EXPECT_TRUE(VerifyEvidence(kChain, nil_e).ok());
}

TEST(EvidenceTest, ForgedOrMalformedEvidenceFails) {
  const DuplicateVoteEvidence good = testing::MakeEvidence(Key(1), 4);
  DuplicateVoteEvidence forged = good;
  forged.b.signature[10] ^= 1;
  EXPECT_TRUE(HasMessage(VerifyEvidence(kChain, forged), "evidence.b.signature: invalid"));
  forged = good;
  forged.a.signature[10] ^= 1;
  EXPECT_TRUE(HasMessage(VerifyEvidence(kChain, forged), "evidence.a.signature: invalid"));
  EXPECT_FALSE(VerifyEvidence("other-chain", good).ok());

  // Votes by two different validators are no equivocation.
  Vote a = SignedVote(Key(1), VoteType::kPrevote, 4, 0, H("x"));
  Vote b = SignedVote(Key(2), VoteType::kPrevote, 4, 0, H("y"));
  DuplicateVoteEvidence two =
      EncodeVote(a) < EncodeVote(b) ? DuplicateVoteEvidence{a, b} : DuplicateVoteEvidence{b, a};
  EXPECT_TRUE(HasMessage(VerifyEvidence(kChain, two), "different validators"));

  // Same block hash twice (e.g. a replayed vote): not evidence.
  Vote same = SignedVote(Key(1), VoteType::kPrevote, 4, 0, H("x"));
  EXPECT_TRUE(HasMessage(VerifyEvidence(kChain, {same, same}), "same block hash"));

  // Different rounds or steps are allowed to differ.
  Vote r1 = SignedVote(Key(1), VoteType::kPrevote, 4, 1, H("y"));
  DuplicateVoteEvidence rounds =
      EncodeVote(a) < EncodeVote(r1) ? DuplicateVoteEvidence{a, r1} : DuplicateVoteEvidence{r1, a};
  EXPECT_TRUE(HasMessage(VerifyEvidence(kChain, rounds), "differ in height, round or type"));

  // Swapped order: a second encoding of the same evidence is refused.
  DuplicateVoteEvidence swapped{good.b, good.a};
  EXPECT_TRUE(HasMessage(VerifyEvidence(kChain, swapped), "canonical order"));
  Result<DuplicateVoteEvidence> r = DecodeEvidence(EncodeEvidence(swapped));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(HasMessage(r.status(), "evidence: votes not in canonical order"));
}

}  // namespace
}  // namespace hito::consensus::types
