// Ledger and bank: genesis, every transfer reject code (through ApplyBlock and
// CheckTransaction), replays, wrong-chain and forged signatures, fee burning and supply
// conservation over seeded random blocks, determinism across two ledgers, record proofs,
// the root committing to every record, and restart from committed ChangeSets.
#include "consensus/ledger/ledger.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/ed25519.h"
#include "consensus/ledger/records.h"
#include "consensus/ledger/state_tree.h"
#include "consensus/types/transaction.h"
#include "tests/support/ledger.h"

namespace hito::consensus::ledger {
namespace {

constexpr char kChain[] = "hito-test-1";
constexpr uint64_t kMinFee = 1000;
constexpr uint64_t kStartBalance = 1'000'000;

Ed25519PrivateKey KeyFor(int i) {
  Ed25519Seed seed{};
  seed[0] = static_cast<uint8_t>(i);
  seed[1] = static_cast<uint8_t>(i >> 8);
  seed[31] = 0x5A;
  return Ed25519PrivateKey::FromSeed(seed);
}

types::Transaction Tx(const Ed25519PrivateKey& from, uint64_t nonce, const types::AccountId& to,
                      uint64_t amount, uint64_t fee = kMinFee, std::string chain = kChain) {
  types::Transfer t;
  t.chain_id = std::move(chain);
  t.sender = from.public_key();
  t.nonce = nonce;
  t.fee = fee;
  t.to = to;
  t.amount = amount;
  types::SignTransfer(&t, from);
  return types::Transaction{t};
}

types::BlockHeader Header(uint64_t height, std::string chain = kChain) {
  return hito::testing::HeaderAt(chain, height);
}

// A chain with `n` funded accounts, committed to a MemoryKv.
class Chain {
 public:
  explicit Chain(int n, uint64_t balance = kStartBalance) {
    Genesis g;
    g.chain_id = kChain;
    g.params.min_fee = kMinFee;
    for (int i = 0; i < n; ++i) {
      keys.push_back(KeyFor(i));
      ids.push_back(types::AccountIdFromPublicKey(keys.back().public_key()));
      g.accounts.push_back({ids.back(), balance});
    }
    auto out = Ledger::InitGenesis(g);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    kv.Apply(out->changes);
    genesis_root = out->state_root;
  }

  Ledger ledger() const { return Ledger(kChain, &kv); }

  BlockOutcome Apply(const std::vector<types::Transaction>& txs,
                     SignatureCheck sigs = SignatureCheck::kVerify) {
    const uint64_t h = *ledger().Height();
    auto out = ledger().ApplyBlock(Header(h + 1), txs, sigs);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    kv.Apply(out->changes);
    return *out;
  }

  Account Get(int i) const { return *ledger().GetAccount(ids[static_cast<size_t>(i)]); }

  MemoryKv kv;
  std::vector<Ed25519PrivateKey> keys;
  std::vector<types::AccountId> ids;
  Hash32 genesis_root{};
};

uint64_t SumOfBalances(const MemoryKv& kv) {
  uint64_t sum = 0;
  for (const auto& [k, v] : kv.entries()) {
    if (k.size() == 34 && k[0] == 'a' && k[1] == '/') sum += DecodeAccount(v)->balance;
  }
  return sum;
}

using hito::testing::RootFromRecords;

TEST(TxCodeName, EveryCodeHasItsOwnName) {
  std::set<std::string_view> names;
  for (int c = 0; c <= static_cast<int>(kLastTxCode); ++c) {
    const std::string_view name = TxCodeName(static_cast<TxCode>(c));
    EXPECT_NE(name, "TX_UNKNOWN") << "code " << c << " has no name";
    EXPECT_TRUE(names.insert(name).second) << name << " names two codes";
  }
  EXPECT_EQ(TxCodeName(static_cast<TxCode>(static_cast<int>(kLastTxCode) + 1)), "TX_UNKNOWN");
}

TEST(TxCodeName, NamesAreStable) {
  EXPECT_EQ(TxCodeName(TxCode::kOk), "TX_OK");
  EXPECT_EQ(TxCodeName(TxCode::kMalformed), "TX_MALFORMED");
  EXPECT_EQ(TxCodeName(TxCode::kUnsupportedKind), "TX_UNSUPPORTED_KIND");
  EXPECT_EQ(TxCodeName(TxCode::kWrongChain), "TX_WRONG_CHAIN");
  EXPECT_EQ(TxCodeName(TxCode::kBadSignature), "TX_BAD_SIGNATURE");
  EXPECT_EQ(TxCodeName(TxCode::kNonceTooLow), "TX_NONCE_TOO_LOW");
  EXPECT_EQ(TxCodeName(TxCode::kNonceTooHigh), "TX_NONCE_TOO_HIGH");
  EXPECT_EQ(TxCodeName(TxCode::kInsufficientFunds), "TX_INSUFFICIENT_FUNDS");
  EXPECT_EQ(TxCodeName(TxCode::kFeeTooLow), "TX_FEE_TOO_LOW");
  EXPECT_EQ(TxCodeName(TxCode::kZeroAmount), "TX_ZERO_AMOUNT");
  EXPECT_EQ(TxCodeName(TxCode::kSelfTransfer), "TX_SELF_TRANSFER");
  EXPECT_EQ(TxCodeName(TxCode::kAmountOverflow), "TX_AMOUNT_OVERFLOW");
  EXPECT_EQ(TxCodeName(TxCode::kMempoolFull), "TX_MEMPOOL_FULL");
  EXPECT_EQ(TxCodeName(TxCode::kAlreadyKnown), "TX_ALREADY_KNOWN");
  EXPECT_EQ(TxCodeName(TxCode::kTooLarge), "TX_TOO_LARGE");
  EXPECT_EQ(TxCodeName(TxCode::kStateUnavailable), "TX_STATE_UNAVAILABLE");
}

TEST(Genesis, WritesAccountsParamsSupplyAndRoot) {
  Chain c(5);
  Ledger l = c.ledger();
  EXPECT_EQ(*l.Height(), 0u);
  EXPECT_EQ(*l.StateRoot(), c.genesis_root);
  EXPECT_EQ(*l.Supply(), 5 * kStartBalance);
  EXPECT_EQ(l.GetParams()->min_fee, kMinFee);
  EXPECT_EQ(c.Get(3), (Account{kStartBalance, 0}));
  EXPECT_EQ(*l.GetAccount(types::AccountId{}), Account{});  // unknown: empty account
  EXPECT_EQ(RootFromRecords(c.kv), c.genesis_root);
  EXPECT_EQ(*StateTree(&c.kv).Root(), c.genesis_root);
}

TEST(Genesis, RejectsBadGenesis) {
  Genesis g;
  g.chain_id = kChain;
  const auto id = types::AccountIdFromPublicKey(KeyFor(1).public_key());
  g.accounts = {{id, 5}, {id, 6}};
  EXPECT_EQ(Ledger::InitGenesis(g).status().code(), StatusCode::kInvalidArgument);
  g.accounts = {{id, 0}};
  EXPECT_EQ(Ledger::InitGenesis(g).status().code(), StatusCode::kInvalidArgument);
  g.accounts = {{id, UINT64_MAX}, {types::AccountIdFromPublicKey(KeyFor(2).public_key()), 1}};
  EXPECT_EQ(Ledger::InitGenesis(g).status().code(), StatusCode::kInvalidArgument);
  g.accounts = {{id, 5}};
  g.chain_id = "";
  EXPECT_EQ(Ledger::InitGenesis(g).status().code(), StatusCode::kInvalidArgument);
  g.chain_id = std::string(65, 'x');
  EXPECT_EQ(Ledger::InitGenesis(g).status().code(), StatusCode::kInvalidArgument);
}

TEST(Ledger, EmptyStateReportsMissingGenesis) {
  MemoryKv kv;
  Ledger l(kChain, &kv);
  EXPECT_EQ(l.Height().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(l.StateRoot().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(l.ApplyBlock(Header(1), {}, SignatureCheck::kVerify).ok());
}

TEST(Bank, ValidTransferMovesFundsBurnsFeeAndBumpsNonce) {
  Chain c(3);
  BlockOutcome out = c.Apply({Tx(c.keys[0], 0, c.ids[1], 250'000, 1500)});
  ASSERT_EQ(out.results.size(), 1u);
  EXPECT_TRUE(out.results[0].ok()) << out.results[0].message;
  EXPECT_EQ(out.results[0].fee_burned, 1500u);
  EXPECT_EQ(c.Get(0), (Account{kStartBalance - 250'000 - 1500, 1}));
  EXPECT_EQ(c.Get(1), (Account{kStartBalance + 250'000, 0}));
  EXPECT_EQ(*c.ledger().Supply(), 3 * kStartBalance - 1500);
  EXPECT_EQ(SumOfBalances(c.kv), *c.ledger().Supply());
  EXPECT_EQ(*c.ledger().Height(), 1u);
  EXPECT_EQ(*c.ledger().StateRoot(), out.state_root);
  EXPECT_NE(out.state_root, c.genesis_root);
  EXPECT_EQ(RootFromRecords(c.kv), out.state_root);
  // A transfer to a new account creates it.
  types::AccountId fresh{};
  fresh[0] = 0xEE;
  c.Apply({Tx(c.keys[1], 0, fresh, 7)});
  EXPECT_EQ(*c.ledger().GetAccount(fresh), (Account{7, 0}));
  EXPECT_EQ(SumOfBalances(c.kv), *c.ledger().Supply());
}

struct RejectCase {
  const char* name;
  TxCode code;
};

TEST(Bank, EachRejectCodeChangesNothing) {
  Chain c(3);
  const auto& k0 = c.keys[0];
  const auto& to = c.ids[1];
  types::Transaction long_memo = Tx(k0, 0, to, 5);
  std::get<types::Transfer>(long_memo.body).memo.assign(257, 0x41);
  types::SignTransfer(&std::get<types::Transfer>(long_memo.body), k0);
  types::Transaction forged = Tx(k0, 0, to, 5);
  std::get<types::Transfer>(forged.body).amount = 500'000;  // signature covered 5
  types::Transaction signed_by_other = Tx(k0, 0, to, 5);
  types::SignTransfer(&std::get<types::Transfer>(signed_by_other.body), c.keys[2]);

  const std::vector<std::pair<types::Transaction, TxCode>> cases = {
      {long_memo, TxCode::kMalformed},
      {Tx(k0, 0, to, 5, kMinFee, "other-chain"), TxCode::kWrongChain},
      {forged, TxCode::kBadSignature},
      {signed_by_other, TxCode::kBadSignature},
      {Tx(k0, 1, to, 5), TxCode::kNonceTooHigh},
      {Tx(k0, 0, to, kStartBalance), TxCode::kInsufficientFunds},  // + fee is too much
      {Tx(k0, 0, to, kStartBalance - kMinFee + 1), TxCode::kInsufficientFunds},
      {Tx(k0, 0, to, 5, kMinFee - 1), TxCode::kFeeTooLow},
      {Tx(k0, 0, to, 0), TxCode::kZeroAmount},
      {Tx(k0, 0, c.ids[0], 5), TxCode::kSelfTransfer},
      {Tx(k0, 0, to, UINT64_MAX - 10), TxCode::kAmountOverflow},
      {Tx(c.keys[2], 0, types::AccountIdFromPublicKey(KeyFor(99).public_key()), 5, kMinFee),
       TxCode::kOk},
  };
  for (const auto& [tx, code] : cases) {
    // Admission check.
    TxResult checked = c.ledger().CheckTransaction(tx, 0, SignatureCheck::kVerify);
    EXPECT_EQ(checked.code, code) << TxCodeName(code) << ": " << checked.message;
    if (code != TxCode::kOk) {
      EXPECT_FALSE(checked.message.empty());
      EXPECT_EQ(checked.fee_burned, 0u);
    }
  }
  // Execution: all the invalid ones in one block change nothing but the height.
  std::vector<types::Transaction> invalid;
  for (const auto& [tx, code] : cases) {
    if (code != TxCode::kOk) invalid.push_back(tx);
  }
  const Hash32 before = *c.ledger().StateRoot();
  BlockOutcome out = c.Apply(invalid);
  ASSERT_EQ(out.results.size(), invalid.size());
  size_t i = 0;
  for (const auto& [tx, code] : cases) {
    if (code == TxCode::kOk) continue;
    EXPECT_EQ(out.results[i].code, code) << "tx " << i << ": " << out.results[i].message;
    ++i;
  }
  EXPECT_EQ(out.state_root, before);
  EXPECT_EQ(out.changes.size(), 2u);  // m/height and m/root only
  EXPECT_EQ(c.Get(0), (Account{kStartBalance, 0}));
  EXPECT_EQ(*c.ledger().Supply(), 3 * kStartBalance);
}

TEST(Bank, NonceTooLowAndReplaysAreRejected) {
  Chain c(2);
  const types::Transaction tx = Tx(c.keys[0], 0, c.ids[1], 100);
  BlockOutcome first = c.Apply({tx, tx});  // the duplicate inside the block is a replay
  EXPECT_TRUE(first.results[0].ok());
  EXPECT_EQ(first.results[1].code, TxCode::kNonceTooLow);
  BlockOutcome again = c.Apply({tx});  // and so is the same bytes in a later block
  EXPECT_EQ(again.results[0].code, TxCode::kNonceTooLow);
  EXPECT_EQ(c.ledger().CheckTransaction(tx, 0, SignatureCheck::kVerify).code, TxCode::kNonceTooLow);
  EXPECT_EQ(c.Get(1).balance, kStartBalance + 100);
  EXPECT_EQ(c.Get(0).nonce, 1u);
}

TEST(Bank, CheckTransactionCountsPendingTransactions) {
  Chain c(2);
  Ledger l = c.ledger();
  EXPECT_TRUE(l.CheckTransaction(Tx(c.keys[0], 2, c.ids[1], 1), 2, SignatureCheck::kVerify).ok());
  EXPECT_EQ(l.CheckTransaction(Tx(c.keys[0], 1, c.ids[1], 1), 2, SignatureCheck::kVerify).code,
            TxCode::kNonceTooLow);
  EXPECT_EQ(l.CheckTransaction(Tx(c.keys[0], 3, c.ids[1], 1), 2, SignatureCheck::kVerify).code,
            TxCode::kNonceTooHigh);
}

TEST(Bank, SequentialTransfersInOneBlockSeeEachOther) {
  Chain c(3);
  // 0 -> 1 everything it can, then 1 spends more than its genesis balance in the same block.
  const uint64_t amount = kStartBalance - kMinFee;
  BlockOutcome out =
      c.Apply({Tx(c.keys[0], 0, c.ids[1], amount), Tx(c.keys[1], 0, c.ids[2], kStartBalance + 1),
               Tx(c.keys[0], 1, c.ids[2], 1),  // 0 is now empty
               Tx(c.keys[1], 1, c.ids[2], 1)});
  EXPECT_TRUE(out.results[0].ok());
  EXPECT_TRUE(out.results[1].ok()) << out.results[1].message;
  EXPECT_EQ(out.results[2].code, TxCode::kInsufficientFunds);
  EXPECT_TRUE(out.results[3].ok());
  EXPECT_EQ(c.Get(0), (Account{0, 1}));
  EXPECT_EQ(SumOfBalances(c.kv), *c.ledger().Supply());
  EXPECT_EQ(*c.ledger().Supply(), 3 * kStartBalance - 3 * kMinFee);
}

TEST(Bank, SignatureCheckModes) {
  Chain c(2);
  types::Transaction forged = Tx(c.keys[0], 0, c.ids[1], 5);
  std::get<types::Transfer>(forged.body).signature[10] ^= 0x01;
  EXPECT_EQ(c.ledger().CheckTransaction(forged, 0, SignatureCheck::kVerify).code,
            TxCode::kBadSignature);
  auto out = c.ledger().ApplyBlock(Header(1), {forged}, SignatureCheck::kVerify);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->results[0].code, TxCode::kBadSignature);
  // kAlreadyVerified trusts the caller (the mempool checked it): only for blocks whose
  // signatures were verified before.
  out = c.ledger().ApplyBlock(Header(1), {forged}, SignatureCheck::kAlreadyVerified);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->results[0].ok());
}

TEST(Ledger, BlockMustFollowHeightAndChain) {
  Chain c(2);
  Ledger l = c.ledger();
  EXPECT_EQ(l.ApplyBlock(Header(2), {}, SignatureCheck::kVerify).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(l.ApplyBlock(Header(0), {}, SignatureCheck::kVerify).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_FALSE(l.ApplyBlock(Header(1, "other-chain"), {}, SignatureCheck::kVerify).ok());
  // A ledger for another chain over this state refuses to run it.
  Ledger wrong("other-chain", &c.kv);
  EXPECT_FALSE(wrong.ApplyBlock(Header(1, "other-chain"), {}, SignatureCheck::kVerify).ok());
  c.Apply({});
  EXPECT_EQ(*c.ledger().Height(), 1u);
  EXPECT_EQ(*c.ledger().StateRoot(), c.genesis_root);  // an empty block changes no record
}

// Random blocks mixing valid and invalid transfers, from a seed.
std::vector<types::Transaction> RandomBlock(std::mt19937_64& rng, const Chain& c,
                                            std::map<int, uint64_t>* next_nonce, int txs) {
  std::vector<types::Transaction> block;
  const int n = static_cast<int>(c.keys.size());
  for (int i = 0; i < txs; ++i) {
    const int from = static_cast<int>(rng() % static_cast<uint64_t>(n));
    int to = static_cast<int>(rng() % static_cast<uint64_t>(n));
    uint64_t nonce = (*next_nonce)[from];
    uint64_t amount = 1 + rng() % 50'000;
    uint64_t fee = kMinFee + rng() % 3000;
    switch (rng() % 10) {
      case 0:
        nonce += 1;  // gap
        break;
      case 1:
        amount = kStartBalance * 10;  // too much
        break;
      case 2:
        to = from;  // self
        break;
      default:
        break;
    }
    if (to == from && rng() % 2 == 0) to = (to + 1) % n;
    block.push_back(
        Tx(c.keys[static_cast<size_t>(from)], nonce, c.ids[static_cast<size_t>(to)], amount, fee));
    if (nonce == (*next_nonce)[from] && to != from && amount < kStartBalance) {
      ++(*next_nonce)[from];  // probably valid; the ledger decides
    }
  }
  return block;
}

TEST(Bank, FeesAreBurnedAndSupplyConservedOverRandomBlocks) {
  std::mt19937_64 rng(424242);
  Chain c(20);
  std::map<int, uint64_t> nonces;
  uint64_t supply = *c.ledger().Supply();
  size_t ok_count = 0;
  for (int b = 0; b < 25; ++b) {
    // Track the real nonces (the generator guesses; rejected txs leave gaps).
    for (int i = 0; i < 20; ++i) nonces[i] = c.Get(i).nonce;
    BlockOutcome out = c.Apply(RandomBlock(rng, c, &nonces, 30));
    uint64_t burned = 0;
    for (const TxResult& r : out.results) {
      burned += r.fee_burned;
      if (r.ok()) {
        ++ok_count;
        EXPECT_GE(r.fee_burned, kMinFee);
      } else {
        EXPECT_EQ(r.fee_burned, 0u);
      }
    }
    supply -= burned;
    ASSERT_EQ(*c.ledger().Supply(), supply) << "block " << b;
    ASSERT_EQ(SumOfBalances(c.kv), supply) << "block " << b;
    ASSERT_EQ(RootFromRecords(c.kv), out.state_root) << "block " << b;
  }
  EXPECT_GT(ok_count, 100u);
}

TEST(Ledger, TwoLedgersApplyingTheSameBlocksAgreeExactly) {
  std::mt19937_64 rng(777);
  Chain a(15), b(15);
  ASSERT_EQ(a.genesis_root, b.genesis_root);
  ASSERT_EQ(a.kv.entries(), b.kv.entries());
  std::map<int, uint64_t> nonces;
  for (int blk = 0; blk < 15; ++blk) {
    for (int i = 0; i < 15; ++i) nonces[i] = a.Get(i).nonce;
    const auto txs = RandomBlock(rng, a, &nonces, 25);
    BlockOutcome oa = a.Apply(txs);
    BlockOutcome ob = b.Apply(txs);
    ASSERT_EQ(oa.changes, ob.changes) << "block " << blk;
    ASSERT_EQ(oa.state_root, ob.state_root);
    for (size_t i = 0; i < oa.results.size(); ++i) {
      ASSERT_EQ(oa.results[i].code, ob.results[i].code);
      ASSERT_EQ(oa.results[i].message, ob.results[i].message);
    }
  }
  EXPECT_EQ(a.kv.entries(), b.kv.entries());
}

TEST(Ledger, StateRootCommitsToEveryBalance) {
  // Changing any single account's genesis balance by one unit changes the root.
  Chain base(8);
  std::set<Hash32> roots = {base.genesis_root};
  for (int i = 0; i < 8; ++i) {
    Genesis g;
    g.chain_id = kChain;
    g.params.min_fee = kMinFee;
    for (int j = 0; j < 8; ++j) {
      g.accounts.push_back({base.ids[static_cast<size_t>(j)], kStartBalance + (i == j ? 1 : 0)});
    }
    auto out = Ledger::InitGenesis(g);
    ASSERT_TRUE(out.ok());
    EXPECT_TRUE(roots.insert(out->state_root).second) << "account " << i;
  }
  // And the params and chain id.
  Genesis g;
  g.chain_id = kChain;
  g.params.min_fee = kMinFee + 1;
  for (int j = 0; j < 8; ++j)
    g.accounts.push_back({base.ids[static_cast<size_t>(j)], kStartBalance});
  EXPECT_TRUE(roots.insert(Ledger::InitGenesis(g)->state_root).second);
  g.params.min_fee = kMinFee;
  g.chain_id = "hito-test-2";
  EXPECT_TRUE(roots.insert(Ledger::InitGenesis(g)->state_root).second);
}

TEST(Ledger, RecordProofsVerifyAgainstTheRoot) {
  Chain c(6);
  c.Apply({Tx(c.keys[0], 0, c.ids[1], 1234)});
  Ledger l = c.ledger();
  const Hash32 root = *l.StateRoot();
  const Bytes key = AccountKey(c.ids[1]);
  auto proof = l.ProveRecord(key);
  ASSERT_TRUE(proof.ok());
  const Bytes record = EncodeAccount(c.Get(1));
  EXPECT_TRUE(VerifyRecordProof(root, key, record, *proof));
  Account richer = c.Get(1);
  richer.balance += 1;
  EXPECT_FALSE(VerifyRecordProof(root, key, EncodeAccount(richer), *proof));
  EXPECT_FALSE(VerifyRecordProof(root, key, std::nullopt, *proof));
  // Absence of an account that was never funded.
  types::AccountId nobody{};
  nobody[5] = 1;
  auto absent = l.ProveRecord(AccountKey(nobody));
  ASSERT_TRUE(absent.ok());
  EXPECT_TRUE(VerifyRecordProof(root, AccountKey(nobody), std::nullopt, *absent));
  EXPECT_FALSE(VerifyRecordProof(root, AccountKey(nobody), EncodeAccount(Account{}), *absent));
  // The supply record too.
  auto sp = l.ProveRecord(KeyBytes(kSupplyKey));
  ASSERT_TRUE(sp.ok());
  EXPECT_TRUE(VerifyRecordProof(root, KeyBytes(kSupplyKey), EncodeU64(*l.Supply()), *sp));
  EXPECT_FALSE(VerifyRecordProof(root, KeyBytes(kSupplyKey), EncodeU64(*l.Supply() + 1), *sp));
}

TEST(Ledger, RestartFromCommittedChangeSetsGivesTheSameState) {
  std::mt19937_64 rng(31337);
  Chain c(10);
  std::map<int, uint64_t> nonces;
  for (int blk = 0; blk < 6; ++blk) {
    for (int i = 0; i < 10; ++i) nonces[i] = c.Get(i).nonce;
    c.Apply(RandomBlock(rng, c, &nonces, 20));
  }
  // A new store built only from the committed key-values, and a new Ledger over it.
  MemoryKv restarted;
  ChangeSet all;
  for (const auto& [k, v] : c.kv.entries()) all.Put(k, v);
  restarted.Apply(all);
  Ledger fresh(kChain, &restarted);
  EXPECT_EQ(*fresh.StateRoot(), *c.ledger().StateRoot());
  EXPECT_EQ(*fresh.Height(), 6u);
  EXPECT_EQ(*fresh.Supply(), *c.ledger().Supply());
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(*fresh.GetAccount(c.ids[static_cast<size_t>(i)]), c.Get(i));
  // And both continue identically.
  for (int i = 0; i < 10; ++i) nonces[i] = c.Get(i).nonce;
  const auto txs = RandomBlock(rng, c, &nonces, 20);
  auto from_fresh = fresh.ApplyBlock(Header(7), txs, SignatureCheck::kVerify);
  auto from_old = c.ledger().ApplyBlock(Header(7), txs, SignatureCheck::kVerify);
  ASSERT_TRUE(from_fresh.ok() && from_old.ok());
  EXPECT_EQ(from_fresh->changes, from_old->changes);
  EXPECT_EQ(from_fresh->state_root, from_old->state_root);
}

TEST(Records, DecodersRejectCorruptRecords) {
  EXPECT_EQ(DecodeAccount(Bytes(15, 0)).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(DecodeAccount(Bytes(17, 0)).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(DecodeParams(Bytes(9, 0)).status().code(), StatusCode::kDataLoss);  // version 0
  EXPECT_EQ(DecodeU64("supply", Bytes(7, 0)).status().code(), StatusCode::kDataLoss);
  const Account a{0x0102030405060708, 9};
  EXPECT_EQ(*DecodeAccount(EncodeAccount(a)), a);
  // A corrupt account record surfaces as a storage error from ApplyBlock, not a crash.
  Chain c(2);
  ChangeSet bad;
  bad.Put(AccountKey(c.ids[0]), Bytes{1, 2, 3});
  c.kv.Apply(bad);
  auto out =
      c.ledger().ApplyBlock(Header(1), {Tx(c.keys[0], 0, c.ids[1], 5)}, SignatureCheck::kVerify);
  EXPECT_EQ(out.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(
      c.ledger().CheckTransaction(Tx(c.keys[0], 0, c.ids[1], 5), 0, SignatureCheck::kVerify).code,
      TxCode::kStateUnavailable);
}

// A store that fails every read after the first `budget` ones.
class FailingKv : public KvReader {
 public:
  FailingKv(const KvReader* inner, int budget) : inner_(inner), budget_(budget) {}
  Status Get(ByteView key, std::optional<Bytes>* value) const override {
    if (budget_-- <= 0) return UnavailableError("disk on fire");
    return inner_->Get(key, value);
  }

 private:
  const KvReader* inner_;
  mutable int budget_;
};

TEST(Ledger, StorageFailuresAtAnyReadSurfaceAsErrors) {
  Chain c(30);
  std::vector<types::Transaction> txs;
  for (int i = 0; i < 10; ++i) {
    txs.push_back(Tx(c.keys[static_cast<size_t>(i)], 0, c.ids[static_cast<size_t>(i + 10)], 5));
  }
  auto good = c.ledger().ApplyBlock(Header(1), txs, SignatureCheck::kVerify);
  ASSERT_TRUE(good.ok());
  int failures = 0;
  for (int budget = 0;; ++budget) {
    FailingKv kv(&c.kv, budget);
    auto out = Ledger(kChain, &kv).ApplyBlock(Header(1), txs, SignatureCheck::kVerify);
    if (out.ok()) {
      // Enough reads succeeded: the result is the same as with a healthy store.
      EXPECT_EQ(out->changes, good->changes);
      EXPECT_EQ(out->state_root, good->state_root);
      break;
    }
    EXPECT_EQ(out.status().code(), StatusCode::kUnavailable) << out.status().ToString();
    ++failures;
    ASSERT_LT(budget, 10000);
  }
  EXPECT_GT(failures, 20);
}

}  // namespace
}  // namespace hito::consensus::ledger
