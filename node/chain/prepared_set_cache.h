// PreparedSetCache: the node's shared cache of prepared anonymity sets (ledger::PreparedSets).
//
// A claim proof is verified against the prepared set of one frozen cohort snapshot
// (zk::proof::membership::PreparedSet). Preparing a 2^14-member set and its verifier tables costs
// tens of megabytes and a noticeable time, and every claim of an epoch in one cohort uses
// the same set, so the mempool's checks and block execution share one cache
// (Ledger::SetPreparedSets on both ledgers). Entries are keyed by (cohort, set hash): a
// hash names its members exactly, so an entry is never stale.
//
// Bounded in bytes: each set is charged EstimateBytes(padded size) (members in both
// representations plus the verifier tables, measured once: docs/decisions.md); when the
// total passes the bound the least recently used sets are dropped (a set still in use by
// a verifier stays alive through its shared pointer until that verifier is done). A set
// larger than the whole bound is returned but not kept.
//
// Single flight: when several threads ask for a set that is not cached, one builds it and
// the others wait for that build instead of building their own. A failed build or a set
// the store does not hold is not cached (the next Get tries again).
//
// Thread-safe: every method may be called concurrently.
#ifndef HITO_NODE_CHAIN_PREPARED_SET_CACHE_H_
#define HITO_NODE_CHAIN_PREPARED_SET_CACHE_H_

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "base/bytes.h"
#include "base/mutex.h"
#include "base/status.h"
#include "base/thread_annotations.h"
#include "consensus/ledger/ubi.h"
#include "zk/proof/triptych.h"

namespace hito::node::chain {

inline constexpr uint64_t kDefaultPreparedSetCacheBytes = uint64_t{512} << 20;

class PreparedSetCache final : public consensus::ledger::PreparedSets {
 public:
  using PreparedSet = zk::proof::membership::PreparedSet;
  using LoadResult = Result<std::optional<PreparedSet>>;
  // How a missing set is built; the default is ledger::LoadPreparedSet. Tests pass their
  // own to count builds and control timing.
  using Loader = std::function<LoadResult(const consensus::ledger::RegistryStore&, uint32_t cohort,
                                          const Hash32& set_hash)>;

  explicit PreparedSetCache(uint64_t max_bytes = kDefaultPreparedSetCacheBytes,
                            Loader loader = nullptr);

  LoadResult Get(const consensus::ledger::RegistryStore& store, uint32_t cohort,
                 const Hash32& set_hash) override;

  // The bytes a set of `padded_size` (4^m) members is charged: its points in both
  // representations and the verifier's fixed-base tables.
  static uint64_t EstimateBytes(size_t padded_size);

  size_t size() const;      // sets held
  uint64_t bytes() const;   // their charged bytes (<= the bound)
  uint64_t builds() const;  // loads started (cache misses), for tests and metrics
  bool Contains(uint32_t cohort, const Hash32& set_hash) const;

 private:
  using Key = std::pair<uint32_t, Hash32>;
  // A build in progress: waiters block on cv_ until `done`.
  struct Flight {
    bool done = false;
    LoadResult result = std::optional<PreparedSet>();
  };
  struct Entry {
    PreparedSet set;
    uint64_t bytes = 0;
    std::list<Key>::iterator lru;  // position in lru_ (front: most recent)
  };

  // Under mu_: keeps `set` as the most recent entry and evicts down to the bound.
  void InsertLocked(const Key& key, const PreparedSet& set) REQUIRES(mu_);
  void EvictLocked() REQUIRES(mu_);

  const uint64_t max_bytes_;
  const Loader loader_;
  mutable Mutex mu_;
  CondVar cv_;
  std::map<Key, Entry> entries_ GUARDED_BY(mu_);
  std::list<Key> lru_ GUARDED_BY(mu_);
  // A flight's `done` and `result` are written and read under mu_ too.
  std::map<Key, std::shared_ptr<Flight>> flights_ GUARDED_BY(mu_);
  uint64_t bytes_ GUARDED_BY(mu_) = 0;
  uint64_t builds_ GUARDED_BY(mu_) = 0;
};

}  // namespace hito::node::chain

#endif  // HITO_NODE_CHAIN_PREPARED_SET_CACHE_H_
