// The fixture shared by the hito_loadgen_personhood e2e tests: a TempDir per test, fresh
// `hitod dev` chains (with the test's chain options) in subdirectories of it, and a run of
// the generator (LOADGEN_BIN, compiled in by the test target) to completion, bounded, with
// its output in a file. Header-only.
#ifndef HITO_TESTS_SUPPORT_E2E_LOADGEN_FIXTURE_H_
#define HITO_TESTS_SUPPORT_E2E_LOADGEN_FIXTURE_H_

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/e2e/e2e_support.h"
#include "tests/support/e2e/e2e_util.h"

namespace hito::e2e {

class LoadgenFixture : public ::testing::Test {
 protected:
  using Json = nlohmann::json;

  // Each test's files go to a TempDir named `prefix`; every chain is started with
  // `hitod dev CHAIN_ARGS...`.
  LoadgenFixture(std::string prefix, std::vector<std::string> chain_args)
      : prefix_(std::move(prefix)), chain_args_(std::move(chain_args)) {}

  void SetUp() override { dir_ = std::make_unique<TempDir>(prefix_); }

  // A fresh dev chain with the test registry in dir/<name>.
  std::unique_ptr<NodeProcess> StartChain(const std::string& name) {
    const std::string d = dir_->path() + "/" + name;
    std::filesystem::create_directories(d);
    auto node = std::make_unique<NodeProcess>(d, FreeLoopbackPort());
    Status s = node->Start("dev", std::chrono::seconds(60), chain_args_);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return node;
  }

  // Runs the generator to completion; its last JSON line (discarded if there is none) and
  // its whole output in *log.
  Json Run(const std::vector<std::string>& args, int* exit_code, std::string* log = nullptr) {
    ChildProcess p(LOADGEN_BIN, args, dir_->path() + "/loadgen-" + std::to_string(++runs_));
    EXPECT_TRUE(p.started());
    std::optional<int> exit = p.Wait(std::chrono::seconds(240));
    EXPECT_TRUE(exit.has_value()) << "hito_loadgen_personhood did not finish: " << p.Log();
    *exit_code = exit.value_or(-1);
    const std::string out = p.Log();
    if (log != nullptr) *log = out;
    const size_t brace = out.rfind("\n{");
    return Json::parse(brace == std::string::npos ? out : out.substr(brace + 1), nullptr, false);
  }

  // Flips one bit of the byte 40 bytes before the end of `file`: inside the last cached
  // record's proof (a record ends with its transaction, whose last bytes are the proof's
  // scalars).
  static void FlipByteNearTheEnd(const std::filesystem::path& file) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-40, std::ios::end);
    char c = 0;
    f.get(c);
    f.seekp(-40, std::ios::end);
    f.put(static_cast<char>(c ^ 0x01));
  }

  // The proof cache the generator is pointed at.
  std::string cache() const { return dir_->path() + "/cache"; }

  std::unique_ptr<TempDir> dir_;

 private:
  std::string prefix_;
  std::vector<std::string> chain_args_;
  int runs_ = 0;
};

}  // namespace hito::e2e

#endif  // HITO_TESTS_SUPPORT_E2E_LOADGEN_FIXTURE_H_
