// What a Byzantine validator of the simulation sends besides equivocation: malformed
// content through the simulated transport. Each generator is a pure function of its
// arguments and the simulation's Rng, so a seed replays exactly.
//
// A twin rewrites some of its own proposals (it is the proposer of the round, so honest
// validators judge the block rather than drop the message) into a block no honest
// validator may vote for, and re-signs the proposal with its key; it also sends messages
// an honest node must simply drop: junk evidence, proposals and votes signed by keys
// outside the validator set, and floods of votes for rounds far ahead.
#ifndef HITO_TESTS_SIM_BFT_HOSTILE_H_
#define HITO_TESTS_SIM_BFT_HOSTILE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/ed25519.h"
#include "consensus/types/block.h"
#include "consensus/types/vote.h"
#include "tests/sim/bft/rng.h"

namespace hito::sim {

namespace types = consensus::types;

// How a twin damages the block of its own proposal.
enum class BadBlock : uint8_t {
  kUndecodableTx,  // a transaction that does not decode (tx_root made to match)
  kFutureTime,     // time far beyond the proposer's clock (and beyond any step bound)
  kMaxTime,        // time_ms = UINT64_MAX: the wrap that would halt the chain
  kOversized,      // more bytes than a block may hold (kBlockMaxBytes)
  kJunkEvidence,   // evidence whose signatures do not verify (evidence_hash made to match)
  kCount,
};
const char* BadBlockName(BadBlock kind);

// Kinds a run may use, as a bit mask over BadBlock (bit i = BadBlock(i)).
inline constexpr uint32_t kAllBadBlocks = (1u << static_cast<uint32_t>(BadBlock::kCount)) - 1;

// Damages `block` as `kind` says, keeping the header's hashes consistent with the body so
// that only the rule under test is broken, and returns the proposal for it re-signed with
// `key` (the proposer's). `wall_ms` is the proposer's clock.
types::Proposal DamageProposal(BadBlock kind, std::string_view chain_id,
                               const types::Proposal& proposal, const Ed25519PrivateKey& key,
                               uint64_t wall_ms, Rng& rng, types::Block* block);

// A piece of duplicate-vote evidence against `validator` whose signatures are random bytes.
types::DuplicateVoteEvidence JunkEvidence(const Ed25519PublicKey& validator, uint64_t height,
                                          Rng& rng);

// A key outside every validator set of the run (derived from the seed and `i`).
Ed25519PrivateKey OutsiderKey(uint64_t sim_seed, uint64_t i);

// A validly signed vote by `key` (a non-member, or a member for a flood).
types::Vote SignedVote(std::string_view chain_id, const Ed25519PrivateKey& key,
                       types::VoteType type, uint64_t height, uint32_t round, Rng& rng);

// A validly signed proposal by `key` with a well-formed block on nothing in particular.
types::Proposal OutsiderProposal(std::string_view chain_id, const Ed25519PrivateKey& key,
                                 uint64_t height, uint32_t round, uint64_t wall_ms,
                                 types::Block* block);

}  // namespace hito::sim

#endif  // HITO_TESTS_SIM_BFT_HOSTILE_H_
