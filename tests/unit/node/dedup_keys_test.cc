// The dedup key set in genesis.json (node/config/dedup_keys.h, genesis_json.h): a dealt
// set round-trips; attesters without keys, keys without attesters, unknown keys, bad
// thresholds, shares of non-validators, repeated indices, malformed and identity
// elements, and public shares off the key's polynomial are refused naming the field.
// The share file: written 0600 by init, loaded and checked against the genesis public
// share (another validator's file is refused). `hitod testnet`'s homes: one share each,
// 3 of 4, every one consistent with genesis. Real files in a temp dir.
#include "node/config/dedup_keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "base/hex.h"
#include "consensus/ledger/dkg.h"
#include "consensus/ledger/kv.h"
#include "consensus/ledger/registry.h"
#include "node/config/config.h"
#include "node/config/testnet.h"
#include "tests/support/genesis.h"
#include "tests/support/keys.h"
#include "tests/support/temp_dir.h"

namespace hito::node::config {
namespace {

namespace ledger = consensus::ledger;
namespace types = consensus::types;
using testing::KeyFor;
using testing::TempDir;

// Four validators, one attester, a 3-of-4 dealt key.
ledger::Genesis FourValidatorGenesis() {
  std::vector<types::Validator> vals;
  std::vector<Ed25519PublicKey> pubs;
  for (int i = 0; i < 4; ++i) {
    pubs.push_back(KeyFor(static_cast<uint8_t>(100 + i)).public_key());
    vals.push_back({pubs.back(), 1});
  }
  auto g = testing::MakeGenesis("dedup-keys", types::ValidatorSet::Create(vals).value(), {{1, 5}});
  g.attesters = {KeyFor(7).public_key()};
  auto dealt = DealDedupKeys(pubs, DealtThreshold(4)).value();
  dealt.Wipe();
  g.dedup_keys = dealt.keys;
  return g;
}

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

TEST(DedupKeysTest, DealtThresholdToleratesAThirdDown) {
  EXPECT_EQ(DealtThreshold(1), 1);
  EXPECT_EQ(DealtThreshold(2), 2);
  EXPECT_EQ(DealtThreshold(4), 3);
  EXPECT_EQ(DealtThreshold(7), 5);
}

TEST(DedupKeysTest, DealtSetRoundTripsThroughGenesisJson) {
  const ledger::Genesis g = FourValidatorGenesis();
  EXPECT_TRUE(ValidateDedupKeys(*g.dedup_keys, g.validators).ok());
  auto back = ParseGenesisJson(GenesisToJson(g));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(back->dedup_keys.has_value());
  EXPECT_EQ(*back->dedup_keys, *g.dedup_keys);
}

TEST(DedupKeysTest, GenesisRefusesMalformedKeySets) {
  const ledger::Genesis g = FourValidatorGenesis();
  const std::string good = GenesisToJson(g);
  const ledger::DedupKeySet& k = *g.dedup_keys;
  ExpectRefusedNaming(good, "\"threshold\": 3", "\"threshold\": 5", "threshold");
  ExpectRefusedNaming(good, "\"threshold\": 3", "\"threshold\": 0", "threshold");
  ExpectRefusedNaming(good, "\"threshold\": 3", "\"threshold\": 2", "first 2 shares");
  ExpectRefusedNaming(good, "\"quota_per_epoch\": 10000", "\"quota_per_epoch\": 0",
                      "quota_per_epoch");
  ExpectRefusedNaming(good, "\"group_key\"", "\"group_kee\"", "group_kee");
  ExpectRefusedNaming(good, HexEncode(k.group_key), std::string(64, '0'), "group_key");
  ExpectRefusedNaming(good, HexEncode(k.group_key), std::string(64, 'f'), "group_key");
  ExpectRefusedNaming(good, HexEncode(k.shares[1].public_share),
                      HexEncode(k.shares[2].public_share), "first 3 shares");
  ExpectRefusedNaming(good, HexEncode(k.shares[3].public_share), HexEncode(k.group_key),
                      "shares[3]");
  ExpectRefusedNaming(good, "\"index\": 2", "\"index\": 1", "used twice");
  ExpectRefusedNaming(good, "\"index\": 2", "\"index\": 257", "index");
  const std::string holder2 = "\"validator\": \"" + HexEncode(k.shares[2].validator);
  ExpectRefusedNaming(good, holder2, "\"validator\": \"" + HexEncode(KeyFor(9).public_key()),
                      "not a genesis validator");
  ExpectRefusedNaming(good, holder2, "\"validator\": \"" + HexEncode(k.shares[1].validator),
                      "holds a share already");
}

TEST(DedupKeysTest, AttestersAndKeysGoTogether) {
  ledger::Genesis g = FourValidatorGenesis();
  ledger::Genesis no_keys = g;
  no_keys.dedup_keys.reset();
  auto r = ParseGenesisJson(GenesisToJson(no_keys));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("without dedup_oprf"), std::string::npos);
  ledger::Genesis no_attesters = g;
  no_attesters.attesters.clear();
  // GenesisToJson writes no personhood section without attesters: splice the keys in.
  std::string text = GenesisToJson(no_attesters);
  const std::string with = GenesisToJson(g);
  const size_t at = with.find("\"dedup_oprf\"");
  text.insert(text.rfind('}'), ",\n  " + with.substr(at, with.rfind('}') - at));
  auto orphan = ParseGenesisJson(text);
  ASSERT_FALSE(orphan.ok());
  EXPECT_NE(orphan.status().message().find("without attesters"), std::string::npos)
      << orphan.status().ToString();
}

// "dedup_dkg": the validators generate the key. Round-trips with and without a threshold;
// exclusive with a dealt set; bounds and unknown keys refused naming the field; the ledger
// opens the genesis session it describes.
TEST(DedupKeysTest, GenesisDkgRoundTripsAndIsCheckedStrictly) {
  ledger::Genesis g = FourValidatorGenesis();
  g.dedup_keys.reset();
  g.dedup_dkg = ledger::DkgGenesis{4, 0};
  const std::string good = GenesisToJson(g);
  EXPECT_NE(good.find("\"dedup_dkg\": {\n    \"phase_blocks\": 4,\n    \"quota_per_epoch\": "
                      "10000\n  }"),
            std::string::npos)
      << good;
  auto back = ParseGenesisJson(good);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(back->dedup_dkg.has_value());
  EXPECT_FALSE(back->dedup_keys.has_value());
  EXPECT_EQ(back->dedup_dkg->phase_blocks, 4u);
  EXPECT_EQ(back->dedup_dkg->threshold, 0);
  EXPECT_EQ(back->registry.dedup_quota_per_epoch, ledger::kDefaultDedupQuotaPerEpoch);
  g.registry.dedup_quota_per_epoch = 77;
  auto with_quota = ParseGenesisJson(GenesisToJson(g));
  ASSERT_TRUE(with_quota.ok()) << with_quota.status().ToString();
  EXPECT_EQ(with_quota->registry.dedup_quota_per_epoch, 77u);
  g.registry.dedup_quota_per_epoch = ledger::kDefaultDedupQuotaPerEpoch;
  g.dedup_dkg->threshold = 4;
  auto with_t = ParseGenesisJson(GenesisToJson(g));
  ASSERT_TRUE(with_t.ok()) << with_t.status().ToString();
  EXPECT_EQ(with_t->dedup_dkg->threshold, 4);

  ExpectRefusedNaming(good, "\"phase_blocks\": 4", "\"phase_blocks\": 0", "phase_blocks");
  ExpectRefusedNaming(good, "\"phase_blocks\": 4", "\"phase_blocks\": 3",
                      "dedup_dkg.phase_blocks must be 4..");
  ExpectRefusedNaming(good, "\"phase_blocks\": 4", "\"phase_blocks\": 100001", "phase_blocks");
  ExpectRefusedNaming(good, "\"phase_blocks\": 4", "\"phase_blocks\": -1", "phase_blocks");
  ExpectRefusedNaming(good, "\"phase_blocks\": 4", "\"phase_blocks\": 4, \"threshold\": 5",
                      "dedup_dkg.threshold must be 3..4");
  ExpectRefusedNaming(good, "\"phase_blocks\": 4", "\"phase_blocks\": 4, \"threshold\": 0",
                      "dedup_dkg.threshold");
  // A minority threshold (2 of 4) would let two validators evaluate alone.
  ExpectRefusedNaming(good, "\"phase_blocks\": 4", "\"phase_blocks\": 4, \"threshold\": 2",
                      "dedup_dkg.threshold must be 3..4");
  ExpectRefusedNaming(good, "\"phase_blocks\": 4", "\"phase_blokcs\": 4", "phase_blokcs");
  ExpectRefusedNaming(good, "\"quota_per_epoch\": 10000", "\"quota_per_epoch\": 0",
                      "dedup_dkg.quota_per_epoch");
  nlohmann::json as_list = nlohmann::json::parse(good);
  as_list["dedup_dkg"] = nlohmann::json::array({4});
  auto list = ParseGenesisJson(as_list.dump());
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.status().message().find("dedup_dkg must be an object"), std::string::npos)
      << list.status().ToString();

  // Both a dealt set and a DKG: refused.
  const std::string dealt = GenesisToJson(FourValidatorGenesis());
  const size_t at = dealt.find("\"dedup_oprf\"");
  std::string both = good;
  both.insert(both.rfind('}'), ",\n  " + dealt.substr(at, dealt.rfind('}') - at));
  auto r = ParseGenesisJson(both);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("exclusive"), std::string::npos) << r.status().ToString();

  // The ledger opens the genesis DKG among the four, phases of 4 blocks.
  auto init = ledger::Ledger::InitGenesis(*back);
  ASSERT_TRUE(init.ok()) << init.status().ToString();
  ledger::MemoryKv kv;
  kv.Apply(init->changes);
  auto session = ledger::dkg::ReadSession(ledger::RegistryStore(&kv));
  ASSERT_TRUE(session.ok() && session->has_value());
  EXPECT_EQ((*session)->recipients.size(), 4u);
  EXPECT_EQ((*session)->threshold, 3);
  EXPECT_EQ((*session)->justifications_until, 12u);
}

TEST(DedupKeysTest, DevHomeHoldsAOneOfOneShareMode0600ThatLoads) {
  TempDir dir;
  InitOptions o;
  o.dev_account = true;
  ASSERT_TRUE(InitHome(dir.path() / "home", o).ok());
  HomePaths p{dir.path() / "home"};
  struct stat st {};
  ASSERT_EQ(::stat(p.dedup_share().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto g = ParseGenesisJson(ReadFile(p.genesis()).value()).value();
  ASSERT_TRUE(g.dedup_keys.has_value());
  EXPECT_EQ(g.dedup_keys->threshold, 1);
  const Ed25519PublicKey validator = ReadSeedFile(p.validator_key())->public_key();
  auto share = LoadDedupShare(p.dedup_share(), *g.dedup_keys, validator);
  ASSERT_TRUE(share.ok()) << share.status().ToString();
  EXPECT_EQ(share->public_share.bytes(), g.dedup_keys->shares[0].public_share);
  share->Wipe();
  // A chain without the dev attester has no keys and writes no share.
  ASSERT_TRUE(InitHome(dir.path() / "plain", InitOptions{}).ok());
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "plain" / "dedup.share"));
}

// `hitod testnet --dedup-dkg`: no dealer, so no home holds a share; the genesis opens a
// DKG among all the validators with the phase length asked for; a phase of 0 is refused.
TEST(DedupKeysTest, TestnetWithDkgWritesNoShareAndAGenesisSession) {
  TempDir dir;
  TestnetOptions o;
  o.out = dir.path() / "net";
  o.dedup_dkg = true;
  o.dkg_phase_blocks = 5;
  auto nodes = WriteTestnet(o);
  ASSERT_TRUE(nodes.ok()) << nodes.status().ToString();
  auto g = ParseGenesisJson(ReadFile(HomePaths{(*nodes)[0].home}.genesis()).value()).value();
  EXPECT_FALSE(g.dedup_keys.has_value());
  ASSERT_TRUE(g.dedup_dkg.has_value());
  EXPECT_EQ(g.dedup_dkg->phase_blocks, 5u);
  EXPECT_EQ(g.validators.size(), 4u);
  for (size_t i = 0; i < nodes->size(); ++i) {
    const HomePaths p{(*nodes)[i].home};
    EXPECT_FALSE(std::filesystem::exists(p.dedup_share())) << p.dedup_share();
    // Node i is validator i of the set, in the set's (key) order.
    EXPECT_EQ(ReadSeedFile(p.validator_key())->public_key(),
              g.validators.validators()[i].public_key)
        << "node " << i;
  }
  TestnetOptions bad;
  bad.out = dir.path() / "bad";
  bad.dedup_dkg = true;
  bad.dkg_phase_blocks = 3;
  auto refused = WriteTestnet(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("--dkg-phase-blocks"), std::string::npos);
}

TEST(DedupKeysTest, TestnetSharesAreThreeOfFourAndEachMatchesGenesis) {
  TempDir dir;
  TestnetOptions o;
  o.out = dir.path() / "net";
  o.attesters = 2;
  auto nodes = WriteTestnet(o);
  ASSERT_TRUE(nodes.ok()) << nodes.status().ToString();
  auto g = ParseGenesisJson(ReadFile(HomePaths{(*nodes)[0].home}.genesis()).value()).value();
  ASSERT_TRUE(g.dedup_keys.has_value());
  EXPECT_EQ(g.dedup_keys->threshold, 3);
  EXPECT_EQ(g.attesters.size(), 2u);
  EXPECT_TRUE(std::filesystem::exists(o.out / "attester2.key"));
  std::vector<std::filesystem::path> files;
  for (const TestnetNode& n : *nodes) {
    HomePaths p{n.home};
    const Ed25519PublicKey v = ReadSeedFile(p.validator_key())->public_key();
    auto share = LoadDedupShare(p.dedup_share(), *g.dedup_keys, v);
    ASSERT_TRUE(share.ok()) << share.status().ToString();
    share->Wipe();
    files.push_back(p.dedup_share());
  }
  // Node 1's share file in node 0's place is refused.
  const Ed25519PublicKey v0 =
      ReadSeedFile(HomePaths{(*nodes)[0].home}.validator_key())->public_key();
  auto wrong = LoadDedupShare(files[1], *g.dedup_keys, v0);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("is not the share"), std::string::npos);
  // A validator outside the key set holds no share.
  EXPECT_EQ(LoadDedupShare(files[0], *g.dedup_keys, KeyFor(9).public_key()).status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace hito::node::config
