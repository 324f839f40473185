// What the load generators share: loopback checks, one gRPC channel per connection, the
// set of submitted-but-uncommitted transactions, and the block-stream follower that
// turns commits into throughput and latency figures.
//
// Inflight and CommitStats are thread-safe (one mutex each); the rest are pure helpers.
#ifndef HITO_TESTS_BENCH_LOADGEN_LOAD_COMMON_H_
#define HITO_TESTS_BENCH_LOADGEN_LOAD_COMMON_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/mutex.h"
#include "base/thread_annotations.h"

namespace hito::loadgen {

using Clock = std::chrono::steady_clock;

// 127.x, localhost or [::1]: the generators refuse to load anything else.
bool IsLoopback(const std::string& addr);

[[noreturn]] void Die(const std::string& msg);

// The pool's "busy" refusals of a batch item (full, fee not above the lowest, the sender's
// share used): retry soon, like a unary call's RESOURCE_EXHAUSTED.
bool IsPoolBusy(const std::string& reason);

// A channel with its own TCP connection (`index` distinguishes them).
std::shared_ptr<grpc::Channel> NewChannel(const std::string& addr, int index);

// "a,b,c" -> {"a", "b", "c"}; empty items dropped.
std::vector<std::string> SplitList(const std::string& list);

// Submit times of transactions not yet seen committed, keyed by hash bytes; the latency
// of each commit seen.
class Inflight {
 public:
  void Add(const std::string& hash, Clock::time_point t);
  void Remove(const std::string& hash);
  // If `hash` is ours, records its latency and returns true.
  bool Commit(const std::string& hash, Clock::time_point seen);
  size_t size();
  std::vector<int64_t> Latencies();

 private:
  Mutex mu_;
  std::unordered_map<std::string, Clock::time_point> pending_ GUARDED_BY(mu_);
  std::vector<int64_t> latencies_us_ GUARDED_BY(mu_);
};

// Counters of a run: the submitters' (atomics) and the follower's (under mu).
struct CommitStats {
  std::atomic<uint64_t> submitted{0};
  std::atomic<uint64_t> committed{0};
  std::atomic<uint64_t> busy_retries{0};  // mempool full: retried
  Mutex mu;
  std::map<std::string, uint64_t> refused GUARDED_BY(mu);  // reason -> count
  Clock::time_point first_commit GUARDED_BY(mu){};
  Clock::time_point last_commit GUARDED_BY(mu){};
  uint64_t blocks GUARDED_BY(mu) = 0;
  uint64_t max_block_txs GUARDED_BY(mu) = 0;
  uint64_t first_height GUARDED_BY(mu) = 0;
  uint64_t last_height GUARDED_BY(mu) = 0;

  void Refused(const std::string& reason);
};

// Streams blocks from `from_height` until *stop, matching their transaction hashes
// against `inflight` and counting ours in `stats`.
void FollowBlocks(const std::string& addr, uint64_t from_height, Inflight* inflight,
                  CommitStats* stats, std::atomic<bool>* stop);

// Waits (bounded by `drain`) until nothing is in flight.
void Drain(Inflight* inflight, std::chrono::seconds drain);

// One timed run: follows blocks from `from_height` on `follow_addr`, runs `submit(t,
// inflight, stats)` on `threads` threads, waits for them, then (bounded by `drain`) for
// their transactions to commit; the run's Summary, timed from just before the threads.
nlohmann::ordered_json RunLoad(
    const std::string& follow_addr, uint64_t from_height, uint32_t threads,
    std::chrono::seconds drain,
    const std::function<void(uint32_t t, Inflight* inflight, CommitStats* stats)>& submit);

// The p-th percentile (0..1) of v (reorders v); 0 when empty.
int64_t Percentile(std::vector<int64_t>& v, double p);

// The run's figures as JSON: submitted, committed, refusals, the window from `start` to
// the last commit seen, committed per second, latency percentiles (ms), blocks.
nlohmann::ordered_json Summary(CommitStats& stats, Inflight& inflight, Clock::time_point start,
                               Clock::time_point submit_end);

// Prints `j` (Summary's fields plus the generator's own) as one JSON line, or as text
// naming the committed transactions `what` (e.g. "transfers", "claims").
void PrintSummary(const nlohmann::ordered_json& j, const std::string& what, bool json);

}  // namespace hito::loadgen

#endif  // HITO_TESTS_BENCH_LOADGEN_LOAD_COMMON_H_
