// Headers, commits and blocks: round trips, strict decoding (truncation at every offset,
// trailing bytes, unknown version, unknown commit flag, oversize lists, body hashes that
// do not match the header), commit verification (exactly 2/3 fails, more passes, nil and
// absent votes do not count, wrong signer, wrong chain, wrong size), and the tx Merkle
// root checked against a recursive RFC 6962 reference.
#include "consensus/types/block.h"

#include <gtest/gtest.h>

#include "consensus/types/limits.h"
#include "tests/support/votes.h"
#include "tests/unit/types/test_util.h"

namespace hito::consensus::types {
namespace {

using testing::H;
using testing::HasMessage;
using testing::kChain;
using testing::MakeCommit;
using testing::MakeValidators;
using CF = CommitFlag;

constexpr size_t kHeaderBytes = 1 + 4 + kChain.size() + 8 + 8 + 7 * 32 + 32;

TEST(HeaderTest, RoundTripHashAndStrictDecoding) {
  const testing::Validators v = MakeValidators();
  const BlockHeader h = testing::MakeBlock(v).header;
  const Bytes enc = EncodeHeader(h);
  EXPECT_EQ(enc.size(), kHeaderBytes);
  Result<BlockHeader> back = DecodeHeader(enc);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, h);
  EXPECT_EQ(HeaderHash(h), DomainHash("hito/v1/header", enc));
  testing::ExpectStrict(enc, [](ByteView b) { return DecodeHeader(b); });

  BlockHeader h2 = h;
  h2.time_ms += 1;
  EXPECT_NE(HeaderHash(h2), HeaderHash(h));
}

TEST(HeaderTest, RejectsUnknownVersionAndBadChainId) {
  const BlockHeader h = testing::MakeBlock(MakeValidators()).header;
  Bytes enc = EncodeHeader(h);
  enc[0] = 2;
  EXPECT_TRUE(HasMessage(DecodeHeader(enc).status(), "header.version: unknown version 2"));
  BlockHeader bad = h;
  bad.chain_id = "Hito";
  EXPECT_TRUE(
      HasMessage(DecodeHeader(EncodeHeader(bad)).status(), "header.chain_id: chain id byte"));
  enc = EncodeHeader(h);
  testing::PutU32(&enc, 1, static_cast<uint32_t>(kChainIdMaxLen + 1));
  EXPECT_TRUE(HasMessage(DecodeHeader(enc).status(), "header.chain_id: length 65 exceeds"));
}

TEST(CommitTest, RoundTripAndStrictDecoding) {
  const testing::Validators v = MakeValidators();
  const Commit c = MakeCommit(v, 3, 1, H("b"), {CF::kCommit, CF::kAbsent, CF::kNil, CF::kCommit});
  const Bytes enc = EncodeCommit(c);
  EXPECT_EQ(enc.size(), 8u + 4 + 32 + 4 + 4 * 65);
  Result<Commit> back = DecodeCommit(enc);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, c);
  EXPECT_EQ(CommitHash(c), DomainHash("hito/v1/commit", enc));
  testing::ExpectStrict(enc, [](ByteView b) { return DecodeCommit(b); });

  Commit empty;
  Result<Commit> e = DecodeCommit(EncodeCommit(empty));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*e, empty);
}

TEST(CommitTest, RejectsUnknownFlagSignatureOnAbsentAndCountOverLimit) {
  const testing::Validators v = MakeValidators();
  const Commit c = MakeCommit(v, 3, 1, H("b"), {CF::kCommit, CF::kAbsent, CF::kNil, CF::kCommit});
  const Bytes enc = EncodeCommit(c);
  constexpr size_t kFirstSig = 8 + 4 + 32 + 4;
  Bytes bad = enc;
  bad[kFirstSig] = 3;
  Result<Commit> r = DecodeCommit(bad);
  EXPECT_TRUE(HasMessage(r.status(), "commit.signatures[0].flag: unknown commit flag 3"))
      << r.status().ToString();
  bad = enc;
  bad[kFirstSig + 65 + 10] = 1;  // a byte of the absent entry's signature
  EXPECT_TRUE(HasMessage(DecodeCommit(bad).status(),
                         "commit.signatures[1].signature: must be all zero when absent"));
  bad = enc;
  testing::PutU32(&bad, kFirstSig - 4, kValidatorsMax + 1);
  EXPECT_TRUE(HasMessage(DecodeCommit(bad).status(), "commit.signatures: count 129 exceeds"));
}

TEST(VerifyCommitTest, MoreThanTwoThirdsPassesExactlyTwoThirdsFails) {
  // Powers 1, 1, 1: two precommits are exactly 2/3 and must fail; three pass.
  const testing::Validators v = MakeValidators({1, 1, 1});
  const Hash32 b = H("b");
  EXPECT_TRUE(
      VerifyCommit(kChain, v.set, MakeCommit(v, 1, 0, b, {CF::kCommit, CF::kCommit, CF::kCommit}))
          .ok());
  Status s =
      VerifyCommit(kChain, v.set, MakeCommit(v, 1, 0, b, {CF::kCommit, CF::kCommit, CF::kAbsent}));
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(HasMessage(s, "precommit power 2 of 3 is not more than two thirds")) << s.ToString();

  // Powers 1, 2, 3, 4 (total 10): 7 is more than 2/3, 6 is not (6/10 < 2/3).
  const testing::Validators w = MakeValidators();
  std::vector<CF> flags(4, CF::kAbsent);
  for (size_t i = 0; i < 4; ++i) {
    if (w.set.validators()[i].power == 3 || w.set.validators()[i].power == 4)
      flags[i] = CF::kCommit;
  }
  EXPECT_TRUE(VerifyCommit(kChain, w.set, MakeCommit(w, 1, 0, b, flags)).ok());
  for (size_t i = 0; i < 4; ++i) {
    if (w.set.validators()[i].power == 4) flags[i] = CF::kAbsent;
    if (w.set.validators()[i].power == 2 || w.set.validators()[i].power == 1)
      flags[i] = CF::kCommit;
  }
  EXPECT_FALSE(VerifyCommit(kChain, w.set, MakeCommit(w, 1, 0, b, flags)).ok());  // 1+2+3 = 6
}

TEST(VerifyCommitTest, NilVotesDoNotCount) {
  const testing::Validators v = MakeValidators({1, 1, 1, 1});
  const Hash32 b = H("b");
  const Commit c = MakeCommit(v, 1, 0, b, {CF::kCommit, CF::kCommit, CF::kNil, CF::kNil});
  Status s = VerifyCommit(kChain, v.set, c);
  EXPECT_TRUE(HasMessage(s, "precommit power 2 of 4")) << s.ToString();
  EXPECT_TRUE(
      VerifyCommit(kChain, v.set,
                   MakeCommit(v, 1, 0, b, {CF::kCommit, CF::kCommit, CF::kNil, CF::kCommit}))
          .ok());
  // A nil entry's signature must be a nil precommit: a block precommit marked nil fails.
  Commit mislabelled = MakeCommit(v, 1, 0, b, {CF::kCommit, CF::kCommit, CF::kCommit, CF::kCommit});
  mislabelled.signatures[3].flag = CF::kNil;
  EXPECT_TRUE(
      HasMessage(VerifyCommit(kChain, v.set, mislabelled), "signatures[3]: invalid precommit"));
}

TEST(VerifyCommitTest, RejectsWrongSignerWrongChainWrongBlockAndWrongSize) {
  const testing::Validators v = MakeValidators({1, 1, 1, 1});
  const Hash32 b = H("b");
  const std::vector<CF> all(4, CF::kCommit);
  Commit c = MakeCommit(v, 1, 0, b, all);
  ASSERT_TRUE(VerifyCommit(kChain, v.set, c).ok());

  Commit wrong_signer = c;
  wrong_signer.signatures[2].signature =
      testing::SignedVote(testing::Key(99), VoteType::kPrecommit, 1, 0, b).signature;
  EXPECT_TRUE(
      HasMessage(VerifyCommit(kChain, v.set, wrong_signer), "commit.signatures[2]: invalid"));

  Commit swapped = c;
  std::swap(swapped.signatures[0], swapped.signatures[1]);
  EXPECT_FALSE(VerifyCommit(kChain, v.set, swapped).ok());

  EXPECT_FALSE(VerifyCommit("other-chain", v.set, c).ok());
  Commit other_block = c;
  other_block.block_hash = H("other");
  EXPECT_FALSE(VerifyCommit(kChain, v.set, other_block).ok());
  Commit other_round = c;
  other_round.round = 1;
  EXPECT_FALSE(VerifyCommit(kChain, v.set, other_round).ok());
  Commit other_height = c;
  other_height.height = 2;
  EXPECT_FALSE(VerifyCommit(kChain, v.set, other_height).ok());
  // Prevotes are not precommits.
  Commit prevotes = c;
  for (size_t i = 0; i < 4; ++i) {
    prevotes.signatures[i].signature =
        testing::SignedVote(v.keys[i], VoteType::kPrevote, 1, 0, b).signature;
  }
  EXPECT_FALSE(VerifyCommit(kChain, v.set, prevotes).ok());

  Commit short_list = c;
  short_list.signatures.pop_back();
  EXPECT_TRUE(HasMessage(VerifyCommit(kChain, v.set, short_list), "3 entries for a set of 4"));
  Commit long_list = c;
  long_list.signatures.push_back({});
  EXPECT_TRUE(HasMessage(VerifyCommit(kChain, v.set, long_list), "5 entries for a set of 4"));
}

TEST(BlockTest, RoundTripAndStrictDecoding) {
  const testing::Validators v = MakeValidators();
  const Block b = testing::MakeBlock(v);
  const Bytes enc = EncodeBlock(b);
  Result<Block> back = DecodeBlock(enc);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, b);
  EXPECT_EQ(EncodeBlock(*back), enc);
  testing::ExpectStrict(enc, [](ByteView x) { return DecodeBlock(x); });
}

TEST(BlockTest, FirstBlockWithEmptyCommitAndNoTxs) {
  Block b;
  b.header.chain_id = "hito-test-1";
  b.header.height = 1;
  b.header.tx_root = TxRoot({});
  b.header.last_commit_hash = CommitHash(Commit{});
  b.header.evidence_hash = EvidenceHash({});
  Result<Block> back = DecodeBlock(EncodeBlock(b));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, b);
}

TEST(BlockTest, RejectsBodiesThatDoNotMatchTheHeader) {
  const testing::Validators v = MakeValidators();
  Block b = testing::MakeBlock(v);
  Block extra_tx = b;
  extra_tx.txs.push_back(extra_tx.txs[0]);
  Result<Block> r = DecodeBlock(EncodeBlock(extra_tx));
  EXPECT_TRUE(HasMessage(r.status(), "block.header.tx_root: ")) << r.status().ToString();

  Block reordered = b;
  std::swap(reordered.txs[0], reordered.txs[1]);
  EXPECT_TRUE(HasMessage(DecodeBlock(EncodeBlock(reordered)).status(), "tx_root"));

  Block other_commit = b;
  other_commit.last_commit.signatures[1].flag = CF::kAbsent;
  other_commit.last_commit.signatures[1].signature = {};
  EXPECT_TRUE(
      HasMessage(DecodeBlock(EncodeBlock(other_commit)).status(), "block.header.last_commit_hash"));

  Block no_evidence = b;
  no_evidence.evidence.clear();
  EXPECT_TRUE(
      HasMessage(DecodeBlock(EncodeBlock(no_evidence)).status(), "block.header.evidence_hash"));
}

TEST(BlockTest, RejectsListsAndSizesOverLimits) {
  const testing::Validators v = MakeValidators();
  const Block b = testing::MakeBlock(v);
  const Bytes enc = EncodeBlock(b);
  const size_t tx_count_at = kHeaderBytes;

  Bytes bad = enc;
  testing::PutU32(&bad, tx_count_at, kBlockMaxTxs + 1);
  EXPECT_TRUE(HasMessage(DecodeBlock(bad).status(), "block.txs: count 20001 exceeds"));

  bad = enc;
  testing::PutU32(&bad, tx_count_at + 4, static_cast<uint32_t>(kTxMaxBytes + 1));
  EXPECT_TRUE(HasMessage(DecodeBlock(bad).status(), "block.txs[0]: length 65537 exceeds"));

  // Evidence count is the last u32 before the evidence list.
  const size_t evidence_count_at = enc.size() - EncodeEvidence(b.evidence[0]).size() - 4;
  bad = enc;
  testing::PutU32(&bad, evidence_count_at, kEvidenceMaxPerBlock + 1);
  EXPECT_TRUE(HasMessage(DecodeBlock(bad).status(), "block.evidence: count 65 exceeds"));

  bad = enc;
  bad[evidence_count_at + 4] = 7;  // first evidence vote type
  EXPECT_TRUE(
      HasMessage(DecodeBlock(bad).status(), "block.evidence[0].a.type: unknown vote type 7"));

  bad = enc;
  bad[evidence_count_at + 4 + 13] = 2;  // first evidence vote's has_block_hash
  EXPECT_TRUE(HasMessage(DecodeBlock(bad).status(),
                         "block.evidence[0].a.has_block_hash: boolean must be 0 or 1, got 2"));

  bad = enc;
  bad[0] = 0;  // header version
  EXPECT_TRUE(HasMessage(DecodeBlock(bad).status(), "block.header.version: unknown version 0"));

  Bytes huge = enc;
  huge.resize(kBlockMaxBytes + 1);
  EXPECT_TRUE(HasMessage(DecodeBlock(huge).status(), "exceeds the maximum of 8388608"));
}

ConflictingProposalEvidence ProposalEvidence(const Ed25519PrivateKey& key, uint64_t height) {
  return hito::testing::ConflictingProposals(kChain, key, height, 1, H("one"), H("two"));
}

TEST(ProposalEvidenceTest, RealEquivocationVerifiesRoundTripsAndIsStrict) {
  const testing::Validators v = MakeValidators();
  const ConflictingProposalEvidence e = ProposalEvidence(v.keys[0], 5);
  EXPECT_TRUE(VerifyProposalEvidence(kChain, e).ok());
  EXPECT_FALSE(VerifyProposalEvidence("other-chain", e).ok());
  const Bytes enc = EncodeProposalEvidence(e);
  EXPECT_EQ(enc[0], kConflictingProposalEvidenceTag);
  EXPECT_EQ(*DecodeProposalEvidence(enc), e);
  testing::ExpectStrict(enc, [](ByteView b) { return DecodeProposalEvidence(b); });
  // The other order is refused by the decoder, the same content by the verifier.
  ConflictingProposalEvidence swapped{e.b, e.a};
  EXPECT_TRUE(HasMessage(DecodeProposalEvidence(EncodeProposalEvidence(swapped)).status(),
                         "not in canonical order"));
  ConflictingProposalEvidence same = e;
  same.b.block_hash = same.a.block_hash;
  SignProposal(kChain, &same.b, v.keys[0]);
  EXPECT_FALSE(VerifyProposalEvidence(kChain, MakeProposalEvidence(same.a, same.b)).ok());
  ConflictingProposalEvidence forged = e;
  forged.b.signature[3] ^= 1;
  EXPECT_FALSE(VerifyProposalEvidence(kChain, forged).ok());
  ConflictingProposalEvidence rounds = e;
  rounds.b.round = 2;
  SignProposal(kChain, &rounds.b, v.keys[0]);
  EXPECT_FALSE(VerifyProposalEvidence(kChain, MakeProposalEvidence(rounds.a, rounds.b)).ok());
}

TEST(ProposalEvidenceTest, BlocksCarryBothKindsAndVoteEvidenceKeepsItsBytes) {
  const testing::Validators v = MakeValidators();
  Block b = testing::MakeBlock(v);
  const Bytes votes_only = EncodeBlock(b);
  const Hash32 hash_votes_only = EvidenceHash(b.evidence);
  EXPECT_EQ(EvidenceHash(b.evidence, {}), hash_votes_only);
  b.proposal_evidence.push_back(ProposalEvidence(v.keys[2], 1));
  b.header.evidence_hash = EvidenceHash(b.evidence, b.proposal_evidence);
  EXPECT_NE(b.header.evidence_hash, hash_votes_only);
  const Bytes enc = EncodeBlock(b);
  EXPECT_EQ(EncodedBlockSize(b), enc.size());
  EXPECT_TRUE(CheckBlockLimits(b).ok()) << CheckBlockLimits(b).ToString();
  // The proposal evidence is appended to the same list: after the header (whose
  // evidence_hash changed), the body up to the end of the vote evidence is the bytes it
  // was but for the list's count.
  Bytes prefix = votes_only;
  testing::PutU32(&prefix, votes_only.size() - EncodeEvidence(b.evidence[0]).size() - 4, 2);
  EXPECT_TRUE(std::equal(prefix.begin() + kHeaderBytes, prefix.end(), enc.begin() + kHeaderBytes));
  Result<Block> back = DecodeBlock(enc);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, b);
  testing::ExpectStrict(enc, [](ByteView x) { return DecodeBlock(x); });
  // The two kinds share the list's limit.
  Block full = b;
  full.evidence.assign(kEvidenceMaxPerBlock, b.evidence[0]);
  full.header.evidence_hash = EvidenceHash(full.evidence, full.proposal_evidence);
  EXPECT_FALSE(CheckBlockLimits(full).ok());
}

TEST(BlockLimitsTest, InMemoryBlockIsCheckedAsDecodeBlockWould) {
  const testing::Validators v = MakeValidators();
  const Block b = testing::MakeBlock(v);
  EXPECT_TRUE(CheckBlockLimits(b).ok()) << CheckBlockLimits(b).ToString();
  EXPECT_EQ(EncodedBlockSize(b), EncodeBlock(b).size());

  Block many = b;  // more transactions than a block may hold (tiny ones, cheap to build)
  many.txs.assign(kBlockMaxTxs + 1, Bytes{1});
  many.header.tx_root = TxRoot(many.txs);
  EXPECT_TRUE(HasMessage(CheckBlockLimits(many), "block.txs: 20001 transactions exceeds"));

  Block big_tx = b;
  big_tx.txs[1].resize(kTxMaxBytes + 1);
  big_tx.header.tx_root = TxRoot(big_tx.txs);
  EXPECT_TRUE(HasMessage(CheckBlockLimits(big_tx), "block.txs[1]: 65537 bytes exceeds"));

  Block too_big = b;  // every tx at the limit, the whole over 8 MiB
  too_big.txs.assign(kBlockMaxBytes / kTxMaxBytes, Bytes(kTxMaxBytes, 7));
  too_big.header.tx_root = TxRoot(too_big.txs);
  EXPECT_EQ(EncodedBlockSize(too_big), EncodeBlock(too_big).size());
  EXPECT_TRUE(HasMessage(CheckBlockLimits(too_big), "exceeds the maximum of 8388608"));

  Block evidence = b;
  evidence.evidence.assign(kEvidenceMaxPerBlock + 1, b.evidence[0]);
  evidence.header.evidence_hash = EvidenceHash(evidence.evidence);
  EXPECT_TRUE(HasMessage(CheckBlockLimits(evidence), "block.evidence: more than 64"));

  Block absent_sig = b;
  absent_sig.last_commit.signatures[1].flag = CommitFlag::kAbsent;  // signature left set
  absent_sig.header.last_commit_hash = CommitHash(absent_sig.last_commit);
  EXPECT_TRUE(HasMessage(CheckBlockLimits(absent_sig), "not a canonical entry"));

  Block root = b;
  root.header.tx_root = H("other");
  EXPECT_TRUE(HasMessage(CheckBlockLimits(root), "block.header.tx_root"));
  Block ev_hash = b;
  ev_hash.evidence.clear();
  EXPECT_TRUE(HasMessage(CheckBlockLimits(ev_hash), "block.header.evidence_hash"));
  Block chain = b;
  chain.header.chain_id = "Bad";
  EXPECT_FALSE(CheckBlockLimits(chain).ok());
}

TEST(BlockTimeTest, StrictlyAfterTheParentAndAtMostOneStepLater) {
  const uint64_t parent = 1'700'000'000'000;
  EXPECT_FALSE(CheckBlockTime(parent, parent).ok());  // equal to the parent
  EXPECT_FALSE(CheckBlockTime(parent, parent - 1).ok());
  EXPECT_TRUE(CheckBlockTime(parent, parent + 1).ok());
  EXPECT_TRUE(CheckBlockTime(parent, parent + kBlockTimeMaxStepMs).ok());
  EXPECT_TRUE(HasMessage(CheckBlockTime(parent, parent + kBlockTimeMaxStepMs + 1),
                         "more than 3600000 ms after the parent's"));
  EXPECT_FALSE(CheckBlockTime(parent, UINT64_MAX).ok());
  // Near the end of u64 the bound saturates instead of wrapping.
  EXPECT_TRUE(CheckBlockTime(UINT64_MAX - 10, UINT64_MAX).ok());
  EXPECT_FALSE(CheckBlockTime(UINT64_MAX, UINT64_MAX).ok());
  EXPECT_FALSE(CheckBlockTime(UINT64_MAX, 0).ok());
}

TEST(BlockTimeTest, NextBlockTimeFollowsTheClockInsideTheWindow) {
  const uint64_t parent = 1'700'000'000'000;
  EXPECT_EQ(NextBlockTimeMs(parent, parent + 500), parent + 500);
  EXPECT_EQ(NextBlockTimeMs(parent, parent - 5), parent + 1);  // a slow clock still advances
  // A chain halted for a day catches up an hour per block.
  const uint64_t day = 24 * 3600 * 1000;
  uint64_t t = parent;
  int blocks = 0;
  while (t < parent + day) {
    std::optional<uint64_t> next = NextBlockTimeMs(t, parent + day);
    ASSERT_TRUE(next.has_value());
    ASSERT_TRUE(CheckBlockTime(t, *next).ok());
    t = *next;
    ++blocks;
  }
  EXPECT_EQ(blocks, 24);
  // The last times of u64: no wrap, then no successor at all.
  EXPECT_EQ(NextBlockTimeMs(UINT64_MAX - 1, 5), UINT64_MAX);
  EXPECT_EQ(NextBlockTimeMs(UINT64_MAX - 1, UINT64_MAX), UINT64_MAX);
  EXPECT_EQ(NextBlockTimeMs(UINT64_MAX, UINT64_MAX), std::nullopt);
}

// RFC 6962 section 2.1, recursively, with hito's leaf and node labels.
Hash32 ReferenceRoot(const std::vector<Hash32>& leaves, size_t begin, size_t end) {
  if (end - begin == 1) return leaves[begin];
  size_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  return Hasher("hito/v1/tx-node")
      .Update(ReferenceRoot(leaves, begin, begin + k))
      .Update(ReferenceRoot(leaves, begin + k, end))
      .Finish();
}

TEST(TxRootTest, MatchesRfc6962Reference) {
  EXPECT_EQ(TxRoot({}), DomainHash("hito/v1/tx-leaf", ByteView()));
  std::vector<Bytes> txs;
  std::vector<Hash32> leaves;
  for (int n = 1; n <= 33; ++n) {
    txs.push_back(Bytes{static_cast<uint8_t>(n), 1, 2});
    leaves.push_back(DomainHash("hito/v1/tx-leaf", TransactionHash(txs.back())));
    EXPECT_EQ(TxRoot(txs), ReferenceRoot(leaves, 0, leaves.size())) << n;
  }
  // Three leaves: node(node(l0, l1), l2), the third leaf promoted unchanged.
  std::vector<Bytes> three(txs.begin(), txs.begin() + 3);
  const Hash32 n01 = Hasher("hito/v1/tx-node").Update(leaves[0]).Update(leaves[1]).Finish();
  EXPECT_EQ(TxRoot(three), Hasher("hito/v1/tx-node").Update(n01).Update(leaves[2]).Finish());
  EXPECT_EQ(TxRoot({txs[0]}), leaves[0]);
}

TEST(EvidenceHashTest, DependsOnContentAndOrder) {
  const testing::Validators v = MakeValidators();
  const DuplicateVoteEvidence e1 = testing::MakeEvidence(v.keys[0], 1);
  const DuplicateVoteEvidence e2 = testing::MakeEvidence(v.keys[1], 1);
  EXPECT_NE(EvidenceHash({}), EvidenceHash({e1}));
  EXPECT_NE(EvidenceHash({e1, e2}), EvidenceHash({e2, e1}));
}

}  // namespace
}  // namespace hito::consensus::types
