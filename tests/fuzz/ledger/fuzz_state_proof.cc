// Fuzzes DecodeStateProof: a proof that decodes must re-encode to exactly the input (one
// encoding per proof), and VerifyProof must return (true or false, no crash) on it for a
// presence and an absence claim.
#include <cstdio>
#include <cstdlib>

#include "consensus/ledger/state_tree.h"

namespace ledger = hito::consensus::ledger;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const hito::ByteView in(data, size);
  hito::Result<ledger::StateProof> proof = ledger::DecodeStateProof(in);
  if (!proof.ok()) return 0;
  const hito::Bytes again = ledger::EncodeStateProof(*proof);
  if (again.size() != size || !std::equal(again.begin(), again.end(), data)) {
    std::fprintf(stderr, "fuzz_state_proof: decoded input does not re-encode to itself\n");
    std::abort();
  }
  // Claims about the proof's own leaf (if any) under a root the proof does not match.
  hito::Hash32 key{};
  hito::Hash32 value{};
  if (proof->leaf) {
    key = proof->leaf->key;
    value = proof->leaf->value_hash;
  }
  const hito::Hash32 root{};
  (void)ledger::VerifyProof(root, key, value, *proof);
  (void)ledger::VerifyProof(root, key, std::nullopt, *proof);
  return 0;
}
