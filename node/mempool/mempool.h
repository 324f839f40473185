// The mempool: transactions admitted but not yet committed.
//
// Admission (Admit) runs every check the ledger would run, in order of cost: size,
// duplicate by hash (pending or committed), strict decode, chain id, the Ed25519
// signature (outside the lock, so handler threads verify in parallel), then under the
// lock the pool limits and Ledger::CheckTransaction against the committed state with the
// sender's pending count (so nonces stay consecutive) and the sender's balance minus its
// pending spends. A refusal carries a TxCode and a message saying exactly why.
//
// AdmitBatch runs the same checks for a batch: the stateless ones and the signatures of
// a large batch are split over two threads, then one lock takes the inserts in the
// batch's order (so a sender's consecutive nonces in one batch are admitted together).
// Each item gets its own outcome; a refused item never affects the others, except that a
// sender's later nonces after a refused one are then refused as a nonce gap.
//
// Block assembly (Reap) takes transactions in arrival order; since a sender's pending
// transactions were admitted in nonce order, that keeps each sender's nonces consecutive.
// After a block commits, Update removes its transactions, moves to the new state, and
// re-checks the remaining transactions of the block's senders, dropping those now
// invalid. Transactions are verified once here and executed with
// SignatureCheck::kAlreadyVerified.
//
// Thread-safety: every method is safe to call concurrently.
#ifndef HITO_NODE_MEMPOOL_MEMPOOL_H_
#define HITO_NODE_MEMPOOL_MEMPOOL_H_

#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "consensus/ledger/kv.h"
#include "consensus/ledger/tx_result.h"
#include "consensus/types/transaction.h"
#include "node/store/store.h"

namespace hito::node {

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
};

struct PendingTx {
  Hash32 hash{};
  Bytes bytes;
  consensus::types::Transaction tx;
  consensus::types::AccountId sender{};
  uint64_t nonce = 0;
  uint64_t spend = 0;  // amount + fee
  uint64_t seq = 0;    // arrival order
};

struct AdmitOutcome {
  consensus::ledger::TxCode code = consensus::ledger::TxCode::kOk;
  std::string message;
  Hash32 hash{};
  // For kAlreadyKnown: whether it is pending, or where it was committed.
  bool pending = false;
  std::optional<TxLocation> committed;
  // A storage failure while checking (the code is then meaningless).
  Status storage_error;
  // On success: the admitted transaction (shared with the pool; its bytes are not copied
  // again by whoever relays it).
  std::shared_ptr<const PendingTx> admitted;
  bool ok() const { return code == consensus::ledger::TxCode::kOk && storage_error.ok(); }
};

// A transaction of a committed block, as the mempool needs to hear of it.
struct CommittedTx {
  Hash32 hash{};
  consensus::types::AccountId sender{};
};

class Mempool {
 public:
  using CommittedLookup = std::function<Result<std::optional<TxLocation>>(const Hash32&)>;

  // `state` is the committed state the pending transactions build on.
  Mempool(std::string chain_id, MempoolLimits limits,
          std::shared_ptr<const consensus::ledger::KvReader> state, CommittedLookup lookup);

  AdmitOutcome Admit(ByteView tx_bytes);
  // One outcome per item, in order (see the header comment).
  std::vector<AdmitOutcome> AdmitBatch(const std::vector<ByteView>& txs);

  // Up to max_txs transactions whose encodings total at most max_bytes, in an order that
  // keeps each sender's nonces consecutive. Does not remove them.
  std::vector<std::shared_ptr<const PendingTx>> Reap(uint32_t max_txs, uint64_t max_bytes) const;

  // A block committed: `state` is the state after it.
  void Update(const std::vector<CommittedTx>& committed,
              std::shared_ptr<const consensus::ledger::KvReader> state);

  std::shared_ptr<const PendingTx> Get(const Hash32& hash) const;
  size_t size() const;
  uint64_t bytes() const;

 private:
  struct SenderQueue {
    std::map<uint64_t, Hash32> by_nonce;
    uint64_t spend = 0;  // sum of pending spends, saturating
  };

  // The checks before the signature: size, duplicate, decode, chain id. Fills `ptx`
  // (hash, bytes, tx, sender, nonce) or returns the refusal.
  std::optional<AdmitOutcome> PreCheck(ByteView tx_bytes, const std::shared_ptr<PendingTx>& ptx);
  // The signature, then amount + fee (fills ptx->spend); the refusal if either fails.
  static std::optional<AdmitOutcome> VerifyAndSum(PendingTx* ptx);

  // Under mu_.
  AdmitOutcome CheckAndInsertLocked(std::shared_ptr<PendingTx> ptx);
  void RemoveLocked(const Hash32& hash, bool touch_sender_queue);
  void RecheckSenderLocked(const consensus::types::AccountId& sender);

  const std::string chain_id_;
  const MempoolLimits limits_;
  const CommittedLookup lookup_;

  mutable std::mutex mu_;
  std::shared_ptr<const consensus::ledger::KvReader> state_;
  std::unordered_map<Hash32, std::shared_ptr<PendingTx>, Hash32Hasher> txs_;
  std::map<consensus::types::AccountId, SenderQueue> senders_;
  std::map<uint64_t, Hash32> by_seq_;
  uint64_t next_seq_ = 0;
  uint64_t total_bytes_ = 0;
};

}  // namespace hito::node

#endif  // HITO_NODE_MEMPOOL_MEMPOOL_H_
