// CommitEvents: tells RPC waiters and stream subscribers that a block committed.
//
// The committer calls PublishBlock after the block and its state are durable. Tx waiters
// are one-shot: each callback runs exactly once, with the transaction's location when a
// block includes it, or with nullopt at its deadline (checked by the internal dispatcher
// thread) or when the node shuts down. RemoveTxWaiter returns true if it removed the
// waiter before either happened; then the callback will never run. Block subscribers
// hear every committed height.
//
// Callbacks run outside the internal lock on CommitEvents' own dispatcher thread (block
// subscribers, expired waiters) or on the publishing thread (waiters of included
// transactions, which only finish an RPC); they must be short and must not block. Block
// subscribers never run on the committer's thread, so a stream reading blocks from the
// store never delays block production. Thread-safe.
#ifndef HITO_NODE_CHAIN_COMMIT_EVENTS_H_
#define HITO_NODE_CHAIN_COMMIT_EVENTS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/mutex.h"
#include "node/mempool/mempool.h"
#include "node/store/store.h"

namespace hito::node::chain {

class CommitEvents {
 public:
  using TxCallback = std::function<void(std::optional<store::TxLocation>)>;
  using BlockCallback = std::function<void(uint64_t height)>;
  using Clock = std::chrono::steady_clock;

  explicit CommitEvents(size_t max_tx_waiters);
  ~CommitEvents();
  CommitEvents(const CommitEvents&) = delete;
  CommitEvents& operator=(const CommitEvents&) = delete;

  // Returns a waiter id, or 0 when max_tx_waiters are already waiting.
  uint64_t AddTxWaiter(const Hash32& tx_hash, Clock::time_point deadline, TxCallback cb);
  bool RemoveTxWaiter(uint64_t id);

  uint64_t Subscribe(BlockCallback cb);
  void Unsubscribe(uint64_t id);

  void PublishBlock(uint64_t height, const std::vector<std::pair<Hash32, store::TxLocation>>& txs);
  // Completes every waiter with nullopt and stops the dispatcher.
  void Shutdown();

  size_t tx_waiters() const;

 private:
  struct Waiter {
    Hash32 hash{};
    Clock::time_point deadline;
    TxCallback cb;
  };
  void DispatchLoop();

  const size_t max_tx_waiters_;
  mutable Mutex mu_;
  CondVar cv_;
  bool stopping_ GUARDED_BY(mu_) = false;
  uint64_t next_id_ GUARDED_BY(mu_) = 1;
  std::unordered_map<uint64_t, Waiter> waiters_ GUARDED_BY(mu_);
  std::unordered_multimap<Hash32, uint64_t, mempool::Hash32Hasher> by_hash_ GUARDED_BY(mu_);
  std::multimap<Clock::time_point, uint64_t> by_deadline_ GUARDED_BY(mu_);
  std::map<uint64_t, std::shared_ptr<BlockCallback>> subscribers_ GUARDED_BY(mu_);
  std::vector<uint64_t> published_ GUARDED_BY(mu_);  // heights not yet told to subscribers
  std::thread dispatcher_;
};

}  // namespace hito::node::chain

#endif  // HITO_NODE_CHAIN_COMMIT_EVENTS_H_
