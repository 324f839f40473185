#include "wallet/cli.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "base/bech32m.h"
#include "base/hex.h"
#include "consensus/types/limits.h"
#include "consensus/types/transaction.h"
#include "wallet/cli_internal.h"
#include "wallet/client.h"
#include "wallet/keystore.h"
#include "wallet/passphrase.h"
#include "wallet/transfer.h"

namespace hito::wallet {
namespace {

namespace types = consensus::types;
using Json = nlohmann::ordered_json;

std::string DefaultHome() {
  if (const char* h = std::getenv("HITO_HOME"); h != nullptr && *h != '\0') return h;
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') {
    return std::string(h) + "/.hito";
  }
  return ".hito";
}

std::string Hex(const std::string& bytes) { return HexEncode(AsBytes(bytes)); }
Json HexOrNull(const std::string& bytes) {
  return bytes.empty() ? Json(nullptr) : Json(Hex(bytes));
}

std::string FormatTime(uint64_t time_ms) {
  auto secs = static_cast<std::time_t>(time_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<unsigned>(time_ms % 1000));
  return buf;
}

// "12.000345" for 12000345 base units.
std::string FormatHito(uint64_t units) {
  std::string frac = std::to_string(units % types::kUnitsPerHito);
  return std::to_string(units / types::kUnitsPerHito) + "." + std::string(6 - frac.size(), '0') +
         frac;
}

// "OK" for a successful result whatever spelling the node uses, else the reason code.
std::string ResultName(uint32_t code, const std::string& name) { return code == 0 ? "OK" : name; }

// ---------------------------------------------------------------------------- keys

Json KeyJson(const KeyInfo& k) {
  return Json{{"name", k.name},
              {"address", AddressOf(k.public_key)},
              {"public_key", HexEncode(k.public_key)}};
}

std::string KeyText(const KeyInfo& k) { return k.name + "  " + AddressOf(k.public_key); }

CmdResult AddKey(const Globals& g, const std::string& name, const Ed25519PrivateKey& key) {
  if (Status s = ValidateKeyName(name); !s.ok()) return Usage(s);
  Keystore ks(g.home);
  if (ks.Info(name).ok()) {
    return Fail(AlreadyExistsError("a key named '" + name + "' already exists"));
  }
  auto pass = GetPassphrase(name, PassphraseUse::kNewKey);
  if (!pass.ok()) return Fail(pass.status());
  if (Status s = ks.Add(name, key, *pass, KdfStrengthFromEnv()); !s.ok()) return Fail(s);
  KeyInfo info{name, key.public_key()};
  return Output{KeyJson(info), "created key " + KeyText(info) + "\nfile: " + ks.KeyPath(name)};
}

CmdResult KeysNew(const Globals& g, const std::string& name) {
  return AddKey(g, name, Ed25519PrivateKey::Generate());
}

CmdResult KeysImport(const Globals& g, const std::string& name, const std::string& seed_file) {
  if (Status s = ValidateKeyName(name); !s.ok()) return Usage(s);
  auto seed = ReadSeedFile(seed_file);
  if (!seed.ok()) return Fail(seed.status());
  Ed25519PrivateKey key = Ed25519PrivateKey::FromSeed(*seed);
  SecureWipe(seed->data(), seed->size());
  return AddKey(g, name, key);
}

CmdResult KeysList(const Globals& g) {
  auto keys = Keystore(g.home).List();
  if (!keys.ok()) return Fail(keys.status());
  Output out{Json{{"keys", Json::array()}}, ""};
  for (const auto& k : *keys) {
    out.json["keys"].push_back(KeyJson(k));
    out.text += KeyText(k) + "\n";
  }
  if (keys->empty()) out.text = "no keys in " + Keystore(g.home).KeysDir() + "\n";
  out.text.pop_back();
  return out;
}

CmdResult KeysShow(const Globals& g, const std::string& name) {
  if (Status s = ValidateKeyName(name); !s.ok()) return Usage(s);
  auto info = Keystore(g.home).Info(name);
  if (!info.ok()) return Fail(info.status());
  return Output{KeyJson(*info), "name:       " + info->name +
                                    "\naddress:    " + AddressOf(info->public_key) +
                                    "\npublic key: " + HexEncode(info->public_key)};
}

CmdResult KeysExport(const Globals& g, const std::string& name, bool unsafe_print_seed) {
  if (Status s = ValidateKeyName(name); !s.ok()) return Usage(s);
  if (!unsafe_print_seed) {
    return Usage(InvalidArgumentError(
        "export prints the secret seed in clear; confirm with --unsafe-print-seed"));
  }
  auto key = UnlockKey(g, name);
  if (!key.ok()) return Fail(key.status());
  Ed25519Seed seed = key->seed();
  std::string hex = HexEncode(seed);
  SecureWipe(seed.data(), seed.size());
  Output out{Json{{"name", name}, {"address", AddressOf(key->public_key())}, {"seed", hex}}, hex};
  SecureWipe(hex.data(), hex.size());
  return out;
}

CmdResult KeysDelete(const Globals& g, const std::string& name, bool yes) {
  if (Status s = ValidateKeyName(name); !s.ok()) return Usage(s);
  if (!yes) {
    return Usage(InvalidArgumentError("deleting a key cannot be undone; confirm with --yes"));
  }
  Keystore ks(g.home);
  auto info = ks.Info(name);
  if (!info.ok()) return Fail(info.status());
  if (Status s = ks.Delete(name); !s.ok()) return Fail(s);
  return Output{Json{{"name", name}, {"address", AddressOf(info->public_key)}, {"deleted", true}},
                "deleted key " + KeyText(*info)};
}

// ---------------------------------------------------------------------------- chain

CmdResult Balance(const Globals& g, const std::string& who) {
  auto addr = ResolveAddress(g, who);
  if (!addr.ok()) return Usage(addr.status());
  NodeClient client(g.node);
  auto acct = client.GetAccount(*addr);
  if (!acct.ok()) return Fail(acct.status());
  Json j{{"address", acct->address()},
         {"balance", acct->balance()},
         {"nonce", acct->nonce()},
         {"height", acct->height()}};
  std::ostringstream t;
  t << "address: " << acct->address() << "\nbalance: " << acct->balance() << " units ("
    << FormatHito(acct->balance()) << " HITO)\nnonce:   " << acct->nonce()
    << "\nheight:  " << acct->height();
  return Output{j, t.str()};
}

CmdResult StatusCmd(const Globals& g) {
  NodeClient client(g.node);
  auto st = client.GetStatus();
  if (!st.ok()) return Fail(st.status());
  Json j{{"chain_id", st->chain_id()},
         {"height", st->height()},
         {"block_hash", HexOrNull(st->block_hash())},
         {"state_root", Hex(st->state_root())},
         {"syncing", st->syncing()},
         {"time", FormatTime(st->time_ms())},
         {"time_ms", st->time_ms()},
         {"node_version", st->node_version()},
         {"validator_address", st->validator_address()},
         {"mempool_txs", st->mempool_txs()},
         {"node", g.node}};
  std::ostringstream t;
  t << "node:        " << g.node << "\nchain id:    " << st->chain_id()
    << "\nheight:      " << st->height() << "\nblock hash:  " << Hex(st->block_hash())
    << "\nstate root:  " << Hex(st->state_root()) << "\ntime:        " << FormatTime(st->time_ms())
    << "\nsyncing:     " << (st->syncing() ? "yes" : "no") << "\nmempool:     " << st->mempool_txs()
    << " txs\nversion:     " << st->node_version();
  return Output{j, t.str()};
}

CmdResult BlockCmd(const Globals& g, const std::string& which) {
  uint64_t height = 0;
  if (which != "latest") {
    auto h = ParseUnits(which, "height");
    if (!h.ok() || *h == 0) {
      return Usage(InvalidArgumentError("block height must be a positive integer or 'latest'"));
    }
    height = *h;
  }
  NodeClient client(g.node);
  auto resp = client.GetBlock(height);
  if (!resp.ok()) return Fail(resp.status());
  const auto& b = resp->block();
  Json hashes = Json::array();
  for (const auto& h : b.tx_hashes()) hashes.push_back(Hex(h));
  Json j{{"height", resp->height()},
         {"hash", Hex(resp->hash())},
         {"time", FormatTime(b.time_ms())},
         {"time_ms", b.time_ms()},
         {"proposer", b.proposer_address()},
         {"tx_count", b.tx_count()},
         {"chain_id", b.chain_id()},
         {"prev_hash", Hex(b.prev_hash())},
         {"app_hash", Hex(b.app_hash())},
         {"tx_root", Hex(b.tx_root())},
         {"tx_hashes", hashes}};
  std::ostringstream t;
  t << "height:    " << resp->height() << "\nhash:      " << Hex(resp->hash())
    << "\ntime:      " << FormatTime(b.time_ms()) << "\nproposer:  " << b.proposer_address()
    << "\nprev hash: " << Hex(b.prev_hash()) << "\napp hash:  " << Hex(b.app_hash())
    << "\ntxs:       " << b.tx_count();
  for (const auto& h : b.tx_hashes()) t << "\n  " << Hex(h);
  return Output{j, t.str()};
}

CmdResult TxCmd(const Globals& g, const std::string& hash_hex) {
  auto hash = HexDecode32(hash_hex);
  if (!hash.ok()) {
    return Usage(InvalidArgumentError("transaction hash must be 64 hex digits"));
  }
  NodeClient client(g.node);
  auto resp = client.GetTransaction(*hash);
  if (!resp.ok()) return Fail(resp.status());
  bool committed = resp->status() == v1::TX_STATUS_COMMITTED;
  // Evicted or expired: it left the node's mempool uncommitted (resubmit it).
  const char* status = committed                                 ? "committed"
                       : resp->status() == v1::TX_STATUS_EVICTED ? "evicted"
                       : resp->status() == v1::TX_STATUS_EXPIRED ? "expired"
                                                                 : "pending";
  const auto& v = resp->tx();
  Json j{{"tx_hash", Hex(resp->tx_hash())},
         {"status", status},
         {"height", committed ? Json(resp->height()) : Json(nullptr)},
         {"index", committed ? Json(resp->index()) : Json(nullptr)},
         {"result",
          committed ? Json(ResultName(resp->result_code(), resp->result_name())) : Json(nullptr)},
         {"result_message", committed ? Json(resp->result_message()) : Json(nullptr)},
         {"kind", v.kind() == v1::TX_KIND_TRANSFER ? "transfer" : v1::TxKind_Name(v.kind())},
         {"from", v.sender()},
         {"to", v.to()},
         {"amount", v.amount()},
         {"fee", v.fee()},
         {"nonce", v.nonce()},
         {"memo", Hex(v.memo())},
         {"tx_bytes", Hex(resp->tx_bytes())}};
  std::ostringstream t;
  t << "hash:    " << Hex(resp->tx_hash()) << "\nstatus:  "
    << (committed ? "committed at height " + std::to_string(resp->height()) + " index " +
                        std::to_string(resp->index()) + ", result " +
                        ResultName(resp->result_code(), resp->result_name())
                  : std::string(status))
    << "\nfrom:    " << v.sender() << "\nto:      " << v.to() << "\namount:  " << v.amount()
    << "\nfee:     " << v.fee() << "\nnonce:   " << v.nonce();
  return Output{j, t.str()};
}

struct SendArgs {
  std::string from;
  std::string to;
  std::string amount;
  std::string fee = std::to_string(kDefaultFee);
  std::string memo;
  bool no_wait = false;
  uint32_t timeout_s = 30;
};

CmdResult Send(const Globals& g, const SendArgs& a) {
  if (Status s = ValidateKeyName(a.from); !s.ok()) return Usage(s.WithContext("--from"));
  auto to = ResolveAddress(g, a.to);
  if (!to.ok()) return Usage(to.status().WithContext("--to"));
  auto amount = ParseUnits(a.amount, "--amount");
  if (!amount.ok()) return Usage(amount.status());
  if (*amount == 0) return Usage(InvalidArgumentError("--amount must be greater than zero"));
  auto fee = ParseUnits(a.fee, "--fee");
  if (!fee.ok()) return Usage(fee.status());
  if (a.memo.size() > types::kMemoMaxLen) {
    return Usage(InvalidArgumentError("--memo is longer than 256 bytes"));
  }
  auto key = UnlockKey(g, a.from);
  if (!key.ok()) return Fail(key.status());

  NodeClient client(g.node);
  auto st = client.GetStatus();
  if (!st.ok()) return Fail(st.status());
  std::string from_addr = AddressOf(key->public_key());
  auto acct = client.GetAccount(from_addr);
  if (!acct.ok()) return Fail(acct.status());

  TransferRequest req;
  req.chain_id = st->chain_id();
  req.nonce = acct->nonce();
  req.fee = *fee;
  req.to = *DecodeAddress(*to);
  req.amount = *amount;
  req.memo = a.memo;
  auto tx = BuildSignedTransfer(req, *key);
  if (!tx.ok()) return Usage(tx.status());
  Bytes bytes = types::EncodeTransaction(*tx);
  std::string hash = HexEncode(types::TransactionHash(bytes));

  if (a.no_wait) {
    auto r = client.Submit(bytes);
    if (!r.ok()) return Fail(r.status());
    return Output{Json{{"tx_hash", hash}, {"height", nullptr}},
                  "submitted " + hash + " (not waiting for the commit)"};
  }
  auto r = client.SubmitAndWait(bytes, std::chrono::seconds(a.timeout_s));
  if (!r.ok()) return Fail(r.status().WithContext("transaction " + hash));
  if (r->result_code() != 0) {
    return Fail(FailedPreconditionError(
        "transaction " + hash + " committed at height " + std::to_string(r->height()) +
        " but failed: " + r->result_name() + ": " + r->result_message()));
  }
  return Output{Json{{"tx_hash", hash}, {"height", r->height()}, {"index", r->index()}},
                "committed " + hash + " at height " + std::to_string(r->height())};
}

void AddGlobalFlags(CLI::App* app, Globals* g) {
  app->add_option("--node", g->node, "hitod gRPC address HOST:PORT")
      ->default_str(std::string(kDefaultNodeAddress));
  app->add_option("--home", g->home, "wallet directory (default $HITO_HOME or ~/.hito)");
  app->add_flag("--json", g->json, "print the result as JSON (docs/cli.md)");
}

CLI::App* AddNameOption(CLI::App* cmd, std::string* name) {
  cmd->add_option("NAME", *name, "key name")->required();
  return cmd;
}

void AddKeysNew(CLI::App* keys, const Globals& g, std::vector<Command>* out) {
  auto name = std::make_shared<std::string>();
  CLI::App* cmd = AddNameOption(keys->add_subcommand("new", "create a new key"), name.get());
  out->push_back({cmd, [&g, name] { return KeysNew(g, *name); }});
}

void AddKeysList(CLI::App* keys, const Globals& g, std::vector<Command>* out) {
  CLI::App* cmd = keys->add_subcommand("list", "list keys and their addresses");
  out->push_back({cmd, [&g] { return KeysList(g); }});
}

void AddKeysShow(CLI::App* keys, const Globals& g, std::vector<Command>* out) {
  auto name = std::make_shared<std::string>();
  CLI::App* cmd = AddNameOption(keys->add_subcommand("show", "show a key's address"), name.get());
  out->push_back({cmd, [&g, name] { return KeysShow(g, *name); }});
}

void AddKeysImport(CLI::App* keys, const Globals& g, std::vector<Command>* out) {
  auto name = std::make_shared<std::string>();
  auto seed_file = std::make_shared<std::string>();
  CLI::App* cmd =
      AddNameOption(keys->add_subcommand("import", "import a hex seed file as a key"), name.get());
  cmd->add_option("--seed-file", *seed_file, "file holding 64 hex digits")->required();
  out->push_back({cmd, [&g, name, seed_file] { return KeysImport(g, *name, *seed_file); }});
}

void AddKeysExport(CLI::App* keys, const Globals& g, std::vector<Command>* out) {
  auto name = std::make_shared<std::string>();
  auto unsafe_print_seed = std::make_shared<bool>(false);
  CLI::App* cmd =
      AddNameOption(keys->add_subcommand("export", "print a key's secret seed"), name.get());
  cmd->add_flag("--unsafe-print-seed", *unsafe_print_seed,
                "confirm printing the secret seed in clear");
  out->push_back(
      {cmd, [&g, name, unsafe_print_seed] { return KeysExport(g, *name, *unsafe_print_seed); }});
}

void AddKeysDelete(CLI::App* keys, const Globals& g, std::vector<Command>* out) {
  auto name = std::make_shared<std::string>();
  auto yes = std::make_shared<bool>(false);
  CLI::App* cmd = AddNameOption(keys->add_subcommand("delete", "delete a key file"), name.get());
  cmd->add_flag("--yes", *yes, "confirm the deletion");
  out->push_back({cmd, [&g, name, yes] { return KeysDelete(g, *name, *yes); }});
}

void AddKeys(CLI::App* app, const Globals& g, std::vector<Command>* out) {
  CLI::App* keys = app->add_subcommand("keys", "manage the encrypted keystore");
  keys->require_subcommand(1);
  AddKeysNew(keys, g, out);
  AddKeysList(keys, g, out);
  AddKeysShow(keys, g, out);
  AddKeysImport(keys, g, out);
  AddKeysExport(keys, g, out);
  AddKeysDelete(keys, g, out);
}

void AddBalance(CLI::App* app, const Globals& g, std::vector<Command>* out) {
  auto who = std::make_shared<std::string>();
  CLI::App* cmd = app->add_subcommand("balance", "balance and nonce of an account");
  cmd->add_option("ACCOUNT", *who, "hito1... address or key name")->required();
  out->push_back({cmd, [&g, who] { return Balance(g, *who); }});
}

void AddSend(CLI::App* app, const Globals& g, std::vector<Command>* out) {
  auto a = std::make_shared<SendArgs>();
  CLI::App* cmd = app->add_subcommand("send", "sign and submit a transfer");
  cmd->add_option("--from", a->from, "sending key name")->required();
  cmd->add_option("--to", a->to, "recipient address or key name")->required();
  cmd->add_option("--amount", a->amount, "amount in base units")->required();
  cmd->add_option("--fee", a->fee, "fee in base units (burned)")
      ->default_str(std::to_string(kDefaultFee));
  cmd->add_option("--memo", a->memo, "memo text (at most 256 bytes)");
  cmd->add_flag("--no-wait", a->no_wait, "return after admission to the mempool");
  cmd->add_option("--timeout", a->timeout_s, "seconds to wait for the commit")
      ->default_str("30")
      ->check(CLI::Range(1, 600));
  out->push_back({cmd, [&g, a] { return Send(g, *a); }});
}

void AddStatus(CLI::App* app, const Globals& g, std::vector<Command>* out) {
  CLI::App* cmd = app->add_subcommand("status", "the node's chain and latest block");
  out->push_back({cmd, [&g] { return StatusCmd(g); }});
}

void AddBlock(CLI::App* app, const Globals& g, std::vector<Command>* out) {
  auto which = std::make_shared<std::string>();
  CLI::App* cmd = app->add_subcommand("block", "a committed block");
  cmd->add_option("HEIGHT", *which, "height or 'latest'")->required();
  out->push_back({cmd, [&g, which] { return BlockCmd(g, *which); }});
}

void AddTx(CLI::App* app, const Globals& g, std::vector<Command>* out) {
  auto hash = std::make_shared<std::string>();
  CLI::App* cmd = app->add_subcommand("tx", "a transaction by hash");
  cmd->add_option("HASH", *hash, "transaction hash (64 hex digits)")->required();
  out->push_back({cmd, [&g, hash] { return TxCmd(g, *hash); }});
}

// Every subcommand, in the order `hito --help` lists them.
std::vector<Command> AddCommands(CLI::App* app, const Globals& g) {
  std::vector<Command> commands;
  AddKeys(app, g, &commands);
  AddBalance(app, g, &commands);
  AddSend(app, g, &commands);
  AddStatus(app, g, &commands);
  AddBlock(app, g, &commands);
  AddTx(app, g, &commands);
  AddPersonhoodCommands(app, g, &commands);
  AddGovernanceCommands(app, g, &commands);
  return commands;
}

// The exit code when parsing ends the run (help, or a usage error), else nothing.
std::optional<int> Parse(CLI::App* app, int argc, char** argv) {
  try {
    app->parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app->exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app->exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    for (char& c : what) {
      if (c == '\n') c = ' ';
    }
    std::cerr << "error: " << what << " (see hito --help)\n";
    return kExitUsage;
  }
  return std::nullopt;
}

// Prints the result (JSON or text) or the error, wipes a printed seed, and returns the
// exit code.
int Report(const Globals& g, CmdResult* r) {
  if (auto* f = std::get_if<Failure>(r)) {
    std::string msg = f->status.message();
    for (char& c : msg) {
      if (c == '\n') c = ' ';
    }
    std::cerr << "error: " << msg << " (" << StatusCodeName(f->status.code()) << ")\n";
    return f->usage ? kExitUsage : kExitFailure;
  }
  auto& out = std::get<Output>(*r);
  if (g.json) {
    std::cout << out.json.dump() << "\n";
  } else {
    std::cout << out.text << "\n";
  }
  std::cout.flush();
  if (out.json.contains("seed")) {
    std::string& seed = out.json["seed"].get_ref<std::string&>();
    SecureWipe(seed.data(), seed.size());
    SecureWipe(out.text.data(), out.text.size());
  }
  return kExitOk;
}

}  // namespace

Result<Ed25519PrivateKey> UnlockKey(const Globals& g, const std::string& name, SecretKind kind) {
  Keystore ks(g.home, kind);
  HITO_RETURN_IF_ERROR(ks.Info(name).status());
  HITO_ASSIGN_OR_RETURN(SecretString pass, GetPassphrase(name, PassphraseUse::kUnlock));
  return ks.Open(name, pass, KdfStrengthFromEnv() == KdfStrength::kInsecureFast);
}

// An address, or the name of a key in the keystore.
Result<std::string> ResolveAddress(const Globals& g, const std::string& arg) {
  if (arg.starts_with("hito1") || arg.starts_with("HITO1")) {
    auto id = DecodeAddress(arg);
    if (!id.ok())
      return InvalidArgumentError("invalid address '" + arg + "': " + id.status().message());
    return EncodeAddress(*id);
  }
  if (!ValidateKeyName(arg).ok()) {
    return InvalidArgumentError("'" + arg + "' is neither a hito1... address nor a key name");
  }
  auto info = Keystore(g.home).Info(arg);
  if (!info.ok()) {
    return InvalidArgumentError("'" + arg + "' is not an address and " + info.status().message());
  }
  return AddressOf(info->public_key);
}

int RunCli(int argc, char** argv) {
  Globals g;
  CLI::App app{"hito: wallet and client of the hito chain (docs/cli.md)", "hito"};
  app.fallthrough();
  app.require_subcommand(1);
  AddGlobalFlags(&app, &g);
  const std::vector<Command> commands = AddCommands(&app, g);
  if (std::optional<int> exit_code = Parse(&app, argc, argv)) return *exit_code;
  if (g.home.empty()) g.home = DefaultHome();

  CmdResult r = Fail(InternalError("no command"));
  for (const Command& c : commands) {
    if (c.app->parsed()) {
      r = c.run();
      break;
    }
  }
  return Report(g, &r);
}

}  // namespace hito::wallet
