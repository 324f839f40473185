// Personhood registry (consensus/ledger/registry.h) through Ledger::ApplyBlock: every
// registration and revocation rule with its hostile input (forged attestation, proof of
// possession for another identity or chain, expired or over-long attestation, unaccredited
// attester, quota, replayed attestation, re-registered point, revocation by a non-issuer),
// replacement by dedup tag (by the issuing attester or another one, a copied tag and the
// re-attestation that undoes it, and the rules a replacement still obeys), renewal,
// consecutive indices, per-epoch snapshots (contents,
// the zk set hash, sharing across unchanged epochs, fillers after revocation and expiry,
// pruning), the registry records being state tree leaves, genesis, attester accreditation,
// the public-commitment seam, and the r/params record (version 2 with the dedup quota,
// version 1 still read with the quota from k/keys, non-canonical records refused). Small
// parameters: 4 blocks per epoch, cohorts of 4.
#include "consensus/ledger/registry.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/ed25519.h"
#include "base/hex.h"
#include "consensus/ledger/dkg.h"
#include "consensus/ledger/ledger.h"
#include "consensus/ledger/records.h"
#include "consensus/ledger/state_tree.h"
#include "consensus/types/codec.h"
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

Ed25519PrivateKey AttesterKey(int i) {
  Ed25519Seed seed{};
  seed[0] = static_cast<uint8_t>(i);
  seed[31] = 0xA7;
  return Ed25519PrivateKey::FromSeed(seed);
}

constexpr uint64_t kEpochBlocks = 4;

RegistryParams SmallParams() {
  RegistryParams p;
  p.cohort_bits = 2;
  p.max_attestation_epochs = 10;
  p.attester_quota_per_epoch = 3;
  p.claim_window = 3;
  return p;
}

struct Citizen {
  zk::Scalar secret;
  types::IdentityPoint point{};
};
Citizen MakeCitizen(uint64_t n) {
  Citizen c{zk::Scalar::FromU64(1000 + n), {}};
  c.point = zk::Point::MulBase(c.secret).bytes();
  return c;
}

Hash32 Tag(std::string_view handle) { return types::DedupTag(types::DedupKey{7}, handle); }

types::Attestation Attest(const Ed25519PrivateKey& attester, const types::IdentityPoint& p,
                          const Hash32& tag, uint64_t expiry, std::string chain = kChain) {
  types::Attestation a;
  a.chain_id = std::move(chain);
  a.identity = p;
  a.dedup_tag = tag;
  a.expiry_epoch = expiry;
  types::SignAttestation(&a, attester);
  return a;
}

types::PossessionProof Prove(const zk::Scalar& secret, const types::Attestation& a) {
  return zk::proof::SchnorrProve(secret, types::PossessionMessage(a))->Encode();
}

types::Transaction Register(const Citizen& c, const types::Attestation& a) {
  return types::Transaction{types::Registration{a, Prove(c.secret, a)}};
}

types::Transaction Revoke(const Ed25519PrivateKey& attester, const types::IdentityPoint& p) {
  types::Revocation r;
  r.chain_id = kChain;
  r.identity = p;
  types::SignRevocation(&r, attester);
  return types::Transaction{r};
}

types::BlockHeader Header(uint64_t height) { return hito::testing::HeaderAt(kChain, height); }

// A chain whose genesis accredits attesters 1 and 2 (not 3), committed to a MemoryKv.
class RegistryChain {
 public:
  explicit RegistryChain(RegistryParams p = SmallParams(), uint64_t epoch_blocks = kEpochBlocks)
      : params(p) {
    ledger_params.epoch_blocks = epoch_blocks;
    Genesis g;
    g.chain_id = kChain;
    g.params = ledger_params;
    g.attesters = {AttesterKey(1).public_key(), AttesterKey(2).public_key()};
    g.registry = p;
    auto out = Ledger::InitGenesis(g);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    kv.Apply(out->changes);
  }

  Ledger ledger() const { return Ledger(kChain, &kv); }
  uint64_t height() const { return *ledger().Height(); }
  uint64_t epoch() const { return EpochOf(ledger_params, height()); }

  std::vector<TxResult> Apply(const std::vector<types::Transaction>& txs) {
    auto out = ledger().ApplyBlock(Header(height() + 1), txs, SignatureCheck::kVerify);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    kv.Apply(out->changes);
    return out->results;
  }
  TxResult ApplyOne(const types::Transaction& tx) { return Apply({tx}).at(0); }

  // Applies empty blocks until the first block of `e` is committed.
  void EnterEpoch(uint64_t e) {
    while (!(epoch() == e && IsEpochStart(ledger_params, height()))) Apply({});
  }

  RegistryStore store() const { return RegistryStore(&kv); }
  Identity IdentityOf(const types::IdentityPoint& p) const {
    return **registry::FindIdentity(store(), p);
  }
  // Identities live now (Size counts every identity ever registered).
  uint64_t LiveCount() const {
    uint64_t live = 0;
    for (uint64_t i = 0; i < *registry::Size(store()); ++i) {
      if ((*registry::IdentityAt(store(), i))->status == IdentityStatus::kLive) ++live;
    }
    return live;
  }
  std::optional<Hash32> SnapshotHash(uint64_t e, uint32_t cohort) const {
    return *registry::SnapshotHash(store(), e, cohort);
  }
  std::vector<types::IdentityPoint> Snapshot(uint64_t e, uint32_t cohort) const {
    const std::optional<Hash32> h = SnapshotHash(e, cohort);
    EXPECT_TRUE(h.has_value());
    return **registry::SnapshotMembers(store(), cohort, *h);
  }
  // Every r/ record, to show a refused transaction changed nothing.
  std::map<Bytes, Bytes> RegistryRecords() const {
    std::map<Bytes, Bytes> out;
    for (const auto& [k, v] : kv.entries()) {
      if (k.size() >= 2 && k[0] == 'r' && k[1] == '/') out[k] = v;
    }
    return out;
  }
  size_t CountWithPrefix(std::string_view prefix) const {
    size_t n = 0;
    for (const auto& [k, v] : kv.entries()) {
      if (k.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), k.begin())) ++n;
    }
    return n;
  }

  RegistryParams params;
  Params ledger_params;
  MemoryKv kv;
};

using hito::testing::RootFromRecords;

// Applies `tx` alone in a block that is not an epoch's first (whose snapshot work would
// change r/ records by itself) and checks it is refused with `code` and changes nothing.
void ExpectRefused(RegistryChain* chain, const types::Transaction& tx, TxCode code) {
  if (IsEpochStart(chain->ledger_params, chain->height() + 1)) chain->Apply({});
  const auto before = chain->RegistryRecords();
  const TxResult check = chain->ledger().CheckTransaction(tx, 0, SignatureCheck::kVerify);
  EXPECT_EQ(check.code, code) << TxCodeName(check.code) << ": " << check.message;
  const TxResult r = chain->ApplyOne(tx);
  EXPECT_EQ(r.code, code) << TxCodeName(r.code) << ": " << r.message;
  EXPECT_EQ(TxCodeName(r.code), TxCodeName(code));
  EXPECT_EQ(chain->RegistryRecords(), before) << "a refused transaction changed the registry";
}

TEST(Registry, RegistrationsGetConsecutiveIndicesCohortsAndAreTreeLeaves) {
  RegistryChain chain;
  for (uint64_t i = 0; i < 6; ++i) {
    const Citizen c = MakeCitizen(i);
    const auto a = Attest(AttesterKey(1 + static_cast<int>(i % 2)), c.point,
                          Tag("person-" + std::to_string(i)), 5);
    const TxResult r = chain.ApplyOne(Register(c, a));
    ASSERT_TRUE(r.ok()) << r.message;
    const Identity id = chain.IdentityOf(c.point);
    EXPECT_EQ(id.index, i);
    EXPECT_EQ(registry::CohortOf(chain.params, id.index), i >> 2);
    EXPECT_EQ(id.status, IdentityStatus::kLive);
    EXPECT_EQ(id.registered_epoch, chain.epoch());
    EXPECT_EQ(id.expiry_epoch, 5u);
  }
  EXPECT_EQ(*registry::Size(chain.store()), 6u);
  EXPECT_EQ(*chain.ledger().StateRoot(), RootFromRecords(chain.kv));
}

TEST(Registry, CheckTransactionAgreesAndChangesNothing) {
  RegistryChain chain;
  const Citizen c = MakeCitizen(1);
  const auto tx = Register(c, Attest(AttesterKey(1), c.point, Tag("a"), 5));
  const auto before = chain.kv.entries();
  EXPECT_TRUE(chain.ledger().CheckTransaction(tx, 0, SignatureCheck::kVerify).ok());
  EXPECT_EQ(chain.kv.entries(), before);
  EXPECT_TRUE(chain.ApplyOne(tx).ok());
}

TEST(Registry, ForgedAttestationSignatureIsRefused) {
  RegistryChain chain;
  const Citizen c = MakeCitizen(1);
  types::Attestation a = Attest(AttesterKey(1), c.point, Tag("a"), 5);
  a.signature[5] ^= 1;
  ExpectRefused(&chain, Register(c, a), TxCode::kBadSignature);
  // Signed by attester 3 (not accredited) but claiming to be attester 1.
  types::Attestation b = Attest(AttesterKey(3), c.point, Tag("a"), 5);
  b.attester = AttesterKey(1).public_key();
  ExpectRefused(&chain, Register(c, b), TxCode::kBadSignature);
  // A field changed after signing.
  types::Attestation d = Attest(AttesterKey(1), c.point, Tag("a"), 5);
  d.expiry_epoch = 6;
  ExpectRefused(&chain, Register(c, d), TxCode::kBadSignature);
}

TEST(Registry, PossessionProofForAnotherIdentityOrChainIsRefused) {
  RegistryChain chain;
  const Citizen c = MakeCitizen(1);
  const Citizen other = MakeCitizen(2);
  const auto a = Attest(AttesterKey(1), c.point, Tag("a"), 5);
  // Someone who holds another secret cannot register c's point.
  ExpectRefused(&chain, types::Transaction{types::Registration{a, Prove(other.secret, a)}},
                TxCode::kBadProof);
  // A proof bound to the same attestation on another chain.
  types::Attestation elsewhere = a;
  elsewhere.chain_id = "other-chain";
  ExpectRefused(&chain, types::Transaction{types::Registration{a, Prove(c.secret, elsewhere)}},
                TxCode::kBadProof);
  // A proof bound to another attestation of the same point.
  const auto a2 = Attest(AttesterKey(1), c.point, Tag("a"), 6);
  ExpectRefused(&chain, types::Transaction{types::Registration{a, Prove(c.secret, a2)}},
                TxCode::kBadProof);
  // Garbage proof bytes and a point that is not canonical.
  ExpectRefused(&chain, types::Transaction{types::Registration{a, types::PossessionProof{}}},
                TxCode::kBadProof);
  types::IdentityPoint bad{};
  bad.fill(0xff);
  ExpectRefused(&chain, Register(c, Attest(AttesterKey(1), bad, Tag("a"), 5)), TxCode::kBadProof);
  // The whole attestation for another chain.
  ExpectRefused(&chain, Register(c, Attest(AttesterKey(1), c.point, Tag("a"), 5, "other-chain")),
                TxCode::kWrongChain);
  EXPECT_TRUE(chain.ApplyOne(Register(c, a)).ok());
}

TEST(Registry, ExpiryMustBeAheadAndWithinTheMaximum) {
  RegistryChain chain(SmallParams(), /*epoch_blocks=*/20);  // the refusals stay in epoch 3
  chain.EnterEpoch(3);
  const Citizen c = MakeCitizen(1);
  ExpectRefused(&chain, Register(c, Attest(AttesterKey(1), c.point, Tag("a"), 3)),
                TxCode::kAttestationExpired);
  ExpectRefused(&chain, Register(c, Attest(AttesterKey(1), c.point, Tag("a"), 2)),
                TxCode::kAttestationExpired);
  ExpectRefused(&chain, Register(c, Attest(AttesterKey(1), c.point, Tag("a"), 3 + 11)),
                TxCode::kAttestationTooLong);
  EXPECT_TRUE(chain.ApplyOne(Register(c, Attest(AttesterKey(1), c.point, Tag("a"), 3 + 10))).ok());
}

TEST(Registry, UnaccreditedAttesterIsRefused) {
  RegistryChain chain;
  const Citizen c = MakeCitizen(1);
  ExpectRefused(&chain, Register(c, Attest(AttesterKey(3), c.point, Tag("a"), 5)),
                TxCode::kAttesterNotAccredited);
}

TEST(Registry, AttesterQuotaPerEpoch) {
  RegistryChain chain;  // quota 3
  std::vector<types::Transaction> txs;
  for (uint64_t i = 0; i < 4; ++i) {
    const Citizen c = MakeCitizen(i);
    txs.push_back(Register(c, Attest(AttesterKey(1), c.point, Tag(std::to_string(i)), 5)));
  }
  const std::vector<TxResult> r = chain.Apply({txs[0], txs[1], txs[2]});
  for (const TxResult& x : r) EXPECT_TRUE(x.ok()) << x.message;
  ExpectRefused(&chain, txs[3], TxCode::kAttesterQuota);
  // Another attester has its own quota; the next epoch resets it.
  const Citizen d = MakeCitizen(9);
  EXPECT_TRUE(chain.ApplyOne(Register(d, Attest(AttesterKey(2), d.point, Tag("d"), 5))).ok());
  chain.EnterEpoch(chain.epoch() + 1);
  EXPECT_TRUE(chain.ApplyOne(txs[3]).ok());
}

TEST(Registry, AnAttestationRegistersOnce) {
  RegistryChain chain;
  const Citizen c = MakeCitizen(1);
  const auto a = Attest(AttesterKey(1), c.point, Tag("a"), 5);
  // Twice in one block: the second sees the first.
  const std::vector<TxResult> r = chain.Apply({Register(c, a), Register(c, a)});
  EXPECT_TRUE(r[0].ok());
  EXPECT_EQ(r[1].code, TxCode::kAttestationUsed);
  // Again later, and with a fresh proof of possession.
  ExpectRefused(&chain, Register(c, a), TxCode::kAttestationUsed);
  EXPECT_EQ(*registry::Size(chain.store()), 1u);
}

TEST(Registry, ARegisteredPointCannotRegisterAgainUnderAnotherTag) {
  RegistryChain chain;
  const Citizen c = MakeCitizen(1);
  ASSERT_TRUE(chain.ApplyOne(Register(c, Attest(AttesterKey(1), c.point, Tag("a"), 5))).ok());
  ExpectRefused(&chain, Register(c, Attest(AttesterKey(1), c.point, Tag("b"), 6)),
                TxCode::kIdentityExists);
  ExpectRefused(&chain, Register(c, Attest(AttesterKey(2), c.point, Tag("a2"), 6)),
                TxCode::kIdentityExists);
}

TEST(Registry, SameTagReplacesTheOldIdentity) {
  RegistryChain chain;
  const Citizen lost = MakeCitizen(1);
  const Citizen fresh = MakeCitizen(2);
  ASSERT_TRUE(chain.ApplyOne(Register(lost, Attest(AttesterKey(1), lost.point, Tag("p"), 5))).ok());
  chain.EnterEpoch(1);
  EXPECT_EQ(chain.Snapshot(1, 0), std::vector<types::IdentityPoint>{lost.point});
  const TxResult r =
      chain.ApplyOne(Register(fresh, Attest(AttesterKey(1), fresh.point, Tag("p"), 6)));
  ASSERT_TRUE(r.ok()) << r.message;
  const std::string one = HexEncode(AttesterKey(1).public_key());
  EXPECT_EQ(r.message, "replaced identity 0 of attester " + one +
                           " (same dedup tag); replacement attested by " + one);
  EXPECT_EQ(chain.LiveCount(), 1u);
  EXPECT_EQ(chain.IdentityOf(lost.point).status, IdentityStatus::kReplaced);
  EXPECT_EQ(chain.IdentityOf(fresh.point).index, 1u);
  EXPECT_EQ(chain.IdentityOf(fresh.point).status, IdentityStatus::kLive);
  // Still the old set until the next snapshot; then the old slot is a filler.
  EXPECT_EQ(chain.Snapshot(1, 0), std::vector<types::IdentityPoint>{lost.point});
  chain.EnterEpoch(2);
  EXPECT_EQ(chain.Snapshot(2, 0), (std::vector<types::IdentityPoint>{
                                      zk::proof::membership::Filler(0).bytes(), fresh.point}));
  // The replaced identity cannot come back with its old key, nor be revoked.
  ExpectRefused(&chain, Register(lost, Attest(AttesterKey(1), lost.point, Tag("p"), 7)),
                TxCode::kIdentityExists);
  ExpectRefused(&chain, Revoke(AttesterKey(1), lost.point), TxCode::kIdentityNotLive);
}

// Tags are one per person across attesters (the validators' OPRF): a second attester
// checking the same person registers the person's new key and replaces the identity the
// first attester issued. One live identity; the result names both attesters in full.
TEST(Registry, AnotherAttesterReplacesTheHolderOfTheSameTag) {
  RegistryChain chain;
  const Citizen first = MakeCitizen(1);
  const Citizen second = MakeCitizen(2);
  ASSERT_TRUE(
      chain.ApplyOne(Register(first, Attest(AttesterKey(1), first.point, Tag("p"), 5))).ok());
  chain.EnterEpoch(1);
  ASSERT_EQ(chain.LiveCount(), 1u);
  const TxResult r =
      chain.ApplyOne(Register(second, Attest(AttesterKey(2), second.point, Tag("p"), 6)));
  ASSERT_TRUE(r.ok()) << TxCodeName(r.code) << ": " << r.message;
  EXPECT_EQ(r.message, "replaced identity 0 of attester " + HexEncode(AttesterKey(1).public_key()) +
                           " (same dedup tag); replacement attested by " +
                           HexEncode(AttesterKey(2).public_key()));
  EXPECT_EQ(chain.IdentityOf(first.point).status, IdentityStatus::kReplaced);
  EXPECT_EQ(chain.IdentityOf(first.point).attester, AttesterKey(1).public_key());
  const Identity now = chain.IdentityOf(second.point);
  EXPECT_EQ(now.status, IdentityStatus::kLive);
  EXPECT_EQ(now.index, 1u);
  EXPECT_EQ(now.attester, AttesterKey(2).public_key());
  EXPECT_EQ(now.registered_epoch, 1u);
  EXPECT_EQ(chain.LiveCount(), 1u);
  EXPECT_EQ(*registry::Size(chain.store()), 2u);  // indices are never reused
  // The replacement counts against the replacing attester's quota, not the issuer's.
  EXPECT_EQ((*registry::GetAttesterQuota(chain.store(), AttesterKey(2).public_key()))->used, 1u);
  // Snapshot 1 still holds the first key; from epoch 2 only the second.
  EXPECT_EQ(chain.Snapshot(1, 0), std::vector<types::IdentityPoint>{first.point});
  chain.EnterEpoch(2);
  EXPECT_EQ(chain.Snapshot(2, 0), (std::vector<types::IdentityPoint>{
                                      zk::proof::membership::Filler(0).bytes(), second.point}));
  // The replaced identity is dead for every attester: not revocable, not renewable.
  ExpectRefused(&chain, Revoke(AttesterKey(1), first.point), TxCode::kIdentityNotLive);
  ExpectRefused(&chain, Register(first, Attest(AttesterKey(1), first.point, Tag("p"), 7)),
                TxCode::kIdentityExists);
}

// The griefing a shared, public tag allows, and its bounds: an accredited attester that
// copies a victim's tag from state replaces the victim's identity with a key of its own.
// It is on record (the result names it; the new identity's attester is it); the victim's
// original attester cannot revoke the copy (revocation stays the issuer's), but any
// attester re-attesting the victim under a new key replaces the copy in turn.
TEST(Registry, ACopiedTagReplacesTheVictimAndReattestationRestoresIt) {
  RegistryChain chain;
  const Citizen victim = MakeCitizen(1);
  const Citizen intruder = MakeCitizen(2);
  const Citizen restored = MakeCitizen(3);
  ASSERT_TRUE(
      chain.ApplyOne(Register(victim, Attest(AttesterKey(1), victim.point, Tag("v"), 5))).ok());
  const Hash32 tag = chain.IdentityOf(victim.point).dedup_tag;  // public in state
  const TxResult grief =
      chain.ApplyOne(Register(intruder, Attest(AttesterKey(2), intruder.point, tag, 5)));
  ASSERT_TRUE(grief.ok()) << grief.message;
  EXPECT_NE(grief.message.find("attested by " + HexEncode(AttesterKey(2).public_key())),
            std::string::npos)
      << grief.message;
  EXPECT_EQ(chain.IdentityOf(victim.point).status, IdentityStatus::kReplaced);
  EXPECT_EQ(chain.IdentityOf(intruder.point).attester, AttesterKey(2).public_key());
  ExpectRefused(&chain, Revoke(AttesterKey(1), intruder.point), TxCode::kNotIssuer);
  // The victim's attester checks them again and attests a new key: the copy is replaced.
  const TxResult back =
      chain.ApplyOne(Register(restored, Attest(AttesterKey(1), restored.point, tag, 6)));
  ASSERT_TRUE(back.ok()) << back.message;
  EXPECT_NE(back.message.find("replaced identity 1 of attester " +
                              HexEncode(AttesterKey(2).public_key())),
            std::string::npos)
      << back.message;
  EXPECT_EQ(chain.IdentityOf(intruder.point).status, IdentityStatus::kReplaced);
  EXPECT_EQ(chain.IdentityOf(restored.point).status, IdentityStatus::kLive);
  EXPECT_EQ(chain.LiveCount(), 1u);
}

// Replacement needs an accredited attester like any registration: neither a key never
// accredited nor one governance removed can replace by a copied tag.
TEST(Registry, AnUnaccreditedOrRemovedAttesterCannotReplace) {
  RegistryChain chain;
  const Citizen victim = MakeCitizen(1);
  const Citizen intruder = MakeCitizen(2);
  ASSERT_TRUE(
      chain.ApplyOne(Register(victim, Attest(AttesterKey(1), victim.point, Tag("v"), 5))).ok());
  const Hash32 tag = chain.IdentityOf(victim.point).dedup_tag;
  ExpectRefused(&chain, Register(intruder, Attest(AttesterKey(3), intruder.point, tag, 5)),
                TxCode::kAttesterNotAccredited);
  EXPECT_EQ(chain.IdentityOf(victim.point).status, IdentityStatus::kLive);
  // Attester 2 removed (as governance would), judged on that store.
  RegistryStore store = chain.store();
  ASSERT_TRUE(registry::RemoveAttester(&store, AttesterKey(2).public_key()).ok());
  const auto a = Attest(AttesterKey(2), intruder.point, tag, 5);
  const TxResult r = *registry::ApplyRegistration(&store, kChain, chain.params, chain.epoch(),
                                                  types::Registration{a, Prove(intruder.secret, a)},
                                                  SignatureCheck::kVerify);
  EXPECT_EQ(r.code, TxCode::kAttesterNotAccredited) << r.message;
  EXPECT_EQ((*registry::FindIdentity(store, victim.point))->status, IdentityStatus::kLive);
}

// A replacement is still a registration: its attestation must be unexpired, within the
// maximum, signed, and within the replacing attester's quota.
TEST(Registry, AReplacementKeepsEveryOtherRegistrationRule) {
  RegistryChain chain;  // quota 3
  const Citizen victim = MakeCitizen(1);
  ASSERT_TRUE(
      chain.ApplyOne(Register(victim, Attest(AttesterKey(1), victim.point, Tag("v"), 5))).ok());
  const Hash32 tag = chain.IdentityOf(victim.point).dedup_tag;
  const Citizen x = MakeCitizen(2);
  ExpectRefused(&chain, Register(x, Attest(AttesterKey(2), x.point, tag, 0)),
                TxCode::kAttestationExpired);
  ExpectRefused(&chain, Register(x, Attest(AttesterKey(2), x.point, tag, 20)),
                TxCode::kAttestationTooLong);
  types::Transaction forged = Register(x, Attest(AttesterKey(2), x.point, tag, 5));
  std::get<types::Registration>(forged.body).attestation.signature[0] ^= 1;
  ExpectRefused(&chain, forged, TxCode::kBadSignature);
  // At a fresh epoch's start, attester 2 spends its quota on others in one block; its
  // replacement is then refused.
  chain.EnterEpoch(chain.epoch() + 1);
  std::vector<types::Transaction> others;
  for (uint64_t i = 0; i < 3; ++i) {
    const Citizen c = MakeCitizen(10 + i);
    others.push_back(Register(c, Attest(AttesterKey(2), c.point, Tag(std::to_string(i)), 5)));
  }
  for (const TxResult& r : chain.Apply(others)) ASSERT_TRUE(r.ok()) << r.message;
  ExpectRefused(&chain, Register(x, Attest(AttesterKey(2), x.point, tag, 5)),
                TxCode::kAttesterQuota);
  EXPECT_EQ(chain.IdentityOf(victim.point).status, IdentityStatus::kLive);
}

TEST(Registry, RenewalExtendsTheExpiryInPlace) {
  RegistryChain chain;
  const Citizen c = MakeCitizen(1);
  ASSERT_TRUE(chain.ApplyOne(Register(c, Attest(AttesterKey(1), c.point, Tag("a"), 3))).ok());
  ExpectRefused(&chain, Register(c, Attest(AttesterKey(1), c.point, Tag("a"), 3)),
                TxCode::kAttestationUsed);
  ExpectRefused(&chain, Register(c, Attest(AttesterKey(2), c.point, Tag("a"), 2)),
                TxCode::kRenewalNotLater);
  ASSERT_TRUE(chain.ApplyOne(Register(c, Attest(AttesterKey(2), c.point, Tag("a"), 6))).ok());
  const Identity id = chain.IdentityOf(c.point);
  EXPECT_EQ(id.index, 0u);
  EXPECT_EQ(id.expiry_epoch, 6u);
  EXPECT_EQ(id.attester, AttesterKey(2).public_key());  // the latest issuer may revoke
  EXPECT_EQ(*registry::Size(chain.store()), 1u);
  // The old expiry passes without effect.
  chain.EnterEpoch(3);
  EXPECT_EQ(chain.IdentityOf(c.point).status, IdentityStatus::kLive);
  EXPECT_EQ(chain.Snapshot(3, 0), std::vector<types::IdentityPoint>{c.point});
}

TEST(Registry, RevocationOnlyByTheIssuingAttester) {
  RegistryChain chain;
  const Citizen c = MakeCitizen(1);
  const Citizen d = MakeCitizen(2);
  ASSERT_TRUE(chain.ApplyOne(Register(c, Attest(AttesterKey(1), c.point, Tag("a"), 5))).ok());
  ASSERT_TRUE(chain.ApplyOne(Register(d, Attest(AttesterKey(1), d.point, Tag("b"), 5))).ok());
  ExpectRefused(&chain, Revoke(AttesterKey(2), c.point), TxCode::kNotIssuer);
  ExpectRefused(&chain, Revoke(AttesterKey(3), c.point), TxCode::kAttesterNotAccredited);
  types::Transaction forged = Revoke(AttesterKey(1), c.point);
  std::get<types::Revocation>(forged.body).signature[0] ^= 1;
  ExpectRefused(&chain, forged, TxCode::kBadSignature);
  // A signature over d's revocation does not revoke c.
  types::Transaction moved = Revoke(AttesterKey(1), d.point);
  std::get<types::Revocation>(moved.body).identity = c.point;
  ExpectRefused(&chain, moved, TxCode::kBadSignature);
  ExpectRefused(&chain, Revoke(AttesterKey(1), MakeCitizen(7).point), TxCode::kIdentityUnknown);
  ASSERT_TRUE(chain.ApplyOne(Revoke(AttesterKey(1), c.point)).ok());
  EXPECT_EQ(chain.IdentityOf(c.point).status, IdentityStatus::kRevoked);
  ExpectRefused(&chain, Revoke(AttesterKey(1), c.point), TxCode::kIdentityNotLive);
}

TEST(Registry, SnapshotsFreezeAtEpochStartAndMatchTheMembershipSet) {
  RegistryChain chain;
  std::vector<Citizen> cs;
  for (uint64_t i = 0; i < 5; ++i) cs.push_back(MakeCitizen(i));
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(chain
                    .ApplyOne(Register(
                        cs[i], Attest(AttesterKey(1), cs[i].point, Tag(std::to_string(i)), 8)))
                    .ok());
  }
  EXPECT_FALSE(chain.SnapshotHash(0, 0).has_value());  // registered during epoch 0
  chain.EnterEpoch(1);
  // Registered during epoch 1, after its freeze: not in epoch 1's set.
  ASSERT_TRUE(
      chain.ApplyOne(Register(cs[3], Attest(AttesterKey(2), cs[3].point, Tag("3"), 8))).ok());
  const std::vector<types::IdentityPoint> members = chain.Snapshot(1, 0);
  EXPECT_EQ(members, (std::vector<types::IdentityPoint>{cs[0].point, cs[1].point, cs[2].point}));
  std::vector<zk::Point> points;
  for (const auto& m : members) points.push_back(*zk::Point::Decode(m));
  EXPECT_EQ(*chain.SnapshotHash(1, 0), zk::proof::membership::PreparedSet::Create(points)->hash());
  chain.EnterEpoch(2);
  EXPECT_EQ(chain.Snapshot(2, 0).size(), 4u);
  EXPECT_FALSE(chain.SnapshotHash(2, 1).has_value());
  // Cohort 1 starts with index 4.
  ASSERT_TRUE(
      chain.ApplyOne(Register(cs[4], Attest(AttesterKey(2), cs[4].point, Tag("4"), 8))).ok());
  chain.EnterEpoch(3);
  EXPECT_EQ(chain.Snapshot(3, 1), std::vector<types::IdentityPoint>{cs[4].point});
  // Cohort 0 did not change: epochs 2 and 3 share one set record.
  EXPECT_EQ(*chain.SnapshotHash(3, 0), *chain.SnapshotHash(2, 0));
  EXPECT_EQ(chain.CountWithPrefix("r/s/"), 3u);  // cohort 0 from epochs 1 and 2, cohort 1
  chain.EnterEpoch(4);
  EXPECT_EQ(*chain.SnapshotHash(4, 0), *chain.SnapshotHash(2, 0));
  EXPECT_EQ(chain.CountWithPrefix("r/s/"), 2u);  // window [2, 4]: epoch 1's set pruned
  EXPECT_EQ(*chain.ledger().StateRoot(), RootFromRecords(chain.kv));
}

TEST(Registry, DeadSlotsBecomeFillersAndIndicesStay) {
  RegistryChain chain;
  std::vector<Citizen> cs;
  for (uint64_t i = 0; i < 3; ++i) cs.push_back(MakeCitizen(i));
  const uint64_t expiry[] = {9, 9, 3};
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(chain
                    .ApplyOne(Register(cs[i], Attest(AttesterKey(1), cs[i].point,
                                                     Tag(std::to_string(i)), expiry[i])))
                    .ok());
  }
  chain.EnterEpoch(1);
  ASSERT_TRUE(chain.ApplyOne(Revoke(AttesterKey(1), cs[1].point)).ok());
  chain.EnterEpoch(2);
  const auto filler = [](uint64_t i) { return zk::proof::membership::Filler(i).bytes(); };
  EXPECT_EQ(chain.Snapshot(2, 0),
            (std::vector<types::IdentityPoint>{cs[0].point, filler(1), cs[2].point}));
  EXPECT_EQ(chain.IdentityOf(cs[2].point).status, IdentityStatus::kLive);
  chain.EnterEpoch(3);  // cs[2]'s attestation expires at epoch 3
  EXPECT_EQ(chain.IdentityOf(cs[2].point).status, IdentityStatus::kExpired);
  EXPECT_EQ(chain.Snapshot(3, 0),
            (std::vector<types::IdentityPoint>{cs[0].point, filler(1), filler(2)}));
  EXPECT_EQ(chain.IdentityOf(cs[0].point).index, 0u);
  // The expired tag is free again: a new identity takes the next index, not the old slot.
  const Citizen back = MakeCitizen(10);
  ASSERT_TRUE(chain.ApplyOne(Register(back, Attest(AttesterKey(1), back.point, Tag("2"), 9))).ok());
  EXPECT_EQ(chain.IdentityOf(back.point).index, 3u);
  EXPECT_EQ(chain.IdentityOf(cs[2].point).status, IdentityStatus::kExpired);
}

TEST(Registry, OldSnapshotsAndUsedAttestationsArePruned) {
  RegistryChain chain;  // window 3
  const Citizen a = MakeCitizen(1);
  const Citizen b = MakeCitizen(2);
  const auto att = Attest(AttesterKey(1), a.point, Tag("a"), 4);
  ASSERT_TRUE(chain.ApplyOne(Register(a, att)).ok());
  chain.EnterEpoch(1);
  ASSERT_TRUE(chain.ApplyOne(Register(b, Attest(AttesterKey(1), b.point, Tag("b"), 9))).ok());
  chain.EnterEpoch(2);
  const Hash32 h1 = *chain.SnapshotHash(1, 0);
  const Hash32 h2 = *chain.SnapshotHash(2, 0);
  EXPECT_NE(h1, h2);
  EXPECT_EQ(chain.CountWithPrefix("r/a/"), 2u);
  chain.EnterEpoch(4);  // window [2, 4]: epoch 1's set is no longer needed
  EXPECT_FALSE(*registry::SnapshotMembers(chain.store(), 0, h1));
  EXPECT_EQ(*chain.SnapshotHash(2, 0), h2);
  // a expired at 4: its attestation's single-use mark went with it (it can no longer
  // register anyway: its expiry is past).
  EXPECT_EQ(chain.CountWithPrefix("r/a/"), 1u);
  ExpectRefused(&chain, Register(a, att), TxCode::kAttestationExpired);
  EXPECT_EQ(chain.CountWithPrefix("r/e/"), 1u);  // only b's bucket (epoch 9) is left
  EXPECT_EQ(*chain.ledger().StateRoot(), RootFromRecords(chain.kv));
}

TEST(Registry, DisabledWithoutAttesters) {
  Genesis g;
  g.chain_id = kChain;
  auto out = Ledger::InitGenesis(g);
  ASSERT_TRUE(out.ok());
  MemoryKv kv;
  kv.Apply(out->changes);
  Ledger ledger(kChain, &kv);
  EXPECT_FALSE(ledger.GetRegistryParams()->has_value());
  const Citizen c = MakeCitizen(1);
  const auto tx = Register(c, Attest(AttesterKey(1), c.point, Tag("a"), 5));
  auto applied =
      ledger.ApplyBlock(Header(1), {tx, Revoke(AttesterKey(1), c.point)}, SignatureCheck::kVerify);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(applied->results[0].code, TxCode::kUnsupportedKind);
  EXPECT_EQ(applied->results[1].code, TxCode::kUnsupportedKind);
  // The kinds themselves are enabled; this chain's genesis is what turns them off.
  EXPECT_TRUE(TxKindEnabled(types::TxKind::kRegister));
  EXPECT_TRUE(TxKindEnabled(types::TxKind::kRevoke));
  EXPECT_TRUE(TxKindEnabled(types::TxKind::kClaim));
  EXPECT_TRUE(TxKindEnabled(types::TxKind::kProposal));
  EXPECT_TRUE(TxKindEnabled(types::TxKind::kBallot));
}

TEST(Registry, GenesisRejectsBadParamsAndDuplicateAttesters) {
  Genesis g;
  g.chain_id = kChain;
  g.attesters = {AttesterKey(1).public_key(), AttesterKey(1).public_key()};
  EXPECT_EQ(Ledger::InitGenesis(g).status().code(), StatusCode::kInvalidArgument);
  g.attesters = {AttesterKey(1).public_key()};
  ASSERT_TRUE(Ledger::InitGenesis(g).ok());
  for (auto bad :
       {+[](RegistryParams* p) { p->cohort_bits = 17; },
        +[](RegistryParams* p) { p->max_attestation_epochs = 0; },
        +[](RegistryParams* p) { p->attester_quota_per_epoch = 0; },
        +[](RegistryParams* p) { p->claim_window = 0; },
        +[](RegistryParams* p) { p->dedup_quota_per_epoch = 0; },
        +[](RegistryParams* p) { p->dedup_quota_per_epoch = kDedupQuotaPerEpochMax + 1; }}) {
    Genesis b = g;
    bad(&b.registry);
    EXPECT_EQ(Ledger::InitGenesis(b).status().code(), StatusCode::kInvalidArgument);
  }
  Genesis no_claims = g;
  no_claims.ubi.max_claims_per_block = 0;
  EXPECT_EQ(Ledger::InitGenesis(no_claims).status().code(), StatusCode::kInvalidArgument);
  // A dealt key set's quota is genesis' record of the registry parameter: one value.
  Genesis keyed = g;
  keyed.dedup_keys = DedupKeySet{};
  keyed.dedup_keys->threshold = 1;
  keyed.dedup_keys->quota_per_epoch = 5;
  keyed.registry.dedup_quota_per_epoch = 6;
  auto mismatch = Ledger::InitGenesis(keyed);
  EXPECT_EQ(mismatch.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(mismatch.status().message().find("dedup_quota_per_epoch"), std::string::npos)
      << mismatch.status().ToString();
  keyed.registry.dedup_quota_per_epoch = 5;
  EXPECT_TRUE(Ledger::InitGenesis(keyed).ok());
}

// r/params (personhood.md, "Records"): genesis writes version 2, which carries
// dedup_quota_per_epoch and round-trips; version 1 records (written before the quota was a
// registry parameter) still decode, taking the quota from k/keys or the default; anything
// else is refused as kDataLoss.
Bytes ParamsRecord(uint8_t version, const RegistryParams& p, bool with_quota) {
  return types::EncodeWith([&](types::Writer* w) {
    w->U8(version);
    w->U8(p.cohort_bits);
    w->U64(p.max_attestation_epochs);
    w->U32(p.attester_quota_per_epoch);
    w->U64(p.claim_window);
    if (with_quota) w->U32(p.dedup_quota_per_epoch);
  });
}

TEST(Registry, ParamsRecordVersion2RoundTripsAndVersion1StillDecodes) {
  RegistryParams p = SmallParams();
  p.dedup_quota_per_epoch = 77;
  const Bytes v2 = EncodeRegistryParams(p);
  EXPECT_EQ(v2, ParamsRecord(2, p, /*with_quota=*/true));
  EXPECT_EQ(*DecodeRegistryParams(v2, /*v1_dedup_quota=*/5), p);  // v2 ignores the fallback
  // Version 1: every field but the quota, which the caller supplies.
  const Bytes v1 = ParamsRecord(1, p, /*with_quota=*/false);
  RegistryParams from_v1 = p;
  from_v1.dedup_quota_per_epoch = 5;
  EXPECT_EQ(*DecodeRegistryParams(v1, 5), from_v1);
  // Non-canonical or out of range: refused.
  RegistryParams zero = p;
  zero.dedup_quota_per_epoch = 0;
  RegistryParams over = p;
  over.dedup_quota_per_epoch = kDedupQuotaPerEpochMax + 1;
  Bytes trailing = v2;
  trailing.push_back(0);
  const std::vector<Bytes> bad = {
      ParamsRecord(1, p, /*with_quota=*/true),   // a version 1 record has no quota
      ParamsRecord(2, p, /*with_quota=*/false),  // a version 2 record must have one
      ParamsRecord(0, p, /*with_quota=*/true),
      ParamsRecord(3, p, /*with_quota=*/true),
      ParamsRecord(2, zero, /*with_quota=*/true),
      ParamsRecord(2, over, /*with_quota=*/true),
      trailing,
      Bytes(v2.begin(), v2.end() - 1),
      Bytes{},
  };
  for (const Bytes& b : bad) {
    EXPECT_EQ(DecodeRegistryParams(b, 5).status().code(), StatusCode::kDataLoss) << HexEncode(b);
  }
  // A version 1 record with a fallback out of range is as corrupt as a stored one.
  EXPECT_EQ(DecodeRegistryParams(v1, 0).status().code(), StatusCode::kDataLoss);
}

TEST(Registry, GenesisWritesVersion2AndAVersion1RecordReadsTheQuotaFromKeys) {
  RegistryParams p = SmallParams();
  p.dedup_quota_per_epoch = 9;
  RegistryChain chain(p);
  EXPECT_EQ(chain.ledger().GetRegistryParams().value()->dedup_quota_per_epoch, 9u);
  const Bytes key = {'r', '/', 'p', 'a', 'r', 'a', 'm', 's'};
  EXPECT_EQ(chain.kv.entries().at(key), ParamsRecord(2, p, /*with_quota=*/true));

  // A state written before the parameter: r/params version 1 and the quota in k/keys.
  RegistryStore store = chain.store();
  store.Put(key, ParamsRecord(1, p, /*with_quota=*/false));
  RegistryParams want = p;
  want.dedup_quota_per_epoch = kDefaultDedupQuotaPerEpoch;  // no k/keys: the default
  EXPECT_EQ(*registry::ReadParams(store), want);
  DedupKeySet keys;
  keys.threshold = 1;
  keys.quota_per_epoch = 42;
  ASSERT_TRUE(dkg::InitGenesis(&store, kChain, types::ValidatorSet(), keys, std::nullopt).ok());
  want.dedup_quota_per_epoch = 42;
  EXPECT_EQ(*registry::ReadParams(store), want);
  // Governance rewriting the parameters writes version 2, keeping that quota.
  registry::WriteParams(&store, *registry::ReadParams(store).value());
  EXPECT_EQ(store.writes().at(key), ParamsRecord(2, want, /*with_quota=*/true));
  keys.quota_per_epoch = 43;  // k/keys no longer matters
  ASSERT_TRUE(dkg::InitGenesis(&store, kChain, types::ValidatorSet(), keys, std::nullopt).ok());
  EXPECT_EQ(*registry::ReadParams(store), want);
}

// Genesis identities are in the snapshots of epoch 0, in order, so a claim by one of
// them executes in the first block; hostile lists (unaccredited attester, repeated point
// or tag, bad expiry, no attesters at all) are refused.
TEST(Registry, GenesisIdentitiesClaimInEpochZero) {
  Genesis g;
  g.chain_id = kChain;
  g.params.epoch_blocks = kEpochBlocks;
  g.attesters = {AttesterKey(1).public_key()};
  g.registry = SmallParams();
  std::vector<Citizen> citizens;
  for (uint64_t i = 0; i < 6; ++i) {
    citizens.push_back(MakeCitizen(i));
    g.identities.push_back(GenesisIdentity{citizens.back().point, Tag("g" + std::to_string(i)),
                                           AttesterKey(1).public_key(), 5});
  }
  auto out = Ledger::InitGenesis(g);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  MemoryKv kv;
  kv.Apply(out->changes);
  const RegistryStore store(&kv);
  EXPECT_EQ(*registry::Size(store), 6u);
  // Cohorts of 4: cohort 0 holds identities 0..3, cohort 1 identities 4..5.
  const std::optional<Hash32> h0 = *registry::SnapshotHash(store, 0, 0);
  const std::optional<Hash32> h1 = *registry::SnapshotHash(store, 0, 1);
  ASSERT_TRUE(h0 && h1);
  auto members = **registry::SnapshotMembers(store, 1, *h1);
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0], citizens[4].point);
  EXPECT_EQ(members[1], citizens[5].point);
  EXPECT_EQ((*registry::FindIdentity(store, citizens[5].point))->index, 5u);

  // A claim by identity 5 (position 1 of cohort 1) in block 1, epoch 0.
  std::vector<zk::Point> points;
  for (const auto& m : members) points.push_back(*zk::Point::Decode(m));
  auto set = zk::proof::membership::PreparedSet::Create(points);
  ASSERT_TRUE(set.ok());
  types::Claim claim;
  claim.epoch = 0;
  claim.cohort = 1;
  claim.recipient = Hash32{9};
  auto proof =
      zk::proof::membership::Prove(*set, 1, citizens[5].secret, kChain, types::ClaimContext(0),
                                   types::ClaimMessage(kChain, 0, 1, claim.recipient));
  ASSERT_TRUE(proof.ok());
  claim.proof = proof->Encode();
  Ledger ledger(kChain, &kv);
  auto applied = ledger.ApplyBlock(Header(1), {types::Transaction{claim}}, SignatureCheck::kVerify);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_TRUE(applied->results.at(0).ok()) << applied->results.at(0).message;
  kv.Apply(applied->changes);
  EXPECT_EQ(ledger.GetAccount(claim.recipient)->balance, g.ubi.ubi_per_epoch);

  auto refused = [&](auto mutate) {
    Genesis b = g;
    mutate(&b);
    auto r = Ledger::InitGenesis(b);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    return r.status().message();
  };
  EXPECT_NE(refused([](Genesis* b) {
              b->identities[2].attester = AttesterKey(3).public_key();
            }).find("identity 2"),
            std::string::npos);
  EXPECT_NE(refused([](Genesis* b) {
              b->identities[3].point = b->identities[1].point;
            }).find("point listed twice"),
            std::string::npos);
  EXPECT_NE(refused([](Genesis* b) {
              b->identities[3].dedup_tag = b->identities[0].dedup_tag;
            }).find("dedup tag listed twice"),
            std::string::npos);
  refused([](Genesis* b) { b->identities[0].expiry_epoch = 0; });
  refused([](Genesis* b) { b->identities[0].expiry_epoch = 11; });
  refused([](Genesis* b) { b->identities[0].point = types::IdentityPoint{}; });
  refused([](Genesis* b) { b->attesters.clear(); });
}

TEST(Registry, AddAndRemoveAttester) {
  RegistryChain chain;
  RegistryStore store = chain.store();
  const auto three = AttesterKey(3).public_key();
  EXPECT_FALSE(*registry::IsAttester(store, three));
  ASSERT_TRUE(registry::AddAttester(&store, three).ok());
  EXPECT_TRUE(*registry::IsAttester(store, three));
  EXPECT_EQ(registry::AddAttester(&store, three).code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(registry::RemoveAttester(&store, AttesterKey(1).public_key()).ok());
  EXPECT_FALSE(*registry::IsAttester(store, AttesterKey(1).public_key()));
  EXPECT_EQ(registry::RemoveAttester(&store, AttesterKey(1).public_key()).code(),
            StatusCode::kNotFound);
  // A registration judged on that store: the new attester registers, the removed one not.
  const Citizen c = MakeCitizen(1);
  const auto reg = [&](int attester) {
    const auto a = Attest(AttesterKey(attester), c.point, Tag("x"), 5);
    return *registry::ApplyRegistration(&store, kChain, chain.params, chain.height() + 1,
                                        types::Registration{a, Prove(c.secret, a)},
                                        SignatureCheck::kVerify);
  };
  EXPECT_EQ(reg(1).code, TxCode::kAttesterNotAccredited);
  EXPECT_TRUE(reg(3).ok());
}

TEST(Registry, OwnerAddsCommitmentsWithProofOfPossession) {
  RegistryChain chain;
  const Citizen c = MakeCitizen(1);
  ASSERT_TRUE(chain.ApplyOne(Register(c, Attest(AttesterKey(1), c.point, Tag("a"), 5))).ok());
  RegistryStore store = chain.store();
  const Commitment commitment{1, Hash32{9}};
  const auto proof_by = [&](const zk::Scalar& secret, std::string_view chain_id) {
    return zk::proof::SchnorrProve(
               secret, types::CommitmentPossessionMessage(chain_id, c.point, commitment.kind,
                                                          commitment.value))
        ->Encode();
  };
  EXPECT_EQ(registry::AddCommitment(&store, kChain, c.point, commitment,
                                    proof_by(MakeCitizen(2).secret, kChain))
                ->code,
            TxCode::kBadProof);
  EXPECT_EQ(registry::AddCommitment(&store, kChain, c.point, commitment,
                                    proof_by(c.secret, "other-chain"))
                ->code,
            TxCode::kBadProof);
  ASSERT_TRUE(
      registry::AddCommitment(&store, kChain, c.point, commitment, proof_by(c.secret, kChain))
          ->ok());
  const Identity id = **registry::FindIdentity(store, c.point);
  EXPECT_EQ(id.commitments, std::vector<Commitment>{commitment});
  EXPECT_EQ(registry::AddCommitment(&store, kChain, c.point, commitment, proof_by(c.secret, kChain))
                ->code,
            TxCode::kCommitmentRefused);
  // The record round-trips with its commitments, and a record of another version is
  // refused as corrupt.
  Bytes record = EncodeIdentity(id);
  EXPECT_EQ(*DecodeIdentity(id.index, record), id);
  record[0] = 2;
  EXPECT_EQ(DecodeIdentity(id.index, record).status().code(), StatusCode::kDataLoss);
}

TEST(Registry, TwoLedgersAgreeAndRefusalCodesHaveStableNames) {
  RegistryChain a;
  RegistryChain b;
  for (uint64_t i = 0; i < 3; ++i) {
    const Citizen c = MakeCitizen(i);
    const auto tx = Register(c, Attest(AttesterKey(1), c.point, Tag(std::to_string(i)), 5));
    a.ApplyOne(tx);
    b.ApplyOne(tx);
    a.EnterEpoch(i + 1);
    b.EnterEpoch(i + 1);
  }
  EXPECT_EQ(a.kv.entries(), b.kv.entries());
  EXPECT_EQ(TxCodeName(TxCode::kAttesterNotAccredited), "TX_ATTESTER_NOT_ACCREDITED");
  EXPECT_EQ(TxCodeName(TxCode::kBadProof), "TX_BAD_PROOF");
  EXPECT_EQ(TxCodeName(TxCode::kCommitmentRefused), "TX_COMMITMENT_REFUSED");
  EXPECT_EQ(static_cast<int>(TxCode::kAttesterNotAccredited), 16);
  EXPECT_EQ(static_cast<int>(TxCode::kCommitmentRefused), 27);
}

TEST(Registry, ALongLivedLedgerWithItsCacheAgreesWithFreshOnes) {
  RegistryChain fresh;
  RegistryChain cached;
  Ledger exec(kChain, &cached.kv);  // kept across blocks, as the node keeps one
  for (uint64_t i = 0; i < 12; ++i) {
    std::vector<types::Transaction> txs;
    const Citizen c = MakeCitizen(i);
    txs.push_back(Register(c, Attest(AttesterKey(1), c.point, Tag(std::to_string(i % 5)), 9)));
    if (i == 7) txs.push_back(Revoke(AttesterKey(1), MakeCitizen(6).point));
    fresh.Apply(txs);
    auto out = exec.ApplyBlock(Header(cached.height() + 1), txs, SignatureCheck::kVerify);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    cached.kv.Apply(out->changes);
    exec.OnCommitted(*out);
    ASSERT_EQ(*cached.ledger().StateRoot(), *fresh.ledger().StateRoot()) << "block " << i + 1;
  }
  EXPECT_EQ(cached.kv.entries(), fresh.kv.entries());
}

}  // namespace
}  // namespace hito::consensus::ledger
