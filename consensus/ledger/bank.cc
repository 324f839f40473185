#include "consensus/ledger/bank.h"

#include <cstdint>
#include <string>
#include <utility>

#include "base/checked.h"
#include "consensus/types/limits.h"

namespace hito::consensus::ledger::bank {
namespace {}  // namespace

TxResult CheckTransferStateless(const types::Transfer& t, const types::AccountId& sender_id,
                                std::string_view chain_id, const Params& params,
                                SignatureCheck sigs) {
  if (t.chain_id.empty() || t.chain_id.size() > types::kChainIdMaxLen) {
    return Refused(TxCode::kMalformed,
                   "chain id must be 1.." + std::to_string(types::kChainIdMaxLen) + " bytes");
  }
  if (t.memo.size() > types::kMemoMaxLen) {
    return Refused(TxCode::kMalformed, "memo of " + std::to_string(t.memo.size()) +
                                           " bytes exceeds " + std::to_string(types::kMemoMaxLen));
  }
  if (t.chain_id != chain_id) {
    return Refused(TxCode::kWrongChain, "chain id \"" + t.chain_id + "\", this chain is \"" +
                                            std::string(chain_id) + "\"");
  }
  if (t.fee < params.min_fee) {
    return Refused(TxCode::kFeeTooLow, "fee " + std::to_string(t.fee) + " below minimum " +
                                           std::to_string(params.min_fee));
  }
  if (t.amount == 0) return Refused(TxCode::kZeroAmount, "amount is zero");
  if (t.to == sender_id) return Refused(TxCode::kSelfTransfer, "recipient is the sender");
  if (!CheckedAdd(t.amount, t.fee)) {
    return Refused(TxCode::kAmountOverflow, "amount + fee overflows");
  }
  if (sigs == SignatureCheck::kVerify && !types::VerifyTransferSignature(t)) {
    return Refused(TxCode::kBadSignature, "signature does not verify under the sender key");
  }
  return TxResult{};
}

TxResult CheckTransferStateful(const types::Transfer& t, const Account& sender,
                               uint64_t expected_nonce, const Account& recipient) {
  if (t.nonce < expected_nonce) {
    return Refused(TxCode::kNonceTooLow, "nonce " + std::to_string(t.nonce) + " expected " +
                                             std::to_string(expected_nonce));
  }
  if (t.nonce > expected_nonce) {
    return Refused(TxCode::kNonceTooHigh, "nonce " + std::to_string(t.nonce) + " expected " +
                                              std::to_string(expected_nonce));
  }
  if (sender.nonce == UINT64_MAX) {
    return Refused(TxCode::kNonceTooHigh, "account nonce exhausted");
  }
  const uint64_t total = t.amount + t.fee;  // checked in CheckTransferStateless
  if (sender.balance < total) {
    return Refused(TxCode::kInsufficientFunds, "balance " + std::to_string(sender.balance) +
                                                   " below amount + fee " + std::to_string(total));
  }
  if (!CheckedAdd(recipient.balance, t.amount)) {
    return Refused(TxCode::kAmountOverflow, "recipient balance would overflow");
  }
  TxResult ok;
  ok.fee_burned = t.fee;
  return ok;
}

Account Settled(const Params& params, uint64_t epoch, const Account& account) {
  if (params.demurrage_ppm_per_epoch == 0) return account;
  HITO_ASSERT(epoch >= account.epoch);
  Account out = account;
  out.balance =
      demurrage::Decay(account.balance, params.demurrage_ppm_per_epoch, epoch - account.epoch)
          .value;
  out.epoch = epoch;
  return out;
}

void SettleInto(const Params& params, uint64_t epoch, Account* account,
                demurrage::SupplyState* supply) {
  if (params.demurrage_ppm_per_epoch == 0 || account->epoch == epoch) return;
  HITO_ASSERT(epoch > account->epoch && supply->epoch == epoch);
  const demurrage::Decayed d =
      demurrage::Decay(account->balance, params.demurrage_ppm_per_epoch, epoch - account->epoch);
  // The supply already decayed this balance exactly (rounded up); only the fraction the
  // account's rounding toward zero cut leaves it now (ubi.md, "Supply").
  const auto cut = demurrage::SubCut(*supply, d.cut);
  HITO_ASSERT(cut.has_value());
  *supply = *cut;
  account->balance = d.value;
  account->epoch = epoch;
}

void ApplyTransfer(const types::Transfer& t, Account* sender, Account* recipient,
                   demurrage::SupplyState* supply) {
  // The checks above make every step exact; the asserts guard the invariant.
  const auto total = CheckedAdd(t.amount, t.fee);
  HITO_ASSERT(total && sender->balance >= *total && sender->nonce == t.nonce);
  const auto credited = CheckedAdd(recipient->balance, t.amount);
  const auto new_nonce = CheckedAdd(sender->nonce, uint64_t{1});
  const auto new_supply = demurrage::SubUnits(*supply, t.fee);
  HITO_ASSERT(credited && new_nonce && new_supply);
  sender->balance -= *total;
  sender->nonce = *new_nonce;
  recipient->balance = *credited;
  *supply = *new_supply;
}

void Spend(uint64_t amount, Account* account, demurrage::SupplyState* supply) {
  const auto new_nonce = CheckedAdd(account->nonce, uint64_t{1});
  const auto new_supply = demurrage::SubUnits(*supply, amount);
  HITO_ASSERT(account->balance >= amount && new_nonce && new_supply);
  account->balance -= amount;
  account->nonce = *new_nonce;
  *supply = *new_supply;
}

bool Credit(uint64_t amount, Account* account, demurrage::SupplyState* supply) {
  const auto credited = CheckedAdd(account->balance, amount);
  const auto new_supply = demurrage::AddUnits(*supply, amount);
  if (!credited || !new_supply) return false;
  account->balance = *credited;
  *supply = *new_supply;
  return true;
}

}  // namespace hito::consensus::ledger::bank
