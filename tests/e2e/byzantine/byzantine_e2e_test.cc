// End to end: one Byzantine validator among four. The testnet fixture starts four real
// `hitod start` processes (with shorter round timeouts); validator 3 is killed at once and
// its key handed to hostile_validator, which connects to the three honest nodes over
// loopback p2p and runs one scenario per test (see hostile_validator.cc): malformed,
// future-dated, oversized and conflicting proposals, junk evidence, messages signed by
// non-validators, duplicate votes and a flood. Each test checks that the hostile process
// really attacked (its log), that every honest node stays alive and keeps committing past
// the attack, that the honest nodes agree on every block hash and state root (app_hash),
// that no committed block is dated far ahead of the clock, and, for equivocation
// (duplicate votes, conflicting proposals, and real duplicate votes sent after a pool's
// worth of junk evidence), that a committed block carries evidence naming the hostile
// validator. Every wait is bounded; the hostile
// process and the nodes are SIGKILLed and reaped at the end, also on failure.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/hex.h"
#include "consensus/types/block.h"
#include "tests/support/e2e/e2e_support.h"
#include "tests/support/e2e/testnet_fixture.h"
#include "wallet/client.h"

namespace hito::e2e {
namespace {

namespace ct = consensus::types;
using SteadyClock = std::chrono::steady_clock;

constexpr int kHostile = 3;                  // the validator the hostile process plays
constexpr int kHonest[] = {0, 1, 2};         // the others
constexpr int kAttackSeconds = 8;            // two or three of its proposer turns
constexpr uint64_t kHeightsAfterAttack = 4;  // one full proposer cycle past the attack
constexpr auto kRecoveryWait = std::chrono::seconds(20);
constexpr uint64_t kMaxAheadMs = 10 * 60 * 1000;  // far beyond any clock skew on one host

class ByzantineE2eTest : public TestnetE2eTest {
 protected:
  // Shorter rounds, so that a round the hostile proposer wastes costs about 2 s.
  void BeforeStart() override {
    SetConfigValues({{"block_interval_ms", 300},
                     {"timeout_propose_base_ms", 1200},
                     {"timeout_propose_delta_ms", 200},
                     {"timeout_prevote_base_ms", 400},
                     {"timeout_prevote_delta_ms", 200},
                     {"timeout_precommit_base_ms", 400},
                     {"timeout_precommit_delta_ms", 200}});
  }

  wallet::NodeClient& Client(int i) {
    while (clients_.size() < static_cast<size_t>(kNodes)) {
      clients_.push_back(std::make_unique<wallet::NodeClient>(
          node(static_cast<int>(clients_.size())).address(), std::chrono::seconds(5)));
    }
    return *clients_[static_cast<size_t>(i)];
  }
  uint64_t FastHeight(int i) {
    auto st = Client(i).GetStatus();
    return st.ok() ? st->height() : 0;
  }
  bool WaitFastHeight(int i, uint64_t h, SteadyClock::time_point deadline) {
    while (SteadyClock::now() < deadline) {
      if (FastHeight(i) >= h) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
  }
  BlockReader& Blocks(int i) {
    while (readers_.size() < static_cast<size_t>(kNodes)) {
      readers_.push_back(
          std::make_unique<BlockReader>(node(static_cast<int>(readers_.size())).address()));
    }
    return *readers_[static_cast<size_t>(i)];
  }
  std::optional<ct::Block> CommittedBlock(int i, uint64_t h, std::string* hash_hex) {
    auto b = Blocks(i).Get(h);
    if (!b) return std::nullopt;
    *hash_hex =
        HexEncode(ByteView(reinterpret_cast<const uint8_t*>(b->hash().data()), b->hash().size()));
    const std::string& bytes = b->block_bytes();
    auto block =
        ct::DecodeBlock(ByteView(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    if (!block.ok()) return std::nullopt;
    return std::move(block).value();
  }

  std::string HostileKey() {
    Json nodes = Json::parse(ReadFileOrEmpty(out_ + "/nodes.json"), nullptr, false);
    return nodes.is_discarded() ? "" : nodes["nodes"][kHostile]["public_key"].get<std::string>();
  }

  // hostile_validator arguments: the validator-3 home, the honest nodes' p2p addresses
  // and keys, and their gRPC addresses.
  std::vector<std::string> HostileArgs(const std::string& scenario) {
    Json nodes = Json::parse(ReadFileOrEmpty(out_ + "/nodes.json"), nullptr, false);
    std::vector<std::string> args{"--home",     out_ + "/node" + std::to_string(kHostile),
                                  "--scenario", scenario,
                                  "--seconds",  std::to_string(kAttackSeconds)};
    for (int i : kHonest) {
      const auto& n = nodes["nodes"][static_cast<size_t>(i)];
      args.insert(args.end(), {"--peer", n["p2p_addr"].get<std::string>() + ":" +
                                             n["public_key"].get<std::string>()});
      args.insert(args.end(), {"--grpc", node(i).address()});
    }
    return args;
  }

  void RunScenario(const std::string& scenario, bool expect_evidence);
  void ExpectHonestAgree(uint64_t from, uint64_t to);
  bool EvidenceAgainstHostile(uint64_t from, uint64_t to);

  std::vector<std::unique_ptr<wallet::NodeClient>> clients_;
  std::vector<std::unique_ptr<BlockReader>> readers_;
};

// The highest height in an "attack <scenario> height H ..." line of the hostile's log.
uint64_t LastAttackHeight(const std::string& log) {
  static const std::regex re("attack \\S+ height ([0-9]+)");
  uint64_t last = 0;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), re); it != std::sregex_iterator();
       ++it) {
    last = std::max<uint64_t>(last, std::stoull((*it)[1].str()));
  }
  return last;
}

void ByzantineE2eTest::RunScenario(const std::string& scenario, bool expect_evidence) {
  node(kHostile).Kill9();  // from here on its key is the hostile process's
  for (int i : kHonest) {
    ASSERT_TRUE(WaitFastHeight(i, 2, SteadyClock::now() + kWait)) << "node " << i;
  }
  const uint64_t before = FastHeight(0);
  ChildProcess hostile(HOSTILE_BIN, HostileArgs(scenario), dir_->path() + "/hostile.log");
  ASSERT_TRUE(hostile.started());
  const std::optional<int> exit = hostile.Wait(std::chrono::seconds(kAttackSeconds + 30));
  const std::string log = hostile.Log();
  ASSERT_TRUE(exit.has_value()) << "hostile_validator did not finish; log:\n" << log;
  ASSERT_EQ(*exit, 0) << log;
  const uint64_t attacked_at = LastAttackHeight(log);
  ASSERT_GT(attacked_at, 0u) << "the hostile validator never attacked; log:\n" << log;
  std::cerr << "hostile log tail:\n" << log.substr(log.size() > 1500 ? log.size() - 1500 : 0);

  // Alive, and committing past the attack (a full proposer cycle after its last one).
  std::vector<pid_t> pids;
  for (int i : kHonest) pids.push_back(PidOf(i));
  for (size_t k = 0; k < pids.size(); ++k) {
    EXPECT_TRUE(pids[k] > 0 && Alive(pids[k])) << "honest node " << kHonest[k] << " died";
  }
  const uint64_t target = std::max(attacked_at, before) + kHeightsAfterAttack;
  const auto deadline = SteadyClock::now() + kRecoveryWait;
  for (size_t k = 0; k < pids.size(); ++k) {
    const int i = kHonest[k];
    const bool alive = pids[k] > 0 && Alive(pids[k]);
    EXPECT_TRUE(alive && WaitFastHeight(i, target, deadline))
        << scenario << ": honest node " << i << (alive ? " stuck" : " dead") << " at height "
        << FastHeight(i) << " (attack from height " << before << ", last at " << attacked_at
        << ", wanted " << target << ")";
  }
  for (size_t k = 0; k < pids.size(); ++k) {
    EXPECT_TRUE(pids[k] > 0 && Alive(pids[k])) << "honest node " << kHonest[k] << " died";
  }
  uint64_t common = FastHeight(0);
  for (int i : kHonest) common = std::min(common, FastHeight(i));
  ExpectHonestAgree(1, common);
  if (expect_evidence) {
    EXPECT_TRUE(EvidenceAgainstHostile(before, common))
        << scenario << ": no committed block in [" << before << ", " << common
        << "] carries evidence against the hostile validator " << HostileKey();
  }
}

// Same block hash (so the same app_hash: the state root after the previous block) on
// every honest node at every height in [from, to], and no committed block dated further
// ahead of this machine's clock than kMaxAheadMs (honest validators prevote nil for that).
void ByzantineE2eTest::ExpectHonestAgree(uint64_t from, uint64_t to) {
  ASSERT_GE(to, from);
  const uint64_t now_ms =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  bool reported_ahead = false;
  for (uint64_t h = from; h <= to; ++h) {
    std::string ref_hash;
    auto ref = CommittedBlock(kHonest[0], h, &ref_hash);
    ASSERT_TRUE(ref.has_value()) << "node 0 has no block " << h;
    if (ref->header.time_ms > now_ms + kMaxAheadMs && !reported_ahead) {
      reported_ahead = true;  // its successors inherit the date: report the first only
      ADD_FAILURE() << "committed block " << h << " is dated " << ref->header.time_ms - now_ms
                    << " ms ahead of the clock";
    }
    for (int i : kHonest) {
      std::string hash;
      auto b = CommittedBlock(i, h, &hash);
      ASSERT_TRUE(b.has_value()) << "node " << i << " has no block " << h;
      EXPECT_EQ(hash, ref_hash) << "node " << i << " height " << h;
      EXPECT_EQ(b->header.app_hash, ref->header.app_hash) << "state root, node " << i << " " << h;
    }
  }
}

// A committed block in [from, to] that names the hostile key other than as its proposer.
// A block holds validator keys only in its header (proposer) and its evidence (the commit
// lists signatures by set index), so this finds evidence of any kind against the hostile
// validator, duplicate votes today and conflicting proposals once they are evidence.
bool ByzantineE2eTest::EvidenceAgainstHostile(uint64_t from, uint64_t to) {
  auto key = HexDecode32(HostileKey());
  if (!key.ok()) return false;
  for (uint64_t h = from; h <= to; ++h) {
    auto b = Blocks(kHonest[0]).Get(h);
    if (!b) continue;
    const std::string& bytes = b->block_bytes();
    const std::string needle(reinterpret_cast<const char*>(key->data()), key->size());
    size_t count = 0;
    for (size_t at = bytes.find(needle); at != std::string::npos; at = bytes.find(needle, at + 1)) {
      ++count;
    }
    const std::string& proposer = b->block().proposer();
    if (proposer == needle) --count;
    if (count > 0) {
      std::cerr << "evidence against the hostile validator in block " << h << "\n";
      return true;
    }
  }
  return false;
}

TEST_F(ByzantineE2eTest, UndecodableTransaction) { RunScenario("undecodable-tx", false); }
TEST_F(ByzantineE2eTest, ReservedKindTransaction) { RunScenario("reserved-kind", false); }
TEST_F(ByzantineE2eTest, TimeMaxBlock) { RunScenario("time-max", false); }
TEST_F(ByzantineE2eTest, DayAheadBlock) { RunScenario("time-day", false); }
TEST_F(ByzantineE2eTest, BlockOverAWalRecord) { RunScenario("big-block", false); }
TEST_F(ByzantineE2eTest, BlockOverTheLimit) { RunScenario("oversized-block", false); }
TEST_F(ByzantineE2eTest, ConflictingProposals) { RunScenario("conflicting-proposals", true); }
TEST_F(ByzantineE2eTest, JunkEvidence) { RunScenario("junk-evidence", true); }
TEST_F(ByzantineE2eTest, NonValidatorMessages) { RunScenario("non-validator", false); }
TEST_F(ByzantineE2eTest, DuplicateVotes) { RunScenario("duplicate-votes", true); }
TEST_F(ByzantineE2eTest, MessageFlood) { RunScenario("flood", false); }

}  // namespace
}  // namespace hito::e2e
