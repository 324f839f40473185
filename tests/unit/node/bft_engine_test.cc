// BftEngine: four validators in one process, each with a real home (LevelDB store, WAL
// and signer record files) and the real ChainApp, connected by an in-memory transport.
// Covers agreement with transactions, a stopped validator (the others go on; restarted on
// the same home it catches up without equivocating), a torn WAL tail, and loss of quorum
// (no decision while two of four are down; one of the others restarted mid-height replays
// its WAL; decisions resume when they return). Every
// wait is bounded.
#include "node/chain/bft_engine.h"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "consensus/types/transaction.h"
#include "node/chain/chain_app.h"
#include "node/config/config.h"
#include "node/mempool/mempool.h"
#include "node/store/store.h"
#include "tests/unit/node/testing.h"

namespace hito::node {
namespace {

namespace types = consensus::types;
using testing::AccountOf;
using testing::KeyFor;
using testing::TempDir;

constexpr int kN = 4;
constexpr const char* kChain = "bft-test";

// Full mesh; a detached node neither sends nor receives.
class Network {
 public:
  class Port : public ConsensusTransport {
   public:
    Port(Network* net, int index) : net_(net), index_(index) {}
    void SetHandler(ConsensusHandler* h) override {
      std::lock_guard lock(net_->mu_);
      net_->handlers_[static_cast<size_t>(index_)] = h;
    }
    void BroadcastProposal(const types::Proposal& p, const types::Block& b) override {
      net_->Each(index_, [&](ConsensusHandler* h) { h->OnProposal(p, b); });
    }
    void BroadcastVote(const types::Vote& v) override {
      net_->Each(index_, [&](ConsensusHandler* h) { h->OnVote(v); });
    }
    void BroadcastEvidence(const types::DuplicateVoteEvidence& e) override {
      net_->Each(index_, [&](ConsensusHandler* h) { h->OnEvidence(e); });
    }
    void RequestCommittedBlock(uint64_t height) override {
      std::lock_guard lock(net_->mu_);
      ConsensusHandler* me = net_->handlers_[static_cast<size_t>(index_)];
      if (me == nullptr) return;
      for (int j = 0; j < kN; ++j) {
        ConsensusHandler* h = net_->handlers_[static_cast<size_t>(j)];
        if (j == index_ || h == nullptr) continue;
        if (auto bc = h->ServeCommittedBlock(height)) {
          me->OnCommittedBlock(bc->first, bc->second);
          return;
        }
      }
    }

   private:
    Network* net_;
    int index_;
  };

  Port* port(int i) { return &ports_[static_cast<size_t>(i)]; }

 private:
  template <typename F>
  void Each(int from, F f) {
    std::lock_guard lock(mu_);
    if (handlers_[static_cast<size_t>(from)] == nullptr) return;
    for (int j = 0; j < kN; ++j) {
      ConsensusHandler* h = handlers_[static_cast<size_t>(j)];
      if (j != from && h != nullptr) f(h);
    }
  }
  std::mutex mu_;
  std::array<ConsensusHandler*, kN> handlers_{};
  std::array<Port, kN> ports_{Port(this, 0), Port(this, 1), Port(this, 2), Port(this, 3)};
};

consensus::ledger::Genesis MakeGenesis() {
  consensus::ledger::Genesis g;
  g.chain_id = kChain;
  g.time_ms = 1'700'000'000'000;
  std::vector<types::Validator> vals;
  for (uint8_t i = 0; i < kN; ++i)
    vals.push_back({KeyFor(static_cast<uint8_t>(100 + i)).public_key(), 1});
  g.validators = types::ValidatorSet::Create(vals).value();
  g.accounts.push_back({AccountOf(KeyFor(1)), 1'000'000'000});
  return g;
}

// One validator's parts over a home that outlives them.
struct Validator {
  std::unique_ptr<Store> store;
  std::unique_ptr<Mempool> mempool;
  std::unique_ptr<CommitEvents> events;
  std::unique_ptr<ChainApp> app;
  std::unique_ptr<BftEngine> engine;

  ~Validator() {
    if (engine) engine->Stop();
    engine.reset();
    if (events) events->Shutdown();
  }
};

class BftEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    genesis_ = MakeGenesis();
    for (int i = 0; i < kN; ++i) Open(i);
    for (int i = 0; i < kN; ++i) nodes_[Idx(i)]->engine->Start();
  }
  void TearDown() override {
    for (auto& n : nodes_) n.reset();
  }

  static size_t Idx(int i) { return static_cast<size_t>(i); }
  std::filesystem::path Home(int i) { return dir_.path() / ("node" + std::to_string(i)); }

  void Open(int i) {
    auto v = std::make_unique<Validator>();
    std::filesystem::create_directories(Home(i));
    v->store = Store::Open(Home(i) / "data").value();
    ChainTip tip = RecoverChain(v->store.get(), genesis_, Hash32{1}).value();
    Store* store = v->store.get();
    v->mempool = std::make_unique<Mempool>(kChain, MempoolLimits{}, store->State(),
                                           [store](const Hash32& h) { return store->GetTx(h); });
    v->events = std::make_unique<CommitEvents>(1000);
    v->app = std::make_unique<ChainApp>(kChain, std::move(tip), store, v->mempool.get(),
                                        v->events.get());
    BftEngineOptions o;
    o.bft.timeout_propose_base_ms = 400;
    o.bft.timeout_propose_delta_ms = 100;
    o.bft.timeout_prevote_base_ms = 200;
    o.bft.timeout_prevote_delta_ms = 100;
    o.bft.timeout_precommit_base_ms = 200;
    o.bft.timeout_precommit_delta_ms = 100;
    o.gossip_interval_ms = 200;
    o.commit_wait_ms = 50;
    Result<std::unique_ptr<BftEngine>> e =
        BftEngine::Open(Home(i), kChain, KeyFor(static_cast<uint8_t>(100 + i)), v->app.get(), store,
                        net_.port(i), o);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    v->engine = std::move(e).value();
    nodes_[Idx(i)] = std::move(v);
  }
  void Restart(int i) {
    Open(i);
    nodes_[Idx(i)]->engine->Start();
  }
  void StopNode(int i) { nodes_[Idx(i)].reset(); }
  uint64_t Height(int i) { return nodes_[Idx(i)]->app->Tip().height; }

  // Waits (at most 60 s) until every listed node is at `height` or above.
  bool WaitHeight(std::initializer_list<int> which, uint64_t height) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      bool all = true;
      for (int i : which) all = all && Height(i) >= height;
      if (all) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // The stored blocks 1..height agree byte for byte between the listed nodes. Each
  // block's app_hash is the state root after the previous height, which every node
  // checked against its own state before voting, so this also compares state roots.
  void ExpectAgreement(std::initializer_list<int> which, uint64_t height) {
    for (uint64_t h = 1; h <= height; ++h) {
      std::optional<Bytes> first;
      for (int i : which) {
        auto b = nodes_[Idx(i)]->store->GetBlock(h);
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
      if (nodes_[Idx(i)]) EXPECT_EQ(nodes_[Idx(i)]->engine->evidence_count(), 0u) << i;
    }
  }

  TempDir dir_;
  Network net_;
  consensus::ledger::Genesis genesis_;
  std::array<std::unique_ptr<Validator>, kN> nodes_;
};

TEST_F(BftEngineTest, DecidesBlocksWithTransactionsAndAgrees) {
  std::vector<Hash32> tx_hashes;
  for (uint64_t nonce = 0; nonce < 5; ++nonce) {
    Bytes tx = testing::SignedTransfer(KeyFor(1), {kChain, nonce, 1000, 7, AccountOf(KeyFor(2))});
    tx_hashes.push_back(types::TransactionHash(tx));
    for (int i = 0; i < kN; ++i) nodes_[Idx(i)]->mempool->Admit(tx);
  }
  ASSERT_TRUE(WaitHeight({0, 1, 2, 3}, 4));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool all_in = false;
  while (!all_in && std::chrono::steady_clock::now() < deadline) {
    all_in = true;
    for (int i = 0; i < kN; ++i) {
      for (const Hash32& h : tx_hashes) {
        auto loc = nodes_[Idx(i)]->store->GetTx(h);
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
    EXPECT_FALSE(nodes_[Idx(i)]->engine->signer_state().empty);
    EXPECT_GE(nodes_[Idx(i)]->engine->signer_state().height, 1u);
  }
}

TEST_F(BftEngineTest, StoppedValidatorRestartsWithoutConflictAndCatchesUp) {
  ASSERT_TRUE(WaitHeight({0, 1, 2, 3}, 2));
  const io::SignState before = nodes_[3]->engine->signer_state();
  StopNode(3);
  const uint64_t h = std::max({Height(0), Height(1), Height(2)});
  ASSERT_TRUE(WaitHeight({0, 1, 2}, h + 3)) << "three of four must go on";
  Restart(3);
  // Its record is where it left it (the restart signed nothing below it).
  const io::SignState reopened = nodes_[3]->engine->signer_state();
  EXPECT_EQ(reopened.height, before.height);
  EXPECT_EQ(reopened.round, before.round);
  EXPECT_EQ(reopened.signature, before.signature);
  const uint64_t target = std::max({Height(0), Height(1), Height(2)}) + 2;
  ASSERT_TRUE(WaitHeight({0, 1, 2, 3}, target)) << "restarted node must catch up";
  EXPECT_GT(nodes_[3]->engine->signer_state().height, before.height);
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
  EXPECT_EQ(nodes_[2]->engine->wal_recovery().tail, io::WalTail::kTorn);
  EXPECT_EQ(nodes_[2]->engine->wal_recovery().dropped_bytes + 3,
            size - nodes_[2]->engine->wal_recovery().valid_bytes);
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
  const io::SignState before = nodes_[0]->engine->signer_state();
  ASSERT_FALSE(before.empty);
  EXPECT_EQ(before.height, h0 + 1);
  StopNode(0);
  Restart(0);
  // Resume runs on the engine's thread: wait (bounded) for the replay.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (nodes_[0]->engine->replayed_records() == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GT(nodes_[0]->engine->replayed_records(), 0u);
  const io::SignState after = nodes_[0]->engine->signer_state();
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
  TempDir dir;
  consensus::ledger::Genesis g = MakeGenesis();
  auto store = Store::Open(dir.path() / "data").value();
  ChainTip tip = RecoverChain(store.get(), g, Hash32{1}).value();
  Store* s = store.get();
  Mempool mempool(kChain, MempoolLimits{}, s->State(),
                  [s](const Hash32& h) { return s->GetTx(h); });
  CommitEvents events(10);
  ChainApp app(kChain, tip, s, &mempool, &events);
  Network net;
  auto e =
      BftEngine::Open(dir.path(), kChain, KeyFor(50), &app, s, net.port(0), BftEngineOptions{});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  (*e)->Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  (*e)->Stop();
  EXPECT_TRUE((*e)->signer_state().empty);
  events.Shutdown();
}

TEST(BftEngineOpen, SkipsUndecodableWalRecordAndRuns) {
  TempDir dir;
  consensus::ledger::Genesis g = MakeGenesis();
  // A well-framed record (checksum fine) whose payload is no known record kind, and a
  // vote record with malformed vote bytes.
  std::filesystem::create_directories(BftPaths{dir.path()}.dir());
  Bytes image = io::FrameWalRecord(Bytes{0x09, 1, 2, 3});
  Bytes bad_vote = io::FrameWalRecord(Bytes{static_cast<uint8_t>(WalRecordKind::kVote), 0xff});
  image.insert(image.end(), bad_vote.begin(), bad_vote.end());
  ASSERT_TRUE(WriteFile(BftPaths{dir.path()}.wal(), std::string(image.begin(), image.end())).ok());
  auto store = Store::Open(dir.path() / "data").value();
  ChainTip tip = RecoverChain(store.get(), g, Hash32{1}).value();
  Store* s = store.get();
  Mempool mempool(kChain, MempoolLimits{}, s->State(),
                  [s](const Hash32& h) { return s->GetTx(h); });
  CommitEvents events(10);
  ChainApp app(kChain, tip, s, &mempool, &events);
  Network net;
  auto e =
      BftEngine::Open(dir.path(), kChain, KeyFor(100), &app, s, net.port(0), BftEngineOptions{});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)->wal_recovery().tail, io::WalTail::kClean);
  EXPECT_EQ((*e)->wal_recovery().records.size(), 2u);
  (*e)->Start();
  (*e)->Stop();
  EXPECT_EQ((*e)->replayed_records(), 0u);
  events.Shutdown();
}

}  // namespace
}  // namespace hito::node
