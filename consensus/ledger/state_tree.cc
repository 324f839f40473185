#include "consensus/ledger/state_tree.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include "base/hash.h"
#include "base/hex.h"
#include "consensus/ledger/key_order.h"
#include "consensus/ledger/slab_map.h"

namespace hito::consensus::ledger {
namespace {

constexpr std::string_view kLeafLabel = "hito/v1/state-leaf";
constexpr std::string_view kNodeLabel = "hito/v1/state-node";
constexpr Hash32 kEmpty{};

constexpr uint8_t kTagInternal = 1;
constexpr uint8_t kTagLeaf = 2;
constexpr size_t kNodeBytes = 1 + 32 + 32;
constexpr unsigned kPageLevels = 4;
constexpr unsigned kPageSlots = (1u << kPageLevels) - 1;  // 15

bool Bit(const Hash32& key, unsigned i) { return ((key[i / 8] >> (7 - i % 8)) & 1) != 0; }

void SetBit(Hash32* key, unsigned i, bool v) {
  const auto mask = static_cast<uint8_t>(1u << (7 - i % 8));
  if (v) {
    (*key)[i / 8] = static_cast<uint8_t>((*key)[i / 8] | mask);
  } else {
    (*key)[i / 8] = static_cast<uint8_t>((*key)[i / 8] & ~mask);
  }
}

// True iff a and b agree on their first `depth` bits (compared a big-endian word at a
// time: it runs at every step of the tree walk).
bool SamePrefix(const Hash32& a, const Hash32& b, unsigned depth) {
  unsigned w = 0;
  for (; 64 * (w + 1) <= depth; ++w) {
    if (LoadBE64(a.data() + 8 * w) != LoadBE64(b.data() + 8 * w)) return false;
  }
  const unsigned rest = depth - 64 * w;
  if (rest == 0) return true;
  const uint64_t diff = LoadBE64(a.data() + 8 * w) ^ LoadBE64(b.data() + 8 * w);
  return (diff >> (64 - rest)) == 0;
}

// A stored node: an internal node (a = left hash, b = right hash) or a leaf (a = key,
// b = value hash).
struct Node {
  uint8_t tag = 0;
  Hash32 a{};
  Hash32 b{};
  Hash32 Hash() const { return tag == kTagLeaf ? StateLeafHash(a, b) : StateNodeHash(a, b); }
};

// What a subtree became after an update. kOpaque: untouched and non-empty, known only by
// its hash (read lazily if its sibling empties and it might have to move up).
struct Sub {
  enum Kind { kEmptySub, kLeafSub, kInternalSub, kOpaqueSub } kind = kEmptySub;
  Hash32 hash{};
  Hash32 a{};  // leaf: key; internal: left hash
  Hash32 b{};  // leaf: value hash; internal: right hash
};

Sub LeafSub(const Hash32& key, const Hash32& value) {
  return Sub{Sub::kLeafSub, StateLeafHash(key, value), key, value};
}

struct Entry {
  Hash32 key;
  Hash32 value;
};
using KeyUpdate = std::pair<Hash32, std::optional<Hash32>>;

// A page: the binary nodes of depths [d, d + kPageLevels) under one d-bit prefix, d a
// multiple of kPageLevels, stored as one key-value record. Slot (r, i) holds the node at
// depth d + r whose next r path bits are i, at index 2^r - 1 + i.
struct Page {
  // Slots not in `present` are never read, so a new page leaves `hashes` uninitialised
  // and copies move only the present slots (most pages deep in the tree hold one to
  // three nodes of fifteen).
  Page() {}  // NOLINT: deliberately leaves `hashes` uninitialised
  // Compact (each node is its two hashes, the tag a bit of `leaves`) so that a cached
  // page stays within the allocator's small-object caches.
  std::array<Hash32, 2 * kPageSlots> hashes;
  uint16_t present = 0;  // bit s: slot s holds a node
  uint16_t leaves = 0;   // bit s: that node is a leaf
  bool dirty = false;
  bool stored = false;  // the record exists in the store

  std::optional<Node> Get(unsigned s) const {
    if ((present & (1u << s)) == 0) return std::nullopt;
    return Node{(leaves & (1u << s)) != 0 ? kTagLeaf : kTagInternal, hashes[2 * s],
                hashes[2 * s + 1]};
  }
  void Set(unsigned s, const Node& n) {
    present = static_cast<uint16_t>(present | (1u << s));
    if (n.tag == kTagLeaf) {
      leaves = static_cast<uint16_t>(leaves | (1u << s));
    } else {
      leaves = static_cast<uint16_t>(leaves & ~(1u << s));
    }
    hashes[2 * s] = n.a;
    hashes[2 * s + 1] = n.b;
  }
  void Clear(unsigned s) {
    present = static_cast<uint16_t>(present & ~(1u << s));
    leaves = static_cast<uint16_t>(leaves & ~(1u << s));
  }
  // *this = from, copying only the present slots.
  void CopyFrom(const Page& from) {
    present = from.present;
    leaves = from.leaves;
    dirty = from.dirty;
    stored = from.stored;
    for (unsigned bits = present; bits != 0; bits &= bits - 1) {
      const auto s = static_cast<unsigned>(__builtin_ctz(bits));
      hashes[2 * s] = from.hashes[2 * s];
      hashes[2 * s + 1] = from.hashes[2 * s + 1];
    }
  }
};

// A page's position: its first depth and its path prefix (bits beyond depth zeroed).
struct PageId {
  uint16_t depth = 0;
  Hash32 prefix{};
  // Key order (TreeNodeKey's bytes): by depth, then prefix.
  friend bool operator<(const PageId& a, const PageId& b) {
    return a.depth != b.depth ? a.depth < b.depth : KeyLess(a.prefix, b.prefix);
  }
  friend bool operator==(const PageId& a, const PageId& b) {
    return a.depth == b.depth && KeyEqual(a.prefix, b.prefix);
  }
  // A summary for SortByWord: the depth, then the prefix's first 56 bits.
  uint64_t SortWord() const { return (uint64_t{depth} << 56) | (LoadBE64(prefix.data()) >> 8); }
};

// Tree keys are hashes, so a page's prefix words are already well spread; mixing only
// the words the depth covers keeps the hash to one or two multiplications.
struct PageIdHash {
  uint64_t operator()(const PageId& id) const {
    uint64_t h = MixBits(0x9E3779B97F4A7C15ull ^ id.depth);
    const unsigned words = (id.depth + 63u) / 64u;
    for (unsigned w = 0; w < words; ++w) {
      uint64_t x;
      std::memcpy(&x, id.prefix.data() + 8 * w, 8);
      h = MixBits(h ^ x);
    }
    return h;
  }
};
using PageTable = SlabMap<PageId, Page, PageIdHash>;

// TreeNodeKey(id.depth, id.prefix) into a caller's buffer, without allocating.
ByteView PageKey(const PageId& id, std::array<uint8_t, 2 + 2 + 32>* buf) {
  uint8_t* p = buf->data();
  p = std::copy(kTreeNodePrefix.begin(), kTreeNodePrefix.end(), p);
  *p++ = static_cast<uint8_t>(id.depth >> 8);
  *p++ = static_cast<uint8_t>(id.depth & 0xFF);
  p = std::copy(id.prefix.begin(), id.prefix.begin() + (id.depth + 7) / 8, p);
  return {buf->data(), static_cast<size_t>(p - buf->data())};
}

unsigned SlotIndex(unsigned depth, const Hash32& path) {
  const unsigned rel = depth % kPageLevels;
  unsigned i = 0;
  for (unsigned bit = depth - rel; bit < depth; ++bit) i = (i << 1) | (Bit(path, bit) ? 1u : 0u);
  return (1u << rel) - 1 + i;
}

Result<Page> DecodePage(ByteView raw, const Bytes& key, unsigned page_depth, const Hash32& path) {
  auto corrupt = [&key](std::string_view why) {
    return DataLossError("state tree page " + HexEncode(key) + " is corrupt: " + std::string(why));
  };
  if (raw.size() < 2) return corrupt("truncated");
  const unsigned bitmap = (unsigned{raw[0]} << 8) | raw[1];
  if (bitmap == 0 || (bitmap >> kPageSlots) != 0) return corrupt("bad slot bitmap");
  Page page;
  page.stored = true;
  size_t pos = 2;
  for (unsigned s = 0; s < kPageSlots; ++s) {
    if ((bitmap & (1u << s)) == 0) continue;
    if (raw.size() - pos < kNodeBytes) return corrupt("truncated");
    Node n;
    n.tag = raw[pos];
    std::copy(raw.begin() + static_cast<std::ptrdiff_t>(pos + 1),
              raw.begin() + static_cast<std::ptrdiff_t>(pos + 33), n.a.begin());
    std::copy(raw.begin() + static_cast<std::ptrdiff_t>(pos + 33),
              raw.begin() + static_cast<std::ptrdiff_t>(pos + kNodeBytes), n.b.begin());
    pos += kNodeBytes;
    if (n.tag != kTagInternal && n.tag != kTagLeaf) return corrupt("bad node tag");
    if (n.tag == kTagInternal && n.a == kEmpty && n.b == kEmpty) return corrupt("childless node");
    unsigned rel = 0;  // the slot's depth within the page
    while ((2u << rel) - 1 <= s) ++rel;
    if (page_depth + rel > kTreeDepth ||
        (n.tag == kTagInternal && page_depth + rel == kTreeDepth)) {
      return corrupt("node below depth 256");
    }
    // A leaf must lie on its own path: its key's bits select this page and slot.
    if (n.tag == kTagLeaf &&
        (!SamePrefix(n.a, path, page_depth) || SlotIndex(page_depth + rel, n.a) != s)) {
      return corrupt("leaf off its path");
    }
    page.Set(s, n);
  }
  if (pos != raw.size()) return corrupt("trailing bytes");
  return page;
}

size_t EncodedPageSize(const Page& page) {
  return 2 + static_cast<size_t>(__builtin_popcount(page.present)) * kNodeBytes;
}

// Encodes `page` into `out` (EncodedPageSize(page) bytes), in place in the change set.
void EncodePage(const Page& page, std::span<uint8_t> out) {
  HITO_ASSERT(out.size() == EncodedPageSize(page));
  uint8_t* p = out.data();
  *p++ = static_cast<uint8_t>(page.present >> 8);
  *p++ = static_cast<uint8_t>(page.present & 0xFF);
  for (unsigned s = 0; s < kPageSlots; ++s) {
    if ((page.present & (1u << s)) == 0) continue;
    *p++ = (page.leaves & (1u << s)) != 0 ? kTagLeaf : kTagInternal;
    p = std::copy(page.hashes[2 * s].begin(), page.hashes[2 * s].end(), p);
    p = std::copy(page.hashes[2 * s + 1].begin(), page.hashes[2 * s + 1].end(), p);
  }
}

}  // namespace

struct TreePageCache::Impl {
  size_t max_pages = 0;
  PageTable committed;  // pages as stored in the tree the owner says kv holds
  // The pages the last cached Update read or wrote; those marked dirty are the ones it
  // wrote, staged under staged_root.
  PageTable staged;
  Hash32 staged_root{};
  bool has_staged = false;
  PageTable work;     // an Update's working set (then swapped into `staged`)
  size_t cursor = 0;  // eviction resumes at this slab index of `committed`

  // Evicts a run of committed pages, in slab order from a rotating cursor, until at most
  // 7/8 of the bound remain (so eviction is amortised over many insertions). The slab
  // order depends only on the sequence of operations: deterministic.
  void Evict() {
    if (committed.size() <= max_pages) return;
    const size_t target = max_pages - max_pages / 8;
    size_t i = cursor;
    while (committed.size() > target) {
      if (i >= committed.slab_size()) i = 0;
      if (committed.live(static_cast<uint32_t>(i))) committed.Erase(static_cast<uint32_t>(i));
      ++i;
    }
    cursor = i;
  }
};

namespace {

// Reads nodes through a cache of decoded pages and, when updating, records node writes
// in the cached pages; Flush turns the changed pages into key-value writes.
class Updater {
 public:
  Updater(const KvReader* kv, ChangeSet* changes, TreePageCache::Impl* cache = nullptr)
      : kv_(kv),
        changes_(changes),
        cache_(cache),
        pages_(cache != nullptr ? &cache->work : &own_pages_) {
    pages_->Clear();
    level_index_.fill(PageTable::kNone);
  }

  Result<std::optional<Node>> Read(unsigned depth, const Hash32& path) {
    HITO_ASSIGN_OR_RETURN(Page * page, GetPage(depth, path));
    return page->Get(SlotIndex(depth, path));
  }

  // Writes every changed page: the new record, or a deletion for an emptied page.
  // Pages are visited in PageId order, which is their key order, so the change set
  // receives them as one increasing run.
  void Flush() {
    std::vector<uint32_t> dirty;
    dirty.reserve(pages_->size());
    for (uint32_t i = 0; i < pages_->slab_size(); ++i) {
      if (pages_->live(i) && pages_->value(i).dirty) dirty.push_back(i);
    }
    SortByWord(
        &dirty, [this](uint32_t i) { return pages_->key(i).SortWord(); },
        [this](uint32_t a, uint32_t b) { return pages_->key(a) < pages_->key(b); });
    for (const uint32_t i : dirty) {
      const PageId& id = pages_->key(i);
      const Page& page = pages_->value(i);
      std::array<uint8_t, 2 + 2 + 32> key_bytes;
      const ByteView key = PageKey(id, &key_bytes);
      if (page.present != 0) {
        EncodePage(page, changes_->PutUninitialized(key, EncodedPageSize(page)));
      } else if (page.stored) {
        changes_->Delete(key);
      } else {
        changes_->Erase(key);  // created and emptied within this batch: no write
      }
    }
  }

  // Makes this pass's pages (the dirty ones are its writes) the cache's staged set,
  // under `root`; the previous staged set's memory becomes the next working set.
  void Stage(const Hash32& root) {
    if (cache_ == nullptr) return;
    std::swap(cache_->staged, cache_->work);
    cache_->work.Clear();
    cache_->staged_root = root;
    cache_->has_staged = true;
    level_index_.fill(PageTable::kNone);
    cache_->Evict();
  }

  // Applies `ups` (sorted, all under this node's path) to the subtree at (depth, path)
  // whose current root node is `node` (nullopt when empty).
  Result<Sub> Apply(unsigned depth, const Hash32& path, const std::optional<Node>& node,
                    std::span<const KeyUpdate> ups) {
    if (!node || node->tag == kTagLeaf) {
      // Build never merges again, so one buffer serves the whole pass.
      Merge(node, ups, &merge_buf_);
      return Build(depth, path, merge_buf_);
    }
    HITO_ASSERT(depth < kTreeDepth);
    const auto mid = std::partition_point(
        ups.begin(), ups.end(), [depth](const KeyUpdate& u) { return !Bit(u.first, depth); });
    const std::span<const KeyUpdate> left_ups(ups.begin(), mid);
    const std::span<const KeyUpdate> right_ups(mid, ups.end());
    const Hash32 left_path = ChildPath(path, depth, false);
    const Hash32 right_path = ChildPath(path, depth, true);
    HITO_ASSIGN_OR_RETURN(Sub left, Child(depth + 1, left_path, node->a, left_ups));
    HITO_ASSIGN_OR_RETURN(Sub right, Child(depth + 1, right_path, node->b, right_ups));
    return Combine(depth, path, std::move(left), std::move(right));
  }

  // Writes the subtree holding exactly `entries` (sorted, present values) at (depth,
  // path); nothing below this position exists in the store.
  Result<Sub> Build(unsigned depth, const Hash32& path, std::span<const Entry> entries) {
    if (entries.empty()) {
      HITO_RETURN_IF_ERROR(Remove(depth, path));
      return Sub{};
    }
    if (entries.size() == 1) {
      Sub s = LeafSub(entries[0].key, entries[0].value);
      HITO_RETURN_IF_ERROR(Write(depth, path, s));
      return s;
    }
    HITO_ASSERT(depth < kTreeDepth);  // distinct keys part before depth 256
    const auto mid = std::partition_point(entries.begin(), entries.end(),
                                          [depth](const Entry& e) { return !Bit(e.key, depth); });
    const Hash32 left_path = ChildPath(path, depth, false);
    const Hash32 right_path = ChildPath(path, depth, true);
    HITO_ASSIGN_OR_RETURN(Sub left, Build(depth + 1, left_path, {entries.begin(), mid}));
    HITO_ASSIGN_OR_RETURN(Sub right, Build(depth + 1, right_path, {mid, entries.end()}));
    return Combine(depth, path, std::move(left), std::move(right));
  }

 private:
  static Hash32 ChildPath(const Hash32& path, unsigned depth, bool bit) {
    Hash32 p = path;
    SetBit(&p, depth, bit);
    return p;
  }

  Result<Sub> Child(unsigned depth, const Hash32& path, const Hash32& hash,
                    std::span<const KeyUpdate> ups) {
    if (ups.empty()) {
      if (KeyIsZero(hash)) return Sub{};
      return Sub{Sub::kOpaqueSub, hash, {}, {}};
    }
    std::optional<Node> child;
    if (!KeyIsZero(hash)) {
      HITO_ASSIGN_OR_RETURN(child, Read(depth, path));
      if (!child) {
        return DataLossError("state tree node " + HexEncode(TreeNodeKey(depth, path)) +
                             " is missing");
      }
    }
    return Apply(depth, path, child, ups);
  }

  // The entries of a subtree that is empty or a single leaf, after `ups`.
  static void Merge(const std::optional<Node>& leaf, std::span<const KeyUpdate> ups,
                    std::vector<Entry>* out_buf) {
    std::vector<Entry>& out = *out_buf;
    out.clear();
    bool leaf_pending = leaf.has_value();
    for (const KeyUpdate& u : ups) {
      if (leaf_pending && !KeyLess(u.first, leaf->a)) {
        if (KeyLess(leaf->a, u.first)) out.push_back({leaf->a, leaf->b});
        leaf_pending = false;  // an update of the same key replaces or deletes it
      }
      if (u.second) out.push_back({u.first, *u.second});
    }
    if (leaf_pending) out.push_back({leaf->a, leaf->b});
  }

  // Resolves an untouched sibling of an emptied subtree: if it is a leaf it moves up.
  Result<Sub> Resolve(unsigned depth, const Hash32& path, Sub s) {
    if (s.kind != Sub::kOpaqueSub) return s;
    HITO_ASSIGN_OR_RETURN(std::optional<Node> n, Read(depth, path));
    if (!n) {
      return DataLossError("state tree node " + HexEncode(TreeNodeKey(depth, path)) +
                           " is missing");
    }
    if (n->tag == kTagLeaf) return Sub{Sub::kLeafSub, s.hash, n->a, n->b};
    return Sub{Sub::kInternalSub, s.hash, n->a, n->b};
  }

  Result<Sub> Combine(unsigned depth, const Hash32& path, Sub left, Sub right) {
    const Hash32 left_path = ChildPath(path, depth, false);
    const Hash32 right_path = ChildPath(path, depth, true);
    if (right.kind == Sub::kEmptySub) {
      HITO_ASSIGN_OR_RETURN(left, Resolve(depth + 1, left_path, std::move(left)));
    }
    if (left.kind == Sub::kEmptySub) {
      HITO_ASSIGN_OR_RETURN(right, Resolve(depth + 1, right_path, std::move(right)));
    }
    Sub out;
    if (left.kind == Sub::kEmptySub && right.kind == Sub::kEmptySub) {
      HITO_RETURN_IF_ERROR(Remove(depth, path));
      return out;
    }
    if (right.kind == Sub::kEmptySub && left.kind == Sub::kLeafSub) {
      HITO_RETURN_IF_ERROR(Remove(depth + 1, left_path));
      out = left;
    } else if (left.kind == Sub::kEmptySub && right.kind == Sub::kLeafSub) {
      HITO_RETURN_IF_ERROR(Remove(depth + 1, right_path));
      out = right;
    } else {
      out = Sub{Sub::kInternalSub, StateNodeHash(left.hash, right.hash), left.hash, right.hash};
    }
    HITO_RETURN_IF_ERROR(Write(depth, path, out));
    return out;
  }

  static PageId PageOf(unsigned depth, const Hash32& path) {
    PageId id;
    id.depth = static_cast<uint16_t>(depth - depth % kPageLevels);
    const unsigned full = id.depth / 8;
    std::copy(path.begin(), path.begin() + full, id.prefix.begin());
    if (id.depth % 8 != 0) {
      id.prefix[full] = static_cast<uint8_t>(path[full] & (0xFFu << (8 - id.depth % 8)));
    }
    return id;
  }

  Result<Page*> GetPage(unsigned depth, const Hash32& path) {
    // The walk is depth-first, so at each page depth it is inside one page at a time:
    // remember that page per page depth, and most lookups skip the table (comparing only
    // the prefix bits that name the page).
    const unsigned level = depth / kPageLevels;
    if (level_index_[level] != PageTable::kNone &&
        SamePrefix(level_id_[level].prefix, path, level * kPageLevels)) {
      return &pages_->value(level_index_[level]);
    }
    const PageId id = PageOf(depth, path);
    uint32_t index = pages_->Find(id);
    if (index == PageTable::kNone) {
      HITO_ASSIGN_OR_RETURN(index, LoadPage(id, path));
    }
    level_id_[level] = id;
    level_index_[level] = index;
    return &pages_->value(index);
  }

  // Brings the committed page `id` into this pass's working set: from the cache, or
  // read and decoded from the store. Returns its index in pages_.
  Result<uint32_t> LoadPage(const PageId& id, const Hash32& path) {
    if (cache_ != nullptr) {
      const uint32_t c = cache_->committed.Find(id);
      if (c != PageTable::kNone) {
        const uint32_t index = pages_->InsertAbsent(id);  // GetPage's Find missed
        pages_->value(index).CopyFrom(cache_->committed.value(c));
        return index;
      }
    }
    // The key and the read into reused buffers: a page read allocates nothing.
    std::array<uint8_t, 2 + 2 + 32> key_bytes;
    const ByteView key = PageKey(id, &key_bytes);
    HITO_RETURN_IF_ERROR(kv_->Get(key, &raw_buf_));
    Page page;
    if (raw_buf_) {
      HITO_ASSIGN_OR_RETURN(page, DecodePage(*raw_buf_, ToBytes(key), id.depth, path));
    }
    // The cache holds absent pages too (present == 0, not stored): a miss is remembered.
    if (cache_ != nullptr)
      cache_->committed.value(cache_->committed.InsertAbsent(id)).CopyFrom(page);
    const uint32_t index = pages_->InsertAbsent(id);
    pages_->value(index).CopyFrom(page);
    return index;
  }

  Status Write(unsigned depth, const Hash32& path, const Sub& s) {
    const uint8_t tag = s.kind == Sub::kLeafSub ? kTagLeaf : kTagInternal;
    HITO_ASSIGN_OR_RETURN(Page * page, GetPage(depth, path));
    page->Set(SlotIndex(depth, path), Node{tag, s.a, s.b});
    page->dirty = true;
    return Status::Ok();
  }

  Status Remove(unsigned depth, const Hash32& path) {
    HITO_ASSIGN_OR_RETURN(Page * page, GetPage(depth, path));
    page->Clear(SlotIndex(depth, path));
    page->dirty = true;
    return Status::Ok();
  }

  const KvReader* kv_;
  ChangeSet* changes_;
  TreePageCache::Impl* cache_;
  PageTable own_pages_;  // the working set when there is no cache
  PageTable* pages_;     // decoded pages read or written in this pass
  std::vector<Entry> merge_buf_;
  std::optional<Bytes> raw_buf_;
  std::array<PageId, kTreeDepth / kPageLevels + 1> level_id_{};
  std::array<uint32_t, kTreeDepth / kPageLevels + 1> level_index_{};
};

}  // namespace

namespace {

// DomainHash(label, a || b) (base/hash.h) in one libsodium call over one stack buffer:
// the tree's hot path, about two per changed node.
Hash32 PairHash(std::string_view label, const Hash32& a, const Hash32& b) {
  std::array<uint8_t, 1 + 32 + 64> buf;
  HITO_ASSERT(label.size() <= 32);
  buf[0] = static_cast<uint8_t>(label.size());
  std::copy(label.begin(), label.end(), buf.begin() + 1);
  auto* p = buf.data() + 1 + label.size();
  std::copy(a.begin(), a.end(), p);
  std::copy(b.begin(), b.end(), p + 32);
  Hash32 out;
  crypto_generichash(out.data(), out.size(), buf.data(), 1 + label.size() + 64, nullptr, 0);
  return out;
}

}  // namespace

Hash32 StateLeafHash(const Hash32& key, const Hash32& value_hash) {
  return PairHash(kLeafLabel, key, value_hash);
}

Hash32 StateNodeHash(const Hash32& left, const Hash32& right) {
  return PairHash(kNodeLabel, left, right);
}

Result<size_t> TreePageNodeCount(ByteView record) {
  if (record.size() < 2) return DataLossError("state tree page: truncated");
  const unsigned bitmap = (unsigned{record[0]} << 8) | record[1];
  const auto count = static_cast<size_t>(__builtin_popcount(bitmap));
  if ((bitmap >> kPageSlots) != 0 || record.size() != 2 + count * kNodeBytes) {
    return DataLossError("state tree page: bitmap and size disagree");
  }
  return count;
}

Bytes TreeNodeKey(unsigned depth, const Hash32& path_key) {
  HITO_ASSERT(depth <= kTreeDepth);
  const unsigned nbytes = (depth + 7) / 8;
  Bytes key;
  key.reserve(kTreeNodePrefix.size() + 2 + nbytes);
  key.insert(key.end(), kTreeNodePrefix.begin(), kTreeNodePrefix.end());
  key.push_back(static_cast<uint8_t>(depth >> 8));
  key.push_back(static_cast<uint8_t>(depth & 0xFF));
  key.insert(key.end(), path_key.begin(), path_key.begin() + nbytes);
  if (depth % 8 != 0) {
    key.back() = static_cast<uint8_t>(key.back() & (0xFFu << (8 - depth % 8)));
  }
  return key;
}

TreePageCache::TreePageCache(size_t max_pages) : impl_(std::make_unique<Impl>()) {
  impl_->max_pages = std::max<size_t>(max_pages, 16);
}

TreePageCache::~TreePageCache() = default;

void TreePageCache::Clear() {
  impl_->committed.Clear();
  impl_->staged.Clear();
  impl_->work.Clear();
  impl_->has_staged = false;
  impl_->cursor = 0;
}

bool TreePageCache::Promote(const Hash32& root) {
  if (!impl_->has_staged || impl_->staged_root != root) {
    Clear();
    return false;
  }
  PageTable& staged = impl_->staged;
  for (uint32_t i = 0; i < staged.slab_size(); ++i) {
    if (!staged.live(i) || !staged.value(i).dirty) continue;
    Page& page = impl_->committed.value(impl_->committed.FindOrInsert(staged.key(i)).first);
    page.CopyFrom(staged.value(i));
    page.dirty = false;
    page.stored = page.present != 0;
  }
  staged.Clear();
  impl_->has_staged = false;
  impl_->Evict();
  return true;
}

size_t TreePageCache::size() const { return impl_->committed.size(); }

Result<Hash32> StateTree::Root() const {
  Updater reader(kv_, nullptr, cache_ != nullptr ? cache_->impl_.get() : nullptr);
  HITO_ASSIGN_OR_RETURN(std::optional<Node> root, reader.Read(0, kEmpty));
  if (!root) return kEmptyTreeRoot;
  return root->Hash();
}

Result<std::optional<Hash32>> StateTree::Get(const Hash32& key) const {
  HITO_ASSIGN_OR_RETURN(StateProof proof, Prove(key));
  if (proof.leaf && proof.leaf->key == key) return std::optional<Hash32>(proof.leaf->value_hash);
  return std::optional<Hash32>();
}

Result<StateProof> StateTree::Prove(const Hash32& key) const {
  Updater reader(kv_, nullptr, cache_ != nullptr ? cache_->impl_.get() : nullptr);
  StateProof proof;
  HITO_ASSIGN_OR_RETURN(std::optional<Node> node, reader.Read(0, key));
  for (unsigned depth = 0; node; ++depth) {
    if (node->tag == kTagLeaf) {
      proof.leaf = StateProof::Leaf{node->a, node->b};
      break;
    }
    HITO_ASSERT(depth < kTreeDepth);
    const bool right = Bit(key, depth);
    proof.siblings.push_back(right ? node->a : node->b);
    const Hash32& next = right ? node->b : node->a;
    if (next == kEmpty) break;
    HITO_ASSIGN_OR_RETURN(node, reader.Read(depth + 1, key));
    if (!node) {
      return DataLossError("state tree node " + HexEncode(TreeNodeKey(depth + 1, key)) +
                           " is missing");
    }
  }
  return proof;
}

Result<Hash32> StateTree::Update(const TreeBatch& batch, ChangeSet* changes) const {
  const std::vector<KeyUpdate> ups(batch.begin(), batch.end());
  return UpdateSorted(ups, changes);
}

Result<Hash32> StateTree::UpdateSorted(std::span<const SortedUpdate> ups,
                                       ChangeSet* changes) const {
  HITO_ASSERT(changes != nullptr);
  for (size_t i = 1; i < ups.size(); ++i) HITO_ASSERT(KeyLess(ups[i - 1].first, ups[i].first));
  if (ups.empty()) {
    HITO_ASSIGN_OR_RETURN(Hash32 unchanged, Root());
    if (cache_ != nullptr) {  // an empty update stages nothing under the unchanged root
      cache_->impl_->staged.Clear();
      cache_->impl_->staged_root = unchanged;
      cache_->impl_->has_staged = true;
    }
    return unchanged;
  }
  Updater updater(kv_, changes, cache_ != nullptr ? cache_->impl_.get() : nullptr);
  HITO_ASSIGN_OR_RETURN(std::optional<Node> root, updater.Read(0, kEmpty));
  HITO_ASSIGN_OR_RETURN(Sub result, updater.Apply(0, kEmpty, root, ups));
  updater.Flush();
  const Hash32 new_root = result.kind == Sub::kEmptySub ? kEmptyTreeRoot : result.hash;
  updater.Stage(new_root);
  return new_root;
}

bool VerifyProof(const Hash32& root, const Hash32& key, const std::optional<Hash32>& value_hash,
                 const StateProof& proof) {
  const size_t depth = proof.siblings.size();
  if (depth > kTreeDepth) return false;
  Hash32 h = kEmpty;
  if (proof.leaf) {
    if (!SamePrefix(proof.leaf->key, key, static_cast<unsigned>(depth))) return false;
    if (proof.leaf->key == key) {
      if (!value_hash || *value_hash != proof.leaf->value_hash) return false;
    } else if (value_hash) {
      return false;  // the path ends at another key's leaf: `key` is absent
    }
    h = StateLeafHash(proof.leaf->key, proof.leaf->value_hash);
  } else if (value_hash) {
    return false;  // the path ends in an empty subtree: `key` is absent
  }
  for (size_t i = depth; i-- > 0;) {
    h = Bit(key, static_cast<unsigned>(i)) ? StateNodeHash(proof.siblings[i], h)
                                           : StateNodeHash(h, proof.siblings[i]);
  }
  return h == root;
}

Bytes EncodeStateProof(const StateProof& proof) {
  HITO_ASSERT(proof.siblings.size() <= kTreeDepth);
  Bytes out;
  out.push_back(proof.leaf ? 1 : 0);
  if (proof.leaf) {
    out.insert(out.end(), proof.leaf->key.begin(), proof.leaf->key.end());
    out.insert(out.end(), proof.leaf->value_hash.begin(), proof.leaf->value_hash.end());
  }
  const size_t depth = proof.siblings.size();
  out.push_back(static_cast<uint8_t>(depth >> 8));
  out.push_back(static_cast<uint8_t>(depth & 0xFF));
  Bytes bitmap((depth + 7) / 8, 0);
  for (size_t i = 0; i < depth; ++i) {
    if (proof.siblings[i] != kEmpty) {
      bitmap[i / 8] = static_cast<uint8_t>(bitmap[i / 8] | (0x80u >> (i % 8)));
    }
  }
  out.insert(out.end(), bitmap.begin(), bitmap.end());
  for (const Hash32& s : proof.siblings) {
    if (s != kEmpty) out.insert(out.end(), s.begin(), s.end());
  }
  return out;
}

Result<StateProof> DecodeStateProof(ByteView bytes) {
  size_t pos = 0;
  auto take = [&](size_t n, std::string_view what) -> Result<ByteView> {
    if (bytes.size() - pos < n) {
      return InvalidArgumentError("state proof: " + std::string(what) + ": truncated");
    }
    ByteView v = bytes.subspan(pos, n);
    pos += n;
    return v;
  };
  auto to_hash = [](ByteView v) {
    Hash32 h;
    std::copy(v.begin(), v.end(), h.begin());
    return h;
  };
  StateProof proof;
  HITO_ASSIGN_OR_RETURN(ByteView flag, take(1, "has_leaf"));
  if (flag[0] > 1) return InvalidArgumentError("state proof: has_leaf: not 0 or 1");
  if (flag[0] == 1) {
    HITO_ASSIGN_OR_RETURN(ByteView k, take(32, "leaf key"));
    HITO_ASSIGN_OR_RETURN(ByteView v, take(32, "leaf value hash"));
    proof.leaf = StateProof::Leaf{to_hash(k), to_hash(v)};
  }
  HITO_ASSIGN_OR_RETURN(ByteView d, take(2, "depth"));
  const size_t depth = (size_t{d[0]} << 8) | d[1];
  if (depth > kTreeDepth) return InvalidArgumentError("state proof: depth: over 256");
  HITO_ASSIGN_OR_RETURN(ByteView bitmap, take((depth + 7) / 8, "bitmap"));
  if (depth % 8 != 0 && (bitmap.back() & (0xFFu >> (depth % 8))) != 0) {
    return InvalidArgumentError("state proof: bitmap: non-zero padding bits");
  }
  proof.siblings.assign(depth, kEmpty);
  for (size_t i = 0; i < depth; ++i) {
    if ((bitmap[i / 8] & (0x80u >> (i % 8))) == 0) continue;
    HITO_ASSIGN_OR_RETURN(ByteView s, take(32, "sibling"));
    proof.siblings[i] = to_hash(s);
    if (proof.siblings[i] == kEmpty) {
      return InvalidArgumentError("state proof: sibling: empty hash marked non-empty");
    }
  }
  if (pos != bytes.size()) return InvalidArgumentError("state proof: trailing bytes");
  return proof;
}

}  // namespace hito::consensus::ledger
