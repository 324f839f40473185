// DecodeInbound: the checks a peer's message passes after the handshake, as a pure
// function (docs/protocol/p2p.md, "Service and messages").
//
// A frame (one serialized PeerMessage) becomes a typed, strictly decoded message, with
// consensus messages signature-checked under the chain id, or a Status naming what was
// wrong. It does no I/O, takes no lock and keeps no state: what depends on the connection
// (the peer's budget, recent duplicates, whether we asked for a block answer) is
// PeerNetwork's business, before or after this call. Thread-safe.
//
// Refusal codes, and the DropReason PeerNetwork gives each (RefusalReason):
//   kResourceExhausted  the frame is over max_message_bytes          -> kOversized
//   kUnauthenticated    a proposal, vote or evidence signature fails -> kBadSignature
//   kInvalidArgument    anything else: undecodable bytes, a field     -> kMalformed
//                       over a limit, an empty or unknown kind, a
//                       hello after the handshake, fields that
//                       disagree with each other
#ifndef HITO_NODE_P2P_INBOUND_H_
#define HITO_NODE_P2P_INBOUND_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "hito/p2p/v1/p2p.pb.h"
#include "node/p2p/peer_network.h"

namespace hito::node::p2p {

// The peer protocol's generated code keeps its package's namespace.
namespace v1 = ::hito::p2p::v1;

// What DecodeInbound checks against.
struct InboundRules {
  std::string chain_id;
  size_t max_message_bytes = kMaxFrameBytes;
  size_t max_txs_per_batch = 256;
};

// The rules of a network configured with `config`.
InboundRules RulesFor(const PeerNetworkConfig& config);

// Canonical transaction encodings, each of which decoded (not executed).
using TxBatch = std::vector<Bytes>;
struct StatusUpdate {
  uint64_t height = 0;
};
struct BlockRequest {
  uint64_t height = 0;
};
// A BlockResponse (`block` set) or a BlockNotFound (`block` empty) for `height`.
struct BlockAnswer {
  uint64_t height = 0;
  std::optional<BlockAndCommit> block;
};
using InboundMessage =
    std::variant<ConsensusMessage, TxBatch, StatusUpdate, BlockRequest, BlockAnswer>;

// Decodes and checks one frame as it came off the wire.
Result<InboundMessage> DecodeInbound(ByteView frame, const InboundRules& rules);
// The same for a frame gRPC has already parsed; `frame_bytes` is its encoded size.
Result<InboundMessage> DecodeInbound(const v1::PeerMessage& frame, size_t frame_bytes,
                                     const InboundRules& rules);

// kResourceExhausted if a frame of `frame_bytes` is over the limit. DecodeInbound checks
// it first; PeerNetwork also checks it before charging the peer's budget.
Status CheckFrameSize(size_t frame_bytes, const InboundRules& rules);

// The DropReason for a refusal of DecodeInbound (see the table above).
DropReason RefusalReason(const Status& refusal);

}  // namespace hito::node::p2p

#endif  // HITO_NODE_P2P_INBOUND_H_
