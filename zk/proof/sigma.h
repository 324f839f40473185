// Schnorr proofs of knowledge of a discrete log and Chaum-Pedersen (DLEQ) proofs of
// equality of two discrete logs, over ristretto255, made non-interactive with a Transcript
// and bound to a caller's message.
//
//   Schnorr: knows x with P = x*G.              Encoding R || s            (64 bytes).
//   DLEQ:    knows x with P = x*G and Q = x*H.  Encoding c || s            (64 bytes).
// Transcript domains "hito/v1/schnorr" and "hito/v1/dleq"; the layout is in
// docs/protocol/membership-proof.md, section 9. Decoders accept only the exact size,
// canonical scalars and canonical non-identity points. Provers use libsodium (constant time
// in x and the nonce) and wipe their nonce. All functions are thread-safe.
#ifndef HITO_ZK_PROOF_SIGMA_H_
#define HITO_ZK_PROOF_SIGMA_H_

#include <array>

#include "base/bytes.h"
#include "base/status.h"
#include "zk/point.h"
#include "zk/scalar.h"

namespace hito::zk::proof {

struct SchnorrProof {
  static constexpr size_t kSize = 64;
  Point r;   // commitment k*G, never the identity
  Scalar s;  // k + c*x

  std::array<uint8_t, kSize> Encode() const;
  static Result<SchnorrProof> Decode(ByteView b);
};

// Proves knowledge of x for P = x*G. Fails if x is zero.
Result<SchnorrProof> SchnorrProve(const Scalar& x, ByteView message);
// OK iff the proof is valid for P (non-identity) and message.
Status SchnorrVerify(const Point& p, ByteView message, const SchnorrProof& proof);

struct DleqProof {
  static constexpr size_t kSize = 64;
  Scalar c;  // challenge, nonzero
  Scalar s;  // k + c*x

  std::array<uint8_t, kSize> Encode() const;
  static Result<DleqProof> Decode(ByteView b);
};

// Proves knowledge of x with P = x*G and Q = x*H (P and Q are computed from x and h).
// Fails if x is zero or h is the identity.
Result<DleqProof> DleqProve(const Scalar& x, const Point& h, ByteView message);
// OK iff the proof shows log_G(P) = log_H(Q); h, p, q must be non-identity.
Status DleqVerify(const Point& h, const Point& p, const Point& q, ByteView message,
                  const DleqProof& proof);

}  // namespace hito::zk::proof

#endif  // HITO_ZK_PROOF_SIGMA_H_
