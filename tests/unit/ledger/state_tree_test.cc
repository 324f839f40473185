// State tree: incremental batch updates against a from-scratch reference root over a
// std::map (seeded random inserts, updates and deletes), history independence of the
// stored nodes, deep shared prefixes, O(k log n) node reads (counted through the KV),
// presence and absence proofs, and tampering with values, keys, roots and proof bytes.
#include "consensus/ledger/state_tree.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <vector>

#include "base/hash.h"
#include "consensus/ledger/kv.h"

namespace hito::consensus::ledger {
namespace {

using Map = std::map<Hash32, Hash32>;

bool KeyBit(const Hash32& k, unsigned i) { return ((k[i / 8] >> (7 - i % 8)) & 1) != 0; }

// The reference: the canonical compact sparse Merkle root of a map, computed from scratch
// by recursion over the sorted entries, independent of the stored-node code.
Hash32 RefRoot(const std::vector<std::pair<Hash32, Hash32>>& entries, unsigned depth) {
  if (entries.empty()) return Hash32{};
  if (entries.size() == 1) return StateLeafHash(entries[0].first, entries[0].second);
  std::vector<std::pair<Hash32, Hash32>> left, right;
  for (const auto& e : entries) (KeyBit(e.first, depth) ? right : left).push_back(e);
  return StateNodeHash(RefRoot(left, depth + 1), RefRoot(right, depth + 1));
}
Hash32 RefRoot(const Map& m) { return RefRoot({m.begin(), m.end()}, 0); }

// Number of nodes (leaves + internal) of the canonical tree of a map.
size_t RefNodeCount(const std::vector<Hash32>& keys, unsigned depth) {
  if (keys.size() <= 1) return keys.size();
  std::vector<Hash32> left, right;
  for (const auto& k : keys) (KeyBit(k, depth) ? right : left).push_back(k);
  return 1 + RefNodeCount(left, depth + 1) + RefNodeCount(right, depth + 1);
}
size_t RefNodeCount(const Map& m) {
  std::vector<Hash32> keys;
  for (const auto& [k, v] : m) keys.push_back(k);
  return RefNodeCount(keys, 0);
}

// Nodes held in the store's tree pages.
size_t StoredNodes(const MemoryKv& kv) {
  size_t n = 0;
  for (const auto& [k, v] : kv.entries()) {
    if (k.size() >= 2 && k[0] == 't' && k[1] == '/') {
      auto count = TreePageNodeCount(v);
      EXPECT_TRUE(count.ok());
      EXPECT_GT(*count, 0u);  // an emptied page is deleted
      n += count.ok() ? *count : 0;
    }
  }
  return n;
}

Hash32 RandomHash(std::mt19937_64& rng) {
  Hash32 h;
  for (auto& b : h) b = static_cast<uint8_t>(rng());
  return h;
}

Hash32 Commit(MemoryKv* kv, const TreeBatch& batch) {
  ChangeSet changes;
  auto root = StateTree(kv).Update(batch, &changes);
  EXPECT_TRUE(root.ok()) << root.status().ToString();
  kv->Apply(changes);
  auto stored = StateTree(kv).Root();
  EXPECT_TRUE(stored.ok());
  EXPECT_EQ(*stored, *root);
  return *root;
}

// A KvReader that counts reads.
class CountingKv : public KvReader {
 public:
  explicit CountingKv(const KvReader* inner) : inner_(inner) {}
  Status Get(ByteView key, std::optional<Bytes>* value) const override {
    ++reads;
    return inner_->Get(key, value);
  }
  mutable size_t reads = 0;

 private:
  const KvReader* inner_;
};

TEST(StateTree, EmptyTreeHasZeroRootAndProvesAbsence) {
  MemoryKv kv;
  StateTree tree(&kv);
  ASSERT_EQ(*tree.Root(), kEmptyTreeRoot);
  Hash32 key{};
  key[0] = 7;
  auto proof = tree.Prove(key);
  ASSERT_TRUE(proof.ok());
  EXPECT_TRUE(proof->siblings.empty());
  EXPECT_FALSE(proof->leaf.has_value());
  EXPECT_TRUE(VerifyProof(kEmptyTreeRoot, key, std::nullopt, *proof));
  Hash32 value{};
  EXPECT_FALSE(VerifyProof(kEmptyTreeRoot, key, value, *proof));
}

TEST(StateTree, RandomBatchesMatchReferenceRootAndStoreExactlyTheLiveNodes) {
  std::mt19937_64 rng(20261125);
  MemoryKv kv;
  Map model;
  std::vector<Hash32> known;
  for (int round = 0; round < 60; ++round) {
    TreeBatch batch;
    const int ops = 1 + static_cast<int>(rng() % 80);
    for (int i = 0; i < ops; ++i) {
      const uint64_t r = rng() % 10;
      if (r < 5 || known.empty()) {  // insert a new key
        Hash32 k = RandomHash(rng);
        known.push_back(k);
        batch[k] = RandomHash(rng);
      } else if (r < 7) {  // update an existing (or deleted) key
        batch[known[rng() % known.size()]] = RandomHash(rng);
      } else if (r < 9) {  // delete a known key (maybe already absent)
        batch[known[rng() % known.size()]] = std::nullopt;
      } else {  // delete a key that was never present
        batch[RandomHash(rng)] = std::nullopt;
      }
    }
    for (const auto& [k, v] : batch) {
      if (v) {
        model[k] = *v;
      } else {
        model.erase(k);
      }
    }
    const Hash32 root = Commit(&kv, batch);
    ASSERT_EQ(root, RefRoot(model)) << "round " << round;
    ASSERT_EQ(StoredNodes(kv), RefNodeCount(model)) << "round " << round;
  }
  // Delete everything: the tree and the store empty out.
  TreeBatch clear;
  for (const auto& [k, v] : model) clear[k] = std::nullopt;
  EXPECT_EQ(Commit(&kv, clear), kEmptyTreeRoot);
  EXPECT_EQ(StoredNodes(kv), 0u);
}

TEST(StateTree, DifferentBatchingsGiveTheSameRootAndTheSameStoredNodes) {
  std::mt19937_64 rng(7);
  Map final_map;
  std::vector<std::pair<Hash32, Hash32>> writes;
  for (int i = 0; i < 300; ++i) {
    Hash32 k = RandomHash(rng), v = RandomHash(rng);
    writes.push_back({k, v});
    final_map[k] = v;
  }
  // One batch.
  MemoryKv one;
  TreeBatch all(final_map.begin(), final_map.end());
  Commit(&one, all);
  // One key at a time, in reverse order, with detours (insert a throwaway key, delete it).
  MemoryKv many;
  for (auto it = writes.rbegin(); it != writes.rend(); ++it) {
    Hash32 junk = RandomHash(rng);
    Commit(&many, TreeBatch{{junk, RandomHash(rng)}, {it->first, RandomHash(rng)}});
    Commit(&many, TreeBatch{{junk, std::nullopt}, {it->first, it->second}});
  }
  EXPECT_EQ(*StateTree(&one).Root(), RefRoot(final_map));
  EXPECT_EQ(*StateTree(&many).Root(), RefRoot(final_map));
  EXPECT_EQ(one.entries(), many.entries());
}

TEST(StateTree, KeysSharingLongPrefixesAndDepth256) {
  MemoryKv kv;
  Map model;
  Hash32 a{};
  a.fill(0xAB);
  Hash32 b = a;
  b[31] ^= 0x01;  // differs only in the last bit: leaves at depth 256
  Hash32 c = a;
  c[16] ^= 0x80;  // differs at bit 128
  for (const Hash32& k : {a, b, c}) model[k] = DomainHash("hito/v1/test", k);
  Commit(&kv, TreeBatch(model.begin(), model.end()));
  EXPECT_EQ(*StateTree(&kv).Root(), RefRoot(model));
  EXPECT_EQ(StoredNodes(kv), RefNodeCount(model));
  auto proof = StateTree(&kv).Prove(b);
  ASSERT_TRUE(proof.ok());
  EXPECT_EQ(proof->siblings.size(), 256u);
  EXPECT_TRUE(VerifyProof(RefRoot(model), b, model[b], *proof));
  auto decoded = DecodeStateProof(EncodeStateProof(*proof));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, *proof);
  // Deleting b moves a's leaf all the way back up to depth 129.
  model.erase(b);
  Commit(&kv, TreeBatch{{b, std::nullopt}});
  EXPECT_EQ(*StateTree(&kv).Root(), RefRoot(model));
  // Internal nodes at depths 0..128 (the shared 128-bit prefix), leaves at depth 129.
  EXPECT_EQ(StoredNodes(kv), 131u);
  EXPECT_EQ(StoredNodes(kv), RefNodeCount(model));
  model.erase(c);
  Commit(&kv, TreeBatch{{c, std::nullopt}});
  EXPECT_EQ(*StateTree(&kv).Root(), StateLeafHash(a, model[a]));
  EXPECT_EQ(StoredNodes(kv), 1u);
}

TEST(StateTree, UpdateReadsLogarithmicallyManyNodes) {
  std::mt19937_64 rng(99);
  MemoryKv kv;
  TreeBatch initial;
  const size_t n = 1u << 14;
  for (size_t i = 0; i < n; ++i) initial[RandomHash(rng)] = RandomHash(rng);
  Commit(&kv, initial);
  std::vector<Hash32> keys;
  for (const auto& [k, v] : initial) keys.push_back(k);

  // One key: about log2(n) = 14 reads, with some slack for unlucky shared prefixes.
  CountingKv counting(&kv);
  ChangeSet changes;
  ASSERT_TRUE(StateTree(&counting).Update({{keys[5], RandomHash(rng)}}, &changes).ok());
  EXPECT_LE(counting.reads, 40u);
  EXPECT_LE(changes.size(), 40u);

  // 64 keys in one batch: shared upper nodes are read once, so the batch reads fewer
  // nodes than 64 separate updates would.
  TreeBatch batch;
  for (int i = 0; i < 64; ++i) batch[keys[rng() % keys.size()]] = RandomHash(rng);
  size_t separate = 0;
  for (const auto& [k, v] : batch) {
    counting.reads = 0;
    changes.clear();
    ASSERT_TRUE(StateTree(&counting).Update({{k, v}}, &changes).ok());
    separate += counting.reads;
  }
  counting.reads = 0;
  changes.clear();
  ASSERT_TRUE(StateTree(&counting).Update(batch, &changes).ok());
  EXPECT_LT(counting.reads + 64, separate);
  EXPECT_LE(counting.reads, batch.size() * 20);
}

TEST(StateTree, ProofsOfPresenceAndAbsenceVerifyAndResistTampering) {
  std::mt19937_64 rng(12345);
  MemoryKv kv;
  Map model;
  for (int i = 0; i < 200; ++i) model[RandomHash(rng)] = RandomHash(rng);
  const Hash32 root = Commit(&kv, TreeBatch(model.begin(), model.end()));
  StateTree tree(&kv);

  std::vector<Hash32> queries;
  for (int i = 0; i < 10; ++i) queries.push_back(std::next(model.begin(), i * 17)->first);
  for (int i = 0; i < 10; ++i) queries.push_back(RandomHash(rng));  // absent
  bool saw_absent_leaf = false, saw_absent_empty = false;
  for (const Hash32& key : queries) {
    auto proof = tree.Prove(key);
    ASSERT_TRUE(proof.ok());
    const auto it = model.find(key);
    const std::optional<Hash32> value =
        it == model.end() ? std::nullopt : std::optional<Hash32>(it->second);
    auto got = tree.Get(key);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, value);
    if (!value) (proof->leaf ? saw_absent_leaf : saw_absent_empty) = true;
    ASSERT_TRUE(VerifyProof(root, key, value, *proof));

    // Wrong value, or a value for an absent key, or absence for a present key.
    Hash32 other = value ? *value : RandomHash(rng);
    other[0] ^= 1;
    EXPECT_FALSE(VerifyProof(root, key, other, *proof));
    if (value) EXPECT_FALSE(VerifyProof(root, key, std::nullopt, *proof));
    // Wrong key (a neighbour and a random one).
    Hash32 k2 = key;
    k2[31] ^= 1;
    if (value) {
      EXPECT_FALSE(VerifyProof(root, k2, value, *proof));
      EXPECT_FALSE(VerifyProof(root, RandomHash(rng), value, *proof));
    }
    // Wrong root.
    Hash32 r2 = root;
    r2[3] ^= 0x10;
    EXPECT_FALSE(VerifyProof(r2, key, value, *proof));
    // Every byte of the encoding, flipped: the proof no longer decodes or no longer
    // verifies.
    const Bytes enc = EncodeStateProof(*proof);
    auto round_trip = DecodeStateProof(enc);
    ASSERT_TRUE(round_trip.ok());
    ASSERT_EQ(*round_trip, *proof);
    for (size_t i = 0; i < enc.size(); ++i) {
      for (uint8_t flip : {uint8_t{0x01}, uint8_t{0x80}}) {
        Bytes bad = enc;
        bad[i] ^= flip;
        auto d = DecodeStateProof(bad);
        EXPECT_FALSE(d.ok() && VerifyProof(root, key, value, *d)) << "byte " << i;
      }
    }
    // Truncation and trailing bytes are refused.
    EXPECT_FALSE(DecodeStateProof(ByteView(enc.data(), enc.size() - 1)).ok());
    Bytes longer = enc;
    longer.push_back(0);
    EXPECT_FALSE(DecodeStateProof(longer).ok());
  }
  EXPECT_TRUE(saw_absent_leaf || saw_absent_empty);
}

TEST(StateTree, AbsenceProofCannotHideAPresentKey) {
  // A presence proof's path, cut short or re-used as an absence proof, fails.
  std::mt19937_64 rng(5);
  MemoryKv kv;
  Map model;
  for (int i = 0; i < 50; ++i) model[RandomHash(rng)] = RandomHash(rng);
  const Hash32 root = Commit(&kv, TreeBatch(model.begin(), model.end()));
  const Hash32 key = model.begin()->first;
  auto proof = StateTree(&kv).Prove(key);
  ASSERT_TRUE(proof.ok());
  StateProof no_leaf = *proof;
  no_leaf.leaf.reset();
  EXPECT_FALSE(VerifyProof(root, key, std::nullopt, no_leaf));
  StateProof shorter = *proof;
  shorter.siblings.pop_back();
  EXPECT_FALSE(VerifyProof(root, key, model.begin()->second, shorter));
  // A different stored key's leaf at a position off this key's path is refused.
  StateProof other_leaf = *proof;
  other_leaf.leaf->key = std::next(model.begin(), 25)->first;
  other_leaf.leaf->value_hash = std::next(model.begin(), 25)->second;
  EXPECT_FALSE(VerifyProof(root, key, std::nullopt, other_leaf));
}

TEST(StateTree, MalformedProofBytesAreRefused) {
  EXPECT_FALSE(DecodeStateProof(Bytes{}).ok());
  EXPECT_FALSE(DecodeStateProof(Bytes{2, 0, 0}).ok());        // bad flag
  EXPECT_FALSE(DecodeStateProof(Bytes{0, 1, 1}).ok());        // depth 257
  EXPECT_FALSE(DecodeStateProof(Bytes{0, 0, 1, 0x40}).ok());  // padding bit set
  EXPECT_TRUE(DecodeStateProof(Bytes{0, 0, 1, 0x00}).ok());   // one empty sibling
  Bytes zero_sibling = {0, 0, 1, 0x80};
  zero_sibling.resize(zero_sibling.size() + 32, 0);
  EXPECT_FALSE(DecodeStateProof(zero_sibling).ok());  // non-empty flag on a zero hash
}

TEST(StateTree, CorruptOrMissingNodesAreDataLoss) {
  std::mt19937_64 rng(3);
  MemoryKv kv;
  TreeBatch batch;
  for (int i = 0; i < 20; ++i) batch[RandomHash(rng)] = RandomHash(rng);
  Commit(&kv, batch);
  // Corrupt the root page: a slot bitmap bit that does not exist, then a bad node tag.
  ChangeSet corrupt;
  Bytes root_key = TreeNodeKey(0, Hash32{});
  Bytes root_node = kv.entries().at(root_key);
  Bytes bad_tag = root_node;
  bad_tag[2] = 9;
  MemoryKv bad_tag_kv = kv;
  bad_tag_kv.Apply(ChangeSet{{root_key, bad_tag}});
  EXPECT_EQ(StateTree(&bad_tag_kv).Root().status().code(), StatusCode::kDataLoss);
  root_node[0] |= 0x80;
  corrupt.Put(root_key, root_node);
  MemoryKv bad = kv;
  bad.Apply(corrupt);
  EXPECT_EQ(StateTree(&bad).Root().status().code(), StatusCode::kDataLoss);
  // Remove a node below the root: proofs and updates through it fail cleanly.
  MemoryKv missing = kv;
  ChangeSet drop;
  for (const auto& [k, v] : kv.entries()) {
    if (k.size() > 4 && k[0] == 't' && k[3] == 4) {  // a page at depth 4
      drop.Delete(k);
      break;
    }
  }
  ASSERT_EQ(drop.size(), 1u);
  missing.Apply(drop);
  bool failed = false;
  for (const auto& [k, v] : batch) {
    ChangeSet changes;
    auto r = StateTree(&missing).Update({{k, std::nullopt}}, &changes);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
      failed = true;
    }
  }
  EXPECT_TRUE(failed);
}

TEST(StateTree, LeafStoredOffItsPathIsDataLoss) {
  // Two keys that differ in bit 0: page 0 holds the root (slot 0) and two leaves (slots 1
  // and 2). Moving the left leaf's key to the right half puts it off its path.
  Hash32 left{}, right{};
  right[0] = 0x80;
  MemoryKv kv;
  Commit(&kv, TreeBatch{{left, left}, {right, right}});
  const Bytes page_key = TreeNodeKey(0, Hash32{});
  Bytes page = kv.entries().at(page_key);
  ASSERT_EQ(page.size(), 2u + 3u * 65u);
  ASSERT_EQ(page[2 + 65], 2);  // slot 1 is a leaf
  page[2 + 65 + 1] ^= 0x80;    // first bit of its key
  kv.Apply(ChangeSet{{page_key, page}});
  EXPECT_EQ(StateTree(&kv).Root().status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(StateTree(&kv).Prove(left).status().code(), StatusCode::kDataLoss);
}

TEST(StateTree, RandomProofsNeverVerify) {
  // Random bytes rarely decode, so also build random well-formed proofs: none verifies,
  // and each re-encodes to the bytes it came from.
  std::mt19937_64 rng(8);
  MemoryKv kv;
  TreeBatch batch;
  for (int i = 0; i < 64; ++i) batch[RandomHash(rng)] = RandomHash(rng);
  const Hash32 root = Commit(&kv, batch);
  for (int i = 0; i < 2000; ++i) {
    const Hash32 key = std::next(batch.begin(), static_cast<long>(rng() % 64))->first;
    StateProof p;
    p.siblings.resize(rng() % 12);
    for (auto& sib : p.siblings) sib = rng() % 3 == 0 ? Hash32{} : RandomHash(rng);
    if (rng() % 2 == 0)
      p.leaf = StateProof::Leaf{rng() % 2 == 0 ? key : RandomHash(rng), RandomHash(rng)};
    const Bytes enc = EncodeStateProof(p);
    auto back = DecodeStateProof(enc);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, p);
    EXPECT_FALSE(VerifyProof(root, key, batch[key], p));
    EXPECT_FALSE(VerifyProof(root, key, std::nullopt, p));
    Bytes junk(rng() % 200);
    for (auto& byte : junk) byte = static_cast<uint8_t>(rng());
    auto j = DecodeStateProof(junk);
    if (j.ok()) {
      EXPECT_EQ(EncodeStateProof(*j), junk);
      EXPECT_FALSE(VerifyProof(root, key, batch[key], *j));
    }
  }
}

TEST(StateTree, NodeKeysMaskBitsBeyondDepth) {
  Hash32 a{}, b{};
  a.fill(0xFF);
  b.fill(0xFF);
  b[1] = 0x80;
  EXPECT_EQ(TreeNodeKey(9, a), TreeNodeKey(9, b));
  EXPECT_NE(TreeNodeKey(10, a), TreeNodeKey(10, b));
  EXPECT_EQ(TreeNodeKey(0, a).size(), 4u);
  EXPECT_EQ(TreeNodeKey(256, a).size(), 36u);
}

}  // namespace
}  // namespace hito::consensus::ledger

namespace hito::consensus::ledger {
namespace {

// The tree's node and leaf hashes are the protocol's domain-separated BLAKE2b-256
// (base/hash.h) of the two 32-byte halves, whatever shortcut computes them.
TEST(StateTreeHashes, AreDomainHashesOfTheConcatenation) {
  for (int i = 0; i < 20; ++i) {
    const Hash32 a = DomainHash("hito/v1/test-a", AsBytes(std::to_string(i)));
    const Hash32 b = DomainHash("hito/v1/test-b", AsBytes(std::to_string(i)));
    Bytes both(a.begin(), a.end());
    both.insert(both.end(), b.begin(), b.end());
    EXPECT_EQ(StateNodeHash(a, b), DomainHash("hito/v1/state-node", both));
    EXPECT_EQ(StateLeafHash(a, b), DomainHash("hito/v1/state-leaf", both));
    EXPECT_NE(StateNodeHash(a, b), StateNodeHash(b, a));
  }
}

}  // namespace
}  // namespace hito::consensus::ledger
