#include "consensus/ledger/tx_result.h"

namespace hito::consensus::ledger {

std::string_view TxCodeName(TxCode code) {
  switch (code) {
    case TxCode::kOk:
      return "TX_OK";
    case TxCode::kMalformed:
      return "TX_MALFORMED";
    case TxCode::kUnsupportedKind:
      return "TX_UNSUPPORTED_KIND";
    case TxCode::kWrongChain:
      return "TX_WRONG_CHAIN";
    case TxCode::kBadSignature:
      return "TX_BAD_SIGNATURE";
    case TxCode::kNonceTooLow:
      return "TX_NONCE_TOO_LOW";
    case TxCode::kNonceTooHigh:
      return "TX_NONCE_TOO_HIGH";
    case TxCode::kInsufficientFunds:
      return "TX_INSUFFICIENT_FUNDS";
    case TxCode::kFeeTooLow:
      return "TX_FEE_TOO_LOW";
    case TxCode::kZeroAmount:
      return "TX_ZERO_AMOUNT";
    case TxCode::kSelfTransfer:
      return "TX_SELF_TRANSFER";
    case TxCode::kAmountOverflow:
      return "TX_AMOUNT_OVERFLOW";
    case TxCode::kMempoolFull:
      return "TX_MEMPOOL_FULL";
    case TxCode::kAlreadyKnown:
      return "TX_ALREADY_KNOWN";
    case TxCode::kTooLarge:
      return "TX_TOO_LARGE";
    case TxCode::kStateUnavailable:
      return "TX_STATE_UNAVAILABLE";
  }
  return "TX_UNKNOWN";
}

}  // namespace hito::consensus::ledger
