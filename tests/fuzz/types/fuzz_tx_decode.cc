// Fuzzes DecodeTransaction: any input that decodes must re-encode to exactly the same
// bytes (one encoding per transaction); anything else must be rejected without a crash.
#include <cstdio>
#include <cstdlib>

#include "consensus/types/transaction.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const hito::ByteView in(data, size);
  hito::Result<hito::consensus::types::Transaction> tx =
      hito::consensus::types::DecodeTransaction(in);
  if (!tx.ok()) return 0;
  const hito::Bytes again = hito::consensus::types::EncodeTransaction(*tx);
  if (again.size() != size || !std::equal(again.begin(), again.end(), data)) {
    std::fprintf(stderr, "fuzz_tx_decode: decoded input does not re-encode to itself\n");
    std::abort();
  }
  return 0;
}
