// TxService.SubmitTransactions over real gRPC on loopback against a real Node (LevelDB in
// a temp home, solo engine driven by the test): per-item results with the same gRPC code
// and reason SubmitTransaction gives (forged signature, malformed bytes, duplicate, nonce
// gap), the accepted count, the batch limits (empty, above kMaxSubmitBatch: the whole call
// is refused and nothing is admitted), and that accepted items commit.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "consensus/types/transaction.h"
#include "hito/v1/node.grpc.pb.h"
#include "hito/v1/tx.grpc.pb.h"
#include "node/node.h"
#include "node/rpc/errors.h"
#include "tests/support/temp_dir.h"
#include "tests/support/transactions.h"

namespace hito::node::rpc {
namespace {

namespace pb = hito::v1;
namespace types = consensus::types;
using testing::TempDir;

constexpr char kChain[] = "rpc-batch-test";

std::string S(ByteView b) { return std::string(AsChars(b)); }

class RpcBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config::InitOptions init;
    init.chain_id = kChain;
    init.dev_account = true;
    auto r = config::InitHome(dir_.path() / "home", init);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    dev_key_.emplace(
        config::ReadSeedFile(config::HomePaths{dir_.path() / "home"}.dev_key()).value());
    NodeOptions o;
    o.home = dir_.path() / "home";
    o.grpc_addr = "127.0.0.1:0";
    auto n = Node::Open(o);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    node_ = std::move(n).value();
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(node_->grpc_port()),
                                       grpc::InsecureChannelCredentials());
    tx_stub_ = pb::TxService::NewStub(channel);
    node_stub_ = pb::NodeService::NewStub(channel);
  }
  void TearDown() override {
    if (node_) node_->Stop();
  }
  Bytes Transfer(uint64_t nonce, uint64_t amount = 1000) {
    return testing::SignedTransfer(*dev_key_,
                                   {.chain_id = kChain, .nonce = nonce, .amount = amount});
  }
  grpc::Status SubmitBatch(const std::vector<Bytes>& txs, pb::SubmitTransactionsResponse* resp) {
    grpc::ClientContext ctx;
    pb::SubmitTransactionsRequest req;
    for (const Bytes& tx : txs) req.add_txs(S(tx));
    return tx_stub_->SubmitTransactions(&ctx, req, resp);
  }
  grpc::Status Submit(const Bytes& tx) {
    grpc::ClientContext ctx;
    pb::SubmitTransactionRequest req;
    req.set_tx_bytes(S(tx));
    pb::SubmitTransactionResponse resp;
    return tx_stub_->SubmitTransaction(&ctx, req, &resp);
  }
  uint64_t MempoolTxs() {
    grpc::ClientContext ctx;
    pb::GetStatusResponse st;
    EXPECT_TRUE(node_stub_->GetStatus(&ctx, {}, &st).ok());
    return st.mempool_txs();
  }
  // The item matches what SubmitTransaction returned for the same bytes.
  static void ExpectSameAsUnary(const pb::SubmitTransactionResult& item, const grpc::Status& s) {
    EXPECT_FALSE(item.accepted());
    EXPECT_EQ(item.code(), static_cast<int32_t>(s.error_code())) << s.error_message();
    auto info = ErrorInfoOf(s);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(item.reason(), info->reason());
    EXPECT_EQ(item.message(), s.error_message());
  }

  TempDir dir_;
  std::optional<Ed25519PrivateKey> dev_key_;
  std::unique_ptr<Node> node_;
  std::unique_ptr<pb::TxService::Stub> tx_stub_;
  std::unique_ptr<pb::NodeService::Stub> node_stub_;
};

TEST_F(RpcBatchTest, PerItemResultsWithTheUnaryReasons) {
  Bytes t0 = Transfer(0), t1 = Transfer(1);
  Bytes forged = Transfer(2);
  forged.back() ^= 0x40;
  Bytes malformed = {9, 1, 0};
  Bytes gap = Transfer(7);
  pb::SubmitTransactionsResponse resp;
  ASSERT_TRUE(SubmitBatch({t0, t1, forged, t0, malformed, gap}, &resp).ok());
  ASSERT_EQ(resp.results_size(), 6);
  EXPECT_EQ(resp.accepted(), 2u);
  EXPECT_TRUE(resp.results(0).accepted());
  EXPECT_TRUE(resp.results(1).accepted());
  EXPECT_EQ(resp.results(0).reason(), "");
  EXPECT_EQ(resp.results(0).tx_hash(), S(types::TransactionHash(t0)));
  EXPECT_EQ(resp.results(2).tx_hash(), S(types::TransactionHash(forged)));
  EXPECT_EQ(resp.results(2).reason(), "TX_BAD_SIGNATURE");
  EXPECT_EQ(resp.results(2).code(), static_cast<int32_t>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(resp.results(3).reason(), "TX_ALREADY_KNOWN");
  EXPECT_EQ(resp.results(3).code(), static_cast<int32_t>(grpc::StatusCode::ALREADY_EXISTS));
  EXPECT_EQ(resp.results(3).metadata().at("status"), "PENDING");
  EXPECT_EQ(resp.results(4).reason(), "TX_MALFORMED");
  EXPECT_EQ(resp.results(5).reason(), "TX_NONCE_TOO_HIGH");
  EXPECT_EQ(resp.results(5).code(), static_cast<int32_t>(grpc::StatusCode::FAILED_PRECONDITION));
  for (int i = 2; i < 6; ++i) EXPECT_FALSE(resp.results(i).message().empty()) << i;
  // Exactly what the unary call says for the same bytes.
  ExpectSameAsUnary(resp.results(2), Submit(forged));
  ExpectSameAsUnary(resp.results(4), Submit(malformed));
  ExpectSameAsUnary(resp.results(5), Submit(gap));
  EXPECT_EQ(MempoolTxs(), 2u);

  ASSERT_TRUE(node_->solo_engine()->ProduceBlock().ok());
  EXPECT_EQ(MempoolTxs(), 0u);
  // Now committed: a resubmission says where.
  pb::SubmitTransactionsResponse again;
  ASSERT_TRUE(SubmitBatch({t1, Transfer(2)}, &again).ok());
  EXPECT_EQ(again.results(0).reason(), "TX_ALREADY_KNOWN");
  EXPECT_EQ(again.results(0).metadata().at("status"), "COMMITTED");
  EXPECT_EQ(again.results(0).metadata().at("height"), "1");
  EXPECT_TRUE(again.results(1).accepted());
  EXPECT_EQ(again.accepted(), 1u);
}

TEST_F(RpcBatchTest, EmptyAndOversizedBatchesAreRefusedWhole) {
  pb::SubmitTransactionsResponse resp;
  grpc::Status empty = SubmitBatch({}, &resp);
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(ErrorInfoOf(empty).has_value());
  EXPECT_EQ(ErrorInfoOf(empty)->reason(), "INVALID_ARGUMENT");

  std::vector<Bytes> big;
  for (uint64_t n = 0; n <= static_cast<uint64_t>(kMaxSubmitBatch); ++n) big.push_back(Transfer(n));
  grpc::Status over = SubmitBatch(big, &resp);
  EXPECT_EQ(over.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto info = ErrorInfoOf(over);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "BATCH_TOO_LARGE");
  EXPECT_EQ(info->metadata().at("max_batch"), std::to_string(kMaxSubmitBatch));
  EXPECT_EQ(MempoolTxs(), 0u);  // nothing admitted

  // The maximum itself is accepted, all items in nonce order.
  big.pop_back();
  pb::SubmitTransactionsResponse ok;
  ASSERT_TRUE(SubmitBatch(big, &ok).ok());
  EXPECT_EQ(ok.accepted(), static_cast<uint32_t>(kMaxSubmitBatch));
  EXPECT_EQ(MempoolTxs(), static_cast<uint64_t>(kMaxSubmitBatch));
}

}  // namespace
}  // namespace hito::node::rpc
