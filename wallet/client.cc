#include "wallet/client.h"

namespace hito::wallet {

std::string ReasonOf(const grpc::Status& status) {
  if (status.error_details().empty()) return "";
  v1::RpcStatus details;
  if (!details.ParseFromString(status.error_details())) return "";
  for (const auto& any : details.details()) {
    v1::ErrorInfo info;
    if (any.UnpackTo(&info)) return info.reason();
  }
  return "";
}

Status FromGrpc(const grpc::Status& status, std::string_view what) {
  if (status.ok()) return Status::Ok();
  auto code = static_cast<StatusCode>(static_cast<int>(status.error_code()));
  std::string reason = ReasonOf(status);
  std::string msg = std::string(what) + ": ";
  if (!reason.empty()) msg += reason + ": ";
  msg += status.error_message();
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE && reason.empty()) {
    msg += " (is hitod running at that address?)";
  }
  return Status(code, std::move(msg));
}

NodeClient::NodeClient(const std::string& target, std::chrono::milliseconds call_timeout)
    : target_(target),
      call_timeout_(call_timeout),
      channel_(grpc::CreateChannel(target, grpc::InsecureChannelCredentials())),
      node_(v1::NodeService::NewStub(channel_)),
      accounts_(v1::AccountService::NewStub(channel_)),
      blocks_(v1::BlockService::NewStub(channel_)),
      txs_(v1::TxService::NewStub(channel_)),
      personhood_(v1::PersonhoodService::NewStub(channel_)),
      ubi_(v1::UbiService::NewStub(channel_)),
      governance_(v1::GovernanceService::NewStub(channel_)),
      dedup_(v1::DedupService::NewStub(channel_)) {}

void NodeClient::SetDeadline(grpc::ClientContext* ctx, std::chrono::milliseconds timeout) const {
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
}

Result<v1::GetStatusResponse> NodeClient::GetStatus() {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, call_timeout_);
  v1::GetStatusResponse resp;
  grpc::Status s = node_->GetStatus(&ctx, v1::GetStatusRequest(), &resp);
  if (!s.ok()) return FromGrpc(s, "node " + target_);
  return resp;
}

Result<v1::GetAccountResponse> NodeClient::GetAccount(const std::string& address) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, call_timeout_);
  v1::GetAccountRequest req;
  req.set_address(address);
  v1::GetAccountResponse resp;
  grpc::Status s = accounts_->GetAccount(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s, "get account");
  return resp;
}

Result<v1::GetBlockResponse> NodeClient::GetBlock(uint64_t height) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, call_timeout_);
  v1::GetBlockRequest req;
  req.set_height(height);
  v1::GetBlockResponse resp;
  grpc::Status s = blocks_->GetBlock(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s, "get block");
  return resp;
}

Result<v1::GetTransactionResponse> NodeClient::GetTransaction(const Hash32& hash) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, call_timeout_);
  v1::GetTransactionRequest req;
  req.set_tx_hash(std::string(AsChars(hash)));
  v1::GetTransactionResponse resp;
  grpc::Status s = txs_->GetTransaction(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s, "get transaction");
  return resp;
}

Result<v1::SubmitTransactionResponse> NodeClient::Submit(const Bytes& tx_bytes) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, call_timeout_);
  v1::SubmitTransactionRequest req;
  req.set_tx_bytes(std::string(AsChars(tx_bytes)));
  v1::SubmitTransactionResponse resp;
  grpc::Status s = txs_->SubmitTransaction(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s, "submit");
  return resp;
}

Result<v1::SubmitTransactionAndWaitResponse> NodeClient::SubmitAndWait(
    const Bytes& tx_bytes, std::chrono::milliseconds timeout) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, timeout);
  v1::SubmitTransactionAndWaitRequest req;
  req.set_tx_bytes(std::string(AsChars(tx_bytes)));
  v1::SubmitTransactionAndWaitResponse resp;
  grpc::Status s = txs_->SubmitTransactionAndWait(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s, "send");
  return resp;
}

Result<v1::GetDedupKeysResponse> NodeClient::GetDedupKeys() {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, call_timeout_);
  v1::GetDedupKeysResponse resp;
  grpc::Status s = dedup_->GetKeys(&ctx, v1::GetDedupKeysRequest(), &resp);
  if (!s.ok()) return FromGrpc(s, "node " + target_ + ": get dedup keys");
  return resp;
}

Result<v1::GetDedupStatusResponse> NodeClient::GetDedupStatus(const std::string& attester) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, call_timeout_);
  v1::GetDedupStatusRequest req;
  req.set_attester(attester);
  v1::GetDedupStatusResponse resp;
  grpc::Status s = dedup_->GetStatus(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s, "node " + target_ + ": dedup status");
  return resp;
}

Result<v1::GetRegistryResponse> NodeClient::GetRegistry() {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, call_timeout_);
  v1::GetRegistryResponse resp;
  grpc::Status s = personhood_->GetRegistry(&ctx, v1::GetRegistryRequest(), &resp);
  if (!s.ok()) return FromGrpc(s, "get registry");
  return resp;
}

Result<v1::GetIdentityResponse> NodeClient::GetIdentity(const std::array<uint8_t, 32>& identity) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, call_timeout_);
  v1::GetIdentityRequest req;
  req.set_identity(std::string(AsChars(identity)));
  v1::GetIdentityResponse resp;
  grpc::Status s = personhood_->GetIdentity(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s, "get identity");
  return resp;
}

Result<v1::ListSnapshotMembersResponse> NodeClient::ListSnapshotMembers(
    uint64_t epoch, uint32_t cohort, uint32_t page_size, const std::string& page_token) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, call_timeout_);
  v1::ListSnapshotMembersRequest req;
  req.set_epoch(epoch);
  req.set_cohort(cohort);
  req.set_page_size(page_size);
  req.set_page_token(page_token);
  v1::ListSnapshotMembersResponse resp;
  grpc::Status s = personhood_->ListSnapshotMembers(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s, "list snapshot members");
  return resp;
}

Result<v1::GetUbiParamsResponse> NodeClient::GetUbiParams() {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, call_timeout_);
  v1::GetUbiParamsResponse resp;
  grpc::Status s = ubi_->GetUbiParams(&ctx, v1::GetUbiParamsRequest(), &resp);
  if (!s.ok()) return FromGrpc(s, "get ubi params");
  return resp;
}

Result<v1::GetEpochResponse> NodeClient::GetEpoch() {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, call_timeout_);
  v1::GetEpochResponse resp;
  grpc::Status s = ubi_->GetEpoch(&ctx, v1::GetEpochRequest(), &resp);
  if (!s.ok()) return FromGrpc(s, "get epoch");
  return resp;
}

Result<v1::GetSupplyResponse> NodeClient::GetSupply() {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, call_timeout_);
  v1::GetSupplyResponse resp;
  grpc::Status s = ubi_->GetSupply(&ctx, v1::GetSupplyRequest(), &resp);
  if (!s.ok()) return FromGrpc(s, "get supply");
  return resp;
}

Result<v1::GetNullifierResponse> NodeClient::GetNullifier(uint64_t epoch, const Hash32& nullifier) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, call_timeout_);
  v1::GetNullifierRequest req;
  req.set_epoch(epoch);
  req.set_nullifier(std::string(AsChars(nullifier)));
  v1::GetNullifierResponse resp;
  grpc::Status s = ubi_->GetNullifier(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s, "get nullifier");
  return resp;
}

Result<v1::GetGovernanceResponse> NodeClient::GetGovernance() {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, call_timeout_);
  v1::GetGovernanceResponse resp;
  grpc::Status s = governance_->GetGovernance(&ctx, v1::GetGovernanceRequest(), &resp);
  if (!s.ok()) return FromGrpc(s, "get governance");
  return resp;
}

Result<v1::ListProposalsResponse> NodeClient::ListProposals(uint64_t round, uint32_t page_size,
                                                            const std::string& page_token) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, call_timeout_);
  v1::ListProposalsRequest req;
  req.set_round(round);
  req.set_page_size(page_size);
  req.set_page_token(page_token);
  v1::ListProposalsResponse resp;
  grpc::Status s = governance_->ListProposals(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s, "list proposals");
  return resp;
}

}  // namespace hito::wallet
