// Building and signing transfers in the wallet.
//
// The wallet signs the canonical transaction (consensus/types) exactly as the ledger
// checks it: the chain id and the sender's next nonce come from the node, the signature
// covers TransferSigningBytes. Pure functions; thread-safe.
#ifndef HITO_WALLET_TRANSFER_H_
#define HITO_WALLET_TRANSFER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/ed25519.h"
#include "base/status.h"
#include "consensus/types/transaction.h"

namespace hito::wallet {

// Default fee in base units: the genesis default of the ledger's min_fee.
inline constexpr uint64_t kDefaultFee = 1000;

struct TransferRequest {
  std::string chain_id;
  uint64_t nonce = 0;
  uint64_t fee = kDefaultFee;
  consensus::types::AccountId to{};
  uint64_t amount = 0;
  std::string memo;
};

// Checks the request (non-empty chain id within limits, amount > 0, memo within
// kMemoMaxLen, no transfer to self) and returns the signed transaction.
Result<consensus::types::Transaction> BuildSignedTransfer(const TransferRequest& req,
                                                          const Ed25519PrivateKey& key);

// The "hito1..." address of a public key.
std::string AddressOf(const Ed25519PublicKey& pk);

// Parses an amount of base units: decimal digits only, no sign, no overflow.
Result<uint64_t> ParseUnits(std::string_view text, std::string_view what);

}  // namespace hito::wallet

#endif  // HITO_WALLET_TRANSFER_H_
