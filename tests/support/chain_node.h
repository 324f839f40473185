// One validator's node parts for the consensus tests (a LevelDB Store, the Mempool, the
// CommitEvents and the real ChainApp over a genesis, and the BftDriver or BftEngine that
// runs on them), the round timeouts those tests run with, a block as the next proposer
// would build it, and EngineCluster: n BftEngines on their own threads, each on a home
// that outlives its parts, over one ConsensusMesh. Every wait is bounded.
#ifndef HITO_TESTS_SUPPORT_CHAIN_NODE_H_
#define HITO_TESTS_SUPPORT_CHAIN_NODE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/ed25519.h"
#include "base/status.h"
#include "consensus/ledger/ledger.h"
#include "node/chain/bft_driver.h"
#include "node/chain/bft_engine.h"
#include "node/chain/chain_app.h"
#include "node/chain/commit_events.h"
#include "node/mempool/mempool.h"
#include "node/store/store.h"
#include "tests/support/consensus_mesh.h"
#include "tests/support/temp_dir.h"

namespace hito::testing {

// Destroyed in a safe order: the engine is stopped and the driver closed before the
// parts they use.
struct ChainNode {
  std::unique_ptr<node::store::Store> store;
  std::unique_ptr<node::mempool::Mempool> mempool;
  std::unique_ptr<node::chain::CommitEvents> events;
  std::unique_ptr<node::chain::ChainApp> app;
  std::unique_ptr<node::chain::BftDriver> driver;  // a test on simulated time runs one of these,
  std::unique_ptr<node::chain::BftEngine> engine;  // a threaded test the other
  ~ChainNode();
};

// Opens (creating) the store in `data_dir` (its parent is created too), recovers the
// chain of `genesis` and builds the parts over it; no driver or engine yet.
std::unique_ptr<ChainNode> OpenChainNode(const std::filesystem::path& data_dir,
                                         const consensus::ledger::Genesis& genesis);

// Short round timeouts (propose 400 + 100 per round, prevote and precommit 200 + 100),
// gossip every 200 ms and a 50 ms commit wait: a 4-validator chain decides a height in
// well under a second.
node::chain::BftEngineOptions FastBftOptions();

// A valid block for the height after `app`'s tip holding `txs` (default: none), built as
// `proposer` would build it, dated `time_ms`.
consensus::types::Block NextBlock(const node::chain::ChainApp& app, const std::string& chain_id,
                                  const Ed25519PublicKey& proposer, uint64_t time_ms,
                                  std::vector<Bytes> txs = {});

// Executes `block` (FinalizeBlock) and commits it with `validator`'s precommit alone, as
// a one-validator chain decides it; fails the test if execution fails.
void FinalizeAndCommit(node::chain::ChainApp* app, const std::string& chain_id,
                       const Ed25519PrivateKey& validator, const consensus::types::Block& block);

// Deals a dedup key set 1-of-n to g's validators and sets g->dedup_keys (shares wiped),
// with g's registry.dedup_quota_per_epoch: a genesis.json with attesters must hold one.
void WithDedupKeys(consensus::ledger::Genesis* g);

class EngineCluster {
 public:
  // n validators: node i runs as ValidatorKey(i) in Home(i) over a full kImmediate mesh.
  // Nothing is open yet.
  EngineCluster(size_t n, consensus::ledger::Genesis genesis,
                node::chain::BftEngineOptions options = FastBftOptions());
  ~EngineCluster();
  EngineCluster(const EngineCluster&) = delete;
  EngineCluster& operator=(const EngineCluster&) = delete;

  // Opens node i's parts and its engine on its home (not started).
  Status Open(size_t i);
  // Opens node i and starts its engine.
  Status Restart(size_t i);
  // Opens every node, then starts every engine.
  Status StartAll();
  // Stops node i's engine and closes its parts; its home stays.
  void Stop(size_t i);

  bool is_open(size_t i) const { return nodes_[i] != nullptr; }
  ChainNode& node(size_t i) { return *nodes_[i]; }
  size_t size() const { return nodes_.size(); }
  ConsensusMesh& mesh() { return mesh_; }
  const consensus::ledger::Genesis& genesis() const { return genesis_; }
  std::filesystem::path Home(size_t i) const;

  uint64_t Height(size_t i) { return node(i).app->Tip().height; }
  // The lowest height of the open nodes.
  uint64_t MinHeight();
  // Waits (at most `bound`) until every listed node is at `height` or above.
  bool WaitHeight(const std::vector<size_t>& which, uint64_t height, std::chrono::seconds bound);
  // The same for every node.
  bool WaitAll(uint64_t height, std::chrono::seconds bound);

  // Node i's stored block and commit of height h (a missing one is a test failure).
  consensus::types::Block Block(size_t i, uint64_t h);
  consensus::types::Commit CommitOf(size_t i, uint64_t h);

 private:
  TempDir dir_;
  consensus::ledger::Genesis genesis_;
  node::chain::BftEngineOptions options_;
  ConsensusMesh mesh_;
  std::vector<std::unique_ptr<ChainNode>> nodes_;
};

}  // namespace hito::testing

#endif  // HITO_TESTS_SUPPORT_CHAIN_NODE_H_
