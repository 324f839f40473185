// The LevelDB store (round trips, snapshots, reopen) and crash recovery: a block whose
// block batch landed but whose state batch did not is re-applied on restart, giving the
// same state root. Real LevelDB in a temp dir; the crash is a decorator Application that
// stops after the first synced batch.
#include "node/store/store.h"

#include <gtest/gtest.h>
#include <leveldb/env.h>
#include <leveldb/helpers/memenv.h>

#include <filesystem>

#include "consensus/ledger/ledger.h"
#include "node/chain/chain_app.h"
#include "node/chain/commit_events.h"
#include "node/chain/solo_engine.h"
#include "node/mempool/mempool.h"
#include "tests/support/genesis.h"
#include "tests/support/keys.h"
#include "tests/support/temp_dir.h"
#include "tests/support/transactions.h"

namespace hito::node::store {
namespace {

namespace ledger = consensus::ledger;
namespace types = consensus::types;
using testing::AccountOf;
using testing::KeyFor;
using testing::SignedTransfer;
using testing::TempDir;

TEST(TxLocationTest, RoundTripAndTruncation) {
  TxLocation loc{42, 7, 5, "nonce 3 expected 5", Bytes{1, 2, 3}};
  Bytes enc = EncodeTxLocation(loc);
  auto back = DecodeTxLocation(enc);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, loc);
  for (size_t n = 0; n < enc.size(); ++n) {
    EXPECT_FALSE(DecodeTxLocation(ByteView(enc.data(), n)).ok()) << "prefix " << n;
  }
  enc.push_back(0);
  EXPECT_FALSE(DecodeTxLocation(enc).ok());
}

TEST(StoreTest, BlocksStateAndSnapshotsSurviveReopen) {
  TempDir dir;
  Hash32 block_hash{};
  block_hash.fill(0xab);
  Hash32 tx_hash{};
  tx_hash.fill(0xcd);
  {
    auto store = Store::Open(dir.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    Store& s = **store;
    EXPECT_EQ(s.BlockHeight().value(), 0u);
    EXPECT_FALSE(s.GenesisHash().value().has_value());
    ASSERT_TRUE(s.WriteGenesis(block_hash, {{Bytes{'k'}, Bytes{'v', '0'}}}).ok());

    BlockRecord r;
    r.height = 1;
    r.hash = block_hash;
    r.block_bytes = Bytes{9, 9, 9};
    r.commit_bytes = Bytes{8, 8};
    r.txs.push_back({tx_hash, TxLocation{1, 0, 0, "", Bytes{5}}});
    ASSERT_TRUE(s.WriteBlock(r).ok());
    EXPECT_EQ(s.BlockHeight().value(), 1u);
    EXPECT_EQ(s.StateHeight().value(), 0u);  // the state batch is separate

    auto before = s.State();
    ledger::ChangeSet changes;
    changes.Put(Bytes{'k'}, Bytes{'v', '1'});
    changes.Put(Bytes{'n'}, Bytes{'x'});
    ASSERT_TRUE(s.WriteState(1, changes).ok());
    // The old snapshot still sees the old state.
    std::optional<Bytes> v;
    ASSERT_TRUE(before->Get(Bytes{'k'}, &v).ok());
    EXPECT_EQ(v, (Bytes{'v', '0'}));
    EXPECT_EQ(before->height(), 0u);
    ASSERT_TRUE(before->Get(Bytes{'n'}, &v).ok());
    EXPECT_FALSE(v.has_value());
    // Deletion through a ChangeSet.
    ASSERT_TRUE(s.WriteState(1, {{Bytes{'n'}, std::nullopt}}).ok());
  }
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok());
  Store& s = **store;
  EXPECT_EQ(s.GenesisHash().value(), std::optional<Hash32>(block_hash));
  EXPECT_EQ(s.BlockHeight().value(), 1u);
  EXPECT_EQ(s.StateHeight().value(), 1u);
  EXPECT_EQ(s.GetBlock(1).value(), std::optional<Bytes>(Bytes{9, 9, 9}));
  EXPECT_EQ(s.GetCommit(1).value(), std::optional<Bytes>(Bytes{8, 8}));
  EXPECT_FALSE(s.GetBlock(2).value().has_value());
  EXPECT_EQ(s.GetHeightByHash(block_hash).value(), std::optional<uint64_t>(1));
  auto tx = s.GetTx(tx_hash).value();
  ASSERT_TRUE(tx.has_value());
  EXPECT_EQ(tx->tx_bytes, Bytes{5});
  Hash32 other{};
  EXPECT_FALSE(s.GetTx(other).value().has_value());
  auto state = s.State();
  EXPECT_EQ(state->height(), 1u);
  std::optional<Bytes> v;
  ASSERT_TRUE(state->Get(Bytes{'k'}, &v).ok());
  EXPECT_EQ(v, (Bytes{'v', '1'}));
  ASSERT_TRUE(state->Get(Bytes{'n'}, &v).ok());
  EXPECT_FALSE(v.has_value());
}

// The simulator's store: LevelDB over its in-memory env. What was written survives closing
// and reopening on the same env, two envs are two disks, and nothing touches the real one.
// (The in-memory env does not lock: its owner must close a store before reopening it.)
TEST(StoreTest, InMemoryEnvKeepsWritesAcrossReopenAndNeverTouchesDisk) {
  std::unique_ptr<leveldb::Env> env(leveldb::NewMemEnv(leveldb::Env::Default()));
  std::unique_ptr<leveldb::Env> other_disk(leveldb::NewMemEnv(leveldb::Env::Default()));
  const std::filesystem::path dir = "/hito-sim-store-test/node0/data";
  Hash32 genesis{};
  genesis.fill(0x11);
  {
    auto store = Store::Open(dir, env.get());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->WriteGenesis(genesis, {{Bytes{'k'}, Bytes{'v'}}}).ok());
    BlockRecord r;
    r.height = 1;
    r.hash = genesis;
    r.block_bytes = Bytes{1, 2};
    r.commit_bytes = Bytes{3};
    ASSERT_TRUE((*store)->WriteBlock(r).ok());
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
  auto reopened = Store::Open(dir, env.get());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->GenesisHash().value(), std::optional<Hash32>(genesis));
  EXPECT_EQ((*reopened)->BlockHeight().value(), 1u);
  EXPECT_EQ((*reopened)->GetBlock(1).value(), std::optional<Bytes>(Bytes{1, 2}));
  auto fresh = Store::Open(dir, other_disk.get());
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  EXPECT_FALSE((*fresh)->GenesisHash().value().has_value());
}

TEST(StoreTest, OnlyOneProcessOpensAStore) {
  TempDir dir;
  auto a = Store::Open(dir.path());
  ASSERT_TRUE(a.ok());
  auto b = Store::Open(dir.path());
  EXPECT_FALSE(b.ok());
}

// Commits like ChainApp but "crashes" after the block batch of a chosen height: it
// writes the block batch only, and records the state root execution produced.
class CrashAfterBlockBatch : public chain::Application {
 public:
  CrashAfterBlockBatch(chain::ChainApp* inner, Store* store, uint64_t crash_height)
      : inner_(inner), store_(store), crash_height_(crash_height) {}
  chain::ChainTip Tip() const override { return inner_->Tip(); }
  std::vector<Bytes> PrepareProposal(uint32_t n, uint64_t b) override {
    return inner_->PrepareProposal(n, b);
  }
  Status ProcessProposal(const types::Block& block) const override {
    return inner_->ProcessProposal(block);
  }
  Result<chain::FinalizedBlock> FinalizeBlock(const types::Block& block) override {
    return inner_->FinalizeBlock(block);
  }
  void Commit(const types::Block& block, const types::Commit& commit,
              chain::FinalizedBlock fin) override {
    if (block.header.height != crash_height_) {
      inner_->Commit(block, commit, std::move(fin));
      return;
    }
    BlockRecord r = chain::MakeBlockRecord(block, commit, fin);
    ASSERT_TRUE(store_->WriteBlock(r).ok());
    lost_root = fin.outcome.state_root;
  }
  Hash32 lost_root{};

 private:
  chain::ChainApp* inner_;
  Store* store_;
  uint64_t crash_height_;
};

TEST(RecoveryTest, ReappliesAStoredBlockWhoseStateIsMissing) {
  TempDir dir;
  const std::string chain = "test-chain";
  ledger::Genesis genesis = testing::MakeGenesis(chain, {{1, 1'000'000}});
  Hash32 genesis_hash{};
  genesis_hash.fill(1);
  Bytes tx1 = SignedTransfer(KeyFor(1), {.nonce = 0, .amount = 100});
  Bytes tx2 = SignedTransfer(KeyFor(1), {.nonce = 1, .amount = 200});
  Hash32 lost_root{};
  {
    auto store = Store::Open(dir.path()).value();
    auto tip = chain::RecoverChain(store.get(), genesis, genesis_hash);
    ASSERT_TRUE(tip.ok()) << tip.status().ToString();
    EXPECT_EQ(tip->height, 0u);
    mempool::Mempool pool(chain, {}, store->State(),
                          [&](const Hash32& h) { return store->GetTx(h); });
    chain::CommitEvents events(10);
    chain::ChainApp app(chain, *tip, store.get(), &pool, &events);
    CrashAfterBlockBatch crashing(&app, store.get(), /*crash_height=*/2);
    chain::SoloEngine engine(chain, genesis.validators, KeyFor(100), &crashing, {});
    ASSERT_TRUE(pool.Admit(tx1).ok());
    ASSERT_TRUE(engine.ProduceBlock().ok());  // block 1, committed fully
    ASSERT_TRUE(pool.Admit(tx2).ok());
    ASSERT_TRUE(engine.ProduceBlock().ok());  // block 2: block batch only
    lost_root = crashing.lost_root;
    EXPECT_EQ(store->BlockHeight().value(), 2u);
    EXPECT_EQ(store->StateHeight().value(), 1u);
  }
  // Restart.
  auto store = Store::Open(dir.path()).value();
  auto tip = chain::RecoverChain(store.get(), genesis, genesis_hash);
  ASSERT_TRUE(tip.ok()) << tip.status().ToString();
  EXPECT_EQ(tip->height, 2u);
  EXPECT_EQ(tip->state_root, lost_root);
  EXPECT_EQ(store->StateHeight().value(), 2u);
  auto state = store->State();
  ledger::Ledger l(chain, state.get());
  auto acct = l.GetAccount(AccountOf(KeyFor(1))).value();
  EXPECT_EQ(acct.nonce, 2u);
  EXPECT_EQ(acct.balance, 1'000'000u - 100 - 200 - 2 * 1000);
  EXPECT_EQ(l.GetAccount(AccountOf(KeyFor(200))).value().balance, 300u);
  // Both transactions are in the tx index with their results.
  auto loc = store->GetTx(types::TransactionHash(tx2)).value();
  ASSERT_TRUE(loc.has_value());
  EXPECT_EQ(loc->height, 2u);
  EXPECT_EQ(loc->code, 0u);
  // The seen commit of the tip is a valid commit by the validator.
  EXPECT_TRUE(types::VerifyCommit(chain, genesis.validators, tip->last_commit).ok());
  EXPECT_EQ(tip->last_commit.block_hash, tip->block_hash);
}

TEST(RecoveryTest, RefusesAStoreOfAnotherGenesis) {
  TempDir dir;
  ledger::Genesis genesis = testing::MakeGenesis("test-chain", {{1, 5}});
  Hash32 h1{};
  h1.fill(1);
  Hash32 h2{};
  h2.fill(2);
  auto store = Store::Open(dir.path()).value();
  ASSERT_TRUE(chain::RecoverChain(store.get(), genesis, h1).ok());
  auto again = chain::RecoverChain(store.get(), genesis, h2);
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace hito::node::store
