// Engine: whatever decides the chain's blocks and drives the Application with them.
//
// SoloEngine (solo_engine.h) is the single-validator engine: it proposes, signs its own
// precommit and commits alone. BftEngine (bft_engine.h) implements the same interface over
// consensus/bft and the peer network.
#ifndef HITO_NODE_CHAIN_ENGINE_H_
#define HITO_NODE_CHAIN_ENGINE_H_

#include <thread>

#include "base/assert.h"
#include "base/mutex.h"

namespace hito::node::chain {

class Engine {
 public:
  virtual ~Engine() = default;
  // Starts the engine's own thread(s). Called once.
  virtual void Start() = 0;
  // Stops and joins them; after it returns no Application call is in progress.
  // Idempotent.
  virtual void Stop() = 0;
};

// The thread handling both engines share: Start runs Run() on one thread; Stop sets
// stop_ (under mu_), wakes cv_, joins, then calls OnStopped() once. A derived engine's
// Run() waits on cv_ with mu_ and returns once it sees stop_; its destructor must call
// Stop() before its own members go away (the thread runs the derived code). mu_ and cv_
// are the derived engine's to use for its own state too.
class EngineThread : public Engine {
 public:
  void Start() override {
    HITO_ASSERT(!thread_.joinable());
    thread_ = std::thread([this] { Run(); });
  }
  void Stop() override {
    {
      MutexLock lock(mu_);
      if (stop_ && !thread_.joinable()) return;  // stopped before
      stop_ = true;
    }
    cv_.NotifyAll();
    if (thread_.joinable()) thread_.join();
    OnStopped();
  }

 protected:
  // The engine's loop, on its thread.
  virtual void Run() = 0;
  // After the thread has left Run(), on the thread that called Stop().
  virtual void OnStopped() {}

  mutable Mutex mu_;
  CondVar cv_;
  bool stop_ GUARDED_BY(mu_) = false;

 private:
  std::thread thread_;
};

}  // namespace hito::node::chain

#endif  // HITO_NODE_CHAIN_ENGINE_H_
