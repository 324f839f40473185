// Governance transactions: proposals (kind 4) and anonymous quadratic ballots (kind 5),
// with their one canonical encoding, signing bytes, ballot context and message
// (docs/protocol/governance.md).
//
//   proposal = chain_id:str sender:pubkey32 nonce:u64 fee:u64 deposit:u64 action sig:sig64
//   action   = tag:u8 body (ActionTag)
//   ballot   = round:u64 cohort:u32 entries:(count:u32 (index:u32 vote:i64)*) proof:bytes
// Votes are signed 64-bit integers written as their two's complement u64 bits; every
// value decodes (the budget is the ledger's rule). Pure functions; thread-safe.
#ifndef HITO_CONSENSUS_TYPES_GOVERNANCE_H_
#define HITO_CONSENSUS_TYPES_GOVERNANCE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/ed25519.h"
#include "base/status.h"
#include "consensus/types/codec.h"
#include "consensus/types/personhood.h"

namespace hito::consensus::types {

inline constexpr size_t kProposalTextMaxLen = 1024;
inline constexpr uint32_t kBallotEntriesMax = 256;
// A ballot's proof has a claim proof's sizes (personhood.h).
inline constexpr size_t kBallotProofMinBytes = kClaimProofMinBytes;
inline constexpr size_t kBallotProofMaxBytes = kClaimProofMaxBytes;

enum class ActionTag : uint8_t {
  kParam = 1,
  kAddAttester = 2,
  kRemoveAttester = 3,
  kAddValidator = 4,
  kRemoveValidator = 5,
  kValidatorPower = 6,
  kEvidenceRemoval = 7,
  kRevokeIdentity = 8,
  kText = 9,
};

// The numbered parameters a proposal may change (governance.md, "The proposal").
enum class ParamId : uint16_t {
  kUbiPerEpoch = 1,
  kMaxClaimsPerBlock = 2,
  kMaxAttestationEpochs = 3,
  kAttesterQuotaPerEpoch = 4,
  kClaimWindow = 5,
  kRoundEpochs = 6,
  kVoiceCredits = 7,
  kQuorumPpm = 8,
  kProposalDeposit = 9,
  kMaxProposalsPerRound = 10,
  kDedupQuotaPerEpoch = 11,
};
inline constexpr uint16_t kParamIdMax = 11;

struct ParamChange {
  uint16_t param = 0;  // a ParamId; unknown ids decode (the ledger refuses them)
  uint64_t value = 0;
  friend bool operator==(const ParamChange&, const ParamChange&) = default;
};
struct AddAttester {
  Ed25519PublicKey attester{};
  friend bool operator==(const AddAttester&, const AddAttester&) = default;
};
struct RemoveAttester {
  Ed25519PublicKey attester{};
  friend bool operator==(const RemoveAttester&, const RemoveAttester&) = default;
};
struct AddValidator {
  Ed25519PublicKey validator{};
  uint64_t power = 0;  // >= 1
  friend bool operator==(const AddValidator&, const AddValidator&) = default;
};
struct RemoveValidator {
  Ed25519PublicKey validator{};
  friend bool operator==(const RemoveValidator&, const RemoveValidator&) = default;
};
struct ValidatorPower {
  Ed25519PublicKey validator{};
  uint64_t power = 0;  // >= 1
  friend bool operator==(const ValidatorPower&, const ValidatorPower&) = default;
};
// Removes the signer of recorded equivocation evidence (the tail of its e/ key).
struct EvidenceRemoval {
  Hash32 evidence{};
  friend bool operator==(const EvidenceRemoval&, const EvidenceRemoval&) = default;
};
struct RevokeIdentity {
  IdentityPoint identity{};
  friend bool operator==(const RevokeIdentity&, const RevokeIdentity&) = default;
};
struct TextProposal {
  Bytes text;  // at most kProposalTextMaxLen bytes, opaque
  friend bool operator==(const TextProposal&, const TextProposal&) = default;
};

// Alternatives in ActionTag order (index + 1 is the tag).
using Action = std::variant<ParamChange, AddAttester, RemoveAttester, AddValidator, RemoveValidator,
                            ValidatorPower, EvidenceRemoval, RevokeIdentity, TextProposal>;
ActionTag ActionTagOf(const Action& a);
std::string_view ActionName(ActionTag tag);

// A governance proposal: signed, nonce'd and fee-paying like a transfer, escrowing
// `deposit` (which must equal the chain's proposal_deposit).
struct GovernanceProposal {
  std::string chain_id;
  Ed25519PublicKey sender{};
  uint64_t nonce = 0;
  uint64_t fee = 0;
  uint64_t deposit = 0;
  Action action;
  Ed25519Signature signature{};
  friend bool operator==(const GovernanceProposal&, const GovernanceProposal&) = default;
};

struct BallotEntry {
  uint32_t index = 0;  // the proposal's index in the voted proposals' round
  int64_t vote = 0;
  friend bool operator==(const BallotEntry&, const BallotEntry&) = default;
};

// An anonymous ballot: a membership proof that its maker is a live member of cohort
// `cohort` in the snapshot of round `round`'s first epoch, bound to BallotMessage, with
// the proof's tag as its nullifier. No signature, fee or nonce.
struct Ballot {
  uint64_t round = 0;
  uint32_t cohort = 0;
  std::vector<BallotEntry> entries;  // 1..kBallotEntriesMax, indices strictly increasing
  Bytes proof;
  friend bool operator==(const Ballot&, const Ballot&) = default;
};

// The action alone (as stored in the ledger's proposal records).
Bytes EncodeAction(const Action& a);
Result<Action> DecodeAction(ByteView bytes);  // strict, whole buffer

// Label "hito/v1/proposal-sign" framing, then every field but the signature.
Bytes ProposalSigningBytes(const GovernanceProposal& p);
void SignProposal(GovernanceProposal* p, const Ed25519PrivateKey& key);  // sets sender too
[[nodiscard]] bool VerifyProposalSignature(const GovernanceProposal& p);

// "vote/" then round:u64 big-endian (13 bytes), derived from the round alone.
std::string BallotContext(uint64_t round);
// Label "hito/v1/ballot-message" framing, then chain_id:str round:u64 cohort:u32 entries.
Bytes BallotMessage(std::string_view chain_id, uint64_t round, uint32_t cohort,
                    const std::vector<BallotEntry>& entries);
// The proof's tag (its first 32 bytes). Requires proof.size() >= 32.
Hash32 BallotNullifier(const Ballot& b);

// The entries list in its canonical form (count, then each entry), as in the ballot.
void WriteBallotEntries(Writer* w, const std::vector<BallotEntry>& entries);
Status ReadBallotEntries(Reader* r, std::string_view what, std::vector<BallotEntry>* entries);

// Bodies in place inside a transaction (transaction.cc).
void WriteProposalUnsigned(Writer* w, const GovernanceProposal& p);  // version and kind too
Status ReadProposalBody(Reader* r, GovernanceProposal* p);
void WriteBallotBody(Writer* w, const Ballot& b);
Status ReadBallotBody(Reader* r, Ballot* b);

}  // namespace hito::consensus::types

#endif  // HITO_CONSENSUS_TYPES_GOVERNANCE_H_
