// genesis.json <-> consensus::ledger::Genesis, and the genesis hash every node agrees on.
//
// Pure functions (GenesisTimeMsOrNow reads the wall clock); errors are values; thread-safe.
#ifndef HITO_NODE_CONFIG_GENESIS_JSON_H_
#define HITO_NODE_CONFIG_GENESIS_JSON_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"
#include "consensus/ledger/ledger.h"

namespace hito::node::config {

// The shortest DKG phase genesis.json and `hitod testnet` accept: a message must reach the
// proposer by gossip and, when it misses a block, be resubmitted (after 3 blocks) inside
// its phase. The ledger itself takes any phase of at least 1 block.
inline constexpr uint64_t kDkgPhaseBlocksMinConfig = 4;

// genesis.json <-> ledger::Genesis. Accounts are bech32m addresses, balances integers of
// base units, validator keys hex. An optional "validator_schedule" lists later sets:
//   [{"height": H, "validators": [{"public_key": hex, "power": n}, ...]}, ...]
// checked strictly (no other keys, heights >= 2 and increasing, each set valid).
std::string GenesisToJson(const consensus::ledger::Genesis& genesis);
Result<consensus::ledger::Genesis> ParseGenesisJson(std::string_view text);
// BLAKE2b-256 "hito/v1/genesis" over the genesis file bytes.
Hash32 GenesisHash(std::string_view genesis_file_bytes);

// The genesis time of a new chain: `requested_ms`, or the wall clock now when it is 0
// (init and testnet take a fixed time only for reproducible tests).
uint64_t GenesisTimeMsOrNow(uint64_t requested_ms);

}  // namespace hito::node::config

#endif  // HITO_NODE_CONFIG_GENESIS_JSON_H_
