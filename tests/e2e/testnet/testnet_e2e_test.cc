// End to end over the peer network: `hitod testnet --validators 4` and four real
// `hitod start` processes on loopback ports. Checks that a transfer sent to node 0 (the
// `hito` CLI, dev key imported) commits and every node reports it and the same block
// hash at its height; that the chain goes on after `kill -9` of one validator and the
// restarted validator catches up (block sync); and that with two of four down the chain
// halts without forking and resumes when they return; and that a SIGSTOPped validator,
// once continued, catches up. Every wait is bounded; the
// NodeProcess destructors SIGKILL whatever still runs, also on failure.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <thread>

#include "tests/support/e2e/testnet_fixture.h"

namespace hito::e2e {
namespace {

TEST_F(TestnetE2eTest, TransferCommitsOnAllNodesAndCrashedValidatorCatchesUp) {
  for (int i = 0; i < kNodes; ++i) ASSERT_TRUE(WaitHeight(i, 2)) << "node " << i;

  // A transfer sent to node 0 commits, and every node reports it at the same height.
  auto bob = HitoJson(0, {"keys", "new", "bob"});
  ASSERT_TRUE(bob);
  const std::string bob_addr = (*bob)["address"].get<std::string>();
  auto sent = HitoJson(
      0, {"send", "--from", "dev", "--to", bob_addr, "--amount", "250000", "--fee", "1000"});
  ASSERT_TRUE(sent);
  const std::string hash = (*sent)["tx_hash"].get<std::string>();
  const uint64_t tx_height = (*sent)["height"].get<uint64_t>();
  ASSERT_GT(tx_height, 0u);
  for (int i = 0; i < kNodes; ++i) ASSERT_TRUE(WaitHeight(i, tx_height)) << "node " << i;
  const std::string block_hash = BlockHash(0, tx_height);
  ASSERT_EQ(block_hash.size(), 64u);
  for (int i = 0; i < kNodes; ++i) {
    auto tx = HitoJson(i, {"tx", hash});
    ASSERT_TRUE(tx) << "node " << i;
    EXPECT_EQ((*tx)["status"], "committed") << "node " << i;
    EXPECT_EQ((*tx)["height"].get<uint64_t>(), tx_height) << "node " << i;
    EXPECT_EQ((*tx)["to"], bob_addr);
    EXPECT_EQ(BlockHash(i, tx_height), block_hash) << "node " << i;
    auto bal = HitoJson(i, {"balance", bob_addr});
    ASSERT_TRUE(bal);
    EXPECT_EQ((*bal)["balance"].get<uint64_t>(), 250'000u) << "node " << i;
  }

  // kill -9 one validator: the other three go on.
  node(3).Kill9();
  const uint64_t at_kill = Height(0);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(WaitHeight(i, at_kill + 3)) << "node " << i;

  // Restarted, it catches up with the others.
  ASSERT_TRUE(node(3).Start("start").ok());
  const uint64_t target = Height(0);
  ASSERT_TRUE(WaitHeight(3, target)) << "node 3 did not catch up to " << target;
  ExpectSameChain({0, 1, 2, 3}, 1, target);
}

TEST_F(TestnetE2eTest, TwoOfFourDownHaltsWithoutForkAndResumes) {
  for (int i = 0; i < kNodes; ++i) ASSERT_TRUE(WaitHeight(i, 2)) << "node " << i;
  node(2).Kill9();
  node(3).Kill9();
  // No quorum: at most the height in flight completes, then nothing.
  uint64_t h = Height(0);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  uint64_t settled = std::max(Height(0), Height(1));
  EXPECT_LE(settled, h + 1);
  std::this_thread::sleep_for(std::chrono::seconds(4));
  EXPECT_EQ(std::max(Height(0), Height(1)), settled) << "advanced without a quorum";
  const uint64_t common = std::min(Height(0), Height(1));
  ExpectSameChain({0, 1}, 1, common);

  ASSERT_TRUE(node(2).Start("start").ok());
  ASSERT_TRUE(node(3).Start("start").ok());
  for (int i = 0; i < kNodes; ++i) ASSERT_TRUE(WaitHeight(i, settled + 2)) << "node " << i;
  ExpectSameChain({0, 1, 2, 3}, 1, settled + 2);
}

TEST_F(TestnetE2eTest, StoppedValidatorResumesAndCatchesUp) {
  for (int i = 0; i < kNodes; ++i) ASSERT_TRUE(WaitHeight(i, 2)) << "node " << i;
  const pid_t pid = PidOf(1);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  const uint64_t at_stop = Height(0);
  bool others_advanced = true;
  for (int i : {0, 2, 3}) others_advanced &= WaitHeight(i, at_stop + 3);
  ::kill(pid, SIGCONT);
  ASSERT_TRUE(others_advanced);
  const uint64_t target = Height(0);
  ASSERT_TRUE(WaitHeight(1, target)) << "node 1 did not catch up to " << target;
  ExpectSameChain({0, 1, 2, 3}, 1, target);
}

}  // namespace
}  // namespace hito::e2e
