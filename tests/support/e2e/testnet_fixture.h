// The 4-validator testnet fixture shared by the e2e tests in this directory:
// `hitod testnet --validators 4` on a free loopback port range, four real `hitod start`
// processes (NodeProcess: SIGKILLed and reaped by its destructor, also on failure), the
// dev key imported into a `hito` wallet, and helpers that call the `hito` CLI against
// node i. A test that needs another genesis or config edits the homes in BeforeStart
// (SetConfigValues for config.toml keys). Every wait is bounded.
#ifndef HITO_TESTS_SUPPORT_E2E_TESTNET_FIXTURE_H_
#define HITO_TESTS_SUPPORT_E2E_TESTNET_FIXTURE_H_

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/support/e2e/e2e_util.h"

namespace hito::e2e {

using Json = nlohmann::json;
constexpr int kNodes = 4;
constexpr auto kWait = std::chrono::seconds(60);

inline bool PortFree(int port) {
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

inline void WriteText(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::trunc);
  f << text;
}

// Replaces the value of `key = n` in a config.toml text (hitod writes every key).
inline bool SetConfigValue(std::string* config, const std::string& key, int value) {
  const size_t at = config->find("\n" + key + " = ");
  if (at == std::string::npos) return false;
  const size_t start = at + 1;
  const size_t end = config->find('\n', start);
  config->replace(start, end - start, key + " = " + std::to_string(value));
  return true;
}

// A base port with 2 * kNodes consecutive free ports.
inline int FreePortRange() {
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

class TestnetE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<TempDir>("hito_e2e_testnet");
    wallet_ = std::make_unique<TempDir>("hito_e2e_testnet_wallet");
    int base = FreePortRange();
    ASSERT_GT(base, 0);
    out_ = dir_->path() + "/net";
    const std::string& out = out_;
    // Before any gRPC thread exists in this process, so a plain fork/exec is fine.
    const std::string cmd = std::string(HITOD_BIN) + " testnet --validators 4 --out " + out +
                            " --base-port " + std::to_string(base) + ExtraTestnetArgs() + " > " +
                            dir_->path() + "/testnet.log 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadFileOrEmpty(dir_->path() + "/testnet.log");
    Json nodes = Json::parse(ReadFileOrEmpty(out + "/nodes.json"), nullptr, false);
    ASSERT_FALSE(nodes.is_discarded());
    ASSERT_EQ(nodes["nodes"].size(), static_cast<size_t>(kNodes));
    for (int i = 0; i < kNodes; ++i) {
      // NodeProcess runs dir/home: point it at the testnet's home of node i.
      const std::string d = dir_->path() + "/p" + std::to_string(i);
      std::filesystem::create_directories(d);
      std::filesystem::create_directory_symlink(out + "/node" + std::to_string(i), d + "/home");
      nodes_.push_back(std::make_unique<NodeProcess>(d, base + 2 * i));
    }
    BeforeStart();
    if (HasFatalFailure()) return;
    for (int i = 0; i < kNodes; ++i) {
      Status s = nodes_[static_cast<size_t>(i)]->Start("start");
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
    CliRun r = Hito(0, {"keys", "import", "dev", "--seed-file", out + "/dev.key"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void TearDown() override {
    if (HasFailure()) {
      for (auto& n : nodes_) std::cerr << "---- " << n->home() << "\n" << n->LogTail() << "\n";
    }
    nodes_.clear();  // SIGKILL + reap
  }

  // Runs once the homes are written (in out_) and before any node starts: a test that
  // needs another genesis or config edits the homes here.
  virtual void BeforeStart() {}
  // More `hitod testnet` options (" --attesters 2"), each with a leading space.
  virtual std::string ExtraTestnetArgs() const { return ""; }

  // Sets `key = value` for each pair in every node's config.toml (in BeforeStart); a key
  // the file does not have is a fatal failure.
  void SetConfigValues(const std::vector<std::pair<std::string, int>>& values) {
    for (int i = 0; i < kNodes; ++i) {
      const std::string path = out_ + "/node" + std::to_string(i) + "/config.toml";
      std::string config = ReadFileOrEmpty(path);
      for (const auto& [key, value] : values) {
        ASSERT_TRUE(SetConfigValue(&config, key, value)) << key << " not in config.toml";
      }
      WriteText(path, config);
    }
  }

  NodeProcess& node(int i) { return *nodes_[static_cast<size_t>(i)]; }

  // The pid of node i's hitod (its command line names its home), or -1.
  pid_t PidOf(int i) {
    const std::string want = std::string("--home") + '\0' + node(i).home() + '\0';
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
      const std::string name = e.path().filename().string();
      if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
      const std::string cmdline = ReadFileOrEmpty(e.path().string() + "/cmdline");
      if (cmdline.find(want) != std::string::npos) return static_cast<pid_t>(std::stol(name));
    }
    return -1;
  }

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
  // Waits (bounded) until node i reports a height >= h.
  bool WaitHeight(int i, uint64_t h) {
    auto deadline = std::chrono::steady_clock::now() + wait_;
    while (std::chrono::steady_clock::now() < deadline) {
      if (Height(i) >= h) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
  }
  // Every listed node has the same block hash at every height in [from, to].
  void ExpectSameChain(const std::vector<int>& which, uint64_t from, uint64_t to) {
    for (uint64_t h = from; h <= to; ++h) {
      const std::string ref = BlockHash(which[0], h);
      EXPECT_EQ(ref.size(), 64u) << "height " << h;
      for (size_t k = 1; k < which.size(); ++k) {
        EXPECT_EQ(BlockHash(which[k], h), ref) << "node " << which[k] << " height " << h;
      }
    }
  }

  std::chrono::seconds wait_ = kWait;  // bound of each WaitHeight
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<TempDir> wallet_;
  std::string out_;  // the folder `hitod testnet` wrote
  std::vector<std::unique_ptr<NodeProcess>> nodes_;
};

}  // namespace hito::e2e

#endif  // HITO_TESTS_SUPPORT_E2E_TESTNET_FIXTURE_H_
