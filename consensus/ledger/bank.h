// The bank: accounts, transfers and the burned fee.
//
// The transfer rules, in the order they are checked (the first failure is the result):
//   1. format: chain id of 1..64 bytes, memo of at most 256 bytes     -> kMalformed
//   2. chain id equals this chain's                                    -> kWrongChain
//   3. fee >= params.min_fee                                           -> kFeeTooLow
//   4. amount > 0                                                      -> kZeroAmount
//   5. recipient differs from the sender's account                     -> kSelfTransfer
//   6. amount + fee fits in u64                                        -> kAmountOverflow
//   7. signature, unless SignatureCheck::kAlreadyVerified              -> kBadSignature
//   8. nonce == expected (account nonce [+ pending])     -> kNonceTooLow / kNonceTooHigh
//   9. sender balance >= amount + fee                                  -> kInsufficientFunds
//  10. recipient balance + amount fits in u64                          -> kAmountOverflow
// Steps 1-7 depend on the transaction alone, 8-10 on the state. A valid transfer moves
// `amount` from sender to recipient, burns `fee` (the total supply falls by it) and
// increments the sender's nonce. Pure functions; no I/O.
//
// Demurrage (demurrage.h): before any rule reads a balance, the account is settled to the
// block's epoch (Settled), so every check and every move is on the balance of that epoch;
// an account that decayed can send exactly what it holds now. A transfer or a credit
// writes its accounts settled (SettleInto also takes the rounding cut off the supply).
#ifndef HITO_CONSENSUS_LEDGER_BANK_H_
#define HITO_CONSENSUS_LEDGER_BANK_H_

#include <cstdint>
#include <string_view>

#include "consensus/ledger/demurrage.h"
#include "consensus/ledger/ledger.h"
#include "consensus/ledger/tx_result.h"
#include "consensus/types/transaction.h"

namespace hito::consensus::ledger::bank {

// Steps 1-7. `sender_id` must be AccountIdFromPublicKey(t.sender).
TxResult CheckTransferStateless(const types::Transfer& t, const types::AccountId& sender_id,
                                std::string_view chain_id, const Params& params,
                                SignatureCheck sigs);

// Steps 8-10, against the sender's and recipient's current accounts.
TxResult CheckTransferStateful(const types::Transfer& t, const Account& sender,
                               uint64_t expected_nonce, const Account& recipient);

// `account` evaluated at `epoch` (>= account.epoch): the balance decayed, the epoch set.
// With demurrage off, the account unchanged (its epoch stays 0).
Account Settled(const Params& params, uint64_t epoch, const Account& account);

// Settles `*account` to `epoch` and removes the rounding cut from `*supply` (which must
// already be advanced to `epoch`); the supply invariant (demurrage.h) is kept.
void SettleInto(const Params& params, uint64_t epoch, Account* account,
                demurrage::SupplyState* supply);

// Applies a transfer that passed both checks (with expected_nonce == sender->nonce) to
// accounts already settled to the block's epoch. `supply` falls by the fee.
void ApplyTransfer(const types::Transfer& t, Account* sender, Account* recipient,
                   demurrage::SupplyState* supply);

// Takes `amount` (a proposal's fee and deposit, already checked against the balance)
// out of an account settled to the block's epoch and increments its nonce; `supply`
// falls by it.
void Spend(uint64_t amount, Account* account, demurrage::SupplyState* supply);

// Mints `amount` to an account settled to the block's epoch (a UBI claim's credit);
// `supply` grows by it. False, changing nothing, when the balance or supply would overflow.
[[nodiscard]] bool Credit(uint64_t amount, Account* account, demurrage::SupplyState* supply);

}  // namespace hito::consensus::ledger::bank

#endif  // HITO_CONSENSUS_LEDGER_BANK_H_
