// The wallet's offline governance code: proposal IDs and vote arguments as the user writes
// them (bare indices, wrong rounds, duplicates, bad numbers, int64 limits), the
// voice-credit budget exactly at the limit, one over and near 2^63 without overflow,
// parameter names, signed proposals that decode and verify, ballots whose proof verifies
// under the ballot context and message (and not under another round's), and the readable
// form of actions.
#include "wallet/governance.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "base/hash.h"
#include "base/hex.h"
#include "consensus/types/transaction.h"
#include "zk/point.h"
#include "zk/proof/triptych.h"

namespace hito::wallet {
namespace {

namespace types = consensus::types;
using Entries = std::vector<types::BallotEntry>;

constexpr std::string_view kChain = "hito-test-1";
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

class GovernanceWalletTest : public ::testing::Test {
 protected:
  void SetUp() override { InitCrypto(); }
};

TEST_F(GovernanceWalletTest, ProposalIdsParse) {
  auto full = ParseProposalId("3.0");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->round, 3u);
  EXPECT_EQ(full->index, 0u);
  auto bare = ParseProposalId("17");
  ASSERT_TRUE(bare.ok());
  EXPECT_FALSE(bare->round.has_value());
  EXPECT_EQ(bare->index, 17u);
  auto big = ParseProposalId("18446744073709551615.4294967295");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->round, UINT64_MAX);
  EXPECT_EQ(big->index, UINT32_MAX);
  EXPECT_EQ(FormatProposalId(3, 0), "3.0");
}

TEST_F(GovernanceWalletTest, BadProposalIdsRefused) {
  for (const char* bad : {"", ".", "3.", ".0", "3.0.1", "-1", "+1", "3.-1", "a.0", "3.x", " 3.0",
                          "3.0 ", "0x3.0", "18446744073709551616.0", "3.4294967296", "1e3"}) {
    auto r = ParseProposalId(bad);
    ASSERT_FALSE(r.ok()) << "'" << bad << "'";
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("ROUND.INDEX"), std::string::npos);
  }
}

TEST_F(GovernanceWalletTest, VotesParseWithinInt64) {
  EXPECT_EQ(*ParseVote("+3"), 3);
  EXPECT_EQ(*ParseVote("3"), 3);
  EXPECT_EQ(*ParseVote("-2"), -2);
  EXPECT_EQ(*ParseVote("0"), 0);
  EXPECT_EQ(*ParseVote("-0"), 0);
  EXPECT_EQ(*ParseVote("9223372036854775807"), kMax);
  EXPECT_EQ(*ParseVote("-9223372036854775808"), kMin);
  for (const char* bad : {"", "+", "-", "--1", "+-1", "1.5", "3 ", "x", "9223372036854775808",
                          "-9223372036854775809", "99999999999999999999999"}) {
    EXPECT_FALSE(ParseVote(bad).ok()) << "'" << bad << "'";
  }
}

TEST_F(GovernanceWalletTest, BallotArgumentsSortedAndChecked) {
  auto e = ParseBallotEntries({"4.2=-2", "1=+3", "4.0=0"}, 5);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(*e, (Entries{{0, 0}, {1, 3}, {2, -2}}));  // sorted by index, bare index accepted
}

TEST_F(GovernanceWalletTest, BadBallotArgumentsRefused) {
  const auto refused = [](std::vector<std::string> args, uint64_t round, std::string_view why) {
    auto r = ParseBallotEntries(args, round);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(why), std::string::npos) << r.status().message();
  };
  refused({"3.0=+1"}, 5, "not voted in round 5");  // round 3's proposals are voted in 4
  refused({"5.0=+1"}, 5, "not voted in round 5");
  refused({"4.0=+1", "0=-1"}, 5, "voted twice");  // the same proposal, written two ways
  refused({"4.1=+1", "4.1=+1"}, 5, "voted twice");
  refused({"4.0"}, 5, "ID=VOTE");
  refused({"x=+1"}, 5, "proposal ID");
  refused({"4.0=+1.5"}, 5, "vote");
  refused({"4.0="}, 5, "vote");
  refused({}, 5, "at least one");
  refused({"0=+1"}, 0, "round 0");
  std::vector<std::string> many;
  for (int i = 0; i <= static_cast<int>(types::kBallotEntriesMax); ++i) {
    many.push_back(std::to_string(i) + "=0");
  }
  refused(many, 5, "at most 256");
  many.pop_back();
  EXPECT_TRUE(ParseBallotEntries(many, 5).ok());
}

TEST_F(GovernanceWalletTest, BudgetExactlyAtTheLimitAndOneOver) {
  const Entries at{{0, 3}, {1, -4}, {2, 0}};  // 9 + 16 + 0 = 25
  EXPECT_EQ(VoiceCreditsSpent(at), 25u);
  EXPECT_TRUE(CheckVoiceCredits(at, 25).ok());
  Status over = CheckVoiceCredits(at, 24);
  EXPECT_EQ(over.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(over.message().find("TX_BALLOT_OVER_BUDGET"), std::string::npos);
  EXPECT_NE(over.message().find("25"), std::string::npos);
  EXPECT_NE(over.message().find("24"), std::string::npos);
  EXPECT_TRUE(CheckVoiceCredits({{0, 10}}, 100).ok());
  EXPECT_FALSE(CheckVoiceCredits({{0, 10}, {1, 1}}, 100).ok());
}

TEST_F(GovernanceWalletTest, BudgetNearTwoToTheSixtyThreeDoesNotOverflow) {
  // 2^32 squared is 2^64: one past u64; 2^32 - 1 squared fits.
  const int64_t two32 = int64_t{1} << 32;
  EXPECT_EQ(VoiceCreditsSpent({{0, two32 - 1}}), uint64_t{0xFFFFFFFE00000001});
  EXPECT_FALSE(VoiceCreditsSpent({{0, two32}}).has_value());
  EXPECT_FALSE(VoiceCreditsSpent({{0, -two32}}).has_value());
  EXPECT_FALSE(VoiceCreditsSpent({{0, kMax}}).has_value());
  EXPECT_FALSE(VoiceCreditsSpent({{0, kMin}}).has_value());  // |INT64_MIN| = 2^63
  // Two squares that fit alone but not together.
  EXPECT_FALSE(VoiceCreditsSpent({{0, two32 - 1}, {1, two32 - 1}}).has_value());
  for (int64_t v : {kMax, kMin, two32, -two32}) {
    Status s = CheckVoiceCredits({{0, v}}, UINT64_MAX);
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << v;
    EXPECT_NE(s.message().find("more than 2^64-1"), std::string::npos) << s.message();
  }
  // A wrap-around to a small sum would pass a naive check: -2^32 and 2^32 squared is 0 mod 2^64.
  EXPECT_FALSE(CheckVoiceCredits({{0, -two32}, {1, 1}}, 100).ok());
}

TEST_F(GovernanceWalletTest, ParameterNames) {
  EXPECT_EQ(*ParseParamName("ubi_per_epoch"), 1);
  EXPECT_EQ(*ParseParamName("voice_credits"), 7);
  EXPECT_EQ(*ParseParamName("max_proposals_per_round"), 10);
  EXPECT_EQ(*ParseParamName("dedup_quota_per_epoch"), 11);
  EXPECT_EQ(ParamName(11), "dedup_quota_per_epoch");
  for (uint16_t id = 1; id <= types::kParamIdMax; ++id) {
    EXPECT_EQ(*ParseParamName(ParamName(id)), id);
  }
  auto unknown = ParseParamName("cohort_bits");  // genesis only
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("proposal_deposit"), std::string::npos);
  EXPECT_FALSE(ParseParamName("").ok());
  EXPECT_FALSE(ParseParamName("UBI_PER_EPOCH").ok());
  EXPECT_EQ(ParamName(0), "param#0");
  EXPECT_EQ(ParamName(12), "param#12");
}

TEST_F(GovernanceWalletTest, SignedProposalDecodesAndVerifies) {
  Ed25519PrivateKey key = Ed25519PrivateKey::Generate();
  auto p = BuildSignedProposal({std::string(kChain), 4, 1000, 5000, types::ParamChange{1, 7}}, key);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->sender, key.public_key());
  EXPECT_TRUE(types::VerifyProposalSignature(*p));
  auto back = types::DecodeTransaction(types::EncodeTransaction(types::Transaction{*p}));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(std::get<types::GovernanceProposal>(back->body), *p);
  types::GovernanceProposal tampered = *p;
  tampered.deposit = 0;
  EXPECT_FALSE(types::VerifyProposalSignature(tampered));
}

TEST_F(GovernanceWalletTest, MalformedProposalsRefused) {
  Ed25519PrivateKey key = Ed25519PrivateKey::Generate();
  const auto build = [&](types::Action a, std::string chain = std::string(kChain)) {
    return BuildSignedProposal({chain, 0, 1000, 0, std::move(a)}, key).status().code();
  };
  EXPECT_EQ(build(types::TextProposal{Bytes(types::kProposalTextMaxLen + 1, 'a')}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(build(types::TextProposal{Bytes(types::kProposalTextMaxLen, 'a')}), StatusCode::kOk);
  EXPECT_EQ(build(types::AddValidator{{}, 0}), StatusCode::kInvalidArgument);
  EXPECT_EQ(build(types::ValidatorPower{{}, 0}), StatusCode::kInvalidArgument);
  EXPECT_EQ(build(types::TextProposal{}, "Bad Chain"), StatusCode::kInvalidArgument);
}

// A 16-member set holding `id` at `position`, the rest random points.
zk::proof::membership::PreparedSet SetWith(const IdentitySecret& id, size_t position) {
  std::vector<zk::Point> members;
  for (size_t i = 0; i < 16; ++i) {
    members.push_back(i == position ? *zk::Point::Decode(id.Point())
                                    : zk::Point::MulBase(zk::Scalar::Random()));
  }
  return *zk::proof::membership::PreparedSet::Create(members);
}

TEST_F(GovernanceWalletTest, BallotProofVerifiesUnderItsRoundOnly) {
  IdentitySecret id = IdentitySecret::Generate();
  zk::proof::membership::PreparedSet set = SetWith(id, 5);
  const Entries entries{{0, 3}, {2, -1}};
  auto b = BuildBallot(set, 5, id, kChain, 9, 2, entries);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->round, 9u);
  EXPECT_EQ(b->cohort, 2u);
  EXPECT_EQ(b->entries, entries);
  auto proof = zk::proof::membership::Proof::Decode(b->proof);
  ASSERT_TRUE(proof.ok());
  namespace m = zk::proof::membership;
  EXPECT_TRUE(m::Verify(set, kChain, types::BallotContext(9),
                        types::BallotMessage(kChain, 9, 2, entries), *proof)
                  .ok());
  // Another round, other votes or another cohort break it.
  EXPECT_FALSE(m::Verify(set, kChain, types::BallotContext(10),
                         types::BallotMessage(kChain, 10, 2, entries), *proof)
                   .ok());
  EXPECT_FALSE(m::Verify(set, kChain, types::BallotContext(9),
                         types::BallotMessage(kChain, 9, 2, {{0, 4}, {2, -1}}), *proof)
                   .ok());
  EXPECT_FALSE(m::Verify(set, kChain, types::BallotContext(9),
                         types::BallotMessage(kChain, 9, 3, entries), *proof)
                   .ok());
  // One nullifier per identity and round: a second ballot of the round carries the same tag.
  auto again = BuildBallot(set, 5, id, kChain, 9, 2, {{1, 1}});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(types::BallotNullifier(*again), types::BallotNullifier(*b));
  auto next = BuildBallot(set, 5, id, kChain, 10, 2, entries);
  ASSERT_TRUE(next.ok());
  EXPECT_NE(types::BallotNullifier(*next), types::BallotNullifier(*b));
}

TEST_F(GovernanceWalletTest, BallotRefusedForAPositionThatIsNotTheIdentity) {
  IdentitySecret id = IdentitySecret::Generate();
  zk::proof::membership::PreparedSet set = SetWith(id, 5);
  EXPECT_EQ(BuildBallot(set, 4, id, kChain, 9, 0, {{0, 1}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildBallot(set, 16, id, kChain, 9, 0, {{0, 1}}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(GovernanceWalletTest, ActionsInReadableForm) {
  EXPECT_EQ(DescribeAction(types::ParamChange{1, 7000000}), "set ubi_per_epoch to 7000000");
  nlohmann::ordered_json j = ActionToJson(types::ParamChange{1, 7000000});
  EXPECT_EQ(j["type"], "param");
  EXPECT_EQ(j["param"], "ubi_per_epoch");
  EXPECT_EQ(j["value"], 7000000u);
  Ed25519PublicKey k{};
  k[0] = 0xab;
  EXPECT_EQ(ActionToJson(types::AddValidator{k, 3})["validator"], HexEncode(k));
  EXPECT_EQ(ActionToJson(types::AddValidator{k, 3})["power"], 3u);
  // Text is shown quoted with its control characters escaped, and as hex when not UTF-8.
  const std::string evil = "vote yes\x1b[2J\n";
  EXPECT_EQ(DescribeAction(types::TextProposal{Bytes(evil.begin(), evil.end())}),
            "text \"vote yes\\u001b[2J\\n\"");
  const Bytes not_utf8{0xff, 0xfe, 'a'};
  nlohmann::ordered_json t = ActionToJson(types::TextProposal{not_utf8});
  EXPECT_TRUE(t["text"].is_null());
  EXPECT_EQ(t["text_hex"], "fffe61");
  EXPECT_NO_THROW((void)t.dump());
  for (const Bytes& b : {Bytes{0xc0, 0x80}, Bytes{0xed, 0xa0, 0x80}, Bytes{0xe2, 0x82},
                         Bytes{0xf4, 0x90, 0x80, 0x80}}) {
    EXPECT_TRUE(ActionToJson(types::TextProposal{b})["text"].is_null()) << HexEncode(b);
  }
  EXPECT_EQ(ActionToJson(types::TextProposal{Bytes{0xe2, 0x82, 0xac}})["text"], "\xe2\x82\xac");
}

}  // namespace
}  // namespace hito::wallet
