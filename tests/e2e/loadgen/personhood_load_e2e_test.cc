// End to end: hito_loadgen_personhood against a real `hitod dev --identities 40
// --cohort-bits 4` (cohorts of 16, proofs with m = 2, cheap to prove). Checks what the
// benchmarks in docs/perf/ubi.md rely on: the test registry's identities claim in
// epoch 0 through the mempool and blocks, every claim commits and none is refused; a
// second chain written with the same options has the same snapshots, so its run proves
// nothing and reuses every cached proof; a proof tampered with in the cache is refused by
// the node (the cache is not trusted); registrations by the dev attester commit.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/e2e/e2e_util.h"
#include "tests/support/e2e/loadgen_fixture.h"

namespace hito::e2e {
namespace {

using Json = nlohmann::json;

const std::vector<std::string> kChainArgs = {"--identities",   "40",   "--cohort-bits",  "4",
                                             "--epoch-blocks", "1000", "--claim-window", "4"};

class PersonhoodLoadE2eTest : public LoadgenFixture {
 protected:
  PersonhoodLoadE2eTest() : LoadgenFixture("hito_e2e_ploadgen", kChainArgs) {}

  // The fixture's Run, and a test failure when the output ends without a JSON summary.
  Json Run(const std::vector<std::string>& args, int* exit_code) {
    std::string log;
    Json j = LoadgenFixture::Run(args, exit_code, &log);
    EXPECT_FALSE(j.is_discarded()) << log;
    return j;
  }

  std::vector<std::string> ClaimArgs(const NodeProcess& node) {
    return {"claims",
            "--nodes",
            node.address(),
            "--secrets",
            node.home() + "/identities.secrets",
            "--cache",
            cache(),
            "--cohorts",
            "2",
            "--count",
            "6",
            "--batch",
            "4",
            "--json"};
  }
};

TEST_F(PersonhoodLoadE2eTest, ClaimsCommitAndTheirProofsServeAnIdenticalChain) {
  // 6 identities in each of cohorts 0 and 1; each cohort's first is the warm-up claim.
  std::unique_ptr<NodeProcess> first = StartChain("a");
  int exit = -1;
  Json a = Run(ClaimArgs(*first), &exit);
  ASSERT_EQ(exit, 0) << a.dump();
  EXPECT_EQ(a["proved_this_run"], 12);
  EXPECT_EQ(a["warmup_claims"], 2);
  EXPECT_EQ(a["claims"], 10);
  EXPECT_EQ(a["committed"], 10);
  EXPECT_TRUE(a["refused"].empty()) << a.dump();
  // No floor probe: it needs 64 claims of one cohort.
  EXPECT_EQ(a["verification_floor_per_second"], 0);
  first->Stop();

  std::unique_ptr<NodeProcess> second = StartChain("b");
  Json b = Run(ClaimArgs(*second), &exit);
  ASSERT_EQ(exit, 0) << b.dump();
  EXPECT_EQ(b["proved_this_run"], 0) << "the same options must give the same snapshots";
  EXPECT_EQ(b["committed"], 10);
  EXPECT_TRUE(b["refused"].empty()) << b.dump();
}

TEST_F(PersonhoodLoadE2eTest, ATamperedCachedProofIsRefusedByTheNode) {
  std::unique_ptr<NodeProcess> first = StartChain("a");
  int exit = -1;
  std::vector<std::string> prove = ClaimArgs(*first);
  prove.push_back("--prove-only");
  Json proved = Run(prove, &exit);
  ASSERT_EQ(exit, 0);
  EXPECT_EQ(proved["claims_ready"], 12);
  // Flip one byte inside the last record of every cache file (inside its proof: the
  // record ends with the transaction, whose last bytes are the proof's scalars).
  int tampered = 0;
  for (const auto& e : std::filesystem::directory_iterator(cache())) {
    if (e.path().filename().string().rfind("claims-", 0) != 0) continue;
    FlipByteNearTheEnd(e.path());
    ++tampered;
  }
  ASSERT_EQ(tampered, 2);
  // Without the warm-up (the tampered record may be a cohort's first claim), all 12 go
  // through the mempool.
  std::vector<std::string> args = ClaimArgs(*first);
  args.push_back("--no-warmup");
  Json j = Run(args, &exit);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["committed"], 10);
  EXPECT_EQ(j["refused"].value("TX_BAD_PROOF", 0) + j["refused"].value("TX_MALFORMED", 0), 2)
      << j.dump();
}

TEST_F(PersonhoodLoadE2eTest, RegistrationsByTheDevAttesterCommit) {
  std::unique_ptr<NodeProcess> node = StartChain("a");
  int exit = -1;
  Json j = Run({"registrations", "--nodes", node->address(), "--attester-key",
                node->home() + "/attester.key", "--count", "50", "--batch", "16", "--json"},
               &exit);
  ASSERT_EQ(exit, 0) << j.dump();
  EXPECT_EQ(j["registrations"], 50);
  EXPECT_EQ(j["committed"], 50);
  EXPECT_TRUE(j["refused"].empty()) << j.dump();
}

}  // namespace
}  // namespace hito::e2e
