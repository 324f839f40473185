#include "node/p2p/inbound.h"

#include <climits>
#include <utility>

#include "consensus/types/block.h"
#include "consensus/types/limits.h"
#include "consensus/types/transaction.h"
#include "consensus/types/vote.h"

namespace hito::node::p2p {
namespace {

namespace ct = consensus::types;

Result<InboundMessage> DecodeProposal(const v1::ProposalMessage& m, const InboundRules& rules) {
  Result<ct::Proposal> p = ct::DecodeProposal(AsBytes(m.proposal()));
  if (!p.ok()) return InvalidArgumentError("proposal: " + p.status().ToString());
  if (!ct::VerifyProposalSignature(rules.chain_id, *p)) {
    return UnauthenticatedError("proposal signature invalid");
  }
  if (m.block().empty()) {
    return InboundMessage(ConsensusMessage(ProposalWithBlock{std::move(p).value(), std::nullopt}));
  }
  Result<ct::Block> b = ct::DecodeBlock(AsBytes(m.block()));
  if (!b.ok()) return InvalidArgumentError("block: " + b.status().ToString());
  if (b->header.chain_id != rules.chain_id || b->header.height != p->height ||
      ct::HeaderHash(b->header) != p->block_hash) {
    return InvalidArgumentError("proposed block does not match the proposal");
  }
  return InboundMessage(
      ConsensusMessage(ProposalWithBlock{std::move(p).value(), std::move(b).value()}));
}

Result<InboundMessage> DecodeConsensus(const v1::ConsensusMessage& c, const InboundRules& rules) {
  switch (c.kind_case()) {
    case v1::ConsensusMessage::kProposal:
      return DecodeProposal(c.proposal(), rules);
    case v1::ConsensusMessage::kVote: {
      Result<ct::Vote> v = ct::DecodeVote(AsBytes(c.vote()));
      if (!v.ok()) return InvalidArgumentError("vote: " + v.status().ToString());
      if (!ct::VerifyVoteSignature(rules.chain_id, *v)) {
        return UnauthenticatedError("vote signature invalid");
      }
      return InboundMessage(ConsensusMessage(std::move(v).value()));
    }
    case v1::ConsensusMessage::kEvidence: {
      Result<ct::DuplicateVoteEvidence> e = ct::DecodeEvidence(AsBytes(c.evidence()));
      if (!e.ok()) return InvalidArgumentError("evidence: " + e.status().ToString());
      if (Status st = ct::VerifyEvidence(rules.chain_id, *e); !st.ok()) {
        return UnauthenticatedError("evidence: " + st.ToString());
      }
      return InboundMessage(ConsensusMessage(std::move(e).value()));
    }
    case v1::ConsensusMessage::KIND_NOT_SET:
      break;
  }
  return InvalidArgumentError("empty consensus message");
}

Result<InboundMessage> DecodeTxs(const v1::TxGossip& m, const InboundRules& rules) {
  const auto& txs = m.txs();
  if (static_cast<size_t>(txs.size()) > rules.max_txs_per_batch) {
    return InvalidArgumentError("tx batch of " + std::to_string(txs.size()) + " > " +
                                std::to_string(rules.max_txs_per_batch));
  }
  TxBatch out;
  out.reserve(static_cast<size_t>(txs.size()));
  for (const std::string& t : txs) {
    if (t.size() > ct::kTxMaxBytes) return InvalidArgumentError("tx over kTxMaxBytes");
    if (Result<ct::Transaction> d = ct::DecodeTransaction(AsBytes(t)); !d.ok()) {
      return InvalidArgumentError("tx: " + d.status().ToString());
    }
    out.emplace_back(t.begin(), t.end());
  }
  return InboundMessage(std::move(out));
}

Result<InboundMessage> DecodeBlockResponse(const v1::BlockResponse& r, const InboundRules& rules) {
  Result<ct::Block> b = ct::DecodeBlock(AsBytes(r.block()));
  if (!b.ok()) return InvalidArgumentError("block response: block: " + b.status().ToString());
  Result<ct::Commit> c = ct::DecodeCommit(AsBytes(r.commit()));
  if (!c.ok()) return InvalidArgumentError("block response: commit: " + c.status().ToString());
  if (b->header.chain_id != rules.chain_id || b->header.height != r.height() ||
      c->height != r.height() || c->block_hash != ct::HeaderHash(b->header)) {
    return InvalidArgumentError("block response: block/commit do not match the height");
  }
  return InboundMessage(
      BlockAnswer{r.height(), BlockAndCommit{std::move(b).value(), std::move(c).value()}});
}

}  // namespace

InboundRules RulesFor(const PeerNetworkConfig& config) {
  return InboundRules{config.chain_id, config.limits.max_message_bytes,
                      config.limits.max_txs_per_batch};
}

Status CheckFrameSize(size_t frame_bytes, const InboundRules& rules) {
  if (frame_bytes > rules.max_message_bytes) {
    return ResourceExhaustedError(std::to_string(frame_bytes) + " bytes > max " +
                                  std::to_string(rules.max_message_bytes));
  }
  return Status::Ok();
}

Result<InboundMessage> DecodeInbound(ByteView frame, const InboundRules& rules) {
  HITO_RETURN_IF_ERROR(CheckFrameSize(frame.size(), rules));
  v1::PeerMessage m;
  if (frame.size() > static_cast<size_t>(INT_MAX) ||
      !m.ParseFromArray(frame.data(), static_cast<int>(frame.size()))) {
    return InvalidArgumentError("frame is not a PeerMessage");
  }
  return DecodeInbound(m, frame.size(), rules);
}

Result<InboundMessage> DecodeInbound(const v1::PeerMessage& m, size_t frame_bytes,
                                     const InboundRules& rules) {
  HITO_RETURN_IF_ERROR(CheckFrameSize(frame_bytes, rules));
  switch (m.kind_case()) {
    case v1::PeerMessage::kConsensus:
      return DecodeConsensus(m.consensus(), rules);
    case v1::PeerMessage::kTxs:
      return DecodeTxs(m.txs(), rules);
    case v1::PeerMessage::kStatus:
      return InboundMessage(StatusUpdate{m.status().height()});
    case v1::PeerMessage::kBlockRequest:
      return InboundMessage(BlockRequest{m.block_request().height()});
    case v1::PeerMessage::kBlockResponse:
      return DecodeBlockResponse(m.block_response(), rules);
    case v1::PeerMessage::kBlockNotFound:
      return InboundMessage(BlockAnswer{m.block_not_found().height(), std::nullopt});
    case v1::PeerMessage::kHello:
    case v1::PeerMessage::kHelloAuth:
      return InvalidArgumentError("hello after the handshake");
    case v1::PeerMessage::KIND_NOT_SET:
      break;
  }
  return InvalidArgumentError("empty or unknown message kind");
}

DropReason RefusalReason(const Status& refusal) {
  switch (refusal.code()) {
    case StatusCode::kResourceExhausted:
      return DropReason::kOversized;
    case StatusCode::kUnauthenticated:
      return DropReason::kBadSignature;
    default:
      return DropReason::kMalformed;
  }
}

}  // namespace hito::node::p2p
