#include "consensus/ledger/tx_result.h"

namespace hito::consensus::ledger {

namespace {

std::string_view RegistryCodeName(TxCode code) {
  namespace rc = registry_code;
  if (code == rc::kAttesterNotAccredited) return "TX_ATTESTER_NOT_ACCREDITED";
  if (code == rc::kAttestationExpired) return "TX_ATTESTATION_EXPIRED";
  if (code == rc::kAttestationTooLong) return "TX_ATTESTATION_TOO_LONG";
  if (code == rc::kBadProof) return "TX_BAD_PROOF";
  if (code == rc::kIdentityExists) return "TX_IDENTITY_EXISTS";
  if (code == rc::kAttestationUsed) return "TX_ATTESTATION_USED";
  if (code == rc::kAttesterQuota) return "TX_ATTESTER_QUOTA";
  if (code == rc::kNotIssuer) return "TX_NOT_ISSUER";
  if (code == rc::kIdentityUnknown) return "TX_IDENTITY_UNKNOWN";
  if (code == rc::kIdentityNotLive) return "TX_IDENTITY_NOT_LIVE";
  if (code == rc::kRenewalNotLater) return "TX_RENEWAL_NOT_LATER";
  if (code == rc::kCommitmentRefused) return "TX_COMMITMENT_REFUSED";
  return "TX_UNKNOWN";
}

}  // namespace

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
  return RegistryCodeName(code);
}

}  // namespace hito::consensus::ledger
