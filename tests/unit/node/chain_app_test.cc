// ChainApp::ProcessProposal, the validator's check before it votes: hostile blocks a
// Byzantine proposer could send (undecodable or reserved-kind transactions, too many
// transactions, block times at or past the allowed window, a proposer outside the set,
// conflicting-proposal evidence by a non-validator) are refused; and, over seeded random
// blocks mixing good and bad content, every block ProcessProposal accepts executes in
// FinalizeBlock; claims and governance ballots have their proofs checked (a bad one refuses
// the block, both share the per-block proof budget) and proposals and ballots from the
// mempool commit with exact tallies. Real LevelDB in a temp dir, one validator (KeyFor(100)).
#include "node/chain/chain_app.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "consensus/ledger/governance.h"
#include "consensus/ledger/validators.h"
#include "consensus/types/limits.h"
#include "node/chain/commit_events.h"
#include "node/mempool/mempool.h"
#include "node/store/store.h"
#include "tests/support/chain_node.h"
#include "tests/support/genesis.h"
#include "tests/support/keys.h"
#include "tests/support/personhood.h"
#include "tests/support/temp_dir.h"
#include "tests/support/transactions.h"
#include "tests/support/votes.h"

namespace hito::node::chain {
namespace {

namespace ledger = consensus::ledger;
namespace types = consensus::types;
using testing::KeyFor;
using testing::SignedTransfer;
using testing::TempDir;

constexpr char kChain[] = "test-chain";

// A chain from testing::MakeGenesis with keys 1..4 funded, and a ChainApp over it.
class ChainAppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StartOn(testing::MakeGenesis(
        kChain, {{1, 1'000'000'000}, {2, 1'000'000'000}, {3, 1'000'000'000}, {4, 1'000'000'000}}));
  }

  // Writes `genesis` to a fresh store and opens a ChainApp on it.
  void StartOn(ledger::Genesis genesis) {
    genesis_ = std::move(genesis);
    store_ = store::Store::Open(dir_.path()).value();
    Hash32 genesis_hash{};
    genesis_hash.fill(9);
    Result<ChainTip> tip = RecoverChain(store_.get(), genesis_, genesis_hash);
    ASSERT_TRUE(tip.ok()) << tip.status().ToString();
    Reopen(*tip);
  }

  // A new ChainApp on `tip` (a test may move the tip's time).
  void Reopen(const ChainTip& tip) {
    app_.reset();
    pool_ =
        std::make_unique<mempool::Mempool>(kChain, mempool::MempoolLimits{}, store_->State(),
                                           [this](const Hash32& h) { return store_->GetTx(h); });
    app_ = std::make_unique<ChainApp>(kChain, tip, store_.get(), pool_.get(), &events_);
  }

  // A block on the tip that ProcessProposal accepts, with these transactions.
  types::Block NextBlock(std::vector<Bytes> txs) const {
    types::Block b =
        testing::NextBlock(*app_, kChain, KeyFor(100).public_key(), app_->Tip().time_ms + 1000);
    b.txs = std::move(txs);
    Seal(&b);
    return b;
  }

  // Recomputes the header's body hashes after a test changed the body.
  static void Seal(types::Block* b) {
    b->header.tx_root = types::TxRoot(b->txs);
    b->header.last_commit_hash = types::CommitHash(b->last_commit);
    b->header.evidence_hash = types::EvidenceHash(b->evidence, b->proposal_evidence);
  }

  // `bad` (a good membership proof, then a bad one) is refused naming tx 1; decided anyway
  // (by others), it executes with its own verification: tx 0 succeeds, tx 1 is TX_BAD_PROOF.
  void ExpectBadProofAtTx1(const types::Block& bad) {
    Status s = app_->ProcessProposal(bad);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("tx 1"), std::string::npos) << s.message();
    Result<FinalizedBlock> fin = app_->FinalizeBlock(bad);
    ASSERT_TRUE(fin.ok()) << fin.status().ToString();
    EXPECT_TRUE(fin->outcome.results[0].ok()) << fin->outcome.results[0].message;
    EXPECT_EQ(fin->outcome.results[1].code, ledger::TxCode::kBadProof);
  }

  // Executes and commits `b` with the validator's commit.
  void CommitBlock(const types::Block& b) {
    testing::FinalizeAndCommit(app_.get(), kChain, KeyFor(100), b);
  }

  TempDir dir_;
  ledger::Genesis genesis_;
  std::unique_ptr<store::Store> store_;
  CommitEvents events_{10};
  std::unique_ptr<mempool::Mempool> pool_;
  std::unique_ptr<ChainApp> app_;
};

// A transfer's bytes with the kind byte changed to the reserved kind (validator = 7).
Bytes ReservedKindTx() {
  Bytes tx = SignedTransfer(KeyFor(1), {.chain_id = kChain});
  tx[1] = static_cast<uint8_t>(types::TxKind::kValidator);
  return tx;
}

TEST_F(ChainAppTest, AcceptsAWellFormedBlockAndItExecutes) {
  types::Block b = NextBlock({SignedTransfer(KeyFor(1), {.chain_id = kChain})});
  ASSERT_TRUE(app_->ProcessProposal(b).ok()) << app_->ProcessProposal(b).ToString();
  CommitBlock(b);
  types::Block b2 = NextBlock({SignedTransfer(KeyFor(1), {.chain_id = kChain, .nonce = 1})});
  EXPECT_TRUE(app_->ProcessProposal(b2).ok()) << app_->ProcessProposal(b2).ToString();
}

TEST_F(ChainAppTest, RefusesABlockWithAnUndecodableTransaction) {
  types::Block b = NextBlock({SignedTransfer(KeyFor(1), {.chain_id = kChain}), Bytes{1, 1, 0}});
  // The hazard: a decided block like this one could never execute.
  EXPECT_FALSE(app_->FinalizeBlock(b).ok());
  Status s = app_->ProcessProposal(b);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("tx 1"), std::string::npos) << s.ToString();
}

TEST_F(ChainAppTest, RefusesABlockWithAReservedKindTransaction) {
  types::Block b = NextBlock({ReservedKindTx()});
  Status s = app_->ProcessProposal(b);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("tx 0"), std::string::npos) << s.ToString();
}

TEST_F(ChainAppTest, RefusesABlockWithTooManyTransactions) {
  // The same valid transfer, kBlockMaxTxs + 1 times (about 3.5 MB: under the byte limit).
  types::Block b = NextBlock(
      std::vector<Bytes>(types::kBlockMaxTxs + 1, SignedTransfer(KeyFor(1), {.chain_id = kChain})));
  EXPECT_FALSE(app_->FinalizeBlock(b).ok());
  Status s = app_->ProcessProposal(b);
  EXPECT_NE(s.message().find("20001 transactions"), std::string::npos) << s.ToString();
}

TEST_F(ChainAppTest, RefusesABlockBodyThatDoesNotMatchItsHeader) {
  types::Block b = NextBlock({SignedTransfer(KeyFor(1), {.chain_id = kChain})});
  b.txs.push_back(SignedTransfer(KeyFor(2), {.chain_id = kChain}));  // tx_root left stale
  EXPECT_FALSE(app_->ProcessProposal(b).ok());
}

TEST_F(ChainAppTest, BlockTimeIsAfterTheParentAndAtMostOneStepLater) {
  const uint64_t parent = app_->Tip().time_ms;
  auto with_time = [&](uint64_t t) {
    types::Block b = NextBlock({});
    b.header.time_ms = t;
    return app_->ProcessProposal(b);
  };
  EXPECT_FALSE(with_time(UINT64_MAX).ok());
  EXPECT_FALSE(with_time(parent + types::kBlockTimeMaxStepMs + 1).ok());
  EXPECT_TRUE(with_time(parent + types::kBlockTimeMaxStepMs).ok());
  EXPECT_TRUE(with_time(parent + 1).ok());
  EXPECT_FALSE(with_time(parent).ok());
}

TEST_F(ChainAppTest, ATipNearTheEndOfTimeDoesNotWrap) {
  // A tip 2 ms before u64's end: the next times are UINT64_MAX - 1 and UINT64_MAX; a
  // wrapped "tip + 1" (0) is refused, and a proposer's next time never wraps.
  ChainTip tip = app_->Tip();
  tip.time_ms = UINT64_MAX - 2;
  Reopen(tip);
  types::Block b = NextBlock({});
  b.header.time_ms = 0;
  EXPECT_FALSE(app_->ProcessProposal(b).ok());
  b.header.time_ms = types::NextBlockTimeMs(tip.time_ms, /*now_ms=*/5).value();
  EXPECT_EQ(b.header.time_ms, UINT64_MAX - 1);
  ASSERT_TRUE(app_->ProcessProposal(b).ok()) << app_->ProcessProposal(b).ToString();
  CommitBlock(b);
  types::Block b2 = NextBlock({});
  b2.header.time_ms = types::NextBlockTimeMs(app_->Tip().time_ms, /*now_ms=*/5).value();
  EXPECT_EQ(b2.header.time_ms, UINT64_MAX);
  EXPECT_TRUE(app_->ProcessProposal(b2).ok()) << app_->ProcessProposal(b2).ToString();
  // No genesis can start there: the chain's first time is bounded far below.
  ledger::Genesis late = genesis_;
  late.time_ms = UINT64_MAX - 2;
  EXPECT_FALSE(ledger::Ledger::InitGenesis(late).ok());
}

TEST_F(ChainAppTest, RefusesAProposerOutsideTheSet) {
  types::Block b = NextBlock({});
  b.header.proposer = KeyFor(1).public_key();
  Status s = app_->ProcessProposal(b);
  EXPECT_NE(s.message().find("not a validator of height 1"), std::string::npos) << s.ToString();
}

// Two different proposals signed by `key` for (height, round 0).
types::ConflictingProposalEvidence ProposalEvidence(const Ed25519PrivateKey& key, uint64_t height) {
  return testing::ConflictingProposals(kChain, key, height, 0, testing::HashOf(1),
                                       testing::HashOf(2));
}

TEST_F(ChainAppTest, ConflictingProposalEvidenceIsCheckedAndRecorded) {
  CommitBlock(NextBlock({}));
  types::Block b = NextBlock({});
  b.proposal_evidence.push_back(ProposalEvidence(KeyFor(1), 1));  // not a validator
  Seal(&b);
  Status s = app_->ProcessProposal(b);
  EXPECT_NE(s.message().find("not a validator at that height"), std::string::npos) << s.ToString();
  b.proposal_evidence = {ProposalEvidence(KeyFor(100), 1)};
  Seal(&b);
  ASSERT_TRUE(app_->ProcessProposal(b).ok()) << app_->ProcessProposal(b).ToString();
  CommitBlock(b);
  auto state = store_->State();
  std::optional<Bytes> recorded;
  ASSERT_TRUE(state->Get(ledger::EvidenceKey(b.proposal_evidence[0]), &recorded).ok());
  EXPECT_TRUE(recorded.has_value());
  // Once recorded it is not valid again.
  types::Block again = NextBlock({});
  again.proposal_evidence = b.proposal_evidence;
  Seal(&again);
  EXPECT_FALSE(app_->ProcessProposal(again).ok());
}

// One transaction drawn from good and bad kinds of content; `account_nonce` is the
// sender's committed nonce.
Bytes RandomTx(std::mt19937_64& rng, uint8_t sender, uint64_t account_nonce) {
  const uint64_t nonce = account_nonce + (rng() % 3 == 0 ? rng() % 3 : 0);  // mostly right
  switch (rng() % 9) {
    case 0:
      return Bytes{1, 1, 0};  // truncated
    case 1:
      return ReservedKindTx();
    case 2: {
      Bytes tx = SignedTransfer(KeyFor(sender), {.chain_id = kChain, .nonce = nonce});
      tx.push_back(0);  // trailing byte
      return tx;
    }
    case 3: {
      Bytes tx = SignedTransfer(KeyFor(sender), {.chain_id = kChain, .nonce = nonce});
      tx[tx.size() - 1] ^= 1;  // bad signature: a failed result, not a bad block
      return tx;
    }
    case 4:
      return SignedTransfer(KeyFor(sender), {.chain_id = "other-chain", .nonce = nonce});
    case 5:
      return SignedTransfer(KeyFor(sender), {.chain_id = kChain, .nonce = nonce, .fee = 1});
    case 6:
      return SignedTransfer(KeyFor(sender),
                            {.chain_id = kChain, .nonce = nonce, .amount = 2'000'000'000});
    default:
      return SignedTransfer(KeyFor(sender), {.chain_id = kChain, .nonce = nonce});
  }
}

TEST_F(ChainAppTest, EveryBlockProcessProposalAcceptsExecutes) {
  std::mt19937_64 rng(8);
  int accepted = 0;
  int refused = 0;
  size_t executed = 0;
  for (int i = 0; i < 150; ++i) {
    std::vector<Bytes> txs;
    const size_t n = rng() % 6;
    auto state = store_->State();
    const ledger::Ledger committed(kChain, state.get());
    for (size_t k = 0; k < n; ++k) {
      const uint8_t sender = static_cast<uint8_t>(1 + rng() % 4);
      const uint64_t nonce = committed.GetAccount(testing::AccountOf(KeyFor(sender)))->nonce;
      txs.push_back(RandomTx(rng, sender, nonce));
    }
    types::Block b = NextBlock(std::move(txs));
    if (rng() % 8 == 0) {
      b.header.time_ms = rng() % 2 ? UINT64_MAX : app_->Tip().time_ms;
      Seal(&b);
    }
    if (!app_->ProcessProposal(b).ok()) {
      ++refused;
      continue;
    }
    ++accepted;
    Result<FinalizedBlock> fin = app_->FinalizeBlock(b);
    ASSERT_TRUE(fin.ok()) << "iteration " << i << ": " << fin.status().ToString();
    ASSERT_EQ(fin->outcome.results.size(), b.txs.size());
    for (const auto& r : fin->outcome.results) executed += r.ok() ? 1 : 0;
    if (rng() % 2 == 0) CommitBlock(b);
  }
  // Both sides of the property were exercised, and accepted blocks moved money.
  EXPECT_GT(accepted, 20);
  EXPECT_GT(refused, 20);
  EXPECT_GT(executed, 10u);
}

// ---- Claims in proposals (real proofs, cohorts of 16, at most 3 claims per block) ----

class ChainAppClaimTest : public ChainAppTest {
 protected:
  void SetUp() override {
    testing::PersonhoodSpec spec;
    spec.max_claims_per_block = 3;
    StartOn(testing::MakePersonhoodGenesis(kChain, {{1, 1'000'000'000}}, spec));
  }
  types::Claim MakeClaim(uint64_t citizen, uint8_t to = 9) {
    return testing::MakeClaim(*store_->State(), kChain, citizen, 0, testing::AccountOf(KeyFor(to)));
  }
};

TEST_F(ChainAppClaimTest, ABadProofFromAnotherValidatorRefusesTheBlock) {
  types::Claim tampered = MakeClaim(2);
  tampered.recipient = testing::AccountOf(KeyFor(66));
  const types::Block bad =
      NextBlock({testing::EncodeClaim(MakeClaim(1)), testing::EncodeClaim(tampered)});
  ExpectBadProofAtTx1(bad);
}

TEST_F(ChainAppClaimTest, DoubleClaimAndClosedEpochAreFailedResultsNotBadBlocks) {
  types::Claim future = MakeClaim(5);
  future.epoch = 7;
  const Bytes first = testing::EncodeClaim(MakeClaim(3));
  const types::Block b =
      NextBlock({first, testing::EncodeClaim(MakeClaim(3, 10)), testing::EncodeClaim(future)});
  ASSERT_TRUE(app_->ProcessProposal(b).ok());
  EXPECT_TRUE(pool_->ProofVerified(types::TransactionHash(first)));
  Result<FinalizedBlock> fin = app_->FinalizeBlock(b);
  ASSERT_TRUE(fin.ok()) << fin.status().ToString();
  EXPECT_TRUE(fin->outcome.results[0].ok()) << fin->outcome.results[0].message;
  EXPECT_EQ(fin->outcome.results[1].code, ledger::TxCode::kAlreadyClaimed);
  EXPECT_EQ(fin->outcome.results[2].code, ledger::TxCode::kEpochNotOpen);
}

TEST_F(ChainAppClaimTest, MoreThanMaxClaimsPerBlockIsRefusedAndProposalsStayUnder) {
  std::vector<Bytes> claims;
  for (uint64_t i = 0; i < 4; ++i) claims.push_back(testing::EncodeClaim(MakeClaim(i)));
  Status s = app_->ProcessProposal(NextBlock(claims));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("claims"), std::string::npos) << s.message();
  for (const Bytes& c : claims) ASSERT_TRUE(pool_->Admit(c).ok());
  const std::vector<Bytes> proposal = app_->PrepareProposal(100, 1 << 20);
  EXPECT_EQ(proposal.size(), 3u);
  const types::Block mine = NextBlock(proposal);
  ASSERT_TRUE(app_->ProcessProposal(mine).ok());
  CommitBlock(mine);
  EXPECT_EQ(pool_->size(), 1u);
}

// ---- Governance in proposals (real proofs, cohorts of 16, 3 proofs per block) ----

constexpr uint64_t kDeposit = 50'000;

// Epochs of 3 blocks and rounds of 1 epoch: proposals of round 0 (blocks 1, 2) are voted
// in round 1 (blocks 3..5) and decided at block 6. Quorum: 2 ballots of 20 citizens.
class ChainAppGovernanceTest : public ChainAppTest {
 protected:
  void SetUp() override {
    testing::PersonhoodSpec spec;
    spec.epoch_blocks = 3;
    spec.max_claims_per_block = 3;
    ledger::Genesis g = testing::MakePersonhoodGenesis(kChain, {{1, 1'000'000'000}}, spec);
    ledger::GovernanceParams gp;
    gp.round_epochs = 1;
    gp.proposal_deposit = kDeposit;
    g.governance = gp;
    StartOn(std::move(g));
  }
  Bytes Proposal(uint64_t nonce) {
    return testing::SignedProposal(KeyFor(1),
                                   {.chain_id = kChain, .nonce = nonce, .deposit = kDeposit});
  }
  types::Ballot MakeBallot(uint64_t citizen, std::vector<types::BallotEntry> entries) {
    return testing::MakeBallot(*store_->State(), kChain, citizen, std::move(entries));
  }
  static Bytes Encode(const types::Ballot& b) {
    return types::EncodeTransaction(types::Transaction{b});
  }
  ledger::ProposalRecord Proposal(uint64_t round, uint32_t index) const {
    auto state = store_->State();
    return ledger::governance::GetProposal(ledger::RegistryStore(state.get()), round, index)
        .value()
        .value();
  }
  uint64_t Round() const {
    auto state = store_->State();
    return ledger::governance::ReadRound(ledger::RegistryStore(state.get())).value().round;
  }
  // Commits what the mempool proposes, checked by ProcessProposal first.
  void CommitFromPool() {
    const types::Block b = NextBlock(app_->PrepareProposal(100, 1 << 20));
    ASSERT_TRUE(app_->ProcessProposal(b).ok());
    CommitBlock(b);
  }
  void EnterRound(uint64_t r) {
    while (Round() < r) CommitBlock(NextBlock({}));
  }
};

TEST_F(ChainAppGovernanceTest, ABadBallotProofRefusesTheBlockAndFailsInExecution) {
  CommitBlock(NextBlock({Proposal(0)}));
  EnterRound(1);
  types::Ballot tampered = MakeBallot(2, {{0, 3}});
  tampered.entries[0].vote = -3;
  const Bytes good = Encode(MakeBallot(1, {{0, 2}}));
  const types::Block bad = NextBlock({good, Encode(tampered)});
  ExpectBadProofAtTx1(bad);
  // Without the bad one the block is accepted and its ballot remembered as verified.
  const types::Block ok = NextBlock({good});
  ASSERT_TRUE(app_->ProcessProposal(ok).ok());
  EXPECT_TRUE(pool_->ProofVerified(types::TransactionHash(good)));
}

TEST_F(ChainAppGovernanceTest, ClaimsAndBallotsShareTheProofBudget) {
  CommitBlock(NextBlock({Proposal(0)}));
  EnterRound(1);
  auto state = store_->State();
  std::vector<Bytes> txs;
  for (uint64_t i = 0; i < 2; ++i) {
    txs.push_back(testing::EncodeClaim(
        testing::MakeClaim(*state, kChain, i, 1, testing::AccountOf(KeyFor(9)))));
  }
  for (uint64_t i = 2; i < 4; ++i) txs.push_back(Encode(MakeBallot(i, {{0, 1}})));
  Status s = app_->ProcessProposal(NextBlock(txs));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("membership proofs"), std::string::npos) << s.message();
  for (const Bytes& tx : txs) ASSERT_TRUE(pool_->Admit(tx).ok());
  EXPECT_EQ(app_->PrepareProposal(100, 1 << 20).size(), 3u);
  CommitFromPool();
  EXPECT_EQ(pool_->size(), 1u);
}

TEST_F(ChainAppGovernanceTest, ProposalsAndBallotsFromThePoolCommitAndTallyExactly) {
  for (uint64_t n = 0; n < 2; ++n) ASSERT_TRUE(pool_->Admit(Proposal(n)).ok());
  CommitFromPool();
  EXPECT_EQ(pool_->size(), 0u);
  EnterRound(1);
  const std::vector<std::vector<types::BallotEntry>> votes = {
      {{0, 3}, {1, -2}}, {{0, 4}}, {{1, 1}}};
  for (uint64_t i = 0; i < votes.size(); ++i) {
    mempool::AdmitOutcome o = pool_->Admit(Encode(MakeBallot(5 + i, votes[i])));
    ASSERT_TRUE(o.ok()) << o.message;
  }
  CommitFromPool();
  EXPECT_EQ(pool_->size(), 0u);
  EXPECT_EQ(Proposal(0, 0).tally, 7);
  EXPECT_EQ(Proposal(0, 0).ballots, 2u);
  EXPECT_EQ(Proposal(0, 1).tally, -1);
  EXPECT_EQ(Proposal(0, 1).ballots, 2u);
  // Decided at the first block of round 2: quorum (2 of 20 >= 10%) for both.
  EnterRound(2);
  EXPECT_EQ(Proposal(0, 0).outcome, ledger::ProposalOutcome::kExecuted);
  EXPECT_EQ(Proposal(0, 1).outcome, ledger::ProposalOutcome::kRejected);
  EXPECT_EQ(Proposal(0, 0).live, 20u);
}

}  // namespace
}  // namespace hito::node::chain
