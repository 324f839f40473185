// Tx gossip end to end: a transaction submitted to one validator reaches the others
// through the peer network and commits on all four, even when the validator it was
// submitted to can no longer propose.
//
// The chain is first halted (validators 0 and 1 SIGSTOPped: no quorum), so no block can
// commit while the test looks: the transfer, sent to node 3, must then show up as PENDING
// in node 2's mempool, which only gossip can do. Node 3 is then stopped and 0 and 1
// continued: the transfer must commit within a few blocks on nodes 0-2 (without gossip
// it never could, node 3 holding the only copy), and node 3, continued, reports it
// committed at the same height. Every wait is bounded; stopped processes are SIGKILLed
// by the fixture on failure.
#include <signal.h>

#include "tests/support/e2e/testnet_fixture.h"

namespace hito::e2e {
namespace {

class TxGossipE2eTest : public TestnetE2eTest {
 protected:
  // Node i's view of the transaction: "pending", "committed" or "" (unknown).
  std::string TxStatus(int i, const std::string& hash, uint64_t* height = nullptr) {
    auto tx = HitoJson(i, {"tx", hash});
    if (!tx || !tx->contains("status")) return "";
    if (height != nullptr && tx->contains("height") && (*tx)["height"].is_number()) {
      *height = (*tx)["height"].get<uint64_t>();
    }
    return (*tx)["status"].get<std::string>();
  }
  bool WaitTxStatus(int i, const std::string& hash, const std::string& want,
                    uint64_t* height = nullptr) {
    auto deadline = std::chrono::steady_clock::now() + kWait;
    while (std::chrono::steady_clock::now() < deadline) {
      if (TxStatus(i, hash, height) == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
};

TEST_F(TxGossipE2eTest, TxSubmittedToOneValidatorCommitsOnAllWithoutIt) {
  for (int i = 0; i < kNodes; ++i) ASSERT_TRUE(WaitHeight(i, 2)) << "node " << i;
  auto bob = HitoJson(3, {"keys", "new", "bob"});
  ASSERT_TRUE(bob);
  const std::string bob_addr = (*bob)["address"].get<std::string>();

  // Halt the chain: two of four stopped. Wait until the height in flight settled.
  const pid_t p0 = PidOf(0), p1 = PidOf(1), p3 = PidOf(3);
  ASSERT_GT(p0, 0);
  ASSERT_GT(p1, 0);
  ASSERT_GT(p3, 0);
  ASSERT_EQ(::kill(p0, SIGSTOP), 0);
  ASSERT_EQ(::kill(p1, SIGSTOP), 0);
  uint64_t settled = Height(2);
  for (int k = 0; k < 30; ++k) {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    const uint64_t now = Height(2);
    if (now == settled) break;
    settled = now;
  }

  auto sent = HitoJson(3, {"send", "--from", "dev", "--to", bob_addr, "--amount", "250000", "--fee",
                           "1000", "--no-wait"});
  ASSERT_TRUE(sent);
  const std::string hash = (*sent)["tx_hash"].get<std::string>();
  ASSERT_EQ(hash.size(), 64u);
  // No block can commit now: node 2 can know it only from node 3's gossip.
  EXPECT_TRUE(WaitTxStatus(2, hash, "pending")) << "node 2 never saw the transaction";
  EXPECT_EQ(Height(2), settled) << "the chain advanced without a quorum";

  // Node 3 (the only one a client gave it to) stops; 0 and 1 come back.
  ASSERT_EQ(::kill(p3, SIGSTOP), 0);
  ASSERT_EQ(::kill(p0, SIGCONT), 0);
  ASSERT_EQ(::kill(p1, SIGCONT), 0);
  uint64_t committed_at = 0;
  ASSERT_TRUE(WaitTxStatus(2, hash, "committed", &committed_at))
      << "not committed without the validator it was submitted to";
  // Promptly: within a few blocks of the halt (node 3's turns time out meanwhile).
  EXPECT_LE(committed_at, settled + 8) << "committed at " << committed_at;
  for (int i : {0, 1}) {
    uint64_t h = 0;
    EXPECT_TRUE(WaitTxStatus(i, hash, "committed", &h)) << "node " << i;
    EXPECT_EQ(h, committed_at) << "node " << i;
  }
  ASSERT_EQ(::kill(p3, SIGCONT), 0);
  uint64_t h3 = 0;
  EXPECT_TRUE(WaitTxStatus(3, hash, "committed", &h3)) << "node 3";
  EXPECT_EQ(h3, committed_at);
  auto bal = HitoJson(3, {"balance", bob_addr});
  ASSERT_TRUE(bal);
  EXPECT_EQ((*bal)["balance"].get<uint64_t>(), 250'000u);
}

}  // namespace
}  // namespace hito::e2e
