// Covers DecodeInbound (node/p2p/inbound.h) on its own, with no network: every message
// kind decodes to the typed value it carries, and each refusal (a truncated frame, an
// empty or unknown kind, an oversized frame, a hello after the handshake, and every
// malformed field of every kind) comes back with the code, hence the DropReason, and the
// message that name it. Frames are built with the types fixtures and serialized by hand.
#include "node/p2p/inbound.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "hito/p2p/v1/p2p.pb.h"
#include "tests/unit/types/test_util.h"

namespace hito::node::p2p {
namespace {

namespace ct = consensus::types;
using ct::testing::H;
using ct::testing::HasMessage;
using ct::testing::kChain;
using ct::testing::Key;

std::string Str(const Bytes& b) { return std::string(AsChars(b)); }

InboundRules Rules() { return InboundRules{std::string(kChain), kMaxFrameBytes, 256}; }

Result<InboundMessage> Decode(const v1::PeerMessage& m, const InboundRules& rules = Rules()) {
  const std::string frame = m.SerializeAsString();
  return DecodeInbound(AsBytes(frame), rules);
}

// Refused with `code` (and so `reason`), the message containing `needle`.
void ExpectRefused(const Result<InboundMessage>& r, StatusCode code, DropReason reason,
                   std::string_view needle) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), code) << r.status().ToString();
  EXPECT_EQ(RefusalReason(r.status()), reason);
  EXPECT_TRUE(HasMessage(r.status(), needle)) << r.status().ToString() << " lacks " << needle;
}

void ExpectMalformed(const v1::PeerMessage& m, std::string_view needle) {
  ExpectRefused(Decode(m), StatusCode::kInvalidArgument, DropReason::kMalformed, needle);
}

void ExpectBadSignature(const v1::PeerMessage& m, std::string_view needle) {
  ExpectRefused(Decode(m), StatusCode::kUnauthenticated, DropReason::kBadSignature, needle);
}

BlockAndCommit SampleBlock() {
  ct::testing::Validators vals = ct::testing::MakeValidators();
  BlockAndCommit bc;
  bc.block = ct::testing::MakeBlock(vals);
  bc.commit = ct::testing::MakeCommit(vals, 2, 0, ct::HeaderHash(bc.block.header),
                                      {ct::CommitFlag::kCommit, ct::CommitFlag::kCommit,
                                       ct::CommitFlag::kCommit, ct::CommitFlag::kCommit});
  return bc;
}

ct::Proposal SignedProposal(const ct::Block& block, std::string_view chain = kChain) {
  ct::Proposal p;
  p.height = block.header.height;
  p.block_hash = ct::HeaderHash(block.header);
  p.proposer = Key(10).public_key();
  ct::SignProposal(chain, &p, Key(10));
  return p;
}

ct::Vote SampleVote(std::string_view chain = kChain) {
  return ct::testing::SignedVote(Key(10), ct::VoteType::kPrevote, 3, 0, H("b"), chain);
}

v1::PeerMessage VoteFrame(const ct::Vote& v) {
  v1::PeerMessage m;
  m.mutable_consensus()->set_vote(Str(ct::EncodeVote(v)));
  return m;
}

v1::PeerMessage ProposalFrame(const ct::Proposal& p, const std::string& block) {
  v1::PeerMessage m;
  m.mutable_consensus()->mutable_proposal()->set_proposal(Str(ct::EncodeProposal(p)));
  m.mutable_consensus()->mutable_proposal()->set_block(block);
  return m;
}

v1::PeerMessage ResponseFrame(uint64_t height, const std::string& block,
                              const std::string& commit) {
  v1::PeerMessage m;
  m.mutable_block_response()->set_height(height);
  m.mutable_block_response()->set_block(block);
  m.mutable_block_response()->set_commit(commit);
  return m;
}

Bytes TxBytes() { return ct::EncodeTransaction(ct::Transaction{ct::testing::SignedTransfer()}); }

TEST(DecodeInbound, ConsensusKindsDecodeToWhatTheyCarry) {
  const BlockAndCommit bc = SampleBlock();
  const ct::Proposal prop = SignedProposal(bc.block);
  Result<InboundMessage> full = Decode(ProposalFrame(prop, Str(ct::EncodeBlock(bc.block))));
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  const auto& pwb = std::get<ProposalWithBlock>(std::get<ConsensusMessage>(*full));
  EXPECT_EQ(pwb.proposal, prop);
  EXPECT_EQ(pwb.block, bc.block);

  Result<InboundMessage> bare = Decode(ProposalFrame(prop, ""));
  ASSERT_TRUE(bare.ok()) << bare.status().ToString();
  EXPECT_FALSE(std::get<ProposalWithBlock>(std::get<ConsensusMessage>(*bare)).block);

  Result<InboundMessage> vote = Decode(VoteFrame(SampleVote()));
  ASSERT_TRUE(vote.ok()) << vote.status().ToString();
  EXPECT_EQ(std::get<ct::Vote>(std::get<ConsensusMessage>(*vote)), SampleVote());

  const ct::DuplicateVoteEvidence ev = ct::testing::MakeEvidence(Key(11), 4);
  v1::PeerMessage em;
  em.mutable_consensus()->set_evidence(Str(ct::EncodeEvidence(ev)));
  Result<InboundMessage> evidence = Decode(em);
  ASSERT_TRUE(evidence.ok()) << evidence.status().ToString();
  EXPECT_EQ(std::get<ct::DuplicateVoteEvidence>(std::get<ConsensusMessage>(*evidence)), ev);
}

TEST(DecodeInbound, OtherKindsDecodeToWhatTheyCarry) {
  v1::PeerMessage txs;
  txs.mutable_txs()->add_txs(Str(TxBytes()));
  Result<InboundMessage> batch = Decode(txs);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_EQ(std::get<TxBatch>(*batch), TxBatch{TxBytes()});

  v1::PeerMessage status;
  status.mutable_status()->set_height(7);
  EXPECT_EQ(std::get<StatusUpdate>(Decode(status).value()).height, 7u);
  v1::PeerMessage request;
  request.mutable_block_request()->set_height(8);
  EXPECT_EQ(std::get<BlockRequest>(Decode(request).value()).height, 8u);

  const BlockAndCommit bc = SampleBlock();
  Result<InboundMessage> found =
      Decode(ResponseFrame(2, Str(ct::EncodeBlock(bc.block)), Str(ct::EncodeCommit(bc.commit))));
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  const BlockAnswer& answer = std::get<BlockAnswer>(*found);
  EXPECT_EQ(answer.height, 2u);
  ASSERT_TRUE(answer.block.has_value());
  EXPECT_EQ(answer.block->block, bc.block);
  EXPECT_EQ(answer.block->commit, bc.commit);

  v1::PeerMessage not_found;
  not_found.mutable_block_not_found()->set_height(9);
  const BlockAnswer none = std::get<BlockAnswer>(Decode(not_found).value());
  EXPECT_EQ(none.height, 9u);
  EXPECT_FALSE(none.block.has_value());
}

TEST(DecodeInbound, RefusesEveryTruncationOfAFrame) {
  const std::string frame = VoteFrame(SampleVote()).SerializeAsString();
  for (size_t n = 1; n < frame.size(); ++n) {
    ExpectRefused(DecodeInbound(AsBytes(std::string_view(frame).substr(0, n)), Rules()),
                  StatusCode::kInvalidArgument, DropReason::kMalformed, "not a PeerMessage");
  }
}

TEST(DecodeInbound, RefusesAnEmptyOrUnknownKind) {
  ExpectRefused(DecodeInbound(ByteView(), Rules()), StatusCode::kInvalidArgument,
                DropReason::kMalformed, "empty or unknown message kind");
  v1::PeerMessage unknown;  // a field number this version does not know, no known kind
  unknown.GetReflection()->MutableUnknownFields(&unknown)->AddLengthDelimited(99, "junk");
  ExpectMalformed(unknown, "empty or unknown message kind");
  v1::PeerMessage empty_consensus;
  empty_consensus.mutable_consensus();
  ExpectMalformed(empty_consensus, "empty consensus message");
}

TEST(DecodeInbound, RefusesAFrameOverTheLimit) {
  const v1::PeerMessage m = VoteFrame(SampleVote());
  const size_t size = m.ByteSizeLong();
  InboundRules rules = Rules();
  rules.max_message_bytes = size;
  EXPECT_TRUE(Decode(m, rules).ok());
  rules.max_message_bytes = size - 1;
  ExpectRefused(Decode(m, rules), StatusCode::kResourceExhausted, DropReason::kOversized,
                std::to_string(size) + " bytes > max " + std::to_string(size - 1));
  // The parsed-frame form judges the size it is given, before anything else.
  v1::PeerMessage junk;
  junk.mutable_consensus()->set_vote("not a vote");
  ExpectRefused(DecodeInbound(junk, size, rules), StatusCode::kResourceExhausted,
                DropReason::kOversized, "bytes > max");
}

TEST(DecodeInbound, RefusesAHelloAfterTheHandshake) {
  v1::PeerMessage hello;
  hello.mutable_hello()->set_chain_id(std::string(kChain));
  ExpectMalformed(hello, "hello after the handshake");
  v1::PeerMessage auth;
  auth.mutable_hello_auth()->set_signature(std::string(64, 'x'));
  ExpectMalformed(auth, "hello after the handshake");
}

TEST(DecodeInbound, RefusesMalformedOrForgedVotesAndEvidence) {
  v1::PeerMessage garbage;
  garbage.mutable_consensus()->set_vote("definitely not a vote");
  ExpectMalformed(garbage, "vote: ");
  ct::Vote forged = SampleVote();
  forged.signature[5] ^= 1;
  ExpectBadSignature(VoteFrame(forged), "vote signature invalid");
  ExpectBadSignature(VoteFrame(SampleVote("other-chain")), "vote signature invalid");

  v1::PeerMessage bad_evidence;
  bad_evidence.mutable_consensus()->set_evidence("not evidence");
  ExpectMalformed(bad_evidence, "evidence: ");
  ct::DuplicateVoteEvidence ev = ct::testing::MakeEvidence(Key(11), 4);
  ev.a.signature[0] ^= 1;
  v1::PeerMessage forged_evidence;
  forged_evidence.mutable_consensus()->set_evidence(Str(ct::EncodeEvidence(ev)));
  ExpectBadSignature(forged_evidence, "evidence: ");
}

TEST(DecodeInbound, RefusesMalformedForgedOrMismatchedProposals) {
  const BlockAndCommit bc = SampleBlock();
  const std::string block = Str(ct::EncodeBlock(bc.block));
  v1::PeerMessage garbage;
  garbage.mutable_consensus()->mutable_proposal()->set_proposal("not a proposal");
  ExpectMalformed(garbage, "proposal: ");
  ct::Proposal forged = SignedProposal(bc.block);
  forged.signature[1] ^= 1;
  ExpectBadSignature(ProposalFrame(forged, block), "proposal signature invalid");
  ExpectBadSignature(ProposalFrame(SignedProposal(bc.block, "other-chain"), block),
                     "proposal signature invalid");
  ExpectMalformed(ProposalFrame(SignedProposal(bc.block), "not a block"), "block: ");
  ct::Block other = bc.block;
  other.header.time_ms += 1;  // another block at the same height
  ExpectMalformed(ProposalFrame(SignedProposal(other), block),
                  "proposed block does not match the proposal");
}

TEST(DecodeInbound, RefusesMalformedTxBatches) {
  const std::string tx = Str(TxBytes());
  v1::PeerMessage too_many;
  for (int i = 0; i < 257; ++i) too_many.mutable_txs()->add_txs(tx);
  ExpectMalformed(too_many, "tx batch of 257 > 256");
  InboundRules two = Rules();
  two.max_txs_per_batch = 2;
  v1::PeerMessage three;
  for (int i = 0; i < 3; ++i) three.mutable_txs()->add_txs(tx);
  ExpectRefused(Decode(three, two), StatusCode::kInvalidArgument, DropReason::kMalformed,
                "tx batch of 3 > 2");

  v1::PeerMessage oversized_tx;
  oversized_tx.mutable_txs()->add_txs(tx);
  oversized_tx.mutable_txs()->add_txs(std::string(ct::kTxMaxBytes + 1, '\x01'));
  ExpectMalformed(oversized_tx, "tx over kTxMaxBytes");
  v1::PeerMessage garbage;
  garbage.mutable_txs()->add_txs(tx);
  garbage.mutable_txs()->add_txs(std::string(100, '\x01'));
  ExpectMalformed(garbage, "tx: ");
}

TEST(DecodeInbound, RefusesMalformedOrMismatchedBlockResponses) {
  const BlockAndCommit bc = SampleBlock();
  const std::string block = Str(ct::EncodeBlock(bc.block));
  const std::string commit = Str(ct::EncodeCommit(bc.commit));
  ExpectMalformed(ResponseFrame(2, "not a block", commit), "block response: block: ");
  ExpectMalformed(ResponseFrame(2, block, "not a commit"), "block response: commit: ");
  ExpectMalformed(ResponseFrame(3, block, commit), "block/commit do not match the height");
  ct::Commit other = bc.commit;
  other.block_hash = H("another block");
  ExpectMalformed(ResponseFrame(2, block, Str(ct::EncodeCommit(other))),
                  "block/commit do not match the height");
  InboundRules other_chain = Rules();
  other_chain.chain_id = "other-chain";
  ExpectRefused(Decode(ResponseFrame(2, block, commit), other_chain), StatusCode::kInvalidArgument,
                DropReason::kMalformed, "block/commit do not match the height");
}

}  // namespace
}  // namespace hito::node::p2p
