// Fuzzes a p2p frame: the input is parsed as a PeerMessage (what gRPC hands PeerNetwork),
// and every byte field is given to the types decoder PeerNetwork uses for it, each
// required to re-encode what it accepts to the same bytes, whatever the rest of the frame
// says. The frame itself must survive a serialize/parse round trip. PeerNetwork's own
// checks on top (kinds, limits, cross-field agreement, signatures) are fuzz_p2p_inbound's.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "consensus/types/block.h"
#include "consensus/types/transaction.h"
#include "consensus/types/vote.h"
#include "hito/p2p/v1/p2p.pb.h"

namespace {

namespace types = hito::consensus::types;
namespace v1 = hito::p2p::v1;

void Fail(const char* why) {
  std::fprintf(stderr, "fuzz_p2p_message: %s\n", why);
  std::abort();
}

hito::ByteView View(const std::string& s) {
  return hito::ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

template <typename Decode, typename Encode>
void Check(const char* name, const std::string& field, Decode decode, Encode encode) {
  const hito::ByteView in = View(field);
  auto r = decode(in);
  if (!r.ok()) return;
  const hito::Bytes again = encode(*r);
  if (again.size() != in.size() || !std::equal(again.begin(), again.end(), in.begin())) {
    std::fprintf(stderr, "fuzz_p2p_message: %s re-encodes differently\n", name);
    std::abort();
  }
}

void Fields(const v1::PeerMessage& m) {
  switch (m.kind_case()) {
    case v1::PeerMessage::kConsensus: {
      const v1::ConsensusMessage& c = m.consensus();
      if (c.has_proposal()) {
        Check("proposal", c.proposal().proposal(), types::DecodeProposal, types::EncodeProposal);
        Check("proposal block", c.proposal().block(), types::DecodeBlock, types::EncodeBlock);
      }
      if (c.kind_case() == v1::ConsensusMessage::kVote) {
        Check("vote", c.vote(), types::DecodeVote, types::EncodeVote);
      }
      if (c.kind_case() == v1::ConsensusMessage::kEvidence) {
        Check("evidence", c.evidence(), types::DecodeEvidence, types::EncodeEvidence);
      }
      break;
    }
    case v1::PeerMessage::kTxs:
      for (const std::string& t : m.txs().txs()) {
        Check("tx", t, types::DecodeTransaction, types::EncodeTransaction);
      }
      break;
    case v1::PeerMessage::kBlockResponse:
      Check("block", m.block_response().block(), types::DecodeBlock, types::EncodeBlock);
      Check("commit", m.block_response().commit(), types::DecodeCommit, types::EncodeCommit);
      break;
    default:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  v1::PeerMessage m;
  if (!m.ParseFromArray(data, static_cast<int>(size))) return 0;
  Fields(m);
  std::string once;
  if (!m.SerializeToString(&once)) Fail("a parsed frame does not serialize");
  v1::PeerMessage again;
  if (!again.ParseFromString(once)) Fail("a serialized frame does not parse back");
  std::string twice;
  if (!again.SerializeToString(&twice) || twice != once) Fail("frame round trip differs");
  return 0;
}
