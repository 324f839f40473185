// The public gRPC server: NodeService, BlockService, TxService, AccountService
// (proto/hito/v1), plus grpc.health.v1 and server reflection.
//
// SubmitTransaction, SubmitTransactions and SubmitTransactionAndWait hand every admitted
// transaction to the backend's TxRelay (tx gossip), if there is one.
//
// Services use gRPC's callback API: no thread is parked per call. SubmitTransactionAndWait
// registers a one-shot waiter in CommitEvents and finishes when the block including the
// transaction commits, or at min(client deadline, wait cap). StreamBlocks reads committed
// blocks from the store in order (backfill, then live as CommitEvents reports commits);
// once live, a subscriber more than stream_max_lag_blocks behind is ended with
// RESOURCE_EXHAUSTED / SUBSCRIBER_TOO_SLOW. Handlers only read: the store and mempool
// are thread-safe.
#ifndef HITO_NODE_RPC_SERVER_H_
#define HITO_NODE_RPC_SERVER_H_

#include <memory>
#include <string>

#include "base/ed25519.h"
#include "base/status.h"
#include "node/chain/application.h"
#include "node/chain/commit_events.h"
#include "node/mempool/mempool.h"
#include "node/mempool/tx_relay.h"
#include "node/store/store.h"

namespace grpc {
class Server;
}  // namespace grpc

namespace hito::node {

// What the handlers read. Pointers are not owned and must outlive the server.
struct RpcBackend {
  std::string chain_id;
  Hash32 genesis_hash{};
  Ed25519PublicKey validator{};
  Store* store = nullptr;
  Mempool* mempool = nullptr;
  CommitEvents* events = nullptr;
  const Application* app = nullptr;
  // Where admitted client transactions are gossiped (null: single validator, no peers).
  TxRelay* relay = nullptr;
};

// SubmitTransactions takes at most this many transactions per call.
inline constexpr int kMaxSubmitBatch = 1000;

struct RpcOptions {
  uint32_t stream_max_lag_blocks = 256;  // a live subscriber's bounded queue
  uint32_t wait_cap_ms = 30'000;         // server-side cap of SubmitTransactionAndWait
  // A SubmitTransactions batch of kMaxSubmitBatch transfers (~200 bytes each) fits easily.
  int max_receive_bytes = 4 * 1024 * 1024;
};

class RpcServer {
 public:
  // Listens on `address` ("host:port"; port 0 picks a free one) and serves.
  static Result<std::unique_ptr<RpcServer>> Start(const std::string& address, RpcBackend backend,
                                                  RpcOptions options);
  ~RpcServer();

  int port() const { return port_; }
  // Stops accepting calls; ends open streams within a short grace period.
  void Shutdown();

 private:
  struct Services;
  RpcServer() = default;
  int port_ = 0;
  std::unique_ptr<Services> services_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace hito::node

#endif  // HITO_NODE_RPC_SERVER_H_
