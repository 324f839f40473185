// Wallet gRPC error decoding without a network: ReasonOf reads the stable reason code from
// a status's binary details (hito.v1.RpcStatus carrying an ErrorInfo, as the node sends
// them), tolerates absent or garbage details, and FromGrpc keeps the gRPC code and puts
// the reason in the one-line message the CLI prints.
#include "wallet/client.h"

#include <gtest/gtest.h>

namespace hito::wallet {
namespace {

grpc::Status WithReason(grpc::StatusCode code, const std::string& reason, const std::string& msg) {
  v1::ErrorInfo info;
  info.set_reason(reason);
  info.set_domain("hito.v1");
  v1::RpcStatus st;
  st.set_code(static_cast<int32_t>(code));
  st.set_message(msg);
  st.add_details()->PackFrom(info);
  return grpc::Status(code, msg, st.SerializeAsString());
}

TEST(ClientErrorTest, ReasonReadFromDetails) {
  grpc::Status s =
      WithReason(grpc::StatusCode::FAILED_PRECONDITION, "TX_NONCE_TOO_LOW", "nonce 3, expected 5");
  EXPECT_EQ(ReasonOf(s), "TX_NONCE_TOO_LOW");
  Status h = FromGrpc(s, "submit");
  EXPECT_EQ(h.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(h.message(), "submit: TX_NONCE_TOO_LOW: nonce 3, expected 5");
}

TEST(ClientErrorTest, MissingOrGarbageDetailsGiveNoReason) {
  EXPECT_EQ(ReasonOf(grpc::Status(grpc::StatusCode::INTERNAL, "boom")), "");
  EXPECT_EQ(ReasonOf(grpc::Status(grpc::StatusCode::INTERNAL, "boom", "\xff\xff\xff garbage")), "");
  // Details holding an Any of another type.
  v1::RpcStatus st;
  v1::GetStatusRequest other;
  st.add_details()->PackFrom(other);
  EXPECT_EQ(ReasonOf(grpc::Status(grpc::StatusCode::INTERNAL, "boom", st.SerializeAsString())), "");
  Status h = FromGrpc(grpc::Status(grpc::StatusCode::INTERNAL, "boom"), "get block");
  EXPECT_EQ(h.code(), StatusCode::kInternal);
  EXPECT_EQ(h.message(), "get block: boom");
}

TEST(ClientErrorTest, UnavailableWithoutReasonHintsAtTheNode) {
  Status h = FromGrpc(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused"), "node x");
  EXPECT_EQ(h.code(), StatusCode::kUnavailable);
  EXPECT_NE(h.message().find("is hitod running"), std::string::npos);
  EXPECT_TRUE(FromGrpc(grpc::Status::OK, "x").ok());
}

}  // namespace
}  // namespace hito::wallet
