// The membership prover after its witness check (internal to zk/proof, and the one seam
// tests use to build proofs from fixed nonces or from a false witness).
//
// Production code calls only membership::Prove, which checks the witness in constant time,
// computes the tag and derives hedged nonces before calling ProveWithNonces. Calling it
// directly skips all three: a caller that repeats nonces across statements reveals the
// secret, and one that passes a false witness gets a proof every verifier rejects.
#ifndef HITO_ZK_PROOF_TRIPTYCH_INTERNAL_H_
#define HITO_ZK_PROOF_TRIPTYCH_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"
#include "zk/point.h"
#include "zk/proof/triptych.h"
#include "zk/scalar.h"

namespace hito::zk::proof::membership::internal {

// Scalars one proof consumes for parameter m, in this order: r_A, r_B, r_C, r_D, a_{j,i}
// (j-major, i = 1..3), rho_j.
constexpr size_t NonceCount(size_t m) { return 4 + 4 * m; }

// The proof of "member `index` is secret*G, and tag = secret^-1 U_ctx" from the given
// nonces (NonceCount(set.m()) of them), with no check that either claim is true. Constant
// time in index, secret and nonces; `tag` is public. index must be < set.padded_size()
// (INVALID_ARGUMENT otherwise, never an abort).
Result<Proof> ProveWithNonces(const PreparedSet& set, uint64_t index, const Scalar& secret,
                              std::string_view chain_id, std::string_view context, ByteView message,
                              const Point& tag, std::span<const Scalar> nonces);

}  // namespace hito::zk::proof::membership::internal

#endif  // HITO_ZK_PROOF_TRIPTYCH_INTERNAL_H_
