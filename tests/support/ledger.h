// Ledger test helpers: block headers at a height (the ledger reads only the chain id,
// the height and the time), and the state root recomputed from scratch over every
// consensus record in a store, to check a ledger's incremental root against.
#ifndef HITO_TESTS_SUPPORT_LEDGER_H_
#define HITO_TESTS_SUPPORT_LEDGER_H_

#include <cstdint>
#include <string>

#include "base/hash.h"
#include "consensus/ledger/kv.h"
#include "consensus/types/block.h"

namespace hito::testing {

// A header of `chain_id` at `height`, dated kGenesisTimeMs + height seconds.
consensus::types::BlockHeader HeaderAt(const std::string& chain_id, uint64_t height);

// The root of a fresh state tree over every consensus record of `kv` (the tree's own
// pages and the node's metadata left out).
Hash32 RootFromRecords(const consensus::ledger::MemoryKv& kv);

}  // namespace hito::testing

#endif  // HITO_TESTS_SUPPORT_LEDGER_H_
