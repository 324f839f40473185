// DurableSigner never signs twice: conflicting or older (height, round, step) are refused,
// also after a crash and restart; the same message again returns the same signature; a
// record that could not be made durable releases no signature; a damaged record is an
// error, not a fresh start.
#include "node/io/durable_signer.h"

#include <gtest/gtest.h>

#include "base/hash.h"
#include "consensus/types/codec.h"

namespace hito::node::io {
namespace {

namespace types = consensus::types;

constexpr char kChain[] = "hito-test";

Ed25519PrivateKey Key() {
  Ed25519Seed seed{};
  seed[0] = 7;
  return Ed25519PrivateKey::FromSeed(seed);
}

types::Vote MakeVote(types::VoteType type, uint64_t h, uint32_t r, uint8_t block) {
  types::Vote v;
  v.type = type;
  v.height = h;
  v.round = r;
  Hash32 hash{};
  hash[0] = block;
  v.block_hash = hash;
  v.validator = Key().public_key();
  return v;
}

std::unique_ptr<DurableSigner> OpenSigner(Env* env) {
  auto s = DurableSigner::Open(env, "home/signer_state", Key(), kChain);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

TEST(SignerTest, SignsValidVotesInOrder) {
  MemEnv env;
  auto signer = OpenSigner(&env);
  auto v1 = MakeVote(types::VoteType::kPrevote, 1, 0, 1);
  ASSERT_TRUE(signer->SignVote(&v1).ok());
  EXPECT_TRUE(types::VerifyVoteSignature(kChain, v1));
  auto v2 = MakeVote(types::VoteType::kPrecommit, 1, 0, 1);
  ASSERT_TRUE(signer->SignVote(&v2).ok());
  auto v3 = MakeVote(types::VoteType::kPrevote, 2, 0, 3);
  ASSERT_TRUE(signer->SignVote(&v3).ok());
}

TEST(SignerTest, RefusesConflictingVoteAtSameStep) {
  MemEnv env;
  auto signer = OpenSigner(&env);
  auto a = MakeVote(types::VoteType::kPrevote, 5, 1, 1);
  ASSERT_TRUE(signer->SignVote(&a).ok());
  auto b = MakeVote(types::VoteType::kPrevote, 5, 1, 2);
  EXPECT_EQ(signer->SignVote(&b).code(), StatusCode::kFailedPrecondition);
  auto nil = a;
  nil.block_hash.reset();
  EXPECT_EQ(signer->SignVote(&nil).code(), StatusCode::kFailedPrecondition);
}

TEST(SignerTest, RefusesGoingBackwards) {
  MemEnv env;
  auto signer = OpenSigner(&env);
  auto v = MakeVote(types::VoteType::kPrecommit, 5, 2, 1);
  ASSERT_TRUE(signer->SignVote(&v).ok());
  auto older_step = MakeVote(types::VoteType::kPrevote, 5, 2, 1);
  EXPECT_FALSE(signer->SignVote(&older_step).ok());
  auto older_round = MakeVote(types::VoteType::kPrecommit, 5, 1, 1);
  EXPECT_FALSE(signer->SignVote(&older_round).ok());
  auto older_height = MakeVote(types::VoteType::kPrecommit, 4, 9, 1);
  EXPECT_FALSE(signer->SignVote(&older_height).ok());
}

TEST(SignerTest, SameMessageAgainReturnsSameSignature) {
  MemEnv env;
  auto signer = OpenSigner(&env);
  auto a = MakeVote(types::VoteType::kPrevote, 3, 0, 1);
  ASSERT_TRUE(signer->SignVote(&a).ok());
  auto again = MakeVote(types::VoteType::kPrevote, 3, 0, 1);
  ASSERT_TRUE(signer->SignVote(&again).ok());
  EXPECT_EQ(again.signature, a.signature);
}

TEST(SignerTest, RestartRemembersWhatWasSigned) {
  MemEnv env;
  {
    auto signer = OpenSigner(&env);
    auto a = MakeVote(types::VoteType::kPrecommit, 9, 0, 1);
    ASSERT_TRUE(signer->SignVote(&a).ok());
  }
  env.Crash();
  auto signer = OpenSigner(&env);
  ASSERT_NE(signer, nullptr);
  EXPECT_EQ(signer->last().height, 9u);
  auto conflict = MakeVote(types::VoteType::kPrecommit, 9, 0, 2);
  EXPECT_FALSE(signer->SignVote(&conflict).ok());
  auto next = MakeVote(types::VoteType::kPrevote, 10, 0, 2);
  EXPECT_TRUE(signer->SignVote(&next).ok());
}

TEST(SignerTest, NoSignatureWhenTheRecordCannotBeMadeDurable) {
  MemEnv env;
  auto signer = OpenSigner(&env);
  auto a = MakeVote(types::VoteType::kPrevote, 2, 0, 1);
  env.FailNextSyncs(1);
  EXPECT_FALSE(signer->SignVote(&a).ok());
  EXPECT_EQ(a.signature, Ed25519Signature{});
  env.Crash();
  // Nothing was released, so after a restart a different vote at that step is allowed.
  auto restarted = OpenSigner(&env);
  auto b = MakeVote(types::VoteType::kPrevote, 2, 0, 2);
  EXPECT_TRUE(restarted->SignVote(&b).ok());
}

TEST(SignerTest, ProposalsAreGuardedToo) {
  MemEnv env;
  auto signer = OpenSigner(&env);
  types::Proposal p;
  p.height = 4;
  p.round = 1;
  p.block_hash[0] = 1;
  p.proposer = Key().public_key();
  ASSERT_TRUE(signer->SignProposal(&p).ok());
  EXPECT_TRUE(types::VerifyProposalSignature(kChain, p));
  types::Proposal other = p;
  other.block_hash[0] = 2;
  EXPECT_FALSE(signer->SignProposal(&other).ok());
  types::Proposal foreign = p;
  foreign.proposer[0] ^= 1;
  EXPECT_EQ(signer->SignProposal(&foreign).code(), StatusCode::kInvalidArgument);
}

TEST(SignerTest, DamagedRecordIsAnErrorNotAFreshStart) {
  MemEnv env;
  {
    auto signer = OpenSigner(&env);
    auto a = MakeVote(types::VoteType::kPrevote, 2, 0, 1);
    ASSERT_TRUE(signer->SignVote(&a).ok());
  }
  Bytes state = *env.ReadFile("home/signer_state");
  state[3] ^= 1;
  ASSERT_TRUE(WriteFileAtomic(&env, "home/signer_state", state).ok());
  auto s = DurableSigner::Open(&env, "home/signer_state", Key(), kChain);
  EXPECT_EQ(s.status().code(), StatusCode::kDataLoss);
}

TEST(SignStateTest, EncodingRoundTripsAndRejectsTruncation) {
  SignState s;
  s.empty = false;
  s.height = 77;
  s.round = 3;
  s.step = SignStep::kPrecommit;
  s.sign_bytes_hash[5] = 9;
  s.signature[1] = 4;
  const Bytes enc = EncodeSignState(s);
  auto back = DecodeSignState(enc);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->height, 77u);
  EXPECT_EQ(back->round, 3u);
  EXPECT_EQ(back->step, SignStep::kPrecommit);
  EXPECT_EQ(back->signature, s.signature);
  for (size_t n = 0; n < enc.size(); ++n) {
    EXPECT_FALSE(DecodeSignState(ByteView(enc.data(), n)).ok()) << n;
  }
}

// The lock (last non-nil precommit of the height) is in the durable record: it survives a
// restart, outlives later nil votes of the same height and ends with the height.
TEST(SignerTest, RecordKeepsTheLockOfTheHeight) {
  MemEnv env;
  {
    auto signer = OpenSigner(&env);
    auto pre = MakeVote(types::VoteType::kPrevote, 4, 1, 6);
    ASSERT_TRUE(signer->SignVote(&pre).ok());
    EXPECT_FALSE(signer->last().has_lock);
    auto commit = MakeVote(types::VoteType::kPrecommit, 4, 1, 6);
    ASSERT_TRUE(signer->SignVote(&commit).ok());
    auto nil = MakeVote(types::VoteType::kPrevote, 4, 2, 0);
    nil.block_hash.reset();
    ASSERT_TRUE(signer->SignVote(&nil).ok());
  }
  env.Crash();
  auto signer = OpenSigner(&env);
  const SignState s = signer->last();
  ASSERT_TRUE(s.has_lock);
  EXPECT_EQ(s.lock_round, 1u);
  EXPECT_EQ(s.lock_block_hash[0], 6);
  auto next = MakeVote(types::VoteType::kPrevote, 5, 0, 1);
  ASSERT_TRUE(signer->SignVote(&next).ok());
  EXPECT_FALSE(signer->last().has_lock);
}

// A record written before the lock was kept (version 1) still opens, without a lock.
TEST(SignStateTest, VersionOneRecordStillReads) {
  types::Writer w;
  w.U8(1);
  w.Bool(true);
  w.U64(12);
  w.U32(2);
  w.U8(static_cast<uint8_t>(SignStep::kPrevote));
  w.Fixed(Hash32{});
  w.Fixed(Ed25519Signature{});
  Bytes body = std::move(w).bytes();
  const Hash32 check = DomainHash("hito/v1/signer-state", body);
  body.insert(body.end(), check.begin(), check.begin() + 8);
  auto s = DecodeSignState(body);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->height, 12u);
  EXPECT_EQ(s->round, 2u);
  EXPECT_FALSE(s->has_lock);
  EXPECT_EQ(EncodeSignState(*s), body);  // and a state without a lock is still written so
}

TEST(SignStateTest, LockRoundTrips) {
  SignState s;
  s.empty = false;
  s.height = 9;
  s.round = 4;
  s.step = SignStep::kPrevote;
  s.has_lock = true;
  s.lock_round = 3;
  s.lock_block_hash[0] = 0xab;
  const Bytes enc = EncodeSignState(s);
  auto back = DecodeSignState(enc);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->has_lock);
  EXPECT_EQ(back->lock_round, 3u);
  EXPECT_EQ(back->lock_block_hash, s.lock_block_hash);
  EXPECT_EQ(EncodeSignState(*back), enc);
  for (size_t n = 0; n < enc.size(); ++n) {
    EXPECT_FALSE(DecodeSignState(ByteView(enc.data(), n)).ok()) << n;
  }
}

}  // namespace
}  // namespace hito::node::io
