#include "tests/support/votes.h"

#include <utility>

#include "base/assert.h"

namespace hito::testing {

namespace types = consensus::types;

Hash32 HashOf(uint8_t value) {
  Hash32 h{};
  h[0] = value;
  return h;
}

types::Vote SignedVote(std::string_view chain_id, const Ed25519PrivateKey& key,
                       types::VoteType type, uint64_t height, uint32_t round,
                       std::optional<Hash32> block_hash) {
  types::Vote v;
  v.type = type;
  v.height = height;
  v.round = round;
  v.block_hash = block_hash;
  v.validator = key.public_key();
  types::SignVote(chain_id, &v, key);
  return v;
}

types::Proposal SignedProposal(std::string_view chain_id, const Ed25519PrivateKey& key,
                               uint64_t height, uint32_t round, const Hash32& block_hash,
                               std::optional<uint32_t> pol_round) {
  types::Proposal p;
  p.height = height;
  p.round = round;
  p.pol_round = pol_round;
  p.block_hash = block_hash;
  p.proposer = key.public_key();
  types::SignProposal(chain_id, &p, key);
  return p;
}

types::DuplicateVoteEvidence DuplicateVotes(std::string_view chain_id, const Ed25519PrivateKey& key,
                                            uint64_t height, uint32_t round, const Hash32& a,
                                            const Hash32& b) {
  HITO_ASSERT(a != b);
  types::Vote va = SignedVote(chain_id, key, types::VoteType::kPrevote, height, round, a);
  types::Vote vb = SignedVote(chain_id, key, types::VoteType::kPrevote, height, round, b);
  if (types::EncodeVote(vb) < types::EncodeVote(va)) std::swap(va, vb);
  return {va, vb};
}

types::ConflictingProposalEvidence ConflictingProposals(std::string_view chain_id,
                                                        const Ed25519PrivateKey& key,
                                                        uint64_t height, uint32_t round,
                                                        const Hash32& a, const Hash32& b) {
  HITO_ASSERT(a != b);
  return types::MakeProposalEvidence(SignedProposal(chain_id, key, height, round, a),
                                     SignedProposal(chain_id, key, height, round, b));
}

}  // namespace hito::testing
