// Membership proofs with context nullifiers: single-input Triptych over ristretto255.
//
// A prover who holds the secret r of one member M_l = r*G of an anonymity set proves so
// without revealing l, and publishes the tag J = r^-1 * U_ctx (the nullifier), where
// U_ctx = ContextBase(chain_id, context). One secret gives one tag per context; tags in
// different contexts are unlinkable. The proof is bound to a message. Digit base n = 4, set
// sizes padded to N = 4^m, m = 2..8 (16 .. 65,536). The spec, with the encoding, the
// transcript and the security argument, is docs/protocol/membership-proof.md.
//
// Prove is constant time in the index, the secret and its random scalars (checked under
// valgrind in tests/unit/zk/ct_prove_valgrind.cc). Verify and BatchVerify use variable-time
// arithmetic on public data only. A PreparedSet is immutable after Create and safe to share between
// threads; all functions here are thread-safe.
#ifndef HITO_ZK_PROOF_TRIPTYCH_H_
#define HITO_ZK_PROOF_TRIPTYCH_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "zk/point.h"
#include "zk/scalar.h"

namespace hito::zk::proof::membership {

inline constexpr size_t kBase = 4;  // n
inline constexpr size_t kMinM = 2;
inline constexpr size_t kMaxM = 8;
inline constexpr size_t kMaxSetSize = size_t{1} << (2 * kMaxM);  // 65,536

// Exact encoded size of a proof for parameter m: 32 * (8 + 5m) bytes.
constexpr size_t ProofSize(size_t m) { return 32 * (8 + 5 * m); }
inline constexpr size_t kMaxProofSize = ProofSize(kMaxM);

// U_ctx = HashToGroup(u64(|chain_id|) || chain_id || u64(|context|) || context,
// "hito/v1/nullifier-base").
Point ContextBase(std::string_view chain_id, std::string_view context);
// The filler point of padded position i: HashToGroup(u64(i), "hito/v1/filler").
Point Filler(uint64_t i);

struct SetData;  // internal: padded points in the verifier's and prover's representations

// An anonymity set ready for proving and verifying: the members in order, padded with
// fillers to N = 4^m, its hash (spec section 5) and pre-decoded points. Build once per
// set and reuse for every proof against it.
class PreparedSet {
 public:
  // 1..65,536 members, none the identity (rejected; see the spec on duplicates).
  static Result<PreparedSet> Create(std::span<const Point> members);

  size_t size() const;         // L, the unpadded length
  size_t padded_size() const;  // N
  size_t m() const;
  const Hash32& hash() const;
  // Padded members M_0..M_{N-1}.
  std::span<const Point> padded() const;

  const SetData& data() const { return *data_; }

 private:
  explicit PreparedSet(std::shared_ptr<const SetData> d) : data_(std::move(d)) {}
  std::shared_ptr<const SetData> data_;
};

struct Proof {
  size_t m = 0;
  Point tag;  // J, the nullifier
  Point a, b, c, d;
  std::vector<Point> x, y;  // m each
  std::vector<Scalar> f;    // m * (n - 1): f[j * 3 + (i - 1)] = f_{j,i}, i = 1..3
  Scalar z_a, z_c, z;

  // Exactly ProofSize(m) bytes (spec section 4).
  Bytes Encode() const;
  // Rejects any length other than ProofSize(m) for m in 2..8, non-canonical scalars, and
  // non-canonical or identity points.
  static Result<Proof> Decode(ByteView b);
};

// Source of the prover's fresh randomness: 32 bytes per proof. Production code passes
// nullptr (libsodium's randombytes_buf). The bytes are never used as nonces directly:
// Prove hedges them (spec section 8), deriving every nonce and blinding factor as
// BLAKE2b-512("hito/v1/triptych/nonce", secret, index, statement digest, these bytes, k),
// so a broken or repeating source alone neither leaks the secret nor repeats nonces
// across statements. Tests inject a fixed source (reproducible proofs) or one whose output
// they mark secret for valgrind.
class ProverRng {
 public:
  virtual ~ProverRng() = default;
  virtual void Fill(std::span<uint8_t, 32> out) = 0;
};

// Proves that secret*G is member `index` of the set, in (chain_id, context), bound to
// message. Fails (INVALID_ARGUMENT) if index >= set.size() or the member is not
// secret*G; that check is constant time too, only its outcome is revealed.
Result<Proof> Prove(const PreparedSet& set, uint64_t index, const Scalar& secret,
                    std::string_view chain_id, std::string_view context, ByteView message,
                    ProverRng* rng = nullptr);

// OK iff proof is valid for the set, chain id, context and message.
Status Verify(const PreparedSet& set, std::string_view chain_id, std::string_view context,
              ByteView message, const Proof& proof);

// What BatchVerify reports when a batch fails.
enum class BatchMode {
  // Every invalid proof (the mempool, which must drop exactly the bad ones). Cost with B
  // invalid proofs among n: at most 1 + 2B * ceil(log2 n) combined checks.
  kAllInvalid,
  // Only the lowest invalid index (block validation, where one bad proof condemns the
  // block). Cost: at most 1 + ceil(log2 n) combined checks, whatever B is.
  kFirstInvalid,
};

struct BatchResult {
  Status status;                // OK iff every proof is valid
  std::vector<size_t> invalid;  // invalid proofs, ascending (kFirstInvalid: at most one)
  size_t checks = 0;            // combined checks run (one set MSM each): the cost paid
};

// Batches smaller than this are verified one proof at a time: each proof is checked once
// and a failure needs no search.
inline constexpr size_t kMinBatch = 4;

// Verifies many proofs against one set and context at once (one multi-scalar
// multiplication per combined check, random weights drawn after the whole batch is
// absorbed); on failure, finds the invalid proofs by bisection as `mode` asks.
// messages[i] goes with proofs[i]; unequal lengths are an error (nothing verified).
// Never aborts on any input: malformed proofs are reported invalid.
BatchResult BatchVerify(const PreparedSet& set, std::string_view chain_id, std::string_view context,
                        std::span<const ByteView> messages, std::span<const Proof> proofs,
                        BatchMode mode = BatchMode::kAllInvalid);

}  // namespace hito::zk::proof::membership

#endif  // HITO_ZK_PROOF_TRIPTYCH_H_
