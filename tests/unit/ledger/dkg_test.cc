// The ledger's dkg module: DKG and resharing runs of the dedup OPRF key carried in kind-8
// transactions, with phase deadlines as heights. Real ledger over a MemoryKv, real
// zk::dkg dealings sealed with libsodium, real Ed25519. Members deal, complain, justify
// and combine their shares exactly as a validator would; the test checks that the key set
// the ledger writes (k/keys) matches what the members hold, and each refusal rule.
#include "consensus/ledger/dkg.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "base/ed25519.h"
#include "consensus/ledger/ledger.h"
#include "consensus/ledger/records.h"
#include "consensus/ledger/registry.h"
#include "zk/dkg.h"
#include "zk/oprf.h"

namespace hito::consensus::ledger {
namespace {

namespace zdkg = zk::dkg;
constexpr char kChain[] = "hito-dkg-1";
constexpr uint64_t kPhase = 2;  // dealings 1..2, complaints 3..4, justifications 5..6

Ed25519PrivateKey KeyFor(int i) {
  Ed25519Seed seed{};
  seed[0] = static_cast<uint8_t>(i);
  seed[31] = 0x5d;
  return Ed25519PrivateKey::FromSeed(seed);
}

types::ValidatorSet SetOf(const std::vector<int>& ids) {
  std::vector<types::Validator> vs;
  for (int i : ids) vs.push_back({KeyFor(i).public_key(), 10});
  return types::ValidatorSet::Create(std::move(vs)).value();
}

// A chain whose genesis opens a DKG among validators {0..3}, with `schedule`.
class Chain {
 public:
  explicit Chain(std::vector<ValidatorSetChange> schedule = {}) {
    Genesis g;
    g.chain_id = kChain;
    g.validators = SetOf({0, 1, 2, 3});
    g.validator_schedule = std::move(schedule);
    g.dedup_dkg = DkgGenesis{kPhase, 0};
    auto out = Ledger::InitGenesis(g);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    if (out.ok()) kv.Apply(out->changes);
    for (int i = 0; i < 8; ++i) keys.emplace(KeyFor(i).public_key(), KeyFor(i));
  }
  uint64_t height() const { return *Ledger(kChain, &kv).Height(); }
  std::vector<TxResult> Apply(const std::vector<types::Transaction>& txs = {}) {
    types::BlockHeader h;
    h.chain_id = kChain;
    h.height = height() + 1;
    h.time_ms = 1000 + h.height;
    auto out = Ledger(kChain, &kv).ApplyBlock(h, txs, SignatureCheck::kVerify);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    if (!out.ok()) return {};
    kv.Apply(out->changes);
    return out->results;
  }
  void ApplyUntil(uint64_t h) {
    while (height() < h) Apply();
  }
  // The code of one message applied alone in the next block.
  TxCode Send(const types::Transaction& tx) {
    auto rs = Apply({tx});
    return rs.empty() ? TxCode::kMalformed : rs[0].code;
  }
  DkgSession Session() const {
    auto s = dkg::ReadSession(RegistryStore(&kv));
    EXPECT_TRUE(s.ok() && s->has_value());
    return s.ok() && s->has_value() ? **s : DkgSession{};
  }
  bool HasSession() const { return dkg::ReadSession(RegistryStore(&kv))->has_value(); }
  std::optional<DedupKeySet> KeySet() const { return *dkg::ReadKeySet(RegistryStore(&kv)); }
  std::optional<DkgResult> Last() const { return *dkg::ReadLastResult(RegistryStore(&kv)); }
  const Ed25519PrivateKey& Key(const Ed25519PublicKey& pk) const { return keys.at(pk); }

  MemoryKv kv;
  std::map<Ed25519PublicKey, Ed25519PrivateKey> keys;
};

types::Transaction Msg(const Ed25519PrivateKey& from, const Hash32& session,
                       types::DkgPayload payload) {
  types::DkgMessage m;
  m.chain_id = kChain;
  m.session = session;
  m.payload = std::move(payload);
  types::SignDkgMessage(&m, from);
  return types::Transaction{m};
}

zdkg::Committee CommitteeOf(const DkgSession& s) { return {s.recipients, s.threshold}; }

std::vector<Ed25519PublicKey> SetKeysOf(const types::ValidatorSet& set) {
  std::vector<Ed25519PublicKey> keys;
  for (const types::Validator& v : set.validators()) keys.push_back(v.public_key);
  return keys;
}

// Every member's dealing of a DKG session, in dealer order.
std::vector<zdkg::Dealt<zdkg::Dealing>> DealAll(const DkgSession& s) {
  std::vector<zdkg::Dealt<zdkg::Dealing>> out;
  for (size_t p = 0; p < s.dealers.size(); ++p) {
    out.push_back(zdkg::Deal(s.id, static_cast<uint16_t>(p + 1), CommitteeOf(s)).value());
  }
  return out;
}

// Member `me` of `committee` combines its share from the outcome and the messages; the
// ledger's key set must hold x_me * G as me's public share.
template <typename Transcript>
zk::Scalar Combine(const zdkg::Committee& committee, const Transcript& t,
                   const zdkg::Outcome& outcome, uint16_t me, const Ed25519PrivateKey& key) {
  auto shares = zdkg::CollectShares(committee, t, outcome, me, key);
  EXPECT_TRUE(shares.ok()) << shares.status().ToString();
  auto x = zdkg::CombineShare(outcome, me, *shares);
  EXPECT_TRUE(x.ok()) << x.status().ToString();
  for (zk::Scalar& s : *shares) s.Wipe();
  return *x;
}

// The key set matches `outcome`, and every member's combined share matches its K_i.
template <typename Transcript>
std::vector<zk::Scalar> CheckKeySet(const Chain& chain, const DkgSession& s, const Transcript& t,
                                    const zdkg::Outcome& outcome) {
  const std::optional<DedupKeySet> keys = chain.KeySet();
  EXPECT_TRUE(keys.has_value());
  std::vector<zk::Scalar> xs;
  if (!keys) return xs;
  EXPECT_EQ(keys->group_key, outcome.group_key.bytes());
  EXPECT_EQ(keys->threshold, s.threshold);
  EXPECT_EQ(keys->shares.size(), s.recipients.size());
  for (size_t m = 0; m < keys->shares.size() && m < s.recipients.size(); ++m) {
    const auto me = static_cast<uint16_t>(m + 1);
    EXPECT_EQ(keys->shares[m].validator, s.recipients[m]);
    EXPECT_EQ(keys->shares[m].index, me);
    zk::Scalar x = Combine(CommitteeOf(s), t, outcome, me, chain.Key(s.recipients[m]));
    EXPECT_EQ(zk::Point::MulBase(x).bytes(), keys->shares[m].public_share) << "member " << me;
    xs.push_back(x);
  }
  return xs;
}

// The dedup tag of `input` evaluated with the first t of `shares` (index i + 1).
zk::oprf::Tag TagFrom(const std::vector<zk::Scalar>& xs, uint16_t t, const DedupKeySet& keys) {
  const Bytes input = {'h', 'a', 'n', 'd', 'l', 'e'};
  auto blinded = zk::oprf::Blind(input).value();
  std::vector<zk::oprf::EvaluationShare> answers;
  std::vector<zk::oprf::PublicShare> publics;
  for (uint16_t i = 0; i < t; ++i) {
    const zk::Point pub = zk::Point::Decode(keys.shares[i].public_share).value();
    zk::oprf::KeyShare share{static_cast<uint16_t>(i + 1), xs[i], pub};
    answers.push_back(zk::oprf::PartialEvaluate(share, blinded.element).value());
    publics.push_back({share.index, pub});
    share.Wipe();
  }
  auto combined = zk::oprf::VerifyAndCombine(publics, blinded.element, answers, t).value();
  auto output = zk::oprf::FinalizeCombined(input, blinded.blind, combined.element).value();
  blinded.Wipe();
  return zk::oprf::TagOf(output);
}

// Runs the honest DKG of a fresh chain to its end (height 3 * kPhase); returns each
// member's share.
std::vector<zk::Scalar> RunHonestDkg(Chain* chain) {
  const DkgSession s = chain->Session();
  auto dealt = DealAll(s);
  std::vector<types::Transaction> txs;
  zdkg::DkgTranscript t;
  for (size_t p = 0; p < dealt.size(); ++p) {
    txs.push_back(Msg(chain->Key(s.dealers[p]), s.id, dealt[p].dealing));
    t.dealings.push_back(dealt[p].dealing);
  }
  for (const TxResult& r : chain->Apply(txs)) EXPECT_TRUE(r.ok()) << r.message;
  chain->ApplyUntil(s.justifications_until);
  auto outcome = zdkg::Qualify(s.id, CommitteeOf(s), t).value();
  return CheckKeySet(*chain, s, t, outcome);
}

TEST(LedgerDkgTest, GenesisOpensASessionWithPhaseDeadlines) {
  Chain chain;
  const DkgSession s = chain.Session();
  EXPECT_EQ(s.kind, DkgKind::kDkg);
  EXPECT_EQ(s.id, dkg::SessionId(kChain, DkgKind::kDkg, 0));
  EXPECT_EQ(s.threshold, 3);
  EXPECT_EQ(s.dealing_until, 2u);
  EXPECT_EQ(s.complaints_until, 4u);
  EXPECT_EQ(s.justifications_until, 6u);
  EXPECT_EQ(s.dealers, s.recipients);
  EXPECT_FALSE(chain.KeySet().has_value());
}

TEST(LedgerDkgTest, HonestFourValidatorSessionFormsAKeyMatchingTheMembersShares) {
  Chain chain;
  const Hash32 id = chain.Session().id;
  std::vector<zk::Scalar> xs = RunHonestDkg(&chain);
  EXPECT_EQ(xs.size(), 4u);
  EXPECT_FALSE(chain.HasSession());
  ASSERT_TRUE(chain.Last().has_value());
  EXPECT_TRUE(chain.Last()->formed);
  EXPECT_EQ(chain.Last()->session, id);
  EXPECT_EQ(chain.Last()->height, 6u);
  // The session is decided: its record and its messages stay readable, so that a member
  // restarted after h3 can still collect its shares.
  const auto decided = *dkg::ReadDecided(RegistryStore(&chain.kv));
  ASSERT_TRUE(decided.has_value());
  EXPECT_EQ(decided->session.id, id);
  EXPECT_FALSE(decided->old_keys.has_value());
  const DkgMessages kept = *dkg::ReadMessages(RegistryStore(&chain.kv));
  EXPECT_EQ(kept.dealings.size(), 4u);
  for (zk::Scalar& x : xs) x.Wipe();
}

TEST(LedgerDkgTest, BadDealerIsDisqualifiedByItsBadJustificationAndTheKeyStillForms) {
  Chain chain;
  const DkgSession s = chain.Session();
  auto dealt = DealAll(s);
  zdkg::DkgTranscript t;
  dealt[1].dealing.shares[2][5] ^= 1;  // dealer 2's share for member 3 no longer opens
  std::vector<types::Transaction> txs;
  for (size_t p = 0; p < dealt.size(); ++p) {
    txs.push_back(Msg(chain.Key(s.dealers[p]), s.id, dealt[p].dealing));
    t.dealings.push_back(dealt[p].dealing);
  }
  chain.Apply(txs);
  chain.ApplyUntil(s.dealing_until);
  EXPECT_FALSE(
      zdkg::VerifyReceivedShare(CommitteeOf(s), dealt[1].dealing, 3, chain.Key(s.recipients[2]))
          .ok());
  const zdkg::Complaint c{s.id, 2, 3};
  EXPECT_EQ(chain.Send(Msg(chain.Key(s.recipients[2]), s.id, c)), TxCode::kOk);
  t.complaints.push_back(c);
  chain.ApplyUntil(s.complaints_until);
  zdkg::Justification bad = dealt[1].secret.Justify(3);
  bad.share = zk::Scalar::FromU64(12345);  // not f(3)
  EXPECT_EQ(chain.Send(Msg(chain.Key(s.dealers[1]), s.id, bad)), TxCode::kOk);
  t.justifications.push_back(bad);
  chain.ApplyUntil(s.justifications_until);
  auto outcome = zdkg::Qualify(s.id, CommitteeOf(s), t).value();
  ASSERT_EQ(outcome.excluded.size(), 1u);
  EXPECT_EQ(outcome.excluded[0].dealer, 2);
  EXPECT_EQ(outcome.excluded[0].reason, zdkg::Disqualification::kInvalidJustification);
  std::vector<zk::Scalar> xs = CheckKeySet(chain, s, t, outcome);
  EXPECT_EQ(xs.size(), 4u);
  for (zk::Scalar& x : xs) x.Wipe();
}

TEST(LedgerDkgTest, SilentDealerIsLeftOutAndTheKeyForms) {
  Chain chain;
  const DkgSession s = chain.Session();
  auto dealt = DealAll(s);
  zdkg::DkgTranscript t;
  std::vector<types::Transaction> txs;
  for (size_t p = 0; p < 3; ++p) {  // dealer 4 says nothing
    txs.push_back(Msg(chain.Key(s.dealers[p]), s.id, dealt[p].dealing));
    t.dealings.push_back(dealt[p].dealing);
  }
  chain.Apply(txs);
  chain.ApplyUntil(s.justifications_until);
  auto outcome = zdkg::Qualify(s.id, CommitteeOf(s), t).value();
  ASSERT_EQ(outcome.excluded.size(), 1u);
  EXPECT_EQ(outcome.excluded[0].reason, zdkg::Disqualification::kNoDealing);
  std::vector<zk::Scalar> xs = CheckKeySet(chain, s, t, outcome);
  for (zk::Scalar& x : xs) x.Wipe();
}

TEST(LedgerDkgTest, MessagesOutsideTheirPhaseAreRefused) {
  Chain chain;
  const DkgSession s = chain.Session();
  auto dealt = DealAll(s);
  EXPECT_EQ(chain.Send(Msg(chain.Key(s.dealers[0]), s.id, dealt[0].dealing)), TxCode::kOk);
  // A complaint during the dealing phase (block 2).
  EXPECT_EQ(chain.Send(Msg(chain.Key(s.recipients[1]), s.id, zdkg::Complaint{s.id, 1, 2})),
            TxCode::kDkgOutOfPhase);
  // A dealing after h1 (block 3).
  EXPECT_EQ(chain.Send(Msg(chain.Key(s.dealers[1]), s.id, dealt[1].dealing)),
            TxCode::kDkgOutOfPhase);
  chain.ApplyUntil(s.justifications_until);
  // After h3 the session is gone: no session to send to.
  EXPECT_EQ(chain.Send(Msg(chain.Key(s.dealers[2]), s.id, dealt[2].dealing)),
            TxCode::kDkgNoSession);
}

TEST(LedgerDkgTest, MessagesFromNonMembersOrForOtherSlotsAreRefused) {
  Chain chain;
  const DkgSession s = chain.Session();
  auto dealt = DealAll(s);
  const Ed25519PrivateKey outsider = KeyFor(7);
  EXPECT_EQ(chain.Send(Msg(outsider, s.id, dealt[0].dealing)), TxCode::kDkgNotMember);
  // Member 2 sending dealer 1's dealing.
  EXPECT_EQ(chain.Send(Msg(chain.Key(s.dealers[1]), s.id, dealt[0].dealing)),
            TxCode::kDkgNotMember);
  // Another session id.
  zdkg::Dealing other = zdkg::Deal(Hash32{9}, 1, CommitteeOf(s)).value().dealing;
  EXPECT_EQ(chain.Send(Msg(chain.Key(s.dealers[0]), Hash32{9}, other)), TxCode::kDkgNoSession);
}

TEST(LedgerDkgTest, SecondDealingAndUnfoundedMessagesAreRefused) {
  Chain chain;
  const DkgSession s = chain.Session();
  auto dealt = DealAll(s);
  EXPECT_EQ(chain.Send(Msg(chain.Key(s.dealers[0]), s.id, dealt[0].dealing)), TxCode::kOk);
  zdkg::Dealing again = zdkg::Deal(s.id, 1, CommitteeOf(s)).value().dealing;
  EXPECT_EQ(chain.Send(Msg(chain.Key(s.dealers[0]), s.id, again)), TxCode::kDkgRefused);
  chain.ApplyUntil(s.dealing_until);
  EXPECT_EQ(chain.Send(Msg(chain.Key(s.recipients[2]), s.id, zdkg::Complaint{s.id, 1, 3})),
            TxCode::kOk);
  // In block 4: a complaint against dealer 2, which has no dealing, and the same
  // complaint again.
  const auto rs = chain.Apply({Msg(chain.Key(s.recipients[2]), s.id, zdkg::Complaint{s.id, 2, 3}),
                               Msg(chain.Key(s.recipients[2]), s.id, zdkg::Complaint{s.id, 1, 3})});
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].code, TxCode::kDkgRefused);
  EXPECT_EQ(rs[1].code, TxCode::kDkgRefused);
  chain.ApplyUntil(s.complaints_until);
  // A justification for a complaint nobody filed, then one by the wrong dealer.
  EXPECT_EQ(chain.Send(Msg(chain.Key(s.dealers[0]), s.id, dealt[0].secret.Justify(2))),
            TxCode::kDkgRefused);
  EXPECT_EQ(chain.Send(Msg(chain.Key(s.dealers[1]), s.id, dealt[0].secret.Justify(3))),
            TxCode::kDkgNotMember);
}

TEST(LedgerDkgTest, ForgedSignatureIsRefused) {
  Chain chain;
  const DkgSession s = chain.Session();
  auto dealt = DealAll(s);
  types::Transaction tx = Msg(chain.Key(s.dealers[0]), s.id, dealt[0].dealing);
  std::get<types::DkgMessage>(tx.body).signature[3] ^= 0x40;
  EXPECT_EQ(chain.Send(tx), TxCode::kBadSignature);
  // Signed by dealer 2's key but naming dealer 1 as sender.
  types::Transaction swapped = Msg(chain.Key(s.dealers[1]), s.id, dealt[0].dealing);
  std::get<types::DkgMessage>(swapped.body).sender = s.dealers[0];
  EXPECT_EQ(chain.Send(swapped), TxCode::kBadSignature);
}

// A genesis DKG where only 2 of the t = 3 deal: recorded as failed, no key; the next
// block opens a new DKG among the same members (same threshold, new id), which forms.
TEST(LedgerDkgTest, FailedGenesisDkgRecordsTheFailureAndIsRetried) {
  Chain chain;
  const DkgSession s = chain.Session();
  auto dealt = DealAll(s);
  chain.Apply({Msg(chain.Key(s.dealers[0]), s.id, dealt[0].dealing),
               Msg(chain.Key(s.dealers[1]), s.id, dealt[1].dealing)});
  chain.ApplyUntil(s.justifications_until);
  EXPECT_FALSE(chain.KeySet().has_value());
  EXPECT_FALSE(chain.HasSession());
  ASSERT_TRUE(chain.Last().has_value());
  EXPECT_FALSE(chain.Last()->formed);
  EXPECT_EQ(chain.Last()->session, s.id);
  EXPECT_NE(chain.Last()->reason, "");

  chain.Apply();
  const DkgSession retry = chain.Session();
  EXPECT_EQ(retry.kind, DkgKind::kDkg);
  EXPECT_NE(retry.id, s.id);
  EXPECT_EQ(retry.start_height, s.justifications_until + 1);
  EXPECT_EQ(retry.threshold, s.threshold);
  EXPECT_EQ(retry.recipients, s.recipients);
  // The failed run's messages went with it: the old dealings do not count again.
  EXPECT_TRUE(dkg::ReadMessages(RegistryStore(&chain.kv))->dealings.empty());
  EXPECT_EQ(chain.Send(Msg(chain.Key(s.dealers[0]), s.id, dealt[0].dealing)),
            TxCode::kDkgNoSession);
  std::vector<zk::Scalar> xs = RunHonestDkg(&chain);
  EXPECT_EQ(xs.size(), 4u);
  ASSERT_TRUE(chain.Last().has_value());
  EXPECT_TRUE(chain.Last()->formed);
  for (zk::Scalar& x : xs) x.Wipe();
}

// Validators {0..3} hold the key after the DKG (height 6); from height 8 the set is
// {0..4}. The resharing waits out the grace of one phase after the decision (6 + kPhase)
// so every holder can combine its share: it opens at 9 and decides at 9 + 3 * kPhase.
constexpr uint64_t kChangeHeight = 8;
constexpr uint64_t kReshareHeight = 9;

std::vector<ValidatorSetChange> FiveFromHeight8() {
  return {ValidatorSetChange{kChangeHeight, SetOf({0, 1, 2, 3, 4})}};
}

TEST(LedgerDkgTest, ReshareFourToFiveKeepsTheKeyAndTheTags) {
  Chain chain(FiveFromHeight8());
  std::vector<zk::Scalar> old_xs = RunHonestDkg(&chain);
  const DedupKeySet old_keys = *chain.KeySet();
  chain.ApplyUntil(kChangeHeight);
  EXPECT_FALSE(chain.HasSession());  // the grace after the DKG's decision at 6
  chain.Apply();
  const DkgSession s = chain.Session();
  EXPECT_EQ(s.start_height, kReshareHeight);
  EXPECT_EQ(s.kind, DkgKind::kReshare);
  EXPECT_EQ(s.recipients.size(), 5u);
  EXPECT_EQ(s.threshold, 4);
  zdkg::ReshareTranscript t;
  std::vector<types::Transaction> txs;
  for (size_t i = 0; i < s.dealers.size(); ++i) {
    auto d = zdkg::DealReshare(s.id, static_cast<uint16_t>(i + 1), old_xs[i], CommitteeOf(s));
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    txs.push_back(Msg(chain.Key(s.dealers[i]), s.id, d->dealing));
    t.dealings.push_back(d->dealing);
  }
  for (const TxResult& r : chain.Apply(txs)) EXPECT_TRUE(r.ok()) << r.message;
  chain.ApplyUntil(s.justifications_until);
  zdkg::Outcome old_outcome;
  old_outcome.threshold = old_keys.threshold;
  old_outcome.group_key = zk::Point::Decode(old_keys.group_key).value();
  for (const DedupValidatorShare& sh : old_keys.shares) {
    old_outcome.public_shares.push_back(zk::Point::Decode(sh.public_share).value());
  }
  auto outcome = zdkg::QualifyReshare(s.id, old_outcome, CommitteeOf(s), t).value();
  std::vector<zk::Scalar> new_xs = CheckKeySet(chain, s, t, outcome);
  ASSERT_EQ(new_xs.size(), 5u);
  const DedupKeySet new_keys = *chain.KeySet();
  EXPECT_EQ(new_keys.group_key, old_keys.group_key);
  EXPECT_EQ(TagFrom(old_xs, old_keys.threshold, old_keys),
            TagFrom(new_xs, new_keys.threshold, new_keys));
  EXPECT_FALSE(chain.HasSession());  // holders == ruling set: no new session
  // The decided record holds the key set the resharing started from, and the messages
  // stay, so a recipient can rebuild the outcome from state alone.
  const auto decided = *dkg::ReadDecided(RegistryStore(&chain.kv));
  ASSERT_TRUE(decided.has_value());
  EXPECT_EQ(decided->session, s);
  EXPECT_EQ(decided->old_keys, old_keys);
  EXPECT_EQ(dkg::ReadMessages(RegistryStore(&chain.kv))->reshares.size(), 4u);
  chain.Apply();
  EXPECT_FALSE(chain.HasSession());
  for (zk::Scalar& x : old_xs) x.Wipe();
  for (zk::Scalar& x : new_xs) x.Wipe();
}

TEST(LedgerDkgTest, FailedReshareKeepsTheOldKeySetAndRetries) {
  Chain chain(FiveFromHeight8());
  std::vector<zk::Scalar> old_xs = RunHonestDkg(&chain);
  const DedupKeySet old_keys = *chain.KeySet();
  chain.ApplyUntil(kChangeHeight);
  EXPECT_FALSE(chain.HasSession());  // the grace after the DKG's decision at 6
  chain.Apply();
  const DkgSession s = chain.Session();
  EXPECT_EQ(s.start_height, kReshareHeight);
  std::vector<types::Transaction> txs;
  for (size_t i = 0; i < 2; ++i) {  // 2 of the old t = 3 holders deal
    auto d = zdkg::DealReshare(s.id, static_cast<uint16_t>(i + 1), old_xs[i], CommitteeOf(s));
    txs.push_back(Msg(chain.Key(s.dealers[i]), s.id, d->dealing));
  }
  chain.Apply(txs);
  chain.ApplyUntil(s.justifications_until);
  EXPECT_EQ(chain.KeySet(), old_keys);
  ASSERT_TRUE(chain.Last().has_value());
  EXPECT_FALSE(chain.Last()->formed);
  EXPECT_EQ(chain.Last()->session, s.id);
  // The next block opens a new resharing with a new id.
  chain.Apply();
  const DkgSession retry = chain.Session();
  EXPECT_EQ(retry.kind, DkgKind::kReshare);
  EXPECT_NE(retry.id, s.id);
  EXPECT_EQ(retry.start_height, s.justifications_until + 1);
  // Opening it dropped the failed run's decided record and messages.
  EXPECT_FALSE(dkg::ReadDecided(RegistryStore(&chain.kv))->has_value());
  const DkgMessages left = *dkg::ReadMessages(RegistryStore(&chain.kv));
  EXPECT_TRUE(left.reshares.empty());
  for (zk::Scalar& x : old_xs) x.Wipe();
}

TEST(LedgerDkgTest, KindEightRoundTripsAndMalformedBodiesAreRefused) {
  Chain chain;
  const DkgSession s = chain.Session();
  auto dealt = DealAll(s);
  const types::Transaction tx = Msg(chain.Key(s.dealers[0]), s.id, dealt[0].dealing);
  const Bytes enc = types::EncodeTransaction(tx);
  EXPECT_LT(enc.size(), 2000u);
  auto back = types::DecodeTransaction(enc);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, tx);
  EXPECT_EQ(back->kind(), types::TxKind::kDkg);
  Bytes truncated(enc.begin(), enc.end() - 1);
  EXPECT_FALSE(types::DecodeTransaction(truncated).ok());
  Bytes trailing = enc;
  trailing.push_back(0);
  EXPECT_FALSE(types::DecodeTransaction(trailing).ok());
  // The message's own session differs from the body's session.
  types::DkgMessage m = std::get<types::DkgMessage>(tx.body);
  m.session[0] ^= 1;
  auto mismatch = types::DecodeTransaction(types::EncodeTransaction(types::Transaction{m}));
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("another session"), std::string::npos);
}

TEST(LedgerDkgTest, ChainWithoutDedupKeyRefusesKindEight) {
  Genesis g;
  g.chain_id = kChain;
  g.validators = SetOf({0, 1, 2, 3});
  MemoryKv kv;
  kv.Apply(Ledger::InitGenesis(g)->changes);
  zdkg::Committee c{{KeyFor(0).public_key()}, 1};
  const Hash32 id = dkg::SessionId(kChain, DkgKind::kDkg, 0);
  const types::Transaction tx = Msg(KeyFor(0), id, zdkg::Deal(id, 1, c).value().dealing);
  EXPECT_EQ(Ledger(kChain, &kv).CheckTransaction(tx, 0, SignatureCheck::kVerify).code,
            TxCode::kUnsupportedKind);
  // The kind is on (validators run the DKG); it is state that refuses it here.
  EXPECT_TRUE(TxKindEnabled(types::TxKind::kDkg));
}

// A dealt key set numbering its holders against the set's key order: the same members
// under new powers open no resharing (membership counts, not order); a new member does.
TEST(LedgerDkgTest, DealtKeySetInAnotherOrderIsResharedOnlyWhenMembersChange) {
  std::vector<int> by_index = {0, 1, 2, 3};
  std::sort(by_index.begin(), by_index.end(), [](int a, int b) {
    return KeyFor(a).public_key() > KeyFor(b).public_key();  // against the set's order
  });
  DedupKeySet dealt;
  dealt.group_key = zk::Point::MulBase(zk::Scalar::FromU64(99)).bytes();
  dealt.threshold = 3;
  for (size_t i = 0; i < by_index.size(); ++i) {
    dealt.shares.push_back({KeyFor(by_index[i]).public_key(), static_cast<uint16_t>(i + 1),
                            zk::Point::MulBase(zk::Scalar::FromU64(i + 7)).bytes()});
  }
  std::vector<types::Validator> repowered;
  for (int i : {0, 1, 2, 3}) {
    repowered.push_back({KeyFor(i).public_key(), static_cast<uint64_t>(10 + 5 * i)});
  }
  Genesis g;
  g.chain_id = kChain;
  g.validators = SetOf({0, 1, 2, 3});
  g.validator_schedule = {{3, types::ValidatorSet::Create(std::move(repowered)).value()},
                          {6, SetOf({0, 1, 2, 4})}};
  g.dedup_keys = dealt;
  MemoryKv kv;
  auto out = Ledger::InitGenesis(g);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  kv.Apply(out->changes);
  auto apply = [&] {
    types::BlockHeader h;
    h.chain_id = kChain;
    h.height = *Ledger(kChain, &kv).Height() + 1;
    h.time_ms = 1000 + h.height;
    auto block = Ledger(kChain, &kv).ApplyBlock(h, {}, SignatureCheck::kVerify);
    ASSERT_TRUE(block.ok()) << block.status().ToString();
    kv.Apply(block->changes);
  };
  for (int h = 1; h <= 5; ++h) {
    apply();
    EXPECT_FALSE(dkg::ReadSession(RegistryStore(&kv))->has_value()) << "block " << h;
  }
  apply();  // block 6: validator 3 leaves, 4 joins
  const auto session = *dkg::ReadSession(RegistryStore(&kv));
  ASSERT_TRUE(session.has_value());
  EXPECT_EQ(session->kind, DkgKind::kReshare);
  EXPECT_EQ(session->start_height, 6u);
  std::vector<Ed25519PublicKey> holders;
  for (int i : by_index) holders.push_back(KeyFor(i).public_key());
  EXPECT_EQ(session->dealers, holders);  // in share-index order
  EXPECT_EQ(session->recipients, SetKeysOf(SetOf({0, 1, 2, 4})));
  EXPECT_EQ(*dkg::ReadKeySet(RegistryStore(&kv)), dealt);  // kept until a resharing forms
}

}  // namespace
}  // namespace hito::consensus::ledger
