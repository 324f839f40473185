// SessionTable: the connections of one PeerNetwork (docs/protocol/p2p.md, "Duplicate
// connections" and "Limits") and the network's running state.
//
// Every live connection is tracked from its stream opening until its thread leaves
// (inbound streams still in the hello are bounded by max_inbound_peers, so silent streams
// cannot pin threads). An authenticated connection is registered under its node key: at
// most one per key, at most max_inbound_peers inbound, none for a banned key. The table
// decides which connection loses; closing it is the caller's business, so no lock of the
// table is held while a connection closes.
//
// Thread-safe. Lock order: the table's mu_ before a Session's mu; the ban predicate given
// to Register runs under mu_ and may take the network's ban lock.
#ifndef HITO_NODE_P2P_SESSION_TABLE_H_
#define HITO_NODE_P2P_SESSION_TABLE_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "node/p2p/peer_network.h"
#include "node/p2p/session.h"

namespace hito::node::p2p {

class SessionTable {
 public:
  // `self` is our node key (it breaks ties between crossed dials).
  SessionTable(PeerId self, size_t max_inbound_peers);

  // ---- lifecycle ----
  void MarkStarted();
  // Starts stopping and wakes every SleepFor; false if never started or already stopping.
  // From then on Track and Register refuse.
  [[nodiscard]] bool BeginStop();
  // Waits up to `d`; false if stopping.
  bool SleepFor(std::chrono::milliseconds d);
  // Returns once every tracked connection has been untracked.
  void WaitUntilEmpty();

  // ---- live connections ----
  // Adds a connection; false if stopping or (inbound) too many are still in the hello.
  [[nodiscard]] bool Track(const SessionPtr& s);
  // Last touch of the network by a connection's thread; WaitUntilEmpty waits for it.
  void Untrack(const SessionPtr& s);
  std::vector<SessionPtr> Live() const;
  // Live connections not established within `timeout` of their start.
  std::vector<SessionPtr> HelloOverdue(Clock::time_point now, Clock::duration timeout) const;

  // ---- authenticated peers ----
  struct Admission {
    bool admitted = false;
    SessionPtr loser;  // the connection to close, if any: `s` itself or the one it replaced
    DropReason reason = DropReason::kDuplicate;
    std::string why;
  };
  // Registers the established `s` under its key. `is_banned` is asked under the table
  // lock. Not admitted when stopping, banned, over max_inbound_peers, or a connection to
  // the same key is kept instead (same direction: the newer wins; crossed dials: the one
  // dialed by the smaller key).
  Admission Register(const SessionPtr& s, const std::function<bool(const PeerId&)>& is_banned);
  void Unregister(const SessionPtr& s);
  SessionPtr Find(const PeerId& k) const;
  bool IsConnected(const PeerId& k) const;
  std::vector<SessionPtr> Registered() const;

 private:
  size_t CountInbound() const REQUIRES(mu_);
  bool Preferred(const Session& s) const;

  const PeerId self_;
  const size_t max_inbound_peers_;

  mutable Mutex mu_;
  CondVar stop_cv_;
  bool started_ GUARDED_BY(mu_) = false;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::set<SessionPtr> all_ GUARDED_BY(mu_);            // every live connection
  std::map<PeerId, SessionPtr> peers_ GUARDED_BY(mu_);  // authenticated, registered
};

}  // namespace hito::node::p2p

#endif  // HITO_NODE_P2P_SESSION_TABLE_H_
