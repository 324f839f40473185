#include "wallet/transfer.h"

#include <charconv>

#include "base/bech32m.h"
#include "consensus/types/limits.h"

namespace hito::wallet {

namespace types = consensus::types;

Result<types::Transaction> BuildSignedTransfer(const TransferRequest& req,
                                               const Ed25519PrivateKey& key) {
  if (req.chain_id.empty() || req.chain_id.size() > types::kChainIdMaxLen) {
    return InvalidArgumentError("chain id must be 1 to " + std::to_string(types::kChainIdMaxLen) +
                                " bytes");
  }
  if (req.amount == 0) return InvalidArgumentError("amount must be greater than zero");
  if (req.memo.size() > types::kMemoMaxLen) {
    return InvalidArgumentError("memo is " + std::to_string(req.memo.size()) +
                                " bytes; the limit is " + std::to_string(types::kMemoMaxLen));
  }
  if (types::AccountIdFromPublicKey(key.public_key()) == req.to) {
    return InvalidArgumentError("sender and recipient are the same account");
  }
  types::Transfer t;
  t.chain_id = req.chain_id;
  t.sender = key.public_key();
  t.nonce = req.nonce;
  t.fee = req.fee;
  t.to = req.to;
  t.amount = req.amount;
  t.memo = ToBytes(AsBytes(req.memo));
  types::SignTransfer(&t, key);
  types::Transaction tx;
  tx.body = std::move(t);
  return tx;
}

std::string AddressOf(const Ed25519PublicKey& pk) {
  return EncodeAddress(types::AccountIdFromPublicKey(pk));
}

Result<uint64_t> ParseUnits(std::string_view text, std::string_view what) {
  if (text.empty() || text.size() > 20) {
    return InvalidArgumentError(std::string(what) + " must be an integer of base units");
  }
  for (char c : text) {
    if (c < '0' || c > '9') {
      return InvalidArgumentError(std::string(what) + " '" + std::string(text) +
                                  "' is not an integer of base units (digits only)");
    }
  }
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    return InvalidArgumentError(std::string(what) + " '" + std::string(text) +
                                "' does not fit in 64 bits");
  }
  return v;
}

}  // namespace hito::wallet
