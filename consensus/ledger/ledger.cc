#include "consensus/ledger/ledger.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "base/checked.h"
#include "base/hex.h"
#include "consensus/ledger/bank.h"
#include "consensus/ledger/demurrage.h"
#include "consensus/ledger/dkg.h"
#include "consensus/ledger/key_order.h"
#include "consensus/ledger/records.h"
#include "consensus/ledger/registry.h"
#include "consensus/ledger/slab_map.h"
#include "consensus/ledger/state_tree.h"
#include "consensus/types/limits.h"

namespace hito::consensus::ledger {
namespace {

// Adds a consensus record to the block's writes and its leaf to the tree batch. Callers
// add records in key order where they can, so the change set appends without sorting.
void PutRecord(Bytes key, Bytes record, ChangeSet* changes, TreeBatch* batch) {
  batch->insert_or_assign(StateTreeKey(key), StateValueHash(record));
  changes->Put(key, record);
}

// Writes the tree nodes and the metadata (height, root) of a new state.
Result<Hash32> Seal(const KvReader* base, const TreeBatch& batch, uint64_t height,
                    ChangeSet* changes) {
  HITO_ASSIGN_OR_RETURN(Hash32 root, StateTree(base).Update(batch, changes));
  changes->Put(AsBytes(kHeightKey), EncodeU64(height));
  changes->Put(AsBytes(kRootKey), root);
  return root;
}

// The dkg module's genesis records (dkg.h): the dealt key set or a genesis DKG session.
Status GenesisDkgRecords(const Genesis& genesis, ChangeSet* changes, TreeBatch* batch) {
  const MemoryKv empty;
  RegistryStore dkg_records(&empty);
  HITO_RETURN_IF_ERROR(dkg::InitGenesis(&dkg_records, genesis.chain_id, genesis.validators,
                                        genesis.dedup_keys, genesis.dedup_dkg));
  for (const auto& [key, value] : dkg_records.writes()) PutRecord(key, *value, changes, batch);
  return Status::Ok();
}

// k/keys keeps genesis' dedup quota as a record (dkg.h) while the quota in force is the
// registry parameter: a genesis that states both must state one value.
Status CheckGenesisDedupQuota(const Genesis& genesis) {
  if (!genesis.dedup_keys ||
      genesis.dedup_keys->quota_per_epoch == genesis.registry.dedup_quota_per_epoch) {
    return Status::Ok();
  }
  return InvalidArgumentError("genesis: the dedup key set's quota_per_epoch (" +
                              std::to_string(genesis.dedup_keys->quota_per_epoch) +
                              ") differs from registry.dedup_quota_per_epoch (" +
                              std::to_string(genesis.registry.dedup_quota_per_epoch) + ")");
}

TxResult Unsupported(const types::Transaction& tx) {
  TxResult r;
  r.code = TxCode::kUnsupportedKind;
  r.message = "transaction kind " + std::string(types::TxKindName(tx.kind())) + " is not enabled";
  return r;
}

// Registrations and revocations (registry.h); claims are executed by the ledger itself
// (they move money), any other kind without a transfer body is not executed.
Result<TxResult> ApplyPersonhood(RegistryStore* store, std::string_view chain_id,
                                 const std::optional<RegistryParams>& params, uint64_t epoch,
                                 const types::Transaction& tx, SignatureCheck sigs) {
  if (!params) return Unsupported(tx);
  if (const auto* reg = std::get_if<types::Registration>(&tx.body)) {
    return registry::ApplyRegistration(store, chain_id, *params, epoch, *reg, sigs);
  }
  if (const auto* rev = std::get_if<types::Revocation>(&tx.body)) {
    return registry::ApplyRevocation(store, chain_id, *params, *rev, sigs);
  }
  return Unsupported(tx);
}

// The block-level refusals of ApplyBlock after the chain id (ledger.h): the height, the
// transaction count and the state's own chain.
Status CheckBlockFrame(const types::BlockHeader& header, size_t tx_count, std::string_view chain_id,
                       uint64_t height, const std::optional<Bytes>& stored_chain) {
  const std::optional<uint64_t> next_height = CheckedAdd(height, uint64_t{1});
  if (!next_height || header.height != *next_height) {
    return FailedPreconditionError("block height " + std::to_string(header.height) +
                                   " does not follow committed height " + std::to_string(height));
  }
  if (tx_count > types::kBlockMaxTxs) {
    return InvalidArgumentError("block has " + std::to_string(tx_count) + " transactions, limit " +
                                std::to_string(types::kBlockMaxTxs));
  }
  if (!stored_chain || AsChars(*stored_chain) != chain_id) {
    return FailedPreconditionError("state belongs to another chain than \"" +
                                   std::string(chain_id) + "\"");
  }
  return Status::Ok();
}

// The registry's, UBI's and governance's parameters (nullopt: not enabled) after their
// start-of-block work: at an epoch's first block, the governance parameter changes due
// then, the registry's snapshots and expiries, the pruning of closed epochs' nullifiers,
// and a round's close and opening (what it hands the ledger is in `round_close`).
struct PersonhoodParams {
  std::optional<RegistryParams> registry;
  std::optional<UbiParams> ubi;
  std::optional<GovernanceParams> governance;
  std::vector<governance::ParamChangeApplied> params_applied;
  governance::RoundClose round_close;
};
Result<PersonhoodParams> BeginPersonhoodBlock(RegistryStore* store, const Params& params,
                                              uint64_t height) {
  PersonhoodParams p;
  HITO_ASSIGN_OR_RETURN(p.registry, registry::ReadParams(*store));
  if (!p.registry) return p;
  HITO_ASSIGN_OR_RETURN(p.governance, governance::ReadParams(*store));
  const bool epoch_start = IsEpochStart(params, height);
  const uint64_t epoch = EpochOf(params, height);
  if (epoch_start && p.governance) {
    HITO_ASSIGN_OR_RETURN(p.params_applied, governance::ApplyPendingParams(store, epoch));
    HITO_ASSIGN_OR_RETURN(p.registry, registry::ReadParams(*store));
    HITO_ASSIGN_OR_RETURN(p.governance, governance::ReadParams(*store));
    if (!p.registry || !p.governance) return DataLossError("governance: params vanished");
  }
  HITO_ASSIGN_OR_RETURN(p.ubi, ubi::ReadParams(*store));
  if (!p.ubi) return DataLossError("ubi: r/params without u/params");
  if (epoch_start) {
    HITO_RETURN_IF_ERROR(registry::BeginEpoch(store, *p.registry, epoch));
    HITO_RETURN_IF_ERROR(ubi::BeginEpoch(store, *p.registry, epoch));
    if (p.governance) {
      HITO_ASSIGN_OR_RETURN(p.round_close, governance::BeginEpoch(store, height, epoch));
    }
  }
  return p;
}

// The registry's writes of a block, as records and tree leaves. A deletion of a record
// the committed state does not hold (written and deleted within the block) is dropped.
Status FlushRegistry(const KvReader& base, const RegistryStore& store,
                     std::vector<StateTree::SortedUpdate>* batch, ChangeSet* changes) {
  for (const auto& [key, value] : store.writes()) {
    if (value) {
      batch->emplace_back(StateTreeKey(key), StateValueHash(*value));
      changes->Put(key, *value);
      continue;
    }
    std::optional<Bytes> committed;
    HITO_RETURN_IF_ERROR(base.Get(key, &committed));
    if (!committed) continue;
    batch->emplace_back(StateTreeKey(key), std::nullopt);
    changes->Delete(key);
  }
  return Status::Ok();
}

constexpr size_t kDefaultMaxAccounts = size_t{1} << 18;

// A cached account: its committed record and, once computed, its state tree key.
struct CachedAccount {
  Account account;  // the committed record (Account{} when there is none)
  Hash32 tree_key{};
  bool has_tree_key = false;
  // The block being executed: its view of the account, valid when `block` is the
  // overlay's block number (so a new block needs no reset pass).
  Account pending;
  uint64_t block = 0;
  bool dirty = false;
};
// Account ids are hashes of public keys: their first eight bytes, mixed, are the hash.
struct AccountIdHash {
  uint64_t operator()(const types::AccountId& id) const {
    uint64_t x;
    std::memcpy(&x, id.data(), 8);
    return MixBits(x);
  }
};
using AccountCache = SlabMap<types::AccountId, CachedAccount, AccountIdHash>;

}  // namespace

// The execution cache (see OnCommitted in ledger.h).
struct Ledger::Cache {
  explicit Cache(size_t max_accounts_in = kDefaultMaxAccounts,
                 size_t max_pages = TreePageCache::kDefaultMaxPages)
      : max_accounts(std::max<size_t>(max_accounts_in, 16)), pages(max_pages) {}

  size_t max_accounts;
  // The committed state the cache describes; `valid` false means it describes nothing.
  bool valid = false;
  Hash32 root{};
  uint64_t height = 0;
  AccountCache accounts;
  TreePageCache pages;
  size_t cursor = 0;             // account eviction resumes at this slab index
  uint64_t blocks_executed = 0;  // numbers the overlay's blocks (CachedAccount::block)

  // What the last successful ApplyBlock wrote, on top of (pre_root, pre_height).
  bool has_staged = false;
  Hash32 staged_pre_root{};
  uint64_t staged_pre_height = 0;
  Hash32 staged_root{};
  uint64_t staged_height = 0;
  std::vector<std::pair<types::AccountId, Account>> staged_accounts;

  void Clear() {
    valid = false;
    accounts.Clear();
    pages.Clear();
    cursor = 0;
    has_staged = false;
    staged_accounts.clear();
  }

  // Records what a successful ApplyBlock wrote on top of (pre_root, pre_height).
  void Stage(const Hash32& pre_root, uint64_t pre_height, const Hash32& new_root,
             uint64_t new_height,
             std::vector<std::pair<types::AccountId, Account>> accounts_written) {
    has_staged = true;
    staged_pre_root = pre_root;
    staged_pre_height = pre_height;
    staged_root = new_root;
    staged_height = new_height;
    staged_accounts = std::move(accounts_written);
    Evict();
  }

  // Evicts a run of accounts in slab order from a rotating cursor until at most 7/8 of
  // the bound remain (deterministic: the slab order depends only on the sequence of
  // operations; no clock or randomness).
  void Evict() {
    if (accounts.size() <= max_accounts) return;
    const size_t target = max_accounts - max_accounts / 8;
    size_t i = cursor;
    while (accounts.size() > target) {
      if (i >= accounts.slab_size()) i = 0;
      if (accounts.live(static_cast<uint32_t>(i))) accounts.Erase(static_cast<uint32_t>(i));
      ++i;
    }
    cursor = i;
  }
};

namespace {

// The accounts a block touches, on top of the committed state. The block's values live
// in the cache entries themselves (`pending`), so each access is one table lookup; the
// committed values are not touched until OnCommitted. Slots are slab indices: a Load may
// move the slab, so references from Entry() last only until the next Load.
class AccountOverlay {
 public:
  AccountOverlay(const KvReader* state, AccountCache* cache, uint64_t block, size_t txs)
      : state_(state), cache_(cache), block_(block) {
    dirty_.reserve(2 * txs);
  }

  using Slot = uint32_t;

  Result<Slot> Load(const types::AccountId& id) {
    Slot c = cache_->Find(id);
    if (c == AccountCache::kNone) {
      // A key on the stack and a reused value buffer.
      std::array<uint8_t, 2 + 32> key;
      std::copy(kAccountPrefix.begin(), kAccountPrefix.end(), key.begin());
      std::copy(id.begin(), id.end(), key.begin() + 2);
      HITO_RETURN_IF_ERROR(state_->Get(key, &raw_));
      CachedAccount entry;
      if (raw_) {
        HITO_ASSIGN_OR_RETURN(entry.account, DecodeAccount(*raw_));
      }
      c = cache_->InsertAbsent(id);  // the Find above missed
      cache_->value(c) = entry;
    }
    CachedAccount& e = cache_->value(c);
    if (e.block != block_) {
      e.block = block_;
      e.pending = e.account;
      e.dirty = false;
    }
    return c;
  }

  CachedAccount& Entry(Slot s) { return cache_->value(s); }
  const types::AccountId& Id(Slot s) const { return cache_->key(s); }

  void MarkDirty(Slot s) {
    if (!Entry(s).dirty) {
      Entry(s).dirty = true;
      dirty_.push_back(s);
    }
  }

  // The changed accounts, in account id order.
  std::vector<Slot> TakeDirty() {
    SortByWord(
        &dirty_, [this](Slot s) { return LoadBE64(cache_->key(s).data()); },
        [this](Slot a, Slot b) { return KeyLess(cache_->key(a), cache_->key(b)); });
    return std::move(dirty_);
  }

 private:
  const KvReader* state_;
  AccountCache* cache_;
  uint64_t block_;
  std::vector<Slot> dirty_;
  std::optional<Bytes> raw_;
};

// The supply brought to `epoch` (decayed at the first block of each epoch).
Result<demurrage::SupplyState> SupplyAt(const Params& params, demurrage::SupplyState supply,
                                        uint64_t epoch) {
  if (params.demurrage_ppm_per_epoch == 0) return supply;  // stays as without demurrage
  if (epoch < supply.epoch) return DataLossError("supply record is from a later epoch");
  return demurrage::AdvanceSupply(supply, params.demurrage_ppm_per_epoch, epoch);
}

// The stateful rules of a transfer that passed the stateless ones, on the accounts as
// settled to the block's epoch; a valid transfer is applied to the overlay.
Result<TxResult> ExecuteTransfer(const types::Transfer& t, const types::AccountId& sender_id,
                                 const Params& params, uint64_t epoch, AccountOverlay* overlay,
                                 demurrage::SupplyState* supply) {
  HITO_ASSIGN_OR_RETURN(AccountOverlay::Slot sender, overlay->Load(sender_id));
  HITO_ASSIGN_OR_RETURN(AccountOverlay::Slot recipient, overlay->Load(t.to));
  Account& from = overlay->Entry(sender).pending;  // both loaded: references hold
  Account& to = overlay->Entry(recipient).pending;
  if (from.epoch > epoch || to.epoch > epoch) {
    return DataLossError("account record settled in a later epoch");
  }
  TxResult r = bank::CheckTransferStateful(t, bank::Settled(params, epoch, from), from.nonce,
                                           bank::Settled(params, epoch, to));
  if (r.ok()) {
    bank::SettleInto(params, epoch, &from, supply);
    bank::SettleInto(params, epoch, &to, supply);
    bank::ApplyTransfer(t, &from, &to, supply);
    overlay->MarkDirty(sender);
    overlay->MarkDirty(recipient);
  }
  return r;
}

// Mints `amount` to `to`: the account settled to the block's epoch, credited, and the
// supply grown by the amount. False (nothing changed) if the balance or the supply would
// overflow.
Result<bool> CreditAccount(uint64_t amount, const types::AccountId& to, const Params& params,
                           uint64_t epoch, AccountOverlay* overlay,
                           demurrage::SupplyState* supply) {
  HITO_ASSIGN_OR_RETURN(AccountOverlay::Slot slot, overlay->Load(to));
  Account settled = overlay->Entry(slot).pending;
  if (settled.epoch > epoch) return DataLossError("account record settled in a later epoch");
  demurrage::SupplyState credited_supply = *supply;
  bank::SettleInto(params, epoch, &settled, &credited_supply);
  if (!bank::Credit(amount, &settled, &credited_supply)) return false;
  overlay->Entry(slot).pending = settled;
  *supply = credited_supply;
  overlay->MarkDirty(slot);
  return true;
}

// Test support (Ledger::ApplyBlockWithCreditsForTesting): mints like a UBI claim.
Status ApplyCredits(const std::vector<Ledger::CreditForTesting>& credits, const Params& params,
                    uint64_t epoch, AccountOverlay* overlay, demurrage::SupplyState* supply) {
  for (const Ledger::CreditForTesting& credit : credits) {
    HITO_ASSIGN_OR_RETURN(bool credited,
                          CreditAccount(credit.amount, credit.to, params, epoch, overlay, supply));
    if (!credited) return InvalidArgumentError("credit overflows the balance or the supply");
  }
  return Status::Ok();
}

// Which claims and ballots of a block carry a proof that does not verify. With kVerify,
// those that pass the cheap checks on the state at the block's start (before any
// transaction: snapshots are frozen then and never change within the block) are
// verified together in batches; the first max_claims_per_block membership proofs only
// (claims and ballots share the budget), as the rest are refused unverified. The verdict
// of a proof does not depend on the order of execution, and a cheap rule that refuses a
// proof here refuses it in the loop too (nullifiers and revisions only grow within a
// block), so this pre-pass gives the result a one-by-one check in the loop would.
Result<std::vector<bool>> BadMembershipProofs(const RegistryStore& store, std::string_view chain_id,
                                              const PersonhoodParams& pp, uint64_t epoch,
                                              const std::vector<types::Transaction>& txs,
                                              SignatureCheck sigs, PreparedSets* sets) {
  std::vector<bool> bad(txs.size(), false);
  if (sigs == SignatureCheck::kAlreadyVerified || !pp.registry) return bad;
  std::vector<ubi::MembershipStatement> statements;
  std::vector<size_t> where;
  size_t proofs = 0;
  for (size_t i = 0; i < txs.size() && proofs < pp.ubi->max_claims_per_block; ++i) {
    std::optional<ubi::MembershipStatement> statement;
    if (const auto* claim = std::get_if<types::Claim>(&txs[i].body)) {
      ++proofs;
      HITO_ASSIGN_OR_RETURN(ubi::ClaimCheck check,
                            ubi::CheckClaim(store, chain_id, *pp.registry, epoch, *claim));
      statement = std::move(check.statement);
    } else if (const auto* ballot = std::get_if<types::Ballot>(&txs[i].body)) {
      if (!pp.governance) continue;
      ++proofs;
      HITO_ASSIGN_OR_RETURN(governance::BallotCheck check,
                            governance::CheckBallot(store, chain_id, *ballot));
      statement = std::move(check.statement);
    }
    if (!statement) continue;
    statements.push_back(*std::move(statement));
    where.push_back(i);
  }
  std::vector<const ubi::MembershipStatement*> views;
  views.reserve(statements.size());
  for (const ubi::MembershipStatement& st : statements) views.push_back(&st);
  HITO_ASSIGN_OR_RETURN(ubi::VerifyOutcome outcome,
                        ubi::VerifyStatements(store, chain_id, views, sets,
                                              zk::proof::membership::BatchMode::kAllInvalid));
  for (size_t k = 0; k < where.size(); ++k) bad[where[k]] = !outcome.valid[k];
  return bad;
}

// What executing one block's transactions needs besides the transaction itself.
struct BlockRun {
  std::string_view chain_id;
  const Params& params;
  uint64_t epoch;
  const PersonhoodParams& personhood;
  RegistryStore* registry;
  AccountOverlay* overlay;
  demurrage::SupplyState* supply;
  size_t proofs = 0;  // claims and ballots met so far in the block (one shared budget)
};

// A claim, in block order (ubi.h for the rules): refused, or the recipient credited and
// the nullifier spent.
Result<TxResult> ExecuteClaim(const types::Claim& claim, bool bad_proof, BlockRun* run) {
  const PersonhoodParams& pp = run->personhood;
  if (++run->proofs > pp.ubi->max_claims_per_block) {
    TxResult r;
    r.code = TxCode::kClaimsPerBlock;
    r.message = "the block holds " + std::to_string(pp.ubi->max_claims_per_block) +
                " membership proofs (claims and ballots)";
    return r;
  }
  HITO_ASSIGN_OR_RETURN(ubi::ClaimCheck check, ubi::CheckClaim(*run->registry, run->chain_id,
                                                               *pp.registry, run->epoch, claim));
  if (!check.statement) return check.refusal;
  TxResult r;
  if (bad_proof) {
    r.code = TxCode::kBadProof;
    r.message = "membership proof does not verify";
    return r;
  }
  HITO_ASSIGN_OR_RETURN(
      bool credited, CreditAccount(pp.ubi->ubi_per_epoch, claim.recipient, run->params, run->epoch,
                                   run->overlay, run->supply));
  if (!credited) {
    r.code = TxCode::kAmountOverflow;
    r.message = "the credit would overflow the recipient's balance or the supply";
    return r;
  }
  HITO_RETURN_IF_ERROR(ubi::RecordClaim(run->registry, claim.epoch, check.statement->nullifier));
  return r;
}

// A ballot, in block order (governance.h for the rules): refused, or recorded (replacing
// the nullifier's earlier ballot of the round).
Result<TxResult> ExecuteBallot(const types::Ballot& ballot, bool bad_proof, BlockRun* run) {
  const PersonhoodParams& pp = run->personhood;
  if (++run->proofs > pp.ubi->max_claims_per_block) {
    return Refused(TxCode::kBallotsPerBlock, "the block holds " +
                                                 std::to_string(pp.ubi->max_claims_per_block) +
                                                 " membership proofs (claims and ballots)");
  }
  HITO_ASSIGN_OR_RETURN(governance::BallotCheck check,
                        governance::CheckBallot(*run->registry, run->chain_id, ballot));
  if (!check.statement) return check.refusal;
  if (bad_proof) return Refused(TxCode::kBadProof, "membership proof does not verify");
  HITO_RETURN_IF_ERROR(governance::RecordBallot(run->registry, ballot, check.statement->nullifier));
  return TxResult{};
}

// The rules of a proposal that read no state: chain id, fee, signature.
TxResult CheckProposalStateless(const types::GovernanceProposal& p, std::string_view chain_id,
                                const Params& params, SignatureCheck sigs) {
  if (p.chain_id != chain_id) {
    return Refused(TxCode::kWrongChain, "proposal for chain \"" + p.chain_id +
                                            "\", this chain is \"" + std::string(chain_id) + "\"");
  }
  if (p.fee < params.min_fee) {
    return Refused(TxCode::kFeeTooLow, "fee " + std::to_string(p.fee) + " below the minimum " +
                                           std::to_string(params.min_fee));
  }
  if (sigs == SignatureCheck::kVerify && !types::VerifyProposalSignature(p)) {
    return Refused(TxCode::kBadSignature, "signature does not verify for the sender key");
  }
  return TxResult{};
}

// The money rules of a proposal on the sender's account settled to the block's epoch:
// nonce, deposit, funds for fee + deposit.
TxResult CheckProposalFunds(const types::GovernanceProposal& p, const Account& sender,
                            uint64_t expected_nonce, const GovernanceParams& gp) {
  if (p.nonce < expected_nonce) {
    return Refused(TxCode::kNonceTooLow, "nonce " + std::to_string(p.nonce) + " expected " +
                                             std::to_string(expected_nonce));
  }
  if (p.nonce > expected_nonce) {
    return Refused(TxCode::kNonceTooHigh, "nonce " + std::to_string(p.nonce) + " expected " +
                                              std::to_string(expected_nonce));
  }
  if (p.deposit != gp.proposal_deposit) {
    return Refused(TxCode::kDepositMismatch, "deposit " + std::to_string(p.deposit) +
                                                 ", the proposal deposit is " +
                                                 std::to_string(gp.proposal_deposit));
  }
  const std::optional<uint64_t> total = CheckedAdd(p.fee, p.deposit);
  if (!total) return Refused(TxCode::kAmountOverflow, "fee + deposit overflows");
  if (sender.balance < *total) {
    return Refused(TxCode::kInsufficientFunds, "balance " + std::to_string(sender.balance) +
                                                   " below fee + deposit " +
                                                   std::to_string(*total));
  }
  return TxResult{};
}

// A proposal, in block order: refused, or the fee burned, the deposit escrowed (out of
// the supply until a refund mints it back) and the proposal recorded in this round.
Result<TxResult> ExecuteProposal(const types::GovernanceProposal& p, uint64_t height,
                                 SignatureCheck sigs, BlockRun* run) {
  TxResult r = CheckProposalStateless(p, run->chain_id, run->params, sigs);
  if (!r.ok()) return r;
  const types::AccountId sender_id = types::AccountIdFromPublicKey(p.sender);
  HITO_ASSIGN_OR_RETURN(AccountOverlay::Slot slot, run->overlay->Load(sender_id));
  Account& from = run->overlay->Entry(slot).pending;
  if (from.epoch > run->epoch) return DataLossError("account record settled in a later epoch");
  r = CheckProposalFunds(p, bank::Settled(run->params, run->epoch, from), from.nonce,
                         *run->personhood.governance);
  if (!r.ok()) return r;
  HITO_ASSIGN_OR_RETURN(r, governance::CheckProposal(*run->registry, height, p.action));
  if (!r.ok()) return r;
  bank::SettleInto(run->params, run->epoch, &from, run->supply);
  bank::Spend(p.fee + p.deposit, &from, run->supply);  // CheckProposalFunds: no overflow
  run->overlay->MarkDirty(slot);
  HITO_RETURN_IF_ERROR(governance::RecordProposal(run->registry, sender_id, p.deposit, p.action));
  r.fee_burned = p.fee;
  r.deposit_escrowed = p.deposit;
  return r;
}

// One transaction of a block, in order.
Result<TxResult> ExecuteTx(const types::Transaction& tx, uint64_t height, bool bad_proof,
                           SignatureCheck sigs, BlockRun* run) {
  if (const auto* t = std::get_if<types::Transfer>(&tx.body)) {
    const types::AccountId sender_id = types::AccountIdFromPublicKey(t->sender);
    TxResult r = bank::CheckTransferStateless(*t, sender_id, run->chain_id, run->params, sigs);
    if (!r.ok()) return r;
    return ExecuteTransfer(*t, sender_id, run->params, run->epoch, run->overlay, run->supply);
  }
  if (const auto* claim = std::get_if<types::Claim>(&tx.body)) {
    if (!run->personhood.registry) return Unsupported(tx);
    return ExecuteClaim(*claim, bad_proof, run);
  }
  if (const auto* ballot = std::get_if<types::Ballot>(&tx.body)) {
    if (!run->personhood.governance) return Unsupported(tx);
    return ExecuteBallot(*ballot, bad_proof, run);
  }
  if (const auto* proposal = std::get_if<types::GovernanceProposal>(&tx.body)) {
    if (!run->personhood.governance) return Unsupported(tx);
    return ExecuteProposal(*proposal, height, sigs, run);
  }
  if (const auto* m = std::get_if<types::DkgMessage>(&tx.body)) {
    return dkg::ApplyMessage(run->registry, run->chain_id, height, *m, sigs);
  }
  return ApplyPersonhood(run->registry, run->chain_id, run->personhood.registry, run->epoch, tx,
                         sigs);
}

}  // namespace

bool TxKindEnabled(types::TxKind kind) {
  switch (kind) {
    case types::TxKind::kTransfer:
    case types::TxKind::kRegister:
    case types::TxKind::kRevoke:
    case types::TxKind::kClaim:
    case types::TxKind::kProposal:
    case types::TxKind::kBallot:
    case types::TxKind::kDkg:
      return true;
    default:
      return false;
  }
}

Result<BlockOutcome> Ledger::InitGenesis(const Genesis& genesis) {
  if (genesis.chain_id.empty() || genesis.chain_id.size() > types::kChainIdMaxLen) {
    return InvalidArgumentError("genesis: chain id must be 1.." +
                                std::to_string(types::kChainIdMaxLen) + " bytes");
  }
  if (genesis.time_ms > types::kGenesisTimeMaxMs) {
    return InvalidArgumentError("genesis: time " + std::to_string(genesis.time_ms) +
                                " ms is after the latest allowed, " +
                                std::to_string(types::kGenesisTimeMaxMs));
  }
  if (genesis.params.epoch_blocks == 0 ||
      genesis.params.demurrage_ppm_per_epoch > demurrage::kMaxPpmPerEpoch) {
    return InvalidArgumentError("genesis: epoch_blocks must be >= 1 and demurrage at most " +
                                std::to_string(demurrage::kMaxPpmPerEpoch) + " ppm per epoch");
  }
  BlockOutcome out;
  TreeBatch batch;
  uint64_t supply = 0;
  std::set<types::AccountId> seen;
  for (const GenesisAccount& a : genesis.accounts) {
    if (!seen.insert(a.account).second) {
      return InvalidArgumentError("genesis: account " + HexEncode(a.account) + " listed twice");
    }
    if (a.balance == 0) {
      return InvalidArgumentError("genesis: account " + HexEncode(a.account) +
                                  " has a zero balance");
    }
    const auto sum = CheckedAdd(supply, a.balance);
    if (!sum) return InvalidArgumentError("genesis: total supply overflows u64");
    supply = *sum;
    PutRecord(AccountKey(a.account), EncodeAccount(Account{a.balance, 0, 0}), &out.changes, &batch);
  }
  PutRecord(KeyBytes(kParamsKey), EncodeParams(genesis.params), &out.changes, &batch);
  PutRecord(KeyBytes(kChainIdKey), KeyBytes(genesis.chain_id), &out.changes, &batch);
  PutRecord(KeyBytes(kSupplyKey), EncodeSupply({demurrage::U128{supply} << 64, 0}), &out.changes,
            &batch);
  // A genesis without validators (ledger-only tests) has no schedule (validators.h).
  if (genesis.validators.size() > 0 || !genesis.validator_schedule.empty()) {
    HITO_ASSIGN_OR_RETURN(ValidatorSchedule schedule,
                          GenesisValidatorSchedule(genesis.validators, genesis.validator_schedule));
    PutRecord(KeyBytes(kValidatorSetsKey), EncodeValidatorSchedule(schedule), &out.changes, &batch);
  }
  const MemoryKv empty;
  if (genesis.attesters.empty() && !genesis.identities.empty()) {
    return InvalidArgumentError("genesis: identities need an accredited attester");
  }
  if (genesis.attesters.empty() && genesis.governance) {
    return InvalidArgumentError("genesis: governance needs an accredited attester");
  }
  if (!genesis.attesters.empty()) {
    HITO_RETURN_IF_ERROR(CheckGenesisDedupQuota(genesis));
    RegistryStore registry(&empty);
    HITO_RETURN_IF_ERROR(registry::InitGenesis(&registry, genesis.registry, genesis.attesters));
    HITO_RETURN_IF_ERROR(ubi::InitGenesis(&registry, genesis.ubi));
    HITO_RETURN_IF_ERROR(
        registry::GenesisIdentities(&registry, genesis.registry, genesis.identities));
    if (genesis.governance) {
      HITO_RETURN_IF_ERROR(
          governance::InitGenesis(&registry, *genesis.governance, genesis.registry));
    }
    for (const auto& [key, value] : registry.writes()) {
      HITO_ASSERT(value.has_value());  // genesis only adds records
      PutRecord(key, *value, &out.changes, &batch);
    }
  }
  HITO_RETURN_IF_ERROR(GenesisDkgRecords(genesis, &out.changes, &batch));
  HITO_ASSIGN_OR_RETURN(out.state_root, Seal(&empty, batch, /*height=*/0, &out.changes));
  out.changes.Normalize();
  return out;
}

namespace {
PreparedSets* UncachedSets() {
  static UncachedPreparedSets sets;  // stateless
  return &sets;
}
}  // namespace

Ledger::Ledger(std::string chain_id, const KvReader* state)
    : chain_id_(std::move(chain_id)),
      state_(state),
      sets_(UncachedSets()),
      cache_(std::make_unique<Cache>()) {
  HITO_ASSERT(state_ != nullptr);
}

Ledger::~Ledger() = default;
Ledger::Ledger(const Ledger& other)
    : chain_id_(other.chain_id_),
      state_(other.state_),
      sets_(other.sets_),
      cache_(std::make_unique<Cache>()) {
  cache_->max_accounts = other.cache_->max_accounts;
}
Ledger& Ledger::operator=(const Ledger& other) {
  if (this != &other) {
    chain_id_ = other.chain_id_;
    state_ = other.state_;
    sets_ = other.sets_;
    cache_ = std::make_unique<Cache>();
    cache_->max_accounts = other.cache_->max_accounts;
  }
  return *this;
}
Ledger::Ledger(Ledger&&) noexcept = default;
Ledger& Ledger::operator=(Ledger&&) noexcept = default;

void Ledger::SetCacheLimits(size_t max_accounts, size_t max_pages) {
  cache_ = std::make_unique<Cache>(max_accounts, max_pages);
}

void Ledger::OnCommitted(const BlockOutcome& outcome) {
  Cache& c = *cache_;
  if (!c.valid || !c.has_staged || outcome.state_root != c.staged_root ||
      c.root != c.staged_pre_root || c.height != c.staged_pre_height ||
      !c.pages.Promote(c.staged_root)) {
    c.Clear();  // the cache no longer knows the committed state
    return;
  }
  for (const auto& [id, account] : c.staged_accounts) {
    c.accounts.value(c.accounts.FindOrInsert(id).first).account = account;
  }
  c.staged_accounts.clear();
  c.has_staged = false;
  c.root = c.staged_root;
  c.height = c.staged_height;
  c.Evict();
}

Result<std::optional<Bytes>> Ledger::Read(std::string_view key) const {
  std::optional<Bytes> value;
  HITO_RETURN_IF_ERROR(state_->Get(AsBytes(key), &value));
  return value;
}

Result<uint64_t> Ledger::ReadU64(std::string_view key) const {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, Read(key));
  if (!raw) {
    return FailedPreconditionError("state has no " + std::string(key) +
                                   " record: genesis was not applied");
  }
  return DecodeU64(key, *raw);
}

Result<Hash32> Ledger::StateRoot() const {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, Read(kRootKey));
  if (!raw) return FailedPreconditionError("state has no root: genesis was not applied");
  if (raw->size() != 32) return DataLossError("m/root record is not 32 bytes");
  Hash32 root;
  std::copy(raw->begin(), raw->end(), root.begin());
  return root;
}

Result<uint64_t> Ledger::Height() const { return ReadU64(kHeightKey); }

Result<uint64_t> Ledger::Supply() const {
  HITO_ASSIGN_OR_RETURN(demurrage::SupplyState supply, ReadSupply());
  return supply.Units();
}

Result<demurrage::SupplyState> Ledger::ReadSupply() const {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, Read(kSupplyKey));
  if (!raw) return FailedPreconditionError("state has no supply: genesis was not applied");
  return DecodeSupply(*raw);
}

Result<Account> Ledger::GetAccount(const types::AccountId& id) const {
  HITO_ASSIGN_OR_RETURN(const Params params, GetParams());
  uint64_t height = 0;  // irrelevant without demurrage: spare the read
  if (params.demurrage_ppm_per_epoch != 0) {
    HITO_ASSIGN_OR_RETURN(height, Height());
  }
  return GetAccountAt(id, params, height);
}

Result<Account> Ledger::GetAccountAt(const types::AccountId& id, const Params& params,
                                     uint64_t height) const {
  std::optional<Bytes> raw;
  HITO_RETURN_IF_ERROR(state_->Get(AccountKey(id), &raw));
  Account account;
  if (raw) {
    HITO_ASSIGN_OR_RETURN(account, DecodeAccount(*raw));
  }
  const uint64_t epoch = EpochOf(params, height);
  if (epoch < account.epoch) return DataLossError("account record settled in a later epoch");
  return bank::Settled(params, epoch, account);
}

Result<Params> Ledger::GetParams() const {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, Read(kParamsKey));
  if (!raw) return FailedPreconditionError("state has no params: genesis was not applied");
  return DecodeParams(*raw);
}

Result<std::optional<RegistryParams>> Ledger::GetRegistryParams() const {
  return registry::ReadParams(RegistryStore(state_));
}

Result<std::optional<UbiParams>> Ledger::GetUbiParams() const {
  return ubi::ReadParams(RegistryStore(state_));
}

Result<std::optional<GovernanceParams>> Ledger::GetGovernanceParams() const {
  return governance::ReadParams(RegistryStore(state_));
}

Result<governance::BallotCheck> Ledger::PrepareBallot(const types::Ballot& ballot) const {
  const RegistryStore store(state_);
  HITO_ASSIGN_OR_RETURN(std::optional<GovernanceParams> gp, governance::ReadParams(store));
  if (!gp) {
    governance::BallotCheck off;
    off.refusal = Unsupported(types::Transaction{ballot});
    return off;
  }
  return governance::CheckBallot(store, chain_id_, ballot);
}

Result<ubi::ClaimCheck> Ledger::PrepareClaim(const types::Claim& claim) const {
  const RegistryStore store(state_);
  HITO_ASSIGN_OR_RETURN(std::optional<RegistryParams> rp, registry::ReadParams(store));
  if (!rp) {
    ubi::ClaimCheck off;
    off.refusal = Unsupported(types::Transaction{claim});
    return off;
  }
  HITO_ASSIGN_OR_RETURN(const Params params, GetParams());
  HITO_ASSIGN_OR_RETURN(const uint64_t height, Height());
  return ubi::CheckClaim(store, chain_id_, *rp, EpochOf(params, height), claim);
}

Result<StateProof> Ledger::ProveRecord(ByteView kv_key) const {
  return StateTree(state_).Prove(StateTreeKey(kv_key));
}

namespace {

// The mempool cannot judge a transaction it cannot read state for: refused for now, with
// the storage error as the detail.
TxResult StorageFailure(const Status& s) {
  return Refused(TxCode::kStateUnavailable, "state unavailable: " + s.ToString());
}

}  // namespace

// A DKG message judged as the next block would, on a throwaway overlay.
TxResult Ledger::CheckDkgTx(const types::DkgMessage& m, SignatureCheck sigs) const {
  RegistryStore scratch(state_);
  auto height = Height();
  if (!height.ok()) return StorageFailure(height.status());
  auto r = dkg::ApplyMessage(&scratch, chain_id_, *height + 1, m, sigs);
  if (!r.ok()) return StorageFailure(r.status());
  return *r;
}

TxResult Ledger::CheckTransaction(const types::Transaction& tx, uint64_t pending_from_sender,
                                  SignatureCheck sigs) const {
  if (const auto* claim = std::get_if<types::Claim>(&tx.body)) {
    return CheckMembership(PrepareClaim(*claim), sigs);
  }
  if (const auto* ballot = std::get_if<types::Ballot>(&tx.body)) {
    return CheckMembership(PrepareBallot(*ballot), sigs);
  }
  if (const auto* p = std::get_if<types::GovernanceProposal>(&tx.body)) {
    return CheckProposalTx(*p, pending_from_sender, sigs);
  }
  if (const auto* t = std::get_if<types::Transfer>(&tx.body)) {
    return CheckTransferTx(*t, pending_from_sender, sigs);
  }
  if (const auto* m = std::get_if<types::DkgMessage>(&tx.body)) return CheckDkgTx(*m, sigs);
  // Registrations and revocations, judged as the next block would: a throwaway overlay
  // over the committed state.
  RegistryStore scratch(state_);
  auto reg_params = registry::ReadParams(scratch);
  if (!reg_params.ok()) return StorageFailure(reg_params.status());
  auto height = Height();
  if (!height.ok()) return StorageFailure(height.status());
  auto params = GetParams();
  if (!params.ok()) return StorageFailure(params.status());
  const uint64_t next = CheckedAdd(*height, uint64_t{1}).value_or(UINT64_MAX);
  auto r = ApplyPersonhood(&scratch, chain_id_, *reg_params, EpochOf(*params, next), tx, sigs);
  if (!r.ok()) return StorageFailure(r.status());
  return *std::move(r);
}

TxResult Ledger::CheckMembership(const Result<ubi::MembershipCheck>& check,
                                 SignatureCheck sigs) const {
  if (!check.ok()) return StorageFailure(check.status());
  if (!check->statement || sigs == SignatureCheck::kAlreadyVerified) return check->refusal;
  auto outcome = ubi::VerifyStatements(RegistryStore(state_), chain_id_, {&*check->statement},
                                       sets_, zk::proof::membership::BatchMode::kAllInvalid);
  if (!outcome.ok()) return StorageFailure(outcome.status());
  if (!outcome->valid[0]) return Refused(TxCode::kBadProof, "membership proof does not verify");
  return TxResult{};
}

TxResult Ledger::CheckProposalTx(const types::GovernanceProposal& p, uint64_t pending_from_sender,
                                 SignatureCheck sigs) const {
  const RegistryStore store(state_);
  auto gp = governance::ReadParams(store);
  if (!gp.ok()) return StorageFailure(gp.status());
  if (!*gp) return Unsupported(types::Transaction{p});
  auto params = GetParams();
  if (!params.ok()) return StorageFailure(params.status());
  TxResult r = CheckProposalStateless(p, chain_id_, *params, sigs);
  if (!r.ok()) return r;
  auto height = Height();
  if (!height.ok()) return StorageFailure(height.status());
  const uint64_t next = CheckedAdd(*height, uint64_t{1}).value_or(UINT64_MAX);
  auto sender = GetAccountAt(types::AccountIdFromPublicKey(p.sender), *params, next);
  if (!sender.ok()) return StorageFailure(sender.status());
  const auto expected = CheckedAdd(sender->nonce, pending_from_sender);
  if (!expected) return Refused(TxCode::kNonceTooHigh, "pending count overflows the nonce");
  r = CheckProposalFunds(p, *sender, *expected, **gp);
  if (!r.ok()) return r;
  auto action = governance::CheckProposal(store, next, p.action);
  if (!action.ok()) return StorageFailure(action.status());
  return *std::move(action);
}

TxResult Ledger::CheckTransferTx(const types::Transfer& t, uint64_t pending_from_sender,
                                 SignatureCheck sigs) const {
  auto params = GetParams();
  if (!params.ok()) return StorageFailure(params.status());
  const types::AccountId sender_id = types::AccountIdFromPublicKey(t.sender);
  TxResult r = bank::CheckTransferStateless(t, sender_id, chain_id_, *params, sigs);
  if (!r.ok()) return r;
  // Balances as the next block will see them (its epoch may have decayed them further).
  uint64_t next = 0;  // irrelevant without demurrage: spare the read
  if (params->demurrage_ppm_per_epoch != 0) {
    auto height = Height();
    if (!height.ok()) return StorageFailure(height.status());
    next = *height == UINT64_MAX ? *height : *height + 1;
  }
  auto sender = GetAccountAt(sender_id, *params, next);
  if (!sender.ok()) return StorageFailure(sender.status());
  auto recipient = GetAccountAt(t.to, *params, next);
  if (!recipient.ok()) return StorageFailure(recipient.status());
  const auto expected = CheckedAdd(sender->nonce, pending_from_sender);
  if (!expected) return Refused(TxCode::kNonceTooHigh, "pending count overflows the nonce");
  return bank::CheckTransferStateful(t, *sender, *expected, *recipient);
}

Result<BlockOutcome> Ledger::ApplyBlock(
    const types::BlockHeader& header, const std::vector<types::Transaction>& txs,
    SignatureCheck sigs, const std::vector<types::DuplicateVoteEvidence>& evidence,
    const std::vector<types::ConflictingProposalEvidence>& proposal_evidence) const {
  return ApplyBlockImpl(header, txs, sigs, evidence, proposal_evidence, {});
}

Result<BlockOutcome> Ledger::ApplyBlockWithCreditsForTesting(
    const types::BlockHeader& header, const std::vector<types::Transaction>& txs,
    const std::vector<CreditForTesting>& credits) const {
  return ApplyBlockImpl(header, txs, SignatureCheck::kVerify, {}, {}, credits);
}

// What a block starts from: the committed height, the parameters, the supply brought to
// the block's epoch, the validator records of its evidence, and the personhood modules'
// start-of-block work.
struct Ledger::BlockStart {
  uint64_t height = 0;  // committed
  Params params;
  uint64_t epoch = 0;  // the block's
  demurrage::SupplyState supply_before;
  demurrage::SupplyState supply;
  std::vector<std::pair<Bytes, Bytes>> validator_records;
  PersonhoodParams personhood;
  Hash32 root_before{};
};

// The dkg module's start of block (dkg.h), given the validator set ruling `height` in
// the committed schedule; nothing on a chain without a dedup key or without validators.
Status Ledger::BeginDkgBlock(RegistryStore* registry, uint64_t height) const {
  HITO_ASSIGN_OR_RETURN(std::optional<uint64_t> phase, dkg::ReadPhaseBlocks(*registry));
  if (!phase) return Status::Ok();
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, Read(kValidatorSetsKey));
  if (!raw) return Status::Ok();
  HITO_ASSIGN_OR_RETURN(ValidatorSchedule schedule, DecodeValidatorSchedule(*raw));
  const types::ValidatorSet* ruling = schedule.SetAt(height);
  if (ruling == nullptr)
    return DataLossError("v/sets: no set rules height " + std::to_string(height));
  return dkg::BeginBlock(registry, chain_id_, height, *ruling);
}

Result<Ledger::BlockStart> Ledger::StartBlock(
    const types::BlockHeader& header, size_t tx_count,
    const std::vector<types::DuplicateVoteEvidence>& evidence,
    const std::vector<types::ConflictingProposalEvidence>& proposal_evidence,
    RegistryStore* registry) const {
  if (header.chain_id != chain_id_) {
    return InvalidArgumentError("block for chain \"" + header.chain_id + "\", this chain is \"" +
                                chain_id_ + "\"");
  }
  BlockStart b;
  HITO_ASSIGN_OR_RETURN(b.height, Height());
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> stored_chain, Read(kChainIdKey));
  HITO_RETURN_IF_ERROR(CheckBlockFrame(header, tx_count, chain_id_, b.height, stored_chain));
  HITO_ASSIGN_OR_RETURN(b.params, GetParams());
  HITO_ASSIGN_OR_RETURN(b.supply_before, ReadSupply());
  // Demurrage: the supply decays at the first block of each epoch, and every account a
  // transaction touches is settled to the block's epoch first (bank.h).
  b.epoch = EpochOf(b.params, header.height);
  HITO_ASSIGN_OR_RETURN(b.supply, SupplyAt(b.params, b.supply_before, b.epoch));
  // An epoch's first block freezes snapshots, prunes and closes a governance round before
  // any transaction.
  HITO_ASSIGN_OR_RETURN(b.personhood, BeginPersonhoodBlock(registry, b.params, header.height));
  // Evidence and the validator schedule (validators.h), with the set a governance round
  // scheduled; an invalid piece of evidence fails the block.
  HITO_ASSIGN_OR_RETURN(
      b.validator_records,
      ValidatorRecords(*state_, chain_id_, header.height, evidence, proposal_evidence,
                       b.personhood.round_close.next_validators));
  HITO_RETURN_IF_ERROR(BeginDkgBlock(registry, header.height));
  HITO_ASSIGN_OR_RETURN(b.root_before, StateRoot());
  return b;
}

// The cache is used only if it describes the committed state (same root and height).
Ledger::Cache& Ledger::CacheFor(const Hash32& root, uint64_t height) const {
  Cache& cache = *cache_;
  if (!cache.valid || cache.root != root || cache.height != height) {
    cache.Clear();
    cache.valid = true;
    cache.root = root;
    cache.height = height;
  }
  cache.has_staged = false;
  cache.staged_accounts.clear();
  return cache;
}

namespace {

// The changed accounts as records and tree leaves, encoded in place in the change set
// (accounts come in id order: an append). Returns them for the cache to stage.
std::vector<std::pair<types::AccountId, Account>> FlushAccounts(
    AccountOverlay* overlay, std::vector<StateTree::SortedUpdate>* batch, ChangeSet* changes) {
  const std::vector<AccountOverlay::Slot> dirty = overlay->TakeDirty();
  batch->reserve(batch->size() + dirty.size() + 1);
  std::vector<std::pair<types::AccountId, Account>> staged;
  staged.reserve(dirty.size());
  for (const AccountOverlay::Slot& slot : dirty) {
    const types::AccountId& id = overlay->Id(slot);
    CachedAccount& entry = overlay->Entry(slot);
    if (!entry.has_tree_key) {
      entry.tree_key = StateTreeKey(AccountKey(id));
      entry.has_tree_key = true;
    }
    std::array<uint8_t, 2 + 32> key;
    std::copy(kAccountPrefix.begin(), kAccountPrefix.end(), key.begin());
    std::copy(id.begin(), id.end(), key.begin() + 2);
    const std::span<uint8_t> record =
        changes->PutUninitialized(key, AccountRecordSize(entry.pending));
    EncodeAccountTo(entry.pending, record);
    batch->emplace_back(entry.tree_key, StateValueHash(record));
    staged.emplace_back(id, entry.pending);
  }
  return staged;
}

// What a block's results account for: an accepted claim minted ubi_per_epoch, a test
// credit its amount (ApplyCredits fails the block otherwise), a refunded deposit its
// amount; an accepted transfer or proposal burned its fee, an accepted proposal took its
// deposit into escrow (out of the supply). Nothing else mints or burns.
struct SupplyFlow {
  demurrage::U128 minted = 0;
  demurrage::U128 burned = 0;
};
SupplyFlow FlowOf(const std::vector<types::Transaction>& txs, const std::vector<TxResult>& results,
                  const PersonhoodParams& pp, const std::vector<Ledger::CreditForTesting>& credits,
                  demurrage::U128 refunded) {
  HITO_ASSERT(results.size() == txs.size());
  SupplyFlow f;
  f.minted += refunded;  // deposits minted back at a round's close
  for (size_t i = 0; i < txs.size(); ++i) {
    f.burned += results[i].fee_burned;
    f.burned += results[i].deposit_escrowed;
    if (results[i].ok() && std::holds_alternative<types::Claim>(txs[i].body)) {
      HITO_ASSERT(pp.ubi.has_value());
      f.minted += pp.ubi->ubi_per_epoch;
    }
  }
  for (const Ledger::CreditForTesting& c : credits) f.minted += c.amount;
  return f;
}

// The supply after a block against the one it started from (decayed to its epoch) and its
// results: end + burned == start + minted exactly without demurrage; with it, settling an
// account cuts what its rounding toward zero dropped (ubi.md, "Supply"), so only <=.
// Compared as (units, fraction) pairs so the sums cannot overflow.
void AssertSupplyAccountedFor(const demurrage::SupplyState& start,
                              const demurrage::SupplyState& end, const SupplyFlow& flow,
                              bool demurrage_on) {
  HITO_ASSERT(end.epoch == start.epoch);
  const demurrage::U128 end_units = (end.scaled >> 64) + flow.burned;
  const demurrage::U128 start_units = (start.scaled >> 64) + flow.minted;
  const uint64_t end_frac = static_cast<uint64_t>(end.scaled);
  const uint64_t start_frac = static_cast<uint64_t>(start.scaled);
  if (!demurrage_on) {
    HITO_ASSERT(end_units == start_units && end_frac == start_frac);
    return;
  }
  HITO_ASSERT(end_units < start_units || (end_units == start_units && end_frac <= start_frac));
}

}  // namespace

Result<BlockOutcome> Ledger::ApplyBlockImpl(
    const types::BlockHeader& header, const std::vector<types::Transaction>& txs,
    SignatureCheck sigs, const std::vector<types::DuplicateVoteEvidence>& evidence,
    const std::vector<types::ConflictingProposalEvidence>& proposal_evidence,
    const std::vector<CreditForTesting>& credits) const {
  RegistryStore registry(state_);
  HITO_ASSIGN_OR_RETURN(BlockStart b,
                        StartBlock(header, txs.size(), evidence, proposal_evidence, &registry));
  HITO_ASSIGN_OR_RETURN(
      const std::vector<bool> bad_proofs,
      BadMembershipProofs(registry, chain_id_, b.personhood, b.epoch, txs, sigs, sets_));
  Cache& cache = CacheFor(b.root_before, b.height);
  BlockOutcome out;
  out.results.reserve(txs.size());
  // About two account records and two tree pages per transfer, and the tree's upper
  // pages (measured: 2.5 MB for 1,000 transfers over 100,000 accounts, 9.8 MB for
  // 10,000): room up front, so the change set does not regrow. Untouched reserve costs
  // address space only.
  out.changes.Reserve(4 * txs.size() + 8, 1024 * txs.size() + (size_t{2} << 20));
  AccountOverlay overlay(state_, &cache.accounts, ++cache.blocks_executed, txs.size());
  const demurrage::SupplyState supply_start = b.supply;  // decayed to the block's epoch
  // Deposits refunded at a round's close, before any transaction. A refund that would
  // overflow the balance or the supply is not minted (the deposit stays burned).
  demurrage::U128 refunded = 0;
  governance::RoundClose& close = b.personhood.round_close;
  for (const governance::Refund& refund : close.refunds) {
    HITO_ASSIGN_OR_RETURN(bool credited, CreditAccount(refund.amount, refund.to, b.params, b.epoch,
                                                       &overlay, &b.supply));
    if (credited) refunded += refund.amount;
    close.closed.at(refund.proposal).refunded = credited;
  }
  out.governance = {std::move(b.personhood.params_applied), std::move(close.closed),
                    std::move(close.opened)};
  BlockRun run{chain_id_, b.params, b.epoch, b.personhood, &registry, &overlay, &b.supply};
  for (size_t i = 0; i < txs.size(); ++i) {
    HITO_ASSIGN_OR_RETURN(TxResult r, ExecuteTx(txs[i], header.height, bad_proofs[i], sigs, &run));
    out.results.push_back(std::move(r));
  }
  HITO_RETURN_IF_ERROR(ApplyCredits(credits, b.params, b.epoch, &overlay, &b.supply));
  HITO_RETURN_IF_ERROR(dkg::EndBlock(&registry, header.height));
  AssertSupplyAccountedFor(supply_start, b.supply,
                           FlowOf(txs, out.results, b.personhood, credits, refunded),
                           b.params.demurrage_ppm_per_epoch != 0);

  std::vector<StateTree::SortedUpdate> batch;
  std::vector<std::pair<types::AccountId, Account>> staged =
      FlushAccounts(&overlay, &batch, &out.changes);
  if (b.supply != b.supply_before) {
    Bytes record = EncodeSupply(b.supply);
    batch.emplace_back(StateTreeKey(AsBytes(kSupplyKey)), StateValueHash(record));
    out.changes.Put(AsBytes(kSupplyKey), record);
  }
  for (auto& [key, record] : b.validator_records) {
    batch.emplace_back(StateTreeKey(key), StateValueHash(record));
    out.changes.Put(key, record);
  }
  HITO_RETURN_IF_ERROR(FlushRegistry(*state_, registry, &batch, &out.changes));
  // The tree batch as a vector sorted by tree key (a map of k entries costs k cache-
  // missing node allocations; the sort is over contiguous memory).
  SortByWord(
      &batch, [](const StateTree::SortedUpdate& u) { return LoadBE64(u.first.data()); },
      [](const StateTree::SortedUpdate& a, const StateTree::SortedUpdate& c) {
        return KeyLess(a.first, c.first);
      });
  HITO_ASSIGN_OR_RETURN(Hash32 tree_root,
                        StateTree(state_, &cache.pages).UpdateSorted(batch, &out.changes));
  out.changes.Put(AsBytes(kHeightKey), EncodeU64(header.height));
  out.changes.Put(AsBytes(kRootKey), tree_root);
  out.changes.Normalize();  // callers may read it from other threads
  out.state_root = tree_root;
  cache.Stage(b.root_before, b.height, tree_root, header.height, std::move(staged));
  return out;
}

}  // namespace hito::consensus::ledger
