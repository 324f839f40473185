// The key-value seam between the ledger and storage.
//
// The ledger never touches a disk: it reads committed state through a KvReader the node
// hands it (backed by LevelDB in hitod, by a std::map in tests and simulation) and returns
// its writes as a ChangeSet, which the node commits in one synced batch.
#ifndef HITO_CONSENSUS_LEDGER_KV_H_
#define HITO_CONSENSUS_LEDGER_KV_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace hito::consensus::ledger {

class KvReader {
 public:
  virtual ~KvReader() = default;
  // Sets *value to the stored bytes, or nullopt when the key is absent. A non-OK status
  // is a storage failure (the caller stops), never "not found".
  virtual Status Get(ByteView key, std::optional<Bytes>* value) const = 0;
};

// A block's writes: key -> new value, or a deletion. Read in key order (bytewise), one
// entry per key, so that applying and hashing are deterministic.
//
// Why not a std::map<Bytes, optional<Bytes>>: a block of 10,000 transfers writes about
// 40,000 records, and a map costs three allocations per record (node, key, value) plus
// a cache-missing tree walk per insert. A ChangeSet keeps every key and value in one
// byte arena and the entries in one vector: a write appends (no allocation once the
// buffers have grown), and the entries are sorted once, when they are first read.
//
// Writes: Put / Delete / Erase, in any order; the last write to a key wins. A producer
// that writes in increasing key order (the ledger does) pays no sort at all.
// Reads (iteration, size, Find, ==) see the entries sorted by key with one entry per key.
// The first read after a write sorts the entries in place; that is a mutation inside a
// const method, so a ChangeSet shared between threads must be Normalize()d first (the
// ledger returns normalised sets). Otherwise not thread-safe, like a std container.
class ChangeSet {
 public:
  // One entry as read: views into the set's arena, valid until the next write or clear.
  struct Entry {
    ByteView key;
    std::optional<ByteView> value;  // nullopt: delete the key
  };

  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Entry;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Entry;
    Iterator() = default;
    Entry operator*() const { return set_->At(i_); }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      ++i_;
      return old;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.i_ == b.i_; }

   private:
    friend class ChangeSet;
    Iterator(const ChangeSet* set, size_t i) : set_(set), i_(i) {}
    const ChangeSet* set_ = nullptr;
    size_t i_ = 0;
  };

  ChangeSet() = default;
  // Writes each pair in order (nullopt: Delete). For tests and hand-built sets.
  ChangeSet(std::initializer_list<std::pair<Bytes, std::optional<Bytes>>> writes);

  // Writes `value` under `key`.
  void Put(ByteView key, ByteView value);
  // Writes `value_size` bytes under `key` and returns them for the caller to fill (so a
  // record can be encoded in place). The span is valid until the next write.
  std::span<uint8_t> PutUninitialized(ByteView key, size_t value_size);
  // Writes a deletion of `key`.
  void Delete(ByteView key);
  // Takes back any earlier write to `key`: the set then says nothing about it (neither a
  // value nor a deletion).
  void Erase(ByteView key);
  // Capacity hints: `entries` writes holding `bytes` key and value bytes in all.
  void Reserve(size_t entries, size_t bytes);
  // Drops every entry (keeps the buffers' capacity).
  void clear();

  // Sorts the entries and resolves repeated keys now, so later const reads mutate nothing.
  void Normalize() const;

  size_t size() const;
  bool empty() const { return size() == 0; }
  Iterator begin() const;
  Iterator end() const;
  // The entry for `key`: nullopt when the set says nothing about it; otherwise its value
  // (itself nullopt for a deletion).
  std::optional<std::optional<ByteView>> Find(ByteView key) const;

  // Same entries (keys, values and deletions) in the same order.
  friend bool operator==(const ChangeSet& a, const ChangeSet& b);

 private:
  enum class Kind : uint8_t { kPut, kDelete, kErase };
  struct Slot {
    uint32_t key_offset;
    uint32_t value_offset;
    uint32_t value_size;
    uint16_t key_size;
    Kind kind;
  };

  Slot& Append(ByteView key, Kind kind, size_t value_size);
  ByteView KeyOf(const Slot& s) const { return {arena_.data() + s.key_offset, s.key_size}; }
  Entry At(size_t i) const;
  void Sort() const;

  // An allocator whose resize leaves new bytes uninitialised: PutUninitialized's caller
  // writes them, so zero-filling megabytes per block would be wasted.
  template <typename T>
  struct UninitAllocator : std::allocator<T> {
    template <typename U>
    struct rebind {
      using other = UninitAllocator<U>;
    };
    UninitAllocator() = default;
    template <typename U>
    UninitAllocator(const UninitAllocator<U>&) {}  // NOLINT: implicit, as allocators are
    template <typename U>
    void construct(U* p) {
      ::new (static_cast<void*>(p)) U;  // default-initialise: no zeroing
    }
    template <typename U, typename... Args>
    void construct(U* p, Args&&... args) {
      ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
  };

  // Mutable: reads normalise lazily (see the class comment).
  mutable std::vector<Slot> slots_;
  mutable bool sorted_ = true;  // slots_ strictly increasing by key, no kErase
  std::vector<uint8_t, UninitAllocator<uint8_t>> arena_;
};

// A KvReader over a std::map, with ChangeSet application; for tests, simulation and the
// ledger's own overlays.
class MemoryKv : public KvReader {
 public:
  Status Get(ByteView key, std::optional<Bytes>* value) const override;
  void Apply(const ChangeSet& changes);
  const std::map<Bytes, Bytes>& entries() const { return entries_; }

 private:
  std::map<Bytes, Bytes> entries_;
};

}  // namespace hito::consensus::ledger

#endif  // HITO_CONSENSUS_LEDGER_KV_H_
