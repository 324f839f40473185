// config.toml <-> NodeConfig: the operator's settings, their ranges and the file text.
//
// Layout and meaning of every key: docs/operator.md. Pure functions except LoadConfig,
// which reads the file; all return errors as values and are thread-safe.
#ifndef HITO_NODE_CONFIG_CONFIG_TOML_H_
#define HITO_NODE_CONFIG_CONFIG_TOML_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "consensus/bft/round_timeouts.h"

namespace hito::node::config {

// A peer validator, as `hitod testnet` writes it for the p2p layer: where it listens and
// its validator public key (hex), which the peer proves on connect.
struct PeerConfig {
  std::string address;
  std::string public_key;
};

struct NodeConfig {
  std::string grpc_addr = "127.0.0.1:9090";
  // The metrics endpoint's listen address (HOST:PORT); empty: no metrics endpoint.
  std::string metrics_addr;
  // Peer-to-peer listen address and the peers to dial (multi-validator chains).
  std::string p2p_addr = "127.0.0.1:26656";
  std::vector<PeerConfig> peers;
  uint32_t block_interval_ms = 1000;
  // [consensus] timeout_x_base_ms and timeout_x_delta_ms, handed to the engine as they are.
  consensus::bft::RoundTimeouts timeouts;
  uint32_t block_max_txs = 20'000;
  uint64_t block_max_bytes = 8 * 1024 * 1024 - 64 * 1024;  // headroom for header, commit
  uint32_t mempool_max_txs = 200'000;
  uint64_t mempool_max_bytes = 128ull * 1024 * 1024;
  // One sender's share of the pool, and how long a transaction may stay pending.
  uint32_t mempool_max_txs_per_sender = 5'000;
  uint64_t mempool_max_bytes_per_sender = 8ull * 1024 * 1024;
  uint64_t mempool_tx_ttl_ms = 600'000;
  // Bytes of prepared anonymity sets kept for claim verification (PreparedSetCache);
  // a 2^14-member set is charged ~47 MB.
  uint64_t prepared_set_cache_bytes = uint64_t{512} << 20;
  std::string log_level = "info";  // trace, debug, info, warn, error, critical, off
};

// A listen address split: "host:port" or "[ipv6]:port", the host non-empty and free of
// spaces and control characters, the port decimal in [0, 65535] (0: any free port).
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
Result<HostPort> SplitHostPort(std::string_view address);

// Checks ranges (interval >= 10 ms, limits > 0 and within the protocol limits, timeout
// bases in [kTimeoutBaseMinMs, kTimeoutBaseMaxMs] and deltas in [1, kTimeoutDeltaMaxMs]) and
// that rpc.metrics_addr, when set, is a HOST:PORT (SplitHostPort).
inline constexpr uint32_t kTimeoutBaseMinMs = 10;
inline constexpr uint32_t kTimeoutBaseMaxMs = 600'000;
inline constexpr uint32_t kTimeoutDeltaMaxMs = 60'000;
// mempool.tx_ttl_ms must lie in [kMempoolTtlMinMs, kMempoolTtlMaxMs] (a second to a week).
inline constexpr uint64_t kMempoolTtlMinMs = 1'000;
inline constexpr uint64_t kMempoolTtlMaxMs = 7ull * 24 * 3600 * 1000;
// personhood.prepared_set_cache_bytes is at most kPreparedSetCacheMaxBytes (0 keeps none).
inline constexpr uint64_t kPreparedSetCacheMaxBytes = uint64_t{1} << 40;
Status ValidateConfig(const NodeConfig& config);
std::string ConfigToToml(const NodeConfig& config);
Result<NodeConfig> ParseConfigToml(std::string_view text);
Result<NodeConfig> LoadConfig(const std::filesystem::path& path);

}  // namespace hito::node::config

#endif  // HITO_NODE_CONFIG_CONFIG_TOML_H_
