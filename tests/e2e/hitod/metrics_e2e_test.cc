// The metrics endpoint of a real `hitod dev --metrics-addr`: a scrape over loopback shows
// the chain moving, and after the dev attester's `hito attester attest` (one dedup OPRF
// evaluation at the node) the attester's count of the epoch and the total since start;
// `hitod start --metrics-addr` with a malformed address exits 1 naming the flag.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>

#include "tests/support/e2e/dev_node_fixture.h"
#include "tests/support/e2e/e2e_util.h"

namespace hito::e2e {
namespace {

// The body of GET /metrics on 127.0.0.1:port ("" if it did not answer 200).
std::string Scrape(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string req = "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n";
    if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;)
        out.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  if (out.rfind("HTTP/1.1 200 ", 0) != 0) return "";
  const size_t body = out.find("\r\n\r\n");
  return body == std::string::npos ? "" : out.substr(body + 4);
}

// The value of the sample line `name` (with its labels) in `text`, or -1.
long long Value(const std::string& text, const std::string& name) {
  const size_t at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + name.size() + 2));
}

class MetricsE2eTest : public DevNodeFixture {
 protected:
  static void SetUpTestSuite() {
    metrics_port_ = FreeLoopbackPort();
    StartDevNode("hito_e2e_metrics", std::chrono::seconds(60),
                 {"--metrics-addr", "127.0.0.1:" + std::to_string(metrics_port_)});
  }
  static int metrics_port_;
};
int MetricsE2eTest::metrics_port_ = 0;

TEST_F(MetricsE2eTest, ScrapeShowsTheChainMoving) {
  const std::string first = Scrape(metrics_port_);
  ASSERT_FALSE(first.empty()) << node_->LogTail();
  EXPECT_NE(first.find("\nhito_node_info{chain_id=\"hito-dev\",version=\""), std::string::npos)
      << first;
  EXPECT_EQ(Value(first, "hito_dedup_enabled"), 1) << first;
  EXPECT_EQ(Value(first, "hito_dedup_share_index"), 1) << first;
  const long long height = Value(first, "hito_chain_height");
  ASSERT_GE(height, 0) << first;
  bool moved = false;
  for (int i = 0; i < 50 && !moved; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    moved = Value(Scrape(metrics_port_), "hito_chain_height") > height;
  }
  EXPECT_TRUE(moved) << "the height stayed at " << height;
}

TEST_F(MetricsE2eTest, AnEvaluationShowsInTheAttestersCount) {
  Json att =
      HitoJson({"attester", "import", "att", "--seed-file", node_->home() + "/attester.key"});
  const std::string key = att["public_key"].get<std::string>();
  ASSERT_EQ(key.size(), 64u);
  const std::string point = HitoJson({"identity", "new", "alice"})["identity"].get<std::string>();
  // The per-attester count resets at each epoch (a few seconds on a dev chain): attest
  // and scrape again if an epoch started in between.
  const std::string line = "hito_dedup_epoch_evaluations{attester=\"" + key + "\"}";
  long long count = -1;
  std::string text;
  for (int i = 0; i < 4 && count < 1; ++i) {
    CliRun r = Hito({"attester", "attest", "--attester", "att", "--identity", point, "--handle",
                     "passport:FRA:METRICS" + std::to_string(i), "--expires-in", "5"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    text = Scrape(metrics_port_);
    count = Value(text, line);
  }
  EXPECT_GE(count, 1) << text;
  EXPECT_EQ(Value(text, "hito_dedup_epoch_refused_quota{attester=\"" + key + "\"}"), 0) << text;
  EXPECT_GE(Value(text, "hito_dedup_evaluations_since_start_total"), 1) << text;
  EXPECT_EQ(Value(text, "hito_dedup_refusals_since_start_total"), 0) << text;
}

TEST(MetricsFlagE2eTest, AMalformedMetricsAddressStopsTheStart) {
  TempDir dir("hito_e2e_metrics_bad");
  NodeProcess node(dir.path(), FreeLoopbackPort());
  Status s = node.Start("dev", std::chrono::seconds(10), {"--metrics-addr", "127.0.0.1"});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(node.LogTail().find("--metrics-addr: \"127.0.0.1\" is not HOST:PORT"),
            std::string::npos)
      << node.LogTail();
}

}  // namespace
}  // namespace hito::e2e
