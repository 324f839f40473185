#include "node/chain/commit_events.h"

namespace hito::node::chain {

CommitEvents::CommitEvents(size_t max_tx_waiters) : max_tx_waiters_(max_tx_waiters) {
  dispatcher_ = std::thread([this] { DispatchLoop(); });
}

CommitEvents::~CommitEvents() { Shutdown(); }

uint64_t CommitEvents::AddTxWaiter(const Hash32& tx_hash, Clock::time_point deadline,
                                   TxCallback cb) {
  MutexLock lock(mu_);
  if (stopping_ || waiters_.size() >= max_tx_waiters_) return 0;
  uint64_t id = next_id_++;
  waiters_.emplace(id, Waiter{tx_hash, deadline, std::move(cb)});
  by_hash_.emplace(tx_hash, id);
  by_deadline_.emplace(deadline, id);
  cv_.NotifyOne();
  return id;
}

namespace {
template <typename MM, typename K>
void ErasePair(MM* mm, const K& key, uint64_t id) {
  auto [b, e] = mm->equal_range(key);
  for (auto it = b; it != e; ++it) {
    if (it->second == id) {
      mm->erase(it);
      return;
    }
  }
}
}  // namespace

bool CommitEvents::RemoveTxWaiter(uint64_t id) {
  MutexLock lock(mu_);
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return false;
  ErasePair(&by_hash_, it->second.hash, id);
  ErasePair(&by_deadline_, it->second.deadline, id);
  waiters_.erase(it);
  return true;
}

uint64_t CommitEvents::Subscribe(BlockCallback cb) {
  MutexLock lock(mu_);
  uint64_t id = next_id_++;
  subscribers_.emplace(id, std::make_shared<BlockCallback>(std::move(cb)));
  return id;
}

void CommitEvents::Unsubscribe(uint64_t id) {
  MutexLock lock(mu_);
  subscribers_.erase(id);
}

void CommitEvents::PublishBlock(uint64_t height,
                                const std::vector<std::pair<Hash32, store::TxLocation>>& txs) {
  std::vector<std::pair<TxCallback, const store::TxLocation*>> fire;
  {
    MutexLock lock(mu_);
    if (!waiters_.empty()) {
      for (const auto& [hash, loc] : txs) {
        auto [b, e] = by_hash_.equal_range(hash);
        for (auto it = b; it != e; ++it) {
          auto w = waiters_.find(it->second);
          fire.emplace_back(std::move(w->second.cb), &loc);
          ErasePair(&by_deadline_, w->second.deadline, w->first);
          waiters_.erase(w);
        }
        by_hash_.erase(hash);
      }
    }
    if (!stopping_) {
      published_.push_back(height);
      cv_.NotifyAll();
    }
  }
  for (auto& [cb, loc] : fire) cb(*loc);
}

void CommitEvents::DispatchLoop() {
  mu_.Lock();
  while (!stopping_) {
    if (!published_.empty()) {
      std::vector<uint64_t> heights;
      heights.swap(published_);
      std::vector<std::shared_ptr<BlockCallback>> subs;
      for (const auto& [id, cb] : subscribers_) subs.push_back(cb);
      mu_.Unlock();
      for (uint64_t h : heights) {
        for (const auto& cb : subs) (*cb)(h);
      }
      mu_.Lock();
      continue;
    }
    if (by_deadline_.empty()) {
      cv_.Wait(mu_);
      continue;
    }
    Clock::time_point next = by_deadline_.begin()->first;
    if (Clock::now() < next) {
      cv_.WaitUntil(mu_, next);
      continue;
    }
    std::vector<TxCallback> expired;
    Clock::time_point now = Clock::now();
    while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
      uint64_t id = by_deadline_.begin()->second;
      by_deadline_.erase(by_deadline_.begin());
      auto w = waiters_.find(id);
      ErasePair(&by_hash_, w->second.hash, id);
      expired.push_back(std::move(w->second.cb));
      waiters_.erase(w);
    }
    mu_.Unlock();
    for (auto& cb : expired) cb(std::nullopt);
    mu_.Lock();
  }
  mu_.Unlock();
}

void CommitEvents::Shutdown() {
  std::vector<TxCallback> rest;
  {
    MutexLock lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [id, w] : waiters_) rest.push_back(std::move(w.cb));
    waiters_.clear();
    by_hash_.clear();
    by_deadline_.clear();
    cv_.NotifyAll();
  }
  if (dispatcher_.joinable()) dispatcher_.join();
  for (auto& cb : rest) cb(std::nullopt);
}

size_t CommitEvents::tx_waiters() const {
  MutexLock lock(mu_);
  return waiters_.size();
}

}  // namespace hito::node::chain
