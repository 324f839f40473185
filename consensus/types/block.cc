#include "consensus/types/block.h"

#include <algorithm>
#include <string>

#include "base/assert.h"
#include "base/checked.h"
#include "base/hash.h"
#include "base/hex.h"
#include "consensus/types/codec.h"
#include "consensus/types/internal.h"
#include "consensus/types/limits.h"

namespace hito::consensus::types {
namespace {

constexpr std::string_view kHeaderLabel = "hito/v1/header";
constexpr std::string_view kCommitLabel = "hito/v1/commit";
constexpr std::string_view kEvidenceLabel = "hito/v1/evidence";
constexpr std::string_view kTxLeafLabel = "hito/v1/tx-leaf";
constexpr std::string_view kTxNodeLabel = "hito/v1/tx-node";

constexpr size_t kCommitSigBytes = 1 + 64;
constexpr size_t kTxEntryMinBytes = 4;  // the length prefix

void WriteHeader(Writer* w, const BlockHeader& h) {
  w->U8(kBlockVersion);
  w->String(h.chain_id);
  w->U64(h.height);
  w->U64(h.time_ms);
  w->Fixed(h.prev_hash);
  w->Fixed(h.tx_root);
  w->Fixed(h.app_hash);
  w->Fixed(h.validators_hash);
  w->Fixed(h.next_validators_hash);
  w->Fixed(h.last_commit_hash);
  w->Fixed(h.evidence_hash);
  w->Fixed(h.proposer);
}

Status ReadHeader(Reader* r, std::string_view what, BlockHeader* h) {
  using internal::Field;
  uint8_t version = 0;
  HITO_RETURN_IF_ERROR(r->U8(Field(what, "version"), &version));
  if (version != kBlockVersion) {
    return InvalidArgumentError(Field(what, "version") + ": unknown version " +
                                std::to_string(version) + " (expected " +
                                std::to_string(kBlockVersion) + ")");
  }
  HITO_RETURN_IF_ERROR(r->String(Field(what, "chain_id"), kChainIdMaxLen, &h->chain_id));
  HITO_RETURN_IF_ERROR(ValidateChainId(Field(what, "chain_id"), h->chain_id));
  HITO_RETURN_IF_ERROR(r->U64(Field(what, "height"), &h->height));
  HITO_RETURN_IF_ERROR(r->U64(Field(what, "time_ms"), &h->time_ms));
  HITO_RETURN_IF_ERROR(r->Fixed(Field(what, "prev_hash"), &h->prev_hash));
  HITO_RETURN_IF_ERROR(r->Fixed(Field(what, "tx_root"), &h->tx_root));
  HITO_RETURN_IF_ERROR(r->Fixed(Field(what, "app_hash"), &h->app_hash));
  HITO_RETURN_IF_ERROR(r->Fixed(Field(what, "validators_hash"), &h->validators_hash));
  HITO_RETURN_IF_ERROR(r->Fixed(Field(what, "next_validators_hash"), &h->next_validators_hash));
  HITO_RETURN_IF_ERROR(r->Fixed(Field(what, "last_commit_hash"), &h->last_commit_hash));
  HITO_RETURN_IF_ERROR(r->Fixed(Field(what, "evidence_hash"), &h->evidence_hash));
  HITO_RETURN_IF_ERROR(r->Fixed(Field(what, "proposer"), &h->proposer));
  return Status::Ok();
}

void WriteCommit(Writer* w, const Commit& c) {
  w->U64(c.height);
  w->U32(c.round);
  w->Fixed(c.block_hash);
  w->U32(static_cast<uint32_t>(c.signatures.size()));
  for (const CommitSig& s : c.signatures) {
    w->U8(static_cast<uint8_t>(s.flag));
    w->Fixed(s.signature);
  }
}

Status ReadCommit(Reader* r, std::string_view what, Commit* c) {
  using internal::Field;
  HITO_RETURN_IF_ERROR(r->U64(Field(what, "height"), &c->height));
  HITO_RETURN_IF_ERROR(r->U32(Field(what, "round"), &c->round));
  HITO_RETURN_IF_ERROR(r->Fixed(Field(what, "block_hash"), &c->block_hash));
  uint32_t n = 0;
  const std::string list = Field(what, "signatures");
  HITO_RETURN_IF_ERROR(r->Count(list, kValidatorsMax, kCommitSigBytes, &n));
  c->signatures.assign(n, CommitSig{});
  for (uint32_t i = 0; i < n; ++i) {
    const std::string at = internal::Index(list, i);
    CommitSig& s = c->signatures[i];
    uint8_t flag = 0;
    HITO_RETURN_IF_ERROR(r->U8(Field(at, "flag"), &flag));
    if (flag > static_cast<uint8_t>(CommitFlag::kNil)) {
      return InvalidArgumentError(Field(at, "flag") + ": unknown commit flag " +
                                  std::to_string(flag));
    }
    s.flag = static_cast<CommitFlag>(flag);
    HITO_RETURN_IF_ERROR(r->Fixed(Field(at, "signature"), &s.signature));
    if (s.flag == CommitFlag::kAbsent && s.signature != Ed25519Signature{}) {
      return InvalidArgumentError(Field(at, "signature") + ": must be all zero when absent");
    }
  }
  return Status::Ok();
}

// The block's fields in encoding order; DecodeBlock checks the header's hashes after.
Status ReadBlockFields(Reader* r, Block* b) {
  HITO_RETURN_IF_ERROR(ReadHeader(r, "block.header", &b->header));
  uint32_t n = 0;
  HITO_RETURN_IF_ERROR(r->Count("block.txs", kBlockMaxTxs, kTxEntryMinBytes, &n));
  b->txs.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    HITO_RETURN_IF_ERROR(r->VarBytes(internal::Index("block.txs", i), kTxMaxBytes, &b->txs[i]));
  }
  HITO_RETURN_IF_ERROR(ReadCommit(r, "block.last_commit", &b->last_commit));
  HITO_RETURN_IF_ERROR(
      r->Count("block.evidence", kEvidenceMaxPerBlock, internal::kEvidenceMinBytes, &n));
  // Vote evidence first, then proposal evidence (told apart by the first byte).
  for (uint32_t i = 0; i < n; ++i) {
    const std::string at = internal::Index("block.evidence", i);
    uint8_t first = 0;
    HITO_RETURN_IF_ERROR(r->PeekU8(at, &first));
    if (first == kConflictingProposalEvidenceTag) {
      HITO_RETURN_IF_ERROR(
          internal::ReadProposalEvidence(r, at, &b->proposal_evidence.emplace_back()));
    } else if (!b->proposal_evidence.empty()) {
      return InvalidArgumentError(at + ": vote evidence after proposal evidence");
    } else {
      HITO_RETURN_IF_ERROR(internal::ReadEvidence(r, at, &b->evidence.emplace_back()));
    }
  }
  return Status::Ok();
}

void WriteEvidenceList(Writer* w, const std::vector<DuplicateVoteEvidence>& votes,
                       const std::vector<ConflictingProposalEvidence>& proposals) {
  w->U32(static_cast<uint32_t>(votes.size() + proposals.size()));
  for (const DuplicateVoteEvidence& e : votes) internal::WriteEvidence(w, e);
  for (const ConflictingProposalEvidence& e : proposals) internal::WriteProposalEvidence(w, e);
}

Status CheckEquals(std::string_view what, const Hash32& in_header, const Hash32& computed) {
  if (in_header == computed) return Status::Ok();
  return InvalidArgumentError(std::string(what) + ": " + HexEncode(in_header) +
                              " does not match the body (" + HexEncode(computed) + ")");
}

}  // namespace

Bytes EncodeHeader(const BlockHeader& h) {
  return EncodeWith([&](Writer* w) { WriteHeader(w, h); });
}

Result<BlockHeader> DecodeHeader(ByteView bytes) {
  return DecodeWhole<BlockHeader>(
      bytes, "header", [](Reader* r, BlockHeader* h) { return ReadHeader(r, "header", h); });
}

Hash32 HeaderHash(const BlockHeader& h) { return DomainHash(kHeaderLabel, EncodeHeader(h)); }

Bytes EncodeCommit(const Commit& c) {
  return EncodeWith([&](Writer* w) { WriteCommit(w, c); });
}

Result<Commit> DecodeCommit(ByteView bytes) {
  return DecodeWhole<Commit>(bytes, "commit",
                             [](Reader* r, Commit* c) { return ReadCommit(r, "commit", c); });
}

Hash32 CommitHash(const Commit& c) { return DomainHash(kCommitLabel, EncodeCommit(c)); }

Status VerifyCommit(std::string_view chain_id, const ValidatorSet& set, const Commit& c) {
  if (c.signatures.size() != set.size()) {
    return InvalidArgumentError("commit.signatures: " + std::to_string(c.signatures.size()) +
                                " entries for a set of " + std::to_string(set.size()) +
                                " validators");
  }
  uint64_t tally = 0;
  for (size_t i = 0; i < c.signatures.size(); ++i) {
    const CommitSig& s = c.signatures[i];
    if (s.flag == CommitFlag::kAbsent) continue;
    const Validator& val = set.validators()[i];
    Vote v;
    v.type = VoteType::kPrecommit;
    v.height = c.height;
    v.round = c.round;
    if (s.flag == CommitFlag::kCommit) v.block_hash = c.block_hash;
    v.validator = val.public_key;
    v.signature = s.signature;
    if (!VerifyVoteSignature(chain_id, v)) {
      return InvalidArgumentError(internal::Index("commit.signatures", i) +
                                  ": invalid precommit signature of validator " +
                                  HexEncode(val.public_key));
    }
    if (s.flag == CommitFlag::kCommit) {
      // Total power is below 2^62 (ValidatorSet invariant), so the sum cannot overflow.
      std::optional<uint64_t> next = CheckedAdd(tally, val.power);
      HITO_ASSERT(next.has_value());
      tally = *next;
    }
  }
  if (tally < set.QuorumPower()) {
    return InvalidArgumentError("commit: precommit power " + std::to_string(tally) + " of " +
                                std::to_string(set.total_power()) + " is not more than two thirds");
  }
  return Status::Ok();
}

Hash32 TxRoot(const std::vector<Bytes>& txs) {
  if (txs.empty()) return DomainHash(kTxLeafLabel, ByteView());
  std::vector<Hash32> level;
  level.reserve(txs.size());
  for (const Bytes& tx : txs) level.push_back(DomainHash(kTxLeafLabel, TransactionHash(tx)));
  // Pairing left to right and promoting a lone last node gives the RFC 6962 tree (split at
  // the largest power of two below n), without recursion.
  while (level.size() > 1) {
    std::vector<Hash32> next;
    next.reserve((level.size() + 1) / 2);
    for (size_t i = 0; i + 1 < level.size(); i += 2) {
      next.push_back(Hasher(kTxNodeLabel).Update(level[i]).Update(level[i + 1]).Finish());
    }
    if (level.size() % 2 == 1) next.push_back(level.back());
    level = std::move(next);
  }
  return level[0];
}

Hash32 EvidenceHash(const std::vector<DuplicateVoteEvidence>& evidence,
                    const std::vector<ConflictingProposalEvidence>& proposal_evidence) {
  return DomainHash(kEvidenceLabel, EncodeWith([&](Writer* w) {
                      WriteEvidenceList(w, evidence, proposal_evidence);
                    }));
}

Bytes EncodeBlock(const Block& b) {
  return EncodeWith([&](Writer* w) {
    WriteHeader(w, b.header);
    w->U32(static_cast<uint32_t>(b.txs.size()));
    for (const Bytes& tx : b.txs) w->VarBytes(tx);
    WriteCommit(w, b.last_commit);
    WriteEvidenceList(w, b.evidence, b.proposal_evidence);
  });
}

uint64_t EncodedBlockSize(const Block& b) {
  // The variable parts are summed; header, commit and evidence are small and encoded.
  uint64_t size = EncodeHeader(b.header).size() + 4 + EncodeCommit(b.last_commit).size() + 4;
  for (const Bytes& tx : b.txs) size += 4 + tx.size();
  for (const DuplicateVoteEvidence& e : b.evidence) size += EncodeEvidence(e).size();
  for (const ConflictingProposalEvidence& e : b.proposal_evidence) {
    size += EncodeProposalEvidence(e).size();
  }
  return size;
}

Status CheckBlockLimits(const Block& b) {
  HITO_RETURN_IF_ERROR(ValidateChainId("block.header.chain_id", b.header.chain_id));
  if (b.txs.size() > kBlockMaxTxs) {
    return InvalidArgumentError("block.txs: " + std::to_string(b.txs.size()) +
                                " transactions exceeds the maximum of " +
                                std::to_string(kBlockMaxTxs));
  }
  for (size_t i = 0; i < b.txs.size(); ++i) {
    if (b.txs[i].size() > kTxMaxBytes) {
      return InvalidArgumentError(internal::Index("block.txs", i) + ": " +
                                  std::to_string(b.txs[i].size()) +
                                  " bytes exceeds the maximum of " + std::to_string(kTxMaxBytes));
    }
  }
  if (b.last_commit.signatures.size() > kValidatorsMax) {
    return InvalidArgumentError("block.last_commit.signatures: more than " +
                                std::to_string(kValidatorsMax) + " entries");
  }
  for (size_t i = 0; i < b.last_commit.signatures.size(); ++i) {
    const CommitSig& s = b.last_commit.signatures[i];
    if (s.flag > CommitFlag::kNil ||
        (s.flag == CommitFlag::kAbsent && s.signature != Ed25519Signature{})) {
      return InvalidArgumentError(internal::Index("block.last_commit.signatures", i) +
                                  ": not a canonical entry");
    }
  }
  if (b.evidence.size() + b.proposal_evidence.size() > kEvidenceMaxPerBlock) {
    return InvalidArgumentError("block.evidence: more than " +
                                std::to_string(kEvidenceMaxPerBlock) + " pieces");
  }
  const uint64_t size = EncodedBlockSize(b);
  if (size > kBlockMaxBytes) {
    return InvalidArgumentError("block: " + std::to_string(size) +
                                " bytes exceeds the maximum of " + std::to_string(kBlockMaxBytes));
  }
  HITO_RETURN_IF_ERROR(CheckEquals("block.header.tx_root", b.header.tx_root, TxRoot(b.txs)));
  HITO_RETURN_IF_ERROR(CheckEquals("block.header.last_commit_hash", b.header.last_commit_hash,
                                   CommitHash(b.last_commit)));
  return CheckEquals("block.header.evidence_hash", b.header.evidence_hash,
                     EvidenceHash(b.evidence, b.proposal_evidence));
}

Status CheckBlockTime(uint64_t parent_time_ms, uint64_t time_ms) {
  if (time_ms <= parent_time_ms) {
    return InvalidArgumentError("block time " + std::to_string(time_ms) +
                                " ms is not after the parent's " + std::to_string(parent_time_ms));
  }
  const uint64_t latest = CheckedAdd(parent_time_ms, kBlockTimeMaxStepMs).value_or(UINT64_MAX);
  if (time_ms > latest) {
    return InvalidArgumentError("block time " + std::to_string(time_ms) + " ms is more than " +
                                std::to_string(kBlockTimeMaxStepMs) + " ms after the parent's " +
                                std::to_string(parent_time_ms));
  }
  return Status::Ok();
}

std::optional<uint64_t> NextBlockTimeMs(uint64_t parent_time_ms, uint64_t now_ms) {
  const std::optional<uint64_t> earliest = CheckedAdd(parent_time_ms, uint64_t{1});
  if (!earliest) return std::nullopt;
  const uint64_t latest = CheckedAdd(parent_time_ms, kBlockTimeMaxStepMs).value_or(UINT64_MAX);
  const uint64_t t = std::clamp(now_ms, *earliest, latest);
  HITO_ASSERT(CheckBlockTime(parent_time_ms, t).ok());
  return t;
}

Result<Block> DecodeBlock(ByteView bytes) {
  if (bytes.size() > kBlockMaxBytes) {
    return InvalidArgumentError("block: " + std::to_string(bytes.size()) +
                                " bytes exceeds the maximum of " + std::to_string(kBlockMaxBytes));
  }
  HITO_ASSIGN_OR_RETURN(Block b, DecodeWhole<Block>(bytes, "block", ReadBlockFields));
  HITO_RETURN_IF_ERROR(CheckEquals("block.header.tx_root", b.header.tx_root, TxRoot(b.txs)));
  HITO_RETURN_IF_ERROR(CheckEquals("block.header.last_commit_hash", b.header.last_commit_hash,
                                   CommitHash(b.last_commit)));
  HITO_RETURN_IF_ERROR(CheckEquals("block.header.evidence_hash", b.header.evidence_hash,
                                   EvidenceHash(b.evidence, b.proposal_evidence)));
  return b;
}

}  // namespace hito::consensus::types
