// Validator-set changes and evidence in hitod's BFT driver, with real homes (LevelDB,
// WAL, signer record) and the real ChainApp over an in-memory full mesh:
//   - a genesis schedule adds a validator at height 4, removes one at 7 and swaps the
//     whole set for four new keys at 10; nine engines run, every block's header names the
//     set of its height, every stored commit verifies against that set (and not against
//     the previous one), a removed validator signs nothing after it left, and the new
//     validators sign from their first height;
//   - block sync: a commit signed by the old set for a height where the new set rules is
//     refused by CheckCommittedBlock, the same block with the new set's commit accepted;
//   - ProcessProposal refuses a wrong validators_hash / next_validators_hash and invalid
//     evidence;
//   - a validator that equivocates (two conflicting prevotes injected with its key): the
//     evidence lands in a committed block and in state on every node, with a state proof.
// Every wait is bounded.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "consensus/ledger/records.h"
#include "consensus/ledger/validators.h"
#include "node/chain/bft_engine.h"
#include "node/chain/chain_app.h"
#include "tests/support/chain_node.h"
#include "tests/support/genesis.h"
#include "tests/support/keys.h"
#include "tests/support/temp_dir.h"
#include "tests/support/votes.h"

namespace hito::node::chain {
namespace {

namespace types = consensus::types;
namespace ledger = consensus::ledger;

constexpr const char* kChain = "valset-test";

Ed25519PrivateKey ValKey(size_t i) { return testing::ValidatorKey(i); }

types::ValidatorSet SetOf(std::vector<size_t> ids) { return testing::ValidatorSetOf(ids); }

// A running network of n engines over one genesis.
class Cluster : public testing::EngineCluster {
 public:
  Cluster(size_t n, ledger::Genesis g) : EngineCluster(n, std::move(g)) {
    const Status s = StartAll();
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  bool WaitAll(uint64_t height) { return EngineCluster::WaitAll(height, std::chrono::seconds(90)); }
};

ledger::Genesis BaseGenesis(types::ValidatorSet set, std::vector<ledger::ValidatorSetChange> s) {
  ledger::Genesis g = testing::MakeGenesis(kChain, std::move(set), {{1, 1'000'000'000}});
  g.validator_schedule = std::move(s);
  return g;
}

TEST(ValidatorSetChangeTest, AddRemoveAndSwapAllAcrossNineEngines) {
  const types::ValidatorSet s1 = SetOf({0, 1, 2, 3});
  const types::ValidatorSet s4 = SetOf({0, 1, 2, 3, 4});  // add 4
  const types::ValidatorSet s7 = SetOf({1, 2, 3, 4});     // remove 0
  const types::ValidatorSet s10 = SetOf({5, 6, 7, 8});    // swap all
  Cluster c(9, BaseGenesis(s1, {{4, s4}, {7, s7}, {10, s10}}));
  const uint64_t target = 13;
  ASSERT_TRUE(c.WaitAll(target)) << "min height " << c.MinHeight();
  auto set_of = [&](uint64_t h) { return h >= 10 ? s10 : h >= 7 ? s7 : h >= 4 ? s4 : s1; };
  for (uint64_t h = 1; h <= target; ++h) {
    const types::Block b0 = c.Block(0, h);
    for (size_t i = 1; i < c.size(); ++i)
      EXPECT_EQ(c.Block(i, h), b0) << "node " << i << " h " << h;
    EXPECT_EQ(b0.header.validators_hash, set_of(h).Hash()) << h;
    EXPECT_EQ(b0.header.next_validators_hash, set_of(h + 1).Hash()) << h;
    EXPECT_TRUE(set_of(h).IndexOf(b0.header.proposer)) << "proposer outside the set at " << h;
    const types::Commit commit = c.CommitOf(0, h);
    EXPECT_TRUE(types::VerifyCommit(kChain, set_of(h), commit).ok()) << h;
    if (h == 4 || h == 7 || h == 10) {
      EXPECT_FALSE(types::VerifyCommit(kChain, set_of(h - 1), commit).ok())
          << "commit of " << h << " must not verify against the previous set";
    }
  }
  // Validator 0 left at 7: its last signature is below 7. Validator 4 joined at 4 and
  // left at 10; validators 5..8 sign from 10 on; all others of s7 stopped at 9.
  EXPECT_LT(c.node(0).engine->signer_state().height, 7u);
  for (size_t i = 1; i <= 4; ++i) EXPECT_LT(c.node(i).engine->signer_state().height, 10u) << i;
  for (size_t i = 5; i <= 8; ++i) EXPECT_GE(c.node(i).engine->signer_state().height, 10u) << i;
  for (size_t i = 0; i < c.size(); ++i) EXPECT_EQ(c.node(i).engine->evidence_count(), 0u) << i;
}

// A block for the next height on `app`, built as a proposer would.
types::Block NextBlock(const ChainApp& app, const Ed25519PublicKey& proposer) {
  return testing::NextBlock(app, kChain, proposer, app.Tip().time_ms + 1000);
}

// A commit for `block` signed by `signers` (keys ValKey(i)) laid out over `set`.
types::Commit SignCommit(const types::Block& block, const types::ValidatorSet& set,
                         const std::vector<size_t>& signers) {
  types::Commit c;
  c.height = block.header.height;
  c.block_hash = types::HeaderHash(block.header);
  c.signatures.resize(set.size());
  for (size_t i : signers) {
    const types::Vote v = testing::SignedVote(kChain, ValKey(i), types::VoteType::kPrecommit,
                                              c.height, 0, c.block_hash);
    auto idx = set.IndexOf(v.validator);
    if (!idx) idx = static_cast<uint32_t>(i % set.size());  // an outsider's best guess
    c.signatures[*idx] = {types::CommitFlag::kCommit, v.signature};
  }
  return c;
}

TEST(ValidatorSetChangeTest, BlockSyncVerifiesEachCommitAgainstTheSetOfItsHeight) {
  const types::ValidatorSet old_set = SetOf({0, 1, 2, 3});
  const types::ValidatorSet new_set = SetOf({4, 5, 6, 7});
  testing::TempDir dir;
  auto n = testing::OpenChainNode(dir.path() / "data", BaseGenesis(old_set, {{2, new_set}}));
  ChainApp& app = *n->app;
  EXPECT_EQ(*app.ValidatorSetAt(1), old_set);
  EXPECT_EQ(*app.ValidatorSetAt(2), new_set);
  // Block 1 under the old set.
  types::Block b1 = NextBlock(app, ValKey(0).public_key());
  EXPECT_FALSE(CheckCommittedBlock(app, kChain, b1, SignCommit(b1, old_set, {4, 5, 6})).ok());
  const types::Commit c1 = SignCommit(b1, old_set, {0, 1, 2});
  ASSERT_TRUE(CheckCommittedBlock(app, kChain, b1, c1).ok());
  auto fin = app.FinalizeBlock(b1);
  ASSERT_TRUE(fin.ok()) << fin.status().ToString();
  app.Commit(b1, c1, std::move(fin).value());
  // Block 2: the new set rules. The old set's quorum (3 of 4 keys, laid out over either
  // set) does not make a valid commit; the new set's does.
  types::Block b2 = NextBlock(app, ValKey(4).public_key());
  EXPECT_EQ(b2.header.validators_hash, new_set.Hash());
  Status old_on_old = CheckCommittedBlock(app, kChain, b2, SignCommit(b2, old_set, {0, 1, 2}));
  EXPECT_FALSE(old_on_old.ok());
  Status old_on_new = CheckCommittedBlock(app, kChain, b2, SignCommit(b2, new_set, {0, 1, 2, 3}));
  EXPECT_FALSE(old_on_new.ok());
  EXPECT_NE(old_on_new.message().find("commit"), std::string::npos) << old_on_new.ToString();
  const types::Commit c2 = SignCommit(b2, new_set, {4, 5, 6});
  EXPECT_TRUE(CheckCommittedBlock(app, kChain, b2, c2).ok());
  // A commit that names another block, and a block for a later height, are refused.
  types::Block other = b2;
  other.header.time_ms += 1;
  EXPECT_FALSE(CheckCommittedBlock(app, kChain, other, SignCommit(b2, new_set, {4, 5, 6})).ok());
  // Block 3 carries the commit of block 2: the old set's signatures are refused there too.
  app.Commit(b2, c2, app.FinalizeBlock(b2).value());
  types::Block b3 = NextBlock(app, ValKey(5).public_key());
  EXPECT_TRUE(app.ProcessProposal(b3).ok());
  b3.last_commit = SignCommit(b2, new_set, {0, 1, 2, 3});
  b3.header.last_commit_hash = types::CommitHash(b3.last_commit);
  Status old_last = app.ProcessProposal(b3);
  EXPECT_NE(old_last.message().find("last_commit"), std::string::npos) << old_last.ToString();
}

types::DuplicateVoteEvidence MakeEvidence(size_t who, uint64_t height, uint32_t round = 0) {
  return testing::DuplicateVotes(kChain, ValKey(who), height, round, testing::HashOf(1),
                                 testing::HashOf(2));
}

TEST(ValidatorSetChangeTest, ProcessProposalChecksSetHashesAndEvidence) {
  testing::TempDir dir;
  auto n = testing::OpenChainNode(dir.path() / "data",
                                  BaseGenesis(SetOf({0, 1, 2, 3}), {{3, SetOf({1, 2, 3})}}));
  ChainApp& app = *n->app;
  types::Block b1 = NextBlock(app, ValKey(0).public_key());
  ASSERT_TRUE(app.ProcessProposal(b1).ok());
  types::Block bad = b1;
  bad.header.validators_hash = SetOf({1, 2, 3}).Hash();
  EXPECT_NE(app.ProcessProposal(bad).message().find("validators_hash"), std::string::npos);
  bad = b1;
  bad.header.next_validators_hash = SetOf({1, 2, 3}).Hash();
  EXPECT_NE(app.ProcessProposal(bad).message().find("next_validators_hash"), std::string::npos);
  app.Commit(b1, SignCommit(b1, SetOf({0, 1, 2, 3}), {0, 1, 2}), app.FinalizeBlock(b1).value());
  // Block 2 announces the change of height 3.
  types::Block b2 = NextBlock(app, ValKey(0).public_key());
  EXPECT_EQ(b2.header.next_validators_hash, SetOf({1, 2, 3}).Hash());
  auto with_evidence = [&](std::vector<types::DuplicateVoteEvidence> ev) {
    types::Block b = b2;
    b.evidence = std::move(ev);
    b.header.evidence_hash = types::EvidenceHash(b.evidence);
    return app.ProcessProposal(b);
  };
  EXPECT_TRUE(with_evidence({MakeEvidence(3, 1)}).ok());
  types::DuplicateVoteEvidence forged = MakeEvidence(3, 1);
  forged.a.signature[0] ^= 1;
  EXPECT_FALSE(with_evidence({forged}).ok());
  EXPECT_FALSE(with_evidence({MakeEvidence(9, 1)}).ok());  // never a validator
  EXPECT_FALSE(with_evidence({MakeEvidence(3, 2)}).ok());  // not below the block
  EXPECT_FALSE(with_evidence({MakeEvidence(3, 1), MakeEvidence(3, 1)}).ok());
  types::Block hash_lies = b2;
  hash_lies.evidence = {MakeEvidence(3, 1)};
  EXPECT_NE(app.ProcessProposal(hash_lies).message().find("evidence_hash"), std::string::npos);
  // The carried commit of block 1 must be a quorum of height 1's set and name block 1.
  auto with_last_commit = [&](types::Commit lc) {
    types::Block b = b2;
    b.last_commit = std::move(lc);
    b.header.last_commit_hash = types::CommitHash(b.last_commit);
    return app.ProcessProposal(b);
  };
  EXPECT_TRUE(with_last_commit(SignCommit(b1, SetOf({0, 1, 2, 3}), {1, 2, 3})).ok());
  EXPECT_FALSE(with_last_commit(SignCommit(b1, SetOf({0, 1, 2, 3}), {1, 2})).ok());  // < 2/3
  EXPECT_FALSE(with_last_commit(SignCommit(b1, SetOf({0, 1, 2, 3}), {5, 6, 7})).ok());
  EXPECT_FALSE(with_last_commit(SignCommit(b2, SetOf({0, 1, 2, 3}), {0, 1, 2})).ok());
  types::Block lc_hash_lies = b2;
  lc_hash_lies.last_commit = SignCommit(b1, SetOf({0, 1, 2, 3}), {1, 2, 3});
  EXPECT_NE(app.ProcessProposal(lc_hash_lies).message().find("last_commit_hash"),
            std::string::npos);
}

TEST(ValidatorSetChangeTest, EquivocationEvidenceLandsInACommittedBlock) {
  Cluster c(4, BaseGenesis(SetOf({0, 1, 2, 3}), {}));
  ASSERT_TRUE(c.WaitAll(2));
  // Validator 3 equivocates: two conflicting prevotes for the current height, injected
  // with its key (its own engine signs at most one of them; the other is a twin's).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool detected = false;
  uint32_t salt = 0;
  while (!detected && std::chrono::steady_clock::now() < deadline) {
    const uint64_t h = c.node(0).app->Tip().height + 1;
    for (uint8_t value : {uint8_t{0xA0}, uint8_t{0xB0}}) {
      Hash32 hash = testing::HashOf(value);
      hash[1] = static_cast<uint8_t>(++salt);
      c.mesh().Inject(
          testing::SignedVote(kChain, ValKey(3), types::VoteType::kPrevote, h, 0, hash));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    detected = c.node(0).engine->evidence_count() > 0;
  }
  ASSERT_TRUE(detected) << "no node detected the duplicate votes";
  // Wait for a committed block carrying evidence against validator 3.
  std::optional<types::DuplicateVoteEvidence> landed;
  uint64_t landed_at = 0;
  for (uint64_t h = 1;
       !landed && std::chrono::steady_clock::now() < deadline + std::chrono::seconds(30);) {
    if (c.node(0).app->Tip().height < h) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    types::Block b = c.Block(0, h);
    for (const auto& e : b.evidence) {
      EXPECT_EQ(e.a.validator, ValKey(3).public_key());
      landed = e;
      landed_at = h;
    }
    ++h;
  }
  ASSERT_TRUE(landed) << "evidence never reached a committed block";
  ASSERT_TRUE(c.WaitAll(landed_at + 1));
  // Recorded once in every node's state, provable against the state root.
  for (size_t i = 0; i < c.size(); ++i) {
    auto state = c.node(i).store->State();
    ledger::Ledger l(kChain, state.get());
    const Bytes key = ledger::EvidenceKey(*landed);
    std::optional<Bytes> record;
    ASSERT_TRUE(state->Get(key, &record).ok());
    ASSERT_TRUE(record.has_value()) << "node " << i;
    EXPECT_EQ(*record, ledger::EncodeEvidenceRecord(landed_at, *landed));
    auto proof = l.ProveRecord(key);
    ASSERT_TRUE(proof.ok());
    EXPECT_TRUE(ledger::VerifyRecordProof(*l.StateRoot(), key, record, *proof));
  }
  // No later block carries the same evidence again.
  const uint64_t top = c.MinHeight();
  for (uint64_t h = landed_at + 1; h <= top; ++h) {
    for (const auto& e : c.Block(0, h).evidence) EXPECT_NE(e, *landed) << "again at " << h;
  }
}

}  // namespace
}  // namespace hito::node::chain
