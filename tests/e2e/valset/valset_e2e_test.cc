// End to end: a validator set that changes at heights fixed in advance, on four real
// `hitod start` processes over the peer network. `hitod testnet --validators 4` writes the
// homes; the test then gives every home the same genesis with a validator_schedule
// (node 3 leaves at height 5 and returns at 9) and shorter round timeouts in config.toml
// ([consensus] timeout_*, which `hitod testnet` writes with their defaults), before the
// first start. Checks: the chain passes both changes;
// between 5 and 8 node 3 is not needed (killed at 6, the other three go on with a 3-of-3
// quorum) and, restarted, catches up by block sync; from 9 on it signs again, shown by
// killing node 0 afterwards: the chain goes on only because node 3 is back in the set.
// All nodes report the same block hashes. A config with a zero timeout delta is refused
// at start. Every wait is bounded; NodeProcess destructors SIGKILL what still runs.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/e2e/testnet_fixture.h"

namespace hito::e2e {
namespace {

// The testnet fixture, with the schedule and timeouts written into every home before
// the first start, and longer waits (a set change costs a few rounds).
class ValsetE2eTest : public TestnetE2eTest {
 protected:
  ValsetE2eTest() { wait_ = std::chrono::seconds(90); }

  void BeforeStart() override {
    // One genesis for all: node 3 leaves the set at height 5 and comes back at 9.
    Json g = Json::parse(ReadFileOrEmpty(out_ + "/node0/genesis.json"), nullptr, false);
    ASSERT_FALSE(g.is_discarded());
    ASSERT_EQ(g["validators"].size(), 4u);
    const std::string key3 = NodeKey(3);
    ASSERT_EQ(key3.size(), 64u);
    Json without3 = Json::array();
    for (const auto& v : g["validators"]) {
      if (v["public_key"] != key3) without3.push_back(v);
    }
    ASSERT_EQ(without3.size(), 3u);
    g["validator_schedule"] = Json::array({Json{{"height", 5}, {"validators", without3}},
                                           Json{{"height", 9}, {"validators", g["validators"]}}});
    const std::string genesis = g.dump(2) + "\n";
    for (int i = 0; i < kNodes; ++i) {
      WriteText(out_ + "/node" + std::to_string(i) + "/genesis.json", genesis);
    }
    SetConfigValues({{"timeout_propose_base_ms", 1500},
                     {"timeout_propose_delta_ms", 250},
                     {"timeout_prevote_base_ms", 500},
                     {"timeout_prevote_delta_ms", 250},
                     {"timeout_precommit_base_ms", 500},
                     {"timeout_precommit_delta_ms", 250}});
  }
  // Node i's validator public key (hex), from the peer list of another node's config.
  std::string NodeKey(int i) {
    Json nodes = Json::parse(ReadFileOrEmpty(out_ + "/nodes.json"), nullptr, false);
    if (nodes.is_discarded()) return "";
    const auto& n = nodes["nodes"][static_cast<size_t>(i)];
    if (n.contains("public_key")) return n["public_key"].get<std::string>();
    // Fallback: the config of another node names it as a peer at node i's p2p address.
    const std::string cfg =
        ReadFileOrEmpty(out_ + "/node" + std::to_string((i + 1) % kNodes) + "/config.toml");
    const std::string addr = n.value("p2p_addr", "");
    size_t at = addr.empty() ? std::string::npos : cfg.find(addr);
    if (at == std::string::npos) return "";
    at = cfg.find("public_key = \"", at);
    return at == std::string::npos ? "" : cfg.substr(at + 14, 64);
  }
};

TEST_F(ValsetE2eTest, ValidatorLeavesAndReturnsAtScheduledHeights) {
  for (int i = 0; i < kNodes; ++i) ASSERT_TRUE(WaitHeight(i, 6)) << "node " << i;
  // Heights 5..8: node 3 is not in the set; the chain does not need it.
  node(3).Kill9();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(WaitHeight(i, 8)) << "node " << i;
  ASSERT_TRUE(node(3).Start("start").ok());
  // From 9 it is a validator again; once it has caught up past 9, stop node 0: with
  // {1, 2, 3} of the four, the chain goes on only if node 3 signs.
  ASSERT_TRUE(WaitHeight(3, 10)) << "node 3 did not catch up";
  node(0).Kill9();
  const uint64_t at_kill = Height(1);
  for (int i = 1; i < kNodes; ++i) {
    ASSERT_TRUE(WaitHeight(i, at_kill + 3)) << "node " << i << " stuck without node 0";
  }
  ExpectSameChain({1, 2, 3}, 1, at_kill + 3);
  ASSERT_TRUE(node(0).Start("start").ok());
  ASSERT_TRUE(WaitHeight(0, at_kill + 3));
  ExpectSameChain({0, 1}, 1, at_kill + 3);
}

TEST_F(ValsetE2eTest, ZeroTimeoutDeltaIsRefusedAtStart) {
  node(2).Kill9();  // the fixture started it; restart it with a bad config
  const std::string cfg_path = node(2).home() + "/config.toml";
  std::string config = ReadFileOrEmpty(cfg_path);
  ASSERT_TRUE(SetConfigValue(&config, "timeout_prevote_delta_ms", 0));
  WriteText(cfg_path, config);
  EXPECT_FALSE(node(2).Start("start", std::chrono::seconds(10)).ok());
  EXPECT_NE(node(2).LogTail().find("consensus.timeout_prevote_delta_ms"), std::string::npos)
      << node(2).LogTail();
}

}  // namespace
}  // namespace hito::e2e
