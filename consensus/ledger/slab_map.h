// SlabMap: a hash map from a fixed-size key to a value in a slab, for the ledger's caches.
//
// Why: the execution cache looks up about two accounts and two tree pages per transfer
// in maps of 10^5 entries; a std::map walks ~17 cache-missing nodes with a 32-byte
// memcmp at each. Here a lookup is one hash and usually one probe of a flat table.
//
// Values live in a slab (a vector) and are named by a uint32 index that stays valid until
// the entry is erased (the slab may move in memory when it grows: hold indices, not
// pointers, across inserts). Erased slots are reused, newest first. Linear probing with
// backward-shift deletion (no tombstones). The hash is the caller's (`Hasher` maps a key
// to 64 bits) and fixed: no seed, so the layout, and the slab order used for eviction,
// depend only on the sequence of operations. Nothing observable depends on the table's
// order; callers that need key order sort what they take out.
//
// Not thread-safe.
#ifndef HITO_CONSENSUS_LEDGER_SLAB_MAP_H_
#define HITO_CONSENSUS_LEDGER_SLAB_MAP_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "base/assert.h"

namespace hito::consensus::ledger {

// A 64-bit finaliser (splitmix64): spreads keys that differ in few bits over the table.
inline uint64_t MixBits(uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  return x;
}

template <typename K, typename V, typename Hasher>
class SlabMap {
 public:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

  struct Item {
    K key{};
    V value{};
    bool live = false;
  };

  SlabMap() { table_.assign(kMinCapacity, kEmptySlot); }

  size_t size() const { return size_; }

  // The index of `key`'s entry, or kNone.
  uint32_t Find(const K& key) const {
    const uint64_t h = Hasher{}(key);
    const auto tag = static_cast<uint32_t>(h);
    for (size_t pos = tag & mask();; pos = (pos + 1) & mask()) {
      const uint64_t slot = table_[pos];
      if (slot == kEmptySlot) return kNone;
      const auto index = static_cast<uint32_t>(slot);
      if (static_cast<uint32_t>(slot >> 32) == tag && slab_[index].key == key) return index;
    }
  }

  // The index of `key`'s entry, inserting one with V{} when absent (second: inserted).
  std::pair<uint32_t, bool> FindOrInsert(const K& key) {
    const uint32_t found = Find(key);
    if (found != kNone) return {found, false};
    return {InsertAbsent(key), true};
  }

  // Inserts an entry for `key`, which the caller knows is absent (a Find just missed),
  // with V{}; returns its index.
  uint32_t InsertAbsent(const K& key) {
    if ((size_ + 1) * 2 > table_.size()) Grow();  // load at most 1/2: short probe runs
    // In place: a free item's value was reset when it was erased, and a new one is
    // default-constructed (values may be large: no temporary and copy).
    uint32_t index;
    if (!free_.empty()) {
      index = free_.back();
      free_.pop_back();
    } else {
      HITO_ASSERT(slab_.size() < kNone);
      index = static_cast<uint32_t>(slab_.size());
      slab_.emplace_back();
    }
    slab_[index].key = key;
    slab_[index].live = true;
    Place(static_cast<uint32_t>(Hasher{}(key)), index);
    ++size_;
    return index;
  }

  // Erases the entry at `index` (which must be live).
  void Erase(uint32_t index) {
    HITO_ASSERT(index < slab_.size() && slab_[index].live);
    size_t pos = static_cast<uint32_t>(Hasher{}(slab_[index].key)) & mask();
    while (static_cast<uint32_t>(table_[pos]) != index) pos = (pos + 1) & mask();
    // Backward shift: pull later entries of the probe run into the hole.
    for (size_t next = (pos + 1) & mask();; next = (next + 1) & mask()) {
      const uint64_t slot = table_[next];
      if (slot == kEmptySlot) break;
      const size_t home = static_cast<uint32_t>(slot >> 32) & mask();
      // Movable iff its home is not cyclically within (pos, next].
      if (((next - home) & mask()) >= ((next - pos) & mask())) {
        table_[pos] = slot;
        pos = next;
      }
    }
    table_[pos] = kEmptySlot;
    slab_[index].live = false;
    slab_[index].value = V{};
    free_.push_back(index);
    --size_;
  }

  K& key(uint32_t index) { return slab_[index].key; }
  const K& key(uint32_t index) const { return slab_[index].key; }
  V& value(uint32_t index) { return slab_[index].value; }
  const V& value(uint32_t index) const { return slab_[index].value; }

  // The slab, for walks in index order (eviction, collecting entries): entries with
  // live == false are free.
  size_t slab_size() const { return slab_.size(); }
  bool live(uint32_t index) const { return slab_[index].live; }

  // Drops every entry; keeps the memory for reuse.
  void Clear() {
    if (size_ == 0 && free_.empty() && slab_.empty()) return;
    std::fill(table_.begin(), table_.end(), kEmptySlot);
    slab_.clear();
    free_.clear();
    size_ = 0;
  }

 private:
  static constexpr size_t kMinCapacity = 64;
  static constexpr uint64_t kEmptySlot = std::numeric_limits<uint64_t>::max();
  // A slot: the hash's low 32 bits (tag; its low bits are the home position) and the index.

  size_t mask() const { return table_.size() - 1; }

  void Place(uint32_t tag, uint32_t index) {
    size_t pos = tag & mask();
    while (table_[pos] != kEmptySlot) pos = (pos + 1) & mask();
    table_[pos] = (uint64_t{tag} << 32) | index;
  }

  void Grow() {
    HITO_ASSERT(table_.size() <= (size_t{1} << 31));
    std::vector<uint64_t> old;
    old.swap(table_);
    table_.assign(old.size() * 2, kEmptySlot);
    for (const uint64_t slot : old) {
      if (slot != kEmptySlot) Place(static_cast<uint32_t>(slot >> 32), static_cast<uint32_t>(slot));
    }
  }

  std::vector<uint64_t> table_;  // kEmptySlot or (tag << 32 | slab index)
  std::vector<Item> slab_;
  std::vector<uint32_t> free_;
  size_t size_ = 0;
};

}  // namespace hito::consensus::ledger

#endif  // HITO_CONSENSUS_LEDGER_SLAB_MAP_H_
