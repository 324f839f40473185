// The Ledger's execution cache (OnCommitted) and TreePageCache: over many seeded random
// blocks (valid and rejected transfers, new recipients, nonce gaps), a long-lived Ledger
// with a warm cache returns exactly the results, ChangeSet and root of a cold Ledger over
// an identical store; and it stays exact when OnCommitted is skipped, called for a block
// that was not committed, called for a losing candidate block, when the store moves on
// behind its back, and with tiny cache bounds that force eviction every block.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "base/ed25519.h"
#include "base/hash.h"
#include "consensus/ledger/ledger.h"
#include "consensus/ledger/records.h"
#include "consensus/ledger/state_tree.h"
#include "consensus/types/transaction.h"

namespace hito::consensus::ledger {
namespace {

constexpr char kChain[] = "hito-cache-test";
constexpr int kSenders = 40;

types::BlockHeader Header(uint64_t height) {
  types::BlockHeader h;
  h.chain_id = kChain;
  h.height = height;
  return h;
}

// Two identical stores from one genesis: `warm_kv` is read by the long-lived Ledger under
// test, `cold_kv` by a fresh Ledger per block.
class Twin {
 public:
  Twin() {
    Genesis g;
    g.chain_id = kChain;
    for (int i = 0; i < kSenders; ++i) {
      Ed25519Seed seed{};
      seed[0] = static_cast<uint8_t>(i);
      seed[31] = 0xCA;
      keys.push_back(Ed25519PrivateKey::FromSeed(seed));
      ids.push_back(types::AccountIdFromPublicKey(keys.back().public_key()));
      g.accounts.push_back({ids.back(), 50'000 + static_cast<uint64_t>(i) * 1000});
    }
    auto out = Ledger::InitGenesis(g);
    EXPECT_TRUE(out.ok());
    warm_kv.Apply(out->changes);
    cold_kv.Apply(out->changes);
    nonces.assign(kSenders, 0);
  }

  // A random block: mostly valid transfers, some with a wrong nonce, some overdrawing,
  // some to fresh accounts that do not exist yet.
  std::vector<types::Transaction> RandomBlock(std::mt19937_64* rng) {
    std::vector<types::Transaction> txs;
    const int n = static_cast<int>((*rng)() % 25);
    for (int i = 0; i < n; ++i) {
      const auto s = static_cast<size_t>((*rng)() % kSenders);
      types::Transfer t;
      t.chain_id = kChain;
      t.sender = keys[s].public_key();
      const uint64_t roll = (*rng)() % 20;
      t.nonce = roll == 0 ? nonces[s] + 1 : nonces[s];
      t.fee = 1000;
      t.amount = roll == 1 ? 10'000'000 : 1 + (*rng)() % 3000;
      if (roll == 2 || roll == 3) {
        t.to = DomainHash("hito/v1/test-fresh", AsBytes(std::to_string((*rng)() % 500)));
      } else {
        auto r = static_cast<size_t>((*rng)() % kSenders);
        if (r == s) r = (r + 1) % kSenders;
        t.to = ids[r];
      }
      txs.push_back(types::Transaction{t});
      if (roll > 1) ++nonces[s];  // the ledger accepts it (balances stay ample otherwise)
    }
    return txs;
  }

  // Applies `txs` with both ledgers, checks they agree exactly, and commits to both
  // stores. Returns the warm outcome.
  BlockOutcome ApplyBoth(Ledger* warm, const std::vector<types::Transaction>& txs) {
    const uint64_t h = *Ledger(kChain, &cold_kv).Height() + 1;
    auto w = warm->ApplyBlock(Header(h), txs, SignatureCheck::kAlreadyVerified);
    auto c = Ledger(kChain, &cold_kv).ApplyBlock(Header(h), txs, SignatureCheck::kAlreadyVerified);
    EXPECT_TRUE(w.ok() && c.ok());
    EXPECT_EQ(w->state_root, c->state_root) << "height " << h;
    EXPECT_EQ(w->changes, c->changes) << "height " << h;
    EXPECT_EQ(w->results.size(), c->results.size());
    for (size_t i = 0; i < w->results.size() && i < c->results.size(); ++i) {
      EXPECT_EQ(w->results[i].code, c->results[i].code);
    }
    warm_kv.Apply(w->changes);
    cold_kv.Apply(c->changes);
    return *w;
  }

  MemoryKv warm_kv;
  MemoryKv cold_kv;
  std::vector<Ed25519PrivateKey> keys;
  std::vector<types::AccountId> ids;
  std::vector<uint64_t> nonces;
};

void ExpectSameStores(const Twin& t) { EXPECT_EQ(t.warm_kv.entries(), t.cold_kv.entries()); }

TEST(LedgerCache, WarmLedgerMatchesColdOverManyRandomBlocks) {
  Twin t;
  Ledger warm(kChain, &t.warm_kv);
  std::mt19937_64 rng(7);
  size_t rejected = 0;
  for (int b = 0; b < 150; ++b) {
    BlockOutcome out = t.ApplyBoth(&warm, t.RandomBlock(&rng));
    for (const TxResult& r : out.results) rejected += r.ok() ? 0 : 1;
    warm.OnCommitted(out);
  }
  EXPECT_GT(rejected, 0u);  // the blocks did exercise rejections
  ExpectSameStores(t);
  EXPECT_EQ(*Ledger(kChain, &t.warm_kv).StateRoot(), *warm.StateRoot());
}

TEST(LedgerCache, TinyBoundsEvictEveryBlockAndStayExact) {
  Twin t;
  Ledger warm(kChain, &t.warm_kv);
  warm.SetCacheLimits(/*max_accounts=*/16, /*max_pages=*/16);
  std::mt19937_64 rng(11);
  for (int b = 0; b < 80; ++b) warm.OnCommitted(t.ApplyBoth(&warm, t.RandomBlock(&rng)));
  ExpectSameStores(t);
}

TEST(LedgerCache, SkippingOnCommittedIsStillExact) {
  Twin t;
  Ledger warm(kChain, &t.warm_kv);
  std::mt19937_64 rng(13);
  for (int b = 0; b < 60; ++b) {
    BlockOutcome out = t.ApplyBoth(&warm, t.RandomBlock(&rng));
    if (b % 3 == 0) warm.OnCommitted(out);  // the node forgets two blocks in three
  }
  ExpectSameStores(t);
}

TEST(LedgerCache, OnCommittedForAnUncommittedBlockIsHarmless) {
  Twin t;
  Ledger warm(kChain, &t.warm_kv);
  std::mt19937_64 rng(17);
  for (int b = 0; b < 40; ++b) {
    // A candidate block is executed and reported committed, but the write never happened
    // (e.g. the node crashed before its batch): the store still holds the old state.
    const uint64_t h = *warm.Height() + 1;
    auto ghost = warm.ApplyBlock(Header(h), t.RandomBlock(&rng), SignatureCheck::kAlreadyVerified);
    ASSERT_TRUE(ghost.ok());
    warm.OnCommitted(*ghost);
    // Undo the nonces the ghost block consumed in the generator: re-sync from the store.
    for (int i = 0; i < kSenders; ++i) {
      t.nonces[static_cast<size_t>(i)] =
          Ledger(kChain, &t.cold_kv).GetAccount(t.ids[static_cast<size_t>(i)])->nonce;
    }
    warm.OnCommitted(t.ApplyBoth(&warm, t.RandomBlock(&rng)));
  }
  ExpectSameStores(t);
}

TEST(LedgerCache, LosingCandidateThenWinnerCommitted) {
  Twin t;
  Ledger warm(kChain, &t.warm_kv);
  std::mt19937_64 rng(19);
  for (int b = 0; b < 40; ++b) {
    const uint64_t h = *warm.Height() + 1;
    const auto loser_txs = t.RandomBlock(&rng);
    for (int i = 0; i < kSenders; ++i) {
      t.nonces[static_cast<size_t>(i)] =
          Ledger(kChain, &t.cold_kv).GetAccount(t.ids[static_cast<size_t>(i)])->nonce;
    }
    const auto winner_txs = t.RandomBlock(&rng);
    // The winner is executed first, the loser last; then the winner is committed and
    // reported: the staged writes are the loser's, so the cache must not take them.
    auto winner = warm.ApplyBlock(Header(h), winner_txs, SignatureCheck::kAlreadyVerified);
    auto loser = warm.ApplyBlock(Header(h), loser_txs, SignatureCheck::kAlreadyVerified);
    ASSERT_TRUE(winner.ok() && loser.ok());
    t.warm_kv.Apply(winner->changes);
    warm.OnCommitted(*winner);
    auto cold = Ledger(kChain, &t.cold_kv)
                    .ApplyBlock(Header(h), winner_txs, SignatureCheck::kAlreadyVerified);
    ASSERT_TRUE(cold.ok());
    EXPECT_EQ(cold->changes, winner->changes);
    t.cold_kv.Apply(cold->changes);
    warm.OnCommitted(t.ApplyBoth(&warm, t.RandomBlock(&rng)));
  }
  ExpectSameStores(t);
}

TEST(LedgerCache, StoreMovedOnByAnotherLedgerIsDetected) {
  Twin t;
  Ledger warm(kChain, &t.warm_kv);
  std::mt19937_64 rng(23);
  for (int b = 0; b < 40; ++b) {
    if (b % 4 == 1) {
      // Another Ledger over the same store commits a block this one never saw.
      const auto txs = t.RandomBlock(&rng);
      const uint64_t h = *warm.Height() + 1;
      auto other =
          Ledger(kChain, &t.warm_kv).ApplyBlock(Header(h), txs, SignatureCheck::kAlreadyVerified);
      auto cold =
          Ledger(kChain, &t.cold_kv).ApplyBlock(Header(h), txs, SignatureCheck::kAlreadyVerified);
      ASSERT_TRUE(other.ok() && cold.ok());
      t.warm_kv.Apply(other->changes);
      t.cold_kv.Apply(cold->changes);
      continue;
    }
    warm.OnCommitted(t.ApplyBoth(&warm, t.RandomBlock(&rng)));
  }
  ExpectSameStores(t);
}

TEST(LedgerCache, CopyStartsColdAndIsExact) {
  Twin t;
  Ledger warm(kChain, &t.warm_kv);
  std::mt19937_64 rng(29);
  for (int b = 0; b < 10; ++b) warm.OnCommitted(t.ApplyBoth(&warm, t.RandomBlock(&rng)));
  Ledger copy = warm;
  for (int b = 0; b < 10; ++b) copy.OnCommitted(t.ApplyBoth(&copy, t.RandomBlock(&rng)));
  ExpectSameStores(t);
}

// Counts the reads that reach the store.
class CountingKv : public KvReader {
 public:
  explicit CountingKv(const MemoryKv* kv) : kv_(kv) {}
  Status Get(ByteView key, std::optional<Bytes>* value) const override {
    ++reads;
    return kv_->Get(key, value);
  }
  mutable size_t reads = 0;

 private:
  const MemoryKv* kv_;
};

// The cache is really used: after OnCommitted, a block touching only cached accounts
// reads just the metadata records from the store; without OnCommitted it reads as many
// as a cold Ledger.
TEST(LedgerCache, WarmBlockReadsOnlyMetadataFromTheStore) {
  Twin t;
  CountingKv counting(&t.warm_kv);
  Ledger warm(kChain, &counting);
  auto block = [&t](int round) {
    std::vector<types::Transaction> txs;
    for (size_t s = 0; s < 10; ++s) {
      types::Transfer tr;
      tr.chain_id = kChain;
      tr.sender = t.keys[s].public_key();
      tr.nonce = static_cast<uint64_t>(round);
      tr.fee = 1000;
      tr.to = t.ids[s + 10];
      tr.amount = 5;
      txs.push_back(types::Transaction{tr});
    }
    return txs;
  };
  // Block 1 (cold), committed and reported.
  warm.OnCommitted(t.ApplyBoth(&warm, block(0)));
  counting.reads = 0;
  // Block 2 touches the same accounts: metadata only (height, root, chain id, params,
  // supply: under 10 reads), where a cold ledger reads 20 accounts and their pages.
  t.ApplyBoth(&warm, block(1));
  const size_t warm_reads = counting.reads;
  EXPECT_LT(warm_reads, 10u);
  // Block 3 without OnCommitted for block 2: the root differs, the cache is dropped.
  counting.reads = 0;
  t.ApplyBoth(&warm, block(2));
  EXPECT_GT(counting.reads, 20u);
  ExpectSameStores(t);
}

// TreePageCache alone: cached updates (with deletions) give the same root and writes
// as uncached ones; Promote refuses a root it did not stage.
TEST(TreePageCache, CachedUpdatesMatchUncachedAndPromoteChecksRoot) {
  MemoryKv a;
  MemoryKv b;
  TreePageCache cache(/*max_pages=*/64);
  std::mt19937_64 rng(31);
  for (int round = 0; round < 60; ++round) {
    TreeBatch batch;
    for (int i = 0; i < 30; ++i) {
      const Hash32 key = DomainHash("hito/v1/test-key", AsBytes(std::to_string(rng() % 400)));
      if (rng() % 4 == 0) {
        batch[key] = std::nullopt;
      } else {
        batch[key] = DomainHash("hito/v1/test-value", AsBytes(std::to_string(rng())));
      }
    }
    ChangeSet ca;
    ChangeSet cb;
    auto ra = StateTree(&a, &cache).Update(batch, &ca);
    auto rb = StateTree(&b).Update(batch, &cb);
    ASSERT_TRUE(ra.ok() && rb.ok());
    EXPECT_EQ(*ra, *rb);
    EXPECT_EQ(ca, cb);
    a.Apply(ca);
    b.Apply(cb);
    if (round % 10 == 9) {
      Hash32 wrong = *ra;
      wrong[0] ^= 1;
      EXPECT_FALSE(cache.Promote(wrong));
      EXPECT_EQ(cache.size(), 0u);  // refused: everything dropped
    } else {
      EXPECT_TRUE(cache.Promote(*ra));
      EXPECT_LE(cache.size(), 64u);
    }
  }
  EXPECT_EQ(a.entries(), b.entries());
}

}  // namespace
}  // namespace hito::consensus::ledger
