// Demurrage (consensus/ledger/demurrage.h and its use by the ledger): the decay rule and
// its rounding toward zero, checked against exact big-integer arithmetic on edge values,
// maximal balances and huge epoch gaps; the supply bound of docs/protocol/ubi.md checked
// at every epoch of 1,000 epochs of random transfers and credits with every account
// materialised; demurrage 0 leaving records and supply exactly as before; transfers of a
// decayed balance; fees; strict record encodings; and the supply's convergence to
// population x UBI / demurrage (the table in ubi.md is printed by ConvergenceTable).
#include "consensus/ledger/demurrage.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "base/ed25519.h"
#include "base/hex.h"
#include "consensus/ledger/ledger.h"
#include "consensus/ledger/records.h"
#include "consensus/types/transaction.h"
#include "tests/support/ledger.h"

namespace hito::consensus::ledger {
namespace {

using demurrage::Decay;
using demurrage::Factor;
using demurrage::kOne;
using demurrage::kPpm;
using demurrage::U128;

// A little unsigned big integer (base 2^32 limbs), enough to compare b * keep^k with
// v * 10^(6k) exactly.
using Big = std::vector<uint32_t>;

Big BigOf(uint64_t v) { return Big{static_cast<uint32_t>(v), static_cast<uint32_t>(v >> 32)}; }

void MulSmall(Big* a, uint32_t m) {
  uint64_t carry = 0;
  for (uint32_t& limb : *a) {
    const uint64_t t = uint64_t{limb} * m + carry;
    limb = static_cast<uint32_t>(t);
    carry = t >> 32;
  }
  if (carry != 0) a->push_back(static_cast<uint32_t>(carry));
}

int Compare(Big a, Big b) {
  while (!a.empty() && a.back() == 0) a.pop_back();
  while (!b.empty() && b.back() == 0) b.pop_back();
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  for (size_t i = a.size(); i-- > 0;) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

// The exact value x = balance * (1 - ppm/10^6)^k satisfies lo <= x < hi (as rationals).
bool ExactWithin(uint64_t balance, uint32_t ppm, uint64_t k, uint64_t lo, uint64_t hi) {
  Big x = BigOf(balance), low = BigOf(lo), high = BigOf(hi);
  if (hi == UINT64_MAX) high.push_back(1);  // hi stands for 2^64 here
  for (uint64_t i = 0; i < k; ++i) {
    MulSmall(&x, kPpm - ppm);
    MulSmall(&low, kPpm);
    MulSmall(&high, kPpm);
  }
  return Compare(low, x) <= 0 && Compare(x, high) < 0;
}

TEST(DemurrageRule, ZeroRateOrZeroEpochsIsIdentity) {
  for (uint64_t b : {uint64_t{0}, uint64_t{1}, uint64_t{999'999}, UINT64_MAX}) {
    EXPECT_EQ(Decay(b, 0, 1'000'000).value, b);
    EXPECT_EQ(Decay(b, 0, UINT64_MAX).value, b);
    EXPECT_EQ(Decay(b, 999'999, 0).value, b);
    EXPECT_EQ(Decay(b, 0, UINT64_MAX).cut, 0u);
  }
  EXPECT_EQ(Factor(0, 12345), kOne);
  EXPECT_EQ(Factor(7, 0), kOne);
}

TEST(DemurrageRule, RoundsTowardZeroOnEdgeValues) {
  // 1 unit at 1 ppm: 0.999999 rounds to 0, and the whole unit is the cut.
  EXPECT_EQ(Decay(1, 1, 1).value, 0u);
  EXPECT_EQ(Decay(1, 1, 1).cut, UINT64_MAX - 18'446'744'073'709u);  // 0.999999 * 2^64
  // Exact multiples decay exactly.
  EXPECT_EQ(Decay(1'000'000, 1, 1).value, 999'999u);
  EXPECT_EQ(Decay(1'000'000, 1, 1).cut, 0u);
  EXPECT_EQ(Decay(1'000'000, 10'000, 2).value, 980'100u);
  EXPECT_EQ(Decay(1'000'000'000'000, 10'000, 3).value, 970'299'000'000u);
  // One unit short of a multiple: 999,999 * 0.999999 = 999,998.000001 -> 999,998.
  EXPECT_EQ(Decay(999'999, 1, 1).value, 999'998u);
  // Below 10^6 / ppm every epoch takes at least one unit (the rule is floor, not round).
  EXPECT_EQ(Decay(99, 10'000, 1).value, 98u);
  EXPECT_EQ(Decay(100, 10'000, 1).value, 99u);
  // The largest rate.
  EXPECT_EQ(Decay(1'000'000, 999'999, 1).value, 1u);
  EXPECT_EQ(Decay(999'999, 999'999, 1).value, 0u);
}

TEST(DemurrageRule, MatchesExactArithmeticWithinTheDocumentedBound) {
  // value <= exact < value + 2 for every path (exact and fixed point); on the exact path
  // value = floor(exact). Seeded, so a failure replays.
  std::mt19937_64 rng(20261202);
  const uint32_t rates[] = {1, 7, 1000, 10'000, 123'456, 999'999};
  for (int i = 0; i < 600; ++i) {
    const uint32_t ppm = rates[static_cast<size_t>(i) % 6];
    const uint64_t k = 1 + rng() % 300;
    uint64_t b = rng() >> (rng() % 64);
    if (i % 50 == 0) b = UINT64_MAX;
    const demurrage::Decayed d = Decay(b, ppm, k);
    ASSERT_TRUE(
        ExactWithin(b, ppm, k, d.value, d.value >= UINT64_MAX - 1 ? UINT64_MAX : d.value + 2))
        << "b=" << b << " ppm=" << ppm << " k=" << k << " value=" << d.value;
    if (k <= demurrage::kExactEpochs) {
      ASSERT_TRUE(ExactWithin(b, ppm, k, d.value, d.value + 1)) << b << " " << ppm << " " << k;
    }
    ASSERT_LE(d.value, b);
  }
}

TEST(DemurrageRule, OverflowSafeAtMaxBalancesAndHugeGaps) {
  for (uint32_t ppm : {1u, 500u, 999'999u}) {
    for (uint64_t k :
         {uint64_t{4}, uint64_t{1} << 20, (uint64_t{1} << 40) - 1, uint64_t{1} << 40, UINT64_MAX}) {
      const demurrage::Decayed d = Decay(UINT64_MAX, ppm, k);
      EXPECT_LE(d.value, UINT64_MAX);
      EXPECT_LE(Factor(ppm, k), kOne);
    }
    EXPECT_EQ(Decay(UINT64_MAX, ppm, UINT64_MAX).value, 0u);
    EXPECT_EQ(Decay(UINT64_MAX, ppm, uint64_t{1} << 40).value, 0u);
  }
  // At 1 ppm, 2^20 epochs keep e^-1.048576 = 0.3504...: checked exactly within 2 units
  // by a bound on the big-integer side is too slow; check the fixed point is monotone.
  EXPECT_GE(Factor(1, 1'000'000), Factor(1, 1'000'001));
  EXPECT_EQ(Factor(999'999, 64), 0u);  // 10^-384 is below 2^-127
  // Factor never exceeds the exact power (lemma 1): r^2 vs the exact rational.
  const U128 f2 = Factor(10'000, 2);
  const U128 exact_floor = (kOne / 10'000) * 9'801 + ((kOne % 10'000) * 9'801) / 10'000;
  EXPECT_LE(f2, exact_floor);
  EXPECT_GE(f2 + 2 * 2, exact_floor);
}

Big BigOf128(U128 v) {
  Big out;
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint32_t>(v >> (32 * i)));
  return out;
}

TEST(DemurrageRule, FactorIsBelowTheExactPowerByLessThan2kUlps) {
  // Lemma 1 of ubi.md: F <= 2^127 r^k < F + 2k, i.e.
  // F * 10^(6k) <= 2^127 * keep^k < (F + 2k) * 10^(6k), for k = 1..300 and several rates.
  for (uint32_t ppm : {1u, 999u, 10'000u, 333'333u, 999'999u}) {
    for (uint64_t k = 1; k <= 300; ++k) {
      const U128 f = Factor(ppm, k);
      Big low = BigOf128(f), high = BigOf128(f + 2 * k), exact = BigOf128(kOne);
      for (uint64_t i = 0; i < k; ++i) {
        MulSmall(&low, kPpm);
        MulSmall(&high, kPpm);
        MulSmall(&exact, kPpm - ppm);
      }
      ASSERT_LE(Compare(low, exact), 0) << ppm << " " << k;
      ASSERT_LT(Compare(exact, high), 0) << ppm << " " << k;
    }
  }
}

constexpr char kChain[] = "hito-demurrage-1";
constexpr uint64_t kMinFee = 1000;

Ed25519PrivateKey KeyFor(int i) {
  Ed25519Seed seed{};
  seed[0] = static_cast<uint8_t>(i);
  seed[1] = static_cast<uint8_t>(i >> 8);
  seed[31] = 0xD3;
  return Ed25519PrivateKey::FromSeed(seed);
}

types::BlockHeader Header(uint64_t height) { return hito::testing::HeaderAt(kChain, height); }

// A chain with `n` funded accounts and the given demurrage params, over a MemoryKv.
class Chain {
 public:
  Chain(int n, uint64_t balance, uint64_t epoch_blocks, uint32_t ppm) {
    Genesis g;
    g.chain_id = kChain;
    g.params.min_fee = kMinFee;
    g.params.epoch_blocks = epoch_blocks;
    g.params.demurrage_ppm_per_epoch = ppm;
    for (int i = 0; i < n; ++i) {
      keys.push_back(KeyFor(i));
      ids.push_back(types::AccountIdFromPublicKey(keys.back().public_key()));
      if (balance != 0) g.accounts.push_back({ids.back(), balance});
    }
    auto out = Ledger::InitGenesis(g);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    kv.Apply(out->changes);
  }

  Ledger ledger() const { return Ledger(kChain, &kv); }

  types::Transaction Transfer(int from, int to, uint64_t amount, uint64_t fee = kMinFee) {
    types::Transfer t;
    t.chain_id = kChain;
    t.sender = keys[static_cast<size_t>(from)].public_key();
    t.nonce = nonces[from]++;
    t.fee = fee;
    t.to = ids[static_cast<size_t>(to)];
    t.amount = amount;
    types::SignTransfer(&t, keys[static_cast<size_t>(from)]);
    return types::Transaction{t};
  }

  BlockOutcome Apply(const std::vector<types::Transaction>& txs,
                     const std::vector<Ledger::CreditForTesting>& credits = {}) {
    const uint64_t h = *ledger().Height();
    auto out = ledger().ApplyBlockWithCreditsForTesting(Header(h + 1), txs, credits);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    kv.Apply(out->changes);
    return *out;
  }

  uint64_t Balance(int i) const {
    return ledger().GetAccount(ids[static_cast<size_t>(i)])->balance;
  }

  // Every account materialised at the committed height: the sum of balances, and the
  // number of account records with a nonzero stored balance.
  std::pair<uint64_t, uint64_t> SumAndNonzeroRecords() const {
    uint64_t sum = 0;
    for (size_t i = 0; i < ids.size(); ++i) sum += Balance(static_cast<int>(i));
    uint64_t nonzero = 0;
    for (const auto& [k, v] : kv.entries()) {
      if (k.size() == 34 && k[0] == 'a' && k[1] == '/' && DecodeAccount(v)->balance != 0) {
        ++nonzero;
      }
    }
    return {sum, nonzero};
  }

  MemoryKv kv;
  std::vector<Ed25519PrivateKey> keys;
  std::vector<types::AccountId> ids;
  std::map<int, uint64_t> nonces;
};

TEST(DemurrageLedger, SupplyBoundsTheSumOfBalancesAtEveryEpochOver1000Epochs) {
  // 24 accounts, 1,000 epochs of 2 blocks, random transfers (some with larger fees) and
  // credits standing in for claims, 1% demurrage per epoch.
  constexpr int kAccounts = 24;
  Chain c(kAccounts, 5'000'000, /*epoch_blocks=*/2, /*ppm=*/10'000);
  std::mt19937_64 rng(1000);
  uint64_t max_gap = 0;
  for (uint64_t epoch = 1; epoch <= 1000; ++epoch) {
    for (int b = 0; b < 2; ++b) {
      std::vector<types::Transaction> txs;
      const bool new_epoch = (*c.ledger().Height() + 1) % 2 == 0;
      const int first = static_cast<int>(rng() % kAccounts);
      for (int t = 0; t < 3; ++t) {
        const int from = (first + t) % kAccounts;  // distinct senders in one block
        const int to = (from + 1 + static_cast<int>(rng() % (kAccounts - 1))) % kAccounts;
        const uint64_t fee = kMinFee + rng() % 3 * 777;
        uint64_t held = c.Balance(from);
        // The next block may decay it once more (and the direct decay can be up to a unit
        // below the composed one); credits to it come after transfers in the block.
        if (new_epoch) held = Decay(held, 10'000, 1).value;
        held = held < 2 ? 0 : held - 2;
        if (held <= fee + 1) continue;
        // Sometimes everything the decayed balance holds.
        const uint64_t amount = rng() % 4 == 0 ? held - fee : 1 + rng() % (held - fee);
        txs.push_back(c.Transfer(from, to, amount, fee));
      }
      std::vector<Ledger::CreditForTesting> credits;
      if (rng() % 2 == 0) {
        credits.push_back({c.ids[rng() % kAccounts], 1'000'000});  // one claim's UBI
      }
      const BlockOutcome out = c.Apply(txs, credits);
      for (const TxResult& r : out.results) ASSERT_TRUE(r.ok()) << r.message;
    }
    const auto [sum, nonzero] = c.SumAndNonzeroRecords();
    const uint64_t supply = *c.ledger().Supply();
    ASSERT_LE(sum, supply) << "epoch " << epoch;
    ASSERT_LE(supply - sum, nonzero) << "epoch " << epoch;
    max_gap = std::max(max_gap, supply - sum);
  }
  EXPECT_GT(max_gap, 0u);  // the bound is exercised, not just equality by luck
  std::printf("largest supply - sum of balances over 1,000 epochs: %llu units (%d accounts)\n",
              static_cast<unsigned long long>(max_gap), kAccounts);
}

TEST(DemurrageLedger, ZeroRateLeavesRecordsAndSupplyAsBefore) {
  // Default params (demurrage off): after many epochs' worth of blocks, records keep their
  // 16- and 8-byte forms, params stay version 1, and supply equals the sum exactly.
  Chain c(4, 1'000'000, kDefaultEpochBlocks, 0);
  Genesis g;
  EXPECT_EQ(EncodeParams(g.params).size(), 9u);
  for (int i = 0; i < 5; ++i) c.Apply({c.Transfer(i % 4, (i + 1) % 4, 1000)});
  // And with 1-block epochs and a zero rate: still no epoch in any record.
  Chain d(4, 1'000'000, /*epoch_blocks=*/1, /*ppm=*/0);
  for (int i = 0; i < 5; ++i) d.Apply({d.Transfer(i % 4, (i + 1) % 4, 1000)}, {{d.ids[0], 7}});
  for (const Chain* chain : {&c, &d}) {
    for (const auto& [k, v] : chain->kv.entries()) {
      if (k.size() == 34 && k[0] == 'a') EXPECT_EQ(v.size(), 16u);
    }
    EXPECT_EQ(chain->kv.entries().at(KeyBytes(kSupplyKey)).size(), 8u);
    const auto [sum, nonzero] = chain->SumAndNonzeroRecords();
    EXPECT_EQ(*chain->ledger().Supply(), sum);
  }
  EXPECT_EQ(d.Balance(1), 1'000'000u);  // received 1000 and sent 1000 + fee: no decay
}

// A fixed chain with demurrage off (the defaults) keeps the roots the ledger computed before
// demurrage existed (pinned from the parent commit's code): genesis and three transfers.
TEST(DemurrageLedger, DefaultParamsKeepThePinnedStateRoot) {
  Genesis g;
  g.chain_id = "hito-pin-1";
  std::vector<Ed25519PrivateKey> keys;
  for (int i = 0; i < 4; ++i) {
    Ed25519Seed seed{};
    seed[0] = static_cast<uint8_t>(i + 1);
    keys.push_back(Ed25519PrivateKey::FromSeed(seed));
    g.accounts.push_back({types::AccountIdFromPublicKey(keys.back().public_key()),
                          1'000'000 * static_cast<uint64_t>(i + 1)});
  }
  auto genesis = Ledger::InitGenesis(g);
  ASSERT_TRUE(genesis.ok());
  MemoryKv kv;
  kv.Apply(genesis->changes);
  std::vector<std::string> roots{HexEncode(genesis->state_root)};
  for (uint64_t h = 1; h <= 3; ++h) {
    types::Transfer t;
    t.chain_id = g.chain_id;
    const Ed25519PrivateKey& from = keys[h % 4];
    t.sender = from.public_key();
    t.nonce = 0;
    t.fee = 1000;
    t.to = types::AccountIdFromPublicKey(keys[(h + 1) % 4].public_key());
    t.amount = 12'345 * h;
    types::SignTransfer(&t, from);
    types::BlockHeader header;
    header.chain_id = g.chain_id;
    header.height = h;
    header.time_ms = 1'700'000'000'000 + h;
    auto out = Ledger(g.chain_id, &kv)
                   .ApplyBlock(header, {types::Transaction{t}}, SignatureCheck::kVerify);
    ASSERT_TRUE(out.ok());
    ASSERT_TRUE(out->results[0].ok());
    kv.Apply(out->changes);
    roots.push_back(HexEncode(out->state_root));
  }
  const std::vector<std::string> pinned{
      "f3d1872ab030341a5ba184812d18da323caef28a6dfcf9694477ca8aaddabeb1",
      "39b184e697ebe5e645d0d805345f4b03133f2ed6c7353bd801c3410d74228715",
      "734945081f9f91bb7afd2ebd86718b2f6e59a1071f933f1e92de0c8b45e485ff",
      "e1c951b53efd856ee49e081f5a9e2f07d145197ad8bcbf72f8557976aed1a074",
  };
  EXPECT_EQ(roots, pinned);
}

TEST(DemurrageLedger, TransfersSpendExactlyTheDecayedBalance) {
  // 1% per epoch, 10-block epochs: after one epoch 1,000,000 holds 990,000.
  Chain c(2, 1'000'000, /*epoch_blocks=*/10, /*ppm=*/10'000);
  for (int i = 0; i < 9; ++i) c.Apply({});  // heights 1..9: epoch 0
  EXPECT_EQ(c.Balance(0), 1'000'000u);
  c.Apply({});  // height 10: epoch 1
  EXPECT_EQ(c.Balance(0), 990'000u);
  EXPECT_EQ(c.ledger().GetAccount(c.ids[0])->epoch, 1u);
  // The mempool checks against the next block's epoch (still 1 here).
  const types::Transaction too_much = c.Transfer(0, 1, 990'000 - kMinFee + 1);
  EXPECT_EQ(c.ledger().CheckTransaction(too_much, 0, SignatureCheck::kVerify).code,
            TxCode::kInsufficientFunds);
  c.nonces[0] = 0;
  BlockOutcome out = c.Apply({c.Transfer(0, 1, 990'000 - kMinFee + 1)});
  EXPECT_EQ(out.results[0].code, TxCode::kInsufficientFunds);
  c.nonces[0] = 0;
  out = c.Apply({c.Transfer(0, 1, 990'000 - kMinFee)});
  ASSERT_TRUE(out.results[0].ok()) << out.results[0].message;
  EXPECT_EQ(c.Balance(0), 0u);
  EXPECT_EQ(c.Balance(1), 990'000u + 990'000u - kMinFee);
  // Both records are now settled at epoch 1 (24-byte form); the supply is exact here
  // (whole-unit decay), and fell by exactly the fee.
  EXPECT_EQ(c.kv.entries().at(AccountKey(c.ids[1])).size(), 24u);
  EXPECT_EQ(*c.ledger().Supply(), 2 * 990'000u - kMinFee);
}

TEST(DemurrageLedger, FeesBurnExactlyWithinAnEpoch) {
  Chain c(3, 777'777, /*epoch_blocks=*/10, /*ppm=*/1'234);
  // Move into epoch 1 (height 10), settle accounts 0 and 1 with a first transfer.
  for (int i = 1; i < 10; ++i) c.Apply({});
  c.Apply({c.Transfer(0, 1, 5)});
  const uint64_t before = *c.ledger().Supply();
  const uint64_t b0 = c.Balance(0), b1 = c.Balance(1);
  c.Apply({c.Transfer(0, 1, 100, 5'000), c.Transfer(1, 0, 7, 2'500)});
  EXPECT_EQ(*c.ledger().Supply(), before - 7'500);  // both already settled this epoch
  EXPECT_EQ(c.Balance(0), b0 - 100 - 5'000 + 7);
  EXPECT_EQ(c.Balance(1), b1 + 100 - 7 - 2'500);
}

TEST(DemurrageLedger, GenesisRefusesOutOfRangeParams) {
  Genesis g;
  g.chain_id = kChain;
  g.params.epoch_blocks = 0;
  EXPECT_FALSE(Ledger::InitGenesis(g).ok());
  g.params.epoch_blocks = 10;
  g.params.demurrage_ppm_per_epoch = kPpm;
  EXPECT_FALSE(Ledger::InitGenesis(g).ok());
  g.params.demurrage_ppm_per_epoch = demurrage::kMaxPpmPerEpoch;
  EXPECT_TRUE(Ledger::InitGenesis(g).ok());
}

TEST(DemurrageRecords, EncodingsAreStrict) {
  // Accounts: 16 bytes at epoch 0, 24 otherwise; 24 bytes with epoch 0 is refused.
  const Account a{5, 6, 0}, b{5, 6, 9};
  EXPECT_EQ(EncodeAccount(a).size(), 16u);
  EXPECT_EQ(EncodeAccount(b).size(), 24u);
  EXPECT_EQ(*DecodeAccount(EncodeAccount(b)), b);
  Bytes padded = EncodeAccount(a);
  padded.resize(24, 0);
  EXPECT_EQ(DecodeAccount(padded).status().code(), StatusCode::kDataLoss);
  // Supply: 8 bytes without fraction and epoch, else 24; the long form of zeros refused.
  const demurrage::SupplyState whole{U128{42} << 64, 0}, part{(U128{42} << 64) | 9, 3};
  EXPECT_EQ(EncodeSupply(whole), EncodeU64(42));
  EXPECT_EQ(*DecodeSupply(EncodeSupply(part)), part);
  Bytes long_whole = EncodeU64(42);
  long_whole.resize(24, 0);
  EXPECT_EQ(DecodeSupply(long_whole).status().code(), StatusCode::kDataLoss);
  // Params: version 1 for the defaults; version 2 carries the new fields and refuses
  // the defaults, a zero epoch length and a rate of 10^6.
  Params p;
  EXPECT_EQ(EncodeParams(p).size(), 9u);
  p.demurrage_ppm_per_epoch = 42;
  p.epoch_blocks = 7;
  EXPECT_EQ(EncodeParams(p).size(), 21u);
  EXPECT_EQ(*DecodeParams(EncodeParams(p)), p);
  Bytes v2 = EncodeParams(p);
  Bytes defaults = v2;
  const Bytes eb = EncodeU64(kDefaultEpochBlocks);
  std::copy(eb.begin(), eb.end(), defaults.begin() + 9);
  defaults[17] = defaults[18] = defaults[19] = defaults[20] = 0;
  EXPECT_EQ(DecodeParams(defaults).status().code(), StatusCode::kDataLoss);
  Bytes zero_epoch = v2;
  for (int i = 9; i < 17; ++i) zero_epoch[static_cast<size_t>(i)] = 0;
  EXPECT_EQ(DecodeParams(zero_epoch).status().code(), StatusCode::kDataLoss);
}

TEST(DemurrageSupply, DecaysRoundedUpAndRefusesOverflowAndUnderflow) {
  using demurrage::SupplyState;
  // ceil(1 * 0.99) = 1 unit of 2^-64: the aggregate rounds up, so it never drops below
  // the exact sum it stands for.
  EXPECT_EQ(demurrage::AdvanceSupply(SupplyState{1, 0}, 10'000, 1).scaled, U128{1});
  // Whole units decay exactly: 10^6 units at 1% -> 990,000 units, no fraction.
  const SupplyState million{U128{1'000'000} << 64, 4};
  const SupplyState next = demurrage::AdvanceSupply(million, 10'000, 5);
  EXPECT_EQ(next.scaled, U128{990'000} << 64);
  EXPECT_EQ(next.epoch, 5u);
  // Two epochs at once equal two single steps; a zero rate only moves the epoch.
  EXPECT_EQ(demurrage::AdvanceSupply(million, 7, 6),
            demurrage::AdvanceSupply(demurrage::AdvanceSupply(million, 7, 5), 7, 6));
  EXPECT_EQ(demurrage::AdvanceSupply(million, 0, 1'000'000).scaled, million.scaled);
  // A huge gap on an empty supply ends at once.
  EXPECT_EQ(demurrage::AdvanceSupply(SupplyState{0, 0}, 5, UINT64_MAX).epoch, UINT64_MAX);
  // The largest supply: adding a unit overflows, taking one more than held underflows.
  const SupplyState max{~U128{0}, 9};
  EXPECT_EQ(max.Units(), UINT64_MAX);
  EXPECT_FALSE(demurrage::AddUnits(max, 1).has_value());
  EXPECT_TRUE(demurrage::AddUnits(SupplyState{0, 0}, UINT64_MAX).has_value());
  EXPECT_FALSE(demurrage::SubUnits(SupplyState{U128{5} << 64, 0}, 6).has_value());
  EXPECT_FALSE(demurrage::SubCut(SupplyState{3, 0}, 4).has_value());
  EXPECT_EQ(demurrage::SubCut(SupplyState{3, 0}, 3)->scaled, U128{0});
}

TEST(DemurrageLedger, MaximalBalanceDecaysAndCreditsPastU64AreRefused) {
  // One account holding the whole u64 supply, 1 ppm per 1-block epoch.
  Chain c(2, 0, /*epoch_blocks=*/1, /*ppm=*/1);
  Genesis g;
  g.chain_id = kChain;
  g.params.min_fee = kMinFee;
  g.params.epoch_blocks = 1;
  g.params.demurrage_ppm_per_epoch = 1;
  g.accounts.push_back({c.ids[0], UINT64_MAX});
  auto genesis = Ledger::InitGenesis(g);
  ASSERT_TRUE(genesis.ok());
  c.kv = MemoryKv();
  c.kv.Apply(genesis->changes);
  for (int i = 0; i < 6; ++i) c.Apply({});  // 6 epochs: the account is never settled
  EXPECT_EQ(c.Balance(0), Decay(UINT64_MAX, 1, 6).value);
  // Every epoch of an idle account is one factor; the supply stepped 6 times, rounded up.
  auto [sum, nonzero] = c.SumAndNonzeroRecords();
  EXPECT_LE(sum, *c.ledger().Supply());
  EXPECT_LE(*c.ledger().Supply() - sum, 1u);
  // A transfer settles it (the 24-byte record), a credit of u64 max is refused.
  const BlockOutcome out = c.Apply({c.Transfer(0, 1, 1)});
  ASSERT_TRUE(out.results[0].ok()) << out.results[0].message;
  const uint64_t h = *c.ledger().Height();
  auto refused =
      c.ledger().ApplyBlockWithCreditsForTesting(Header(h + 1), {}, {{c.ids[1], UINT64_MAX}});
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  std::tie(sum, nonzero) = c.SumAndNonzeroRecords();
  EXPECT_LE(sum, *c.ledger().Supply());
  EXPECT_LE(*c.ledger().Supply() - sum, nonzero);
}

TEST(DemurrageLedger, ConvergenceTable) {
  // Population 100, UBI 1 HITO per person per epoch, 1% demurrage per epoch: the supply
  // converges to 100 x 1 HITO / 0.01 = 10,000 HITO. One block per epoch, every person
  // claims every epoch (credits), no transfers. Prints the table of docs/protocol/ubi.md.
  constexpr int kPopulation = 100;
  constexpr uint64_t kUbi = 1'000'000;
  Chain c(kPopulation, 0, /*epoch_blocks=*/1, /*ppm=*/10'000);
  std::vector<Ledger::CreditForTesting> claims;
  for (int i = 0; i < kPopulation; ++i) claims.push_back({c.ids[static_cast<size_t>(i)], kUbi});
  std::printf("| epoch | supply (HITO) | sum of balances (HITO) | of the limit |\n");
  std::printf("|---:|---:|---:|---:|\n");
  const uint64_t limit = kPopulation * kUbi * kPpm / 10'000;  // population x UBI / demurrage
  uint64_t previous = 0;
  for (uint64_t epoch = 1; epoch <= 1000; ++epoch) {
    c.Apply({}, claims);
    const uint64_t supply = *c.ledger().Supply();
    ASSERT_GE(supply, previous);
    ASSERT_LE(supply, limit);
    previous = supply;
    if (epoch == 1 || epoch == 10 || epoch == 50 || epoch % 100 == 0) {
      const auto [sum, nonzero] = c.SumAndNonzeroRecords();
      ASSERT_LE(sum, supply);
      ASSERT_LE(supply - sum, nonzero);
      std::printf(
          "| %llu | %llu.%06llu | %llu.%06llu | %.4f%% |\n", static_cast<unsigned long long>(epoch),
          static_cast<unsigned long long>(supply / kUbi),
          static_cast<unsigned long long>(supply % kUbi),
          static_cast<unsigned long long>(sum / kUbi), static_cast<unsigned long long>(sum % kUbi),
          100.0 * static_cast<double>(supply) / static_cast<double>(limit));
    }
  }
  // After 1,000 epochs 0.99^1000 = 4.3e-5 of the gap remains.
  EXPECT_GE(previous, limit - limit / 10'000);
}

}  // namespace
}  // namespace hito::consensus::ledger
