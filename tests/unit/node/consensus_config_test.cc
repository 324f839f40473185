// The consensus parts of the node's files: the [consensus] round timeouts in config.toml
// (defaults, round trip, range checks with the key's name in the error) and the genesis
// validator_schedule (round trip through genesis.json, strict refusals, same rules as the
// ledger's InitGenesis).
#include <gtest/gtest.h>

#include <string>

#include "node/config/config.h"
#include "tests/support/keys.h"

namespace hito::node::config {
namespace {

namespace types = consensus::types;
using testing::KeyFor;

TEST(ConsensusConfigTest, TimeoutDefaultsAndRoundTrip) {
  NodeConfig c;
  EXPECT_EQ(c.timeouts.propose_base_ms, 3000u);
  EXPECT_EQ(c.timeouts.precommit_delta_ms, 500u);
  c.timeouts.propose_base_ms = 1234;
  c.timeouts.propose_delta_ms = 56;
  c.timeouts.prevote_base_ms = 700;
  c.timeouts.prevote_delta_ms = 70;
  c.timeouts.precommit_base_ms = 800;
  c.timeouts.precommit_delta_ms = 80;
  auto back = ParseConfigToml(ConfigToToml(c));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->timeouts.propose_base_ms, 1234u);
  EXPECT_EQ(back->timeouts.propose_delta_ms, 56u);
  EXPECT_EQ(back->timeouts.prevote_base_ms, 700u);
  EXPECT_EQ(back->timeouts.prevote_delta_ms, 70u);
  EXPECT_EQ(back->timeouts.precommit_base_ms, 800u);
  EXPECT_EQ(back->timeouts.precommit_delta_ms, 80u);
  // Absent keys keep the defaults.
  auto minimal = ParseConfigToml("[consensus]\ntimeout_prevote_base_ms = 250\n");
  ASSERT_TRUE(minimal.ok()) << minimal.status().ToString();
  EXPECT_EQ(minimal->timeouts.prevote_base_ms, 250u);
  EXPECT_EQ(minimal->timeouts.propose_base_ms, 3000u);
}

TEST(ConsensusConfigTest, TimeoutsOutOfRangeAreRefusedByName) {
  auto refused = [](const std::string& line, const std::string& key) {
    auto c = ParseConfigToml("[consensus]\n" + line + "\n");
    ASSERT_FALSE(c.ok()) << line;
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(c.status().message().find(key), std::string::npos) << c.status().ToString();
  };
  refused("timeout_propose_base_ms = 0", "consensus.timeout_propose_base_ms");
  refused("timeout_propose_base_ms = 9", "consensus.timeout_propose_base_ms");
  refused("timeout_prevote_base_ms = 600001", "consensus.timeout_prevote_base_ms");
  refused("timeout_precommit_delta_ms = 0", "consensus.timeout_precommit_delta_ms");
  refused("timeout_prevote_delta_ms = 60001", "consensus.timeout_prevote_delta_ms");
  refused("timeout_propose_delta_ms = -5", "consensus.timeout_propose_delta_ms");
  refused("timeout_propose_delta_ms = \"fast\"", "consensus.timeout_propose_delta_ms");
  refused("timeout_propose_base_ms = 99999999999", "consensus.timeout_propose_base_ms");
  EXPECT_TRUE(ParseConfigToml("[consensus]\ntimeout_propose_base_ms = 10\n"
                              "timeout_propose_delta_ms = 1\n")
                  .ok());
}

std::string Hex(const Ed25519PublicKey& pk) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t b : pk) {
    s.push_back(d[b >> 4]);
    s.push_back(d[b & 15]);
  }
  return s;
}

std::string Val(uint8_t k, int power = 1) {
  return "{\"public_key\": \"" + Hex(KeyFor(k).public_key()) +
         "\", \"power\": " + std::to_string(power) + "}";
}

std::string GenesisWith(const std::string& schedule) {
  return "{\"chain_id\": \"c\", \"genesis_time_ms\": 5, \"validators\": [" + Val(1) + ", " +
         Val(2) + "], \"accounts\": []" + (schedule.empty() ? "" : ", " + schedule) + "}";
}

TEST(ConsensusConfigTest, GenesisValidatorScheduleRoundTrips) {
  auto g = ParseGenesisJson(GenesisWith(
      "\"validator_schedule\": [{\"height\": 3, "
      "\"validators\": [" +
      Val(3, 2) + "]}, {\"height\": 9, \"validators\": [" + Val(1) + ", " + Val(4) + "]}]"));
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  ASSERT_EQ(g->validator_schedule.size(), 2u);
  EXPECT_EQ(g->validator_schedule[0].height, 3u);
  EXPECT_EQ(g->validator_schedule[0].set.validators()[0].power, 2u);
  EXPECT_EQ(g->validator_schedule[1].set.size(), 2u);
  auto back = ParseGenesisJson(GenesisToJson(*g));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->validator_schedule, g->validator_schedule);
  EXPECT_EQ(back->validators, g->validators);
  // Without a schedule the file is written as before (no key).
  auto plain = ParseGenesisJson(GenesisWith(""));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(GenesisToJson(*plain).find("validator_schedule"), std::string::npos);
}

TEST(ConsensusConfigTest, GenesisValidatorScheduleIsStrict) {
  auto refused = [](const std::string& schedule, const std::string& why) {
    auto g = ParseGenesisJson(GenesisWith(schedule));
    ASSERT_FALSE(g.ok()) << schedule;
    EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(g.status().message().find(why), std::string::npos) << g.status().ToString();
  };
  const std::string v3 = "[" + Val(3) + "]";
  refused("\"validator_schedule\": {}", "must be a list");
  refused("\"validator_schedule\": [{\"height\": 1, \"validators\": " + v3 + "}]", ">= 2");
  refused("\"validator_schedule\": [{\"height\": 0, \"validators\": " + v3 + "}]", ">= 2");
  refused("\"validator_schedule\": [{\"height\": 5, \"validators\": " + v3 +
              "}, {\"height\": 5, \"validators\": " + v3 + "}]",
          "strictly increasing");
  refused("\"validator_schedule\": [{\"height\": 5, \"validators\": []}]", "no validators");
  refused("\"validator_schedule\": [{\"height\": 5, \"validators\": " + v3 + ", \"extra\": 1}]",
          "nothing else");
  refused("\"validator_schedule\": [{\"height\": 5}]", "nothing else");
  refused(
      "\"validator_schedule\": [{\"height\": 5, \"validators\": [" + Val(3) + ", " + Val(3) + "]}]",
      "height 5");
  refused("\"validator_schedule\": [{\"height\": 5, \"validators\": [" + Val(3, 0) + "]}]",
          "height 5");
  refused("\"validator_schedule\": [{\"height\": -5, \"validators\": " + v3 + "}]", "genesis");
  refused(
      "\"validator_schedule\": [{\"height\": 5, \"validators\": [{\"public_key\": \"zz\", "
      "\"power\": 1}]}]",
      "public_key");
}

}  // namespace
}  // namespace hito::node::config
