#include "node/store/store.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/iterator.h>
#include <leveldb/write_batch.h>

namespace hito::node::store {
namespace {

constexpr std::string_view kBlockPrefix = "b/blk/";
constexpr std::string_view kCommitPrefix = "b/cmt/";
constexpr std::string_view kHashPrefix = "b/hash/";
constexpr std::string_view kTxPrefix = "b/tx/";
constexpr std::string_view kEventsPrefix = "b/evt/";
constexpr std::string_view kStatePrefix = "s/";
constexpr std::string_view kBlockHeightKey = "m/block_height";
constexpr std::string_view kStateHeightKey = "m/state_height";
constexpr std::string_view kGenesisKey = "m/genesis_hash";

void PutU64(std::string* s, uint64_t v) {
  for (int i = 7; i >= 0; --i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU32(Bytes* b, uint32_t v) {
  for (int i = 3; i >= 0; --i) b->push_back(static_cast<uint8_t>((v >> (8 * i)) & 0xff));
}
void PutU64(Bytes* b, uint64_t v) {
  for (int i = 7; i >= 0; --i) b->push_back(static_cast<uint8_t>((v >> (8 * i)) & 0xff));
}
uint64_t ReadBE(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

std::string HeightKey(std::string_view prefix, uint64_t height) {
  std::string k(prefix);
  PutU64(&k, height);
  return k;
}
std::string HashKey(std::string_view prefix, const Hash32& h) {
  std::string k(prefix);
  k.append(reinterpret_cast<const char*>(h.data()), h.size());
  return k;
}
std::string StateKey(ByteView key) {
  std::string k(kStatePrefix);
  k.append(AsChars(key));
  return k;
}
std::string U64Value(uint64_t v) {
  std::string s;
  PutU64(&s, v);
  return s;
}
leveldb::Slice ToSlice(ByteView b) { return {AsChars(b).data(), b.size()}; }

Status FromLevelDb(const leveldb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  if (s.IsCorruption()) return DataLossError(std::string(what) + ": " + s.ToString());
  return InternalError(std::string(what) + ": " + s.ToString());
}

Status SyncedWrite(leveldb::DB* db, leveldb::WriteBatch* batch, std::string_view what) {
  leveldb::WriteOptions options;
  options.sync = true;  // fsync before returning: the batch survives power loss
  return FromLevelDb(db->Write(options, batch), what);
}

}  // namespace

Bytes EncodeTxLocation(const TxLocation& loc) {
  Bytes b;
  b.reserve(8 + 4 + 2 + 4 + loc.message.size() + 4 + loc.tx_bytes.size());
  PutU64(&b, loc.height);
  PutU32(&b, loc.index);
  b.push_back(static_cast<uint8_t>(loc.code >> 8));
  b.push_back(static_cast<uint8_t>(loc.code & 0xff));
  PutU32(&b, static_cast<uint32_t>(loc.message.size()));
  b.insert(b.end(), loc.message.begin(), loc.message.end());
  PutU32(&b, static_cast<uint32_t>(loc.tx_bytes.size()));
  b.insert(b.end(), loc.tx_bytes.begin(), loc.tx_bytes.end());
  return b;
}

Result<TxLocation> DecodeTxLocation(ByteView b) {
  TxLocation loc;
  size_t pos = 0;
  auto need = [&](size_t n) { return b.size() - pos >= n; };
  if (!need(18)) return DataLossError("tx index entry: truncated");
  loc.height = ReadBE(b.data(), 8);
  loc.index = static_cast<uint32_t>(ReadBE(b.data() + 8, 4));
  loc.code = static_cast<uint16_t>(ReadBE(b.data() + 12, 2));
  size_t mlen = static_cast<size_t>(ReadBE(b.data() + 14, 4));
  pos = 18;
  if (!need(mlen)) return DataLossError("tx index entry: truncated message");
  loc.message.assign(AsChars(b.subspan(pos, mlen)));
  pos += mlen;
  if (!need(4)) return DataLossError("tx index entry: truncated");
  size_t tlen = static_cast<size_t>(ReadBE(b.data() + pos, 4));
  pos += 4;
  if (b.size() - pos != tlen) return DataLossError("tx index entry: bad tx length");
  loc.tx_bytes = ToBytes(b.subspan(pos, tlen));
  return loc;
}

StateView::StateView(leveldb::DB* db, const leveldb::Snapshot* snapshot)
    : db_(db), snapshot_(snapshot) {
  leveldb::ReadOptions ro;
  ro.snapshot = snapshot_;
  std::string v;
  if (db_->Get(ro, std::string(kStateHeightKey), &v).ok() && v.size() == 8) {
    height_ = ReadBE(reinterpret_cast<const uint8_t*>(v.data()), 8);
  }
}

StateView::~StateView() {
  if (snapshot_ != nullptr) db_->ReleaseSnapshot(snapshot_);
}

Status StateView::Get(ByteView key, std::optional<Bytes>* value) const {
  leveldb::ReadOptions ro;
  ro.snapshot = snapshot_;
  std::string v;
  leveldb::Status s = db_->Get(ro, StateKey(key), &v);
  if (s.IsNotFound()) {
    value->reset();
    return Status::Ok();
  }
  HITO_RETURN_IF_ERROR(FromLevelDb(s, "state read"));
  *value = ToBytes(AsBytes(v));
  return Status::Ok();
}

Result<std::vector<Bytes>> StateView::ScanKeys(ByteView prefix, ByteView start_after,
                                               size_t limit) const {
  leveldb::ReadOptions ro;
  ro.snapshot = snapshot_;
  ro.fill_cache = false;  // a scan must not push the hot records out of the block cache
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));
  const std::string full_prefix = StateKey(prefix);
  const std::string from = start_after.empty() ? full_prefix : StateKey(start_after);
  std::vector<Bytes> keys;
  for (it->Seek(from); it->Valid() && keys.size() < limit; it->Next()) {
    const std::string_view k(it->key().data(), it->key().size());
    if (!k.starts_with(full_prefix)) break;
    if (!start_after.empty() && k == from) continue;
    keys.push_back(ToBytes(AsBytes(k.substr(kStatePrefix.size()))));
  }
  HITO_RETURN_IF_ERROR(FromLevelDb(it->status(), "state scan"));
  return keys;
}

Result<std::unique_ptr<Store>> Store::Open(const std::filesystem::path& dir, leveldb::Env* env) {
  leveldb::Options options;
  if (env != nullptr) options.env = env;
  options.create_if_missing = true;
  options.paranoid_checks = true;
  options.write_buffer_size = 32 * 1024 * 1024;
  options.max_file_size = 16 * 1024 * 1024;
  options.block_cache = leveldb::NewLRUCache(64 * 1024 * 1024);
  options.filter_policy = leveldb::NewBloomFilterPolicy(10);
  std::unique_ptr<Store> store(new Store());
  store->cache_ = options.block_cache;
  store->filter_ = options.filter_policy;
  leveldb::Status s = leveldb::DB::Open(options, dir.string(), &store->db_);
  if (!s.ok()) return FromLevelDb(s, "open " + dir.string());
  return store;
}

Store::~Store() {
  delete db_;  // before the cache and filter policy it uses
  delete cache_;
  delete filter_;
}

Result<std::optional<Bytes>> Store::Get(const std::string& key) const {
  std::string v;
  leveldb::Status s = db_->Get(leveldb::ReadOptions(), key, &v);
  if (s.IsNotFound()) return std::optional<Bytes>();
  HITO_RETURN_IF_ERROR(FromLevelDb(s, "read"));
  return std::optional<Bytes>(ToBytes(AsBytes(v)));
}

Result<uint64_t> Store::GetU64(const std::string& key) const {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> v, Get(key));
  if (!v) return uint64_t{0};
  if (v->size() != 8) return DataLossError(key + ": not 8 bytes");
  return ReadBE(v->data(), 8);
}

Result<std::optional<Hash32>> Store::GenesisHash() const {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> v, Get(std::string(kGenesisKey)));
  if (!v) return std::optional<Hash32>();
  if (v->size() != 32) return DataLossError("genesis hash: not 32 bytes");
  Hash32 h;
  std::copy(v->begin(), v->end(), h.begin());
  return std::optional<Hash32>(h);
}

Status Store::WriteGenesis(const Hash32& genesis_hash, const consensus::ledger::ChangeSet& state) {
  leveldb::WriteBatch batch;
  for (const auto& [key, value] : state) {
    if (value) batch.Put(StateKey(key), ToSlice(*value));
  }
  batch.Put(std::string(kStateHeightKey), U64Value(0));
  batch.Put(std::string(kGenesisKey), ToSlice(genesis_hash));
  return SyncedWrite(db_, &batch, "write genesis");
}

Status Store::WriteBlock(const BlockRecord& r) {
  leveldb::WriteBatch batch;
  batch.Put(HeightKey(kBlockPrefix, r.height), ToSlice(r.block_bytes));
  batch.Put(HeightKey(kCommitPrefix, r.height), ToSlice(r.commit_bytes));
  batch.Put(HashKey(kHashPrefix, r.hash), U64Value(r.height));
  for (const auto& [hash, loc] : r.txs) {
    Bytes enc = EncodeTxLocation(loc);
    batch.Put(HashKey(kTxPrefix, hash), ToSlice(enc));
  }
  if (!r.events.empty()) batch.Put(HeightKey(kEventsPrefix, r.height), ToSlice(r.events));
  batch.Put(std::string(kBlockHeightKey), U64Value(r.height));
  return SyncedWrite(db_, &batch, "write block " + std::to_string(r.height));
}

Status Store::WriteState(uint64_t height, const consensus::ledger::ChangeSet& changes) {
  leveldb::WriteBatch batch;
  for (const auto& [key, value] : changes) {
    if (value) {
      batch.Put(StateKey(key), ToSlice(*value));
    } else {
      batch.Delete(StateKey(key));
    }
  }
  batch.Put(std::string(kStateHeightKey), U64Value(height));
  return SyncedWrite(db_, &batch, "write state " + std::to_string(height));
}

Result<uint64_t> Store::BlockHeight() const { return GetU64(std::string(kBlockHeightKey)); }
Result<uint64_t> Store::StateHeight() const { return GetU64(std::string(kStateHeightKey)); }

Result<std::optional<Bytes>> Store::GetBlock(uint64_t height) const {
  return Get(HeightKey(kBlockPrefix, height));
}
Result<std::optional<Bytes>> Store::GetCommit(uint64_t height) const {
  return Get(HeightKey(kCommitPrefix, height));
}

Result<std::optional<uint64_t>> Store::GetHeightByHash(const Hash32& hash) const {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> v, Get(HashKey(kHashPrefix, hash)));
  if (!v) return std::optional<uint64_t>();
  if (v->size() != 8) return DataLossError("block hash index: not 8 bytes");
  return std::optional<uint64_t>(ReadBE(v->data(), 8));
}

Result<std::optional<TxLocation>> Store::GetTx(const Hash32& tx_hash) const {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> v, Get(HashKey(kTxPrefix, tx_hash)));
  if (!v) return std::optional<TxLocation>();
  HITO_ASSIGN_OR_RETURN(TxLocation loc, DecodeTxLocation(*v));
  return std::optional<TxLocation>(std::move(loc));
}

std::shared_ptr<const StateView> Store::State() const {
  return std::make_shared<StateView>(db_, db_->GetSnapshot());
}

std::shared_ptr<const StateView> Store::LiveState() const {
  return std::make_shared<StateView>(db_, nullptr);
}

Result<std::optional<Bytes>> Store::GetBlockEvents(uint64_t height) const {
  return Get(HeightKey(kEventsPrefix, height));
}

}  // namespace hito::node::store
