// Signed consensus messages for tests: votes, proposals, and the two kinds of
// equivocation evidence (duplicate votes, conflicting proposals), each signed for real
// with the given key over `chain_id`. Evidence comes in the canonical order its decoder
// and verifier demand.
#ifndef HITO_TESTS_SUPPORT_VOTES_H_
#define HITO_TESTS_SUPPORT_VOTES_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/ed25519.h"
#include "base/hash.h"
#include "consensus/types/vote.h"

namespace hito::testing {

// A byte-pattern block hash: first byte `value`, the rest zero.
Hash32 HashOf(uint8_t value);

consensus::types::Vote SignedVote(std::string_view chain_id, const Ed25519PrivateKey& key,
                                  consensus::types::VoteType type, uint64_t height, uint32_t round,
                                  std::optional<Hash32> block_hash);

consensus::types::Proposal SignedProposal(std::string_view chain_id, const Ed25519PrivateKey& key,
                                          uint64_t height, uint32_t round, const Hash32& block_hash,
                                          std::optional<uint32_t> pol_round = std::nullopt);

// Two prevotes by `key` at (height, round) for the blocks `a` and `b` (a != b).
consensus::types::DuplicateVoteEvidence DuplicateVotes(std::string_view chain_id,
                                                       const Ed25519PrivateKey& key,
                                                       uint64_t height, uint32_t round,
                                                       const Hash32& a, const Hash32& b);

// Two proposals by `key` at (height, round) for the blocks `a` and `b` (a != b).
consensus::types::ConflictingProposalEvidence ConflictingProposals(std::string_view chain_id,
                                                                   const Ed25519PrivateKey& key,
                                                                   uint64_t height, uint32_t round,
                                                                   const Hash32& a,
                                                                   const Hash32& b);

}  // namespace hito::testing

#endif  // HITO_TESTS_SUPPORT_VOTES_H_
