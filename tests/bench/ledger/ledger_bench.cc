// Block execution throughput of the ledger: transfers per second through ApplyBlock over
// a state of 100,000 funded accounts held in a MemoryKv, with signatures already checked
// (the mempool's parallel path) and with the ledger verifying each signature.
//   BM_ApplyTransfers: one long-lived Ledger applies the same block to the same committed
//     state each iteration; after the first, its execution cache holds every account and
//     tree page the block touches (warm cache: hashing, execution, ChangeSet building).
//   BM_ApplyTransfersCold: a new Ledger per iteration (empty cache): every account and
//     page is read from the KvReader and decoded, as the node did before OnCommitted.
//   BM_BlockSequence: the node's loop: distinct blocks applied one after another, each
//     committed to the MemoryKv (not timed) and then passed to OnCommitted (timed).
// Also the state tree alone: one batch update of k random keys.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/hash.h"
#include "consensus/ledger/kv.h"
#include "consensus/ledger/ledger.h"
#include "consensus/ledger/records.h"
#include "consensus/ledger/state_tree.h"
#include "consensus/types/transaction.h"

namespace hito::consensus::ledger {
namespace {

constexpr char kChain[] = "hito-bench";
constexpr int kAccounts = 100'000;
constexpr int kMaxSenders = 10'000;

// A KvReader over a hash table: reads cost a hash and one probe instead of MemoryKv's
// ~17-level std::map walk. It shows the ledger's own cost when the node serves state
// reads from a cache (hitod's store may put such a cache in front of LevelDB).
class HashKv : public KvReader {
 public:
  explicit HashKv(const MemoryKv& from) {
    table_.reserve(from.entries().size());
    for (const auto& [k, v] : from.entries()) table_.emplace(std::string(AsChars(k)), v);
  }
  Status Get(ByteView key, std::optional<Bytes>* value) const override {
    auto it = table_.find(std::string_view(AsChars(key)));
    if (it == table_.end()) {
      value->reset();
    } else {
      *value = it->second;
    }
    return Status::Ok();
  }

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Bytes, StringHash, std::equal_to<>> table_;
};

struct World {
  MemoryKv kv;
  std::unique_ptr<HashKv> hash_kv;
  std::vector<types::AccountId> ids;           // every account
  std::vector<Ed25519PrivateKey> sender_keys;  // the first kMaxSenders accounts
};

types::AccountId IdFor(int i) {
  return DomainHash("hito/v1/bench-account", AsBytes(std::to_string(i)));
}

World& TheWorld() {
  static World* world = [] {
    auto* w = new World;
    Genesis g;
    g.chain_id = kChain;
    for (int i = 0; i < kAccounts; ++i) {
      if (i < kMaxSenders) {
        Ed25519Seed seed{};
        seed[0] = static_cast<uint8_t>(i);
        seed[1] = static_cast<uint8_t>(i >> 8);
        seed[2] = 0xBE;
        w->sender_keys.push_back(Ed25519PrivateKey::FromSeed(seed));
        w->ids.push_back(types::AccountIdFromPublicKey(w->sender_keys.back().public_key()));
      } else {
        w->ids.push_back(IdFor(i));
      }
      g.accounts.push_back({w->ids.back(), 1'000'000'000});
    }
    auto out = Ledger::InitGenesis(g);
    if (!out.ok()) {
      std::fprintf(stderr, "genesis: %s\n", out.status().ToString().c_str());
      std::abort();
    }
    w->kv.Apply(out->changes);
    w->hash_kv = std::make_unique<HashKv>(w->kv);
    return w;
  }();
  return *world;
}

// n transfers from n distinct senders to pseudo-random recipients among all accounts.
std::vector<types::Transaction> MakeBlock(World& w, int n) {
  std::vector<types::Transaction> txs;
  txs.reserve(static_cast<size_t>(n));
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (int i = 0; i < n; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const auto to = static_cast<size_t>((x >> 33) % kAccounts);
    types::Transfer t;
    t.chain_id = kChain;
    t.sender = w.sender_keys[static_cast<size_t>(i)].public_key();
    t.nonce = 0;
    t.fee = 1000;
    t.to = w.ids[to == static_cast<size_t>(i) ? to + 1 : to];
    t.amount = 1 + (x & 0xFFFF);
    types::SignTransfer(&t, w.sender_keys[static_cast<size_t>(i)]);
    txs.push_back(types::Transaction{std::move(t)});
  }
  return txs;
}

types::BlockHeader Header(uint64_t height = 1) {
  types::BlockHeader h;
  h.chain_id = kChain;
  h.height = height;
  return h;
}

void RunApply(benchmark::State& state, SignatureCheck sigs, bool hash_kv = false,
              bool cold = false) {
  World& w = TheWorld();
  const int n = static_cast<int>(state.range(0));
  const auto txs = MakeBlock(w, n);
  const Ledger ledger(kChain, hash_kv ? static_cast<const KvReader*>(w.hash_kv.get()) : &w.kv);
  {
    auto out = ledger.ApplyBlock(Header(), txs, sigs);
    for (const TxResult& r : out->results) {
      if (!r.ok()) {
        state.SkipWithError(("transfer rejected: " + r.message).c_str());
        return;
      }
    }
    state.counters["changes_per_block"] = static_cast<double>(out->changes.size());
    size_t bytes = 0;
    for (const auto& [key, value] : out->changes) bytes += key.size() + (value ? value->size() : 0);
    state.counters["change_bytes_per_block"] = static_cast<double>(bytes);
  }
  for (auto _ : state) {
    if (cold) {
      const Ledger fresh(kChain, &w.kv);
      auto out = fresh.ApplyBlock(Header(), txs, sigs);
      benchmark::DoNotOptimize(out);
    } else {
      auto out = ledger.ApplyBlock(Header(), txs, sigs);
      benchmark::DoNotOptimize(out);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
}

// A new Ledger (empty execution cache) for every block.
void BM_ApplyTransfersCold(benchmark::State& state) {
  RunApply(state, SignatureCheck::kAlreadyVerified, /*hash_kv=*/false, /*cold=*/true);
}
BENCHMARK(BM_ApplyTransfersCold)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

// Distinct blocks of n transfers in sequence on one long-lived Ledger, as the node runs
// them: ApplyBlock, commit (MemoryKv::Apply, not timed), OnCommitted. Senders rotate
// through the 10,000 sender accounts with rising nonces; recipients are pseudo-random
// among all 100,000 accounts. Transfers are unsigned (kAlreadyVerified skips the check).
// 20 blocks run before timing starts, so the figure is closer to the steady state.
void BM_BlockSequence(benchmark::State& state) {
  World& w = TheWorld();
  const int n = static_cast<int>(state.range(0));
  MemoryKv kv = w.kv;
  Ledger ledger(kChain, &kv);
  std::vector<uint64_t> nonces(kMaxSenders, 0);
  uint64_t height = 0;
  size_t next_sender = 0;
  uint64_t x = 0x2545F4914F6CDD1Dull;
  auto make_block = [&] {
    std::vector<types::Transaction> txs;
    txs.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      const size_t s = next_sender;
      next_sender = (next_sender + 1) % kMaxSenders;
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      auto to = static_cast<size_t>((x >> 33) % kAccounts);
      if (to == s) to = (to + 1) % kAccounts;
      types::Transfer t;
      t.chain_id = kChain;
      t.sender = w.sender_keys[s].public_key();
      t.nonce = nonces[s]++;
      t.fee = 1000;
      t.to = w.ids[to];
      t.amount = 1 + (x & 0xFF);
      txs.push_back(types::Transaction{std::move(t)});
    }
    return txs;
  };
  auto run_block = [&](const std::vector<types::Transaction>& txs, bool timed) -> bool {
    auto out = ledger.ApplyBlock(Header(height + 1), txs, SignatureCheck::kAlreadyVerified);
    if (!out.ok()) {
      state.SkipWithError(out.status().ToString().c_str());
      return false;
    }
    for (const TxResult& r : out->results) {
      if (!r.ok()) {
        state.SkipWithError(("transfer rejected: " + r.message).c_str());
        return false;
      }
    }
    if (timed) state.PauseTiming();
    kv.Apply(out->changes);
    ++height;
    if (timed) state.ResumeTiming();
    ledger.OnCommitted(*out);
    return true;
  };
  for (int b = 0; b < 20; ++b) {
    if (!run_block(make_block(), false)) return;
  }
  for (auto _ : state) {
    state.PauseTiming();
    const auto txs = make_block();
    state.ResumeTiming();
    if (!run_block(txs, true)) return;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
}
BENCHMARK(BM_BlockSequence)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_ApplyTransfers(benchmark::State& state) {
  RunApply(state, SignatureCheck::kAlreadyVerified);
}
BENCHMARK(BM_ApplyTransfers)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(5000)
    ->Arg(10000)
    ->Unit(benchmark::kMillisecond);

// The same blocks over a state served from a hash table (see HashKv).
void BM_ApplyTransfersHashKv(benchmark::State& state) {
  RunApply(state, SignatureCheck::kAlreadyVerified, /*hash_kv=*/true);
}
BENCHMARK(BM_ApplyTransfersHashKv)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(5000)
    ->Arg(10000)
    ->Unit(benchmark::kMillisecond);

void BM_ApplyTransfersVerifySigs(benchmark::State& state) {
  RunApply(state, SignatureCheck::kVerify);
}
BENCHMARK(BM_ApplyTransfersVerifySigs)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(5000)
    ->Unit(benchmark::kMillisecond);

// The state tree alone: one batch of k changed keys over the ~100,000-leaf tree.
void BM_StateTreeUpdate(benchmark::State& state) {
  World& w = TheWorld();
  const auto k = static_cast<size_t>(state.range(0));
  TreeBatch batch;
  for (size_t i = 0; i < k; ++i) {
    batch[StateTreeKey(AccountKey(w.ids[(i * 7919) % w.ids.size()]))] =
        DomainHash("hito/v1/bench-value", AsBytes(std::to_string(i)));
  }
  const StateTree tree(&w.kv);
  for (auto _ : state) {
    ChangeSet changes;
    auto root = tree.Update(batch, &changes);
    benchmark::DoNotOptimize(root);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(k));
}
BENCHMARK(BM_StateTreeUpdate)->Arg(200)->Arg(2000)->Arg(20000)->Unit(benchmark::kMillisecond);

// One MemoryKv read of a random account record: the unit cost behind every account and
// tree page read above.
void BM_MemoryKvGet(benchmark::State& state) {
  World& w = TheWorld();
  std::vector<Bytes> keys;
  for (size_t i = 0; i < 4096; ++i) keys.push_back(AccountKey(w.ids[(i * 7919) % w.ids.size()]));
  size_t i = 0;
  std::optional<Bytes> value;
  for (auto _ : state) {
    auto st = w.kv.Get(keys[i++ % keys.size()], &value);
    benchmark::DoNotOptimize(st);
    benchmark::DoNotOptimize(value);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["kv_entries"] = static_cast<double>(w.kv.entries().size());
}
BENCHMARK(BM_MemoryKvGet);

// One internal-node hash: the unit cost of the tree's hashing.
void BM_StateNodeHash(benchmark::State& state) {
  Hash32 h{};
  const Hash32 sibling = DomainHash("hito/v1/bench", AsBytes("sibling"));
  for (auto _ : state) {
    h = StateNodeHash(h, sibling);
    benchmark::DoNotOptimize(h);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StateNodeHash);

}  // namespace
}  // namespace hito::consensus::ledger
