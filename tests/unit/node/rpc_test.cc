// The public gRPC API end to end inside one process: a real Node (LevelDB in a temp
// home, mempool, ledger, solo engine driven block by block by the test) served on a
// loopback port, called through the generated stubs. Covers every RPC, the error details
// (reason code in ErrorInfo) of each refusal, SubmitTransactionAndWait (commit and the
// server-side cap), StreamBlocks backfill + live + resume, and the slow-subscriber drop;
// then the server's limits: request sizes, calls and streams per connection and in total,
// the byte bound on stream responses in flight, and evicted / expired transaction status.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "base/bech32m.h"
#include "base/hex.h"
#include "consensus/types/block.h"
#include "hito/v1/account.grpc.pb.h"
#include "hito/v1/block.grpc.pb.h"
#include "hito/v1/errors.pb.h"
#include "hito/v1/node.grpc.pb.h"
#include "hito/v1/tx.grpc.pb.h"
#include "node/io/clock.h"
#include "node/node.h"
#include "node/rpc/errors.h"
#include "tests/support/keys.h"
#include "tests/support/temp_dir.h"
#include "tests/support/transactions.h"

namespace hito::node::rpc {
namespace {

namespace pb = hito::v1;
namespace types = consensus::types;
using testing::KeyFor;
using testing::TempDir;
using testing::TransferSpec;

constexpr char kChain[] = "rpc-test";

std::string S(ByteView b) { return std::string(AsChars(b)); }

class RpcTest : public ::testing::Test {
 protected:
  void StartNode(RpcOptions rpc = {}, config::NodeConfig config = {}) {
    config::InitOptions init;
    init.config = config;
    init.chain_id = kChain;
    init.dev_account = true;
    init.config.block_max_txs = 100;
    auto r = config::InitHome(dir_.path() / "home", init);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    dev_address_ = r->dev_address;
    dev_key_.emplace(
        config::ReadSeedFile(config::HomePaths{dir_.path() / "home"}.dev_key()).value());
    NodeOptions o;
    o.home = dir_.path() / "home";
    o.grpc_addr = "127.0.0.1:0";
    o.rpc = rpc;
    auto n = Node::Open(o);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    node_ = std::move(n).value();
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(node_->grpc_port()),
                                   grpc::InsecureChannelCredentials());
    node_stub_ = pb::NodeService::NewStub(channel_);
    block_stub_ = pb::BlockService::NewStub(channel_);
    tx_stub_ = pb::TxService::NewStub(channel_);
    account_stub_ = pb::AccountService::NewStub(channel_);
  }

  void TearDown() override {
    if (node_) node_->Stop();
  }

  Bytes Transfer(uint64_t nonce, uint64_t amount = 1000) {
    return testing::SignedTransfer(*dev_key_,
                                   {.chain_id = kChain, .nonce = nonce, .amount = amount});
  }

  void Produce(int n = 1) {
    for (int i = 0; i < n; ++i) ASSERT_TRUE(node_->solo_engine()->ProduceBlock().ok());
  }

  static void ExpectReason(const grpc::Status& s, grpc::StatusCode code,
                           const std::string& reason) {
    EXPECT_EQ(s.error_code(), code) << s.error_message();
    EXPECT_FALSE(s.error_message().empty());
    auto info = ErrorInfoOf(s);
    ASSERT_TRUE(info.has_value()) << "no ErrorInfo in details: " << s.error_message();
    EXPECT_EQ(info->reason(), reason) << s.error_message();
    EXPECT_EQ(info->domain(), "hito.v1");
  }

  // `blocks` blocks of 100 transfers with 256-byte memos each (~45 KB a block).
  void ProduceBigBlocks(int blocks, uint64_t* nonce) {
    for (int b = 0; b < blocks; ++b) {
      for (int i = 0; i < 100; ++i, ++*nonce) {
        types::Transfer t = testing::MakeTransfer(*dev_key_, {.chain_id = kChain, .nonce = *nonce});
        t.memo = Bytes(256, static_cast<uint8_t>(i));
        types::SignTransfer(&t, *dev_key_);
        ASSERT_TRUE(node_->mempool()->Admit(types::EncodeTransaction(types::Transaction{t})).ok());
      }
      Produce();
    }
  }

  // A channel on its own connection (no subchannel sharing), optionally a client that
  // reads slowly: a small flow-control window that never grows.
  std::shared_ptr<grpc::Channel> OwnChannel(bool small_window = false) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxReceiveMessageSize(-1);
    if (small_window) {
      args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
      args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16 * 1024);
    }
    return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(node_->grpc_port()),
                                     grpc::InsecureChannelCredentials(), args);
  }

  // A metadata value of the status' ErrorInfo; empty if there is none.
  static std::string Meta(const grpc::Status& s, const std::string& key) {
    auto info = ErrorInfoOf(s);
    if (!info || info->metadata().count(key) == 0) return "";
    return info->metadata().at(key);
  }

  grpc::Status Submit(const Bytes& tx, pb::SubmitTransactionResponse* resp) {
    grpc::ClientContext ctx;
    pb::SubmitTransactionRequest req;
    req.set_tx_bytes(S(tx));
    return tx_stub_->SubmitTransaction(&ctx, req, resp);
  }

  TempDir dir_;
  std::string dev_address_;
  std::optional<Ed25519PrivateKey> dev_key_;
  std::unique_ptr<Node> node_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::NodeService::Stub> node_stub_;
  std::unique_ptr<pb::BlockService::Stub> block_stub_;
  std::unique_ptr<pb::TxService::Stub> tx_stub_;
  std::unique_ptr<pb::AccountService::Stub> account_stub_;
};

TEST_F(RpcTest, StatusAndVersion) {
  StartNode();
  grpc::ClientContext c1;
  pb::GetStatusResponse st;
  ASSERT_TRUE(node_stub_->GetStatus(&c1, {}, &st).ok());
  EXPECT_EQ(st.chain_id(), kChain);
  EXPECT_EQ(st.height(), 0u);
  EXPECT_EQ(st.state_root().size(), 32u);
  EXPECT_FALSE(st.syncing());
  EXPECT_TRUE(DecodeAddress(st.validator_address()).ok());
  Produce();
  grpc::ClientContext c2;
  ASSERT_TRUE(node_stub_->GetStatus(&c2, {}, &st).ok());
  EXPECT_EQ(st.height(), 1u);
  EXPECT_EQ(st.block_hash().size(), 32u);

  grpc::ClientContext c3;
  pb::GetVersionResponse v;
  ASSERT_TRUE(node_stub_->GetVersion(&c3, {}, &v).ok());
  EXPECT_EQ(v.protocol_version(), 1u);
  EXPECT_EQ(v.chain_id(), kChain);
  EXPECT_EQ(v.genesis_hash().size(), 32u);
  EXPECT_FALSE(v.node_version().empty());
}

TEST_F(RpcTest, SubmitCommitAndQuery) {
  StartNode();
  Bytes tx = Transfer(0, 5'000);
  pb::SubmitTransactionResponse sub;
  ASSERT_TRUE(Submit(tx, &sub).ok());
  EXPECT_EQ(sub.tx_hash(), S(types::TransactionHash(tx)));

  grpc::ClientContext c1;
  pb::GetTransactionRequest gt;
  gt.set_tx_hash(sub.tx_hash());
  pb::GetTransactionResponse pending;
  ASSERT_TRUE(tx_stub_->GetTransaction(&c1, gt, &pending).ok());
  EXPECT_EQ(pending.status(), pb::TX_STATUS_PENDING);
  EXPECT_EQ(pending.tx().sender(), dev_address_);
  EXPECT_EQ(pending.tx().amount(), 5'000u);
  EXPECT_EQ(pending.tx().kind(), pb::TX_KIND_TRANSFER);
  EXPECT_EQ(pending.tx_bytes(), S(tx));

  // Pending duplicate.
  pb::SubmitTransactionResponse dup;
  ExpectReason(Submit(tx, &dup), grpc::StatusCode::ALREADY_EXISTS, "TX_ALREADY_KNOWN");

  Produce();
  grpc::ClientContext c2;
  pb::GetTransactionResponse done;
  ASSERT_TRUE(tx_stub_->GetTransaction(&c2, gt, &done).ok());
  EXPECT_EQ(done.status(), pb::TX_STATUS_COMMITTED);
  EXPECT_EQ(done.height(), 1u);
  EXPECT_EQ(done.index(), 0u);
  EXPECT_EQ(done.result_code(), 0u);
  EXPECT_EQ(done.result_name(), "OK");
  EXPECT_EQ(done.tx().to(), EncodeAddress(testing::AccountOf(KeyFor(200))));

  // Committed duplicate: the reason and where it is.
  grpc::Status again = Submit(tx, &dup);
  ExpectReason(again, grpc::StatusCode::ALREADY_EXISTS, "TX_ALREADY_KNOWN");
  auto info = ErrorInfoOf(again);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->metadata().at("status"), "COMMITTED");
  EXPECT_EQ(info->metadata().at("height"), "1");

  grpc::ClientContext c3;
  pb::GetAccountRequest ga;
  ga.set_address(dev_address_);
  pb::GetAccountResponse acct;
  ASSERT_TRUE(account_stub_->GetAccount(&c3, ga, &acct).ok());
  EXPECT_EQ(acct.address(), dev_address_);
  EXPECT_EQ(acct.balance(), config::kInitBalance - 5'000 - 1'000);
  EXPECT_EQ(acct.nonce(), 1u);
  EXPECT_EQ(acct.height(), 1u);

  // Block by latest height and by hash.
  grpc::ClientContext c4;
  pb::GetBlockRequest gb;
  gb.set_height(0);
  pb::GetBlockResponse blk;
  ASSERT_TRUE(block_stub_->GetBlock(&c4, gb, &blk).ok());
  EXPECT_EQ(blk.height(), 1u);
  ASSERT_EQ(blk.block().tx_hashes_size(), 1);
  EXPECT_EQ(blk.block().tx_hashes(0), sub.tx_hash());
  EXPECT_EQ(blk.block().tx_count(), 1u);
  auto decoded = types::DecodeBlock(AsBytes(blk.block_bytes()));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(S(types::HeaderHash(decoded->header)), blk.hash());
  auto commit = types::DecodeCommit(AsBytes(blk.commit_bytes()));
  ASSERT_TRUE(commit.ok());
  EXPECT_EQ(S(commit->block_hash), blk.hash());
  grpc::ClientContext c5;
  pb::GetBlockRequest by_hash;
  by_hash.set_hash(blk.hash());
  pb::GetBlockResponse blk2;
  ASSERT_TRUE(block_stub_->GetBlock(&c5, by_hash, &blk2).ok());
  EXPECT_EQ(blk2.block_bytes(), blk.block_bytes());
}

TEST_F(RpcTest, RefusalsCarryReasonCodes) {
  StartNode();
  pb::SubmitTransactionResponse sub;
  Bytes forged = Transfer(0);
  forged.back() ^= 0x40;
  ExpectReason(Submit(forged, &sub), grpc::StatusCode::INVALID_ARGUMENT, "TX_BAD_SIGNATURE");
  ExpectReason(Submit(Transfer(5), &sub), grpc::StatusCode::FAILED_PRECONDITION,
               "TX_NONCE_TOO_HIGH");
  ExpectReason(Submit(Bytes{1, 1, 0}, &sub), grpc::StatusCode::INVALID_ARGUMENT, "TX_MALFORMED");
  ExpectReason(Submit(Transfer(0, config::kInitBalance), &sub),
               grpc::StatusCode::FAILED_PRECONDITION, "TX_INSUFFICIENT_FUNDS");
  {
    grpc::ClientContext ctx;
    pb::GetAccountRequest req;
    req.set_address("hito1notanaddress");
    pb::GetAccountResponse resp;
    ExpectReason(account_stub_->GetAccount(&ctx, req, &resp), grpc::StatusCode::INVALID_ARGUMENT,
                 "INVALID_ADDRESS");
  }
  {
    grpc::ClientContext ctx;
    pb::GetAccountRequest req;
    req.set_address(dev_address_);
    req.set_height(99);
    pb::GetAccountResponse resp;
    ExpectReason(account_stub_->GetAccount(&ctx, req, &resp), grpc::StatusCode::FAILED_PRECONDITION,
                 "HEIGHT_NOT_YET_COMMITTED");
  }
  Produce(2);
  {
    grpc::ClientContext ctx;
    pb::GetAccountRequest req;
    req.set_address(dev_address_);
    req.set_height(1);
    pb::GetAccountResponse resp;
    ExpectReason(account_stub_->GetAccount(&ctx, req, &resp), grpc::StatusCode::FAILED_PRECONDITION,
                 "HEIGHT_NOT_AVAILABLE");
  }
  {
    grpc::ClientContext ctx;
    pb::GetBlockRequest req;
    req.set_height(50);
    pb::GetBlockResponse resp;
    ExpectReason(block_stub_->GetBlock(&ctx, req, &resp), grpc::StatusCode::NOT_FOUND,
                 "BLOCK_NOT_FOUND");
  }
  {
    grpc::ClientContext ctx;
    pb::GetBlockRequest req;
    req.set_hash("abc");
    pb::GetBlockResponse resp;
    ExpectReason(block_stub_->GetBlock(&ctx, req, &resp), grpc::StatusCode::INVALID_ARGUMENT,
                 "INVALID_HASH");
  }
  {
    grpc::ClientContext ctx;
    pb::GetBlockRequest req;
    req.set_hash(std::string(32, '\x01'));
    pb::GetBlockResponse resp;
    ExpectReason(block_stub_->GetBlock(&ctx, req, &resp), grpc::StatusCode::NOT_FOUND,
                 "BLOCK_NOT_FOUND");
  }
  {
    grpc::ClientContext ctx;
    pb::GetTransactionRequest req;
    req.set_tx_hash(std::string(32, '\x02'));
    pb::GetTransactionResponse resp;
    ExpectReason(tx_stub_->GetTransaction(&ctx, req, &resp), grpc::StatusCode::NOT_FOUND,
                 "TX_NOT_FOUND");
  }
}

TEST_F(RpcTest, SubmitAndWaitReturnsTheCommit) {
  StartNode();
  Bytes tx = Transfer(0);
  pb::SubmitTransactionAndWaitResponse resp;
  grpc::Status status;
  std::thread client([&] {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    pb::SubmitTransactionAndWaitRequest req;
    req.set_tx_bytes(S(tx));
    status = tx_stub_->SubmitTransactionAndWait(&ctx, req, &resp);
  });
  for (int i = 0; i < 6000 && node_->mempool()->size() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(node_->mempool()->size(), 1u);
  Produce();
  client.join();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(resp.tx_hash(), S(types::TransactionHash(tx)));
  EXPECT_EQ(resp.height(), 1u);
  EXPECT_EQ(resp.index(), 0u);
  EXPECT_EQ(resp.result_name(), "OK");

  // A refused transaction is refused at once, with its reason.
  grpc::ClientContext ctx;
  pb::SubmitTransactionAndWaitRequest req;
  req.set_tx_bytes(S(Transfer(7)));
  ExpectReason(tx_stub_->SubmitTransactionAndWait(&ctx, req, &resp),
               grpc::StatusCode::FAILED_PRECONDITION, "TX_NONCE_TOO_HIGH");
}

TEST_F(RpcTest, SubmitAndWaitIsCappedServerSide) {
  RpcOptions rpc;
  rpc.wait_cap_ms = 200;
  StartNode(rpc);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  pb::SubmitTransactionAndWaitRequest req;
  req.set_tx_bytes(S(Transfer(0)));
  pb::SubmitTransactionAndWaitResponse resp;
  ExpectReason(tx_stub_->SubmitTransactionAndWait(&ctx, req, &resp),
               grpc::StatusCode::DEADLINE_EXCEEDED, "TX_WAIT_TIMEOUT");
  EXPECT_EQ(node_->mempool()->size(), 1u);  // still admitted; it may commit later
}

TEST_F(RpcTest, StreamBlocksBackfillsThenGoesLiveAndResumes) {
  StartNode();
  Produce(3);
  grpc::ClientContext ctx;
  pb::StreamBlocksRequest req;
  req.set_from_height(2);
  auto reader = block_stub_->StreamBlocks(&ctx, req);
  pb::StreamBlocksResponse msg;
  ASSERT_TRUE(reader->Read(&msg));
  EXPECT_EQ(msg.height(), 2u);
  ASSERT_TRUE(reader->Read(&msg));
  EXPECT_EQ(msg.height(), 3u);
  EXPECT_EQ(msg.block().height(), 3u);
  Produce();  // live
  ASSERT_TRUE(reader->Read(&msg));
  EXPECT_EQ(msg.height(), 4u);
  auto decoded = types::DecodeBlock(AsBytes(msg.block_bytes()));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->header.height, 4u);
  ctx.TryCancel();
  while (reader->Read(&msg)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);

  // Resume after the last block received: nothing repeated, nothing skipped.
  grpc::ClientContext ctx2;
  req.set_from_height(4);
  auto reader2 = block_stub_->StreamBlocks(&ctx2, req);
  ASSERT_TRUE(reader2->Read(&msg));
  EXPECT_EQ(msg.height(), 4u);
  ctx2.TryCancel();
  while (reader2->Read(&msg)) {
  }
}

TEST_F(RpcTest, SlowSubscriberIsDroppedWithResourceExhausted) {
  RpcOptions rpc;
  rpc.stream_max_lag_blocks = 3;
  StartNode(rpc);
  // A client that does not read: small flow-control window, no window growth.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16 * 1024);
  auto channel = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(node_->grpc_port()),
                                           grpc::InsecureChannelCredentials(), args);
  auto stub = pb::BlockService::NewStub(channel);
  grpc::ClientContext ctx;
  pb::StreamBlocksRequest req;
  req.set_from_height(1);
  auto reader = stub->StreamBlocks(&ctx, req);
  // Big blocks (100 txs with 256-byte memos each) so unread data fills the window.
  uint64_t nonce = 0;
  for (int b = 0; b < 30; ++b) {
    for (int i = 0; i < 100; ++i, ++nonce) {
      types::Transfer t = testing::MakeTransfer(*dev_key_, {.chain_id = kChain, .nonce = nonce});
      t.memo = Bytes(256, static_cast<uint8_t>(i));
      types::SignTransfer(&t, *dev_key_);
      ASSERT_TRUE(node_->mempool()->Admit(types::EncodeTransaction(types::Transaction{t})).ok());
    }
    Produce();
  }
  pb::StreamBlocksResponse msg;
  uint64_t last = 0;
  while (reader->Read(&msg)) {
    EXPECT_EQ(msg.height(), last + 1);  // in order, no gap
    last = msg.height();
  }
  grpc::Status s = reader->Finish();
  ExpectReason(s, grpc::StatusCode::RESOURCE_EXHAUSTED, "SUBSCRIBER_TOO_SLOW");
  auto info = ErrorInfoOf(s);
  ASSERT_TRUE(info.has_value());
  // next_height is the first height not known to be delivered: at most last + 1 (the
  // message in flight when the stream was dropped may still have arrived).
  EXPECT_LE(std::stoull(info->metadata().at("next_height")), last + 1);
  EXPECT_LT(last, 30u);
}

// Fails before the request limits: a 2 MiB address was read whole and refused as
// INVALID_ADDRESS; docs/api.md promised 1 MiB.
TEST_F(RpcTest, OversizeRequestsAreRefusedWithTheDocumentedCode) {
  StartNode();
  const std::string two_mib(2 * 1024 * 1024, 'x');
  grpc::ClientContext c1;
  pb::GetAccountRequest get;
  get.set_address(two_mib);
  pb::GetAccountResponse acct;
  grpc::Status s = account_stub_->GetAccount(&c1, get, &acct);
  ExpectReason(s, grpc::StatusCode::RESOURCE_EXHAUSTED, "REQUEST_TOO_LARGE");
  EXPECT_EQ(Meta(s, "max_bytes"), std::to_string(1024 * 1024));
  pb::SubmitTransactionResponse sub;
  ExpectReason(Submit(Bytes(1024 * 1024 + 1, 0), &sub), grpc::StatusCode::RESOURCE_EXHAUSTED,
               "REQUEST_TOO_LARGE");
  // SubmitTransactions has room: a 2 MiB batch is read and answered item by item...
  pb::SubmitTransactionsRequest batch;
  for (int i = 0; i < 32; ++i) batch.add_txs(std::string(64 * 1024, static_cast<char>(i)));
  grpc::ClientContext c2;
  pb::SubmitTransactionsResponse results;
  ASSERT_TRUE(tx_stub_->SubmitTransactions(&c2, batch, &results).ok());
  EXPECT_EQ(results.results_size(), 32);
  EXPECT_EQ(results.results(0).reason(), "TX_MALFORMED");
  // ...up to its own 4 MiB, beyond which gRPC refuses the call.
  for (int i = 0; i < 33; ++i) batch.add_txs(std::string(64 * 1024, static_cast<char>(i)));
  grpc::ClientContext c3;
  EXPECT_EQ(tx_stub_->SubmitTransactions(&c3, batch, &results).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(node_->mempool()->size(), 0u);
}

// Fails before the stream caps: every StreamBlocks call was served.
TEST_F(RpcTest, StreamsBeyondTheCapsAreRefused) {
  RpcOptions rpc;
  rpc.max_streams_per_connection = 2;
  rpc.max_streams_total = 3;
  StartNode(rpc);
  Produce();
  struct Stream {
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReader<pb::StreamBlocksResponse>> reader;
  };
  auto open = [](pb::BlockService::Stub* stub, Stream* st) {
    pb::StreamBlocksRequest req;
    req.set_from_height(1);
    st->reader = stub->StreamBlocks(&st->ctx, req);
    pb::StreamBlocksResponse msg;
    return st->reader->Read(&msg);  // true: served; false: ended (refused)
  };
  auto stub_a = pb::BlockService::NewStub(OwnChannel());
  auto stub_b = pb::BlockService::NewStub(OwnChannel());
  Stream a1, a2, a3, b1, b2;
  ASSERT_TRUE(open(stub_a.get(), &a1));
  ASSERT_TRUE(open(stub_a.get(), &a2));
  ASSERT_FALSE(open(stub_a.get(), &a3));  // third on one connection
  grpc::Status s = a3.reader->Finish();
  ExpectReason(s, grpc::StatusCode::RESOURCE_EXHAUSTED, "TOO_MANY_STREAMS");
  EXPECT_EQ(Meta(s, "scope"), "connection");
  ASSERT_TRUE(open(stub_b.get(), &b1));   // another connection: the third in total
  ASSERT_FALSE(open(stub_b.get(), &b2));  // fourth in total
  s = b2.reader->Finish();
  ExpectReason(s, grpc::StatusCode::RESOURCE_EXHAUSTED, "TOO_MANY_STREAMS");
  EXPECT_EQ(Meta(s, "scope"), "server");
  EXPECT_EQ(node_->rpc()->Load().streams, 3u);
  // A closed stream gives its place back.
  a1.ctx.TryCancel();
  pb::StreamBlocksResponse msg;
  while (a1.reader->Read(&msg)) {
  }
  (void)a1.reader->Finish();
  for (int i = 0; i < 100 && node_->rpc()->Load().streams != 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Stream b3;
  EXPECT_TRUE(open(stub_b.get(), &b3));
  for (Stream* st : {&a2, &b1, &b3}) st->ctx.TryCancel();
}

// Fails before the call cap: calls were never counted.
TEST_F(RpcTest, CallsBeyondTheTotalCapAreRefused) {
  RpcOptions rpc;
  rpc.max_calls_total = 2;
  StartNode(rpc);
  Produce();
  // Two open streams hold both places.
  grpc::ClientContext c1, c2;
  pb::StreamBlocksRequest req;
  req.set_from_height(1);
  auto r1 = block_stub_->StreamBlocks(&c1, req);
  auto r2 = block_stub_->StreamBlocks(&c2, req);
  pb::StreamBlocksResponse msg;
  ASSERT_TRUE(r1->Read(&msg));
  ASSERT_TRUE(r2->Read(&msg));
  grpc::ClientContext c3;
  pb::GetStatusResponse st;
  grpc::Status s = node_stub_->GetStatus(&c3, {}, &st);
  ExpectReason(s, grpc::StatusCode::RESOURCE_EXHAUSTED, "TOO_MANY_CALLS");
  EXPECT_EQ(node_->rpc()->Load().calls, 2u);
  c1.TryCancel();
  c2.TryCancel();
}

// Fails before the stream buffer bound: every stream kept its own response in flight, so
// N slow subscribers held N responses (here 6 x ~45 KB against a 64 KiB bound).
TEST_F(RpcTest, SlowBackfillSubscribersAreBoundedInBytes) {
  RpcOptions rpc;
  rpc.stream_buffer_bytes_max = 64 * 1024;
  StartNode(rpc);
  uint64_t nonce = 0;
  ProduceBigBlocks(20, &nonce);
  auto slow = pb::BlockService::NewStub(OwnChannel(/*small_window=*/true));
  constexpr int kStreams = 6;
  grpc::ClientContext ctxs[kStreams];
  std::vector<std::unique_ptr<grpc::ClientReader<pb::StreamBlocksResponse>>> readers;
  pb::StreamBlocksRequest req;
  req.set_from_height(1);
  for (auto& ctx : ctxs) readers.push_back(slow->StreamBlocks(&ctx, req));  // never read
  for (int i = 0; i < 200 && node_->rpc()->Load().streams < kStreams; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the writes pile up
  RpcLoad load = node_->rpc()->Load();
  EXPECT_EQ(load.streams, static_cast<uint32_t>(kStreams));
  EXPECT_GT(load.stream_buffered_bytes, 0u);
  EXPECT_LE(load.stream_buffered_bytes_peak, rpc.stream_buffer_bytes_max);
  // Far from the whole backfill was written: the slow readers are held back, not buffered.
  EXPECT_LT(load.stream_responses_done, static_cast<uint64_t>(kStreams) * 20);
  // A stream that waited for room is served in full once the others go away.
  for (int i = 1; i < kStreams; ++i) ctxs[i].TryCancel();
  pb::StreamBlocksResponse msg;
  for (uint64_t h = 1; h <= 20; ++h) {
    ASSERT_TRUE(readers[0]->Read(&msg)) << h;
    EXPECT_EQ(msg.height(), h);
  }
  EXPECT_LE(node_->rpc()->Load().stream_buffered_bytes_peak, rpc.stream_buffer_bytes_max);
  ctxs[0].TryCancel();
}

// A subscriber that stops reading mid-backfill holds buffer bytes others wait for: its
// stuck response is timed out at the next commit and the waiting stream is served. Fails
// before the write timeout: the stuck backfill stream was never ended (deadline here).
TEST_F(RpcTest, StuckSubscriberIsEndedAndGivesItsBufferBytesBack) {
  RpcOptions rpc;
  rpc.stream_buffer_bytes_max = 64 * 1024;
  rpc.stream_write_timeout_ms = 200;
  StartNode(rpc);
  uint64_t nonce = 0;
  ProduceBigBlocks(5, &nonce);
  auto slow = pb::BlockService::NewStub(OwnChannel(/*small_window=*/true));
  grpc::ClientContext stuck_ctx;
  stuck_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  pb::StreamBlocksRequest req;
  req.set_from_height(1);
  auto stuck = slow->StreamBlocks(&stuck_ctx, req);  // never read
  for (int i = 0; i < 200 && node_->rpc()->Load().stream_buffered_bytes == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GT(node_->rpc()->Load().stream_buffered_bytes, 0u);
  grpc::ClientContext ctx;
  auto reader = block_stub_->StreamBlocks(&ctx, req);  // waits for the stuck one's bytes
  // A commit ends a stream whose write has been in flight past the timeout. On a loaded
  // machine the stuck stream's transport may still be taking a first response when a
  // commit comes, so a few commits, each later than the timeout, give it the chance; the
  // stuck client reads only afterwards (reading would unstick it). Only the end and its
  // reason are asserted, never how soon.
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    Produce();  // a commit that finds the stuck write too old
  }
  {
    pb::StreamBlocksResponse m;
    while (stuck->Read(&m)) {
    }
  }
  ExpectReason(stuck->Finish(), grpc::StatusCode::RESOURCE_EXHAUSTED, "SUBSCRIBER_TOO_SLOW");
  pb::StreamBlocksResponse msg;
  for (uint64_t h = 1; h <= 6; ++h) {
    ASSERT_TRUE(reader->Read(&msg)) << h;
    EXPECT_EQ(msg.height(), h);
  }
  EXPECT_LE(node_->rpc()->Load().stream_buffered_bytes_peak, rpc.stream_buffer_bytes_max);
  ctx.TryCancel();
}

// Fails before the full-pool rules: a full pool refused every newcomer as TX_MEMPOOL_FULL,
// and a dropped transaction read as TX_NOT_FOUND. Now each refusal has its own reason and
// GetTransaction tells the submitter of a displaced or expired transaction what happened.
TEST_F(RpcTest, FullPoolReasonsAndEvictedOrExpiredStatus) {
  config::NodeConfig config;
  config.mempool_max_txs = 1;
  config.mempool_max_txs_per_sender = 1;
  config.mempool_tx_ttl_ms = 1'000;
  StartNode({}, config);
  auto validator_key =
      config::ReadSeedFile(config::HomePaths{dir_.path() / "home"}.validator_key()).value();
  Bytes low = Transfer(0);  // fee 1000
  pb::SubmitTransactionResponse resp;
  ASSERT_TRUE(Submit(low, &resp).ok());
  ExpectReason(Submit(Transfer(1), &resp), grpc::StatusCode::RESOURCE_EXHAUSTED, "SENDER_OVER_CAP");
  Bytes high = testing::SignedTransfer(validator_key, {.chain_id = kChain, .fee = 5000});
  ASSERT_TRUE(Submit(high, &resp).ok());  // displaces `low`
  // Resubmitting `low` at the same fee cannot displace the higher fee.
  ExpectReason(Submit(low, &resp), grpc::StatusCode::RESOURCE_EXHAUSTED,
               "MEMPOOL_FULL_FEE_TOO_LOW");
  auto status_of = [&](const Bytes& tx) {
    grpc::ClientContext ctx;
    pb::GetTransactionRequest req;
    req.set_tx_hash(S(types::TransactionHash(tx)));
    pb::GetTransactionResponse out;
    EXPECT_TRUE(tx_stub_->GetTransaction(&ctx, req, &out).ok());
    return out.status();
  };
  EXPECT_EQ(status_of(low), pb::TX_STATUS_EVICTED);
  EXPECT_EQ(status_of(high), pb::TX_STATUS_PENDING);
  std::this_thread::sleep_for(std::chrono::milliseconds(1'100));  // the node's real clock
  EXPECT_EQ(status_of(high), pb::TX_STATUS_EXPIRED);
  EXPECT_EQ(node_->mempool()->size(), 0u);
}

}  // namespace
}  // namespace hito::node::rpc

namespace hito::node::rpc {
namespace {

// The documented reason enum and the ledger's TxCodeName agree, number for number.
TEST(ReasonEnumTest, TxCodesMatchErrorReasonNames) {
  for (const char* node_reason : {"MEMPOOL_FULL_FEE_TOO_LOW", "SENDER_OVER_CAP",
                                  "REQUEST_TOO_LARGE", "TOO_MANY_CALLS", "TOO_MANY_STREAMS"}) {
    hito::v1::ErrorReason reason;
    EXPECT_TRUE(hito::v1::ErrorReason_Parse(node_reason, &reason)) << node_reason;
  }
  for (int c = 1; c <= static_cast<int>(consensus::ledger::kLastTxCode); ++c) {
    auto code = static_cast<consensus::ledger::TxCode>(c);
    std::string name(consensus::ledger::TxCodeName(code));
    hito::v1::ErrorReason reason;
    ASSERT_TRUE(hito::v1::ErrorReason_Parse(name, &reason)) << name;
    EXPECT_EQ(static_cast<int>(reason), c) << name;
  }
}

}  // namespace
}  // namespace hito::node::rpc

namespace hito::node::rpc {
namespace {

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string FromBuffer(const grpc::ByteBuffer& buf) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(buf.Dump(&slices).ok());
  std::string out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

// grpc.health.v1 and server reflection are served. Called through the generic stub with
// hand-encoded protobuf (the Debian packages ship no C++ stubs for these protos).
TEST_F(RpcTest, HealthAndReflection) {
  StartNode();
  grpc::GenericStub generic(channel_);
  {
    grpc::ClientContext ctx;
    grpc::ByteBuffer resp;
    grpc::Status status;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    // HealthCheckRequest{service: ""} is the empty message.
    grpc::ByteBuffer req = ToBuffer("");
    generic.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &req, &resp,
                      [&](grpc::Status s) {
                        std::lock_guard l(mu);
                        status = s;
                        done = true;
                        cv.notify_one();
                      });
    std::unique_lock l(mu);
    cv.wait(l, [&] { return done; });
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(FromBuffer(resp), std::string("\x08\x01", 2));  // status: SERVING
  }
  {
    grpc::CompletionQueue cq;
    grpc::ClientContext ctx;
    auto call = generic.PrepareCall(
        &ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
    void* tag;
    bool ok;
    call->StartCall(reinterpret_cast<void*>(1));
    ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
    // ServerReflectionRequest{list_services: "*"} (field 7, string).
    call->Write(ToBuffer(std::string("\x3a\x01*", 3)), reinterpret_cast<void*>(2));
    ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
    grpc::ByteBuffer resp;
    call->Read(&resp, reinterpret_cast<void*>(3));
    ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
    std::string bytes = FromBuffer(resp);
    for (const char* svc : {"hito.v1.NodeService", "hito.v1.BlockService", "hito.v1.TxService",
                            "hito.v1.AccountService", "grpc.health.v1.Health"}) {
      EXPECT_NE(bytes.find(svc), std::string::npos) << svc;
    }
    ctx.TryCancel();
    grpc::Status st;
    call->Finish(&st, reinterpret_cast<void*>(4));
    while (cq.Next(&tag, &ok) && tag != reinterpret_cast<void*>(4)) {
    }
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
  }
}

}  // namespace
}  // namespace hito::node::rpc
