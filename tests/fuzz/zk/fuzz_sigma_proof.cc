// Fuzz target: the Schnorr and DLEQ proof decoders and verifiers (zk/proof/sigma.h), as a
// registration carries them. Layout: u8 selector (bit 0: DLEQ), 64 bytes of proof, three
// 32-byte public points (P, H, Q; undecodable ones become fillers), the rest the message.
// Must never abort; a decoded proof re-encodes to its exact bytes; and nothing verifies
// against the fillers, points whose discrete logs nobody knows.
#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "base/hash.h"
#include "zk/proof/sigma.h"
#include "zk/proof/triptych.h"

namespace {

using hito::ByteView;
using hito::zk::Point;

Point PointOr(ByteView* rest, uint64_t filler) {
  const size_t k = std::min<size_t>(rest->size(), 32);
  auto p = Point::Decode(rest->first(k));
  *rest = rest->subspan(k);
  return p.ok() ? *p : hito::zk::proof::membership::Filler(filler);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool init = [] {
    hito::InitCrypto();
    return true;
  }();
  (void)init;
  if (size < 1) return 0;
  const bool dleq = (data[0] & 1) != 0;
  ByteView rest(data + 1, size - 1);
  const ByteView proof_bytes = rest.first(std::min<size_t>(rest.size(), 64));
  rest = rest.subspan(proof_bytes.size());
  const Point p = PointOr(&rest, 1), h = PointOr(&rest, 2), q = PointOr(&rest, 3);
  const ByteView message = rest;
  const Point f1 = hito::zk::proof::membership::Filler(1),
              f2 = hito::zk::proof::membership::Filler(2),
              f3 = hito::zk::proof::membership::Filler(3);
  if (dleq) {
    auto proof = hito::zk::proof::DleqProof::Decode(proof_bytes);
    if (!proof.ok()) return 0;
    const auto enc = proof->Encode();
    if (!std::equal(enc.begin(), enc.end(), proof_bytes.begin(), proof_bytes.end())) std::abort();
    (void)hito::zk::proof::DleqVerify(h, p, q, message, *proof);
    if (hito::zk::proof::DleqVerify(f2, f1, f3, message, *proof).ok()) std::abort();
  } else {
    auto proof = hito::zk::proof::SchnorrProof::Decode(proof_bytes);
    if (!proof.ok()) return 0;
    const auto enc = proof->Encode();
    if (!std::equal(enc.begin(), enc.end(), proof_bytes.begin(), proof_bytes.end())) std::abort();
    (void)hito::zk::proof::SchnorrVerify(p, message, *proof);
    if (hito::zk::proof::SchnorrVerify(f1, message, *proof).ok()) std::abort();
  }
  return 0;
}
