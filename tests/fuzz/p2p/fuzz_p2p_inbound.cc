// Fuzzes DecodeInbound (node/p2p/inbound.h), everything PeerNetwork checks in a peer's
// frame after the handshake: the frame size, the PeerMessage parse, the kind, the strict
// decoders per field, the cross-field checks and the signatures under the chain id of the
// seeds ("hito-local"). Asserts that the same frame always gets the same answer, that a
// refusal carries one of the three documented codes and a message, and that what is
// accepted is what the frame said: the kind it came as, each decoded field re-encoding to
// exactly its bytes, a tx batch within the limit.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <variant>

#include "consensus/types/block.h"
#include "consensus/types/vote.h"
#include "hito/p2p/v1/p2p.pb.h"
#include "node/p2p/inbound.h"

namespace {

namespace types = hito::consensus::types;
namespace p2p = hito::node::p2p;
namespace v1 = hito::p2p::v1;

void Require(bool ok, const char* why) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_p2p_inbound: %s\n", why);
  std::abort();
}

bool Same(const hito::Bytes& encoded, const std::string& field) {
  return std::string(hito::AsChars(encoded)) == field;
}

void CheckConsensus(const p2p::ConsensusMessage& c, const v1::ConsensusMessage& f) {
  if (const auto* p = std::get_if<p2p::ProposalWithBlock>(&c)) {
    Require(f.has_proposal(), "a proposal from another kind");
    Require(Same(types::EncodeProposal(p->proposal), f.proposal().proposal()),
            "proposal re-encodes differently");
    Require(p->block.has_value() != f.proposal().block().empty(), "block presence differs");
    if (p->block) {
      Require(Same(types::EncodeBlock(*p->block), f.proposal().block()),
              "proposal block re-encodes differently");
    }
  } else if (const auto* v = std::get_if<types::Vote>(&c)) {
    Require(Same(types::EncodeVote(*v), f.vote()), "vote re-encodes differently");
  } else {
    Require(Same(types::EncodeEvidence(std::get<types::DuplicateVoteEvidence>(c)), f.evidence()),
            "evidence re-encodes differently");
  }
}

void CheckAccepted(const p2p::InboundMessage& in, const v1::PeerMessage& m,
                   const p2p::InboundRules& rules) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, p2p::ConsensusMessage>) {
          Require(m.has_consensus(), "consensus from another kind");
          CheckConsensus(x, m.consensus());
        } else if constexpr (std::is_same_v<T, p2p::TxBatch>) {
          Require(m.has_txs() && x.size() == static_cast<size_t>(m.txs().txs_size()) &&
                      x.size() <= rules.max_txs_per_batch,
                  "tx batch differs from the frame or is over the limit");
          for (size_t i = 0; i < x.size(); ++i) {
            Require(Same(x[i], m.txs().txs(static_cast<int>(i))), "tx bytes differ");
          }
        } else if constexpr (std::is_same_v<T, p2p::StatusUpdate>) {
          Require(m.has_status() && m.status().height() == x.height, "status differs");
        } else if constexpr (std::is_same_v<T, p2p::BlockRequest>) {
          Require(m.has_block_request() && m.block_request().height() == x.height,
                  "block request differs");
        } else {
          Require(x.block.has_value() == m.has_block_response(), "block answer kind differs");
          if (x.block) {
            Require(Same(types::EncodeBlock(x.block->block), m.block_response().block()) &&
                        Same(types::EncodeCommit(x.block->commit), m.block_response().commit()),
                    "block answer re-encodes differently");
          }
        }
      },
      in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const p2p::InboundRules rules{"hito-local", p2p::kMaxFrameBytes, 256};
  const hito::ByteView frame(data, size);
  hito::Result<p2p::InboundMessage> once = p2p::DecodeInbound(frame, rules);
  hito::Result<p2p::InboundMessage> twice = p2p::DecodeInbound(frame, rules);
  Require(once.ok() == twice.ok(), "the same frame decoded twice gets two answers");
  if (!once.ok()) {
    const hito::Status& st = once.status();
    Require(st == twice.status(), "the same frame refused twice for two reasons");
    Require(st.code() == hito::StatusCode::kInvalidArgument ||
                st.code() == hito::StatusCode::kResourceExhausted ||
                st.code() == hito::StatusCode::kUnauthenticated,
            "refusal with an undocumented code");
    Require(!st.message().empty(), "refusal without a message");
    return 0;
  }
  v1::PeerMessage m;
  Require(m.ParseFromArray(data, static_cast<int>(size)), "accepted a frame that does not parse");
  CheckAccepted(*once, m, rules);
  return 0;
}
