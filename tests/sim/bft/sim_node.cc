#include "tests/sim/bft/sim_node.h"

#include <leveldb/env.h>
#include <leveldb/helpers/memenv.h>

namespace hito::sim {

SimMachine::SimMachine()
    : disk(std::make_unique<node::io::MemEnv>()),
      store_disk(leveldb::NewMemEnv(leveldb::Env::Default())),
      clock(std::make_unique<node::io::ManualClock>()) {}
SimMachine::~SimMachine() = default;
SimMachine::SimMachine(SimMachine&&) noexcept = default;
SimMachine& SimMachine::operator=(SimMachine&&) noexcept = default;

ChainStack::~ChainStack() {
  app.reset();
  if (events) events->Shutdown();
  events.reset();
  mempool.reset();
  store.reset();
}

Result<std::unique_ptr<ChainStack>> OpenChainStack(SimMachine* machine,
                                                   const consensus::ledger::Genesis& genesis,
                                                   const Hash32& genesis_hash) {
  auto stack = std::make_unique<ChainStack>();
  HITO_ASSIGN_OR_RETURN(
      stack->store, node::store::Store::Open(machine->home + "/data", machine->store_disk.get()));
  HITO_ASSIGN_OR_RETURN(node::chain::ChainTip tip,
                        node::chain::RecoverChain(stack->store.get(), genesis, genesis_hash));
  node::store::Store* store = stack->store.get();
  stack->mempool = std::make_unique<node::mempool::Mempool>(
      genesis.chain_id, node::mempool::MempoolLimits{}, store->State(),
      [store](const Hash32& h) { return store->GetTx(h); });
  stack->events = std::make_unique<node::chain::CommitEvents>(16);
  stack->app = std::make_unique<node::chain::ChainApp>(genesis.chain_id, std::move(tip), store,
                                                       stack->mempool.get(), stack->events.get());
  return stack;
}

}  // namespace hito::sim
