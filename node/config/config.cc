#include "node/config/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/bech32m.h"
#include "base/hash.h"
#include "base/hex.h"
#include "consensus/types/codec.h"
#include "consensus/types/limits.h"
#include "consensus/types/transaction.h"

namespace hito::node {
namespace {

namespace ledger = consensus::ledger;
namespace types = consensus::types;

std::string Errno(std::string_view what, const std::filesystem::path& path) {
  return std::string(what) + " " + path.string() + ": " + std::strerror(errno);
}

Status WriteAllFd(int fd, std::string_view contents, const std::filesystem::path& path) {
  size_t off = 0;
  while (off < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + off, contents.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return InternalError(Errno("write", path));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return InternalError(Errno("fsync", path));
  return Status::Ok();
}

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

// A non-negative JSON integer (nlohmann would convert -5 to 2^64 - 5 silently).
Result<uint64_t> JsonU64(const nlohmann::json& v, const std::string& what) {
  if (!v.is_number_unsigned())
    return InvalidArgumentError(what + " must be a non-negative integer");
  return v.get<uint64_t>();
}

// A JSON list of {"public_key": hex, "power": n} as a validator set.
Result<types::ValidatorSet> ParseValidatorSet(const nlohmann::json& list, const std::string& what) {
  if (!list.is_array()) return InvalidArgumentError(what + " must be a list");
  std::vector<types::Validator> vals;
  for (const auto& v : list) {
    types::Validator val;
    Result<Hash32> pk = HexDecode32(v.at("public_key").get<std::string>());
    if (!pk.ok()) return pk.status().WithContext(what + ": public_key");
    val.public_key = *pk;
    HITO_ASSIGN_OR_RETURN(val.power, JsonU64(v.at("power"), what + ": power"));
    vals.push_back(val);
  }
  Result<types::ValidatorSet> set = types::ValidatorSet::Create(std::move(vals));
  if (!set.ok()) return set.status().WithContext(what);
  if (set->size() == 0) return InvalidArgumentError(what + ": no validators");
  return set;
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
  if (c.mempool_tx_ttl_ms < kMempoolTtlMinMs || c.mempool_tx_ttl_ms > kMempoolTtlMaxMs) {
    return InvalidArgumentError("config: mempool.tx_ttl_ms must be in [" +
                                std::to_string(kMempoolTtlMinMs) + ", " +
                                std::to_string(kMempoolTtlMaxMs) + "]");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateConfig(const NodeConfig& c) {
  if (c.grpc_addr.empty()) return InvalidArgumentError("config: rpc.grpc_addr is empty");
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
      {"propose", c.timeout_propose_base_ms, c.timeout_propose_delta_ms},
      {"prevote", c.timeout_prevote_base_ms, c.timeout_prevote_delta_ms},
      {"precommit", c.timeout_precommit_base_ms, c.timeout_precommit_delta_ms},
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
    << "grpc_addr = " << TomlString(c.grpc_addr) << "\n\n"
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
    << "timeout_propose_base_ms = " << c.timeout_propose_base_ms << "\n"
    << "timeout_propose_delta_ms = " << c.timeout_propose_delta_ms << "\n"
    << "timeout_prevote_base_ms = " << c.timeout_prevote_base_ms << "\n"
    << "timeout_prevote_delta_ms = " << c.timeout_prevote_delta_ms << "\n"
    << "timeout_precommit_base_ms = " << c.timeout_precommit_base_ms << "\n"
    << "timeout_precommit_delta_ms = " << c.timeout_precommit_delta_ms << "\n\n"
    << "[mempool]\n"
    << "max_txs = " << c.mempool_max_txs << "\n"
    << "max_bytes = " << c.mempool_max_bytes << "\n"
    << "# One sender's share of the pool (a full pool displaces lower fees first).\n"
    << "max_txs_per_sender = " << c.mempool_max_txs_per_sender << "\n"
    << "max_bytes_per_sender = " << c.mempool_max_bytes_per_sender << "\n"
    << "# A transaction pending longer than this leaves the pool (resubmit it).\n"
    << "tx_ttl_ms = " << c.mempool_tx_ttl_ms << "\n\n"
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
  HITO_RETURN_IF_ERROR(ReadUint(t, "consensus", "block_interval_ms", &c.block_interval_ms));
  HITO_RETURN_IF_ERROR(ReadUint(t, "consensus", "block_max_txs", &c.block_max_txs));
  HITO_RETURN_IF_ERROR(ReadUint(t, "consensus", "block_max_bytes", &c.block_max_bytes));
  HITO_RETURN_IF_ERROR(
      ReadUint(t, "consensus", "timeout_propose_base_ms", &c.timeout_propose_base_ms));
  HITO_RETURN_IF_ERROR(
      ReadUint(t, "consensus", "timeout_propose_delta_ms", &c.timeout_propose_delta_ms));
  HITO_RETURN_IF_ERROR(
      ReadUint(t, "consensus", "timeout_prevote_base_ms", &c.timeout_prevote_base_ms));
  HITO_RETURN_IF_ERROR(
      ReadUint(t, "consensus", "timeout_prevote_delta_ms", &c.timeout_prevote_delta_ms));
  HITO_RETURN_IF_ERROR(
      ReadUint(t, "consensus", "timeout_precommit_base_ms", &c.timeout_precommit_base_ms));
  HITO_RETURN_IF_ERROR(
      ReadUint(t, "consensus", "timeout_precommit_delta_ms", &c.timeout_precommit_delta_ms));
  HITO_RETURN_IF_ERROR(ReadUint(t, "mempool", "max_txs", &c.mempool_max_txs));
  HITO_RETURN_IF_ERROR(ReadUint(t, "mempool", "max_bytes", &c.mempool_max_bytes));
  HITO_RETURN_IF_ERROR(ReadUint(t, "mempool", "max_txs_per_sender", &c.mempool_max_txs_per_sender));
  HITO_RETURN_IF_ERROR(
      ReadUint(t, "mempool", "max_bytes_per_sender", &c.mempool_max_bytes_per_sender));
  HITO_RETURN_IF_ERROR(ReadUint(t, "mempool", "tx_ttl_ms", &c.mempool_tx_ttl_ms));
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

std::string GenesisToJson(const ledger::Genesis& g) {
  nlohmann::ordered_json j;
  j["chain_id"] = g.chain_id;
  j["genesis_time_ms"] = g.time_ms;
  nlohmann::ordered_json vals = nlohmann::ordered_json::array();
  for (const types::Validator& v : g.validators.validators()) {
    vals.push_back({{"public_key", HexEncode(v.public_key)}, {"power", v.power}});
  }
  j["validators"] = vals;
  if (!g.validator_schedule.empty()) {
    nlohmann::ordered_json sched = nlohmann::ordered_json::array();
    for (const ledger::ValidatorSetChange& c : g.validator_schedule) {
      nlohmann::ordered_json set = nlohmann::ordered_json::array();
      for (const types::Validator& v : c.set.validators()) {
        set.push_back({{"public_key", HexEncode(v.public_key)}, {"power", v.power}});
      }
      sched.push_back({{"height", c.height}, {"validators", set}});
    }
    j["validator_schedule"] = sched;
  }
  nlohmann::ordered_json accts = nlohmann::ordered_json::array();
  for (const ledger::GenesisAccount& a : g.accounts) {
    accts.push_back({{"address", EncodeAddress(a.account)}, {"balance", a.balance}});
  }
  j["accounts"] = accts;
  j["params"] = {{"min_fee", g.params.min_fee}};
  return j.dump(2) + "\n";
}

Result<ledger::Genesis> ParseGenesisJson(std::string_view text) {
  ledger::Genesis g;
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    g.chain_id = j.at("chain_id").get<std::string>();
    if (g.chain_id.empty() || g.chain_id.size() > types::kChainIdMaxLen) {
      return InvalidArgumentError("genesis: chain_id must be 1.." +
                                  std::to_string(types::kChainIdMaxLen) + " bytes");
    }
    // The chain id goes into every header and transaction, whose decoders accept only
    // [a-z0-9-]: a genesis with any other id would start a chain nobody can decode.
    HITO_RETURN_IF_ERROR(types::ValidateChainId("genesis: chain_id", g.chain_id));
    HITO_ASSIGN_OR_RETURN(g.time_ms, JsonU64(j.at("genesis_time_ms"), "genesis: genesis_time_ms"));
    HITO_ASSIGN_OR_RETURN(g.validators,
                          ParseValidatorSet(j.at("validators"), "genesis: validators"));
    if (j.contains("validator_schedule")) {
      const auto& sched = j.at("validator_schedule");
      if (!sched.is_array())
        return InvalidArgumentError("genesis: validator_schedule must be a list");
      for (const auto& e : sched) {
        if (!e.is_object() || e.size() != 2 || !e.contains("height") || !e.contains("validators")) {
          return InvalidArgumentError(
              "genesis: each validator_schedule entry must be {\"height\", \"validators\"} "
              "and nothing else");
        }
        ledger::ValidatorSetChange change;
        HITO_ASSIGN_OR_RETURN(change.height,
                              JsonU64(e.at("height"), "genesis: validator_schedule height"));
        const std::string where =
            "genesis: validator_schedule height " + std::to_string(change.height);
        HITO_ASSIGN_OR_RETURN(change.set, ParseValidatorSet(e.at("validators"), where));
        g.validator_schedule.push_back(std::move(change));
      }
      // The ledger's rules (heights >= 2, increasing, bounded), checked here so a bad file
      // is refused when read, with the same message.
      Result<ledger::ValidatorSchedule> checked =
          ledger::GenesisValidatorSchedule(g.validators, g.validator_schedule);
      if (!checked.ok()) return checked.status();
    }
    for (const auto& a : j.at("accounts")) {
      ledger::GenesisAccount acct;
      Result<Hash32> id = DecodeAddress(a.at("address").get<std::string>());
      if (!id.ok()) return id.status().WithContext("genesis: account address");
      acct.account = *id;
      HITO_ASSIGN_OR_RETURN(acct.balance, JsonU64(a.at("balance"), "genesis: account balance"));
      g.accounts.push_back(acct);
    }
    if (j.contains("params")) {
      const auto& p = j.at("params");
      if (p.contains("min_fee")) {
        HITO_ASSIGN_OR_RETURN(g.params.min_fee, JsonU64(p.at("min_fee"), "genesis: min_fee"));
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(std::string("genesis: ") + e.what());
  }
  return g;
}

Hash32 GenesisHash(std::string_view genesis_file_bytes) {
  return DomainHash("hito/v1/genesis", AsBytes(genesis_file_bytes));
}

Status WriteSeedFile(const std::filesystem::path& path, const Ed25519Seed& seed) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return AlreadyExistsError(path.string() + " already exists");
    return InternalError(Errno("create", path));
  }
  std::string hex = HexEncode(seed) + "\n";
  Status s = WriteAllFd(fd, hex, path);
  SecureWipe(hex.data(), hex.size());
  ::close(fd);
  return s;
}

Result<Ed25519PrivateKey> ReadSeedFile(const std::filesystem::path& path) {
  HITO_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::string_view s = text;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  Result<Hash32> seed = HexDecode32(s);
  SecureWipe(text.data(), text.size());
  if (!seed.ok()) {
    return InvalidArgumentError(path.string() + ": not a 64-hex-digit Ed25519 seed");
  }
  Ed25519PrivateKey key = Ed25519PrivateKey::FromSeed(*seed);
  SecureWipe(seed->data(), seed->size());
  return key;
}

Result<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError(Errno("cannot open", path));
  std::ostringstream o;
  o << in.rdbuf();
  if (in.bad()) return InternalError(Errno("read", path));
  return o.str();
}

Status WriteFile(const std::filesystem::path& path, std::string_view contents) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return InternalError(Errno("create", path));
  Status s = WriteAllFd(fd, contents, path);
  ::close(fd);
  return s;
}

uint64_t GenesisTimeMsOrNow(uint64_t requested_ms) {
  if (requested_ms != 0) return requested_ms;
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

Result<InitResult> InitHome(const std::filesystem::path& home, const InitOptions& options) {
  HITO_RETURN_IF_ERROR(ValidateConfig(options.config));
  if (options.chain_id.empty() || options.chain_id.size() > types::kChainIdMaxLen) {
    return InvalidArgumentError("chain id must be 1.." + std::to_string(types::kChainIdMaxLen) +
                                " bytes");
  }
  // Headers and transactions carry it, and their decoders accept only [a-z0-9-].
  HITO_RETURN_IF_ERROR(types::ValidateChainId("chain id", options.chain_id));
  HomePaths p{home};
  std::error_code ec;
  if (std::filesystem::exists(home, ec)) {
    if (!std::filesystem::is_directory(home, ec)) {
      return AlreadyExistsError(home.string() + " exists and is not a directory");
    }
    if (!std::filesystem::is_empty(home, ec)) {
      return AlreadyExistsError("refusing to overwrite: " + home.string() +
                                " is not empty (an existing home?)");
    }
  }
  std::filesystem::create_directories(home, ec);
  if (ec) return InternalError("create " + home.string() + ": " + ec.message());
  ::chmod(home.c_str(), 0700);

  Ed25519PrivateKey validator = Ed25519PrivateKey::Generate();
  HITO_RETURN_IF_ERROR(WriteSeedFile(p.validator_key(), validator.seed()));

  ledger::Genesis g;
  g.chain_id = options.chain_id;
  g.time_ms = GenesisTimeMsOrNow(options.genesis_time_ms);
  HITO_ASSIGN_OR_RETURN(g.validators, types::ValidatorSet::Create({{validator.public_key(), 1}}));
  InitResult out;
  types::AccountId validator_account = types::AccountIdFromPublicKey(validator.public_key());
  out.validator_address = EncodeAddress(validator_account);
  g.accounts.push_back({validator_account, kInitBalance});
  if (options.dev_account) {
    Ed25519PrivateKey dev = Ed25519PrivateKey::Generate();
    HITO_RETURN_IF_ERROR(WriteSeedFile(p.dev_key(), dev.seed()));
    types::AccountId dev_account = types::AccountIdFromPublicKey(dev.public_key());
    out.dev_address = EncodeAddress(dev_account);
    g.accounts.push_back({dev_account, kInitBalance});
  }
  for (const ledger::GenesisAccount& a : options.accounts) g.accounts.push_back(a);

  HITO_RETURN_IF_ERROR(WriteFile(p.genesis(), GenesisToJson(g)));
  HITO_RETURN_IF_ERROR(WriteFile(p.config(), ConfigToToml(options.config)));
  return out;
}

}  // namespace hito::node
