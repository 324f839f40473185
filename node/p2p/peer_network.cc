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

#include "base/hex.h"
#include "consensus/types/transaction.h"
#include "hito/p2p/v1/p2p.grpc.pb.h"
#include "node/p2p/handshake.h"

namespace hito::p2p {

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
    case DropReason::kCount_:
      break;
  }
  return "unknown";
}

namespace {

bool IsMisbehaviour(DropReason r) {
  return r == DropReason::kMalformed || r == DropReason::kBadSignature ||
         r == DropReason::kOversized || r == DropReason::kFlood || r == DropReason::kUnsolicited;
}

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
struct Connected {
  uint64_t height = 0;
};
struct Disconnected {};
using Payload = std::variant<ConsensusMessage, std::vector<Bytes>, BlockReq, BlockResp, StatusMsg,
                             Connected, Disconnected>;

MsgPtr EncodeConsensus(const ConsensusMessage& m) {
  auto out = std::make_shared<v1::PeerMessage>();
  v1::ConsensusMessage* c = out->mutable_consensus();
  if (const auto* p = std::get_if<ProposalWithBlock>(&m)) {
    c->mutable_proposal()->set_proposal(Str(ct::EncodeProposal(p->proposal)));
    c->mutable_proposal()->set_block(Str(ct::EncodeBlock(p->block)));
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
    bool outbound = false;
    std::string address;
    std::optional<PeerId> expected_key;  // outbound: from the config
    Clock::time_point started = Clock::now();

    std::mutex mu;
    std::condition_variable cv;
    std::deque<MsgPtr> outq;       // guarded by mu
    size_t outq_bytes = 0;         // guarded by mu
    bool closed = false;           // guarded by mu
    std::function<void()> cancel;  // guarded by mu; cleared before the stream dies
    std::set<uint64_t> pending;    // block requests in flight; guarded by mu
    std::atomic<bool> established{false};
    PeerId key{};  // set before established
    std::atomic<uint64_t> height{0};

    // Inbound queue accounting; guarded by Impl::dmu_.
    size_t inq_count = 0;
    size_t inq_bytes = 0;
  };
  using SessionPtr = std::shared_ptr<Session>;

  Impl(PeerNetworkConfig config, Ed25519PrivateKey key, PeerHandler* handler)
      : cfg_(std::move(config)), key_(std::move(key)), handler_(handler) {}

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
    dispatcher_ = std::thread([this] { DispatchLoop(); });
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
    dcv_.notify_all();
    dispatcher_.join();
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

  void Broadcast(const ConsensusMessage& m) { BroadcastMsg(EncodeConsensus(m)); }

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
      BroadcastMsg(m);
    }
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
      s->pending.insert(h);
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

  // ---- the service ----

  grpc::Status Connect(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<v1::PeerMessage, v1::PeerMessage>* stream) override {
    auto s = std::make_shared<Session>();
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
    switch (m.kind_case()) {
      case v1::PeerMessage::kConsensus: {
        Result<ConsensusMessage> c = DecodeConsensus(s, m.consensus());
        if (!c.ok()) return false;  // already closed with the reason
        return Deliver(s, std::move(c).value(), n);
      }
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
      case v1::PeerMessage::kBlockNotFound: {
        bool found = m.kind_case() == v1::PeerMessage::kBlockResponse;
        uint64_t h = found ? m.block_response().height() : m.block_not_found().height();
        bool asked = false;
        {
          std::lock_guard<std::mutex> l(s->mu);
          asked = s->pending.erase(h) > 0;
        }
        if (!asked) {
          Close(s, DropReason::kUnsolicited,
                "block answer for height " + std::to_string(h) + " not requested");
          return false;
        }
        if (!found) return Deliver(s, BlockResp{h, std::nullopt}, n);
        Result<BlockAndCommit> bc = DecodeBlockResponse(m.block_response());
        if (!bc.ok()) {
          Close(s, DropReason::kMalformed, bc.status().message());
          return false;
        }
        return Deliver(s, BlockResp{h, std::move(bc).value()}, n);
      }
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

  Result<ConsensusMessage> DecodeConsensus(const SessionPtr& s, const v1::ConsensusMessage& c) {
    switch (c.kind_case()) {
      case v1::ConsensusMessage::kProposal: {
        Result<ct::Proposal> p = ct::DecodeProposal(View(c.proposal().proposal()));
        if (!p.ok()) return Fail(s, DropReason::kMalformed, "proposal: " + p.status().ToString());
        if (!ct::VerifyProposalSignature(cfg_.chain_id, *p)) {
          return Fail(s, DropReason::kBadSignature, "proposal signature invalid");
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
    bool flood = false;
    {
      std::lock_guard<std::mutex> l(dmu_);
      if (dstop_) return false;
      bool control =
          std::holds_alternative<Connected>(p) || std::holds_alternative<Disconnected>(p);
      if (!control && (s->inq_count + 1 > cfg_.limits.inbound_queue_messages ||
                       s->inq_bytes + bytes > cfg_.limits.inbound_queue_bytes)) {
        flood = true;
      } else {
        s->inq_count += 1;
        s->inq_bytes += bytes;
        dq_.push_back(Item{s, std::move(p), bytes});
        dcv_.notify_one();
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

  void DispatchLoop() {
    for (;;) {
      Item it;
      {
        std::unique_lock<std::mutex> l(dmu_);
        dcv_.wait(l, [&] { return dstop_ || !dq_.empty(); });
        if (dstop_) {
          dq_.clear();
          return;
        }
        it = std::move(dq_.front());
        dq_.pop_front();
        it.s->inq_count -= 1;
        it.s->inq_bytes -= it.bytes;
      }
      Dispatch(it);
    }
  }

  void Dispatch(Item& it) {
    const PeerId& from = it.s->key;
    std::visit(
        [&](auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, ConsensusMessage>) {
            handler_->OnConsensusMessage(from, v);
          } else if constexpr (std::is_same_v<T, std::vector<Bytes>>) {
            handler_->OnTxs(from, v);
          } else if constexpr (std::is_same_v<T, BlockReq>) {
            std::optional<BlockAndCommit> bc = handler_->OnBlockRequest(from, v.height);
            auto m = std::make_shared<v1::PeerMessage>();
            if (bc) {
              m->mutable_block_response()->set_height(v.height);
              m->mutable_block_response()->set_block(Str(ct::EncodeBlock(bc->block)));
              m->mutable_block_response()->set_commit(Str(ct::EncodeCommit(bc->commit)));
            } else {
              m->mutable_block_not_found()->set_height(v.height);
            }
            Enqueue(it.s, m);
          } else if constexpr (std::is_same_v<T, BlockResp>) {
            handler_->OnBlockResponse(from, v.height, v.block);
          } else if constexpr (std::is_same_v<T, StatusMsg>) {
            handler_->OnStatus(from, v.height);
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
      auto s = std::make_shared<Session>();
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
      std::lock_guard<std::mutex> l(bans_mu_);
      for (auto it = bans_.begin(); it != bans_.end();) {
        it = it->second <= now ? bans_.erase(it) : std::next(it);
      }
    }
  }

  const PeerNetworkConfig cfg_;
  const Ed25519PrivateKey key_;
  PeerHandler* const handler_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::atomic<uint64_t> height_{0};

  // Lock order: mu_ -> Session::mu -> bans_mu_; dmu_ is never held with another lock.
  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  bool started_ = false;                // guarded by mu_
  bool stopping_ = false;               // guarded by mu_
  std::set<SessionPtr> all_;            // every live connection; guarded by mu_
  std::map<PeerId, SessionPtr> peers_;  // authenticated, registered; guarded by mu_

  mutable std::mutex bans_mu_;
  std::map<PeerId, Clock::time_point> bans_;  // guarded by bans_mu_

  std::mutex dmu_;
  std::condition_variable dcv_;
  std::deque<Item> dq_;  // guarded by dmu_
  bool dstop_ = false;   // guarded by dmu_

  std::array<std::atomic<uint64_t>, static_cast<size_t>(DropReason::kCount_)> drops_{};
  std::vector<std::thread> dialers_;
  std::thread dispatcher_;
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
Status PeerNetwork::SendTo(const PeerId& p, const ConsensusMessage& m) {
  return impl_->SendTo(p, m);
}
void PeerNetwork::BroadcastTxs(const std::vector<Bytes>& txs) { impl_->BroadcastTxs(txs); }
void PeerNetwork::BroadcastStatus(uint64_t h) { impl_->BroadcastStatus(h); }
Status PeerNetwork::RequestBlock(const PeerId& p, uint64_t h) { return impl_->RequestBlock(p, h); }
std::vector<PeerInfo> PeerNetwork::Peers() const { return impl_->Peers(); }
uint64_t PeerNetwork::DropCount(DropReason r) const { return impl_->DropCount(r); }
bool PeerNetwork::IsBanned(const PeerId& p) const { return impl_->IsBanned(p); }

}  // namespace hito::p2p
