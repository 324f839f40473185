// P2pTransport over real PeerNetworks on loopback: votes broadcast by one arrive at
// the other's ConsensusHandler, and after SetHandler(nullptr) returns no call into the
// old handler is running or starts, while the peer keeps sending. A malformed peer key in
// the config is refused. A block of exactly kBlockMaxBytes crosses as a proposal and as a
// block-sync answer with a full commit. Block sync asks another peer when the first one
// does not answer in time, disconnects, or lies about its height (which gets it banned).
#include "node/chain/p2p_transport.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "consensus/types/vote.h"
#include "tests/unit/types/test_util.h"

namespace hito::node::chain {
namespace {

namespace types = consensus::types;
using Clock = std::chrono::steady_clock;

class CountingHandler : public ConsensusHandler {
 public:
  void OnProposal(const types::Proposal&, std::optional<types::Block>) override {}
  void OnVote(const types::Vote&) override {
    if (detached.load()) late_calls.fetch_add(1);
    in_call.store(true);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    in_call.store(false);
    votes.fetch_add(1);
  }
  void OnBlock(const types::Block&) override {}
  void OnEvidence(const types::DuplicateVoteEvidence&) override {}
  void OnCommittedBlock(const types::Block&, const types::Commit&) override {}
  std::optional<std::pair<types::Block, types::Commit>> ServeCommittedBlock(uint64_t) override {
    return std::nullopt;
  }
  std::atomic<bool> detached{false};
  std::atomic<bool> in_call{false};
  std::atomic<int> votes{0};
  std::atomic<int> late_calls{0};
};

template <typename F>
bool WaitFor(F f) {
  auto deadline = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(P2pTransportTest, DeliversVotesAndDetachWaitsForTheRunningCall) {
  const std::string chain = "p2p-transport-test";
  Ed25519PrivateKey key_a = Ed25519PrivateKey::Generate();
  Ed25519PrivateKey key_b = Ed25519PrivateKey::Generate();
  Ed25519PrivateKey voter = Ed25519PrivateKey::Generate();
  const Ed25519PublicKey pub_b = key_b.public_key();

  p2p::PeerNetworkConfig cb;
  cb.listen_address = "127.0.0.1:0";
  cb.chain_id = chain;
  P2pTransport b(cb, std::move(key_b), 0, nullptr);
  ASSERT_TRUE(b.Start().ok());
  p2p::PeerNetworkConfig ca = cb;
  ca.peers.push_back({"127.0.0.1:" + std::to_string(b.network().port()), pub_b});
  P2pTransport a(ca, std::move(key_a), 0, nullptr);
  CountingHandler handler;
  a.SetHandler(&handler);
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return !a.network().Peers().empty(); }));

  std::atomic<bool> stop{false};
  std::thread sender([&] {
    for (uint64_t h = 1; !stop.load(); ++h) {
      types::Vote v;
      v.height = h;
      v.block_hash = Hash32{};
      v.validator = voter.public_key();
      types::SignVote(chain, &v, voter);
      b.BroadcastVote(v);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  EXPECT_TRUE(WaitFor([&] { return handler.votes.load() >= 20; }));
  a.SetHandler(nullptr);
  EXPECT_FALSE(handler.in_call.load());
  handler.detached.store(true);
  const int at_detach = handler.votes.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the peer keeps sending
  stop.store(true);
  sender.join();
  EXPECT_EQ(handler.late_calls.load(), 0);
  EXPECT_EQ(handler.votes.load(), at_detach);
  a.Stop();
  b.Stop();
}

TEST(P2pTransportTest, MalformedPeerKeyIsRefused) {
  config::NodeConfig c;
  c.peers.push_back({"127.0.0.1:1", "not-hex"});
  EXPECT_EQ(PeerNetworkConfigFor(c, "x", Hash32{}).status().code(), StatusCode::kInvalidArgument);
  c.peers[0].public_key = std::string(62, 'a');
  EXPECT_FALSE(PeerNetworkConfigFor(c, "x", Hash32{}).ok());
  c.peers[0].public_key = std::string(64, 'a');
  auto ok = PeerNetworkConfigFor(c, "x", Hash32{});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.value().peers.size(), 1u);
  EXPECT_EQ(ok.value().peers[0].node_key[0], 0xaa);
}

// Records proposals and committed blocks; serves `store` (blocking while `serve_closed`).
class SyncHandler : public ConsensusHandler {
 public:
  void OnProposal(const types::Proposal& p, std::optional<types::Block> b) override {
    std::lock_guard<std::mutex> l(mu);
    proposals.emplace_back(p, std::move(b));
  }
  void OnVote(const types::Vote&) override {}
  void OnBlock(const types::Block&) override {}
  void OnEvidence(const types::DuplicateVoteEvidence&) override {}
  void OnCommittedBlock(const types::Block& b, const types::Commit& c) override {
    std::lock_guard<std::mutex> l(mu);
    committed.emplace_back(b, c);
  }
  std::optional<std::pair<types::Block, types::Commit>> ServeCommittedBlock(uint64_t h) override {
    std::unique_lock<std::mutex> l(mu);
    serving += 1;
    cv.wait(l, [&] { return !serve_closed; });
    serving -= 1;
    if (store && store->first.header.height == h) return store;
    return std::nullopt;
  }
  void OpenServe() {
    {
      std::lock_guard<std::mutex> l(mu);
      serve_closed = false;
    }
    cv.notify_all();
  }
  size_t NumCommitted() {
    std::lock_guard<std::mutex> l(mu);
    return committed.size();
  }

  std::mutex mu;
  std::condition_variable cv;
  bool serve_closed = false;
  int serving = 0;
  std::optional<std::pair<types::Block, types::Commit>> store;
  std::vector<std::pair<types::Proposal, std::optional<types::Block>>> proposals;
  std::vector<std::pair<types::Block, types::Commit>> committed;
};

p2p::PeerNetworkConfig LoopbackConfig() {
  p2p::PeerNetworkConfig c;
  c.listen_address = "127.0.0.1:0";
  c.chain_id = std::string(types::testing::kChain);
  c.backoff_initial = std::chrono::milliseconds(20);
  c.backoff_max = std::chrono::milliseconds(200);
  return c;
}

std::string AddrOf(P2pTransport& t) { return "127.0.0.1:" + std::to_string(t.network().port()); }

// Block 2 of the types fixtures with its transactions replaced so that its encoding is
// exactly kBlockMaxBytes.
types::Block MaximumBlock(const types::testing::Validators& vals) {
  types::Block b = types::testing::MakeBlock(vals);
  b.txs.clear();
  for (uint8_t i = 0;; ++i) {
    b.txs.push_back(Bytes(types::kTxMaxBytes, i));
    if (types::EncodeBlock(b).size() > types::kBlockMaxBytes) break;
  }
  // Shrink the last transaction until the block is exactly at the limit.
  Bytes& last = b.txs.back();
  const size_t over = types::EncodeBlock(b).size() - types::kBlockMaxBytes;
  last.resize(last.size() - over);
  b.header.tx_root = types::TxRoot(b.txs);
  return b;
}

// A commit of a full validator set (the largest a commit gets).
types::Commit FullCommit(const types::Block& block) {
  types::Commit c;
  c.height = block.header.height;
  c.block_hash = types::HeaderHash(block.header);
  c.signatures.resize(types::kValidatorsMax);
  for (size_t i = 0; i < c.signatures.size(); ++i) {
    c.signatures[i].flag = types::CommitFlag::kCommit;
    c.signatures[i].signature.fill(static_cast<uint8_t>(i + 1));
  }
  return c;
}

TEST(P2pTransportTest, MaximumBlockTravelsAsProposalAndAsSyncAnswer) {
  types::testing::Validators vals = types::testing::MakeValidators();
  const types::Block block = MaximumBlock(vals);
  ASSERT_EQ(types::EncodeBlock(block).size(), types::kBlockMaxBytes);
  const types::Commit commit = FullCommit(block);
  ASSERT_EQ(types::EncodeCommit(commit).size(), 8u + 4u + 32u + 4u + 128u * 65u);

  Ed25519PrivateKey key_b = Ed25519PrivateKey::Generate();
  const Ed25519PublicKey pub_b = key_b.public_key();
  SyncHandler hb;
  hb.store = std::make_pair(block, commit);
  P2pTransport b(LoopbackConfig(), std::move(key_b), /*height=*/5, nullptr);
  b.SetHandler(&hb);
  ASSERT_TRUE(b.Start().ok());
  p2p::PeerNetworkConfig ca = LoopbackConfig();
  ca.peers.push_back({AddrOf(b), pub_b});
  SyncHandler ha;
  P2pTransport a(ca, Ed25519PrivateKey::Generate(), 1, nullptr);
  a.SetHandler(&ha);
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return !a.network().Peers().empty(); }));

  types::Proposal prop;
  prop.height = block.header.height;
  prop.block_hash = types::HeaderHash(block.header);
  prop.proposer = vals.keys[0].public_key();
  types::SignProposal(types::testing::kChain, &prop, vals.keys[0]);
  a.BroadcastProposal(prop, block);
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> l(hb.mu);
    return !hb.proposals.empty();
  }));
  {
    std::lock_guard<std::mutex> l(hb.mu);
    EXPECT_EQ(hb.proposals[0].first, prop);
    EXPECT_TRUE(hb.proposals[0].second == block);
  }

  a.RequestCommittedBlock(block.header.height);
  ASSERT_TRUE(WaitFor([&] { return ha.NumCommitted() == 1; }));
  {
    std::lock_guard<std::mutex> l(ha.mu);
    EXPECT_TRUE(ha.committed[0].first == block);
    EXPECT_TRUE(ha.committed[0].second == commit);
  }
  for (auto r : {p2p::DropReason::kOversized, p2p::DropReason::kSlow, p2p::DropReason::kClosed}) {
    EXPECT_EQ(a.network().DropCount(r), 0u);
    EXPECT_EQ(b.network().DropCount(r), 0u);
  }
}

// A requester R and two peers that both claim height 5; `bad` has the smaller key, so
// R's first block request goes to it.
struct SyncTrio {
  SyncHandler bad_handler, good_handler, requester_handler;
  std::unique_ptr<P2pTransport> bad, good, requester;
  Ed25519PublicKey bad_key{};

  explicit SyncTrio(p2p::PeerNetworkConfig requester_config) {
    Ed25519PrivateKey k1 = Ed25519PrivateKey::Generate();
    Ed25519PrivateKey k2 = Ed25519PrivateKey::Generate();
    const bool first_is_smaller = k1.public_key() < k2.public_key();
    bad_key = first_is_smaller ? k1.public_key() : k2.public_key();
    const Ed25519PublicKey good_key = first_is_smaller ? k2.public_key() : k1.public_key();
    bad = std::make_unique<P2pTransport>(
        LoopbackConfig(), first_is_smaller ? std::move(k1) : std::move(k2), 5, nullptr);
    good = std::make_unique<P2pTransport>(
        LoopbackConfig(), first_is_smaller ? std::move(k2) : std::move(k1), 5, nullptr);
    bad->SetHandler(&bad_handler);
    good->SetHandler(&good_handler);
    EXPECT_TRUE(bad->Start().ok());
    EXPECT_TRUE(good->Start().ok());
    requester_config.peers.push_back({AddrOf(*bad), bad_key});
    requester_config.peers.push_back({AddrOf(*good), good_key});
    requester =
        std::make_unique<P2pTransport>(requester_config, Ed25519PrivateKey::Generate(), 1, nullptr);
    requester->SetHandler(&requester_handler);
    EXPECT_TRUE(requester->Start().ok());
    EXPECT_TRUE(WaitFor([&] { return requester->network().Peers().size() == 2; }));
    types::testing::Validators vals = types::testing::MakeValidators();
    types::Block block = types::testing::MakeBlock(vals);
    good_handler.store = std::make_pair(block, FullCommit(block));
  }
  ~SyncTrio() {
    bad_handler.OpenServe();
    requester->Stop();
    bad->Stop();
    good->Stop();
  }
};

TEST(P2pTransportTest, BlockSyncAsksAnotherPeerWhenTheFirstDoesNotAnswer) {
  p2p::PeerNetworkConfig rc = LoopbackConfig();
  rc.block_request_timeout = std::chrono::milliseconds(300);
  SyncTrio t(rc);
  {
    std::lock_guard<std::mutex> l(t.bad_handler.mu);
    t.bad_handler.serve_closed = true;  // never answers while the test runs
  }
  t.requester->RequestCommittedBlock(2);  // once, as a driver whose tick is far away
  ASSERT_TRUE(WaitFor([&] { return t.requester_handler.NumCommitted() == 1; }));
  {
    std::lock_guard<std::mutex> l(t.bad_handler.mu);
    EXPECT_EQ(t.bad_handler.serving, 1);  // it was asked first and is still stuck
  }
  std::lock_guard<std::mutex> l(t.requester_handler.mu);
  EXPECT_EQ(t.requester_handler.committed[0].first.header.height, 2u);
}

TEST(P2pTransportTest, BlockSyncAsksAnotherPeerWhenTheFirstDisconnects) {
  p2p::PeerNetworkConfig rc = LoopbackConfig();
  rc.block_request_timeout = std::chrono::minutes(10);  // only the disconnect can help
  SyncTrio t(rc);
  {
    std::lock_guard<std::mutex> l(t.bad_handler.mu);
    t.bad_handler.serve_closed = true;
  }
  t.requester->RequestCommittedBlock(2);
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> l(t.bad_handler.mu);
    return t.bad_handler.serving == 1;
  }));
  // Stop closes its connections first, then waits for the stuck block-serving thread.
  std::thread stopper([&] { t.bad->Stop(); });
  EXPECT_TRUE(WaitFor([&] { return t.requester_handler.NumCommitted() == 1; }));
  t.bad_handler.OpenServe();
  stopper.join();
}

TEST(P2pTransportTest, BlockSyncBansAPeerThatCannotServeItsClaimedHeight) {
  p2p::PeerNetworkConfig rc = LoopbackConfig();
  rc.limits.score_false_height = rc.limits.ban_score;  // one lie bans
  SyncTrio t(rc);
  t.requester->RequestCommittedBlock(2);
  ASSERT_TRUE(WaitFor([&] { return t.requester_handler.NumCommitted() == 1; }));
  EXPECT_TRUE(t.requester->network().IsBanned(t.bad_key));
  EXPECT_EQ(t.requester->network().DropCount(p2p::DropReason::kFalseHeight), 1u);
  EXPECT_EQ(t.requester->network().Peers().size(), 1u);
}

}  // namespace
}  // namespace hito::node::chain
