// The authenticated state tree: a sparse Merkle tree over 256-bit keys.
//
// It maps 32-byte keys to 32-byte value hashes and commits to the whole map with one
// 32-byte root. The tree is the canonical compact form of the 256-level binary sparse
// Merkle tree (as in Diem's SparseMerkleTree / Jellyfish, binary radix): an empty subtree
// hashes to 32 zero bytes, a subtree holding exactly one key is a leaf placed at the
// subtree's root ("shortcut leaf"), and a subtree holding two or more keys is an internal
// node over its two halves. The shape therefore depends only on the set of keys, never on
// the order in which they were written, and the root is a function of the map alone.
//
//   leaf hash     = BLAKE2b-256 "hito/v1/state-leaf" (key || value_hash)
//   internal hash = BLAKE2b-256 "hito/v1/state-node" (left_hash || right_hash)
//
// Nodes are stored in pages: a page holds the nodes of 4 consecutive depths [d, d+4) under
// one d-bit path prefix (d a multiple of 4, up to 15 nodes), as one key-value record
// under "t/" + d:u16 + the prefix's bytes (docs/protocol/state.md). Pages cut the store
// reads and writes per changed key by about four; the hashing is the binary tree's.
// Records are keyed by position, not by version, so an update overwrites the pages on its
// paths and deletes pages that empty: the store holds exactly the current tree, and old
// versions are not kept.
//
// Cost: a batch of k changed keys over n stored keys reads and hashes O(k log n) nodes,
// and a node shared by several changed paths is read and hashed once per batch.
//
// Not thread-safe; a StateTree only reads through the KvReader it was given.
#ifndef HITO_CONSENSUS_LEDGER_STATE_TREE_H_
#define HITO_CONSENSUS_LEDGER_STATE_TREE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "consensus/ledger/kv.h"

namespace hito::consensus::ledger {

// Prefix of every tree node in the key-value store.
inline constexpr std::string_view kTreeNodePrefix = "t/";
inline constexpr unsigned kTreeDepth = 256;

// Writes to apply in one batch: key -> new value hash, or nullopt to delete the key.
// A std::map so that a batch has one order whatever order it was built in.
using TreeBatch = std::map<Hash32, std::optional<Hash32>>;

// A proof that `key` maps to a value hash, or that it is absent, under a given root.
// The path follows the key's bits from the root; `siblings[i]` is the hash of the sibling
// subtree at depth i + 1 (32 zero bytes for an empty sibling). The path ends at
// depth siblings.size() with either a leaf (`leaf`) or an empty subtree (`leaf` unset).
// For a presence proof the leaf holds the key; for an absence proof the path ends in an
// empty subtree or in a leaf of another key that shares the path's prefix.
struct StateProof {
  struct Leaf {
    Hash32 key{};
    Hash32 value_hash{};
    friend bool operator==(const Leaf&, const Leaf&) = default;
  };
  std::vector<Hash32> siblings;
  std::optional<Leaf> leaf;
  friend bool operator==(const StateProof&, const StateProof&) = default;
};
using Proof = StateProof;

// Canonical bytes of a proof:
//   has_leaf:u8(0|1) [leaf_key:32 leaf_value_hash:32] depth:u16(<=256)
//   bitmap:ceil(depth/8) bytes (bit i, most significant first, set iff siblings[i] is
//   non-empty; padding bits zero) then each non-empty sibling:32, in path order.
Bytes EncodeStateProof(const StateProof& proof);
// Strict: rejects truncation, trailing bytes, depth > 256, non-zero padding bits, a
// flag other than 0 or 1, and an all-zero sibling marked non-empty.
Result<StateProof> DecodeStateProof(ByteView bytes);

// True iff `proof` shows that, in the tree with root `root`, `key` maps to `value_hash`
// (or, when `value_hash` is nullopt, that `key` is absent). Needs no storage.
[[nodiscard]] bool VerifyProof(const Hash32& root, const Hash32& key,
                               const std::optional<Hash32>& value_hash, const StateProof& proof);

// Hashes of the tree, exposed so that tests and light clients can recompute roots.
Hash32 StateLeafHash(const Hash32& key, const Hash32& value_hash);
Hash32 StateNodeHash(const Hash32& left, const Hash32& right);
// The root of an empty tree: 32 zero bytes.
inline constexpr Hash32 kEmptyTreeRoot{};

// The key-value key of the page that starts at `depth` (a multiple of 4) on the path of
// `path_key` (bits of path_key at or beyond `depth` are ignored).
Bytes TreeNodeKey(unsigned depth, const Hash32& path_key);
// The number of tree nodes in a stored page record (for tests and diagnostics).
Result<size_t> TreePageNodeCount(ByteView record);

// Decoded pages of one committed tree, kept across Update calls by an owner that learns
// when the writes of an update were committed (the Ledger). Additive; optional.
//
// It holds two sets: committed pages, each exactly as stored in the tree the owner says
// the KvReader holds, and the pages written by the last cached Update (staged under the
// root that update returned). The owner must Clear() it whenever the stored tree may
// differ from the one it was filled from (the Ledger keys it on the committed root and
// height). It only saves reads and decoding: the root, the writes and the errors of an
// Update are the same with or without it. Bounded: past `max_pages` committed pages it
// evicts a run of pages in key order from a rotating cursor (deterministic, no clock).
class TreePageCache {
 public:
  static constexpr size_t kDefaultMaxPages = size_t{1} << 16;  // about 64 MiB
  explicit TreePageCache(size_t max_pages = kDefaultMaxPages);
  ~TreePageCache();
  TreePageCache(const TreePageCache&) = delete;
  TreePageCache& operator=(const TreePageCache&) = delete;

  // Drops every committed and staged page.
  void Clear();
  // After the writes of the last cached Update that returned `root` were committed:
  // makes its pages committed. Returns false, and drops everything, when the last
  // staged update did not return `root` (the cache no longer knows the stored tree).
  bool Promote(const Hash32& root);
  // Number of committed pages held.
  size_t size() const;

  struct Impl;  // opaque; defined in state_tree.cc

 private:
  friend class StateTree;
  std::unique_ptr<Impl> impl_;
};

class StateTree {
 public:
  // `kv` holds the committed nodes; it must outlive this object.
  explicit StateTree(const KvReader* kv) : kv_(kv) {}
  // Additive: reads committed pages through `cache` (which must describe the tree `kv`
  // holds) and fills it; Update stages its written pages in it. Both must outlive this.
  StateTree(const KvReader* kv, TreePageCache* cache) : kv_(kv), cache_(cache) {}

  // Root of the stored tree (kEmptyTreeRoot when empty).
  Result<Hash32> Root() const;
  // The value hash stored for `key`, or nullopt when absent.
  Result<std::optional<Hash32>> Get(const Hash32& key) const;
  // A proof of the key's value or absence against Root().
  Result<StateProof> Prove(const Hash32& key) const;

  // Applies `batch` to the stored tree and returns the new root. The node writes and
  // deletions go into `*changes` (existing entries for other keys are left alone); the
  // stored tree is unchanged until the caller commits them. Deleting an absent key and
  // writing an unchanged value are allowed. Non-OK only on a storage error or a corrupt
  // node.
  Result<Hash32> Update(const TreeBatch& batch, ChangeSet* changes) const;
  // Additive: Update over a batch given as a span sorted by key with no key twice
  // (checked: HITO_ASSERT), so callers can build it in a vector instead of a map.
  using SortedUpdate = std::pair<Hash32, std::optional<Hash32>>;
  Result<Hash32> UpdateSorted(std::span<const SortedUpdate> updates, ChangeSet* changes) const;

 private:
  const KvReader* kv_;
  TreePageCache* cache_ = nullptr;
};

}  // namespace hito::consensus::ledger

#endif  // HITO_CONSENSUS_LEDGER_STATE_TREE_H_
