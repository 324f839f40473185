// Typed results of checking or executing a transaction, with stable reason codes.
//
// The reason names (TxCodeName) are the stable strings the RPC layer puts in
// google.rpc.ErrorInfo.reason and the CLI prints; docs/api.md lists them. Numbers and
// names never change meaning once released.
#ifndef HITO_CONSENSUS_LEDGER_TX_RESULT_H_
#define HITO_CONSENSUS_LEDGER_TX_RESULT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace hito::consensus::ledger {

enum class TxCode : uint16_t {
  kOk = 0,
  kMalformed = 1,        // does not decode canonically
  kUnsupportedKind = 2,  // reserved kind not enabled yet
  kWrongChain = 3,       // chain id differs from this chain's
  kBadSignature = 4,
  kNonceTooLow = 5,        // already used: a replay or a duplicate
  kNonceTooHigh = 6,       // a gap: earlier transactions are missing
  kInsufficientFunds = 7,  // balance < amount + fee
  kFeeTooLow = 8,
  kZeroAmount = 9,
  kSelfTransfer = 10,
  kAmountOverflow = 11,  // recipient balance or amount + fee would overflow
  kMempoolFull = 12,     // admission only
  kAlreadyKnown = 13,    // admission only: same hash already pending or committed
  kTooLarge = 14,
  kStateUnavailable = 15,  // admission only: the node could not read its state; retry
  // Personhood registry (registry.h).
  kAttesterNotAccredited = 16,  // attester key not accredited
  kAttestationExpired = 17,     // expiry epoch already reached
  kAttestationTooLong = 18,     // expiry beyond max_attestation_epochs
  kBadProof = 19,               // proof of possession, identity point or membership proof
  kIdentityExists = 20,         // identity point registered before
  kAttestationUsed = 21,        // this attestation registered once already
  kAttesterQuota = 22,          // attester's registrations this epoch used up
  kNotIssuer = 23,              // revocation by another attester
  kIdentityUnknown = 24,        // no identity with this point
  kIdentityNotLive = 25,        // revoked, replaced or expired
  kRenewalNotLater = 26,        // renewal must extend the expiry
  kCommitmentRefused = 27,      // commitment slot taken or list full
  // UBI claims (ubi.h).
  kEpochNotOpen = 28,    // the claim's epoch is in the future or left the claim window
  kNoSnapshot = 29,      // the cohort had no snapshot in that epoch
  kAlreadyClaimed = 30,  // the nullifier was used in that epoch (state, block or pool)
  kClaimsPerBlock = 31,  // the block already holds max_claims_per_block claims
  // Governance (governance.h).
  kDepositMismatch = 32,    // a proposal's deposit differs from proposal_deposit
  kProposalsPerRound = 33,  // the round holds max_proposals_per_round proposals
  kProposalInvalid = 34,    // the proposal's action cannot apply (reason in the message)
  kRoundNotOpen = 35,       // the ballot's round is not the current round
  kBallotInvalid = 36,      // an entry names no proposal of the voted round
  kBallotOverBudget = 37,   // sum of the votes' squares exceeds the voice credits
  kBallotRevisions = 38,    // the nullifier cast kBallotRevisionsMax ballots this round
  kBallotsPerBlock = 39,    // the block holds max_claims_per_block membership proofs
  // DKG messages (dkg.h)
  kDkgNoSession = 40,   // no open session with the message's id
  kDkgNotMember = 41,   // the sender does not hold the message's dealer or recipient slot
  kDkgOutOfPhase = 42,  // outside the message's phase (before it opens or after its deadline)
  kDkgRefused = 43,     // slot filled already, nothing to complain about or answer, wrong kind
};
// The highest code: codes run 0..kLastTxCode without gaps, each with a TxCodeName.
inline constexpr TxCode kLastTxCode = TxCode::kDkgRefused;

// Stable upper-snake reason, e.g. "TX_NONCE_TOO_LOW".
std::string_view TxCodeName(TxCode code);

struct TxResult {
  TxCode code = TxCode::kOk;
  std::string message;  // human-readable detail, e.g. "nonce 3 expected 5"
  uint64_t fee_burned = 0;
  uint64_t deposit_escrowed = 0;  // an accepted proposal's deposit, out of the supply
  bool ok() const { return code == TxCode::kOk; }
};

// A refusal with its reason code and detail.
inline TxResult Refused(TxCode code, std::string message) {
  TxResult r;
  r.code = code;
  r.message = std::move(message);
  return r;
}

}  // namespace hito::consensus::ledger

#endif  // HITO_CONSENSUS_LEDGER_TX_RESULT_H_
