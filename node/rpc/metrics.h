// The node's metrics in the Prometheus text exposition format (version 0.0.4), as served
// by the metrics endpoint (metrics_http.h; docs/operator.md, "Metrics", lists every metric).
//
// Two steps, so that the format is tested apart from the node: GatherMetrics reads one
// MetricsSnapshot from the node's parts (thread-safe: each part it reads is), and
// RenderMetrics turns a snapshot into text, a pure function whose output depends only on
// the snapshot (families in a fixed order, attesters in byte order of their keys).
//
// The dedup counts per attester are those of the current epoch: DedupService forgets them
// when an epoch starts, so they are gauges (they fall), not counters. The totals since the
// node started are counters.
#ifndef HITO_NODE_RPC_METRICS_H_
#define HITO_NODE_RPC_METRICS_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/ed25519.h"
#include "base/status.h"

namespace hito::node {
namespace store {
class Store;
}  // namespace store
namespace mempool {
class Mempool;
}  // namespace mempool
namespace chain {
class Application;
}  // namespace chain
namespace p2p {
class PeerNetwork;
}  // namespace p2p
}  // namespace hito::node

namespace hito::node::rpc {

class RpcServer;

// One attester's DedupService counts in the current epoch, at this node.
struct DedupAttesterMetrics {
  uint32_t evaluations = 0;    // answered
  uint32_t refused_quota = 0;  // refused because its quota of the epoch was used up
};

struct DedupMetrics {
  bool enabled = false;      // the chain holds a dedup key set
  uint32_t share_index = 0;  // this node's share of it (0: it holds none)
  uint32_t quota_per_epoch = 0;
  uint64_t epoch = 0;  // the epoch `attesters` counts
  std::map<Ed25519PublicKey, DedupAttesterMetrics> attesters;
  // Since the node started; refusals of every reason.
  uint64_t evaluations_since_start = 0;
  uint64_t refusals_since_start = 0;
};

struct MetricsSnapshot {
  std::string node_version;
  std::string chain_id;
  uint64_t height = 0;         // latest committed height
  uint64_t epoch = 0;          // its epoch
  uint64_t block_time_ms = 0;  // its block time (genesis time at height 0)
  uint64_t mempool_txs = 0;
  uint64_t mempool_bytes = 0;
  uint32_t peers_inbound = 0;
  uint32_t peers_outbound = 0;
  uint32_t rpc_calls = 0;    // public gRPC calls in progress
  uint32_t rpc_streams = 0;  // open StreamBlocks streams
  DedupMetrics dedup;
};

// The parts a snapshot is read from; `store` is required. Not owned. A null part reads as
// zero (no peer network on a single-validator chain: no peers).
struct MetricsSources {
  std::string chain_id;
  const store::Store* store = nullptr;
  const chain::Application* app = nullptr;
  const mempool::Mempool* mempool = nullptr;
  const RpcServer* rpc = nullptr;
  const p2p::PeerNetwork* network = nullptr;
};

// Reads the sources. An error only when the committed state cannot be read.
Result<MetricsSnapshot> GatherMetrics(const MetricsSources& sources);

// The exposition text, ending in a newline.
std::string RenderMetrics(const MetricsSnapshot& snapshot);

// The format's escapes: in a label value a backslash, a double quote and a newline; in a
// HELP text a backslash and a newline.
std::string EscapeLabelValue(std::string_view value);
std::string EscapeHelp(std::string_view text);

// The Content-Type of the text.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace hito::node::rpc

#endif  // HITO_NODE_RPC_METRICS_H_
