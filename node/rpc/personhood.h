// The handlers of PersonhoodService and UbiService (proto/hito/v1/personhood.proto,
// ubi.proto), the block events and the personhood fields of TransactionView. server.cc
// wraps each handler in the server's call admission; this file only reads the store.
//
// Every handler serves the latest committed state (a LevelDB snapshot taken per call):
// a request height other than 0 or that height is refused (HeightRefusal). On a chain
// without a registry every method is refused as PERSONHOOD_DISABLED, before anything else
// in the request is looked at.
//
// Page tokens are opaque strings to clients; inside, hex of a versioned position that the
// next call checks against its request (a token of another snapshot, or one changed by
// hand, is INVALID_ARGUMENT naming page_token).
//
// Thread-safe: handlers share only the live-members cache, under its own lock.
#ifndef HITO_NODE_RPC_PERSONHOOD_H_
#define HITO_NODE_RPC_PERSONHOOD_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <map>
#include <utility>

#include "base/bytes.h"
#include "base/mutex.h"
#include "consensus/types/transaction.h"
#include "hito/v1/block.pb.h"
#include "hito/v1/personhood.pb.h"
#include "hito/v1/tx.pb.h"
#include "hito/v1/ubi.pb.h"
#include "node/chain/block_events.h"
#include "node/store/store.h"

namespace hito::node::rpc {

// Page sizes (personhood.proto).
inline constexpr uint32_t kSnapshotPageDefault = 4096;
inline constexpr uint32_t kSnapshotPageMax = 16384;
inline constexpr uint32_t kAttesterPageDefault = 100;
inline constexpr uint32_t kAttesterPageMax = 1000;

// OK when `requested` is 0 or `served`; otherwise FAILED_PRECONDITION with
// HEIGHT_NOT_YET_COMMITTED (above) or HEIGHT_NOT_AVAILABLE (below), metadata
// latest_height.
grpc::Status HeightRefusal(uint64_t requested, uint64_t served);

// The personhood fields of a registration, revocation or claim (no-op for a transfer).
void FillPersonhoodTxView(const consensus::types::Transaction& tx, hito::v1::TransactionView* v);

// The events of a block as served: `txs` are the block's transactions (for the hashes).
void FillBlockEvents(const std::vector<chain::BlockEvent>& events, const std::vector<Bytes>& txs,
                     google::protobuf::RepeatedPtrField<hito::v1::BlockEvent>* out);

class PersonhoodRpc {
 public:
  PersonhoodRpc(std::string chain_id, const store::Store* store)
      : chain_id_(std::move(chain_id)), store_(store) {}

  grpc::Status GetRegistry(const hito::v1::GetRegistryRequest& req,
                           hito::v1::GetRegistryResponse* resp);
  grpc::Status GetIdentity(const hito::v1::GetIdentityRequest& req,
                           hito::v1::GetIdentityResponse* resp);
  grpc::Status ListSnapshotMembers(const hito::v1::ListSnapshotMembersRequest& req,
                                   hito::v1::ListSnapshotMembersResponse* resp);
  grpc::Status ListAttesters(const hito::v1::ListAttestersRequest& req,
                             hito::v1::ListAttestersResponse* resp);

  grpc::Status GetUbiParams(const hito::v1::GetUbiParamsRequest& req,
                            hito::v1::GetUbiParamsResponse* resp);
  grpc::Status GetEpoch(const hito::v1::GetEpochRequest& req, hito::v1::GetEpochResponse* resp);
  grpc::Status GetNullifier(const hito::v1::GetNullifierRequest& req,
                            hito::v1::GetNullifierResponse* resp);
  grpc::Status GetSupply(const hito::v1::GetSupplyRequest& req, hito::v1::GetSupplyResponse* resp);
  grpc::Status GetEpochClaims(const hito::v1::GetEpochClaimsRequest& req,
                              hito::v1::GetEpochClaimsResponse* resp);

  // Members of a frozen set that are not fillers: position j is a filler iff it holds
  // zk::proof::membership::Filler(j)'s encoding. Counting costs a hash to the group per member
  // (up to 2^16), so counts are cached by (cohort, set hash): a frozen set never changes.
  uint64_t LiveMembers(uint32_t cohort, const Hash32& set_hash,
                       const std::vector<consensus::types::IdentityPoint>& members);

 private:
  struct Served;  // personhood.cc: the state, height and parameters a call reads
  grpc::Status Open(uint64_t requested_height, Served* out) const;

  const std::string chain_id_;
  const store::Store* store_;
  Mutex mu_;
  std::map<std::pair<uint32_t, Hash32>, uint64_t> live_members_ GUARDED_BY(mu_);
};

}  // namespace hito::node::rpc

#endif  // HITO_NODE_RPC_PERSONHOOD_H_
