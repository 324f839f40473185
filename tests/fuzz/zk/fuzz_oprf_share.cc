// Fuzz target: the threshold OPRF's evaluation-share decoder and verifier (zk/oprf.h), as a
// client receives a validator's answer. Layout: 98 bytes of share, then two 32-byte public
// points (the validator's public share K_i and the client's blinded element B;
// undecodable ones become fillers), the rest ignored. Must never abort; a decoded share
// re-encodes to its exact bytes; combining it alone is defined; and nothing verifies
// against two fillers, points whose discrete logs nobody knows.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "base/hash.h"
#include "zk/hash_to_group.h"
#include "zk/oprf.h"

namespace {

using hito::ByteView;
using hito::zk::Point;

Point Filler(int i) {
  const std::string label = "hito/fuzz/oprf-filler/" + std::to_string(i);
  return hito::zk::HashToGroup(hito::AsBytes(label), hito::AsBytes("hito-fuzz-filler"));
}

Point PointOr(ByteView* rest, int filler) {
  const size_t k = std::min<size_t>(rest->size(), 32);
  auto p = Point::Decode(rest->first(k));
  *rest = rest->subspan(k);
  return p.ok() ? *p : Filler(filler);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool init = [] {
    hito::InitCrypto();
    return true;
  }();
  (void)init;
  using hito::zk::oprf::EvaluationShare;
  ByteView rest(data, size);
  const ByteView share_bytes = rest.first(std::min(rest.size(), EvaluationShare::kSize));
  rest = rest.subspan(share_bytes.size());
  const Point k = PointOr(&rest, 1), b = PointOr(&rest, 2);
  auto share = EvaluationShare::Decode(share_bytes);
  if (!share.ok()) return 0;
  const auto enc = share->Encode();
  if (!std::equal(enc.begin(), enc.end(), share_bytes.begin(), share_bytes.end())) std::abort();
  (void)hito::zk::oprf::VerifyShare(k, b, *share);
  if (hito::zk::oprf::VerifyShare(Filler(1), Filler(2), *share).ok()) std::abort();
  const std::array<EvaluationShare, 1> one = {*share};
  auto combined = hito::zk::oprf::Combine(one);  // lambda = 1 for a single share
  if (!combined.ok() || !(*combined == share->element)) std::abort();
  return 0;
}
