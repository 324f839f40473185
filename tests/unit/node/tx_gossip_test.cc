// Mempool::AdmitBatch and tx gossip between two P2pTransports over real loopback gRPC,
// each with a real mempool over a real ledger state.
//
// AdmitBatch: every item gets the outcome Admit would give it (forged signature, malformed
// bytes, duplicate inside the batch, wrong chain), a sender's consecutive nonces in one
// batch are all admitted, a refused nonce makes its later nonces a gap, and a large batch
// (the two-thread path) admits everything. Gossip: transactions relayed at A arrive in B's
// mempool in full batches (not one message per transaction), a partial batch is flushed
// after flush_ms, B never re-broadcasts what it received, a forged transaction in a batch
// is refused alone, duplicates are refused as already known, and the queue is bounded; a
// peer whose batches carry bad signatures is banned.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "base/assert.h"
#include "consensus/ledger/ledger.h"
#include "node/chain/p2p_transport.h"
#include "node/mempool/mempool.h"
#include "tests/support/genesis.h"
#include "tests/support/keys.h"
#include "tests/support/transactions.h"

namespace hito::node::chain {
namespace {

namespace ledger = consensus::ledger;
namespace types = consensus::types;
using Clock = std::chrono::steady_clock;
using ledger::TxCode;
using testing::KeyFor;
using testing::SignedTransfer;

constexpr char kChain[] = "test-chain";

std::shared_ptr<ledger::MemoryKv> GenesisState() {
  std::vector<std::pair<uint8_t, uint64_t>> funded;
  for (uint8_t k = 1; k <= 8; ++k) funded.push_back({k, 1'000'000'000});
  auto g = ledger::Ledger::InitGenesis(testing::MakeGenesis(kChain, funded));
  HITO_ASSERT(g.ok());
  auto kv = std::make_shared<ledger::MemoryKv>();
  kv->Apply(g->changes);
  return kv;
}

std::unique_ptr<mempool::Mempool> NewPool() {
  return std::make_unique<mempool::Mempool>(
      kChain, mempool::MempoolLimits{}, GenesisState(),
      [](const Hash32&) -> Result<std::optional<store::TxLocation>> {
        return std::optional<store::TxLocation>();
      });
}

std::vector<ByteView> Views(const std::vector<Bytes>& v) { return {v.begin(), v.end()}; }

template <typename F>
bool WaitFor(F f) {
  auto deadline = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

TEST(AdmitBatchTest, EachItemGetsItsOwnOutcome) {
  auto pool = NewPool();
  Bytes forged = SignedTransfer(KeyFor(2), {.nonce = 0});
  forged[forged.size() - 1] ^= 0x01;
  Bytes k1n0 = SignedTransfer(KeyFor(1), {.nonce = 0});
  std::vector<Bytes> batch = {
      k1n0,
      SignedTransfer(KeyFor(1), {.nonce = 1}),  // consecutive nonce in the same batch
      forged,
      Bytes{9, 1, 0},  // malformed
      k1n0,            // duplicate inside the batch
      SignedTransfer(KeyFor(3), {.chain_id = "other-chain"}),
      SignedTransfer(KeyFor(4), {.nonce = 1}),  // gap
      SignedTransfer(KeyFor(5), {.nonce = 0}),
  };
  std::vector<mempool::AdmitOutcome> out = pool->AdmitBatch(Views(batch));
  ASSERT_EQ(out.size(), batch.size());
  EXPECT_TRUE(out[0].ok()) << out[0].message;
  EXPECT_TRUE(out[1].ok()) << out[1].message;
  EXPECT_EQ(out[2].code, TxCode::kBadSignature);
  EXPECT_EQ(out[3].code, TxCode::kMalformed);
  EXPECT_EQ(out[4].code, TxCode::kAlreadyKnown);
  EXPECT_TRUE(out[4].pending);
  EXPECT_EQ(out[5].code, TxCode::kWrongChain);
  EXPECT_EQ(out[6].code, TxCode::kNonceTooHigh);
  EXPECT_TRUE(out[7].ok()) << out[7].message;
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].hash, types::TransactionHash(batch[i])) << i;
    EXPECT_EQ(out[i].ok(), out[i].admitted != nullptr) << i;
    if (!out[i].ok()) EXPECT_FALSE(out[i].message.empty()) << i;
  }
  EXPECT_EQ(pool->size(), 3u);
  ASSERT_NE(out[0].admitted, nullptr);
  EXPECT_EQ(out[0].admitted->bytes, k1n0);
}

TEST(AdmitBatchTest, RefusedNonceMakesLaterNoncesAGap) {
  auto pool = NewPool();
  Bytes bad = SignedTransfer(KeyFor(1), {.nonce = 1});
  bad[bad.size() - 1] ^= 0x01;
  std::vector<Bytes> batch = {SignedTransfer(KeyFor(1), {.nonce = 0}), bad,
                              SignedTransfer(KeyFor(1), {.nonce = 2})};
  std::vector<mempool::AdmitOutcome> out = pool->AdmitBatch(Views(batch));
  EXPECT_TRUE(out[0].ok());
  EXPECT_EQ(out[1].code, TxCode::kBadSignature);
  EXPECT_EQ(out[2].code, TxCode::kNonceTooHigh);
  EXPECT_EQ(pool->size(), 1u);
}

TEST(AdmitBatchTest, LargeBatchOnTwoThreadsAdmitsAllInNonceOrder) {
  auto pool = NewPool();
  std::vector<Bytes> batch;
  for (uint64_t n = 0; n < 100; ++n) {
    for (uint8_t k = 1; k <= 4; ++k) batch.push_back(SignedTransfer(KeyFor(k), {.nonce = n}));
  }
  batch[257][batch[257].size() - 1] ^= 0x01;  // one forged, in the helper thread's half
  std::vector<mempool::AdmitOutcome> out = pool->AdmitBatch(Views(batch));
  size_t ok = 0;
  for (const auto& o : out) ok += o.ok() ? 1 : 0;
  EXPECT_EQ(out[257].code, TxCode::kBadSignature);
  // 257 = sender KeyFor(2), nonce 64: its nonces 65..99 are gaps.
  EXPECT_EQ(out[261].code, TxCode::kNonceTooHigh);
  EXPECT_EQ(ok, 400u - 36u);
  EXPECT_EQ(pool->size(), ok);
}

// Two connected transports A -> B, each with its own mempool.
class TxGossipTest : public ::testing::Test {
 protected:
  void Connect(TxGossipOptions ga, size_t batch_limit = 256) {
    pool_a_ = NewPool();
    pool_b_ = NewPool();
    p2p::PeerNetworkConfig cb;
    cb.listen_address = "127.0.0.1:0";
    cb.chain_id = kChain;
    cb.limits.max_txs_per_batch = batch_limit;
    Ed25519PrivateKey key_a = Ed25519PrivateKey::Generate();
    Ed25519PrivateKey key_b = Ed25519PrivateKey::Generate();
    const Ed25519PublicKey pub_b = key_b.public_key();
    b_ = std::make_unique<P2pTransport>(cb, std::move(key_b), 0, pool_b_.get());
    ASSERT_TRUE(b_->Start().ok());
    p2p::PeerNetworkConfig ca = cb;
    ca.peers.push_back({"127.0.0.1:" + std::to_string(b_->network().port()), pub_b});
    a_ = std::make_unique<P2pTransport>(ca, std::move(key_a), 0, pool_a_.get(), ga);
    ASSERT_TRUE(a_->Start().ok());
    ASSERT_TRUE(WaitFor([&] { return !a_->network().Peers().empty(); }));
    ASSERT_TRUE(WaitFor([&] { return !b_->network().Peers().empty(); }));
  }
  void TearDown() override {
    if (a_) a_->Stop();
    if (b_) b_->Stop();
  }
  // Admits `raw` at A (as the RPC server does) and relays it.
  void SubmitAtA(const Bytes& raw) {
    mempool::AdmitOutcome o = pool_a_->Admit(raw);
    ASSERT_TRUE(o.ok()) << o.message;
    a_->Relay(o.admitted);
  }

  std::unique_ptr<mempool::Mempool> pool_a_, pool_b_;
  std::unique_ptr<P2pTransport> a_, b_;
};

TEST_F(TxGossipTest, FullBatchesArriveAndAreNotRebroadcast) {
  // A partial batch would wait a minute: only full batches can go out.
  Connect(TxGossipOptions{.flush_ms = 60'000, .max_queued = 10'000}, /*batch_limit=*/64);
  std::vector<Bytes> txs;
  for (uint64_t n = 0; n < 32; ++n) {
    for (uint8_t k = 1; k <= 4; ++k) txs.push_back(SignedTransfer(KeyFor(k), {.nonce = n}));
  }
  for (const Bytes& raw : txs) SubmitAtA(raw);
  ASSERT_TRUE(WaitFor([&] { return pool_b_->size() == txs.size(); })) << pool_b_->size();
  for (const Bytes& raw : txs) EXPECT_NE(pool_b_->Get(types::TransactionHash(raw)), nullptr);
  P2pTransport::GossipStats sa = a_->gossip_stats();
  EXPECT_EQ(sa.sent_txs, 128u);
  EXPECT_EQ(sa.sent_batches, 2u);  // 128 transactions, two messages
  P2pTransport::GossipStats sb = b_->gossip_stats();
  EXPECT_EQ(sb.received_admitted, 128u);
  EXPECT_EQ(sb.received_refused, 0u);
  EXPECT_EQ(sb.sent_txs, 0u);  // B does not relay what it received
  EXPECT_EQ(sb.sent_batches, 0u);
  EXPECT_EQ(a_->gossip_stats().received_admitted, 0u);
}

TEST_F(TxGossipTest, PartialBatchIsFlushedAfterTheDelay) {
  Connect(TxGossipOptions{.flush_ms = 20, .max_queued = 10'000});
  for (uint64_t n = 0; n < 3; ++n) SubmitAtA(SignedTransfer(KeyFor(1), {.nonce = n}));
  ASSERT_TRUE(WaitFor([&] { return pool_b_->size() == 3; })) << pool_b_->size();
  EXPECT_EQ(a_->gossip_stats().sent_txs, 3u);
}

TEST_F(TxGossipTest, ForgedAndDuplicateTxsFromAPeerAreRefusedAlone) {
  Connect(TxGossipOptions{.flush_ms = 5, .max_queued = 10'000});
  Bytes good0 = SignedTransfer(KeyFor(1), {.nonce = 0});
  Bytes good1 = SignedTransfer(KeyFor(2), {.nonce = 0});
  Bytes forged = SignedTransfer(KeyFor(3), {.nonce = 0});
  forged[forged.size() - 1] ^= 0x01;
  // A peer (A's network used directly, as a faulty or malicious peer would) sends a
  // batch with a forged tx between two good ones, then the same good ones again.
  a_->BroadcastTxs({good0, forged, good1});
  ASSERT_TRUE(WaitFor([&] {
    auto s = b_->gossip_stats();
    return s.received_admitted + s.received_refused == 3;
  }));
  EXPECT_EQ(pool_b_->size(), 2u);
  EXPECT_EQ(pool_b_->Get(types::TransactionHash(forged)), nullptr);
  EXPECT_EQ(b_->gossip_stats().received_refused, 1u);
  a_->BroadcastTxs({good0, good1});
  ASSERT_TRUE(WaitFor([&] { return b_->gossip_stats().received_refused == 3; }));
  EXPECT_EQ(pool_b_->size(), 2u);
  EXPECT_EQ(b_->gossip_stats().received_admitted, 2u);
}

TEST_F(TxGossipTest, PeerSendingBadSignatureTxsIsBanned) {
  Connect(TxGossipOptions{.flush_ms = 5, .max_queued = 10'000});
  // Ten forged transfers (score_bad_tx 10 each, ban_score 100), as a malicious peer sends
  // them; B's mempool refuses each for its signature and B bans A.
  std::vector<Bytes> forged;
  for (uint64_t n = 0; n < 10; ++n) {
    forged.push_back(SignedTransfer(KeyFor(3), {.nonce = n}));
    forged.back()[forged.back().size() - 1] ^= 0x01;
  }
  a_->BroadcastTxs(forged);
  ASSERT_TRUE(
      WaitFor([&] { return b_->network().DropCount(p2p::DropReason::kBadTransactions) == 1; }));
  EXPECT_TRUE(b_->network().IsBanned(a_->network().node_key()));
  EXPECT_EQ(b_->gossip_stats().received_refused, 10u);
  EXPECT_EQ(pool_b_->size(), 0u);
  EXPECT_TRUE(WaitFor([&] { return b_->network().Peers().empty(); }));
}

TEST_F(TxGossipTest, QueueIsBounded) {
  // Nothing flushes within the test (no full batch, a minute's delay): the queue fills.
  Connect(TxGossipOptions{.flush_ms = 60'000, .max_queued = 10}, /*batch_limit=*/256);
  for (uint64_t n = 0; n < 15; ++n) SubmitAtA(SignedTransfer(KeyFor(1), {.nonce = n}));
  EXPECT_EQ(a_->gossip_stats().dropped_txs, 5u);
  EXPECT_EQ(pool_a_->size(), 15u);  // still pending locally: they commit when A proposes
}

}  // namespace
}  // namespace hito::node::chain
