// Block events (node/chain/block_events.h): computed from a governance round run through
// the real ledger (proposals submitted, a round opened, proposals decided -- passed,
// rejected, without quorum -- and executed, a parameter change applied at its epoch),
// with the block-start events first and in the ledger's order; the encoding round-trips
// every kind, still reads version 1, and refuses malformed records (every truncation,
// trailing bytes, unknown version, kind, outcome, action tag or reason code, a
// non-canonical bool, inconsistent reasons, an over-long reason) as kDataLoss.
#include "node/chain/block_events.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "consensus/ledger/governance.h"
#include "consensus/ledger/ledger.h"
#include "consensus/types/codec.h"
#include "consensus/types/governance.h"
#include "consensus/types/transaction.h"
#include "tests/support/keys.h"
#include "tests/support/ledger.h"
#include "tests/support/personhood.h"
#include "tests/support/transactions.h"

namespace hito::node::chain {
namespace {

namespace ledger = consensus::ledger;
namespace types = consensus::types;
using hito::testing::AccountOf;
using hito::testing::KeyFor;
using Kind = BlockEvent::Kind;

constexpr char kChain[] = "events-test";
constexpr uint64_t kDeposit = 70'000;

// Epochs of 3 blocks, rounds of 1 epoch, 20 citizens, a quorum of 2 ballots: round r
// opens at block 3r and decides round r - 2's proposals there.
class EventsChain {
 public:
  EventsChain() {
    hito::testing::PersonhoodSpec spec;
    spec.epoch_blocks = 3;
    ledger::Genesis g = hito::testing::MakePersonhoodGenesis(kChain, {{1, 1'000'000'000}}, spec);
    ledger::GovernanceParams gp;
    gp.round_epochs = 1;
    gp.voice_credits = 25;
    gp.quorum_ppm = 100'000;
    gp.proposal_deposit = kDeposit;
    g.governance = gp;
    kv_.Apply(ledger::Ledger::InitGenesis(g).value().changes);
  }

  // Applies the next block and returns its events (checked to survive the encoding).
  std::vector<BlockEvent> Apply(const std::vector<types::Transaction>& txs) {
    const ledger::Ledger l(kChain, &kv_);
    auto out = l.ApplyBlock(hito::testing::HeaderAt(kChain, *l.Height() + 1), txs,
                            ledger::SignatureCheck::kVerify);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    if (!out.ok()) return {};
    results_ = out->results;
    Result<std::vector<BlockEvent>> events =
        ComputeBlockEvents(kChain, kv_, out->changes, txs, out->results, out->governance);
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    kv_.Apply(out->changes);
    if (!events.ok()) return {};
    const Bytes encoded = EncodeBlockEvents(*events);
    EXPECT_EQ(encoded.empty(), events->empty());
    if (!encoded.empty()) EXPECT_EQ(DecodeBlockEvents(encoded).value(), *events);
    return *events;
  }
  types::Transaction Propose(uint64_t nonce, types::Action action, uint64_t deposit = kDeposit) {
    return hito::testing::MakeProposal(
        KeyFor(1), {.chain_id = kChain, .nonce = nonce, .deposit = deposit, .action = action});
  }
  types::Transaction Ballot(uint64_t citizen, std::vector<types::BallotEntry> entries) {
    return types::Transaction{hito::testing::MakeBallot(kv_, kChain, citizen, std::move(entries))};
  }
  uint64_t Height() const { return *ledger::Ledger(kChain, &kv_).Height(); }
  const std::vector<ledger::TxResult>& results() const { return results_; }

 private:
  ledger::MemoryKv kv_;
  std::vector<ledger::TxResult> results_;
};

types::Action Text(char c) { return types::TextProposal{Bytes{static_cast<uint8_t>(c)}}; }

void ExpectDecided(const BlockEvent& e, uint32_t index, ledger::ProposalOutcome outcome,
                   int64_t tally, uint64_t ballots, bool refunded) {
  EXPECT_EQ(e.kind, Kind::kProposalDecided);
  EXPECT_EQ(e.round, 0u);
  EXPECT_EQ(e.proposal, index);
  EXPECT_EQ(e.outcome, outcome) << index;
  EXPECT_EQ(e.tally, tally) << index;
  EXPECT_EQ(e.ballots, ballots) << index;
  EXPECT_EQ(e.live, 20u);
  EXPECT_EQ(e.deposit, kDeposit);
  EXPECT_EQ(e.refunded, refunded) << index;
  EXPECT_EQ(e.tx_index, 0u);
}

TEST(BlockEventsTest, ARoundsSubmissionsOpeningDecisionsAndExecutionInOrder) {
  EventsChain c;
  // Block 1 (round 0): four proposals and one with the wrong deposit (refused: no event).
  const types::Action credits =
      types::ParamChange{static_cast<uint16_t>(types::ParamId::kVoiceCredits), 49};
  std::vector<BlockEvent> ev = c.Apply({c.Propose(0, credits), c.Propose(1, Text('a')),
                                        c.Propose(2, Text('b'), kDeposit + 1),
                                        c.Propose(2, Text('c')), c.Propose(3, Text('d'))});
  ASSERT_EQ(c.results()[2].code, ledger::TxCode::kDepositMismatch);
  ASSERT_EQ(ev.size(), 4u);
  const uint32_t tx_of[] = {0, 1, 3, 4};
  for (uint32_t k = 0; k < 4; ++k) {
    EXPECT_EQ(ev[k].kind, Kind::kProposalSubmitted);
    EXPECT_FALSE(IsBlockStart(ev[k].kind));
    EXPECT_EQ(ev[k].tx_index, tx_of[k]);
    EXPECT_EQ(ev[k].round, 0u);
    EXPECT_EQ(ev[k].proposal, k);
    EXPECT_EQ(ev[k].proposer, AccountOf(KeyFor(1)));
    EXPECT_EQ(ev[k].deposit, kDeposit);
  }
  EXPECT_EQ(ev[0].action_tag, static_cast<uint8_t>(types::ActionTag::kParam));
  EXPECT_EQ(ev[1].action_tag, static_cast<uint8_t>(types::ActionTag::kText));
  EXPECT_TRUE(c.Apply({}).empty());  // block 2: nothing happens
  // Block 3 opens round 1 on round 0's four proposals; nothing is decided (round 0 voted
  // on nothing).
  ev = c.Apply({});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, Kind::kRoundOpened);
  EXPECT_TRUE(IsBlockStart(ev[0].kind));
  EXPECT_EQ(ev[0].round, 1u);
  EXPECT_EQ(ev[0].epoch, 1u);
  EXPECT_EQ(ev[0].round_epochs, 1u);
  EXPECT_EQ(ev[0].voice_credits, 25u);
  EXPECT_EQ(ev[0].live, 20u);
  EXPECT_EQ(ev[0].proposals, 4u);
  // Block 4: ballots (no events of their own). 0 and 1 pass, 2 is rejected, 3 has none.
  EXPECT_TRUE(
      c.Apply({c.Ballot(4, {{0, 3}, {1, 1}, {2, -2}}), c.Ballot(5, {{0, 2}, {1, 1}, {2, -1}})})
          .empty());
  c.Apply({});
  // Block 6: round 1 closes, round 2 opens, before the block's transaction.
  ev = c.Apply({c.Propose(4, Text('e'))});
  ASSERT_EQ(ev.size(), 8u);
  ExpectDecided(ev[0], 0, ledger::ProposalOutcome::kExecuted, 5, 2, true);
  EXPECT_EQ(ev[1].kind, Kind::kProposalExecuted);
  EXPECT_EQ(ev[1].proposal, 0u);
  EXPECT_TRUE(ev[1].executed);
  EXPECT_EQ(ev[1].reason, ledger::TxCode::kOk);
  EXPECT_EQ(ev[1].action_tag, static_cast<uint8_t>(types::ActionTag::kParam));
  EXPECT_EQ(ev[1].from_epoch, 3u);  // the epoch after this one
  ExpectDecided(ev[2], 1, ledger::ProposalOutcome::kExecuted, 2, 2, true);
  EXPECT_EQ(ev[3].kind, Kind::kProposalExecuted);
  EXPECT_EQ(ev[3].from_epoch, 0u);  // text: no effect
  EXPECT_EQ(ev[3].from_height, 0u);
  ExpectDecided(ev[4], 2, ledger::ProposalOutcome::kRejected, -3, 2, true);
  ExpectDecided(ev[5], 3, ledger::ProposalOutcome::kNoQuorum, 0, 0, false);
  EXPECT_EQ(ev[6].kind, Kind::kRoundOpened);
  EXPECT_EQ(ev[6].round, 2u);
  EXPECT_EQ(ev[6].proposals, 0u);
  EXPECT_EQ(ev[7].kind, Kind::kProposalSubmitted);
  EXPECT_EQ(ev[7].round, 2u);
  EXPECT_EQ(ev[7].proposal, 0u);
  for (size_t k = 0; k < 7; ++k) EXPECT_TRUE(IsBlockStart(ev[k].kind)) << k;
  // Block 9 (epoch 3): the parameter change applies first, then round 3 opens.
  c.Apply({});
  c.Apply({});
  ev = c.Apply({});
  ASSERT_EQ(c.Height(), 9u);
  ASSERT_GE(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, Kind::kParamChange);
  EXPECT_EQ(ev[0].epoch, 3u);
  EXPECT_EQ(ev[0].param, static_cast<uint16_t>(types::ParamId::kVoiceCredits));
  EXPECT_EQ(ev[0].value, 49u);
  EXPECT_TRUE(ev[0].applied);
  EXPECT_EQ(ev.back().kind, Kind::kRoundOpened);
  EXPECT_EQ(ev.back().voice_credits, 49u);
}

// One event of every kind, with every field of it set.
std::vector<BlockEvent> OneOfEach() {
  std::vector<BlockEvent> v(8);
  v[0].kind = Kind::kParamChange;
  v[0].epoch = 12;
  v[0].param = 5;
  v[0].value = 1;
  v[0].why = "round_epochs (2) must be at most claim_window (1)";
  v[1].kind = Kind::kProposalDecided;
  v[1].round = 4;
  v[1].proposal = 7;
  v[1].outcome = ledger::ProposalOutcome::kNotExecuted;
  v[1].tally = -9;
  v[1].ballots = 3;
  v[1].live = 30;
  v[1].deposit = 5;
  v[1].refunded = true;
  v[2].kind = Kind::kProposalExecuted;
  v[2].round = 4;
  v[2].proposal = 7;
  v[2].action_tag = 2;
  v[2].reason = ledger::TxCode::kProposalInvalid;
  v[2].why = "attester is accredited";
  v[3].kind = Kind::kRoundOpened;
  v[3].round = 6;
  v[3].epoch = 12;
  v[3].round_epochs = 2;
  v[3].voice_credits = 100;
  v[3].live = 30;
  v[3].proposals = 8;
  v[4].kind = Kind::kRegistration;
  v[4].tx_index = 1;
  v[4].identity[0] = 1;
  v[4].index = 3;
  v[4].cohort = 2;
  v[4].renewal = true;
  v[4].expiry_epoch = 40;
  v[4].first_claim_epoch = 13;
  v[5].kind = Kind::kRevocation;
  v[5].tx_index = 2;
  v[5].identity[5] = 9;
  v[5].index = 4;
  v[6].kind = Kind::kClaim;
  v[6].tx_index = 3;
  v[6].epoch = 12;
  v[6].cohort = 1;
  v[6].nullifier[0] = 7;
  v[6].recipient[1] = 8;
  v[6].amount = 1000;
  v[7].kind = Kind::kProposalSubmitted;
  v[7].tx_index = 4;
  v[7].round = 6;
  v[7].proposal = 0;
  v[7].proposer[2] = 3;
  v[7].action_tag = 9;
  v[7].deposit = 5;
  return v;
}

TEST(BlockEventsTest, EveryKindRoundTripsAndNoEventsEncodeToNothing) {
  const std::vector<BlockEvent> events = OneOfEach();
  const Bytes bytes = EncodeBlockEvents(events);
  EXPECT_EQ(bytes[0], 2);  // the version
  EXPECT_EQ(DecodeBlockEvents(bytes).value(), events);
  EXPECT_TRUE(EncodeBlockEvents({}).empty());
  // The executed kind without a reason code.
  std::vector<BlockEvent> ok(1);
  ok[0].kind = Kind::kProposalExecuted;
  ok[0].action_tag = 4;
  ok[0].executed = true;
  ok[0].from_height = 12;
  EXPECT_EQ(DecodeBlockEvents(EncodeBlockEvents(ok)).value(), ok);
}

TEST(BlockEventsTest, VersionOneRecordsAreStillRead) {
  const Bytes v1 = types::EncodeWith([](types::Writer* w) {
    w->U8(1);
    w->U32(1);
    w->U8(3);  // a claim, with every v1 field
    w->U32(2);
    w->Fixed(types::IdentityPoint{});
    w->U64(0);
    w->U32(1);
    w->Bool(false);
    w->U64(0);
    w->U64(0);
    w->U64(12);
    w->Fixed(Hash32{});
    w->Fixed(types::AccountId{});
    w->U64(1000);
  });
  const std::vector<BlockEvent> got = DecodeBlockEvents(v1).value();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].kind, Kind::kClaim);
  EXPECT_EQ(got[0].tx_index, 2u);
  EXPECT_EQ(got[0].epoch, 12u);
  EXPECT_EQ(got[0].amount, 1000u);
  // Version 1 knows no governance kind.
  Bytes gov = v1;
  gov[5] = 4;
  EXPECT_EQ(DecodeBlockEvents(gov).status().code(), StatusCode::kDataLoss);
}

void ExpectRefused(const Bytes& bytes, const std::string& what) {
  Result<std::vector<BlockEvent>> r = DecodeBlockEvents(bytes);
  ASSERT_FALSE(r.ok()) << what;
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << what;
  EXPECT_NE(r.status().message().find("block events record"), std::string::npos) << what;
}

// The encoding of one event, with `edit` applied to the bytes after the header (5 bytes).
Bytes EditedOne(const BlockEvent& e, size_t at, uint8_t value) {
  Bytes b = EncodeBlockEvents({e});
  b.at(5 + at) = value;
  return b;
}

TEST(BlockEventsTest, MalformedRecordsAreRefused) {
  const Bytes good = EncodeBlockEvents(OneOfEach());
  for (size_t n = 0; n < good.size(); ++n) {
    ExpectRefused(Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n)),
                  "truncated to " + std::to_string(n));
  }
  Bytes trailing = good;
  trailing.push_back(0);
  ExpectRefused(trailing, "trailing byte");
  for (const uint8_t version : std::vector<uint8_t>{0, 3, 255}) {
    Bytes b = good;
    b[0] = version;
    ExpectRefused(b, "version " + std::to_string(version));
  }
  Bytes huge_count = good;
  huge_count[1] = 0xff;
  ExpectRefused(huge_count, "count past the bytes");
  const std::vector<BlockEvent> one = OneOfEach();
  for (const uint8_t kind : std::vector<uint8_t>{0, 9, 255})
    ExpectRefused(EditedOne(one[3], 0, kind), "kind");
  // Field offsets after the kind byte: param change epoch(8) param(2) value(8) applied(1).
  ExpectRefused(EditedOne(one[0], 19, 2), "non-canonical bool");
  ExpectRefused(EditedOne(one[0], 19, 1), "applied with a reason");
  // Decided: round(8) index(4) outcome(1).
  ExpectRefused(EditedOne(one[1], 13, 0), "outcome open");
  ExpectRefused(EditedOne(one[1], 13, 5), "unknown outcome");
  // Executed: round(8) index(4) tag(1) executed(1) reason(2).
  ExpectRefused(EditedOne(one[2], 13, 0), "action tag 0");
  ExpectRefused(EditedOne(one[2], 13, 10), "action tag 10");
  ExpectRefused(EditedOne(one[2], 14, 1), "executed with a reason code");
  ExpectRefused(EditedOne(one[2], 15, 0xff), "unknown reason code");
  // Submitted: tx_index(4) round(8) index(4) proposer(32) tag(1).
  ExpectRefused(EditedOne(one[7], 49, 0), "submitted with tag 0");
  // A reason longer than the bound.
  BlockEvent long_why = one[0];
  long_why.why = std::string(kEventWhyMaxBytes, 'x');
  Bytes b = EncodeBlockEvents({long_why});
  EXPECT_TRUE(DecodeBlockEvents(b).ok());
  const size_t len_at = 5 + 1 + 8 + 2 + 8 + 1;  // the reason's length prefix (big-endian)
  b[len_at + 2] = 0x04;                         // 1024 -> 1025 would need one more byte:
  b[len_at + 3] = 0x01;                         // the length now exceeds the bound
  ExpectRefused(b, "over-long reason");
  EXPECT_NE(DecodeBlockEvents(b).status().message().find("exceeds the maximum"), std::string::npos);
}

}  // namespace
}  // namespace hito::node::chain
