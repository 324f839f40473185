#include "tests/support/ledger.h"

#include "consensus/ledger/records.h"
#include "consensus/ledger/state_tree.h"
#include "tests/support/genesis.h"

namespace hito::testing {

namespace ledger = consensus::ledger;

consensus::types::BlockHeader HeaderAt(const std::string& chain_id, uint64_t height) {
  consensus::types::BlockHeader h;
  h.chain_id = chain_id;
  h.height = height;
  h.time_ms = kGenesisTimeMs + height * 1000;
  return h;
}

Hash32 RootFromRecords(const ledger::MemoryKv& kv) {
  ledger::TreeBatch batch;
  for (const auto& [k, v] : kv.entries()) {
    if (k[0] == 't' || k[0] == 'm') continue;
    batch[ledger::StateTreeKey(k)] = ledger::StateValueHash(v);
  }
  ledger::MemoryKv fresh;
  ledger::ChangeSet changes;
  return *ledger::StateTree(&fresh).Update(batch, &changes);
}

}  // namespace hito::testing
