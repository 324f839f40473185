// Governance (consensus/ledger/governance.h) through Ledger::ApplyBlock, with real
// membership proofs over cohorts of 4 citizens: the quadratic budget exactly at and one
// over the limit, votes near 2^63 refused without wrapping, a replacing ballot taking its
// earlier contribution off every tally (also off proposals it no longer touches) and the
// revision cap, ballots for a round that is not open, proofs from another round's context
// or another cohort's set, out-of-bounds parameter proposals, passing and failing by
// quorum with the deposit refunded or burned (the supply exact throughout), the execution
// of every kind of action, a whale with many funded accounts casting one ballot per
// identity, and every tally recomputed from the blocks. Also: a round_epochs change
// taking effect only at a round boundary, a passed change an earlier one made unfit (not
// executed, with why) and a queued change dropped at its epoch (with why), deposits
// escrowed and refunded exactly under demurrage, every tally and outcome recomputed from
// the committed transactions' bytes alone (re-votes with fewer entries and flipped
// signs), proposals past max_proposals_per_round refused in the block, and the dedup quota
// changed by ballot; what the block start reports (BlockOutcome::governance) is checked
// along the way.
#include "consensus/ledger/governance.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "consensus/ledger/demurrage.h"
#include "consensus/ledger/ledger.h"
#include "consensus/ledger/records.h"
#include "consensus/ledger/state_record.h"
#include "consensus/ledger/validators.h"
#include "consensus/types/codec.h"
#include "consensus/types/governance.h"
#include "consensus/types/transaction.h"
#include "tests/support/genesis.h"
#include "tests/support/keys.h"
#include "tests/support/ledger.h"
#include "tests/support/personhood.h"
#include "tests/support/transactions.h"
#include "tests/support/votes.h"
#include "zk/point.h"

namespace hito::consensus::ledger {
namespace {

using hito::testing::AccountOf;
using hito::testing::KeyFor;

constexpr char kChain[] = "hito-gov-1";
constexpr uint64_t kEpochBlocks = 10;
constexpr uint64_t kRoundEpochs = 2;  // a round is 20 blocks
constexpr uint64_t kDeposit = 5'000'000;
constexpr uint64_t kFee = 1000;
constexpr uint64_t kFunds = 1'000'000'000;
constexpr uint32_t kCitizens = 8;  // cohorts 0 and 1 of 4

// Funded proposers 1..9, the whale's accounts 30..49.
hito::testing::FundedAccounts Funded() {
  hito::testing::FundedAccounts f;
  for (uint8_t n = 1; n <= 9; ++n) f.emplace_back(n, kFunds);
  for (uint8_t n = 30; n < 50; ++n) f.emplace_back(n, kFunds);
  return f;
}

// What a chain varies from the defaults.
struct GovSpec {
  uint32_t max_proposals_per_round = 16;
  uint32_t demurrage_ppm = 0;
};

class GovChain {
 public:
  explicit GovChain(uint64_t voice_credits = 100, uint32_t max_proofs = 64,
                    const GovSpec& gov_spec = {})
      : demurrage_ppm(gov_spec.demurrage_ppm) {
    hito::testing::PersonhoodSpec spec;
    spec.citizens = kCitizens;
    spec.cohort_bits = 2;
    spec.epoch_blocks = kEpochBlocks;
    spec.claim_window = 4;
    spec.max_claims_per_block = max_proofs;
    Genesis g = hito::testing::MakePersonhoodGenesis(kChain, Funded(), spec);
    g.validators = hito::testing::ValidatorSetOf({0, 1, 2, 3});
    g.params.demurrage_ppm_per_epoch = gov_spec.demurrage_ppm;
    GovernanceParams gp;
    gp.round_epochs = kRoundEpochs;
    gp.voice_credits = voice_credits;
    gp.quorum_ppm = 250'000;  // 2 ballots of 8 live identities
    gp.proposal_deposit = kDeposit;
    gp.max_proposals_per_round = gov_spec.max_proposals_per_round;
    g.governance = gp;
    auto out = Ledger::InitGenesis(g);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    kv.Apply(out->changes);
    for (const auto& [n, balance] : Funded()) accounts.push_back(AccountOf(KeyFor(n)));
  }

  Ledger ledger() const { return Ledger(kChain, &kv); }
  uint64_t height() const { return *ledger().Height(); }
  RoundState round() const { return *governance::ReadRound(RegistryStore(&kv)); }

  std::vector<TxResult> Apply(const std::vector<types::Transaction>& txs,
                              SignatureCheck sigs = SignatureCheck::kVerify,
                              const std::vector<types::DuplicateVoteEvidence>& ev = {}) {
    auto out = ledger().ApplyBlock(hito::testing::HeaderAt(kChain, height() + 1), txs, sigs, ev);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    if (!out.ok()) return {};
    kv.Apply(out->changes);
    EXPECT_EQ(hito::testing::RootFromRecords(kv), out->state_root);
    Block b{txs, out->results, {}};
    for (const types::Transaction& tx : txs) b.bytes.push_back(types::EncodeTransaction(tx));
    blocks.push_back(std::move(b));
    last_start = out->governance;
    CheckSupply();
    return out->results;
  }
  TxResult ApplyOne(const types::Transaction& tx) { return Apply({tx}).at(0); }
  // Empty blocks until the first block of round `r` is committed.
  void EnterRound(uint64_t r) {
    while (round().round < r) Apply({});
    ASSERT_EQ(round().round, r);
  }

  // The supply is exactly the sum of balances (no claims here; with demurrage, at most
  // one unit per account above it, ubi.md "Supply"); deposits in escrow are outside both.
  void CheckSupply() const {
    uint64_t sum = 0;
    for (const types::AccountId& a : accounts) sum += ledger().GetAccount(a)->balance;
    if (demurrage_ppm == 0) {
      EXPECT_EQ(*ledger().Supply(), sum);
    } else {
      EXPECT_GE(*ledger().Supply(), sum);
      EXPECT_LE(*ledger().Supply(), sum + accounts.size());
    }
  }
  uint64_t Balance(uint8_t n) const { return ledger().GetAccount(AccountOf(KeyFor(n)))->balance; }

  types::Transaction Propose(uint8_t n, types::Action action, uint64_t nonce_offset = 0,
                             std::optional<uint64_t> deposit = std::nullopt) const {
    return hito::testing::MakeProposal(
        KeyFor(n), {.chain_id = kChain,
                    .nonce = ledger().GetAccount(AccountOf(KeyFor(n)))->nonce + nonce_offset,
                    .fee = kFee,
                    .deposit = deposit.value_or(kDeposit),
                    .action = std::move(action)});
  }

  // Citizen i's ballot in round `r` (default: the current one), declared for cohort
  // `cohort` (default: its own), proved against `set_cohort`'s snapshot of the round's
  // first epoch in the context of `context_round` (defaults: the honest ones).
  types::Ballot MakeBallot(uint64_t i, std::vector<types::BallotEntry> entries,
                           std::optional<uint64_t> r = std::nullopt,
                           std::optional<uint32_t> cohort = std::nullopt,
                           std::optional<uint32_t> set_cohort = std::nullopt,
                           std::optional<uint64_t> context_round = std::nullopt) const {
    return hito::testing::MakeBallot(kv, kChain, i, std::move(entries),
                                     {r, cohort, set_cohort, context_round});
  }
  TxResult Vote(uint64_t i, std::vector<types::BallotEntry> entries) {
    return ApplyOne(types::Transaction{MakeBallot(i, std::move(entries))});
  }

  ProposalRecord Proposal(uint64_t r, uint32_t index) const {
    return governance::GetProposal(RegistryStore(&kv), r, index).value().value();
  }

  struct Block {
    std::vector<types::Transaction> txs;
    std::vector<TxResult> results;
    std::vector<Bytes> bytes;  // the committed transactions, canonically encoded
  };
  uint32_t demurrage_ppm = 0;
  MemoryKv kv;
  GovernanceBlockStart last_start;  // what the last block's start did
  std::vector<types::AccountId> accounts;
  std::vector<Block> blocks;
};

types::Action Text(const std::string& s) { return types::TextProposal{Bytes(s.begin(), s.end())}; }
types::Action Param(types::ParamId id, uint64_t v) {
  return types::ParamChange{static_cast<uint16_t>(id), v};
}

// Round 0: `n` text proposals by accounts 1..n; then round 1 opened for voting.
void ProposeTextsAndOpenVoting(GovChain* c, uint32_t n) {
  std::vector<types::Transaction> txs;
  for (uint32_t k = 0; k < n; ++k) {
    txs.push_back(c->Propose(static_cast<uint8_t>(1 + k), Text("p" + std::to_string(k))));
  }
  for (const TxResult& r : c->Apply(txs)) ASSERT_TRUE(r.ok()) << r.message;
  c->EnterRound(1);
}

TEST(GovernanceTest, BudgetExactlyAtTheLimitPassesAndOneOverIsRefused) {
  GovChain c;  // 100 voice credits
  ProposeTextsAndOpenVoting(&c, 3);
  EXPECT_TRUE(c.Vote(0, {{0, 10}}).ok());                  // 100
  EXPECT_TRUE(c.Vote(1, {{0, -6}, {1, 8}}).ok());          // 36 + 64
  EXPECT_TRUE(c.Vote(2, {{0, 0}, {1, 7}, {2, -7}}).ok());  // 98
  TxResult r = c.Vote(3, {{0, 10}, {1, 1}});               // 101
  EXPECT_EQ(r.code, TxCode::kBallotOverBudget) << r.message;
  r = c.Vote(4, {{0, 5}, {1, 5}, {2, 6}});  // 86 ... and one over with 2:7 -> 99; 3 entries 101
  EXPECT_TRUE(r.ok());
  r = c.Vote(5, {{0, 6}, {1, 6}, {2, 6}});  // 108
  EXPECT_EQ(r.code, TxCode::kBallotOverBudget);
  EXPECT_EQ(c.Proposal(0, 0).tally, 10 - 6 + 0 + 5);
  EXPECT_EQ(c.Proposal(0, 0).ballots, 4u);
  EXPECT_EQ(*governance::VotersInRound(RegistryStore(&c.kv), 1), 4u);
}

TEST(GovernanceTest, VotesNearTwoToThe63AreRefusedNotWrapped) {
  GovChain c(/*voice_credits=*/kVoiceCreditsMax);
  ProposeTextsAndOpenVoting(&c, 2);
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const int64_t two32 = int64_t{1} << 32;
  const int64_t two31 = int64_t{1} << 31;
  const std::vector<std::vector<types::BallotEntry>> hostile = {
      {{0, kMin}},
      {{0, kMax}},
      {{0, kMin + 1}},
      {{0, two32}},
      {{0, -two32}},
      {{0, 3'037'000'500}},      // its square overflows i64, not u64
      {{0, two32 - 1}},          // (2^32 - 1)^2 < 2^64, far over the budget
      {{0, two31}, {1, two31}},  // 2^62 + 2^62 = 2^63
      {{0, 65'536}, {1, 1}},     // 2^32 + 1: one over
      {{0, kMin}, {1, kMin}},    // two wraps that would sum to 0
  };
  std::vector<types::Transaction> txs;
  for (const auto& entries : hostile) txs.push_back(types::Transaction{c.MakeBallot(0, entries)});
  const std::vector<TxResult> rs = c.Apply(txs);
  for (size_t k = 0; k < rs.size(); ++k) {
    EXPECT_EQ(rs[k].code, TxCode::kBallotOverBudget) << hostile[k][0].vote;
  }
  EXPECT_EQ(c.Proposal(0, 0).ballots, 0u);
  EXPECT_EQ(c.Proposal(0, 0).tally, 0);
  EXPECT_TRUE(c.Vote(0, {{0, -65'536}}).ok());  // exactly 2^32 credits
  EXPECT_EQ(c.Proposal(0, 0).tally, -65'536);
}

TEST(GovernanceTest, ReplacingBallotTakesItsWholeContributionOff) {
  GovChain c;
  ProposeTextsAndOpenVoting(&c, 3);
  ASSERT_TRUE(c.Vote(0, {{0, 5}, {1, 3}, {2, -4}}).ok());
  ASSERT_TRUE(c.Vote(1, {{0, 2}}).ok());
  EXPECT_EQ(c.Proposal(0, 0).tally, 7);
  EXPECT_EQ(c.Proposal(0, 1).ballots, 1u);
  // Citizen 0 changes its mind to fewer proposals: 0 and 2 lose its votes and ballot.
  ASSERT_TRUE(c.Vote(0, {{1, -2}}).ok());
  EXPECT_EQ(c.Proposal(0, 0).tally, 2);
  EXPECT_EQ(c.Proposal(0, 0).ballots, 1u);
  EXPECT_EQ(c.Proposal(0, 1).tally, -2);
  EXPECT_EQ(c.Proposal(0, 1).ballots, 1u);
  EXPECT_EQ(c.Proposal(0, 2).tally, 0);
  EXPECT_EQ(c.Proposal(0, 2).ballots, 0u);
  EXPECT_EQ(*governance::VotersInRound(RegistryStore(&c.kv), 1), 2u);
  // Two ballots of one identity in one block: the later one stands.
  const std::vector<TxResult> rs = c.Apply({types::Transaction{c.MakeBallot(1, {{0, 9}})},
                                            types::Transaction{c.MakeBallot(1, {{2, 1}})}});
  ASSERT_TRUE(rs[0].ok() && rs[1].ok());
  EXPECT_EQ(c.Proposal(0, 0).tally, 0);
  EXPECT_EQ(c.Proposal(0, 0).ballots, 0u);
  EXPECT_EQ(c.Proposal(0, 2).tally, 1);
  // Citizen 1 has cast 3 ballots; a fourth is its last, a fifth is refused and changes
  // nothing.
  ASSERT_TRUE(c.Vote(1, {{2, 2}}).ok());
  EXPECT_EQ(c.Proposal(0, 2).tally, 2);
  TxResult r = c.Vote(1, {{0, 1}});
  EXPECT_EQ(r.code, TxCode::kBallotRevisions) << r.message;
  EXPECT_EQ(c.Proposal(0, 2).tally, 2);
  EXPECT_EQ(c.Proposal(0, 0).ballots, 0u);
}

TEST(GovernanceTest, BallotsOutsideTheOpenRoundAreRefused) {
  GovChain c;
  // Round 0 has nothing to vote on.
  TxResult r = c.Vote(0, {{0, 1}});
  EXPECT_EQ(r.code, TxCode::kBallotInvalid) << r.message;
  ProposeTextsAndOpenVoting(&c, 1);
  for (uint64_t other : {uint64_t{0}, uint64_t{2}, uint64_t{1} << 40}) {
    r = c.ApplyOne(types::Transaction{c.MakeBallot(0, {{0, 1}}, other)});
    EXPECT_EQ(r.code, TxCode::kRoundNotOpen) << other;
  }
  r = c.Vote(0, {{1, 1}});  // round 0 had one proposal
  EXPECT_EQ(r.code, TxCode::kBallotInvalid);
  c.EnterRound(2);  // round 1's proposals: none, and round 1 is closed
  r = c.ApplyOne(types::Transaction{c.MakeBallot(0, {{0, 1}}, 1)});
  EXPECT_EQ(r.code, TxCode::kRoundNotOpen);
}

TEST(GovernanceTest, ProofsFromAnotherRoundOrAnotherCohortAreRefused) {
  GovChain c;
  ProposeTextsAndOpenVoting(&c, 1);
  // The context of round 0 (or 2) with the message of round 1.
  for (uint64_t ctx : {uint64_t{0}, uint64_t{2}}) {
    TxResult r = c.ApplyOne(types::Transaction{
        c.MakeBallot(0, {{0, 1}}, std::nullopt, std::nullopt, std::nullopt, ctx)});
    EXPECT_EQ(r.code, TxCode::kBadProof) << ctx;
  }
  // Citizen 0 (cohort 0) proves against cohort 0's set but claims cohort 1.
  TxResult r = c.ApplyOne(types::Transaction{c.MakeBallot(0, {{0, 1}}, std::nullopt, 1u)});
  EXPECT_EQ(r.code, TxCode::kBadProof);
  // A cohort with no snapshot.
  r = c.ApplyOne(types::Transaction{c.MakeBallot(0, {{0, 1}}, std::nullopt, 7u, 0u)});
  EXPECT_EQ(r.code, TxCode::kNoSnapshot);
  // The mempool's check gives the same verdicts.
  const Ledger l = c.ledger();
  EXPECT_EQ(l.CheckTransaction(types::Transaction{c.MakeBallot(0, {{0, 1}}, std::nullopt,
                                                               std::nullopt, std::nullopt, 0)},
                               0, SignatureCheck::kVerify)
                .code,
            TxCode::kBadProof);
  EXPECT_TRUE(
      l.CheckTransaction(types::Transaction{c.MakeBallot(0, {{0, 1}})}, 0, SignatureCheck::kVerify)
          .ok());
  EXPECT_EQ(c.Proposal(0, 0).ballots, 0u);
}

TEST(GovernanceTest, OutOfBoundsParameterProposalsAreRefusedAndChangeNothing) {
  GovChain c;
  const uint64_t before = c.Balance(1);
  const std::vector<types::Action> bad = {
      Param(types::ParamId::kQuorumPpm, 0),
      Param(types::ParamId::kQuorumPpm, 1'000'001),
      Param(types::ParamId::kVoiceCredits, 0),
      Param(types::ParamId::kVoiceCredits, kVoiceCreditsMax + 1),
      Param(types::ParamId::kRoundEpochs, 0),
      Param(types::ParamId::kRoundEpochs, 5),  // > claim_window 4
      Param(types::ParamId::kClaimWindow, 1),  // < the round's 2 epochs
      Param(types::ParamId::kClaimWindow, kSnapshotWindowMax + 1),
      Param(types::ParamId::kMaxClaimsPerBlock, 0),
      Param(types::ParamId::kMaxClaimsPerBlock, uint64_t{1} << 32),  // beyond u32
      Param(types::ParamId::kMaxProposalsPerRound, kMaxProposalsPerRoundMax + 1),
      Param(types::ParamId::kProposalDeposit, kProposalDepositMax + 1),
      Param(types::ParamId::kMaxAttestationEpochs, 0),
      Param(types::ParamId::kAttesterQuotaPerEpoch, 0),
      Param(types::ParamId::kDedupQuotaPerEpoch, 0),
      Param(types::ParamId::kDedupQuotaPerEpoch, kDedupQuotaPerEpochMax + 1),
      Param(types::ParamId::kDedupQuotaPerEpoch, uint64_t{1} << 32),  // beyond u32
      types::ParamChange{0, 1},                                       // no such parameter
      types::ParamChange{12, 1},                                      // nor the id after the last
      types::ParamChange{99, 1},  // nor this (cohort_bits has no id)
  };
  for (const types::Action& a : bad) {
    TxResult r = c.ApplyOne(c.Propose(1, a));
    EXPECT_EQ(r.code, TxCode::kProposalInvalid) << std::get<types::ParamChange>(a).param;
    EXPECT_EQ(c.ledger().CheckTransaction(c.Propose(1, a), 0, SignatureCheck::kVerify).code,
              TxCode::kProposalInvalid);
  }
  EXPECT_EQ(c.Balance(1), before);
  EXPECT_EQ(c.ledger().GetAccount(AccountOf(KeyFor(1)))->nonce, 0u);
  EXPECT_EQ(*governance::ProposalsInRound(RegistryStore(&c.kv), 0), 0u);
  // The money rules come first: a wrong deposit, too little balance.
  EXPECT_EQ(c.ApplyOne(c.Propose(1, Text("x"), 0, kDeposit - 1)).code, TxCode::kDepositMismatch);
  EXPECT_EQ(c.ApplyOne(c.Propose(1, Text("x"), 1)).code, TxCode::kNonceTooHigh);
  // In range: accepted, fee burned and deposit escrowed.
  TxResult ok = c.ApplyOne(c.Propose(1, Param(types::ParamId::kQuorumPpm, 1'000'000)));
  ASSERT_TRUE(ok.ok()) << ok.message;
  EXPECT_EQ(ok.fee_burned, kFee);
  EXPECT_EQ(ok.deposit_escrowed, kDeposit);
  EXPECT_EQ(c.Balance(1), before - kFee - kDeposit);
  EXPECT_EQ(c.round().escrow, kDeposit);
}

TEST(GovernanceTest, QuorumDecidesAndTheDepositIsRefundedOrBurned) {
  GovChain c;
  // Proposals 0..3 by accounts 1..4.
  ProposeTextsAndOpenVoting(&c, 4);
  const uint64_t supply_voting = *c.ledger().Supply();
  EXPECT_EQ(c.round().escrow, 4 * kDeposit);
  EXPECT_EQ(c.round().live, kCitizens);
  // 0: two ballots, positive (passes). 1: two ballots, negative (rejected, refunded).
  // 2: one ballot (no quorum: burned). 3: none (burned).
  ASSERT_TRUE(c.Vote(0, {{0, 3}, {1, -1}, {2, 5}}).ok());
  ASSERT_TRUE(c.Vote(5, {{0, -1}, {1, 0}}).ok());
  const uint64_t b1 = c.Balance(1), b2 = c.Balance(2), b3 = c.Balance(3), b4 = c.Balance(4);
  c.EnterRound(2);
  EXPECT_EQ(c.Proposal(0, 0).outcome, ProposalOutcome::kExecuted);
  EXPECT_EQ(c.Proposal(0, 0).tally, 2);
  EXPECT_EQ(c.Proposal(0, 0).live, kCitizens);
  EXPECT_EQ(c.Proposal(0, 1).outcome, ProposalOutcome::kRejected);
  EXPECT_EQ(c.Proposal(0, 2).outcome, ProposalOutcome::kNoQuorum);
  EXPECT_EQ(c.Proposal(0, 3).outcome, ProposalOutcome::kNoQuorum);
  EXPECT_EQ(c.Balance(1), b1 + kDeposit);
  EXPECT_EQ(c.Balance(2), b2 + kDeposit);
  EXPECT_EQ(c.Balance(3), b3);
  EXPECT_EQ(c.Balance(4), b4);
  EXPECT_EQ(c.round().escrow, 0u);
  EXPECT_EQ(*c.ledger().Supply(), supply_voting + 2 * kDeposit);
  // Round 1's ballots are pruned; the results are kept.
  EXPECT_EQ(*governance::VotersInRound(RegistryStore(&c.kv), 1), 0u);
  EXPECT_FALSE(governance::GetBallot(RegistryStore(&c.kv), 1,
                                     types::BallotNullifier(c.MakeBallot(0, {{0, 1}}, 2)))
                   .value()
                   .has_value());
}

TEST(GovernanceTest, EveryKindOfActionIsExecuted) {
  GovChain c;
  c.Apply({});
  // Evidence against validator 3, recorded on chain.
  const auto evidence =
      hito::testing::DuplicateVotes(kChain, hito::testing::ValidatorKey(3), c.height(), 0,
                                    hito::testing::HashOf(1), hito::testing::HashOf(2));
  c.Apply({}, SignatureCheck::kVerify, {evidence});
  const Bytes ev_key = EvidenceKey(evidence);
  Hash32 ev_hash;
  std::copy(ev_key.begin() + 2, ev_key.end(), ev_hash.begin());
  const Ed25519PublicKey new_attester = KeyFor(77).public_key();
  const Ed25519PublicKey new_validator = hito::testing::ValidatorKey(5).public_key();
  const types::IdentityPoint revoked = zk::Point::MulBase(hito::testing::CitizenSecret(6)).bytes();
  const std::vector<types::Action> actions = {
      Param(types::ParamId::kUbiPerEpoch, 7),                                 // 0
      types::AddAttester{new_attester},                                       // 1
      types::RemoveAttester{KeyFor(101).public_key()},                        // 2
      types::AddValidator{new_validator, 4},                                  // 3
      types::RemoveValidator{hito::testing::ValidatorKey(0).public_key()},    // 4
      types::ValidatorPower{hito::testing::ValidatorKey(1).public_key(), 9},  // 5
      types::EvidenceRemoval{ev_hash},                                        // 6
      types::RevokeIdentity{revoked},                                         // 7
  };
  std::vector<types::Transaction> txs;
  for (size_t k = 0; k < actions.size(); ++k) {
    txs.push_back(c.Propose(static_cast<uint8_t>(1 + k), actions[k]));
  }
  for (const TxResult& r : c.Apply(txs)) ASSERT_TRUE(r.ok()) << r.message;
  // A text proposal too, by account 9.
  ASSERT_TRUE(c.ApplyOne(c.Propose(9, Text("a text"))).ok());
  c.EnterRound(1);
  std::vector<types::BallotEntry> all;
  for (uint32_t k = 0; k < 9; ++k) all.push_back({k, 1});
  ASSERT_TRUE(c.Vote(0, all).ok());
  ASSERT_TRUE(c.Vote(4, all).ok());
  const uint64_t ubi_before = c.ledger().GetUbiParams().value()->ubi_per_epoch;
  c.EnterRound(2);
  const uint64_t h = c.height();
  for (uint32_t k = 0; k < 9; ++k) {
    EXPECT_EQ(c.Proposal(0, k).outcome, ProposalOutcome::kExecuted)
        << k << " " << TxCodeName(c.Proposal(0, k).reason);
  }
  // The parameter applies from the next epoch, not in this block's.
  EXPECT_EQ(c.ledger().GetUbiParams().value()->ubi_per_epoch, ubi_before);
  while (c.height() % kEpochBlocks != 0 || c.height() == h) c.Apply({});
  EXPECT_EQ(c.ledger().GetUbiParams().value()->ubi_per_epoch, 7u);
  const RegistryStore store(&c.kv);
  EXPECT_TRUE(*registry::IsAttester(store, new_attester));
  EXPECT_FALSE(*registry::IsAttester(store, KeyFor(101).public_key()));
  EXPECT_EQ((*registry::FindIdentity(store, revoked))->status, IdentityStatus::kRevoked);
  // Validators: 0 and 3 removed, 1 at power 9, 5 added at 4, from h + 2 on.
  std::vector<types::Validator> expected = {
      {hito::testing::ValidatorKey(1).public_key(), 9},
      {hito::testing::ValidatorKey(2).public_key(), 1},
      {new_validator, 4},
  };
  const types::ValidatorSet want = types::ValidatorSet::Create(expected).value();
  EXPECT_EQ(*ValidatorSetAt(c.kv, c.height(), h + kValidatorChangeDelay), want);
  EXPECT_EQ(*ValidatorSetAt(c.kv, c.height(), h + 1), hito::testing::ValidatorSetOf({0, 1, 2, 3}));
}

TEST(GovernanceTest, APassedActionThatNoLongerAppliesIsRecordedNotExecuted) {
  GovChain c;
  const Ed25519PublicKey a = KeyFor(77).public_key();
  // Two proposals to accredit the same attester, both pass: the second finds it done.
  for (const TxResult& r :
       c.Apply({c.Propose(1, types::AddAttester{a}), c.Propose(2, types::AddAttester{a})})) {
    ASSERT_TRUE(r.ok()) << r.message;
  }
  c.EnterRound(1);
  ASSERT_TRUE(c.Vote(0, {{0, 1}, {1, 1}}).ok());
  ASSERT_TRUE(c.Vote(4, {{0, 1}, {1, 1}}).ok());
  c.EnterRound(2);
  EXPECT_EQ(c.Proposal(0, 0).outcome, ProposalOutcome::kExecuted);
  EXPECT_EQ(c.Proposal(0, 1).outcome, ProposalOutcome::kNotExecuted);
  EXPECT_EQ(c.Proposal(0, 1).reason, TxCode::kProposalInvalid);
}

TEST(GovernanceTest, AWhaleCastsOneBallotPerIdentity) {
  GovChain c;
  ProposeTextsAndOpenVoting(&c, 1);
  // The whale funds 20 accounts but holds one identity (citizen 2): every ballot it sends,
  // through any relay, carries the same nullifier and replaces the last.
  std::vector<types::Transaction> txs;
  for (int k = 0; k < 4; ++k) txs.push_back(types::Transaction{c.MakeBallot(2, {{0, 10}})});
  for (const TxResult& r : c.Apply(txs)) EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(c.Proposal(0, 0).ballots, 1u);
  EXPECT_EQ(c.Proposal(0, 0).tally, 10);
  EXPECT_EQ(*governance::VotersInRound(RegistryStore(&c.kv), 1), 1u);
  EXPECT_EQ(c.Vote(2, {{0, 10}}).code, TxCode::kBallotRevisions);
  // Its money buys no ballot: a proof with a secret that is not a member fails.
  types::Ballot forged = c.MakeBallot(2, {{0, 10}});
  forged.proof[40] ^= 1;
  EXPECT_NE(c.ApplyOne(types::Transaction{forged}).code, TxCode::kOk);
  // Alone it is 1 of 8 live identities: below the 25% quorum, so nothing passes.
  c.EnterRound(2);
  EXPECT_EQ(c.Proposal(0, 0).outcome, ProposalOutcome::kNoQuorum);
}

TEST(GovernanceTest, BallotsShareTheClaimsProofBudget) {
  GovChain c(100, /*max_proofs=*/2);
  ProposeTextsAndOpenVoting(&c, 1);
  const std::vector<TxResult> rs = c.Apply({types::Transaction{c.MakeBallot(0, {{0, 1}})},
                                            types::Transaction{c.MakeBallot(1, {{0, 1}})},
                                            types::Transaction{c.MakeBallot(2, {{0, 1}})}});
  EXPECT_TRUE(rs[0].ok());
  EXPECT_TRUE(rs[1].ok());
  EXPECT_EQ(rs[2].code, TxCode::kBallotsPerBlock);
}

TEST(GovernanceTest, EveryTallyRecomputedFromTheBlocks) {
  GovChain c;
  ProposeTextsAndOpenVoting(&c, 4);
  // A mix of ballots, replacements, refusals and identities over several blocks.
  const std::vector<std::pair<uint64_t, std::vector<types::BallotEntry>>> votes = {
      {0, {{0, 3}, {2, -4}}}, {1, {{1, 9}}},
      {0, {{3, 2}}},          {2, {{0, 11}}},
      {3, {{0, -5}, {1, 5}}}, {4, {{2, 1}, {3, -1}}},
      {1, {{0, 1}, {1, 1}}},  {5, {{3, 10}}},
      {6, {{0, 7}, {3, 7}}},  {7, {{0, -1}, {1, -1}, {2, -1}, {3, -1}}}};
  for (size_t k = 0; k < votes.size(); k += 2) {
    std::vector<types::Transaction> txs;
    for (size_t j = k; j < std::min(k + 2, votes.size()); ++j) {
      txs.push_back(types::Transaction{c.MakeBallot(votes[j].first, votes[j].second)});
    }
    c.Apply(txs);
  }
  // Replay: the last accepted ballot of each nullifier of round 1 counts.
  std::map<Hash32, std::vector<types::BallotEntry>> last;
  for (const GovChain::Block& b : c.blocks) {
    for (size_t i = 0; i < b.txs.size(); ++i) {
      const auto* ballot = std::get_if<types::Ballot>(&b.txs[i].body);
      if (ballot == nullptr || !b.results[i].ok() || ballot->round != 1) continue;
      last[types::BallotNullifier(*ballot)] = ballot->entries;
    }
  }
  std::map<uint32_t, std::pair<int64_t, uint64_t>> tally;
  for (const auto& [n, entries] : last) {
    for (const types::BallotEntry& e : entries) {
      tally[e.index].first += e.vote;
      tally[e.index].second += 1;
    }
  }
  for (uint32_t k = 0; k < 4; ++k) {
    EXPECT_EQ(c.Proposal(0, k).tally, tally[k].first) << k;
    EXPECT_EQ(c.Proposal(0, k).ballots, tally[k].second) << k;
  }
  EXPECT_EQ(*governance::VotersInRound(RegistryStore(&c.kv), 1), last.size());
}

// Passes every proposal of round 0 with ballots of citizens 0 and 4 (+1 each) in round 1,
// then enters round 2, whose first block decides them.
void PassAllAndClose(GovChain* c, uint32_t proposals) {
  c->EnterRound(1);
  std::vector<types::BallotEntry> all;
  for (uint32_t k = 0; k < proposals; ++k) all.push_back({k, 1});
  ASSERT_TRUE(c->Vote(0, all).ok());
  ASSERT_TRUE(c->Vote(4, all).ok());
  c->EnterRound(2);
}

TEST(GovernanceTest, ARoundEpochsChangeTakesEffectOnlyAtARoundBoundary) {
  GovChain c;  // rounds of 2 epochs of 10 blocks, claim_window 4
  ASSERT_TRUE(c.ApplyOne(c.Propose(1, Param(types::ParamId::kRoundEpochs, 3))).ok());
  PassAllAndClose(&c, 1);  // round 2 opens at block 40 (epoch 4) with 2 epochs
  EXPECT_EQ(c.height(), 40u);
  EXPECT_EQ(c.Proposal(0, 0).outcome, ProposalOutcome::kExecuted);
  ASSERT_EQ(c.last_start.closed.size(), 1u);
  EXPECT_EQ(c.last_start.closed[0].from_epoch, 5u);
  EXPECT_EQ(c.round().round_epochs, 2u);
  // Applied at epoch 5's first block, in the middle of round 2, which keeps its length.
  while (c.height() < 50) c.Apply({});
  ASSERT_EQ(c.last_start.params.size(), 1u);
  EXPECT_TRUE(c.last_start.params[0].applied);
  EXPECT_EQ(c.ledger().GetGovernanceParams().value()->round_epochs, 3u);
  EXPECT_EQ(c.round().round, 2u);
  EXPECT_EQ(c.round().start_epoch, 4u);
  EXPECT_EQ(c.round().round_epochs, 2u);
  // Round 3 opens when round 2's 2 epochs end (epoch 6), and is the first of 3 epochs.
  c.EnterRound(3);
  EXPECT_EQ(c.height(), 60u);
  EXPECT_EQ(c.round().start_epoch, 6u);
  EXPECT_EQ(c.round().round_epochs, 3u);
  ASSERT_TRUE(c.last_start.opened.has_value());
  EXPECT_EQ(c.last_start.opened->state, c.round());
  c.EnterRound(4);
  EXPECT_EQ(c.height(), 90u);
  EXPECT_EQ(c.round().start_epoch, 9u);
}

// The dedup evaluation quota (param 11, a registry parameter the validators read from
// committed state) changes by ballot like any other: passed in round 2's first block
// (epoch 4), in force from epoch 5's, the r/params record rewritten with it.
TEST(GovernanceTest, TheDedupQuotaChangesByBallotFromTheNextEpoch) {
  GovChain c;
  const uint32_t genesis_quota = c.ledger().GetRegistryParams().value()->dedup_quota_per_epoch;
  EXPECT_EQ(genesis_quota, kDefaultDedupQuotaPerEpoch);
  ASSERT_TRUE(c.ApplyOne(c.Propose(1, Param(types::ParamId::kDedupQuotaPerEpoch, 2))).ok());
  PassAllAndClose(&c, 1);
  EXPECT_EQ(c.height(), 40u);
  EXPECT_EQ(c.Proposal(0, 0).outcome, ProposalOutcome::kExecuted);
  ASSERT_EQ(c.last_start.closed.size(), 1u);
  EXPECT_EQ(c.last_start.closed[0].from_epoch, 5u);
  while (c.height() < 49) c.Apply({});
  const RegistryParams before = *c.ledger().GetRegistryParams().value();
  EXPECT_EQ(before.dedup_quota_per_epoch, genesis_quota);
  c.Apply({});  // block 50, epoch 5's first
  ASSERT_EQ(c.last_start.params.size(), 1u);
  EXPECT_TRUE(c.last_start.params[0].applied);
  EXPECT_EQ(c.last_start.params[0].change.param,
            static_cast<uint16_t>(types::ParamId::kDedupQuotaPerEpoch));
  // Only the quota moved, and the record is the version 2 encoding of exactly that.
  RegistryParams want = before;
  want.dedup_quota_per_epoch = 2;
  EXPECT_EQ(*c.ledger().GetRegistryParams().value(), want);
  EXPECT_EQ(c.kv.entries().at(KeyOf("r/params")), EncodeRegistryParams(want));
  EXPECT_EQ(c.kv.entries().at(KeyOf("r/params"))[0], 2u);
}

TEST(GovernanceTest, AChangeThatAnEarlierOneMadeUnfitIsNotAppliedAndSaysWhy) {
  GovChain c;
  // Both fit when submitted: claim_window 2 (the rounds last 2 epochs) and round_epochs 3
  // (claim_window is 4). Decided in index order, the first makes the second unfit.
  for (const TxResult& r : c.Apply({c.Propose(1, Param(types::ParamId::kClaimWindow, 2)),
                                    c.Propose(2, Param(types::ParamId::kRoundEpochs, 3))})) {
    ASSERT_TRUE(r.ok()) << r.message;
  }
  PassAllAndClose(&c, 2);
  EXPECT_EQ(c.Proposal(0, 0).outcome, ProposalOutcome::kExecuted);
  const ProposalRecord second = c.Proposal(0, 1);
  EXPECT_EQ(second.outcome, ProposalOutcome::kNotExecuted);
  EXPECT_EQ(second.reason, TxCode::kProposalInvalid);
  ASSERT_EQ(c.last_start.closed.size(), 2u);
  EXPECT_NE(c.last_start.closed[1].why.find("claim_window"), std::string::npos)
      << c.last_start.closed[1].why;
  EXPECT_EQ(c.last_start.closed[1].from_epoch, 0u);
  // Passed, so quorum: both deposits come back.
  EXPECT_TRUE(c.last_start.closed[0].refunded);
  EXPECT_TRUE(c.last_start.closed[1].refunded);
  // At the next epoch only the first applies; round_epochs is untouched.
  while (c.height() < 50) c.Apply({});
  ASSERT_EQ(c.last_start.params.size(), 1u);
  EXPECT_EQ(c.last_start.params[0].change.param,
            static_cast<uint16_t>(types::ParamId::kClaimWindow));
  EXPECT_EQ(c.ledger().GetRegistryParams().value()->claim_window, 2u);
  EXPECT_EQ(c.ledger().GetGovernanceParams().value()->round_epochs, 2u);
}

TEST(GovernanceTest, AQueuedChangeThatNoLongerFitsAtItsEpochIsDroppedWithItsReason) {
  // A change is queued only if it fits the parameters it will meet, so a drop at its epoch
  // guards against a queue the rules did not write: written here by hand, in the g/pending
  // format (epoch, count, (param, value)*). The rounds last 2 epochs, claim_window is 4.
  GovChain c;
  RegistryStore store(&c.kv);
  const Bytes pending = types::EncodeWith([](types::Writer* w) {
    w->U64(7);
    w->U32(3);
    w->U16(static_cast<uint16_t>(types::ParamId::kClaimWindow));
    w->U64(1);  // below this round's 2 epochs
    w->U16(static_cast<uint16_t>(types::ParamId::kVoiceCredits));
    w->U64(49);  // fits
    w->U16(static_cast<uint16_t>(types::ParamId::kQuorumPpm));
    w->U64(0);  // out of range
  });
  store.Put(KeyOf("g/pending"), pending);
  // Not its epoch: nothing happens.
  EXPECT_TRUE(governance::ApplyPendingParams(&store, 6).value().empty());
  const std::vector<governance::ParamChangeApplied> out =
      governance::ApplyPendingParams(&store, 7).value();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_FALSE(out[0].applied);
  EXPECT_NE(out[0].why.find("claim_window"), std::string::npos) << out[0].why;
  EXPECT_TRUE(out[1].applied);
  EXPECT_TRUE(out[1].why.empty());
  EXPECT_FALSE(out[2].applied);
  EXPECT_NE(out[2].why.find("quorum_ppm"), std::string::npos) << out[2].why;
  EXPECT_EQ(registry::ReadParams(store).value()->claim_window, 4u);
  EXPECT_EQ(governance::ReadParams(store).value()->voice_credits, 49u);
  EXPECT_EQ(governance::ReadParams(store).value()->quorum_ppm, 250'000u);
  EXPECT_FALSE(store.Get(KeyOf("g/pending")).value().has_value());  // the queue is spent
}

TEST(GovernanceTest, DepositsUnderDemurrageKeepTheSupplyExact) {
  constexpr uint32_t kPpm = 20'000;  // 2% an epoch
  GovChain c(100, 64, {.demurrage_ppm = kPpm});
  // Block 1 (epoch 0): proposals by 1 (it will pass: refunded) and 2 (no quorum: burned).
  for (const TxResult& r : c.Apply({c.Propose(1, Text("kept")), c.Propose(2, Text("lost"))})) {
    ASSERT_TRUE(r.ok()) << r.message;
  }
  const uint64_t after_proposal = kFunds - kFee - kDeposit;
  EXPECT_EQ(c.Balance(1), after_proposal);
  // The escrow does not decay while the balances do (CheckSupply runs after every block).
  c.EnterRound(1);
  EXPECT_EQ(c.round().escrow, 2 * kDeposit);
  EXPECT_LT(c.Balance(1), after_proposal);
  ASSERT_TRUE(c.Vote(0, {{0, 1}}).ok());
  ASSERT_TRUE(c.Vote(4, {{0, 1}}).ok());
  while (c.height() < 39) c.Apply({});
  EXPECT_EQ(c.round().escrow, 2 * kDeposit);
  c.EnterRound(2);  // block 40, epoch 4: four epochs after the accounts last settled
  EXPECT_EQ(c.round().escrow, 0u);
  ASSERT_EQ(c.last_start.closed.size(), 2u);
  EXPECT_TRUE(c.last_start.closed[0].refunded);
  EXPECT_FALSE(c.last_start.closed[1].refunded);
  const uint64_t decayed = demurrage::Decay(after_proposal, kPpm, 4).value;
  EXPECT_EQ(c.Balance(1), decayed + kDeposit);  // settled, then the whole deposit
  EXPECT_EQ(c.Balance(2), decayed);
  // Later epochs decay the refund with the rest; the supply bound holds throughout.
  while (c.height() < 55) c.Apply({});
  EXPECT_EQ(c.Balance(1), demurrage::Decay(decayed + kDeposit, kPpm, 1).value);
}

// The votes for proposal `index` recomputed from the committed transactions alone.
struct Recount {
  int64_t tally = 0;
  uint64_t ballots = 0;
};

TEST(GovernanceTest, AnyoneRecomputesEveryTallyAndOutcomeFromTheCommittedTransactions) {
  GovChain c;
  ProposeTextsAndOpenVoting(&c, 5);
  // Several blocks of ballots, re-votes with fewer entries and flipped signs, two ballots
  // of one identity in one block, and a refused one (over budget).
  using Entries = std::vector<types::BallotEntry>;
  const std::vector<std::vector<std::pair<uint64_t, Entries>>> blocks = {
      {{0, {{0, 3}, {1, 2}, {2, -1}}}, {1, {{0, 2}, {3, 1}}}, {2, {{1, 5}}}},
      {{3, {{2, 1}, {4, 0}}}, {4, {{3, 2}}}, {5, {{0, 11}}}, {0, {{0, -3}}}},
      {{1, {{0, 2}, {3, -1}}}, {4, {{3, -2}, {4, 1}}}, {6, {{4, -3}}}, {1, {{1, -4}}}},
      {{7, {{3, 1}}}},
  };
  for (const auto& block : blocks) {
    std::vector<types::Transaction> txs;
    for (const auto& [citizen, entries] : block) {
      txs.push_back(types::Transaction{c.MakeBallot(citizen, entries)});
    }
    c.Apply(txs);
  }
  // From the chain: decode every committed transaction; a ballot of round 1 that executed
  // replaces its nullifier's earlier one.
  std::map<Hash32, Entries> last;
  for (const GovChain::Block& b : c.blocks) {
    for (size_t i = 0; i < b.bytes.size(); ++i) {
      const types::Transaction tx = types::DecodeTransaction(b.bytes[i]).value();
      const auto* ballot = std::get_if<types::Ballot>(&tx.body);
      if (ballot == nullptr || !b.results[i].ok() || ballot->round != 1) continue;
      last[types::BallotNullifier(*ballot)] = ballot->entries;
    }
  }
  std::map<uint32_t, Recount> recount;
  for (const auto& [nullifier, entries] : last) {
    for (const types::BallotEntry& e : entries) {
      recount[e.index].tally += e.vote;
      recount[e.index].ballots += 1;
    }
  }
  const uint64_t live = c.round().live;
  for (uint32_t k = 0; k < 5; ++k) {
    EXPECT_EQ(c.Proposal(0, k).tally, recount[k].tally) << k;
    EXPECT_EQ(c.Proposal(0, k).ballots, recount[k].ballots) << k;
  }
  // The outcomes follow from the recount and the published quorum (25%) and live count.
  c.EnterRound(2);
  std::set<ProposalOutcome> seen;
  for (uint32_t k = 0; k < 5; ++k) {
    const bool quorum = recount[k].ballots * 1'000'000 >= 250'000 * live;
    const ProposalOutcome want = !quorum                 ? ProposalOutcome::kNoQuorum
                                 : recount[k].tally <= 0 ? ProposalOutcome::kRejected
                                                         : ProposalOutcome::kExecuted;
    EXPECT_EQ(c.Proposal(0, k).outcome, want) << k;
    seen.insert(want);
  }
  // The votes were chosen so that every outcome occurs.
  EXPECT_EQ(seen.size(), 3u);
}

TEST(GovernanceTest, AProposalPastTheRoundsMaximumIsRefusedInTheBlock) {
  GovChain c(100, 64, {.max_proposals_per_round = 3});
  std::vector<types::Transaction> txs;
  for (uint8_t n = 1; n <= 5; ++n) txs.push_back(c.Propose(n, Text("p" + std::to_string(n))));
  const std::vector<TxResult> rs = c.Apply(txs);
  for (size_t k = 0; k < 3; ++k) EXPECT_TRUE(rs[k].ok()) << rs[k].message;
  for (size_t k = 3; k < 5; ++k) {
    EXPECT_EQ(rs[k].code, TxCode::kProposalsPerRound) << rs[k].message;
    EXPECT_EQ(rs[k].fee_burned, 0u);
    EXPECT_EQ(rs[k].deposit_escrowed, 0u);
  }
  // Refused: no fee, no deposit, no nonce.
  EXPECT_EQ(c.Balance(4), kFunds);
  EXPECT_EQ(c.ledger().GetAccount(AccountOf(KeyFor(5)))->nonce, 0u);
  EXPECT_EQ(*governance::ProposalsInRound(RegistryStore(&c.kv), 0), 3u);
  EXPECT_EQ(c.round().escrow, 3 * kDeposit);
  // The mempool's check on the committed state says the same.
  EXPECT_EQ(c.ledger().CheckTransaction(c.Propose(6, Text("x")), 0, SignatureCheck::kVerify).code,
            TxCode::kProposalsPerRound);
  // The next round has room again.
  c.EnterRound(1);
  EXPECT_TRUE(c.ApplyOne(c.Propose(4, Text("later"))).ok());
  EXPECT_EQ(*governance::ProposalsInRound(RegistryStore(&c.kv), 1), 1u);
}

TEST(GovernanceTest, ChainsWithoutGovernanceRefuseItsKinds) {
  hito::testing::PersonhoodSpec spec;
  spec.citizens = 4;
  spec.cohort_bits = 2;
  Genesis g = hito::testing::MakePersonhoodGenesis(kChain, Funded(), spec);
  auto out = Ledger::InitGenesis(g);
  ASSERT_TRUE(out.ok());
  MemoryKv kv;
  kv.Apply(out->changes);
  types::GovernanceProposal p;
  p.chain_id = kChain;
  p.fee = kFee;
  p.action = Text("x");
  types::SignProposal(&p, KeyFor(1));
  const Ledger l(kChain, &kv);
  auto block = l.ApplyBlock(hito::testing::HeaderAt(kChain, 1), {types::Transaction{p}},
                            SignatureCheck::kVerify);
  ASSERT_TRUE(block.ok());
  EXPECT_EQ(block->results[0].code, TxCode::kUnsupportedKind);
  // The kinds are enabled in the node; this chain's genesis is what turns them off.
  EXPECT_TRUE(TxKindEnabled(types::TxKind::kProposal));
  EXPECT_TRUE(TxKindEnabled(types::TxKind::kBallot));
  // Governance needs the registry and round_epochs <= claim_window.
  Genesis bad = g;
  bad.governance = GovernanceParams{};  // 7 epochs > claim_window 4
  EXPECT_FALSE(Ledger::InitGenesis(bad).ok());
  bad.attesters.clear();
  bad.identities.clear();
  EXPECT_FALSE(Ledger::InitGenesis(bad).ok());
}

}  // namespace
}  // namespace hito::consensus::ledger
