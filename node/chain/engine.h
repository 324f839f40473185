// Engine: whatever decides the chain's blocks and drives the Application with them.
//
// SoloEngine (solo_engine.h) is the single-validator engine of issue 2: it proposes,
// signs its own precommit and commits alone. The Tendermint engine of issue 4 implements
// the same interface over consensus/bft and the peer network.
#ifndef HITO_NODE_CHAIN_ENGINE_H_
#define HITO_NODE_CHAIN_ENGINE_H_

namespace hito::node {

class Engine {
 public:
  virtual ~Engine() = default;
  // Starts the engine's own thread(s). Called once.
  virtual void Start() = 0;
  // Stops and joins them; after it returns no Application call is in progress.
  // Idempotent.
  virtual void Stop() = 0;
};

}  // namespace hito::node

#endif  // HITO_NODE_CHAIN_ENGINE_H_
