// Verifiable oblivious PRF (RFC 9497, suite ristretto255-SHA512) and its threshold variant,
// from which dedup tags are derived (docs/protocol/dedup-oprf.md).
//
// Single key (the RFC, used by the vectors): Blind -> BlindEvaluate -> Finalize.
// Threshold (k shared t-of-n among validators, share i = (k_i, K_i = k_i*G)):
//   client Blind -> validator PartialEvaluate (Z_i = k_i*B with the RFC's DLEQ proof that
//   log_G K_i = log_B Z_i) -> client VerifyAndCombine (checks each proof, names the
//   indices that fail, Lagrange-combines t good shares at 0) -> FinalizeCombined.
//
// Secrets (the blind, keys and shares, polynomial coefficients, proof nonces) are only
// handled by libsodium (zk/scalar.h, zk/point.h) and wiped by their owners with Wipe();
// verification and combination work on public data with zk's variable-time arithmetic.
// Every function that takes a Mode defaults to the VOPRF mode hito uses; kOprf exists
// for the RFC's OPRF-mode vectors. Pure functions apart from libsodium's RNG; thread-safe.
#ifndef HITO_ZK_OPRF_H_
#define HITO_ZK_OPRF_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "zk/point.h"
#include "zk/scalar.h"

namespace hito::zk::oprf {

// RFC 9497 section 3.1 modes; the context string is "OPRFV1-" || mode || "-ristretto255-SHA512".
enum class Mode : uint8_t { kOprf = 0x00, kVoprf = 0x01 };

inline constexpr size_t kOutputSize = 64;  // SHA-512
inline constexpr size_t kTagSize = 32;
// Share indices run 1..kMaxParticipants (0 is where the key lives).
inline constexpr uint16_t kMaxParticipants = 256;
// RFC 9497 inputs are at most 2^16 - 1 bytes (I2OSP(len(input), 2)).
inline constexpr size_t kMaxInputSize = 0xffff;

using Output = std::array<uint8_t, kOutputSize>;
using Tag = std::array<uint8_t, kTagSize>;

// contextString of RFC 9497 section 3.1 for the mode.
Bytes ContextString(Mode mode);

// A DLEQ proof (RFC 9497 section 2.2): c || s, two canonical scalars.
struct Proof {
  static constexpr size_t kSize = 64;
  Scalar c;
  Scalar s;

  std::array<uint8_t, kSize> Encode() const;
  // Exactly 64 bytes, both scalars canonical.
  static Result<Proof> Decode(ByteView b);
  friend bool operator==(const Proof&, const Proof&) = default;
};

// The client's state between Blind and Finalize. `blind` is secret: Wipe() when done.
struct Blinded {
  Scalar blind;
  Point element;  // BlindedElement, sent to the evaluators
  void Wipe() { blind.Wipe(); }
};

// RFC Blind with a fresh random blind. Fails (InvalidArgument) on an input over
// kMaxInputSize or one that hashes to the identity.
Result<Blinded> Blind(ByteView input, Mode mode = Mode::kVoprf);
// As Blind, with the blind given (test vectors; a zero blind is refused).
Result<Blinded> BlindWith(ByteView input, const Scalar& blind, Mode mode = Mode::kVoprf);

// RFC BlindEvaluate (single key): evaluated = sk * blinded and its proof against
// pk = sk*G. Refuses an identity `blinded` and a zero key.
struct Evaluation {
  Point element;  // EvaluationElement
  Proof proof;
};
Result<Evaluation> BlindEvaluate(const Scalar& sk, const Point& blinded, Mode mode = Mode::kVoprf);
// As BlindEvaluate with the proof nonce given (test vectors). The nonce is secret.
Result<Evaluation> BlindEvaluateWithNonce(const Scalar& sk, const Point& blinded,
                                          const Scalar& nonce, Mode mode = Mode::kVoprf);

// RFC VerifyProof(G, pk, [blinded], [evaluated], proof). Public data only.
Status VerifyProof(const Point& pk, const Point& blinded, const Point& evaluated,
                   const Proof& proof, Mode mode = Mode::kVoprf);

// RFC Finalize (VOPRF): verifies the proof against pk, then unblinds and hashes.
Result<Output> Finalize(ByteView input, const Scalar& blind, const Point& evaluated,
                        const Point& blinded, const Point& pk, const Proof& proof,
                        Mode mode = Mode::kVoprf);
// Finalize without a proof check, for an evaluated element whose correctness was
// established otherwise (VerifyAndCombine's per-share proofs; the OPRF mode):
// SHA-512(I2OSP(len(input), 2) || input || I2OSP(32, 2) || blind^-1 * evaluated || "Finalize").
// Refuses an identity `evaluated` and an over-long input.
Result<Output> FinalizeCombined(ByteView input, const Scalar& blind, const Point& evaluated);

// The dedup tag: the first 32 bytes of the output (docs/protocol/dedup-oprf.md).
Tag TagOf(const Output& output);

// ---- Threshold ----

// Validator `index`'s share of the key. `secret` is secret: Wipe() when done.
struct KeyShare {
  uint16_t index = 0;
  Scalar secret;       // k_i = f(index)
  Point public_share;  // K_i = k_i * G
  void Wipe() { secret.Wipe(); }
};

// What a client knows of a validator: its index and public share.
struct PublicShare {
  uint16_t index = 0;
  Point key;  // K_i
};

// Shamir sharing of k (for tests and devnets that deal shares; production shares come
// from the DKG): a random polynomial f of degree t-1 with f(0) = k, share i = f(i) for
// i = 1..n. Refuses t = 0, t > n, n > kMaxParticipants and k = 0.
Result<std::vector<KeyShare>> ShareKey(const Scalar& k, uint16_t threshold, uint16_t n);

// A validator's answer to one blinded element: Z_i and the DLEQ proof, with its index.
// Wire form: index:u16 (big-endian, 1..kMaxParticipants) || Z_i:32 || c:32 || s:32.
struct EvaluationShare {
  static constexpr size_t kSize = 2 + 32 + Proof::kSize;
  uint16_t index = 0;
  Point element;
  Proof proof;

  std::array<uint8_t, kSize> Encode() const;
  // Exactly kSize bytes; index in range; Z_i canonical and not the identity; canonical
  // scalars. Every other byte string is refused with a message saying which field.
  static Result<EvaluationShare> Decode(ByteView b);
  friend bool operator==(const EvaluationShare&, const EvaluationShare&) = default;
};

// Z_i = k_i * blinded with its proof (fresh random nonce). Refuses an identity `blinded`.
Result<EvaluationShare> PartialEvaluate(const KeyShare& share, const Point& blinded);
// As PartialEvaluate with the proof nonce given (tests). The nonce is secret.
Result<EvaluationShare> PartialEvaluateWithNonce(const KeyShare& share, const Point& blinded,
                                                 const Scalar& nonce);

// Checks share's proof that log_G public_share = log_blinded share.element. The error
// names the share's index.
Status VerifyShare(const Point& public_share, const Point& blinded, const EvaluationShare& share);

// Lagrange coefficients at 0 for the distinct indices given: lambda_i = prod_{j != i}
// j / (j - i). Refuses an empty list, index 0, an index over kMaxParticipants and repeats.
Result<std::vector<Scalar>> LagrangeAtZero(std::span<const uint16_t> indices);

// sum lambda_i * Z_i over exactly the shares given (unverified; see VerifyAndCombine).
Result<Point> Combine(std::span<const EvaluationShare> shares);

struct Combined {
  Point element;                  // k * blinded, for FinalizeCombined
  std::vector<uint16_t> used;     // the t indices combined, in the order given
  std::vector<uint16_t> refused;  // indices whose proof failed (report these validators)
};
// Verifies shares in the order given against the public share of their index (unknown
// and repeated indices are refused outright) until `threshold` have verified, and
// combines those; shares after them are not checked. Fails if fewer than `threshold`
// verify; the message names every refused index.
Result<Combined> VerifyAndCombine(std::span<const PublicShare> validators, const Point& blinded,
                                  std::span<const EvaluationShare> shares, uint16_t threshold);

}  // namespace hito::zk::oprf

#endif  // HITO_ZK_OPRF_H_
