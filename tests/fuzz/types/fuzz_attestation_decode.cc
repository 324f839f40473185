// Fuzzes DecodeAttestation (the attestation file a registrant receives from an attester,
// and the body of every registration): any input that decodes must re-encode to exactly
// the same bytes; anything else must be rejected without a crash. Registrations and
// revocations inside transactions are covered by fuzz_tx_decode.
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "consensus/types/personhood.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const hito::ByteView in(data, size);
  hito::Result<hito::consensus::types::Attestation> a =
      hito::consensus::types::DecodeAttestation(in);
  if (!a.ok()) return 0;
  const hito::Bytes again = hito::consensus::types::EncodeAttestation(*a);
  if (again.size() != size || !std::equal(again.begin(), again.end(), data)) {
    std::fprintf(stderr, "fuzz_attestation_decode: decoded input does not re-encode to itself\n");
    std::abort();
  }
  return 0;
}
