// Node: one hitod process's parts, wired together in dependency order.
//
// Open loads the home (config.toml, genesis.json, validator.key), opens the store,
// recovers (genesis on a fresh database; re-applying a block whose state batch is
// missing), builds the mempool, CommitEvents, the ChainApp and the SoloEngine, and starts
// the gRPC server. StartEngine starts block production. Stop shuts down in reverse:
// engine first (no block in progress), then waiters, then the gRPC server.
#ifndef HITO_NODE_NODE_H_
#define HITO_NODE_NODE_H_

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "node/chain/bft_engine.h"
#include "node/chain/chain_app.h"
#include "node/chain/commit_events.h"
#include "node/chain/prepared_set_cache.h"
#include "node/chain/solo_engine.h"
#include "node/config/config.h"
#include "node/mempool/mempool.h"
#include "node/rpc/server.h"
#include "node/store/store.h"

namespace hito::node {

struct NodeOptions {
  std::filesystem::path home;
  std::optional<std::string> grpc_addr;  // overrides config.toml
  RpcOptions rpc;
  size_t max_tx_waiters = 100'000;
  // The peer network for a multi-validator genesis (not owned; must outlive the node).
  // Unset: a transport that reaches no peer (logged), until node/p2p is wired in.
  ConsensusTransport* transport = nullptr;
};

class Node {
 public:
  static Result<std::unique_ptr<Node>> Open(const NodeOptions& options);
  ~Node();

  void StartEngine();
  void Stop();

  int grpc_port() const { return rpc_->port(); }
  RpcServer* rpc() { return rpc_.get(); }
  const NodeConfig& config() const { return config_; }
  const std::string& chain_id() const { return chain_id_; }
  // The engine in use: SoloEngine for a one-validator genesis, BftEngine otherwise.
  SoloEngine* engine() { return engine_.get(); }
  BftEngine* bft_engine() { return bft_.get(); }
  Mempool* mempool() { return mempool_.get(); }
  Store* store() { return store_.get(); }
  ChainApp* app() { return app_.get(); }

 private:
  Node() = default;
  // The BFT engine and, unless options.transport is given, the peer network it talks over.
  Status OpenBft(const NodeOptions& options, const Hash32& genesis_hash, Ed25519PrivateKey key);
  // The public gRPC server over the opened parts.
  Status StartRpc(const NodeOptions& options, const Hash32& genesis_hash,
                  const Ed25519PublicKey& validator);
  NodeConfig config_;
  std::string chain_id_;
  std::unique_ptr<Store> store_;
  // Shared by the mempool's and the executor's ledgers; outlives both.
  std::unique_ptr<PreparedSetCache> prepared_sets_;
  std::unique_ptr<Mempool> mempool_;
  std::unique_ptr<CommitEvents> events_;
  std::unique_ptr<ChainApp> app_;
  std::unique_ptr<SoloEngine> engine_;
  std::unique_ptr<ConsensusTransport> own_transport_;
  TxRelay* relay_ = nullptr;  // own_transport_ when it is the peer network
  std::unique_ptr<BftEngine> bft_;
  std::unique_ptr<RpcServer> rpc_;
  bool stopped_ = false;
};

}  // namespace hito::node

#endif  // HITO_NODE_NODE_H_
