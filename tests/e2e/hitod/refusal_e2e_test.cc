// Refusals over real gRPC against a real `hitod dev`: transactions built and signed with
// the dev key, then broken on purpose (tampered signature, replay, nonce gap, overspend,
// malformed bytes, wrong chain) and submitted through a raw TxService stub. Each must
// come back with the documented gRPC code and the stable reason code in the status
// details (hito.v1.ErrorInfo), and change nothing: the dev account's balance and nonce
// are the same afterwards.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "base/bech32m.h"
#include "base/hash.h"
#include "consensus/types/transaction.h"
#include "tests/support/e2e/e2e_util.h"
#include "wallet/client.h"
#include "wallet/keystore.h"
#include "wallet/transfer.h"

namespace hito::e2e {
namespace {

namespace types = consensus::types;

class RefusalE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    InitCrypto();
    home_ = new TempDir("hito_e2e_refusal");
    node_ = new NodeProcess(home_->path(), FreeLoopbackPort());
    Status s = node_->Start("dev");
    ASSERT_TRUE(s.ok()) << s.ToString();
    auto seed = wallet::ReadSeedFile(node_->dev_key_path());
    ASSERT_TRUE(seed.ok()) << seed.status().ToString();
    dev_ = new Ed25519PrivateKey(Ed25519PrivateKey::FromSeed(*seed));
    channel_ = new std::shared_ptr<grpc::Channel>(
        grpc::CreateChannel(node_->address(), grpc::InsecureChannelCredentials()));
  }
  static void TearDownTestSuite() {
    delete channel_;
    delete dev_;
    delete node_;
    delete home_;
  }

  void SetUp() override {
    wallet::NodeClient client(node_->address());
    auto st = client.GetStatus();
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    chain_id_ = st->chain_id();
    auto acct = client.GetAccount(wallet::AddressOf(dev_->public_key()));
    ASSERT_TRUE(acct.ok()) << acct.status().ToString();
    balance_ = acct->balance();
    nonce_ = acct->nonce();
  }

  // A valid transfer from the dev account to a fresh key.
  Bytes Transfer(uint64_t nonce, uint64_t amount, const std::string& chain_id = "") {
    wallet::TransferRequest req;
    req.chain_id = chain_id.empty() ? chain_id_ : chain_id;
    req.nonce = nonce;
    req.amount = amount;
    req.to = types::AccountIdFromPublicKey(Ed25519PrivateKey::Generate().public_key());
    auto tx = wallet::BuildSignedTransfer(req, *dev_);
    EXPECT_TRUE(tx.ok());
    return types::EncodeTransaction(*tx);
  }

  grpc::Status Submit(const Bytes& bytes) {
    auto stub = v1::TxService::NewStub(*channel_);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::SubmitTransactionRequest req;
    req.set_tx_bytes(std::string(AsChars(bytes)));
    v1::SubmitTransactionResponse resp;
    return stub->SubmitTransaction(&ctx, req, &resp);
  }

  grpc::Status SubmitAndWait(const Bytes& bytes, v1::SubmitTransactionAndWaitResponse* resp) {
    auto stub = v1::TxService::NewStub(*channel_);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    v1::SubmitTransactionAndWaitRequest req;
    req.set_tx_bytes(std::string(AsChars(bytes)));
    return stub->SubmitTransactionAndWait(&ctx, req, resp);
  }

  void ExpectRefused(const Bytes& bytes, grpc::StatusCode code, const std::string& reason) {
    grpc::Status s = Submit(bytes);
    EXPECT_EQ(s.error_code(), code) << reason << ": " << s.error_message();
    EXPECT_EQ(wallet::ReasonOf(s), reason) << s.error_message();
    EXPECT_FALSE(s.error_message().empty());
  }

  void ExpectDevUnchanged() {
    wallet::NodeClient client(node_->address());
    auto acct = client.GetAccount(wallet::AddressOf(dev_->public_key()));
    ASSERT_TRUE(acct.ok());
    EXPECT_EQ(acct->balance(), balance_);
    EXPECT_EQ(acct->nonce(), nonce_);
  }

  static TempDir* home_;
  static NodeProcess* node_;
  static Ed25519PrivateKey* dev_;
  static std::shared_ptr<grpc::Channel>* channel_;
  std::string chain_id_;
  uint64_t balance_ = 0;
  uint64_t nonce_ = 0;
};

TempDir* RefusalE2eTest::home_ = nullptr;
NodeProcess* RefusalE2eTest::node_ = nullptr;
Ed25519PrivateKey* RefusalE2eTest::dev_ = nullptr;
std::shared_ptr<grpc::Channel>* RefusalE2eTest::channel_ = nullptr;

TEST_F(RefusalE2eTest, TamperedSignatureRefused) {
  Bytes tx = Transfer(nonce_, 1000);
  tx.back() ^= 0x01;  // last byte of the signature
  ExpectRefused(tx, grpc::StatusCode::INVALID_ARGUMENT, "TX_BAD_SIGNATURE");
  // Tampering a signed field (the amount sits before memo and signature) also fails.
  Bytes tx2 = Transfer(nonce_, 1000);
  tx2[tx2.size() - 64 - 4 - 1] ^= 0x01;  // low byte of the amount (memo is empty)
  ExpectRefused(tx2, grpc::StatusCode::INVALID_ARGUMENT, "TX_BAD_SIGNATURE");
  ExpectDevUnchanged();
}

TEST_F(RefusalE2eTest, MalformedBytesRefused) {
  ExpectRefused(Bytes{0x01, 0x01, 0x03}, grpc::StatusCode::INVALID_ARGUMENT, "TX_MALFORMED");
  ExpectRefused(Bytes{0x09, 0x01}, grpc::StatusCode::INVALID_ARGUMENT, "TX_MALFORMED");
  ExpectRefused(Bytes{}, grpc::StatusCode::INVALID_ARGUMENT, "TX_MALFORMED");
  Bytes tx = Transfer(nonce_, 1000);
  Bytes longer = tx;
  longer.push_back(0);
  ExpectRefused(longer, grpc::StatusCode::INVALID_ARGUMENT, "TX_MALFORMED");
  Bytes cut(tx.begin(), tx.end() - 10);
  ExpectRefused(cut, grpc::StatusCode::INVALID_ARGUMENT, "TX_MALFORMED");
  ExpectDevUnchanged();
}

TEST_F(RefusalE2eTest, ReservedKindRefused) {
  // Version 1, kind 7 (validator actions): reserved until its body is defined.
  ExpectRefused(Bytes{0x01, 0x07, 0x03}, grpc::StatusCode::UNIMPLEMENTED, "TX_UNSUPPORTED_KIND");
  // Kind 3 is a claim now: these bytes are a truncated one.
  ExpectRefused(Bytes{0x01, 0x03, 0x03}, grpc::StatusCode::INVALID_ARGUMENT, "TX_MALFORMED");
}

TEST_F(RefusalE2eTest, WrongChainRefused) {
  ExpectRefused(Transfer(nonce_, 1000, "some-other-chain"), grpc::StatusCode::INVALID_ARGUMENT,
                "TX_WRONG_CHAIN");
  ExpectDevUnchanged();
}

TEST_F(RefusalE2eTest, NonceGapRefused) {
  ExpectRefused(Transfer(nonce_ + 5, 1000), grpc::StatusCode::FAILED_PRECONDITION,
                "TX_NONCE_TOO_HIGH");
  ExpectDevUnchanged();
}

TEST_F(RefusalE2eTest, InsufficientFundsRefused) {
  ExpectRefused(Transfer(nonce_, balance_), grpc::StatusCode::FAILED_PRECONDITION,
                "TX_INSUFFICIENT_FUNDS");
  ExpectDevUnchanged();
}

TEST_F(RefusalE2eTest, ReplayRefused) {
  Bytes tx = Transfer(nonce_, 1234);
  v1::SubmitTransactionAndWaitResponse resp;
  grpc::Status s = SubmitAndWait(tx, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message() << " " << wallet::ReasonOf(s);
  EXPECT_EQ(resp.result_code(), 0u) << resp.result_name();
  // The same bytes again: already committed.
  ExpectRefused(tx, grpc::StatusCode::ALREADY_EXISTS, "TX_ALREADY_KNOWN");
  // A different transaction reusing the spent nonce.
  ExpectRefused(Transfer(nonce_, 4321), grpc::StatusCode::FAILED_PRECONDITION, "TX_NONCE_TOO_LOW");
  // Only the one transfer moved funds.
  wallet::NodeClient client(node_->address());
  auto acct = client.GetAccount(wallet::AddressOf(dev_->public_key()));
  ASSERT_TRUE(acct.ok());
  EXPECT_EQ(acct->nonce(), nonce_ + 1);
  EXPECT_EQ(acct->balance(), balance_ - 1234 - wallet::kDefaultFee);
}

TEST_F(RefusalE2eTest, UnknownTransactionAndBadHash) {
  auto stub = v1::TxService::NewStub(*channel_);
  {
    grpc::ClientContext ctx;
    v1::GetTransactionRequest req;
    req.set_tx_hash(std::string(32, '\x07'));
    v1::GetTransactionResponse resp;
    grpc::Status s = stub->GetTransaction(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(wallet::ReasonOf(s), "TX_NOT_FOUND");
  }
  {
    grpc::ClientContext ctx;
    v1::GetTransactionRequest req;
    req.set_tx_hash("short");
    v1::GetTransactionResponse resp;
    grpc::Status s = stub->GetTransaction(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(wallet::ReasonOf(s), "INVALID_HASH");
  }
}

}  // namespace
}  // namespace hito::e2e
