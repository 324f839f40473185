// The handlers of GovernanceService (proto/hito/v1/governance.proto). server.cc wraps
// each handler in the server's call admission; this file only reads the store.
//
// Every handler serves the latest committed state (a LevelDB snapshot taken per call),
// with the height convention of PersonhoodService (HeightRefusal). On a chain whose
// genesis does not enable governance every method is refused as GOVERNANCE_DISABLED,
// before anything else in the request is looked at.
//
// ListProposals' page token is opaque to clients: hex of a versioned (round, next index),
// checked against the request's round.
//
// Thread-safe: handlers keep no state.
#ifndef HITO_NODE_RPC_GOVERNANCE_H_
#define HITO_NODE_RPC_GOVERNANCE_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <string>
#include <utility>

#include "hito/v1/block.pb.h"
#include "hito/v1/governance.pb.h"
#include "node/chain/block_events.h"
#include "node/store/store.h"

namespace hito::node::rpc {

// ListProposals' page sizes (governance.proto).
inline constexpr uint32_t kProposalPageDefault = 64;
inline constexpr uint32_t kProposalPageMax = 256;

// A governance block event (proposal submitted, parameter change, proposal decided or
// executed, round opened) as hito.v1.BlockEvent's oneof; the caller fills the rest.
void FillGovernanceEvent(const chain::BlockEvent& e, hito::v1::BlockEvent* out);

class GovernanceRpc {
 public:
  GovernanceRpc(std::string chain_id, const store::Store* store)
      : chain_id_(std::move(chain_id)), store_(store) {}

  grpc::Status GetGovernance(const hito::v1::GetGovernanceRequest& req,
                             hito::v1::GetGovernanceResponse* resp) const;
  grpc::Status ListProposals(const hito::v1::ListProposalsRequest& req,
                             hito::v1::ListProposalsResponse* resp) const;

 private:
  struct Served;  // governance.cc: the state, height and parameters a call reads
  grpc::Status Open(uint64_t requested_height, Served* out) const;

  const std::string chain_id_;
  const store::Store* store_;
};

}  // namespace hito::node::rpc

#endif  // HITO_NODE_RPC_GOVERNANCE_H_
