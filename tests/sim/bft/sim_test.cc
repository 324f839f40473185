// tests/sim/bft: the simulator on the real node code is deterministic (one seed, one run,
// bit for bit), its replay command names the run, a run without twins never sees
// equivocation, every kind of validator set change (powers, add, remove, swap all) occurs
// across seeds with the checks passing, twins' evidence lands in committed blocks, and
// twins' malformed blocks and junk reach the honest nodes, which stay safe and live.
#include "tests/sim/bft/sim.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace hito::sim {
namespace {

SimOptions Options(uint64_t seed, uint32_t validators) {
  SimOptions o;
  o.seed = seed;
  o.validators = validators;
  o.steps = 1500;
  return o;
}

TEST(SimTest, ASeedReplaysExactly) {
  for (uint64_t seed : {uint64_t{3}, uint64_t{11}}) {
    const SimReport a = RunSimulation(Options(seed, 7));
    const SimReport b = RunSimulation(Options(seed, 7));
    ASSERT_TRUE(a.status.ok()) << a.status.ToString();
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.steps, b.steps);
    EXPECT_EQ(a.sim_time_ms, b.sim_time_ms);
    EXPECT_EQ(a.min_height, b.min_height);
    EXPECT_EQ(a.max_height, b.max_height);
    EXPECT_EQ(a.evidence, b.evidence);
    EXPECT_EQ(a.crashes, b.crashes);
    EXPECT_EQ(a.txs_ok, b.txs_ok);
    EXPECT_EQ(a.max_round, b.max_round);
    EXPECT_EQ(a.bad_blocks, b.bad_blocks);
    EXPECT_EQ(a.junk, b.junk);
  }
}

TEST(SimTest, DifferentSeedsDifferentRuns) {
  const SimReport a = RunSimulation(Options(1, 4));
  const SimReport b = RunSimulation(Options(2, 4));
  ASSERT_TRUE(a.status.ok() && b.status.ok());
  EXPECT_FALSE(a.steps == b.steps && a.sim_time_ms == b.sim_time_ms);
}

TEST(SimTest, HonestOnlyRunDecidesAndSeesNoEvidence) {
  SimOptions o = Options(5, 4);
  o.byzantine = false;
  const SimReport r = RunSimulation(o);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.byzantine, 0u);
  EXPECT_EQ(r.evidence, 0u);
  EXPECT_GE(r.min_height, 2u);
  EXPECT_GT(r.txs_ok, 0u);
}

TEST(SimTest, EveryKindOfSetChangeRunsAndTwinsEvidenceLandsOnChain) {
  std::map<std::string, int> kinds;
  uint64_t committed = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    const SimReport r = RunSimulation(Options(seed, 4 + static_cast<uint32_t>(seed % 2) * 3));
    ASSERT_TRUE(r.status.ok()) << "seed " << seed << ": " << r.status.ToString();
    ++kinds[r.set_change];
    committed += r.evidence_committed;
  }
  for (const char* k : {"powers", "add", "remove", "swap"}) {
    EXPECT_GT(kinds[k], 0) << "no seed drew a " << k << " change";
  }
  EXPECT_GT(committed, 0u) << "no twin's evidence reached a committed block";
}

TEST(SimTest, ReplayCommandNamesTheRun) {
  SimOptions o = Options(42, 10);
  o.byzantine = false;
  EXPECT_EQ(ReplayCommand(o), "hito_sim --seed 42 --validators 10 --steps 1500 --no-byzantine");
  // A mask other than the default is named in the command; the default is not.
  o.bad_blocks = kAllBadBlocks & ~1u;
  o.hostile = false;
  EXPECT_EQ(ReplayCommand(o),
            "hito_sim --seed 42 --validators 10 --steps 1500 --no-byzantine --bad-blocks " +
                std::to_string(kAllBadBlocks & ~1u) + " --no-hostile");
  o.bad_blocks = kDefaultBadBlocks;
  EXPECT_EQ(ReplayCommand(o),
            "hito_sim --seed 42 --validators 10 --steps 1500 --no-byzantine --no-hostile");
}

// Twins propose malformed blocks (of the kinds the CI runs) across a few seeds, send
// junk, and the honest validators keep every invariant and stay live.
TEST(SimTest, TwinsMalformedBlocksAndJunkReachHonestNodesWhoStaySafeAndLive) {
  uint64_t bad = 0;
  uint64_t junk = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    SimOptions o = Options(seed, 4);
    const SimReport r = RunSimulation(o);
    ASSERT_TRUE(r.status.ok()) << "seed " << seed << ": " << r.status.ToString();
    bad += r.bad_blocks;
    junk += r.junk;
  }
  EXPECT_GT(bad, 0u) << "no twin proposed a malformed block";
  EXPECT_GT(junk, 0u) << "no twin sent junk";
}

}  // namespace
}  // namespace hito::sim
