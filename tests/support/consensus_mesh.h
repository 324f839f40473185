// ConsensusMesh: the in-memory network of the node's consensus tests. Port i is node i's
// ConsensusTransport; a message a port broadcasts goes to the ports linked to it (Link,
// FullMesh), and block sync asks them in index order.
//
// Two ways to deliver, chosen at construction:
//   - kImmediate, for BftEngines on their own threads: a message is handed at once to the
//     receivers' ConsensusHandlers (SetHandler), under the mesh's lock; a port without a
//     handler neither sends nor receives. Thread-safe.
//   - kQueued, for BftDrivers on simulated time: a message waits in one queue until
//     Deliver() hands it to the driver attached to its receiver (Attach), so no driver is
//     re-entered; what each port sent is kept in Port::sent. One thread only.
#ifndef HITO_TESTS_SUPPORT_CONSENSUS_MESH_H_
#define HITO_TESTS_SUPPORT_CONSENSUS_MESH_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "node/chain/bft_driver.h"
#include "node/chain/consensus_transport.h"

namespace hito::testing {

class ConsensusMesh {
 public:
  enum class Delivery { kImmediate, kQueued };

  class Port : public node::chain::ConsensusTransport {
   public:
    Port(ConsensusMesh* mesh, size_t index) : mesh_(mesh), index_(index) {}
    void SetHandler(node::chain::ConsensusHandler* handler) override;
    void BroadcastProposal(const consensus::types::Proposal& p,
                           const consensus::types::Block& b) override;
    void BroadcastVote(const consensus::types::Vote& v) override;
    void BroadcastEvidence(const consensus::types::DuplicateVoteEvidence& e) override;
    void RequestCommittedBlock(uint64_t height) override;

    // What this port broadcast, in order (kQueued only).
    std::vector<node::chain::BftInput> sent;

   private:
    ConsensusMesh* const mesh_;
    const size_t index_;
  };

  // `n` ports, none linked yet.
  ConsensusMesh(size_t n, Delivery delivery);
  ConsensusMesh(const ConsensusMesh&) = delete;
  ConsensusMesh& operator=(const ConsensusMesh&) = delete;

  void Link(size_t a, size_t b);
  void FullMesh();
  Port* port(size_t i) { return ports_[i].get(); }
  size_t size() const { return ports_.size(); }

  // kQueued: the driver that receives what is queued for port i (nullptr: dropped).
  void Attach(size_t i, node::chain::BftDriver* driver);
  // kQueued: hands every queued message (and those sent meanwhile) to its driver.
  void Deliver();
  // A vote to every node (handler or attached driver), as if a peer had sent it.
  void Inject(const consensus::types::Vote& vote);

  // Block sync answers requests (off: RequestCommittedBlock does nothing).
  bool sync = true;

 private:
  void Send(size_t from, const node::chain::BftInput& input);
  void RequestCommittedBlock(size_t to, uint64_t height);
  void RequestQueued(size_t to, uint64_t height);
  static void Dispatch(node::chain::ConsensusHandler* handler, const node::chain::BftInput& input);

  const Delivery delivery_;
  std::vector<std::unique_ptr<Port>> ports_;
  std::vector<std::set<size_t>> links_;
  std::mutex mu_;  // kImmediate: guards handlers_ and the calls made to them
  std::vector<node::chain::ConsensusHandler*> handlers_;
  std::vector<node::chain::BftDriver*> drivers_;                // kQueued
  std::deque<std::pair<size_t, node::chain::BftInput>> queue_;  // kQueued
};

}  // namespace hito::testing

#endif  // HITO_TESTS_SUPPORT_CONSENSUS_MESH_H_
