// P2pTransport over two real PeerNetworks on loopback: votes broadcast by one arrive at
// the other's ConsensusHandler, and after SetHandler(nullptr) returns no call into the
// old handler is running or starts, while the peer keeps sending. A malformed peer key in
// the config is refused.
#include "node/chain/p2p_transport.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "consensus/types/vote.h"

namespace hito::node {
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
  NodeConfig c;
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

}  // namespace
}  // namespace hito::node
