// PeerNetwork: the validator peer network of hitod (docs/protocol/p2p.md).
//
// Serves hito.p2p.v1.PeerService on its own listener, dials the configured peers with
// reconnect and exponential backoff, runs the mutual hello, checks every inbound message
// (size limits, strict consensus/types decoding, vote/proposal/evidence signatures under
// the chain id) and delivers the decoded values to a PeerHandler. A peer that misbehaves
// (undecodable bytes, a message or field over a limit, a bad signature, an unsolicited
// block response, flooding its inbound queue) is disconnected, logged with the reason and
// banned for `ban_duration`. Lesser offences (traffic over the peer's token-bucket budget,
// transactions with bad signatures, a claimed height it cannot serve) add to a decaying
// misbehaviour score; past `Limits::ban_score` the peer is dropped and banned the same
// way. A peer whose outbound queue is full (slow reader) is dropped. Copies of a
// consensus message verified moments ago are dropped before their signature check, and
// a message is never sent back to a peer it came from, so relaying is cheap. Our block
// requests expire after `block_request_timeout`. The hello is in handshake.h, the checks
// of each later message (DecodeInbound) in inbound.h, the connection table in
// session_table.h.
//
// Threads and thread-safety:
//  - Each connected peer has one reader (a gRPC sync-server thread for inbound streams, a
//    dialer thread for outbound ones) and one writer thread. Each configured peer has one
//    dialer thread. Three dispatch threads call the handler: the consensus thread
//    (proposals, votes, evidence first; then status, block answers, connects), the tx
//    thread (OnTxs) and the block-serving thread (OnBlockRequest and the answer). One
//    maintenance thread enforces the hello and block-request timeouts. Connections are
//    bounded by configured peers + max_inbound_peers authenticated inbound +
//    max_inbound_peers still in the hello.
//  - Each handler method is called from its one dispatch thread, never with a
//    PeerNetwork lock held; methods of different groups may run concurrently. They may
//    call any PeerNetwork method.
//  - All public methods are thread-safe. Start() once, Stop() once (the destructor calls
//    Stop()); sending before Start() or after Stop() does nothing.
#ifndef HITO_NODE_P2P_PEER_NETWORK_H_
#define HITO_NODE_P2P_PEER_NETWORK_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/ed25519.h"
#include "base/status.h"
#include "consensus/types/block.h"
#include "consensus/types/limits.h"
#include "consensus/types/vote.h"

namespace hito::node::p2p {

// A peer is identified by its node public key (proved in the hello).
using PeerId = Ed25519PublicKey;

struct PeerAddress {
  std::string address;  // host:port of its PeerService
  Ed25519PublicKey node_key{};
};

// The largest frame (one PeerMessage) the network accepts by default: a maximum block
// plus its commit, or a maximum proposal with its block, plus protobuf framing, fits
// (node/chain/p2p_transport.cc checks both, and the WAL record limit, at compile time).
inline constexpr size_t kMaxFrameBytes = consensus::types::kBlockMaxBytes + 1024 * 1024;

struct Limits {
  // gRPC max receive (and send) message size.
  size_t max_message_bytes = kMaxFrameBytes;
  size_t max_txs_per_batch = 256;
  // Per peer inbound queue (messages decoded, waiting for the handler). Overflow = flood.
  size_t inbound_queue_messages = 1024;
  size_t inbound_queue_bytes = 32 * 1024 * 1024;
  // Per peer outbound queue. Overflow = slow peer, dropped (not banned).
  size_t outbound_queue_messages = 1024;
  size_t outbound_queue_bytes = 32 * 1024 * 1024;
  size_t max_inbound_peers = 32;
  size_t max_pending_block_requests = 16;  // per peer, both directions

  // Per peer inbound budget, two token buckets refilled continuously. A message over the
  // budget waits (the reader stops reading: TCP backpressure) and costs
  // score_over_budget. Solicited block answers are not charged (we asked; they are
  // bounded by max_pending_block_requests). The defaults carry a 4-validator devnet at
  // 3,000 tx/s with 8 MiB blocks several times over: tx gossip is paced by the sender at
  // half the byte rate, a proposal's block is sent once per connection.
  uint64_t peer_bytes_per_second = 32 * 1024 * 1024;
  uint64_t peer_bytes_burst = 64 * 1024 * 1024;
  uint64_t peer_messages_per_second = 2'000;
  uint64_t peer_messages_burst = 4'000;

  // Misbehaviour score: points per offence, decaying by score_decay_per_second; at
  // ban_score the peer is dropped and banned. Scores outlive a connection (by key).
  uint32_t ban_score = 100;
  uint32_t score_over_budget = 1;    // per message over the budget
  uint32_t score_bad_tx = 10;        // per transaction with an invalid signature
  uint32_t score_false_height = 50;  // BlockNotFound at or below the peer's claimed height
  uint32_t score_decay_per_second = 1;
  size_t max_scored_peers = 4096;  // keys with a live score, at most

  // Consensus messages seen recently (hash of their bytes), so copies relayed by several
  // peers are dropped before the signature check, and a relayed message is not sent back
  // to a peer it came from. A copy is dropped only within duplicate_window_ms of the
  // first, so a peer's periodic re-send still reaches the engine.
  size_t recent_messages = 16'384;
  uint32_t duplicate_window_ms = 500;
  // Blocks remembered per connection as already sent with a proposal.
  size_t sent_blocks_per_peer = 64;
};

struct PeerNetworkConfig {
  std::string listen_address;  // e.g. "0.0.0.0:26656"; port 0 picks a free port
  std::string chain_id;
  Hash32 genesis_hash{};
  std::vector<PeerAddress> peers;  // dialed and kept connected
  Limits limits;
  std::chrono::milliseconds hello_timeout{5000};
  std::chrono::milliseconds backoff_initial{200};
  std::chrono::milliseconds backoff_max{30000};
  std::chrono::milliseconds ban_duration{std::chrono::minutes(10)};
  // A block request not answered within this is dropped and reported to the handler.
  std::chrono::milliseconds block_request_timeout{15000};
};

// A proposal, with its block unless the sender already sent that block on this
// connection (BroadcastProposal); the receiver pairs a bare proposal with the block it has.
struct ProposalWithBlock {
  consensus::types::Proposal proposal;
  std::optional<consensus::types::Block> block;
};
using ConsensusMessage = std::variant<ProposalWithBlock, consensus::types::Vote,
                                      consensus::types::DuplicateVoteEvidence>;

struct BlockAndCommit {
  consensus::types::Block block;
  consensus::types::Commit commit;
};

// Implemented by the node. Every value delivered has been strictly decoded and, for
// consensus messages, signature-checked under the chain id (membership in the validator
// set is the engine's business). Consensus messages, status, block answers and
// (dis)connects come from the consensus thread; OnTxs from the tx thread; OnBlockRequest
// from the block-serving thread.
class PeerHandler {
 public:
  virtual ~PeerHandler() = default;
  virtual void OnConsensusMessage(const PeerId& from, const ConsensusMessage& msg) = 0;
  // Canonical transaction encodings, each decoded successfully (not executed). Returns
  // how many carried an invalid signature: each costs the sender score_bad_tx.
  virtual size_t OnTxs(const PeerId& from, const std::vector<Bytes>& txs) = 0;
  // Return the committed block at `height` and its commit, or nullopt (BlockNotFound).
  virtual std::optional<BlockAndCommit> OnBlockRequest(const PeerId& from, uint64_t height) = 0;
  // Answer to our RequestBlock: the block (whose header height is `height`) and a commit
  // for it (block hash matches; the caller verifies it against the validator set), or
  // nullopt when the peer does not have it.
  virtual void OnBlockResponse(const PeerId& from, uint64_t height,
                               const std::optional<BlockAndCommit>& block) = 0;
  // Our RequestBlock(height) to `from` got no answer within block_request_timeout.
  virtual void OnBlockRequestTimeout(const PeerId& /*from*/, uint64_t /*height*/) {}
  virtual void OnStatus(const PeerId& from, uint64_t height) = 0;
  virtual void OnPeerConnected(const PeerId& /*peer*/, uint64_t /*height*/) {}
  virtual void OnPeerDisconnected(const PeerId& /*peer*/) {}
};

struct PeerInfo {
  PeerId node_key{};
  std::string address;  // remote address as seen by gRPC
  bool outbound = false;
  uint64_t height = 0;  // from the hello and later StatusUpdates
};

// Why a connection ended. Misbehaviour reasons ban the peer.
enum class DropReason : uint8_t {
  kClosed = 0,       // stream ended or network error
  kHandshakeFailed,  // bad/missing hello, incompatible chain, wrong key, bad signature
  kMalformed,        // bytes that fail to decode, or a field over a limit
  kBadSignature,     // vote/proposal/evidence signature invalid
  kOversized,        // message over max_message_bytes
  kFlood,            // inbound queue overflow
  kUnsolicited,      // block response we did not ask for
  kSlow,             // outbound queue overflow
  kDuplicate,        // another connection to the same peer is kept
  kBanned,           // peer is banned
  kOverBudget,       // score past ban_score, last offence: traffic over its budget
  kBadTransactions,  // score past ban_score, last offence: txs with invalid signatures
  kFalseHeight,      // score past ban_score, last offence: claimed a block it cannot serve
  kCount_,
};
std::string_view DropReasonName(DropReason r);

class PeerNetwork {
 public:
  // `key` is the node key proved in hellos. `handler` must outlive the network.
  PeerNetwork(PeerNetworkConfig config, Ed25519PrivateKey key, PeerHandler* handler);
  ~PeerNetwork();
  PeerNetwork(const PeerNetwork&) = delete;
  PeerNetwork& operator=(const PeerNetwork&) = delete;

  // Binds the listener and starts dialing. kUnavailable if the address cannot be bound.
  Status Start();
  // Closes every connection, stops the listener and joins all threads. Idempotent.
  void Stop();
  // The bound port (after Start()).
  int port() const;
  const PeerId& node_key() const;

  // Our latest height, sent in hellos; SetHeight does not broadcast (BroadcastStatus does).
  void SetHeight(uint64_t height);

  // Sends to every peer except those that sent us this very message (a relay is not
  // echoed back).
  void Broadcast(const ConsensusMessage& msg);
  // Sends the proposal to every peer (except one that sent it to us), with the block only
  // to a peer that has not yet been sent that block on its current connection.
  void BroadcastProposal(const consensus::types::Proposal& proposal,
                         const consensus::types::Block& block);
  Status SendTo(const PeerId& peer, const ConsensusMessage& msg);
  void BroadcastTxs(const std::vector<Bytes>& txs);  // split into batches of the limit
  void BroadcastStatus(uint64_t height);
  // kNotFound if not connected; kResourceExhausted if too many requests are pending.
  Status RequestBlock(const PeerId& peer, uint64_t height);

  std::vector<PeerInfo> Peers() const;
  // Connections ended for `r` since Start().
  uint64_t DropCount(DropReason r) const;
  bool IsBanned(const PeerId& peer) const;
  // The peer's current misbehaviour score (0 if none).
  uint32_t Score(const PeerId& peer) const;
  // Consensus messages dropped as recent duplicates before their signature check.
  uint64_t DuplicatesDropped() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace hito::node::p2p

#endif  // HITO_NODE_P2P_PEER_NETWORK_H_
