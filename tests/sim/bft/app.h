// The application behind each simulated validator: what it puts in blocks, how it judges
// them and how it executes them. Two kinds: the real ledger executing signed transfers
// (when hito_ledger is built) and a minimal deterministic app (a hash chain over the
// transactions) that stands in while it is not. Both live in the process's "durable"
// part: a crash keeps them, as the node's synced LevelDB batches would.
#ifndef HITO_TESTS_SIM_BFT_APP_H_
#define HITO_TESTS_SIM_BFT_APP_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "consensus/types/block.h"
#include "tests/sim/bft/rng.h"

namespace hito::sim {

namespace types = consensus::types;

class App {
 public:
  virtual ~App() = default;
  // Root of the state after the last executed block (the genesis root before any).
  virtual Hash32 StateRoot() const = 0;
  // Transactions for the next block built by process `proc` (twins differ by `proc`).
  virtual std::vector<Bytes> BuildTxs(uint32_t proc, Rng& rng) = 0;
  // Stateless checks of a proposed block's transactions (format, size).
  virtual Status CheckTxs(const std::vector<Bytes>& txs) const = 0;
  // Executes the block on top of the state; returns the new root.
  virtual Result<Hash32> Execute(const types::BlockHeader& header,
                                 const std::vector<Bytes>& txs) = 0;
  // Transactions executed successfully so far (a rejected transfer changes nothing).
  virtual uint64_t txs_ok() const = 0;
  // "ledger" or "minimal".
  virtual std::string_view kind() const = 0;
};

// Creates the app every process of one simulation runs (same genesis for all).
std::unique_ptr<App> MakeApp(const std::string& chain_id, uint64_t genesis_seed);

}  // namespace hito::sim

#endif  // HITO_TESTS_SIM_BFT_APP_H_
