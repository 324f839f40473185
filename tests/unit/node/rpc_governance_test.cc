// GovernanceService and the governance fields of TransactionView, over real loopback
// gRPC: a real Store, mempool, ChainApp and RpcServer on a genesis with 20 citizens,
// epochs of 3 blocks and rounds of 1 epoch. Three proposals submitted through
// TxService in round 0 and ballots proved in the test in round 1; covers the round
// schedule and params, proposals with their tallies and outcomes before and after the
// decision, the status filter, paging (and forged, other-round and garbage tokens, an
// oversized page), the height convention and a chain without governance, where every
// method is GOVERNANCE_DISABLED. The block events of a round, through GetBlock and
// StreamBlocks: submissions, the voting round opened, decisions (passed, rejected, no
// quorum) and executions at the next round's first block, marked block_start, before that
// block's transactions, and a parameter change applied at the epoch after.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "base/bech32m.h"
#include "consensus/ledger/governance.h"
#include "consensus/ledger/ledger.h"
#include "consensus/types/governance.h"
#include "hito/v1/block.grpc.pb.h"
#include "hito/v1/governance.grpc.pb.h"
#include "hito/v1/tx.grpc.pb.h"
#include "node/rpc/errors.h"
#include "node/rpc/server.h"
#include "tests/support/chain_node.h"
#include "tests/support/keys.h"
#include "tests/support/personhood.h"
#include "tests/support/temp_dir.h"
#include "tests/support/transactions.h"

namespace hito::node::rpc {
namespace {

namespace ledger = consensus::ledger;
namespace types = consensus::types;
namespace pb = hito::v1;
using testing::KeyFor;

constexpr char kChain[] = "governance-rpc-test";
constexpr uint64_t kDeposit = 70'000;

std::string S(ByteView b) { return std::string(AsChars(b)); }

ledger::Genesis GovernanceGenesis(bool governance) {
  testing::PersonhoodSpec spec;
  spec.epoch_blocks = 3;
  ledger::Genesis g = testing::MakePersonhoodGenesis(kChain, {{1, 1'000'000'000}}, spec);
  if (governance) {
    ledger::GovernanceParams gp;
    gp.round_epochs = 1;
    gp.voice_credits = 25;
    gp.quorum_ppm = 100'000;  // 2 ballots of 20 citizens
    gp.proposal_deposit = kDeposit;
    gp.max_proposals_per_round = 8;
    g.governance = gp;
  }
  return g;
}

class GovernanceRpcTest : public ::testing::Test {
 protected:
  void Start(bool governance) {
    node_ = testing::OpenChainNode(dir_.path() / "data", GovernanceGenesis(governance));
    RpcBackend b;
    b.chain_id = kChain;
    b.validator = KeyFor(100).public_key();
    b.store = node_->store.get();
    b.mempool = node_->mempool.get();
    b.events = node_->events.get();
    b.app = node_->app.get();
    auto server = RpcServer::Start("127.0.0.1:0", std::move(b), RpcOptions{});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                       grpc::InsecureChannelCredentials());
    gov_ = pb::GovernanceService::NewStub(channel);
    blocks_ = pb::BlockService::NewStub(channel);
    txs_ = pb::TxService::NewStub(channel);
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
    if (node_) node_->events->Shutdown();
  }

  // Commits the next block with what the mempool proposes.
  void Commit() {
    const types::Block b = testing::NextBlock(*node_->app, kChain, KeyFor(100).public_key(),
                                              node_->app->Tip().time_ms + 1000,
                                              node_->app->PrepareProposal(100, 1 << 20));
    ASSERT_TRUE(node_->app->ProcessProposal(b).ok());
    testing::FinalizeAndCommit(node_->app.get(), kChain, KeyFor(100), b);
  }
  void CommitUntilRound(uint64_t r) {
    for (int i = 0; i < 20 && Governance().round() < r; ++i) Commit();
    ASSERT_EQ(Governance().round(), r);
  }
  grpc::Status Submit(const Bytes& tx) {
    grpc::ClientContext ctx;
    pb::SubmitTransactionRequest req;
    pb::SubmitTransactionResponse resp;
    req.set_tx_bytes(S(tx));
    return txs_->SubmitTransaction(&ctx, req, &resp);
  }
  pb::GetGovernanceResponse Governance(uint64_t height = 0) {
    grpc::ClientContext ctx;
    pb::GetGovernanceRequest req;
    req.set_height(height);
    pb::GetGovernanceResponse resp;
    last_ = gov_->GetGovernance(&ctx, req, &resp);
    return resp;
  }
  pb::ListProposalsResponse List(uint64_t round,
                                 pb::ProposalStatus status = pb::PROPOSAL_STATUS_ANY,
                                 uint32_t page_size = 0, const std::string& token = "") {
    grpc::ClientContext ctx;
    pb::ListProposalsRequest req;
    req.set_round(round);
    req.set_status(status);
    req.set_page_size(page_size);
    req.set_page_token(token);
    pb::ListProposalsResponse resp;
    last_ = gov_->ListProposals(&ctx, req, &resp);
    return resp;
  }
  static void ExpectReason(const grpc::Status& s, grpc::StatusCode code,
                           const std::string& reason) {
    EXPECT_EQ(s.error_code(), code) << s.error_message();
    auto info = ErrorInfoOf(s);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->reason(), reason);
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::ChainNode> node_;
  std::unique_ptr<RpcServer> server_;
  std::unique_ptr<pb::GovernanceService::Stub> gov_;
  std::unique_ptr<pb::TxService::Stub> txs_;
  std::unique_ptr<pb::BlockService::Stub> blocks_;
  grpc::Status last_;
};

TEST_F(GovernanceRpcTest, RoundScheduleProposalsTalliesAndOutcomes) {
  Start(true);
  pb::GetGovernanceResponse g = Governance();
  ASSERT_TRUE(last_.ok()) << last_.error_message();
  EXPECT_EQ(g.height(), 0u);
  EXPECT_EQ(g.params().round_epochs(), 1u);
  EXPECT_EQ(g.params().voice_credits(), 25u);
  EXPECT_EQ(g.params().quorum_ppm(), 100'000u);
  EXPECT_EQ(g.params().proposal_deposit(), kDeposit);
  EXPECT_EQ(g.params().max_proposals_per_round(), 8u);
  EXPECT_EQ(g.round(), 0u);
  EXPECT_EQ(g.next_round_height(), 3u);
  EXPECT_EQ(g.live(), 20u);

  // Three proposals through TxService, in one sender's nonce order.
  for (uint64_t n = 0; n < 3; ++n) {
    const types::TextProposal text{Bytes{static_cast<uint8_t>('a' + n)}};
    grpc::Status s = Submit(testing::SignedProposal(
        KeyFor(1), {.chain_id = kChain, .nonce = n, .deposit = kDeposit, .action = text}));
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  Commit();
  g = Governance();
  EXPECT_EQ(g.proposals(), 3u);
  EXPECT_EQ(g.escrow(), 3 * kDeposit);
  pb::ListProposalsResponse l = List(0);
  ASSERT_TRUE(last_.ok()) << last_.error_message();
  ASSERT_EQ(l.items_size(), 3);
  EXPECT_EQ(l.proposals(), 3u);
  EXPECT_EQ(l.items(1).index(), 1u);
  EXPECT_EQ(l.items(1).proposer(), EncodeAddress(testing::AccountOf(KeyFor(1))));
  EXPECT_EQ(l.items(1).action_name(), "text");
  EXPECT_EQ(l.items(1).action(), S(types::EncodeAction(types::TextProposal{Bytes{'b'}})));
  EXPECT_EQ(l.items(1).status(), pb::PROPOSAL_OPEN);

  // Round 1: ballots for proposals 0 (+3 +2: passes) and 1 (-3 +1: rejected); 2 gets one
  // ballot only, below the quorum. Budgets 9 + 9 + 1 and 4 + 1 of 25.
  CommitUntilRound(1);
  auto state = node_->store->State();
  const std::vector<std::vector<types::BallotEntry>> votes = {{{0, 3}, {1, -3}, {2, 1}},
                                                              {{0, 2}, {1, 1}}};
  for (uint64_t i = 0; i < votes.size(); ++i) {
    grpc::Status s = Submit(types::EncodeTransaction(
        types::Transaction{testing::MakeBallot(*state, kChain, 4 + i, votes[i])}));
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  Commit();
  EXPECT_EQ(Governance().voters(), 2u);
  l = List(0);
  EXPECT_EQ(l.items(0).tally(), 5);
  EXPECT_EQ(l.items(1).tally(), -2);
  EXPECT_EQ(l.items(1).ballots(), 2u);
  EXPECT_EQ(l.items(2).ballots(), 1u);

  // Decided at the first block of round 2.
  CommitUntilRound(2);
  l = List(0);
  EXPECT_EQ(l.items(0).status(), pb::PROPOSAL_EXECUTED);
  EXPECT_EQ(l.items(1).status(), pb::PROPOSAL_REJECTED);
  EXPECT_EQ(l.items(2).status(), pb::PROPOSAL_NO_QUORUM);
  EXPECT_EQ(l.items(2).live(), 20u);
  EXPECT_EQ(Governance().escrow(), 0u);
  l = List(0, pb::PROPOSAL_REJECTED);
  ASSERT_EQ(l.items_size(), 1);
  EXPECT_EQ(l.items(0).index(), 1u);

  // Paging: two pages of 2 and 1; tokens are checked.
  l = List(0, pb::PROPOSAL_STATUS_ANY, 2);
  ASSERT_EQ(l.items_size(), 2);
  ASSERT_FALSE(l.next_page_token().empty());
  pb::ListProposalsResponse rest = List(0, pb::PROPOSAL_STATUS_ANY, 2, l.next_page_token());
  ASSERT_TRUE(last_.ok()) << last_.error_message();
  ASSERT_EQ(rest.items_size(), 1);
  EXPECT_EQ(rest.items(0).index(), 2u);
  EXPECT_TRUE(rest.next_page_token().empty());
  List(1, pb::PROPOSAL_STATUS_ANY, 2, l.next_page_token());
  ExpectReason(last_, grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT");
  EXPECT_NE(last_.error_message().find("page_token"), std::string::npos);
  List(0, pb::PROPOSAL_STATUS_ANY, 2, "zz");
  ExpectReason(last_, grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT");
  List(0, pb::PROPOSAL_STATUS_ANY, 257);
  ExpectReason(last_, grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT");
  // A round without proposals: an empty list.
  l = List(7);
  ASSERT_TRUE(last_.ok());
  EXPECT_EQ(l.items_size(), 0);
  // Only the latest height is served.
  const uint64_t latest = Governance().height();
  Governance(latest + 1);
  ExpectReason(last_, grpc::StatusCode::FAILED_PRECONDITION, "HEIGHT_NOT_YET_COMMITTED");
}

// The oneof case of `e` as a short name, with its round and index where it has them.
std::string Describe(const pb::BlockEvent& e) {
  switch (e.event_case()) {
    case pb::BlockEvent::kProposalSubmitted:
      return "submitted " + std::to_string(e.proposal_submitted().round()) + "/" +
             std::to_string(e.proposal_submitted().index());
    case pb::BlockEvent::kRoundOpened:
      return "opened " + std::to_string(e.round_opened().round());
    case pb::BlockEvent::kProposalDecided:
      return "decided " + std::to_string(e.proposal_decided().index());
    case pb::BlockEvent::kProposalExecuted:
      return "executed " + std::to_string(e.proposal_executed().index());
    case pb::BlockEvent::kParamChange:
      return "param " + std::to_string(e.param_change().param());
    default:
      return "other";
  }
}

TEST_F(GovernanceRpcTest, BlockEventsShowARoundInOrder) {
  Start(true);
  // Round 0 (block 1): a parameter change, a text to reject, a text nobody votes on.
  const types::Action credits =
      types::ParamChange{static_cast<uint16_t>(types::ParamId::kVoiceCredits), 36};
  const std::vector<types::Action> actions = {credits, types::TextProposal{Bytes{'r'}},
                                              types::TextProposal{Bytes{'n'}}};
  for (uint64_t n = 0; n < actions.size(); ++n) {
    grpc::Status s = Submit(testing::SignedProposal(
        KeyFor(1), {.chain_id = kChain, .nonce = n, .deposit = kDeposit, .action = actions[n]}));
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  Commit();
  CommitUntilRound(1);
  auto state = node_->store->State();
  for (uint64_t i = 0; i < 2; ++i) {
    grpc::Status s = Submit(types::EncodeTransaction(
        types::Transaction{testing::MakeBallot(*state, kChain, 4 + i, {{0, 2}, {1, -1}})}));
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  Commit();
  CommitUntilRound(3);  // round 2's first block decides; the change applies at round 3's
  // Every event of the chain, in block order, from GetBlock.
  std::vector<std::string> seen;
  std::vector<pb::GetBlockResponse> blocks;
  const uint64_t tip = Governance().height();
  for (uint64_t h = 1; h <= tip; ++h) {
    grpc::ClientContext ctx;
    pb::GetBlockRequest req;
    req.set_height(h);
    pb::GetBlockResponse resp;
    ASSERT_TRUE(blocks_->GetBlock(&ctx, req, &resp).ok());
    for (const pb::BlockEvent& e : resp.events()) seen.push_back(Describe(e));
    blocks.push_back(resp);
  }
  const std::vector<std::string> want = {
      "submitted 0/0", "submitted 0/1", "submitted 0/2", "opened 1", "decided 0", "executed 0",
      "decided 1",     "decided 2",     "opened 2",      "param 7",  "opened 3"};
  EXPECT_EQ(seen, want);
  // Block 1 holds the submissions, with their transactions.
  const pb::GetBlockResponse& b1 = blocks[0];
  ASSERT_EQ(b1.events_size(), 3);
  EXPECT_FALSE(b1.events(0).block_start());
  EXPECT_EQ(b1.events(2).tx_index(), 2u);
  EXPECT_EQ(b1.events(2).tx_hash(), b1.block().tx_hashes(2));
  EXPECT_EQ(b1.events(0).proposal_submitted().action_name(), "param");
  EXPECT_EQ(b1.events(0).proposal_submitted().proposer(),
            EncodeAddress(testing::AccountOf(KeyFor(1))));
  EXPECT_EQ(b1.events(0).proposal_submitted().deposit(), kDeposit);
  // Block 6 (round 2's first): decisions and executions are block-start events.
  const pb::GetBlockResponse& b6 = blocks[5];
  ASSERT_EQ(b6.events_size(), 5);
  for (const pb::BlockEvent& e : b6.events()) {
    EXPECT_TRUE(e.block_start());
    EXPECT_TRUE(e.tx_hash().empty());
    EXPECT_EQ(e.tx_index(), 0u);
  }
  const pb::ProposalDecidedEvent& passed = b6.events(0).proposal_decided();
  EXPECT_TRUE(passed.passed());
  EXPECT_EQ(passed.status(), pb::PROPOSAL_EXECUTED);
  EXPECT_EQ(passed.tally(), 4);
  EXPECT_EQ(passed.ballots(), 2u);
  EXPECT_EQ(passed.live(), 20u);
  EXPECT_EQ(passed.turnout_ppm(), 100'000u);  // 2 of 20
  EXPECT_TRUE(passed.deposit_refunded());
  const pb::ProposalExecutedEvent& executed = b6.events(1).proposal_executed();
  EXPECT_TRUE(executed.executed());
  EXPECT_EQ(executed.action_name(), "param");
  EXPECT_EQ(executed.from_epoch(), 3u);
  EXPECT_TRUE(executed.reason().empty());
  const pb::ProposalDecidedEvent& rejected = b6.events(2).proposal_decided();
  EXPECT_TRUE(rejected.quorum());
  EXPECT_FALSE(rejected.passed());
  EXPECT_EQ(rejected.status(), pb::PROPOSAL_REJECTED);
  EXPECT_TRUE(rejected.deposit_refunded());
  const pb::ProposalDecidedEvent& no_quorum = b6.events(3).proposal_decided();
  EXPECT_FALSE(no_quorum.quorum());
  EXPECT_EQ(no_quorum.status(), pb::PROPOSAL_NO_QUORUM);
  EXPECT_EQ(no_quorum.turnout_ppm(), 0u);
  EXPECT_FALSE(no_quorum.deposit_refunded());
  EXPECT_EQ(b6.events(4).round_opened().proposals(), 0u);
  // Block 9: the change applied, then the round opened with it.
  const pb::GetBlockResponse& b9 = blocks[8];
  ASSERT_EQ(b9.events_size(), 2);
  EXPECT_TRUE(b9.events(0).param_change().applied());
  EXPECT_EQ(b9.events(0).param_change().value(), 36u);
  EXPECT_EQ(b9.events(0).param_change().epoch(), 3u);
  EXPECT_EQ(b9.events(1).round_opened().voice_credits(), 36u);
  EXPECT_EQ(Governance().params().voice_credits(), 36u);
  // StreamBlocks carries the same events.
  grpc::ClientContext ctx;
  pb::StreamBlocksRequest req;
  req.set_from_height(6);
  auto reader = blocks_->StreamBlocks(&ctx, req);
  pb::StreamBlocksResponse got;
  ASSERT_TRUE(reader->Read(&got));
  EXPECT_EQ(got.height(), 6u);
  ASSERT_EQ(got.events_size(), b6.events_size());
  for (int k = 0; k < got.events_size(); ++k) {
    EXPECT_EQ(got.events(k).SerializeAsString(), b6.events(k).SerializeAsString()) << k;
  }
  ctx.TryCancel();
  while (reader->Read(&got)) {
  }
}

TEST_F(GovernanceRpcTest, ChainWithoutGovernanceRefusesEveryMethod) {
  Start(false);
  Governance();
  ExpectReason(last_, grpc::StatusCode::FAILED_PRECONDITION, "GOVERNANCE_DISABLED");
  List(0);
  ExpectReason(last_, grpc::StatusCode::FAILED_PRECONDITION, "GOVERNANCE_DISABLED");
  // Proposals are refused at submission (TX_UNSUPPORTED_KIND on this chain).
  grpc::Status s = Submit(testing::SignedProposal(KeyFor(1), {.chain_id = kChain}));
  ExpectReason(s, grpc::StatusCode::UNIMPLEMENTED, "TX_UNSUPPORTED_KIND");
}

}  // namespace
}  // namespace hito::node::rpc
