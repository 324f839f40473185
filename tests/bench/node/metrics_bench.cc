// The metrics endpoint's cost per scrape: RenderMetrics of a snapshot with N attesters,
// and a whole scrape (connect, GET /metrics, render, read the answer to the close) over
// loopback against MetricsHttpServer with that snapshot.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "base/assert.h"
#include "node/rpc/metrics.h"
#include "node/rpc/metrics_http.h"

namespace hito::node::rpc {
namespace {

MetricsSnapshot SnapshotWith(int attesters) {
  MetricsSnapshot s;
  s.node_version = "0.1.0";
  s.chain_id = "hito-bench";
  s.height = 1'000'000;
  s.epoch = 12'345;
  s.block_time_ms = 1'764'000'000'000;
  s.dedup.enabled = true;
  s.dedup.share_index = 1;
  s.dedup.quota_per_epoch = 10'000;
  for (int i = 0; i < attesters; ++i) {
    Ed25519PublicKey k{};
    k[0] = static_cast<uint8_t>(i);
    k[1] = static_cast<uint8_t>(i >> 8);
    s.dedup.attesters[k] = {static_cast<uint32_t>(i * 37), static_cast<uint32_t>(i % 5)};
  }
  return s;
}

void BM_RenderMetrics(benchmark::State& state) {
  const MetricsSnapshot s = SnapshotWith(static_cast<int>(state.range(0)));
  size_t bytes = 0;
  for (auto _ : state) {
    std::string text = RenderMetrics(s);
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_RenderMetrics)->Arg(0)->Arg(100)->Arg(1000);

// One scrape: a new connection, the request, the answer read until the server closes.
size_t Scrape(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  HITO_ASSERT(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int connected = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  HITO_ASSERT(connected == 0);
  const std::string req = "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n";
  const ssize_t sent = send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  HITO_ASSERT(sent == static_cast<ssize_t>(req.size()));
  size_t total = 0;
  char buf[16384];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) total += static_cast<size_t>(n);
  close(fd);
  return total;
}

void BM_Scrape(benchmark::State& state) {
  const MetricsSnapshot s = SnapshotWith(static_cast<int>(state.range(0)));
  auto server = MetricsHttpServer::Start(
      "127.0.0.1:0", [&s]() -> Result<std::string> { return RenderMetrics(s); });
  HITO_ASSERT(server.ok());
  const int port = (*server)->port();
  size_t bytes = 0;
  for (auto _ : state) bytes = Scrape(port);
  HITO_ASSERT((*server)->Counts().ok == static_cast<uint64_t>(state.iterations()));
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_Scrape)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace hito::node::rpc
