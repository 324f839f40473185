// The attester's side of the validators' dedup OPRF (docs/protocol/dedup-oprf.md): a
// person's canonical handle is blinded, every validator is asked for its partial
// evaluation (in parallel, each with bounded retries and a per-attempt deadline), each
// share's DLEQ proof is checked against that validator's public share, t good shares are
// combined and the result finalised into the dedup tag. Validators never see the handle.
//
// Validators are named by their gRPC addresses (`hito attester attest --validators`);
// their indices and public shares come from DedupService.GetKeys of the node the wallet
// talks to. A validator that cannot be reached, refuses, or answers with a share whose
// proof fails is named on the progress stream and left out; fewer than t good shares is
// an error saying how many answered.
//
// The blind is a secret: it is wiped before EvaluateDedupTag returns. Thread-safe.
#ifndef HITO_WALLET_DEDUP_CLIENT_H_
#define HITO_WALLET_DEDUP_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "base/ed25519.h"
#include "base/status.h"
#include "consensus/types/handle.h"
#include "hito/v1/dedup.pb.h"
#include "zk/oprf.h"

namespace hito::wallet {

struct DedupEvalOptions {
  std::vector<std::string> validators;  // gRPC HOST:PORT of each validator to ask
  std::chrono::milliseconds attempt_timeout{2000};
  int attempts = 3;  // per validator; only unreachable or timed-out attempts are retried
  std::ostream* progress = nullptr;  // one line per event, if set
};

struct DedupEvalResult {
  zk::oprf::Tag tag{};
  std::vector<uint16_t> used;     // the t share indices combined
  std::vector<uint16_t> refused;  // indices whose proof failed
  size_t answered = 0;            // validators that answered with a share
};

// The dedup tag of `handle`, asked of opts.validators with requests signed by `attester`
// for `chain_id` and the keys' epoch.
Result<DedupEvalResult> EvaluateDedupTag(const hito::v1::GetDedupKeysResponse& keys,
                                         std::string_view chain_id,
                                         const Ed25519PrivateKey& attester,
                                         const consensus::types::Handle& handle,
                                         const DedupEvalOptions& opts);

// A DedupService.Evaluate request for `blinded`, signed by `attester` for `chain_id`,
// `epoch` and `nonce` (types::DedupEvalSigningBytes); EvaluateDedupTag draws the nonce.
hito::v1::DedupEvaluateRequest SignedDedupRequest(std::string_view chain_id, uint64_t epoch,
                                                  uint64_t nonce, const Ed25519PrivateKey& attester,
                                                  const zk::Point& blinded);

// "host:port,host:port" -> the list; refuses an empty list, empty entries and entries
// without a port.
Result<std::vector<std::string>> ParseValidatorList(std::string_view text);

}  // namespace hito::wallet

#endif  // HITO_WALLET_DEDUP_CLIENT_H_
