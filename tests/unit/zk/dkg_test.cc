// DKG and resharing (zk/dkg.h), run in-process among members with real libsodium keys
// (tests/unit/zk/dkg_sim.h): honest runs where every member's combined share matches its
// public share and every t-subset reconstructs k with k*G == K; bad, silent, equivocating
// and over-complained dealers; false complaints; shares sealed to the wrong member or
// bound to the wrong slot; strict decoding of every message; resharing to larger and
// smaller committees (same K, same k*H2G(x) from old and new shares), with a garbage old
// holder left out.
#include "zk/dkg.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "base/hex.h"
#include "tests/unit/zk/dkg_sim.h"
#include "zk/hash_to_group.h"

namespace hito::zk::dkg {
namespace {

using sim::Members;

std::vector<uint16_t> QualIndices(const Outcome& o) {
  std::vector<uint16_t> out;
  for (const QualifiedDealer& q : o.qualified) out.push_back(q.dealer);
  return out;
}

std::map<uint16_t, Disqualification> Excluded(const Outcome& o) {
  std::map<uint16_t, Disqualification> out;
  for (const DisqualifiedDealer& d : o.excluded) out[d.dealer] = d.reason;
  return out;
}

// Lagrange coefficient at 0 of index i over xs (test-side reconstruction only).
Scalar Lambda(uint16_t i, const std::vector<uint16_t>& xs) {
  Scalar num = Scalar::One();
  Scalar den = Scalar::One();
  for (uint16_t h : xs) {
    if (h == i) continue;
    num *= Scalar::FromU64(h);
    den *= Scalar::FromU64(h) - Scalar::FromU64(i);
  }
  return num * den.Invert();
}

Scalar Reconstruct(const std::vector<Scalar>& shares, const std::vector<uint16_t>& xs) {
  Scalar k;
  for (uint16_t i : xs) k += Lambda(i, xs) * shares[i - 1u];
  return k;
}

// Every t-subset of 1..n in increasing order (n is small in these tests).
std::vector<std::vector<uint16_t>> Subsets(uint16_t n, uint16_t t) {
  std::vector<std::vector<uint16_t>> out;
  for (uint32_t mask = 0; mask < (1u << n); ++mask) {
    if (static_cast<uint16_t>(__builtin_popcount(mask)) != t) continue;
    std::vector<uint16_t> s;
    for (uint16_t i = 0; i < n; ++i) {
      if (mask & (1u << i)) s.push_back(static_cast<uint16_t>(i + 1));
    }
    out.push_back(s);
  }
  return out;
}

std::vector<Scalar> CombinedShares(const std::vector<Result<Scalar>>& results) {
  std::vector<Scalar> out;
  for (const Result<Scalar>& r : results) {
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    out.push_back(r.ok() ? *r : Scalar());
  }
  return out;
}

// Every member combines; every t-subset reconstructs k with k*G == K.
std::vector<Scalar> ExpectKeyWorks(const Members& m, const Outcome& o,
                                   const std::vector<Result<Scalar>>& combined) {
  std::vector<Scalar> shares = CombinedShares(combined);
  for (uint16_t l = 1; l <= m.committee.size(); ++l) {
    EXPECT_EQ(Point::MulBase(shares[l - 1u]), o.public_shares[l - 1u]) << "member " << l;
  }
  for (const auto& subset : Subsets(m.committee.size(), m.committee.threshold)) {
    EXPECT_EQ(Point::MulBase(Reconstruct(shares, subset)), o.group_key);
  }
  return shares;
}

struct Finished {
  Outcome outcome;
  std::vector<Scalar> shares;
};

// An honest DKG among m, qualified and combined.
Finished HonestDkg(const Members& m, const SessionId& session) {
  sim::DkgRun run = sim::DealAll(m, session);
  run.transcript.complaints = sim::Complaints(m, run.transcript.dealings);
  EXPECT_TRUE(run.transcript.complaints.empty());
  Result<Outcome> o = Qualify(session, m.committee, run.transcript);
  EXPECT_TRUE(o.ok()) << o.status().ToString();
  Finished f{*o, {}};
  f.shares = ExpectKeyWorks(m, *o, sim::CombineAll(m, run.transcript, *o));
  return f;
}

TEST(DkgTest, DefaultThresholdIsMoreThanTwoThirds) {
  EXPECT_EQ(DefaultThreshold(1), 1);
  EXPECT_EQ(DefaultThreshold(3), 3);
  EXPECT_EQ(DefaultThreshold(4), 3);
  EXPECT_EQ(DefaultThreshold(5), 4);
  EXPECT_EQ(DefaultThreshold(7), 5);
  EXPECT_EQ(DefaultThreshold(64), 43);
}

TEST(DkgTest, HonestRunsGiveConsistentSharesOfOneKey) {
  for (size_t n : {1u, 4u, 7u}) {
    const Members m = sim::MakeMembers(n, 1);
    const SessionId session = sim::SessionFor("honest/" + std::to_string(n));
    Finished f = HonestDkg(m, session);
    EXPECT_EQ(f.outcome.qualified.size(), n);
    EXPECT_TRUE(f.outcome.excluded.empty());
    EXPECT_FALSE(f.outcome.group_key.IsIdentity());
  }
}

TEST(DkgTest, QualifyIgnoresMessageOrderAndDuplicates) {
  const Members m = sim::MakeMembers(4, 2);
  const SessionId session = sim::SessionFor("order");
  sim::DkgRun run = sim::DealAll(m, session);
  run.transcript.complaints.push_back({session, 2, 4});  // false complaint, answered
  run.transcript.justifications = sim::Answers(run.secrets, run.transcript.complaints);
  Result<Outcome> a = Qualify(session, m.committee, run.transcript);
  ASSERT_TRUE(a.ok());
  DkgTranscript shuffled = run.transcript;
  std::reverse(shuffled.dealings.begin(), shuffled.dealings.end());
  shuffled.dealings.push_back(shuffled.dealings.front());  // an identical copy counts once
  shuffled.complaints.push_back(shuffled.complaints.front());
  Result<Outcome> b = Qualify(session, m.committee, shuffled);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(QualIndices(*a), QualIndices(*b));
  EXPECT_EQ(a->group_key, b->group_key);
  EXPECT_EQ(a->public_shares, b->public_shares);
}

// Dealer 2 of 4 deals with known coefficients and a wrong share for member 3.
struct BadShareRun {
  Members m = sim::MakeMembers(4, 3);
  SessionId session = sim::SessionFor("bad-share");
  sim::DkgRun run;
  Scalar wrong_share = Scalar::FromU64(12345);
};

BadShareRun MakeBadShareRun() {
  BadShareRun r;
  r.run = sim::DealAll(r.m, r.session, /*silent=*/{2});
  std::vector<Scalar> coefficients = {Scalar::Random(), Scalar::Random(), Scalar::Random()};
  auto fields = dkg_internal::DealWithCoefficients(MessageType::kDealing, r.session, 2,
                                                   r.m.committee, coefficients);
  EXPECT_TRUE(fields.ok());
  auto box =
      EncryptShare(MessageType::kDealing, r.session, 2, 3, r.m.committee.keys[2], r.wrong_share);
  EXPECT_TRUE(box.ok());
  fields->shares[2] = *box;
  Dealing d;
  static_cast<DealingFields&>(d) = *fields;
  r.run.transcript.dealings.push_back(d);
  r.run.secrets.emplace(2, DealerSecret(r.session, 2, coefficients));
  r.run.transcript.complaints = sim::Complaints(r.m, r.run.transcript.dealings);
  return r;
}

TEST(DkgTest, BadShareRevealedBadDisqualifiesTheDealer) {
  BadShareRun r = MakeBadShareRun();
  ASSERT_EQ(r.run.transcript.complaints.size(), 1u);
  EXPECT_EQ(r.run.transcript.complaints[0].dealer, 2);
  EXPECT_EQ(r.run.transcript.complaints[0].complainer, 3);
  // The dealer stands by the bad share.
  r.run.transcript.justifications.push_back({r.session, 2, 3, r.wrong_share});
  EXPECT_FALSE(
      CheckJustification(r.run.transcript.dealings.back(), r.run.transcript.justifications[0]));
  Result<Outcome> o = Qualify(r.session, r.m.committee, r.run.transcript);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(QualIndices(*o), (std::vector<uint16_t>{1, 3, 4}));
  EXPECT_EQ(Excluded(*o).at(2), Disqualification::kInvalidJustification);
  ExpectKeyWorks(r.m, *o, sim::CombineAll(r.m, r.run.transcript, *o));
}

TEST(DkgTest, BadShareJustifiedCorrectlyKeepsTheDealer) {
  BadShareRun r = MakeBadShareRun();
  r.run.transcript.justifications = sim::Answers(r.run.secrets, r.run.transcript.complaints);
  ASSERT_EQ(r.run.transcript.justifications.size(), 1u);
  EXPECT_TRUE(
      CheckJustification(r.run.transcript.dealings.back(), r.run.transcript.justifications[0]));
  Result<Outcome> o = Qualify(r.session, r.m.committee, r.run.transcript);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(QualIndices(*o), (std::vector<uint16_t>{1, 2, 3, 4}));
  // Member 3 takes dealer 2's share from the justification.
  ExpectKeyWorks(r.m, *o, sim::CombineAll(r.m, r.run.transcript, *o));
}

TEST(DkgTest, UnansweredComplaintDisqualifies) {
  BadShareRun r = MakeBadShareRun();
  Result<Outcome> o = Qualify(r.session, r.m.committee, r.run.transcript);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(Excluded(*o).at(2), Disqualification::kUnansweredComplaint);
  ExpectKeyWorks(r.m, *o, sim::CombineAll(r.m, r.run.transcript, *o));
}

TEST(DkgTest, SilentDealerIsLeftOutAndTheKeyStillForms) {
  const Members m = sim::MakeMembers(4, 4);
  const SessionId session = sim::SessionFor("silent");
  sim::DkgRun run = sim::DealAll(m, session, /*silent=*/{4});
  Result<Outcome> o = Qualify(session, m.committee, run.transcript);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(QualIndices(*o), (std::vector<uint16_t>{1, 2, 3}));
  EXPECT_EQ(Excluded(*o).at(4), Disqualification::kNoDealing);
  // The silent member still receives a share of the key.
  ExpectKeyWorks(m, *o, sim::CombineAll(m, run.transcript, *o));
}

TEST(DkgTest, FewerThanThresholdQualifiedFailsTheRun) {
  const Members m = sim::MakeMembers(4, 5);
  const SessionId session = sim::SessionFor("too-few");
  sim::DkgRun run = sim::DealAll(m, session, /*silent=*/{1, 4});
  Result<Outcome> o = Qualify(session, m.committee, run.transcript);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), StatusCode::kFailedPrecondition);
}

TEST(DkgTest, FalseComplaintAnsweredKeepsTheDealer) {
  const Members m = sim::MakeMembers(4, 6);
  const SessionId session = sim::SessionFor("false-complaint");
  sim::DkgRun run = sim::DealAll(m, session);
  run.transcript.complaints.push_back({session, 1, 2});  // member 2 lies about dealer 1
  run.transcript.justifications = sim::Answers(run.secrets, run.transcript.complaints);
  Result<Outcome> o = Qualify(session, m.committee, run.transcript);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->qualified.size(), 4u);
  // The revealed share is exactly the one member 2 holds anyway.
  auto own = VerifyReceivedShare(m.committee, run.transcript.dealings[0], 2, m.keys[1]);
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(*own, run.transcript.justifications[0].share);
  ExpectKeyWorks(m, *o, sim::CombineAll(m, run.transcript, *o));
}

TEST(DkgTest, ThresholdManyComplaintsDisqualifyEvenWhenAnswered) {
  const Members m = sim::MakeMembers(4, 7);
  const SessionId session = sim::SessionFor("many-complaints");
  sim::DkgRun run = sim::DealAll(m, session);
  for (uint16_t l : std::vector<uint16_t>{1, 2, 4})
    run.transcript.complaints.push_back({session, 3, l});
  run.transcript.justifications = sim::Answers(run.secrets, run.transcript.complaints);
  Result<Outcome> o = Qualify(session, m.committee, run.transcript);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(Excluded(*o).at(3), Disqualification::kTooManyComplaints);
  // Complaints from outside the committee or against unknown dealers do not count.
  run.transcript.complaints = {{session, 3, 1}, {session, 3, 2}};
  run.transcript.justifications = sim::Answers(run.secrets, run.transcript.complaints);
  run.transcript.complaints.push_back({session, 3, 9});
  run.transcript.complaints.push_back({session, 9, 1});
  o = Qualify(session, m.committee, run.transcript);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->qualified.size(), 4u);
}

TEST(DkgTest, EquivocationAndBadStructureDisqualify) {
  const Members m = sim::MakeMembers(7, 8, /*threshold=*/4);
  const SessionId session = sim::SessionFor("structure");
  sim::DkgRun run = sim::DealAll(m, session);
  auto second = Deal(session, 1, m.committee);  // dealer 1 deals twice
  ASSERT_TRUE(second.ok());
  run.transcript.dealings.push_back(second->dealing);
  Committee low = m.committee;
  low.threshold = 3;  // dealer 2 deals degree 2 instead of 3
  auto short_dealing = Deal(session, 2, low);
  ASSERT_TRUE(short_dealing.ok());
  run.transcript.dealings[1] = short_dealing->dealing;
  EXPECT_FALSE(VerifyReceivedShare(m.committee, short_dealing->dealing, 1, m.keys[0]).ok());
  run.transcript.dealings[2].shares.pop_back();  // dealer 3: one share short
  run.transcript.dealings.push_back(run.transcript.dealings[3]);
  run.transcript.dealings.back().dealer = 300;  // no member: ignored
  Result<Outcome> o = Qualify(session, m.committee, run.transcript);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(QualIndices(*o), (std::vector<uint16_t>{4, 5, 6, 7}));
  const auto excluded = Excluded(*o);
  EXPECT_EQ(excluded.size(), 3u);
  EXPECT_EQ(excluded.at(1), Disqualification::kEquivocation);
  EXPECT_EQ(excluded.at(2), Disqualification::kBadStructure);
  EXPECT_EQ(excluded.at(3), Disqualification::kBadStructure);
  ExpectKeyWorks(m, *o, sim::CombineAll(m, run.transcript, *o));
  // One more bad dealer and the run fails.
  run.transcript.dealings[3].commitments.pop_back();
  o = Qualify(session, m.committee, run.transcript);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), StatusCode::kFailedPrecondition);
}

TEST(DkgTest, MessagesOfAnotherSessionAreRefused) {
  const Members m = sim::MakeMembers(4, 9);
  const SessionId session = sim::SessionFor("s1");
  sim::DkgRun run = sim::DealAll(m, session);
  Result<Outcome> o = Qualify(sim::SessionFor("s2"), m.committee, run.transcript);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), StatusCode::kInvalidArgument);
  // A dealing moved to another session does not open for its recipients.
  Dealing moved = run.transcript.dealings[0];
  moved.session = sim::SessionFor("s2");
  EXPECT_FALSE(VerifyReceivedShare(m.committee, moved, 1, m.keys[0]).ok());
}

TEST(DkgTest, ShareSealedToAnotherMemberOrSlotIsRefused) {
  const Members m = sim::MakeMembers(4, 10);
  const SessionId session = sim::SessionFor("sealing");
  const Scalar s = Scalar::Random();
  // Member 2's share sealed to member 3's key: member 2 cannot open it.
  auto to_other = EncryptShare(MessageType::kDealing, session, 1, 2, m.committee.keys[2], s);
  ASSERT_TRUE(to_other.ok());
  auto r = DecryptShare(MessageType::kDealing, session, 1, 2, m.keys[1], *to_other);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("does not open"), std::string::npos);
  // Member 3 opens it but it is bound to slot 2: refused when found in slot 3.
  r = DecryptShare(MessageType::kDealing, session, 1, 3, m.keys[2], *to_other);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("bound to another"), std::string::npos);
  // Wrong kind, session or dealer are refused too; the right slot opens.
  auto good = EncryptShare(MessageType::kDealing, session, 1, 2, m.committee.keys[1], s);
  ASSERT_TRUE(good.ok());
  EXPECT_FALSE(DecryptShare(MessageType::kReshareDealing, session, 1, 2, m.keys[1], *good).ok());
  EXPECT_FALSE(
      DecryptShare(MessageType::kDealing, sim::SessionFor("x"), 1, 2, m.keys[1], *good).ok());
  EXPECT_FALSE(DecryptShare(MessageType::kDealing, session, 4, 2, m.keys[1], *good).ok());
  auto opened = DecryptShare(MessageType::kDealing, session, 1, 2, m.keys[1], *good);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, s);
  EncryptedShare tampered = *good;
  tampered[60] ^= 1;
  EXPECT_FALSE(DecryptShare(MessageType::kDealing, session, 1, 2, m.keys[1], tampered).ok());
}

TEST(DkgTest, ShareSealedToAnotherMemberInADealingIsComplainedAndJustified) {
  const Members m = sim::MakeMembers(4, 11);
  const SessionId session = sim::SessionFor("misdirected");
  sim::DkgRun run = sim::DealAll(m, session);
  const Justification truth = run.secrets.at(1).Justify(2);
  auto misdirected =
      EncryptShare(MessageType::kDealing, session, 1, 2, m.committee.keys[2], truth.share);
  ASSERT_TRUE(misdirected.ok());
  run.transcript.dealings[0].shares[1] = *misdirected;
  run.transcript.complaints = sim::Complaints(m, run.transcript.dealings);
  ASSERT_EQ(run.transcript.complaints.size(), 1u);
  EXPECT_EQ(run.transcript.complaints[0].complainer, 2);
  run.transcript.justifications = sim::Answers(run.secrets, run.transcript.complaints);
  Result<Outcome> o = Qualify(session, m.committee, run.transcript);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->qualified.size(), 4u);
  ExpectKeyWorks(m, *o, sim::CombineAll(m, run.transcript, *o));
}

TEST(DkgTest, CombineShareRefusesWrongInputs) {
  const Members m = sim::MakeMembers(4, 12);
  const SessionId session = sim::SessionFor("combine");
  sim::DkgRun run = sim::DealAll(m, session);
  Result<Outcome> o = Qualify(session, m.committee, run.transcript);
  ASSERT_TRUE(o.ok());
  auto shares = CollectShares(m.committee, run.transcript, *o, 1, m.keys[0]);
  ASSERT_TRUE(shares.ok());
  EXPECT_TRUE(CombineShare(*o, 1, *shares).ok());
  EXPECT_FALSE(CombineShare(*o, 2, *shares).ok());  // member 1's shares, member 2's K_l
  EXPECT_FALSE(CombineShare(*o, 0, *shares).ok());
  EXPECT_FALSE(CombineShare(*o, 5, *shares).ok());
  std::vector<Scalar> fewer(shares->begin(), shares->end() - 1);
  EXPECT_FALSE(CombineShare(*o, 1, fewer).ok());
  (*shares)[0] += Scalar::One();
  EXPECT_FALSE(CombineShare(*o, 1, *shares).ok());
  // With member 2's key, member 1's slots do not open.
  EXPECT_FALSE(CollectShares(m.committee, run.transcript, *o, 1, m.keys[1]).ok());
}

TEST(DkgTest, DealRefusesBadArguments) {
  Members m = sim::MakeMembers(4, 13);
  const SessionId session = sim::SessionFor("args");
  EXPECT_FALSE(Deal(session, 0, m.committee).ok());
  EXPECT_FALSE(Deal(session, 5, m.committee).ok());
  Committee bad = m.committee;
  bad.threshold = 5;
  EXPECT_FALSE(Deal(session, 1, bad).ok());
  bad.threshold = 0;
  EXPECT_FALSE(Deal(session, 1, bad).ok());
  bad = m.committee;
  bad.keys[2] = Ed25519PublicKey{};  // a small-order point: no X25519 key
  auto d = Deal(session, 1, bad);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("member 3"), std::string::npos);
  std::vector<Scalar> zero_secret = {Scalar::Zero(), Scalar::One(), Scalar::One()};
  EXPECT_FALSE(dkg_internal::DealWithCoefficients(MessageType::kDealing, session, 1, m.committee,
                                                  zero_secret)
                   .ok());
}

// ---- Derived polynomials (spec section 2.1) ----

// Dealing twice with one key and session commits to one polynomial (fresh sealing each
// time); the secret derived again answers every complaint consistently with the dealing;
// another key, session, dealer index or committee gives another polynomial; shares open
// and check for every member.
TEST(DkgDerivedTest, SameKeyAndSessionGiveOnePolynomialThatRestartsCanRebuild) {
  Members m = sim::MakeMembers(4, 31);
  const SessionId session = sim::SessionFor("derived");
  auto first = DealDerived(session, 2, m.committee, m.keys[1]);
  auto again = DealDerived(session, 2, m.committee, m.keys[1]);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->dealing.commitments, again->dealing.commitments);
  EXPECT_NE(first->dealing.shares, again->dealing.shares);  // sealed with fresh randomness
  for (uint16_t l = 1; l <= 4; ++l) {
    auto share = VerifyReceivedShare(m.committee, first->dealing, l, m.keys[l - 1u]);
    ASSERT_TRUE(share.ok()) << "member " << l << ": " << share.status().ToString();
    share->Wipe();
  }
  auto rebuilt =
      DeriveDealerSecret(MessageType::kDealing, session, 2, m.committee, m.keys[1], nullptr);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
  for (uint16_t l = 1; l <= 4; ++l) {
    Justification j = rebuilt->Justify(l);
    EXPECT_TRUE(CheckJustification(first->dealing, j)) << "complainer " << l;
    EXPECT_EQ(j.share, first->secret.Justify(l).share);
  }
  auto differs = [&](const Result<Dealt<Dealing>>& other) {
    return other.ok() && other->dealing.commitments != first->dealing.commitments;
  };
  EXPECT_TRUE(differs(DealDerived(session, 2, m.committee, m.keys[0])));
  EXPECT_TRUE(differs(DealDerived(sim::SessionFor("derived/2"), 2, m.committee, m.keys[1])));
  EXPECT_TRUE(differs(DealDerived(session, 3, m.committee, m.keys[1])));
  Committee other = sim::MakeMembers(4, 32).committee;
  EXPECT_TRUE(differs(DealDerived(session, 2, other, m.keys[1])));
  // A random dealing by the same dealer is not what the derivation rebuilds.
  auto random = Deal(session, 2, m.committee);
  ASSERT_TRUE(random.ok());
  EXPECT_FALSE(CheckJustification(random->dealing, rebuilt->Justify(1)));
  EXPECT_FALSE(DealDerived(session, 0, m.committee, m.keys[1]).ok());
  EXPECT_FALSE(DealDerived(session, 5, m.committee, m.keys[1]).ok());
  EXPECT_FALSE(
      DeriveDealerSecret(MessageType::kDealing, session, 0, m.committee, m.keys[1], nullptr).ok());
}

// A derived reshare dealing keeps the old share as its constant term (C_0 = K_i), and the
// derived secret with the same old share rebuilds it; with another share it does not.
TEST(DkgDerivedTest, ReshareDealingKeepsTheOldShareAndRebuilds) {
  Members from = sim::MakeMembers(4, 33);
  Finished old = HonestDkg(from, sim::SessionFor("derived/dkg"));
  Members to = sim::MakeMembers(5, 34);
  const SessionId session = sim::SessionFor("derived/reshare");
  auto d = DealReshareDerived(session, 1, old.shares[0], to.committee, from.keys[0]);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->dealing.commitments[0], old.outcome.public_shares[0]);
  auto again = DeriveDealerSecret(MessageType::kReshareDealing, session, 1, to.committee,
                                  from.keys[0], &old.shares[0]);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(CheckJustification(d->dealing, again->Justify(5)));
  auto wrong = DeriveDealerSecret(MessageType::kReshareDealing, session, 1, to.committee,
                                  from.keys[0], &old.shares[1]);
  ASSERT_TRUE(wrong.ok());
  EXPECT_FALSE(CheckJustification(d->dealing, wrong->Justify(5)));
  // The kind is bound: a DKG-kind derivation is another polynomial.
  auto as_dkg =
      DeriveDealerSecret(MessageType::kDealing, session, 1, to.committee, from.keys[0], nullptr);
  ASSERT_TRUE(as_dkg.ok());
  EXPECT_FALSE(CheckJustification(d->dealing, as_dkg->Justify(5)));
  EXPECT_FALSE(DealReshareDerived(session, 0, old.shares[0], to.committee, from.keys[0]).ok());
}

// ---- Decoding ----

template <typename M>
void ExpectStrictDecoding(const M& msg) {
  const Bytes enc = msg.Encode();
  auto dec = M::Decode(enc);
  ASSERT_TRUE(dec.ok()) << dec.status().ToString();
  EXPECT_EQ(*dec, msg);
  EXPECT_EQ(dec->Encode(), enc);
  for (size_t len = 0; len < enc.size(); ++len) {
    EXPECT_FALSE(M::Decode(ByteView(enc).first(len)).ok()) << "truncated to " << len;
  }
  Bytes longer = enc;
  longer.push_back(0);
  auto trailing = M::Decode(longer);
  ASSERT_FALSE(trailing.ok());
  EXPECT_NE(trailing.status().message().find("trailing"), std::string::npos);
  for (uint8_t tag = 0; tag < 8; ++tag) {
    Bytes other = enc;
    other[0] = tag;
    EXPECT_EQ(M::Decode(other).ok(), tag == enc[0]);
  }
}

TEST(DkgDecodeTest, EveryMessageRoundTripsAndRejectsTruncationTrailingAndType) {
  const Members m = sim::MakeMembers(4, 14);
  const SessionId session = sim::SessionFor("decode");
  auto d = Deal(session, 2, m.committee);
  ASSERT_TRUE(d.ok());
  ExpectStrictDecoding(d->dealing);
  auto r = DealReshare(session, 3, Scalar::Random(), m.committee);
  ASSERT_TRUE(r.ok());
  ExpectStrictDecoding(r->dealing);
  ExpectStrictDecoding(Complaint{session, 2, 4});
  ExpectStrictDecoding(d->secret.Justify(4));
  // A dealing does not decode as a reshare dealing and the other way round.
  EXPECT_FALSE(ReshareDealing::Decode(d->dealing.Encode()).ok());
  EXPECT_FALSE(Dealing::Decode(r->dealing.Encode()).ok());
}

// The byte layouts of docs/protocol/dkg.md section 5, pinned: a change here is a protocol
// change.
TEST(DkgDecodeTest, EncodingsMatchTheSpec) {
  SessionId session{};
  for (size_t i = 0; i < session.size(); ++i) session[i] = static_cast<uint8_t>(i);
  const std::string session_hex = HexEncode(session);
  EXPECT_EQ(HexEncode(Complaint{session, 0x0102, 0x0003}.Encode()),
            "02" + session_hex + "0102" + "0003");
  EXPECT_EQ(HexEncode(Justification{session, 7, 9, Scalar::FromU64(0x0a0b)}.Encode()),
            "03" + session_hex + "0007" + "0009" + "0b0a" + std::string(60, '0'));
  Dealing d;
  d.session = session;
  d.dealer = 2;
  d.commitments = {Point::Base()};
  d.shares = {EncryptedShare{}};
  d.shares[0].fill(0xab);
  std::string shares_hex;
  for (size_t i = 0; i < kEncryptedShareSize; ++i) shares_hex += "ab";
  const std::string body = session_hex + "0002" + "00000001" +
                           "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76" +
                           "00000001" + shares_hex;
  EXPECT_EQ(HexEncode(d.Encode()), "01" + body);
  ReshareDealing r;
  static_cast<DealingFields&>(r) = d;
  EXPECT_EQ(HexEncode(r.Encode()), "04" + body);
}

// Offsets in a dealing's encoding: tag 1, session 32, dealer 2, count 4, then points.
constexpr size_t kDealerAt = 33;
constexpr size_t kCommitmentCountAt = 35;
constexpr size_t kFirstCommitmentAt = 39;

void PutU32(Bytes* b, size_t at, uint32_t v) {
  for (size_t i = 0; i < 4; ++i) (*b)[at + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

TEST(DkgDecodeTest, DealingFieldsAreChecked) {
  const Members m = sim::MakeMembers(4, 15);
  auto d = Deal(sim::SessionFor("fields"), 2, m.committee);
  ASSERT_TRUE(d.ok());
  const Bytes enc = d->dealing.Encode();
  ASSERT_EQ(enc.size(), 1 + 32 + 2 + 4 + 3 * 32 + 4 + 4 * kEncryptedShareSize);
  auto expect_error = [](const Bytes& b, std::string_view needle) {
    auto r = Dealing::Decode(b);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().ToString();
  };
  Bytes b = enc;
  b[kDealerAt] = 0;
  b[kDealerAt + 1] = 0;
  expect_error(b, "dealing.dealer: index 0");
  b[kDealerAt] = 1;  // 258
  b[kDealerAt + 1] = 2;
  expect_error(b, "dealing.dealer: index 258");
  b = enc;
  PutU32(&b, kCommitmentCountAt, 0);
  expect_error(b, "dealing.commitments: count 0");
  PutU32(&b, kCommitmentCountAt, 257);
  expect_error(b, "dealing.commitments: count 257");
  PutU32(&b, kCommitmentCountAt, 0xffffffff);
  expect_error(b, "dealing.commitments: count 4294967295");
  b = enc;
  for (size_t i = 32; i < 64; ++i) b[kFirstCommitmentAt + i] = 0;
  expect_error(b, "dealing.commitments[1]: point: identity not allowed");
  b = enc;
  for (size_t i = 0; i < 32; ++i) b[kFirstCommitmentAt + i] = 0xff;
  expect_error(b, "dealing.commitments[0]: point: not a canonical");
  b = enc;
  b[kFirstCommitmentAt + 31] |= 0x80;
  expect_error(b, "dealing.commitments[0]");
  b = enc;  // 4 shares is fine, 2 shares is below t = 3
  const size_t share_count_at = kFirstCommitmentAt + 3 * 32;
  PutU32(&b, share_count_at, 2);
  expect_error(b, "dealing.shares: count 2");
  PutU32(&b, share_count_at, 300);
  expect_error(b, "dealing.shares: count 300");
}

TEST(DkgDecodeTest, JustificationShareMustBeCanonicalAndIndicesInRange) {
  Justification j{sim::SessionFor("j"), 1, 2, Scalar::FromU64(7)};
  Bytes b = j.Encode();
  std::fill(b.end() - 32, b.end(), 0xff);
  auto r = Justification::Decode(b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("justification.share"), std::string::npos);
  b = j.Encode();
  b[36] = 0;  // complainer 0
  b[35] = 0;
  r = Justification::Decode(b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("justification.complainer: index 0"), std::string::npos);
  Bytes c = Complaint{sim::SessionFor("c"), 257, 1}.Encode();
  auto rc = Complaint::Decode(c);
  ASSERT_FALSE(rc.ok());
  EXPECT_NE(rc.status().message().find("complaint.dealer: index 257"), std::string::npos);
}

// ---- Resharing ----

// A finished DKG among `from`, then a resharing to `to`; checks K is kept, the new
// shares are consistent, and k*H2G(x) agrees between old and new shares.
void ExpectReshareKeepsKey(const Members& from, const Members& to, const std::string& name) {
  Finished old = HonestDkg(from, sim::SessionFor(name + "/dkg"));
  const SessionId session = sim::SessionFor(name + "/reshare");
  sim::ReshareRun run = sim::ReshareAll(old.shares, to, session);
  run.transcript.complaints = sim::Complaints(to, run.transcript.dealings);
  EXPECT_TRUE(run.transcript.complaints.empty());
  Result<Outcome> o = QualifyReshare(session, old.outcome, to.committee, run.transcript);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->group_key, old.outcome.group_key);
  EXPECT_EQ(o->qualified.size(), from.committee.threshold);
  std::vector<Scalar> fresh = ExpectKeyWorks(to, *o, sim::CombineAll(to, run.transcript, *o));
  // The OPRF evaluation k * H2G(x): t old shares and t' new shares give the same point.
  const Point h = HashToGroup(AsBytes("alice@example"), AsBytes("hito/v1/test/dkg-h2g"));
  auto evaluate = [&](const std::vector<Scalar>& shares, uint16_t t) {
    std::vector<uint16_t> xs;
    for (uint16_t i = 1; i <= t; ++i) xs.push_back(static_cast<uint16_t>(shares.size() + 1 - i));
    Point acc;
    for (uint16_t i : xs) acc += h.Mul(shares[i - 1u]).Mul(Lambda(i, xs));
    return acc;
  };
  EXPECT_EQ(evaluate(old.shares, from.committee.threshold),
            evaluate(fresh, to.committee.threshold));
  // Old and new shares do not mix.
  std::vector<Scalar> mixed = fresh;
  mixed[0] = old.shares[0];
  EXPECT_NE(Point::MulBase(Reconstruct(mixed, {1, 2, 3})), o->group_key);
}

TEST(DkgReshareTest, FourToFiveKeepsTheKey) {
  ExpectReshareKeepsKey(sim::MakeMembers(4, 20), sim::MakeMembers(5, 21), "4-5");
}

TEST(DkgReshareTest, FourToThreeKeepsTheKey) {
  ExpectReshareKeepsKey(sim::MakeMembers(4, 22), sim::MakeMembers(3, 23), "4-3");
}

TEST(DkgReshareTest, GarbageOldHoldersAreLeftOutAndAnotherSubsetIsUsed) {
  const Members from = sim::MakeMembers(4, 24);
  const Members to = sim::MakeMembers(5, 25);
  Finished old = HonestDkg(from, sim::SessionFor("garbage/dkg"));
  const SessionId session = sim::SessionFor("garbage/reshare");
  std::vector<Scalar> dealt_shares = old.shares;
  dealt_shares[0] = Scalar::Random();  // holder 1 reshares a value that is not its share
  sim::ReshareRun run = sim::ReshareAll(dealt_shares, to, session);
  // Holder 2 sends garbage to new member 5 and does not answer the complaint.
  auto garbage = EncryptShare(MessageType::kReshareDealing, session, 2, 5, to.committee.keys[4],
                              Scalar::FromU64(99));
  ASSERT_TRUE(garbage.ok());
  run.transcript.dealings[1].shares[4] = *garbage;
  run.transcript.complaints = sim::Complaints(to, run.transcript.dealings);
  ASSERT_EQ(run.transcript.complaints.size(), 1u);
  Result<Outcome> o = QualifyReshare(session, old.outcome, to.committee, run.transcript);
  ASSERT_FALSE(o.ok());  // only holders 3 and 4 left: fewer than t = 3
  EXPECT_EQ(o.status().code(), StatusCode::kFailedPrecondition);
  // Holder 2 answers after all: Q = {2, 3, 4}.
  run.transcript.justifications = {run.secrets.at(2).Justify(5)};
  o = QualifyReshare(session, old.outcome, to.committee, run.transcript);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(QualIndices(*o), (std::vector<uint16_t>{2, 3, 4}));
  EXPECT_EQ(Excluded(*o).at(1), Disqualification::kWrongConstantTerm);
  EXPECT_EQ(o->group_key, old.outcome.group_key);
  ExpectKeyWorks(to, *o, sim::CombineAll(to, run.transcript, *o));
}

TEST(DkgReshareTest, ValidHoldersBeyondThresholdAreNotUsed) {
  const Members from = sim::MakeMembers(4, 26);
  const Members to = sim::MakeMembers(4, 27);
  Finished old = HonestDkg(from, sim::SessionFor("extra/dkg"));
  const SessionId session = sim::SessionFor("extra/reshare");
  sim::ReshareRun run = sim::ReshareAll(old.shares, to, session);
  Result<Outcome> o = QualifyReshare(session, old.outcome, to.committee, run.transcript);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(QualIndices(*o), (std::vector<uint16_t>{1, 2, 3}));  // smallest t indices
  ExpectKeyWorks(to, *o, sim::CombineAll(to, run.transcript, *o));
  Outcome broken = old.outcome;
  broken.threshold = 0;
  EXPECT_FALSE(QualifyReshare(session, broken, to.committee, run.transcript).ok());
}

}  // namespace
}  // namespace hito::zk::dkg
