#include "node/rpc/server.h"

#include <absl/synchronization/mutex.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>

#include "base/bech32m.h"
#include "base/hex.h"
#include "base/mutex.h"
#include "consensus/ledger/ledger.h"
#include "consensus/types/block.h"
#include "hito/v1/account.grpc.pb.h"
#include "hito/v1/block.grpc.pb.h"
#include "hito/v1/dedup.grpc.pb.h"
#include "hito/v1/governance.grpc.pb.h"
#include "hito/v1/node.grpc.pb.h"
#include "hito/v1/personhood.grpc.pb.h"
#include "hito/v1/tx.grpc.pb.h"
#include "hito/v1/ubi.grpc.pb.h"
#include "node/chain/block_events.h"
#include "node/rpc/dedup.h"
#include "node/rpc/errors.h"
#include "node/rpc/governance.h"
#include "node/rpc/personhood.h"
#include "node/version.h"

namespace hito::node::rpc {
namespace {

namespace ledger = consensus::ledger;
namespace types = consensus::types;
namespace pb = hito::v1;

std::string AsString(ByteView b) { return std::string(AsChars(b)); }

// result_name of a committed transaction: "OK", or the ledger's reason name.
std::string ResultName(uint16_t code) {
  if (code == 0) return "OK";
  return std::string(ledger::TxCodeName(static_cast<ledger::TxCode>(code)));
}

Result<Hash32> HashFromRequest(const std::string& bytes, std::string_view field) {
  if (bytes.size() != 32) {
    return InvalidArgumentError(std::string(field) + " must be 32 bytes, got " +
                                std::to_string(bytes.size()));
  }
  Hash32 h;
  std::copy(bytes.begin(), bytes.end(), h.begin());
  return h;
}

grpc::Status InvalidHash(const Status& s) {
  return RpcError(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_HASH", s.message());
}

void FillTxView(const types::Transaction& tx, pb::TransactionView* v) {
  v->set_kind(static_cast<pb::TxKind>(static_cast<int>(tx.kind())));
  if (const auto* t = std::get_if<types::Transfer>(&tx.body)) {
    v->set_chain_id(t->chain_id);
    v->set_sender(EncodeAddress(types::AccountIdFromPublicKey(t->sender)));
    v->set_sender_public_key(AsString(t->sender));
    v->set_to(EncodeAddress(t->to));
    v->set_amount(t->amount);
    v->set_fee(t->fee);
    v->set_nonce(t->nonce);
    v->set_memo(AsString(t->memo));
    v->set_signature(AsString(t->signature));
    return;
  }
  if (const auto* p = std::get_if<types::GovernanceProposal>(&tx.body)) {
    v->set_chain_id(p->chain_id);
    v->set_sender(EncodeAddress(types::AccountIdFromPublicKey(p->sender)));
    v->set_sender_public_key(AsString(p->sender));
    v->set_fee(p->fee);
    v->set_nonce(p->nonce);
    v->set_deposit(p->deposit);
    v->set_action(AsString(types::EncodeAction(p->action)));
    v->set_signature(AsString(p->signature));
    return;
  }
  if (const auto* b = std::get_if<types::Ballot>(&tx.body)) {
    v->set_round(b->round);
    v->set_cohort(b->cohort);
    v->set_nullifier(AsString(types::BallotNullifier(*b)));
    return;
  }
  FillPersonhoodTxView(tx, v);
}

// Fills a GetBlockResponse or StreamBlocksResponse (same fields) for a stored height.
template <typename Msg>
Status FillBlock(const store::Store& store, uint64_t height, Msg* out) {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store.GetBlock(height));
  if (!raw) return NotFoundError("no block at height " + std::to_string(height));
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> commit, store.GetCommit(height));
  HITO_ASSIGN_OR_RETURN(types::Block block, types::DecodeBlock(*raw));
  const types::BlockHeader& h = block.header;
  out->set_height(height);
  out->set_hash(AsString(types::HeaderHash(h)));
  out->set_block_bytes(AsString(*raw));
  if (commit) out->set_commit_bytes(AsString(*commit));
  pb::BlockView* v = out->mutable_block();
  v->set_chain_id(h.chain_id);
  v->set_height(h.height);
  v->set_time_ms(h.time_ms);
  v->set_prev_hash(AsString(h.prev_hash));
  v->set_app_hash(AsString(h.app_hash));
  v->set_tx_root(AsString(h.tx_root));
  v->set_validators_hash(AsString(h.validators_hash));
  v->set_next_validators_hash(AsString(h.next_validators_hash));
  v->set_last_commit_hash(AsString(h.last_commit_hash));
  v->set_proposer(AsString(h.proposer));
  v->set_proposer_address(EncodeAddress(types::AccountIdFromPublicKey(h.proposer)));
  v->set_tx_count(static_cast<uint32_t>(block.txs.size()));
  for (const Bytes& tx : block.txs) v->add_tx_hashes(AsString(types::TransactionHash(tx)));
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> events, store.GetBlockEvents(height));
  if (events) {
    HITO_ASSIGN_OR_RETURN(std::vector<chain::BlockEvent> decoded,
                          chain::DecodeBlockEvents(*events));
    for (const chain::BlockEvent& e : decoded) {
      if (!chain::IsBlockStart(e.kind) && e.tx_index >= block.txs.size()) {
        return DataLossError("block event past the block's txs");
      }
    }
    FillBlockEvents(decoded, block.txs, out->mutable_events());
  }
  return Status::Ok();
}

std::map<std::string, std::string> RefusalMetadata(const mempool::AdmitOutcome& o) {
  std::map<std::string, std::string> md{{"tx_hash", HexEncode(o.hash)}};
  if (o.code == ledger::TxCode::kAlreadyKnown) {
    md["status"] = o.pending ? "PENDING" : "COMMITTED";
    if (o.committed) {
      md["height"] = std::to_string(o.committed->height);
      md["index"] = std::to_string(o.committed->index);
    }
  }
  return md;
}

// The reason code of a refused transaction: the ledger's name, except that a full pool
// says which limit refused it.
std::string_view TxRefusalReason(const mempool::AdmitOutcome& o) {
  if (o.code == ledger::TxCode::kMempoolFull) {
    switch (o.refusal) {
      case mempool::PoolRefusal::kFeeTooLowToEvict:
        return "MEMPOOL_FULL_FEE_TOO_LOW";
      case mempool::PoolRefusal::kSenderOverCap:
        return "SENDER_OVER_CAP";
      case mempool::PoolRefusal::kNone:
      case mempool::PoolRefusal::kPoolFull:
        break;
    }
  }
  return ledger::TxCodeName(o.code);
}

grpc::Status TxRefusal(const mempool::AdmitOutcome& o) {
  if (!o.storage_error.ok()) return InternalRpcError(o.storage_error);
  return RpcError(GrpcCodeForTx(o.code), TxRefusalReason(o), o.message, RefusalMetadata(o));
}

// One SubmitTransactions item: what SubmitTransaction would have answered.
void FillResult(const mempool::AdmitOutcome& o, pb::SubmitTransactionResult* r) {
  r->set_tx_hash(AsString(o.hash));
  if (o.ok()) {
    r->set_accepted(true);
    return;
  }
  grpc::Status s = TxRefusal(o);
  r->set_code(static_cast<int32_t>(s.error_code()));
  r->set_message(s.error_message());
  if (!o.storage_error.ok()) {
    r->set_reason("INTERNAL_ERROR");
    return;
  }
  r->set_reason(std::string(TxRefusalReason(o)));
  for (auto& [k, v] : RefusalMetadata(o)) (*r->mutable_metadata())[k] = v;
}

// ---------------------------------------------------------------------------------------

// The server's own admission of calls, where gRPC has no knob: calls in progress in
// total, and StreamBlocks streams per connection (peer address) and in total.
class CallLimits {
 public:
  // One admitted call; gives its place back when destroyed.
  class Ticket {
   public:
    Ticket(CallLimits* owner, std::string peer, bool stream)
        : owner_(owner), peer_(std::move(peer)), stream_(stream) {}
    ~Ticket() { owner_->Release(peer_, stream_); }
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;

   private:
    CallLimits* owner_;
    std::string peer_;
    bool stream_;
  };
  using TicketPtr = std::shared_ptr<Ticket>;

  explicit CallLimits(const RpcOptions* o) : o_(o) {}

  // A call's place, or null with the refusal in *refusal.
  TicketPtr AcquireCall(grpc::Status* refusal) {
    MutexLock lock(mu_);
    if (calls_ >= o_->max_calls_total) {
      *refusal = TooManyCalls();
      return nullptr;
    }
    ++calls_;
    return std::make_shared<Ticket>(this, std::string(), /*stream=*/false);
  }

  // A StreamBlocks stream's place (it is a call too).
  TicketPtr AcquireStream(const std::string& peer, grpc::Status* refusal) {
    MutexLock lock(mu_);
    if (calls_ >= o_->max_calls_total) {
      *refusal = TooManyCalls();
      return nullptr;
    }
    auto it = streams_by_peer_.find(peer);
    const uint32_t mine = it == streams_by_peer_.end() ? 0 : it->second;
    if (streams_ >= o_->max_streams_total || mine >= o_->max_streams_per_connection) {
      const bool per_connection = mine >= o_->max_streams_per_connection;
      const uint32_t limit =
          per_connection ? o_->max_streams_per_connection : o_->max_streams_total;
      *refusal = RpcError(
          grpc::StatusCode::RESOURCE_EXHAUSTED, "TOO_MANY_STREAMS",
          std::string(per_connection ? "this connection has " : "the server has ") +
              std::to_string(per_connection ? mine : streams_) +
              " open StreamBlocks streams (limit " + std::to_string(limit) +
              "); close one or retry later",
          {{"scope", per_connection ? "connection" : "server"}, {"limit", std::to_string(limit)}});
      return nullptr;
    }
    ++calls_;
    ++streams_;
    ++streams_by_peer_[peer];
    return std::make_shared<Ticket>(this, peer, /*stream=*/true);
  }

  uint32_t calls() const {
    MutexLock lock(mu_);
    return calls_;
  }
  uint32_t streams() const {
    MutexLock lock(mu_);
    return streams_;
  }

 private:
  grpc::Status TooManyCalls() const REQUIRES(mu_) {
    return RpcError(grpc::StatusCode::RESOURCE_EXHAUSTED, "TOO_MANY_CALLS",
                    "the server has " + std::to_string(calls_) + " calls in progress (limit " +
                        std::to_string(o_->max_calls_total) + "); retry later",
                    {{"limit", std::to_string(o_->max_calls_total)}});
  }

  void Release(const std::string& peer, bool stream) {
    MutexLock lock(mu_);
    HITO_ASSERT(calls_ > 0);
    --calls_;
    if (!stream) return;
    HITO_ASSERT(streams_ > 0);
    --streams_;
    auto it = streams_by_peer_.find(peer);
    HITO_ASSERT(it != streams_by_peer_.end() && it->second > 0);
    if (--it->second == 0) streams_by_peer_.erase(it);
  }

  const RpcOptions* o_;
  mutable Mutex mu_;
  uint32_t calls_ GUARDED_BY(mu_) = 0;
  uint32_t streams_ GUARDED_BY(mu_) = 0;
  std::map<std::string, uint32_t> streams_by_peer_ GUARDED_BY(mu_);
};

// A request of an ordinary method above max_request_bytes (gRPC itself enforces the
// larger max_batch_request_bytes on every method).
grpc::Status CheckRequestSize(const google::protobuf::Message& req, const RpcOptions& o) {
  const size_t size = req.ByteSizeLong();
  if (size <= o.max_request_bytes) return grpc::Status::OK;
  return RpcError(
      grpc::StatusCode::RESOURCE_EXHAUSTED, "REQUEST_TOO_LARGE",
      "request is " + std::to_string(size) + " bytes, limit " + std::to_string(o.max_request_bytes),
      {{"max_bytes", std::to_string(o.max_request_bytes)}});
}

// What a unary handler checks first: the request's size, then a place among the calls.
// Null ticket: `refusal` says why.
CallLimits::TicketPtr AdmitCall(CallLimits* limits, const RpcOptions& o,
                                const google::protobuf::Message& req, grpc::Status* refusal) {
  *refusal = CheckRequestSize(req, o);
  if (!refusal->ok()) return nullptr;
  return limits->AcquireCall(refusal);
}

// The bytes of StreamBlocks responses handed to gRPC and not yet written, all streams
// together. A stream reserves a response's size before StartWrite and releases it at
// OnWriteDone; a reservation that does not fit (and is not the only one) fails and the
// stream waits in line until some bytes are released. Not strictly fair: a woken stream
// may find the room taken again and wait once more.
class StreamBuffer {
 public:
  using Waiter = std::weak_ptr<void>;
  explicit StreamBuffer(uint64_t cap) : cap_(cap) {}

  // True if `n` bytes were reserved; otherwise `who` waits for the next Release.
  bool TryReserve(uint64_t n, const std::shared_ptr<void>& who) {
    MutexLock lock(mu_);
    if (used_ != 0 && used_ + n > cap_) {
      bool queued = false;
      for (const Waiter& w : waiting_) {
        queued = queued || (!w.owner_before(who) && !who.owner_before(w));
      }
      if (!queued) waiting_.push_back(who);
      return false;
    }
    used_ += n;
    peak_ = std::max(peak_, used_);
    return true;
  }

  // Gives `n` bytes back; returns the waiting streams, to be woken outside any lock.
  std::vector<Waiter> Release(uint64_t n) {
    MutexLock lock(mu_);
    HITO_ASSERT(used_ >= n);
    used_ -= n;
    ++released_;
    std::vector<Waiter> wake(waiting_.begin(), waiting_.end());
    waiting_.clear();
    return wake;
  }

  uint64_t used() const {
    MutexLock lock(mu_);
    return used_;
  }
  uint64_t peak() const {
    MutexLock lock(mu_);
    return peak_;
  }
  uint64_t released() const {
    MutexLock lock(mu_);
    return released_;
  }

 private:
  const uint64_t cap_;
  mutable Mutex mu_;
  uint64_t used_ GUARDED_BY(mu_) = 0;
  uint64_t peak_ GUARDED_BY(mu_) = 0;
  uint64_t released_ GUARDED_BY(mu_) = 0;
  std::deque<Waiter> waiting_ GUARDED_BY(mu_);
};

// What every service reads: the backend, the options and the shared limits.
struct ServiceDeps {
  const RpcBackend* b;
  const RpcOptions* o;
  CallLimits* limits;
  StreamBuffer* buffer;
};

// A unary call: the size check and a place among the calls, then `handle`.
template <typename Req, typename Resp, typename Handle>
grpc::ServerUnaryReactor* Unary(const ServiceDeps& d, grpc::CallbackServerContext* ctx,
                                const Req* req, Resp* resp, Handle handle) {
  auto* r = ctx->DefaultReactor();
  grpc::Status refusal;
  CallLimits::TicketPtr ticket = AdmitCall(d.limits, *d.o, *req, &refusal);
  r->Finish(ticket ? handle(*req, resp) : refusal);
  return r;
}

// ---------------------------------------------------------------------------------------

class NodeServiceImpl final : public pb::NodeService::CallbackService {
 public:
  explicit NodeServiceImpl(ServiceDeps d) : d_(d), b_(d.b) {}

  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* ctx,
                                      const pb::GetStatusRequest* req,
                                      pb::GetStatusResponse* resp) override {
    return Unary(d_, ctx, req, resp, [this](const auto&, pb::GetStatusResponse* out) {
      chain::ChainTip tip = b_->app->Tip();
      out->set_chain_id(b_->chain_id);
      out->set_height(tip.height);
      if (tip.height > 0) out->set_block_hash(AsString(tip.block_hash));
      out->set_state_root(AsString(tip.state_root));
      out->set_time_ms(tip.time_ms);
      out->set_syncing(false);
      out->set_node_version(std::string(kNodeVersion));
      out->set_validator_address(EncodeAddress(types::AccountIdFromPublicKey(b_->validator)));
      out->set_validator_public_key(AsString(b_->validator));
      out->set_mempool_txs(b_->mempool->size());
      return grpc::Status::OK;
    });
  }

  grpc::ServerUnaryReactor* GetVersion(grpc::CallbackServerContext* ctx,
                                       const pb::GetVersionRequest* req,
                                       pb::GetVersionResponse* resp) override {
    return Unary(d_, ctx, req, resp, [this](const auto&, pb::GetVersionResponse* out) {
      out->set_node_version(std::string(kNodeVersion));
      out->set_protocol_version(kProtocolVersion);
      out->set_chain_id(b_->chain_id);
      out->set_genesis_hash(AsString(b_->genesis_hash));
      return grpc::Status::OK;
    });
  }

 private:
  ServiceDeps d_;
  const RpcBackend* b_;
};

// ---------------------------------------------------------------------------------------

class AccountServiceImpl final : public pb::AccountService::CallbackService {
 public:
  explicit AccountServiceImpl(ServiceDeps d) : d_(d), b_(d.b) {}

  grpc::ServerUnaryReactor* GetAccount(grpc::CallbackServerContext* ctx,
                                       const pb::GetAccountRequest* req,
                                       pb::GetAccountResponse* resp) override {
    return Unary(d_, ctx, req, resp, [this](const auto& q, auto* p) { return Handle(q, p); });
  }

 private:
  grpc::Status Handle(const pb::GetAccountRequest& req, pb::GetAccountResponse* resp) {
    Result<Hash32> id = DecodeAddress(req.address());
    if (!id.ok()) {
      return RpcError(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ADDRESS",
                      "address \"" + req.address() + "\": " + id.status().message());
    }
    std::shared_ptr<const store::StateView> state = b_->store->State();
    const uint64_t served = state->height();
    if (grpc::Status h = HeightRefusal(req.height(), served); !h.ok()) return h;
    ledger::Ledger l(b_->chain_id, state.get());
    Result<ledger::Account> acct = l.GetAccount(*id);
    if (!acct.ok()) return InternalRpcError(acct.status());
    resp->set_address(EncodeAddress(*id));
    resp->set_balance(acct->balance);
    resp->set_nonce(acct->nonce);
    resp->set_height(served);
    return grpc::Status::OK;
  }

  ServiceDeps d_;
  const RpcBackend* b_;
};

// ---------------------------------------------------------------------------------------

// A StreamBlocks call refused before it starts.
class RefusedStream final : public grpc::ServerWriteReactor<pb::StreamBlocksResponse> {
 public:
  explicit RefusedStream(grpc::Status s) { Finish(std::move(s)); }
  void OnDone() override { delete this; }
};

class BlockStreamReactor final : public grpc::ServerWriteReactor<pb::StreamBlocksResponse> {
 public:
  BlockStreamReactor(ServiceDeps d, CallLimits::TicketPtr ticket, uint64_t from_height)
      : d_(d), ticket_(std::move(ticket)), shared_(std::make_shared<Shared>()) {
    HITO_ASSERT(ticket_ != nullptr);
    shared_->self = this;
    MutexLock lock(shared_->mu);
    // Subscribe first, then read the tip, so no commit falls between the two.
    sub_id_ = d_.b->events->Subscribe([sh = shared_](uint64_t height) {
      MutexLock l(sh->mu);
      BlockStreamReactor* self = sh->self;
      if (self == nullptr) return;
      AssertSharedHeld(self, *sh);
      self->OnCommittedLocked(height);
    });
    latest_ = d_.b->app->Tip().height;
    next_ = from_height == 0 ? std::max<uint64_t>(latest_, 1) : from_height;
    PumpLocked();
  }

  void OnWriteDone(bool ok) override {
    std::vector<StreamBuffer::Waiter> wake;
    {
      MutexLock lock(shared_->mu);
      writing_ = false;
      wake = ReleaseHeldLocked();
      if (!ok) {
        FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "stream write failed"));
      } else {
        ++next_;
        PumpLocked();
      }
    }
    Wake(wake);
  }

  void OnCancel() override {
    MutexLock lock(shared_->mu);
    FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
  }

  void OnDone() override {
    std::vector<StreamBuffer::Waiter> wake;
    {
      MutexLock lock(shared_->mu);
      shared_->self = nullptr;
      wake = ReleaseHeldLocked();
    }
    d_.b->events->Unsubscribe(sub_id_);
    Wake(wake);
    delete this;
  }

 private:
  // Outlives the reactor (callbacks hold it); mu guards the reactor's stream state.
  struct Shared {
    Mutex mu;
    BlockStreamReactor* self GUARDED_BY(mu) = nullptr;
  };

  // `sh` is self->shared_, so holding sh.mu is holding the lock of self's members; the
  // analysis cannot follow that through the pointer, so it is checked here and declared.
  static void AssertSharedHeld(BlockStreamReactor* self, Shared& sh) REQUIRES(sh.mu)
      ASSERT_CAPABILITY(self->shared_->mu) {
    HITO_ASSERT(self->shared_.get() == &sh);
  }

  // Resumes streams that waited for buffer bytes. Called with no stream's lock held.
  static void Wake(const std::vector<StreamBuffer::Waiter>& waiters) {
    for (const StreamBuffer::Waiter& w : waiters) {
      auto sh = std::static_pointer_cast<Shared>(w.lock());
      if (!sh) continue;
      MutexLock lock(sh->mu);
      BlockStreamReactor* self = sh->self;
      if (self == nullptr) continue;
      AssertSharedHeld(self, *sh);
      self->parked_ = false;
      self->PumpLocked();
    }
  }

  void OnCommittedLocked(uint64_t height) REQUIRES(shared_->mu) {
    latest_ = std::max(latest_, height);
    if (finished_) return;
    if (live_ && latest_ >= next_ && latest_ - next_ + 1 > d_.o->stream_max_lag_blocks) {
      FinishTooSlowLocked("fell " + std::to_string(latest_ - next_ + 1) + " blocks behind (limit " +
                          std::to_string(d_.o->stream_max_lag_blocks) + ")");
      return;
    }
    // A response stuck in flight holds buffer bytes other streams wait for (backfill or
    // live): a subscriber that stopped reading gives them back.
    const auto write_limit = std::chrono::milliseconds(d_.o->stream_write_timeout_ms);
    if (writing_ && std::chrono::steady_clock::now() - write_started_ > write_limit) {
      FinishTooSlowLocked("did not take a response within " +
                          std::to_string(d_.o->stream_write_timeout_ms) + " ms");
      return;
    }
    PumpLocked();
  }

  void FinishTooSlowLocked(const std::string& why) REQUIRES(shared_->mu) {
    FinishLocked(RpcError(grpc::StatusCode::RESOURCE_EXHAUSTED, "SUBSCRIBER_TOO_SLOW",
                          "subscriber " + why + "; resume from the last block received + 1",
                          {{"next_height", std::to_string(next_)}}));
  }

  // Starts the next write if there is a block to send and buffer room for it. One response
  // at most is in flight; a parked stream reads nothing until it is woken.
  void PumpLocked() REQUIRES(shared_->mu) {
    if (finished_ || writing_ || parked_) return;
    if (next_ > latest_) {
      live_ = true;  // caught up: from now on the lag is bounded
      return;
    }
    resp_ = pb::StreamBlocksResponse();  // a fresh message: no capacity kept from the last
    Status s = FillBlock(*d_.b->store, next_, &resp_);
    if (!s.ok()) {
      FinishLocked(s.code() == StatusCode::kNotFound
                       ? RpcError(grpc::StatusCode::NOT_FOUND, "BLOCK_NOT_FOUND", s.message())
                       : InternalRpcError(s));
      return;
    }
    const uint64_t size = resp_.ByteSizeLong();
    if (!d_.buffer->TryReserve(size, shared_)) {
      resp_ = pb::StreamBlocksResponse();
      parked_ = true;
      return;
    }
    held_ = size;
    writing_ = true;
    write_started_ = std::chrono::steady_clock::now();
    StartWrite(&resp_);
  }

  std::vector<StreamBuffer::Waiter> ReleaseHeldLocked() REQUIRES(shared_->mu) {
    if (held_ == 0) return {};
    resp_ = pb::StreamBlocksResponse();
    std::vector<StreamBuffer::Waiter> wake = d_.buffer->Release(held_);
    held_ = 0;
    return wake;
  }

  void FinishLocked(grpc::Status s) REQUIRES(shared_->mu) {
    if (finished_) return;
    finished_ = true;
    Finish(std::move(s));
  }

  ServiceDeps d_;
  CallLimits::TicketPtr ticket_;  // this stream's place, given back when it is destroyed
  std::shared_ptr<Shared> shared_;
  uint64_t sub_id_ = 0;
  uint64_t latest_ GUARDED_BY(shared_->mu) = 0;
  uint64_t next_ GUARDED_BY(shared_->mu) = 1;
  // Bytes of resp_ reserved in the StreamBuffer while writing.
  uint64_t held_ GUARDED_BY(shared_->mu) = 0;
  std::chrono::steady_clock::time_point write_started_ GUARDED_BY(shared_->mu){};
  bool writing_ GUARDED_BY(shared_->mu) = false;
  bool finished_ GUARDED_BY(shared_->mu) = false;
  bool live_ GUARDED_BY(shared_->mu) = false;
  bool parked_ GUARDED_BY(shared_->mu) = false;  // waiting for StreamBuffer room
  pb::StreamBlocksResponse resp_ GUARDED_BY(shared_->mu);
};

class BlockServiceImpl final : public pb::BlockService::CallbackService {
 public:
  explicit BlockServiceImpl(ServiceDeps d) : d_(d), b_(d.b) {}

  grpc::ServerUnaryReactor* GetBlock(grpc::CallbackServerContext* ctx,
                                     const pb::GetBlockRequest* req,
                                     pb::GetBlockResponse* resp) override {
    return Unary(d_, ctx, req, resp, [this](const auto& q, auto* p) { return Handle(q, p); });
  }

  grpc::ServerWriteReactor<pb::StreamBlocksResponse>* StreamBlocks(
      grpc::CallbackServerContext* ctx, const pb::StreamBlocksRequest* req) override {
    grpc::Status refusal = CheckRequestSize(*req, *d_.o);
    CallLimits::TicketPtr ticket;
    if (refusal.ok()) ticket = d_.limits->AcquireStream(ctx->peer(), &refusal);
    if (!ticket) return new RefusedStream(std::move(refusal));
    return new BlockStreamReactor(d_, std::move(ticket), req->from_height());
  }

 private:
  grpc::Status Handle(const pb::GetBlockRequest& req, pb::GetBlockResponse* resp) {
    uint64_t height = 0;
    if (req.selector_case() == pb::GetBlockRequest::kHash) {
      Result<Hash32> hash = HashFromRequest(req.hash(), "hash");
      if (!hash.ok()) return InvalidHash(hash.status());
      Result<std::optional<uint64_t>> h = b_->store->GetHeightByHash(*hash);
      if (!h.ok()) return InternalRpcError(h.status());
      if (!h->has_value()) {
        return RpcError(grpc::StatusCode::NOT_FOUND, "BLOCK_NOT_FOUND",
                        "no block with hash " + HexEncode(*hash));
      }
      height = **h;
    } else {
      height = req.height();
      uint64_t latest = b_->app->Tip().height;
      if (height == 0) height = latest;
      if (height == 0) {
        return RpcError(grpc::StatusCode::NOT_FOUND, "BLOCK_NOT_FOUND", "no block committed yet");
      }
      if (height > latest) {
        return RpcError(grpc::StatusCode::NOT_FOUND, "BLOCK_NOT_FOUND",
                        "no block at height " + std::to_string(height) + " (latest " +
                            std::to_string(latest) + ")",
                        {{"latest_height", std::to_string(latest)}});
      }
    }
    Status s = FillBlock(*b_->store, height, resp);
    if (s.code() == StatusCode::kNotFound) {
      return RpcError(grpc::StatusCode::NOT_FOUND, "BLOCK_NOT_FOUND", s.message());
    }
    if (!s.ok()) return InternalRpcError(s);
    return grpc::Status::OK;
  }

  ServiceDeps d_;
  const RpcBackend* b_;
};

// ---------------------------------------------------------------------------------------

class TxServiceImpl final : public pb::TxService::CallbackService {
 public:
  explicit TxServiceImpl(ServiceDeps d) : d_(d), b_(d.b), o_(d.o) {}

  grpc::ServerUnaryReactor* SubmitTransaction(grpc::CallbackServerContext* ctx,
                                              const pb::SubmitTransactionRequest* req,
                                              pb::SubmitTransactionResponse* resp) override {
    auto* r = ctx->DefaultReactor();
    grpc::Status refusal;
    CallLimits::TicketPtr ticket = AdmitCall(d_.limits, *o_, *req, &refusal);
    if (!ticket) {
      r->Finish(refusal);
      return r;
    }
    mempool::AdmitOutcome o = b_->mempool->Admit(AsBytes(req->tx_bytes()));
    if (!o.ok()) {
      r->Finish(TxRefusal(o));
      return r;
    }
    Relay(o);
    resp->set_tx_hash(AsString(o.hash));
    r->Finish(grpc::Status::OK);
    return r;
  }

  grpc::ServerUnaryReactor* SubmitTransactions(grpc::CallbackServerContext* ctx,
                                               const pb::SubmitTransactionsRequest* req,
                                               pb::SubmitTransactionsResponse* resp) override {
    auto* r = ctx->DefaultReactor();
    // Its size limit is gRPC's receive limit (max_batch_request_bytes).
    grpc::Status refusal;
    CallLimits::TicketPtr ticket = d_.limits->AcquireCall(&refusal);
    if (!ticket) {
      r->Finish(refusal);
      return r;
    }
    const int n = req->txs_size();
    if (n == 0) {
      r->Finish(RpcError(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT",
                         "txs: the batch is empty"));
      return r;
    }
    if (n > kMaxSubmitBatch) {
      r->Finish(RpcError(grpc::StatusCode::INVALID_ARGUMENT, "BATCH_TOO_LARGE",
                         "txs: " + std::to_string(n) + " transactions, at most " +
                             std::to_string(kMaxSubmitBatch) + " per call",
                         {{"max_batch", std::to_string(kMaxSubmitBatch)}}));
      return r;
    }
    std::vector<ByteView> views;
    views.reserve(static_cast<size_t>(n));
    for (const std::string& tx : req->txs()) views.push_back(AsBytes(tx));
    std::vector<mempool::AdmitOutcome> outs = b_->mempool->AdmitBatch(views);
    uint32_t accepted = 0;
    resp->mutable_results()->Reserve(n);
    for (const mempool::AdmitOutcome& o : outs) {
      FillResult(o, resp->add_results());
      if (o.ok()) {
        ++accepted;
        Relay(o);
      }
    }
    resp->set_accepted(accepted);
    r->Finish(grpc::Status::OK);
    return r;
  }

  grpc::ServerUnaryReactor* SubmitTransactionAndWait(
      grpc::CallbackServerContext* ctx, const pb::SubmitTransactionAndWaitRequest* req,
      pb::SubmitTransactionAndWaitResponse* resp) override {
    auto* r = ctx->DefaultReactor();
    grpc::Status refusal;
    // Held until the waiter fires: a parked call counts against the total.
    CallLimits::TicketPtr ticket = AdmitCall(d_.limits, *o_, *req, &refusal);
    if (!ticket) {
      r->Finish(refusal);
      return r;
    }
    const Hash32 hash = types::TransactionHash(AsBytes(req->tx_bytes()));
    // Deadline: the client's, capped server-side.
    using Steady = std::chrono::steady_clock;
    auto cap = Steady::now() + std::chrono::milliseconds(o_->wait_cap_ms);
    auto client_left = ctx->deadline() - std::chrono::system_clock::now();
    auto deadline = cap;
    if (client_left < std::chrono::milliseconds(o_->wait_cap_ms)) {
      deadline = Steady::now() + std::chrono::duration_cast<Steady::duration>(client_left);
    }
    // Register before admission so that a fast commit is not missed.
    uint64_t id = b_->events->AddTxWaiter(
        hash, deadline, [r, resp, hash, deadline, ticket](std::optional<store::TxLocation> loc) {
          if (!loc) {
            if (Steady::now() < deadline) {
              r->Finish(RpcError(grpc::StatusCode::UNAVAILABLE, "NODE_SHUTTING_DOWN",
                                 "node is shutting down; the transaction may still commit",
                                 {{"tx_hash", HexEncode(hash)}}));
            } else {
              r->Finish(RpcError(grpc::StatusCode::DEADLINE_EXCEEDED, "TX_WAIT_TIMEOUT",
                                 "not committed before the deadline; it may still commit",
                                 {{"tx_hash", HexEncode(hash)}}));
            }
            return;
          }
          resp->set_tx_hash(AsString(hash));
          resp->set_height(loc->height);
          resp->set_index(loc->index);
          resp->set_result_code(loc->code);
          resp->set_result_name(ResultName(loc->code));
          resp->set_result_message(loc->message);
          r->Finish(grpc::Status::OK);
        });
    if (id == 0) {
      r->Finish(RpcError(grpc::StatusCode::RESOURCE_EXHAUSTED, "TOO_MANY_WAITERS",
                         "too many SubmitTransactionAndWait calls in progress; retry or use "
                         "SubmitTransaction"));
      return r;
    }
    mempool::AdmitOutcome o = b_->mempool->Admit(AsBytes(req->tx_bytes()));
    if (o.ok()) Relay(o);
    if (!o.ok()) {
      // Finish here unless the waiter already fired (the commit raced the refusal).
      if (b_->events->RemoveTxWaiter(id)) r->Finish(TxRefusal(o));
    }
    return r;
  }

  grpc::ServerUnaryReactor* GetTransaction(grpc::CallbackServerContext* ctx,
                                           const pb::GetTransactionRequest* req,
                                           pb::GetTransactionResponse* resp) override {
    return Unary(d_, ctx, req, resp, [this](const auto& q, auto* p) { return HandleGet(q, p); });
  }

 private:
  void Relay(const mempool::AdmitOutcome& o) {
    if (b_->relay != nullptr && o.admitted) b_->relay->Relay(o.admitted);
  }

  grpc::Status HandleGet(const pb::GetTransactionRequest& req, pb::GetTransactionResponse* resp) {
    Result<Hash32> hash = HashFromRequest(req.tx_hash(), "tx_hash");
    if (!hash.ok()) return InvalidHash(hash.status());
    resp->set_tx_hash(req.tx_hash());
    b_->mempool->Expire();  // so a transaction past its TTL reads as expired, not pending
    if (auto ptx = b_->mempool->Get(*hash)) {
      resp->set_status(pb::TX_STATUS_PENDING);
      resp->set_tx_bytes(AsString(ptx->bytes));
      FillTxView(ptx->tx, resp->mutable_tx());
      return grpc::Status::OK;
    }
    Result<std::optional<store::TxLocation>> loc = b_->store->GetTx(*hash);
    if (!loc.ok()) return InternalRpcError(loc.status());
    if (!loc->has_value()) {
      if (std::optional<mempool::DropReason> dropped = b_->mempool->DroppedReason(*hash)) {
        // Left the pool uncommitted: the bytes are gone, the submitter learns why.
        const bool evicted = *dropped == mempool::DropReason::kEvicted;
        resp->set_status(evicted ? pb::TX_STATUS_EVICTED : pb::TX_STATUS_EXPIRED);
        resp->set_result_name(evicted ? "EVICTED" : "EXPIRED");
        resp->set_result_message(
            evicted ? "displaced from the full mempool by a higher-fee transaction; resubmit, "
                      "with a higher fee to be sure"
                    : "pending longer than the mempool's TTL (or an earlier nonce of its sender "
                      "was); resubmit");
        return grpc::Status::OK;
      }
      return RpcError(grpc::StatusCode::NOT_FOUND, "TX_NOT_FOUND",
                      "no pending or committed transaction " + HexEncode(*hash));
    }
    const store::TxLocation& l = **loc;
    resp->set_status(pb::TX_STATUS_COMMITTED);
    resp->set_tx_bytes(AsString(l.tx_bytes));
    Result<types::Transaction> tx = types::DecodeTransaction(l.tx_bytes);
    if (tx.ok()) FillTxView(*tx, resp->mutable_tx());
    resp->set_height(l.height);
    resp->set_index(l.index);
    resp->set_result_code(l.code);
    resp->set_result_name(ResultName(l.code));
    resp->set_result_message(l.message);
    return grpc::Status::OK;
  }

  ServiceDeps d_;
  const RpcBackend* b_;
  const RpcOptions* o_;
};

// ---------------------------------------------------------------------------------------

// A method of PersonhoodService, UbiService or GovernanceService: the handler of the same
// name of `rpc_` (PersonhoodRpc or GovernanceRpc).
#define HITO_RPC_UNARY(Method)                                                                 \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* ctx,                           \
                                   const pb::Method##Request* req, pb::Method##Response* resp) \
      override {                                                                               \
    return Unary(d_, ctx, req, resp,                                                           \
                 [this](const auto& q, auto* p) { return rpc_->Method(q, p); });               \
  }

class PersonhoodServiceImpl final : public pb::PersonhoodService::CallbackService {
 public:
  PersonhoodServiceImpl(ServiceDeps d, PersonhoodRpc* rpc) : d_(d), rpc_(rpc) {}
  HITO_RPC_UNARY(GetRegistry)
  HITO_RPC_UNARY(GetIdentity)
  HITO_RPC_UNARY(ListSnapshotMembers)
  HITO_RPC_UNARY(ListAttesters)

 private:
  ServiceDeps d_;
  PersonhoodRpc* rpc_;
};

class UbiServiceImpl final : public pb::UbiService::CallbackService {
 public:
  UbiServiceImpl(ServiceDeps d, PersonhoodRpc* rpc) : d_(d), rpc_(rpc) {}
  HITO_RPC_UNARY(GetUbiParams)
  HITO_RPC_UNARY(GetEpoch)
  HITO_RPC_UNARY(GetNullifier)
  HITO_RPC_UNARY(GetSupply)
  HITO_RPC_UNARY(GetEpochClaims)

 private:
  ServiceDeps d_;
  PersonhoodRpc* rpc_;
};

class GovernanceServiceImpl final : public pb::GovernanceService::CallbackService {
 public:
  GovernanceServiceImpl(ServiceDeps d, const GovernanceRpc* rpc) : d_(d), rpc_(rpc) {}
  HITO_RPC_UNARY(GetGovernance)
  HITO_RPC_UNARY(ListProposals)

 private:
  ServiceDeps d_;
  const GovernanceRpc* rpc_;
};

class DedupServiceImpl final : public pb::DedupService::CallbackService {
 public:
  DedupServiceImpl(ServiceDeps d, DedupRpc* rpc) : d_(d), rpc_(rpc) {}
  grpc::ServerUnaryReactor* Evaluate(grpc::CallbackServerContext* ctx,
                                     const pb::DedupEvaluateRequest* req,
                                     pb::DedupEvaluateResponse* resp) override {
    return Unary(d_, ctx, req, resp,
                 [this](const auto& q, auto* p) { return rpc_->Evaluate(q, p); });
  }
  grpc::ServerUnaryReactor* GetKeys(grpc::CallbackServerContext* ctx,
                                    const pb::GetDedupKeysRequest* req,
                                    pb::GetDedupKeysResponse* resp) override {
    return Unary(d_, ctx, req, resp,
                 [this](const auto& q, auto* p) { return rpc_->GetKeys(q, p); });
  }
  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* ctx,
                                      const pb::GetDedupStatusRequest* req,
                                      pb::GetDedupStatusResponse* resp) override {
    return Unary(d_, ctx, req, resp,
                 [this](const auto& q, auto* p) { return rpc_->GetStatus(q, p); });
  }

 private:
  ServiceDeps d_;
  DedupRpc* rpc_;
};

#undef HITO_RPC_UNARY

}  // namespace

struct RpcServer::Services {
  RpcBackend backend;
  RpcOptions options;
  CallLimits limits{&options};
  StreamBuffer buffer{options.stream_buffer_bytes_max};
  ServiceDeps deps{&backend, &options, &limits, &buffer};
  NodeServiceImpl node{deps};
  AccountServiceImpl account{deps};
  BlockServiceImpl block{deps};
  TxServiceImpl tx{deps};
  PersonhoodRpc personhood_rpc{backend.chain_id, backend.store};
  PersonhoodServiceImpl personhood{deps, &personhood_rpc};
  UbiServiceImpl ubi{deps, &personhood_rpc};
  GovernanceRpc governance_rpc{backend.chain_id, backend.store};
  GovernanceServiceImpl governance{deps, &governance_rpc};
  DedupRpc dedup_rpc{backend.chain_id, backend.store, backend.dedup_keyring};
  DedupServiceImpl dedup{deps, &dedup_rpc};
  Services(RpcBackend b, RpcOptions o) : backend(std::move(b)), options(o) {}
};

RpcLoad RpcServer::Load() const {
  RpcLoad load;
  load.calls = services_->limits.calls();
  load.streams = services_->limits.streams();
  load.stream_buffered_bytes = services_->buffer.used();
  load.stream_buffered_bytes_peak = services_->buffer.peak();
  load.stream_responses_done = services_->buffer.released();
  return load;
}

uint64_t RpcServer::dedup_evaluations() const { return services_->dedup_rpc.evaluations_total(); }
uint64_t RpcServer::dedup_refused() const { return services_->dedup_rpc.refused_total(); }

DedupMetrics RpcServer::dedup_metrics() const {
  const DedupRpc& d = services_->dedup_rpc;
  DedupMetrics m;
  m.evaluations_since_start = d.evaluations_total();
  m.refusals_since_start = d.refused_total();
  pb::GetDedupStatusResponse st;
  const grpc::Status s = d.GetStatus(pb::GetDedupStatusRequest(), &st);
  // FAILED_PRECONDITION is GetStatus's DEDUP_DISABLED (no key set); any other error (the
  // state unreadable) leaves the chain's key set reported but no counts.
  m.enabled = s.ok() || s.error_code() != grpc::StatusCode::FAILED_PRECONDITION;
  if (!s.ok()) return m;
  m.share_index = st.index();
  m.quota_per_epoch = st.quota_per_epoch();
  m.epoch = st.epoch();
  for (const pb::DedupAttesterCount& c : st.attesters()) {
    Ed25519PublicKey key{};
    HITO_ASSERT(c.attester().size() == key.size());
    std::copy(c.attester().begin(), c.attester().end(), key.begin());
    m.attesters[key] = {c.evaluations(), c.refused_quota()};
  }
  return m;
}

Result<std::unique_ptr<RpcServer>> RpcServer::Start(const std::string& address, RpcBackend backend,
                                                    RpcOptions options) {
  // Debian's abseil runs absl::Mutex (gRPC's lock) with deadlock-cycle detection: a
  // graph update on every lock, ~3% of the node's CPU under load (perf, docs/perf/
  // node.md). gRPC does not rely on it; our own locks are hito::Mutex (a std::mutex).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::unique_ptr<RpcServer> server(new RpcServer());
  server->services_ = std::make_unique<Services>(std::move(backend), options);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &server->port_);
  // gRPC's receive limit is the largest any method takes; the smaller limit of the other
  // methods is checked in their handlers (gRPC has no per-method server limit).
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_batch_request_bytes));
  builder.SetMaxSendMessageSize(-1);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             static_cast<int>(options.max_calls_per_connection));
  grpc::ResourceQuota quota("hito-rpc");
  quota.Resize(static_cast<size_t>(options.transport_memory_bytes));
  builder.SetResourceQuota(quota);
  builder.RegisterService(&server->services_->node);
  builder.RegisterService(&server->services_->account);
  builder.RegisterService(&server->services_->block);
  builder.RegisterService(&server->services_->tx);
  builder.RegisterService(&server->services_->personhood);
  builder.RegisterService(&server->services_->ubi);
  builder.RegisterService(&server->services_->governance);
  builder.RegisterService(&server->services_->dedup);
  server->server_ = builder.BuildAndStart();
  if (!server->server_ || server->port_ == 0) {
    return UnavailableError("cannot listen on " + address + " (in use or invalid)");
  }
  return server;
}

void RpcServer::Shutdown() {
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server_->Wait();
  }
}

RpcServer::~RpcServer() {
  Shutdown();
  server_.reset();
}

}  // namespace hito::node::rpc
