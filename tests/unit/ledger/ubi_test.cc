// UBI claims (consensus/ledger/ubi.h) through Ledger::ApplyBlock, with real membership
// proofs over small cohorts (4 identities, padded to sets of 16): one claim per identity
// per epoch (in state and within a block), the window of open epochs, snapshots (a claim
// against another epoch's set, a pruned one, one that does not exist yet), identities that
// left the set (replaced, revoked, expired), a replacement by a second attester (one claim
// per epoch across both identities), a recipient changed in transit, a context
// spelled as text, malformed proof bytes, the per-block claim cap, the pruning that bounds
// the nullifier state, and the supply against the sum of balances over 1,000 epochs.
#include "consensus/ledger/ubi.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "base/ed25519.h"
#include "base/hex.h"
#include "consensus/ledger/ledger.h"
#include "consensus/ledger/records.h"
#include "consensus/types/personhood.h"
#include "consensus/types/transaction.h"
#include "tests/support/ledger.h"
#include "zk/point.h"
#include "zk/proof/sigma.h"
#include "zk/proof/triptych.h"
#include "zk/scalar.h"

namespace hito::consensus::ledger {
namespace {

constexpr char kChain[] = "hito-test-1";
constexpr uint64_t kUbi = 1'000'000;

Ed25519PrivateKey KeyFor(uint8_t tag, uint8_t i) {
  Ed25519Seed seed{};
  seed[0] = i;
  seed[1] = tag;
  seed[31] = 0x5C;
  return Ed25519PrivateKey::FromSeed(seed);
}
Ed25519PrivateKey Attester() { return KeyFor(0xA7, 1); }
Ed25519PrivateKey SecondAttester() { return KeyFor(0xA7, 2); }

struct Citizen {
  zk::Scalar secret;
  types::IdentityPoint point{};
  std::string handle;
};
Citizen MakeCitizen(uint64_t n, std::string handle = "") {
  Citizen c{zk::Scalar::FromU64(5000 + n), {}, handle.empty() ? "h" + std::to_string(n) : handle};
  c.point = zk::Point::MulBase(c.secret).bytes();
  return c;
}

types::AccountId Account(uint8_t i) {
  return types::AccountIdFromPublicKey(KeyFor(0xAC, i).public_key());
}

types::BlockHeader Header(uint64_t height) { return hito::testing::HeaderAt(kChain, height); }

struct ChainParams {
  uint64_t epoch_blocks = 10;  // room for a test's blocks inside one epoch
  uint64_t claim_window = 3;
  uint32_t max_claims_per_block = 64;
  uint32_t demurrage_ppm = 0;
  uint64_t max_attestation_epochs = 2000;
};

// A chain whose genesis accredits two attesters, over a MemoryKv. Cohorts of 4.
class UbiChain {
 public:
  explicit UbiChain(ChainParams cp = {}) : cp_(cp) {
    Genesis g;
    g.chain_id = kChain;
    g.params.epoch_blocks = cp.epoch_blocks;
    g.params.demurrage_ppm_per_epoch = cp.demurrage_ppm;
    g.attesters = {Attester().public_key(), SecondAttester().public_key()};
    g.registry.cohort_bits = 2;
    g.registry.max_attestation_epochs = cp.max_attestation_epochs;
    g.registry.attester_quota_per_epoch = 1000;
    g.registry.claim_window = cp.claim_window;
    g.ubi.ubi_per_epoch = kUbi;
    g.ubi.max_claims_per_block = cp.max_claims_per_block;
    auto out = Ledger::InitGenesis(g);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    kv.Apply(out->changes);
  }

  Ledger ledger() const { return Ledger(kChain, &kv); }
  uint64_t height() const { return *ledger().Height(); }
  uint64_t epoch() const { return height() / cp_.epoch_blocks; }

  std::vector<TxResult> Apply(const std::vector<types::Transaction>& txs,
                              SignatureCheck sigs = SignatureCheck::kVerify) {
    auto out = ledger().ApplyBlock(Header(height() + 1), txs, sigs);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    kv.Apply(out->changes);
    return out->results;
  }
  TxResult ApplyOne(const types::Transaction& tx) { return Apply({tx}).at(0); }
  // Applies empty blocks until the first block of epoch `e` is committed.
  void EnterEpoch(uint64_t e) {
    while (!(epoch() == e && height() % cp_.epoch_blocks == 0)) Apply({});
  }

  // An attestation of `c` (tag: its handle's) by `attester` (default: the first).
  types::Transaction Register(const Citizen& c, uint64_t expiry,
                              const Ed25519PrivateKey& attester = Attester()) const {
    types::Attestation a;
    a.chain_id = kChain;
    a.identity = c.point;
    a.dedup_tag = types::DedupTag(types::DedupKey{9}, c.handle);
    a.expiry_epoch = expiry;
    types::SignAttestation(&a, attester);
    return types::Transaction{types::Registration{
        a, zk::proof::SchnorrProve(c.secret, types::PossessionMessage(a))->Encode()}};
  }
  types::Transaction Revoke(const Citizen& c) const {
    types::Revocation r;
    r.chain_id = kChain;
    r.identity = c.point;
    types::SignRevocation(&r, Attester());
    return types::Transaction{r};
  }

  // The prepared snapshot of (epoch, cohort) in committed state.
  std::optional<zk::proof::membership::PreparedSet> Set(uint64_t e, uint32_t cohort) const {
    const RegistryStore store(&kv);
    const std::optional<Hash32> hash = *registry::SnapshotHash(store, e, cohort);
    if (!hash) return std::nullopt;
    return *LoadPreparedSet(store, cohort, *hash);
  }
  uint64_t IndexOf(const Citizen& c) const {
    return (*registry::FindIdentity(RegistryStore(&kv), c.point))->index;
  }

  // A claim by `c` for epoch `e`, proved against `set_epoch`'s snapshot (default: e's),
  // under `context` (default: the canonical one).
  types::Claim MakeClaim(const Citizen& c, uint64_t e, const types::AccountId& to,
                         std::optional<uint64_t> set_epoch = std::nullopt,
                         std::optional<std::string> context = std::nullopt) const {
    const uint64_t index = IndexOf(c);
    const auto cohort = static_cast<uint32_t>(index >> 2);
    types::Claim claim{e, cohort, to, {}};
    const auto set = Set(set_epoch.value_or(e), cohort);
    if (!set) {
      ADD_FAILURE() << "no snapshot to prove against";
      claim.proof.assign(types::kClaimProofMinBytes, 0);
      return claim;
    }
    auto proof = zk::proof::membership::Prove(*set, index & 3, c.secret, kChain,
                                              context.value_or(types::ClaimContext(e)),
                                              types::ClaimMessage(kChain, e, cohort, to));
    EXPECT_TRUE(proof.ok()) << proof.status().ToString();
    claim.proof = proof->Encode();
    return claim;
  }
  types::Transaction ClaimTx(const Citizen& c, uint64_t e, const types::AccountId& to) const {
    return types::Transaction{MakeClaim(c, e, to)};
  }

  uint64_t Balance(const types::AccountId& id) const { return ledger().GetAccount(id)->balance; }
  size_t CountWithPrefix(std::string_view prefix) const {
    size_t n = 0;
    for (const auto& [k, v] : kv.entries()) {
      if (k.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), k.begin())) ++n;
    }
    return n;
  }

  MemoryKv kv;

 private:
  ChainParams cp_;
};

// Registers `n` citizens in epoch 0 and enters epoch 1, whose snapshot holds them.
std::vector<Citizen> Populate(UbiChain* chain, int n, uint64_t expiry = 1500) {
  std::vector<Citizen> people;
  std::vector<types::Transaction> regs;
  for (int i = 0; i < n; ++i) {
    people.push_back(MakeCitizen(static_cast<uint64_t>(i)));
    regs.push_back(chain->Register(people.back(), expiry));
  }
  for (const TxResult& r : chain->Apply(regs)) EXPECT_TRUE(r.ok()) << r.message;
  chain->EnterEpoch(1);
  return people;
}

void ExpectCode(const TxResult& r, TxCode code) {
  EXPECT_EQ(TxCodeName(r.code), TxCodeName(code)) << r.message;
}

TEST(Ubi, AClaimCreditsItsRecipientOnceAndGrowsTheSupply) {
  UbiChain chain;
  const auto people = Populate(&chain, 3);
  const uint64_t supply = *chain.ledger().Supply();
  const types::Transaction claim = chain.ClaimTx(people[0], 1, Account(1));
  EXPECT_TRUE(chain.ledger().CheckTransaction(claim, 0, SignatureCheck::kVerify).ok());
  ExpectCode(chain.ApplyOne(claim), TxCode::kOk);
  EXPECT_EQ(chain.Balance(Account(1)), kUbi);
  EXPECT_EQ(*chain.ledger().Supply(), supply + kUbi);
  EXPECT_EQ(*ubi::ClaimsInEpoch(RegistryStore(&chain.kv), 1), 1u);
  // The same person again, to anyone, by the same or a fresh proof: already claimed, in
  // the mempool's check and in a block.
  const types::Transaction again = chain.ClaimTx(people[0], 1, Account(2));
  ExpectCode(chain.ledger().CheckTransaction(again, 0, SignatureCheck::kVerify),
             TxCode::kAlreadyClaimed);
  ExpectCode(chain.ApplyOne(again), TxCode::kAlreadyClaimed);
  ExpectCode(chain.ApplyOne(claim), TxCode::kAlreadyClaimed);
  EXPECT_EQ(chain.Balance(Account(2)), 0u);
  // Another person of the same cohort still can.
  ExpectCode(chain.ApplyOne(chain.ClaimTx(people[1], 1, Account(1))), TxCode::kOk);
  EXPECT_EQ(chain.Balance(Account(1)), 2 * kUbi);
}

TEST(Ubi, ADoubleClaimInOneBlockPaysOnce) {
  // Two validators' mempools may each admit one of two claims by one person; whichever
  // block carries both executes the first and refuses the second.
  UbiChain chain;
  const auto people = Populate(&chain, 2);
  const auto results =
      chain.Apply({chain.ClaimTx(people[0], 1, Account(1)), chain.ClaimTx(people[0], 1, Account(2)),
                   chain.ClaimTx(people[1], 1, Account(2))});
  ExpectCode(results[0], TxCode::kOk);
  ExpectCode(results[1], TxCode::kAlreadyClaimed);
  ExpectCode(results[2], TxCode::kOk);
  EXPECT_EQ(chain.Balance(Account(1)), kUbi);
  EXPECT_EQ(chain.Balance(Account(2)), kUbi);
}

TEST(Ubi, OnlyOpenEpochsCanBeClaimedAndMissedOnesCatchUpWithinTheWindow) {
  UbiChain chain;  // window 3: the current epoch and the two before it
  const auto people = Populate(&chain, 2);
  const types::Transaction epoch1 = chain.ClaimTx(people[0], 1, Account(1));
  chain.EnterEpoch(3);
  // Epoch 1 is still open in epoch 3: a citizen who skipped it catches up.
  ExpectCode(chain.ApplyOne(epoch1), TxCode::kOk);
  ExpectCode(chain.ApplyOne(chain.ClaimTx(people[0], 2, Account(1))), TxCode::kOk);
  ExpectCode(chain.ApplyOne(chain.ClaimTx(people[0], 3, Account(1))), TxCode::kOk);
  EXPECT_EQ(chain.Balance(Account(1)), 3 * kUbi);
  // A future epoch is not open.
  types::Claim future = chain.MakeClaim(people[1], 3, Account(1));
  future.epoch = 4;
  ExpectCode(chain.ApplyOne(types::Transaction{future}), TxCode::kEpochNotOpen);
  // Epoch 1 closes when epoch 4 starts: a claim proved while it was open is refused.
  const types::Transaction late = chain.ClaimTx(people[1], 1, Account(2));
  chain.EnterEpoch(4);
  ExpectCode(chain.ledger().CheckTransaction(late, 0, SignatureCheck::kVerify),
             TxCode::kEpochNotOpen);
  ExpectCode(chain.ApplyOne(late), TxCode::kEpochNotOpen);
  EXPECT_EQ(chain.Balance(Account(2)), 0u);
}

TEST(Ubi, ANewIdentityClaimsFromTheEpochAfterItsRegistration) {
  UbiChain chain;
  const auto people = Populate(&chain, 4);  // cohort 0 is full
  // A fifth citizen opens cohort 1 in epoch 1: no snapshot of it exists before epoch 2.
  const Citizen late = MakeCitizen(100);
  ExpectCode(chain.ApplyOne(chain.Register(late, 1500)), TxCode::kOk);
  types::Claim early{1, 1, Account(3), chain.MakeClaim(people[0], 1, Account(3)).proof};
  ExpectCode(chain.ApplyOne(types::Transaction{early}), TxCode::kNoSnapshot);
  chain.EnterEpoch(2);
  ExpectCode(chain.ApplyOne(chain.ClaimTx(late, 2, Account(3))), TxCode::kOk);
}

TEST(Ubi, AProofAgainstAnotherEpochsSnapshotOrContextIsRefused) {
  UbiChain chain;
  const auto people = Populate(&chain, 2);
  // Epoch 2's snapshot of cohort 0 differs from epoch 1's (a third member joined).
  ExpectCode(chain.ApplyOne(chain.Register(MakeCitizen(50), 1500)), TxCode::kOk);
  chain.EnterEpoch(2);
  ASSERT_NE(chain.Set(1, 0)->hash(), chain.Set(2, 0)->hash());
  // Proved against epoch 1's set but claiming epoch 2.
  types::Claim wrong_set = chain.MakeClaim(people[0], 2, Account(1), /*set_epoch=*/1);
  ExpectCode(chain.ApplyOne(types::Transaction{wrong_set}), TxCode::kBadProof);
  // Proved for epoch 1 (its context and message) but relabelled as epoch 2.
  types::Claim relabelled = chain.MakeClaim(people[0], 1, Account(1));
  relabelled.epoch = 2;
  ExpectCode(chain.ApplyOne(types::Transaction{relabelled}), TxCode::kBadProof);
  // The context spelled as text ("ubi/2") instead of its one binary form.
  types::Claim text = chain.MakeClaim(people[0], 2, Account(1), std::nullopt, "ubi/2");
  ExpectCode(chain.ledger().CheckTransaction(types::Transaction{text}, 0, SignatureCheck::kVerify),
             TxCode::kBadProof);
  ExpectCode(chain.ApplyOne(types::Transaction{text}), TxCode::kBadProof);
  EXPECT_EQ(chain.Balance(Account(1)), 0u);
  // The honest claim still works: refused claims spent no nullifier.
  ExpectCode(chain.ApplyOne(chain.ClaimTx(people[0], 2, Account(1))), TxCode::kOk);
}

TEST(Ubi, ARecipientChangedInTransitBreaksTheProof) {
  UbiChain chain;
  const auto people = Populate(&chain, 2);
  types::Claim claim = chain.MakeClaim(people[0], 1, Account(1));
  claim.recipient = Account(2);
  ExpectCode(chain.ApplyOne(types::Transaction{claim}), TxCode::kBadProof);
  claim.recipient = Account(1);
  claim.cohort = 1;  // another cohort has no snapshot: refused before any proof work
  ExpectCode(chain.ApplyOne(types::Transaction{claim}), TxCode::kNoSnapshot);
  claim.cohort = 0;
  ExpectCode(chain.ApplyOne(types::Transaction{claim}), TxCode::kOk);
}

TEST(Ubi, MalformedProofBytesAreRefusedAtDecodeOrAsBadProof) {
  UbiChain chain;
  const auto people = Populate(&chain, 2);
  types::Claim claim = chain.MakeClaim(people[0], 1, Account(1));
  // A length that is no proof size does not decode as a transaction at all.
  types::Claim short_proof = claim;
  short_proof.proof.resize(short_proof.proof.size() - 32);
  EXPECT_FALSE(types::DecodeTransaction(types::EncodeTransaction({short_proof})).ok());
  types::Claim long_proof = claim;
  long_proof.proof.resize(types::kClaimProofMaxBytes + 160);
  EXPECT_FALSE(types::DecodeTransaction(types::EncodeTransaction({long_proof})).ok());
  // A non-canonical point (all 0xff) in the tag's place: refused, nothing spent.
  types::Claim bad_point = claim;
  std::fill(bad_point.proof.begin(), bad_point.proof.begin() + 32, 0xff);
  ExpectCode(chain.ApplyOne(types::Transaction{bad_point}), TxCode::kBadProof);
  // The identity as tag: decodes, but the proof does not verify.
  types::Claim identity_tag = claim;
  std::fill(identity_tag.proof.begin(), identity_tag.proof.begin() + 32, 0);
  ExpectCode(chain.ApplyOne(types::Transaction{identity_tag}), TxCode::kBadProof);
  // A flipped response scalar bit.
  types::Claim flipped = claim;
  flipped.proof[flipped.proof.size() - 40] ^= 1;
  ExpectCode(chain.ApplyOne(types::Transaction{flipped}), TxCode::kBadProof);
  ExpectCode(chain.ApplyOne(types::Transaction{claim}), TxCode::kOk);
}

TEST(Ubi, ReplacedRevokedAndExpiredIdentitiesLeaveTheNextSnapshot) {
  UbiChain chain;
  std::vector<Citizen> people;
  std::vector<types::Transaction> regs;
  for (int i = 0; i < 4; ++i) people.push_back(MakeCitizen(static_cast<uint64_t>(i)));
  for (size_t i = 0; i < 3; ++i) regs.push_back(chain.Register(people[i], 1500));
  regs.push_back(chain.Register(people[3], /*expiry=*/3));
  for (const TxResult& r : chain.Apply(regs)) ASSERT_TRUE(r.ok()) << r.message;
  chain.EnterEpoch(1);
  // In epoch 1: people[0] loses its key and re-registers a new one with the same handle
  // (the same dedup tag replaces it); people[1] is revoked by its attester.
  const Citizen renewed = MakeCitizen(77, people[0].handle);
  ExpectCode(chain.ApplyOne(chain.Register(renewed, 1500)), TxCode::kOk);
  ExpectCode(chain.ApplyOne(chain.Revoke(people[1])), TxCode::kOk);
  // Until the next snapshot the old keys still hold their epoch-1 slots.
  const types::Transaction old_epoch1 = chain.ClaimTx(people[0], 1, Account(1));
  ExpectCode(chain.ApplyOne(old_epoch1), TxCode::kOk);
  chain.EnterEpoch(3);  // replacement and revocation took effect at 2, the expiry at 3
  const auto set3 = chain.Set(3, 0);
  for (const Citizen& gone : {people[0], people[1], people[3]}) {
    const uint64_t slot = chain.IndexOf(gone) & 3;
    EXPECT_FALSE(zk::proof::membership::Prove(*set3, slot, gone.secret, kChain,
                                              types::ClaimContext(3),
                                              types::ClaimMessage(kChain, 3, 0, Account(1)))
                     .ok())
        << "a dead identity is still a member of the snapshot";
    // A proof from an older set (where it was live) relabelled for epoch 3: refused.
    types::Claim stale = chain.MakeClaim(gone, 3, Account(1), /*set_epoch=*/1);
    ExpectCode(chain.ApplyOne(types::Transaction{stale}), TxCode::kBadProof);
  }
  ExpectCode(chain.ApplyOne(chain.ClaimTx(renewed, 3, Account(2))), TxCode::kOk);
  ExpectCode(chain.ApplyOne(chain.ClaimTx(people[2], 3, Account(2))), TxCode::kOk);
  EXPECT_EQ(chain.Balance(Account(2)), 2 * kUbi);
}

// The same person (one handle, so one tag) checked by a second attester under a new key:
// the second identity replaces the first, and across both the person is paid once per
// epoch. The old key claims the epoch of the replacement (its snapshot still holds it) and
// not later; the new key claims from the next epoch, once.
TEST(Ubi, AReplacementByAnotherAttesterLeavesOneClaimPerEpoch) {
  UbiChain chain;
  const std::vector<Citizen> people = Populate(&chain, 2);
  const Citizen& first = people[0];
  const Citizen second = MakeCitizen(77, first.handle);
  const TxResult r = chain.ApplyOne(chain.Register(second, 1500, SecondAttester()));
  ExpectCode(r, TxCode::kOk);
  EXPECT_NE(r.message.find("replaced identity 0 of attester " + HexEncode(Attester().public_key())),
            std::string::npos)
      << r.message;
  EXPECT_NE(r.message.find("attested by " + HexEncode(SecondAttester().public_key())),
            std::string::npos)
      << r.message;
  // Epoch 1: the old key's slot is still in the snapshot; the new key is not.
  ExpectCode(chain.ApplyOne(chain.ClaimTx(first, 1, Account(1))), TxCode::kOk);
  const uint64_t new_slot = chain.IndexOf(second) & 3;
  EXPECT_FALSE(zk::proof::membership::Prove(*chain.Set(1, 0), new_slot, second.secret, kChain,
                                            types::ClaimContext(1),
                                            types::ClaimMessage(kChain, 1, 0, Account(2)))
                   .ok())
      << "the new identity is in the snapshot of its registration epoch";
  // Epoch 2: the old key is a filler; the new key claims once.
  chain.EnterEpoch(2);
  types::Claim stale = chain.MakeClaim(first, 2, Account(1), /*set_epoch=*/1);
  ExpectCode(chain.ApplyOne(types::Transaction{stale}), TxCode::kBadProof);
  EXPECT_FALSE(zk::proof::membership::Prove(*chain.Set(2, 0), chain.IndexOf(first) & 3,
                                            first.secret, kChain, types::ClaimContext(2),
                                            types::ClaimMessage(kChain, 2, 0, Account(1)))
                   .ok())
      << "the replaced identity is still a member of the next snapshot";
  ExpectCode(chain.ApplyOne(chain.ClaimTx(second, 2, Account(2))), TxCode::kOk);
  ExpectCode(chain.ApplyOne(chain.ClaimTx(second, 2, Account(3))), TxCode::kAlreadyClaimed);
  // One payment per epoch for this person: epoch 1 to the old key, epoch 2 to the new.
  EXPECT_EQ(chain.Balance(Account(1)), kUbi);
  EXPECT_EQ(chain.Balance(Account(2)), kUbi);
  EXPECT_EQ(chain.Balance(Account(3)), 0u);
}

TEST(Ubi, ABlockCarriesAtMostMaxClaimsPerBlock) {
  ChainParams cp;
  cp.max_claims_per_block = 2;
  UbiChain chain(cp);
  const auto people = Populate(&chain, 3);
  const auto results =
      chain.Apply({chain.ClaimTx(people[0], 1, Account(1)), chain.ClaimTx(people[1], 1, Account(1)),
                   chain.ClaimTx(people[2], 1, Account(1))});
  ExpectCode(results[0], TxCode::kOk);
  ExpectCode(results[1], TxCode::kOk);
  ExpectCode(results[2], TxCode::kClaimsPerBlock);
  ExpectCode(chain.ApplyOne(chain.ClaimTx(people[2], 1, Account(1))), TxCode::kOk);
}

TEST(Ubi, VerifiedAndUnverifiedExecutionAgree) {
  // kAlreadyVerified skips proofs; for valid claims both give the same state.
  UbiChain a;
  UbiChain b;
  const auto pa = Populate(&a, 3);
  Populate(&b, 3);
  std::vector<types::Transaction> txs;
  for (const Citizen& c : pa) txs.push_back(a.ClaimTx(c, 1, Account(1)));
  txs.push_back(txs[0]);  // a repeat: refused in both
  const auto ra = a.Apply(txs, SignatureCheck::kVerify);
  const auto rb = b.Apply(txs, SignatureCheck::kAlreadyVerified);
  ASSERT_EQ(ra.size(), rb.size());
  for (size_t i = 0; i < ra.size(); ++i) EXPECT_EQ(ra[i].code, rb[i].code) << i;
  EXPECT_EQ(*a.ledger().StateRoot(), *b.ledger().StateRoot());
}

TEST(Ubi, NullifiersOfClosedEpochsArePruned) {
  UbiChain chain;  // window 3
  const auto people = Populate(&chain, 4);
  for (uint64_t e = 1; e <= 6; ++e) {
    chain.EnterEpoch(e);
    std::vector<types::Transaction> txs;
    for (const Citizen& c : people) txs.push_back(chain.ClaimTx(c, e, Account(1)));
    for (const TxResult& r : chain.Apply(txs)) ASSERT_TRUE(r.ok()) << r.message;
    // At most the window's epochs of nullifiers (4 people x 3 epochs) stay in state.
    EXPECT_EQ(chain.CountWithPrefix("u/n/"), 4 * std::min<uint64_t>(e, 3)) << "epoch " << e;
    EXPECT_LE(chain.CountWithPrefix("u/k/"), 3u);
    EXPECT_LE(chain.CountWithPrefix("u/l/"), 3u);
  }
  EXPECT_FALSE(
      *ubi::NullifierUsed(RegistryStore(&chain.kv), 3,
                          types::ClaimNullifier(chain.MakeClaim(people[0], 6, Account(1)))));
}

TEST(Ubi, SupplyEqualsTheSumOfBalancesWithinTheBoundOver1000Epochs) {
  // 1,000 epochs of 2 blocks with 1% demurrage: random transfers between 6 accounts
  // funded by claims only, and the claims by 4 citizens (some skip epochs and catch up within the
  // window). At every epoch, every balance is materialised: sum <= supply <= sum + accounts with a
  // nonzero record (docs/protocol/ubi.md, "Supply").
  ChainParams cp;
  cp.epoch_blocks = 2;
  cp.demurrage_ppm = 10'000;
  UbiChain chain(cp);
  const auto people = Populate(&chain, 4);
  std::mt19937_64 rng(1234);
  std::map<uint8_t, uint64_t> nonces;
  std::vector<types::AccountId> accounts;
  for (uint8_t i = 1; i <= 6; ++i) accounts.push_back(Account(i));
  std::vector<std::vector<bool>> claimed(4, std::vector<bool>(1001, false));
  for (uint64_t e = 1; e <= 1000; ++e) {
    chain.EnterEpoch(e);
    std::vector<types::Transaction> txs;
    for (size_t p = 0; p < people.size(); ++p) {
      const uint64_t back = rng() % 3;  // claim this epoch or catch up one of the two before
      const uint64_t target = e >= back + 1 ? e - back : e;
      if (rng() % 4 == 0 || claimed[p][target]) continue;
      claimed[p][target] = true;
      txs.push_back(chain.ClaimTx(people[p], target, accounts[rng() % accounts.size()]));
    }
    std::vector<bool> sent(7, false);  // one transfer per sender per block
    for (int t = 0; t < 3; ++t) {
      const auto from = static_cast<uint8_t>(1 + rng() % 6);
      const auto to = static_cast<uint8_t>(1 + rng() % 6);
      const uint64_t balance = chain.Balance(Account(from));
      if (from == to || sent[from] || balance < 2000) continue;
      sent[from] = true;
      types::Transfer tr;
      tr.chain_id = kChain;
      tr.sender = KeyFor(0xAC, from).public_key();
      tr.nonce = nonces[from]++;
      tr.fee = 1000;
      tr.to = Account(to);
      tr.amount = 1 + rng() % (balance - 1000);
      types::SignTransfer(&tr, KeyFor(0xAC, from));
      txs.push_back(types::Transaction{tr});
    }
    for (const TxResult& r : chain.Apply(txs)) ASSERT_TRUE(r.ok()) << r.message << " epoch " << e;
    uint64_t sum = 0;
    for (const auto& id : accounts) sum += chain.Balance(id);
    uint64_t nonzero = 0;
    for (const auto& [k, v] : chain.kv.entries()) {
      if (k.size() == 34 && k[0] == 'a' && k[1] == '/' && DecodeAccount(v)->balance != 0) {
        ++nonzero;
      }
    }
    const uint64_t supply = *chain.ledger().Supply();
    ASSERT_LE(sum, supply) << "epoch " << e << ": the supply hides value";
    ASSERT_LE(supply, sum + nonzero) << "epoch " << e;
  }
}

}  // namespace
}  // namespace hito::consensus::ledger
