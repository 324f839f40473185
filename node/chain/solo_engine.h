// SoloEngine: block production for a chain with one validator.
//
// A block is produced every block_interval_ms on the engine's thread, empty or not:
// empty blocks keep block time moving and make a chain's liveness visible, at the cost of
// one small block per interval (decision in docs/operator.md). Each block is signed by
// the validator's precommit (a one-signature Commit, stored as the block's seen commit
// and carried as last_commit in the next block), executed and committed through the
// Application. If producing a block takes longer than the interval, the next one starts
// right after it (no burst to catch up).
#ifndef HITO_NODE_CHAIN_SOLO_ENGINE_H_
#define HITO_NODE_CHAIN_SOLO_ENGINE_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "base/ed25519.h"
#include "consensus/types/validator_set.h"
#include "node/chain/application.h"
#include "node/chain/engine.h"

namespace hito::node::chain {

struct SoloEngineOptions {
  uint32_t block_interval_ms = 1000;
  uint32_t block_max_txs = 20'000;
  uint64_t block_max_bytes = 8 * 1024 * 1024 - 64 * 1024;
};

class SoloEngine : public EngineThread {
 public:
  // `key` must be the set's only validator. `app` is not owned.
  SoloEngine(std::string chain_id, consensus::types::ValidatorSet validators, Ed25519PrivateKey key,
             Application* app, SoloEngineOptions options);
  ~SoloEngine() override;

  // Produces, executes and commits one block now, on the caller's thread. Not to be mixed
  // with a running Start() loop. Used by the loop and by tests.
  Status ProduceBlock();

  // Block time source; Unix milliseconds. Replaceable in tests.
  std::function<uint64_t()> now_ms;

 private:
  void Run() override;

  const std::string chain_id_;
  const consensus::types::ValidatorSet validators_;
  const Ed25519PrivateKey key_;
  Application* const app_;
  const SoloEngineOptions options_;
};

}  // namespace hito::node::chain

#endif  // HITO_NODE_CHAIN_SOLO_ENGINE_H_
