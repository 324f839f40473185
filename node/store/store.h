// The node's storage: one LevelDB database with three key spaces.
//
//   b/...  blocks: canonical block bytes and seen commit by height, block hash -> height,
//          the tx index (tx hash -> height, index, result, tx bytes), and the encoded
//          events of blocks that have any (node/chain/block_events.h)
//   s/...  state: the ledger's key-value state, exactly the keys of its ChangeSets
//   m/...  metadata: last stored block height (written with the block), last applied
//          state height (written with the state changes), genesis hash
//
// One database (rather than two) so that each synced write batch is atomic across what
// it touches and one fsync covers it. Durability order (docs/operator.md): a decided
// block, its commit and its tx index go in one synced batch (WriteBlock); then its state
// changes and the new state height in a second synced batch (WriteState). On open, a
// block whose state is missing shows as state_height == block_height - 1 and is
// re-applied by the caller.
//
// Thread-safety: all methods may be called concurrently (LevelDB is thread-safe); the
// node has one writer (the block committer).
#ifndef HITO_NODE_STORE_STORE_H_
#define HITO_NODE_STORE_STORE_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "consensus/ledger/kv.h"

namespace leveldb {
class Cache;
class DB;
class Env;
class FilterPolicy;
class Snapshot;
}  // namespace leveldb

namespace hito::node::store {

// Where and how a committed transaction ended up.
struct TxLocation {
  uint64_t height = 0;
  uint32_t index = 0;
  uint16_t code = 0;    // consensus::ledger::TxCode
  std::string message;  // the ledger's result message (empty for OK)
  Bytes tx_bytes;
  friend bool operator==(const TxLocation&, const TxLocation&) = default;
};

Bytes EncodeTxLocation(const TxLocation& loc);
Result<TxLocation> DecodeTxLocation(ByteView bytes);

// Everything the block batch writes.
struct BlockRecord {
  uint64_t height = 0;
  Hash32 hash{};
  Bytes block_bytes;
  Bytes commit_bytes;  // the seen commit of this block
  std::vector<std::pair<Hash32, TxLocation>> txs;
  Bytes events;  // EncodeBlockEvents of its events; empty: none, nothing is written
};

// A read-only view of the state key space: at one moment (a LevelDB snapshot), or, with
// a null snapshot, always the latest committed state (Store::LiveState). Implements the
// ledger's KvReader. Safe to share between threads.
class StateView : public consensus::ledger::KvReader {
 public:
  StateView(leveldb::DB* db, const leveldb::Snapshot* snapshot);
  ~StateView() override;
  StateView(const StateView&) = delete;
  StateView& operator=(const StateView&) = delete;

  Status Get(ByteView key, std::optional<Bytes>* value) const override;
  // Up to `limit` state keys that start with `prefix` and sort after `start_after` (empty:
  // from the first), in key order. For queries over a record family (the registry's
  // attesters); not part of the ledger's KvReader, whose reads are by key only.
  Result<std::vector<Bytes>> ScanKeys(ByteView prefix, ByteView start_after, size_t limit) const;
  // The state height this view was taken at (for a live view: when it was created).
  uint64_t height() const { return height_; }

 private:
  leveldb::DB* db_;
  const leveldb::Snapshot* snapshot_;
  uint64_t height_ = 0;
};

class Store {
 public:
  // Opens (creating if missing) the database in `dir`. `env` is LevelDB's file system:
  // null for the real one; tests and the simulator pass an in-memory one
  // (leveldb::NewMemEnv), not owned, which must outlive the Store. Every write the Store
  // makes is a synced batch, so an in-memory env that never loses a written byte models
  // a crash exactly: the Store loses nothing it acknowledged.
  static Result<std::unique_ptr<Store>> Open(const std::filesystem::path& dir,
                                             leveldb::Env* env = nullptr);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Whether genesis state has been written.
  Result<std::optional<Hash32>> GenesisHash() const;
  // Writes the genesis state, the genesis hash and state height 0 in one synced batch.
  Status WriteGenesis(const Hash32& genesis_hash, const consensus::ledger::ChangeSet& state);

  // The block batch: block, commit, hash index, tx index, block height. Synced.
  Status WriteBlock(const BlockRecord& record);
  // The state batch: the block's ChangeSet and the state height. Synced.
  Status WriteState(uint64_t height, const consensus::ledger::ChangeSet& changes);

  // 0 when no block is stored.
  Result<uint64_t> BlockHeight() const;
  Result<uint64_t> StateHeight() const;

  Result<std::optional<Bytes>> GetBlock(uint64_t height) const;
  Result<std::optional<Bytes>> GetCommit(uint64_t height) const;
  Result<std::optional<uint64_t>> GetHeightByHash(const Hash32& hash) const;
  Result<std::optional<TxLocation>> GetTx(const Hash32& tx_hash) const;
  // The block's encoded events; nullopt when it has none.
  Result<std::optional<Bytes>> GetBlockEvents(uint64_t height) const;

  // A snapshot of the current state.
  std::shared_ptr<const StateView> State() const;
  // A view that always reads the latest state: for the block executor, the only writer,
  // whose long-lived Ledger keeps its execution cache across blocks.
  std::shared_ptr<const StateView> LiveState() const;

 private:
  Store() = default;
  Result<std::optional<Bytes>> Get(const std::string& key) const;
  Result<uint64_t> GetU64(const std::string& key) const;
  leveldb::DB* db_ = nullptr;
  leveldb::Cache* cache_ = nullptr;
  const leveldb::FilterPolicy* filter_ = nullptr;
};

}  // namespace hito::node::store

#endif  // HITO_NODE_STORE_STORE_H_
