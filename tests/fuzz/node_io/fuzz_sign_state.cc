// Fuzzes DecodeSignState (the signer's never-sign-twice record, read at startup): a record
// that decodes must re-encode to exactly the input. The 8-byte checksum stops most
// mutations early; the seeds are real records, so the fuzzer also mutates their tails.
#include <cstdio>
#include <cstdlib>

#include "node/io/durable_signer.h"

namespace io = hito::node::io;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hito::Result<io::SignState> s = io::DecodeSignState(hito::ByteView(data, size));
  if (!s.ok()) return 0;
  const hito::Bytes again = io::EncodeSignState(*s);
  if (again.size() != size || !std::equal(again.begin(), again.end(), data)) {
    std::fprintf(stderr, "fuzz_sign_state: decoded input does not re-encode to itself\n");
    std::abort();
  }
  return 0;
}
