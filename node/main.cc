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

int RunNode(const std::filesystem::path& home, const std::optional<std::string>& grpc_addr,
            const sigset_t& stop_signals, const std::function<void(const node::Node&)>& banner) {
  Result<node::NodeConfig> cfg = node::LoadConfig(node::HomePaths{home}.config());
  if (cfg.ok()) spdlog::set_level(spdlog::level::from_str(cfg->log_level));
  node::NodeOptions options;
  options.home = home;
  options.grpc_addr = grpc_addr;
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

}  // namespace

int main(int argc, char** argv) {
  hito::InitCrypto();
  const sigset_t stop_signals = BlockStopSignals();
  spdlog::set_default_logger(spdlog::stderr_color_mt("hitod"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  // A fatal stop anywhere (base/fatal.h) goes to the node's log, flushed before abort.
  hito::SetFatalLogHook([](std::string_view line) {
    spdlog::critical("{}", line);
    spdlog::shutdown();
  });

  CLI::App app{"hitod: the hito node"};
  app.set_version_flag("--version", std::string(node::kNodeVersion));
  app.require_subcommand(1);

  std::string home;
  std::string chain_id = "hito-local";
  std::string grpc_addr;

  CLI::App* init = app.add_subcommand("init", "Create a node home: key, genesis, config");
  init->add_option("--home", home, "Home folder (created; must not exist or be empty)")->required();
  init->add_option("--chain-id", chain_id, "Chain id")->capture_default_str();
  std::vector<std::string> fund;
  init->add_option("--fund", fund, "Extra genesis account ADDRESS=UNITS (repeatable)");
  std::string init_grpc;
  init->add_option("--grpc-addr", init_grpc, "gRPC address written to config.toml");

  CLI::App* start = app.add_subcommand("start", "Run the node of a home");
  start->add_option("--home", home, "Home folder made by `hitod init`")->required();
  start->add_option("--grpc-addr", grpc_addr, "gRPC listen HOST:PORT (overrides config)");

  CLI::App* dev = app.add_subcommand("dev", "One-command dev chain with a funded dev account");
  dev->add_option("--home", home, "Home folder (default: a new temporary folder)");
  dev->add_option("--grpc-addr", grpc_addr, "gRPC listen HOST:PORT (overrides config)");
  CLI::Option* dev_chain =
      dev->add_option("--chain-id", chain_id, "Chain id when creating the home (default hito-dev)");

  CLI::App* testnet =
      app.add_subcommand("testnet", "Write the homes of a local multi-validator chain");
  uint32_t tn_validators = 4;
  std::string tn_out;
  uint16_t tn_base_port = 26600;
  std::string tn_chain = "hito-testnet";
  testnet->add_option("--validators", tn_validators, "Number of validators")->capture_default_str();
  testnet->add_option("--out", tn_out, "Output folder (created; must not exist or be empty)")
      ->required();
  testnet->add_option("--base-port", tn_base_port, "Node i: gRPC base+2i, p2p base+2i+1")
      ->capture_default_str();
  testnet->add_option("--chain-id", tn_chain, "Chain id")->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  std::optional<std::string> addr;
  if (!grpc_addr.empty()) addr = grpc_addr;

  if (init->parsed()) {
    node::InitOptions o;
    o.chain_id = chain_id;
    if (!init_grpc.empty()) o.config.grpc_addr = init_grpc;
    for (const std::string& f : fund) {
      size_t eq = f.find('=');
      if (eq == std::string::npos)
        return Fail(hito::InvalidArgumentError("--fund wants ADDRESS=UNITS"));
      Result<hito::Hash32> id = hito::DecodeAddress(f.substr(0, eq));
      if (!id.ok()) return Fail(id.status().WithContext("--fund address"));
      uint64_t units = 0;
      try {
        size_t used = 0;
        units = std::stoull(f.substr(eq + 1), &used);
        if (used != f.size() - eq - 1) throw std::invalid_argument("trailing");
      } catch (const std::exception&) {
        return Fail(hito::InvalidArgumentError("--fund: bad amount in " + f));
      }
      o.accounts.push_back({*id, units});
    }
    Result<node::InitResult> r = node::InitHome(home, o);
    if (!r.ok()) return Fail(r.status());
    std::printf("initialised %s\nchain id: %s\nvalidator: %s\n", home.c_str(), chain_id.c_str(),
                r->validator_address.c_str());
    return 0;
  }

  if (start->parsed()) return RunNode(home, addr, stop_signals, nullptr);

  if (testnet->parsed()) {
    node::TestnetOptions o;
    o.validators = tn_validators;
    o.out = tn_out;
    o.base_port = tn_base_port;
    o.chain_id = tn_chain;
    Result<std::vector<node::TestnetNode>> r = node::WriteTestnet(o);
    if (!r.ok()) return Fail(r.status());
    std::printf("testnet %s: %u validators in %s (dev key: %s/dev.key, list: %s/nodes.json)\n",
                tn_chain.c_str(), tn_validators, tn_out.c_str(), tn_out.c_str(), tn_out.c_str());
    for (const node::TestnetNode& n : *r) {
      std::printf("  %s  grpc %s  p2p %s\n", n.home.c_str(), n.grpc_addr.c_str(),
                  n.p2p_addr.c_str());
    }
    return 0;
  }

  // dev
  std::filesystem::path dev_home = home;
  if (home.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hitod-dev-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      return Fail(hito::InternalError("cannot create a temporary home"));
    }
    dev_home = tmpl;
  }
  node::HomePaths paths{dev_home};
  std::error_code ec;
  if (!std::filesystem::exists(paths.config(), ec)) {
    node::InitOptions o;
    o.chain_id = dev_chain->count() > 0 ? chain_id : "hito-dev";
    o.dev_account = true;
    if (addr) o.config.grpc_addr = *addr;
    Result<node::InitResult> r = node::InitHome(dev_home, o);
    if (!r.ok()) return Fail(r.status());
  }
  Result<hito::Ed25519PrivateKey> dev_key = node::ReadSeedFile(paths.dev_key());
  if (!dev_key.ok()) return Fail(dev_key.status().WithContext("dev home without dev.key"));
  const std::string dev_address =
      hito::EncodeAddress(hito::consensus::types::AccountIdFromPublicKey(dev_key->public_key()));
  return RunNode(dev_home, addr, stop_signals, [&](const node::Node& n) {
    std::string host = n.config().grpc_addr.substr(0, n.config().grpc_addr.rfind(':'));
    std::printf(
        "hitod dev chain\n  chain id:    %s\n  grpc:        %s:%d\n  home:        %s\n"
        "  dev address: %s\n  dev key:     %s (hex seed; import with "
        "`hito keys import NAME --seed-file %s`)\n",
        n.chain_id().c_str(), host.c_str(), n.grpc_port(), dev_home.c_str(), dev_address.c_str(),
        paths.dev_key().c_str(), paths.dev_key().c_str());
    std::fflush(stdout);
  });
}
