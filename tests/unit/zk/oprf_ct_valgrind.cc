// Constant-time check of the threshold OPRF's secret-handling paths (zk/oprf.h), run under
// valgrind memcheck with the secrets marked undefined (VALGRIND_MAKE_MEM_UNDEFINED):
// the client's blind in Blind (BlindWith) and in FinalizeCombined's unblinding, and a
// validator's key share and proof nonce in PartialEvaluate (evaluation and DLEQ proof).
// Memcheck then reports any conditional branch or memory address computed from them.
// The library marks defined (zk/ct.h) only what the protocol publishes (the blinded
// element, the evaluation share, the proof's t2/t3 which every verifier recomputes) and
// two one-bit answers it branches on: Point::Mul/MulBase's "is the product the
// identity?" (the product is published) and Scalar::Invert's nonzero assertion, which
// for the nonzero secrets here always go the same way. The test runs with no
// suppressions file, so any other secret-dependent branch or address fails it. Exit
// status 1 on a valgrind error (--error-exitcode=1) or a wrong result. Not a GoogleTest
// binary, to keep valgrind's view free of test-framework noise.
#include <sodium.h>

#include <cstdio>
#include <vector>

#include "base/hash.h"
#include "tests/unit/zk/ct_valgrind.h"
#include "zk/oprf.h"

namespace hito::zk::oprf {
namespace {

using ct_test::Declassify;
using ct_test::Poison;

bool Fail(const char* what) {
  std::fprintf(stderr, "oprf ct: %s\n", what);
  return false;
}

bool Published(const void* p, size_t n) { return VALGRIND_CHECK_MEM_IS_DEFINED(p, n) == 0; }

struct Expected {
  Blinded blinded;
  std::vector<KeyShare> shares;
  std::vector<EvaluationShare> answers;
  Output output{};
};

// The same computation with nothing poisoned: what the poisoned runs must reproduce.
bool Reference(ByteView input, const Scalar& blind, const Scalar& sk, Expected* e) {
  auto b = BlindWith(input, blind);
  auto shares = ShareKey(sk, 2, 3);
  if (!b.ok() || !shares.ok()) return Fail("reference setup");
  e->blinded = *b;
  e->shares = *shares;
  for (const KeyShare& s : e->shares) {
    auto a = PartialEvaluate(s, e->blinded.element);
    if (!a.ok()) return Fail("reference partial evaluation");
    e->answers.push_back(*a);
  }
  auto out = FinalizeCombined(input, blind, e->blinded.element.Mul(sk));
  if (!out.ok()) return Fail("reference finalize");
  e->output = *out;
  return true;
}

bool CheckBlind(ByteView input, Scalar blind, const Expected& e) {
  Poison(&blind);
  auto b = BlindWith(input, blind);
  if (!b.ok()) return Fail("blind refused");
  if (!Published(b->element.bytes().data(), 32)) return Fail("blinded element not published");
  return b->element == e.blinded.element || Fail("blinded element differs");
}

bool CheckPartialEvaluate(const Expected& e) {
  for (size_t i = 0; i < e.shares.size(); ++i) {
    KeyShare share = e.shares[i];
    Scalar nonce = Scalar::Random();
    Poison(&share.secret);
    Poison(&nonce);
    auto a = PartialEvaluateWithNonce(share, e.blinded.element, nonce);
    if (!a.ok()) return Fail("partial evaluation refused");
    const auto enc = a->Encode();
    if (!Published(enc.data(), enc.size())) return Fail("evaluation share not all published");
    if (!(a->element == e.answers[i].element)) return Fail("evaluation differs");
    if (!VerifyShare(share.public_share, e.blinded.element, *a).ok()) return Fail("proof fails");
  }
  return true;
}

bool CheckFinalize(ByteView input, Scalar blind, const Scalar& sk, const Expected& e) {
  std::vector<PublicShare> publics;
  for (const KeyShare& s : e.shares) publics.push_back({s.index, s.public_share});
  auto combined = VerifyAndCombine(publics, e.blinded.element, e.answers, 2);
  if (!combined.ok() || !(combined->element == e.blinded.element.Mul(sk))) {
    return Fail("combination differs");
  }
  Poison(&blind);
  auto out = FinalizeCombined(input, blind, combined->element);
  if (!out.ok()) return Fail("finalize refused");
  Output o = *out;
  Declassify(&o);  // the tag is published; only the computation had to be constant time
  return o == e.output || Fail("output differs");
}

bool RunOnce(ByteView input) {
  const Scalar blind = Scalar::Random();
  const Scalar sk = Scalar::Random();
  Expected e;
  return Reference(input, blind, sk, &e) && CheckBlind(input, blind, e) &&
         CheckPartialEvaluate(e) && CheckFinalize(input, blind, sk, e);
}

}  // namespace
}  // namespace hito::zk::oprf

int main() {
  hito::InitCrypto();
  using hito::zk::oprf::RunOnce;
  const bool ok = RunOnce(hito::AsBytes("\x01\x01\x03"
                                        "FRA\x09"
                                        "12AB34567")) &&
                  RunOnce(hito::AsBytes("")) && RunOnce(hito::AsBytes("another handle"));
  std::printf("%s\n", ok ? "oprf ct: ok" : "oprf ct: FAILED");
  if (!RUNNING_ON_VALGRIND) std::printf("(not running under valgrind: no timing checks)\n");
  return ok ? 0 : 1;
}
