// Blocks, headers and commits, with their canonical encodings and hashes.
//
// A block at height h carries the commit (2/3+ precommits) of block h-1, so a block is
// final when the commit in the next block, or the "seen commit" stored beside it, shows
// it. The header's app_hash is the state root after executing block h-1 (Tendermint's
// convention): the state root of block h appears in header h+1.
#ifndef HITO_CONSENSUS_TYPES_BLOCK_H_
#define HITO_CONSENSUS_TYPES_BLOCK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/ed25519.h"
#include "base/status.h"
#include "consensus/types/transaction.h"
#include "consensus/types/validator_set.h"
#include "consensus/types/vote.h"

namespace hito::consensus::types {

inline constexpr uint8_t kBlockVersion = 1;

struct BlockHeader {
  std::string chain_id;
  uint64_t height = 0;       // genesis state is height 0; the first block is 1
  uint64_t time_ms = 0;      // Unix milliseconds, strictly increasing
  Hash32 prev_hash{};        // hash of header h-1; zero for height 1
  Hash32 tx_root{};          // Merkle root of the tx hashes (TxRoot)
  Hash32 app_hash{};         // state root after block h-1 (genesis state for h = 1)
  Hash32 validators_hash{};  // set that signs this block
  Hash32 next_validators_hash{};
  Hash32 last_commit_hash{};  // hash of the commit of h-1 carried in this block
  Hash32 evidence_hash{};
  Ed25519PublicKey proposer{};
  friend bool operator==(const BlockHeader&, const BlockHeader&) = default;
};

Bytes EncodeHeader(const BlockHeader& h);
Result<BlockHeader> DecodeHeader(ByteView bytes);
// The block hash: BLAKE2b-256 "hito/v1/header" of the header encoding.
Hash32 HeaderHash(const BlockHeader& h);

enum class CommitFlag : uint8_t { kAbsent = 0, kCommit = 1, kNil = 2 };

// One entry per validator of the set, in set order.
struct CommitSig {
  CommitFlag flag = CommitFlag::kAbsent;
  Ed25519Signature signature{};  // zero when absent
  friend bool operator==(const CommitSig&, const CommitSig&) = default;
};

struct Commit {
  uint64_t height = 0;
  uint32_t round = 0;
  Hash32 block_hash{};
  std::vector<CommitSig> signatures;
  friend bool operator==(const Commit&, const Commit&) = default;
};

Bytes EncodeCommit(const Commit& c);
Result<Commit> DecodeCommit(ByteView bytes);
Hash32 CommitHash(const Commit& c);
// Checks that precommits for block_hash with more than 2/3 of the set's power are present
// and valid (each kCommit entry is a precommit signed by the validator at that index).
Status VerifyCommit(std::string_view chain_id, const ValidatorSet& set, const Commit& c);

struct Block {
  BlockHeader header;
  std::vector<Bytes> txs;  // canonical transaction encodings
  Commit last_commit;      // empty (height 0, no signatures) in block 1
  std::vector<DuplicateVoteEvidence> evidence;
  // Encoded in the same evidence list, after `evidence`; the two share the list's limit.
  std::vector<ConflictingProposalEvidence> proposal_evidence;
  friend bool operator==(const Block&, const Block&) = default;
};

Bytes EncodeBlock(const Block& b);
// Decodes and checks internal consistency: tx_root, last_commit_hash and evidence_hash
// must match the body. Limits: kBlockMaxBytes, kBlockMaxTxs, kEvidenceMaxPerBlock.
Result<Block> DecodeBlock(ByteView bytes);

// What DecodeBlock enforces, on a block held in memory (a block built or received as a
// struct is checked without encoding it): at most kBlockMaxTxs transactions of at most
// kTxMaxBytes each, a commit of at most kValidatorsMax well-formed entries, at most
// kEvidenceMaxPerBlock pieces of evidence, an encoding of at most kBlockMaxBytes, a valid
// chain id, and tx_root, last_commit_hash and evidence_hash matching the body.
Status CheckBlockLimits(const Block& b);
// The length of EncodeBlock(b), computed without building it.
uint64_t EncodedBlockSize(const Block& b);

// The block-time rule: parent_time_ms < time_ms <= parent_time_ms + kBlockTimeMaxStepMs
// (the bound saturates at UINT64_MAX). kInvalidArgument with the reason otherwise.
Status CheckBlockTime(uint64_t parent_time_ms, uint64_t time_ms);
// The time a proposer puts in the block after one at parent_time_ms, with its clock at
// now_ms: now_ms moved into the window CheckBlockTime allows, so a chain that was halted
// catches up in steps of kBlockTimeMaxStepMs and a slow clock still advances by 1 ms.
// nullopt only when parent_time_ms is UINT64_MAX (no later time exists).
std::optional<uint64_t> NextBlockTimeMs(uint64_t parent_time_ms, uint64_t now_ms);

// Binary Merkle root (RFC 6962 style, domain-separated leaves and nodes) of tx hashes.
Hash32 TxRoot(const std::vector<Bytes>& txs);
// Over the block's evidence list: the vote evidence, then the proposal evidence.
Hash32 EvidenceHash(const std::vector<DuplicateVoteEvidence>& evidence,
                    const std::vector<ConflictingProposalEvidence>& proposal_evidence = {});

}  // namespace hito::consensus::types

#endif  // HITO_CONSENSUS_TYPES_BLOCK_H_
