// A dedup evaluation request: what an accredited attester signs when it asks a validator
// for its partial evaluation of a blinded handle (docs/protocol/dedup-oprf.md, section 5;
// DedupService in docs/api.md).
//
// The signature covers the chain id, so a request made for one chain is refused by every
// other; the blinded element, so a signature cannot be moved to another evaluation; and
// the epoch, which the validator checks against its own so that the quota of the epoch
// is the one charged. A replay within the chain and epoch spends the attester's own quota
// and returns an evaluation of an element only the attester can unblind.
//
// Signing bytes: label "hito/v1/dedup-eval-sign" (WriteSigningLabel framing), then
//   chain_id:str attester:32 blinded_element:32 epoch:u64 nonce:u64
// Value type; pure functions; thread-safe.
#ifndef HITO_CONSENSUS_TYPES_DEDUP_REQUEST_H_
#define HITO_CONSENSUS_TYPES_DEDUP_REQUEST_H_

#include <array>
#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "base/ed25519.h"

namespace hito::consensus::types {

struct DedupEvalRequest {
  std::string chain_id;
  Ed25519PublicKey attester{};
  std::array<uint8_t, 32> blinded_element{};  // canonical ristretto255 encoding of B
  uint64_t epoch = 0;
  uint64_t nonce = 0;
  Ed25519Signature signature{};
  friend bool operator==(const DedupEvalRequest&, const DedupEvalRequest&) = default;
};

Bytes DedupEvalSigningBytes(const DedupEvalRequest& r);
// Sets r->attester to key's public key and signs.
void SignDedupEvalRequest(DedupEvalRequest* r, const Ed25519PrivateKey& key);
// Whether r.signature is r.attester's signature over DedupEvalSigningBytes(r).
[[nodiscard]] bool VerifyDedupEvalRequest(const DedupEvalRequest& r);

}  // namespace hito::consensus::types

#endif  // HITO_CONSENSUS_TYPES_DEDUP_REQUEST_H_
