// gRPC refusals with a stable reason code.
//
// Every refusal is a grpc::Status whose message names the reason in words and whose
// error_details hold a serialized hito.v1.RpcStatus (wire-compatible with
// google.rpc.Status) carrying one hito.v1.ErrorInfo{reason, domain "hito.v1", metadata}.
// Reasons are names of hito.v1.ErrorReason values (docs/api.md).
#ifndef HITO_NODE_RPC_ERRORS_H_
#define HITO_NODE_RPC_ERRORS_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "consensus/ledger/tx_result.h"
#include "hito/v1/errors.pb.h"

namespace hito::node::rpc {

inline constexpr std::string_view kErrorDomain = "hito.v1";

grpc::Status RpcError(grpc::StatusCode code, std::string_view reason, const std::string& message,
                      const std::map<std::string, std::string>& metadata = {});

// The gRPC code a transaction refusal goes with: INVALID_ARGUMENT for bad input,
// FAILED_PRECONDITION for state-dependent refusals, RESOURCE_EXHAUSTED for a full
// mempool, ALREADY_EXISTS for a duplicate, UNIMPLEMENTED for a reserved kind.
grpc::StatusCode GrpcCodeForTx(consensus::ledger::TxCode code);

// A storage or invariant failure: INTERNAL, reason INTERNAL_ERROR.
grpc::Status InternalRpcError(const Status& status);

// INVALID_ARGUMENT, reason INVALID_ARGUMENT.
grpc::Status InvalidArgument(const std::string& message);
// A paged request's page_size: 0 is `def`, 1..`max` as asked, above `max` refused.
grpc::Status PageSize(uint32_t asked, uint32_t def, uint32_t max, uint32_t* out);
// A page_token that is not one this method issued for this request.
grpc::Status BadToken(const std::string& why);

// The ErrorInfo in a status' details, if any (for tests and clients).
std::optional<hito::v1::ErrorInfo> ErrorInfoOf(const grpc::Status& status);

}  // namespace hito::node::rpc

#endif  // HITO_NODE_RPC_ERRORS_H_
