// Fuzzes the decoders of the other consensus messages a peer can send (vote, proposal,
// evidence of both kinds, commit, header, validator set): every decoder sees the same
// input, and each one that accepts it must re-encode it to exactly the same bytes.
#include <cstdio>
#include <cstdlib>

#include "consensus/types/block.h"
#include "consensus/types/validator_set.h"
#include "consensus/types/vote.h"

namespace {

namespace types = hito::consensus::types;

template <typename Decode, typename Encode>
void Check(const char* name, hito::ByteView in, Decode decode, Encode encode) {
  auto r = decode(in);
  if (!r.ok()) return;
  const hito::Bytes again = encode(*r);
  if (again.size() != in.size() || !std::equal(again.begin(), again.end(), in.begin())) {
    std::fprintf(stderr, "fuzz_msg_decode: %s re-encodes differently\n", name);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const hito::ByteView in(data, size);
  Check("vote", in, types::DecodeVote, types::EncodeVote);
  Check("proposal", in, types::DecodeProposal, types::EncodeProposal);
  Check("evidence", in, types::DecodeEvidence, types::EncodeEvidence);
  Check("proposal_evidence", in, types::DecodeProposalEvidence, types::EncodeProposalEvidence);
  Check("commit", in, types::DecodeCommit, types::EncodeCommit);
  Check("header", in, types::DecodeHeader, types::EncodeHeader);
  Check("validator_set", in, types::DecodeValidatorSet, types::EncodeValidatorSet);
  return 0;
}
