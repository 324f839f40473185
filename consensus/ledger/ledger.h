// The ledger: hito's deterministic state machine.
//
// It is a set of modules (today the bank; later registry, ubi, governance, params) behind
// one Apply. It reads state through a KvReader, does no I/O, reads no clock and uses no
// randomness: the same blocks give the same state root on every node. It is not
// thread-safe; the node serialises calls.
#ifndef HITO_CONSENSUS_LEDGER_LEDGER_H_
#define HITO_CONSENSUS_LEDGER_LEDGER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "consensus/ledger/demurrage.h"
#include "consensus/ledger/dkg.h"
#include "consensus/ledger/governance.h"
#include "consensus/ledger/kv.h"
#include "consensus/ledger/registry.h"
#include "consensus/ledger/state_tree.h"
#include "consensus/ledger/tx_result.h"
#include "consensus/ledger/ubi.h"
#include "consensus/ledger/validators.h"
#include "consensus/types/block.h"
#include "consensus/types/transaction.h"

namespace hito::consensus::ledger {

struct GenesisAccount {
  types::AccountId account{};
  uint64_t balance = 0;
};

// The default epoch length: one day of 5-second blocks.
inline constexpr uint64_t kDefaultEpochBlocks = 17'280;

struct Params {
  uint64_t min_fee = 1000;  // base units per transaction; burned
  // Blocks per epoch: block h is in epoch h / epoch_blocks (>= 1).
  uint64_t epoch_blocks = kDefaultEpochBlocks;
  // Balances shrink by this many parts per million per epoch (demurrage.h); 0 turns
  // demurrage off, and then no record carries an epoch (the state is byte for byte that
  // of a ledger without demurrage).
  uint32_t demurrage_ppm_per_epoch = 0;
  friend bool operator==(const Params&, const Params&) = default;
};

// The epoch of block `height` under `params`: the one definition of an epoch, used by
// demurrage, the registry's snapshots and UBI claims alike.
inline uint64_t EpochOf(const Params& params, uint64_t height) {
  return height / params.epoch_blocks;
}
// Whether block `height` is the first of its epoch (where snapshots freeze and closed
// epochs are pruned). Genesis (height 0) opens epoch 0 and runs no block logic.
inline bool IsEpochStart(const Params& params, uint64_t height) {
  return height >= 1 && height % params.epoch_blocks == 0;
}

struct Genesis {
  std::string chain_id;
  uint64_t time_ms = 0;
  types::ValidatorSet validators;
  // Later sets fixed in advance (validators.h); heights >= 2, strictly increasing.
  std::vector<ValidatorSetChange> validator_schedule;
  std::vector<GenesisAccount> accounts;
  Params params;
  // The personhood registry (registry.h) and UBI claims (ubi.h) are enabled iff genesis
  // accredits at least one attester; without attesters `registry` and `ubi` are ignored
  // and registrations, revocations and claims are refused as TX_UNSUPPORTED_KIND.
  std::vector<Ed25519PublicKey> attesters;
  RegistryParams registry;
  UbiParams ubi;
  // Identities registered at genesis (registry::GenesisIdentities; needs attesters): in
  // the snapshots from epoch 0, so they claim at once. For test and benchmark chains.
  std::vector<GenesisIdentity> identities;
  // Governance (governance.h; needs attesters): enabled iff set. Without it proposals and
  // ballots are TX_UNSUPPORTED_KIND and no g/ record exists.
  std::optional<GovernanceParams> governance;
  // The dedup OPRF's keys (see DedupKeySet): required with attesters, refused without.
  // With attesters, its quota_per_epoch must equal registry.dedup_quota_per_epoch.
  std::optional<DedupKeySet> dedup_keys;
  // Instead of dedup_keys, a DKG among the genesis validators opened at genesis (dkg.h;
  // genesis.json's "dedup_dkg").
  std::optional<DkgGenesis> dedup_dkg;
};

struct Account {
  uint64_t balance = 0;
  uint64_t nonce = 0;  // number of transactions this account has sent
  // The epoch `balance` is valid at: in a record, the epoch it was last settled at (always
  // 0 while demurrage is off); from GetAccount, the epoch of the committed height.
  uint64_t epoch = 0;
  friend bool operator==(const Account&, const Account&) = default;
};

// What governance did at a block's start (an epoch's first block, before any
// transaction), in the order it did it: the queued parameter changes applied or dropped,
// the proposals decided at a round's close (refunds as credited), the round opened. Empty
// at other blocks. Reported for the node's block events; it is not state.
struct GovernanceBlockStart {
  std::vector<governance::ParamChangeApplied> params;
  std::vector<governance::ProposalClosed> closed;
  std::optional<governance::RoundOpened> opened;
};

// Everything a block changed: the writes to commit and the results to report.
struct BlockOutcome {
  ChangeSet changes;              // includes the state tree's nodes and ledger metadata
  Hash32 state_root{};            // root after the block; goes into header h+1 as app_hash
  std::vector<TxResult> results;  // one per transaction, in block order
  GovernanceBlockStart governance;
};

// Whether the node admits and proposes transactions of `kind`: transfers, registrations,
// revocations, claims, governance proposals and ballots (the node verifies ballot proofs
// at admission and in ProcessProposal as it does claims'). A block holding another kind
// (the reserved kind 7, and kind 8 dkg, which the ledger executes but the node neither
// produces nor answers yet) is refused before voting (the node's ProcessProposal). ApplyBlock
// records any kind it does not execute, the personhood kinds on a chain whose genesis
// enabled no registry and the governance kinds on one without governance, as
// TX_UNSUPPORTED_KIND.
bool TxKindEnabled(types::TxKind kind);

// Whether signatures in a block were already checked (by the mempool, in parallel) so
// execution need not repeat them. Blocks from other validators are applied kUnchecked.
enum class SignatureCheck { kVerify, kAlreadyVerified };

class Ledger {
 public:
  // Writes the genesis state: accounts, params, and the resulting root.
  static Result<BlockOutcome> InitGenesis(const Genesis& genesis);

  // `state` is the committed state after the last applied block; it must outlive this.
  Ledger(std::string chain_id, const KvReader* state);
  ~Ledger();
  // Copies share nothing: a copy starts with an empty execution cache.
  Ledger(const Ledger& other);
  Ledger& operator=(const Ledger& other);
  Ledger(Ledger&&) noexcept;
  Ledger& operator=(Ledger&&) noexcept;

  // Root of the committed state (read from the state's metadata).
  Result<Hash32> StateRoot() const;
  // Height of the last applied block (0 after genesis).
  Result<uint64_t> Height() const;
  // The account with its balance evaluated (demurrage applied) at the epoch of Height().
  Result<Account> GetAccount(const types::AccountId& id) const;
  Result<Params> GetParams() const;
  // The registry's parameters; nullopt when genesis enabled no registry.
  Result<std::optional<RegistryParams>> GetRegistryParams() const;
  // UBI's parameters; nullopt when genesis enabled no registry.
  Result<std::optional<UbiParams>> GetUbiParams() const;
  // Governance's parameters; nullopt when genesis enabled no governance.
  Result<std::optional<GovernanceParams>> GetGovernanceParams() const;
  // Total supply at Height(). Without demurrage it is exactly the sum of all balances
  // (fees are burned, so it only falls until the ubi module mints). With demurrage, the
  // sum of every balance from GetAccount is <= Supply() <= that sum + the number of
  // accounts with a nonzero record (docs/protocol/ubi.md, "Supply"): never below, so the
  // supply never hides value, and less than one base unit too high per account.
  Result<uint64_t> Supply() const;
  // A proof of the record at `kv_key` (e.g. AccountKey(id), records.h) or of its absence,
  // against StateRoot(); check it with VerifyRecordProof.
  Result<StateProof> ProveRecord(ByteView kv_key) const;

  // Checks a transaction against the committed state (format rules, chain id, fee,
  // nonce == account nonce + `pending_from_sender`, balance for amount + fee, and the
  // signature unless kAlreadyVerified). Proposals get the same money checks with the
  // deposit, then governance::CheckProposal on the committed state; ballots get
  // PrepareBallot's checks and, unless kAlreadyVerified, their proof verified alone.
  // Registrations and revocations are judged against
  // the committed registry in the next block's epoch (height + 1), without the expiries
  // an epoch's first block applies, and ignore `pending_from_sender` (two pending
  // registrations of one attestation both pass here; the block takes the first). Claims
  // get PrepareClaim's checks and, unless kAlreadyVerified, their proof verified alone.
  // For the mempool; changes nothing.
  TxResult CheckTransaction(const types::Transaction& tx, uint64_t pending_from_sender,
                            SignatureCheck sigs) const;

  // The cheap checks of a claim (ubi::CheckClaim) against the committed state, in the
  // epoch of the committed height: a claim for an epoch whose first block is not
  // committed yet is refused as TX_EPOCH_NOT_OPEN (its snapshot does not exist yet).
  // Verifies nothing: the mempool batches the statements (ubi::VerifyStatements).
  Result<ubi::ClaimCheck> PrepareClaim(const types::Claim& claim) const;
  // The cheap checks of a ballot (governance::CheckBallot) against the committed state,
  // in its current round. Verifies nothing.
  Result<governance::BallotCheck> PrepareBallot(const types::Ballot& ballot) const;

  // Where claim proofs get their prepared sets (default: built on every use). `sets` must
  // outlive this Ledger and its copies; it never changes a result, only the cost.
  void SetPreparedSets(PreparedSets* sets) { sets_ = sets; }
  PreparedSets* prepared_sets() const { return sets_; }

  // Executes a block's transactions in order on top of the committed state. Invalid
  // transactions are recorded with their reject code and change nothing (no fee either);
  // valid ones burn their fee; a valid claim credits ubi_per_epoch to its recipient and
  // spends its nullifier. With kVerify, claim proofs are verified in batches per (set,
  // epoch) before execution; kAlreadyVerified skips them as it skips signatures. The
  // returned changes are not yet committed. `evidence`
  // and `proposal_evidence` (the block's) are checked and recorded by the validators
  // module (validators.h, ValidatorRecords). Fails (non-OK) for content only on another
  // chain's header, a height that does not follow the committed one, more than
  // kBlockMaxTxs transactions or invalid evidence -- each refused first by the node's
  // ProcessProposal, so a decided block never fails here -- and otherwise only on
  // storage errors (kDataLoss for a corrupt record).
  Result<BlockOutcome> ApplyBlock(
      const types::BlockHeader& header, const std::vector<types::Transaction>& txs,
      SignatureCheck sigs, const std::vector<types::DuplicateVoteEvidence>& evidence = {},
      const std::vector<types::ConflictingProposalEvidence>& proposal_evidence = {}) const;

  // Test support: ApplyBlock, then mints each credit (`amount` base units to `to`, in
  // order, after the transactions) the way a UBI claim credits its recipient: the account
  // is settled to the block's epoch, credited, and the supply grows by the amount. A credit
  // that would overflow the balance or the supply fails the call (kInvalidArgument).
  struct CreditForTesting {
    types::AccountId to{};
    uint64_t amount = 0;
  };
  Result<BlockOutcome> ApplyBlockWithCreditsForTesting(
      const types::BlockHeader& header, const std::vector<types::Transaction>& txs,
      const std::vector<CreditForTesting>& credits) const;

  // Additive (execution cache). ApplyBlock keeps, inside this object, a bounded cache of
  // decoded account records and state tree pages (TreePageCache) that survives across
  // blocks, so that a long-lived Ledger reads each record and page from the KvReader
  // once instead of once per block. The cache is keyed on the committed state's root
  // and height: ApplyBlock reads both and drops the cache when they differ from the
  // state it describes, so a stale cache is never used and every result (results,
  // ChangeSet, root) is the same as a cold Ledger's over the same state.
  //
  // The node calls OnCommitted with the outcome of the ApplyBlock it just committed,
  // right after the synced write of outcome.changes to the store this Ledger reads.
  // That moves the block's writes into the cache, so the next block starts warm. If it
  // is not called, or is called with an outcome this Ledger did not produce last, the
  // next ApplyBlock finds a different root and starts cold: correct, only slower.
  // Calling it for an outcome that was not committed is also safe (the root check drops
  // the cache). Only ApplyBlock and OnCommitted touch the cache; the other methods read
  // the KvReader directly.
  void OnCommitted(const BlockOutcome& outcome);
  // Bounds of the cache (defaults: 2^18 accounts, TreePageCache::kDefaultMaxPages
  // pages); setting them drops the cache.
  void SetCacheLimits(size_t max_accounts, size_t max_pages);

 private:
  struct Cache;
  struct BlockStart;

  // ApplyBlock's first step: the block-level checks and what the block starts from.
  Result<BlockStart> StartBlock(
      const types::BlockHeader& header, size_t tx_count,
      const std::vector<types::DuplicateVoteEvidence>& evidence,
      const std::vector<types::ConflictingProposalEvidence>& proposal_evidence,
      RegistryStore* registry) const;
  // The execution cache, cleared unless it describes the state at (root, height).
  Cache& CacheFor(const Hash32& root, uint64_t height) const;
  Result<std::optional<Bytes>> Read(std::string_view key) const;
  Result<uint64_t> ReadU64(std::string_view key) const;
  Result<demurrage::SupplyState> ReadSupply() const;
  // CheckTransaction by kind: a claim's or ballot's cheap checks then its proof; a
  // proposal; a transfer.
  TxResult CheckMembership(const Result<ubi::MembershipCheck>& check, SignatureCheck sigs) const;
  TxResult CheckProposalTx(const types::GovernanceProposal& p, uint64_t pending_from_sender,
                           SignatureCheck sigs) const;
  TxResult CheckTransferTx(const types::Transfer& t, uint64_t pending_from_sender,
                           SignatureCheck sigs) const;
  TxResult CheckDkgTx(const types::DkgMessage& m, SignatureCheck sigs) const;
  Status BeginDkgBlock(RegistryStore* registry, uint64_t height) const;
  // The account evaluated at the epoch of block `height`.
  Result<Account> GetAccountAt(const types::AccountId& id, const Params& params,
                               uint64_t height) const;
  Result<BlockOutcome> ApplyBlockImpl(
      const types::BlockHeader& header, const std::vector<types::Transaction>& txs,
      SignatureCheck sigs, const std::vector<types::DuplicateVoteEvidence>& evidence,
      const std::vector<types::ConflictingProposalEvidence>& proposal_evidence,
      const std::vector<CreditForTesting>& credits) const;

  std::string chain_id_;
  const KvReader* state_;
  PreparedSets* sets_;
  // Mutable state behind a pointer: ApplyBlock is const, and the cache never changes
  // what it returns. Not thread-safe, like the rest of Ledger.
  std::unique_ptr<Cache> cache_;
};

}  // namespace hito::consensus::ledger

#endif  // HITO_CONSENSUS_LEDGER_LEDGER_H_
