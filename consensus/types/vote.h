// Votes, proposals and equivocation evidence of BFT consensus, with their signing bytes.
//
// Every signature covers a domain label, the chain id, the height, the round and the
// step, so a signature for one step can never be replayed as another.
#ifndef HITO_CONSENSUS_TYPES_VOTE_H_
#define HITO_CONSENSUS_TYPES_VOTE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/ed25519.h"
#include "base/status.h"

namespace hito::consensus::types {

enum class VoteType : uint8_t { kPrevote = 1, kPrecommit = 2 };

struct Vote {
  VoteType type = VoteType::kPrevote;
  uint64_t height = 0;
  uint32_t round = 0;
  std::optional<Hash32> block_hash;  // nullopt = nil vote
  Ed25519PublicKey validator{};
  Ed25519Signature signature{};
  friend bool operator==(const Vote&, const Vote&) = default;
};

// Signing bytes: framed label "hito/v1/vote-sign", chain id, then every field but the
// signature. SignVote fills only v->signature; the caller sets v->validator.
Bytes VoteSigningBytes(std::string_view chain_id, const Vote& v);
void SignVote(std::string_view chain_id, Vote* v, const Ed25519PrivateKey& key);
[[nodiscard]] bool VerifyVoteSignature(std::string_view chain_id, const Vote& v);
Bytes EncodeVote(const Vote& v);
Result<Vote> DecodeVote(ByteView bytes);

struct Proposal {
  uint64_t height = 0;
  uint32_t round = 0;
  std::optional<uint32_t> pol_round;  // the paper's validRound; nullopt = -1
  Hash32 block_hash{};
  Ed25519PublicKey proposer{};
  Ed25519Signature signature{};
  friend bool operator==(const Proposal&, const Proposal&) = default;
};

// As for votes, with label "hito/v1/proposal-sign". SignProposal fills only p->signature.
Bytes ProposalSigningBytes(std::string_view chain_id, const Proposal& p);
void SignProposal(std::string_view chain_id, Proposal* p, const Ed25519PrivateKey& key);
[[nodiscard]] bool VerifyProposalSignature(std::string_view chain_id, const Proposal& p);
Bytes EncodeProposal(const Proposal& p);
Result<Proposal> DecodeProposal(ByteView bytes);

// Two votes by one validator for the same (height, round, type) with different block
// hashes. Valid evidence is checkable by anyone holding the validator set of that height.
struct DuplicateVoteEvidence {
  Vote a;  // canonical order: EncodeVote(a) < EncodeVote(b)
  Vote b;
  friend bool operator==(const DuplicateVoteEvidence&, const DuplicateVoteEvidence&) = default;
};

// Checks shape, order and both signatures.
Status VerifyEvidence(std::string_view chain_id, const DuplicateVoteEvidence& e);
Bytes EncodeEvidence(const DuplicateVoteEvidence& e);
Result<DuplicateVoteEvidence> DecodeEvidence(ByteView bytes);

// Two proposals signed by one validator for the same (height, round) that differ in what
// they propose (block hash or POL round): a proposer equivocated. Checkable, like vote
// evidence, by anyone holding the validator set of that height.
struct ConflictingProposalEvidence {
  Proposal a;  // canonical order: EncodeProposal(a) < EncodeProposal(b)
  Proposal b;
  friend bool operator==(const ConflictingProposalEvidence&,
                         const ConflictingProposalEvidence&) = default;
};

// The first byte of its encoding. Vote evidence starts with a vote type (1 or 2), so one
// evidence list carries both kinds and vote evidence keeps its bytes.
inline constexpr uint8_t kConflictingProposalEvidenceTag = 0x10;

// Checks shape (same proposer, height and round; different block hash or POL round),
// order and both signatures.
Status VerifyProposalEvidence(std::string_view chain_id, const ConflictingProposalEvidence& e);
// tag:u8 (kConflictingProposalEvidenceTag), a:proposal, b:proposal.
Bytes EncodeProposalEvidence(const ConflictingProposalEvidence& e);
Result<ConflictingProposalEvidence> DecodeProposalEvidence(ByteView bytes);
// Orders a and b canonically (the state machine finds them in arrival order).
ConflictingProposalEvidence MakeProposalEvidence(Proposal first, Proposal second);

}  // namespace hito::consensus::types

#endif  // HITO_CONSENSUS_TYPES_VOTE_H_
