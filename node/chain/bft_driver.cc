#include "node/chain/bft_driver.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "base/hash.h"
#include "base/hex.h"
#include "consensus/ledger/validators.h"
#include "consensus/types/limits.h"

namespace hito::node {
namespace {
namespace types = consensus::types;
namespace bft = consensus::bft;

// `now` + `ms`, saturated at a day: a timeout that grew past it (round numbers near the
// top of their range) must not overflow the clock's representation.
io::Clock::TimePoint Later(io::Clock::TimePoint now, uint64_t ms) {
  constexpr uint64_t kDayMs = 24ull * 3600 * 1000;
  return now + std::chrono::milliseconds(static_cast<int64_t>(std::min(ms, kDayMs)));
}

[[noreturn]] void Die(const std::string& what, const Status& s) {
  spdlog::critical("{}: {}; stopping the node", what, s.ToString());
  spdlog::shutdown();
  std::abort();
}

void PutU32(Bytes* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void PutU64(Bytes* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}
uint64_t GetBE(ByteView in, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | in[i];
  return v;
}

Bytes Tagged(WalRecordKind kind, const Bytes& body) {
  Bytes out;
  out.reserve(body.size() + 1);
  out.push_back(static_cast<uint8_t>(kind));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes HeightRecord(uint64_t height) {
  Bytes body;
  PutU64(&body, height);
  return Tagged(WalRecordKind::kHeight, body);
}

Bytes ProposalRecord(const types::Proposal& p, const std::optional<types::Block>& block) {
  Bytes enc = types::EncodeProposal(p);
  Bytes body;
  PutU32(&body, static_cast<uint32_t>(enc.size()));
  body.insert(body.end(), enc.begin(), enc.end());
  body.push_back(block ? 1 : 0);
  if (block) {
    Bytes b = types::EncodeBlock(*block);
    body.insert(body.end(), b.begin(), b.end());
  }
  return Tagged(WalRecordKind::kProposal, body);
}

// A decoded WAL record.
struct WalMessage {
  WalRecordKind kind = WalRecordKind::kHeight;
  uint64_t height = 0;
  std::optional<types::Proposal> proposal;
  std::optional<types::Block> block;
  std::optional<types::Vote> vote;
};

Result<WalMessage> DecodeRecord(ByteView rec) {
  if (rec.empty()) return InvalidArgumentError("empty WAL record");
  WalMessage m;
  ByteView body = rec.subspan(1);
  switch (rec[0]) {
    case static_cast<uint8_t>(WalRecordKind::kHeight):
      if (body.size() != 8) return InvalidArgumentError("bad height record");
      m.kind = WalRecordKind::kHeight;
      m.height = GetBE(body, 8);
      return m;
    case static_cast<uint8_t>(WalRecordKind::kProposal): {
      m.kind = WalRecordKind::kProposal;
      if (body.size() < 4) return InvalidArgumentError("bad proposal record");
      const size_t len = static_cast<size_t>(GetBE(body, 4));
      if (body.size() < 4 + len + 1) return InvalidArgumentError("bad proposal record");
      HITO_ASSIGN_OR_RETURN(types::Proposal p, types::DecodeProposal(body.subspan(4, len)));
      m.proposal = std::move(p);
      if (body[4 + len] == 1) {
        HITO_ASSIGN_OR_RETURN(types::Block b, types::DecodeBlock(body.subspan(4 + len + 1)));
        m.block = std::move(b);
      }
      return m;
    }
    case static_cast<uint8_t>(WalRecordKind::kVote): {
      m.kind = WalRecordKind::kVote;
      HITO_ASSIGN_OR_RETURN(types::Vote v, types::DecodeVote(body));
      m.vote = std::move(v);
      return m;
    }
    case static_cast<uint8_t>(WalRecordKind::kBlock): {
      m.kind = WalRecordKind::kBlock;
      HITO_ASSIGN_OR_RETURN(types::Block b, types::DecodeBlock(body));
      m.block = std::move(b);
      return m;
    }
    default:
      return InvalidArgumentError("unknown WAL record kind " + std::to_string(rec[0]));
  }
}

}  // namespace

// The engine's Signer over the node's never-sign-twice io::Signer. A refusal (conflict
// with the record) is normal after a restart and means "do not send"; any other failure
// is a failed write of the record, which stops the node.
class BftDriver::SignerAdapter : public bft::Signer {
 public:
  explicit SignerAdapter(io::Signer* signer) : signer_(signer) {}
  const Ed25519PublicKey& public_key() const override { return signer_->public_key(); }
  Status SignVote(types::Vote* vote) override { return Check(signer_->SignVote(vote)); }
  Status SignProposal(types::Proposal* proposal) override {
    return Check(signer_->SignProposal(proposal));
  }

 private:
  static Status Check(Status s) {
    if (s.ok()) return s;
    if (s.code() == StatusCode::kFailedPrecondition) {
      spdlog::info("signer refused: {}", s.message());
      return s;
    }
    Die("signer record not persisted", s);
  }
  io::Signer* signer_;
};

namespace {

size_t BlockBytes(const types::Block& b) {
  // The header, commit entries and evidence have small fixed sizes; count them generously.
  size_t n = 1024 + b.last_commit.signatures.size() * 96 + b.evidence.size() * 1024;
  for (const Bytes& tx : b.txs) n += tx.size() + 8;
  return n;
}

}  // namespace

size_t BftInputBytes(const BftInput& input) {
  constexpr size_t kMessageBytes = 512;  // a proposal or vote without its block
  if (const auto* p = std::get_if<bft::ProposalReceived>(&input)) {
    return kMessageBytes + (p->block ? BlockBytes(*p->block) : 0);
  }
  if (const auto* b = std::get_if<bft::BlockReceived>(&input)) return BlockBytes(b->block);
  if (const auto* cb = std::get_if<CommittedBlockReceived>(&input)) {
    return BlockBytes(cb->block) + cb->commit.signatures.size() * 96;
  }
  if (std::holds_alternative<types::DuplicateVoteEvidence>(input)) return 2 * kMessageBytes;
  return kMessageBytes;
}

Status CheckCommittedBlock(const Application& app, std::string_view chain_id,
                           const types::Block& block, const types::Commit& commit) {
  const uint64_t height = block.header.height;
  if (height != app.Tip().height + 1) {
    return FailedPreconditionError("block " + std::to_string(height) + " does not follow the tip");
  }
  if (commit.height != height || commit.block_hash != types::HeaderHash(block.header)) {
    return InvalidArgumentError("commit does not name the block");
  }
  // The set of THIS height, as the state after the previous block fixes it: a set change
  // scheduled for `height` is already in force here.
  HITO_ASSIGN_OR_RETURN(types::ValidatorSet set, app.ValidatorSetAt(height));
  HITO_RETURN_IF_ERROR(types::VerifyCommit(chain_id, set, commit).WithContext("commit"));
  return app.ProcessProposal(block);
}

BftDriver::BftDriver(io::Clock* clock, std::string chain_id, Application* app, Store* store,
                     ConsensusTransport* transport, BftEngineOptions options)
    : clock_(clock),
      chain_id_(std::move(chain_id)),
      app_(app),
      store_(store),
      transport_(transport),
      options_(std::move(options)) {}

BftDriver::~BftDriver() = default;

Result<std::unique_ptr<BftDriver>> BftDriver::Open(io::Env* env, io::Clock* clock,
                                                   const std::filesystem::path& home,
                                                   std::string chain_id, Ed25519PrivateKey key,
                                                   Application* app, Store* store,
                                                   ConsensusTransport* transport,
                                                   BftEngineOptions options) {
  const uint64_t next_height = app->Tip().height + 1;
  HITO_ASSIGN_OR_RETURN(types::ValidatorSet current, app->ValidatorSetAt(next_height));
  if (!current.IndexOf(key.public_key())) {
    // Not an error: a validator that joins by a scheduled change, or one that left,
    // follows the chain and signs only at heights whose set holds its key.
    spdlog::warn("consensus: this node's key is not in the validator set of height {}",
                 next_height);
  }
  options.bft.chain_id = chain_id;
  std::unique_ptr<BftDriver> e(
      new BftDriver(clock, chain_id, app, store, transport, std::move(options)));
  BftPaths paths{home};
  HITO_RETURN_IF_ERROR(env->CreateDirs(paths.dir().string()));
  HITO_ASSIGN_OR_RETURN(
      e->signer_, io::Signer::Open(env, paths.signer_state().string(), std::move(key), chain_id));
  e->signer_adapter_ = std::make_unique<SignerAdapter>(e->signer_.get());
  HITO_ASSIGN_OR_RETURN(e->wal_, io::Wal::Open(env, paths.wal().string(), &e->wal_recovery_));
  const io::WalRecovery& rec = e->wal_recovery_;
  if (rec.tail != io::WalTail::kClean) {
    spdlog::warn("consensus WAL {}: {} tail, {} bytes cut after {} valid bytes ({} records kept)",
                 paths.wal().string(), io::WalTailName(rec.tail), rec.dropped_bytes,
                 rec.valid_bytes, rec.records.size());
  }
  // Keep the records of the height to resume: those after its start marker.
  bool in_height = false;
  for (const Bytes& r : rec.records) {
    Result<WalMessage> m = DecodeRecord(r);
    if (!m.ok()) {
      spdlog::warn("consensus WAL: skipping undecodable record: {}", m.status().ToString());
      continue;
    }
    if (m->kind == WalRecordKind::kHeight) {
      in_height = m->height == next_height;
      if (in_height) e->replay_.clear();
      continue;
    }
    if (in_height) e->replay_.push_back(r);
  }
  e->engine_ =
      std::make_unique<bft::Engine>(e->options_.bft, e->signer_adapter_.get(), &e->verifier_);
  return e;
}

std::optional<std::pair<types::Block, types::Commit>> BftDriver::ServeCommittedBlock(
    uint64_t height) const {
  Result<std::optional<Bytes>> b = store_->GetBlock(height);
  Result<std::optional<Bytes>> c = store_->GetCommit(height);
  if (!b.ok() || !c.ok() || !b->has_value() || !c->has_value()) return std::nullopt;
  Result<types::Block> block = types::DecodeBlock(**b);
  Result<types::Commit> commit = types::DecodeCommit(**c);
  if (!block.ok() || !commit.ok()) return std::nullopt;
  return std::make_pair(std::move(block).value(), std::move(commit).value());
}

io::Clock::TimePoint BftDriver::NextWake() const {
  io::Clock::TimePoint wake = next_gossip_;
  if (!timers_.empty()) wake = std::min(wake, timers_.begin()->first);
  if (start_next_at_) wake = std::min(wake, *start_next_at_);
  return wake;
}

void BftDriver::Tick() {
  const io::Clock::TimePoint now = clock_->Now();
  if (start_next_at_ && *start_next_at_ <= now) {
    start_next_at_.reset();
    Feed(StartOf(app_->Tip().height + 1));
  }
  while (!timers_.empty() && timers_.begin()->first <= now) {
    bft::TimeoutFired t = timers_.begin()->second;
    timers_.erase(timers_.begin());
    Feed(t);
  }
  if (now >= next_gossip_) {
    Gossip();
    next_gossip_ = now + std::chrono::milliseconds(options_.gossip_interval_ms);
  }
}

void BftDriver::Resume() {
  const uint64_t height = app_->Tip().height + 1;
  bft::StartHeight start = StartOf(height);
  const io::SignState last = signer_->last();
  if (!last.empty && last.height == height) start.round = last.round;
  // The lock: the own non-nil precommit of the highest round in the WAL of this height.
  // (A precommit the signer recorded but the WAL lacks never left the process.)
  const Ed25519PublicKey& me = signer_->public_key();
  std::vector<WalMessage> msgs;
  for (const Bytes& r : replay_) {
    seen_.insert(DomainHash("hito/v1/wal-record", r));
    Result<WalMessage> m = DecodeRecord(r);
    if (!m.ok()) continue;
    if (m->vote && m->vote->validator == me && m->vote->height == height &&
        m->vote->type == types::VoteType::kPrecommit && m->vote->block_hash &&
        (!start.lock || m->vote->round >= start.lock->round)) {
      start.lock = bft::Lock{m->vote->round, *m->vote->block_hash};
    }
    msgs.push_back(std::move(m).value());
  }
  if (start.lock && start.lock->round > start.round) start.round = start.lock->round;
  spdlog::info("consensus: starting height {} round {}{}, replaying {} WAL records", height,
               start.round, start.lock ? " (locked)" : "", msgs.size());
  // Rewrite the WAL to exactly what is replayed, so a restart resumes from the same log.
  std::vector<Bytes> keep{HeightRecord(height)};
  keep.insert(keep.end(), replay_.begin(), replay_.end());
  Status s = wal_->Rewrite(keep);
  if (!s.ok()) Die("consensus WAL rewrite failed", s);
  Feed(std::move(start));
  for (WalMessage& m : msgs) {
    if (m.proposal) {
      if (m.proposal->proposer == me) own_records_.push_back(ProposalRecord(*m.proposal, m.block));
      Feed(bft::ProposalReceived{*m.proposal, m.block});
    } else if (m.vote) {
      if (m.vote->validator == me) {
        own_records_.push_back(Tagged(WalRecordKind::kVote, types::EncodeVote(*m.vote)));
      }
      Feed(bft::VoteReceived{*m.vote});
    } else if (m.block) {
      Feed(bft::BlockReceived{*m.block});
    }
  }
  replayed_ = msgs.size();
  replay_.clear();
  Gossip();
  next_gossip_ = clock_->Now() + std::chrono::milliseconds(options_.gossip_interval_ms);
}

void BftDriver::WalAppend(const Bytes& record, io::Wal::Durability durability) {
  Status s = wal_->Append(record, durability);
  if (!s.ok()) Die("consensus WAL append failed", s);
}

bool BftDriver::FirstSight(const Bytes& record) {
  // The engine would reject an exact copy as a duplicate anyway; skipping it here keeps
  // re-sent messages out of the WAL.
  if (!seen_.insert(DomainHash("hito/v1/wal-record", record)).second) return false;
  WalAppend(record, io::Wal::Durability::kBuffered);
  return true;
}

void BftDriver::Handle(Input input) {
  const uint64_t height = engine_->height();
  if (auto* p = std::get_if<bft::ProposalReceived>(&input)) {
    if (p->proposal.height != height && p->proposal.height != height + 1) return;
    if (!FirstSight(ProposalRecord(p->proposal, p->block))) return;
    Feed(std::move(*p));
  } else if (auto* b = std::get_if<bft::BlockReceived>(&input)) {
    if (b->block.header.height != height) return;
    if (!FirstSight(Tagged(WalRecordKind::kBlock, types::EncodeBlock(b->block)))) return;
    Feed(std::move(*b));
  } else if (auto* v = std::get_if<bft::VoteReceived>(&input)) {
    if (v->vote.height != height && v->vote.height != height + 1) return;
    if (!FirstSight(Tagged(WalRecordKind::kVote, types::EncodeVote(v->vote)))) return;
    Feed(std::move(*v));
  } else if (auto* ev = std::get_if<types::DuplicateVoteEvidence>(&input)) {
    Status s = types::VerifyEvidence(chain_id_, *ev);
    if (s.ok()) {
      spdlog::warn("consensus: peer reported duplicate-vote evidence against {}",
                   HexEncode(ev->a.validator));
      AddEvidence(*ev);
    }
  } else if (auto* cb = std::get_if<CommittedBlockReceived>(&input)) {
    OnCommittedBlock(*cb);
  }
}

void BftDriver::OnCommittedBlock(const CommittedBlockReceived& cb) {
  {
    const types::Block& block = cb.block;
    const types::Commit& commit = cb.commit;
    if (block.header.height != app_->Tip().height + 1) return;
    Status s = CheckCommittedBlock(*app_, chain_id_, block, commit);
    if (!s.ok()) {
      spdlog::warn("consensus: synced block {} rejected: {}", block.header.height, s.ToString());
      return;
    }
    spdlog::info("consensus: block {} from block sync", block.header.height);
    CommitBlock(block, commit);
    start_next_at_.reset();
    Feed(StartOf(block.header.height + 1));
    // Still behind, probably: ask for the next one now rather than at the next tick.
    transport_->RequestCommittedBlock(block.header.height + 1);
  }
}

void BftDriver::Feed(bft::Event event) {
  std::deque<bft::Event> pending;
  pending.push_back(std::move(event));
  while (!pending.empty()) {
    std::vector<bft::Action> actions = engine_->Step(pending.front());
    pending.pop_front();
    for (const bft::Action& a : actions) Carry(a, &pending);
  }
}

void BftDriver::Carry(const bft::Action& action, std::deque<bft::Event>* next) {
  if (const auto* bp = std::get_if<bft::BroadcastProposal>(&action)) {
    Bytes rec = ProposalRecord(bp->proposal, bp->block);
    WalAppend(rec, io::Wal::Durability::kSync);
    own_records_.push_back(std::move(rec));
    transport_->BroadcastProposal(bp->proposal, bp->block);
  } else if (const auto* bv = std::get_if<bft::BroadcastVote>(&action)) {
    const types::Vote& v = bv->vote;
    if (v.type == types::VoteType::kPrecommit && v.block_hash) {
      if (const types::Block* b = engine_->FindBlock(*v.block_hash)) {
        WalAppend(Tagged(WalRecordKind::kBlock, types::EncodeBlock(*b)),
                  io::Wal::Durability::kBuffered);
      }
    }
    Bytes rec = Tagged(WalRecordKind::kVote, types::EncodeVote(v));
    WalAppend(rec, io::Wal::Durability::kSync);
    own_records_.push_back(std::move(rec));
    transport_->BroadcastVote(v);
  } else if (const auto* st = std::get_if<bft::ScheduleTimeout>(&action)) {
    timers_.emplace(Later(clock_->Now(), st->duration_ms),
                    bft::TimeoutFired{st->height, st->round, st->step});
  } else if (const auto* rb = std::get_if<bft::RequestBlock>(&action)) {
    if (rb->height != app_->Tip().height + 1) return;
    next->push_back(bft::BlockBuilt{rb->height, rb->round, BuildBlock(rb->height)});
  } else if (const auto* vb = std::get_if<bft::ValidateBlock>(&action)) {
    Status s = app_->ProcessProposal(vb->block);
    if (!s.ok()) {
      spdlog::warn("consensus: proposed block {} invalid: {}", vb->block.header.height,
                   s.ToString());
    }
    next->push_back(bft::BlockValidated{vb->block.header.height, vb->block_hash, s.ok()});
  } else if (const auto* d = std::get_if<bft::Decide>(&action)) {
    if (d->height != app_->Tip().height + 1) return;
    CommitBlock(d->block, d->commit);
    if (options_.commit_wait_ms == 0) {
      next->push_back(StartOf(d->height + 1));
    } else {
      start_next_at_ = clock_->Now() + std::chrono::milliseconds(options_.commit_wait_ms);
    }
  } else if (const auto* re = std::get_if<bft::RecordEvidence>(&action)) {
    spdlog::warn("consensus: duplicate votes from {} at height {}",
                 HexEncode(re->evidence.a.validator), re->evidence.a.height);
    ++evidence_count_;
    AddEvidence(re->evidence);
    transport_->BroadcastEvidence(re->evidence);
  }
}

void BftDriver::CommitBlock(const types::Block& block, const types::Commit& commit) {
  Result<FinalizedBlock> fin = app_->FinalizeBlock(block);
  // Agreed by a quorum and checked by ProcessProposal: failing to execute it means this
  // node's state cannot be trusted.
  if (!fin.ok())
    Die("executing decided block " + std::to_string(block.header.height), fin.status());
  app_->Commit(block, commit, std::move(fin).value());
  for (const types::DuplicateVoteEvidence& e : block.evidence) {
    evidence_pool_.erase(consensus::ledger::EvidenceKey(e));
  }
  evidence_pending_ = evidence_pool_.size();
  // Start the next height's log: only its marker (the decided height is in the store).
  Status s = wal_->Rewrite({HeightRecord(block.header.height + 1)});
  if (!s.ok()) Die("consensus WAL rewrite failed", s);
  own_records_.clear();
  seen_.clear();
  timers_.clear();
}

types::Block BftDriver::BuildBlock(uint64_t height) {
  ChainTip tip = app_->Tip();
  types::Block block;
  block.txs = app_->PrepareProposal(options_.block_max_txs, options_.block_max_bytes);
  types::BlockHeader& h = block.header;
  h.chain_id = chain_id_;
  h.height = height;
  h.time_ms = std::max(clock_->WallMs(), tip.time_ms + 1);
  h.prev_hash = tip.block_hash;
  h.tx_root = types::TxRoot(block.txs);
  h.app_hash = tip.state_root;
  h.validators_hash = SetFor(height).Hash();
  h.next_validators_hash = SetFor(height + 1).Hash();
  block.evidence = TakeEvidence(height);
  block.last_commit = tip.last_commit;
  h.last_commit_hash = types::CommitHash(block.last_commit);
  h.evidence_hash = types::EvidenceHash(block.evidence);
  h.proposer = signer_->public_key();
  return block;
}

void BftDriver::Gossip() {
  for (const Bytes& r : own_records_) {
    Result<WalMessage> m = DecodeRecord(r);
    if (!m.ok()) continue;
    if (m->proposal && m->block) {
      transport_->BroadcastProposal(*m->proposal, *m->block);
    } else if (m->vote) {
      transport_->BroadcastVote(*m->vote);
    }
  }
  transport_->RequestCommittedBlock(app_->Tip().height + 1);
}

types::ValidatorSet BftDriver::SetFor(uint64_t height) const {
  Result<types::ValidatorSet> set = app_->ValidatorSetAt(height);
  if (!set.ok()) Die("validator set of height " + std::to_string(height), set.status());
  return std::move(set).value();
}

bft::StartHeight BftDriver::StartOf(uint64_t height) const {
  return bft::StartHeight{height, SetFor(height), 0, std::nullopt};
}

void BftDriver::AddEvidence(const types::DuplicateVoteEvidence& e) {
  // Bounded: when full, new pieces are dropped (only real equivocations verify, and each
  // proposal drops the pieces that are no longer valid, so the pool drains).
  if (evidence_pool_.size() >= options_.evidence_pool_max) return;
  evidence_pool_.emplace(consensus::ledger::EvidenceKey(e), e);
  evidence_pending_ = evidence_pool_.size();
}

std::vector<types::DuplicateVoteEvidence> BftDriver::TakeEvidence(uint64_t height) {
  std::vector<types::DuplicateVoteEvidence> out;
  if (evidence_pool_.empty()) return out;
  auto state = store_->State();
  Result<consensus::ledger::ValidatorSchedule> schedule =
      consensus::ledger::ReadValidatorSchedule(*state);
  if (!schedule.ok()) return out;
  for (auto it = evidence_pool_.begin(); it != evidence_pool_.end();) {
    if (out.size() >= types::kEvidenceMaxPerBlock) break;
    Status s = consensus::ledger::CheckEvidence(*state, chain_id_, *schedule, height, it->second);
    if (s.ok()) {
      out.push_back(it->second);
      ++it;
    } else if (it->second.a.height >= height) {
      ++it;  // not yet includable (evidence of the current height): keep it
    } else {
      spdlog::info("consensus: dropping pending evidence: {}", s.message());
      it = evidence_pool_.erase(it);
    }
  }
  evidence_pending_ = evidence_pool_.size();
  return out;
}

}  // namespace hito::node
