// P2pTransport: the BFT driver's ConsensusTransport over node/p2p's PeerNetwork.
//
// It owns the PeerNetwork and is its PeerHandler: decoded consensus messages go to the
// attached ConsensusHandler (OnProposal/OnVote/OnEvidence), block requests are served
// by ConsensusHandler::ServeCommittedBlock (on the network's block-serving thread, never
// in front of a vote), block answers go to OnCommittedBlock, and transaction batches from
// peers are offered to the mempool (on the network's tx thread); each transaction with an
// invalid signature costs the peer score. A proposal's block goes to each peer once per
// connection; re-sends carry the proposal alone (PeerNetwork::BroadcastProposal).
//
// Tx gossip: as the node's TxRelay it queues the transactions its RPC server admitted and
// a flusher thread sends them to every peer in batches of up to the network's
// max_txs_per_batch, as soon as a full batch is queued or `gossip_flush_ms` after the
// first queued one, so one transaction does not cost one peer message. The queue is
// bounded (`gossip_max_queued`); on overflow the newest are not gossiped (counted, and
// they still commit when this node proposes). Batches from peers are admitted with
// Mempool::AdmitBatch and never re-broadcast: validators form a full mesh, and a
// duplicate costs a hash and a map lookup.
//
// Block sync: RequestCommittedBlock(h) asks one connected peer that reported a height
// >= h (round robin over them, peers already tried for h last), and keeps one request in
// flight: further calls for h wait for it. A BlockNotFound or a timeout
// (PeerNetworkConfig::block_request_timeout) or the peer disconnecting makes it ask the
// next peer at once; the
// network penalises a peer that claimed h and cannot serve it. The driver asks for
// tip + 1 on every gossip tick, so the adapter takes h - 1 as our height and announces it
// with a StatusUpdate when it changes (peers then know whom to ask).
//
// Threads: PeerNetwork calls the PeerHandler methods from its consensus, tx and
// block-serving threads. Each call into the ConsensusHandler holds handler_mu_ shared, so
// SetHandler (which takes it exclusively) returns only once no call into the old handler
// is running, and none starts afterwards. The ConsensusHandler must not call back into
// SetHandler. Relay may be called from any thread; the flusher is joined by Stop.
#ifndef HITO_NODE_CHAIN_P2P_TRANSPORT_H_
#define HITO_NODE_CHAIN_P2P_TRANSPORT_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "base/ed25519.h"
#include "base/mutex.h"
#include "base/status.h"
#include "node/chain/consensus_transport.h"
#include "node/config/config.h"
#include "node/mempool/mempool.h"
#include "node/mempool/tx_relay.h"
#include "node/p2p/peer_network.h"

namespace hito::node::chain {

// The PeerNetworkConfig for a node: listen on config.p2p_addr, dial config.peers (their
// public keys are hex). kInvalidArgument on a malformed peer key.
Result<p2p::PeerNetworkConfig> PeerNetworkConfigFor(const config::NodeConfig& config,
                                                    const std::string& chain_id,
                                                    const Hash32& genesis_hash);

struct TxGossipOptions {
  uint32_t flush_ms = 5;       // a partial batch waits at most this long
  size_t max_queued = 50'000;  // transactions waiting to be gossiped, at most
};

class P2pTransport : public ConsensusTransport, public p2p::PeerHandler, public mempool::TxRelay {
 public:
  // `mempool` may be null (peers' transactions are then ignored); it must outlive this.
  P2pTransport(p2p::PeerNetworkConfig config, Ed25519PrivateKey node_key, uint64_t height,
               mempool::Mempool* mempool, TxGossipOptions gossip = {});
  ~P2pTransport() override;
  P2pTransport(const P2pTransport&) = delete;
  P2pTransport& operator=(const P2pTransport&) = delete;

  // Binds the listener and starts dialing (kUnavailable if the address is taken).
  Status Start();
  // Stops the network (joins its threads). Idempotent; the destructor calls it.
  void Stop();
  p2p::PeerNetwork& network() { return *network_; }

  // Sends transactions to the peers now (one message per batch of the limit).
  void BroadcastTxs(const std::vector<Bytes>& txs);

  // TxRelay: queues a locally admitted transaction for the next gossip batch.
  void Relay(std::shared_ptr<const mempool::PendingTx> tx) override;
  // Counters: transactions sent in gossip batches, batches sent, transactions not
  // gossiped because the queue was full, and peers' transactions admitted / refused.
  struct GossipStats {
    uint64_t sent_txs = 0;
    uint64_t sent_batches = 0;
    uint64_t dropped_txs = 0;
    uint64_t received_admitted = 0;
    uint64_t received_refused = 0;
  };
  GossipStats gossip_stats() const;

  // ConsensusTransport.
  void SetHandler(ConsensusHandler* handler) override;
  void BroadcastProposal(const consensus::types::Proposal& proposal,
                         const consensus::types::Block& block) override;
  void BroadcastVote(const consensus::types::Vote& vote) override;
  void BroadcastEvidence(const consensus::types::DuplicateVoteEvidence& evidence) override;
  void RequestCommittedBlock(uint64_t height) override;

  // p2p::PeerHandler (dispatcher thread).
  void OnConsensusMessage(const p2p::PeerId& from, const p2p::ConsensusMessage& msg) override;
  size_t OnTxs(const p2p::PeerId& from, const std::vector<Bytes>& txs) override;
  std::optional<p2p::BlockAndCommit> OnBlockRequest(const p2p::PeerId& from,
                                                    uint64_t height) override;
  void OnBlockResponse(const p2p::PeerId& from, uint64_t height,
                       const std::optional<p2p::BlockAndCommit>& block) override;
  void OnBlockRequestTimeout(const p2p::PeerId& from, uint64_t height) override;
  void OnPeerDisconnected(const p2p::PeerId& peer) override;
  void OnStatus(const p2p::PeerId& from, uint64_t height) override;

 private:
  // The block sync request in flight (at most one).
  struct SyncRequest {
    uint64_t height = 0;
    p2p::PeerId peer{};
    bool in_flight = false;
    std::set<p2p::PeerId> tried;  // asked for `height` already
  };

  void FlushLoop();
  // Asks the next peer for sync_->height.
  void RequestNextPeerLocked() REQUIRES(sync_mu_);
  // `from` answered (or failed to answer) the request for `height`.
  void SyncAnswered(const p2p::PeerId& from, uint64_t height, bool retry) EXCLUDES(sync_mu_);

  mempool::Mempool* mempool_;
  const TxGossipOptions gossip_;
  size_t batch_limit_;

  mutable Mutex gossip_mu_;
  CondVar gossip_cv_;
  std::deque<std::shared_ptr<const mempool::PendingTx>> gossip_queue_ GUARDED_BY(gossip_mu_);
  bool gossip_stop_ GUARDED_BY(gossip_mu_) = false;
  GossipStats gossip_stats_ GUARDED_BY(gossip_mu_);
  std::thread flusher_;

  SharedMutex handler_mu_;
  ConsensusHandler* handler_ GUARDED_BY(handler_mu_) = nullptr;
  std::atomic<uint64_t> announced_height_;

  Mutex sync_mu_;
  std::optional<SyncRequest> sync_ GUARDED_BY(sync_mu_);
  uint64_t next_peer_ GUARDED_BY(sync_mu_) = 0;
  std::unique_ptr<p2p::PeerNetwork> network_;
};

}  // namespace hito::node::chain

#endif  // HITO_NODE_CHAIN_P2P_TRANSPORT_H_
