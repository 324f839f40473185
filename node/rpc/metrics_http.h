// MetricsHttpServer: the metrics endpoint, a minimal HTTP/1.1 server on its own listen
// address (config `rpc.metrics_addr`, off by default; docs/operator.md, "Metrics").
//
// `GET /metrics` (a query string is ignored; HEAD too) answers 200 with the text the
// render function returns, as `text/plain; version=0.0.4`, or 500 if it returns an error.
// Any other path is 404, any other method 405 (with `Allow: GET, HEAD`). Every response
// says `Connection: close` and the connection is closed after it: one request per
// connection, as Prometheus scrapes.
//
// Limits, so that no client can hold the endpoint or the node's memory: a request's
// header (request line included) is at most `header_limit_bytes` (else 431); its bytes
// must all arrive within `read_timeout_ms` of the connection's acceptance (else it is
// closed unanswered); a request body is never read; at most `max_connections`
// connections are served at once, and one beyond them is answered 503 with
// `Retry-After: 1` at once, without reading its request (at most 4 * max_connections such
// answers in flight; beyond that a connection is closed unanswered), so idle clients
// cannot queue a scrape behind them. Malformed requests get 400. Nothing a client sends
// stops the server.
//
// One I/O thread runs every connection; the render function is called on it, one call at
// a time. Start, port and Stop may be called from any thread; Stop (and the destructor)
// closes the listener and every connection and joins the thread.
#ifndef HITO_NODE_RPC_METRICS_HTTP_H_
#define HITO_NODE_RPC_METRICS_HTTP_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"

namespace hito::node::rpc {

struct MetricsHttpOptions {
  uint32_t header_limit_bytes = 8 * 1024;
  uint32_t read_timeout_ms = 5'000;
  uint32_t max_connections = 4;
};

// What the server has done since Start, for tests.
struct MetricsHttpCounts {
  uint64_t ok = 0;          // 200 responses
  uint64_t refused = 0;     // 4xx and 5xx responses
  uint64_t unanswered = 0;  // connections closed with no response (timeout, early close)
};

class MetricsHttpServer {
 public:
  using RenderFn = std::function<Result<std::string>()>;

  // Listens on `address` ("host:port", "[v6]:port"; port 0 picks a free one) and serves.
  // kInvalidArgument for a malformed address, kUnavailable if it cannot listen there.
  static Result<std::unique_ptr<MetricsHttpServer>> Start(const std::string& address,
                                                          RenderFn render,
                                                          MetricsHttpOptions options = {});
  ~MetricsHttpServer();
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  int port() const;
  MetricsHttpCounts Counts() const;
  // Idempotent.
  void Stop();

  class Impl;

 private:
  explicit MetricsHttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hito::node::rpc

#endif  // HITO_NODE_RPC_METRICS_HTTP_H_
