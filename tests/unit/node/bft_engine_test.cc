// BftEngine: four validators in one process, each with a real home (LevelDB store, WAL
// and signer record files) and the real ChainApp, connected by an in-memory transport.
// Covers agreement with transactions, a stopped validator (the others go on; restarted on
// the same home it catches up without equivocating), a torn WAL tail, and loss of quorum
// (no decision while two of four are down; one of the others restarted mid-height replays
// its WAL; decisions resume when they return). Every
// wait is bounded.
#include "node/chain/bft_engine.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "consensus/types/transaction.h"
#include "node/chain/chain_app.h"
#include "node/config/config.h"
#include "tests/support/chain_node.h"
#include "tests/support/consensus_mesh.h"
#include "tests/support/genesis.h"
#include "tests/support/keys.h"
#include "tests/support/temp_dir.h"
#include "tests/support/transactions.h"

namespace hito::node::chain {
namespace {

namespace types = consensus::types;
using testing::AccountOf;
using testing::KeyFor;

constexpr int kN = 4;
constexpr const char* kChain = "bft-test";

consensus::ledger::Genesis MakeGenesis() {
  return testing::MakeGenesis(kChain, testing::FirstValidators(kN), {{1, 1'000'000'000}});
}

// Four validators (ValidatorKey(0..3)), each on its own home, all started.
class BftEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Status s = cluster_.StartAll();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  static size_t Idx(int i) { return static_cast<size_t>(i); }
  std::filesystem::path Home(int i) { return cluster_.Home(Idx(i)); }
  testing::ChainNode& node(int i) { return cluster_.node(Idx(i)); }

  void Restart(int i) {
    const Status s = cluster_.Restart(Idx(i));
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void StopNode(int i) { cluster_.Stop(Idx(i)); }
  uint64_t Height(int i) { return cluster_.Height(Idx(i)); }

  // Waits (at most 60 s) until every listed node is at `height` or above.
  bool WaitHeight(std::initializer_list<size_t> which, uint64_t height) {
    return cluster_.WaitHeight(which, height, std::chrono::seconds(60));
  }

  // The stored blocks 1..height agree byte for byte between the listed nodes. Each
  // block's app_hash is the state root after the previous height, which every node
  // checked against its own state before voting, so this also compares state roots.
  void ExpectAgreement(std::initializer_list<int> which, uint64_t height) {
    for (uint64_t h = 1; h <= height; ++h) {
      std::optional<Bytes> first;
      for (int i : which) {
        auto b = node(i).store->GetBlock(h);
        ASSERT_TRUE(b.ok());
        ASSERT_TRUE(b->has_value()) << "node " << i << " lacks block " << h;
        if (!first) {
          first = **b;
        } else {
          EXPECT_EQ(*first, **b) << "node " << i << " disagrees at height " << h;
        }
      }
    }
  }
  void ExpectNoEvidence() {
    for (int i = 0; i < kN; ++i) {
      if (cluster_.is_open(Idx(i))) EXPECT_EQ(node(i).engine->evidence_count(), 0u) << i;
    }
  }

  testing::EngineCluster cluster_{kN, MakeGenesis()};
};

TEST_F(BftEngineTest, DecidesBlocksWithTransactionsAndAgrees) {
  std::vector<Hash32> tx_hashes;
  for (uint64_t nonce = 0; nonce < 5; ++nonce) {
    Bytes tx = testing::SignedTransfer(KeyFor(1), {kChain, nonce, 1000, 7, AccountOf(KeyFor(2))});
    tx_hashes.push_back(types::TransactionHash(tx));
    for (int i = 0; i < kN; ++i) node(i).mempool->Admit(tx);
  }
  ASSERT_TRUE(WaitHeight({0, 1, 2, 3}, 4));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool all_in = false;
  while (!all_in && std::chrono::steady_clock::now() < deadline) {
    all_in = true;
    for (int i = 0; i < kN; ++i) {
      for (const Hash32& h : tx_hashes) {
        auto loc = node(i).store->GetTx(h);
        all_in = all_in && loc.ok() && loc->has_value();
      }
    }
    if (!all_in) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(all_in) << "transactions not committed everywhere";
  uint64_t common = Height(0);
  for (int i = 1; i < kN; ++i) common = std::min(common, Height(i));
  ExpectAgreement({0, 1, 2, 3}, common);
  ExpectNoEvidence();
  // Every validator signed something and never regressed below height 1.
  for (int i = 0; i < kN; ++i) {
    EXPECT_FALSE(node(i).engine->signer_state().empty);
    EXPECT_GE(node(i).engine->signer_state().height, 1u);
  }
}

TEST_F(BftEngineTest, StoppedValidatorRestartsWithoutConflictAndCatchesUp) {
  ASSERT_TRUE(WaitHeight({0, 1, 2, 3}, 2));
  const io::SignState before = node(3).engine->signer_state();
  StopNode(3);
  const uint64_t h = std::max({Height(0), Height(1), Height(2)});
  ASSERT_TRUE(WaitHeight({0, 1, 2}, h + 3)) << "three of four must go on";
  Restart(3);
  // Its record is where it left it (the restart signed nothing below it).
  const io::SignState reopened = node(3).engine->signer_state();
  EXPECT_EQ(reopened.height, before.height);
  EXPECT_EQ(reopened.round, before.round);
  EXPECT_EQ(reopened.signature, before.signature);
  const uint64_t target = std::max({Height(0), Height(1), Height(2)}) + 2;
  ASSERT_TRUE(WaitHeight({0, 1, 2, 3}, target)) << "restarted node must catch up";
  EXPECT_GT(node(3).engine->signer_state().height, before.height);
  ExpectAgreement({0, 1, 2, 3}, target);
  ExpectNoEvidence();
}

TEST_F(BftEngineTest, TornWalTailIsDetectedAndRecoveryProceeds) {
  ASSERT_TRUE(WaitHeight({0, 1, 2, 3}, 2));
  StopNode(2);
  const std::filesystem::path wal = BftPaths{Home(2)}.wal();
  const uintmax_t size = std::filesystem::file_size(wal);
  ASSERT_GT(size, 3u);
  std::filesystem::resize_file(wal, size - 3);
  Restart(2);
  EXPECT_EQ(node(2).engine->wal_recovery().tail, io::WalTail::kTorn);
  EXPECT_EQ(node(2).engine->wal_recovery().dropped_bytes + 3,
            size - node(2).engine->wal_recovery().valid_bytes);
  const uint64_t target = std::max({Height(0), Height(1), Height(3)}) + 2;
  ASSERT_TRUE(WaitHeight({0, 1, 2, 3}, target));
  ExpectAgreement({0, 1, 2, 3}, target);
  ExpectNoEvidence();
}

TEST_F(BftEngineTest, NoDecisionWithoutQuorumThenResumes) {
  ASSERT_TRUE(WaitHeight({0, 1, 2, 3}, 2));
  StopNode(2);
  StopNode(3);
  // A decision whose precommits were already in flight may still land; after that none.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const uint64_t h0 = Height(0);
  const uint64_t h1 = Height(1);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(Height(0), h0);
  EXPECT_EQ(Height(1), h1);
  // Node 0 has signed votes in the stalled height: restarted mid-height, it replays its
  // WAL (own votes included) and its signer record does not move backwards.
  const io::SignState before = node(0).engine->signer_state();
  ASSERT_FALSE(before.empty);
  EXPECT_EQ(before.height, h0 + 1);
  StopNode(0);
  Restart(0);
  // Resume runs on the engine's thread: wait (bounded) for the replay.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (node(0).engine->replayed_records() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GT(node(0).engine->replayed_records(), 0u);
  const io::SignState after = node(0).engine->signer_state();
  EXPECT_EQ(after.height, before.height);
  EXPECT_GE(after.round, before.round);
  Restart(2);
  Restart(3);
  const uint64_t target = std::max(h0, h1) + 2;
  ASSERT_TRUE(WaitHeight({0, 1, 2, 3}, target)) << "decisions must resume with quorum back";
  ExpectAgreement({0, 1, 2, 3}, target);
  ExpectNoEvidence();
}

// A key outside the set of the next height (a validator that joins later by a scheduled
// change, or one that left) opens and follows the chain without signing anything.
TEST(BftEngineOpen, KeyOutsideTheSetObservesOnly) {
  testing::TempDir dir;
  auto n = testing::OpenChainNode(dir.path() / "data", MakeGenesis());
  testing::ConsensusMesh net(kN, testing::ConsensusMesh::Delivery::kImmediate);
  auto e = BftEngine::Open(dir.path(), kChain, KeyFor(50), n->app.get(), n->store.get(),
                           net.port(0), BftEngineOptions{});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  (*e)->Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  (*e)->Stop();
  EXPECT_TRUE((*e)->signer_state().empty);
}

TEST(BftEngineOpen, SkipsUndecodableWalRecordAndRuns) {
  testing::TempDir dir;
  // A well-framed record (checksum fine) whose payload is no known record kind, and a
  // vote record with malformed vote bytes.
  std::filesystem::create_directories(BftPaths{dir.path()}.dir());
  Bytes image = io::FrameWalRecord(Bytes{0x09, 1, 2, 3});
  Bytes bad_vote = io::FrameWalRecord(Bytes{static_cast<uint8_t>(WalRecordKind::kVote), 0xff});
  image.insert(image.end(), bad_vote.begin(), bad_vote.end());
  ASSERT_TRUE(WriteFile(BftPaths{dir.path()}.wal(), std::string(image.begin(), image.end())).ok());
  auto n = testing::OpenChainNode(dir.path() / "data", MakeGenesis());
  testing::ConsensusMesh net(kN, testing::ConsensusMesh::Delivery::kImmediate);
  auto e = BftEngine::Open(dir.path(), kChain, KeyFor(100), n->app.get(), n->store.get(),
                           net.port(0), BftEngineOptions{});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)->wal_recovery().tail, io::WalTail::kClean);
  EXPECT_EQ((*e)->wal_recovery().records.size(), 2u);
  (*e)->Start();
  (*e)->Stop();
  EXPECT_EQ((*e)->replayed_records(), 0u);
}

}  // namespace
}  // namespace hito::node::chain
