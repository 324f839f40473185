#include "node/config/testnet.h"

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "base/bech32m.h"
#include "base/ed25519.h"
#include "base/hex.h"
#include "consensus/types/codec.h"
#include "consensus/types/limits.h"
#include "consensus/types/transaction.h"
#include "node/config/config.h"

namespace hito::node {
namespace types = consensus::types;
namespace ledger = consensus::ledger;

Result<std::vector<TestnetNode>> WriteTestnet(const TestnetOptions& options) {
  const uint32_t n = options.validators;
  if (n == 0 || n > kTestnetMaxValidators) {
    return InvalidArgumentError("--validators must be 1.." + std::to_string(kTestnetMaxValidators));
  }
  if (options.chain_id.empty() || options.chain_id.size() > types::kChainIdMaxLen) {
    return InvalidArgumentError("chain id must be 1.." + std::to_string(types::kChainIdMaxLen) +
                                " bytes");
  }
  // Headers and transactions carry it, and their decoders accept only [a-z0-9-].
  HITO_RETURN_IF_ERROR(types::ValidateChainId("chain id", options.chain_id));
  if (options.base_port == 0 || uint32_t{options.base_port} + 2 * n > 65535) {
    return InvalidArgumentError("--base-port leaves no room for " + std::to_string(n) +
                                " nodes (two ports each)");
  }
  const std::filesystem::path& out = options.out;
  std::error_code ec;
  if (std::filesystem::exists(out, ec)) {
    if (!std::filesystem::is_directory(out, ec) || !std::filesystem::is_empty(out, ec)) {
      return AlreadyExistsError("refusing to overwrite: " + out.string() +
                                " exists and is not an empty directory");
    }
  }
  std::filesystem::create_directories(out, ec);
  if (ec) return InternalError("create " + out.string() + ": " + ec.message());
  ::chmod(out.c_str(), 0700);

  std::vector<Ed25519PrivateKey> keys;
  std::vector<TestnetNode> nodes;
  std::vector<types::Validator> vals;
  for (uint32_t i = 0; i < n; ++i) {
    keys.push_back(Ed25519PrivateKey::Generate());
    TestnetNode node;
    node.home = out / ("node" + std::to_string(i));
    node.grpc_addr = "127.0.0.1:" + std::to_string(options.base_port + 2 * i);
    node.p2p_addr = "127.0.0.1:" + std::to_string(options.base_port + 2 * i + 1);
    node.public_key = HexEncode(keys.back().public_key());
    nodes.push_back(node);
    vals.push_back({keys.back().public_key(), 1});
  }
  ledger::Genesis g;
  g.chain_id = options.chain_id;
  g.time_ms = GenesisTimeMsOrNow(options.genesis_time_ms);
  HITO_ASSIGN_OR_RETURN(g.validators, types::ValidatorSet::Create(vals));
  for (const Ed25519PrivateKey& k : keys) {
    g.accounts.push_back({types::AccountIdFromPublicKey(k.public_key()), kInitBalance});
  }
  Ed25519PrivateKey dev = Ed25519PrivateKey::Generate();
  HITO_RETURN_IF_ERROR(WriteSeedFile(out / "dev.key", dev.seed()));
  g.accounts.push_back({types::AccountIdFromPublicKey(dev.public_key()), kInitBalance});
  const std::string genesis = GenesisToJson(g);

  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (uint32_t i = 0; i < n; ++i) {
    const TestnetNode& node = nodes[i];
    std::filesystem::create_directories(node.home, ec);
    if (ec) return InternalError("create " + node.home.string() + ": " + ec.message());
    ::chmod(node.home.c_str(), 0700);
    HomePaths p{node.home};
    HITO_RETURN_IF_ERROR(WriteSeedFile(p.validator_key(), keys[i].seed()));
    NodeConfig c;
    c.grpc_addr = node.grpc_addr;
    c.p2p_addr = node.p2p_addr;
    for (uint32_t j = 0; j < n; ++j) {
      if (j != i) c.peers.push_back({nodes[j].p2p_addr, nodes[j].public_key});
    }
    HITO_RETURN_IF_ERROR(WriteFile(p.config(), ConfigToToml(c)));
    HITO_RETURN_IF_ERROR(WriteFile(p.genesis(), genesis));
    list.push_back(
        {{"name", "node" + std::to_string(i)},
         {"home", node.home.string()},
         {"grpc_addr", node.grpc_addr},
         {"p2p_addr", node.p2p_addr},
         {"public_key", node.public_key},
         {"address", EncodeAddress(types::AccountIdFromPublicKey(keys[i].public_key()))}});
  }
  nlohmann::ordered_json doc;
  doc["chain_id"] = g.chain_id;
  doc["dev_address"] = EncodeAddress(types::AccountIdFromPublicKey(dev.public_key()));
  doc["nodes"] = list;
  HITO_RETURN_IF_ERROR(WriteFile(out / "nodes.json", doc.dump(2) + "\n"));
  return nodes;
}

}  // namespace hito::node
