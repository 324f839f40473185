// Block events: what a committed block's executed registrations, revocations and claims
// did, in the form the RPC serves them (hito.v1.BlockEvent).
//
// The events need facts the transactions and their results do not carry (the index an
// identity got, whether a registration renewed an identity), and the latest state cannot
// recover all of them later: a registration and a renewal of the same point in one epoch
// look alike once both are committed. So ChainApp computes them once, in FinalizeBlock,
// from the state before the block and the block's writes, and the Store keeps them with
// the block (b/evt/<height>, written in the block batch, only for blocks that have any).
//
// Encoding (node-internal, versioned): version:u8 count:u32, then per event kind:u8
// tx_index:u32 and its fields in the order of the struct below. Pure; thread-safe.
#ifndef HITO_NODE_CHAIN_BLOCK_EVENTS_H_
#define HITO_NODE_CHAIN_BLOCK_EVENTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "consensus/ledger/kv.h"
#include "consensus/ledger/tx_result.h"
#include "consensus/types/personhood.h"
#include "consensus/types/transaction.h"

namespace hito::node::chain {

struct BlockEvent {
  enum class Kind : uint8_t { kRegistration = 1, kRevocation = 2, kClaim = 3 };
  Kind kind = Kind::kRegistration;
  uint32_t tx_index = 0;
  // Registration and revocation.
  consensus::types::IdentityPoint identity{};
  uint64_t index = 0;
  // Registration.
  uint32_t cohort = 0;  // also a claim's cohort
  bool renewal = false;
  uint64_t expiry_epoch = 0;
  uint64_t first_claim_epoch = 0;
  // Claim.
  uint64_t epoch = 0;
  Hash32 nullifier{};
  consensus::types::AccountId recipient{};
  uint64_t amount = 0;
  friend bool operator==(const BlockEvent&, const BlockEvent&) = default;
};

// The events of the executed (result OK) personhood transactions of a block, in block
// order. `before` is the committed state the block was applied to and `changes` the
// block's writes; `txs` and `results` are parallel. No events (and no state read) for a
// block without personhood transactions.
Result<std::vector<BlockEvent>> ComputeBlockEvents(
    std::string_view chain_id, const consensus::ledger::KvReader& before,
    const consensus::ledger::ChangeSet& changes,
    const std::vector<consensus::types::Transaction>& txs,
    const std::vector<consensus::ledger::TxResult>& results);

Bytes EncodeBlockEvents(const std::vector<BlockEvent>& events);     // empty for no events
Result<std::vector<BlockEvent>> DecodeBlockEvents(ByteView bytes);  // strict; kDataLoss

}  // namespace hito::node::chain

#endif  // HITO_NODE_CHAIN_BLOCK_EVENTS_H_
