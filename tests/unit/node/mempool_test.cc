// Mempool admission, every refusal reason, limits, duplicates, nonce-ordered reaping and
// removal/re-checking after a commit, over a real ledger on an in-memory state.
#include "node/mempool/mempool.h"

#include <gtest/gtest.h>

#include <map>

#include "consensus/ledger/ledger.h"
#include "consensus/types/limits.h"
#include "tests/unit/node/testing.h"

namespace hito::node {
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
    return std::make_unique<Mempool>(kChain, limits, std::make_shared<ledger::MemoryKv>(kv_),
                                     [this](const Hash32& h) -> Result<std::optional<TxLocation>> {
                                       auto it = committed_.find(h);
                                       if (it == committed_.end())
                                         return std::optional<TxLocation>();
                                       return std::optional<TxLocation>(it->second);
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
      committed_[hash] = TxLocation{height, static_cast<uint32_t>(i), 0, "", raw[i]};
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
  std::map<Hash32, TxLocation> committed_;
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
  Bytes reserved = {types::kTxVersion, static_cast<uint8_t>(types::TxKind::kClaim), 0, 0};
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

}  // namespace
}  // namespace hito::node
