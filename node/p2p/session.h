// Session: the state of one peer connection of PeerNetwork (docs/protocol/p2p.md), from
// the stream opening through the hello to its end, and the token buckets that pace what a
// peer may send us and what we gossip to it.
//
// A Session is shared (SessionPtr) by its reader, its writer, the session table and the
// dispatch queues. Fields set before the session is tracked (direction, address, expected
// key) and `key` (set before `established`) are read without a lock; `mu` guards the
// others but the atomics. Each session's share of the inbound dispatch queues is counted
// by the network under its dispatch lock (peer_network.cc).
#ifndef HITO_NODE_P2P_SESSION_H_
#define HITO_NODE_P2P_SESSION_H_

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "base/bytes.h"
#include "base/mutex.h"
#include "hito/p2p/v1/p2p.pb.h"
#include "node/p2p/peer_network.h"

namespace hito::node::p2p {

// The peer protocol's generated code keeps its package's namespace.
namespace v1 = ::hito::p2p::v1;

using Clock = std::chrono::steady_clock;
using MsgPtr = std::shared_ptr<const v1::PeerMessage>;

// A token bucket that may go into debt: a message larger than the burst still passes,
// and the debt tells the reader how long to stop reading. A rate of 0 means no limit.
// Not thread-safe.
class TokenBucket {
 public:
  TokenBucket() = default;
  TokenBucket(uint64_t rate_per_second, uint64_t burst)
      : rate_(std::min(rate_per_second, kMaxTokens)),
        burst_(static_cast<int64_t>(std::min<uint64_t>(burst, kMaxTokens))),
        tokens_(burst_),
        last_(Clock::now()) {}

  // Takes `n` tokens; returns how long until the balance is back to zero.
  Clock::duration Take(uint64_t n, Clock::time_point now) {
    if (rate_ == 0) return Clock::duration::zero();
    Refill(now);
    tokens_ -= static_cast<int64_t>(std::min<uint64_t>(n, kMaxTokens));
    tokens_ = std::max(tokens_, -static_cast<int64_t>(kMaxTokens));
    if (tokens_ >= 0) return Clock::duration::zero();
    const uint64_t debt = static_cast<uint64_t>(-tokens_);
    return std::chrono::microseconds(debt / rate_ * 1'000'000 + debt % rate_ * 1'000'000 / rate_);
  }
  // Takes `n` tokens only if the balance covers them.
  bool TryTake(uint64_t n, Clock::time_point now) {
    if (rate_ == 0) return true;
    Refill(now);
    if (tokens_ < 0 || static_cast<uint64_t>(tokens_) < n) return false;
    tokens_ -= static_cast<int64_t>(n);
    return true;
  }

 private:
  static constexpr uint64_t kMaxTokens = uint64_t{1} << 40;
  void Refill(Clock::time_point now) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - last_).count();
    if (us <= 0) return;
    last_ = now;
    const uint64_t elapsed = std::min<uint64_t>(static_cast<uint64_t>(us), 3'600'000'000);
    const uint64_t add = elapsed / 1'000'000 * rate_ + elapsed % 1'000'000 * rate_ / 1'000'000;
    tokens_ = std::min(tokens_ + static_cast<int64_t>(std::min(add, 2 * kMaxTokens)), burst_);
  }

  uint64_t rate_ = 0;
  int64_t burst_ = 0;
  int64_t tokens_ = 0;
  Clock::time_point last_{};
};

struct Session {
  explicit Session(const Limits& l)
      : in_bytes(l.peer_bytes_per_second, l.peer_bytes_burst),
        in_messages(l.peer_messages_per_second, l.peer_messages_burst),
        tx_out(l.peer_bytes_per_second / 2, l.peer_bytes_burst / 2) {}
  bool outbound = false;
  std::string address;
  std::optional<PeerId> expected_key;  // outbound: from the config
  Clock::time_point started = Clock::now();

  Mutex mu;
  CondVar cv;
  std::deque<MsgPtr> outq GUARDED_BY(mu);
  size_t outq_bytes GUARDED_BY(mu) = 0;
  bool closed GUARDED_BY(mu) = false;
  std::function<void()> cancel GUARDED_BY(mu);  // cleared before the stream dies
  // Our block requests in flight, and expired ones whose late answer is welcome.
  std::map<uint64_t, Clock::time_point> pending GUARDED_BY(mu);
  std::deque<uint64_t> timed_out GUARDED_BY(mu);
  TokenBucket in_bytes GUARDED_BY(mu);
  TokenBucket in_messages GUARDED_BY(mu);
  TokenBucket tx_out GUARDED_BY(mu);             // paces our tx gossip to this peer
  std::set<Hash32> sent_blocks GUARDED_BY(mu);   // blocks sent with a proposal
  std::deque<Hash32> sent_order GUARDED_BY(mu);  // the same, oldest first
  std::atomic<bool> established{false};
  PeerId key{};  // set before established
  std::atomic<uint64_t> height{0};
};
using SessionPtr = std::shared_ptr<Session>;

}  // namespace hito::node::p2p

#endif  // HITO_NODE_P2P_SESSION_H_
