// Fuzz target: every input a peer controls around a membership proof at once. The bytes
// are split into set points, a context, a message and a proof (layout below); PreparedSet::Create,
// Proof::Decode, Verify and BatchVerify in both modes must return a value for all of them, never
// abort, and agree with each other.
//
// Layout: u8 k (set size = k % 20 + 1), k * 32 bytes of candidate points (non-canonical
// ones are replaced by fixed members, so the set still builds), u8 c, c bytes of context,
// u8 g, g bytes of message, the rest: the proof (padded or cut to 32 * (8 + 5 * 2) bytes
// when its first byte is even, so that most inputs reach the verifier's arithmetic).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/hash.h"
#include "zk/proof/triptych.h"

namespace {

using hito::ByteView;
using hito::zk::Point;
namespace mp = hito::zk::proof::membership;

struct Reader {
  const uint8_t* p;
  size_t n;
  ByteView Take(size_t k) {
    k = std::min(k, n);
    ByteView out(p, k);
    p += k;
    n -= k;
    return out;
  }
  size_t Byte() { return n == 0 ? 0 : Take(1)[0]; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool init = [] {
    hito::InitCrypto();
    return true;
  }();
  (void)init;
  Reader in{data, size};
  const size_t k = in.Byte() % 20 + 1;
  std::vector<Point> members;
  for (size_t i = 0; i < k; ++i) {
    auto q = Point::Decode(in.Take(32));
    members.push_back(q.ok() ? *q : mp::Filler(1000 + i));
  }
  auto set = mp::PreparedSet::Create(members);
  if (!set.ok()) return 0;  // duplicates are allowed, only the identity is refused
  const ByteView ctx_bytes = in.Take(in.Byte());
  const std::string context(ctx_bytes.begin(), ctx_bytes.end());
  const ByteView message = in.Take(in.Byte());
  hito::Bytes proof_bytes(in.p, in.p + in.n);
  if (!proof_bytes.empty() && proof_bytes[0] % 2 == 0) proof_bytes.resize(mp::ProofSize(2));
  auto proof = mp::Proof::Decode(proof_bytes);
  if (!proof.ok()) return 0;
  const hito::Status single = mp::Verify(*set, "hito-fuzz", context, message, *proof);
  // The same proof four times: the batch path (combined check and bisection).
  const std::vector<mp::Proof> proofs(4, *proof);
  const std::vector<ByteView> messages(4, message);
  for (mp::BatchMode mode : {mp::BatchMode::kAllInvalid, mp::BatchMode::kFirstInvalid}) {
    mp::BatchResult r = mp::BatchVerify(*set, "hito-fuzz", context, messages, proofs, mode);
    if (r.status.ok() != single.ok()) std::abort();  // batch and single verdicts differ
    if (!r.status.ok() && r.invalid.empty()) std::abort();
    if (mode == mp::BatchMode::kFirstInvalid && r.invalid.size() > 1) std::abort();
  }
  return 0;
}
