#include "node/p2p/peer_network.h"

#include <grpcpp/grpcpp.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "base/hash.h"
#include "base/hex.h"
#include "consensus/types/transaction.h"
#include "hito/p2p/v1/p2p.grpc.pb.h"
#include "node/p2p/handshake.h"

namespace hito::node::p2p {

// The peer protocol's generated code keeps its package's namespace.
namespace v1 = ::hito::p2p::v1;

namespace ct = consensus::types;
using Clock = std::chrono::steady_clock;
using MsgPtr = std::shared_ptr<const v1::PeerMessage>;

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

// A token bucket that may go into debt: a message larger than the burst still passes,
// and the debt tells the reader how long to stop reading. A rate of 0 means no limit.
class TokenBucket {
 public:
  TokenBucket() = default;
  TokenBucket(uint64_t rate_per_second, uint64_t burst)
      : rate_(std::min(rate_per_second, kMaxTokens)),
        burst_(static_cast<int64_t>(std::min<uint64_t>(burst, kMaxTokens))),
        tokens_(burst_),
        last_(Clock::now()) {}

  // Takes `n` tokens; returns how long until the balance is back to zero.
  Clock::duration Take(uint64_t n, Clock::time_point now) {
    if (rate_ == 0) return Clock::duration::zero();
    Refill(now);
    tokens_ -= static_cast<int64_t>(std::min<uint64_t>(n, kMaxTokens));
    tokens_ = std::max(tokens_, -static_cast<int64_t>(kMaxTokens));
    if (tokens_ >= 0) return Clock::duration::zero();
    const uint64_t debt = static_cast<uint64_t>(-tokens_);
    return std::chrono::microseconds(debt / rate_ * 1'000'000 + debt % rate_ * 1'000'000 / rate_);
  }
  // Takes `n` tokens only if the balance covers them.
  bool TryTake(uint64_t n, Clock::time_point now) {
    if (rate_ == 0) return true;
    Refill(now);
    if (tokens_ < 0 || static_cast<uint64_t>(tokens_) < n) return false;
    tokens_ -= static_cast<int64_t>(n);
    return true;
  }

 private:
  static constexpr uint64_t kMaxTokens = uint64_t{1} << 40;
  void Refill(Clock::time_point now) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - last_).count();
    if (us <= 0) return;
    last_ = now;
    const uint64_t elapsed = std::min<uint64_t>(static_cast<uint64_t>(us), 3'600'000'000);
    const uint64_t add = elapsed / 1'000'000 * rate_ + elapsed % 1'000'000 * rate_ / 1'000'000;
    tokens_ = std::min(tokens_ + static_cast<int64_t>(std::min(add, 2 * kMaxTokens)), burst_);
  }

  uint64_t rate_ = 0;
  int64_t burst_ = 0;
  int64_t tokens_ = 0;
  Clock::time_point last_{};
};

std::string ShortKey(const PeerId& k) { return HexEncode(ByteView(k.data(), 8)); }

ByteView View(const std::string& s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
std::string Str(ByteView b) { return std::string(b.begin(), b.end()); }

template <size_t N>
bool CopyFixed(const std::string& s, std::array<uint8_t, N>* out) {
  if (s.size() != N) return false;
  std::copy(s.begin(), s.end(), out->begin());
  return true;
}

v1::Hello ToProto(const HelloInfo& h) {
  v1::Hello p;
  p.set_protocol_version(h.protocol_version);
  p.set_chain_id(h.chain_id);
  p.set_genesis_hash(Str(h.genesis_hash));
  p.set_node_key(Str(h.node_key));
  p.set_height(h.height);
  p.set_nonce(Str(h.nonce));
  return p;
}

Result<HelloInfo> FromProto(const v1::Hello& p) {
  HelloInfo h;
  h.protocol_version = p.protocol_version();
  if (p.chain_id().size() > ct::kChainIdMaxLen) {
    return InvalidArgumentError("hello: chain_id longer than kChainIdMaxLen");
  }
  h.chain_id = p.chain_id();
  if (!CopyFixed(p.genesis_hash(), &h.genesis_hash)) {
    return InvalidArgumentError("hello: genesis_hash must be 32 bytes");
  }
  if (!CopyFixed(p.node_key(), &h.node_key)) {
    return InvalidArgumentError("hello: node_key must be 32 bytes");
  }
  if (!CopyFixed(p.nonce(), &h.nonce)) return InvalidArgumentError("hello: nonce must be 32 bytes");
  h.height = p.height();
  return h;
}

// A decoded, checked inbound message waiting for the handler.
struct BlockResp {
  uint64_t height = 0;
  std::optional<BlockAndCommit> block;
};
struct BlockReq {
  uint64_t height = 0;
};
struct StatusMsg {
  uint64_t height = 0;
};
struct BlockTimeout {
  uint64_t height = 0;
};
struct Connected {
  uint64_t height = 0;
};
struct Disconnected {};
using Payload = std::variant<ConsensusMessage, std::vector<Bytes>, BlockReq, BlockResp, StatusMsg,
                             BlockTimeout, Connected, Disconnected>;

// Dispatch queues. The consensus thread serves kConsensusLane before kControlLane; the tx
// and block lanes have a thread each, so neither signature checks of tx batches nor
// 8 MiB block reads ever stand in front of a vote.
enum Lane : size_t { kConsensusLane = 0, kControlLane, kTxLane, kBlockLane, kLaneCount };

Lane LaneOf(const Payload& p) {
  if (std::holds_alternative<ConsensusMessage>(p)) return kConsensusLane;
  if (std::holds_alternative<std::vector<Bytes>>(p)) return kTxLane;
  if (std::holds_alternative<BlockReq>(p)) return kBlockLane;
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
      h.Update(View(c.proposal().proposal()));
      break;
    case v1::ConsensusMessage::kVote:
      h.Update(View(c.vote()));
      break;
    case v1::ConsensusMessage::kEvidence:
      h.Update(View(c.evidence()));
      break;
    case v1::ConsensusMessage::KIND_NOT_SET:
      break;
  }
  return h.Finish();
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
  struct Session {
    explicit Session(const Limits& l)
        : in_bytes(l.peer_bytes_per_second, l.peer_bytes_burst),
          in_messages(l.peer_messages_per_second, l.peer_messages_burst),
          tx_out(l.peer_bytes_per_second / 2, l.peer_bytes_burst / 2) {}
    bool outbound = false;
    std::string address;
    std::optional<PeerId> expected_key;  // outbound: from the config
    Clock::time_point started = Clock::now();

    std::mutex mu;
    std::condition_variable cv;
    std::deque<MsgPtr> outq;                        // guarded by mu
    size_t outq_bytes = 0;                          // guarded by mu
    bool closed = false;                            // guarded by mu
    std::function<void()> cancel;                   // guarded by mu; cleared before the stream dies
    std::map<uint64_t, Clock::time_point> pending;  // our block requests in flight; mu
    std::deque<uint64_t> timed_out;  // expired requests whose late answer is welcome; mu
    TokenBucket in_bytes;            // guarded by mu
    TokenBucket in_messages;         // guarded by mu
    TokenBucket tx_out;              // paces our tx gossip to this peer; guarded by mu
    std::set<Hash32> sent_blocks;    // blocks sent with a proposal; guarded by mu
    std::deque<Hash32> sent_order;   // the same, oldest first; guarded by mu
    std::atomic<bool> established{false};
    PeerId key{};  // set before established
    std::atomic<uint64_t> height{0};

    // Inbound queue accounting; guarded by Impl::dmu_.
    size_t inq_count = 0;
    size_t inq_bytes = 0;
    size_t inq_block_requests = 0;
  };
  using SessionPtr = std::shared_ptr<Session>;

  Impl(PeerNetworkConfig config, Ed25519PrivateKey key, PeerHandler* handler)
      : cfg_(std::move(config)),
        key_(std::move(key)),
        handler_(handler),
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
    started_ = true;
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
    {
      std::lock_guard<std::mutex> l(mu_);
      if (!started_ || stopping_) return;
      stopping_ = true;
    }
    stop_cv_.notify_all();
    CloseAll();
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    for (std::thread& t : dialers_) t.join();
    dialers_.clear();
    {
      // Every connection was cancelled above; wait for their threads to leave.
      std::unique_lock<std::mutex> l(mu_);
      stop_cv_.wait(l, [&] { return all_.empty(); });
    }
    {
      std::lock_guard<std::mutex> l(dmu_);
      dstop_ = true;
    }
    for (std::condition_variable& cv : dcv_) cv.notify_all();
    for (std::thread& t : workers_) t.join();
    maintenance_.join();
    server_->Wait();
  }

  int port() const { return port_; }
  const PeerId& node_key() const { return key_.public_key(); }
  void SetHeight(uint64_t h) { height_.store(h); }

  // ---- sending ----

  void Enqueue(const SessionPtr& s, const MsgPtr& m) {
    size_t n = m->ByteSizeLong();
    bool overflow = false;
    {
      std::lock_guard<std::mutex> l(s->mu);
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
      s->cv.notify_all();
    }
  }

  std::vector<SessionPtr> Snapshot() const {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<SessionPtr> out;
    for (const auto& [k, s] : peers_) out.push_back(s);
    return out;
  }

  SessionPtr Find(const PeerId& k) const {
    std::lock_guard<std::mutex> l(mu_);
    auto it = peers_.find(k);
    return it == peers_.end() ? nullptr : it->second;
  }

  void BroadcastMsg(const MsgPtr& m) {
    for (const SessionPtr& s : Snapshot()) Enqueue(s, m);
  }

  bool SentUs(const std::vector<PeerId>& senders, const SessionPtr& s) const {
    return std::find(senders.begin(), senders.end(), s->key) != senders.end();
  }

  std::vector<PeerId> SendersOf(const MsgPtr& m) {
    Hash32 key = RecentKey(m->consensus());
    std::lock_guard<std::mutex> l(recent_mu_);
    return recent_.SendersOf(key);
  }

  void Broadcast(const ConsensusMessage& m) {
    MsgPtr e = EncodeConsensus(m);
    std::vector<PeerId> senders = SendersOf(e);
    for (const SessionPtr& s : Snapshot()) {
      if (!SentUs(senders, s)) Enqueue(s, e);
    }
  }

  void BroadcastProposal(const ct::Proposal& p, const ct::Block& block) {
    MsgPtr bare = EncodeConsensus(ProposalWithBlock{p, std::nullopt});
    MsgPtr full;
    std::vector<PeerId> senders = SendersOf(bare);
    for (const SessionPtr& s : Snapshot()) {
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
    std::lock_guard<std::mutex> l(s->mu);
    if (!s->sent_blocks.insert(hash).second) return false;
    s->sent_order.push_back(hash);
    while (s->sent_order.size() > std::max<size_t>(1, cfg_.limits.sent_blocks_per_peer)) {
      s->sent_blocks.erase(s->sent_order.front());
      s->sent_order.pop_front();
    }
    return true;
  }

  Status SendTo(const PeerId& peer, const ConsensusMessage& m) {
    SessionPtr s = Find(peer);
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
      for (const SessionPtr& s : Snapshot()) {
        if (MayGossipTxs(s, n)) Enqueue(s, m);
      }
    }
  }

  // Tx gossip is best effort: it stays under half the peer's byte budget (when its limits
  // are ours) and leaves room in the outbound queue for consensus messages, rather than
  // get this node penalised or dropped as slow. A batch not sent still commits when this
  // node proposes.
  bool MayGossipTxs(const SessionPtr& s, size_t n) {
    std::lock_guard<std::mutex> l(s->mu);
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
    SessionPtr s = Find(peer);
    if (!s) return NotFoundError("p2p: peer " + ShortKey(peer) + " not connected");
    {
      std::lock_guard<std::mutex> l(s->mu);
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
    for (const SessionPtr& s : Snapshot()) {
      out.push_back(PeerInfo{s->key, s->address, s->outbound, s->height.load()});
    }
    return out;
  }

  uint64_t DropCount(DropReason r) const { return drops_[static_cast<size_t>(r)].load(); }

  bool IsBanned(const PeerId& k) const {
    std::lock_guard<std::mutex> l(bans_mu_);
    auto it = bans_.find(k);
    return it != bans_.end() && it->second > Clock::now();
  }

  uint32_t Score(const PeerId& k) const {
    std::lock_guard<std::mutex> l(bans_mu_);
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
    s->cancel = [ctx] { ctx->TryCancel(); };
    if (!Track(s)) {
      drops_[static_cast<size_t>(DropReason::kClosed)].fetch_add(1);
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "stopping or too many pending peers");
    }
    RunSession(s, stream, stream);
    return grpc::Status::OK;
  }

 private:
  // ---- connections ----

  // Adds a connection to the live set. Unauthenticated inbound connections are bounded by
  // max_inbound_peers too, so a peer cannot pin threads by opening streams and not talking.
  bool Track(const SessionPtr& s) {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_) return false;
    if (!s->outbound) {
      size_t pending = 0;
      for (const SessionPtr& o : all_) pending += (!o->outbound && !o->established) ? 1 : 0;
      if (pending >= cfg_.limits.max_inbound_peers) return false;
    }
    all_.insert(s);
    return true;
  }

  void Close(const SessionPtr& s, DropReason r, const std::string& why) {
    bool est = s->established.load();
    {
      std::lock_guard<std::mutex> l(s->mu);
      if (s->closed) return;
      s->closed = true;
      // Counted and banned before the stream is cancelled, so whoever sees the stream end
      // also sees the counter and the ban.
      drops_[static_cast<size_t>(r)].fetch_add(1);
      if (IsMisbehaviour(r) && est) {
        std::lock_guard<std::mutex> bl(bans_mu_);
        bans_[s->key] = Clock::now() + cfg_.ban_duration;
      }
      if (s->cancel) s->cancel();
    }
    s->cv.notify_all();
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
  void Penalize(const SessionPtr& s, DropReason offence, uint64_t points, const std::string& why) {
    if (points == 0 || !s->established.load()) return;
    uint64_t total = points;
    {
      std::lock_guard<std::mutex> l(bans_mu_);
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
    std::vector<SessionPtr> all;
    {
      std::lock_guard<std::mutex> l(mu_);
      all.assign(all_.begin(), all_.end());
    }
    for (const SessionPtr& s : all) Close(s, DropReason::kClosed, "network stopping");
  }

  // Adds an authenticated session to the peer table. Called with no lock held.
  bool Register(const SessionPtr& s) {
    SessionPtr loser;
    DropReason why = DropReason::kDuplicate;
    std::string text;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (stopping_) return false;
      if (IsBanned(s->key)) {
        loser = s;
        why = DropReason::kBanned;
        text = "peer is banned";
      } else if (!s->outbound && CountInbound() >= cfg_.limits.max_inbound_peers) {
        loser = s;
        why = DropReason::kClosed;
        text = "too many inbound peers";
      } else {
        auto it = peers_.find(s->key);
        if (it == peers_.end()) {
          peers_[s->key] = s;
        } else {
          const SessionPtr& old = it->second;
          bool keep_new = old->outbound == s->outbound || Preferred(*s);
          if (keep_new) {
            loser = old;
            it->second = s;
            text = "replaced by a newer connection";
          } else {
            loser = s;
            text = "a connection to this peer already exists";
          }
        }
      }
    }
    if (loser) Close(loser, why, text);
    return loser != s;
  }

  size_t CountInbound() const {
    size_t n = 0;
    for (const auto& [k, s] : peers_) n += s->outbound ? 0 : 1;
    return n;
  }

  // Of two connections in opposite directions, both ends keep the one dialed by the node
  // with the smaller key.
  bool Preferred(const Session& s) const {
    const PeerId& dialer = s.outbound ? key_.public_key() : s.key;
    const PeerId& listener = s.outbound ? s.key : key_.public_key();
    return dialer < listener;
  }

  void Unregister(const SessionPtr& s) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = peers_.find(s->key);
    if (s->established && it != peers_.end() && it->second == s) peers_.erase(it);
  }

  // Last touch of the network by a connection's thread; Stop() waits for all of them.
  void Untrack(const SessionPtr& s) {
    std::lock_guard<std::mutex> l(mu_);
    all_.erase(s);
    stop_cv_.notify_all();
  }

  bool IsConnected(const PeerId& k) const {
    std::lock_guard<std::mutex> l(mu_);
    return peers_.count(k) > 0;
  }

  // Runs one connection: hello, then reads until the stream ends or the session is closed.
  // Returns whether the hello succeeded.
  bool RunSession(const SessionPtr& s, grpc::internal::ReaderInterface<v1::PeerMessage>* r,
                  grpc::internal::WriterInterface<v1::PeerMessage>* w) {
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
      std::lock_guard<std::mutex> l(s->mu);
      s->cancel = nullptr;
      s->outq.clear();
    }
    bool was_registered = ok;
    Unregister(s);
    if (was_registered) Deliver(s, Disconnected{}, 0);
    Untrack(s);
    return was_registered;
  }

  bool Handshake(const SessionPtr& s, grpc::internal::ReaderInterface<v1::PeerMessage>* r,
                 grpc::internal::WriterInterface<v1::PeerMessage>* w) {
    HelloInfo ours;
    ours.chain_id = cfg_.chain_id;
    ours.genesis_hash = cfg_.genesis_hash;
    ours.node_key = key_.public_key();
    ours.height = height_.load();
    randombytes_buf(ours.nonce.data(), ours.nonce.size());
    v1::PeerMessage out;
    *out.mutable_hello() = ToProto(ours);
    if (!w->Write(out)) {
      Close(s, DropReason::kClosed, "could not send hello");
      return false;
    }
    v1::PeerMessage in;
    if (!r->Read(&in)) {
      Close(s, DropReason::kClosed, "stream ended before hello");
      return false;
    }
    if (!in.has_hello()) {
      Close(s, DropReason::kHandshakeFailed, "first message is not a hello");
      return false;
    }
    Result<HelloInfo> theirs = FromProto(in.hello());
    if (!theirs.ok()) {
      Close(s, DropReason::kHandshakeFailed, theirs.status().message());
      return false;
    }
    if (Status st = CheckCompatible(ours, *theirs); !st.ok()) {
      Close(s, DropReason::kHandshakeFailed, st.message());
      return false;
    }
    if (s->expected_key && *s->expected_key != theirs->node_key) {
      Close(s, DropReason::kHandshakeFailed,
            "hello: node_key " + ShortKey(theirs->node_key) + ", configured " +
                ShortKey(*s->expected_key));
      return false;
    }
    out.Clear();
    Ed25519Signature sig = SignHello(ours, *theirs, key_);
    out.mutable_hello_auth()->set_signature(Str(sig));
    if (!w->Write(out)) {
      Close(s, DropReason::kClosed, "could not send hello_auth");
      return false;
    }
    in.Clear();
    if (!r->Read(&in)) {
      Close(s, DropReason::kClosed, "stream ended before hello_auth");
      return false;
    }
    Ed25519Signature theirs_sig{};
    if (!in.has_hello_auth() || !CopyFixed(in.hello_auth().signature(), &theirs_sig)) {
      Close(s, DropReason::kHandshakeFailed, "second message is not a 64-byte hello_auth");
      return false;
    }
    if (!VerifyHello(*theirs, ours, theirs_sig)) {
      Close(s, DropReason::kHandshakeFailed, "hello_auth: invalid signature");
      return false;
    }
    s->key = theirs->node_key;
    s->height.store(theirs->height);
    s->established.store(true);
    return true;
  }

  void WriteLoop(const SessionPtr& s, grpc::internal::WriterInterface<v1::PeerMessage>* w) {
    for (;;) {
      MsgPtr m;
      {
        std::unique_lock<std::mutex> l(s->mu);
        s->cv.wait(l, [&] { return s->closed || !s->outq.empty(); });
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

  // Checks one inbound message; queues it for the handler or drops the peer.
  bool HandleInbound(const SessionPtr& s, const v1::PeerMessage& m) {
    size_t n = m.ByteSizeLong();
    if (n > cfg_.limits.max_message_bytes) {
      Close(s, DropReason::kOversized,
            std::to_string(n) + " bytes > max " + std::to_string(cfg_.limits.max_message_bytes));
      return false;
    }
    const bool solicited_kind = m.kind_case() == v1::PeerMessage::kBlockResponse ||
                                m.kind_case() == v1::PeerMessage::kBlockNotFound;
    if (!Throttle(s, solicited_kind ? 0 : n)) return false;
    switch (m.kind_case()) {
      case v1::PeerMessage::kConsensus:
        return HandleConsensus(s, m.consensus(), n);
      case v1::PeerMessage::kTxs: {
        const auto& txs = m.txs().txs();
        if (static_cast<size_t>(txs.size()) > cfg_.limits.max_txs_per_batch) {
          Close(s, DropReason::kMalformed,
                "tx batch of " + std::to_string(txs.size()) + " > " +
                    std::to_string(cfg_.limits.max_txs_per_batch));
          return false;
        }
        std::vector<Bytes> out;
        out.reserve(static_cast<size_t>(txs.size()));
        for (const std::string& t : txs) {
          if (t.size() > ct::kTxMaxBytes) {
            Close(s, DropReason::kMalformed, "tx over kTxMaxBytes");
            return false;
          }
          if (Result<ct::Transaction> d = ct::DecodeTransaction(View(t)); !d.ok()) {
            Close(s, DropReason::kMalformed, "tx: " + d.status().ToString());
            return false;
          }
          out.emplace_back(t.begin(), t.end());
        }
        return Deliver(s, std::move(out), n);
      }
      case v1::PeerMessage::kStatus:
        s->height.store(m.status().height());
        return Deliver(s, StatusMsg{m.status().height()}, n);
      case v1::PeerMessage::kBlockRequest:
        return Deliver(s, BlockReq{m.block_request().height()}, n);
      case v1::PeerMessage::kBlockResponse:
      case v1::PeerMessage::kBlockNotFound:
        return HandleBlockAnswer(s, m, n);
      case v1::PeerMessage::kHello:
      case v1::PeerMessage::kHelloAuth:
        Close(s, DropReason::kMalformed, "hello after the handshake");
        return false;
      case v1::PeerMessage::KIND_NOT_SET:
        break;
    }
    Close(s, DropReason::kMalformed, "empty or unknown message kind");
    return false;
  }

  // Waits out the peer's budget if this message exceeds it, and charges the overrun to its
  // score. Returns false if the peer was dropped meanwhile.
  bool Throttle(const SessionPtr& s, size_t bytes) {
    Clock::duration wait{};
    {
      std::lock_guard<std::mutex> l(s->mu);
      const Clock::time_point now = Clock::now();
      wait = std::max(s->in_messages.Take(1, now), s->in_bytes.Take(bytes, now));
    }
    if (wait <= Clock::duration::zero()) return true;
    Penalize(s, DropReason::kOverBudget, cfg_.limits.score_over_budget,
             "traffic over its budget (" + std::to_string(bytes) + " bytes)");
    std::unique_lock<std::mutex> l(s->mu);
    s->cv.wait_for(l, wait, [&] { return s->closed; });
    return !s->closed;
  }

  // Copies of a recently verified message are dropped before any decoding or signature
  // check (and not punished: relays send them honestly).
  bool HandleConsensus(const SessionPtr& s, const v1::ConsensusMessage& c, size_t n) {
    const Hash32 key = RecentKey(c);
    const bool with_block =
        c.kind_case() == v1::ConsensusMessage::kProposal && !c.proposal().block().empty();
    {
      std::lock_guard<std::mutex> l(recent_mu_);
      if (recent_.IsDuplicate(key, with_block, s->key, Clock::now())) {
        duplicates_.fetch_add(1);
        return true;
      }
    }
    Result<ConsensusMessage> decoded = DecodeConsensus(s, c);
    if (!decoded.ok()) return false;  // already closed with the reason
    {
      std::lock_guard<std::mutex> l(recent_mu_);
      recent_.Record(key, with_block, s->key, Clock::now());
    }
    return Deliver(s, std::move(decoded).value(), n);
  }

  bool HandleBlockAnswer(const SessionPtr& s, const v1::PeerMessage& m, size_t n) {
    const bool found = m.kind_case() == v1::PeerMessage::kBlockResponse;
    const uint64_t h = found ? m.block_response().height() : m.block_not_found().height();
    bool asked = false;
    {
      std::lock_guard<std::mutex> l(s->mu);
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
      return false;
    }
    if (!found) {
      if (!Deliver(s, BlockResp{h, std::nullopt}, n)) return false;
      const uint64_t claimed = s->height.load();
      if (h <= claimed) {
        Penalize(s, DropReason::kFalseHeight, cfg_.limits.score_false_height,
                 "no block at height " + std::to_string(h) + " though it claimed height " +
                     std::to_string(claimed));
      }
      std::lock_guard<std::mutex> l(s->mu);
      return !s->closed;
    }
    Result<BlockAndCommit> bc = DecodeBlockResponse(m.block_response());
    if (!bc.ok()) {
      Close(s, DropReason::kMalformed, bc.status().message());
      return false;
    }
    return Deliver(s, BlockResp{h, std::move(bc).value()}, n);
  }

  Result<ConsensusMessage> DecodeConsensus(const SessionPtr& s, const v1::ConsensusMessage& c) {
    switch (c.kind_case()) {
      case v1::ConsensusMessage::kProposal: {
        Result<ct::Proposal> p = ct::DecodeProposal(View(c.proposal().proposal()));
        if (!p.ok()) return Fail(s, DropReason::kMalformed, "proposal: " + p.status().ToString());
        if (!ct::VerifyProposalSignature(cfg_.chain_id, *p)) {
          return Fail(s, DropReason::kBadSignature, "proposal signature invalid");
        }
        if (c.proposal().block().empty()) {
          return ConsensusMessage(ProposalWithBlock{std::move(p).value(), std::nullopt});
        }
        Result<ct::Block> b = ct::DecodeBlock(View(c.proposal().block()));
        if (!b.ok()) return Fail(s, DropReason::kMalformed, "block: " + b.status().ToString());
        if (b->header.chain_id != cfg_.chain_id || b->header.height != p->height ||
            ct::HeaderHash(b->header) != p->block_hash) {
          return Fail(s, DropReason::kMalformed, "proposed block does not match the proposal");
        }
        return ConsensusMessage(ProposalWithBlock{std::move(p).value(), std::move(b).value()});
      }
      case v1::ConsensusMessage::kVote: {
        Result<ct::Vote> v = ct::DecodeVote(View(c.vote()));
        if (!v.ok()) return Fail(s, DropReason::kMalformed, "vote: " + v.status().ToString());
        if (!ct::VerifyVoteSignature(cfg_.chain_id, *v)) {
          return Fail(s, DropReason::kBadSignature, "vote signature invalid");
        }
        return ConsensusMessage(std::move(v).value());
      }
      case v1::ConsensusMessage::kEvidence: {
        Result<ct::DuplicateVoteEvidence> e = ct::DecodeEvidence(View(c.evidence()));
        if (!e.ok()) return Fail(s, DropReason::kMalformed, "evidence: " + e.status().ToString());
        if (Status st = ct::VerifyEvidence(cfg_.chain_id, *e); !st.ok()) {
          return Fail(s, DropReason::kBadSignature, "evidence: " + st.ToString());
        }
        return ConsensusMessage(std::move(e).value());
      }
      case v1::ConsensusMessage::KIND_NOT_SET:
        break;
    }
    return Fail(s, DropReason::kMalformed, "empty consensus message");
  }

  Status Fail(const SessionPtr& s, DropReason r, const std::string& why) {
    Close(s, r, why);
    return InvalidArgumentError(why);
  }

  Result<BlockAndCommit> DecodeBlockResponse(const v1::BlockResponse& r) {
    Result<ct::Block> b = ct::DecodeBlock(View(r.block()));
    if (!b.ok()) return InvalidArgumentError("block response: block: " + b.status().ToString());
    Result<ct::Commit> c = ct::DecodeCommit(View(r.commit()));
    if (!c.ok()) return InvalidArgumentError("block response: commit: " + c.status().ToString());
    if (b->header.chain_id != cfg_.chain_id || b->header.height != r.height() ||
        c->height != r.height() || c->block_hash != ct::HeaderHash(b->header)) {
      return InvalidArgumentError("block response: block/commit do not match the height");
    }
    return BlockAndCommit{std::move(b).value(), std::move(c).value()};
  }

  // ---- delivery ----

  bool Deliver(const SessionPtr& s, Payload p, size_t bytes) {
    const Lane lane = LaneOf(p);
    bool flood = false;
    {
      std::lock_guard<std::mutex> l(dmu_);
      if (dstop_) return false;
      const bool control = IsControl(p);
      const bool is_request = lane == kBlockLane;
      if (!control &&
          (s->inq_count + 1 > cfg_.limits.inbound_queue_messages ||
           s->inq_bytes + bytes > cfg_.limits.inbound_queue_bytes ||
           (is_request && s->inq_block_requests + 1 > cfg_.limits.max_pending_block_requests))) {
        flood = true;
      } else {
        s->inq_count += 1;
        s->inq_bytes += bytes;
        s->inq_block_requests += is_request ? 1 : 0;
        lanes_[lane].push_back(Item{s, std::move(p), bytes});
        dcv_[WorkerOf(lane)].notify_one();
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

  // Worker 0 serves consensus then control; worker 1 the tx lane; worker 2 block requests.
  static constexpr size_t kWorkers = 3;
  static size_t WorkerOf(Lane lane) { return lane == kTxLane ? 1 : lane == kBlockLane ? 2 : 0; }

  // Pops the next item of `worker`'s lanes; false when stopping. Requires dmu_.
  bool PopLocked(size_t worker, Item* out) {
    for (size_t lane = 0; lane < kLaneCount; ++lane) {
      if (WorkerOf(static_cast<Lane>(lane)) != worker || lanes_[lane].empty()) continue;
      *out = std::move(lanes_[lane].front());
      lanes_[lane].pop_front();
      out->s->inq_count -= 1;
      out->s->inq_bytes -= out->bytes;
      out->s->inq_block_requests -= lane == kBlockLane ? 1 : 0;
      return true;
    }
    return false;
  }

  void DispatchLoop(size_t worker) {
    for (;;) {
      Item it;
      {
        std::unique_lock<std::mutex> l(dmu_);
        dcv_[worker].wait(l, [&] { return dstop_ || PopLocked(worker, &it); });
        if (dstop_) {
          for (std::deque<Item>& q : lanes_) q.clear();
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
          } else if constexpr (std::is_same_v<T, std::vector<Bytes>>) {
            const size_t bad = handler_->OnTxs(from, v);
            Penalize(it.s, DropReason::kBadTransactions, uint64_t{bad} * cfg_.limits.score_bad_tx,
                     std::to_string(bad) + " transactions with an invalid signature");
          } else if constexpr (std::is_same_v<T, BlockReq>) {
            ServeBlock(it.s, v.height);
          } else if constexpr (std::is_same_v<T, BlockResp>) {
            handler_->OnBlockResponse(from, v.height, v.block);
          } else if constexpr (std::is_same_v<T, StatusMsg>) {
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

  // Waits up to `d`; false if stopping.
  bool SleepFor(std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> l(mu_);
    stop_cv_.wait_for(l, d, [&] { return stopping_; });
    return !stopping_;
  }

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
      if (IsConnected(p.node_key) || IsBanned(p.node_key)) {
        if (!SleepFor(cfg_.backoff_initial)) return;
        continue;
      }
      auto channel = grpc::CreateCustomChannel(p.address, grpc::InsecureChannelCredentials(), args);
      auto stub = v1::PeerService::NewStub(channel);
      grpc::ClientContext ctx;
      auto s = std::make_shared<Session>(cfg_.limits);
      s->outbound = true;
      s->address = p.address;
      s->expected_key = p.node_key;
      s->cancel = [&ctx] { ctx.TryCancel(); };
      if (!Track(s)) return;
      auto stream = stub->Connect(&ctx);
      bool established = RunSession(s, stream.get(), stream.get());
      grpc::Status st = stream->Finish();
      if (!established) {
        spdlog::debug("p2p: dial {} failed: {}", p.address, st.error_message());
      }
      backoff = established ? cfg_.backoff_initial : std::min(backoff * 2, cfg_.backoff_max);
      if (!SleepFor(backoff)) return;
    }
  }

  void MaintenanceLoop() {
    while (SleepFor(std::chrono::milliseconds(50))) {
      std::vector<SessionPtr> late;
      Clock::time_point now = Clock::now();
      {
        std::lock_guard<std::mutex> l(mu_);
        for (const SessionPtr& s : all_) {
          if (!s->established.load() && now - s->started > cfg_.hello_timeout) late.push_back(s);
        }
      }
      for (const SessionPtr& s : late) Close(s, DropReason::kHandshakeFailed, "hello timeout");
      ExpireBlockRequests(now);
      std::lock_guard<std::mutex> l(bans_mu_);
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
    for (const SessionPtr& s : Snapshot()) {
      std::vector<uint64_t> expired;
      {
        std::lock_guard<std::mutex> l(s->mu);
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

  // Lock order: mu_ -> Session::mu -> bans_mu_; dmu_ and recent_mu_ are never held with
  // another lock.
  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  bool started_ = false;                // guarded by mu_
  bool stopping_ = false;               // guarded by mu_
  std::set<SessionPtr> all_;            // every live connection; guarded by mu_
  std::map<PeerId, SessionPtr> peers_;  // authenticated, registered; guarded by mu_

  mutable std::mutex bans_mu_;
  std::map<PeerId, Clock::time_point> bans_;  // guarded by bans_mu_
  std::map<PeerId, ScoreEntry> scores_;       // guarded by bans_mu_

  std::mutex dmu_;
  std::array<std::condition_variable, kWorkers> dcv_;
  std::array<std::deque<Item>, kLaneCount> lanes_;  // guarded by dmu_
  bool dstop_ = false;                              // guarded by dmu_

  std::mutex recent_mu_;
  RecentMessages recent_;  // guarded by recent_mu_
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
