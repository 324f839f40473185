#include "node/chain/chain_app.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>

#include "base/checked.h"
#include "base/fatal.h"
#include "base/hex.h"
#include "consensus/ledger/tx_result.h"
#include "consensus/ledger/validators.h"
#include "consensus/types/limits.h"
#include "node/chain/block_events.h"

namespace hito::node::chain {
namespace {

namespace ledger = consensus::ledger;
namespace types = consensus::types;

Result<std::vector<types::Transaction>> DecodeTxs(const std::vector<Bytes>& raw) {
  std::vector<types::Transaction> txs;
  txs.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    Result<types::Transaction> tx = types::DecodeTransaction(raw[i]);
    if (!tx.ok()) return tx.status().WithContext("tx " + std::to_string(i));
    txs.push_back(std::move(tx).value());
  }
  return txs;
}

// The header against the tip it builds on: chain, height, parent, state root and time.
Status CheckHeaderOnTip(const types::BlockHeader& h, const ChainTip& tip,
                        std::string_view chain_id) {
  if (h.chain_id != chain_id) return InvalidArgumentError("block for another chain");
  const std::optional<uint64_t> expected = CheckedAdd(tip.height, uint64_t{1});
  if (!expected || h.height != *expected) {
    return InvalidArgumentError("block height " + std::to_string(h.height) +
                                " does not follow the tip " + std::to_string(tip.height));
  }
  if (h.prev_hash != tip.block_hash) return InvalidArgumentError("prev_hash mismatch");
  if (h.app_hash != tip.state_root) return InvalidArgumentError("app_hash mismatch");
  return types::CheckBlockTime(tip.time_ms, h.time_ms);
}

// Every transaction decodes strictly (the decoder FinalizeBlock runs) to a kind the
// ledger executes.
Status CheckTransactions(const std::vector<Bytes>& raw) {
  for (size_t i = 0; i < raw.size(); ++i) {
    Result<types::Transaction> tx = types::DecodeTransaction(raw[i]);
    if (!tx.ok()) {
      return InvalidArgumentError("tx " + std::to_string(i) + ": " + tx.status().message());
    }
    if (!ledger::TxKindEnabled(tx->kind())) {
      return InvalidArgumentError("tx " + std::to_string(i) + ": kind " +
                                  std::string(types::TxKindName(tx->kind())) + " is not enabled");
    }
  }
  return Status::Ok();
}

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

Result<ChainTip> RecoverChain(store::Store* store, const ledger::Genesis& genesis,
                              const Hash32& genesis_hash) {
  HITO_ASSIGN_OR_RETURN(std::optional<Hash32> stored_genesis, store->GenesisHash());
  if (!stored_genesis) {
    HITO_ASSIGN_OR_RETURN(ledger::BlockOutcome g, ledger::Ledger::InitGenesis(genesis));
    HITO_RETURN_IF_ERROR(store->WriteGenesis(genesis_hash, g.changes));
    spdlog::info("wrote genesis state, root {}", HexEncode(g.state_root));
  } else if (*stored_genesis != genesis_hash) {
    return FailedPreconditionError("the database was created from another genesis file (hash " +
                                   HexEncode(*stored_genesis) + ", genesis.json hashes to " +
                                   HexEncode(genesis_hash) + ")");
  }
  HITO_ASSIGN_OR_RETURN(uint64_t block_height, store->BlockHeight());
  HITO_ASSIGN_OR_RETURN(uint64_t state_height, store->StateHeight());
  if (block_height > state_height && block_height - state_height == 1) {
    // The block batch landed, the state batch did not: re-apply the stored block.
    HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store->GetBlock(block_height));
    if (!raw) return DataLossError("block " + std::to_string(block_height) + " missing");
    HITO_ASSIGN_OR_RETURN(types::Block block, types::DecodeBlock(*raw));
    HITO_ASSIGN_OR_RETURN(std::vector<types::Transaction> txs, DecodeTxs(block.txs));
    auto state = store->State();
    ledger::Ledger ledger(genesis.chain_id, state.get());
    HITO_ASSIGN_OR_RETURN(ledger::BlockOutcome outcome,
                          ledger.ApplyBlock(block.header, txs, ledger::SignatureCheck::kVerify,
                                            block.evidence, block.proposal_evidence));
    HITO_RETURN_IF_ERROR(store->WriteState(block_height, outcome.changes));
    spdlog::warn("recovered: re-applied stored block {} whose state was not written", block_height);
    state_height = block_height;
  }
  if (state_height != block_height) {
    return DataLossError("inconsistent store: blocks up to " + std::to_string(block_height) +
                         ", state at " + std::to_string(state_height));
  }
  ChainTip tip;
  tip.height = block_height;
  auto state = store->State();
  ledger::Ledger ledger(genesis.chain_id, state.get());
  HITO_ASSIGN_OR_RETURN(tip.state_root, ledger.StateRoot());
  if (block_height == 0) {
    tip.time_ms = genesis.time_ms;
    return tip;
  }
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store->GetBlock(block_height));
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw_commit, store->GetCommit(block_height));
  if (!raw || !raw_commit) {
    return DataLossError("block or commit " + std::to_string(block_height) + " missing");
  }
  HITO_ASSIGN_OR_RETURN(types::Block block, types::DecodeBlock(*raw));
  tip.block_hash = types::HeaderHash(block.header);
  tip.time_ms = block.header.time_ms;
  HITO_ASSIGN_OR_RETURN(tip.last_commit, types::DecodeCommit(*raw_commit));
  return tip;
}

store::BlockRecord MakeBlockRecord(const types::Block& block, const types::Commit& commit,
                                   const FinalizedBlock& fin) {
  store::BlockRecord record;
  record.height = block.header.height;
  record.hash = fin.block_hash;
  record.block_bytes = types::EncodeBlock(block);
  record.commit_bytes = types::EncodeCommit(commit);
  record.events = fin.events;
  record.txs.reserve(block.txs.size());
  for (size_t i = 0; i < block.txs.size(); ++i) {
    const ledger::TxResult& r = fin.outcome.results[i];
    store::TxLocation loc;
    loc.height = block.header.height;
    loc.index = static_cast<uint32_t>(i);
    loc.code = static_cast<uint16_t>(r.code);
    loc.message = r.message;
    loc.tx_bytes = block.txs[i];
    record.txs.emplace_back(fin.tx_hashes[i], std::move(loc));
  }
  return record;
}

ChainApp::ChainApp(std::string chain_id, ChainTip tip, store::Store* store,
                   mempool::Mempool* mempool, CommitEvents* events)
    : chain_id_(std::move(chain_id)),
      store_(store),
      mempool_(mempool),
      events_(events),
      live_state_(store->LiveState()),
      exec_ledger_(chain_id_, live_state_.get()),
      tip_(std::move(tip)) {}

void ChainApp::SetPreparedSets(ledger::PreparedSets* sets) {
  HITO_ASSERT(sets != nullptr);
  sets_ = sets;
  exec_ledger_.SetPreparedSets(sets);
}

ChainTip ChainApp::Tip() const {
  MutexLock lock(mu_);
  return tip_;
}

std::vector<Bytes> ChainApp::PrepareProposal(uint32_t max_txs, uint64_t max_bytes) {
  std::vector<Bytes> out;
  for (const auto& ptx : mempool_->Reap(max_txs, max_bytes)) out.push_back(ptx->bytes);
  return out;
}

Result<types::ValidatorSet> ChainApp::ValidatorSetAt(uint64_t height) const {
  auto state = store_->State();
  HITO_ASSIGN_OR_RETURN(uint64_t committed, ledger::Ledger(chain_id_, state.get()).Height());
  return ledger::ValidatorSetAt(*state, committed, height);
}

Status ChainApp::ProcessProposal(const types::Block& block) const {
  // Every way FinalizeBlock (Ledger::ApplyBlock) can fail for a block's content is refused
  // here first, so a decided block never fails to execute: header against the tip, the
  // block's limits, every transaction decoding strictly to an enabled kind, and the
  // evidence (ValidatorRecords, the code ApplyBlock runs). A transaction that breaks its
  // own rules (nonce, balance, signature) is a failed result in the block, not a reason
  // to refuse it.
  const ChainTip tip = Tip();
  const types::BlockHeader& h = block.header;
  HITO_RETURN_IF_ERROR(CheckHeaderOnTip(h, tip, chain_id_));
  HITO_RETURN_IF_ERROR(types::CheckBlockLimits(block));
  HITO_RETURN_IF_ERROR(CheckTransactions(block.txs));
  // The sets of h and h + 1 are fixed by the state the block builds on (validators.h).
  const std::optional<uint64_t> next_height = CheckedAdd(h.height, uint64_t{1});
  if (!next_height) return InvalidArgumentError("block height has no successor");
  auto state = store_->State();
  HITO_ASSIGN_OR_RETURN(types::ValidatorSet set, ValidatorSetAt(h.height));
  HITO_ASSIGN_OR_RETURN(types::ValidatorSet next, ValidatorSetAt(*next_height));
  if (h.validators_hash != set.Hash()) return InvalidArgumentError("validators_hash mismatch");
  if (h.next_validators_hash != next.Hash()) {
    return InvalidArgumentError("next_validators_hash mismatch");
  }
  if (!set.IndexOf(h.proposer)) {
    return InvalidArgumentError("header.proposer " + HexEncode(h.proposer).substr(0, 16) +
                                " is not a validator of height " + std::to_string(h.height));
  }
  // The commit of h - 1 the block carries: signed by a quorum of THAT height's set (it is
  // stored, served to syncing peers and read by clients as the proof of h - 1).
  if (h.height == 1) {
    if (!(block.last_commit == types::Commit{})) {
      return InvalidArgumentError("block 1 carries a commit");
    }
  } else {
    if (block.last_commit.height != tip.height || block.last_commit.block_hash != tip.block_hash) {
      return InvalidArgumentError("last_commit does not name the previous block");
    }
    HITO_ASSIGN_OR_RETURN(types::ValidatorSet prev, ValidatorSetAt(tip.height));
    HITO_RETURN_IF_ERROR(
        types::VerifyCommit(chain_id_, prev, block.last_commit).WithContext("last_commit"));
  }
  // Evidence: signatures, one (height, round, type), two values, signer in the set of its
  // height, not too old, not recorded before, not listed twice (what ApplyBlock checks).
  Result<std::vector<std::pair<Bytes, Bytes>>> records = ledger::ValidatorRecords(
      *state, chain_id_, h.height, block.evidence, block.proposal_evidence);
  if (!records.ok()) return records.status();
  return CheckMembershipProofs(block, state.get());
}

Status ChainApp::CheckMembershipProofs(const types::Block& block,
                                       const ledger::KvReader* state) const {
  ledger::Ledger ledger(chain_id_, state);
  if (sets_ != nullptr) ledger.SetPreparedSets(sets_);
  HITO_ASSIGN_OR_RETURN(std::optional<ledger::UbiParams> ubi, ledger.GetUbiParams());
  std::vector<ledger::ubi::MembershipStatement> statements;
  std::vector<Hash32> hashes;
  std::vector<size_t> where;
  size_t proofs = 0;  // claims and ballots
  for (size_t i = 0; i < block.txs.size(); ++i) {
    const uint8_t kind = block.txs[i].size() < 2 ? 0 : block.txs[i][1];
    if (kind != static_cast<uint8_t>(types::TxKind::kClaim) &&
        kind != static_cast<uint8_t>(types::TxKind::kBallot)) {
      continue;
    }
    HITO_ASSIGN_OR_RETURN(types::Transaction tx, types::DecodeTransaction(block.txs[i]));
    ++proofs;
    const Hash32 hash = types::TransactionHash(block.txs[i]);
    if (mempool_->ProofVerified(hash)) continue;
    const auto* claim = std::get_if<types::Claim>(&tx.body);
    HITO_ASSIGN_OR_RETURN(ledger::ubi::MembershipCheck check,
                          claim ? ledger.PrepareClaim(*claim)
                                : ledger.PrepareBallot(std::get<types::Ballot>(tx.body)));
    // Refused by a cheap rule: a failed result in the block, not a reason to refuse it.
    if (!check.statement) continue;
    statements.push_back(std::move(*check.statement));
    hashes.push_back(hash);
    where.push_back(i);
  }
  if (ubi && proofs > ubi->max_claims_per_block) {
    return InvalidArgumentError("block holds " + std::to_string(proofs) +
                                " membership proofs (claims and ballots), limit " +
                                std::to_string(ubi->max_claims_per_block));
  }
  if (statements.empty()) return Status::Ok();
  std::vector<const ledger::ubi::MembershipStatement*> ptrs;
  for (const auto& s : statements) ptrs.push_back(&s);
  HITO_ASSIGN_OR_RETURN(ledger::ubi::VerifyOutcome v,
                        ledger::ubi::VerifyStatements(
                            ledger::RegistryStore(state), chain_id_, ptrs, ledger.prepared_sets(),
                            zk::proof::membership::BatchMode::kFirstInvalid));
  for (size_t k = 0; k < v.valid.size(); ++k) {
    if (!v.valid[k]) {
      return InvalidArgumentError("tx " + std::to_string(where[k]) +
                                  ": membership proof does not verify");
    }
  }
  mempool_->RememberVerifiedProofs(hashes);
  return Status::Ok();
}

Result<FinalizedBlock> ChainApp::FinalizeBlock(const types::Block& block) {
  const auto start = std::chrono::steady_clock::now();
  FinalizedBlock fin;
  fin.block_hash = types::HeaderHash(block.header);
  HITO_ASSIGN_OR_RETURN(std::vector<types::Transaction> txs, DecodeTxs(block.txs));
  // A signature is checked once per node: txs pending in our mempool (from a client or
  // gossiped by a peer) were verified at admission; the others are verified here. If all
  // verify, the ledger skips the check; if one does not, the ledger runs its own check
  // on every tx, so the block's results (TX_BAD_SIGNATURE) are the same on every node.
  bool all_verified = true;
  fin.tx_hashes.reserve(block.txs.size());
  fin.senders.reserve(block.txs.size());
  for (size_t i = 0; i < block.txs.size(); ++i) {
    Hash32 hash = types::TransactionHash(block.txs[i]);
    // Claims and ballots verified here (admission or ProcessProposal) count as checked too;
    // so do transfers and proposals whose signature verifies now. Any other transaction
    // (a claim or ballot not verified here, a registration not pending) is not.
    if (all_verified && mempool_->Get(hash) == nullptr && !mempool_->ProofVerified(hash) &&
        !types::VerifySenderSignature(txs[i])) {
      all_verified = false;
    }
    fin.tx_hashes.push_back(hash);
    const std::optional<types::SignedFields> signed_fields = types::SignedFieldsOf(txs[i]);
    fin.senders.push_back(signed_fields ? types::AccountIdFromPublicKey(*signed_fields->sender)
                                        : types::AccountId{});
  }
  HITO_ASSIGN_OR_RETURN(
      fin.outcome, exec_ledger_.ApplyBlock(block.header, txs,
                                           all_verified ? ledger::SignatureCheck::kAlreadyVerified
                                                        : ledger::SignatureCheck::kVerify,
                                           block.evidence, block.proposal_evidence));
  if (fin.outcome.results.size() != txs.size()) {
    return InternalError("ledger returned " + std::to_string(fin.outcome.results.size()) +
                         " results for " + std::to_string(txs.size()) + " txs");
  }
  HITO_ASSIGN_OR_RETURN(std::vector<BlockEvent> events,
                        ComputeBlockEvents(chain_id_, *live_state_, fin.outcome.changes, txs,
                                           fin.outcome.results, fin.outcome.governance));
  fin.events = EncodeBlockEvents(events);
  fin.execute_ms = MsSince(start);
  return fin;
}

void ChainApp::Commit(const types::Block& block, const types::Commit& commit, FinalizedBlock fin) {
  const uint64_t height = block.header.height;
  const auto start = std::chrono::steady_clock::now();
  store::BlockRecord record = MakeBlockRecord(block, commit, fin);
  // 1. The block, its commit and its tx index: one synced batch.
  // A failed write on the commit path leaves the node unable to continue consistently:
  // stop, and let the restart recover from what is durable.
  FatalStopIfError(store_->WriteBlock(record), "storing block " + std::to_string(height));
  // 2. Its state changes and the state height: a second synced batch.
  FatalStopIfError(store_->WriteState(height, fin.outcome.changes),
                   "storing state of block " + std::to_string(height));
  const double store_ms = MsSince(start);
  exec_ledger_.OnCommitted(fin.outcome);  // the next block starts with a warm cache
  {
    MutexLock lock(mu_);
    tip_.height = height;
    tip_.block_hash = fin.block_hash;
    tip_.time_ms = block.header.time_ms;
    tip_.state_root = fin.outcome.state_root;
    tip_.last_commit = commit;
  }
  // 3. Only now the mempool and the subscribers hear of it.
  std::vector<mempool::CommittedTx> committed;
  committed.reserve(fin.tx_hashes.size());
  for (size_t i = 0; i < fin.tx_hashes.size(); ++i) {
    committed.push_back({fin.tx_hashes[i], fin.senders[i]});
  }
  mempool_->Update(committed, store_->State());
  events_->PublishBlock(height, record.txs);
  size_t failed = 0;
  for (const auto& r : fin.outcome.results) failed += r.ok() ? 0 : 1;
  spdlog::info(
      "committed block {} hash {} txs {} failed {} root {} (execute {:.1f} ms, store {:.1f} ms, "
      "notify {:.1f} ms)",
      height, HexEncode(fin.block_hash).substr(0, 16), block.txs.size(), failed,
      HexEncode(fin.outcome.state_root).substr(0, 16), fin.execute_ms, store_ms,
      MsSince(start) - store_ms);
}

}  // namespace hito::node::chain
