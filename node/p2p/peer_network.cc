#include "node/p2p/peer_network.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <thread>
#include <utility>

#include "base/assert.h"
#include "base/hash.h"
#include "base/mutex.h"
#include "hito/p2p/v1/p2p.grpc.pb.h"
#include "node/p2p/handshake.h"
#include "node/p2p/inbound.h"
#include "node/p2p/session.h"
#include "node/p2p/session_table.h"

namespace hito::node::p2p {

// The peer protocol's generated code keeps its package's namespace.
namespace v1 = ::hito::p2p::v1;

namespace ct = consensus::types;

// gRPC's hard cap is this much above max_message_bytes, so a message just over the limit
// is seen (and punished) by the application; anything larger fails the stream in gRPC.
constexpr size_t kHardLimitSlack = 64 * 1024;

std::string_view DropReasonName(DropReason r) {
  switch (r) {
    case DropReason::kClosed:
      return "closed";
    case DropReason::kHandshakeFailed:
      return "handshake_failed";
    case DropReason::kMalformed:
      return "malformed";
    case DropReason::kBadSignature:
      return "bad_signature";
    case DropReason::kOversized:
      return "oversized";
    case DropReason::kFlood:
      return "flood";
    case DropReason::kUnsolicited:
      return "unsolicited";
    case DropReason::kSlow:
      return "slow";
    case DropReason::kDuplicate:
      return "duplicate";
    case DropReason::kBanned:
      return "banned";
    case DropReason::kOverBudget:
      return "over_budget";
    case DropReason::kBadTransactions:
      return "bad_transactions";
    case DropReason::kFalseHeight:
      return "false_height";
    case DropReason::kCount_:
      break;
  }
  return "unknown";
}

namespace {

bool IsMisbehaviour(DropReason r) {
  return r == DropReason::kMalformed || r == DropReason::kBadSignature ||
         r == DropReason::kOversized || r == DropReason::kFlood || r == DropReason::kUnsolicited ||
         r == DropReason::kOverBudget || r == DropReason::kBadTransactions ||
         r == DropReason::kFalseHeight;
}

std::string Str(ByteView b) { return std::string(AsChars(b)); }

// What the dispatch threads hand to the handler: decoded inbound messages and the
// network's own events.
struct BlockTimeout {
  uint64_t height = 0;
};
struct Connected {
  uint64_t height = 0;
};
struct Disconnected {};
using Payload = std::variant<ConsensusMessage, TxBatch, BlockRequest, BlockAnswer, StatusUpdate,
                             BlockTimeout, Connected, Disconnected>;

// Dispatch queues. The consensus thread serves kConsensusLane before kControlLane; the tx
// and block lanes have a thread each, so neither signature checks of tx batches nor
// 8 MiB block reads ever stand in front of a vote.
enum Lane : size_t { kConsensusLane = 0, kControlLane, kTxLane, kBlockLane, kLaneCount };

Lane LaneOf(const Payload& p) {
  if (std::holds_alternative<ConsensusMessage>(p)) return kConsensusLane;
  if (std::holds_alternative<TxBatch>(p)) return kTxLane;
  if (std::holds_alternative<BlockRequest>(p)) return kBlockLane;
  return kControlLane;
}

bool IsControl(const Payload& p) {
  return std::holds_alternative<Connected>(p) || std::holds_alternative<Disconnected>(p) ||
         std::holds_alternative<BlockTimeout>(p);
}

// Identity of a consensus message for duplicate suppression: its kind and canonical bytes
// (for a proposal, the proposal alone, whether or not its block travels with it).
Hash32 RecentKey(const v1::ConsensusMessage& c) {
  uint8_t kind = static_cast<uint8_t>(c.kind_case());
  Hasher h("hito/p2p/v1/recent");
  h.Update(ByteView(&kind, 1));
  switch (c.kind_case()) {
    case v1::ConsensusMessage::kProposal:
      h.Update(AsBytes(c.proposal().proposal()));
      break;
    case v1::ConsensusMessage::kVote:
      h.Update(AsBytes(c.vote()));
      break;
    case v1::ConsensusMessage::kEvidence:
      h.Update(AsBytes(c.evidence()));
      break;
    case v1::ConsensusMessage::KIND_NOT_SET:
      break;
  }
  return h.Finish();
}

bool WithBlock(const v1::ConsensusMessage& c) {
  return c.kind_case() == v1::ConsensusMessage::kProposal && !c.proposal().block().empty();
}

uint64_t AnswerHeight(const v1::PeerMessage& m) {
  return m.has_block_response() ? m.block_response().height() : m.block_not_found().height();
}

// Consensus messages verified recently, with the peers that sent them. Bounded by count
// (oldest first out). Not thread-safe.
class RecentMessages {
 public:
  RecentMessages(size_t capacity, Clock::duration window) : capacity_(capacity), window_(window) {}

  // True if the message was verified within the window (and, for a proposal carrying its
  // block, an earlier copy carried it too); records `from` as having it.
  bool IsDuplicate(const Hash32& key, bool with_block, const PeerId& from, Clock::time_point now) {
    auto it = entries_.find(key);
    if (it == entries_.end() || now - it->second.first_seen >= window_) return false;
    if (with_block && !it->second.with_block) return false;
    AddSender(&it->second, from);
    return true;
  }

  void Record(const Hash32& key, bool with_block, const PeerId& from, Clock::time_point now) {
    if (capacity_ == 0) return;
    auto it = entries_.find(key);
    if (it == entries_.end()) {
      while (entries_.size() >= capacity_ && !order_.empty()) {
        entries_.erase(order_.front());
        order_.pop_front();
      }
      it = entries_.emplace(key, Entry{now, with_block, {}}).first;
      order_.push_back(key);
    } else if (now - it->second.first_seen >= window_) {
      it->second.first_seen = now;
    }
    it->second.with_block = it->second.with_block || with_block;
    AddSender(&it->second, from);
  }

  std::vector<PeerId> SendersOf(const Hash32& key) const {
    auto it = entries_.find(key);
    return it == entries_.end() ? std::vector<PeerId>{} : it->second.senders;
  }

 private:
  // Enough to cover a validator set's relays; beyond it an echo costs one message.
  static constexpr size_t kMaxSenders = 8;
  struct Entry {
    Clock::time_point first_seen;
    bool with_block = false;
    std::vector<PeerId> senders;
  };
  static void AddSender(Entry* e, const PeerId& from) {
    if (e->senders.size() < kMaxSenders &&
        std::find(e->senders.begin(), e->senders.end(), from) == e->senders.end()) {
      e->senders.push_back(from);
    }
  }

  const size_t capacity_;
  const Clock::duration window_;
  std::map<Hash32, Entry> entries_;
  std::deque<Hash32> order_;
};

MsgPtr EncodeConsensus(const ConsensusMessage& m) {
  auto out = std::make_shared<v1::PeerMessage>();
  v1::ConsensusMessage* c = out->mutable_consensus();
  if (const auto* p = std::get_if<ProposalWithBlock>(&m)) {
    c->mutable_proposal()->set_proposal(Str(ct::EncodeProposal(p->proposal)));
    if (p->block) c->mutable_proposal()->set_block(Str(ct::EncodeBlock(*p->block)));
  } else if (const auto* v = std::get_if<ct::Vote>(&m)) {
    c->set_vote(Str(ct::EncodeVote(*v)));
  } else {
    c->set_evidence(Str(ct::EncodeEvidence(std::get<ct::DuplicateVoteEvidence>(m))));
  }
  return out;
}

}  // namespace

class PeerNetwork::Impl : public v1::PeerService::Service {
 public:
  Impl(PeerNetworkConfig config, Ed25519PrivateKey key, PeerHandler* handler)
      : cfg_(std::move(config)),
        key_(std::move(key)),
        handler_(handler),
        rules_(RulesFor(cfg_)),
        sessions_(key_.public_key(), cfg_.limits.max_inbound_peers),
        recent_(cfg_.limits.recent_messages,
                std::chrono::milliseconds(cfg_.limits.duplicate_window_ms)) {}

  ~Impl() override { Stop(); }

  Status Start() {
    grpc::ServerBuilder b;
    b.AddListeningPort(cfg_.listen_address, grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(this);
    int hard = static_cast<int>(cfg_.limits.max_message_bytes + kHardLimitSlack);
    b.SetMaxReceiveMessageSize(hard);
    b.SetMaxSendMessageSize(hard);
    server_ = b.BuildAndStart();
    if (!server_ || port_ == 0) {
      server_.reset();
      return UnavailableError("p2p: cannot listen on " + cfg_.listen_address);
    }
    sessions_.MarkStarted();
    for (size_t w = 0; w < kWorkers; ++w) workers_[w] = std::thread([this, w] { DispatchLoop(w); });
    maintenance_ = std::thread([this] { MaintenanceLoop(); });
    for (const PeerAddress& p : cfg_.peers) {
      dialers_.emplace_back([this, p] { DialLoop(p); });
    }
    spdlog::info("p2p: node {} listening on port {}, {} configured peers",
                 ShortKey(key_.public_key()), port_, cfg_.peers.size());
    return Status::Ok();
  }

  void Stop() {
    if (!sessions_.BeginStop()) return;
    CloseAll();
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    for (std::thread& t : dialers_) t.join();
    dialers_.clear();
    // Every connection was cancelled above; wait for their threads to leave.
    sessions_.WaitUntilEmpty();
    {
      MutexLock l(dmu_);
      dstop_ = true;
    }
    for (CondVar& cv : dcv_) cv.NotifyAll();
    for (std::thread& t : workers_) t.join();
    maintenance_.join();
    server_->Wait();
  }

  int port() const { return port_; }
  const PeerId& node_key() const { return key_.public_key(); }
  void SetHeight(uint64_t h) { height_.store(h); }

  // ---- sending ----

  void Enqueue(const SessionPtr& s, const MsgPtr& m) EXCLUDES(s->mu) {
    size_t n = m->ByteSizeLong();
    bool overflow = false;
    {
      MutexLock l(s->mu);
      if (s->closed) return;
      if (s->outq.size() >= cfg_.limits.outbound_queue_messages ||
          s->outq_bytes + n > cfg_.limits.outbound_queue_bytes) {
        overflow = true;
      } else {
        s->outq.push_back(m);
        s->outq_bytes += n;
      }
    }
    if (overflow) {
      Close(s, DropReason::kSlow, "outbound queue full");
    } else {
      s->cv.NotifyAll();
    }
  }

  void BroadcastMsg(const MsgPtr& m) {
    for (const SessionPtr& s : sessions_.Registered()) Enqueue(s, m);
  }

  bool SentUs(const std::vector<PeerId>& senders, const SessionPtr& s) const {
    return std::find(senders.begin(), senders.end(), s->key) != senders.end();
  }

  std::vector<PeerId> SendersOf(const MsgPtr& m) {
    Hash32 key = RecentKey(m->consensus());
    MutexLock l(recent_mu_);
    return recent_.SendersOf(key);
  }

  void Broadcast(const ConsensusMessage& m) {
    MsgPtr e = EncodeConsensus(m);
    std::vector<PeerId> senders = SendersOf(e);
    for (const SessionPtr& s : sessions_.Registered()) {
      if (!SentUs(senders, s)) Enqueue(s, e);
    }
  }

  void BroadcastProposal(const ct::Proposal& p, const ct::Block& block) {
    MsgPtr bare = EncodeConsensus(ProposalWithBlock{p, std::nullopt});
    MsgPtr full;
    std::vector<PeerId> senders = SendersOf(bare);
    for (const SessionPtr& s : sessions_.Registered()) {
      if (SentUs(senders, s)) continue;
      if (!FirstSendOfBlock(s, p.block_hash)) {
        Enqueue(s, bare);
        continue;
      }
      if (!full) full = EncodeConsensus(ProposalWithBlock{p, block});
      Enqueue(s, full);
    }
  }

  // Records that `hash` goes to `s` now; false if it already went on this connection.
  bool FirstSendOfBlock(const SessionPtr& s, const Hash32& hash) {
    MutexLock l(s->mu);
    if (!s->sent_blocks.insert(hash).second) return false;
    s->sent_order.push_back(hash);
    while (s->sent_order.size() > std::max<size_t>(1, cfg_.limits.sent_blocks_per_peer)) {
      s->sent_blocks.erase(s->sent_order.front());
      s->sent_order.pop_front();
    }
    return true;
  }

  Status SendTo(const PeerId& peer, const ConsensusMessage& m) {
    SessionPtr s = sessions_.Find(peer);
    if (!s) return NotFoundError("p2p: peer " + ShortKey(peer) + " not connected");
    Enqueue(s, EncodeConsensus(m));
    return Status::Ok();
  }

  void BroadcastTxs(const std::vector<Bytes>& txs) {
    size_t per = std::max<size_t>(1, cfg_.limits.max_txs_per_batch);
    for (size_t i = 0; i < txs.size(); i += per) {
      auto m = std::make_shared<v1::PeerMessage>();
      for (size_t j = i; j < std::min(txs.size(), i + per); ++j) {
        m->mutable_txs()->add_txs(Str(txs[j]));
      }
      const size_t n = m->ByteSizeLong();
      for (const SessionPtr& s : sessions_.Registered()) {
        if (MayGossipTxs(s, n)) Enqueue(s, m);
      }
    }
  }

  // Tx gossip is best effort: it stays under half the peer's byte budget (when its limits
  // are ours) and leaves room in the outbound queue for consensus messages, rather than
  // get this node penalised or dropped as slow. A batch not sent still commits when this
  // node proposes.
  bool MayGossipTxs(const SessionPtr& s, size_t n) {
    MutexLock l(s->mu);
    if (s->outq_bytes + n > cfg_.limits.outbound_queue_bytes / 2) return false;
    return s->tx_out.TryTake(n, Clock::now());
  }

  void BroadcastStatus(uint64_t h) {
    height_.store(h);
    auto m = std::make_shared<v1::PeerMessage>();
    m->mutable_status()->set_height(h);
    BroadcastMsg(m);
  }

  Status RequestBlock(const PeerId& peer, uint64_t h) {
    SessionPtr s = sessions_.Find(peer);
    if (!s) return NotFoundError("p2p: peer " + ShortKey(peer) + " not connected");
    {
      MutexLock l(s->mu);
      if (s->pending.size() >= cfg_.limits.max_pending_block_requests && !s->pending.count(h)) {
        return ResourceExhaustedError("p2p: too many block requests pending to " + ShortKey(peer));
      }
      s->pending.emplace(h, Clock::now());
    }
    auto m = std::make_shared<v1::PeerMessage>();
    m->mutable_block_request()->set_height(h);
    Enqueue(s, m);
    return Status::Ok();
  }

  std::vector<PeerInfo> Peers() const {
    std::vector<PeerInfo> out;
    for (const SessionPtr& s : sessions_.Registered()) {
      out.push_back(PeerInfo{s->key, s->address, s->outbound, s->height.load()});
    }
    return out;
  }

  uint64_t DropCount(DropReason r) const { return drops_[static_cast<size_t>(r)].load(); }

  bool IsBanned(const PeerId& k) const EXCLUDES(bans_mu_) {
    MutexLock l(bans_mu_);
    auto it = bans_.find(k);
    return it != bans_.end() && it->second > Clock::now();
  }

  uint32_t Score(const PeerId& k) const {
    MutexLock l(bans_mu_);
    auto it = scores_.find(k);
    if (it == scores_.end()) return 0;
    return static_cast<uint32_t>(std::min<uint64_t>(Decayed(it->second, Clock::now()), UINT32_MAX));
  }

  uint64_t DuplicatesDropped() const { return duplicates_.load(); }

  // ---- the service ----

  grpc::Status Connect(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<v1::PeerMessage, v1::PeerMessage>* stream) override {
    auto s = std::make_shared<Session>(cfg_.limits);
    s->outbound = false;
    s->address = ctx->peer();
    {
      MutexLock l(s->mu);
      s->cancel = [ctx] { ctx->TryCancel(); };
    }
    if (!sessions_.Track(s)) {
      drops_[static_cast<size_t>(DropReason::kClosed)].fetch_add(1);
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "stopping or too many pending peers");
    }
    RunSession(s, stream, stream);
    return grpc::Status::OK;
  }

 private:
  // ---- connections ----

  void Close(const SessionPtr& s, DropReason r, const std::string& why) EXCLUDES(s->mu, bans_mu_) {
    bool est = s->established.load();
    {
      MutexLock l(s->mu);
      if (s->closed) return;
      s->closed = true;
      // Counted and banned before the stream is cancelled, so whoever sees the stream end
      // also sees the counter and the ban.
      drops_[static_cast<size_t>(r)].fetch_add(1);
      if (IsMisbehaviour(r) && est) {
        MutexLock bl(bans_mu_);
        bans_[s->key] = Clock::now() + cfg_.ban_duration;
      }
      if (s->cancel) s->cancel();
    }
    s->cv.NotifyAll();
    std::string who = est ? ShortKey(s->key) : std::string("?");
    if (IsMisbehaviour(r) && est) {
      spdlog::warn("p2p: dropped and banned peer {} ({}) for {} ms: {}: {}", who, s->address,
                   cfg_.ban_duration.count(), DropReasonName(r), why);
    } else if (r == DropReason::kClosed) {
      spdlog::info("p2p: connection to {} ({}) closed: {}", who, s->address, why);
    } else {
      spdlog::warn("p2p: dropped peer {} ({}): {}: {}", who, s->address, DropReasonName(r), why);
    }
  }

  // ---- misbehaviour score ----

  struct ScoreEntry {
    uint64_t points = 0;
    Clock::time_point updated{};
  };

  uint64_t Decayed(const ScoreEntry& e, Clock::time_point now) const {
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(now - e.updated).count();
    if (secs <= 0) return e.points;
    const uint64_t decay = static_cast<uint64_t>(secs) * cfg_.limits.score_decay_per_second;
    return e.points > decay ? e.points - decay : 0;
  }

  // Adds `points` to the peer's score; at ban_score the peer is dropped and banned with
  // `offence` as the reason. Scores are by key, so reconnecting does not clear them.
  void Penalize(const SessionPtr& s, DropReason offence, uint64_t points, const std::string& why)
      EXCLUDES(s->mu, bans_mu_) {
    if (points == 0 || !s->established.load()) return;
    uint64_t total = points;
    {
      MutexLock l(bans_mu_);
      const Clock::time_point now = Clock::now();
      auto it = scores_.find(s->key);
      if (it == scores_.end() && scores_.size() < cfg_.limits.max_scored_peers) {
        it = scores_.emplace(s->key, ScoreEntry{0, now}).first;
      }
      if (it != scores_.end()) {
        ScoreEntry& e = it->second;
        const uint64_t current = Decayed(e, now);
        total = std::min<uint64_t>(current + points, UINT32_MAX);
        // Decay counts whole seconds since `updated`; a fraction not yet counted is kept.
        if (current != e.points || e.points == 0) e.updated = now;
        e.points = total;
      }
    }
    if (total >= cfg_.limits.ban_score) {
      Close(s, offence, why + " (score " + std::to_string(total) + ")");
    } else {
      spdlog::info("p2p: peer {} ({}) score {}: {}: {}", ShortKey(s->key), s->address, total,
                   DropReasonName(offence), why);
    }
  }

  void CloseAll() {
    for (const SessionPtr& s : sessions_.Live()) Close(s, DropReason::kClosed, "network stopping");
  }

  // Adds an authenticated session to the peer table, closing the connection that loses.
  // Called with no lock held.
  bool Register(const SessionPtr& s) {
    SessionTable::Admission a =
        sessions_.Register(s, [this](const PeerId& k) { return IsBanned(k); });
    if (a.loser) Close(a.loser, a.reason, a.why);
    return a.admitted;
  }

  // Runs one connection: hello, then reads until the stream ends or the session is closed.
  // Returns whether the hello succeeded.
  bool RunSession(const SessionPtr& s, MessageReader* r, MessageWriter* w) {
    bool ok = Handshake(s, r, w);
    std::thread writer;
    if (ok) {
      ok = Register(s);
      if (ok) {
        writer = std::thread([this, s, w] { WriteLoop(s, w); });
        Deliver(s, Connected{s->height.load()}, 0);
        v1::PeerMessage m;
        while (r->Read(&m)) {
          if (!HandleInbound(s, m)) break;
          m.Clear();
        }
      }
    }
    Close(s, DropReason::kClosed, "stream ended");
    if (writer.joinable()) writer.join();
    {
      MutexLock l(s->mu);
      s->cancel = nullptr;
      s->outq.clear();
    }
    bool was_registered = ok;
    sessions_.Unregister(s);
    if (was_registered) Deliver(s, Disconnected{}, 0);
    sessions_.Untrack(s);
    return was_registered;
  }

  bool Handshake(const SessionPtr& s, MessageReader* r, MessageWriter* w) {
    HelloInfo ours;
    ours.chain_id = cfg_.chain_id;
    ours.genesis_hash = cfg_.genesis_hash;
    ours.node_key = key_.public_key();
    ours.height = height_.load();
    Result<HelloInfo> theirs = ExchangeHellos(std::move(ours), key_, s->expected_key, r, w);
    if (!theirs.ok()) {
      const bool ended = theirs.status().code() == StatusCode::kUnavailable;
      Close(s, ended ? DropReason::kClosed : DropReason::kHandshakeFailed,
            theirs.status().message());
      return false;
    }
    s->key = theirs->node_key;
    s->height.store(theirs->height);
    s->established.store(true);
    return true;
  }

  void WriteLoop(const SessionPtr& s, MessageWriter* w) {
    for (;;) {
      MsgPtr m;
      {
        MutexLock l(s->mu);
        while (!s->closed && s->outq.empty()) s->cv.Wait(s->mu);
        if (s->closed) return;
        m = s->outq.front();
        s->outq.pop_front();
        s->outq_bytes -= std::min(s->outq_bytes, m->ByteSizeLong());
      }
      if (!w->Write(*m)) {
        Close(s, DropReason::kClosed, "write failed");
        return;
      }
    }
  }

  // Checks one inbound message; queues it for the handler or drops the peer. The order
  // is part of the protocol: the size before the budget (an oversized frame is not
  // charged), the budget before any work, and recent copies and unsolicited block answers
  // before their bytes are decoded or signatures checked.
  bool HandleInbound(const SessionPtr& s, const v1::PeerMessage& m) {
    const size_t n = m.ByteSizeLong();
    if (Status st = CheckFrameSize(n, rules_); !st.ok()) return Refuse(s, st);
    const bool answer = m.kind_case() == v1::PeerMessage::kBlockResponse ||
                        m.kind_case() == v1::PeerMessage::kBlockNotFound;
    if (!Throttle(s, answer ? 0 : n)) return false;
    const Hash32 recent = m.has_consensus() ? RecentKey(m.consensus()) : Hash32{};
    const bool with_block = m.has_consensus() && WithBlock(m.consensus());
    if (m.has_consensus() && IsRecentCopy(s, recent, with_block)) return true;
    if (answer && !TakeSolicited(s, AnswerHeight(m))) return false;
    Result<InboundMessage> in = DecodeInbound(m, n, rules_);
    if (!in.ok()) return Refuse(s, in.status());
    if (m.has_consensus()) RecordRecent(s, recent, with_block);
    return std::visit([&](auto& v) { return Accept(s, std::move(v), n); }, in.value());
  }

  bool Refuse(const SessionPtr& s, const Status& refusal) {
    Close(s, RefusalReason(refusal), refusal.message());
    return false;
  }

  // Waits out the peer's budget if this message exceeds it, and charges the overrun to its
  // score. Returns false if the peer was dropped meanwhile.
  bool Throttle(const SessionPtr& s, size_t bytes) {
    Clock::duration wait{};
    {
      MutexLock l(s->mu);
      const Clock::time_point now = Clock::now();
      wait = std::max(s->in_messages.Take(1, now), s->in_bytes.Take(bytes, now));
    }
    if (wait <= Clock::duration::zero()) return true;
    Penalize(s, DropReason::kOverBudget, cfg_.limits.score_over_budget,
             "traffic over its budget (" + std::to_string(bytes) + " bytes)");
    MutexLock l(s->mu);
    const Clock::time_point deadline = Clock::now() + wait;
    while (!s->closed) {
      if (!s->cv.WaitUntil(s->mu, deadline)) break;
    }
    return !s->closed;
  }

  // Copies of a recently verified message are dropped before any decoding or signature
  // check (and not punished: relays send them honestly).
  bool IsRecentCopy(const SessionPtr& s, const Hash32& key, bool with_block) {
    MutexLock l(recent_mu_);
    if (!recent_.IsDuplicate(key, with_block, s->key, Clock::now())) return false;
    duplicates_.fetch_add(1);
    return true;
  }

  // Only a message whose signature verified is recorded, so a forged copy cannot make
  // the real one look like a duplicate.
  void RecordRecent(const SessionPtr& s, const Hash32& key, bool with_block) {
    MutexLock l(recent_mu_);
    recent_.Record(key, with_block, s->key, Clock::now());
  }

  // A block answer must answer one of our pending (or timed-out) requests to this peer;
  // otherwise the peer is dropped as unsolicited.
  bool TakeSolicited(const SessionPtr& s, uint64_t h) {
    bool asked = false;
    {
      MutexLock l(s->mu);
      asked = s->pending.erase(h) > 0;
      if (auto it = std::find(s->timed_out.begin(), s->timed_out.end(), h);
          !asked && it != s->timed_out.end()) {
        s->timed_out.erase(it);
        asked = true;
      }
    }
    if (!asked) {
      Close(s, DropReason::kUnsolicited,
            "block answer for height " + std::to_string(h) + " not requested");
    }
    return asked;
  }

  // ---- accepting decoded messages ----

  template <typename T>
  bool Accept(const SessionPtr& s, T msg, size_t n) {
    return Deliver(s, std::move(msg), n);
  }

  bool Accept(const SessionPtr& s, StatusUpdate msg, size_t n) {
    s->height.store(msg.height);
    return Deliver(s, msg, n);
  }

  bool Accept(const SessionPtr& s, BlockAnswer msg, size_t n) {
    if (msg.block) return Deliver(s, std::move(msg), n);
    const uint64_t h = msg.height;
    if (!Deliver(s, std::move(msg), n)) return false;
    const uint64_t claimed = s->height.load();
    if (h <= claimed) {
      Penalize(s, DropReason::kFalseHeight, cfg_.limits.score_false_height,
               "no block at height " + std::to_string(h) + " though it claimed height " +
                   std::to_string(claimed));
    }
    MutexLock l(s->mu);
    return !s->closed;
  }

  // ---- delivery ----

  bool Deliver(const SessionPtr& s, Payload p, size_t bytes) EXCLUDES(dmu_) {
    const Lane lane = LaneOf(p);
    bool flood = false;
    {
      MutexLock l(dmu_);
      if (dstop_) return false;
      const bool control = IsControl(p);
      const bool is_request = lane == kBlockLane;
      InboundShare& share = inq_[s.get()];
      if (!control &&
          (share.count + 1 > cfg_.limits.inbound_queue_messages ||
           share.bytes + bytes > cfg_.limits.inbound_queue_bytes ||
           (is_request && share.block_requests + 1 > cfg_.limits.max_pending_block_requests))) {
        flood = true;
        if (share.count == 0) inq_.erase(s.get());
      } else {
        share.count += 1;
        share.bytes += bytes;
        share.block_requests += is_request ? 1 : 0;
        lanes_[lane].push_back(Item{s, std::move(p), bytes});
        dcv_[WorkerOf(lane)].NotifyOne();
      }
    }
    if (flood) {
      Close(s, DropReason::kFlood, "inbound queue full");
      return false;
    }
    return true;
  }

  struct Item {
    SessionPtr s;
    Payload p;
    size_t bytes = 0;
  };
  // What one session has in the lanes, bounded by the inbound_queue_* limits and
  // max_pending_block_requests. An entry lives while the session has an Item queued, and
  // the Item holds the session, so its address is not reused meanwhile.
  struct InboundShare {
    size_t count = 0;
    size_t bytes = 0;
    size_t block_requests = 0;
  };

  // Worker 0 serves consensus then control; worker 1 the tx lane; worker 2 block requests.
  static constexpr size_t kWorkers = 3;
  static size_t WorkerOf(Lane lane) { return lane == kTxLane ? 1 : lane == kBlockLane ? 2 : 0; }

  // Pops the next item of `worker`'s lanes; false if they are empty.
  bool PopLocked(size_t worker, Item* out) REQUIRES(dmu_) {
    for (size_t lane = 0; lane < kLaneCount; ++lane) {
      if (WorkerOf(static_cast<Lane>(lane)) != worker || lanes_[lane].empty()) continue;
      *out = std::move(lanes_[lane].front());
      lanes_[lane].pop_front();
      auto share = inq_.find(out->s.get());
      HITO_ASSERT(share != inq_.end());
      share->second.count -= 1;
      share->second.bytes -= out->bytes;
      share->second.block_requests -= lane == kBlockLane ? 1 : 0;
      if (share->second.count == 0) inq_.erase(share);
      return true;
    }
    return false;
  }

  void DispatchLoop(size_t worker) {
    for (;;) {
      Item it;
      {
        MutexLock l(dmu_);
        while (!dstop_ && !PopLocked(worker, &it)) dcv_[worker].Wait(dmu_);
        if (dstop_) {
          for (std::deque<Item>& q : lanes_) q.clear();
          inq_.clear();
          return;
        }
      }
      Dispatch(it);
    }
  }

  void ServeBlock(const SessionPtr& s, uint64_t height) {
    std::optional<BlockAndCommit> bc = handler_->OnBlockRequest(s->key, height);
    auto m = std::make_shared<v1::PeerMessage>();
    if (bc) {
      m->mutable_block_response()->set_height(height);
      m->mutable_block_response()->set_block(Str(ct::EncodeBlock(bc->block)));
      m->mutable_block_response()->set_commit(Str(ct::EncodeCommit(bc->commit)));
    } else {
      m->mutable_block_not_found()->set_height(height);
    }
    Enqueue(s, m);
  }

  void Dispatch(Item& it) {
    const PeerId& from = it.s->key;
    std::visit(
        [&](auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, ConsensusMessage>) {
            handler_->OnConsensusMessage(from, v);
          } else if constexpr (std::is_same_v<T, TxBatch>) {
            const size_t bad = handler_->OnTxs(from, v);
            Penalize(it.s, DropReason::kBadTransactions, uint64_t{bad} * cfg_.limits.score_bad_tx,
                     std::to_string(bad) + " transactions with an invalid signature");
          } else if constexpr (std::is_same_v<T, BlockRequest>) {
            ServeBlock(it.s, v.height);
          } else if constexpr (std::is_same_v<T, BlockAnswer>) {
            handler_->OnBlockResponse(from, v.height, v.block);
          } else if constexpr (std::is_same_v<T, StatusUpdate>) {
            handler_->OnStatus(from, v.height);
          } else if constexpr (std::is_same_v<T, BlockTimeout>) {
            handler_->OnBlockRequestTimeout(from, v.height);
          } else if constexpr (std::is_same_v<T, Connected>) {
            handler_->OnPeerConnected(from, v.height);
          } else {
            handler_->OnPeerDisconnected(from);
          }
        },
        it.p);
  }

  // ---- dialing and housekeeping ----

  void DialLoop(const PeerAddress& p) {
    std::chrono::milliseconds backoff = cfg_.backoff_initial;
    grpc::ChannelArguments args;
    int hard = static_cast<int>(cfg_.limits.max_message_bytes + kHardLimitSlack);
    args.SetMaxReceiveMessageSize(hard);
    args.SetMaxSendMessageSize(hard);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
                static_cast<int>(cfg_.backoff_initial.count()));
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, static_cast<int>(cfg_.backoff_max.count()));
    for (;;) {
      if (sessions_.IsConnected(p.node_key) || IsBanned(p.node_key)) {
        if (!sessions_.SleepFor(cfg_.backoff_initial)) return;
        continue;
      }
      auto channel = grpc::CreateCustomChannel(p.address, grpc::InsecureChannelCredentials(), args);
      auto stub = v1::PeerService::NewStub(channel);
      grpc::ClientContext ctx;
      auto s = std::make_shared<Session>(cfg_.limits);
      s->outbound = true;
      s->address = p.address;
      s->expected_key = p.node_key;
      {
        MutexLock l(s->mu);
        s->cancel = [&ctx] { ctx.TryCancel(); };
      }
      if (!sessions_.Track(s)) return;
      auto stream = stub->Connect(&ctx);
      bool established = RunSession(s, stream.get(), stream.get());
      grpc::Status st = stream->Finish();
      if (!established) {
        spdlog::debug("p2p: dial {} failed: {}", p.address, st.error_message());
      }
      backoff = established ? cfg_.backoff_initial : std::min(backoff * 2, cfg_.backoff_max);
      if (!sessions_.SleepFor(backoff)) return;
    }
  }

  void MaintenanceLoop() {
    while (sessions_.SleepFor(std::chrono::milliseconds(50))) {
      Clock::time_point now = Clock::now();
      for (const SessionPtr& s : sessions_.HelloOverdue(now, cfg_.hello_timeout))
        Close(s, DropReason::kHandshakeFailed, "hello timeout");
      ExpireBlockRequests(now);
      MutexLock l(bans_mu_);
      for (auto it = bans_.begin(); it != bans_.end();) {
        it = it->second <= now ? bans_.erase(it) : std::next(it);
      }
      for (auto it = scores_.begin(); it != scores_.end();) {
        it = Decayed(it->second, now) == 0 ? scores_.erase(it) : std::next(it);
      }
    }
  }

  // A request unanswered for block_request_timeout is reported to the handler (which asks
  // someone else); a late answer is still accepted, up to max_pending_block_requests.
  void ExpireBlockRequests(Clock::time_point now) {
    for (const SessionPtr& s : sessions_.Registered()) {
      std::vector<uint64_t> expired;
      {
        MutexLock l(s->mu);
        for (auto it = s->pending.begin(); it != s->pending.end();) {
          if (now - it->second < cfg_.block_request_timeout) {
            ++it;
            continue;
          }
          expired.push_back(it->first);
          s->timed_out.push_back(it->first);
          if (s->timed_out.size() > cfg_.limits.max_pending_block_requests) {
            s->timed_out.pop_front();
          }
          it = s->pending.erase(it);
        }
      }
      for (uint64_t h : expired) Deliver(s, BlockTimeout{h}, 0);
    }
  }

  const PeerNetworkConfig cfg_;
  const Ed25519PrivateKey key_;
  PeerHandler* const handler_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::atomic<uint64_t> height_{0};

  const InboundRules rules_;

  // Lock order: the session table's lock -> Session::mu -> bans_mu_; dmu_ and recent_mu_
  // are never held with another lock.
  SessionTable sessions_;

  mutable Mutex bans_mu_;
  std::map<PeerId, Clock::time_point> bans_ GUARDED_BY(bans_mu_);
  std::map<PeerId, ScoreEntry> scores_ GUARDED_BY(bans_mu_);

  Mutex dmu_;
  std::array<CondVar, kWorkers> dcv_;
  std::array<std::deque<Item>, kLaneCount> lanes_ GUARDED_BY(dmu_);
  // Each session's share of the lanes, while it has items queued.
  std::map<const Session*, InboundShare> inq_ GUARDED_BY(dmu_);
  bool dstop_ GUARDED_BY(dmu_) = false;

  Mutex recent_mu_;
  RecentMessages recent_ GUARDED_BY(recent_mu_);
  std::atomic<uint64_t> duplicates_{0};

  std::array<std::atomic<uint64_t>, static_cast<size_t>(DropReason::kCount_)> drops_{};
  std::vector<std::thread> dialers_;
  std::array<std::thread, kWorkers> workers_;
  std::thread maintenance_;
};

PeerNetwork::PeerNetwork(PeerNetworkConfig config, Ed25519PrivateKey key, PeerHandler* handler)
    : impl_(std::make_shared<Impl>(std::move(config), std::move(key), handler)) {}
PeerNetwork::~PeerNetwork() { impl_->Stop(); }
Status PeerNetwork::Start() { return impl_->Start(); }
void PeerNetwork::Stop() { impl_->Stop(); }
int PeerNetwork::port() const { return impl_->port(); }
const PeerId& PeerNetwork::node_key() const { return impl_->node_key(); }
void PeerNetwork::SetHeight(uint64_t h) { impl_->SetHeight(h); }
void PeerNetwork::Broadcast(const ConsensusMessage& m) { impl_->Broadcast(m); }
void PeerNetwork::BroadcastProposal(const ct::Proposal& p, const ct::Block& b) {
  impl_->BroadcastProposal(p, b);
}
Status PeerNetwork::SendTo(const PeerId& p, const ConsensusMessage& m) {
  return impl_->SendTo(p, m);
}
void PeerNetwork::BroadcastTxs(const std::vector<Bytes>& txs) { impl_->BroadcastTxs(txs); }
void PeerNetwork::BroadcastStatus(uint64_t h) { impl_->BroadcastStatus(h); }
Status PeerNetwork::RequestBlock(const PeerId& p, uint64_t h) { return impl_->RequestBlock(p, h); }
std::vector<PeerInfo> PeerNetwork::Peers() const { return impl_->Peers(); }
uint64_t PeerNetwork::DropCount(DropReason r) const { return impl_->DropCount(r); }
bool PeerNetwork::IsBanned(const PeerId& p) const { return impl_->IsBanned(p); }
uint32_t PeerNetwork::Score(const PeerId& p) const { return impl_->Score(p); }
uint64_t PeerNetwork::DuplicatesDropped() const { return impl_->DuplicatesDropped(); }

}  // namespace hito::node::p2p
