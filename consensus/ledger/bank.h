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
#ifndef HITO_CONSENSUS_LEDGER_BANK_H_
#define HITO_CONSENSUS_LEDGER_BANK_H_

#include <cstdint>
#include <string_view>

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

// Applies a transfer that passed both checks (with expected_nonce == sender->nonce).
// `supply` is the total supply, reduced by the fee.
void ApplyTransfer(const types::Transfer& t, Account* sender, Account* recipient, uint64_t* supply);

}  // namespace hito::consensus::ledger::bank

#endif  // HITO_CONSENSUS_LEDGER_BANK_H_
