// The fixture shared by the CLI e2e tests that run against one `hitod dev`: a real node on
// a free loopback port in its own temporary home, a separate wallet home, and helpers that
// run the `hito` binary against them with --json and the test passphrase (with the fast
// key derivation the keystore allows for tests). The node lives for the whole suite: a
// derived suite calls StartDevNode from its SetUpTestSuite. Header-only.
#ifndef HITO_TESTS_SUPPORT_E2E_DEV_NODE_FIXTURE_H_
#define HITO_TESTS_SUPPORT_E2E_DEV_NODE_FIXTURE_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/e2e/e2e_util.h"

namespace hito::e2e {

class DevNodeFixture : public ::testing::Test {
 protected:
  using Json = nlohmann::json;

  // Starts the suite's node in a TempDir named after `name` ("<name>_node", with the
  // wallet in "<name>_wallet"); every Hito call is bounded by `cli_timeout`. A failure to
  // start is a fatal failure of the suite (check HasFatalFailure after the call).
  // `extra_args` go to `hitod dev` after the home and gRPC address.
  static void StartDevNode(const std::string& name, std::chrono::seconds cli_timeout,
                           const std::vector<std::string>& extra_args = {}) {
    cli_timeout_ = cli_timeout;
    node_home_ = new TempDir(name + "_node");
    wallet_home_ = new TempDir(name + "_wallet");
    node_ = new NodeProcess(node_home_->path(), FreeLoopbackPort());
    Status s = node_->Start("dev", std::chrono::seconds(30), extra_args);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  static void TearDownTestSuite() {
    delete node_;
    delete node_home_;
    delete wallet_home_;
    node_ = nullptr;
    node_home_ = nullptr;
    wallet_home_ = nullptr;
  }

  // Runs hito against the suite's node and wallet home, with --json.
  static CliRun Hito(std::vector<std::string> args) {
    args.insert(args.end(), {"--node", node_->address(), "--home", wallet_home_->path(), "--json"});
    return RunHito(
        args, {{"HITO_PASSPHRASE", "e2e passphrase"}, {"HITO_KEYSTORE_INSECURE_FAST_KDF", "1"}},
        cli_timeout_);
  }
  // Runs hito and parses its JSON output, failing the test on a non-zero exit.
  static Json HitoJson(const std::vector<std::string>& args) {
    CliRun r = Hito(args);
    EXPECT_EQ(r.exit_code, 0) << "hito" << JoinedArgs(args) << ": " << r.err;
    Json j = Json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }
  // The failure contract: exactly one line on stderr, starting "error: ", nothing on stdout.
  static void ExpectOneErrorLine(const CliRun& r) {
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  // Exit code as given, stderr starting "error: " and holding `what` (if any), nothing on
  // stdout.
  static void ExpectRefused(const CliRun& r, int exit_code, const std::string& what = "") {
    EXPECT_EQ(r.exit_code, exit_code) << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    if (!what.empty()) EXPECT_NE(r.err.find(what), std::string::npos) << r.err;
  }
  // Writes `text` to wallet_home/<name>; its path.
  static std::string WriteFile(const std::string& name, const std::string& text) {
    std::string path = wallet_home_->path() + "/" + name;
    std::FILE* f = std::fopen(path.c_str(), "w");
    EXPECT_NE(f, nullptr);
    std::fputs(text.c_str(), f);
    std::fclose(f);
    return path;
  }

  inline static TempDir* node_home_ = nullptr;
  inline static TempDir* wallet_home_ = nullptr;
  inline static NodeProcess* node_ = nullptr;

 private:
  static std::string JoinedArgs(const std::vector<std::string>& args) {
    std::string joined;
    for (const std::string& a : args) joined += " " + a;
    return joined;
  }

  inline static std::chrono::seconds cli_timeout_{60};
};

}  // namespace hito::e2e

#endif  // HITO_TESTS_SUPPORT_E2E_DEV_NODE_FIXTURE_H_
