// Constant-time check of the membership prover, run under valgrind memcheck: the secret
// (r), the index (l) and the fresh randomness the prover hedges into its nonces are marked
// undefined
// (VALGRIND_MAKE_MEM_UNDEFINED). Memcheck then reports any conditional branch or memory
// address computed from them. The prover itself marks defined only what the protocol
// publishes (commitments before they enter the transcript, the tag, the responses and
// the witness-validity bit; zk/ct.h Declassify). Exit status 1 on a valgrind error
// (--error-exitcode=1) or on a wrong result. Not a GoogleTest binary, to keep valgrind's
// view free of test-framework noise. Sizes are small (N = 16, 64): each prove is the
// same code path as at 2^16, only fewer loop iterations.
#include <sodium.h>

#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "base/hash.h"
#include "tests/unit/zk/ct_valgrind.h"
#include "zk/proof/triptych.h"

namespace hito::zk::proof::membership {
namespace {

using ct_test::Poison;

// Draws from libsodium and marks the fresh bytes secret before the prover hedges them.
class PoisonedRng final : public ProverRng {
 public:
  void Fill(std::span<uint8_t, 32> out) override {
    randombytes_buf(out.data(), out.size());
    ct_test::PoisonBytes(out.data(), out.size());
  }
};

bool RunOnce(size_t set_size, uint64_t index) {
  std::vector<Scalar> secrets;
  std::vector<Point> members;
  for (size_t i = 0; i < set_size; ++i) {
    secrets.push_back(Scalar::Random());
    members.push_back(Point::MulBase(secrets.back()));
  }
  auto set = PreparedSet::Create(members);
  if (!set.ok()) return false;
  Scalar r = secrets[index];
  uint64_t l = index;
  Poison(&r);
  Poison(&l);
  PoisonedRng rng;
  auto proof = Prove(*set, l, r, "hito-ct", "ubi/1", AsBytes("msg"), &rng);
  if (!proof.ok()) {
    std::fprintf(stderr, "prove failed: %s\n", proof.status().ToString().c_str());
    return false;
  }
  // Everything in the proof must already be defined; verification is public work.
  Bytes enc = proof->Encode();
  if (VALGRIND_CHECK_MEM_IS_DEFINED(enc.data(), enc.size()) != 0) {
    std::fprintf(stderr, "proof bytes not all published\n");
    return false;
  }
  Status st = Verify(*set, "hito-ct", "ubi/1", AsBytes("msg"), *proof);
  if (!st.ok()) {
    std::fprintf(stderr, "verify failed: %s\n", st.ToString().c_str());
    return false;
  }
  // A wrong witness: the prover must refuse, revealing only that.
  Scalar wrong = secrets[(index + 1) % set_size];
  Poison(&wrong);
  auto refused = Prove(*set, l, wrong, "hito-ct", "ubi/1", AsBytes("msg"), &rng);
  ct_test::Declassify(&wrong);
  if (refused.ok()) {
    std::fprintf(stderr, "prover accepted a wrong witness\n");
    return false;
  }
  return true;
}

}  // namespace
}  // namespace hito::zk::proof::membership

int main() {
  hito::InitCrypto();
  using hito::zk::proof::membership::RunOnce;
  bool ok = RunOnce(16, 5) && RunOnce(13, 12) && RunOnce(64, 33);
  std::printf("%s\n", ok ? "ct prove: ok" : "ct prove: FAILED");
  if (!RUNNING_ON_VALGRIND) std::printf("(not running under valgrind: no timing checks)\n");
  return ok ? 0 : 1;
}
