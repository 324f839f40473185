// Block events: what a committed block's executed registrations, revocations, claims and
// governance proposals did, and what governance did at the block's start, in the form the
// RPC serves them (hito.v1.BlockEvent).
//
// The events need facts the transactions and their results do not carry (the index an
// identity got, whether a registration renewed an identity, a proposal's index), and the
// latest state cannot recover all of them later: a registration and a renewal of the same
// point in one epoch look alike once both are committed. So ChainApp computes them once,
// in FinalizeBlock, from the state before the block, the block's writes and what the
// ledger reports of the block's start (BlockOutcome::governance), and the Store keeps
// them with the block (b/evt/<height>, written in the block batch, only for blocks that
// have any).
//
// Order: first the block-start events (an epoch's first block, before any transaction:
// queued parameter changes applied or dropped, then per proposal decided at a round's
// close its decision and, if it passed, its execution, then the round opened), then the
// transactions' events in block order. Block-start events belong to no transaction.
//
// Encoding (node-internal, versioned): version:u8(=2) count:u32, then per event kind:u8,
// tx_index:u32 for the transaction kinds (1..4) only, and the kind's fields in the order
// of the struct below (EncodeBlockEvents). Version 1 (kinds 1..3, every field of every
// kind) is still read. Pure; thread-safe.
#ifndef HITO_NODE_CHAIN_BLOCK_EVENTS_H_
#define HITO_NODE_CHAIN_BLOCK_EVENTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "consensus/ledger/governance.h"
#include "consensus/ledger/kv.h"
#include "consensus/ledger/ledger.h"
#include "consensus/ledger/tx_result.h"
#include "consensus/types/personhood.h"
#include "consensus/types/transaction.h"

namespace hito::node::chain {

struct BlockEvent {
  enum class Kind : uint8_t {
    kRegistration = 1,
    kRevocation = 2,
    kClaim = 3,
    kProposalSubmitted = 4,
    // At the block's start (IsBlockStart): no transaction, tx_index 0.
    kParamChange = 5,
    kProposalDecided = 6,
    kProposalExecuted = 7,
    kRoundOpened = 8,
  };
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
  // Claim; a parameter change's epoch (the one it was due at); a round's start epoch.
  uint64_t epoch = 0;
  Hash32 nullifier{};
  consensus::types::AccountId recipient{};
  uint64_t amount = 0;
  // Proposal submitted, decided, executed: its round (submitted in) and index. Round
  // opened: the round.
  uint64_t round = 0;
  uint32_t proposal = 0;
  consensus::types::AccountId proposer{};  // submitted
  uint8_t action_tag = 0;                  // submitted, executed (types::ActionTag)
  uint64_t deposit = 0;                    // submitted, decided
  // Decided: kNoQuorum, kRejected, or (passed) kExecuted / kNotExecuted; the tally and
  // ballots of the voting round, its live count, and whether the deposit was minted back.
  consensus::ledger::ProposalOutcome outcome = consensus::ledger::ProposalOutcome::kOpen;
  int64_t tally = 0;
  uint64_t ballots = 0;
  uint64_t live = 0;  // also a round's live identities when it opened
  bool refunded = false;
  // Executed (a passed proposal): executed or not, the reason code and message if not,
  // and when it takes effect (ledger::governance::ProposalClosed).
  bool executed = false;
  consensus::ledger::TxCode reason = consensus::ledger::TxCode::kOk;
  std::string why;  // also a dropped parameter change's; at most kEventWhyMaxBytes
  uint64_t from_epoch = 0;
  uint64_t from_height = 0;
  // Parameter change.
  uint16_t param = 0;
  uint64_t value = 0;
  bool applied = false;
  // Round opened (its start epoch in `epoch`, its live count in `live`).
  uint64_t round_epochs = 0;
  uint64_t voice_credits = 0;
  uint32_t proposals = 0;  // of the round before it: what it votes on
  friend bool operator==(const BlockEvent&, const BlockEvent&) = default;
};

inline constexpr size_t kEventWhyMaxBytes = 1024;

// Whether events of `kind` come from the block's start rather than a transaction.
inline bool IsBlockStart(BlockEvent::Kind kind) { return kind >= BlockEvent::Kind::kParamChange; }

// The events of a block: those of `governance` (what the ledger reports of the block's
// start), then those of the executed (result OK) personhood transactions and governance
// proposals, in block order. `before` is the committed state the block was applied to and
// `changes` the block's writes; `txs` and `results` are parallel. No events (and no state
// read) for a block with neither.
Result<std::vector<BlockEvent>> ComputeBlockEvents(
    std::string_view chain_id, const consensus::ledger::KvReader& before,
    const consensus::ledger::ChangeSet& changes,
    const std::vector<consensus::types::Transaction>& txs,
    const std::vector<consensus::ledger::TxResult>& results,
    const consensus::ledger::GovernanceBlockStart& governance);

Bytes EncodeBlockEvents(const std::vector<BlockEvent>& events);     // empty for no events
Result<std::vector<BlockEvent>> DecodeBlockEvents(ByteView bytes);  // strict; kDataLoss

}  // namespace hito::node::chain

#endif  // HITO_NODE_CHAIN_BLOCK_EVENTS_H_
