// The ledger's validators module: the genesis schedule (strict validation), the set of
// each height through activation at a fixed height, ScheduleValidatorSetChange (h + D),
// pruning, and evidence recorded on chain once, with a refusal test for each rule
// (forged signature, same value, signer not in the set of that height, too old, not
// below the block, recorded before, listed twice) and a state proof of a recorded piece;
// the same for conflicting-proposal evidence; and the pool's admission rule
// (CheckPendingEvidence: a validator of that height, not beyond the height being decided).
// Real ledger over a MemoryKv; real Ed25519.
#include "consensus/ledger/validators.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/ed25519.h"
#include "consensus/ledger/ledger.h"
#include "consensus/ledger/records.h"
#include "tests/support/votes.h"

namespace hito::consensus::ledger {
namespace {

constexpr char kChain[] = "hito-vals-1";

Ed25519PrivateKey KeyFor(int i) {
  Ed25519Seed seed{};
  seed[0] = static_cast<uint8_t>(i);
  seed[31] = 0x77;
  return Ed25519PrivateKey::FromSeed(seed);
}

types::ValidatorSet SetOf(std::vector<int> ids, uint64_t power = 10) {
  std::vector<types::Validator> vs;
  for (int i : ids) vs.push_back({KeyFor(i).public_key(), power});
  return types::ValidatorSet::Create(std::move(vs)).value();
}

types::DuplicateVoteEvidence Evidence(int who, uint64_t height, uint32_t round = 0) {
  return hito::testing::DuplicateVotes(kChain, KeyFor(who), height, round, hito::testing::HashOf(1),
                                       hito::testing::HashOf(2));
}

// A chain whose genesis set is {0,1,2,3} with `schedule`, blocks applied and committed.
class Chain {
 public:
  explicit Chain(std::vector<ValidatorSetChange> schedule = {}) {
    Genesis g;
    g.chain_id = kChain;
    g.validators = SetOf({0, 1, 2, 3});
    g.validator_schedule = std::move(schedule);
    g.accounts.push_back({types::AccountIdFromPublicKey(KeyFor(0).public_key()), 1'000'000});
    auto out = Ledger::InitGenesis(g);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    if (out.ok()) kv.Apply(out->changes);
  }
  uint64_t height() const { return *Ledger(kChain, &kv).Height(); }
  Result<BlockOutcome> Try(std::vector<types::DuplicateVoteEvidence> ev = {}) {
    types::BlockHeader h;
    h.chain_id = kChain;
    h.height = height() + 1;
    h.time_ms = 1000 + h.height;
    return Ledger(kChain, &kv).ApplyBlock(h, {}, SignatureCheck::kVerify, ev);
  }
  BlockOutcome Apply(std::vector<types::DuplicateVoteEvidence> ev = {}) {
    auto out = Try(std::move(ev));
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    kv.Apply(out->changes);
    return *out;
  }
  void ApplyUntil(uint64_t h) {
    while (height() < h) Apply();
  }
  types::ValidatorSet SetAt(uint64_t h) const {
    auto s = ValidatorSetAt(kv, height(), h);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : types::ValidatorSet{};
  }
  MemoryKv kv;
};

TEST(ValidatorsTest, GenesisSetRulesEveryHeightWithoutSchedule) {
  Chain c;
  EXPECT_EQ(c.SetAt(1), SetOf({0, 1, 2, 3}));
  EXPECT_EQ(c.SetAt(2), SetOf({0, 1, 2, 3}));
  c.ApplyUntil(5);
  EXPECT_EQ(c.SetAt(7), SetOf({0, 1, 2, 3}));
  // Beyond committed + D the set may still change: not answered.
  EXPECT_EQ(ValidatorSetAt(c.kv, 5, 8).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(ValidatorSetAt(c.kv, 5, 0).status().code(), StatusCode::kOutOfRange);
}

TEST(ValidatorsTest, ScheduledChangeActivatesAtItsHeight) {
  Chain c({{4, SetOf({0, 1, 2, 3, 4})}, {6, SetOf({5, 6, 7, 8})}});
  EXPECT_EQ(c.SetAt(1), SetOf({0, 1, 2, 3}));
  EXPECT_EQ(c.SetAt(2), SetOf({0, 1, 2, 3}));
  c.ApplyUntil(2);
  EXPECT_EQ(c.SetAt(3), SetOf({0, 1, 2, 3}));
  EXPECT_EQ(c.SetAt(4), SetOf({0, 1, 2, 3, 4}));  // known two heights ahead
  c.ApplyUntil(4);
  EXPECT_EQ(c.SetAt(5), SetOf({0, 1, 2, 3, 4}));
  EXPECT_EQ(c.SetAt(6), SetOf({5, 6, 7, 8}));
  EXPECT_EQ(c.SetAt(3), SetOf({0, 1, 2, 3}));  // the past stays answerable (evidence)
}

TEST(ValidatorsTest, GenesisScheduleIsStrict) {
  auto bad = [](std::vector<ValidatorSetChange> s, const std::string& what) {
    Genesis g;
    g.chain_id = kChain;
    g.validators = SetOf({0, 1});
    g.validator_schedule = std::move(s);
    auto out = Ledger::InitGenesis(g);
    ASSERT_FALSE(out.ok()) << what;
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument) << what;
    EXPECT_NE(out.status().message().find("validator_schedule"), std::string::npos)
        << out.status().ToString();
  };
  bad({{1, SetOf({2})}}, "height 1 is the genesis set");
  bad({{0, SetOf({2})}}, "height 0");
  bad({{5, SetOf({2})}, {5, SetOf({3})}}, "duplicate height");
  bad({{6, SetOf({2})}, {5, SetOf({3})}}, "decreasing");
  bad({{5, types::ValidatorSet{}}}, "empty set");
  std::vector<ValidatorSetChange> many;
  for (uint64_t h = 2; h < 2 + kValidatorScheduleMax; ++h) many.push_back({h, SetOf({1})});
  bad(many, "too many entries");
  // A schedule without a genesis set is refused too.
  Genesis g;
  g.chain_id = kChain;
  g.validator_schedule = {{3, SetOf({1})}};
  EXPECT_FALSE(Ledger::InitGenesis(g).ok());
}

TEST(ValidatorsTest, ScheduleValidatorSetChangeUsesDelay) {
  ValidatorSchedule s;
  ASSERT_TRUE(s.Put(1, SetOf({0, 1})).ok());
  ASSERT_TRUE(ScheduleValidatorSetChange(&s, 10, SetOf({2, 3})).ok());
  EXPECT_EQ(*s.SetAt(11), SetOf({0, 1}));
  EXPECT_EQ(*s.SetAt(10 + kValidatorChangeDelay), SetOf({2, 3}));
  // A second decision in the same block replaces the first.
  ASSERT_TRUE(ScheduleValidatorSetChange(&s, 10, SetOf({4})).ok());
  EXPECT_EQ(*s.SetAt(12), SetOf({4}));
  EXPECT_EQ(s.entries().size(), 2u);
  EXPECT_FALSE(ScheduleValidatorSetChange(&s, 11, types::ValidatorSet{}).ok());
  // Round trip and strict decoding.
  Bytes enc = EncodeValidatorSchedule(s);
  EXPECT_EQ(*DecodeValidatorSchedule(enc), s);
  Bytes trailing = enc;
  trailing.push_back(0);
  EXPECT_EQ(DecodeValidatorSchedule(trailing).status().code(), StatusCode::kDataLoss);
  Bytes cut(enc.begin(), enc.end() - 1);
  EXPECT_EQ(DecodeValidatorSchedule(cut).status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE(DecodeValidatorSchedule(Bytes{0, 0, 0, 0}).ok());  // no entry
}

TEST(ValidatorsTest, OldSetsArePrunedBeyondEvidenceAge) {
  Chain c({{3, SetOf({4, 5, 6})}});
  c.ApplyUntil(3 + kEvidenceMaxAgeHeights);
  EXPECT_EQ(ReadValidatorSchedule(c.kv)->entries().size(), 1u);
  EXPECT_EQ(ValidatorSetAt(c.kv, c.height(), 2).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(c.SetAt(3), SetOf({4, 5, 6}));
}

TEST(ValidatorsTest, EvidenceIsRecordedOnceAndProvable) {
  Chain c;
  c.ApplyUntil(3);
  const types::DuplicateVoteEvidence e = Evidence(2, 2);
  BlockOutcome out = c.Apply({e});
  const Bytes key = EvidenceKey(e);
  auto proof = Ledger(kChain, &c.kv).ProveRecord(key);
  ASSERT_TRUE(proof.ok());
  EXPECT_TRUE(VerifyRecordProof(out.state_root, key, EncodeEvidenceRecord(4, e), *proof));
  EXPECT_FALSE(VerifyRecordProof(out.state_root, key, EncodeEvidenceRecord(5, e), *proof));
  // The same evidence again is refused, and the refusal changes nothing.
  const auto before = c.kv.entries();
  auto again = c.Try({e});
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("already recorded"), std::string::npos);
  EXPECT_EQ(c.kv.entries(), before);
}

TEST(ValidatorsTest, EvidenceRefusals) {
  Chain c({{4, SetOf({1, 2, 3, 9})}});
  c.ApplyUntil(5);  // next block is 6
  auto refused = [&](std::vector<types::DuplicateVoteEvidence> ev, const std::string& why) {
    auto out = c.Try(std::move(ev));
    ASSERT_FALSE(out.ok()) << why;
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(out.status().message().find(why), std::string::npos) << out.status().ToString();
  };
  types::DuplicateVoteEvidence forged = Evidence(1, 3);
  forged.b.signature[5] ^= 1;
  refused({forged}, "signature");
  types::DuplicateVoteEvidence same = Evidence(1, 3);
  same.b = same.a;
  refused({same}, "evidence against");
  // Validator 9 joined at height 4: its votes at height 3 are not evidence; validator 0
  // left at height 4: its votes at height 4 are not either.
  refused({Evidence(9, 3)}, "not a validator at that height");
  refused({Evidence(0, 4)}, "not a validator at that height");
  refused({Evidence(1, 6)}, "not below");
  refused({Evidence(1, 3), Evidence(1, 3)}, "listed twice");
  // Valid for the sets of their heights.
  c.Apply({Evidence(0, 3), Evidence(9, 5)});
  // Too old: evidence of height 6 in block 6 + kEvidenceMaxAgeHeights + 1.
  c.ApplyUntil(6 + kEvidenceMaxAgeHeights);
  refused({Evidence(1, 6)}, "older than");
}

types::ConflictingProposalEvidence ProposalEvidence(int who, uint64_t height) {
  return hito::testing::ConflictingProposals(kChain, KeyFor(who), height, 0,
                                             hito::testing::HashOf(1), hito::testing::HashOf(2));
}

TEST(ValidatorsTest, PendingEvidenceIsForAValidatorOfItsHeightAndNotBeyondTheNext) {
  // Validator 9 joins at height 4 and 0 leaves; the chain is at 2, so height 3 is being
  // decided and height 4 is beyond it.
  Chain c({{4, SetOf({1, 2, 3, 9})}});
  c.ApplyUntil(2);
  EXPECT_TRUE(CheckPendingEvidence(c.kv, kChain, 2, Evidence(1, 3)).ok());
  EXPECT_TRUE(CheckPendingEvidence(c.kv, kChain, 2, Evidence(0, 2)).ok());
  auto refused = [&](const Status& s, const std::string& why) {
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << why;
    EXPECT_NE(s.message().find(why), std::string::npos) << s.ToString();
  };
  refused(CheckPendingEvidence(c.kv, kChain, 2, Evidence(1, 4)), "beyond the height");
  refused(CheckPendingEvidence(c.kv, kChain, 2, Evidence(1, UINT64_MAX)), "beyond the height");
  refused(CheckPendingEvidence(c.kv, kChain, 2, Evidence(9, 3)), "not a validator");
  refused(CheckPendingEvidence(c.kv, kChain, 2, Evidence(7, 1)), "not a validator");
  types::DuplicateVoteEvidence forged = Evidence(1, 3);
  forged.a.signature[1] ^= 1;
  refused(CheckPendingEvidence(c.kv, kChain, 2, forged), "signature");
  // Once the next height is decided, 9 is a validator of height 4 and 0 is not.
  c.ApplyUntil(3);
  EXPECT_TRUE(CheckPendingEvidence(c.kv, kChain, 3, Evidence(9, 4)).ok());
  refused(CheckPendingEvidence(c.kv, kChain, 3, Evidence(0, 4)), "not a validator");
  // Recorded evidence is no longer pending, and neither is evidence too old to include.
  c.Apply({Evidence(1, 3)});
  refused(CheckPendingEvidence(c.kv, kChain, 4, Evidence(1, 3)), "already recorded");
  c.ApplyUntil(3 + kEvidenceMaxAgeHeights);
  refused(CheckPendingEvidence(c.kv, kChain, c.height(), Evidence(2, 3)), "older than");
  // The same rules for conflicting proposals.
  EXPECT_TRUE(CheckPendingEvidence(c.kv, kChain, c.height(), ProposalEvidence(9, c.height())).ok());
  refused(CheckPendingEvidence(c.kv, kChain, c.height(), ProposalEvidence(0, c.height())),
          "not a validator");
  refused(CheckPendingEvidence(c.kv, kChain, c.height(), ProposalEvidence(9, c.height() + 2)),
          "beyond the height");
}

TEST(ValidatorsTest, ConflictingProposalEvidenceIsRecordedOnceAndProvable) {
  Chain c({{4, SetOf({1, 2, 3, 9})}});
  c.ApplyUntil(5);  // next block is 6
  auto try_block = [&](std::vector<types::DuplicateVoteEvidence> votes,
                       std::vector<types::ConflictingProposalEvidence> proposals) {
    types::BlockHeader h;
    h.chain_id = kChain;
    h.height = c.height() + 1;
    return Ledger(kChain, &c.kv).ApplyBlock(h, {}, SignatureCheck::kVerify, votes, proposals);
  };
  auto refused = [&](std::vector<types::ConflictingProposalEvidence> ev, const std::string& why) {
    auto out = try_block({}, std::move(ev));
    ASSERT_FALSE(out.ok()) << why;
    EXPECT_NE(out.status().message().find(why), std::string::npos) << out.status().ToString();
  };
  types::ConflictingProposalEvidence forged = ProposalEvidence(1, 3);
  forged.b.signature[7] ^= 1;
  refused({forged}, "signature");
  refused({ProposalEvidence(9, 3)}, "not a validator at that height");
  refused({ProposalEvidence(1, 6)}, "not below");
  refused({ProposalEvidence(1, 3), ProposalEvidence(1, 3)}, "listed twice");
  // Both kinds in one block, recorded under different keys.
  const types::ConflictingProposalEvidence e = ProposalEvidence(1, 3);
  auto out = try_block({Evidence(1, 3)}, {e});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  c.kv.Apply(out->changes);
  EXPECT_NE(EvidenceKey(e), EvidenceKey(Evidence(1, 3)));
  auto proof = Ledger(kChain, &c.kv).ProveRecord(EvidenceKey(e));
  ASSERT_TRUE(proof.ok());
  EXPECT_TRUE(
      VerifyRecordProof(out->state_root, EvidenceKey(e), EncodeEvidenceRecord(6, e), *proof));
  refused({e}, "already recorded");
}

TEST(ValidatorsTest, ChainWithoutValidatorsRefusesEvidence) {
  Genesis g;
  g.chain_id = kChain;
  g.accounts.push_back({types::AccountIdFromPublicKey(KeyFor(0).public_key()), 5});
  auto out = Ledger::InitGenesis(g);
  ASSERT_TRUE(out.ok());
  MemoryKv kv;
  kv.Apply(out->changes);
  types::BlockHeader h;
  h.chain_id = kChain;
  h.height = 2;
  EXPECT_FALSE(ValidatorRecords(kv, kChain, 2, {Evidence(0, 1)}).ok());
  EXPECT_TRUE(ValidatorRecords(kv, kChain, 2, {})->empty());
}

}  // namespace
}  // namespace hito::consensus::ledger
