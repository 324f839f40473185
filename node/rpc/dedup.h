// The handlers of DedupService (proto/hito/v1/dedup.proto): this validator's share of the
// dedup OPRF key (docs/protocol/dedup-oprf.md). server.cc wraps each handler in the
// server's call admission.
//
// Evaluate checks, in order of cost: the chain has dedup keys (DEDUP_DISABLED) and this
// node a share (DEDUP_NO_SHARE); field sizes and the blinded element (a canonical,
// non-identity ristretto255 encoding; INVALID_ARGUMENT naming the field); the attester's
// signature over types::DedupEvalSigningBytes with this chain's id
// (DEDUP_BAD_SIGNATURE); accreditation in the latest committed state
// (DEDUP_NOT_ACCREDITED); the request's epoch within one of the current epoch
// (DEDUP_WRONG_EPOCH); then the attester's count in the current epoch against the
// registry parameter dedup_quota_per_epoch of the latest committed state
// (DEDUP_QUOTA_EXHAUSTED). Only then is the share used. Governance changes the parameter
// from an epoch's first block, where the counts start afresh anyway.
//
// The key set and the share come from a DedupKeyring, which the DKG driver updates when
// the chain's key set changes (a resharing); each call reads one snapshot of it.
//
// Thread-safe: the quota counts are under their own lock; the keyring has its own.
#ifndef HITO_NODE_RPC_DEDUP_H_
#define HITO_NODE_RPC_DEDUP_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "base/ed25519.h"
#include "base/mutex.h"
#include "consensus/ledger/ledger.h"
#include "hito/v1/dedup.pb.h"
#include "node/dedup/keyring.h"
#include "node/store/store.h"
#include "zk/oprf.h"

namespace hito::node::rpc {

// Evaluations per attester in the current epoch. Counts of earlier epochs are dropped
// when a later epoch is first seen, so it holds at most one entry per attester that asked
// in this epoch (callers count only accredited attesters). Thread-safe.
class DedupQuota {
 public:
  struct Count {
    uint32_t evaluations = 0;
    uint32_t refused = 0;  // refused because the quota was used up
  };
  // Counts one evaluation of `attester` in `epoch` unless it has had `per_epoch` there
  // already (then counts a refusal). Returns whether it was counted, and the count after.
  struct Taken {
    bool granted = false;
    uint32_t used = 0;
  };
  Taken Take(const Ed25519PublicKey& attester, uint64_t epoch, uint32_t per_epoch);
  // The counts of `epoch` (empty for any epoch but the latest seen).
  std::map<Ed25519PublicKey, Count> Counts(uint64_t epoch) const;

 private:
  mutable Mutex mu_;
  uint64_t epoch_ GUARDED_BY(mu_) = 0;
  std::map<Ed25519PublicKey, Count> counts_ GUARDED_BY(mu_);
};

class DedupRpc {
 public:
  // `keyring` (not owned) holds the key set and this validator's share; it must outlive
  // this object. Null: the chain has no dedup key (every call is DEDUP_DISABLED).
  DedupRpc(std::string chain_id, const store::Store* store, const dedup::DedupKeyring* keyring);
  DedupRpc(const DedupRpc&) = delete;
  DedupRpc& operator=(const DedupRpc&) = delete;

  grpc::Status GetKeys(const hito::v1::GetDedupKeysRequest& req,
                       hito::v1::GetDedupKeysResponse* resp) const;
  grpc::Status Evaluate(const hito::v1::DedupEvaluateRequest& req,
                        hito::v1::DedupEvaluateResponse* resp);
  grpc::Status GetStatus(const hito::v1::GetDedupStatusRequest& req,
                         hito::v1::GetDedupStatusResponse* resp) const;

  // Since construction, for metrics and tests.
  uint64_t evaluations_total() const { return evaluations_total_.load(); }
  uint64_t refused_total() const { return refused_total_.load(); }

 private:
  grpc::Status Disabled() const;
  std::shared_ptr<const dedup::DedupKeys> Keys() const;
  // The epoch of the latest committed height and the dedup quota in force then (the
  // registry parameter, which governance changes), read from one state snapshot.
  struct Epoch {
    uint64_t epoch = 0;
    uint32_t quota_per_epoch = 0;
  };
  grpc::Status Current(Epoch* out) const;
  // Every check of Evaluate before the quota; sets *attester and *blinded.
  grpc::Status CheckRequest(const hito::v1::DedupEvaluateRequest& req, uint64_t epoch,
                            Ed25519PublicKey* attester, zk::Point* blinded) const;
  grpc::Status Count(grpc::Status s);  // counts a refusal, passes `s` on

  const std::string chain_id_;
  const store::Store* store_;
  const dedup::DedupKeyring* keyring_;
  DedupQuota quota_;
  std::atomic<uint64_t> evaluations_total_{0};
  std::atomic<uint64_t> refused_total_{0};
};

}  // namespace hito::node::rpc

#endif  // HITO_NODE_RPC_DEDUP_H_
