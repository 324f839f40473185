// Fuzz target: arbitrary bytes decoded as a membership proof (zk/proof/triptych.h) and,
// when they decode, verified against a fixed 16-member set (the "set-b" golden vector
// statement). Must never crash, and must never accept anything but the one recorded proof
// (a forged accepted proof aborts). Smoke-run in the suite (label fuzz).
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "base/hash.h"
#include "base/hex.h"
#include "tests/unit/zk/test_prover.h"
#include "zk/proof/triptych.h"

namespace {

using hito::zk::proof::membership::PreparedSet;

const PreparedSet& FixedSet() {
  static const PreparedSet set = [] {
    hito::InitCrypto();
    hito::zk::proof::membership::test_prover::SeededProverRng rng(hito::AsBytes("set-b"));
    std::vector<hito::zk::Point> members;
    for (int i = 0; i < 16; ++i) members.push_back(hito::zk::Point::MulBase(rng.Next()));
    auto s = PreparedSet::Create(members);
    if (!s.ok()) std::abort();
    return std::move(s).value();
  }();
  return set;
}

// Tag of member 15 in context "vote/9": a valid proof must carry it. Any other accepted
// proof would be a forgery of a tag or of membership.
bool IsHonestTag(const hito::zk::Point& tag) {
  static const hito::zk::Point expected = [] {
    hito::zk::proof::membership::test_prover::SeededProverRng rng(hito::AsBytes("set-b"));
    hito::zk::Scalar r;
    for (int i = 0; i < 16; ++i) r = rng.Next();
    return hito::zk::proof::membership::ContextBase("hito-vectors", "vote/9").Mul(r.Invert());
  }();
  return tag == expected;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const PreparedSet& set = FixedSet();
  auto proof = hito::zk::proof::membership::Proof::Decode(hito::ByteView(data, size));
  if (!proof.ok()) return 0;
  if (proof->Encode() != hito::Bytes(data, data + size)) std::abort();  // not canonical
  hito::Status st = hito::zk::proof::membership::Verify(set, "hito-vectors", "vote/9",
                                                        hito::AsBytes("ballot:yes"), *proof);
  if (st.ok() && !IsHonestTag(proof->tag)) std::abort();
  return 0;
}
