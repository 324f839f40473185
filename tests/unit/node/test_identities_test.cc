// Test identities (`hitod dev|testnet --identities N`): derivation, the genesis they go
// into, the secrets file for load generators, and refusals of bad options and of
// malformed "identities" in genesis.json.
#include "node/config/test_identities.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "base/hex.h"
#include "consensus/ledger/ledger.h"
#include "node/config/config.h"
#include "node/config/home.h"
#include "node/config/testnet.h"
#include "tests/support/chain_node.h"
#include "tests/support/temp_dir.h"

namespace hito::node::config {
namespace {

using testing::TempDir;
namespace ledger = consensus::ledger;

std::vector<std::string> SecretLines(const std::filesystem::path& path) {
  std::istringstream in(ReadFile(path).value());
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') out.push_back(line);
  }
  return out;
}

TEST(TestIdentities, SecretsAreDeterministicCanonicalAndMatchTheirPoints) {
  const Ed25519PublicKey attester{7};
  std::vector<ledger::GenesisIdentity> ids = TestIdentities(64, attester, 99).value();
  ASSERT_EQ(ids.size(), 64u);
  std::set<std::string> points, tags;
  for (uint64_t i = 0; i < ids.size(); ++i) {
    const std::array<uint8_t, 32> r = TestIdentitySecret(i);
    EXPECT_EQ(r, TestIdentitySecret(i)) << "derivation must not depend on anything but i";
    EXPECT_FALSE(sodium_is_zero(r.data(), r.size()));
    EXPECT_EQ(crypto_core_ristretto255_is_valid_point(ids[i].point.data()), 1);
    std::array<uint8_t, 32> p{};
    ASSERT_EQ(crypto_scalarmult_ristretto255_base(p.data(), r.data()), 0);
    EXPECT_EQ(p, ids[i].point) << "identity " << i;
    EXPECT_EQ(ids[i].attester, attester);
    EXPECT_EQ(ids[i].expiry_epoch, 99u);
    points.insert(HexEncode(ids[i].point));
    tags.insert(HexEncode(ids[i].dedup_tag));
  }
  EXPECT_EQ(points.size(), 64u);
  EXPECT_EQ(tags.size(), 64u);
  EXPECT_NE(TestIdentitySecret(0), TestIdentitySecret(uint64_t{1} << 32));
  EXPECT_FALSE(TestIdentities(kTestIdentitiesMax + 1, attester, 1).ok());
}

TEST(TestIdentities, TestnetGenesisRegistersThemAndWritesTheirSecrets) {
  TempDir dir;
  TestnetOptions o;
  o.validators = 2;
  o.out = dir.path() / "tn";
  o.base_port = 31400;
  o.test_registry = {.identities = 40, .cohort_bits = 4, .epoch_blocks = 500, .claim_window = 9};
  ASSERT_TRUE(WriteTestnet(o).ok());

  ledger::Genesis g = ParseGenesisJson(ReadFile(o.out / "node0" / "genesis.json").value()).value();
  EXPECT_EQ(g.registry.cohort_bits, 4);
  EXPECT_EQ(g.params.epoch_blocks, 500u);
  EXPECT_EQ(g.registry.claim_window, 9u);
  ASSERT_EQ(g.attesters.size(), 1u);
  EXPECT_EQ(g.identities,
            TestIdentities(40, g.attesters[0], g.registry.max_attestation_epochs).value());
  ASSERT_TRUE(g.governance.has_value());
  EXPECT_EQ(g.governance->round_epochs, kDevRoundEpochs);
  EXPECT_TRUE(ledger::Ledger::InitGenesis(g).ok()) << "the ledger must accept them";

  // A claim window shorter than the dev round shortens the round to it.
  ledger::Genesis short_window = g;
  ASSERT_TRUE(AddTestRegistry({.claim_window = 2}, &short_window).ok());
  EXPECT_EQ(short_window.governance->round_epochs, 2u);
  EXPECT_TRUE(ledger::Ledger::InitGenesis(short_window).ok());

  const std::filesystem::path secrets = o.out / kTestIdentitiesFile;
  struct stat st {};
  ASSERT_EQ(::stat(secrets.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::vector<std::string> lines = SecretLines(secrets);
  ASSERT_EQ(lines.size(), 40u);
  for (uint64_t i = 0; i < lines.size(); ++i) {
    const std::array<uint8_t, 32> r = TestIdentitySecret(i);
    EXPECT_EQ(lines[i], HexEncode(ByteView(r.data(), r.size())));
  }
}

TEST(TestIdentities, DevHomeGetsThemAndPlainHomesRefuseThem) {
  TempDir dir;
  InitOptions dev;
  dev.dev_account = true;
  dev.test_registry.identities = 5;
  ASSERT_TRUE(InitHome(dir.path() / "dev", dev).ok());
  HomePaths p{dir.path() / "dev"};
  EXPECT_EQ(SecretLines(p.test_identities()).size(), 5u);
  EXPECT_EQ(ParseGenesisJson(ReadFile(p.genesis()).value())->identities.size(), 5u);

  InitOptions plain;
  plain.test_registry.identities = 5;
  Result<InitResult> r = InitHome(dir.path() / "plain", plain);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "plain" / "genesis.json"));
}

TEST(TestIdentities, OutOfRangeOptionsAreRefusedBeforeAnythingIsWritten) {
  TempDir dir;
  for (TestRegistryOptions bad :
       {TestRegistryOptions{.identities = kTestIdentitiesMax + 1},
        TestRegistryOptions{.cohort_bits = 17}, TestRegistryOptions{.claim_window = 1025}}) {
    TestnetOptions o;
    o.out = dir.path() / "tn";
    o.test_registry = bad;
    Result<std::vector<TestnetNode>> r = WriteTestnet(o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
    EXPECT_FALSE(std::filesystem::exists(o.out));
  }
}

TEST(TestIdentities, MalformedGenesisIdentitiesAreRefusedWithTheirPlace) {
  ledger::Genesis g;
  g.chain_id = "gi-test";
  g.validators = consensus::types::ValidatorSet::Create({{Ed25519PublicKey{1}, 1}}).value();
  g.attesters = {Ed25519PublicKey{2}};
  testing::WithDedupKeys(&g);
  g.identities = TestIdentities(2, g.attesters[0], 10).value();
  const std::string good = GenesisToJson(g);
  ASSERT_EQ(ParseGenesisJson(good)->identities, g.identities) << "round trip";

  auto with = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = nlohmann::json::parse(good);
    edit(j);
    return ParseGenesisJson(j.dump());
  };
  struct Case {
    const char* name;
    std::function<void(nlohmann::json&)> edit;
    const char* says;
  };
  const Case cases[] = {
      {"not a list", [](nlohmann::json& j) { j["identities"] = 5; }, "identities must be a list"},
      {"unknown key", [](nlohmann::json& j) { j["identities"][1]["nickname"] = "x"; },
       "identities[1]: unknown key"},
      {"short hex", [](nlohmann::json& j) { j["identities"][0]["identity"] = "abcd"; },
       "identities[0].identity"},
      {"tag not a string", [](nlohmann::json& j) { j["identities"][0]["dedup_tag"] = 3; },
       "identities[0].dedup_tag"},
      {"without attesters",
       [](nlohmann::json& j) {
         j.erase("attesters");
         j.erase("registry");
         j.erase("ubi");
       },
       "identities given without attesters"},
  };
  for (const Case& c : cases) {
    Result<ledger::Genesis> r = with(c.edit);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(r.status().message().find(c.says), std::string::npos)
        << c.name << ": " << r.status().ToString();
  }
}

}  // namespace
}  // namespace hito::node::config
