// Node: one hitod process's parts, wired together in dependency order.
//
// Open loads the home (config.toml, genesis.json, validator.key), opens the store,
// recovers (genesis on a fresh database; re-applying a block whose state batch is
// missing), builds the mempool, CommitEvents, the ChainApp and the one engine the genesis
// calls for (SoloEngine for a single validator, BftEngine over the peer network otherwise;
// the node owns that network and hands it to the engine), and starts the gRPC server.
// The DKG driver (node/dedup) loads the dedup key set and this validator's share and
// follows the chain's DKG and resharing sessions. StartEngine starts block production and
// the driver. With `rpc.metrics_addr` set (or NodeOptions::metrics_addr) the metrics
// endpoint (node/rpc/metrics_http.h) starts last. Stop shuts down in reverse: the metrics
// endpoint (it reads every other part), the engine (no block in progress), then the DKG
// driver, the peer network, waiters, and the gRPC server.
#ifndef HITO_NODE_NODE_H_
#define HITO_NODE_NODE_H_

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "node/chain/chain_app.h"
#include "node/chain/commit_events.h"
#include "node/chain/engine.h"
#include "node/chain/p2p_transport.h"
#include "node/chain/prepared_set_cache.h"
#include "node/chain/solo_engine.h"
#include "node/config/config.h"
#include "node/dedup/dkg_driver.h"
#include "node/dedup/keyring.h"
#include "node/mempool/mempool.h"
#include "node/rpc/metrics_http.h"
#include "node/rpc/server.h"
#include "node/store/store.h"

namespace hito::node {

struct NodeOptions {
  std::filesystem::path home;
  std::optional<std::string> grpc_addr;  // overrides config.toml
  rpc::RpcOptions rpc;
  // Overrides config.toml's rpc.metrics_addr (a HOST:PORT; port 0 picks a free one).
  std::optional<std::string> metrics_addr;
  rpc::MetricsHttpOptions metrics;
  size_t max_tx_waiters = 100'000;
  // The peer network for a multi-validator genesis (not owned; must outlive the node).
  // Unset: the node opens its own (a P2pTransport over node/p2p, from config.toml).
  chain::ConsensusTransport* transport = nullptr;
};

class Node {
 public:
  static Result<std::unique_ptr<Node>> Open(const NodeOptions& options);
  ~Node();

  void StartEngine();
  void Stop();

  int grpc_port() const { return rpc_->port(); }
  // The metrics endpoint's port; 0 when it is off.
  int metrics_port() const { return metrics_ ? metrics_->port() : 0; }
  rpc::RpcServer* rpc() { return rpc_.get(); }
  const config::NodeConfig& config() const { return config_; }
  const std::string& chain_id() const { return chain_id_; }
  // The engine in use: SoloEngine for a one-validator genesis, BftEngine otherwise.
  chain::Engine* engine() { return engine_.get(); }
  // The engine when it is the SoloEngine (tests produce blocks with it by hand), else null.
  chain::SoloEngine* solo_engine() { return solo_; }
  mempool::Mempool* mempool() { return mempool_.get(); }
  store::Store* store() { return store_.get(); }
  chain::ChainApp* app() { return app_.get(); }

 private:
  Node() = default;
  // The BFT engine and, unless options.transport is given, the peer network it talks over.
  Status OpenBft(const NodeOptions& options, const Hash32& genesis_hash, Ed25519PrivateKey key);
  // The DKG driver over the committed state, which fills the dedup keyring (the
  // chain's key set and this validator's share of it) before the RPC serves it.
  Status OpenDkg(const NodeOptions& options);
  // The public gRPC server over the opened parts, with DedupService on the keyring.
  Status StartRpc(const NodeOptions& options, const Hash32& genesis_hash,
                  const Ed25519PublicKey& validator);
  // The metrics endpoint on config_.metrics_addr, if set, over the opened parts.
  Status StartMetrics(const NodeOptions& options);
  config::NodeConfig config_;
  std::string chain_id_;
  std::unique_ptr<store::Store> store_;
  // Shared by the mempool's and the executor's ledgers; outlives both.
  std::unique_ptr<chain::PreparedSetCache> prepared_sets_;
  std::unique_ptr<mempool::Mempool> mempool_;
  std::unique_ptr<chain::CommitEvents> events_;
  std::unique_ptr<chain::ChainApp> app_;
  // The peer network, unless options.transport was given; declared before engine_, which
  // talks over it, so that it outlives the engine.
  std::unique_ptr<chain::P2pTransport> own_transport_;
  std::unique_ptr<chain::Engine> engine_;
  chain::SoloEngine* solo_ = nullptr;  // engine_, when it is the SoloEngine
  dedup::DedupKeyring dedup_keyring_;
  std::unique_ptr<dedup::DkgDriver> dkg_;
  uint64_t dkg_subscription_ = 0;
  std::unique_ptr<rpc::RpcServer> rpc_;
  // Reads the parts above; declared after them, so destroyed first.
  std::unique_ptr<rpc::MetricsHttpServer> metrics_;
  bool stopped_ = false;
};

}  // namespace hito::node

#endif  // HITO_NODE_NODE_H_
