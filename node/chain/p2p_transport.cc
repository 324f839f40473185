#include "node/chain/p2p_transport.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "base/hex.h"
#include "consensus/ledger/tx_result.h"
#include "node/io/wal.h"

namespace hito::node::chain {

namespace types = consensus::types;

// The size limits form one chain: block <= WAL record <= p2p frame. A proposal the engine
// can log must cross the network, and so must a block-sync answer of a maximum block.
namespace {
// EncodeCommit of a full validator set: height, round, block hash, count, then per
// validator a flag byte and a signature.
constexpr size_t kCommitMaxBytes = 8 + 4 + 32 + 4 + types::kValidatorsMax * (1 + 64);
// Protobuf framing of a PeerMessage around its byte fields (tags, lengths, height).
constexpr size_t kFrameOverheadBytes = 1024;
}  // namespace
static_assert(p2p::kMaxFrameBytes >= io::kWalRecordMaxBytes,
              "a WAL record (a logged proposal) must fit in one p2p frame");
static_assert(p2p::kMaxFrameBytes >= types::kBlockMaxBytes + kCommitMaxBytes + kFrameOverheadBytes,
              "a block-sync answer of a maximum block with its commit must fit in a p2p frame");

Result<p2p::PeerNetworkConfig> PeerNetworkConfigFor(const config::NodeConfig& config,
                                                    const std::string& chain_id,
                                                    const Hash32& genesis_hash) {
  p2p::PeerNetworkConfig pc;
  pc.listen_address = config.p2p_addr;
  pc.chain_id = chain_id;
  pc.genesis_hash = genesis_hash;
  for (const config::PeerConfig& peer : config.peers) {
    Result<Hash32> key = HexDecode32(peer.public_key);
    if (!key.ok()) {
      return InvalidArgumentError("config: peer " + peer.address +
                                  ": public_key is not 64 hex characters");
    }
    p2p::PeerAddress a;
    a.address = peer.address;
    a.node_key = key.value();
    pc.peers.push_back(std::move(a));
  }
  return pc;
}

P2pTransport::P2pTransport(p2p::PeerNetworkConfig config, Ed25519PrivateKey node_key,
                           uint64_t height, mempool::Mempool* mempool, TxGossipOptions gossip)
    : mempool_(mempool),
      gossip_(gossip),
      batch_limit_(std::max<size_t>(1, config.limits.max_txs_per_batch)),
      announced_height_(height) {
  network_ = std::make_unique<p2p::PeerNetwork>(std::move(config), std::move(node_key), this);
  network_->SetHeight(height);
}

P2pTransport::~P2pTransport() { Stop(); }

Status P2pTransport::Start() {
  HITO_RETURN_IF_ERROR(network_->Start());
  MutexLock lock(gossip_mu_);
  if (!flusher_.joinable() && !gossip_stop_) flusher_ = std::thread([this] { FlushLoop(); });
  return Status::Ok();
}

void P2pTransport::Stop() {
  {
    MutexLock lock(gossip_mu_);
    gossip_stop_ = true;
  }
  gossip_cv_.NotifyAll();
  if (flusher_.joinable()) flusher_.join();
  network_->Stop();
}

void P2pTransport::BroadcastTxs(const std::vector<Bytes>& txs) { network_->BroadcastTxs(txs); }

void P2pTransport::Relay(std::shared_ptr<const mempool::PendingTx> tx) {
  bool wake = false;
  {
    MutexLock lock(gossip_mu_);
    if (gossip_stop_) return;
    if (gossip_queue_.size() >= gossip_.max_queued) {
      // Not gossiped; it stays in our mempool and commits when we propose.
      if (gossip_stats_.dropped_txs++ % 10'000 == 0) {
        spdlog::warn("tx gossip queue full ({} txs): not gossiping some transactions",
                     gossip_queue_.size());
      }
      return;
    }
    gossip_queue_.push_back(std::move(tx));
    // Wake the flusher for the first of a batch (it starts the flush timer) and for a
    // full batch; in between it is already counting down.
    wake = gossip_queue_.size() == 1 || gossip_queue_.size() == batch_limit_;
  }
  if (wake) gossip_cv_.NotifyOne();
}

P2pTransport::GossipStats P2pTransport::gossip_stats() const {
  MutexLock lock(gossip_mu_);
  return gossip_stats_;
}

void P2pTransport::FlushLoop() {
  using Clock = std::chrono::steady_clock;
  gossip_mu_.Lock();
  for (;;) {
    while (!gossip_stop_ && gossip_queue_.empty()) gossip_cv_.Wait(gossip_mu_);
    if (gossip_stop_) break;
    // A partial batch waits up to flush_ms for more.
    const auto deadline = Clock::now() + std::chrono::milliseconds(gossip_.flush_ms);
    while (!gossip_stop_ && gossip_queue_.size() < batch_limit_) {
      if (!gossip_cv_.WaitUntil(gossip_mu_, deadline)) break;
    }
    if (gossip_stop_) break;
    std::vector<std::shared_ptr<const mempool::PendingTx>> take;
    const size_t n = std::min(gossip_queue_.size(), batch_limit_);
    take.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      take.push_back(std::move(gossip_queue_.front()));
      gossip_queue_.pop_front();
    }
    gossip_stats_.sent_txs += n;
    gossip_stats_.sent_batches += 1;
    gossip_mu_.Unlock();
    std::vector<Bytes> batch;
    batch.reserve(take.size());
    for (const auto& ptx : take) batch.push_back(ptx->bytes);
    network_->BroadcastTxs(batch);
    gossip_mu_.Lock();
  }
  gossip_mu_.Unlock();
}

void P2pTransport::SetHandler(ConsensusHandler* handler) {
  WriterLock lock(handler_mu_);
  handler_ = handler;
}

void P2pTransport::BroadcastProposal(const types::Proposal& proposal, const types::Block& block) {
  network_->BroadcastProposal(proposal, block);
}

void P2pTransport::BroadcastVote(const types::Vote& vote) {
  network_->Broadcast(p2p::ConsensusMessage(vote));
}

void P2pTransport::BroadcastEvidence(const types::DuplicateVoteEvidence& evidence) {
  network_->Broadcast(p2p::ConsensusMessage(evidence));
}

void P2pTransport::RequestCommittedBlock(uint64_t height) {
  // The driver asks for tip + 1: announce tip when it moved.
  if (height > 0) {
    const uint64_t ours = height - 1;
    uint64_t prev = announced_height_.load();
    if (ours > prev && announced_height_.compare_exchange_strong(prev, ours)) {
      network_->SetHeight(ours);
      network_->BroadcastStatus(ours);
    }
  }
  MutexLock lock(sync_mu_);
  if (sync_ && sync_->height == height && sync_->in_flight) return;  // it answers or expires
  if (!sync_ || sync_->height != height) sync_ = SyncRequest{height, {}, false, {}};
  RequestNextPeerLocked();
}

void P2pTransport::RequestNextPeerLocked() {
  SyncRequest& req = *sync_;
  req.in_flight = false;
  std::vector<p2p::PeerId> ahead;
  for (const p2p::PeerInfo& p : network_->Peers()) {
    if (p.height >= req.height && !req.tried.count(p.node_key)) ahead.push_back(p.node_key);
  }
  if (ahead.empty() && !req.tried.empty()) {
    req.tried.clear();  // everyone was asked once: start another round
    for (const p2p::PeerInfo& p : network_->Peers()) {
      if (p.height >= req.height) ahead.push_back(p.node_key);
    }
  }
  if (ahead.empty()) return;  // nobody has it; consensus will decide it
  const p2p::PeerId pick = ahead[next_peer_++ % ahead.size()];
  Status s = network_->RequestBlock(pick, req.height);
  if (!s.ok()) {
    spdlog::debug("block request for height {}: {}", req.height, s.ToString());
    return;
  }
  req.peer = pick;
  req.in_flight = true;
}

void P2pTransport::SyncAnswered(const p2p::PeerId& from, uint64_t height, bool retry) {
  MutexLock lock(sync_mu_);
  if (!sync_ || sync_->height != height) return;
  sync_->tried.insert(from);
  if (!sync_->in_flight || sync_->peer != from) return;
  sync_->in_flight = false;
  if (retry) RequestNextPeerLocked();
}

void P2pTransport::OnConsensusMessage(const p2p::PeerId& /*from*/,
                                      const p2p::ConsensusMessage& msg) {
  ReaderLock lock(handler_mu_);
  if (handler_ == nullptr) return;
  if (const auto* pb = std::get_if<p2p::ProposalWithBlock>(&msg)) {
    handler_->OnProposal(pb->proposal, pb->block);
  } else if (const auto* v = std::get_if<types::Vote>(&msg)) {
    handler_->OnVote(*v);
  } else if (const auto* e = std::get_if<types::DuplicateVoteEvidence>(&msg)) {
    handler_->OnEvidence(*e);
  }
}

size_t P2pTransport::OnTxs(const p2p::PeerId& /*from*/, const std::vector<Bytes>& txs) {
  if (mempool_ == nullptr || txs.empty()) return 0;
  std::vector<ByteView> views(txs.begin(), txs.end());
  // Admitted here only: a peer's transactions are not relayed again (full mesh).
  std::vector<mempool::AdmitOutcome> outs = mempool_->AdmitBatch(views);
  uint64_t admitted = 0;
  size_t bad_signatures = 0;
  for (const mempool::AdmitOutcome& out : outs) {
    if (!out.storage_error.ok()) {
      spdlog::warn("mempool admission of a peer's tx: {}", out.storage_error.ToString());
      continue;
    }
    admitted += out.ok() ? 1 : 0;
    // Other refusals (a nonce used meanwhile, a known tx) happen to honest peers; a bad
    // signature or proof never does: the sender verified it before gossiping, and a
    // proof's validity does not change with the state.
    bad_signatures += out.code == consensus::ledger::TxCode::kBadSignature ||
                              out.code == consensus::ledger::TxCode::kBadProof
                          ? 1
                          : 0;
  }
  MutexLock lock(gossip_mu_);
  gossip_stats_.received_admitted += admitted;
  gossip_stats_.received_refused += outs.size() - admitted;
  return bad_signatures;
}

std::optional<p2p::BlockAndCommit> P2pTransport::OnBlockRequest(const p2p::PeerId& /*from*/,
                                                                uint64_t height) {
  ReaderLock lock(handler_mu_);
  if (handler_ == nullptr) return std::nullopt;
  auto found = handler_->ServeCommittedBlock(height);
  if (!found) return std::nullopt;
  return p2p::BlockAndCommit{std::move(found->first), std::move(found->second)};
}

void P2pTransport::OnBlockResponse(const p2p::PeerId& from, uint64_t height,
                                   const std::optional<p2p::BlockAndCommit>& block) {
  // Found: the driver applies it and asks for the next height (or, if its commit does
  // not verify, for this one again, and then another peer is asked first).
  SyncAnswered(from, height, /*retry=*/!block.has_value());
  if (!block) return;
  ReaderLock lock(handler_mu_);
  if (handler_ == nullptr) return;
  handler_->OnCommittedBlock(block->block, block->commit);
}

void P2pTransport::OnBlockRequestTimeout(const p2p::PeerId& from, uint64_t height) {
  SyncAnswered(from, height, /*retry=*/true);
}

void P2pTransport::OnPeerDisconnected(const p2p::PeerId& peer) {
  // Its pending requests died with the connection: they will neither answer nor expire.
  uint64_t height = 0;
  {
    MutexLock lock(sync_mu_);
    if (!sync_ || !sync_->in_flight || sync_->peer != peer) return;
    height = sync_->height;
  }
  SyncAnswered(peer, height, /*retry=*/true);
}

void P2pTransport::OnStatus(const p2p::PeerId& /*from*/, uint64_t /*height*/) {
  // Peers() carries the height; nothing else to do.
}

}  // namespace hito::node::chain
