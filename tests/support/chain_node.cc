#include "tests/support/chain_node.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <utility>

#include "base/assert.h"
#include "node/config/dedup_keys.h"
#include "tests/support/keys.h"
#include "tests/support/votes.h"

namespace hito::testing {

namespace types = consensus::types;

ChainNode::~ChainNode() {
  if (engine) engine->Stop();
  engine.reset();
  driver.reset();
  if (events) events->Shutdown();
}

std::unique_ptr<ChainNode> OpenChainNode(const std::filesystem::path& data_dir,
                                         const consensus::ledger::Genesis& genesis) {
  auto n = std::make_unique<ChainNode>();
  std::filesystem::create_directories(data_dir.parent_path());
  n->store = node::store::Store::Open(data_dir).value();
  node::chain::ChainTip tip = node::chain::RecoverChain(n->store.get(), genesis, Hash32{1}).value();
  node::store::Store* store = n->store.get();
  n->mempool = std::make_unique<node::mempool::Mempool>(
      genesis.chain_id, node::mempool::MempoolLimits{}, store->State(),
      [store](const Hash32& h) { return store->GetTx(h); });
  n->events = std::make_unique<node::chain::CommitEvents>(1000);
  n->app = std::make_unique<node::chain::ChainApp>(genesis.chain_id, std::move(tip), store,
                                                   n->mempool.get(), n->events.get());
  return n;
}

node::chain::BftEngineOptions FastBftOptions() {
  node::chain::BftEngineOptions o;
  o.bft.timeouts.propose_base_ms = 400;
  o.bft.timeouts.propose_delta_ms = 100;
  o.bft.timeouts.prevote_base_ms = 200;
  o.bft.timeouts.prevote_delta_ms = 100;
  o.bft.timeouts.precommit_base_ms = 200;
  o.bft.timeouts.precommit_delta_ms = 100;
  o.gossip_interval_ms = 200;
  o.commit_wait_ms = 50;
  return o;
}

types::Block NextBlock(const node::chain::ChainApp& app, const std::string& chain_id,
                       const Ed25519PublicKey& proposer, uint64_t time_ms, std::vector<Bytes> txs) {
  const node::chain::ChainTip tip = app.Tip();
  types::Block b;
  b.txs = std::move(txs);
  types::BlockHeader& h = b.header;
  h.chain_id = chain_id;
  h.height = tip.height + 1;
  h.time_ms = time_ms;
  h.prev_hash = tip.block_hash;
  h.tx_root = types::TxRoot(b.txs);
  h.app_hash = tip.state_root;
  h.validators_hash = app.ValidatorSetAt(h.height)->Hash();
  h.next_validators_hash = app.ValidatorSetAt(h.height + 1)->Hash();
  b.last_commit = tip.last_commit;
  h.last_commit_hash = types::CommitHash(b.last_commit);
  h.evidence_hash = types::EvidenceHash(b.evidence);
  h.proposer = proposer;
  return b;
}

void FinalizeAndCommit(node::chain::ChainApp* app, const std::string& chain_id,
                       const Ed25519PrivateKey& validator, const types::Block& block) {
  Result<node::chain::FinalizedBlock> fin = app->FinalizeBlock(block);
  ASSERT_TRUE(fin.ok()) << fin.status().ToString();
  const types::Vote vote = SignedVote(chain_id, validator, types::VoteType::kPrecommit,
                                      block.header.height, 0, fin->block_hash);
  types::Commit commit;
  commit.height = block.header.height;
  commit.block_hash = fin->block_hash;
  commit.signatures.push_back({types::CommitFlag::kCommit, vote.signature});
  app->Commit(block, commit, std::move(fin).value());
}

EngineCluster::EngineCluster(size_t n, consensus::ledger::Genesis genesis,
                             node::chain::BftEngineOptions options)
    : genesis_(std::move(genesis)),
      options_(options),
      mesh_(n, ConsensusMesh::Delivery::kImmediate),
      nodes_(n) {
  mesh_.FullMesh();
}

EngineCluster::~EngineCluster() {
  for (auto& n : nodes_) n.reset();
}

std::filesystem::path EngineCluster::Home(size_t i) const {
  return dir_.path() / ("node" + std::to_string(i));
}

Status EngineCluster::Open(size_t i) {
  HITO_ASSERT(i < nodes_.size());
  nodes_[i].reset();
  auto n = OpenChainNode(Home(i) / "data", genesis_);
  HITO_ASSIGN_OR_RETURN(n->engine, node::chain::BftEngine::Open(
                                       Home(i), genesis_.chain_id, ValidatorKey(i), n->app.get(),
                                       n->store.get(), mesh_.port(i), options_));
  nodes_[i] = std::move(n);
  return Status::Ok();
}

Status EngineCluster::Restart(size_t i) {
  HITO_RETURN_IF_ERROR(Open(i));
  nodes_[i]->engine->Start();
  return Status::Ok();
}

Status EngineCluster::StartAll() {
  for (size_t i = 0; i < nodes_.size(); ++i) HITO_RETURN_IF_ERROR(Open(i));
  for (auto& n : nodes_) n->engine->Start();
  return Status::Ok();
}

void EngineCluster::Stop(size_t i) { nodes_[i].reset(); }

uint64_t EngineCluster::MinHeight() {
  uint64_t m = UINT64_MAX;
  for (auto& n : nodes_) {
    if (n) m = std::min(m, n->app->Tip().height);
  }
  return m;
}

bool EngineCluster::WaitHeight(const std::vector<size_t>& which, uint64_t height,
                               std::chrono::seconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    bool all = true;
    for (size_t i : which) all = all && Height(i) >= height;
    if (all) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

bool EngineCluster::WaitAll(uint64_t height, std::chrono::seconds bound) {
  std::vector<size_t> all;
  for (size_t i = 0; i < nodes_.size(); ++i) all.push_back(i);
  return WaitHeight(all, height, bound);
}

types::Block EngineCluster::Block(size_t i, uint64_t h) {
  auto raw = nodes_[i]->store->GetBlock(h);
  EXPECT_TRUE(raw.ok() && raw->has_value()) << "node " << i << " lacks block " << h;
  return types::DecodeBlock(**raw).value();
}

types::Commit EngineCluster::CommitOf(size_t i, uint64_t h) {
  auto raw = nodes_[i]->store->GetCommit(h);
  EXPECT_TRUE(raw.ok() && raw->has_value());
  return types::DecodeCommit(**raw).value();
}

void WithDedupKeys(consensus::ledger::Genesis* g) {
  std::vector<Ed25519PublicKey> holders;
  for (const consensus::types::Validator& v : g->validators.validators()) {
    holders.push_back(v.public_key);
  }
  auto dealt = node::config::DealDedupKeys(holders, 1);
  HITO_ASSERT(dealt.ok());
  dealt->Wipe();
  dealt->keys.quota_per_epoch = g->registry.dedup_quota_per_epoch;  // one value (ledger.h)
  g->dedup_keys = dealt->keys;
}

}  // namespace hito::testing
