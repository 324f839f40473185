// Transcript: a Fiat-Shamir transcript of length-framed records over BLAKE2b-512.
//
// Every proof in zk/proof/ starts a Transcript with its own domain label, appends the whole
// public statement and the prover's commitments, then draws challenges. The grammar
// (docs/protocol/membership-proof.md, section 5), every length a u64 big-endian:
//   init(domain)        0x00 || u64 || "hito/v1/transcript" || u64 || domain
//   append(label, data) 0x01 || u64 || label || u64 || data
//   challenge(label)    0x02 || u64 || label || u64(ctr)   -> 64 bytes, reduced mod l;
//                       retried with ctr + 1 while zero, then the state absorbs the
//                       challenge record and the 32-byte challenge.
// Challenges are never zero. A Transcript is a value: copy it to fork. Not thread-safe;
// it holds no secrets unless a caller appends one (nobody does).
#ifndef HITO_ZK_PROOF_TRANSCRIPT_H_
#define HITO_ZK_PROOF_TRANSCRIPT_H_

#include <sodium.h>

#include <cstdint>
#include <string_view>

#include "base/bytes.h"
#include "zk/point.h"
#include "zk/scalar.h"

namespace hito::zk::proof {

class Transcript {
 public:
  explicit Transcript(std::string_view domain);

  void Append(std::string_view label, ByteView data);
  void AppendString(std::string_view label, std::string_view data) { Append(label, AsBytes(data)); }
  void AppendU64(std::string_view label, uint64_t v);
  void AppendPoint(std::string_view label, const Point& p) { Append(label, p.bytes()); }
  void AppendScalar(std::string_view label, const Scalar& s) { Append(label, s.bytes()); }

  // A uniform nonzero scalar bound to everything appended so far; appended in turn.
  Scalar ChallengeScalar(std::string_view label);

 private:
  void Absorb(ByteView b);
  void AbsorbFramed(uint8_t kind, std::string_view label);

  crypto_generichash_state state_;
};

}  // namespace hito::zk::proof

#endif  // HITO_ZK_PROOF_TRANSCRIPT_H_
