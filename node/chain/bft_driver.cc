#include "node/chain/bft_driver.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "base/assert.h"
#include "base/fatal.h"
#include "base/hash.h"
#include "base/hex.h"
#include "consensus/ledger/validators.h"
#include "consensus/types/limits.h"

namespace hito::node::chain {

namespace types = consensus::types;
namespace bft = consensus::bft;

// A decoded WAL record.
struct WalMessage {
  WalRecordKind kind = WalRecordKind::kHeight;
  uint64_t height = 0;
  std::optional<types::Proposal> proposal;
  std::optional<types::Block> block;
  std::optional<types::Vote> vote;
};

namespace {

uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  uint64_t sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? UINT64_MAX : sum;
}

// `now` + `ms`, saturated at a day: a timeout that grew past it (round numbers near the
// top of their range) must not overflow the clock's representation.
io::Clock::TimePoint Later(io::Clock::TimePoint now, uint64_t ms) {
  constexpr uint64_t kDayMs = 24ull * 3600 * 1000;
  return now + std::chrono::milliseconds(static_cast<int64_t>(std::min(ms, kDayMs)));
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

Bytes NoSignRecord(uint64_t height) {
  Bytes body;
  PutU64(&body, height);
  return Tagged(WalRecordKind::kNoSign, body);
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
    case static_cast<uint8_t>(WalRecordKind::kNoSign):
      if (body.size() != 8) return InvalidArgumentError("bad no-sign record");
      m.kind = WalRecordKind::kNoSign;
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

// The state machine's VoteSigner over the node's never-sign-twice io::DurableSigner. A refusal
// (conflict with the record) is normal after a restart and means "do not send"; any other failure
// is a failed write of the record, which stops the node.
class BftDriver::SignerAdapter : public bft::VoteSigner {
 public:
  explicit SignerAdapter(io::DurableSigner* signer) : signer_(signer) {}
  const Ed25519PublicKey& public_key() const override { return signer_->public_key(); }
  Status SignVote(types::Vote* vote) override {
    if (Refused(vote->height)) return FailedPreconditionError("not signing at this height");
    return Check(signer_->SignVote(vote));
  }
  Status SignProposal(types::Proposal* proposal) override {
    if (Refused(proposal->height)) return FailedPreconditionError("not signing at this height");
    return Check(signer_->SignProposal(proposal));
  }
  // Signs nothing at `height` (a WAL cut lost own messages of it).
  void RefuseHeight(uint64_t height) { refused_height_ = height; }

 private:
  bool Refused(uint64_t height) const { return refused_height_ && *refused_height_ == height; }
  static Status Check(Status s) {
    if (s.ok()) return s;
    if (s.code() == StatusCode::kFailedPrecondition) {
      spdlog::info("signer refused: {}", s.message());
      return s;
    }
    FatalStop("signer record not persisted", s);
  }
  io::DurableSigner* signer_;
  std::optional<uint64_t> refused_height_;
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

BftDriver::BftDriver(io::Clock* clock, std::string chain_id, Application* app, store::Store* store,
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
                                                   Application* app, store::Store* store,
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
  HITO_ASSIGN_OR_RETURN(e->signer_, io::DurableSigner::Open(env, paths.signer_state().string(),
                                                            std::move(key), chain_id));
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
  e->machine_ = std::make_unique<bft::StateMachine>(
      e->options_.bft, e->signer_adapter_.get(),
      e->options_.verifier != nullptr ? e->options_.verifier : &e->verifier_);
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
    StartNext(app_->Tip().height + 1);
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
  const bool signed_here = !last.empty && last.height == height;
  if (signed_here) start.round = last.round;
  // The lock: the signer record's (it changes only with a signed precommit), or the own
  // non-nil precommit of the highest round in the WAL (a record of an older format).
  if (signed_here && last.has_lock) start.lock = bft::Lock{last.lock_round, last.lock_block_hash};
  const Ed25519PublicKey& me = signer_->public_key();
  std::vector<WalMessage> msgs;
  std::vector<Bytes> keep{HeightRecord(height)};
  bool last_signed_in_wal = false;
  bool no_sign = false;
  for (const Bytes& r : replay_) {
    Result<WalMessage> m = DecodeRecord(r);
    if (!m.ok()) continue;
    if (m->kind == WalRecordKind::kNoSign) {
      no_sign = no_sign || m->height == height;
      continue;
    }
    // Peers' records within the height's budget only (a log written without it, or with a
    // larger one, is cut down here, and stays so by the rewrite below).
    std::optional<Ed25519PublicKey> peer;
    if (m->proposal && m->proposal->proposer != me) peer = m->proposal->proposer;
    if (m->vote && m->vote->validator != me) peer = m->vote->validator;
    if (peer) {
      if (!WalRoomFor(*peer, r.size())) continue;
      CountPeerRecord(*peer, r.size());
    }
    seen_.insert(DomainHash("hito/v1/wal-record", r));
    keep.push_back(r);
    const Hash32 own_hash = OwnSignBytesHash(*m, me);
    if (signed_here && own_hash == last.sign_bytes_hash) last_signed_in_wal = true;
    if (m->vote && m->vote->validator == me && m->vote->height == height &&
        m->vote->type == types::VoteType::kPrecommit && m->vote->block_hash &&
        (!start.lock || m->vote->round > start.lock->round)) {
      start.lock = bft::Lock{m->vote->round, *m->vote->block_hash};
    }
    msgs.push_back(std::move(m).value());
  }
  if (start.lock && start.lock->round > start.round) start.round = start.lock->round;
  if (CutWalLostOwnSignature(height, signed_here && !last_signed_in_wal)) no_sign = true;
  if (no_sign) {
    signer_adapter_->RefuseHeight(height);
    keep.insert(keep.begin() + 1, NoSignRecord(height));
  }
  spdlog::info("consensus: starting height {} round {}{}, replaying {} WAL records", height,
               start.round, start.lock ? " (locked)" : "", msgs.size());
  // Rewrite the WAL to exactly what is replayed, so a restart resumes from the same log.
  Status s = wal_->Rewrite(keep);
  if (!s.ok()) FatalStop("consensus WAL rewrite failed", s);
  Feed(std::move(start));
  for (WalMessage& m : msgs) Replay(m, me);
  replayed_ = msgs.size();
  replay_.clear();
  Gossip();
  next_gossip_ = clock_->Now() + std::chrono::milliseconds(options_.gossip_interval_ms);
}

// A cut log (torn or corrupt tail) may have lost own messages of this height. The log is
// cut only at its end and own messages are logged in signing order, so if the last
// signature the signer record names is still in the log, nothing own was lost; otherwise
// this node signs nothing more at this height (it follows it, and signs again from the
// next one). Resume logs the decision (kNoSign), so a later restart, which finds the
// rewritten log clean, keeps it.
bool BftDriver::CutWalLostOwnSignature(uint64_t height, bool last_signature_missing) const {
  if (wal_recovery_.tail == io::WalTail::kClean || !last_signature_missing) return false;
  spdlog::error(
      "consensus WAL of height {} was cut and lost this validator's last signed message; "
      "not signing again at this height",
      height);
  return true;
}

Hash32 BftDriver::OwnSignBytesHash(const WalMessage& m, const Ed25519PublicKey& me) const {
  if (m.proposal && m.proposal->proposer == me) {
    return io::SignBytesHash(types::ProposalSigningBytes(chain_id_, *m.proposal));
  }
  if (m.vote && m.vote->validator == me) {
    return io::SignBytesHash(types::VoteSigningBytes(chain_id_, *m.vote));
  }
  return Hash32{};
}

void BftDriver::Replay(const WalMessage& m, const Ed25519PublicKey& me) {
  if (m.proposal) {
    const bool own = m.proposal->proposer == me;
    if (own && m.block) own_proposal_ = std::make_pair(*m.proposal, *m.block);
    proposed_.insert(m.proposal->block_hash);
    Feed(bft::ProposalReceived{*m.proposal, m.block});
  } else if (m.vote) {
    if (m.vote->validator == me) own_votes_.push_back(*m.vote);
    Feed(bft::VoteReceived{*m.vote});
  } else if (m.block) {
    Feed(bft::BlockReceived{*m.block});
  }
}

void BftDriver::CountPeerRecord(const Ed25519PublicKey& sender, size_t bytes) {
  ++wal_peer_records_;
  wal_peer_bytes_ += bytes;
  ++wal_sender_records_[sender];
}

void BftDriver::WalAppend(const Bytes& record, io::Wal::Durability durability) {
  Status s = wal_->Append(record, durability);
  if (!s.ok()) FatalStop("consensus WAL append failed", s);
}

bool BftDriver::WalRoomFor(const Ed25519PublicKey& sender, size_t bytes) const {
  if (wal_peer_records_ >= options_.wal_height_max_records ||
      bytes > options_.wal_height_max_bytes -
                  std::min(wal_peer_bytes_, options_.wal_height_max_bytes)) {
    return false;
  }
  // Each validator gets an equal share of the records, so one key signing votes for ever
  // higher rounds cannot use up the height's log for the others.
  const size_t members = std::max<size_t>(1, current_set_.size());
  auto it = wal_sender_records_.find(sender);
  return it == wal_sender_records_.end() || it->second < options_.wal_height_max_records / members;
}

void BftDriver::Handle(Input input) {
  if (auto* ev = std::get_if<types::DuplicateVoteEvidence>(&input)) {
    OnPeerEvidence(*ev);
  } else if (auto* cb = std::get_if<CommittedBlockReceived>(&input)) {
    OnCommittedBlock(*cb);
  } else {
    OnPeerMessage(std::move(input));
  }
}

void BftDriver::OnPeerMessage(Input input) {
  const uint64_t height = machine_->height();
  Bytes record;
  Ed25519PublicKey sender{};
  uint64_t msg_height = 0;
  std::optional<Hash32> block_hash;  // a block the message carries
  if (auto* p = std::get_if<bft::ProposalReceived>(&input)) {
    record = ProposalRecord(p->proposal, p->block);
    sender = p->proposal.proposer;
    msg_height = p->proposal.height;
    if (p->block) block_hash = types::HeaderHash(p->block->header);
  } else if (auto* b = std::get_if<bft::BlockReceived>(&input)) {
    record = Tagged(WalRecordKind::kBlock, types::EncodeBlock(b->block));
    sender = b->block.header.proposer;
    msg_height = b->block.header.height;
    block_hash = types::HeaderHash(b->block.header);
  } else if (auto* v = std::get_if<bft::VoteReceived>(&input)) {
    record = Tagged(WalRecordKind::kVote, types::EncodeVote(v->vote));
    sender = v->vote.validator;
    msg_height = v->vote.height;
  } else {
    return;
  }
  if (!machine_->started() || record.size() > io::kWalRecordMaxBytes) return;
  if (msg_height == height + 1) {
    BufferNext(std::move(input), record, sender);
    return;
  }
  // A decided height takes nothing more: its log is already the next height's.
  if (msg_height != height || machine_->decided()) return;
  // A block apart from its proposal is taken only for a proposal taken at this height: a
  // block that only votes name could be any signer's 8 MiB, logged at will.
  if (std::holds_alternative<bft::BlockReceived>(input) && proposed_.count(*block_hash) == 0) {
    return;
  }
  const Hash32 key = DomainHash("hito/v1/wal-record", record);
  if (seen_.count(key) != 0) return;
  // Past the height's log budget a peer's message is neither logged nor fed: the state machine
  // must never act on what a restart could not replay.
  if (!WalRoomFor(sender, record.size())) return;
  const bool block_known = block_hash && machine_->FindBlock(*block_hash) != nullptr;
  std::vector<bft::Action> actions = machine_->Step(ToEvent(input));
  bool accepted = !std::holds_alternative<bft::BlockReceived>(input) &&
                  machine_->last_rejection() == bft::Rejection::kNone;
  // A block is taken when the state machine now holds it (a copy, or one nobody proposed, is not).
  if (block_hash && !block_known && machine_->FindBlock(*block_hash) != nullptr) accepted = true;
  if (accepted) {
    // Logged before anything the state machine did with it leaves the process (Carry below).
    seen_.insert(key);
    if (const auto* p = std::get_if<bft::ProposalReceived>(&input)) {
      proposed_.insert(p->proposal.block_hash);
    }
    WalAppend(record, io::Wal::Durability::kBuffered);
    CountPeerRecord(sender, record.size());
    Relay(input);
  }
  CarryAll(std::move(actions));
}

void BftDriver::Relay(const Input& input) {
  // Re-broadcast once (seen_ holds it now) what the state machine took, so that validators
  // connected only through this node hear each other. Bounded by the height's log budget.
  if (const auto* p = std::get_if<bft::ProposalReceived>(&input)) {
    if (p->block) transport_->BroadcastProposal(p->proposal, *p->block);
  } else if (const auto* v = std::get_if<bft::VoteReceived>(&input)) {
    transport_->BroadcastVote(v->vote);
  }
}

void BftDriver::BufferNext(Input input, const Bytes& record, const Ed25519PublicKey& sender) {
  // Only the current set's keys (the next height's signers, almost always) may fill it;
  // bounded in bytes, in all and per key, and without copies.
  if (!current_set_.IndexOf(sender)) return;
  const Hash32 key = DomainHash("hito/v1/wal-record", record);
  if (next_seen_.count(key) != 0) return;
  const size_t bytes = BftInputBytes(input);
  const size_t per_key = std::max<size_t>(
      options_.next_height_buffer_max_bytes / std::max<size_t>(1, current_set_.size()),
      io::kWalRecordMaxBytes);
  size_t& mine = next_bytes_by_sender_[sender];
  if (bytes > options_.next_height_buffer_max_bytes -
                  std::min(next_bytes_, options_.next_height_buffer_max_bytes) ||
      bytes > per_key - std::min(mine, per_key)) {
    return;
  }
  mine += bytes;
  next_bytes_ += bytes;
  next_seen_.insert(key);
  next_buffer_.push_back(std::move(input));
}

void BftDriver::StartNext(uint64_t height) {
  Feed(StartOf(height));
  std::vector<Input> buffered = std::move(next_buffer_);
  next_buffer_.clear();
  next_seen_.clear();
  next_bytes_by_sender_.clear();
  next_bytes_ = 0;
  for (Input& in : buffered) OnPeerMessage(std::move(in));
}

bft::Event BftDriver::ToEvent(const Input& input) {
  if (const auto* p = std::get_if<bft::ProposalReceived>(&input)) return *p;
  if (const auto* b = std::get_if<bft::BlockReceived>(&input)) return *b;
  return std::get<bft::VoteReceived>(input);
}

void BftDriver::OnPeerEvidence(const types::DuplicateVoteEvidence& ev) {
  if (AddEvidence(ev)) {
    spdlog::warn("consensus: peer reported duplicate-vote evidence against {}",
                 HexEncode(ev.a.validator));
  }
}

void BftDriver::OnCommittedBlock(const CommittedBlockReceived& cb) {
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
  StartNext(block.header.height + 1);
  // Still behind, probably: ask for the next one now rather than at the next tick.
  transport_->RequestCommittedBlock(block.header.height + 1);
}

void BftDriver::Feed(bft::Event event) { CarryAll(machine_->Step(event)); }

void BftDriver::CarryAll(std::vector<bft::Action> actions) {
  std::deque<bft::Event> pending;
  for (const bft::Action& a : actions) Carry(a, &pending);
  while (!pending.empty()) {
    std::vector<bft::Action> more = machine_->Step(pending.front());
    pending.pop_front();
    for (const bft::Action& a : more) Carry(a, &pending);
  }
}

void BftDriver::Carry(const bft::Action& action, std::deque<bft::Event>* next) {
  if (const auto* bp = std::get_if<bft::BroadcastProposal>(&action)) {
    WalAppend(ProposalRecord(bp->proposal, bp->block), io::Wal::Durability::kSync);
    own_proposal_ = std::make_pair(bp->proposal, bp->block);
    proposed_.insert(bp->proposal.block_hash);
    transport_->BroadcastProposal(bp->proposal, bp->block);
  } else if (const auto* bv = std::get_if<bft::BroadcastVote>(&action)) {
    const types::Vote& v = bv->vote;
    if (v.type == types::VoteType::kPrecommit && v.block_hash) {
      if (const types::Block* b = machine_->FindBlock(*v.block_hash)) {
        WalAppend(Tagged(WalRecordKind::kBlock, types::EncodeBlock(*b)),
                  io::Wal::Durability::kBuffered);
      }
    }
    WalAppend(Tagged(WalRecordKind::kVote, types::EncodeVote(v)), io::Wal::Durability::kSync);
    own_votes_.push_back(v);
    transport_->BroadcastVote(v);
  } else if (const auto* st = std::get_if<bft::ScheduleTimeout>(&action)) {
    timers_.emplace(Later(clock_->Now(), st->duration_ms),
                    bft::TimeoutFired{st->height, st->round, st->step});
  } else if (const auto* rb = std::get_if<bft::RequestBlock>(&action)) {
    if (rb->height != app_->Tip().height + 1) return;
    next->push_back(bft::BlockBuilt{rb->height, rb->round, BuildBlock(rb->height)});
  } else if (const auto* vb = std::get_if<bft::ValidateBlock>(&action)) {
    Status s = app_->ProcessProposal(vb->block);
    // The state machine may not read a clock; this node's prevote may: a block dated
    // beyond the local clock plus the allowed drift gets a nil prevote here.
    const uint64_t horizon = SaturatingAdd(clock_->WallMs(), options_.max_clock_drift_ms);
    if (s.ok() && vb->block.header.time_ms > horizon) {
      s = InvalidArgumentError("block time " + std::to_string(vb->block.header.time_ms) +
                               " is beyond the local clock's horizon " + std::to_string(horizon));
    }
    if (!s.ok()) {
      spdlog::warn("consensus: proposed block {} invalid: {}", vb->block.header.height,
                   s.ToString());
    }
    next->push_back(bft::BlockValidated{vb->block.header.height, vb->block_hash, s.ok()});
  } else if (const auto* d = std::get_if<bft::Decide>(&action)) {
    if (d->height != app_->Tip().height + 1) return;
    CommitBlock(d->block, d->commit);
    // The next height starts at the next Tick (at once when commit_wait_ms is 0).
    start_next_at_ = clock_->Now() + std::chrono::milliseconds(options_.commit_wait_ms);
  } else if (const auto* re = std::get_if<bft::RecordEvidence>(&action)) {
    spdlog::warn("consensus: duplicate votes from {} at height {}",
                 HexEncode(re->evidence.a.validator), re->evidence.a.height);
    ++evidence_count_;
    AddEvidence(re->evidence);
    transport_->BroadcastEvidence(re->evidence);
  } else if (const auto* rp = std::get_if<bft::RecordProposalEvidence>(&action)) {
    spdlog::warn("consensus: conflicting proposals from {} at height {} round {}",
                 HexEncode(rp->evidence.a.proposer), rp->evidence.a.height, rp->evidence.a.round);
    ++evidence_count_;
    AddEvidence(rp->evidence);
  }
}

void BftDriver::CommitBlock(const types::Block& block, const types::Commit& commit) {
  Result<FinalizedBlock> fin = app_->FinalizeBlock(block);
  // Agreed by a quorum and checked by ProcessProposal: failing to execute it means this
  // node's state cannot be trusted.
  if (!fin.ok())
    FatalStop("executing decided block " + std::to_string(block.header.height), fin.status());
  app_->Commit(block, commit, std::move(fin).value());
  for (const types::DuplicateVoteEvidence& e : block.evidence) {
    evidence_pool_.erase(consensus::ledger::EvidenceKey(e));
  }
  for (const types::ConflictingProposalEvidence& e : block.proposal_evidence) {
    proposal_evidence_pool_.erase(consensus::ledger::EvidenceKey(e));
  }
  evidence_pending_ = evidence_pool_.size() + proposal_evidence_pool_.size();
  // Start the next height's log: only its marker (the decided height is in the store).
  Status s = wal_->Rewrite({HeightRecord(block.header.height + 1)});
  if (!s.ok()) FatalStop("consensus WAL rewrite failed", s);
  own_proposal_.reset();
  own_votes_.clear();
  seen_.clear();
  proposed_.clear();
  wal_peer_records_ = 0;
  wal_peer_bytes_ = 0;
  wal_sender_records_.clear();
  timers_.clear();
}

types::Block BftDriver::BuildBlock(uint64_t height) {
  ChainTip tip = app_->Tip();
  types::Block block;
  block.txs = app_->PrepareProposal(options_.block_max_txs, options_.block_max_bytes);
  types::BlockHeader& h = block.header;
  h.chain_id = chain_id_;
  h.height = height;
  // Strictly after the parent and at most kBlockTimeMaxStepMs after it, whatever the local
  // clock says (the rule ProcessProposal applies). No later time exists only after a
  // parent dated UINT64_MAX, which genesis (kGenesisTimeMaxMs) and the step rule exclude.
  const std::optional<uint64_t> time_ms = types::NextBlockTimeMs(tip.time_ms, clock_->WallMs());
  HITO_ASSERT(time_ms.has_value());
  h.time_ms = *time_ms;
  h.prev_hash = tip.block_hash;
  h.tx_root = types::TxRoot(block.txs);
  h.app_hash = tip.state_root;
  h.validators_hash = SetFor(height).Hash();
  h.next_validators_hash = SetFor(height + 1).Hash();
  TakeEvidence(height, &block);
  block.last_commit = tip.last_commit;
  h.last_commit_hash = types::CommitHash(block.last_commit);
  h.evidence_hash = types::EvidenceHash(block.evidence, block.proposal_evidence);
  h.proposer = signer_->public_key();
  // The mempool counts transaction bytes only: drop transactions from the end until the
  // encoded block is within the protocol limit, so an own full proposal always decodes
  // at the peers and fits a WAL record.
  size_t size = types::EncodeBlock(block).size();
  while (size > types::kBlockMaxBytes && !block.txs.empty()) {
    size_t removed = 0;
    while (!block.txs.empty() && removed <= size - types::kBlockMaxBytes) {
      removed += block.txs.back().size();
      block.txs.pop_back();
    }
    h.tx_root = types::TxRoot(block.txs);
    size = types::EncodeBlock(block).size();
  }
  return block;
}

void BftDriver::Gossip() {
  // Bounded however long the height stalls: the proposal of the current round only, the
  // own votes of the current and the previous round (a peer one round behind finishes
  // it), and the latest own non-nil precommit (it may still complete an older round's
  // decision).
  const uint64_t height = machine_->height();
  const uint32_t round = machine_->round();
  if (own_proposal_ && own_proposal_->first.height == height &&
      own_proposal_->first.round == round) {
    transport_->BroadcastProposal(own_proposal_->first, own_proposal_->second);
  }
  // And the own prevote of the round whose polka this node holds as valid (and of its
  // lock's round): a re-proposal names that round, and a peer that missed its prevotes
  // (lost, or cut from a torn WAL) can accept the re-proposal only once it has them.
  const std::optional<uint32_t> valid_round = machine_->valid_round();
  const std::optional<bft::Lock> lock = machine_->lock();
  auto polka_round = [&](const types::Vote& v) {
    return v.type == types::VoteType::kPrevote && v.block_hash &&
           ((valid_round && v.round == *valid_round) || (lock && v.round == lock->round));
  };
  const types::Vote* lock_vote = nullptr;
  for (const types::Vote& v : own_votes_) {
    if (v.height != height) continue;
    if (v.round >= round || round - v.round <= 1 || polka_round(v)) {
      transport_->BroadcastVote(v);
    } else if (v.type == types::VoteType::kPrecommit && v.block_hash) {
      lock_vote = &v;
    }
  }
  if (lock_vote != nullptr) transport_->BroadcastVote(*lock_vote);
  transport_->RequestCommittedBlock(app_->Tip().height + 1);
}

types::ValidatorSet BftDriver::SetFor(uint64_t height) const {
  Result<types::ValidatorSet> set = app_->ValidatorSetAt(height);
  if (!set.ok()) FatalStop("validator set of height " + std::to_string(height), set.status());
  return std::move(set).value();
}

bft::StartHeight BftDriver::StartOf(uint64_t height) {
  current_set_ = SetFor(height);
  // The state never holds an empty set (the ledger refuses one at genesis and in every
  // scheduled change); the engine asserts it too.
  HITO_ASSERT(current_set_.size() > 0);
  return bft::StartHeight{height, current_set_, 0, std::nullopt};
}

namespace {

// Admits `e` to `pool` (keyed by its state key) if it may still become includable:
// ledger::CheckPendingEvidence on the committed state (signatures, a height at most the
// one being decided, a signer of that height's set, not recorded, not too old). Junk thus
// never takes the place of real equivocations; when the pools are full the pieces already
// in them stay (new ones are dropped; each proposal drops the pieces no longer valid, so
// the pools drain).
template <typename Evidence>
bool AdmitEvidence(store::Store* store, const std::string& chain_id, uint64_t committed_height,
                   size_t room, const Evidence& e, std::map<Bytes, Evidence>* pool) {
  auto state = store->State();
  Status s = consensus::ledger::CheckPendingEvidence(*state, chain_id, committed_height, e);
  if (!s.ok()) {
    spdlog::debug("consensus: evidence not kept: {}", s.message());
    return false;
  }
  if (room == 0) return false;
  return pool->emplace(consensus::ledger::EvidenceKey(e), e).second;
}

// Moves the pieces of `pool` valid for block `height` into `out` while `out_total` stays
// under kEvidenceMaxPerBlock; drops those that can never be included again.
template <typename Evidence>
void TakeFromPool(const consensus::ledger::KvReader& state, const std::string& chain_id,
                  const consensus::ledger::ValidatorSchedule& schedule, uint64_t height,
                  std::map<Bytes, Evidence>* pool, std::vector<Evidence>* out, size_t* out_total) {
  for (auto it = pool->begin(); it != pool->end();) {
    if (*out_total >= types::kEvidenceMaxPerBlock) break;
    Status s = consensus::ledger::CheckEvidence(state, chain_id, schedule, height, it->second);
    if (s.ok()) {
      out->push_back(it->second);
      ++*out_total;
      ++it;
    } else if (it->second.a.height >= height) {
      ++it;  // not yet includable (evidence of the current height): keep it
    } else {
      spdlog::info("consensus: dropping pending evidence: {}", s.message());
      it = pool->erase(it);
    }
  }
}

}  // namespace

bool BftDriver::AddEvidence(const types::DuplicateVoteEvidence& e) {
  const size_t used = evidence_pool_.size() + proposal_evidence_pool_.size();
  const size_t room = options_.evidence_pool_max > used ? options_.evidence_pool_max - used : 0;
  const bool added = AdmitEvidence(store_, chain_id_, app_->Tip().height, room, e, &evidence_pool_);
  evidence_pending_ = evidence_pool_.size() + proposal_evidence_pool_.size();
  return added;
}

bool BftDriver::AddEvidence(const types::ConflictingProposalEvidence& e) {
  const size_t used = evidence_pool_.size() + proposal_evidence_pool_.size();
  const size_t room = options_.evidence_pool_max > used ? options_.evidence_pool_max - used : 0;
  const bool added =
      AdmitEvidence(store_, chain_id_, app_->Tip().height, room, e, &proposal_evidence_pool_);
  evidence_pending_ = evidence_pool_.size() + proposal_evidence_pool_.size();
  return added;
}

void BftDriver::TakeEvidence(uint64_t height, types::Block* block) {
  if (evidence_pool_.empty() && proposal_evidence_pool_.empty()) return;
  auto state = store_->State();
  Result<consensus::ledger::ValidatorSchedule> schedule =
      consensus::ledger::ReadValidatorSchedule(*state);
  if (!schedule.ok()) return;
  size_t total = 0;
  TakeFromPool(*state, chain_id_, *schedule, height, &evidence_pool_, &block->evidence, &total);
  TakeFromPool(*state, chain_id_, *schedule, height, &proposal_evidence_pool_,
               &block->proposal_evidence, &total);
  evidence_pending_ = evidence_pool_.size() + proposal_evidence_pool_.size();
}

}  // namespace hito::node::chain
