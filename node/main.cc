// hitod: the hito node. Commands: init, start, dev, testnet (docs/operator.md).
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "base/bech32m.h"
#include "base/fatal.h"
#include "base/hash.h"
#include "consensus/types/transaction.h"
#include "node/config/config.h"
#include "node/config/testnet.h"
#include "node/node.h"
#include "node/version.h"

namespace {

using hito::Result;
using hito::Status;
namespace node = hito::node;

std::optional<std::string> OptionalString(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

int Fail(const Status& s) {
  std::fprintf(stderr, "hitod: %s\n", s.ToString().c_str());
  return 1;
}

// Blocks SIGINT and SIGTERM in every thread (call before starting any), so that
// WaitForSignal receives them synchronously.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// Listen addresses given on the command line; each overrides config.toml's when set.
struct AddrFlags {
  std::string grpc;
  std::string metrics;

  void Add(CLI::App* cmd) {
    cmd->add_option("--grpc-addr", grpc, "gRPC listen HOST:PORT (overrides config)");
    cmd->add_option("--metrics-addr", metrics,
                    "Prometheus metrics listen HOST:PORT, GET /metrics (overrides config; "
                    "off unless set here or in config)");
  }
};

int RunNode(const std::filesystem::path& home, const AddrFlags& addrs, const sigset_t& stop_signals,
            const std::function<void(const node::Node&)>& banner) {
  Result<node::config::NodeConfig> cfg =
      node::config::LoadConfig(node::config::HomePaths{home}.config());
  if (cfg.ok()) spdlog::set_level(spdlog::level::from_str(cfg->log_level));
  node::NodeOptions options;
  options.home = home;
  options.grpc_addr = OptionalString(addrs.grpc);
  options.metrics_addr = OptionalString(addrs.metrics);
  auto opened = node::Node::Open(options);
  if (!opened.ok()) return Fail(opened.status());
  std::unique_ptr<node::Node> n = std::move(opened).value();
  if (banner) banner(*n);
  n->StartEngine();
  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
  n->Stop();
  n.reset();
  spdlog::info("stopped cleanly");
  return 0;
}

// The test-registry options of `dev` and `testnet` (node/config/test_identities.h).
void AddTestRegistryOptions(CLI::App* cmd, node::config::TestRegistryOptions* o) {
  cmd->add_option("--identities", o->identities,
                  "Register N test identities at genesis, with secrets derived by a public rule "
                  "and written to identities.secrets (tests and benchmarks only)");
  cmd->add_option("--cohort-bits", o->cohort_bits, "Cohorts of 2^B identities (default: dev's)");
  cmd->add_option("--epoch-blocks", o->epoch_blocks, "Blocks per epoch (default: dev's)");
  cmd->add_option("--claim-window", o->claim_window, "Epochs open to claims (default: dev's)");
}

// ---- hitod init ----
struct InitCommand {
  CLI::App* cmd = nullptr;
  std::string home;
  std::string chain_id = "hito-local";
  std::vector<std::string> fund;
  std::string grpc_addr;

  void Add(CLI::App& app) {
    cmd = app.add_subcommand("init", "Create a node home: key, genesis, config");
    cmd->add_option("--home", home, "Home folder (created; must not exist or be empty)")
        ->required();
    cmd->add_option("--chain-id", chain_id, "Chain id")->capture_default_str();
    cmd->add_option("--fund", fund, "Extra genesis account ADDRESS=UNITS (repeatable)");
    cmd->add_option("--grpc-addr", grpc_addr, "gRPC address written to config.toml");
  }

  // One --fund value, ADDRESS=UNITS.
  static Result<hito::consensus::ledger::GenesisAccount> ParseFund(const std::string& f) {
    size_t eq = f.find('=');
    if (eq == std::string::npos) return hito::InvalidArgumentError("--fund wants ADDRESS=UNITS");
    Result<hito::Hash32> id = hito::DecodeAddress(f.substr(0, eq));
    if (!id.ok()) return id.status().WithContext("--fund address");
    uint64_t units = 0;
    try {
      size_t used = 0;
      units = std::stoull(f.substr(eq + 1), &used);
      if (used != f.size() - eq - 1) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      return hito::InvalidArgumentError("--fund: bad amount in " + f);
    }
    return hito::consensus::ledger::GenesisAccount{*id, units};
  }

  int Run() const {
    node::config::InitOptions o;
    o.chain_id = chain_id;
    if (!grpc_addr.empty()) o.config.grpc_addr = grpc_addr;
    for (const std::string& f : fund) {
      Result<hito::consensus::ledger::GenesisAccount> account = ParseFund(f);
      if (!account.ok()) return Fail(account.status());
      o.accounts.push_back(*account);
    }
    Result<node::config::InitResult> r = node::config::InitHome(home, o);
    if (!r.ok()) return Fail(r.status());
    std::printf("initialised %s\nchain id: %s\nvalidator: %s\n", home.c_str(), chain_id.c_str(),
                r->validator_address.c_str());
    return 0;
  }
};

// ---- hitod start ----
struct StartCommand {
  CLI::App* cmd = nullptr;
  std::string home;
  AddrFlags addrs;

  void Add(CLI::App& app) {
    cmd = app.add_subcommand("start", "Run the node of a home");
    cmd->add_option("--home", home, "Home folder made by `hitod init`")->required();
    addrs.Add(cmd);
  }

  int Run(const sigset_t& stop_signals) const {
    return RunNode(home, addrs, stop_signals, nullptr);
  }
};

// dev and testnet deal the dedup OPRF key themselves: say loudly that this is not how a
// real network may get it.
void WarnDealtDedupKey() {
  std::fprintf(stderr,
               "WARNING: the dedup OPRF key of this chain was DEALT by this process (a trusted "
               "dealer that knew the whole key).\nWARNING: that is for dev and test chains "
               "only; a real network needs the distributed key generation "
               "(docs/protocol/dkg.md, docs/operator.md).\n");
}

// ---- hitod testnet ----
struct TestnetCommand {
  CLI::App* cmd = nullptr;
  node::config::TestnetOptions o;
  std::string out;

  void Add(CLI::App& app) {
    cmd = app.add_subcommand("testnet", "Write the homes of a local multi-validator chain");
    cmd->add_option("--validators", o.validators, "Number of validators")->capture_default_str();
    cmd->add_option("--out", out, "Output folder (created; must not exist or be empty)")
        ->required();
    cmd->add_option("--base-port", o.base_port, "Node i: gRPC base+2i, p2p base+2i+1")
        ->capture_default_str();
    cmd->add_option("--chain-id", o.chain_id, "Chain id")->capture_default_str();
    cmd->add_option("--attesters", o.attesters,
                    "Accredited attesters (keys attester.key, attester2.key, ...)")
        ->capture_default_str();
    cmd->add_flag("--dedup-dkg", o.dedup_dkg,
                  "The validators generate the dedup key on chain (no dealer, no dedup.share "
                  "until it forms at block 3 * --dkg-phase-blocks)");
    cmd->add_option("--dkg-phase-blocks", o.dkg_phase_blocks,
                    "Blocks per DKG phase, with --dedup-dkg")
        ->capture_default_str();
    AddTestRegistryOptions(cmd, &o.test_registry);
  }

  int Run() {
    o.out = out;
    Result<std::vector<node::config::TestnetNode>> r = node::config::WriteTestnet(o);
    if (!r.ok()) return Fail(r.status());
    if (o.dedup_dkg) {
      std::printf("the dedup key forms on chain at block %llu (a DKG among the validators)\n",
                  static_cast<unsigned long long>(3 * o.dkg_phase_blocks));
    } else {
      WarnDealtDedupKey();
    }
    std::printf(
        "testnet %s: %u validators in %s (dev key: %s/dev.key, attester key: "
        "%s/attester.key, list: %s/nodes.json)\n",
        o.chain_id.c_str(), o.validators, out.c_str(), out.c_str(), out.c_str(), out.c_str());
    for (const node::config::TestnetNode& n : *r) {
      std::printf("  %s  grpc %s  p2p %s\n", n.home.c_str(), n.grpc_addr.c_str(),
                  n.p2p_addr.c_str());
    }
    return 0;
  }
};

// ---- hitod dev ----
struct DevCommand {
  CLI::App* cmd = nullptr;
  CLI::Option* chain_option = nullptr;
  std::string home;
  AddrFlags addrs;
  std::string chain_id;
  node::config::TestRegistryOptions test_registry;

  void Add(CLI::App& app) {
    cmd = app.add_subcommand("dev", "One-command dev chain with a funded dev account");
    cmd->add_option("--home", home, "Home folder (default: a new temporary folder)");
    addrs.Add(cmd);
    chain_option = cmd->add_option("--chain-id", chain_id,
                                   "Chain id when creating the home (default hito-dev)");
    AddTestRegistryOptions(cmd, &test_registry);
  }

  // The home to run: --home, or a new temporary folder.
  Result<std::filesystem::path> Home() const {
    if (!home.empty()) return std::filesystem::path(home);
    std::string tmpl = (std::filesystem::temp_directory_path() / "hitod-dev-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      return hito::InternalError("cannot create a temporary home");
    }
    return std::filesystem::path(tmpl);
  }

  int Run(const sigset_t& stop_signals) const {
    Result<std::filesystem::path> dev_home = Home();
    if (!dev_home.ok()) return Fail(dev_home.status());
    const std::optional<std::string> addr = OptionalString(addrs.grpc);
    node::config::HomePaths paths{*dev_home};
    std::error_code ec;
    const bool exists = std::filesystem::exists(paths.config(), ec);
    if (exists && test_registry.any()) {
      return Fail(hito::InvalidArgumentError(
          "--identities, --cohort-bits, --epoch-blocks and --claim-window shape a new chain's "
          "genesis; " +
          dev_home->string() + " already holds one"));
    }
    if (!exists) {
      node::config::InitOptions o;
      o.chain_id = chain_option->count() > 0 ? chain_id : "hito-dev";
      o.dev_account = true;
      o.test_registry = test_registry;
      if (addr) o.config.grpc_addr = *addr;
      Result<node::config::InitResult> r = node::config::InitHome(*dev_home, o);
      if (!r.ok()) return Fail(r.status());
      WarnDealtDedupKey();
    }
    Result<hito::Ed25519PrivateKey> dev_key = node::config::ReadSeedFile(paths.dev_key());
    if (!dev_key.ok()) return Fail(dev_key.status().WithContext("dev home without dev.key"));
    const std::string dev_address =
        hito::EncodeAddress(hito::consensus::types::AccountIdFromPublicKey(dev_key->public_key()));
    return RunNode(*dev_home, addrs, stop_signals, [&](const node::Node& n) {
      std::string host = n.config().grpc_addr.substr(0, n.config().grpc_addr.rfind(':'));
      std::printf(
          "hitod dev chain\n  chain id:    %s\n  grpc:        %s:%d\n  home:        %s\n"
          "  dev address: %s\n  dev key:     %s (hex seed; import with "
          "`hito keys import NAME --seed-file %s`)\n  attester key: %s (the dev attester's "
          "hex seed)\n",
          n.chain_id().c_str(), host.c_str(), n.grpc_port(), dev_home->c_str(), dev_address.c_str(),
          paths.dev_key().c_str(), paths.dev_key().c_str(), paths.attester_key().c_str());
      if (n.metrics_port() != 0) {
        const std::string& m = n.config().metrics_addr;
        std::printf("  metrics:     http://%s:%d/metrics\n", m.substr(0, m.rfind(':')).c_str(),
                    n.metrics_port());
      }
      std::fflush(stdout);
    });
  }
};

void SetUpLogging() {
  spdlog::set_default_logger(spdlog::stderr_color_mt("hitod"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  // A fatal stop anywhere (base/fatal.h) goes to the node's log, flushed before abort.
  hito::SetFatalLogHook([](std::string_view line) {
    spdlog::critical("{}", line);
    spdlog::shutdown();
  });
}

}  // namespace

int main(int argc, char** argv) {
  hito::InitCrypto();
  const sigset_t stop_signals = BlockStopSignals();
  SetUpLogging();

  CLI::App app{"hitod: the hito node"};
  app.set_version_flag("--version", std::string(node::kNodeVersion));
  app.require_subcommand(1);
  InitCommand init;
  StartCommand start;
  DevCommand dev;
  TestnetCommand testnet;
  init.Add(app);
  start.Add(app);
  dev.Add(app);
  testnet.Add(app);
  CLI11_PARSE(app, argc, argv);

  if (init.cmd->parsed()) return init.Run();
  if (start.cmd->parsed()) return start.Run(stop_signals);
  if (testnet.cmd->parsed()) return testnet.Run();
  return dev.Run(stop_signals);
}
