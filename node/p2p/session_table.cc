#include "node/p2p/session_table.h"

#include <utility>

#include "base/assert.h"

namespace hito::node::p2p {

SessionTable::SessionTable(PeerId self, size_t max_inbound_peers)
    : self_(self), max_inbound_peers_(max_inbound_peers) {}

void SessionTable::MarkStarted() {
  MutexLock l(mu_);
  started_ = true;
}

bool SessionTable::BeginStop() {
  {
    MutexLock l(mu_);
    if (!started_ || stopping_) return false;
    stopping_ = true;
  }
  stop_cv_.NotifyAll();
  return true;
}

bool SessionTable::SleepFor(std::chrono::milliseconds d) {
  MutexLock l(mu_);
  const Clock::time_point deadline = Clock::now() + d;
  while (!stopping_) {
    if (!stop_cv_.WaitUntil(mu_, deadline)) break;
  }
  return !stopping_;
}

void SessionTable::WaitUntilEmpty() {
  MutexLock l(mu_);
  while (!all_.empty()) stop_cv_.Wait(mu_);
}

bool SessionTable::Track(const SessionPtr& s) {
  MutexLock l(mu_);
  if (stopping_) return false;
  if (!s->outbound) {
    size_t pending = 0;
    for (const SessionPtr& o : all_) pending += (!o->outbound && !o->established) ? 1 : 0;
    if (pending >= max_inbound_peers_) return false;
  }
  all_.insert(s);
  return true;
}

void SessionTable::Untrack(const SessionPtr& s) {
  MutexLock l(mu_);
  all_.erase(s);
  stop_cv_.NotifyAll();
}

std::vector<SessionPtr> SessionTable::Live() const {
  MutexLock l(mu_);
  return std::vector<SessionPtr>(all_.begin(), all_.end());
}

std::vector<SessionPtr> SessionTable::HelloOverdue(Clock::time_point now,
                                                   Clock::duration timeout) const {
  std::vector<SessionPtr> late;
  MutexLock l(mu_);
  for (const SessionPtr& s : all_) {
    if (!s->established.load() && now - s->started > timeout) late.push_back(s);
  }
  return late;
}

SessionTable::Admission SessionTable::Register(
    const SessionPtr& s, const std::function<bool(const PeerId&)>& is_banned) {
  HITO_ASSERT(s->established.load());
  Admission a;
  MutexLock l(mu_);
  HITO_ASSERT(all_.count(s) == 1);  // tracked before its hello
  if (stopping_) return a;
  if (is_banned(s->key)) {
    a.loser = s;
    a.reason = DropReason::kBanned;
    a.why = "peer is banned";
  } else if (!s->outbound && CountInbound() >= max_inbound_peers_) {
    a.loser = s;
    a.reason = DropReason::kClosed;
    a.why = "too many inbound peers";
  } else if (auto it = peers_.find(s->key); it == peers_.end()) {
    peers_[s->key] = s;
  } else if (const SessionPtr& old = it->second; old->outbound == s->outbound || Preferred(*s)) {
    a.loser = old;
    it->second = s;
    a.why = "replaced by a newer connection";
  } else {
    a.loser = s;
    a.why = "a connection to this peer already exists";
  }
  a.admitted = a.loser != s;
  return a;
}

void SessionTable::Unregister(const SessionPtr& s) {
  MutexLock l(mu_);
  auto it = peers_.find(s->key);
  if (s->established && it != peers_.end() && it->second == s) peers_.erase(it);
}

SessionPtr SessionTable::Find(const PeerId& k) const {
  MutexLock l(mu_);
  auto it = peers_.find(k);
  return it == peers_.end() ? nullptr : it->second;
}

bool SessionTable::IsConnected(const PeerId& k) const {
  MutexLock l(mu_);
  return peers_.count(k) > 0;
}

std::vector<SessionPtr> SessionTable::Registered() const {
  MutexLock l(mu_);
  std::vector<SessionPtr> out;
  for (const auto& [k, s] : peers_) out.push_back(s);
  return out;
}

size_t SessionTable::CountInbound() const {
  size_t n = 0;
  for (const auto& [k, s] : peers_) n += s->outbound ? 0 : 1;
  return n;
}

// Of two connections in opposite directions, both ends keep the one dialed by the node
// with the smaller key.
bool SessionTable::Preferred(const Session& s) const {
  const PeerId& dialer = s.outbound ? self_ : s.key;
  const PeerId& listener = s.outbound ? s.key : self_;
  return dialer < listener;
}

}  // namespace hito::node::p2p
