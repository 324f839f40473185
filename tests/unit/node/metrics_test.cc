// The metrics endpoint: RenderMetrics on hand-built snapshots (exact lines, the format's
// escapes, HELP and TYPE once per family before its samples, types, a deterministic order);
// SplitHostPort; MetricsHttpServer over real loopback sockets with a stub render function
// (200 with the text, 404, 405, 500, an oversized header refused, garbage and silent
// clients, the connection bound, Stop); DedupService's counts through GatherMetrics and
// HTTP after real evaluations, and their reset at the next epoch; and a real Node with
// `metrics_addr` set, and refused with a malformed one.
#include "node/rpc/metrics.h"

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/hex.h"
#include "consensus/types/dedup_request.h"
#include "consensus/types/handle.h"
#include "hito/v1/dedup.grpc.pb.h"
#include "node/chain/chain_app.h"
#include "node/chain/commit_events.h"
#include "node/config/config.h"
#include "node/config/dedup_keys.h"
#include "node/mempool/mempool.h"
#include "node/node.h"
#include "node/rpc/metrics_http.h"
#include "node/rpc/server.h"
#include "node/store/store.h"
#include "tests/support/chain_node.h"
#include "tests/support/genesis.h"
#include "tests/support/keys.h"
#include "tests/support/temp_dir.h"
#include "wallet/dedup_client.h"
#include "zk/oprf.h"

namespace hito::node::rpc {
namespace {

namespace ledger = consensus::ledger;
namespace types = consensus::types;
namespace pb = hito::v1;
using testing::KeyFor;
using testing::TempDir;

// ---- a blocking HTTP client over plain sockets -----------------------------------------

// A connected socket to 127.0.0.1:port with 5 s send and receive timeouts, or -1.
int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Everything the server sends until it closes (or a receive times out).
std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Sends `request` on a new connection and returns the whole answer ("" if none).
std::string Exchange(int port, const std::string& request) {
  const int fd = Connect(port);
  EXPECT_GE(fd, 0) << "connect to port " << port;
  if (fd < 0) return "";
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early on a hostile request
    sent += static_cast<size_t>(n);
  }
  std::string answer = ReadAll(fd);
  close(fd);
  return answer;
}

// Polls `done` every 10 ms for up to 3 s.
template <typename F>
bool WaitFor(F done) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::string Get(int port, const std::string& target = "/metrics") {
  return Exchange(port, "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
}

// "HTTP/1.1 200 OK\r\n..." -> 200; 0 without a status line.
int StatusOf(const std::string& answer) {
  if (answer.rfind("HTTP/1.1 ", 0) != 0 || answer.size() < 12) return 0;
  return std::stoi(answer.substr(9, 3));
}

std::string BodyOf(const std::string& answer) {
  const size_t end = answer.find("\r\n\r\n");
  return end == std::string::npos ? "" : answer.substr(end + 4);
}

std::string HeadersOf(const std::string& answer) {
  return answer.substr(0, answer.find("\r\n\r\n") + 2);
}

// ---- RenderMetrics ---------------------------------------------------------------------

Ed25519PublicKey Key(uint8_t b) {
  Ed25519PublicKey k{};
  k.fill(b);
  return k;
}

MetricsSnapshot Sample() {
  MetricsSnapshot s;
  s.node_version = "0.1.0";
  s.chain_id = "hito-test";
  s.height = 42;
  s.epoch = 10;
  s.block_time_ms = 1'700'000'000'007;
  s.mempool_txs = 3;
  s.mempool_bytes = 1234;
  s.peers_inbound = 2;
  s.peers_outbound = 5;
  s.rpc_calls = 7;
  s.rpc_streams = 1;
  s.dedup.enabled = true;
  s.dedup.share_index = 3;
  s.dedup.quota_per_epoch = 1000;
  s.dedup.epoch = 10;
  s.dedup.attesters[Key(0xbb)] = {17, 2};
  s.dedup.attesters[Key(0x0a)] = {1000, 40};
  s.dedup.evaluations_since_start = 5000;
  s.dedup.refusals_since_start = 77;
  return s;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(RenderMetricsTest, WritesEachValueOnItsOwnLine) {
  const std::string text = RenderMetrics(Sample());
  const std::string a = HexEncode(Key(0x0a));
  const std::string b = HexEncode(Key(0xbb));
  for (const std::string& line : {
           std::string("hito_node_info{chain_id=\"hito-test\",version=\"0.1.0\"} 1"),
           std::string("hito_chain_height 42"),
           std::string("hito_chain_epoch 10"),
           std::string("hito_chain_block_time_seconds 1700000000.007"),
           std::string("hito_mempool_transactions 3"),
           std::string("hito_mempool_bytes 1234"),
           std::string("hito_p2p_peers{direction=\"inbound\"} 2"),
           std::string("hito_p2p_peers{direction=\"outbound\"} 5"),
           std::string("hito_rpc_calls_in_progress 7"),
           std::string("hito_rpc_streams 1"),
           std::string("hito_dedup_enabled 1"),
           std::string("hito_dedup_share_index 3"),
           std::string("hito_dedup_quota_per_epoch 1000"),
           std::string("hito_dedup_epoch 10"),
           "hito_dedup_epoch_evaluations{attester=\"" + a + "\"} 1000",
           "hito_dedup_epoch_evaluations{attester=\"" + b + "\"} 17",
           "hito_dedup_epoch_refused_quota{attester=\"" + a + "\"} 40",
           "hito_dedup_epoch_refused_quota{attester=\"" + b + "\"} 2",
           std::string("hito_dedup_evaluations_since_start_total 5000"),
           std::string("hito_dedup_refusals_since_start_total 77"),
       }) {
    EXPECT_NE(text.find("\n" + line + "\n"), std::string::npos) << line << "\n" << text;
  }
  EXPECT_EQ(text.back(), '\n');
}

TEST(RenderMetricsTest, TypesPerEpochCountsAsGaugesAndTotalsSinceStartAsCounters) {
  const std::string text = RenderMetrics(Sample());
  std::map<std::string, std::string> types;
  std::regex type_line("# TYPE ([a-z0-9_]+) (gauge|counter)");
  for (const std::string& line : Lines(text)) {
    std::smatch m;
    if (std::regex_match(line, m, type_line)) types[m[1]] = m[2];
  }
  EXPECT_EQ(types["hito_dedup_epoch_evaluations"], "gauge");
  EXPECT_EQ(types["hito_dedup_epoch_refused_quota"], "gauge");
  EXPECT_EQ(types["hito_dedup_evaluations_since_start_total"], "counter");
  EXPECT_EQ(types["hito_dedup_refusals_since_start_total"], "counter");
  EXPECT_EQ(types["hito_chain_height"], "gauge");
  EXPECT_EQ(types["hito_p2p_peers"], "gauge");
  // The per-epoch families say in their HELP that they reset each epoch.
  for (const char* name : {"hito_dedup_epoch_evaluations", "hito_dedup_epoch_refused_quota"}) {
    const size_t help = text.find(std::string("# HELP ") + name + " ");
    ASSERT_NE(help, std::string::npos) << name;
    const std::string line = text.substr(help, text.find('\n', help) - help);
    EXPECT_NE(line.find("resets to 0 at each epoch"), std::string::npos) << line;
  }
}

// What a scraper demands of the text: every line a comment or a sample; each family's HELP
// then TYPE exactly once, before its samples, which follow without another family between.
TEST(RenderMetricsTest, EveryFamilyHasHelpAndTypeOnceBeforeItsContiguousSamples) {
  const std::regex help("# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+");
  const std::regex type("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter)");
  const std::regex sample(
      "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\\\n]|\\\\[\"\\\\n])*\","
      "?)*\\})? [0-9]+(\\.[0-9]+)?");
  std::set<std::string> seen;
  std::string open;  // the family whose HELP and TYPE came last
  bool typed = false;
  int samples = 0;
  for (const std::string& line : Lines(RenderMetrics(Sample()))) {
    std::smatch m;
    if (std::regex_match(line, m, help)) {
      EXPECT_TRUE(seen.insert(m[1]).second) << "second HELP for " << m[1];
      open = m[1];
      typed = false;
    } else if (std::regex_match(line, m, type)) {
      EXPECT_EQ(m[1], open) << line;
      EXPECT_FALSE(typed) << line;
      typed = true;
    } else {
      ASSERT_TRUE(std::regex_match(line, m, sample)) << "not a sample: " << line;
      EXPECT_EQ(m[1], open) << "sample outside its family: " << line;
      EXPECT_TRUE(typed) << line;
      ++samples;
    }
  }
  EXPECT_EQ(seen.size(), 17u);
  EXPECT_EQ(samples, 20);
}

TEST(RenderMetricsTest, OrderIsDeterministicWhateverTheInsertionOrder) {
  MetricsSnapshot a = Sample();
  MetricsSnapshot b = Sample();
  b.dedup.attesters.clear();
  for (int i = 200; i > 0; i -= 7) b.dedup.attesters[Key(static_cast<uint8_t>(i))] = {1, 0};
  a.dedup.attesters.clear();
  for (int i = 4; i <= 200; i += 7) a.dedup.attesters[Key(static_cast<uint8_t>(i))] = {1, 0};
  ASSERT_EQ(a.dedup.attesters.size(), b.dedup.attesters.size());
  EXPECT_EQ(RenderMetrics(a), RenderMetrics(b));
  EXPECT_EQ(RenderMetrics(a), RenderMetrics(a));
  // Ascending keys.
  const std::string text = RenderMetrics(a);
  EXPECT_LT(text.find(HexEncode(Key(4))), text.find(HexEncode(Key(11))));
  EXPECT_LT(text.find(HexEncode(Key(193))), text.find(HexEncode(Key(200))));
}

TEST(RenderMetricsTest, WithoutAttestersTheFamiliesHaveNoSamples) {
  MetricsSnapshot s = Sample();
  s.dedup = DedupMetrics{};
  const std::string text = RenderMetrics(s);
  EXPECT_NE(text.find("# TYPE hito_dedup_epoch_evaluations gauge\n# HELP "), std::string::npos);
  EXPECT_EQ(text.find("attester=\""), std::string::npos);
  EXPECT_NE(text.find("\nhito_dedup_enabled 0\n"), std::string::npos);
  EXPECT_NE(text.find("\nhito_chain_block_time_seconds 1700000000.007\n"), std::string::npos);
  s.block_time_ms = 0;
  EXPECT_NE(RenderMetrics(s).find("\nhito_chain_block_time_seconds 0.000\n"), std::string::npos);
}

TEST(RenderMetricsTest, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(EscapeLabelValue("plain-1.0"), "plain-1.0");
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(EscapeLabelValue("}\" 1\nfake 2"), "}\\\" 1\\nfake 2");
  EXPECT_EQ(EscapeHelp("a\\b\nc\"d"), "a\\\\b\\nc\"d");
  // A hostile chain id cannot add a line or close the label early.
  MetricsSnapshot s = Sample();
  s.chain_id = "x\"} 1\nhito_chain_height 999\n\\";
  const std::string text = RenderMetrics(s);
  EXPECT_NE(text.find("hito_node_info{chain_id=\"x\\\"} 1\\nhito_chain_height 999\\n\\\\\","
                      "version=\"0.1.0\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("\nhito_chain_height 999"), std::string::npos);
  EXPECT_EQ(Lines(text).size(), Lines(RenderMetrics(Sample())).size());
}

// ---- SplitHostPort ---------------------------------------------------------------------

TEST(SplitHostPortTest, AcceptsHostPortAndBracketedIpv6) {
  auto a = config::SplitHostPort("127.0.0.1:9464");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9464);
  auto b = config::SplitHostPort("[::1]:0");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 0);
  auto c = config::SplitHostPort("localhost:65535");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->port, 65535);
}

TEST(SplitHostPortTest, RefusesMalformedAddresses) {
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", ":9464", "127.0.0.1:65536",
                          "127.0.0.1:99999999", "127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1:80x",
                          "::1:9464", "[]:80", "[::1:80", "a b:80", "host\n:80", "[[::1]]:80"}) {
    auto r = config::SplitHostPort(bad);
    EXPECT_FALSE(r.ok()) << "accepted: " << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
      EXPECT_NE(r.status().message().find("is not HOST:PORT"), std::string::npos);
    }
  }
}

TEST(SplitHostPortTest, ConfigRefusesAMalformedMetricsAddressAndKeepsAGoodOne) {
  auto bad = config::ParseConfigToml("[rpc]\nmetrics_addr = \"9464\"\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("rpc.metrics_addr"), std::string::npos)
      << bad.status().ToString();
  auto off = config::ParseConfigToml(config::ConfigToToml(config::NodeConfig{}));
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_EQ(off->metrics_addr, "");
  config::NodeConfig on;
  on.metrics_addr = "[::1]:9464";
  auto back = config::ParseConfigToml(config::ConfigToToml(on));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->metrics_addr, "[::1]:9464");
}

// ---- MetricsHttpServer -----------------------------------------------------------------

constexpr char kText[] = "# HELP x An x.\n# TYPE x gauge\nx 1\n";

std::unique_ptr<MetricsHttpServer> StartStub(MetricsHttpOptions o = {},
                                             MetricsHttpServer::RenderFn render = nullptr) {
  if (!render) render = [] { return Result<std::string>(std::string(kText)); };
  auto s = MetricsHttpServer::Start("127.0.0.1:0", std::move(render), o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

TEST(MetricsHttpTest, GetMetricsAnswersTheTextAndCloses) {
  auto server = StartStub();
  ASSERT_TRUE(server);
  const std::string answer = Get(server->port());
  EXPECT_EQ(StatusOf(answer), 200) << answer;
  EXPECT_EQ(BodyOf(answer), kText);
  const std::string headers = HeadersOf(answer);
  EXPECT_NE(headers.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"),
            std::string::npos)
      << headers;
  EXPECT_NE(headers.find("Connection: close\r\n"), std::string::npos) << headers;
  EXPECT_NE(headers.find("Content-Length: " + std::to_string(sizeof kText - 1) + "\r\n"),
            std::string::npos)
      << headers;
  // A query string is ignored; HEAD has the headers without the body; HTTP/1.0 works.
  EXPECT_EQ(BodyOf(Get(server->port(), "/metrics?name[]=x")), kText);
  const std::string head = Exchange(server->port(), "HEAD /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(StatusOf(head), 200);
  EXPECT_EQ(BodyOf(head), "");
  EXPECT_EQ(StatusOf(Exchange(server->port(), "GET /metrics HTTP/1.0\r\n\r\n")), 200);
  EXPECT_EQ(server->Counts().ok, 4u);
  EXPECT_EQ(server->Counts().refused, 0u);
}

TEST(MetricsHttpTest, OtherPathsAre404AndOtherMethods405) {
  auto server = StartStub();
  ASSERT_TRUE(server);
  for (const char* path : {"/", "/metricsx", "/metrics/", "/Metrics", "*"}) {
    const std::string answer = Get(server->port(), path);
    EXPECT_EQ(StatusOf(answer), 404) << path << "\n" << answer;
    EXPECT_EQ(BodyOf(answer).find("# HELP"), std::string::npos);
  }
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "PATCH"}) {
    const std::string answer =
        Exchange(server->port(),
                 std::string(method) + " /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
    EXPECT_EQ(StatusOf(answer), 405) << method << "\n" << answer;
    EXPECT_NE(HeadersOf(answer).find("Allow: GET, HEAD\r\n"), std::string::npos) << answer;
  }
  EXPECT_EQ(server->Counts().refused, 10u);
  EXPECT_EQ(server->Counts().ok, 0u);
}

TEST(MetricsHttpTest, ARenderErrorIs500) {
  int calls = 0;
  auto server = StartStub({}, [&calls]() -> Result<std::string> {
    if (++calls == 1) return InternalError("state unreadable");
    throw std::runtime_error("boom");
  });
  ASSERT_TRUE(server);
  std::string answer = Get(server->port());
  EXPECT_EQ(StatusOf(answer), 500) << answer;
  EXPECT_NE(BodyOf(answer).find("state unreadable"), std::string::npos) << answer;
  answer = Get(server->port());
  EXPECT_EQ(StatusOf(answer), 500) << answer;
  EXPECT_NE(BodyOf(answer).find("boom"), std::string::npos) << answer;
}

TEST(MetricsHttpTest, AnOversizedHeaderIsRefusedAndTheServerKeepsServing) {
  auto server = StartStub();
  ASSERT_TRUE(server);
  const std::string pad(16 * 1024, 'a');
  const std::string big =
      Exchange(server->port(), "GET /metrics HTTP/1.1\r\nX-Pad: " + pad + "\r\n\r\n");
  EXPECT_EQ(StatusOf(big), 431) << big.substr(0, 200);
  // A request line alone over the limit, and many small header lines over it together.
  EXPECT_EQ(StatusOf(Get(server->port(), "/metrics?" + pad)), 431);
  std::string many = "GET /metrics HTTP/1.1\r\n";
  for (int i = 0; i < 1000; ++i) many += "X-" + std::to_string(i) + ": 1\r\n";
  EXPECT_EQ(StatusOf(Exchange(server->port(), many + "\r\n")), 431);
  // Just under the limit is fine.
  EXPECT_EQ(StatusOf(Exchange(server->port(), "GET /metrics HTTP/1.1\r\nX-Pad: " +
                                                  std::string(7000, 'a') + "\r\n\r\n")),
            200);
  EXPECT_EQ(StatusOf(Get(server->port())), 200);
}

TEST(MetricsHttpTest, GarbageDoesNotStopTheServer) {
  MetricsHttpOptions o;
  o.read_timeout_ms = 300;
  auto server = StartStub(o);
  ASSERT_TRUE(server);
  std::vector<std::string> hostile = {
      std::string("\x00\x01\x02\xff\xfe\r\n\r\n", 9),
      "GET\r\n\r\n",
      "GET /metrics\r\n\r\n",
      "GET /metrics HTTP/9.9\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "\r\n\r\n\r\n",
      "GET /metr\0ics HTTP/1.1\r\n\r\n",
      "",  // connect, say nothing, close
  };
  std::mt19937 rng(7);
  for (int i = 0; i < 20; ++i) {
    std::string bytes(static_cast<size_t>(rng() % 3000), '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    hostile.push_back(bytes);
  }
  for (const std::string& h : hostile) {
    const std::string answer = Exchange(server->port(), h);
    const int status = StatusOf(answer);
    EXPECT_TRUE(answer.empty() || (status >= 400 && status < 500) || status == 200)
        << answer.substr(0, 200);
  }
  EXPECT_EQ(StatusOf(Get(server->port())), 200);
}

TEST(MetricsHttpTest, ASilentClientIsClosedAtTheReadTimeout) {
  MetricsHttpOptions o;
  o.read_timeout_ms = 200;
  auto server = StartStub(o);
  ASSERT_TRUE(server);
  const int fd = Connect(server->port());
  ASSERT_GE(fd, 0);
  ASSERT_EQ(send(fd, "GET /metrics HTTP/1.1\r\n", 23, MSG_NOSIGNAL), 23);  // never finished
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(ReadAll(fd), "");
  const auto waited = std::chrono::steady_clock::now() - start;
  close(fd);
  EXPECT_LT(waited, std::chrono::seconds(3));
  EXPECT_TRUE(WaitFor([&] { return server->Counts().unanswered == 1; }));
  EXPECT_EQ(StatusOf(Get(server->port())), 200);
}

// Both slots held by clients that send nothing: a scrape beyond them is answered 503 at
// once (not queued behind the idle ones); once the idle ones reach their read timeout a
// scrape gets its 200 again.
TEST(MetricsHttpTest, ConnectionsBeyondTheBoundAre503UntilASlotFrees) {
  MetricsHttpOptions o;
  o.read_timeout_ms = 400;
  o.max_connections = 2;
  auto server = StartStub(o);
  ASSERT_TRUE(server);
  const int idle1 = Connect(server->port());
  const int idle2 = Connect(server->port());
  ASSERT_GE(idle1, 0);
  ASSERT_GE(idle2, 0);
  const std::string busy = Get(server->port());
  EXPECT_EQ(StatusOf(busy), 503) << busy;
  EXPECT_NE(busy.find("Retry-After: 1"), std::string::npos) << busy;
  EXPECT_TRUE(WaitFor([&] { return server->Counts().unanswered == 2; }));
  EXPECT_EQ(StatusOf(Get(server->port())), 200);
  close(idle1);
  close(idle2);
}

TEST(MetricsHttpTest, StopClosesTheListenerAndIsIdempotent) {
  auto server = StartStub();
  ASSERT_TRUE(server);
  const int port = server->port();
  const int idle = Connect(port);  // a connection in progress does not hold Stop up
  ASSERT_GE(idle, 0);
  server->Stop();
  server->Stop();
  EXPECT_EQ(Connect(port), -1);
  close(idle);
  server.reset();
}

TEST(MetricsHttpTest, StartRefusesABadAddressOrOneInUse) {
  auto render = [] { return Result<std::string>(std::string(kText)); };
  auto bad = MetricsHttpServer::Start("127.0.0.1", render);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  auto v6 = MetricsHttpServer::Start("::1:9464", render);
  ASSERT_FALSE(v6.ok());
  EXPECT_EQ(v6.status().code(), StatusCode::kInvalidArgument);
  auto first = MetricsHttpServer::Start("127.0.0.1:0", render);
  ASSERT_TRUE(first.ok());
  auto second = MetricsHttpServer::Start("127.0.0.1:" + std::to_string((*first)->port()), render);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable) << second.status().ToString();
  MetricsHttpOptions zero;
  zero.max_connections = 0;
  EXPECT_FALSE(MetricsHttpServer::Start("127.0.0.1:0", render, zero).ok());
}

// ---- DedupService's counts through GatherMetrics and HTTP ------------------------------

constexpr char kChain[] = "metrics-test";
constexpr uint32_t kQuota = 2;

Ed25519PrivateKey Attester(int i) { return KeyFor(static_cast<uint8_t>(10 + i)); }

class DedupMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger::Genesis g = testing::MakeGenesis(kChain, {{1, 1'000'000}});
    g.params.epoch_blocks = 4;
    g.attesters = {Attester(1).public_key(), Attester(2).public_key()};
    g.registry.cohort_bits = 2;
    g.registry.dedup_quota_per_epoch = kQuota;  // the quota DedupService enforces
    store_ = store::Store::Open(dir_.path()).value();
    Hash32 genesis_hash{};
    genesis_hash.fill(5);
    auto tip = chain::RecoverChain(store_.get(), g, genesis_hash);
    ASSERT_TRUE(tip.ok()) << tip.status().ToString();
    pool_ =
        std::make_unique<mempool::Mempool>(kChain, mempool::MempoolLimits{}, store_->State(),
                                           [this](const Hash32& h) { return store_->GetTx(h); });
    app_ = std::make_unique<chain::ChainApp>(kChain, *tip, store_.get(), pool_.get(), &events_);
    auto dealt = config::DealDedupKeys({KeyFor(100).public_key()}, 1);
    ASSERT_TRUE(dealt.ok()) << dealt.status().ToString();
    keyring_.Set(std::make_shared<const dedup::DedupKeys>(dealt->keys, dealt->shares[0]));
    dealt->Wipe();
    RpcBackend b;
    b.chain_id = kChain;
    b.validator = KeyFor(100).public_key();
    b.store = store_.get();
    b.mempool = pool_.get();
    b.events = &events_;
    b.app = app_.get();
    b.dedup_keyring = &keyring_;
    auto server = RpcServer::Start("127.0.0.1:0", std::move(b), RpcOptions{});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    rpc_ = std::move(server).value();
    stub_ = pb::DedupService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(rpc_->port()), grpc::InsecureChannelCredentials()));
    MetricsSources sources;
    sources.chain_id = kChain;
    sources.store = store_.get();
    sources.app = app_.get();
    sources.mempool = pool_.get();
    sources.rpc = rpc_.get();
    auto http = MetricsHttpServer::Start("127.0.0.1:0", [sources]() -> Result<std::string> {
      HITO_ASSIGN_OR_RETURN(MetricsSnapshot snapshot, GatherMetrics(sources));
      return RenderMetrics(snapshot);
    });
    ASSERT_TRUE(http.ok()) << http.status().ToString();
    http_ = std::move(http).value();
  }

  void TearDown() override {
    if (http_) http_->Stop();
    if (rpc_) rpc_->Shutdown();
    events_.Shutdown();
  }

  void CommitUntil(uint64_t height) {
    while (app_->Tip().height < height) {
      const types::Block b = testing::NextBlock(*app_, kChain, KeyFor(100).public_key(),
                                                app_->Tip().time_ms + 1000, {});
      ASSERT_TRUE(app_->ProcessProposal(b).ok());
      testing::FinalizeAndCommit(app_.get(), kChain, KeyFor(100), b);
    }
  }

  grpc::Status Evaluate(const Ed25519PrivateKey& attester, uint64_t epoch) {
    auto handle = types::Handle::Parse("passport:FRA:1").value();
    const pb::DedupEvaluateRequest req = wallet::SignedDedupRequest(
        kChain, epoch, 1, attester, zk::oprf::Blind(handle.Encode()).value().element);
    grpc::ClientContext ctx;
    pb::DedupEvaluateResponse resp;
    return stub_->Evaluate(&ctx, req, &resp);
  }

  // The body of GET /metrics, which must answer 200.
  std::string Scrape() {
    const std::string answer = Get(http_->port());
    EXPECT_EQ(StatusOf(answer), 200) << answer;
    return BodyOf(answer);
  }

  static bool Has(const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos;
  }

  TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<mempool::Mempool> pool_;
  chain::CommitEvents events_{16};
  std::unique_ptr<chain::ChainApp> app_;
  dedup::DedupKeyring keyring_;
  std::unique_ptr<RpcServer> rpc_;
  std::unique_ptr<pb::DedupService::Stub> stub_;
  std::unique_ptr<MetricsHttpServer> http_;
};

TEST_F(DedupMetricsTest, ScrapeShowsTheEpochsCountsPerAttesterAndTheirReset) {
  const std::string a1 = HexEncode(Attester(1).public_key());
  const std::string a2 = HexEncode(Attester(2).public_key());
  std::string text = Scrape();
  EXPECT_TRUE(Has(text, "hito_dedup_enabled 1")) << text;
  EXPECT_TRUE(Has(text, "hito_dedup_share_index 1")) << text;
  EXPECT_TRUE(Has(text, "hito_dedup_quota_per_epoch 2")) << text;
  EXPECT_EQ(text.find("attester=\""), std::string::npos) << text;

  EXPECT_TRUE(Evaluate(Attester(1), 0).ok());
  EXPECT_TRUE(Evaluate(Attester(1), 0).ok());
  EXPECT_EQ(Evaluate(Attester(1), 0).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(Evaluate(Attester(1), 0).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(Evaluate(Attester(2), 0).ok());
  EXPECT_FALSE(Evaluate(KeyFor(99), 0).ok());  // not accredited: a refusal, not a count
  text = Scrape();
  EXPECT_TRUE(Has(text, "hito_dedup_epoch 0")) << text;
  EXPECT_TRUE(Has(text, "hito_dedup_epoch_evaluations{attester=\"" + a1 + "\"} 2")) << text;
  EXPECT_TRUE(Has(text, "hito_dedup_epoch_evaluations{attester=\"" + a2 + "\"} 1")) << text;
  EXPECT_TRUE(Has(text, "hito_dedup_epoch_refused_quota{attester=\"" + a1 + "\"} 2")) << text;
  EXPECT_TRUE(Has(text, "hito_dedup_epoch_refused_quota{attester=\"" + a2 + "\"} 0")) << text;
  EXPECT_EQ(text.find(HexEncode(KeyFor(99).public_key())), std::string::npos) << text;
  EXPECT_TRUE(Has(text, "hito_dedup_evaluations_since_start_total 3")) << text;
  EXPECT_TRUE(Has(text, "hito_dedup_refusals_since_start_total 3")) << text;

  // The next epoch: the per-epoch counts are gone, the totals stay.
  CommitUntil(4);
  text = Scrape();
  EXPECT_TRUE(Has(text, "hito_chain_height 4")) << text;
  EXPECT_TRUE(Has(text, "hito_chain_epoch 1")) << text;
  EXPECT_EQ(text.find("attester=\""), std::string::npos) << text;
  EXPECT_TRUE(Has(text, "hito_dedup_evaluations_since_start_total 3")) << text;
  EXPECT_TRUE(Evaluate(Attester(2), 1).ok());
  text = Scrape();
  EXPECT_TRUE(Has(text, "hito_dedup_epoch 1")) << text;
  EXPECT_TRUE(Has(text, "hito_dedup_epoch_evaluations{attester=\"" + a2 + "\"} 1")) << text;
  EXPECT_EQ(text.find(a1), std::string::npos) << text;
  EXPECT_TRUE(Has(text, "hito_dedup_evaluations_since_start_total 4")) << text;
}

TEST_F(DedupMetricsTest, ScrapeShowsChainAndMempool) {
  CommitUntil(2);
  const std::string text = Scrape();
  EXPECT_TRUE(Has(text, "hito_chain_height 2")) << text;
  EXPECT_TRUE(Has(text, "hito_chain_epoch 0")) << text;
  EXPECT_TRUE(Has(text, "hito_mempool_transactions 0")) << text;
  EXPECT_TRUE(Has(text, "hito_p2p_peers{direction=\"inbound\"} 0")) << text;
  const std::string time = std::to_string((app_->Tip().time_ms) / 1000);
  EXPECT_NE(text.find("\nhito_chain_block_time_seconds " + time + "."), std::string::npos) << text;
  EXPECT_NE(text.find("hito_node_info{chain_id=\"metrics-test\",version=\""), std::string::npos);
}

// ---- a real Node ---------------------------------------------------------------------

class NodeMetricsTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<Node>> Open(std::optional<std::string> metrics_addr) {
    if (!std::filesystem::exists(home())) {
      config::InitOptions init;
      init.chain_id = kChain;
      init.dev_account = true;
      auto r = config::InitHome(home(), init);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
    }
    NodeOptions o;
    o.home = home();
    o.grpc_addr = "127.0.0.1:0";
    o.metrics_addr = std::move(metrics_addr);
    return Node::Open(o);
  }
  std::filesystem::path home() const { return dir_.path() / "home"; }
  TempDir dir_;
};

TEST_F(NodeMetricsTest, ANodeWithAMetricsAddressServesAndStopsIt) {
  auto opened = Open("127.0.0.1:0");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<Node> n = std::move(opened).value();
  const int port = n->metrics_port();
  ASSERT_NE(port, 0);
  const std::string answer = Get(port);
  EXPECT_EQ(StatusOf(answer), 200) << answer;
  const std::string text = BodyOf(answer);
  EXPECT_NE(text.find("\nhito_chain_height 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nhito_dedup_enabled 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nhito_dedup_share_index 1\n"), std::string::npos) << text;
  n->Stop();
  EXPECT_EQ(Connect(port), -1);
}

TEST_F(NodeMetricsTest, MetricsAreOffByDefault) {
  auto opened = Open(std::nullopt);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ((*opened)->metrics_port(), 0);
  EXPECT_EQ((*opened)->config().metrics_addr, "");
}

TEST_F(NodeMetricsTest, AMalformedMetricsAddressStopsTheStartWithAClearError) {
  auto bad = Open("localhost");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("--metrics-addr"), std::string::npos)
      << bad.status().ToString();
  EXPECT_NE(bad.status().message().find("is not HOST:PORT"), std::string::npos);
  // The node opens fine afterwards (nothing was left locked or listening).
  auto good = Open("127.0.0.1:0");
  ASSERT_TRUE(good.ok()) << good.status().ToString();
}

}  // namespace
}  // namespace hito::node::rpc
