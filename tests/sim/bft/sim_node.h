// One simulated validator's machine: what survives a crash (its disks and its clock) and
// the real node stack over them (Store on LevelDB's in-memory env, Mempool, CommitEvents,
// ChainApp), opened the way hitod opens it (RecoverChain first, then the application).
//
// The consensus files (WAL, signer record) live on an io::MemEnv, which models power
// loss: Crash() keeps only synced bytes (optionally a torn piece of an unsynced tail) and
// only synced directory entries. The Store's LevelDB lives on leveldb::NewMemEnv, which
// never loses a written byte; that is exact for the Store, whose every write is a synced
// batch.
#ifndef HITO_TESTS_SIM_BFT_SIM_NODE_H_
#define HITO_TESTS_SIM_BFT_SIM_NODE_H_

#include <memory>
#include <string>

#include "base/status.h"
#include "consensus/ledger/ledger.h"
#include "node/chain/chain_app.h"
#include "node/chain/commit_events.h"
#include "node/io/clock.h"
#include "node/io/env.h"
#include "node/mempool/mempool.h"
#include "node/store/store.h"

namespace leveldb {
class Env;
}

namespace hito::sim {

// Durable: one per validator process for the whole run.
struct SimMachine {
  SimMachine();
  ~SimMachine();
  SimMachine(SimMachine&&) noexcept;
  SimMachine& operator=(SimMachine&&) noexcept;

  std::unique_ptr<node::io::MemEnv> disk;  // consensus WAL and signer record
  std::unique_ptr<leveldb::Env> store_disk;
  std::unique_ptr<node::io::ManualClock> clock;
  std::string home;  // a path on both disks, e.g. "/sim/p3"
};

// Volatile: lost in a crash. Destroyed in reverse order of construction.
struct ChainStack {
  ~ChainStack();
  std::unique_ptr<node::store::Store> store;
  std::unique_ptr<node::mempool::Mempool> mempool;
  std::unique_ptr<node::chain::CommitEvents> events;
  std::unique_ptr<node::chain::ChainApp> app;
};

// Opens the store on `machine`, writes genesis on first use or re-applies a block whose
// state batch was lost, and builds the application over it.
Result<std::unique_ptr<ChainStack>> OpenChainStack(SimMachine* machine,
                                                   const consensus::ledger::Genesis& genesis,
                                                   const Hash32& genesis_hash);

}  // namespace hito::sim

#endif  // HITO_TESTS_SIM_BFT_SIM_NODE_H_
