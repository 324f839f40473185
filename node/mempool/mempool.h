// The mempool: transactions admitted but not yet committed.
//
// Admission (Admit) runs every check the ledger would run, in order of cost: size,
// duplicate by hash (pending or committed), strict decode, chain id, the Ed25519
// signature (outside the lock, so handler threads verify in parallel), then under the
// lock Ledger::CheckTransaction against the committed state with the sender's pending
// count (so nonces stay consecutive) and the sender's balance minus its pending spends,
// then the sender's caps and the pool limits. A refusal carries a TxCode and a message saying
// exactly why.
//
// AdmitBatch runs the same checks for a batch: the stateless ones and the signatures of
// a large batch are split over two threads, then one lock takes the inserts in the
// batch's order (so a sender's consecutive nonces in one batch are admitted together).
// Each item gets its own outcome; a refused item never affects the others, except that a
// sender's later nonces after a refused one are then refused as a nonce gap.
//
// When the pool is full (count or bytes), a transaction may displace pending ones: the
// candidates are the last (highest-nonce) pending transaction of each other sender, so
// no kept transaction ever loses the earlier nonce it depends on; the lowest fee goes
// first, and among equal fees the oldest. A candidate is displaced only if its fee is
// strictly lower than the newcomer's, and only if displacing such candidates makes room
// for the newcomer; otherwise nothing is displaced and the newcomer is refused
// (kMempoolFull, PoolRefusal::kFeeTooLowToEvict). A sender may hold at most
// max_txs_per_sender transactions and max_bytes_per_sender bytes (kSenderOverCap). A
// transaction pending longer than tx_ttl_ms (on the Clock the pool is given) leaves the
// pool with the later nonces of its sender, which it would otherwise leave stranded.
// Displaced and expired hashes are remembered (the last kDroppedRemembered) so a
// submitter asking about one learns what happened to it (DroppedReason).
//
// Block assembly (Reap) takes transactions in arrival order; since a sender's pending
// transactions were admitted in nonce order, that keeps each sender's nonces consecutive.
// After a block commits, Update removes its transactions, moves to the new state, and
// re-checks the remaining transactions of the block's senders, dropping those now
// invalid. Transactions are verified once here and executed with
// SignatureCheck::kAlreadyVerified.
//
// Governance proposals are signed, nonce'd and fee-paying: they share their sender's
// queue with its transfers (one nonce sequence), their spend is deposit + fee, and they
// are checked, displaced and re-checked exactly like transfers. One more check: the pool
// holds no more proposals than the current round has room for (max_proposals_per_round
// minus its committed ones), counting every sender's pending proposals, since the ledger
// refuses the ones past the room in the block (TX_PROPOSALS_PER_ROUND); the excess is
// refused at admission with that code instead.
//
// Registrations, revocations, claims and ballots (the personhood kinds), and DKG messages,
// have no sender queue, nonce or fee: each is admitted on its own keys instead -- a
// registration by its attestation id and its identity point, a revocation by (attester,
// identity), a claim by (epoch, nullifier), a ballot by (round, nullifier), a DKG message
// by (session, type, dealer, complainer), the slot the ledger fills once -- and a second
// pending transaction
// with a key already pending is refused (a claim as kAlreadyClaimed). A ballot with a
// nullifier already pending is refused (kBallotRevisions) even though the ledger would
// let it replace the first: the pool holds one ballot per nullifier, and a replacement is
// submitted again once the first is committed (the ledger then counts it as a revision).
// Registrations, revocations and DKG messages are checked in full by Ledger::CheckTransaction
// (signatures and proof of possession included, outside the lock). Claims and ballots get
// the cheap checks first (Ledger::PrepareClaim / PrepareBallot), then the proofs of the
// claims and ballots that arrived together (one AdmitBatch: a SubmitTransactions call, a
// gossip message) are verified in batches with ubi::VerifyStatements (kAllInvalid),
// before admission and so before any relay. A valid proof's transaction hash is
// remembered (the last kVerifiedProofsRemembered) so neither a re-submission nor the block
// that carries it verifies it again (ProofVerified). Personhood transactions are never
// displaced by fees (they pay none): a full pool refuses them. Reap takes the pending DKG
// messages first (they count only inside their phase), then the rest in arrival order; at most
// max_claims_per_block claims and ballots together; after each commit the pending
// personhood transactions are re-checked cheaply against the new state: claims whose
// epoch is no longer open for the next block are dropped, and ballots whose round is not
// the next block's (a round closes at its last epoch's end).
//
// Thread-safety: every method is safe to call concurrently.
#ifndef HITO_NODE_MEMPOOL_MEMPOOL_H_
#define HITO_NODE_MEMPOOL_MEMPOOL_H_

#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/bytes.h"
#include "base/mutex.h"
#include "base/status.h"
#include "consensus/ledger/kv.h"
#include "consensus/ledger/tx_result.h"
#include "consensus/ledger/ubi.h"
#include "consensus/types/transaction.h"
#include "node/io/clock.h"
#include "node/store/store.h"

namespace hito::node::mempool {

struct Hash32Hasher {
  size_t operator()(const Hash32& h) const {
    size_t v;
    std::memcpy(&v, h.data(), sizeof v);
    return v;
  }
};

struct MempoolLimits {
  uint32_t max_txs = 200'000;
  uint64_t max_bytes = 128ull * 1024 * 1024;
  // One sender's share: an exchange's 1,000-transaction batch fits; one block's bytes.
  uint32_t max_txs_per_sender = 5'000;
  uint64_t max_bytes_per_sender = 8ull * 1024 * 1024;
  uint64_t tx_ttl_ms = 600'000;
};

// How many displaced or expired hashes the pool remembers for DroppedReason.
inline constexpr size_t kDroppedRemembered = 65'536;
// How many verified claim and ballot hashes the pool remembers (ProofVerified): a few
// blocks' worth.
inline constexpr size_t kVerifiedProofsRemembered = 65'536;

// Why a kMempoolFull refusal happened (the RPC layer gives each its own reason code).
enum class PoolRefusal : uint8_t {
  kNone = 0,
  kPoolFull,          // full, and only the sender's own transactions could make room
  kFeeTooLowToEvict,  // full, and the fee does not beat enough pending transactions
  kSenderOverCap,     // the sender's count or byte share is used up
};

// Why a transaction left the pool without being committed.
enum class DropReason : uint8_t {
  kEvicted,  // displaced by a higher-fee transaction while the pool was full
  kExpired,  // pending longer than the TTL (or its sender's earlier nonce expired)
};

struct PendingTx {
  Hash32 hash{};
  Bytes bytes;
  consensus::types::Transaction tx;
  consensus::types::AccountId sender{};
  uint64_t nonce = 0;
  uint64_t spend = 0;  // amount + fee (a proposal: deposit + fee)
  uint64_t fee = 0;
  uint64_t seq = 0;  // arrival order
  io::Clock::TimePoint admitted_at{};
  // Personhood kinds (ballots included): no sender queue; the keys that make them unique
  // in the pool.
  bool personhood = false;
  std::vector<Bytes> keys;
};

struct AdmitOutcome {
  consensus::ledger::TxCode code = consensus::ledger::TxCode::kOk;
  // For kMempoolFull: which limit refused it.
  PoolRefusal refusal = PoolRefusal::kNone;
  std::string message;
  Hash32 hash{};
  // For kAlreadyKnown: whether it is pending, or where it was committed.
  bool pending = false;
  std::optional<store::TxLocation> committed;
  // A storage failure while checking (the code is then meaningless).
  Status storage_error;
  // On success: the admitted transaction (shared with the pool; its bytes are not copied
  // again by whoever relays it).
  std::shared_ptr<const PendingTx> admitted;
  // On success: the pending transactions this one displaced (pool full, lower fee).
  std::vector<Hash32> evicted;
  bool ok() const { return code == consensus::ledger::TxCode::kOk && storage_error.ok(); }
};

// A transaction of a committed block, as the mempool needs to hear of it.
struct CommittedTx {
  Hash32 hash{};
  consensus::types::AccountId sender{};
};

class Mempool {
 public:
  using CommittedLookup = std::function<Result<std::optional<store::TxLocation>>(const Hash32&)>;

  // `state` is the committed state the pending transactions build on. `clock` (not
  // owned) times the TTL.
  Mempool(std::string chain_id, MempoolLimits limits,
          std::shared_ptr<const consensus::ledger::KvReader> state, CommittedLookup lookup,
          io::Clock* clock = io::Clock::Real());

  // Where claim and ballot proofs get their prepared sets (default: built on every use);
  // `sets` must outlive this. Call before the first admission.
  void SetPreparedSets(consensus::ledger::PreparedSets* sets);

  AdmitOutcome Admit(ByteView tx_bytes);
  // One outcome per item, in order (see the header comment).
  std::vector<AdmitOutcome> AdmitBatch(const std::vector<ByteView>& txs);

  // Up to max_txs transactions whose encodings total at most max_bytes, in an order that
  // keeps each sender's nonces consecutive. Does not remove them.
  std::vector<std::shared_ptr<const PendingTx>> Reap(uint32_t max_txs, uint64_t max_bytes) const;

  // A block committed: `state` is the state after it.
  void Update(const std::vector<CommittedTx>& committed,
              std::shared_ptr<const consensus::ledger::KvReader> state);

  // Removes the transactions older than the TTL now (admission and Update do it too);
  // returns how many left.
  size_t Expire();

  std::shared_ptr<const PendingTx> Get(const Hash32& hash) const;
  // Whether the claim or ballot with transaction hash `hash` has a proof verified valid
  // here (at admission or by RememberVerifiedProofs), among the last
  // kVerifiedProofsRemembered.
  bool ProofVerified(const Hash32& hash) const;
  // Records claims and ballots whose proofs the caller verified valid (a block's).
  void RememberVerifiedProofs(const std::vector<Hash32>& hashes);
  // Whether `hash` was displaced or expired recently (and not admitted again since).
  std::optional<DropReason> DroppedReason(const Hash32& hash) const;
  size_t size() const;
  uint64_t bytes() const;

 private:
  // Eviction order: lowest fee first, then oldest.
  struct EvictKey {
    uint64_t fee = 0;
    uint64_t seq = 0;
    auto operator<=>(const EvictKey&) const = default;
  };
  struct SenderQueue {
    std::map<uint64_t, Hash32> by_nonce;
    uint64_t spend = 0;  // sum of pending spends, saturating
    uint64_t bytes = 0;
    std::optional<EvictKey> tail;  // this sender's entry in tails_
  };

  // The checks before the signature: size, duplicate, decode, chain id. Fills `ptx`
  // (hash, bytes, tx, sender, nonce) or returns the refusal.
  std::optional<AdmitOutcome> PreCheck(ByteView tx_bytes, const std::shared_ptr<PendingTx>& ptx);
  // The signature, then amount + fee or deposit + fee (fills ptx->spend and ptx->fee); the
  // refusal if either fails.
  static std::optional<AdmitOutcome> VerifyAndSum(PendingTx* ptx);

  // Marks a registration, revocation, claim or ballot as personhood and fills its keys.
  static void PersonhoodKeys(PendingTx* ptx);
  // Registrations and revocations: the ledger's full check (signatures included) against
  // `state`. Claims and ballots are verified together by VerifyMembership.
  std::optional<AdmitOutcome> CheckPersonhood(const PendingTx& ptx,
                                              const consensus::ledger::KvReader* state) const;
  // The claims and ballots among `ptxs` not yet refused: a pending key, then PrepareClaim
  // or PrepareBallot, then one ubi::VerifyStatements over every statement left (those not
  // verified here before). Refusals go to out[i] with refused[i] set.
  void VerifyMembership(const std::vector<std::shared_ptr<PendingTx>>& ptxs,
                        const consensus::ledger::KvReader* state, std::vector<uint8_t>* refused,
                        std::vector<AdmitOutcome>* out);
  std::shared_ptr<const consensus::ledger::KvReader> StateSnapshot() const;

  AdmitOutcome CheckAndInsertLocked(std::shared_ptr<PendingTx> ptx) REQUIRES(mu_);
  AdmitOutcome CheckAndInsertPersonhoodLocked(std::shared_ptr<PendingTx> ptx) REQUIRES(mu_);
  // After a commit: drops pending personhood transactions the new state makes invalid
  // (claims outside the next block's window or with a used nullifier, ballots for a round
  // not open in the next block or past their revisions).
  void RecheckPersonhoodLocked() REQUIRES(mu_);
  void RememberVerifiedLocked(const Hash32& hash) REQUIRES(mu_);
  void RemoveLocked(const Hash32& hash) REQUIRES(mu_);
  void RecheckSenderLocked(const consensus::types::AccountId& sender) REQUIRES(mu_);
  // Keeps tails_ pointing at the sender's highest nonce after its queue changed.
  void RefreshTailLocked(SenderQueue* queue) REQUIRES(mu_);
  // A proposal: the refusal if the round's committed and pending proposals leave no room
  // for it.
  std::optional<AdmitOutcome> CheckProposalRoomLocked(const PendingTx& ptx) const REQUIRES(mu_);
  // The per-sender caps; the refusal if `ptx` would exceed one.
  std::optional<AdmitOutcome> CheckSenderCapLocked(const PendingTx& ptx) const REQUIRES(mu_);
  // Makes room for `ptx` by displacing lower-fee tails, all or nothing; the refusal if
  // the pool is full and cannot be made to fit.
  std::optional<AdmitOutcome> MakeRoomLocked(const PendingTx& ptx, std::vector<Hash32>* evicted)
      REQUIRES(mu_);
  size_t ExpireLocked() REQUIRES(mu_);
  void RememberDroppedLocked(const Hash32& hash, DropReason reason) REQUIRES(mu_);
  bool ExpiredAt(const PendingTx& ptx, io::Clock::TimePoint now) const;

  const std::string chain_id_;
  const MempoolLimits limits_;
  const CommittedLookup lookup_;
  io::Clock* const clock_;

  consensus::ledger::PreparedSets* sets_ = nullptr;

  mutable Mutex mu_;
  std::shared_ptr<const consensus::ledger::KvReader> state_ GUARDED_BY(mu_);
  std::unordered_map<Hash32, std::shared_ptr<PendingTx>, Hash32Hasher> txs_ GUARDED_BY(mu_);
  std::map<consensus::types::AccountId, SenderQueue> senders_ GUARDED_BY(mu_);
  std::map<uint64_t, Hash32> by_seq_ GUARDED_BY(mu_);
  // Each sender's highest-nonce transaction: the only ones that may be displaced.
  std::map<EvictKey, consensus::types::AccountId> tails_ GUARDED_BY(mu_);
  // Recently displaced or expired hashes, oldest first (bounded by kDroppedRemembered).
  std::unordered_map<Hash32, std::pair<DropReason, uint64_t>, Hash32Hasher> dropped_
      GUARDED_BY(mu_);
  std::deque<std::pair<Hash32, uint64_t>> dropped_order_ GUARDED_BY(mu_);
  uint64_t next_drop_id_ GUARDED_BY(mu_) = 0;
  // Personhood transactions' keys (PendingTx::keys) -> hash, and their hashes.
  std::map<Bytes, Hash32> personhood_keys_ GUARDED_BY(mu_);
  std::map<uint64_t, Hash32> personhood_by_seq_ GUARDED_BY(mu_);
  // Verified claim and ballot hashes, oldest first (bounded by kVerifiedProofsRemembered).
  std::unordered_map<Hash32, uint64_t, Hash32Hasher> verified_ GUARDED_BY(mu_);
  std::deque<std::pair<Hash32, uint64_t>> verified_order_ GUARDED_BY(mu_);
  uint64_t next_verified_id_ GUARDED_BY(mu_) = 0;
  // Claims and ballots Reap may take per block (UBI params; 0 until the registry is read).
  uint32_t max_claims_per_block_ GUARDED_BY(mu_) = 0;
  uint64_t next_seq_ GUARDED_BY(mu_) = 0;
  uint64_t total_bytes_ GUARDED_BY(mu_) = 0;
  uint32_t pending_proposals_ GUARDED_BY(mu_) = 0;  // governance proposals in txs_
};

}  // namespace hito::node::mempool

#endif  // HITO_NODE_MEMPOOL_MEMPOOL_H_
