// `hitod testnet` (node/config/testnet.h): generates a 4-node testnet into a temp dir and
// checks every file it promises (shared genesis with 4 distinct validators, per-node keys,
// ports and peer lists, nodes.json, dev.key mode 0600), the refusal to overwrite, bad
// arguments, and that the peer list survives a config.toml round trip.
#include "node/config/testnet.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <set>

#include "base/hex.h"
#include "node/config/config.h"
#include "tests/support/temp_dir.h"

namespace hito::node::config {
namespace {

using testing::TempDir;

TEST(Testnet, WritesFourHomesWithSharedGenesisAndPeers) {
  TempDir dir;
  TestnetOptions o;
  o.validators = 4;
  o.out = dir.path() / "tn";
  o.base_port = 31000;
  o.chain_id = "tn-test";
  Result<std::vector<TestnetNode>> r = WriteTestnet(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 4u);

  const std::string genesis_text = ReadFile(o.out / "node0" / "genesis.json").value();
  consensus::ledger::Genesis g = ParseGenesisJson(genesis_text).value();
  EXPECT_EQ(g.chain_id, "tn-test");
  ASSERT_EQ(g.validators.size(), 4u);
  for (const auto& v : g.validators.validators()) EXPECT_EQ(v.power, 1u);

  std::set<std::string> keys, ports;
  for (int i = 0; i < 4; ++i) {
    HomePaths p{o.out / ("node" + std::to_string(i))};
    EXPECT_EQ(ReadFile(p.genesis()).value(), genesis_text) << "genesis differs at node " << i;
    Ed25519PrivateKey key = ReadSeedFile(p.validator_key()).value();
    EXPECT_TRUE(g.validators.IndexOf(key.public_key()).has_value());
    keys.insert(HexEncode(key.public_key()));
    NodeConfig c = LoadConfig(p.config()).value();
    ports.insert(c.grpc_addr);
    ports.insert(c.p2p_addr);
    EXPECT_EQ(c.grpc_addr, "127.0.0.1:" + std::to_string(31000 + 2 * i));
    EXPECT_EQ(c.p2p_addr, "127.0.0.1:" + std::to_string(31000 + 2 * i + 1));
    ASSERT_EQ(c.peers.size(), 3u);
    for (const PeerConfig& peer : c.peers) {
      EXPECT_NE(peer.address, c.p2p_addr);
      EXPECT_NE(peer.public_key, HexEncode(key.public_key()));
    }
  }
  EXPECT_EQ(keys.size(), 4u) << "validator keys must be distinct";
  EXPECT_EQ(ports.size(), 8u) << "ports must be distinct";

  // dev.key: a funded account, mode 0600.
  struct stat st {};
  ASSERT_EQ(::stat((o.out / "dev.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Ed25519PrivateKey dev = ReadSeedFile(o.out / "dev.key").value();
  bool funded = false;
  for (const auto& a : g.accounts) {
    funded = funded || (a.account == consensus::types::AccountIdFromPublicKey(dev.public_key()) &&
                        a.balance > 0);
  }
  EXPECT_TRUE(funded);

  nlohmann::json list = nlohmann::json::parse(ReadFile(o.out / "nodes.json").value());
  ASSERT_EQ(list.at("nodes").size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const auto& n = list["nodes"][i];
    EXPECT_EQ(n.at("grpc_addr").get<std::string>(), (*r)[i].grpc_addr);
    EXPECT_EQ(n.at("p2p_addr").get<std::string>(), (*r)[i].p2p_addr);
    EXPECT_TRUE(keys.count(n.at("public_key").get<std::string>()));
  }

  // Like init: never overwrites.
  Result<std::vector<TestnetNode>> again = WriteTestnet(o);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
}

TEST(Testnet, RejectsBadArguments) {
  TempDir dir;
  TestnetOptions o;
  o.out = dir.path() / "a";
  o.validators = 0;
  EXPECT_FALSE(WriteTestnet(o).ok());
  o.validators = kTestnetMaxValidators + 1;
  EXPECT_FALSE(WriteTestnet(o).ok());
  o.validators = 4;
  o.base_port = 65530;
  EXPECT_FALSE(WriteTestnet(o).ok());
  o.base_port = 30000;
  o.chain_id = "";
  EXPECT_FALSE(WriteTestnet(o).ok());
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "a" / "node0"));
}

TEST(Testnet, PeerListRoundTripsAndMalformedPeerIsRejected) {
  NodeConfig c;
  c.p2p_addr = "127.0.0.1:5";
  c.peers = {{"127.0.0.1:7", "ab"}, {"127.0.0.1:9", "cd"}};
  NodeConfig back = ParseConfigToml(ConfigToToml(c)).value();
  EXPECT_EQ(back.p2p_addr, c.p2p_addr);
  ASSERT_EQ(back.peers.size(), 2u);
  EXPECT_EQ(back.peers[1].address, "127.0.0.1:9");
  EXPECT_EQ(back.peers[1].public_key, "cd");
  EXPECT_FALSE(ParseConfigToml("[[p2p.peers]]\naddress = \"x:1\"\n").ok());
}

}  // namespace
}  // namespace hito::node::config
