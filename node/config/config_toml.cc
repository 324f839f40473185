#include "node/config/config_toml.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <optional>
#include <sstream>

#include "base/file_io.h"
#include "consensus/types/limits.h"

namespace hito::node::config {
namespace {

namespace types = consensus::types;

template <typename T>
Status ReadUint(const toml::table& t, std::string_view section, std::string_view key, T* out) {
  const toml::node* n = t.at_path(std::string(section) + "." + std::string(key)).node();
  if (n == nullptr) return Status::Ok();  // keep the default
  std::optional<int64_t> v = n->value<int64_t>();
  if (!v || *v < 0 || static_cast<uint64_t>(*v) > std::numeric_limits<T>::max()) {
    return InvalidArgumentError("config: " + std::string(section) + "." + std::string(key) +
                                " must be a non-negative integer in range");
  }
  *out = static_cast<T>(*v);
  return Status::Ok();
}

Status ReadString(const toml::table& t, std::string_view section, std::string_view key,
                  std::string* out) {
  const toml::node* n = t.at_path(std::string(section) + "." + std::string(key)).node();
  if (n == nullptr) return Status::Ok();
  std::optional<std::string> v = n->value<std::string>();
  if (!v) {
    return InvalidArgumentError("config: " + std::string(section) + "." + std::string(key) +
                                " must be a string");
  }
  *out = *v;
  return Status::Ok();
}

// A TOML basic string: quotes, backslashes and control characters escaped, so that every
// string config.toml can hold is written back as the same string.
std::string TomlString(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += ch;
    }
  }
  out += '"';
  return out;
}

// The mempool's limits. The per-sender caps may exceed the pool's own (the pool's then
// bind first), so lowering max_txs alone never makes a config invalid.
Status ValidateMempoolConfig(const NodeConfig& c) {
  if (c.mempool_max_txs == 0) return InvalidArgumentError("config: mempool.max_txs must be > 0");
  if (c.mempool_max_bytes < types::kTxMaxBytes) {
    return InvalidArgumentError("config: mempool.max_bytes must be at least one max-size tx");
  }
  if (c.mempool_max_txs_per_sender == 0) {
    return InvalidArgumentError("config: mempool.max_txs_per_sender must be > 0");
  }
  if (c.mempool_max_bytes_per_sender < types::kTxMaxBytes) {
    return InvalidArgumentError(
        "config: mempool.max_bytes_per_sender must be at least one max-size tx");
  }
  if (c.prepared_set_cache_bytes > kPreparedSetCacheMaxBytes) {
    return InvalidArgumentError("config: personhood.prepared_set_cache_bytes must be at most " +
                                std::to_string(kPreparedSetCacheMaxBytes));
  }
  if (c.mempool_tx_ttl_ms < kMempoolTtlMinMs || c.mempool_tx_ttl_ms > kMempoolTtlMaxMs) {
    return InvalidArgumentError("config: mempool.tx_ttl_ms must be in [" +
                                std::to_string(kMempoolTtlMinMs) + ", " +
                                std::to_string(kMempoolTtlMaxMs) + "]");
  }
  return Status::Ok();
}

}  // namespace

Result<HostPort> SplitHostPort(std::string_view address) {
  const auto bad = [&](std::string_view why) {
    return InvalidArgumentError("\"" + std::string(address) + "\" is not HOST:PORT (" +
                                std::string(why) + ")");
  };
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return bad("no port");
  std::string_view host = address.substr(0, colon);
  const std::string_view port = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return bad("an IPv6 host goes in brackets, [::1]:9464");
  }
  if (host.empty()) return bad("no host");
  for (char ch : host) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f || c == '[' || c == ']') return bad("bad character in host");
  }
  if (port.empty() || port.size() > 5) return bad("port must be 0 to 65535");
  uint32_t value = 0;
  for (char ch : port) {
    if (ch < '0' || ch > '9') return bad("port must be 0 to 65535");
    value = value * 10 + static_cast<uint32_t>(ch - '0');
  }
  if (value > 65535) return bad("port must be 0 to 65535");
  return HostPort{std::string(host), static_cast<uint16_t>(value)};
}

Status ValidateConfig(const NodeConfig& c) {
  if (c.grpc_addr.empty()) return InvalidArgumentError("config: rpc.grpc_addr is empty");
  if (!c.metrics_addr.empty()) {
    Result<HostPort> metrics = SplitHostPort(c.metrics_addr);
    if (!metrics.ok()) return metrics.status().WithContext("config: rpc.metrics_addr");
  }
  if (c.block_interval_ms < 10 || c.block_interval_ms > 600'000) {
    return InvalidArgumentError("config: consensus.block_interval_ms must be in [10, 600000]");
  }
  if (c.block_max_txs == 0 || c.block_max_txs > types::kBlockMaxTxs) {
    return InvalidArgumentError("config: consensus.block_max_txs must be in [1, " +
                                std::to_string(types::kBlockMaxTxs) + "]");
  }
  if (c.block_max_bytes < types::kTxMaxBytes ||
      c.block_max_bytes > types::kBlockMaxBytes - 32 * 1024) {
    return InvalidArgumentError("config: consensus.block_max_bytes must be in [" +
                                std::to_string(types::kTxMaxBytes) + ", " +
                                std::to_string(types::kBlockMaxBytes - 32 * 1024) + "]");
  }
  const struct {
    const char* name;
    uint32_t base_ms, delta_ms;
  } timeouts[] = {
      {"propose", c.timeouts.propose_base_ms, c.timeouts.propose_delta_ms},
      {"prevote", c.timeouts.prevote_base_ms, c.timeouts.prevote_delta_ms},
      {"precommit", c.timeouts.precommit_base_ms, c.timeouts.precommit_delta_ms},
  };
  for (const auto& t : timeouts) {
    if (t.base_ms < kTimeoutBaseMinMs || t.base_ms > kTimeoutBaseMaxMs) {
      return InvalidArgumentError("config: consensus.timeout_" + std::string(t.name) +
                                  "_base_ms must be in [" + std::to_string(kTimeoutBaseMinMs) +
                                  ", " + std::to_string(kTimeoutBaseMaxMs) + "]");
    }
    // A zero delta would keep every round's timeout equal: Tendermint's liveness needs
    // them to grow until they exceed the actual message delay.
    if (t.delta_ms < 1 || t.delta_ms > kTimeoutDeltaMaxMs) {
      return InvalidArgumentError("config: consensus.timeout_" + std::string(t.name) +
                                  "_delta_ms must be in [1, " + std::to_string(kTimeoutDeltaMaxMs) +
                                  "]");
    }
  }
  HITO_RETURN_IF_ERROR(ValidateMempoolConfig(c));
  static const std::vector<std::string> kLevels = {"trace", "debug",    "info", "warn",
                                                   "error", "critical", "off"};
  if (std::find(kLevels.begin(), kLevels.end(), c.log_level) == kLevels.end()) {
    return InvalidArgumentError(
        "config: log.level must be one of trace, debug, info, warn, "
        "error, critical, off");
  }
  return Status::Ok();
}

std::string ConfigToToml(const NodeConfig& c) {
  std::ostringstream o;
  o << "# hitod configuration. See docs/operator.md.\n\n"
    << "[rpc]\n"
    << "# Public gRPC listen address (HOST:PORT). `--grpc-addr` overrides it.\n"
    << "grpc_addr = " << TomlString(c.grpc_addr) << "\n"
    << "# Prometheus metrics endpoint, GET http://HOST:PORT/metrics (off when unset).\n"
    << "# `--metrics-addr` overrides it.\n"
    << (c.metrics_addr.empty() ? "# metrics_addr = \"127.0.0.1:9464\""
                               : "metrics_addr = " + TomlString(c.metrics_addr))
    << "\n\n"
    << "[p2p]\n"
    << "# Peer-to-peer listen address (multi-validator chains).\n"
    << "listen_addr = " << TomlString(c.p2p_addr) << "\n";
  for (const PeerConfig& peer : c.peers) {
    o << "\n[[p2p.peers]]\n"
      << "address = " << TomlString(peer.address) << "\n"
      << "public_key = " << TomlString(peer.public_key) << "\n";
  }
  o << "\n"
    << "[consensus]\n"
    << "# A block is produced every interval, empty or not (with BFT: the pause after\n"
    << "# each decision).\n"
    << "block_interval_ms = " << c.block_interval_ms << "\n"
    << "block_max_txs = " << c.block_max_txs << "\n"
    << "block_max_bytes = " << c.block_max_bytes << "\n"
    << "# Round timeouts: timeout(round) = base + round * delta. Use the same values on\n"
    << "# every validator.\n"
    << "timeout_propose_base_ms = " << c.timeouts.propose_base_ms << "\n"
    << "timeout_propose_delta_ms = " << c.timeouts.propose_delta_ms << "\n"
    << "timeout_prevote_base_ms = " << c.timeouts.prevote_base_ms << "\n"
    << "timeout_prevote_delta_ms = " << c.timeouts.prevote_delta_ms << "\n"
    << "timeout_precommit_base_ms = " << c.timeouts.precommit_base_ms << "\n"
    << "timeout_precommit_delta_ms = " << c.timeouts.precommit_delta_ms << "\n\n"
    << "[mempool]\n"
    << "max_txs = " << c.mempool_max_txs << "\n"
    << "max_bytes = " << c.mempool_max_bytes << "\n"
    << "# One sender's share of the pool (a full pool displaces lower fees first).\n"
    << "max_txs_per_sender = " << c.mempool_max_txs_per_sender << "\n"
    << "max_bytes_per_sender = " << c.mempool_max_bytes_per_sender << "\n"
    << "# A transaction pending longer than this leaves the pool (resubmit it).\n"
    << "tx_ttl_ms = " << c.mempool_tx_ttl_ms << "\n\n"
    << "[personhood]\n"
    << "# Prepared anonymity sets kept for claim proofs, in bytes (~47 MB per 2^14 set).\n"
    << "prepared_set_cache_bytes = " << c.prepared_set_cache_bytes << "\n\n"
    << "[log]\n"
    << "# trace, debug, info, warn, error, critical, off\n"
    << "level = " << TomlString(c.log_level) << "\n";
  return o.str();
}

Result<NodeConfig> ParseConfigToml(std::string_view text) {
  toml::table t;
  try {
    t = toml::parse(text);
  } catch (const toml::parse_error& e) {
    std::ostringstream o;
    o << "config: " << e.description() << " at line " << e.source().begin.line;
    return InvalidArgumentError(o.str());
  }
  NodeConfig c;
  HITO_RETURN_IF_ERROR(ReadString(t, "rpc", "grpc_addr", &c.grpc_addr));
  HITO_RETURN_IF_ERROR(ReadString(t, "rpc", "metrics_addr", &c.metrics_addr));
  HITO_RETURN_IF_ERROR(ReadUint(t, "consensus", "block_interval_ms", &c.block_interval_ms));
  HITO_RETURN_IF_ERROR(ReadUint(t, "consensus", "block_max_txs", &c.block_max_txs));
  HITO_RETURN_IF_ERROR(ReadUint(t, "consensus", "block_max_bytes", &c.block_max_bytes));
  HITO_RETURN_IF_ERROR(
      ReadUint(t, "consensus", "timeout_propose_base_ms", &c.timeouts.propose_base_ms));
  HITO_RETURN_IF_ERROR(
      ReadUint(t, "consensus", "timeout_propose_delta_ms", &c.timeouts.propose_delta_ms));
  HITO_RETURN_IF_ERROR(
      ReadUint(t, "consensus", "timeout_prevote_base_ms", &c.timeouts.prevote_base_ms));
  HITO_RETURN_IF_ERROR(
      ReadUint(t, "consensus", "timeout_prevote_delta_ms", &c.timeouts.prevote_delta_ms));
  HITO_RETURN_IF_ERROR(
      ReadUint(t, "consensus", "timeout_precommit_base_ms", &c.timeouts.precommit_base_ms));
  HITO_RETURN_IF_ERROR(
      ReadUint(t, "consensus", "timeout_precommit_delta_ms", &c.timeouts.precommit_delta_ms));
  HITO_RETURN_IF_ERROR(ReadUint(t, "mempool", "max_txs", &c.mempool_max_txs));
  HITO_RETURN_IF_ERROR(ReadUint(t, "mempool", "max_bytes", &c.mempool_max_bytes));
  HITO_RETURN_IF_ERROR(ReadUint(t, "mempool", "max_txs_per_sender", &c.mempool_max_txs_per_sender));
  HITO_RETURN_IF_ERROR(
      ReadUint(t, "mempool", "max_bytes_per_sender", &c.mempool_max_bytes_per_sender));
  HITO_RETURN_IF_ERROR(ReadUint(t, "mempool", "tx_ttl_ms", &c.mempool_tx_ttl_ms));
  HITO_RETURN_IF_ERROR(
      ReadUint(t, "personhood", "prepared_set_cache_bytes", &c.prepared_set_cache_bytes));
  HITO_RETURN_IF_ERROR(ReadString(t, "log", "level", &c.log_level));
  HITO_RETURN_IF_ERROR(ReadString(t, "p2p", "listen_addr", &c.p2p_addr));
  if (const toml::array* peers = t["p2p"]["peers"].as_array()) {
    for (const toml::node& n : *peers) {
      const toml::table* pt = n.as_table();
      std::optional<std::string> addr = pt ? (*pt)["address"].value<std::string>() : std::nullopt;
      std::optional<std::string> key = pt ? (*pt)["public_key"].value<std::string>() : std::nullopt;
      if (!addr || !key) {
        return InvalidArgumentError("config: each [[p2p.peers]] needs address and public_key");
      }
      c.peers.push_back({*addr, *key});
    }
  }
  HITO_RETURN_IF_ERROR(ValidateConfig(c));
  return c;
}

Result<NodeConfig> LoadConfig(const std::filesystem::path& path) {
  HITO_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  Result<NodeConfig> c = ParseConfigToml(text);
  if (!c.ok()) return c.status().WithContext(path.string());
  return c;
}

}  // namespace hito::node::config
