#include "node/node.h"

#include <spdlog/spdlog.h>

#include "base/bech32m.h"
#include "base/hex.h"
#include "node/chain/bft_engine.h"
#include "node/chain/solo_engine.h"
#include "node/config/dedup_keys.h"

namespace hito::node {

namespace types = consensus::types;

namespace {

bool InSomeSet(const consensus::ledger::Genesis& g, const Ed25519PublicKey& key) {
  if (g.validators.IndexOf(key)) return true;
  for (const consensus::ledger::ValidatorSetChange& c : g.validator_schedule) {
    if (c.set.IndexOf(key)) return true;
  }
  return false;
}

}  // namespace

Result<std::unique_ptr<Node>> Node::Open(const NodeOptions& options) {
  std::unique_ptr<Node> node(new Node());
  config::HomePaths paths{options.home};
  HITO_ASSIGN_OR_RETURN(node->config_, config::LoadConfig(paths.config()));
  if (options.grpc_addr) node->config_.grpc_addr = *options.grpc_addr;
  if (options.metrics_addr) {
    // Checked before anything opens, as config.toml's value is.
    Result<config::HostPort> metrics = config::SplitHostPort(*options.metrics_addr);
    if (!metrics.ok()) return metrics.status().WithContext("--metrics-addr");
    node->config_.metrics_addr = *options.metrics_addr;
  }
  HITO_ASSIGN_OR_RETURN(std::string genesis_text, ReadFile(paths.genesis()));
  Result<consensus::ledger::Genesis> genesis_r = config::ParseGenesisJson(genesis_text);
  if (!genesis_r.ok()) return genesis_r.status().WithContext(paths.genesis().string());
  consensus::ledger::Genesis genesis = std::move(genesis_r).value();
  const Hash32 genesis_hash = config::GenesisHash(genesis_text);
  node->chain_id_ = genesis.chain_id;
  HITO_ASSIGN_OR_RETURN(Ed25519PrivateKey key, config::ReadSeedFile(paths.validator_key()));
  // A validator that joins later (by the schedule or by governance's add_validator)
  // starts as a follower: it catches up by block sync and signs from the height a set
  // names it.
  if (!genesis.validators.IndexOf(key.public_key())) {
    spdlog::warn(
        InSomeSet(genesis, key.public_key())
            ? "validator.key is not in the genesis validator set: this node follows the chain "
              "and signs from the height the validator schedule adds it"
            : "validator.key is in no validator set known at genesis: this node follows the "
              "chain and signs only if governance adds it (check the key if it should sign now)");
  }
  const Ed25519PublicKey validator = key.public_key();

  HITO_ASSIGN_OR_RETURN(node->store_, store::Store::Open(paths.data()));
  HITO_ASSIGN_OR_RETURN(chain::ChainTip tip,
                        chain::RecoverChain(node->store_.get(), genesis, genesis_hash));
  spdlog::info("chain {} at height {}, state root {}", node->chain_id_, tip.height,
               HexEncode(tip.state_root));

  store::Store* store = node->store_.get();
  node->prepared_sets_ =
      std::make_unique<chain::PreparedSetCache>(node->config_.prepared_set_cache_bytes);
  node->mempool_ = std::make_unique<mempool::Mempool>(
      node->chain_id_,
      mempool::MempoolLimits{.max_txs = node->config_.mempool_max_txs,
                             .max_bytes = node->config_.mempool_max_bytes,
                             .max_txs_per_sender = node->config_.mempool_max_txs_per_sender,
                             .max_bytes_per_sender = node->config_.mempool_max_bytes_per_sender,
                             .tx_ttl_ms = node->config_.mempool_tx_ttl_ms},
      store->State(), [store](const Hash32& h) { return store->GetTx(h); });
  node->events_ = std::make_unique<chain::CommitEvents>(options.max_tx_waiters);
  node->app_ = std::make_unique<chain::ChainApp>(node->chain_id_, std::move(tip), store,
                                                 node->mempool_.get(), node->events_.get());
  node->mempool_->SetPreparedSets(node->prepared_sets_.get());
  node->app_->SetPreparedSets(node->prepared_sets_.get());
  // One validator for ever: the solo engine. Any schedule of set changes needs BFT.
  if (genesis.validators.size() == 1 && genesis.validator_schedule.empty()) {
    auto solo = std::make_unique<chain::SoloEngine>(
        node->chain_id_, genesis.validators, std::move(key), node->app_.get(),
        chain::SoloEngineOptions{node->config_.block_interval_ms, node->config_.block_max_txs,
                                 node->config_.block_max_bytes});
    node->solo_ = solo.get();
    node->engine_ = std::move(solo);
  } else {
    HITO_RETURN_IF_ERROR(node->OpenBft(options, genesis_hash, std::move(key)));
    spdlog::info("BFT consensus with {} validators", genesis.validators.size());
  }
  HITO_RETURN_IF_ERROR(node->OpenDkg(options));
  HITO_RETURN_IF_ERROR(node->StartRpc(options, genesis_hash, validator));
  HITO_RETURN_IF_ERROR(node->StartMetrics(options));
  return node;
}

Status Node::OpenBft(const NodeOptions& options, const Hash32& genesis_hash,
                     Ed25519PrivateKey key) {
  chain::ConsensusTransport* transport = options.transport;
  if (transport == nullptr) {
    // The peer network; the node key is the validator key (docs/protocol/p2p.md).
    HITO_ASSIGN_OR_RETURN(p2p::PeerNetworkConfig pc,
                          chain::PeerNetworkConfigFor(config_, chain_id_, genesis_hash));
    HITO_ASSIGN_OR_RETURN(Ed25519PrivateKey node_key,
                          config::ReadSeedFile(config::HomePaths{options.home}.validator_key()));
    auto net = std::make_unique<chain::P2pTransport>(std::move(pc), std::move(node_key),
                                                     app_->Tip().height, mempool_.get());
    Status started = net->Start();
    if (!started.ok()) return started.WithContext("p2p listen " + config_.p2p_addr);
    spdlog::info("p2p listening on {} with {} peers", config_.p2p_addr, config_.peers.size());
    transport = net.get();
    own_transport_ = std::move(net);
  }
  chain::BftEngineOptions bo;
  bo.block_max_txs = config_.block_max_txs;
  bo.block_max_bytes = config_.block_max_bytes;
  bo.commit_wait_ms = config_.block_interval_ms;
  bo.bft.timeouts = config_.timeouts;
  HITO_ASSIGN_OR_RETURN(engine_, chain::BftEngine::Open(options.home, chain_id_, std::move(key),
                                                        app_.get(), store_.get(), transport, bo));
  return Status::Ok();
}

Status Node::OpenDkg(const NodeOptions& options) {
  config::HomePaths paths{options.home};
  HITO_ASSIGN_OR_RETURN(Ed25519PrivateKey key, config::ReadSeedFile(paths.validator_key()));
  mempool::Mempool* pool = mempool_.get();
  mempool::TxRelay* relay = own_transport_.get();
  // The driver's messages enter like a client's: admitted here, then gossiped.
  auto submit = [pool, relay](ByteView tx) -> Status {
    mempool::AdmitOutcome o = pool->Admit(tx);
    if (!o.storage_error.ok()) return o.storage_error;
    if (o.ok()) {
      if (relay != nullptr && o.admitted) relay->Relay(o.admitted);
      return Status::Ok();
    }
    if (o.code == consensus::ledger::TxCode::kAlreadyKnown) return Status::Ok();
    return FailedPreconditionError(
        "dkg message refused: " + std::string(consensus::ledger::TxCodeName(o.code)) + ": " +
        o.message);
  };
  Result<std::unique_ptr<dedup::DkgDriver>> driver = dedup::DkgDriver::Open(
      dedup::DkgDriverOptions{.chain_id = chain_id_, .share_path = paths.dedup_share()},
      std::move(key), store_.get(), &dedup_keyring_, std::move(submit));
  if (!driver.ok()) return driver.status().WithContext("dedup keys");
  dkg_ = std::move(driver).value();
  dedup::DkgDriver* d = dkg_.get();
  dkg_subscription_ = events_->Subscribe([d](uint64_t height) { d->OnCommit(height); });
  return Status::Ok();
}

Status Node::StartRpc(const NodeOptions& options, const Hash32& genesis_hash,
                      const Ed25519PublicKey& validator) {
  rpc::RpcBackend backend;
  backend.dedup_keyring = &dedup_keyring_;
  backend.chain_id = chain_id_;
  backend.genesis_hash = genesis_hash;
  backend.validator = validator;
  backend.store = store_.get();
  backend.mempool = mempool_.get();
  backend.events = events_.get();
  backend.app = app_.get();
  backend.relay = own_transport_.get();  // RPC-admitted txs are gossiped to the peers
  HITO_ASSIGN_OR_RETURN(rpc_,
                        rpc::RpcServer::Start(config_.grpc_addr, std::move(backend), options.rpc));
  spdlog::info("gRPC listening on {} (port {}), validator {}", config_.grpc_addr, rpc_->port(),
               EncodeAddress(types::AccountIdFromPublicKey(validator)));
  return Status::Ok();
}

Status Node::StartMetrics(const NodeOptions& options) {
  if (config_.metrics_addr.empty()) return Status::Ok();
  rpc::MetricsSources sources;
  sources.chain_id = chain_id_;
  sources.store = store_.get();
  sources.app = app_.get();
  sources.mempool = mempool_.get();
  sources.rpc = rpc_.get();
  sources.network = own_transport_ ? &own_transport_->network() : nullptr;
  auto render = [sources]() -> Result<std::string> {
    HITO_ASSIGN_OR_RETURN(rpc::MetricsSnapshot snapshot, rpc::GatherMetrics(sources));
    return rpc::RenderMetrics(snapshot);
  };
  Result<std::unique_ptr<rpc::MetricsHttpServer>> server =
      rpc::MetricsHttpServer::Start(config_.metrics_addr, std::move(render), options.metrics);
  if (!server.ok()) return server.status().WithContext("metrics endpoint");
  metrics_ = std::move(server).value();
  spdlog::info("metrics listening on {} (port {}): GET /metrics", config_.metrics_addr,
               metrics_->port());
  return Status::Ok();
}

void Node::StartEngine() {
  if (dkg_) dkg_->Start();
  if (engine_) engine_->Start();
}

void Node::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (metrics_) metrics_->Stop();
  if (engine_) engine_->Stop();
  if (dkg_) {
    events_->Unsubscribe(dkg_subscription_);
    dkg_->Stop();
  }
  if (own_transport_) own_transport_->Stop();
  if (events_) events_->Shutdown();
  if (rpc_) rpc_->Shutdown();
}

Node::~Node() { Stop(); }

}  // namespace hito::node
