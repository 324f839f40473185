// Clock: the node's two time sources behind one seam, as Env is for files.
//
// The node reads time for two different jobs: a monotonic clock for timeouts, gossip
// ticks and rate budgets (never goes back, unrelated to the calendar), and the Unix wall
// clock for block times and for judging whether a proposal is too far in the future.
// Code that reads time takes a Clock*, so tests and the deterministic simulator can hand
// it a ManualClock and run the real node code on simulated time. consensus/ never reads
// a clock at all: time reaches it only through block headers.
//
// Clock::Real() is thread-safe. A ManualClock is thread-safe too (an atomic pair), but its
// time moves only when its owner calls Advance or SetWallMs.
#ifndef HITO_NODE_IO_CLOCK_H_
#define HITO_NODE_IO_CLOCK_H_

#include <atomic>
#include <chrono>
#include <cstdint>

namespace hito::node::io {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;

  // Monotonic time, for timers and intervals.
  virtual TimePoint Now() const = 0;
  // Unix time in milliseconds, for block times.
  virtual uint64_t WallMs() const = 0;

  // The process-wide real clocks (steady_clock and system_clock).
  static Clock* Real();
};

// A clock that moves only when told: tests and the simulator. Starts at steady time zero
// and at wall time `wall_ms`.
class ManualClock : public Clock {
 public:
  explicit ManualClock(uint64_t wall_ms = 0) : wall_ms_(wall_ms) {}
  TimePoint Now() const override { return TimePoint(std::chrono::milliseconds(steady_ms_.load())); }
  uint64_t WallMs() const override { return wall_ms_.load(); }

  // Moves both clocks forward by `ms`.
  void Advance(uint64_t ms) {
    steady_ms_.fetch_add(static_cast<int64_t>(ms));
    wall_ms_.fetch_add(ms);
  }
  // Sets the wall clock alone (a skewed or corrected calendar); steady time is unchanged.
  void SetWallMs(uint64_t wall_ms) { wall_ms_.store(wall_ms); }

 private:
  std::atomic<int64_t> steady_ms_{0};
  std::atomic<uint64_t> wall_ms_;
};

}  // namespace hito::node::io

#endif  // HITO_NODE_IO_CLOCK_H_
