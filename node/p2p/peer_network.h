// PeerNetwork: the validator peer network of hitod (docs/protocol/p2p.md).
//
// Serves hito.p2p.v1.PeerService on its own listener, dials the configured peers with
// reconnect and exponential backoff, runs the mutual hello, checks every inbound message
// (size limits, strict consensus/types decoding, vote/proposal/evidence signatures under
// the chain id) and delivers the decoded values to a PeerHandler. A peer that misbehaves
// (undecodable bytes, a message or field over a limit, a bad signature, an unsolicited
// block response, flooding its inbound queue) is disconnected, logged with the reason and
// banned for `ban_duration`. A peer whose outbound queue is full (slow reader) is dropped.
//
// Threads and thread-safety:
//  - Each connected peer has one reader (a gRPC sync-server thread for inbound streams, a
//    dialer thread for outbound ones) and one writer thread. Each configured peer has one
//    dialer thread. One dispatcher thread calls the handler; one maintenance thread
//    enforces the hello timeout. Connections are bounded by configured peers +
//    max_inbound_peers authenticated inbound + max_inbound_peers still in the hello.
//  - Handler methods are called from the dispatcher thread only, one at a time, never with
//    a PeerNetwork lock held; they may call any PeerNetwork method.
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

namespace hito::p2p {

// A peer is identified by its node public key (proved in the hello).
using PeerId = Ed25519PublicKey;

struct PeerAddress {
  std::string address;  // host:port of its PeerService
  Ed25519PublicKey node_key{};
};

struct Limits {
  // gRPC max receive (and send) message size: a full block plus its commit fits.
  size_t max_message_bytes = consensus::types::kBlockMaxBytes + 1024 * 1024;
  size_t max_txs_per_batch = 256;
  // Per peer inbound queue (messages decoded, waiting for the handler). Overflow = flood.
  size_t inbound_queue_messages = 1024;
  size_t inbound_queue_bytes = 32 * 1024 * 1024;
  // Per peer outbound queue. Overflow = slow peer, dropped (not banned).
  size_t outbound_queue_messages = 1024;
  size_t outbound_queue_bytes = 32 * 1024 * 1024;
  size_t max_inbound_peers = 32;
  size_t max_pending_block_requests = 16;  // per peer
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
};

struct ProposalWithBlock {
  consensus::types::Proposal proposal;
  consensus::types::Block block;
};
using ConsensusMessage = std::variant<ProposalWithBlock, consensus::types::Vote,
                                      consensus::types::DuplicateVoteEvidence>;

struct BlockAndCommit {
  consensus::types::Block block;
  consensus::types::Commit commit;
};

// Implemented by the node. Every value delivered has been strictly decoded and, for
// consensus messages, signature-checked under the chain id (membership in the validator
// set is the engine's business). Called on the dispatcher thread only.
class PeerHandler {
 public:
  virtual ~PeerHandler() = default;
  virtual void OnConsensusMessage(const PeerId& from, const ConsensusMessage& msg) = 0;
  // Canonical transaction encodings, each decoded successfully (not executed).
  virtual void OnTxs(const PeerId& from, const std::vector<Bytes>& txs) = 0;
  // Return the committed block at `height` and its commit, or nullopt (BlockNotFound).
  virtual std::optional<BlockAndCommit> OnBlockRequest(const PeerId& from, uint64_t height) = 0;
  // Answer to our RequestBlock: the block (whose header height is `height`) and a commit
  // for it (block hash matches; the caller verifies it against the validator set), or
  // nullopt when the peer does not have it.
  virtual void OnBlockResponse(const PeerId& from, uint64_t height,
                               const std::optional<BlockAndCommit>& block) = 0;
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

  void Broadcast(const ConsensusMessage& msg);
  Status SendTo(const PeerId& peer, const ConsensusMessage& msg);
  void BroadcastTxs(const std::vector<Bytes>& txs);  // split into batches of the limit
  void BroadcastStatus(uint64_t height);
  // kNotFound if not connected; kResourceExhausted if too many requests are pending.
  Status RequestBlock(const PeerId& peer, uint64_t height);

  std::vector<PeerInfo> Peers() const;
  // Connections ended for `r` since Start().
  uint64_t DropCount(DropReason r) const;
  bool IsBanned(const PeerId& peer) const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace hito::p2p

#endif  // HITO_NODE_P2P_PEER_NETWORK_H_
