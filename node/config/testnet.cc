#include "node/config/testnet.h"

#include <sys/stat.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/bech32m.h"
#include "base/ed25519.h"
#include "base/hex.h"
#include "consensus/types/transaction.h"
#include "node/config/config.h"
#include "node/config/dedup_keys.h"
#include "node/config/genesis_json.h"

namespace hito::node::config {
namespace {

namespace types = consensus::types;
namespace ledger = consensus::ledger;

Status ValidateTestnetOptions(const TestnetOptions& options) {
  const uint32_t n = options.validators;
  if (n == 0 || n > kTestnetMaxValidators) {
    return InvalidArgumentError("--validators must be 1.." + std::to_string(kTestnetMaxValidators));
  }
  HITO_RETURN_IF_ERROR(ValidateNewChainId(options.chain_id));
  HITO_RETURN_IF_ERROR(ValidateTestRegistryOptions(options.test_registry));
  if (options.attesters == 0 || options.attesters > kTestnetMaxAttesters) {
    return InvalidArgumentError("--attesters must be 1.." + std::to_string(kTestnetMaxAttesters));
  }
  if (options.dkg_phase_blocks < kDkgPhaseBlocksMinConfig ||
      options.dkg_phase_blocks > ledger::kDkgPhaseBlocksMax) {
    return InvalidArgumentError("--dkg-phase-blocks must be " +
                                std::to_string(kDkgPhaseBlocksMinConfig) + ".." +
                                std::to_string(ledger::kDkgPhaseBlocksMax));
  }
  if (options.base_port == 0 || uint32_t{options.base_port} + 2 * n > 65535) {
    return InvalidArgumentError("--base-port leaves no room for " + std::to_string(n) +
                                " nodes (two ports each)");
  }
  return Status::Ok();
}

// Node i: its home under `out`, its two loopback ports and its public key.
TestnetNode DescribeNode(const TestnetOptions& options, uint32_t i, const Ed25519PrivateKey& key) {
  TestnetNode node;
  node.home = options.out / ("node" + std::to_string(i));
  node.grpc_addr = "127.0.0.1:" + std::to_string(options.base_port + 2 * i);
  node.p2p_addr = "127.0.0.1:" + std::to_string(options.base_port + 2 * i + 1);
  node.public_key = HexEncode(key.public_key());
  return node;
}

// Every validator with power 1; each validator's account and the dev account funded; the
// dev attester accredited with the dev chain's personhood parameters.
Result<ledger::Genesis> TestnetGenesis(const TestnetOptions& options,
                                       const std::vector<Ed25519PrivateKey>& keys,
                                       const Ed25519PublicKey& dev,
                                       const std::vector<Ed25519PublicKey>& attesters,
                                       const std::optional<ledger::DedupKeySet>& dedup_keys) {
  ledger::Genesis g;
  g.chain_id = options.chain_id;
  g.time_ms = GenesisTimeMsOrNow(options.genesis_time_ms);
  std::vector<types::Validator> vals;
  for (const Ed25519PrivateKey& k : keys) vals.push_back({k.public_key(), 1});
  HITO_ASSIGN_OR_RETURN(g.validators, types::ValidatorSet::Create(vals));
  for (const Ed25519PrivateKey& k : keys) {
    g.accounts.push_back({types::AccountIdFromPublicKey(k.public_key()), kInitBalance});
  }
  g.accounts.push_back({types::AccountIdFromPublicKey(dev), kInitBalance});
  DevPersonhood(attesters[0], &g);
  g.attesters = attesters;
  if (dedup_keys) {
    g.dedup_keys = dedup_keys;
  } else {
    g.dedup_dkg = ledger::DkgGenesis{options.dkg_phase_blocks, 0};
  }
  HITO_RETURN_IF_ERROR(AddTestRegistry(options.test_registry, &g));
  return g;
}

// Node i's home: its key, its dealt dedup share (none when the validators generate the
// key), a config listing every other node as a peer, the genesis.
Status WriteNodeHome(const std::vector<TestnetNode>& nodes, uint32_t i,
                     const Ed25519PrivateKey& key, const zk::Scalar* dedup_share,
                     const std::string& genesis) {
  const TestnetNode& node = nodes[i];
  std::error_code ec;
  std::filesystem::create_directories(node.home, ec);
  if (ec) return InternalError("create " + node.home.string() + ": " + ec.message());
  ::chmod(node.home.c_str(), 0700);
  HomePaths p{node.home};
  HITO_RETURN_IF_ERROR(WriteSeedFile(p.validator_key(), key.seed()));
  if (dedup_share != nullptr) {
    HITO_RETURN_IF_ERROR(WriteDedupShareFile(p.dedup_share(), *dedup_share));
  }
  NodeConfig c;
  c.grpc_addr = node.grpc_addr;
  c.p2p_addr = node.p2p_addr;
  for (uint32_t j = 0; j < nodes.size(); ++j) {
    if (j != i) c.peers.push_back({nodes[j].p2p_addr, nodes[j].public_key});
  }
  HITO_RETURN_IF_ERROR(WriteFile(p.config(), ConfigToToml(c)));
  return WriteFile(p.genesis(), genesis);
}

// nodes.json: the chain id, the dev account, the attesters and each node's addresses and
// key.
std::string NodesJson(const std::string& chain_id, const std::vector<TestnetNode>& nodes,
                      const std::vector<Ed25519PrivateKey>& keys, const Ed25519PublicKey& dev,
                      const std::vector<Ed25519PublicKey>& attesters) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (size_t i = 0; i < nodes.size(); ++i) {
    list.push_back(
        {{"name", "node" + std::to_string(i)},
         {"home", nodes[i].home.string()},
         {"grpc_addr", nodes[i].grpc_addr},
         {"p2p_addr", nodes[i].p2p_addr},
         {"public_key", nodes[i].public_key},
         {"address", EncodeAddress(types::AccountIdFromPublicKey(keys[i].public_key()))}});
  }
  nlohmann::ordered_json doc;
  doc["chain_id"] = chain_id;
  doc["dev_address"] = EncodeAddress(types::AccountIdFromPublicKey(dev));
  doc["attester_public_key"] = HexEncode(attesters[0]);
  nlohmann::ordered_json att = nlohmann::ordered_json::array();
  for (uint32_t i = 0; i < attesters.size(); ++i) {
    att.push_back(
        {{"public_key", HexEncode(attesters[i])}, {"key_file", TestnetAttesterKeyName(i)}});
  }
  doc["attesters"] = att;
  std::vector<std::string> grpc;
  for (const TestnetNode& n : nodes) grpc.push_back(n.grpc_addr);
  doc["validators_grpc"] = grpc;  // for `hito attester attest --validators`
  doc["nodes"] = list;
  return doc.dump(2) + "\n";
}

using GenesisOf =
    std::function<Result<std::string>(const std::optional<ledger::DedupKeySet>& dealt)>;

// The dedup key dealt among the validators; each node's share written to its home.
Status WriteHomesDealt(const std::vector<TestnetNode>& nodes,
                       const std::vector<Ed25519PrivateKey>& keys, const GenesisOf& genesis_of) {
  std::vector<Ed25519PublicKey> pubs;
  for (const Ed25519PrivateKey& k : keys) pubs.push_back(k.public_key());
  HITO_ASSIGN_OR_RETURN(DealtDedupKeys dealt, DealDedupKeys(pubs, DealtThreshold(pubs.size())));
  Result<std::string> genesis = genesis_of(dealt.keys);
  Status written = genesis.status();
  for (uint32_t i = 0; written.ok() && i < nodes.size(); ++i) {
    written = WriteNodeHome(nodes, i, keys[i], &dealt.shares[i].secret, *genesis);
  }
  dealt.Wipe();
  return written;
}

// No dealer: the genesis opens a DKG among the validators, so no home holds a share.
Status WriteHomesForDkg(const std::vector<TestnetNode>& nodes,
                        const std::vector<Ed25519PrivateKey>& keys, const GenesisOf& genesis_of) {
  HITO_ASSIGN_OR_RETURN(std::string genesis, genesis_of(std::nullopt));
  for (uint32_t i = 0; i < nodes.size(); ++i) {
    HITO_RETURN_IF_ERROR(WriteNodeHome(nodes, i, keys[i], nullptr, genesis));
  }
  return Status::Ok();
}

}  // namespace

std::string TestnetAttesterKeyName(uint32_t i) {
  return i == 0 ? "attester.key" : "attester" + std::to_string(i + 1) + ".key";
}

Result<std::vector<TestnetNode>> WriteTestnet(const TestnetOptions& options) {
  HITO_RETURN_IF_ERROR(ValidateTestnetOptions(options));
  HITO_RETURN_IF_ERROR(CreateEmptyPrivateDir(options.out));
  // Node i holds the i-th key in the set's order (sorted by public key), so node i is
  // validator i of genesis.json and of every tool that lists the set.
  std::vector<Ed25519PrivateKey> keys;
  for (uint32_t i = 0; i < options.validators; ++i) keys.push_back(Ed25519PrivateKey::Generate());
  std::sort(keys.begin(), keys.end(), [](const Ed25519PrivateKey& a, const Ed25519PrivateKey& b) {
    return a.public_key() < b.public_key();
  });
  std::vector<TestnetNode> nodes;
  for (uint32_t i = 0; i < options.validators; ++i) {
    nodes.push_back(DescribeNode(options, i, keys[i]));
  }
  Ed25519PrivateKey dev = Ed25519PrivateKey::Generate();
  HITO_RETURN_IF_ERROR(WriteSeedFile(options.out / "dev.key", dev.seed()));
  std::vector<Ed25519PublicKey> attesters;
  for (uint32_t i = 0; i < options.attesters; ++i) {
    Ed25519PrivateKey attester = Ed25519PrivateKey::Generate();
    HITO_RETURN_IF_ERROR(WriteSeedFile(options.out / TestnetAttesterKeyName(i), attester.seed()));
    attesters.push_back(attester.public_key());
  }
  size_t identities = 0;
  const GenesisOf genesis_of =
      [&](const std::optional<ledger::DedupKeySet>& dealt) -> Result<std::string> {
    HITO_ASSIGN_OR_RETURN(ledger::Genesis g,
                          TestnetGenesis(options, keys, dev.public_key(), attesters, dealt));
    identities = g.identities.size();
    return GenesisToJson(g);
  };
  HITO_RETURN_IF_ERROR(options.dedup_dkg ? WriteHomesForDkg(nodes, keys, genesis_of)
                                         : WriteHomesDealt(nodes, keys, genesis_of));
  if (identities > 0) {
    HITO_RETURN_IF_ERROR(WriteTestIdentitySecrets(options.out / kTestIdentitiesFile, identities));
  }
  HITO_RETURN_IF_ERROR(
      WriteFile(options.out / "nodes.json",
                NodesJson(options.chain_id, nodes, keys, dev.public_key(), attesters)));
  return nodes;
}

}  // namespace hito::node::config
