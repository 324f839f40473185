// The application boundary between block production (an Engine) and execution, shaped
// after ABCI++: PrepareProposal (proposer picks transactions), ProcessProposal (a
// validator checks a proposed block before voting), FinalizeBlock (execute a decided
// block, in memory), Commit (persist in durability order, then tell the mempool and
// subscribers). SoloEngine drives it for a single validator; BftDriver drives the same
// calls from the Tendermint engine's decisions.
//
// Calls to FinalizeBlock and Commit come from one thread (the engine's), in height
// order; Tip may be called from any thread.
#ifndef HITO_NODE_CHAIN_APPLICATION_H_
#define HITO_NODE_CHAIN_APPLICATION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "consensus/ledger/ledger.h"
#include "consensus/types/block.h"

namespace hito::node::chain {

// The last committed block, as the next one builds on it.
struct ChainTip {
  uint64_t height = 0;                   // 0 = genesis only
  Hash32 block_hash{};                   // zero at height 0
  uint64_t time_ms = 0;                  // block time (genesis time at height 0)
  Hash32 state_root{};                   // state root after `height`: app_hash of the next header
  consensus::types::Commit last_commit;  // the commit of `height` (empty at 0)
};

// A block executed but not yet committed.
struct FinalizedBlock {
  Hash32 block_hash{};
  std::vector<Hash32> tx_hashes;
  std::vector<consensus::types::AccountId> senders;  // zero for non-transfer kinds
  consensus::ledger::BlockOutcome outcome;
  Bytes events;           // EncodeBlockEvents of the block's events (block_events.h); empty: none
  double execute_ms = 0;  // time FinalizeBlock took, for the commit log line
};

class Application {
 public:
  virtual ~Application() = default;

  virtual ChainTip Tip() const = 0;
  // Canonical transaction bytes for the next block, within the limits.
  virtual std::vector<Bytes> PrepareProposal(uint32_t max_txs, uint64_t max_bytes) = 0;
  // The validator set of `height` as the committed state fixes it (consensus/ledger/
  // validators.h): known up to Tip().height + 2. The engine starts each height with it,
  // and block sync verifies each commit against it. The default (test doubles that run no
  // consensus) knows no set.
  virtual Result<consensus::types::ValidatorSet> ValidatorSetAt(uint64_t height) const {
    return UnimplementedError("no validator set for height " + std::to_string(height));
  }
  // Accepts a proposed block for the next height or says why not: header against the
  // tip and the state (including validators_hash = set of h, next_validators_hash = set
  // of h + 1), and the block's evidence (validators.h, CheckEvidence).
  virtual Status ProcessProposal(const consensus::types::Block& block) const = 0;
  // Executes a decided block on the committed state; nothing is persisted.
  virtual Result<FinalizedBlock> FinalizeBlock(const consensus::types::Block& block) = 0;
  // Persists the block and its commit (one synced batch), then the state changes (a
  // second synced batch), then updates the tip, the mempool and the subscribers. A
  // storage failure here stops the process: the node cannot continue consistently.
  virtual void Commit(const consensus::types::Block& block, const consensus::types::Commit& commit,
                      FinalizedBlock finalized) = 0;
};

}  // namespace hito::node::chain

#endif  // HITO_NODE_CHAIN_APPLICATION_H_
