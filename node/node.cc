#include "node/node.h"

#include <spdlog/spdlog.h>

#include "base/bech32m.h"
#include "base/hex.h"
#include "node/chain/bft_engine.h"
#include "node/chain/solo_engine.h"
#include "node/config/dedup_keys.h"

namespace hito::node {

namespace types = consensus::types;

Result<std::unique_ptr<Node>> Node::Open(const NodeOptions& options) {
  std::unique_ptr<Node> node(new Node());
  config::HomePaths paths{options.home};
  HITO_ASSIGN_OR_RETURN(node->config_, config::LoadConfig(paths.config()));
  if (options.grpc_addr) node->config_.grpc_addr = *options.grpc_addr;
  HITO_ASSIGN_OR_RETURN(std::string genesis_text, ReadFile(paths.genesis()));
  Result<consensus::ledger::Genesis> genesis_r = config::ParseGenesisJson(genesis_text);
  if (!genesis_r.ok()) return genesis_r.status().WithContext(paths.genesis().string());
  consensus::ledger::Genesis genesis = std::move(genesis_r).value();
  const Hash32 genesis_hash = config::GenesisHash(genesis_text);
  node->chain_id_ = genesis.chain_id;
  HITO_ASSIGN_OR_RETURN(Ed25519PrivateKey key, config::ReadSeedFile(paths.validator_key()));
  if (!genesis.validators.IndexOf(key.public_key())) {
    return FailedPreconditionError("validator.key is not in the genesis validator set");
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
  HITO_RETURN_IF_ERROR(node->StartRpc(options, genesis_hash, validator, genesis.dedup_keys));
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

namespace {

// This validator's share of the dedup key from its home, when genesis has a key set and
// gives it a share; a validator that has a share in genesis but no share file (or a wrong
// one) does not start.
Result<std::optional<zk::oprf::KeyShare>> LoadDedupShare(
    const std::filesystem::path& home, const std::optional<consensus::ledger::DedupKeySet>& keys,
    const Ed25519PublicKey& validator) {
  if (!keys || !config::ShareOf(*keys, validator)) {
    return std::optional<zk::oprf::KeyShare>();
  }
  config::HomePaths paths{home};
  Result<zk::oprf::KeyShare> share = config::LoadDedupShare(paths.dedup_share(), *keys, validator);
  if (!share.ok()) return share.status().WithContext("dedup share");
  spdlog::info("dedup OPRF: share index {} of a {}-of-{} key", share->index, keys->threshold,
               keys->shares.size());
  std::optional<zk::oprf::KeyShare> out(*share);
  share->Wipe();  // Scalars are plain values: every copy of the secret is wiped
  return out;
}

}  // namespace

Status Node::StartRpc(const NodeOptions& options, const Hash32& genesis_hash,
                      const Ed25519PublicKey& validator,
                      const std::optional<consensus::ledger::DedupKeySet>& dedup_keys) {
  rpc::RpcBackend backend;
  HITO_ASSIGN_OR_RETURN(backend.dedup_share, LoadDedupShare(options.home, dedup_keys, validator));
  backend.dedup_keys = dedup_keys;
  backend.chain_id = chain_id_;
  backend.genesis_hash = genesis_hash;
  backend.validator = validator;
  backend.store = store_.get();
  backend.mempool = mempool_.get();
  backend.events = events_.get();
  backend.app = app_.get();
  backend.relay = own_transport_.get();  // RPC-admitted txs are gossiped to the peers
  Result<std::unique_ptr<rpc::RpcServer>> started =
      rpc::RpcServer::Start(config_.grpc_addr, std::move(backend), options.rpc);
  if (backend.dedup_share) backend.dedup_share->Wipe();  // moved from: a copy remains
  HITO_ASSIGN_OR_RETURN(rpc_, std::move(started));
  spdlog::info("gRPC listening on {} (port {}), validator {}", config_.grpc_addr, rpc_->port(),
               EncodeAddress(types::AccountIdFromPublicKey(validator)));
  return Status::Ok();
}

void Node::StartEngine() {
  if (engine_) engine_->Start();
}

void Node::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (engine_) engine_->Stop();
  if (own_transport_) own_transport_->Stop();
  if (events_) events_->Shutdown();
  if (rpc_) rpc_->Shutdown();
}

Node::~Node() { Stop(); }

}  // namespace hito::node
