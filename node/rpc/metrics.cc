#include "node/rpc/metrics.h"

#include <initializer_list>
#include <memory>
#include <utility>

#include "base/assert.h"
#include "base/hex.h"
#include "consensus/ledger/ledger.h"
#include "node/chain/application.h"
#include "node/mempool/mempool.h"
#include "node/p2p/peer_network.h"
#include "node/rpc/server.h"
#include "node/store/store.h"
#include "node/version.h"

namespace hito::node::rpc {
namespace {

namespace ledger = consensus::ledger;

using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

// Writes families one after the other. The format wants every sample of a family right
// after its HELP and TYPE lines, so a sample must name the family opened last.
class Exposition {
 public:
  void Family(std::string_view name, std::string_view type, std::string_view help) {
    HITO_ASSERT(!name.empty());
    HITO_ASSERT(type == "gauge" || type == "counter");
    family_ = name;
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += EscapeHelp(help);
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  void Sample(Labels labels, std::string_view value) {
    HITO_ASSERT(!family_.empty());
    HITO_ASSERT(!value.empty());
    out_ += family_;
    if (labels.size() > 0) {
      out_ += '{';
      bool first = true;
      for (const auto& [name, v] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += name;
        out_ += "=\"";
        out_ += EscapeLabelValue(v);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }
  void Sample(Labels labels, uint64_t value) { Sample(labels, std::to_string(value)); }
  void Sample(uint64_t value) { Sample({}, std::to_string(value)); }

  // One family of a single unlabelled sample.
  void Gauge(std::string_view name, std::string_view help, uint64_t value) {
    Family(name, "gauge", help);
    Sample(value);
  }

  std::string Take() { return std::move(out_); }

 private:
  std::string family_;
  std::string out_;
};

// Milliseconds as decimal seconds with three decimals (Prometheus's unit is the second).
std::string Seconds(uint64_t ms) {
  std::string frac = std::to_string(ms % 1000);
  return std::to_string(ms / 1000) + "." + std::string(3 - frac.size(), '0') + frac;
}

void RenderChain(const MetricsSnapshot& s, Exposition* e) {
  e->Family("hito_node_info", "gauge", "Always 1; labels: the node's version and chain id.");
  e->Sample({{"chain_id", s.chain_id}, {"version", s.node_version}}, 1);
  e->Gauge("hito_chain_height", "Latest committed height.", s.height);
  e->Gauge("hito_chain_epoch", "Epoch of the latest committed height.", s.epoch);
  e->Family("hito_chain_block_time_seconds", "gauge",
            "Block time of the latest committed block (Unix seconds; genesis time at height "
            "0). Compare with time() to see a stalled chain.");
  e->Sample({}, Seconds(s.block_time_ms));
  e->Gauge("hito_mempool_transactions", "Transactions pending in the mempool.", s.mempool_txs);
  e->Gauge("hito_mempool_bytes", "Bytes of the transactions pending in the mempool.",
           s.mempool_bytes);
  e->Family("hito_p2p_peers", "gauge",
            "Connected peers by direction (0 on a single-validator chain, which has no peer "
            "network).");
  e->Sample({{"direction", "inbound"}}, s.peers_inbound);
  e->Sample({{"direction", "outbound"}}, s.peers_outbound);
  e->Gauge("hito_rpc_calls_in_progress", "Public gRPC calls being handled or waiting.",
           s.rpc_calls);
  e->Gauge("hito_rpc_streams", "Open StreamBlocks streams.", s.rpc_streams);
}

void RenderDedup(const DedupMetrics& d, Exposition* e) {
  e->Gauge("hito_dedup_enabled", "1 if the chain holds a dedup OPRF key set, else 0.",
           d.enabled ? 1 : 0);
  e->Gauge("hito_dedup_share_index", "This node's share index of the dedup key (0: no share).",
           d.share_index);
  e->Gauge("hito_dedup_quota_per_epoch",
           "Evaluations each attester may have from this node per epoch.", d.quota_per_epoch);
  e->Gauge("hito_dedup_epoch", "The epoch the per-attester dedup counts are for.", d.epoch);
  // Per attester in the current epoch: they start again from zero at each epoch (and at
  // the node's start), so they are gauges, named without the counters' _total.
  e->Family("hito_dedup_epoch_evaluations", "gauge",
            "Dedup OPRF evaluations this node answered for the attester (hex key) in the "
            "current epoch; resets to 0 at each epoch and at node start.");
  // (The label's string lives to the end of the full expression, the sample's write.)
  for (const auto& [key, count] : d.attesters) {
    e->Sample({{"attester", HexEncode(key)}}, count.evaluations);
  }
  e->Family("hito_dedup_epoch_refused_quota", "gauge",
            "Dedup OPRF requests of the attester (hex key) this node refused in the current "
            "epoch because its quota was used up; resets to 0 at each epoch and at node "
            "start.");
  for (const auto& [key, count] : d.attesters) {
    e->Sample({{"attester", HexEncode(key)}}, count.refused_quota);
  }
  e->Family("hito_dedup_evaluations_since_start_total", "counter",
            "Dedup OPRF evaluations this node answered since it started.");
  e->Sample(d.evaluations_since_start);
  e->Family("hito_dedup_refusals_since_start_total", "counter",
            "Dedup OPRF requests this node refused since it started, for any reason.");
  e->Sample(d.refusals_since_start);
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string RenderMetrics(const MetricsSnapshot& snapshot) {
  Exposition e;
  RenderChain(snapshot, &e);
  RenderDedup(snapshot.dedup, &e);
  std::string out = e.Take();
  HITO_ASSERT(!out.empty() && out.back() == '\n');
  return out;
}

Result<MetricsSnapshot> GatherMetrics(const MetricsSources& src) {
  HITO_ASSERT(src.store != nullptr);
  MetricsSnapshot s;
  s.node_version = std::string(kNodeVersion);
  s.chain_id = src.chain_id;
  // Height and epoch from one state view, so the epoch is that height's.
  const std::shared_ptr<const store::StateView> state = src.store->State();
  const ledger::Ledger l(src.chain_id, state.get());
  HITO_ASSIGN_OR_RETURN(ledger::Params params, l.GetParams());
  s.height = state->height();
  s.epoch = ledger::EpochOf(params, s.height);
  if (src.app != nullptr) s.block_time_ms = src.app->Tip().time_ms;
  if (src.mempool != nullptr) {
    s.mempool_txs = src.mempool->size();
    s.mempool_bytes = src.mempool->bytes();
  }
  if (src.network != nullptr) {
    for (const p2p::PeerInfo& p : src.network->Peers())
      ++(p.outbound ? s.peers_outbound : s.peers_inbound);
  }
  if (src.rpc != nullptr) {
    const RpcLoad load = src.rpc->Load();
    s.rpc_calls = load.calls;
    s.rpc_streams = load.streams;
    s.dedup = src.rpc->dedup_metrics();
  }
  return s;
}

}  // namespace hito::node::rpc
