// TxRelay: where transactions admitted from clients go to reach the other validators.
//
// The RPC server calls Relay for every transaction it admitted into the mempool (not for
// refused ones). The implementation for a multi-validator chain is P2pTransport, which
// queues them and sends them to its peers in batches (tx gossip); transactions that
// arrive from peers are admitted by the transport itself and never relayed again (the
// validators form a full mesh). A single-validator chain has no relay.
//
// Thread-safety: Relay is called from any RPC handler thread concurrently; it must not
// block on the network.
#ifndef HITO_NODE_MEMPOOL_TX_RELAY_H_
#define HITO_NODE_MEMPOOL_TX_RELAY_H_

#include <memory>

#include "node/mempool/mempool.h"

namespace hito::node::mempool {

class TxRelay {
 public:
  virtual ~TxRelay() = default;
  virtual void Relay(std::shared_ptr<const PendingTx> tx) = 0;
};

}  // namespace hito::node::mempool

#endif  // HITO_NODE_MEMPOOL_TX_RELAY_H_
