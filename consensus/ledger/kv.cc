#include "consensus/ledger/kv.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "base/assert.h"
#include "consensus/ledger/key_order.h"

namespace hito::consensus::ledger {
namespace {

// Bytewise order, as std::map<Bytes, ...> and LevelDB's default comparator use. Word at
// a time and inline: every write compares its key with the previous one.
int Compare(ByteView a, ByteView b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint64_t x = LoadBE64(a.data() + i);
    const uint64_t y = LoadBE64(b.data() + i);
    if (x != y) return x < y ? -1 : 1;
  }
  for (; i < n; ++i) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

}  // namespace

ChangeSet::ChangeSet(std::initializer_list<std::pair<Bytes, std::optional<Bytes>>> writes) {
  for (const auto& [key, value] : writes) {
    if (value) {
      Put(key, *value);
    } else {
      Delete(key);
    }
  }
}

ChangeSet::Slot& ChangeSet::Append(ByteView key, Kind kind, size_t value_size) {
  HITO_ASSERT(key.size() <= std::numeric_limits<uint16_t>::max());
  HITO_ASSERT(arena_.size() + key.size() + value_size <= std::numeric_limits<uint32_t>::max());
  if (sorted_ && !slots_.empty() && Compare(KeyOf(slots_.back()), key) >= 0) sorted_ = false;
  Slot s;
  s.key_offset = static_cast<uint32_t>(arena_.size());
  s.key_size = static_cast<uint16_t>(key.size());
  arena_.insert(arena_.end(), key.begin(), key.end());
  s.value_offset = static_cast<uint32_t>(arena_.size());
  s.value_size = static_cast<uint32_t>(value_size);
  s.kind = kind;
  slots_.push_back(s);
  return slots_.back();
}

void ChangeSet::Put(ByteView key, ByteView value) {
  Append(key, Kind::kPut, 0);
  slots_.back().value_size = static_cast<uint32_t>(value.size());
  HITO_ASSERT(arena_.size() + value.size() <= std::numeric_limits<uint32_t>::max());
  arena_.insert(arena_.end(), value.begin(), value.end());
}

std::span<uint8_t> ChangeSet::PutUninitialized(ByteView key, size_t value_size) {
  const Slot& s = Append(key, Kind::kPut, value_size);
  arena_.resize(arena_.size() + value_size);
  return {arena_.data() + s.value_offset, value_size};
}

void ChangeSet::Delete(ByteView key) { Append(key, Kind::kDelete, 0); }

void ChangeSet::Erase(ByteView key) {
  // In a sorted set whose last key is below `key`, there is nothing to take back.
  if (sorted_ && (slots_.empty() || Compare(KeyOf(slots_.back()), key) < 0)) return;
  Append(key, Kind::kErase, 0);
  sorted_ = false;
}

void ChangeSet::Reserve(size_t entries, size_t bytes) {
  slots_.reserve(entries);
  arena_.reserve(bytes);
}

void ChangeSet::clear() {
  slots_.clear();
  arena_.clear();
  sorted_ = true;
}

void ChangeSet::Sort() const {
  // A natural merge sort: producers write long increasing runs (the ledger writes its
  // records, then the tree's pages, then two metadata keys), so merging the runs costs
  // a few linear passes where a general sort would cost n log n key comparisons. Merges
  // are stable, so among writes to one key the last one written stays last.
  auto less = [this](const Slot& a, const Slot& b) { return Compare(KeyOf(a), KeyOf(b)) < 0; };
  std::vector<size_t> runs;  // start of each non-decreasing run, then slots_.size()
  runs.push_back(0);
  for (size_t i = 1; i < slots_.size(); ++i) {
    if (less(slots_[i], slots_[i - 1])) runs.push_back(i);
  }
  runs.push_back(slots_.size());
  while (runs.size() > 2) {
    std::vector<size_t> merged;
    merged.reserve(runs.size() / 2 + 2);
    size_t r = 0;
    for (; r + 2 < runs.size(); r += 2) {
      const auto first = slots_.begin() + static_cast<std::ptrdiff_t>(runs[r]);
      std::inplace_merge(first, slots_.begin() + static_cast<std::ptrdiff_t>(runs[r + 1]),
                         slots_.begin() + static_cast<std::ptrdiff_t>(runs[r + 2]), less);
      merged.push_back(runs[r]);
    }
    if (r + 2 == runs.size()) merged.push_back(runs[r]);  // an odd run left: carried over
    merged.push_back(slots_.size());
    runs = std::move(merged);
  }
  size_t out = 0;
  for (size_t i = 0; i < slots_.size();) {
    size_t j = i + 1;
    while (j < slots_.size() && Compare(KeyOf(slots_[i]), KeyOf(slots_[j])) == 0) ++j;
    const Slot& last = slots_[j - 1];  // the last write to this key wins
    if (last.kind != Kind::kErase) slots_[out++] = last;
    i = j;
  }
  slots_.resize(out);
  sorted_ = true;
}

void ChangeSet::Normalize() const {
  if (!sorted_) Sort();
}

size_t ChangeSet::size() const {
  Normalize();
  return slots_.size();
}

ChangeSet::Iterator ChangeSet::begin() const {
  Normalize();
  return Iterator(this, 0);
}

ChangeSet::Iterator ChangeSet::end() const {
  Normalize();
  return Iterator(this, slots_.size());
}

ChangeSet::Entry ChangeSet::At(size_t i) const {
  const Slot& s = slots_[i];
  Entry e{KeyOf(s), std::nullopt};
  if (s.kind == Kind::kPut) e.value = ByteView(arena_.data() + s.value_offset, s.value_size);
  return e;
}

std::optional<std::optional<ByteView>> ChangeSet::Find(ByteView key) const {
  Normalize();
  auto it = std::lower_bound(slots_.begin(), slots_.end(), key, [this](const Slot& s, ByteView k) {
    return Compare(KeyOf(s), k) < 0;
  });
  if (it == slots_.end() || Compare(KeyOf(*it), key) != 0) return std::nullopt;
  return At(static_cast<size_t>(it - slots_.begin())).value;
}

bool operator==(const ChangeSet& a, const ChangeSet& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.slots_.size(); ++i) {
    const ChangeSet::Entry x = a.At(i);
    const ChangeSet::Entry y = b.At(i);
    if (Compare(x.key, y.key) != 0 || x.value.has_value() != y.value.has_value()) return false;
    if (x.value && Compare(*x.value, *y.value) != 0) return false;
  }
  return true;
}

Status MemoryKv::Get(ByteView key, std::optional<Bytes>* value) const {
  // std::map<Bytes, Bytes> has no heterogeneous lookup for spans: copy the key into a
  // per-thread buffer that keeps its capacity, so a lookup does not allocate.
  thread_local Bytes lookup;
  lookup.assign(key.begin(), key.end());
  auto it = entries_.find(lookup);
  if (it == entries_.end()) {
    value->reset();
  } else {
    *value = it->second;
  }
  return Status::Ok();
}

void MemoryKv::Apply(const ChangeSet& changes) {
  for (const auto& [key, value] : changes) {
    if (value) {
      entries_.insert_or_assign(ToBytes(key), ToBytes(*value));
    } else {
      entries_.erase(ToBytes(key));
    }
  }
}

}  // namespace hito::consensus::ledger
