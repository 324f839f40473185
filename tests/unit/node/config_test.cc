// config.toml parsing and validation, genesis.json round trip, seed files (mode 0600,
// strict hex), and `init` refusing to overwrite a home. Real files in a temp dir.
#include "node/config/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "base/bech32m.h"
#include "base/hex.h"
#include "tests/support/chain_node.h"
#include "tests/support/genesis.h"
#include "tests/support/keys.h"
#include "tests/support/temp_dir.h"

namespace hito::node::config {
namespace {

using testing::TempDir;

TEST(ConfigTest, DefaultsRoundTripThroughToml) {
  NodeConfig c;
  c.grpc_addr = "0.0.0.0:7000";
  c.block_interval_ms = 250;
  c.mempool_max_txs = 77;
  c.log_level = "debug";
  auto back = ParseConfigToml(ConfigToToml(c));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->grpc_addr, "0.0.0.0:7000");
  EXPECT_EQ(back->block_interval_ms, 250u);
  EXPECT_EQ(back->mempool_max_txs, 77u);
  EXPECT_EQ(back->log_level, "debug");
  EXPECT_EQ(back->block_max_txs, c.block_max_txs);
  // Missing keys keep defaults.
  auto empty = ParseConfigToml("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->block_interval_ms, 1000u);
}

// Found writing fuzz_config_toml (its round trip fails on it): ConfigToToml wrote strings between
// bare quotes, so a value holding '"', '\\' or a control character (legal in config.toml when
// escaped) was written back as a file that does not parse, or parses to another value.
TEST(ConfigTest, StringsNeedingEscapesRoundTripThroughToml) {
  NodeConfig c;
  c.grpc_addr = "host\"with\\quote:1";
  c.p2p_addr = "tab\there\x01:2";
  c.peers.push_back({"peer\n\"x\":3", "key\\"});
  auto back = ParseConfigToml(ConfigToToml(c));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->grpc_addr, c.grpc_addr);
  EXPECT_EQ(back->p2p_addr, c.p2p_addr);
  ASSERT_EQ(back->peers.size(), 1u);
  EXPECT_EQ(back->peers[0].address, c.peers[0].address);
  EXPECT_EQ(back->peers[0].public_key, c.peers[0].public_key);
  EXPECT_EQ(ConfigToToml(*back), ConfigToToml(c));
}

TEST(ConfigTest, RefusesBadValuesWithTheKeyName) {
  struct Case {
    const char* toml;
    const char* mentions;
  };
  for (const Case& c : std::vector<Case>{
           {"[consensus]\nblock_interval_ms = -5\n", "block_interval_ms"},
           {"[consensus]\nblock_interval_ms = 1\n", "block_interval_ms"},
           {"[consensus]\nblock_max_txs = 50000\n", "block_max_txs"},
           {"[mempool]\nmax_txs = 0\n", "max_txs"},
           {"[log]\nlevel = \"loud\"\n", "level"},
           {"[rpc]\ngrpc_addr = 5\n", "grpc_addr"},
           {"[rpc\n", "config"},
       }) {
    auto r = ParseConfigToml(c.toml);
    ASSERT_FALSE(r.ok()) << c.toml;
    EXPECT_NE(r.status().message().find(c.mentions), std::string::npos) << r.status().message();
  }
}

// The mempool's per-sender caps and TTL: defaults, a round trip, and the refused values.
TEST(ConfigTest, MempoolSenderCapsAndTtl) {
  NodeConfig d;
  EXPECT_EQ(d.mempool_max_txs_per_sender, 5'000u);
  EXPECT_EQ(d.mempool_max_bytes_per_sender, 8u * 1024 * 1024);
  EXPECT_EQ(d.mempool_tx_ttl_ms, 600'000u);
  NodeConfig c;
  c.mempool_max_txs_per_sender = 12;
  c.mempool_max_bytes_per_sender = 1 << 20;
  c.mempool_tx_ttl_ms = 5'000;
  auto back = ParseConfigToml(ConfigToToml(c));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->mempool_max_txs_per_sender, 12u);
  EXPECT_EQ(back->mempool_max_bytes_per_sender, 1u << 20);
  EXPECT_EQ(back->mempool_tx_ttl_ms, 5'000u);
  // A smaller pool than the per-sender default stays valid (the pool's limit binds first).
  EXPECT_TRUE(ParseConfigToml("[mempool]\nmax_txs = 100\n").ok());
  for (const char* bad :
       {"[mempool]\nmax_txs_per_sender = 0\n", "[mempool]\nmax_bytes_per_sender = 1000\n",
        "[mempool]\ntx_ttl_ms = 999\n", "[mempool]\ntx_ttl_ms = 604800001\n",
        "[mempool]\ntx_ttl_ms = -1\n"}) {
    auto r = ParseConfigToml(bad);
    ASSERT_FALSE(r.ok()) << bad;
    const std::string key = std::string(bad).substr(10, std::string(bad).find(' ') - 10);
    EXPECT_NE(r.status().message().find(key), std::string::npos) << r.status().message();
  }
}

TEST(GenesisTest, JsonRoundTripAndErrors) {
  auto g = testing::MakeGenesis("chain-x", {{1, 5}, {2, 7}});
  g.params.min_fee = 42;
  auto back = ParseGenesisJson(GenesisToJson(g));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->chain_id, "chain-x");
  EXPECT_EQ(back->time_ms, g.time_ms);
  EXPECT_EQ(back->validators, g.validators);
  ASSERT_EQ(back->accounts.size(), 2u);
  EXPECT_EQ(back->accounts[1].account, g.accounts[1].account);
  EXPECT_EQ(back->accounts[1].balance, 7u);
  EXPECT_EQ(back->params.min_fee, 42u);
  EXPECT_FALSE(ParseGenesisJson("{").ok());
  EXPECT_FALSE(ParseGenesisJson(R"({"chain_id": "x"})").ok());
  std::string bad_addr = GenesisToJson(g);
  bad_addr.replace(bad_addr.find("hito1"), 5, "btc1q");
  EXPECT_FALSE(ParseGenesisJson(bad_addr).ok());
  EXPECT_NE(GenesisHash("a"), GenesisHash("b"));
}

// Found reviewing ParseGenesisJson for fuzz_genesis_json: nlohmann's get<uint64_t> turned -1 into
// 2^64 - 1 and 1.5 into 1, and a chain id outside [a-z0-9-] started a chain whose headers and
// transactions no decoder accepts.
TEST(GenesisTest, RefusesNegativeOrFractionalNumbersAndBadChainIds) {
  const std::string good = GenesisToJson(testing::MakeGenesis("chain-x", {{1, 5}, {2, 7}}));
  ASSERT_TRUE(ParseGenesisJson(good).ok());
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return ParseGenesisJson(s);
  };
  auto time = with("\"genesis_time_ms\": ", "\"genesis_time_ms\": -");
  ASSERT_FALSE(time.ok());
  EXPECT_NE(time.status().message().find("genesis_time_ms"), std::string::npos);
  auto balance = with("\"balance\": ", "\"balance\": -");
  ASSERT_FALSE(balance.ok());
  EXPECT_NE(balance.status().message().find("balance"), std::string::npos);
  auto fee = with("\"min_fee\": ", "\"min_fee\": 1.5, \"x\": ");  // 1.5 was read as 1
  ASSERT_FALSE(fee.ok());
  EXPECT_NE(fee.status().message().find("min_fee"), std::string::npos);
  auto chain = with("\"chain-x\"", "\"Chain X\"");
  ASSERT_FALSE(chain.ok());
  EXPECT_NE(chain.status().message().find("chain_id"), std::string::npos);

  TempDir dir;
  InitOptions o;
  o.chain_id = "My_Chain";
  EXPECT_FALSE(InitHome(dir.path() / "home", o).ok());
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "home" / "genesis.json"));
}

// `good` with `from` replaced by `to` is refused with an error naming `field`.
void ExpectRefusedNaming(const std::string& good, const std::string& from, const std::string& to,
                         const std::string& field) {
  std::string s = good;
  size_t at = s.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  s.replace(at, from.size(), to);
  auto r = ParseGenesisJson(s);
  ASSERT_FALSE(r.ok()) << to;
  EXPECT_NE(r.status().message().find(field), std::string::npos)
      << field << ": " << r.status().message();
}

// The personhood sections and the epoch params round-trip, and each malformed value is
// refused with an error naming its field.
TEST(GenesisTest, PersonhoodSectionsRoundTripAndRefuseMalformedFields) {
  auto g = testing::MakeGenesis("chain-x", {{1, 5}});
  g.params.epoch_blocks = 8;
  g.params.demurrage_ppm_per_epoch = 250;
  g.attesters = {testing::KeyFor(7).public_key(), testing::KeyFor(8).public_key()};
  g.registry.dedup_quota_per_epoch = 321;
  testing::WithDedupKeys(&g);
  g.registry.cohort_bits = 6;
  g.registry.max_attestation_epochs = 99;
  g.registry.attester_quota_per_epoch = 5;
  g.registry.claim_window = 4;
  g.ubi.ubi_per_epoch = 123;
  g.ubi.max_claims_per_block = 17;
  const std::string good = GenesisToJson(g);
  auto back = ParseGenesisJson(good);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->params, g.params);
  EXPECT_EQ(back->attesters, g.attesters);
  EXPECT_EQ(back->registry, g.registry);
  EXPECT_EQ(back->ubi, g.ubi);

  auto refused_naming = [&](const std::string& from, const std::string& to,
                            const std::string& field) {
    ExpectRefusedNaming(good, from, to, field);
  };
  refused_naming("\"epoch_blocks\": 8", "\"epoch_blocks\": 0", "epoch_blocks");
  refused_naming("\"epoch_blocks\": 8", "\"epoch_blocks\": -8", "epoch_blocks");
  refused_naming("\"demurrage_ppm_per_epoch\": 250", "\"demurrage_ppm_per_epoch\": 1000000",
                 "demurrage_ppm_per_epoch");
  refused_naming("\"cohort_bits\": 6", "\"cohort_bits\": 17", "cohort_bits");
  refused_naming("\"cohort_bits\": 6", "\"cohort_bits\": 300", "cohort_bits");
  refused_naming("\"claim_window\": 4", "\"claim_window\": 0", "claim_window");
  refused_naming("\"claim_window\": 4", "\"claim_window\": \"4\"", "claim_window");
  refused_naming("\"attester_quota_per_epoch\": 5", "\"attester_quota_per_epoch\": 4294967296",
                 "attester_quota_per_epoch");
  refused_naming("\"max_attestation_epochs\": 99", "\"max_attestation_epochs\": 0",
                 "max_attestation_epochs");
  refused_naming("\"max_claims_per_block\": 17", "\"max_claims_per_block\": 0",
                 "max_claims_per_block");
  refused_naming("\"ubi_per_epoch\": 123", "\"ubi_per_epoch\": 1.5", "ubi_per_epoch");
  refused_naming("\"ubi_per_epoch\": 123", "\"ubi_per_epoch\": 1, \"ubi_per_epch\": 2",
                 "ubi_per_epch");
  refused_naming("\"claim_window\": 4", "\"claim_window\": 4, \"cohort_bitz\": 1", "cohort_bitz");
  refused_naming("\"quota_per_epoch\": 321", "\"quota_per_epoch\": 0", "quota_per_epoch");
  refused_naming("\"quota_per_epoch\": 321", "\"quota_per_epoch\": 100000001", "quota_per_epoch");
  // dedup_oprf.quota_per_epoch is the registry parameter's genesis value.
  std::string requota = good;
  requota.replace(requota.find("\"quota_per_epoch\": 321"), 22, "\"quota_per_epoch\": 654");
  auto requoted = ParseGenesisJson(requota);
  ASSERT_TRUE(requoted.ok()) << requoted.status().ToString();
  EXPECT_EQ(requoted->registry.dedup_quota_per_epoch, 654u);
  EXPECT_EQ(requoted->dedup_keys->quota_per_epoch, 654u);
  refused_naming("\"attesters\": [", "\"atesters\": [", "atesters");
  refused_naming(HexEncode(g.attesters[1]), "zz", "attesters[1]");
  refused_naming(HexEncode(g.attesters[1]), HexEncode(g.attesters[0]), "attesters[1]");
  std::string empty_list = good;
  const size_t open = empty_list.find('[', empty_list.find("\"attesters\""));
  empty_list.erase(open + 1, empty_list.find(']', open) - open - 1);
  auto empty = ParseGenesisJson(empty_list);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("attesters"), std::string::npos);

  // Without attesters the sections are meaningless: refused rather than ignored.
  std::string no_attesters = good;
  size_t from = no_attesters.find("\"attesters\"");
  size_t to = no_attesters.find("\"registry\"");
  no_attesters.erase(from, to - from);
  auto orphan = ParseGenesisJson(no_attesters);
  ASSERT_FALSE(orphan.ok());
  EXPECT_NE(orphan.status().message().find("without attesters"), std::string::npos);
}

// The governance section round-trips, is strict (unknown key, range, round longer than
// the claim window) and needs attesters.
TEST(GenesisTest, GovernanceSectionRoundTripsAndIsStrict) {
  auto g = testing::MakeGenesis("chain-g", {{1, 5}});
  g.attesters = {testing::KeyFor(7).public_key()};
  testing::WithDedupKeys(&g);
  g.registry.claim_window = 6;
  g.governance = consensus::ledger::GovernanceParams{};
  g.governance->round_epochs = 5;
  g.governance->voice_credits = 49;
  g.governance->quorum_ppm = 250'000;
  g.governance->proposal_deposit = 777;
  g.governance->max_proposals_per_round = 9;
  const std::string good = GenesisToJson(g);
  auto back = ParseGenesisJson(good);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(back->governance.has_value());
  EXPECT_EQ(*back->governance, *g.governance);
  EXPECT_EQ(GenesisToJson(*back), good);
  EXPECT_TRUE(consensus::ledger::Ledger::InitGenesis(*back).ok());

  auto refused_naming = [&](const std::string& from, const std::string& to,
                            const std::string& field) {
    ExpectRefusedNaming(good, from, to, field);
  };
  refused_naming("\"voice_credits\": 49", "\"voice_credits\": 49, \"voice_credit\": 1",
                 "voice_credit\"");
  refused_naming("\"round_epochs\": 5", "\"round_epochs\": 0", "round_epochs");
  refused_naming("\"round_epochs\": 5", "\"round_epochs\": 7", "claim_window");
  refused_naming("\"voice_credits\": 49", "\"voice_credits\": 4294967297", "voice_credits");
  refused_naming("\"quorum_ppm\": 250000", "\"quorum_ppm\": 1000001", "quorum_ppm");
  refused_naming("\"quorum_ppm\": 250000", "\"quorum_ppm\": 0", "quorum_ppm");
  refused_naming("\"proposal_deposit\": 777", "\"proposal_deposit\": -1", "proposal_deposit");
  refused_naming("\"max_proposals_per_round\": 9", "\"max_proposals_per_round\": 257",
                 "max_proposals_per_round");

  // Absent: governance stays off.
  auto off = g;
  off.governance.reset();
  auto no_gov = ParseGenesisJson(GenesisToJson(off));
  ASSERT_TRUE(no_gov.ok());
  EXPECT_FALSE(no_gov->governance.has_value());

  // Without attesters (and so without a registry) a governance section is refused.
  auto plain = testing::MakeGenesis("chain-g", {{1, 5}});
  std::string orphan = GenesisToJson(plain);
  orphan.insert(orphan.rfind('}'), ",\"governance\": {\"round_epochs\": 1}");
  auto r = ParseGenesisJson(orphan);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("governance given without attesters"), std::string::npos)
      << r.status().message();
}

TEST(InitHomeTest, DevHomeAccreditsAnAttesterWithShortEpochs) {
  TempDir dir;
  InitOptions o;
  o.dev_account = true;
  auto r = InitHome(dir.path() / "home", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  HomePaths p{dir.path() / "home"};
  auto attester = ReadSeedFile(p.attester_key());
  ASSERT_TRUE(attester.ok());
  EXPECT_EQ(HexEncode(attester->public_key()), r->attester_public_key);
  auto genesis = ParseGenesisJson(ReadFile(p.genesis()).value());
  ASSERT_TRUE(genesis.ok());
  ASSERT_EQ(genesis->attesters.size(), 1u);
  EXPECT_EQ(genesis->attesters[0], attester->public_key());
  EXPECT_EQ(genesis->params.epoch_blocks, kDevEpochBlocks);
  EXPECT_EQ(genesis->registry.cohort_bits, kDevCohortBits);
  EXPECT_EQ(genesis->registry.claim_window, kDevClaimWindow);
  ASSERT_TRUE(genesis->governance.has_value());
  EXPECT_EQ(genesis->governance->round_epochs, kDevRoundEpochs);
  EXPECT_TRUE(consensus::ledger::Ledger::InitGenesis(*genesis).ok());

  // A plain home enables no registry.
  auto plain = InitHome(dir.path() / "plain", InitOptions{});
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "plain" / "attester.key"));
  auto pg = ParseGenesisJson(ReadFile(HomePaths{dir.path() / "plain"}.genesis()).value());
  ASSERT_TRUE(pg.ok());
  EXPECT_TRUE(pg->attesters.empty());
}

TEST(SeedFileTest, WritesMode0600AndNeverOverwrites) {
  TempDir dir;
  auto path = dir.path() / "k.key";
  Ed25519PrivateKey key = testing::KeyFor(3);
  ASSERT_TRUE(WriteSeedFile(path, key.seed()).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto back = ReadSeedFile(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->public_key(), key.public_key());
  EXPECT_EQ(WriteSeedFile(path, key.seed()).code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(WriteFile(dir.path() / "bad.key", "zz\n").ok());
  EXPECT_FALSE(ReadSeedFile(dir.path() / "bad.key").ok());
}

TEST(InitHomeTest, WritesHomeAndRefusesToOverwrite) {
  TempDir dir;
  auto home = dir.path() / "home";
  InitOptions o;
  o.chain_id = "init-test";
  o.dev_account = true;
  auto r = InitHome(home, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  HomePaths p{home};
  for (const auto& f : {p.config(), p.genesis(), p.validator_key(), p.dev_key()}) {
    EXPECT_TRUE(std::filesystem::exists(f)) << f;
  }
  auto genesis = ParseGenesisJson(ReadFile(p.genesis()).value());
  ASSERT_TRUE(genesis.ok());
  EXPECT_EQ(genesis->chain_id, "init-test");
  ASSERT_EQ(genesis->accounts.size(), 2u);
  EXPECT_EQ(EncodeAddress(genesis->accounts[1].account), r->dev_address);
  EXPECT_EQ(genesis->accounts[1].balance, kInitBalance);
  auto config = LoadConfig(p.config());
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->block_interval_ms, 1000u);

  const std::string before = ReadFile(p.validator_key()).value();
  auto again = InitHome(home, o);
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadFile(p.validator_key()).value(), before);
}

}  // namespace
}  // namespace hito::node::config
