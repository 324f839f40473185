// ConsensusTransport: what the BFT driver (bft_engine.h) needs from the peer network.
//
// The driver broadcasts its own signed proposals (with their block), votes and the
// evidence it finds, and asks peers for committed blocks it lacks (block sync). What
// arrives is handed to a ConsensusHandler, from any thread; the driver only queues it.
// node/p2p's PeerNetwork is adapted to this interface by a thin adapter; tests use an
// in-memory one. Delivery is best effort: the driver re-sends its own messages of the
// current height on a timer, so a lost message only costs time.
//
// Relay: the driver may pass other validators' messages it accepted to the same
// Broadcast* calls. The P2P adapter does not send a message back to a peer it came from,
// and drops copies of a message it verified in the last moments before checking its
// signature (docs/protocol/p2p.md, "Proposals, relay and duplicates").
#ifndef HITO_NODE_CHAIN_CONSENSUS_TRANSPORT_H_
#define HITO_NODE_CHAIN_CONSENSUS_TRANSPORT_H_

#include <cstdint>
#include <optional>
#include <utility>

#include "consensus/types/block.h"
#include "consensus/types/vote.h"

namespace hito::node::chain {

// Implemented by the driver. Every call may come from any thread and must not block long.
class ConsensusHandler {
 public:
  virtual ~ConsensusHandler() = default;
  // `block` is absent when the sender already sent that block on this connection (see
  // ConsensusTransport::BroadcastProposal): the handler pairs the proposal with the block
  // of that hash it already has.
  virtual void OnProposal(const consensus::types::Proposal& proposal,
                          std::optional<consensus::types::Block> block) = 0;
  virtual void OnVote(const consensus::types::Vote& vote) = 0;
  // A proposal's block that travelled apart from the proposal.
  virtual void OnBlock(const consensus::types::Block& block) = 0;
  virtual void OnEvidence(const consensus::types::DuplicateVoteEvidence& evidence) = 0;
  // A committed block with its commit: an answer to RequestCommittedBlock. Unverified.
  virtual void OnCommittedBlock(const consensus::types::Block& block,
                                const consensus::types::Commit& commit) = 0;
  // A peer asks for the committed block at `height`: returned if this node stored it.
  virtual std::optional<std::pair<consensus::types::Block, consensus::types::Commit>>
  ServeCommittedBlock(uint64_t height) = 0;
};

// Implemented by the network adapter. Calls come from the driver's thread.
class ConsensusTransport {
 public:
  virtual ~ConsensusTransport() = default;
  // Attaches the handler (nullptr detaches; after it returns, no call to the old handler
  // is in progress or will start).
  virtual void SetHandler(ConsensusHandler* handler) = 0;
  // Sends the proposal to every peer; the block goes with it only to a peer that has not
  // yet been sent that block (by hash) on its current connection.
  virtual void BroadcastProposal(const consensus::types::Proposal& proposal,
                                 const consensus::types::Block& block) = 0;
  virtual void BroadcastVote(const consensus::types::Vote& vote) = 0;
  virtual void BroadcastEvidence(const consensus::types::DuplicateVoteEvidence& evidence) = 0;
  // Asks peers for the committed block at `height`; answers come to OnCommittedBlock.
  // It may be called for the same height on every tick: P2pTransport keeps one request
  // in flight and moves to another peer by itself when one fails or times out.
  virtual void RequestCommittedBlock(uint64_t height) = 0;
};

}  // namespace hito::node::chain

#endif  // HITO_NODE_CHAIN_CONSENSUS_TRANSPORT_H_
