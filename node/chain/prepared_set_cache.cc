#include "node/chain/prepared_set_cache.h"

#include "base/fatal.h"
#include "zk/ec.h"

namespace hito::node::chain {

namespace ledger = consensus::ledger;

namespace {
// Bytes per padded member besides the verifier tables: the member in both representations
// (32 + 160 bytes) and allocation overhead. With the tables (120 bytes per member per
// copy, copies chosen by the same function MsmFixedBase::Build uses), a 2^14 set is
// charged 47.4 MB; measured resident growth for one, tables built: 47.6 MB
// (docs/decisions.md).
constexpr uint64_t kPointBytesPerMember = 256;
constexpr uint64_t kTableBytesPerEntry = 120;
}  // namespace

PreparedSetCache::PreparedSetCache(uint64_t max_bytes, Loader loader)
    : max_bytes_(max_bytes),
      loader_(loader ? std::move(loader) : Loader(ledger::LoadPreparedSet)) {}

uint64_t PreparedSetCache::EstimateBytes(size_t padded_size) {
  const uint64_t copies =
      static_cast<uint64_t>(zk::msm_internal::FixedBaseParams(padded_size).second);
  return uint64_t{padded_size} * (kPointBytesPerMember + kTableBytesPerEntry * copies);
}

PreparedSetCache::LoadResult PreparedSetCache::Get(const ledger::RegistryStore& store,
                                                   uint32_t cohort, const Hash32& set_hash) {
  const Key key{cohort, set_hash};
  std::shared_ptr<Flight> flight;
  {
    MutexLock lock(mu_);
    if (auto it = entries_.find(key); it != entries_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.lru);
      return std::optional<PreparedSet>(it->second.set);
    }
    if (auto f = flights_.find(key); f != flights_.end()) {
      // Someone is building it: wait for that build rather than starting a second.
      std::shared_ptr<Flight> theirs = f->second;
      while (!theirs->done) cv_.Wait(mu_);
      return theirs->result;
    }
    flight = std::make_shared<Flight>();
    flights_.emplace(key, flight);
    ++builds_;
  }
  LoadResult result = loader_(store, cohort, set_hash);
  MutexLock lock(mu_);
  if (result.ok() && result->has_value()) InsertLocked(key, **result);
  flight->result = result;
  flight->done = true;
  flights_.erase(key);
  cv_.NotifyAll();
  return result;
}

void PreparedSetCache::InsertLocked(const Key& key, const PreparedSet& set) {
  HITO_ASSERT(entries_.count(key) == 0);
  const uint64_t bytes = EstimateBytes(set.padded_size());
  if (bytes > max_bytes_) return;  // would evict everything and still not fit
  lru_.push_front(key);
  entries_.emplace(key, Entry{set, bytes, lru_.begin()});
  bytes_ += bytes;
  EvictLocked();
  HITO_ASSERT(bytes_ <= max_bytes_ && entries_.size() == lru_.size());
}

void PreparedSetCache::EvictLocked() {
  while (bytes_ > max_bytes_) {
    HITO_ASSERT(!lru_.empty());
    auto it = entries_.find(lru_.back());
    HITO_ASSERT(it != entries_.end());
    bytes_ -= it->second.bytes;
    entries_.erase(it);
    lru_.pop_back();
  }
}

size_t PreparedSetCache::size() const {
  MutexLock lock(mu_);
  return entries_.size();
}

uint64_t PreparedSetCache::bytes() const {
  MutexLock lock(mu_);
  return bytes_;
}

uint64_t PreparedSetCache::builds() const {
  MutexLock lock(mu_);
  return builds_;
}

bool PreparedSetCache::Contains(uint32_t cohort, const Hash32& set_hash) const {
  MutexLock lock(mu_);
  return entries_.count(Key{cohort, set_hash}) != 0;
}

}  // namespace hito::node::chain
