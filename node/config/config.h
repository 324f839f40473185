// The node's home folder: config.toml, genesis.json, the validator key, and the data dir.
//
// Layout of a home (docs/operator.md):
//   config.toml     operator settings (NodeConfig)
//   genesis.json    chain id, genesis time, validator set, funded accounts, params
//   validator.key   the validator's Ed25519 seed, hex, mode 0600; never logged
//   dev.key         (dev chains only) the funded dev account's seed, hex, mode 0600
//   data/           LevelDB (blocks and state)
// Functions here do file I/O and return errors as values; none is thread-safe with
// respect to the same home.
#ifndef HITO_NODE_CONFIG_CONFIG_H_
#define HITO_NODE_CONFIG_CONFIG_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/ed25519.h"
#include "base/status.h"
#include "consensus/ledger/ledger.h"

namespace hito::node {

// A peer validator, as `hitod testnet` writes it for the p2p layer: where it listens and
// its validator public key (hex), which the peer proves on connect.
struct PeerConfig {
  std::string address;
  std::string public_key;
};

struct NodeConfig {
  std::string grpc_addr = "127.0.0.1:9090";
  // Peer-to-peer listen address and the peers to dial (multi-validator chains).
  std::string p2p_addr = "127.0.0.1:26656";
  std::vector<PeerConfig> peers;
  uint32_t block_interval_ms = 1000;
  // Tendermint round timeouts (docs/protocol/consensus.md, "Timeouts"):
  // timeout_x(round) = x_base_ms + round * x_delta_ms. All validators should use the same.
  uint32_t timeout_propose_base_ms = 3000;
  uint32_t timeout_propose_delta_ms = 500;
  uint32_t timeout_prevote_base_ms = 1000;
  uint32_t timeout_prevote_delta_ms = 500;
  uint32_t timeout_precommit_base_ms = 1000;
  uint32_t timeout_precommit_delta_ms = 500;
  uint32_t block_max_txs = 20'000;
  uint64_t block_max_bytes = 8 * 1024 * 1024 - 64 * 1024;  // headroom for header, commit
  uint32_t mempool_max_txs = 200'000;
  uint64_t mempool_max_bytes = 128ull * 1024 * 1024;
  // One sender's share of the pool, and how long a transaction may stay pending.
  uint32_t mempool_max_txs_per_sender = 5'000;
  uint64_t mempool_max_bytes_per_sender = 8ull * 1024 * 1024;
  uint64_t mempool_tx_ttl_ms = 600'000;
  std::string log_level = "info";  // trace, debug, info, warn, error, critical, off
};

// Checks ranges (interval >= 10 ms, limits > 0 and within the protocol limits, timeout
// bases in [kTimeoutBaseMinMs, kTimeoutBaseMaxMs] and deltas in [1, kTimeoutDeltaMaxMs]).
inline constexpr uint32_t kTimeoutBaseMinMs = 10;
inline constexpr uint32_t kTimeoutBaseMaxMs = 600'000;
inline constexpr uint32_t kTimeoutDeltaMaxMs = 60'000;
// mempool.tx_ttl_ms must lie in [kMempoolTtlMinMs, kMempoolTtlMaxMs] (a second to a week).
inline constexpr uint64_t kMempoolTtlMinMs = 1'000;
inline constexpr uint64_t kMempoolTtlMaxMs = 7ull * 24 * 3600 * 1000;
Status ValidateConfig(const NodeConfig& config);
std::string ConfigToToml(const NodeConfig& config);
Result<NodeConfig> ParseConfigToml(std::string_view text);
Result<NodeConfig> LoadConfig(const std::filesystem::path& path);

// genesis.json <-> ledger::Genesis. Accounts are bech32m addresses, balances integers of
// base units, validator keys hex. An optional "validator_schedule" lists later sets:
//   [{"height": H, "validators": [{"public_key": hex, "power": n}, ...]}, ...]
// checked strictly (no other keys, heights >= 2 and increasing, each set valid).
std::string GenesisToJson(const consensus::ledger::Genesis& genesis);
Result<consensus::ledger::Genesis> ParseGenesisJson(std::string_view text);
// BLAKE2b-256 "hito/v1/genesis" over the genesis file bytes.
Hash32 GenesisHash(std::string_view genesis_file_bytes);

// Seed files: 64 hex characters and a newline, created with mode 0600 (O_EXCL: never
// overwrites). Reading accepts surrounding whitespace.
Status WriteSeedFile(const std::filesystem::path& path, const Ed25519Seed& seed);
Result<Ed25519PrivateKey> ReadSeedFile(const std::filesystem::path& path);

// The genesis time of a new chain: `requested_ms`, or the wall clock now when it is 0
// (init and testnet take a fixed time only for reproducible tests).
uint64_t GenesisTimeMsOrNow(uint64_t requested_ms);

Result<std::string> ReadFile(const std::filesystem::path& path);
// Writes (creating or truncating) and fsyncs.
Status WriteFile(const std::filesystem::path& path, std::string_view contents);

struct HomePaths {
  std::filesystem::path home;
  std::filesystem::path config() const { return home / "config.toml"; }
  std::filesystem::path genesis() const { return home / "genesis.json"; }
  std::filesystem::path validator_key() const { return home / "validator.key"; }
  std::filesystem::path dev_key() const { return home / "dev.key"; }
  std::filesystem::path data() const { return home / "data"; }
};

struct InitOptions {
  std::string chain_id = "hito-local";
  uint64_t genesis_time_ms = 0;  // 0 = now
  // Extra funded accounts besides the validator's own.
  std::vector<consensus::ledger::GenesisAccount> accounts;
  // When set, a dev account is created, funded and its seed written to dev.key.
  bool dev_account = false;
  NodeConfig config;
};

// The balance `init` gives the validator's account and the dev account: 1e9 HITO.
inline constexpr uint64_t kInitBalance = 1'000'000'000ull * 1'000'000ull;

struct InitResult {
  std::string validator_address;
  std::string dev_address;  // empty unless dev_account
};

// Creates a home. Refuses (kAlreadyExists) when the folder holds any of the home files.
// The folder itself may exist if it is empty.
Result<InitResult> InitHome(const std::filesystem::path& home, const InitOptions& options);

}  // namespace hito::node

#endif  // HITO_NODE_CONFIG_CONFIG_H_
