#include "consensus/ledger/ledger.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "base/checked.h"
#include "base/hex.h"
#include "consensus/ledger/bank.h"
#include "consensus/ledger/records.h"
#include "consensus/ledger/state_tree.h"
#include "consensus/types/limits.h"

namespace hito::consensus::ledger {
namespace {

// Adds a consensus record to the block's writes and its leaf to the tree batch. Callers
// add records in key order where they can, so the end hint makes the insert O(1).
void PutRecord(Bytes key, Bytes record, ChangeSet* changes, TreeBatch* batch) {
  batch->insert_or_assign(StateTreeKey(key), StateValueHash(record));
  changes->insert_or_assign(changes->end(), std::move(key), std::move(record));
}

// Writes the tree nodes and the metadata (height, root) of a new state.
Result<Hash32> Seal(const KvReader* base, const TreeBatch& batch, uint64_t height,
                    ChangeSet* changes) {
  HITO_ASSIGN_OR_RETURN(Hash32 root, StateTree(base).Update(batch, changes));
  changes->insert_or_assign(KeyBytes(kHeightKey), EncodeU64(height));
  changes->insert_or_assign(KeyBytes(kRootKey), Bytes(root.begin(), root.end()));
  return root;
}

// The accounts a block touches, on top of the committed state.
class AccountOverlay {
 public:
  explicit AccountOverlay(const KvReader* state) : state_(state) {}

  struct Slot {
    Account account;
    bool dirty = false;
  };

  Result<Slot*> Load(const types::AccountId& id) {
    auto it = slots_.lower_bound(id);
    if (it != slots_.end() && it->first == id) return &it->second;
    // A key on the stack and a reused value buffer: a miss allocates only the slot.
    std::array<uint8_t, 2 + 32> key;
    std::copy(kAccountPrefix.begin(), kAccountPrefix.end(), key.begin());
    std::copy(id.begin(), id.end(), key.begin() + 2);
    HITO_RETURN_IF_ERROR(state_->Get(key, &raw_));
    Slot slot;
    if (raw_) {
      HITO_ASSIGN_OR_RETURN(slot.account, DecodeAccount(*raw_));
    }
    it = slots_.emplace_hint(it, id, slot);
    return &it->second;
  }

  const std::map<types::AccountId, Slot>& slots() const { return slots_; }

 private:
  const KvReader* state_;
  std::map<types::AccountId, Slot> slots_;
  std::optional<Bytes> raw_;
};

TxResult Unsupported(const types::Transaction& tx) {
  TxResult r;
  r.code = TxCode::kUnsupportedKind;
  r.message = "transaction kind " + std::string(types::TxKindName(tx.kind())) + " is not enabled";
  return r;
}

}  // namespace

Result<BlockOutcome> Ledger::InitGenesis(const Genesis& genesis) {
  if (genesis.chain_id.empty() || genesis.chain_id.size() > types::kChainIdMaxLen) {
    return InvalidArgumentError("genesis: chain id must be 1.." +
                                std::to_string(types::kChainIdMaxLen) + " bytes");
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
    PutRecord(AccountKey(a.account), EncodeAccount(Account{a.balance, 0}), &out.changes, &batch);
  }
  PutRecord(KeyBytes(kParamsKey), EncodeParams(genesis.params), &out.changes, &batch);
  PutRecord(KeyBytes(kChainIdKey), KeyBytes(genesis.chain_id), &out.changes, &batch);
  PutRecord(KeyBytes(kSupplyKey), EncodeU64(supply), &out.changes, &batch);
  const MemoryKv empty;
  HITO_ASSIGN_OR_RETURN(out.state_root, Seal(&empty, batch, /*height=*/0, &out.changes));
  return out;
}

Ledger::Ledger(std::string chain_id, const KvReader* state)
    : chain_id_(std::move(chain_id)), state_(state) {
  HITO_ASSERT(state_ != nullptr);
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

Result<uint64_t> Ledger::Supply() const { return ReadU64(kSupplyKey); }

Result<Account> Ledger::GetAccount(const types::AccountId& id) const {
  std::optional<Bytes> raw;
  HITO_RETURN_IF_ERROR(state_->Get(AccountKey(id), &raw));
  if (!raw) return Account{};
  return DecodeAccount(*raw);
}

Result<Params> Ledger::GetParams() const {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, Read(kParamsKey));
  if (!raw) return FailedPreconditionError("state has no params: genesis was not applied");
  return DecodeParams(*raw);
}

Result<StateProof> Ledger::ProveRecord(ByteView kv_key) const {
  return StateTree(state_).Prove(StateTreeKey(kv_key));
}

TxResult Ledger::CheckTransaction(const types::Transaction& tx, uint64_t pending_from_sender,
                                  SignatureCheck sigs) const {
  const auto* t = std::get_if<types::Transfer>(&tx.body);
  if (t == nullptr) return Unsupported(tx);
  auto storage_failure = [](const Status& s) {
    // The mempool cannot judge a transaction it cannot read state for: refused for now,
    // with the storage error as the detail.
    TxResult r;
    r.code = TxCode::kStateUnavailable;
    r.message = "state unavailable: " + s.ToString();
    return r;
  };
  auto params = GetParams();
  if (!params.ok()) return storage_failure(params.status());
  const types::AccountId sender_id = types::AccountIdFromPublicKey(t->sender);
  TxResult r = bank::CheckTransferStateless(*t, sender_id, chain_id_, *params, sigs);
  if (!r.ok()) return r;
  auto sender = GetAccount(sender_id);
  if (!sender.ok()) return storage_failure(sender.status());
  auto recipient = GetAccount(t->to);
  if (!recipient.ok()) return storage_failure(recipient.status());
  const auto expected = CheckedAdd(sender->nonce, pending_from_sender);
  if (!expected) {
    TxResult high;
    high.code = TxCode::kNonceTooHigh;
    high.message = "pending count overflows the nonce";
    return high;
  }
  return bank::CheckTransferStateful(*t, *sender, *expected, *recipient);
}

Result<BlockOutcome> Ledger::ApplyBlock(const types::BlockHeader& header,
                                        const std::vector<types::Transaction>& txs,
                                        SignatureCheck sigs) const {
  if (header.chain_id != chain_id_) {
    return InvalidArgumentError("block for chain \"" + header.chain_id + "\", this chain is \"" +
                                chain_id_ + "\"");
  }
  HITO_ASSIGN_OR_RETURN(uint64_t height, Height());
  if (header.height != height + 1) {
    return FailedPreconditionError("block height " + std::to_string(header.height) +
                                   " does not follow committed height " + std::to_string(height));
  }
  if (txs.size() > types::kBlockMaxTxs) {
    return InvalidArgumentError("block has " + std::to_string(txs.size()) +
                                " transactions, limit " + std::to_string(types::kBlockMaxTxs));
  }
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> stored_chain, Read(kChainIdKey));
  if (!stored_chain || AsChars(*stored_chain) != chain_id_) {
    return FailedPreconditionError("state belongs to another chain than \"" + chain_id_ + "\"");
  }
  HITO_ASSIGN_OR_RETURN(Params params, GetParams());
  HITO_ASSIGN_OR_RETURN(const uint64_t supply_before, Supply());
  uint64_t supply = supply_before;

  BlockOutcome out;
  out.results.reserve(txs.size());
  AccountOverlay overlay(state_);
  for (const types::Transaction& tx : txs) {
    const auto* t = std::get_if<types::Transfer>(&tx.body);
    if (t == nullptr) {
      out.results.push_back(Unsupported(tx));
      continue;
    }
    const types::AccountId sender_id = types::AccountIdFromPublicKey(t->sender);
    TxResult r = bank::CheckTransferStateless(*t, sender_id, chain_id_, params, sigs);
    if (r.ok()) {
      HITO_ASSIGN_OR_RETURN(AccountOverlay::Slot * sender, overlay.Load(sender_id));
      HITO_ASSIGN_OR_RETURN(AccountOverlay::Slot * recipient, overlay.Load(t->to));
      r = bank::CheckTransferStateful(*t, sender->account, sender->account.nonce,
                                      recipient->account);
      if (r.ok()) {
        bank::ApplyTransfer(*t, &sender->account, &recipient->account, &supply);
        sender->dirty = true;
        recipient->dirty = true;
      }
    }
    out.results.push_back(std::move(r));
  }

  TreeBatch batch;
  for (const auto& [id, slot] : overlay.slots()) {
    if (slot.dirty) PutRecord(AccountKey(id), EncodeAccount(slot.account), &out.changes, &batch);
  }
  if (supply != supply_before) {
    PutRecord(KeyBytes(kSupplyKey), EncodeU64(supply), &out.changes, &batch);
  }
  HITO_ASSIGN_OR_RETURN(out.state_root, Seal(state_, batch, header.height, &out.changes));
  return out;
}

}  // namespace hito::consensus::ledger
