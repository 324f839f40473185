// A thin synchronous client of hitod's public gRPC API for the CLI (and tests).
//
// Every call carries a deadline. Failures come back as hito::Status with the gRPC code;
// its message is "<REASON>: <node's message>" when the node attached an ErrorInfo reason
// (errors.proto), so the CLI can print the stable reason code. Thread-safe (gRPC stubs
// are).
#ifndef HITO_WALLET_CLIENT_H_
#define HITO_WALLET_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <array>
#include <chrono>
#include <memory>
#include <string>

#include "base/bytes.h"
#include "base/status.h"
#include "hito/v1/account.grpc.pb.h"
#include "hito/v1/block.grpc.pb.h"
#include "hito/v1/dedup.grpc.pb.h"
#include "hito/v1/errors.pb.h"
#include "hito/v1/governance.grpc.pb.h"
#include "hito/v1/node.grpc.pb.h"
#include "hito/v1/personhood.grpc.pb.h"
#include "hito/v1/tx.grpc.pb.h"
#include "hito/v1/ubi.grpc.pb.h"

namespace hito::wallet {

// The reason code (ErrorInfo.reason) carried in a gRPC status's details; empty if none.
std::string ReasonOf(const grpc::Status& status);
// Converts a gRPC status into a hito::Status, message "<REASON>: <message>".
Status FromGrpc(const grpc::Status& status, std::string_view what);

class NodeClient {
 public:
  // `target` is HOST:PORT. Does not connect until the first call.
  explicit NodeClient(const std::string& target,
                      std::chrono::milliseconds call_timeout = std::chrono::seconds(10));

  Result<v1::GetStatusResponse> GetStatus();
  Result<v1::GetAccountResponse> GetAccount(const std::string& address);
  // height 0 = latest.
  Result<v1::GetBlockResponse> GetBlock(uint64_t height);
  Result<v1::GetTransactionResponse> GetTransaction(const Hash32& hash);
  Result<v1::SubmitTransactionResponse> Submit(const Bytes& tx_bytes);
  Result<v1::SubmitTransactionAndWaitResponse> SubmitAndWait(const Bytes& tx_bytes,
                                                             std::chrono::milliseconds timeout);

  // Personhood and UBI (latest state only).
  Result<v1::GetRegistryResponse> GetRegistry();
  Result<v1::GetIdentityResponse> GetIdentity(const std::array<uint8_t, 32>& identity);
  Result<v1::ListSnapshotMembersResponse> ListSnapshotMembers(uint64_t epoch, uint32_t cohort,
                                                              uint32_t page_size,
                                                              const std::string& page_token);
  Result<v1::GetUbiParamsResponse> GetUbiParams();
  Result<v1::GetEpochResponse> GetEpoch();
  Result<v1::GetSupplyResponse> GetSupply();
  Result<v1::GetNullifierResponse> GetNullifier(uint64_t epoch, const Hash32& nullifier);

  // Governance (latest state only). FAILED_PRECONDITION "GOVERNANCE_DISABLED: ..." on a
  // chain whose genesis does not enable it.
  Result<v1::GetGovernanceResponse> GetGovernance();
  // One page of the proposals submitted in `round`, every status.
  Result<v1::ListProposalsResponse> ListProposals(uint64_t round, uint32_t page_size,
                                                  const std::string& page_token);

  // DedupService (the validators' dedup OPRF).
  Result<v1::GetDedupKeysResponse> GetDedupKeys();
  // `attester` empty: every attester's counts.
  Result<v1::GetDedupStatusResponse> GetDedupStatus(const std::string& attester);

  const std::string& target() const { return target_; }

 private:
  void SetDeadline(grpc::ClientContext* ctx, std::chrono::milliseconds timeout) const;

  std::string target_;
  std::chrono::milliseconds call_timeout_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::NodeService::Stub> node_;
  std::unique_ptr<v1::AccountService::Stub> accounts_;
  std::unique_ptr<v1::BlockService::Stub> blocks_;
  std::unique_ptr<v1::TxService::Stub> txs_;
  std::unique_ptr<v1::PersonhoodService::Stub> personhood_;
  std::unique_ptr<v1::UbiService::Stub> ubi_;
  std::unique_ptr<v1::GovernanceService::Stub> governance_;
  std::unique_ptr<v1::DedupService::Stub> dedup_;
};

}  // namespace hito::wallet

#endif  // HITO_WALLET_CLIENT_H_
