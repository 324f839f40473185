// BftDriver on simulated time: drivers with real ChainApps and stores, their WAL and
// signer record in one MemEnv, a ManualClock, and an in-memory mesh that queues messages
// (delivered between steps, so no driver is re-entered). Covers what the driver logs
// (only what the engine took, within the height's budget), relaying over a partial mesh,
// what gossip re-sends, a maximum-size proposal through WAL and restart, the lock in the
// signer record, a cut WAL, block time bounds and the evidence pool's admission.
#include "node/chain/bft_driver.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "consensus/bft/proposer.h"
#include "consensus/types/limits.h"
#include "node/chain/bft_engine.h"
#include "node/chain/chain_app.h"
#include "tests/support/chain_node.h"
#include "tests/support/consensus_mesh.h"
#include "tests/support/genesis.h"
#include "tests/support/keys.h"
#include "tests/support/temp_dir.h"
#include "tests/support/votes.h"

namespace hito::node::chain {
namespace {

namespace types = consensus::types;
namespace bft = consensus::bft;
using testing::KeyFor;

constexpr int kN = 4;
constexpr const char* kChain = "driver-test";
constexpr uint64_t kGenesisMs = testing::kGenesisTimeMs;

Ed25519PrivateKey ValKey(int i) { return testing::ValidatorKey(static_cast<size_t>(i)); }

consensus::ledger::Genesis MakeGenesis() {
  return testing::MakeGenesis(kChain, testing::FirstValidators(kN), {{1, 1'000'000'000}});
}

class BftDriverTest : public ::testing::Test {
 public:
  BftDriverTest() : clock_(kGenesisMs + 1000) { genesis_ = MakeGenesis(); }

  static BftEngineOptions Options() { return testing::FastBftOptions(); }

  static size_t Idx(int i) { return static_cast<size_t>(i); }
  std::string Home(int i) { return "/home" + std::to_string(i); }
  testing::ChainNode& node(int i) { return *nodes_[Idx(i)]; }
  BftDriver& driver(int i) { return *node(i).driver; }
  testing::ConsensusMesh::Port* port(int i) { return mesh_.port(Idx(i)); }

  // Opens node i's parts (its store stays across OpenDriver calls).
  void OpenNode(int i) {
    nodes_[Idx(i)] = testing::OpenChainNode(dir_.path() / ("data" + std::to_string(i)), genesis_);
  }
  void OpenDriver(int i, BftEngineOptions o = Options()) {
    testing::ChainNode& n = node(i);
    mesh_.Attach(Idx(i), nullptr);
    n.driver.reset();
    auto d = BftDriver::Open(&env_, &clock_, Home(i), kChain, ValKey(i), n.app.get(), n.store.get(),
                             port(i), o);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    n.driver = std::move(d).value();
    mesh_.Attach(Idx(i), n.driver.get());
    n.driver->Resume();
  }
  void CloseDriver(int i) {
    mesh_.Attach(Idx(i), nullptr);
    node(i).driver.reset();
  }

  // Runs `ms` of simulated time in 10 ms steps.
  void Run(uint64_t ms) {
    mesh_.Deliver();
    for (uint64_t t = 0; t < ms; t += 10) {
      clock_.Advance(10);
      for (auto& n : nodes_) {
        if (n && n->driver) n->driver->Tick();
      }
      mesh_.Deliver();
    }
  }

  uint64_t Height(int i) { return node(i).app->Tip().height; }
  // Runs until every node is at `height` or above, for at most `max_ms` of simulated time.
  void RunUntilHeight(uint64_t height, uint64_t max_ms) {
    for (uint64_t t = 0; t < max_ms; t += 100) {
      bool all = true;
      for (int i = 0; i < kN; ++i) all = all && Height(i) >= height;
      if (all) return;
      Run(100);
    }
  }

  static int IndexOfKeyAt(uint32_t set_index) {
    const types::ValidatorSet set = MakeGenesis().validators;
    for (int i = 0; i < kN; ++i) {
      if (set.IndexOf(ValKey(i).public_key()) == set_index) return i;
    }
    return -1;
  }
  // The validator (test index) proposing (height 1, round).
  static int ProposerOf(uint32_t round) {
    return IndexOfKeyAt(bft::ProposerSchedule(MakeGenesis().validators).ProposerIndex(1, round));
  }

  // A block for height 1 that node `at`'s ChainApp accepts, proposed by `proposer`.
  types::Block ValidBlock(int at, int proposer, uint64_t time_ms) {
    types::Block b =
        testing::NextBlock(*node(at).app, kChain, ValKey(proposer).public_key(), time_ms);
    EXPECT_TRUE(node(at).app->ProcessProposal(b).ok());
    return b;
  }
  static types::Proposal SignedProposal(int proposer, uint32_t round, const types::Block& b) {
    return testing::SignedProposal(kChain, ValKey(proposer), b.header.height, round,
                                   types::HeaderHash(b.header));
  }
  static types::Vote SignedVote(const Ed25519PrivateKey& key, types::VoteType type, uint64_t height,
                                uint32_t round, std::optional<Hash32> hash) {
    return testing::SignedVote(kChain, key, type, height, round, hash);
  }
  // Own votes node i broadcast, in order.
  std::vector<types::Vote> SentVotes(int i) {
    std::vector<types::Vote> out;
    for (const BftInput& in : port(i)->sent) {
      if (const auto* v = std::get_if<bft::VoteReceived>(&in)) {
        if (v->vote.validator == ValKey(i).public_key()) out.push_back(v->vote);
      }
    }
    return out;
  }
  // Moves driver i through rounds up to `to_round` at height 1: two others (more than a
  // third) prevote nil in each, and a second of time passes in each (timeouts fire).
  void PushRounds(int i, uint32_t to_round) {
    for (uint32_t r = driver(i).state_machine().round() + 1; r <= to_round; ++r) {
      int sent = 0;
      for (int j = 0; j < kN && sent < 2; ++j) {
        if (j == i) continue;
        driver(i).Handle(bft::VoteReceived{
            SignedVote(ValKey(j), types::VoteType::kPrevote, 1, r, std::nullopt)});
        ++sent;
      }
      Run(1000);
    }
  }
  size_t WalSize(int i) { return env_.ReadFile(Home(i) + "/consensus/wal").value().size(); }

  testing::TempDir dir_;
  io::MemEnv env_;
  io::ManualClock clock_;
  testing::ConsensusMesh mesh_{kN, testing::ConsensusMesh::Delivery::kQueued};
  consensus::ledger::Genesis genesis_;
  std::array<std::unique_ptr<testing::ChainNode>, kN> nodes_;
};

TEST_F(BftDriverTest, FourDriversDecideOnSimulatedTime) {
  mesh_.FullMesh();
  for (int i = 0; i < kN; ++i) OpenNode(i);
  for (int i = 0; i < kN; ++i) OpenDriver(i);
  RunUntilHeight(3, 20'000);
  for (int i = 0; i < kN; ++i) EXPECT_GE(Height(i), 3u) << i;
}

// A line A - B - C - D: without relaying, A and D never see a quorum (block sync off).
TEST_F(BftDriverTest, RelayKeepsAPartialMeshLive) {
  mesh_.Link(0, 1);
  mesh_.Link(1, 2);
  mesh_.Link(2, 3);
  mesh_.sync = false;
  for (int i = 0; i < kN; ++i) OpenNode(i);
  for (int i = 0; i < kN; ++i) OpenDriver(i);
  RunUntilHeight(3, 30'000);
  for (int i = 0; i < kN; ++i) EXPECT_GE(Height(i), 3u) << "validator " << i;
}

// What the engine took is relayed once, however often it arrives; what it refused (a
// non-member's vote) is not relayed.
TEST_F(BftDriverTest, RelaysEachTakenMessageOnce) {
  OpenNode(0);
  OpenDriver(0);
  port(0)->sent.clear();
  const types::Vote member = SignedVote(ValKey(1), types::VoteType::kPrevote, 1, 0, std::nullopt);
  const types::Vote stranger =
      SignedVote(KeyFor(77), types::VoteType::kPrevote, 1, 0, std::nullopt);
  for (int i = 0; i < 3; ++i) {
    driver(0).Handle(bft::VoteReceived{member});
    driver(0).Handle(bft::VoteReceived{stranger});
  }
  size_t member_relays = 0;
  size_t stranger_relays = 0;
  for (const BftInput& in : port(0)->sent) {
    if (const auto* v = std::get_if<bft::VoteReceived>(&in)) {
      member_relays += v->vote == member ? 1 : 0;
      stranger_relays += v->vote == stranger ? 1 : 0;
    }
  }
  EXPECT_EQ(member_relays, 1u);
  EXPECT_EQ(stranger_relays, 0u);
}

// A proposal for a round too far ahead is refused; sent again once the driver is in that
// round, it is taken (and the driver prevotes its block at once).
TEST_F(BftDriverTest, ProposalRefusedForARoundAheadIsTakenWhenResent) {
  OpenNode(0);
  uint32_t round = 2;
  while (ProposerOf(round) == 0) ++round;
  const int proposer = ProposerOf(round);
  OpenDriver(0);
  const types::Block block = ValidBlock(0, proposer, kGenesisMs + 500);
  const types::Proposal p = SignedProposal(proposer, round, block);
  driver(0).Handle(bft::ProposalReceived{p, block});
  EXPECT_EQ(driver(0).state_machine().last_rejection(), bft::Rejection::kRoundTooFar);
  // Two of four (more than a third) prevote in `round`: the driver skips to it.
  int sent = 0;
  for (int i = 1; i < kN && sent < 2; ++i) {
    if (i == proposer) continue;
    driver(0).Handle(bft::VoteReceived{
        SignedVote(ValKey(i), types::VoteType::kPrevote, 1, round, std::nullopt)});
    ++sent;
  }
  ASSERT_EQ(driver(0).state_machine().round(), round);
  driver(0).Handle(bft::ProposalReceived{p, block});
  bool prevoted_block = false;
  for (const types::Vote& v : SentVotes(0)) {
    prevoted_block = prevoted_block || (v.type == types::VoteType::kPrevote && v.round == round &&
                                        v.block_hash == p.block_hash);
  }
  EXPECT_TRUE(prevoted_block);
}

// A next-height vote refused during the commit wait (no room to hold it) is taken when it
// is sent again once that height has started.
TEST_F(BftDriverTest, NextHeightVoteRefusedInTheCommitWaitIsTakenWhenResent) {
  mesh_.FullMesh();
  for (int i = 0; i < kN; ++i) OpenNode(i);
  BftEngineOptions o = Options();
  o.commit_wait_ms = 5'000;
  o.next_height_buffer_max_bytes = 1;  // nothing fits: every next-height message refused
  o.bft.future_messages_max = 0;
  for (int i = 0; i < kN; ++i) OpenDriver(i, o);
  for (int t = 0; t < 200 && Height(0) < 1; ++t) Run(100);
  ASSERT_EQ(Height(0), 1u);
  ASSERT_TRUE(driver(0).state_machine().decided()) << "node 0 should be in its commit wait";
  for (int i = 1; i < kN; ++i) CloseDriver(i);
  const types::Vote vote = SignedVote(ValKey(1), types::VoteType::kPrecommit, 2, 1, std::nullopt);
  driver(0).Handle(bft::VoteReceived{vote});
  Run(o.commit_wait_ms + 100);
  ASSERT_EQ(driver(0).state_machine().height(), 2u);
  const size_t before = WalSize(0);
  driver(0).Handle(bft::VoteReceived{vote});
  EXPECT_GT(WalSize(0), before) << "the re-sent vote was not taken";
}

// A non-member's validly signed messages never reach the WAL; nor past the height's
// per-validator budget does a member's flood of votes for ever higher rounds.
TEST_F(BftDriverTest, WalTakesOnlyWhatTheEngineAcceptedWithinTheBudget) {
  OpenNode(0);
  BftEngineOptions o = Options();
  o.wal_height_max_records = 8;  // two per validator
  OpenDriver(0, o);
  const size_t start = WalSize(0);
  const Ed25519PrivateKey stranger = KeyFor(77);
  for (uint32_t r = 0; r < 50; ++r) {
    driver(0).Handle(
        bft::VoteReceived{SignedVote(stranger, types::VoteType::kPrevote, 1, r, std::nullopt)});
  }
  EXPECT_EQ(WalSize(0), start) << "a non-member's votes were logged";
  const int member = 1;
  for (uint32_t r = 1; r < 50; ++r) {
    driver(0).Handle(bft::VoteReceived{
        SignedVote(ValKey(member), types::VoteType::kPrecommit, 1, r, std::nullopt)});
  }
  CloseDriver(0);
  OpenDriver(0, o);
  EXPECT_EQ(driver(0).replayed_records(), 2u);
  // A log written under a larger budget is cut to this one's on restart.
  CloseDriver(0);
  o.wal_height_max_records = 4;  // one per validator
  OpenDriver(0, o);
  EXPECT_EQ(driver(0).replayed_records(), 1u);
  CloseDriver(0);
  OpenDriver(0, o);
  EXPECT_EQ(driver(0).replayed_records(), 1u);
}

// A block that arrives apart from any proposal (only a vote names it) is not logged: one
// validator could otherwise log 8 MiB per vote and spend the height's budget.
TEST_F(BftDriverTest, BlockNamedOnlyByAVoteIsNotLogged) {
  OpenNode(0);
  OpenDriver(0);
  types::Block block = ValidBlock(0, 1, kGenesisMs + 500);
  block.txs.assign(64, Bytes(64 * 1024, 0x11));  // 4 MiB
  block.header.tx_root = types::TxRoot(block.txs);
  const Hash32 hash = types::HeaderHash(block.header);
  driver(0).Handle(
      bft::VoteReceived{SignedVote(ValKey(1), types::VoteType::kPrecommit, 1, 0, hash)});
  const size_t before = WalSize(0);
  driver(0).Handle(bft::BlockReceived{block});
  EXPECT_LT(WalSize(0), before + 1024) << "the block was logged";
  EXPECT_EQ(driver(0).state_machine().FindBlock(hash), nullptr);
}

// In a long stall, a gossip tick re-sends the current round's own proposal only, and own
// votes of the current and previous round only.
TEST_F(BftDriverTest, GossipResendsOnlyTheCurrentRound) {
  const int me = ProposerOf(0);
  OpenNode(me);
  OpenDriver(me);
  PushRounds(me, 12);
  const uint32_t round = driver(me).state_machine().round();
  ASSERT_EQ(round, 12u);
  port(me)->sent.clear();
  Run(Options().gossip_interval_ms + 10);
  const uint32_t now_round = driver(me).state_machine().round();
  size_t proposals = 0;
  for (const BftInput& in : port(me)->sent) {
    if (const auto* p = std::get_if<bft::ProposalReceived>(&in)) {
      ++proposals;
      EXPECT_EQ(p->proposal.round, round) << "proposal of an earlier round re-sent";
    } else if (const auto* v = std::get_if<bft::VoteReceived>(&in)) {
      EXPECT_GE(v->vote.round + 2, round) << "vote of round " << v->vote.round << " re-sent";
    }
  }
  EXPECT_LE(proposals, 1u);
  EXPECT_EQ(now_round, round);
}

// A maximum-size block from a peer's proposal is logged (no death), and a restart replays
// it.
TEST_F(BftDriverTest, MaximumSizeProposalGoesThroughWalAndRestart) {
  OpenNode(0);
  const uint32_t round = ProposerOf(0) == 0 ? 1 : 0;
  const int proposer = ProposerOf(round);
  OpenDriver(0);
  if (round == 1) Run(Options().bft.timeouts.propose_base_ms + 400);  // into round 1
  types::Block block = ValidBlock(0, proposer, kGenesisMs + 500);
  block.header.app_hash = Hash32{9};  // invalid: prevoted nil, never executed
  // Fill to just under the limit with 60 KiB transactions, then top up.
  while (types::EncodeBlock(block).size() + 70 * 1024 < types::kBlockMaxBytes) {
    block.txs.push_back(Bytes(60 * 1024, 0x5a));
  }
  const size_t room = types::kBlockMaxBytes - types::EncodeBlock(block).size();
  block.txs.push_back(Bytes(room - 16, 0x5b));
  while (types::EncodeBlock(block).size() > types::kBlockMaxBytes) block.txs.back().pop_back();
  block.header.tx_root = types::TxRoot(block.txs);
  ASSERT_GT(types::EncodeBlock(block).size(), types::kBlockMaxBytes - 64);
  ASSERT_TRUE(types::DecodeBlock(types::EncodeBlock(block)).ok());
  const types::Proposal p = SignedProposal(proposer, round, block);
  driver(0).Handle(bft::ProposalReceived{p, block});
  EXPECT_GT(WalSize(0), types::kBlockMaxBytes);
  CloseDriver(0);
  OpenDriver(0);
  EXPECT_EQ(driver(0).wal_recovery().tail, io::WalTail::kClean);
  EXPECT_GE(driver(0).replayed_records(), 1u);
  EXPECT_NE(driver(0).state_machine().FindBlock(p.block_hash), nullptr);
}

// An Application whose mempool offers more transaction bytes than a block may hold (as
// a mempool that counts only transaction bytes may): the rest is the real ChainApp.
class OverfullApp : public Application {
 public:
  explicit OverfullApp(ChainApp* app) : app_(app) {}
  ChainTip Tip() const override { return app_->Tip(); }
  std::vector<Bytes> PrepareProposal(uint32_t, uint64_t) override {
    return std::vector<Bytes>(160, Bytes(64 * 1024, 0x77));  // 10 MiB
  }
  Result<types::ValidatorSet> ValidatorSetAt(uint64_t height) const override {
    return app_->ValidatorSetAt(height);
  }
  Status ProcessProposal(const types::Block& block) const override {
    return app_->ProcessProposal(block);
  }
  Result<FinalizedBlock> FinalizeBlock(const types::Block& block) override {
    return app_->FinalizeBlock(block);
  }
  void Commit(const types::Block& block, const types::Commit& commit,
              FinalizedBlock finalized) override {
    app_->Commit(block, commit, std::move(finalized));
  }

 private:
  ChainApp* app_;
};

// The node's own proposal from an overfull mempool is cut to the block limit and logged
// (before, it was logged whole or the node stopped).
TEST_F(BftDriverTest, OwnProposalFromAnOverfullMempoolFitsTheLimits) {
  const int me = ProposerOf(0);
  OpenNode(me);
  OverfullApp app(node(me).app.get());
  auto d = BftDriver::Open(&env_, &clock_, Home(me), kChain, ValKey(me), &app, node(me).store.get(),
                           port(me), Options());
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  (*d)->Resume();
  ASSERT_FALSE(port(me)->sent.empty());
  const auto* p = std::get_if<bft::ProposalReceived>(&port(me)->sent.front());
  ASSERT_NE(p, nullptr);
  const size_t size = types::EncodeBlock(*p->block).size();
  EXPECT_LE(size, types::kBlockMaxBytes);
  EXPECT_GT(size, types::kBlockMaxBytes - 128 * 1024);
  EXPECT_TRUE(types::DecodeBlock(types::EncodeBlock(*p->block)).ok());
  EXPECT_GT(WalSize(me), size);
}

// Locks node 0 on a block of round 0 (the proposal and two prevotes from others).
class LockedDriverTest : public BftDriverTest {
 protected:
  void LockOnBlock() {
    OpenNode(0);
    ASSERT_NE(ProposerOf(0), 0) << "the test needs another proposer for round 0";
    const int proposer = ProposerOf(0);
    OpenDriver(0);
    block_ = ValidBlock(0, proposer, kGenesisMs + 500);
    const types::Proposal p = SignedProposal(proposer, 0, block_);
    hash_ = p.block_hash;
    driver(0).Handle(bft::ProposalReceived{p, block_});
    for (int i = 1; i < 3; ++i) {  // with its own, a quorum: the precommit is the last record
      driver(0).Handle(
          bft::VoteReceived{SignedVote(ValKey(i), types::VoteType::kPrevote, 1, 0, hash_)});
    }
    ASSERT_TRUE(driver(0).state_machine().lock().has_value());
    ASSERT_TRUE(driver(0).signer_state().has_lock);
    EXPECT_EQ(driver(0).signer_state().lock_block_hash, hash_);
  }
  types::Block block_;
  Hash32 hash_{};
};

TEST_F(LockedDriverTest, LockComesBackFromTheSignerRecordWhenTheWalLostIt) {
  if (ProposerOf(0) == 0) GTEST_SKIP();
  LockOnBlock();
  CloseDriver(0);
  // The log as if everything after the height marker was lost (a clean, shorter log).
  Bytes marker = {static_cast<uint8_t>(WalRecordKind::kHeight), 0, 0, 0, 0, 0, 0, 0, 1};
  ASSERT_TRUE(
      io::WriteFileAtomic(&env_, Home(0) + "/consensus/wal", io::FrameWalRecord(marker)).ok());
  OpenDriver(0);
  ASSERT_TRUE(driver(0).state_machine().lock().has_value());
  EXPECT_EQ(driver(0).state_machine().lock()->block_hash, hash_);
}

TEST_F(LockedDriverTest, TornWalThatLostTheLastSignatureStopsSigningAtThatHeight) {
  if (ProposerOf(0) == 0) GTEST_SKIP();
  LockOnBlock();
  const io::SignState before = driver(0).signer_state();
  CloseDriver(0);
  // The last record is the own precommit: tear it.
  const std::string wal = Home(0) + "/consensus/wal";
  const size_t size = env_.ReadFile(wal).value().size();
  ASSERT_TRUE(env_.TruncateFile(wal, size - 3).ok());
  OpenDriver(0);
  EXPECT_EQ(driver(0).wal_recovery().tail, io::WalTail::kTorn);
  PushRounds(0, 4);  // nothing may be signed at height 1 in these rounds
  ASSERT_EQ(driver(0).state_machine().round(), 4u);
  const io::SignState after = driver(0).signer_state();
  EXPECT_EQ(after.height, before.height);
  EXPECT_EQ(after.round, before.round);
  EXPECT_EQ(after.step, before.step);
  // Restarted again, on the log the first restart rewrote (clean now): still no signing.
  CloseDriver(0);
  OpenDriver(0);
  EXPECT_EQ(driver(0).wal_recovery().tail, io::WalTail::kClean);
  PushRounds(0, 8);
  ASSERT_EQ(driver(0).state_machine().round(), 8u);
  EXPECT_EQ(driver(0).signer_state().round, before.round);
  EXPECT_EQ(driver(0).signer_state().step, before.step);
}

TEST_F(LockedDriverTest, CorruptRecordBeforeTheLastSignatureStopsSigningToo) {
  if (ProposerOf(0) == 0) GTEST_SKIP();
  LockOnBlock();
  const io::SignState before = driver(0).signer_state();
  CloseDriver(0);
  const std::string wal = Home(0) + "/consensus/wal";
  Bytes image = env_.ReadFile(wal).value();
  image[image.size() / 2] ^= 0xff;  // inside the proposal's block record
  ASSERT_TRUE(io::WriteFileAtomic(&env_, wal, image).ok());
  OpenDriver(0);
  EXPECT_EQ(driver(0).wal_recovery().tail, io::WalTail::kCorrupt);
  PushRounds(0, 4);
  ASSERT_EQ(driver(0).state_machine().round(), 4u);
  EXPECT_EQ(driver(0).signer_state().round, before.round);
  EXPECT_EQ(driver(0).signer_state().step, before.step);
}

TEST_F(LockedDriverTest, TornTailAfterTheLastSignatureKeepsSigning) {
  if (ProposerOf(0) == 0) GTEST_SKIP();
  LockOnBlock();
  const io::SignState before = driver(0).signer_state();
  CloseDriver(0);
  // A half-written peer record after the own precommit: nothing own was lost.
  const std::string wal = Home(0) + "/consensus/wal";
  Bytes tail = io::FrameWalRecord(Bytes{static_cast<uint8_t>(WalRecordKind::kVote), 1, 2, 3});
  tail.resize(tail.size() - 2);
  ASSERT_TRUE(env_.NewAppendableFile(wal).value()->Append(tail).ok());
  OpenDriver(0);
  EXPECT_EQ(driver(0).wal_recovery().tail, io::WalTail::kTorn);
  PushRounds(0, 4);
  EXPECT_GT(driver(0).signer_state().round, before.round);
}

// Block time: an own block is never dated beyond the parent + kBlockTimeMaxStepMs, and a
// proposed block dated beyond the local clock + the drift gets a nil prevote.
TEST_F(BftDriverTest, OwnBlockTimeIsBoundedByTheParent) {
  const int me = ProposerOf(0);
  OpenNode(me);
  clock_.SetWallMs(kGenesisMs + 24ull * 3600 * 1000);
  OpenDriver(me);
  ASSERT_FALSE(port(me)->sent.empty());
  const auto* p = std::get_if<bft::ProposalReceived>(&port(me)->sent.front());
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->block->header.time_ms, kGenesisMs + types::kBlockTimeMaxStepMs);
}

TEST_F(BftDriverTest, ProposalTooFarAheadOfTheLocalClockGetsANilPrevote) {
  OpenNode(0);
  if (ProposerOf(0) == 0) GTEST_SKIP();
  const int proposer = ProposerOf(0);
  OpenDriver(0);
  const uint64_t ahead = clock_.WallMs() + Options().max_clock_drift_ms + 1000;
  const types::Block block = ValidBlock(0, proposer, ahead);
  driver(0).Handle(bft::ProposalReceived{SignedProposal(proposer, 0, block), block});
  const std::vector<types::Vote> votes = SentVotes(0);
  ASSERT_FALSE(votes.empty());
  EXPECT_EQ(votes.back().type, types::VoteType::kPrevote);
  EXPECT_FALSE(votes.back().block_hash.has_value());
}

TEST_F(BftDriverTest, ProposalWithinTheDriftIsPrevoted) {
  OpenNode(0);
  if (ProposerOf(0) == 0) GTEST_SKIP();
  const int proposer = ProposerOf(0);
  OpenDriver(0);
  const types::Block block = ValidBlock(0, proposer, clock_.WallMs() + 5'000);
  const types::Proposal p = SignedProposal(proposer, 0, block);
  driver(0).Handle(bft::ProposalReceived{p, block});
  const std::vector<types::Vote> votes = SentVotes(0);
  ASSERT_FALSE(votes.empty());
  EXPECT_EQ(votes.back().block_hash, p.block_hash);
}

types::DuplicateVoteEvidence Equivocation(const Ed25519PrivateKey& key, uint64_t height,
                                          uint32_t round) {
  return testing::DuplicateVotes(kChain, key, height, round, Hash32{1}, Hash32{2});
}

// Junk evidence (a non-member's real equivocations, or a member's far in the future)
// never enters the pool, so a full pool of it cannot keep real evidence out.
TEST_F(BftDriverTest, EvidencePoolAdmitsOnlyMembersUpToTheNextHeight) {
  OpenNode(0);
  BftEngineOptions o = Options();
  o.evidence_pool_max = 16;
  OpenDriver(0, o);
  for (uint32_t r = 0; r < 40; ++r) driver(0).Handle(Equivocation(KeyFor(77), 1, r));
  EXPECT_EQ(driver(0).evidence_pending(), 0u);
  driver(0).Handle(Equivocation(ValKey(1), 5, 0));
  EXPECT_EQ(driver(0).evidence_pending(), 0u);
  driver(0).Handle(Equivocation(ValKey(1), 1, 0));
  EXPECT_EQ(driver(0).evidence_pending(), 1u);
}

// The engine thread's inbox is bounded in bytes: large proposals stop fitting long before
// a count bound would, and small votes still fit in what is left.
TEST(InputInboxTest, BoundedInBytes) {
  InputInbox inbox(4 * 1024 * 1024);
  types::Block block;
  block.txs.assign(16, Bytes(64 * 1024, 1));  // 1 MiB of transactions
  int taken = 0;
  for (int i = 0; i < 10; ++i) {
    taken += inbox.Push(bft::ProposalReceived{types::Proposal{}, block}) ? 1 : 0;
  }
  EXPECT_EQ(taken, 3);
  EXPECT_LE(inbox.bytes(), 4u * 1024 * 1024);
  EXPECT_TRUE(inbox.Push(bft::VoteReceived{types::Vote{}}));
  EXPECT_EQ(inbox.TakeAll().size(), 4u);
  EXPECT_EQ(inbox.bytes(), 0u);
  EXPECT_TRUE(inbox.Push(bft::ProposalReceived{types::Proposal{}, block}));
}

// Next-height messages wait in a buffer bounded in bytes per key of the current set: a
// member's flood of large next-height proposals is cut at its share, and what was kept
// is judged when the height starts.
TEST_F(BftDriverTest, NextHeightBufferIsBoundedPerKeyInBytes) {
  mesh_.FullMesh();
  for (int i = 0; i < kN; ++i) OpenNode(i);
  BftEngineOptions o = Options();
  o.next_height_buffer_max_bytes = 4 * io::kWalRecordMaxBytes;  // one share per key
  for (int i = 0; i < kN; ++i) OpenDriver(i, o);
  RunUntilHeight(1, 20'000);
  ASSERT_GE(Height(0), 1u);
  // A member floods node 0 with proposals for the height after the one it is in.
  const uint64_t next = driver(0).state_machine().height() + 1;
  types::Block big;
  big.header.height = next;
  big.txs.assign(8, Bytes(64 * 1024, 2));  // half a MiB
  const size_t before = WalSize(0);
  for (uint32_t r = 0; r < 64; ++r) {
    const types::Proposal p =
        testing::SignedProposal(kChain, ValKey(1), next, r, types::HeaderHash(big.header));
    driver(0).Handle(bft::ProposalReceived{p, big});
  }
  EXPECT_EQ(WalSize(0), before) << "next-height messages are not logged before it starts";
  EXPECT_LE(driver(0).next_height_buffer_bytes(), io::kWalRecordMaxBytes);
  EXPECT_GT(driver(0).next_height_buffer_bytes(), 0u);
}

}  // namespace
}  // namespace hito::node::chain
