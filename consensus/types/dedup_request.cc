#include "consensus/types/dedup_request.h"

#include "consensus/types/codec.h"

namespace hito::consensus::types {
namespace {

constexpr std::string_view kDedupEvalSignLabel = "hito/v1/dedup-eval-sign";

}  // namespace

Bytes DedupEvalSigningBytes(const DedupEvalRequest& r) {
  return EncodeWith([&](Writer* w) {
    WriteSigningLabel(w, kDedupEvalSignLabel);
    w->String(r.chain_id);
    w->Fixed(r.attester);
    w->Fixed(r.blinded_element);
    w->U64(r.epoch);
    w->U64(r.nonce);
  });
}

void SignDedupEvalRequest(DedupEvalRequest* r, const Ed25519PrivateKey& key) {
  r->attester = key.public_key();
  r->signature = key.Sign(DedupEvalSigningBytes(*r));
}

bool VerifyDedupEvalRequest(const DedupEvalRequest& r) {
  return Ed25519Verify(r.attester, DedupEvalSigningBytes(r), r.signature);
}

}  // namespace hito::consensus::types
