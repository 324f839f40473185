// Fuzzes DecodeBlock: any input that decodes must re-encode to exactly the same bytes;
// anything else must be rejected without a crash. Also re-checks that the decoded body
// matches the header hashes the decoder promised to verify.
#include <cstdio>
#include <cstdlib>

#include "consensus/types/block.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace types = hito::consensus::types;
  const hito::ByteView in(data, size);
  hito::Result<types::Block> b = types::DecodeBlock(in);
  if (!b.ok()) return 0;
  const hito::Bytes again = types::EncodeBlock(*b);
  if (again.size() != size || !std::equal(again.begin(), again.end(), data)) {
    std::fprintf(stderr, "fuzz_block_decode: decoded input does not re-encode to itself\n");
    std::abort();
  }
  if (types::TxRoot(b->txs) != b->header.tx_root ||
      types::CommitHash(b->last_commit) != b->header.last_commit_hash ||
      types::EvidenceHash(b->evidence) != b->header.evidence_hash) {
    std::fprintf(stderr, "fuzz_block_decode: decoded block does not match its header\n");
    std::abort();
  }
  return 0;
}
