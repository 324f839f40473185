#include "node/chain/solo_engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "base/fatal.h"

namespace hito::node::chain {
namespace {
namespace types = consensus::types;

uint64_t WallClockMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}
}  // namespace

SoloEngine::SoloEngine(std::string chain_id, types::ValidatorSet validators, Ed25519PrivateKey key,
                       Application* app, SoloEngineOptions options)
    : now_ms(WallClockMs),
      chain_id_(std::move(chain_id)),
      validators_(std::move(validators)),
      key_(std::move(key)),
      app_(app),
      options_(options) {
  HITO_ASSERT(validators_.IndexOf(key_.public_key()).has_value());
}

SoloEngine::~SoloEngine() { Stop(); }

void SoloEngine::Run() {
  using Clock = std::chrono::steady_clock;
  const auto interval = std::chrono::milliseconds(options_.block_interval_ms);
  Clock::time_point next = Clock::now() + interval;
  while (true) {
    {
      MutexLock lock(mu_);
      while (!stop_) {
        if (!cv_.WaitUntil(mu_, next)) break;
      }
      if (stop_) return;
    }
    Status s = ProduceBlock();
    if (!s.ok()) {
      // Execution failed on a block we built ourselves: state cannot be trusted.
      FatalStop("block production failed", s);
    }
    next += interval;
    next = std::max(next, Clock::now());
  }
}

Status SoloEngine::ProduceBlock() {
  ChainTip tip = app_->Tip();
  types::Block block;
  block.txs = app_->PrepareProposal(options_.block_max_txs, options_.block_max_bytes);
  types::BlockHeader& h = block.header;
  h.chain_id = chain_id_;
  h.height = tip.height + 1;
  const std::optional<uint64_t> time_ms = types::NextBlockTimeMs(tip.time_ms, now_ms());
  if (!time_ms) return FailedPreconditionError("the tip's block time is the last one possible");
  h.time_ms = *time_ms;
  h.prev_hash = tip.block_hash;
  h.tx_root = types::TxRoot(block.txs);
  h.app_hash = tip.state_root;
  h.validators_hash = validators_.Hash();
  h.next_validators_hash = h.validators_hash;
  block.last_commit = tip.last_commit;
  h.last_commit_hash = types::CommitHash(block.last_commit);
  h.evidence_hash = types::EvidenceHash(block.evidence);
  h.proposer = key_.public_key();
  HITO_RETURN_IF_ERROR(app_->ProcessProposal(block).WithContext("own proposal"));

  HITO_ASSIGN_OR_RETURN(FinalizedBlock fin, app_->FinalizeBlock(block));

  // The validator's precommit for the block: the whole commit on a one-validator chain.
  types::Vote vote;
  vote.type = types::VoteType::kPrecommit;
  vote.height = h.height;
  vote.round = 0;
  vote.block_hash = fin.block_hash;
  vote.validator = key_.public_key();
  types::SignVote(chain_id_, &vote, key_);
  types::Commit commit;
  commit.height = h.height;
  commit.round = 0;
  commit.block_hash = fin.block_hash;
  for (const types::Validator& v : validators_.validators()) {
    types::CommitSig sig;
    if (v.public_key == key_.public_key()) {
      sig.flag = types::CommitFlag::kCommit;
      sig.signature = vote.signature;
    }
    commit.signatures.push_back(sig);
  }
  app_->Commit(block, commit, std::move(fin));
  return Status::Ok();
}

}  // namespace hito::node::chain
