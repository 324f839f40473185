// UBI on the 4-validator testnet, as citizens do it with `hito`: the dev attester attests
// and registers 50 citizens (through different validators), they claim over several
// epochs (a fifth of them skip an epoch and catch up within the window), one loses its
// key and re-registers with the same handle (its old key is refused afterwards), double
// claims are refused whichever validator they are sent to, and on every node the supply
// equals the sum of the balances. Label slow: a few minutes of real epochs (of 16 blocks).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/e2e/testnet_fixture.h"

namespace hito::e2e {
namespace {

constexpr int kCitizens = 50;
constexpr int kParallel = 8;  // hito processes at once

class UbiTestnetE2eTest : public TestnetE2eTest {
 protected:
  // Epochs of 16 blocks and a window of 16 epochs: the skippers' catch-up and the double
  // claims land well within the window even on a loaded machine (with the dev chain's 8 x 4
  // a slow enrolment or claim round let epochs close under the test).
  std::string TestnetExtraArgs() const override { return " --epoch-blocks 16 --claim-window 16"; }

  template <typename Fn>
  void ForAll(int n, Fn fn) {
    TestnetE2eTest::ForAll(n, kParallel, fn);
  }

  static std::string Name(int i) { return "citizen" + std::to_string(i); }
  static std::string Handle(int i) { return "national-id:DEU:P" + std::to_string(i); }

  Json Enrol(const std::string& name, const std::string& handle, int node) {
    return TestnetE2eTest::Enrol(node, name, handle);
  }

  uint64_t Epoch(int node) { return MustJson(node, {"ubi", "status", Name(1)})["epoch"]; }
  // Waits (bounded) until node 0 is in epoch >= e.
  bool WaitEpoch(uint64_t e) {
    for (int i = 0; i < 600; ++i) {
      if (Epoch(0) >= e) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
  }
  // Claims every open epoch for citizen i through node i % 4; returns the epochs paid.
  std::vector<uint64_t> ClaimAll(int i, const std::string& name) {
    Json paid = MustJson(i % kNodes, {"ubi", "claim", name, "--to", "sink"});
    std::vector<uint64_t> epochs;
    if (!paid.is_array()) return epochs;  // MustJson recorded the failure
    for (const Json& c : paid) epochs.push_back(c["epoch"].get<uint64_t>());
    return epochs;
  }
  // On every node: supply == sum of balances (the testnet runs without demurrage, so
  // equality is exact; ubi.md). The funded accounts are dev, the four validators' and
  // sink, where every claim pays. The node serves only its latest state, so each read is
  // retried (bounded) until it is consistent.
  void ExpectSupplyEqualsBalances() {
    const uint64_t h = Height(0);
    for (int n = 0; n < kNodes; ++n) ASSERT_TRUE(WaitHeight(n, h));
    for (int n = 0; n < kNodes; ++n) {
      std::optional<SupplyRead> read;
      for (int attempt = 0; attempt < 10 && !read && !HasFailure(); ++attempt) {
        read = ConsistentSupplyRead(n);
      }
      ASSERT_TRUE(read.has_value()) << "node " << n << ": no consistent supply/balances read";
      EXPECT_EQ(read->supply, read->sum)
          << "node " << n << " heights " << read->from << ".." << read->to;
    }
  }

 private:
  struct SupplyRead {
    uint64_t supply = 0;
    uint64_t sum = 0;   // of the funded accounts' balances
    uint64_t from = 0;  // the lowest and highest height the reads were served at
    uint64_t to = 0;
  };
  // Reads node n's supply and the funded balances at once (seven `hito` processes); each
  // read echoes its height. The result is consistent, and returned, when all heights are
  // equal, or when no block in (from, to] holds a transaction: only transactions move
  // balances or the supply here (fees are burned, claims credit; no demurrage).
  std::optional<SupplyRead> ConsistentSupplyRead(int n) {
    static constexpr std::array<const char*, 6> kFunded = {"dev", "sink", "v0", "v1", "v2", "v3"};
    std::vector<Json> got(kFunded.size() + 1);
    TestnetE2eTest::ForAll(static_cast<int>(got.size()), static_cast<int>(got.size()), [&](int k) {
      const size_t i = static_cast<size_t>(k);
      got[i] = i < kFunded.size() ? MustJson(n, {"balance", kFunded[i]})
                                  : MustJson(n, {"ubi", "supply"});
    });
    SupplyRead r;
    r.from = got.back()["height"].get<uint64_t>();
    r.to = r.from;
    r.supply = got.back()["supply"].get<uint64_t>();
    for (size_t i = 0; i < kFunded.size(); ++i) {
      const uint64_t at = got[i]["height"].get<uint64_t>();
      r.from = std::min(r.from, at);
      r.to = std::max(r.to, at);
      r.sum += got[i]["balance"].get<uint64_t>();
    }
    for (uint64_t b = r.from + 1; b <= r.to; ++b) {
      auto block = HitoJson(n, {"block", std::to_string(b)});
      if (!block || (*block)["tx_count"].get<uint64_t>() != 0) return std::nullopt;
    }
    return r;
  }
};

TEST_F(UbiTestnetE2eTest, FiftyCitizensClaimAcrossEpochsOnFourValidators) {
  MustJson(0, {"attester", "import", "dev-attester", "--seed-file", out_ + "/attester.key"});
  MustJson(0, {"keys", "new", "sink"});
  for (int n = 0; n < kNodes; ++n) {
    const std::string v = "v" + std::to_string(n);
    MustJson(0, {"keys", "import", v, "--seed-file",
                 out_ + "/node" + std::to_string(n) + "/validator.key"});
  }
  ExpectSupplyEqualsBalances();

  // 1. Fifty registrations, sent to the four validators in turn.
  std::vector<Json> regs(kCitizens);
  ForAll(kCitizens,
         [&](int i) { regs[static_cast<size_t>(i)] = Enrol(Name(i), Handle(i), i % kNodes); });
  uint64_t first = 0;
  for (int i = 0; i < kCitizens; ++i) {
    Json show = MustJson(i % kNodes, {"identity", "show", Name(i)});
    ASSERT_EQ(show["status"], "live") << Name(i);
    first = std::max(first, show["first_claim_epoch"].get<uint64_t>());
  }

  // 2. Epoch `first`: 40 citizens claim, 10 skip.
  ASSERT_TRUE(WaitEpoch(first));
  const uint64_t e1 = Epoch(0);
  std::mutex mu;
  std::vector<std::vector<uint64_t>> paid(kCitizens);
  ForAll(kCitizens - 10, [&](int i) {
    auto got = ClaimAll(i, Name(i));
    std::lock_guard<std::mutex> lock(mu);
    paid[static_cast<size_t>(i)] = got;
  });
  for (int i = 0; i < kCitizens - 10; ++i) {
    EXPECT_FALSE(paid[static_cast<size_t>(i)].empty()) << Name(i) << " was paid nothing";
  }

  // A double claim of a paid epoch is refused by every validator. The newest epoch paid
  // is the one that stays open longest (an epoch that left the window would be refused
  // as EPOCH_NOT_OPEN instead).
  ASSERT_FALSE(paid[0].empty());
  const uint64_t paid_epoch = *std::max_element(paid[0].begin(), paid[0].end());
  for (int n = 0; n < kNodes; ++n) {
    CliRun again =
        Hito(n, {"ubi", "claim", Name(0), "--to", "sink", "--epochs", std::to_string(paid_epoch)});
    EXPECT_EQ(again.exit_code, 1) << again.err;
    EXPECT_NE(again.err.find("TX_ALREADY_CLAIMED"), std::string::npos) << again.err;
  }

  // 3. Citizen 0 loses its key and re-registers with the same handle.
  Json renewed = Enrol("citizen0-new", Handle(0), 1);
  EXPECT_EQ(MustJson(0, {"identity", "show", Name(0)})["status"], "replaced");
  const uint64_t renewed_first =
      MustJson(0, {"identity", "show", "citizen0-new"})["first_claim_epoch"].get<uint64_t>();

  // 4. The next epoch: everyone claims what is open; the skippers catch up e1 too.
  ASSERT_TRUE(WaitEpoch(std::max(e1 + 1, renewed_first)));
  ForAll(kCitizens, [&](int j) {
    const int i = kCitizens - 1 - j;  // the skippers first: their e1 closes soonest
    if (i == 0) return;
    auto got = ClaimAll(i, Name(i));
    std::lock_guard<std::mutex> lock(mu);
    paid[static_cast<size_t>(i)].insert(paid[static_cast<size_t>(i)].end(), got.begin(), got.end());
  });
  for (int i = kCitizens - 10; i < kCitizens; ++i) {
    const auto& p = paid[static_cast<size_t>(i)];
    EXPECT_NE(std::find(p.begin(), p.end(), e1), p.end()) << Name(i) << " did not catch up " << e1;
  }
  for (int i = 1; i < kCitizens; ++i) {
    const auto& p = paid[static_cast<size_t>(i)];
    std::vector<uint64_t> sorted = p;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end())
        << Name(i) << " was paid twice for one epoch";
  }
  // The new key claims; the replaced one no longer can for epochs after the replacement.
  EXPECT_FALSE(ClaimAll(0, "citizen0-new").empty());
  CliRun old =
      Hito(2, {"ubi", "claim", Name(0), "--to", "sink", "--epochs", std::to_string(Epoch(0))});
  EXPECT_NE(old.exit_code, 0) << "the replaced key claimed: " << old.out;

  // 5. Supply equals the sum of balances on every node.
  ExpectSupplyEqualsBalances();
  size_t total = 0;
  for (const auto& p : paid) total += p.size();
  const Json sink = MustJson(3, {"balance", "sink"});
  EXPECT_GT(total, static_cast<size_t>(kCitizens));
  EXPECT_GT(sink["balance"].get<uint64_t>(), 0u) << "claims were not credited";
}

}  // namespace
}  // namespace hito::e2e
