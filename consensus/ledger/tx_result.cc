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
    case TxCode::kAttesterNotAccredited:
      return "TX_ATTESTER_NOT_ACCREDITED";
    case TxCode::kAttestationExpired:
      return "TX_ATTESTATION_EXPIRED";
    case TxCode::kAttestationTooLong:
      return "TX_ATTESTATION_TOO_LONG";
    case TxCode::kBadProof:
      return "TX_BAD_PROOF";
    case TxCode::kIdentityExists:
      return "TX_IDENTITY_EXISTS";
    case TxCode::kAttestationUsed:
      return "TX_ATTESTATION_USED";
    case TxCode::kAttesterQuota:
      return "TX_ATTESTER_QUOTA";
    case TxCode::kNotIssuer:
      return "TX_NOT_ISSUER";
    case TxCode::kIdentityUnknown:
      return "TX_IDENTITY_UNKNOWN";
    case TxCode::kIdentityNotLive:
      return "TX_IDENTITY_NOT_LIVE";
    case TxCode::kRenewalNotLater:
      return "TX_RENEWAL_NOT_LATER";
    case TxCode::kCommitmentRefused:
      return "TX_COMMITMENT_REFUSED";
    case TxCode::kEpochNotOpen:
      return "TX_EPOCH_NOT_OPEN";
    case TxCode::kNoSnapshot:
      return "TX_NO_SNAPSHOT";
    case TxCode::kAlreadyClaimed:
      return "TX_ALREADY_CLAIMED";
    case TxCode::kClaimsPerBlock:
      return "TX_CLAIMS_PER_BLOCK";
    case TxCode::kDepositMismatch:
      return "TX_DEPOSIT_MISMATCH";
    case TxCode::kProposalsPerRound:
      return "TX_PROPOSALS_PER_ROUND";
    case TxCode::kProposalInvalid:
      return "TX_PROPOSAL_INVALID";
    case TxCode::kRoundNotOpen:
      return "TX_ROUND_NOT_OPEN";
    case TxCode::kBallotInvalid:
      return "TX_BALLOT_INVALID";
    case TxCode::kBallotOverBudget:
      return "TX_BALLOT_OVER_BUDGET";
    case TxCode::kBallotRevisions:
      return "TX_BALLOT_REVISIONS";
    case TxCode::kBallotsPerBlock:
      return "TX_BALLOTS_PER_BLOCK";
  }
  return "TX_UNKNOWN";
}

}  // namespace hito::consensus::ledger
