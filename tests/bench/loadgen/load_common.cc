#include "tests/bench/loadgen/load_common.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <thread>

#include "hito/v1/block.grpc.pb.h"

namespace hito::loadgen {
namespace {

// The fields Summary writes; PrintSummary prints the generator's other fields after them.
bool IsSummaryKey(const std::string& key) {
  static const char* const kKeys[] = {
      "submit_seconds",       "submitted",        "committed",      "uncommitted_after_drain",
      "mempool_full_retries", "refused",          "window_seconds", "committed_per_second",
      "latency_ms",           "blocks_with_load", "heights",        "max_txs_per_block"};
  return std::find(std::begin(kKeys), std::end(kKeys), key) != std::end(kKeys);
}

}  // namespace

bool IsLoopback(const std::string& addr) {
  return addr.rfind("127.", 0) == 0 || addr.rfind("localhost:", 0) == 0 ||
         addr.rfind("[::1]:", 0) == 0;
}

void Die(const std::string& msg) {
  std::cerr << "error: " << msg << "\n";
  std::exit(1);
}

bool IsPoolBusy(const std::string& reason) {
  return reason == "TX_MEMPOOL_FULL" || reason == "MEMPOOL_FULL_FEE_TOO_LOW" ||
         reason == "SENDER_OVER_CAP";
}

std::shared_ptr<grpc::Channel> NewChannel(const std::string& addr, int index) {
  grpc::ChannelArguments args;
  // A distinct argument per channel gives each its own TCP connection.
  args.SetInt("hito.loadgen.channel", index);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(addr, grpc::InsecureChannelCredentials(), args);
}

std::vector<std::string> SplitList(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    if (comma > start) out.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

void Inflight::Add(const std::string& hash, Clock::time_point t) {
  MutexLock lock(mu_);
  pending_.emplace(hash, t);
}

void Inflight::Remove(const std::string& hash) {
  MutexLock lock(mu_);
  pending_.erase(hash);
}

bool Inflight::Commit(const std::string& hash, Clock::time_point seen) {
  MutexLock lock(mu_);
  auto it = pending_.find(hash);
  if (it == pending_.end()) return false;
  latencies_us_.push_back(
      std::chrono::duration_cast<std::chrono::microseconds>(seen - it->second).count());
  pending_.erase(it);
  return true;
}

size_t Inflight::size() {
  MutexLock lock(mu_);
  return pending_.size();
}

std::vector<int64_t> Inflight::Latencies() {
  MutexLock lock(mu_);
  return latencies_us_;
}

void CommitStats::Refused(const std::string& reason) {
  MutexLock lock(mu);
  ++refused[reason];
}

void FollowBlocks(const std::string& addr, uint64_t from_height, Inflight* inflight,
                  CommitStats* stats, std::atomic<bool>* stop) {
  auto stub = v1::BlockService::NewStub(NewChannel(addr, 1000));
  grpc::ClientContext ctx;
  v1::StreamBlocksRequest req;
  req.set_from_height(from_height);
  std::thread canceller([&] {
    while (!*stop) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ctx.TryCancel();
  });
  auto reader = stub->StreamBlocks(&ctx, req);
  v1::StreamBlocksResponse msg;
  while (reader->Read(&msg)) {
    Clock::time_point seen = Clock::now();
    uint64_t ours = 0;
    for (const auto& h : msg.block().tx_hashes()) ours += inflight->Commit(h, seen) ? 1 : 0;
    MutexLock lock(stats->mu);
    if (ours > 0) {
      if (stats->committed == 0) {
        stats->first_commit = seen;
        stats->first_height = msg.height();
      }
      stats->last_commit = seen;
      stats->last_height = msg.height();
      stats->committed += ours;
      ++stats->blocks;
      stats->max_block_txs = std::max<uint64_t>(stats->max_block_txs, ours);
    }
  }
  grpc::Status s = reader->Finish();
  canceller.join();
  if (!s.ok() && !*stop) {
    std::cerr << "warning: block stream ended: " << s.error_message() << "\n";
  }
}

void Drain(Inflight* inflight, std::chrono::seconds drain) {
  const Clock::time_point deadline = Clock::now() + drain;
  while (inflight->size() > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

nlohmann::ordered_json RunLoad(
    const std::string& follow_addr, uint64_t from_height, uint32_t threads,
    std::chrono::seconds drain,
    const std::function<void(uint32_t t, Inflight* inflight, CommitStats* stats)>& submit) {
  Inflight inflight;
  CommitStats stats;
  std::atomic<bool> stop_stream{false};
  std::thread follower(FollowBlocks, follow_addr, from_height, &inflight, &stats, &stop_stream);
  const Clock::time_point start = Clock::now();
  std::vector<std::thread> workers;
  for (uint32_t t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] { submit(t, &inflight, &stats); });
  }
  for (auto& w : workers) w.join();
  const Clock::time_point submit_end = Clock::now();
  Drain(&inflight, drain);
  stop_stream = true;
  follower.join();
  return Summary(stats, inflight, start, submit_end);
}

int64_t Percentile(std::vector<int64_t>& v, double p) {
  if (v.empty()) return 0;
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(i), v.end());
  return v[i];
}

nlohmann::ordered_json Summary(CommitStats& stats, Inflight& inflight, Clock::time_point start,
                               Clock::time_point submit_end) {
  std::vector<int64_t> lat = inflight.Latencies();
  const double submit_s = std::chrono::duration<double>(submit_end - start).count();
  auto ms = [](int64_t us) { return static_cast<double>(us) / 1000.0; };
  const int64_t p50 = Percentile(lat, 0.50), p90 = Percentile(lat, 0.90),
                p99 = Percentile(lat, 0.99);
  const int64_t max = lat.empty() ? 0 : *std::max_element(lat.begin(), lat.end());
  const uint64_t committed = stats.committed;
  nlohmann::ordered_json j;
  j["submit_seconds"] = submit_s;
  j["submitted"] = stats.submitted.load();
  j["committed"] = committed;
  j["uncommitted_after_drain"] = inflight.size();
  j["mempool_full_retries"] = stats.busy_retries.load();
  MutexLock lock(stats.mu);
  const double window_s = std::chrono::duration<double>(stats.last_commit - start).count();
  j["refused"] = stats.refused;
  j["window_seconds"] = window_s;
  j["committed_per_second"] = window_s > 0 ? static_cast<double>(committed) / window_s : 0;
  j["latency_ms"] = {{"p50", ms(p50)}, {"p90", ms(p90)}, {"p99", ms(p99)}, {"max", ms(max)}};
  j["blocks_with_load"] = stats.blocks;
  j["heights"] = {stats.first_height, stats.last_height};
  j["max_txs_per_block"] = stats.max_block_txs;
  return j;
}

void PrintSummary(const nlohmann::ordered_json& j, const std::string& what, bool json) {
  if (json) {
    std::cout << j.dump() << "\n";
    return;
  }
  const auto& lat = j["latency_ms"];
  std::printf(
      "  submitted %llu in %.1f s, committed %llu (%llu not committed after the drain)\n"
      "  mempool-full retries %llu\n"
      "  committed %s/s: %.0f  (first submit -> last commit seen: %.2f s)\n"
      "  commit latency ms: p50 %.0f  p90 %.0f  p99 %.0f  max %.0f\n"
      "  blocks with load: %llu (heights %llu..%llu), max %llu in one block\n",
      j["submitted"].get<unsigned long long>(), j["submit_seconds"].get<double>(),
      j["committed"].get<unsigned long long>(),
      j["uncommitted_after_drain"].get<unsigned long long>(),
      j["mempool_full_retries"].get<unsigned long long>(), what.c_str(),
      j["committed_per_second"].get<double>(), j["window_seconds"].get<double>(),
      lat["p50"].get<double>(), lat["p90"].get<double>(), lat["p99"].get<double>(),
      lat["max"].get<double>(), j["blocks_with_load"].get<unsigned long long>(),
      j["heights"][0].get<unsigned long long>(), j["heights"][1].get<unsigned long long>(),
      j["max_txs_per_block"].get<unsigned long long>());
  for (const auto& [reason, n] : j["refused"].items()) {
    std::printf("  refused %s: %llu\n", reason.c_str(), n.get<unsigned long long>());
  }
  for (const auto& [key, value] : j.items()) {
    if (!IsSummaryKey(key)) std::printf("  %s: %s\n", key.c_str(), value.dump().c_str());
  }
}

}  // namespace hito::loadgen
