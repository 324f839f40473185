#include "consensus/ledger/tx_result.h"

#include <utility>

namespace hito::consensus::ledger {
namespace {

// Every code with its name (ledger_test's EveryCodeHasItsOwnName checks 0..kLastTxCode).
constexpr std::pair<TxCode, std::string_view> kNames[] = {
    {TxCode::kOk, "TX_OK"},
    {TxCode::kMalformed, "TX_MALFORMED"},
    {TxCode::kUnsupportedKind, "TX_UNSUPPORTED_KIND"},
    {TxCode::kWrongChain, "TX_WRONG_CHAIN"},
    {TxCode::kBadSignature, "TX_BAD_SIGNATURE"},
    {TxCode::kNonceTooLow, "TX_NONCE_TOO_LOW"},
    {TxCode::kNonceTooHigh, "TX_NONCE_TOO_HIGH"},
    {TxCode::kInsufficientFunds, "TX_INSUFFICIENT_FUNDS"},
    {TxCode::kFeeTooLow, "TX_FEE_TOO_LOW"},
    {TxCode::kZeroAmount, "TX_ZERO_AMOUNT"},
    {TxCode::kSelfTransfer, "TX_SELF_TRANSFER"},
    {TxCode::kAmountOverflow, "TX_AMOUNT_OVERFLOW"},
    {TxCode::kMempoolFull, "TX_MEMPOOL_FULL"},
    {TxCode::kAlreadyKnown, "TX_ALREADY_KNOWN"},
    {TxCode::kTooLarge, "TX_TOO_LARGE"},
    {TxCode::kStateUnavailable, "TX_STATE_UNAVAILABLE"},
    {TxCode::kAttesterNotAccredited, "TX_ATTESTER_NOT_ACCREDITED"},
    {TxCode::kAttestationExpired, "TX_ATTESTATION_EXPIRED"},
    {TxCode::kAttestationTooLong, "TX_ATTESTATION_TOO_LONG"},
    {TxCode::kBadProof, "TX_BAD_PROOF"},
    {TxCode::kIdentityExists, "TX_IDENTITY_EXISTS"},
    {TxCode::kAttestationUsed, "TX_ATTESTATION_USED"},
    {TxCode::kAttesterQuota, "TX_ATTESTER_QUOTA"},
    {TxCode::kNotIssuer, "TX_NOT_ISSUER"},
    {TxCode::kIdentityUnknown, "TX_IDENTITY_UNKNOWN"},
    {TxCode::kIdentityNotLive, "TX_IDENTITY_NOT_LIVE"},
    {TxCode::kRenewalNotLater, "TX_RENEWAL_NOT_LATER"},
    {TxCode::kCommitmentRefused, "TX_COMMITMENT_REFUSED"},
    {TxCode::kEpochNotOpen, "TX_EPOCH_NOT_OPEN"},
    {TxCode::kNoSnapshot, "TX_NO_SNAPSHOT"},
    {TxCode::kAlreadyClaimed, "TX_ALREADY_CLAIMED"},
    {TxCode::kClaimsPerBlock, "TX_CLAIMS_PER_BLOCK"},
    {TxCode::kDepositMismatch, "TX_DEPOSIT_MISMATCH"},
    {TxCode::kProposalsPerRound, "TX_PROPOSALS_PER_ROUND"},
    {TxCode::kProposalInvalid, "TX_PROPOSAL_INVALID"},
    {TxCode::kRoundNotOpen, "TX_ROUND_NOT_OPEN"},
    {TxCode::kBallotInvalid, "TX_BALLOT_INVALID"},
    {TxCode::kBallotOverBudget, "TX_BALLOT_OVER_BUDGET"},
    {TxCode::kBallotRevisions, "TX_BALLOT_REVISIONS"},
    {TxCode::kBallotsPerBlock, "TX_BALLOTS_PER_BLOCK"},
    {TxCode::kDkgNoSession, "TX_DKG_NO_SESSION"},
    {TxCode::kDkgNotMember, "TX_DKG_NOT_MEMBER"},
    {TxCode::kDkgOutOfPhase, "TX_DKG_OUT_OF_PHASE"},
    {TxCode::kDkgRefused, "TX_DKG_REFUSED"},
};

}  // namespace

std::string_view TxCodeName(TxCode code) {
  for (const auto& [c, name] : kNames) {
    if (c == code) return name;
  }
  return "TX_UNKNOWN";
}

}  // namespace hito::consensus::ledger
