// Helpers shared by the consensus/types sources; not part of the module's API.
//
// Nested values (votes inside evidence, evidence inside blocks) are written and read in
// place by these functions, so the outer decoder names the full path of a bad field
// ("block.evidence[2].b.height: truncated").
#ifndef HITO_CONSENSUS_TYPES_INTERNAL_H_
#define HITO_CONSENSUS_TYPES_INTERNAL_H_

#include <string>
#include <string_view>

#include "consensus/types/codec.h"
#include "consensus/types/vote.h"

namespace hito::consensus::types::internal {

// "prefix.field"
inline std::string Field(std::string_view prefix, std::string_view field) {
  std::string s(prefix);
  s += '.';
  s += field;
  return s;
}
// "prefix[i]"
inline std::string Index(std::string_view prefix, size_t i) {
  return std::string(prefix) + "[" + std::to_string(i) + "]";
}

void WriteVote(Writer* w, const Vote& v);
Status ReadVote(Reader* r, std::string_view what, Vote* v);
void WriteEvidence(Writer* w, const DuplicateVoteEvidence& e);
Status ReadEvidence(Reader* r, std::string_view what, DuplicateVoteEvidence* e);

void WriteProposalEvidence(Writer* w, const ConflictingProposalEvidence& e);
Status ReadProposalEvidence(Reader* r, std::string_view what, ConflictingProposalEvidence* e);

// Smallest encodings, for Reader::Count bounds.
inline constexpr size_t kVoteMinBytes = 1 + 8 + 4 + 1 + 32 + 64;
inline constexpr size_t kProposalMinBytes = 8 + 4 + 1 + 32 + 32 + 64;
// The smaller of the two evidence kinds (vote evidence).
inline constexpr size_t kEvidenceMinBytes = 2 * kVoteMinBytes;
static_assert(1 + 2 * kProposalMinBytes >= kEvidenceMinBytes);

}  // namespace hito::consensus::types::internal

#endif  // HITO_CONSENSUS_TYPES_INTERNAL_H_
