#include "node/rpc/metrics_http.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <exception>
#include <string_view>
#include <thread>
#include <utility>

#include "base/assert.h"
#include "node/config/config_toml.h"
#include "node/rpc/metrics.h"

namespace hito::node::rpc {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

// After the response, what the client still sends (a body, the rest of an oversized
// header) is read and dropped for at most this long and this many bytes before closing:
// closing with unread bytes sends a reset, which can destroy the response in flight.
constexpr milliseconds kDrainMax{1000};
constexpr size_t kDrainMaxBytes = 64 * 1024;
// 503 answers in flight per serving slot, beyond which a connection is simply closed.
constexpr uint32_t kBusyPerSlot = 4;

Result<tcp::endpoint> Resolve(const std::string& address) {
  HITO_ASSIGN_OR_RETURN(config::HostPort hp, config::SplitHostPort(address));
  beast::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(hp.host, ec);
  if (!ec) return tcp::endpoint(ip, hp.port);
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  const tcp::resolver::results_type found =
      resolver.resolve(hp.host, std::to_string(hp.port),
                       tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || found.empty()) {
    return InvalidArgumentError("\"" + address + "\": cannot resolve host \"" + hp.host + "\"" +
                                (ec ? ": " + ec.message() : ""));
  }
  return found.begin()->endpoint();
}

}  // namespace

// Everything below runs on the I/O thread, except Start's setup, Stop and the counters.
class MetricsHttpServer::Impl {
 public:
  Impl(RenderFn render, MetricsHttpOptions options)
      : render_(std::move(render)), options_(options) {}

  Status Listen(const tcp::endpoint& endpoint, const std::string& address);
  void Run();
  void Stop();
  int port() const { return port_; }
  MetricsHttpCounts Counts() const { return {ok_.load(), refused_.load(), unanswered_.load()}; }

  // For the sessions.
  const MetricsHttpOptions& options() const { return options_; }
  Result<std::string> Render() const;
  void CountResponse(http::status status) {
    (status == http::status::ok ? ok_ : refused_).fetch_add(1);
  }
  void CountUnanswered() { unanswered_.fetch_add(1); }
  void SessionEnded(bool busy);

 private:
  void Accept();
  void OnAccept(beast::error_code ec, tcp::socket socket);

  const RenderFn render_;
  const MetricsHttpOptions options_;
  asio::io_context ioc_{1};
  // Keeps run() going while no handler is pending; Stop ends it with ioc_.stop().
  asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
  tcp::acceptor acceptor_{ioc_};
  asio::steady_timer retry_{ioc_};
  std::thread thread_;
  int port_ = 0;
  uint32_t active_ = 0;  // connections being served
  uint32_t busy_ = 0;    // connections over the limit being answered 503
  std::atomic<bool> stopped_{false};
  std::atomic<uint64_t> ok_{0}, refused_{0}, unanswered_{0};
};

namespace {

// One connection: read a request header within the deadline, answer, drain, close. Owned
// by the handlers in flight (shared_from_this); tells the server once when it ends.
class Session : public std::enable_shared_from_this<Session> {
 public:
  // `busy`: over the connection limit, answered 503 at once without reading the request.
  Session(tcp::socket socket, MetricsHttpServer::Impl* server, bool busy)
      : stream_(std::move(socket)),
        server_(server),
        buffer_(server->options().header_limit_bytes),
        busy_(busy) {
    parser_.header_limit(server->options().header_limit_bytes);
  }

  void Start() {
    if (busy_) {
      response_.set(http::field::retry_after, "1");
      return Reply(http::status::service_unavailable,
                   "busy: " + std::to_string(server_->options().max_connections) +
                       " connections are being served; retry\n");
    }
    // One deadline for the whole header, however slowly its bytes trickle in.
    stream_.expires_after(milliseconds(server_->options().read_timeout_ms));
    http::async_read_header(
        stream_, buffer_, parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

 private:
  void OnHeader(beast::error_code ec) {
    if (!ec) return Answer(parser_.get());
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      return Reply(http::status::request_header_fields_too_large,
                   "request header over " + std::to_string(server_->options().header_limit_bytes) +
                       " bytes\n");
    }
    // Nothing to answer: the deadline passed (the stream is closed) or the client left.
    if (ec == beast::error::timeout || ec == http::error::end_of_stream ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
      server_->CountUnanswered();
      return End();
    }
    Reply(http::status::bad_request, "malformed request: " + ec.message() + "\n");
  }

  void Answer(const http::request<http::empty_body>& req) {
    const bool head = req.method() == http::verb::head;
    if (req.method() != http::verb::get && !head) {
      response_.set(http::field::allow, "GET, HEAD");
      return Reply(http::status::method_not_allowed, "only GET and HEAD\n");
    }
    const std::string_view target(req.target().data(), req.target().size());
    if (target.substr(0, target.find('?')) != "/metrics") {
      return Reply(http::status::not_found, "not found; the metrics are at /metrics\n");
    }
    Result<std::string> text = server_->Render();
    if (!text.ok()) {
      return Reply(http::status::internal_server_error,
                   "metrics unavailable: " + text.status().ToString() + "\n");
    }
    Reply(http::status::ok, std::move(text).value(), kMetricsContentType, head);
  }

  void Reply(http::status status, std::string body,
             std::string_view content_type = "text/plain; charset=utf-8", bool head = false) {
    response_.version(11);
    response_.result(status);
    response_.set(http::field::content_type,
                  beast::string_view(content_type.data(), content_type.size()));
    response_.keep_alive(false);
    response_.content_length(body.size());
    if (!head) response_.body() = std::move(body);
    server_->CountResponse(status);
    stream_.expires_after(milliseconds(server_->options().read_timeout_ms));
    http::async_write(
        stream_, response_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnWritten(ec); });
  }

  void OnWritten(beast::error_code ec) {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    if (ec) return End();
    stream_.expires_after(std::min(kDrainMax, milliseconds(server_->options().read_timeout_ms)));
    Drain();
  }

  void Drain() {
    stream_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kDrainMaxBytes) return self->End();
                              self->Drain();
                            });
  }

  void End() {
    HITO_ASSERT(!ended_);
    ended_ = true;
    beast::error_code ignored;
    stream_.socket().close(ignored);
    server_->SessionEnded(busy_);
  }

  beast::tcp_stream stream_;
  MetricsHttpServer::Impl* server_;
  beast::flat_buffer buffer_;
  http::request_parser<http::empty_body> parser_;
  http::response<http::string_body> response_;
  std::array<char, 4096> scratch_{};
  size_t drained_ = 0;
  const bool busy_;
  bool ended_ = false;
};

}  // namespace

Status MetricsHttpServer::Impl::Listen(const tcp::endpoint& endpoint, const std::string& address) {
  beast::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return UnavailableError("cannot listen on " + address + ": " + ec.message());
  port_ = acceptor_.local_endpoint(ec).port();
  HITO_ASSERT(!ec);
  return Status::Ok();
}

void MetricsHttpServer::Impl::Run() {
  HITO_ASSERT(acceptor_.is_open());
  asio::post(ioc_, [this] { Accept(); });
  thread_ = std::thread([this] {
    // A handler that throws (only allocation can) must not end the endpoint's thread.
    for (;;) {
      try {
        ioc_.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("metrics endpoint: {}", e.what());
      }
    }
  });
}

Result<std::string> MetricsHttpServer::Impl::Render() const {
  try {
    return render_();
  } catch (const std::exception& e) {
    return InternalError(std::string("rendering the metrics threw: ") + e.what());
  }
}

void MetricsHttpServer::Impl::Accept() {
  acceptor_.async_accept(
      [this](beast::error_code ec, tcp::socket socket) { OnAccept(ec, std::move(socket)); });
}

void MetricsHttpServer::Impl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;  // stopping
  if (ec) {
    // Out of descriptors or the like: try again shortly rather than spin.
    retry_.expires_after(milliseconds(100));
    retry_.async_wait([this](beast::error_code e) {
      if (!e) Accept();
    });
    return;
  }
  // Over the limit a connection is answered 503 at once rather than left in the listen
  // backlog, where idle clients ahead of it would hold a scrape for their read timeouts;
  // the 503s in flight are bounded too, and beyond them a connection is closed.
  if (active_ < options_.max_connections) {
    ++active_;
    std::make_shared<Session>(std::move(socket), this, false)->Start();
  } else if (busy_ < kBusyPerSlot * options_.max_connections) {
    ++busy_;
    std::make_shared<Session>(std::move(socket), this, true)->Start();
  } else {
    CountUnanswered();
    beast::error_code ignored;
    socket.close(ignored);
  }
  Accept();
}

void MetricsHttpServer::Impl::SessionEnded(bool busy) {
  uint32_t& count = busy ? busy_ : active_;
  HITO_ASSERT(count > 0);
  --count;
}

void MetricsHttpServer::Impl::Stop() {
  if (stopped_.exchange(true)) return;
  // Connections in flight are dropped with the io_context: a scrape in progress fails.
  asio::post(ioc_, [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
    retry_.cancel();
    ioc_.stop();
  });
  if (thread_.joinable()) thread_.join();
}

// ---------------------------------------------------------------------------------------

Result<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(const std::string& address,
                                                                    RenderFn render,
                                                                    MetricsHttpOptions options) {
  HITO_ASSERT(render != nullptr);
  if (options.header_limit_bytes == 0 || options.read_timeout_ms == 0 ||
      options.max_connections == 0) {
    return InvalidArgumentError("metrics endpoint: limits must be > 0");
  }
  Result<tcp::endpoint> endpoint = Resolve(address);
  if (!endpoint.ok()) return endpoint.status().WithContext("metrics address");
  auto impl = std::make_unique<Impl>(std::move(render), options);
  HITO_RETURN_IF_ERROR(impl->Listen(*endpoint, address));
  impl->Run();
  return std::unique_ptr<MetricsHttpServer>(new MetricsHttpServer(std::move(impl)));
}

MetricsHttpServer::MetricsHttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetricsHttpServer::~MetricsHttpServer() { Stop(); }

int MetricsHttpServer::port() const { return impl_->port(); }

MetricsHttpCounts MetricsHttpServer::Counts() const { return impl_->Counts(); }

void MetricsHttpServer::Stop() { impl_->Stop(); }

}  // namespace hito::node::rpc
