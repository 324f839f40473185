// Distributed key generation and resharing of a t-of-n ristretto255 secret (the dedup
// OPRF key): Pedersen's DKG with Feldman commitments and a public complaint round, and
// proactive resharing to a new committee that keeps the group key. Spec:
// docs/protocol/dkg.md.
//
// The library knows nothing of blocks or transactions: it makes and decodes the messages
// (strict, canonical encodings, ready to be carried in transactions), and it decides.
// Qualify and QualifyReshare are deterministic functions of the set of messages the ledger
// accepted before a phase deadline (no clock, no randomness, ordered iteration only), so
// every node computes the same qualified set, group key and public shares.
//
// Secrets (polynomial coefficients, shares, the recipient's key) are handled by libsodium
// only and wiped after use; public arithmetic uses zk's variable-time EdPoint code. All
// functions are pure apart from libsodium's CSPRNG in Deal/DealReshare; thread-safe.
#ifndef HITO_ZK_DKG_H_
#define HITO_ZK_DKG_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/ed25519.h"
#include "base/status.h"
#include "zk/point.h"
#include "zk/scalar.h"

namespace hito::zk::dkg {

// Committee size limit: a 256-member dealing encodes in 38,187 bytes, under the
// transaction size limit.
inline constexpr size_t kMaxParticipants = 256;
// kind || session || dealer || recipient || share, sealed (crypto_box_SEALBYTES = 48).
inline constexpr size_t kSharePlaintextSize = 1 + 32 + 2 + 2 + 32;
inline constexpr size_t kEncryptedShareSize = kSharePlaintextSize + 48;

using SessionId = Hash32;
using EncryptedShare = std::array<uint8_t, kEncryptedShareSize>;

// Message type tags, the first byte of every encoding. kDealing and kReshareDealing are
// also the "kind" bound into an encrypted share.
enum class MessageType : uint8_t {
  kDealing = 1,
  kComplaint = 2,
  kJustification = 3,
  kReshareDealing = 4,
};

// floor(2n/3) + 1: more than two thirds. REQUIRES 1 <= n <= kMaxParticipants.
uint16_t DefaultThreshold(size_t n);

// The members of one run: keys[p] is the Ed25519 validator key of the member with index
// p + 1; threshold t, 1 <= t <= keys.size() <= kMaxParticipants.
struct Committee {
  std::vector<Ed25519PublicKey> keys;
  uint16_t threshold = 0;

  uint16_t size() const { return static_cast<uint16_t>(keys.size()); }
};
// Checks the size and threshold bounds above.
Status ValidateCommittee(const Committee& committee);

// The fields shared by a DKG dealing and a reshare dealing.
struct DealingFields {
  SessionId session{};
  uint16_t dealer = 0;                 // index, 1-based
  std::vector<Point> commitments;      // C_0 .. C_{t-1}, none the identity
  std::vector<EncryptedShare> shares;  // shares[l - 1] for recipient l

  friend bool operator==(const DealingFields&, const DealingFields&) = default;
};

// A DKG dealing (spec section 2, phase 1).
struct Dealing : DealingFields {
  Bytes Encode() const;
  static Result<Dealing> Decode(ByteView b);
  friend bool operator==(const Dealing&, const Dealing&) = default;
};

// A resharing dealing: the same fields, commitments[0] must equal the dealer's old public
// share, and the share count and threshold are the new committee's.
struct ReshareDealing : DealingFields {
  Bytes Encode() const;
  static Result<ReshareDealing> Decode(ByteView b);
  friend bool operator==(const ReshareDealing&, const ReshareDealing&) = default;
};

// "The share dealer sent me does not open or does not match its commitments."
struct Complaint {
  SessionId session{};
  uint16_t dealer = 0;
  uint16_t complainer = 0;

  Bytes Encode() const;
  static Result<Complaint> Decode(ByteView b);
  friend bool operator==(const Complaint&, const Complaint&) = default;
};

// The dealer's answer to a complaint: the complainer's share, in clear.
struct Justification {
  SessionId session{};
  uint16_t dealer = 0;
  uint16_t complainer = 0;
  Scalar share;

  Bytes Encode() const;
  static Result<Justification> Decode(ByteView b);
  friend bool operator==(const Justification&, const Justification&) = default;
};

// Everything the ledger accepted for one DKG run before the deadlines, in any order.
struct DkgTranscript {
  std::vector<Dealing> dealings;
  std::vector<Complaint> complaints;
  std::vector<Justification> justifications;
};
struct ReshareTranscript {
  std::vector<ReshareDealing> dealings;
  std::vector<Complaint> complaints;
  std::vector<Justification> justifications;
};

enum class Disqualification : uint8_t {
  kNoDealing = 1,
  kEquivocation = 2,
  kBadStructure = 3,
  kWrongConstantTerm = 4,
  kTooManyComplaints = 5,
  kUnansweredComplaint = 6,
  kInvalidJustification = 7,
};
std::string_view DisqualificationName(Disqualification reason);

struct QualifiedDealer {
  uint16_t dealer = 0;
  Scalar weight;  // 1 for a DKG, the Lagrange coefficient at 0 for a resharing
};
struct DisqualifiedDealer {
  uint16_t dealer = 0;
  Disqualification reason{};
};

// The result of a run, the same on every node.
struct Outcome {
  uint16_t threshold = 0;                    // of the committee now holding the key
  std::vector<QualifiedDealer> qualified;    // increasing dealer index
  std::vector<DisqualifiedDealer> excluded;  // increasing dealer index
  Point group_key;                           // K
  std::vector<Point> public_shares;          // public_shares[l - 1] = K_l
};

// ---- Dealer side (secret; libsodium) ----

// The dealer's polynomial, kept until the justification phase is over so that it can
// answer complaints. Move-only; wiped (sodium_memzero) when it dies.
class DealerSecret {
 public:
  // Takes the coefficients (coefficients[0] the constant term). REQUIRES non-empty.
  DealerSecret(const SessionId& session, uint16_t dealer, std::vector<Scalar> coefficients);
  DealerSecret(DealerSecret&& other) noexcept;
  DealerSecret& operator=(DealerSecret&& other) noexcept;
  DealerSecret(const DealerSecret&) = delete;
  DealerSecret& operator=(const DealerSecret&) = delete;
  ~DealerSecret();

  // The answer to complainer's complaint: f(complainer) in clear (spec section 2, phase 3).
  // REQUIRES complainer in 1..kMaxParticipants.
  Justification Justify(uint16_t complainer) const;

 private:
  void Wipe();
  SessionId session_{};
  uint16_t dealer_ = 0;
  std::vector<Scalar> coefficients_;
};

template <typename D>
struct Dealt {
  D dealing;            // to publish
  DealerSecret secret;  // to keep
};

// Draws a degree t - 1 polynomial and deals it to the committee (spec section 2).
// Errors: dealer not in 1..n, a bad committee, a key that is no valid Ed25519 point.
Result<Dealt<Dealing>> Deal(const SessionId& session, uint16_t dealer, const Committee& committee);

// Reshares old_share (the dealer's x_i, index old_index in the old committee) to
// new_committee with a fresh polynomial of degree new_committee.threshold - 1.
Result<Dealt<ReshareDealing>> DealReshare(const SessionId& session, uint16_t old_index,
                                          const Scalar& old_share, const Committee& new_committee);

// ---- Derived dealing: a dealer that restarts can still justify ----
//
// The same dealings, with the polynomial derived from the dealer's Ed25519 key instead of
// drawn from the CSPRNG (spec section 2.1): a subkey of the key (libsodium crypto_kdf,
// context "hitodkg1") keys BLAKE2b-512 over a digest of the public context (kind, session,
// dealer, threshold, the committee's keys) and the coefficient's index, reduced mod l. The
// same key and session give the same polynomial, so a dealer that restarted between its
// dealing and a complaint rebuilds its DealerSecret (DeriveDealerSecret) and answers; two
// dealings by one dealer for one session commit to one polynomial. For a resharing the
// constant term is the old share, as in DealReshare. Constant-time in the key and share.
Result<DealerSecret> DeriveDealerSecret(MessageType kind, const SessionId& session, uint16_t dealer,
                                        const Committee& committee, const Ed25519PrivateKey& key,
                                        const Scalar* constant_term);
Result<Dealt<Dealing>> DealDerived(const SessionId& session, uint16_t dealer,
                                   const Committee& committee, const Ed25519PrivateKey& key);
Result<Dealt<ReshareDealing>> DealReshareDerived(const SessionId& session, uint16_t old_index,
                                                 const Scalar& old_share,
                                                 const Committee& new_committee,
                                                 const Ed25519PrivateKey& key);

// Seals one share to the recipient's Ed25519 key converted to X25519, binding
// kind, session, dealer and recipient into the plaintext (spec section 4).
Result<EncryptedShare> EncryptShare(MessageType kind, const SessionId& session, uint16_t dealer,
                                    uint16_t recipient, const Ed25519PublicKey& recipient_key,
                                    const Scalar& share);

// ---- Recipient side (secret; libsodium) ----

// Opens a sealed share with the recipient's key and checks the bound fields. Errors name
// why (does not open, bound to another slot, not a canonical scalar).
Result<Scalar> DecryptShare(MessageType kind, const SessionId& session, uint16_t dealer,
                            uint16_t recipient, const Ed25519PrivateKey& key,
                            const EncryptedShare& box);

// Member `me` opens its share of a dealing and checks s * G == E_dealer(me). An error
// means: file a Complaint. REQUIRES `key` to be the key of member `me`.
Result<Scalar> VerifyReceivedShare(const Committee& committee, const Dealing& dealing, uint16_t me,
                                   const Ed25519PrivateKey& key);
Result<Scalar> VerifyReceivedShare(const Committee& new_committee, const ReshareDealing& dealing,
                                   uint16_t me, const Ed25519PrivateKey& key);

// Gathers member me's verified shares from every qualified dealer, in the order of
// outcome.qualified: the share revealed by a justification where one answered me, else
// the share decrypted and checked from the dealing.
Result<std::vector<Scalar>> CollectShares(const Committee& committee, const DkgTranscript& t,
                                          const Outcome& outcome, uint16_t me,
                                          const Ed25519PrivateKey& key);
Result<std::vector<Scalar>> CollectShares(const Committee& new_committee,
                                          const ReshareTranscript& t, const Outcome& outcome,
                                          uint16_t me, const Ed25519PrivateKey& key);

// x_me = sum_i weight_i * shares[i] over outcome.qualified (constant time), checked against
// x_me * G == K_me. Wipes nothing it does not own: the caller wipes `shares`.
Result<Scalar> CombineShare(const Outcome& outcome, uint16_t me, std::span<const Scalar> shares);

// ---- Public decisions (deterministic) ----

// True iff share * G == sum_k commitments[k] * index^k. Public data only.
bool CheckShare(std::span<const Point> commitments, uint16_t index, const Scalar& share);

// True iff the justification answers (dealer, complainer) with a share consistent with
// the dealing's commitments.
bool CheckJustification(const DealingFields& dealing, const Justification& justification);

// QUAL, K and every K_l from the messages of a DKG run (spec section 5). Errors:
// INVALID_ARGUMENT for a bad committee or a message of another session,
// FAILED_PRECONDITION when fewer than t dealers qualify (the run failed).
Result<Outcome> Qualify(const SessionId& session, const Committee& committee,
                        const DkgTranscript& transcript);

// Q (t_old valid old holders with the smallest indices), Lagrange weights, the unchanged K
// and the new public shares K'_m (spec section 3).
Result<Outcome> QualifyReshare(const SessionId& session, const Outcome& old_outcome,
                               const Committee& new_committee, const ReshareTranscript& transcript);

namespace dkg_internal {
// Deal with given coefficients (coefficients[0] the secret), for Deal, DealReshare and
// the constant-time test. REQUIRES 1 <= coefficients.size() <= kMaxParticipants.
Result<DealingFields> DealWithCoefficients(MessageType kind, const SessionId& session,
                                           uint16_t dealer, const Committee& committee,
                                           std::span<const Scalar> coefficients);
}  // namespace dkg_internal

}  // namespace hito::zk::dkg

#endif  // HITO_ZK_DKG_H_
