// End to end: hito_loadgen_personhood's `ballots` mode against a real `hitod dev
// --identities 40 --cohort-bits 4 --epoch-blocks 12 --claim-window 1` (cohorts of 16,
// proofs cheap to prove; rounds of one 12-block epoch). Checks what
// docs/perf/governance.md relies on: ballots proved on one chain (--prove-only) serve a
// second chain written with the same options (nothing proved again); the generator
// submits the proposal in round 0, waits for round 1, and every ballot and re-vote
// commits, with the ledger's own counts (voters, the proposal's ballots and tally) moved by
// exactly what the block stream saw; a ballot tampered with in the cache is refused by
// the node and reported, not hidden; and options the run cannot honour (a round the
// chain cannot reach with a proposal, more re-votes than voters, identities across
// cohorts) end the run with a clear error.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/e2e/e2e_support.h"
#include "tests/support/e2e/e2e_util.h"

namespace hito::e2e {
namespace {

using Json = nlohmann::json;

// `args` with option `name` set to `value` (replaced if present: CLI11 refuses repeats).
std::vector<std::string> With(std::vector<std::string> args, const std::string& name,
                              const std::string& value) {
  auto it = std::find(args.begin(), args.end(), name);
  if (it == args.end()) {
    args.push_back(name);
    args.push_back(value);
  } else {
    *(it + 1) = value;
  }
  return args;
}

const std::vector<std::string> kChainArgs = {"--identities",   "40", "--cohort-bits",  "4",
                                             "--epoch-blocks", "12", "--claim-window", "1"};

class BallotLoadE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = std::make_unique<TempDir>("hito_e2e_bloadgen"); }

  // A fresh dev chain with the test registry in dir/<name>.
  std::unique_ptr<NodeProcess> StartChain(const std::string& name) {
    const std::string d = dir_->path() + "/" + name;
    std::filesystem::create_directories(d);
    auto node = std::make_unique<NodeProcess>(d, FreeLoopbackPort());
    Status s = node->Start("dev", std::chrono::seconds(60), kChainArgs);
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

  // 10 identities of cohort 0 vote (the first is the warm-up ballot), the first 4 again.
  std::vector<std::string> BallotArgs(const NodeProcess& node) {
    return {"ballots",
            "--nodes",
            node.address(),
            "--secrets",
            node.home() + "/identities.secrets",
            "--dev-key",
            node.home() + "/dev.key",
            "--cache",
            cache(),
            "--count",
            "10",
            "--revotes",
            "4",
            "--batch",
            "4",
            "--prove-threads",
            "1",
            "--json"};
  }
  std::string cache() const { return dir_->path() + "/cache"; }

  std::unique_ptr<TempDir> dir_;
  int runs_ = 0;
};

TEST_F(BallotLoadE2eTest, BallotsAndReVotesCommitAndTheLedgerCountsExactlyThem) {
  std::unique_ptr<NodeProcess> first = StartChain("a");
  int exit = -1;
  std::vector<std::string> prove = BallotArgs(*first);
  prove.push_back("--prove-only");
  Json proved = Run(prove, &exit);
  ASSERT_EQ(exit, 0) << proved.dump();
  EXPECT_EQ(proved["proved_this_run"], 14);
  first->Stop();

  std::unique_ptr<NodeProcess> second = StartChain("b");
  Json j = Run(BallotArgs(*second), &exit);
  ASSERT_EQ(exit, 0) << j.dump();
  EXPECT_EQ(j["proved_this_run"], 0) << "the same options must give the same snapshots";
  EXPECT_EQ(j["round"], 1);
  EXPECT_EQ(j["warmup_ballots"], 1);
  EXPECT_EQ(j["ballots"], 9);
  EXPECT_EQ(j["committed"], 9);
  EXPECT_TRUE(j["refused"].empty()) << j.dump();
  // With the warm-up: 10 voters, each +1 on proposal 0.
  EXPECT_EQ(j["ledger"]["voters_added"], 9);
  EXPECT_EQ(j["ledger"]["voters"], 10);
  EXPECT_EQ(j["ledger"]["proposal_ballots_added"], 9);
  EXPECT_EQ(j["ledger"]["proposal_tally_change"], 9);
  EXPECT_EQ(j["ledger"]["agrees_with_stream"], true);
  // The re-votes replace: no new voter or ballot, each moves the tally from +1 to -1.
  const Json& r = j["revotes"];
  EXPECT_EQ(r["committed"], 4);
  EXPECT_TRUE(r["refused"].empty()) << r.dump();
  EXPECT_EQ(r["ledger"]["voters_added"], 0);
  EXPECT_EQ(r["ledger"]["proposal_ballots_added"], 0);
  EXPECT_EQ(r["ledger"]["proposal_tally_change"], -8);
  EXPECT_EQ(r["ledger"]["voters"], 10);
}

TEST_F(BallotLoadE2eTest, ATamperedCachedBallotIsRefusedByTheNodeAndReported) {
  std::unique_ptr<NodeProcess> node = StartChain("a");
  int exit = -1;
  std::vector<std::string> prove = BallotArgs(*node);
  prove.push_back("--prove-only");
  ASSERT_EQ(Run(prove, &exit)["proved_this_run"], 14);
  ASSERT_EQ(exit, 0);
  // Flip one byte inside the last first-pass record (one proving thread: identity 9's,
  // not the warm-up's), inside its proof's scalars. The re-vote file stays intact.
  int tampered = 0;
  for (const auto& e : std::filesystem::directory_iterator(cache())) {
    if (e.path().filename().string().rfind("ballots-", 0) != 0) continue;
    if (std::filesystem::file_size(e.path()) < 5 * 1024) continue;  // the 4 re-votes
    std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-40, std::ios::end);
    char c = 0;
    f.get(c);
    f.seekp(-40, std::ios::end);
    f.put(static_cast<char>(c ^ 0x01));
    ++tampered;
  }
  ASSERT_EQ(tampered, 1);
  Json j = Run(With(BallotArgs(*node), "--revotes", "0"), &exit);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(exit, 0) << "the ledger still agrees with what committed: " << j.dump();
  EXPECT_EQ(j["committed"], 8);
  EXPECT_EQ(j["refused"].value("TX_BAD_PROOF", 0) + j["refused"].value("TX_MALFORMED", 0), 1)
      << j.dump();
  EXPECT_EQ(j["ledger"]["voters_added"], 8);
  EXPECT_EQ(j["ledger"]["proposal_tally_change"], 8);
}

TEST_F(BallotLoadE2eTest, RunsItCannotHonourEndWithAClearError) {
  std::unique_ptr<NodeProcess> node = StartChain("a");
  struct Case {
    std::string option, value, message;
  };
  const std::vector<Case> cases = {
      {"--round", "3", "pass --round 1"},
      {"--round", "0", "--round must be at least 1"},
      {"--revotes", "11", "--revotes is more than --count"},
      {"--first", "10", "span several cohorts"},
  };
  for (const Case& c : cases) {
    int exit = -1;
    std::string log;
    Run(With(BallotArgs(*node), c.option, c.value), &exit, &log);
    EXPECT_EQ(exit, 1) << c.message;
    EXPECT_NE(log.find(c.message), std::string::npos) << log;
  }
}

}  // namespace
}  // namespace hito::e2e
