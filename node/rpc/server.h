// The public gRPC server: NodeService, BlockService, TxService, AccountService,
// PersonhoodService, UbiService, GovernanceService and DedupService (proto/hito/v1;
// handlers of PersonhoodService and UbiService in node/rpc/personhood.h, of
// GovernanceService in node/rpc/governance.h, of DedupService in node/rpc/dedup.h), plus
// grpc.health.v1 and server reflection.
//
// SubmitTransaction, SubmitTransactions and SubmitTransactionAndWait hand every admitted
// transaction to the backend's TxRelay (tx gossip), if there is one.
//
// Services use gRPC's callback API: no thread is parked per call. SubmitTransactionAndWait
// registers a one-shot waiter in CommitEvents and finishes when the block including the
// transaction commits, or at min(client deadline, wait cap). StreamBlocks reads committed
// blocks from the store in order (backfill, then live as CommitEvents reports commits);
// once live, a subscriber more than stream_max_lag_blocks behind, or (backfill or live)
// one whose response stayed in flight longer than stream_write_timeout_ms, is ended with
// RESOURCE_EXHAUSTED / SUBSCRIBER_TOO_SLOW. Handlers only read: the store and mempool
// are thread-safe.
//
// Limits (docs/api.md, "Limits"): a request of any method is at most max_request_bytes
// except SubmitTransactions (max_batch_request_bytes, which is gRPC's own receive limit);
// each connection may have max_calls_per_connection calls open (HTTP/2
// MAX_CONCURRENT_STREAMS: a client's further calls wait on its side) and the server
// max_calls_total (our counter: RESOURCE_EXHAUSTED / TOO_MANY_CALLS); StreamBlocks streams
// are capped per connection and in total (TOO_MANY_STREAMS). Every stream has at most one
// response in flight, and all streams together at most stream_buffer_bytes_max bytes of
// responses handed to gRPC and not yet written (one response alone may exceed it): a
// stream that would go over waits, reading nothing from the store, until bytes are
// written. gRPC's ResourceQuota bounds the memory of the transports.
#ifndef HITO_NODE_RPC_SERVER_H_
#define HITO_NODE_RPC_SERVER_H_

#include <memory>
#include <string>

#include "base/ed25519.h"
#include "base/status.h"
#include "node/chain/application.h"
#include "node/chain/commit_events.h"
#include "node/dedup/keyring.h"
#include "node/mempool/mempool.h"
#include "node/mempool/tx_relay.h"
#include "node/rpc/metrics.h"
#include "node/store/store.h"
#include "zk/oprf.h"

namespace grpc {
class Server;
}  // namespace grpc

namespace hito::node::rpc {

// What the handlers read. Pointers are not owned and must outlive the server.
struct RpcBackend {
  std::string chain_id;
  Hash32 genesis_hash{};
  Ed25519PublicKey validator{};
  store::Store* store = nullptr;
  mempool::Mempool* mempool = nullptr;
  chain::CommitEvents* events = nullptr;
  const chain::Application* app = nullptr;
  // Where admitted client transactions are gossiped (null: single validator, no peers).
  mempool::TxRelay* relay = nullptr;
  // The chain's dedup key set and this validator's secret share of it, for DedupService
  // (not owned; null: DedupService answers DEDUP_DISABLED).
  const dedup::DedupKeyring* dedup_keyring = nullptr;
};

// SubmitTransactions takes at most this many transactions per call.
inline constexpr int kMaxSubmitBatch = 1000;

struct RpcOptions {
  uint32_t stream_max_lag_blocks = 256;  // a live subscriber's bounded queue
  // A stream whose response stays in flight longer (checked at each commit) is ended.
  uint32_t stream_write_timeout_ms = 30'000;
  uint32_t wait_cap_ms = 30'000;  // server-side cap of SubmitTransactionAndWait
  // Every method but SubmitTransactions: a transaction is at most 64 KiB.
  uint32_t max_request_bytes = 1024 * 1024;
  // SubmitTransactions: kMaxSubmitBatch transfers of the largest size (~600 bytes) fit
  // with room to spare, or 60 transactions of 64 KiB.
  uint32_t max_batch_request_bytes = 4 * 1024 * 1024;
  uint32_t max_calls_per_connection = 256;
  uint32_t max_calls_total = 4096;
  uint32_t max_streams_per_connection = 16;
  uint32_t max_streams_total = 256;
  uint64_t stream_buffer_bytes_max = 64ull * 1024 * 1024;
  // gRPC's memory quota for the server's transports (read buffers, frames).
  uint64_t transport_memory_bytes = 1024ull * 1024 * 1024;
};

// What the server holds now, for tests and metrics.
struct RpcLoad {
  uint32_t calls = 0;                       // calls being handled or parked (waiters, streams)
  uint32_t streams = 0;                     // open StreamBlocks streams
  uint64_t stream_buffered_bytes = 0;       // stream responses handed to gRPC, not yet written
  uint64_t stream_buffered_bytes_peak = 0;  // the most ever held at once
  uint64_t stream_responses_done = 0;       // stream writes completed (or failed)
};

class RpcServer {
 public:
  // Listens on `address` ("host:port"; port 0 picks a free one) and serves.
  static Result<std::unique_ptr<RpcServer>> Start(const std::string& address, RpcBackend backend,
                                                  RpcOptions options);
  ~RpcServer();

  int port() const { return port_; }
  RpcLoad Load() const;
  // DedupService's totals since start: evaluations answered and refused.
  uint64_t dedup_evaluations() const;
  uint64_t dedup_refused() const;
  // DedupService's view for the metrics endpoint: whether the chain has a key set, this
  // node's share index, the quota, the current epoch's counts per attester and the totals.
  DedupMetrics dedup_metrics() const;
  // Stops accepting calls; ends open streams within a short grace period.
  void Shutdown();

 private:
  struct Services;
  RpcServer() = default;
  int port_ = 0;
  std::unique_ptr<Services> services_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace hito::node::rpc

#endif  // HITO_NODE_RPC_SERVER_H_
