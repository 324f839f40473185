// ChainApp: the Application over the ledger, the store, the mempool and CommitEvents.
//
// Also holds the node's recovery step (Recover): run once at start, before any engine,
// it writes genesis state on a fresh database and re-applies a stored block whose state
// batch did not land (a crash between the two synced batches).
#ifndef HITO_NODE_CHAIN_CHAIN_APP_H_
#define HITO_NODE_CHAIN_CHAIN_APP_H_

#include <memory>
#include <string>

#include "base/mutex.h"
#include "node/chain/application.h"
#include "node/chain/commit_events.h"
#include "node/mempool/mempool.h"
#include "node/store/store.h"

namespace hito::node::chain {

// Brings the store to a consistent state for `genesis` (hash `genesis_hash`) and returns
// the tip. Fails if the store belongs to another genesis or is inconsistent.
Result<ChainTip> RecoverChain(store::Store* store, const consensus::ledger::Genesis& genesis,
                              const Hash32& genesis_hash);

// The block batch of a finalized block: block and commit bytes, hash index, tx index with
// each transaction's result.
store::BlockRecord MakeBlockRecord(const consensus::types::Block& block,
                                   const consensus::types::Commit& commit,
                                   const FinalizedBlock& finalized);

class ChainApp : public Application {
 public:
  // None of the pointers is owned; all must outlive this.
  ChainApp(std::string chain_id, ChainTip tip, store::Store* store, mempool::Mempool* mempool,
           CommitEvents* events);

  // Where claim and ballot proofs get their prepared sets (default: built on every use); `sets`
  // must outlive this. Call before the engine starts.
  void SetPreparedSets(consensus::ledger::PreparedSets* sets);

  ChainTip Tip() const override;
  std::vector<Bytes> PrepareProposal(uint32_t max_txs, uint64_t max_bytes) override;
  Result<consensus::types::ValidatorSet> ValidatorSetAt(uint64_t height) const override;
  Status ProcessProposal(const consensus::types::Block& block) const override;
  Result<FinalizedBlock> FinalizeBlock(const consensus::types::Block& block) override;
  void Commit(const consensus::types::Block& block, const consensus::types::Commit& commit,
              FinalizedBlock finalized) override;

 private:
  // ProcessProposal's membership-proof rules: at most max_claims_per_block claims and
  // ballots together, and the proofs not verified here before verified in batches
  // (kFirstInvalid) against `state`; the first bad proof refuses the block. Verified
  // claims and ballots are remembered for FinalizeBlock.
  Status CheckMembershipProofs(const consensus::types::Block& block,
                               const consensus::ledger::KvReader* state) const;

  const std::string chain_id_;
  store::Store* store_;
  mempool::Mempool* mempool_;
  CommitEvents* events_;
  // The executor's long-lived ledger over the live state (engine thread only): its
  // execution cache carries decoded accounts and tree pages from block to block.
  std::shared_ptr<const store::StateView> live_state_;
  consensus::ledger::Ledger exec_ledger_;
  consensus::ledger::PreparedSets* sets_ = nullptr;
  mutable Mutex mu_;
  ChainTip tip_ GUARDED_BY(mu_);
};

}  // namespace hito::node::chain

#endif  // HITO_NODE_CHAIN_CHAIN_APP_H_
