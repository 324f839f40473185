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
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "tests/e2e/hitod/e2e_util.h"

namespace hito::e2e {
namespace {

using Json = nlohmann::json;
constexpr int kNodes = 4;
constexpr auto kWait = std::chrono::seconds(90);

bool PortFree(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

int FreePortRange() {
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> pick(20000, 59000);
  for (int attempt = 0; attempt < 200; ++attempt) {
    int base = pick(rng);
    bool all = true;
    for (int p = base; p < base + 2 * kNodes && all; ++p) all = PortFree(p);
    if (all) return base;
  }
  return -1;
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::trunc);
  f << text;
}

// Replaces the value of `key = n` in a config.toml text (hitod writes every key).
bool SetConfigValue(std::string* config, const std::string& key, int value) {
  const size_t at = config->find("\n" + key + " = ");
  if (at == std::string::npos) return false;
  const size_t start = at + 1;
  const size_t end = config->find('\n', start);
  config->replace(start, end - start, key + " = " + std::to_string(value));
  return true;
}

class ValsetE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<TempDir>("hito_e2e_valset");
    wallet_ = std::make_unique<TempDir>("hito_e2e_valset_wallet");
    const int base = FreePortRange();
    ASSERT_GT(base, 0);
    out_ = dir_->path() + "/net";
    const std::string cmd = std::string(HITOD_BIN) + " testnet --validators 4 --out " + out_ +
                            " --base-port " + std::to_string(base) + " > " + dir_->path() +
                            "/testnet.log 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadFileOrEmpty(dir_->path() + "/testnet.log");
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
      const std::string home = out_ + "/node" + std::to_string(i);
      WriteText(home + "/genesis.json", genesis);
      std::string config = ReadFileOrEmpty(home + "/config.toml");
      for (const auto& [key, value] :
           std::vector<std::pair<std::string, int>>{{"timeout_propose_base_ms", 1500},
                                                    {"timeout_propose_delta_ms", 250},
                                                    {"timeout_prevote_base_ms", 500},
                                                    {"timeout_prevote_delta_ms", 250},
                                                    {"timeout_precommit_base_ms", 500},
                                                    {"timeout_precommit_delta_ms", 250}}) {
        ASSERT_TRUE(SetConfigValue(&config, key, value)) << key << " not in config.toml";
      }
      WriteText(home + "/config.toml", config);
      const std::string d = dir_->path() + "/p" + std::to_string(i);
      std::filesystem::create_directories(d);
      std::filesystem::create_directory_symlink(home, d + "/home");
      nodes_.push_back(std::make_unique<NodeProcess>(d, base + 2 * i));
    }
  }
  void StartAll() {
    for (int i = 0; i < kNodes; ++i) {
      Status s = node(i).Start("start");
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
  }
  void TearDown() override {
    if (HasFailure()) {
      for (auto& n : nodes_) std::cerr << "---- " << n->home() << "\n" << n->LogTail() << "\n";
    }
    nodes_.clear();
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
  NodeProcess& node(int i) { return *nodes_[static_cast<size_t>(i)]; }
  CliRun Hito(int i, std::vector<std::string> args) {
    args.insert(args.end(), {"--node", node(i).address(), "--home", wallet_->path(), "--json"});
    return RunHito(
        args, {{"HITO_PASSPHRASE", "e2e passphrase"}, {"HITO_KEYSTORE_INSECURE_FAST_KDF", "1"}},
        std::chrono::seconds(70));
  }
  std::optional<Json> HitoJson(int i, std::vector<std::string> args) {
    CliRun r = Hito(i, std::move(args));
    if (r.exit_code != 0) return std::nullopt;
    Json j = Json::parse(r.out, nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    return j;
  }
  uint64_t Height(int i) {
    auto s = HitoJson(i, {"status"});
    return s ? (*s)["height"].get<uint64_t>() : 0;
  }
  std::string BlockHash(int i, uint64_t height) {
    auto b = HitoJson(i, {"block", std::to_string(height)});
    return b ? (*b)["hash"].get<std::string>() : "";
  }
  bool WaitHeight(int i, uint64_t h) {
    auto deadline = std::chrono::steady_clock::now() + kWait;
    while (std::chrono::steady_clock::now() < deadline) {
      if (Height(i) >= h) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
  }
  void ExpectSameChain(const std::vector<int>& which, uint64_t from, uint64_t to) {
    for (uint64_t h = from; h <= to; ++h) {
      const std::string ref = BlockHash(which[0], h);
      EXPECT_EQ(ref.size(), 64u) << "height " << h;
      for (size_t k = 1; k < which.size(); ++k) {
        EXPECT_EQ(BlockHash(which[k], h), ref) << "node " << which[k] << " height " << h;
      }
    }
  }

  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<TempDir> wallet_;
  std::string out_;
  std::vector<std::unique_ptr<NodeProcess>> nodes_;
};

TEST_F(ValsetE2eTest, ValidatorLeavesAndReturnsAtScheduledHeights) {
  ASSERT_NO_FATAL_FAILURE(StartAll());
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
