// Mempool admission, every refusal reason, limits, duplicates, nonce-ordered reaping and
// removal/re-checking after a commit, over a real ledger on an in-memory state; then the
// full-pool rules (fee-and-age eviction from the tails of senders' nonce chains, the
// per-sender caps, the TTL on a ManualClock) including hostile senders; then claims
// (batch verification, duplicate nullifiers, bad proofs, closed epochs, the per-block cap,
// drops after a commit), registrations and revocations, with real proofs; then
// governance: proposals in their sender's nonce queue, ballots verified like claims (one
// pending per nullifier, closed rounds, over budget, tampered votes, the shared per-block
// budget, drops when the round closes).
#include "node/mempool/mempool.h"

#include <gtest/gtest.h>

#include <map>

#include "consensus/ledger/governance.h"
#include "consensus/ledger/ledger.h"
#include "consensus/types/limits.h"
#include "consensus/types/personhood.h"
#include "node/io/clock.h"
#include "tests/support/genesis.h"
#include "tests/support/keys.h"
#include "tests/support/personhood.h"
#include "tests/support/transactions.h"
#include "zk/point.h"
#include "zk/proof/sigma.h"
#include "zk/scalar.h"

namespace hito::node::mempool {
namespace {

namespace ledger = consensus::ledger;
namespace types = consensus::types;
using ledger::TxCode;
using testing::AccountOf;
using testing::KeyFor;
using testing::SignedTransfer;
using testing::TransferSpec;

constexpr char kChain[] = "test-chain";

class MempoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto g =
        ledger::Ledger::InitGenesis(testing::MakeGenesis(kChain, {{1, 1'000'000}, {2, 10'000}}));
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    kv_.Apply(g->changes);
    pool_ = MakePool(MempoolLimits{});
  }

  std::unique_ptr<Mempool> MakePool(MempoolLimits limits) {
    return std::make_unique<Mempool>(
        kChain, limits, std::make_shared<ledger::MemoryKv>(kv_),
        [this](const Hash32& h) -> Result<std::optional<store::TxLocation>> {
          auto it = committed_.find(h);
          if (it == committed_.end()) return std::optional<store::TxLocation>();
          return std::optional<store::TxLocation>(it->second);
        });
  }

  // Executes `txs` as the next block on kv_ and tells the pool.
  void CommitBlock(const std::vector<Bytes>& raw) {
    ledger::Ledger l(kChain, &kv_);
    uint64_t height = l.Height().value() + 1;
    types::BlockHeader h;
    h.chain_id = kChain;
    h.height = height;
    h.time_ms = 1'700'000'000'000 + height;
    std::vector<types::Transaction> txs;
    std::vector<CommittedTx> committed;
    for (size_t i = 0; i < raw.size(); ++i) {
      txs.push_back(types::DecodeTransaction(raw[i]).value());
      Hash32 hash = types::TransactionHash(raw[i]);
      committed_[hash] = store::TxLocation{height, static_cast<uint32_t>(i), 0, "", raw[i]};
      committed.push_back({hash, AccountOf(KeyFor(0)) /*replaced below*/});
      committed.back().sender =
          types::AccountIdFromPublicKey(std::get<types::Transfer>(txs.back().body).sender);
    }
    auto out = l.ApplyBlock(h, txs, ledger::SignatureCheck::kVerify);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    for (const auto& r : out->results) ASSERT_TRUE(r.ok()) << r.message;
    kv_.Apply(out->changes);
    pool_->Update(committed, std::make_shared<ledger::MemoryKv>(kv_));
  }

  ledger::MemoryKv kv_;
  std::map<Hash32, store::TxLocation> committed_;
  std::unique_ptr<Mempool> pool_;
};

TEST_F(MempoolTest, AdmitsValidTransfersWithConsecutiveNonces) {
  for (uint64_t n = 0; n < 3; ++n) {
    AdmitOutcome o = pool_->Admit(SignedTransfer(KeyFor(1), {.nonce = n}));
    EXPECT_TRUE(o.ok()) << o.message;
  }
  EXPECT_EQ(pool_->size(), 3u);
  Bytes raw = SignedTransfer(KeyFor(1), {.nonce = 3});
  AdmitOutcome o = pool_->Admit(raw);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o.hash, types::TransactionHash(raw));
  auto got = pool_->Get(o.hash);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->bytes, raw);
  EXPECT_EQ(got->nonce, 3u);
}

TEST_F(MempoolTest, RefusesEachReasonPrecisely) {
  struct Case {
    std::string name;
    Bytes raw;
    TxCode want;
  };
  Bytes forged = SignedTransfer(KeyFor(1), {.nonce = 0, .amount = 5});
  forged[forged.size() - 1] ^= 0x01;  // last byte of the signature
  Bytes reserved = {types::kTxVersion, static_cast<uint8_t>(types::TxKind::kValidator), 0, 0};
  std::vector<Case> cases = {
      {"too large", Bytes(types::kTxMaxBytes + 1, 0), TxCode::kTooLarge},
      {"bad version", Bytes{9, 1, 0}, TxCode::kMalformed},
      {"truncated",
       [] {
         Bytes b = SignedTransfer(KeyFor(1), {});
         b.pop_back();
         return b;
       }(),
       TxCode::kMalformed},
      {"trailing byte",
       [] {
         Bytes b = SignedTransfer(KeyFor(1), {});
         b.push_back(0);
         return b;
       }(),
       TxCode::kMalformed},
      {"reserved kind", reserved, TxCode::kUnsupportedKind},
      {"wrong chain", SignedTransfer(KeyFor(1), {.chain_id = "other-chain"}), TxCode::kWrongChain},
      {"forged signature", forged, TxCode::kBadSignature},
      {"nonce gap", SignedTransfer(KeyFor(1), {.nonce = 1}), TxCode::kNonceTooHigh},
      {"insufficient funds", SignedTransfer(KeyFor(2), {.amount = 9'001}),
       TxCode::kInsufficientFunds},
      {"unfunded sender", SignedTransfer(KeyFor(9), {}), TxCode::kInsufficientFunds},
      {"amount + fee overflows", SignedTransfer(KeyFor(1), {.amount = UINT64_MAX - 10}),
       TxCode::kAmountOverflow},
      {"fee too low", SignedTransfer(KeyFor(1), {.fee = 999}), TxCode::kFeeTooLow},
      {"zero amount", SignedTransfer(KeyFor(1), {.amount = 0}), TxCode::kZeroAmount},
      {"self transfer", SignedTransfer(KeyFor(1), {.to = AccountOf(KeyFor(1))}),
       TxCode::kSelfTransfer},
  };
  for (const Case& c : cases) {
    AdmitOutcome o = pool_->Admit(c.raw);
    EXPECT_EQ(o.code, c.want) << c.name << ": got " << ledger::TxCodeName(o.code) << " "
                              << o.message;
    EXPECT_FALSE(o.message.empty()) << c.name;
  }
  EXPECT_EQ(pool_->size(), 0u);
}

TEST_F(MempoolTest, NonceTooLowAfterCommitAndDuplicates) {
  Bytes first = SignedTransfer(KeyFor(1), {.nonce = 0});
  ASSERT_TRUE(pool_->Admit(first).ok());
  // Pending duplicate.
  AdmitOutcome dup = pool_->Admit(first);
  EXPECT_EQ(dup.code, TxCode::kAlreadyKnown);
  EXPECT_TRUE(dup.pending);
  CommitBlock({first});
  EXPECT_EQ(pool_->size(), 0u);
  // Committed duplicate: where it is.
  AdmitOutcome again = pool_->Admit(first);
  EXPECT_EQ(again.code, TxCode::kAlreadyKnown);
  ASSERT_TRUE(again.committed.has_value());
  EXPECT_EQ(again.committed->height, 1u);
  // A different tx reusing nonce 0: a replay of the nonce.
  AdmitOutcome replay = pool_->Admit(SignedTransfer(KeyFor(1), {.nonce = 0, .amount = 2}));
  EXPECT_EQ(replay.code, TxCode::kNonceTooLow) << replay.message;
}

TEST_F(MempoolTest, PendingSpendsCountAgainstBalance) {
  // Key 2 holds 10,000: 6,000 + 1,000 fee pending leaves 3,000.
  ASSERT_TRUE(pool_->Admit(SignedTransfer(KeyFor(2), {.nonce = 0, .amount = 6'000})).ok());
  AdmitOutcome o = pool_->Admit(SignedTransfer(KeyFor(2), {.nonce = 1, .amount = 2'500}));
  EXPECT_EQ(o.code, TxCode::kInsufficientFunds) << o.message;
  EXPECT_TRUE(pool_->Admit(SignedTransfer(KeyFor(2), {.nonce = 1, .amount = 2'000})).ok());
}

TEST_F(MempoolTest, CountAndByteLimits) {
  pool_ = MakePool(MempoolLimits{.max_txs = 2, .max_bytes = 1 << 20});
  ASSERT_TRUE(pool_->Admit(SignedTransfer(KeyFor(1), {.nonce = 0})).ok());
  ASSERT_TRUE(pool_->Admit(SignedTransfer(KeyFor(1), {.nonce = 1})).ok());
  AdmitOutcome full = pool_->Admit(SignedTransfer(KeyFor(1), {.nonce = 2}));
  EXPECT_EQ(full.code, TxCode::kMempoolFull);

  Bytes one = SignedTransfer(KeyFor(1), {.nonce = 0});
  pool_ = MakePool(MempoolLimits{.max_txs = 100, .max_bytes = one.size() * 2 + 10});
  ASSERT_TRUE(pool_->Admit(one).ok());
  ASSERT_TRUE(pool_->Admit(SignedTransfer(KeyFor(1), {.nonce = 1})).ok());
  AdmitOutcome over = pool_->Admit(SignedTransfer(KeyFor(1), {.nonce = 2}));
  EXPECT_EQ(over.code, TxCode::kMempoolFull);
  EXPECT_NE(over.message.find("bytes"), std::string::npos) << over.message;
  EXPECT_EQ(pool_->bytes(), one.size() * 2);
}

TEST_F(MempoolTest, ReapKeepsPerSenderNonceOrderAndLimits) {
  // Interleave two senders.
  for (uint64_t n = 0; n < 3; ++n) {
    ASSERT_TRUE(pool_->Admit(SignedTransfer(KeyFor(1), {.nonce = n})).ok());
    ASSERT_TRUE(pool_->Admit(SignedTransfer(KeyFor(2), {.nonce = n})).ok());
  }
  auto all = pool_->Reap(100, 1 << 20);
  ASSERT_EQ(all.size(), 6u);
  std::map<types::AccountId, uint64_t> next;
  for (const auto& p : all) {
    EXPECT_EQ(p->nonce, next[p->sender]) << "nonces out of order";
    ++next[p->sender];
  }
  EXPECT_EQ(pool_->Reap(4, 1 << 20).size(), 4u);
  const size_t one = all[0]->bytes.size();
  EXPECT_EQ(pool_->Reap(100, one * 3).size(), 3u);
  EXPECT_EQ(pool_->size(), 6u);  // reaping does not remove
}

TEST_F(MempoolTest, ReapSkipsLaterNoncesOfABlockedSender) {
  // Sender 1 sends a big memo tx first; with a byte limit that excludes it, none of
  // sender 1's later txs may be taken (they would leave a nonce gap).
  types::Transfer big = testing::MakeTransfer(KeyFor(1), {.nonce = 0});
  big.memo = Bytes(200, 7);
  types::SignTransfer(&big, KeyFor(1));
  Bytes big_raw = types::EncodeTransaction(types::Transaction{big});
  ASSERT_TRUE(pool_->Admit(big_raw).ok());
  ASSERT_TRUE(pool_->Admit(SignedTransfer(KeyFor(1), {.nonce = 1})).ok());
  Bytes small = SignedTransfer(KeyFor(2), {.nonce = 0});
  ASSERT_TRUE(pool_->Admit(small).ok());
  auto got = pool_->Reap(100, big_raw.size() - 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]->bytes, small);
}

TEST_F(MempoolTest, UpdateRemovesIncludedAndDropsNowInvalid) {
  Bytes a0 = SignedTransfer(KeyFor(1), {.nonce = 0});
  Bytes a1 = SignedTransfer(KeyFor(1), {.nonce = 1});
  Bytes a2 = SignedTransfer(KeyFor(1), {.nonce = 2});
  Bytes b0 = SignedTransfer(KeyFor(2), {.nonce = 0, .amount = 6'000});
  for (const Bytes& b : {a0, a1, a2, b0}) ASSERT_TRUE(pool_->Admit(b).ok());
  // A block (from elsewhere) spends key 2's nonce 0 with a different tx: b0 is now
  // invalid (nonce used). Key 1's a0 is included; a1, a2 stay valid.
  Bytes b0_other = SignedTransfer(KeyFor(2), {.nonce = 0, .amount = 8'000});
  CommitBlock({a0, b0_other});
  EXPECT_EQ(pool_->Get(types::TransactionHash(a0)), nullptr);
  EXPECT_EQ(pool_->Get(types::TransactionHash(b0)), nullptr);
  EXPECT_NE(pool_->Get(types::TransactionHash(a1)), nullptr);
  EXPECT_NE(pool_->Get(types::TransactionHash(a2)), nullptr);
  EXPECT_EQ(pool_->size(), 2u);
  // The next nonce for key 1 is 3 (0 committed, 1 and 2 pending).
  EXPECT_TRUE(pool_->Admit(SignedTransfer(KeyFor(1), {.nonce = 3})).ok());
}

// A pool over 20 funded senders (keys 1..20) on a ManualClock, for the full-pool rules.
class MempoolEvictionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::pair<uint8_t, uint64_t>> funded;
    for (uint8_t k = 1; k <= 20; ++k) funded.emplace_back(k, 1'000'000'000);
    auto g = ledger::Ledger::InitGenesis(testing::MakeGenesis(kChain, funded));
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    kv_.Apply(g->changes);
  }

  void MakePool(MempoolLimits limits) {
    pool_ = std::make_unique<Mempool>(
        kChain, limits, std::make_shared<ledger::MemoryKv>(kv_),
        [](const Hash32&) -> Result<std::optional<store::TxLocation>> {
          return std::optional<store::TxLocation>();
        },
        &clock_);
  }

  static Bytes Tx(uint8_t key, uint64_t nonce, uint64_t fee, size_t memo = 0) {
    types::Transfer t = testing::MakeTransfer(KeyFor(key), {.nonce = nonce, .fee = fee});
    t.memo = Bytes(memo, 7);
    types::SignTransfer(&t, KeyFor(key));
    return types::EncodeTransaction(types::Transaction{t});
  }

  bool Pending(const Bytes& tx) const { return pool_->Get(types::TransactionHash(tx)) != nullptr; }
  std::optional<DropReason> Dropped(const Bytes& tx) const {
    return pool_->DroppedReason(types::TransactionHash(tx));
  }

  ledger::MemoryKv kv_;
  io::ManualClock clock_;
  std::unique_ptr<Mempool> pool_;
};

TEST_F(MempoolEvictionTest, HigherFeeDisplacesTheLowestFeeOldest) {
  MakePool({.max_txs = 3});
  Bytes a = Tx(1, 0, 1000), b = Tx(2, 0, 1000), c = Tx(3, 0, 2000);
  for (const Bytes& tx : {a, b, c}) ASSERT_TRUE(pool_->Admit(tx).ok());
  AdmitOutcome o = pool_->Admit(Tx(4, 0, 1500));
  ASSERT_TRUE(o.ok()) << o.message;
  ASSERT_EQ(o.evicted.size(), 1u);
  EXPECT_EQ(o.evicted[0], types::TransactionHash(a));  // lowest fee; older than b
  EXPECT_FALSE(Pending(a));
  EXPECT_EQ(Dropped(a), DropReason::kEvicted);
  EXPECT_TRUE(Pending(b));
  EXPECT_TRUE(Pending(c));
  EXPECT_EQ(pool_->size(), 3u);
}

TEST_F(MempoolEvictionTest, EqualOrLowerFeeIsRefusedAsFullWithItsOwnReason) {
  MakePool({.max_txs = 3});
  for (const Bytes& tx : {Tx(1, 0, 2000), Tx(2, 0, 2000), Tx(3, 0, 3000)}) {
    ASSERT_TRUE(pool_->Admit(tx).ok());
  }
  for (uint64_t fee : {2000u, 1999u}) {
    AdmitOutcome o = pool_->Admit(Tx(4, 0, fee));
    EXPECT_EQ(o.code, TxCode::kMempoolFull) << fee;
    EXPECT_EQ(o.refusal, PoolRefusal::kFeeTooLowToEvict) << fee;
    EXPECT_NE(o.message.find("fee"), std::string::npos) << o.message;
  }
  EXPECT_EQ(pool_->size(), 3u);
  // A sender alone in a full pool cannot displace its own chain: plain "full".
  MakePool({.max_txs = 2});
  ASSERT_TRUE(pool_->Admit(Tx(1, 0, 1000)).ok());
  ASSERT_TRUE(pool_->Admit(Tx(1, 1, 1000)).ok());
  AdmitOutcome own = pool_->Admit(Tx(1, 2, 9000));
  EXPECT_EQ(own.code, TxCode::kMempoolFull);
  EXPECT_EQ(own.refusal, PoolRefusal::kPoolFull);
}

TEST_F(MempoolEvictionTest, EvictsFromTheTailOfASendersNonceChain) {
  MakePool({.max_txs = 3});
  // Sender 1's nonce 0 is the oldest lowest-fee tx, but its nonce 1 depends on it.
  Bytes a0 = Tx(1, 0, 1000), a1 = Tx(1, 1, 5000), b0 = Tx(2, 0, 3000);
  for (const Bytes& tx : {a0, a1, b0}) ASSERT_TRUE(pool_->Admit(tx).ok());
  // The candidates are the tails a1 (5000) and b0 (3000): 2000 beats neither.
  EXPECT_EQ(pool_->Admit(Tx(3, 0, 2000)).refusal, PoolRefusal::kFeeTooLowToEvict);
  AdmitOutcome o = pool_->Admit(Tx(3, 0, 4000));
  ASSERT_TRUE(o.ok()) << o.message;
  EXPECT_FALSE(Pending(b0));
  EXPECT_TRUE(Pending(a0));
  EXPECT_TRUE(Pending(a1));
  // Among one sender's txs the tail goes first, even when an earlier one is older.
  MakePool({.max_txs = 3});
  Bytes c0 = Tx(1, 0, 1000), c1 = Tx(1, 1, 1000);
  for (const Bytes& tx : {c0, c1, Tx(2, 0, 3000)}) ASSERT_TRUE(pool_->Admit(tx).ok());
  ASSERT_TRUE(pool_->Admit(Tx(3, 0, 2000)).ok());
  EXPECT_TRUE(Pending(c0));
  EXPECT_EQ(Dropped(c1), DropReason::kEvicted);
  // Sender 1 resubmits from its next nonce: 1 again.
  EXPECT_EQ(pool_->Admit(Tx(1, 2, 9000)).code, TxCode::kNonceTooHigh);
}

TEST_F(MempoolEvictionTest, DisplacementIsAllOrNothing) {
  const size_t small = Tx(1, 0, 1000).size();
  const Bytes big = Tx(4, 0, 5000, /*memo=*/small / 2);
  ASSERT_GT(big.size(), small);
  ASSERT_LT(big.size(), 2 * small);
  MakePool({.max_txs = 100, .max_bytes = 3 * small});
  Bytes a = Tx(1, 0, 1000), b = Tx(2, 0, 9000), c = Tx(3, 0, 9000);
  for (const Bytes& tx : {a, b, c}) ASSERT_TRUE(pool_->Admit(tx).ok());
  // `big` needs two evictions; only `a` has a lower fee: nothing is displaced.
  AdmitOutcome o = pool_->Admit(big);
  EXPECT_EQ(o.refusal, PoolRefusal::kFeeTooLowToEvict);
  EXPECT_TRUE(Pending(a));
  EXPECT_EQ(pool_->size(), 3u);
  // With two lower fees it displaces both.
  MakePool({.max_txs = 100, .max_bytes = 3 * small});
  Bytes d = Tx(2, 0, 1000);
  for (const Bytes& tx : {a, d, c}) ASSERT_TRUE(pool_->Admit(tx).ok());
  o = pool_->Admit(big);
  ASSERT_TRUE(o.ok()) << o.message;
  EXPECT_EQ(o.evicted.size(), 2u);
  EXPECT_LE(pool_->bytes(), 3 * small);
}

// Hostile: one sender tries to fill the pool.
TEST_F(MempoolEvictionTest, OneSenderCannotFillThePool) {
  const size_t one = Tx(1, 0, 1000).size();
  MakePool({.max_txs = 100, .max_txs_per_sender = 4, .max_bytes_per_sender = 1 << 20});
  for (uint64_t n = 0; n < 4; ++n) ASSERT_TRUE(pool_->Admit(Tx(1, n, 1000)).ok());
  AdmitOutcome over = pool_->Admit(Tx(1, 4, 1'000'000));  // a high fee does not help
  EXPECT_EQ(over.code, TxCode::kMempoolFull);
  EXPECT_EQ(over.refusal, PoolRefusal::kSenderOverCap);
  EXPECT_NE(over.message.find("sender"), std::string::npos) << over.message;
  EXPECT_TRUE(pool_->Admit(Tx(2, 0, 1000)).ok());  // everyone else still gets in
  // The byte share, with large transactions.
  const size_t big = Tx(1, 0, 1000, 256).size();
  MakePool({.max_txs = 100, .max_txs_per_sender = 100, .max_bytes_per_sender = 2 * big + one});
  ASSERT_TRUE(pool_->Admit(Tx(1, 0, 1000, 256)).ok());
  ASSERT_TRUE(pool_->Admit(Tx(1, 1, 1000, 256)).ok());
  EXPECT_EQ(pool_->Admit(Tx(1, 2, 1000, 256)).refusal, PoolRefusal::kSenderOverCap);
  EXPECT_TRUE(pool_->Admit(Tx(1, 2, 1000)).ok());  // a small one still fits its share
}

// Hostile: many senders spam low fees into a pool full of higher-fee transactions.
TEST_F(MempoolEvictionTest, LowFeeSpamCannotDisplaceHigherFees) {
  MakePool({.max_txs = 10, .max_txs_per_sender = 2});
  std::vector<Bytes> honest;
  for (uint8_t k = 1; k <= 5; ++k) {
    for (uint64_t n = 0; n < 2; ++n) honest.push_back(Tx(k, n, 5000));
  }
  for (const Bytes& tx : honest) ASSERT_TRUE(pool_->Admit(tx).ok());
  for (uint8_t k = 6; k <= 20; ++k) {
    for (uint64_t fee : {1000u, 4999u, 5000u}) {
      AdmitOutcome o = pool_->Admit(Tx(k, 0, fee));
      EXPECT_EQ(o.refusal, PoolRefusal::kFeeTooLowToEvict) << int{k} << " " << fee;
    }
  }
  for (const Bytes& tx : honest) EXPECT_TRUE(Pending(tx));
  // A batch of spam is refused item by item the same way.
  std::vector<Bytes> spam;
  for (uint8_t k = 6; k <= 20; ++k) spam.push_back(Tx(k, 0, 1000 + k));
  std::vector<ByteView> views(spam.begin(), spam.end());
  for (const AdmitOutcome& o : pool_->AdmitBatch(views)) {
    EXPECT_EQ(o.refusal, PoolRefusal::kFeeTooLowToEvict);
  }
  EXPECT_EQ(pool_->size(), 10u);
}

TEST_F(MempoolEvictionTest, TransactionsOlderThanTheTtlExpireWithTheirLaterNonces) {
  MakePool({.tx_ttl_ms = 1000});
  Bytes a0 = Tx(1, 0, 1000);
  ASSERT_TRUE(pool_->Admit(a0).ok());
  clock_.Advance(600);
  Bytes a1 = Tx(1, 1, 1000), b0 = Tx(2, 0, 1000);
  ASSERT_TRUE(pool_->Admit(a1).ok());
  ASSERT_TRUE(pool_->Admit(b0).ok());
  clock_.Advance(399);
  EXPECT_EQ(pool_->Expire(), 0u);
  clock_.Advance(1);  // a0 is 1000 ms old
  // Not proposed once expired, even before anything removed it.
  auto reaped = pool_->Reap(100, 1 << 20);
  ASSERT_EQ(reaped.size(), 1u);
  EXPECT_EQ(reaped[0]->bytes, b0);
  // a1 (600 ms old) leaves with a0: without a0 it could never execute.
  EXPECT_EQ(pool_->Expire(), 2u);
  EXPECT_FALSE(Pending(a0));
  EXPECT_FALSE(Pending(a1));
  EXPECT_TRUE(Pending(b0));
  EXPECT_EQ(Dropped(a0), DropReason::kExpired);
  EXPECT_EQ(Dropped(a1), DropReason::kExpired);
  // Admission also expires: b0 goes when the clock passes its TTL.
  clock_.Advance(600);
  ASSERT_TRUE(pool_->Admit(a0).ok());  // resubmitted: pending again, no longer dropped
  EXPECT_EQ(Dropped(a0), std::nullopt);
  EXPECT_EQ(Dropped(b0), DropReason::kExpired);
  EXPECT_EQ(pool_->size(), 1u);
}

// ---- Personhood: claims, registrations and revocations (real proofs, cohorts of 16) ----

class MempoolPersonhoodTest : public ::testing::Test {
 protected:
  void Init(const testing::PersonhoodSpec& spec,
            std::optional<ledger::GovernanceParams> governance = std::nullopt) {
    ledger::Genesis genesis = testing::MakePersonhoodGenesis(kChain, {{1, 1'000'000}}, spec);
    genesis.governance = governance;
    auto g = ledger::Ledger::InitGenesis(genesis);
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    kv_.Apply(g->changes);
    pool_ =
        std::make_unique<Mempool>(kChain, MempoolLimits{}, std::make_shared<ledger::MemoryKv>(kv_),
                                  [](const Hash32&) -> Result<std::optional<store::TxLocation>> {
                                    return std::optional<store::TxLocation>();
                                  });
  }
  void SetUp() override { Init({}); }

  Bytes Claim(uint64_t citizen, uint64_t epoch = 0, uint8_t to = 9) {
    return testing::EncodeClaim(
        testing::MakeClaim(kv_, kChain, citizen, epoch, AccountOf(KeyFor(to))));
  }

  // Executes `raw` as the next block and tells the pool; returns the results.
  std::vector<ledger::TxResult> Commit(const std::vector<Bytes>& raw) {
    ledger::Ledger l(kChain, &kv_);
    types::BlockHeader h;
    h.chain_id = kChain;
    h.height = l.Height().value() + 1;
    h.time_ms = 1'700'000'000'000 + h.height;
    std::vector<types::Transaction> txs;
    std::vector<CommittedTx> committed;
    for (const Bytes& b : raw) {
      txs.push_back(types::DecodeTransaction(b).value());
      const auto signed_fields = types::SignedFieldsOf(txs.back());
      committed.push_back({types::TransactionHash(b),
                           signed_fields ? types::AccountIdFromPublicKey(*signed_fields->sender)
                                         : types::AccountId{}});
    }
    auto out = l.ApplyBlock(h, txs, ledger::SignatureCheck::kVerify);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    kv_.Apply(out->changes);
    pool_->Update(committed, std::make_shared<ledger::MemoryKv>(kv_));
    return out->results;
  }

  ledger::MemoryKv kv_;
  std::unique_ptr<Mempool> pool_;
};

TEST_F(MempoolPersonhoodTest, AdmitsAClaimOnceAndRefusesASecondWithItsNullifier) {
  const Bytes first = Claim(3);
  AdmitOutcome ok = pool_->Admit(first);
  ASSERT_TRUE(ok.ok()) << ok.message;
  EXPECT_TRUE(pool_->ProofVerified(ok.hash));
  EXPECT_EQ(pool_->Admit(first).code, TxCode::kAlreadyKnown);
  // The same citizen proves again (fresh randomness, other recipient): same nullifier.
  const Bytes second = Claim(3, 0, 10);
  ASSERT_NE(types::TransactionHash(second), ok.hash);
  AdmitOutcome dup = pool_->Admit(second);
  EXPECT_EQ(dup.code, TxCode::kAlreadyClaimed) << dup.message;
  EXPECT_FALSE(pool_->ProofVerified(dup.hash));
  EXPECT_EQ(pool_->size(), 1u);
  // Two claims of one citizen in one batch: the first wins.
  auto outs = pool_->AdmitBatch({Claim(4), Claim(4, 0, 11)});
  EXPECT_TRUE(outs[0].ok()) << outs[0].message;
  EXPECT_EQ(outs[1].code, TxCode::kAlreadyClaimed);
}

TEST_F(MempoolPersonhoodTest, BatchRefusesExactlyTheBadProofs) {
  std::vector<Bytes> raw;
  for (uint64_t i = 0; i < 8; ++i) raw.push_back(Claim(i));
  // Tampered recipient: the proof is bound to the original one.
  types::Claim tampered = std::get<types::Claim>(types::DecodeTransaction(raw[2])->body);
  tampered.recipient = AccountOf(KeyFor(66));
  raw[2] = testing::EncodeClaim(tampered);
  // A proof of another citizen's claim under this one's nullifier slot: valid points,
  // wrong statement (cohort 1 set, cohort 0 claim).
  types::Claim moved = std::get<types::Claim>(types::DecodeTransaction(raw[5])->body);
  types::Claim other = testing::MakeClaim(kv_, kChain, 17, 0, moved.recipient);
  moved.proof = other.proof;
  raw[5] = testing::EncodeClaim(moved);
  std::vector<ByteView> views(raw.begin(), raw.end());
  auto outs = pool_->AdmitBatch(views);
  for (size_t i = 0; i < raw.size(); ++i) {
    if (i == 2 || i == 5) {
      EXPECT_EQ(outs[i].code, TxCode::kBadProof) << i << ": " << outs[i].message;
    } else {
      EXPECT_TRUE(outs[i].ok()) << i << ": " << outs[i].message;
    }
  }
  EXPECT_EQ(pool_->size(), 6u);
}

TEST_F(MempoolPersonhoodTest, RefusesClaimsForEpochsNotOpenOrCohortsWithoutSnapshot) {
  types::Claim c = testing::MakeClaim(kv_, kChain, 1, 0, AccountOf(KeyFor(9)));
  types::Claim future = c;
  future.epoch = 1;  // its snapshot is not frozen yet
  EXPECT_EQ(pool_->Admit(testing::EncodeClaim(future)).code, TxCode::kEpochNotOpen);
  types::Claim nowhere = c;
  nowhere.cohort = 7;  // 20 citizens fill cohorts 0 and 1 only
  EXPECT_EQ(pool_->Admit(testing::EncodeClaim(nowhere)).code, TxCode::kNoSnapshot);
  types::Claim garbage = c;
  garbage.proof.assign(garbage.proof.size(), 0xff);
  EXPECT_EQ(pool_->Admit(testing::EncodeClaim(garbage)).code, TxCode::kBadProof);
  EXPECT_EQ(pool_->size(), 0u);
}

TEST_F(MempoolPersonhoodTest, ReapTakesAtMostMaxClaimsPerBlock) {
  testing::PersonhoodSpec spec;
  spec.max_claims_per_block = 2;
  kv_ = ledger::MemoryKv();
  Init(spec);
  for (uint64_t i = 0; i < 4; ++i) ASSERT_TRUE(pool_->Admit(Claim(i)).ok());
  ASSERT_TRUE(pool_->Admit(SignedTransfer(KeyFor(1), TransferSpec{.chain_id = kChain})).ok());
  auto reaped = pool_->Reap(100, 1 << 20);
  size_t claims = 0;
  for (const auto& p : reaped) claims += p->tx.kind() == types::TxKind::kClaim ? 1 : 0;
  EXPECT_EQ(claims, 2u);
  EXPECT_EQ(reaped.size(), 3u);
}

TEST_F(MempoolPersonhoodTest, CommitDropsClaimsWithUsedNullifiersAndClosedEpochs) {
  testing::PersonhoodSpec spec;
  spec.epoch_blocks = 3;
  spec.claim_window = 1;
  kv_ = ledger::MemoryKv();
  Init(spec);
  const Bytes a = Claim(1);
  const Bytes b = Claim(2);
  ASSERT_TRUE(pool_->Admit(a).ok());
  ASSERT_TRUE(pool_->Admit(b).ok());
  // Block 1 carries another proof by citizen 2: b's nullifier is used now.
  auto results = Commit({Claim(2, 0, 12)});
  ASSERT_TRUE(results.at(0).ok()) << results[0].message;
  EXPECT_NE(pool_->Get(types::TransactionHash(a)), nullptr);
  EXPECT_EQ(pool_->Get(types::TransactionHash(b)), nullptr);
  // After block 2 the next block opens epoch 1; with a window of one epoch, a's closes.
  Commit({});
  EXPECT_EQ(pool_->Get(types::TransactionHash(a)), nullptr);
  EXPECT_EQ(pool_->size(), 0u);
}

TEST_F(MempoolPersonhoodTest, RegistrationsAndRevocationsByTheirKeys) {
  const Ed25519PrivateKey attester = KeyFor(101);
  auto registration = [&](uint64_t secret, const std::string& handle, bool forge = false) {
    types::Attestation a;
    a.chain_id = kChain;
    a.identity = zk::Point::MulBase(zk::Scalar::FromU64(secret)).bytes();
    a.dedup_tag = types::DedupTag(types::DedupKey{1}, handle);
    a.expiry_epoch = 50;
    const Ed25519PrivateKey forger = KeyFor(102);
    types::SignAttestation(&a, forge ? forger : attester);
    a.attester = attester.public_key();
    types::Registration r{
        a, zk::proof::SchnorrProve(zk::Scalar::FromU64(secret), types::PossessionMessage(a))
               ->Encode()};
    return types::EncodeTransaction(types::Transaction{r});
  };
  AdmitOutcome ok = pool_->Admit(registration(555, "alice"));
  ASSERT_TRUE(ok.ok()) << ok.message;
  EXPECT_EQ(pool_->Admit(registration(555, "alice-2")).code, TxCode::kIdentityExists);
  EXPECT_EQ(pool_->Admit(registration(556, "bob", /*forge=*/true)).code, TxCode::kBadSignature);
  types::Revocation rev;
  rev.chain_id = kChain;
  rev.identity = zk::Point::MulBase(testing::CitizenSecret(0)).bytes();
  types::SignRevocation(&rev, attester);
  ASSERT_TRUE(pool_->Admit(types::EncodeTransaction(types::Transaction{rev})).ok());
  EXPECT_EQ(pool_->size(), 2u);
  auto results = Commit({pool_->Reap(10, 1 << 20)[0]->bytes, pool_->Reap(10, 1 << 20)[1]->bytes});
  for (const auto& r : results) EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(pool_->size(), 0u);
}

// ---- Governance: proposals and ballots (real proofs, cohorts of 16) ----

constexpr uint64_t kDeposit = 50'000;

class MempoolGovernanceTest : public MempoolPersonhoodTest {
 protected:
  // Epochs of 3 blocks and rounds of 1 epoch: round r >= 1 is blocks [3r, 3r + 3), so
  // its ballots may go in blocks up to 3r + 2.
  void SetUp() override { InitGov(2048); }
  void InitGov(uint32_t max_proofs, uint32_t max_proposals = 64) {
    testing::PersonhoodSpec spec;
    spec.epoch_blocks = 3;
    spec.max_claims_per_block = max_proofs;
    ledger::GovernanceParams gp;
    gp.round_epochs = 1;
    gp.voice_credits = 100;
    gp.proposal_deposit = kDeposit;
    gp.max_proposals_per_round = max_proposals;
    kv_ = ledger::MemoryKv();
    Init(spec, gp);
  }
  Bytes Proposal(uint64_t nonce, uint64_t deposit = kDeposit) {
    return testing::SignedProposal(KeyFor(1),
                                   {.chain_id = kChain, .nonce = nonce, .deposit = deposit});
  }
  Bytes Ballot(uint64_t citizen, std::vector<types::BallotEntry> entries,
               const testing::BallotOverrides& o = {}) {
    return types::EncodeTransaction(
        types::Transaction{testing::MakeBallot(kv_, kChain, citizen, std::move(entries), o)});
  }
  uint64_t Round() const {
    return ledger::governance::ReadRound(ledger::RegistryStore(&kv_)).value().round;
  }
  // Commits a proposal in round 0, then empty blocks into round 1, where it is voted.
  void ProposeThenEnterRound1() {
    auto r = Commit({Proposal(0)});
    ASSERT_TRUE(r.at(0).ok()) << r[0].message;
    while (Round() < 1) Commit({});
  }
};

TEST_F(MempoolGovernanceTest, ProposalsQueueWithTheSendersTransfersByNonce) {
  const Bytes t0 = SignedTransfer(KeyFor(1), TransferSpec{.chain_id = kChain, .nonce = 0});
  const Bytes p1 = Proposal(1);
  const Bytes t2 = SignedTransfer(KeyFor(1), TransferSpec{.chain_id = kChain, .nonce = 2});
  EXPECT_EQ(pool_->Admit(Proposal(3)).code, TxCode::kNonceTooHigh);
  for (const Bytes& b : {t0, p1, t2}) {
    AdmitOutcome o = pool_->Admit(b);
    ASSERT_TRUE(o.ok()) << o.message;
  }
  auto p1_pending = pool_->Get(types::TransactionHash(p1));
  ASSERT_NE(p1_pending, nullptr);
  EXPECT_EQ(p1_pending->nonce, 1u);
  EXPECT_EQ(p1_pending->spend, kDeposit + 1000);
  EXPECT_EQ(p1_pending->sender, AccountOf(KeyFor(1)));
  auto reaped = pool_->Reap(100, 1 << 20);
  ASSERT_EQ(reaped.size(), 3u);
  EXPECT_EQ(reaped[1]->hash, types::TransactionHash(p1));
  // Refusals: a deposit other than the chain's, a forged signature, a second proposal for
  // nonce 1 (a pending transaction holds it).
  EXPECT_EQ(pool_->Admit(Proposal(3, kDeposit - 1)).code, TxCode::kDepositMismatch);
  types::Transaction forged = testing::MakeProposal(KeyFor(1), {.chain_id = kChain, .nonce = 3});
  std::get<types::GovernanceProposal>(forged.body).fee += 1;
  EXPECT_EQ(pool_->Admit(types::EncodeTransaction(forged)).code, TxCode::kBadSignature);
  EXPECT_EQ(pool_
                ->Admit(testing::SignedProposal(
                    KeyFor(1), {.chain_id = kChain, .nonce = 1, .fee = 2000, .deposit = kDeposit}))
                .code,
            TxCode::kNonceTooLow);
  // The pending spends count the deposit: 1,000,000 covers few deposits of 50,000 + fee.
  for (uint64_t n = 3; n < 40; ++n) {
    AdmitOutcome o = pool_->Admit(Proposal(n));
    if (!o.ok()) {
      EXPECT_EQ(o.code, TxCode::kInsufficientFunds) << o.message;
      EXPECT_LT(n, 22u);
      break;
    }
  }
  // Committing t0 and p1 keeps t2 pending as the sender's next nonce.
  auto results = Commit({t0, p1});
  ASSERT_TRUE(results.at(1).ok()) << results[1].message;
  EXPECT_NE(pool_->Get(types::TransactionHash(t2)), nullptr);
  EXPECT_EQ(pool_->Get(types::TransactionHash(p1)), nullptr);
}

TEST_F(MempoolGovernanceTest, AdmitsAVerifiedBallotOncePerNullifier) {
  ProposeThenEnterRound1();
  const Bytes first = Ballot(3, {{0, 5}});
  AdmitOutcome ok = pool_->Admit(first);
  ASSERT_TRUE(ok.ok()) << ok.message;
  EXPECT_TRUE(pool_->ProofVerified(ok.hash));
  EXPECT_EQ(pool_->Admit(first).code, TxCode::kAlreadyKnown);
  // The same citizen changes their mind while the first is pending: refused.
  AdmitOutcome second = pool_->Admit(Ballot(3, {{0, -5}}));
  EXPECT_EQ(second.code, TxCode::kBallotRevisions) << second.message;
  EXPECT_FALSE(pool_->ProofVerified(second.hash));
  // Once the first is committed the replacement is admitted (a revision in the ledger).
  auto results = Commit({first});
  ASSERT_TRUE(results.at(0).ok()) << results[0].message;
  AdmitOutcome replacement = pool_->Admit(Ballot(3, {{0, -5}}));
  EXPECT_TRUE(replacement.ok()) << replacement.message;
}

TEST_F(MempoolGovernanceTest, RefusesTamperedClosedRoundAndOverBudgetBallots) {
  ProposeThenEnterRound1();
  // The vote changed after proving: the proof is bound to the entries.
  types::Ballot tampered = testing::MakeBallot(kv_, kChain, 2, {{0, 3}});
  tampered.entries[0].vote = 9;
  // A proof in another round's context.
  const Bytes other_context = Ballot(4, {{0, 1}}, {.context_round = 0});
  std::vector<Bytes> raw = {types::EncodeTransaction(types::Transaction{tampered}),
                            Ballot(1, {{0, 10}}), other_context};
  auto outs = pool_->AdmitBatch(std::vector<ByteView>(raw.begin(), raw.end()));
  EXPECT_EQ(outs[0].code, TxCode::kBadProof) << outs[0].message;
  EXPECT_TRUE(outs[1].ok()) << outs[1].message;  // 10^2 = 100: exactly the budget
  EXPECT_EQ(outs[2].code, TxCode::kBadProof) << outs[2].message;
  EXPECT_EQ(pool_->Admit(Ballot(5, {{0, 11}})).code, TxCode::kBallotOverBudget);
  EXPECT_EQ(pool_->Admit(Ballot(6, {{0, 1}}, {.round = 0})).code, TxCode::kRoundNotOpen);
  EXPECT_EQ(pool_->Admit(Ballot(7, {{1, 1}})).code, TxCode::kBallotInvalid);  // no proposal 1
  EXPECT_EQ(pool_->size(), 1u);
}

TEST_F(MempoolGovernanceTest, BallotsLeaveWhenTheirRoundClosesBeforeTheNextBlock) {
  ProposeThenEnterRound1();  // block 3 opened round 1; blocks 3..5 are round 1
  const Bytes early = Ballot(1, {{0, 1}});
  ASSERT_TRUE(pool_->Admit(early).ok());
  Commit({});  // block 4: the next block (5) is still in round 1
  EXPECT_NE(pool_->Get(types::TransactionHash(early)), nullptr);
  Commit({});  // block 5: the next block (6) opens round 2
  EXPECT_EQ(pool_->Get(types::TransactionHash(early)), nullptr);
  const AdmitOutcome late = pool_->Admit(Ballot(2, {{0, 1}}));
  EXPECT_EQ(late.code, TxCode::kRoundNotOpen) << late.message;
}

TEST_F(MempoolGovernanceTest, ClaimsAndBallotsShareThePerBlockBudget) {
  InitGov(3);
  ProposeThenEnterRound1();
  for (uint64_t i = 0; i < 2; ++i) ASSERT_TRUE(pool_->Admit(Claim(i, 1)).ok());
  for (uint64_t i = 2; i < 4; ++i) ASSERT_TRUE(pool_->Admit(Ballot(i, {{0, 1}})).ok());
  auto reaped = pool_->Reap(100, 1 << 20);
  EXPECT_EQ(reaped.size(), 3u);
}

TEST_F(MempoolGovernanceTest, ProposalsPastTheRoundsRoomAreRefusedAtAdmission) {
  InitGov(2048, /*max_proposals=*/3);
  ASSERT_TRUE(Commit({Proposal(0)}).at(0).ok());  // round 0 holds 1 of 3
  // Room for two more: both pending, then the pool refuses a third (the block would).
  ASSERT_TRUE(pool_->Admit(Proposal(1)).ok());
  ASSERT_TRUE(pool_->Admit(Proposal(2)).ok());
  AdmitOutcome over = pool_->Admit(Proposal(3));
  EXPECT_EQ(over.code, TxCode::kProposalsPerRound) << over.message;
  EXPECT_NE(over.message.find("pending"), std::string::npos) << over.message;
  // A transfer of the same sender is not held up by it.
  const Bytes t3 = SignedTransfer(KeyFor(1), TransferSpec{.chain_id = kChain, .nonce = 3});
  ASSERT_TRUE(pool_->Admit(t3).ok());
  EXPECT_EQ(pool_->size(), 3u);
  // The block takes the two; the round is full, so the ledger's own check refuses more.
  std::vector<Bytes> block;
  for (const auto& p : pool_->Reap(100, 1 << 20)) block.push_back(p->bytes);
  for (const ledger::TxResult& r : Commit(block)) ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(pool_->size(), 0u);
  EXPECT_EQ(pool_->Admit(Proposal(4)).code, TxCode::kProposalsPerRound);
  // The next round has room again: the pending count left with the committed proposals.
  while (Round() < 1) Commit({});
  for (uint64_t n = 4; n < 7; ++n) {
    AdmitOutcome o = pool_->Admit(Proposal(n));
    ASSERT_TRUE(o.ok()) << n << ": " << o.message;
  }
  EXPECT_EQ(pool_->Admit(Proposal(7)).code, TxCode::kProposalsPerRound);
}

}  // namespace
}  // namespace hito::node::mempool
