#include "node/rpc/errors.h"

#include <spdlog/spdlog.h>

namespace hito::node::rpc {

using consensus::ledger::TxCode;

grpc::Status RpcError(grpc::StatusCode code, std::string_view reason, const std::string& message,
                      const std::map<std::string, std::string>& metadata) {
  hito::v1::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(std::string(kErrorDomain));
  for (const auto& [k, v] : metadata) (*info.mutable_metadata())[k] = v;
  hito::v1::RpcStatus st;
  st.set_code(static_cast<int32_t>(code));
  st.set_message(message);
  st.add_details()->PackFrom(info);
  return grpc::Status(code, message, st.SerializeAsString());
}

grpc::StatusCode GrpcCodeForTx(TxCode code) {
  switch (code) {
    case TxCode::kOk:
      return grpc::StatusCode::OK;
    case TxCode::kMalformed:
    case TxCode::kWrongChain:
    case TxCode::kBadSignature:
    case TxCode::kFeeTooLow:
    case TxCode::kZeroAmount:
    case TxCode::kSelfTransfer:
    case TxCode::kTooLarge:
    case TxCode::kAttestationTooLong:
    case TxCode::kBadProof:
    case TxCode::kDepositMismatch:
    case TxCode::kBallotInvalid:
    case TxCode::kBallotOverBudget:
      return grpc::StatusCode::INVALID_ARGUMENT;
    case TxCode::kUnsupportedKind:
      return grpc::StatusCode::UNIMPLEMENTED;
    case TxCode::kNonceTooLow:
    case TxCode::kNonceTooHigh:
    case TxCode::kInsufficientFunds:
    case TxCode::kAmountOverflow:
    case TxCode::kAttesterNotAccredited:
    case TxCode::kAttestationExpired:
    case TxCode::kNotIssuer:
    case TxCode::kIdentityUnknown:
    case TxCode::kIdentityNotLive:
    case TxCode::kRenewalNotLater:
    case TxCode::kCommitmentRefused:
    case TxCode::kEpochNotOpen:
    case TxCode::kNoSnapshot:
    case TxCode::kProposalInvalid:
    case TxCode::kRoundNotOpen:
    case TxCode::kDkgNoSession:
    case TxCode::kDkgOutOfPhase:
    case TxCode::kDkgRefused:
      return grpc::StatusCode::FAILED_PRECONDITION;
    case TxCode::kDkgNotMember:
      return grpc::StatusCode::PERMISSION_DENIED;
    case TxCode::kIdentityExists:
    case TxCode::kAttestationUsed:
    case TxCode::kAlreadyClaimed:
      return grpc::StatusCode::ALREADY_EXISTS;
    case TxCode::kAttesterQuota:
    case TxCode::kClaimsPerBlock:
    case TxCode::kProposalsPerRound:
    case TxCode::kBallotRevisions:
    case TxCode::kBallotsPerBlock:
      return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case TxCode::kMempoolFull:
      return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case TxCode::kAlreadyKnown:
      return grpc::StatusCode::ALREADY_EXISTS;
    case TxCode::kStateUnavailable:
      return grpc::StatusCode::UNAVAILABLE;
  }
  return grpc::StatusCode::INVALID_ARGUMENT;
}

grpc::Status InternalRpcError(const Status& status) {
  spdlog::error("rpc: internal error: {}", status.ToString());
  return RpcError(grpc::StatusCode::INTERNAL, "INTERNAL_ERROR",
                  "internal error: " + status.message());
}

std::optional<hito::v1::ErrorInfo> ErrorInfoOf(const grpc::Status& status) {
  hito::v1::RpcStatus st;
  if (status.error_details().empty() || !st.ParseFromString(status.error_details())) {
    return std::nullopt;
  }
  for (const auto& any : st.details()) {
    hito::v1::ErrorInfo info;
    if (any.UnpackTo(&info)) return info;
  }
  return std::nullopt;
}

grpc::Status InvalidArgument(const std::string& message) {
  return RpcError(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT", message);
}

grpc::Status PageSize(uint32_t asked, uint32_t def, uint32_t max, uint32_t* out) {
  if (asked > max) {
    return InvalidArgument("page_size " + std::to_string(asked) + " is above the maximum " +
                           std::to_string(max));
  }
  *out = asked == 0 ? def : asked;
  return grpc::Status::OK;
}

grpc::Status BadToken(const std::string& why) {
  return InvalidArgument("page_token: " + why + "; start again with an empty page_token");
}

}  // namespace hito::node::rpc
