// UBI on the 4-validator testnet, as citizens do it with `hito`: the dev attester attests
// and registers 50 citizens (through different validators), they claim over several
// epochs (a fifth of them skip an epoch and catch up within the window), one loses its
// key and re-registers with the same handle (its old key is refused afterwards), double
// claims are refused whichever validator they are sent to, and on every node the supply
// equals the sum of the balances. Label slow: about two minutes of real epochs.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
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
  // Runs fn(i) for i in [0, n) on kParallel threads (each call starts its own `hito`).
  template <typename Fn>
  void ForAll(int n, Fn fn) {
    std::atomic<int> next{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kParallel; ++t) {
      threads.emplace_back([&] {
        for (int i = next++; i < n; i = next++) fn(i);
      });
    }
    for (auto& th : threads) th.join();
  }

  Json MustJson(int node, std::vector<std::string> args) {
    CliRun r = Hito(node, args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << " " << (args.size() > 1 ? args[1] : "") << ": "
                              << r.err;
    Json j = Json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }

  static std::string Name(int i) { return "citizen" + std::to_string(i); }
  static std::string Handle(int i) { return "national-id:DEU:P" + std::to_string(i); }
  // Every validator's gRPC address, for the dedup tag (3 of 4 needed).
  std::string Validators() {
    std::string list;
    for (int n = 0; n < kNodes; ++n) list += (n ? "," : "") + node(n).address();
    return list;
  }

  // identity new + attester attest + identity register; returns the registration JSON.
  Json Enrol(const std::string& name, const std::string& handle, int node) {
    Json id = MustJson(node, {"identity", "new", name});
    CliRun att = Hito(node, {"attester", "attest", "--attester", "dev-attester", "--identity",
                             id["identity"].get<std::string>(), "--handle", handle, "--expires-in",
                             "200", "--validators", Validators()});
    EXPECT_EQ(att.exit_code, 0) << att.err;
    const std::string file = wallet_->path() + "/" + name + ".attestation.json";
    std::FILE* f = std::fopen(file.c_str(), "w");
    EXPECT_NE(f, nullptr);
    std::fputs(att.out.c_str(), f);
    std::fclose(f);
    return MustJson(node, {"identity", "register", name, "--attestation", file});
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
    for (const Json& c : paid) epochs.push_back(c["epoch"].get<uint64_t>());
    return epochs;
  }
  // On every node: supply == sum of balances (the testnet runs without demurrage, so
  // equality is exact; ubi.md). The funded accounts are dev, the four validators' and
  // sink, where every claim pays.
  void ExpectSupplyEqualsBalances() {
    const uint64_t h = Height(0);
    for (int n = 0; n < kNodes; ++n) ASSERT_TRUE(WaitHeight(n, h));
    int compared = 0;
    for (int n = 0; n < kNodes; ++n) {
      const uint64_t at = Height(n);
      uint64_t sum = 0;
      for (const char* who : {"dev", "sink", "v0", "v1", "v2", "v3"}) {
        sum += MustJson(n, {"balance", who})["balance"].get<uint64_t>();
      }
      const Json supply = MustJson(n, {"ubi", "supply"});
      if (supply["height"].get<uint64_t>() != at) continue;  // a block landed in between
      EXPECT_EQ(supply["supply"].get<uint64_t>(), sum) << "node " << n << " height " << at;
      ++compared;
    }
    EXPECT_GT(compared, 0) << "every node moved on between its balance and supply reads";
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

  // A double claim of a paid epoch is refused by every validator.
  for (int n = 0; n < kNodes; ++n) {
    CliRun again = Hito(
        n, {"ubi", "claim", Name(0), "--to", "sink", "--epochs", std::to_string(paid[0].front())});
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
