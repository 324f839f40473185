#include "tests/support/consensus_mesh.h"

#include <type_traits>
#include <variant>

#include "base/assert.h"

namespace hito::testing {

namespace types = consensus::types;
namespace bft = consensus::bft;

void ConsensusMesh::Port::SetHandler(node::chain::ConsensusHandler* handler) {
  std::lock_guard lock(mesh_->mu_);
  mesh_->handlers_[index_] = handler;
}

void ConsensusMesh::Port::BroadcastProposal(const types::Proposal& p, const types::Block& b) {
  mesh_->Send(index_, bft::ProposalReceived{p, b});
}

void ConsensusMesh::Port::BroadcastVote(const types::Vote& v) {
  mesh_->Send(index_, bft::VoteReceived{v});
}

void ConsensusMesh::Port::BroadcastEvidence(const types::DuplicateVoteEvidence& e) {
  mesh_->Send(index_, e);
}

void ConsensusMesh::Port::RequestCommittedBlock(uint64_t height) {
  mesh_->RequestCommittedBlock(index_, height);
}

ConsensusMesh::ConsensusMesh(size_t n, Delivery delivery)
    : delivery_(delivery), links_(n), handlers_(n, nullptr), drivers_(n, nullptr) {
  for (size_t i = 0; i < n; ++i) ports_.push_back(std::make_unique<Port>(this, i));
}

void ConsensusMesh::Link(size_t a, size_t b) {
  HITO_ASSERT(a < size() && b < size() && a != b);
  links_[a].insert(b);
  links_[b].insert(a);
}

void ConsensusMesh::FullMesh() {
  for (size_t a = 0; a < size(); ++a) {
    for (size_t b = a + 1; b < size(); ++b) Link(a, b);
  }
}

void ConsensusMesh::Attach(size_t i, node::chain::BftDriver* driver) {
  HITO_ASSERT(delivery_ == Delivery::kQueued);
  drivers_[i] = driver;
}

void ConsensusMesh::Deliver() {
  HITO_ASSERT(delivery_ == Delivery::kQueued);
  for (int guard = 0; guard < 1'000'000 && !queue_.empty(); ++guard) {
    auto [to, input] = std::move(queue_.front());
    queue_.pop_front();
    if (node::chain::BftDriver* d = drivers_[to]) d->Handle(std::move(input));
  }
}

void ConsensusMesh::Inject(const types::Vote& vote) {
  if (delivery_ == Delivery::kQueued) {
    for (size_t i = 0; i < size(); ++i) queue_.push_back({i, bft::VoteReceived{vote}});
    return;
  }
  std::lock_guard lock(mu_);
  for (node::chain::ConsensusHandler* h : handlers_) {
    if (h != nullptr) h->OnVote(vote);
  }
}

void ConsensusMesh::Send(size_t from, const node::chain::BftInput& input) {
  if (delivery_ == Delivery::kQueued) {
    ports_[from]->sent.push_back(input);
    for (size_t j : links_[from]) queue_.push_back({j, input});
    return;
  }
  std::lock_guard lock(mu_);
  if (handlers_[from] == nullptr) return;
  for (size_t j : links_[from]) {
    if (handlers_[j] != nullptr) Dispatch(handlers_[j], input);
  }
}

void ConsensusMesh::RequestCommittedBlock(size_t to, uint64_t height) {
  if (!sync) return;
  if (delivery_ == Delivery::kQueued) {
    RequestQueued(to, height);
    return;
  }
  std::lock_guard lock(mu_);
  node::chain::ConsensusHandler* me = handlers_[to];
  if (me == nullptr) return;
  for (size_t j : links_[to]) {
    node::chain::ConsensusHandler* h = handlers_[j];
    if (h == nullptr) continue;
    if (auto bc = h->ServeCommittedBlock(height)) {
      me->OnCommittedBlock(bc->first, bc->second);
      return;
    }
  }
}

void ConsensusMesh::RequestQueued(size_t to, uint64_t height) {
  for (size_t j : links_[to]) {
    node::chain::BftDriver* d = drivers_[j];
    if (d == nullptr) continue;
    if (auto bc = d->ServeCommittedBlock(height)) {
      queue_.push_back({to, node::chain::CommittedBlockReceived{bc->first, bc->second}});
      return;
    }
  }
}

void ConsensusMesh::Dispatch(node::chain::ConsensusHandler* handler,
                             const node::chain::BftInput& input) {
  std::visit(
      [handler](const auto& in) {
        using T = std::decay_t<decltype(in)>;
        if constexpr (std::is_same_v<T, bft::ProposalReceived>) {
          handler->OnProposal(in.proposal, in.block);
        } else if constexpr (std::is_same_v<T, bft::BlockReceived>) {
          handler->OnBlock(in.block);
        } else if constexpr (std::is_same_v<T, bft::VoteReceived>) {
          handler->OnVote(in.vote);
        } else if constexpr (std::is_same_v<T, types::DuplicateVoteEvidence>) {
          handler->OnEvidence(in);
        } else {
          handler->OnCommittedBlock(in.block, in.commit);
        }
      },
      input);
}

}  // namespace hito::testing
