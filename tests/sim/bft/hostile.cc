#include "tests/sim/bft/hostile.h"

#include "base/hash.h"
#include "consensus/types/limits.h"

namespace hito::sim {
namespace {

// An hour ahead: beyond any bound a node may allow between a proposal and its clock.
constexpr uint64_t kFutureMs = 3'600'000;

template <size_t N>
void FillRandom(std::array<uint8_t, N>* out, Rng& rng) {
  for (auto& b : *out) b = static_cast<uint8_t>(rng.Next());
}

// Bytes that no transaction decoder accepts: an unknown kind tag, then noise.
Bytes UndecodableTx(Rng& rng) {
  Bytes tx(1 + rng.Range(0, 64));
  tx[0] = 0xff;
  for (size_t i = 1; i < tx.size(); ++i) tx[i] = static_cast<uint8_t>(rng.Next());
  return tx;
}

}  // namespace

const char* BadBlockName(BadBlock kind) {
  switch (kind) {
    case BadBlock::kUndecodableTx:
      return "undecodable-tx";
    case BadBlock::kFutureTime:
      return "future-time";
    case BadBlock::kMaxTime:
      return "max-time";
    case BadBlock::kOversized:
      return "oversized";
    case BadBlock::kJunkEvidence:
      return "junk-evidence";
    case BadBlock::kCount:
      break;
  }
  return "?";
}

types::Proposal DamageProposal(BadBlock kind, std::string_view chain_id,
                               const types::Proposal& proposal, const Ed25519PrivateKey& key,
                               uint64_t wall_ms, Rng& rng, types::Block* block) {
  types::BlockHeader& h = block->header;
  switch (kind) {
    case BadBlock::kUndecodableTx:
      block->txs.insert(
          block->txs.begin() + static_cast<ptrdiff_t>(rng.Below(block->txs.size() + 1)),
          UndecodableTx(rng));
      break;
    case BadBlock::kFutureTime:
      h.time_ms = wall_ms + kFutureMs;
      break;
    case BadBlock::kMaxTime:
      h.time_ms = UINT64_MAX;
      break;
    case BadBlock::kOversized: {
      // Full-size entries until the block passes its byte limit (the entries do not decode
      // as transactions either: no transaction kind is that large).
      Bytes big(types::kTxMaxBytes, static_cast<uint8_t>(rng.Next()));
      big[0] = 0xff;
      for (size_t n = 0; n <= types::kBlockMaxBytes / types::kTxMaxBytes; ++n) {
        block->txs.push_back(big);
      }
      break;
    }
    case BadBlock::kJunkEvidence:
      block->evidence.push_back(JunkEvidence(h.proposer, h.height > 1 ? h.height - 1 : 1, rng));
      break;
    case BadBlock::kCount:
      break;
  }
  h.tx_root = types::TxRoot(block->txs);
  h.evidence_hash = types::EvidenceHash(block->evidence);
  types::Proposal p = proposal;
  p.block_hash = types::HeaderHash(h);
  types::SignProposal(chain_id, &p, key);
  return p;
}

types::DuplicateVoteEvidence JunkEvidence(const Ed25519PublicKey& validator, uint64_t height,
                                          Rng& rng) {
  types::DuplicateVoteEvidence e;
  for (types::Vote* v : {&e.a, &e.b}) {
    v->type = types::VoteType::kPrevote;
    v->height = height;
    v->round = 0;
    Hash32 hash;
    FillRandom(&hash, rng);
    v->block_hash = hash;
    v->validator = validator;
    FillRandom(&v->signature, rng);
  }
  if (types::EncodeVote(e.b) < types::EncodeVote(e.a)) std::swap(e.a, e.b);
  return e;
}

Ed25519PrivateKey OutsiderKey(uint64_t sim_seed, uint64_t i) {
  Hasher h("hito/v1/sim-outsider-key");
  h.UpdateU64(sim_seed);
  h.UpdateU64(i);
  return Ed25519PrivateKey::FromSeed(h.Finish());
}

types::Vote SignedVote(std::string_view chain_id, const Ed25519PrivateKey& key,
                       types::VoteType type, uint64_t height, uint32_t round, Rng& rng) {
  types::Vote v;
  v.type = type;
  v.height = height;
  v.round = round;
  if (rng.Chance(700)) {
    Hash32 hash;
    FillRandom(&hash, rng);
    v.block_hash = hash;
  }
  v.validator = key.public_key();
  types::SignVote(chain_id, &v, key);
  return v;
}

types::Proposal OutsiderProposal(std::string_view chain_id, const Ed25519PrivateKey& key,
                                 uint64_t height, uint32_t round, uint64_t wall_ms,
                                 types::Block* block) {
  *block = types::Block{};
  block->header.chain_id = std::string(chain_id);
  block->header.height = height;
  block->header.time_ms = wall_ms;
  block->header.proposer = key.public_key();
  block->header.tx_root = types::TxRoot(block->txs);
  block->header.last_commit_hash = types::CommitHash(block->last_commit);
  block->header.evidence_hash = types::EvidenceHash(block->evidence);
  types::Proposal p;
  p.height = height;
  p.round = round;
  p.block_hash = types::HeaderHash(block->header);
  p.proposer = key.public_key();
  types::SignProposal(chain_id, &p, key);
  return p;
}

}  // namespace hito::sim
