// Covers node/p2p PeerNetwork over real gRPC on loopback (ports bound as port 0): two and
// three networks connect and exchange every message kind; wrong chain, genesis or key and
// a bad hello signature are refused; a raw peer (a test-side gRPC client speaking the
// protocol) sending undecodable bytes, an oversized message, a forged vote, an unsolicited
// block answer or a flood is disconnected, counted and banned while an honest peer stays;
// non-protobuf bytes end the stream; a peer that stops reading is dropped (not banned); a
// dialer reconnects after its peer restarts. Votes are delivered while the tx and block
// workers are stuck on a flooder's batches and block requests; a peer over its byte or
// message budget is banned; bad-signature txs reported by the handler get the peer
// banned; a lie about its height (BlockNotFound at or below it) costs score; an
// unanswered block request times out; a proposal's block goes once per connection; a
// relayed vote is not echoed to its sender and a relayed copy is dropped as a duplicate.
// Every wait is bounded (Eventually, 10 s).
#include "node/p2p/peer_network.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hito/p2p/v1/p2p.grpc.pb.h"
#include "node/p2p/handshake.h"
#include "tests/unit/types/test_util.h"

namespace hito::node::p2p {

// The peer protocol's generated code keeps its package's namespace.
namespace v1 = ::hito::p2p::v1;
namespace {

namespace ct = consensus::types;
using ct::testing::H;
using ct::testing::kChain;
using ct::testing::Key;

constexpr auto kWait = std::chrono::seconds(10);

bool Eventually(const std::function<bool()>& pred) {
  auto deadline = std::chrono::steady_clock::now() + kWait;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

std::string Str(ByteView b) { return std::string(b.begin(), b.end()); }

class Recorder : public PeerHandler {
 public:
  void OnConsensusMessage(const PeerId& from, const ConsensusMessage& msg) override {
    std::lock_guard<std::mutex> l(mu);
    consensus.emplace_back(from, msg);
  }
  size_t OnTxs(const PeerId&, const std::vector<Bytes>& t) override {
    WaitWork();
    std::lock_guard<std::mutex> l(mu);
    txs.insert(txs.end(), t.begin(), t.end());
    return bad_txs_per_batch;
  }
  std::optional<BlockAndCommit> OnBlockRequest(const PeerId&, uint64_t height) override {
    WaitWork();
    std::lock_guard<std::mutex> l(mu);
    if (store && store->block.header.height == height) return *store;
    return std::nullopt;
  }
  void OnBlockRequestTimeout(const PeerId&, uint64_t height) override {
    std::lock_guard<std::mutex> l(mu);
    timeouts.push_back(height);
  }
  // Tx and block workers block here while work_closed (counting who is waiting).
  void WaitWork() {
    std::unique_lock<std::mutex> l(mu);
    work_waiting += 1;
    gate_cv.wait(l, [&] { return !work_closed; });
    work_waiting -= 1;
  }
  void OpenWork() {
    {
      std::lock_guard<std::mutex> l(mu);
      work_closed = false;
    }
    gate_cv.notify_all();
  }
  int WorkWaiting() {
    std::lock_guard<std::mutex> l(mu);
    return work_waiting;
  }
  void OnBlockResponse(const PeerId&, uint64_t height,
                       const std::optional<BlockAndCommit>& b) override {
    std::lock_guard<std::mutex> l(mu);
    responses.emplace_back(height, b);
  }
  void OnStatus(const PeerId& from, uint64_t height) override {
    std::unique_lock<std::mutex> l(mu);
    gate_cv.wait(l, [&] { return !gate_closed; });
    statuses.emplace_back(from, height);
  }
  void Open() {
    {
      std::lock_guard<std::mutex> l(mu);
      gate_closed = false;
    }
    gate_cv.notify_all();
  }
  size_t NumConsensus() {
    std::lock_guard<std::mutex> l(mu);
    return consensus.size();
  }

  std::mutex mu;
  std::condition_variable gate_cv;
  bool gate_closed = false;
  bool work_closed = false;
  int work_waiting = 0;
  size_t bad_txs_per_batch = 0;
  std::vector<uint64_t> timeouts;
  std::optional<BlockAndCommit> store;
  std::vector<std::pair<PeerId, ConsensusMessage>> consensus;
  std::vector<Bytes> txs;
  std::vector<std::pair<uint64_t, std::optional<BlockAndCommit>>> responses;
  std::vector<std::pair<PeerId, uint64_t>> statuses;
};

PeerNetworkConfig BaseConfig(std::string chain = std::string(kChain)) {
  PeerNetworkConfig c;
  c.listen_address = "127.0.0.1:0";
  c.chain_id = std::move(chain);
  c.genesis_hash = H("genesis");
  c.hello_timeout = std::chrono::milliseconds(2000);
  c.backoff_initial = std::chrono::milliseconds(20);
  c.backoff_max = std::chrono::milliseconds(200);
  c.ban_duration = std::chrono::seconds(60);
  return c;
}

std::string Addr(const PeerNetwork& n) { return "127.0.0.1:" + std::to_string(n.port()); }

struct Node {
  Recorder handler;
  std::unique_ptr<PeerNetwork> net;
  Node(uint8_t key, PeerNetworkConfig cfg) {
    net = std::make_unique<PeerNetwork>(std::move(cfg), Key(key), &handler);
    Status st = net->Start();
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  bool ConnectedTo(const PeerId& k) const {
    for (const PeerInfo& p : net->Peers()) {
      if (p.node_key == k) return true;
    }
    return false;
  }
};

// A test-side client speaking the protocol by hand, to misbehave.
class RawPeer {
 public:
  RawPeer(int port, uint8_t key, std::string chain = std::string(kChain))
      : key_(Key(key)), chain_(std::move(chain)) {
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(64 * 1024 * 1024);
    channel_ = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                         grpc::InsecureChannelCredentials(), args);
    stub_ = v1::PeerService::NewStub(channel_);
    stream_ = stub_->Connect(&ctx_);
  }
  ~RawPeer() {
    ctx_.TryCancel();
    if (reader_.joinable()) reader_.join();
    stream_->Finish().error_code();
  }

  // Runs the hello; `forge` signs the transcript with another key. Returns whether the
  // other side's hello and hello_auth arrived (it sends them before checking ours).
  bool Handshake(bool forge = false, bool read_after = true) {
    HelloInfo ours;
    ours.chain_id = chain_;
    ours.genesis_hash = H("genesis");
    ours.node_key = key_.public_key();
    ours.height = hello_height;
    randombytes_buf(ours.nonce.data(), ours.nonce.size());
    v1::PeerMessage m;
    v1::Hello* h = m.mutable_hello();
    h->set_protocol_version(ours.protocol_version);
    h->set_chain_id(ours.chain_id);
    h->set_genesis_hash(Str(ours.genesis_hash));
    h->set_node_key(Str(ours.node_key));
    h->set_height(hello_height);
    h->set_nonce(Str(ours.nonce));
    if (!stream_->Write(m)) return false;
    v1::PeerMessage in;
    if (!stream_->Read(&in) || !in.has_hello()) return false;
    HelloInfo theirs;
    theirs.protocol_version = in.hello().protocol_version();
    theirs.chain_id = in.hello().chain_id();
    std::copy_n(in.hello().genesis_hash().begin(), 32, theirs.genesis_hash.begin());
    std::copy_n(in.hello().node_key().begin(), 32, theirs.node_key.begin());
    std::copy_n(in.hello().nonce().begin(), 32, theirs.nonce.begin());
    theirs.height = in.hello().height();
    Ed25519Signature sig = forge ? SignHello(ours, theirs, Key(77)) : SignHello(ours, theirs, key_);
    m.Clear();
    m.mutable_hello_auth()->set_signature(Str(sig));
    if (!stream_->Write(m)) return false;
    in.Clear();
    bool ok = stream_->Read(&in) && in.has_hello_auth();
    if (read_after) StartReader();
    return ok;
  }

  bool Send(const v1::PeerMessage& m) { return stream_->Write(m); }

  bool WaitClosed() {
    StartReader();
    return Eventually([&] { return closed_.load(); });
  }

  const PeerId& key() const { return key_.public_key(); }
  void Listen() { StartReader(); }
  uint64_t hello_height = 0;  // the height claimed in the hello
  bool closed() const { return closed_.load(); }

 private:
  void StartReader() {
    if (reader_.joinable()) return;
    reader_ = std::thread([this] {
      v1::PeerMessage m;
      while (stream_->Read(&m)) {
      }
      closed_ = true;
    });
  }

  Ed25519PrivateKey key_;
  std::string chain_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::PeerService::Stub> stub_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::PeerMessage, v1::PeerMessage>> stream_;
  std::thread reader_;
  std::atomic<bool> closed_{false};
};

// Block 2 of the types fixtures with a commit for it by the fixture validators.
BlockAndCommit SampleBlock(const ct::testing::Validators& vals) {
  BlockAndCommit bc;
  bc.block = ct::testing::MakeBlock(vals);
  bc.commit = ct::testing::MakeCommit(vals, 2, 0, ct::HeaderHash(bc.block.header),
                                      {ct::CommitFlag::kCommit, ct::CommitFlag::kCommit,
                                       ct::CommitFlag::kCommit, ct::CommitFlag::kCommit});
  return bc;
}

ct::Vote SampleVote() {
  return ct::testing::SignedVote(Key(10), ct::VoteType::kPrevote, 3, 0, H("b"));
}

v1::PeerMessage VoteMessage(const ct::Vote& v) {
  v1::PeerMessage m;
  m.mutable_consensus()->set_vote(Str(ct::EncodeVote(v)));
  return m;
}

// A pair: `a` listens, `b` dials it.
struct Pair {
  Node a{1, BaseConfig()};
  std::unique_ptr<Node> b;
  explicit Pair(PeerNetworkConfig acfg = BaseConfig()) : a(1, std::move(acfg)) {
    PeerNetworkConfig c = BaseConfig();
    c.peers.push_back({Addr(*a.net), Key(1).public_key()});
    b = std::make_unique<Node>(2, c);
  }
  bool Connected() {
    return a.ConnectedTo(Key(2).public_key()) && b->ConnectedTo(Key(1).public_key());
  }
};

TEST(PeerNetwork, TwoPeersExchangeEveryMessageKind) {
  Pair p;
  ASSERT_TRUE(Eventually([&] { return p.Connected(); }));
  Node& a = p.a;
  Node& b = *p.b;
  std::vector<PeerInfo> pa = a.net->Peers();
  ASSERT_EQ(pa.size(), 1u);
  EXPECT_FALSE(pa[0].outbound);
  EXPECT_TRUE(b.net->Peers()[0].outbound);

  ct::testing::Validators vals = ct::testing::MakeValidators();
  BlockAndCommit bc = SampleBlock(vals);

  // Vote, proposal with its block, evidence.
  ct::Vote vote = SampleVote();
  a.net->Broadcast(vote);
  ct::Proposal prop;
  prop.height = 2;
  prop.round = 0;
  prop.block_hash = ct::HeaderHash(bc.block.header);
  prop.proposer = vals.keys[0].public_key();
  ct::SignProposal(kChain, &prop, vals.keys[0]);
  ASSERT_TRUE(b.net->SendTo(Key(1).public_key(), ProposalWithBlock{prop, bc.block}).ok());
  ct::DuplicateVoteEvidence ev = ct::testing::MakeEvidence(vals.keys[1], 1);
  a.net->Broadcast(ev);
  ASSERT_TRUE(Eventually([&] { return b.handler.NumConsensus() == 2; }));
  ASSERT_TRUE(Eventually([&] { return a.handler.NumConsensus() == 1; }));
  {
    std::lock_guard<std::mutex> l(b.handler.mu);
    EXPECT_EQ(b.handler.consensus[0].first, Key(1).public_key());
    EXPECT_EQ(std::get<ct::Vote>(b.handler.consensus[0].second), vote);
    EXPECT_EQ(std::get<ct::DuplicateVoteEvidence>(b.handler.consensus[1].second), ev);
  }
  {
    std::lock_guard<std::mutex> l(a.handler.mu);
    const auto& got = std::get<ProposalWithBlock>(a.handler.consensus[0].second);
    EXPECT_EQ(got.proposal, prop);
    EXPECT_EQ(got.block, bc.block);
  }

  // Txs, status.
  std::vector<Bytes> txs = bc.block.txs;
  a.net->BroadcastTxs(txs);
  a.net->BroadcastStatus(7);
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> l(b.handler.mu);
    return b.handler.txs.size() == 2 && b.handler.statuses.size() == 1;
  }));
  {
    std::lock_guard<std::mutex> l(b.handler.mu);
    EXPECT_EQ(b.handler.txs, txs);
    EXPECT_EQ(b.handler.statuses[0].second, 7u);
  }
  EXPECT_EQ(b.net->Peers()[0].height, 7u);

  // Block request/response round trip, and not-found.
  {
    std::lock_guard<std::mutex> l(b.handler.mu);
    b.handler.store = bc;
  }
  ASSERT_TRUE(a.net->RequestBlock(Key(2).public_key(), 2).ok());
  ASSERT_TRUE(a.net->RequestBlock(Key(2).public_key(), 9).ok());
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> l(a.handler.mu);
    return a.handler.responses.size() == 2;
  }));
  {
    std::lock_guard<std::mutex> l(a.handler.mu);
    EXPECT_EQ(a.handler.responses[0].first, 2u);
    ASSERT_TRUE(a.handler.responses[0].second.has_value());
    EXPECT_EQ(a.handler.responses[0].second->block, bc.block);
    EXPECT_EQ(a.handler.responses[0].second->commit, bc.commit);
    EXPECT_EQ(a.handler.responses[1].first, 9u);
    EXPECT_FALSE(a.handler.responses[1].second.has_value());
  }
  EXPECT_EQ(a.net->RequestBlock(Key(50).public_key(), 2).code(), StatusCode::kNotFound);
  EXPECT_TRUE(p.Connected());
  for (DropReason r : {DropReason::kMalformed, DropReason::kBadSignature, DropReason::kFlood,
                       DropReason::kSlow, DropReason::kOversized}) {
    EXPECT_EQ(a.net->DropCount(r), 0u);
    EXPECT_EQ(b.net->DropCount(r), 0u);
  }
}

TEST(PeerNetwork, VotesArriveCompleteAndInOrder) {
  Pair p;
  ASSERT_TRUE(Eventually([&] { return p.Connected(); }));
  constexpr uint64_t kN = 1000;  // within the default outbound queue of 1024
  std::vector<ct::Vote> sent;
  for (uint64_t h = 1; h <= kN; ++h) {
    sent.push_back(ct::testing::SignedVote(Key(10), ct::VoteType::kPrecommit, h, 0, H("b")));
  }
  auto start = std::chrono::steady_clock::now();
  for (const ct::Vote& v : sent) p.a.net->Broadcast(v);
  ASSERT_TRUE(Eventually([&] { return p.b->handler.NumConsensus() == kN; }));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start);
  std::cout << "[ info ] " << kN << " votes delivered (decoded, signature-checked) in "
            << ms.count() << " ms\n";
  std::lock_guard<std::mutex> l(p.b->handler.mu);
  for (size_t i = 0; i < kN; ++i) {
    ASSERT_EQ(std::get<ct::Vote>(p.b->handler.consensus[i].second), sent[i]) << i;
  }
  EXPECT_EQ(p.a.net->DropCount(DropReason::kSlow), 0u);
}

TEST(PeerNetwork, ThreeNodesFullMesh) {
  Node a(1, BaseConfig());
  PeerNetworkConfig cb = BaseConfig();
  cb.peers.push_back({Addr(*a.net), Key(1).public_key()});
  Node b(2, cb);
  PeerNetworkConfig cc = BaseConfig();
  cc.peers.push_back({Addr(*a.net), Key(1).public_key()});
  cc.peers.push_back({Addr(*b.net), Key(2).public_key()});
  // a also dials c once c is up: both directions race, one connection must survive.
  Node c(3, cc);
  auto full = [&] {
    return a.net->Peers().size() == 2 && b.net->Peers().size() == 2 && c.net->Peers().size() == 2;
  };
  ASSERT_TRUE(Eventually(full));
  c.net->Broadcast(SampleVote());
  ASSERT_TRUE(
      Eventually([&] { return a.handler.NumConsensus() == 1 && b.handler.NumConsensus() == 1; }));
  EXPECT_TRUE(full());
}

TEST(PeerNetwork, SimultaneousDialsKeepOneConnection) {
  // Two nodes that each list the other: both dial; both must end with one connection.
  Node a(1, BaseConfig());
  PeerNetworkConfig cb = BaseConfig();
  cb.peers.push_back({Addr(*a.net), Key(1).public_key()});
  Node b(2, cb);
  ASSERT_TRUE(Eventually([&] { return a.net->Peers().size() == 1 && b.net->Peers().size() == 1; }));
  b.net->Broadcast(SampleVote());
  ASSERT_TRUE(Eventually([&] { return a.handler.NumConsensus() == 1; }));
}

TEST(PeerNetwork, WrongChainIsRefused) {
  Node a(1, BaseConfig());
  PeerNetworkConfig cb = BaseConfig("other-chain");
  cb.peers.push_back({Addr(*a.net), Key(1).public_key()});
  Node b(2, cb);
  ASSERT_TRUE(Eventually([&] {
    return a.net->DropCount(DropReason::kHandshakeFailed) >= 1 &&
           b.net->DropCount(DropReason::kHandshakeFailed) >= 1;
  }));
  EXPECT_TRUE(a.net->Peers().empty());
  EXPECT_TRUE(b.net->Peers().empty());
}

TEST(PeerNetwork, WrongGenesisIsRefused) {
  Node a(1, BaseConfig());
  PeerNetworkConfig cb = BaseConfig();
  cb.genesis_hash = H("another genesis");
  cb.peers.push_back({Addr(*a.net), Key(1).public_key()});
  Node b(2, cb);
  ASSERT_TRUE(Eventually([&] { return a.net->DropCount(DropReason::kHandshakeFailed) >= 1; }));
  EXPECT_TRUE(a.net->Peers().empty());
  EXPECT_TRUE(b.net->Peers().empty());
}

TEST(PeerNetwork, WrongKeyIsRefused) {
  Node a(1, BaseConfig());
  PeerNetworkConfig cb = BaseConfig();
  cb.peers.push_back({Addr(*a.net), Key(99).public_key()});  // a is not key 99
  Node b(2, cb);
  ASSERT_TRUE(Eventually([&] { return b.net->DropCount(DropReason::kHandshakeFailed) >= 1; }));
  EXPECT_TRUE(b.net->Peers().empty());
  EXPECT_TRUE(a.net->Peers().empty());
}

TEST(PeerNetwork, BadHelloSignatureIsRefused) {
  Node a(1, BaseConfig());
  RawPeer raw(a.net->port(), 5);
  raw.Handshake(/*forge=*/true);
  EXPECT_TRUE(raw.WaitClosed());
  EXPECT_GE(a.net->DropCount(DropReason::kHandshakeFailed), 1u);
  EXPECT_TRUE(a.net->Peers().empty());
  // Unauthenticated: the claimed key is not banned (anyone could claim it).
  EXPECT_FALSE(a.net->IsBanned(Key(5).public_key()));
}

TEST(PeerNetwork, NonHelloFirstMessageIsRefused) {
  Node a(1, BaseConfig());
  RawPeer raw(a.net->port(), 5);
  v1::PeerMessage m;
  m.mutable_status()->set_height(1);  // not a hello
  raw.Send(m);
  EXPECT_TRUE(raw.WaitClosed());
  EXPECT_GE(a.net->DropCount(DropReason::kHandshakeFailed), 1u);
}

TEST(PeerNetwork, SilentPeerTimesOut) {
  PeerNetworkConfig ca = BaseConfig();
  ca.hello_timeout = std::chrono::milliseconds(100);
  Node a(1, ca);
  RawPeer raw(a.net->port(), 5);  // opens the stream and never says hello
  EXPECT_TRUE(raw.WaitClosed());
  EXPECT_GE(a.net->DropCount(DropReason::kHandshakeFailed), 1u);
}

TEST(PeerNetwork, UnauthenticatedStreamsAreBounded) {
  PeerNetworkConfig ca = BaseConfig();
  ca.limits.max_inbound_peers = 2;
  ca.hello_timeout = std::chrono::seconds(30);  // silent streams stay pending meanwhile
  Node a(1, ca);
  RawPeer s1(a.net->port(), 5), s2(a.net->port(), 6), s3(a.net->port(), 7);
  for (RawPeer* r : {&s1, &s2, &s3}) r->Listen();
  // Whichever arrives last finds both slots taken and is refused at once.
  auto closed = [&] { return int{s1.closed()} + int{s2.closed()} + int{s3.closed()}; };
  ASSERT_TRUE(Eventually([&] { return closed() == 1; }));
  EXPECT_EQ(a.net->DropCount(DropReason::kClosed), 1u);
  EXPECT_EQ(closed(), 1);
}

// Waits for one completion on `cq` (bounded); returns its ok flag, false on timeout.
bool Next(grpc::CompletionQueue* cq) {
  void* tag = nullptr;
  bool ok = false;
  auto status = cq->AsyncNext(&tag, &ok, std::chrono::system_clock::now() + kWait);
  return status == grpc::CompletionQueue::GOT_EVENT && ok;
}

TEST(PeerNetwork, NonProtobufBytesEndTheStream) {
  Node a(1, BaseConfig());
  auto channel = grpc::CreateChannel(Addr(*a.net), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  auto call = stub.PrepareCall(&ctx, "/hito.p2p.v1.PeerService/Connect", &cq);
  call->StartCall(nullptr);
  ASSERT_TRUE(Next(&cq));
  // Field 1 (hello) as a length-delimited field claiming 100 bytes, then 3: not parseable.
  const char garbage[] = "\x0a\x64\xff\xff\xff";
  grpc::Slice slice(garbage, sizeof(garbage) - 1);
  grpc::ByteBuffer out(&slice, 1);
  call->Write(out, nullptr);
  ASSERT_TRUE(Next(&cq));
  // The node's own hello may arrive first; then the stream must end.
  bool ended = false;
  for (int i = 0; i < 3 && !ended; ++i) {
    grpc::ByteBuffer in;
    call->Read(&in, nullptr);
    ended = !Next(&cq);
  }
  EXPECT_TRUE(ended);
  EXPECT_TRUE(Eventually([&] { return a.net->DropCount(DropReason::kClosed) >= 1; }));
  EXPECT_TRUE(a.net->Peers().empty());
  ctx.TryCancel();
  grpc::Status st;
  call->Finish(&st, nullptr);
  Next(&cq);
  cq.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) {
  }
}

// A misbehaving raw peer next to an honest pair; `send` is its offence.
void ExpectDroppedAndBanned(PeerNetworkConfig acfg, DropReason reason,
                            const std::function<void(RawPeer&)>& send) {
  Pair p(std::move(acfg));
  ASSERT_TRUE(Eventually([&] { return p.Connected(); }));
  {
    RawPeer raw(p.a.net->port(), 6);
    ASSERT_TRUE(raw.Handshake());
    ASSERT_TRUE(Eventually([&] { return p.a.ConnectedTo(Key(6).public_key()); }));
    send(raw);
    EXPECT_TRUE(raw.WaitClosed());
    EXPECT_TRUE(Eventually([&] { return p.a.net->DropCount(reason) == 1; }));
    EXPECT_TRUE(Eventually([&] { return !p.a.ConnectedTo(Key(6).public_key()); }));
    EXPECT_TRUE(p.a.net->IsBanned(Key(6).public_key()));
  }
  // The honest peer stays and still gets through.
  EXPECT_TRUE(p.Connected());
  p.b->net->Broadcast(SampleVote());
  EXPECT_TRUE(Eventually([&] { return p.a.handler.NumConsensus() >= 1; }));
  // The banned key is refused when it comes back.
  RawPeer again(p.a.net->port(), 6);
  again.Handshake();
  EXPECT_TRUE(again.WaitClosed());
  EXPECT_TRUE(Eventually([&] { return p.a.net->DropCount(DropReason::kBanned) >= 1; }));
  EXPECT_FALSE(p.a.ConnectedTo(Key(6).public_key()));
}

TEST(PeerNetwork, GarbageVoteBytesDisconnect) {
  ExpectDroppedAndBanned(BaseConfig(), DropReason::kMalformed, [](RawPeer& raw) {
    v1::PeerMessage m;
    m.mutable_consensus()->set_vote("definitely not a vote");
    raw.Send(m);
  });
}

TEST(PeerNetwork, MessageOfUnknownKindDisconnects) {
  ExpectDroppedAndBanned(BaseConfig(), DropReason::kMalformed, [](RawPeer& raw) {
    v1::PeerMessage m;  // a field number this version does not know, no known kind
    m.GetReflection()->MutableUnknownFields(&m)->AddLengthDelimited(99, "junk");
    raw.Send(m);
  });
}

TEST(PeerNetwork, ProposalWithGarbageBlockDisconnects) {
  ExpectDroppedAndBanned(BaseConfig(), DropReason::kMalformed, [](RawPeer& raw) {
    ct::testing::Validators vals = ct::testing::MakeValidators();
    ct::Proposal prop;
    prop.height = 2;
    prop.block_hash = H("x");
    prop.proposer = vals.keys[0].public_key();
    ct::SignProposal(kChain, &prop, vals.keys[0]);
    v1::PeerMessage m;
    m.mutable_consensus()->mutable_proposal()->set_proposal(Str(ct::EncodeProposal(prop)));
    m.mutable_consensus()->mutable_proposal()->set_block("not a block");
    raw.Send(m);
  });
}

TEST(PeerNetwork, GarbageTxDisconnects) {
  ExpectDroppedAndBanned(BaseConfig(), DropReason::kMalformed, [](RawPeer& raw) {
    v1::PeerMessage m;
    m.mutable_txs()->add_txs(std::string(100, '\x01'));
    raw.Send(m);
  });
}

TEST(PeerNetwork, TooManyTxsInABatchDisconnects) {
  ExpectDroppedAndBanned(BaseConfig(), DropReason::kMalformed, [](RawPeer& raw) {
    Bytes tx = ct::EncodeTransaction(ct::Transaction{ct::testing::SignedTransfer()});
    v1::PeerMessage m;
    for (int i = 0; i < 257; ++i) m.mutable_txs()->add_txs(Str(tx));
    raw.Send(m);
  });
}

TEST(PeerNetwork, OversizedMessageDisconnects) {
  PeerNetworkConfig ca = BaseConfig();
  ca.limits.max_message_bytes = 32 * 1024;
  ExpectDroppedAndBanned(ca, DropReason::kOversized, [](RawPeer& raw) {
    v1::PeerMessage m;
    m.mutable_consensus()->set_vote(std::string(40 * 1024, 'x'));
    raw.Send(m);
  });
}

TEST(PeerNetwork, ForgedVoteSignatureDisconnects) {
  ExpectDroppedAndBanned(BaseConfig(), DropReason::kBadSignature, [](RawPeer& raw) {
    ct::Vote v = SampleVote();
    v.signature[5] ^= 1;
    raw.Send(VoteMessage(v));
  });
}

TEST(PeerNetwork, VoteSignedForAnotherChainDisconnects) {
  ExpectDroppedAndBanned(BaseConfig(), DropReason::kBadSignature, [](RawPeer& raw) {
    raw.Send(VoteMessage(
        ct::testing::SignedVote(Key(10), ct::VoteType::kPrecommit, 3, 0, H("b"), "other")));
  });
}

TEST(PeerNetwork, UnsolicitedBlockResponseDisconnects) {
  ExpectDroppedAndBanned(BaseConfig(), DropReason::kUnsolicited, [](RawPeer& raw) {
    v1::PeerMessage m;
    m.mutable_block_not_found()->set_height(4);
    raw.Send(m);
  });
}

TEST(PeerNetwork, FloodDisconnects) {
  PeerNetworkConfig ca = BaseConfig();
  ca.limits.inbound_queue_messages = 4;
  Pair p(ca);
  ASSERT_TRUE(Eventually([&] { return p.Connected(); }));
  {
    std::lock_guard<std::mutex> l(p.a.handler.mu);
    p.a.handler.gate_closed = true;  // the handler stalls: the raw peer's queue fills
  }
  {
    RawPeer raw(p.a.net->port(), 6);
    ASSERT_TRUE(raw.Handshake());
    v1::PeerMessage m;
    for (uint64_t i = 0; i < 50 && !p.a.net->DropCount(DropReason::kFlood); ++i) {
      m.mutable_status()->set_height(i);
      raw.Send(m);
    }
    EXPECT_TRUE(raw.WaitClosed());
    EXPECT_EQ(p.a.net->DropCount(DropReason::kFlood), 1u);
    EXPECT_TRUE(p.a.net->IsBanned(Key(6).public_key()));
  }
  p.a.handler.Open();
  EXPECT_TRUE(Eventually([&] { return !p.a.ConnectedTo(Key(6).public_key()); }));
  EXPECT_TRUE(p.Connected());
  // At most the queue bound (plus the one in the handler) was delivered from the flooder.
  std::lock_guard<std::mutex> l(p.a.handler.mu);
  EXPECT_LE(p.a.handler.statuses.size(), 5u);
}

TEST(PeerNetwork, SlowPeerIsDroppedNotBanned) {
  PeerNetworkConfig ca = BaseConfig();
  ca.limits.outbound_queue_messages = 4;
  ca.limits.max_txs_per_batch = 16;
  Node a(1, ca);
  RawPeer raw(a.net->port(), 6);
  ASSERT_TRUE(raw.Handshake(/*forge=*/false, /*read_after=*/false));  // and never reads
  ASSERT_TRUE(Eventually([&] { return a.ConnectedTo(Key(6).public_key()); }));
  // ~1 MiB per message; the stream's flow-control window and socket buffers fill up, the
  // writer blocks, the queue fills, and the peer is dropped instead of blocking us.
  std::vector<Bytes> batch(16, Bytes(60 * 1024, 0x5a));
  for (int i = 0; i < 2000 && a.net->DropCount(DropReason::kSlow) == 0; ++i) {
    a.net->BroadcastTxs(batch);
  }
  EXPECT_EQ(a.net->DropCount(DropReason::kSlow), 1u);
  EXPECT_TRUE(Eventually([&] { return a.net->Peers().empty(); }));
  EXPECT_FALSE(a.net->IsBanned(Key(6).public_key()));
}

TEST(PeerNetwork, ReconnectsAfterPeerRestart) {
  auto a = std::make_unique<Node>(1, BaseConfig());
  int port = a->net->port();
  PeerNetworkConfig cb = BaseConfig();
  cb.peers.push_back({"127.0.0.1:" + std::to_string(port), Key(1).public_key()});
  Node b(2, cb);
  ASSERT_TRUE(Eventually([&] { return b.ConnectedTo(Key(1).public_key()); }));
  a.reset();  // a goes away
  ASSERT_TRUE(Eventually([&] { return b.net->Peers().empty(); }));
  PeerNetworkConfig ca = BaseConfig();
  ca.listen_address = "127.0.0.1:" + std::to_string(port);
  a = std::make_unique<Node>(1, ca);  // and comes back on the same address
  ASSERT_TRUE(Eventually([&] { return b.ConnectedTo(Key(1).public_key()); }));
  ASSERT_TRUE(Eventually([&] { return a->ConnectedTo(Key(2).public_key()); }));
  b.net->Broadcast(SampleVote());
  EXPECT_TRUE(Eventually([&] { return a->handler.NumConsensus() == 1; }));
}

TEST(PeerNetwork, VotesAreNotDelayedByTxAndBlockFloods) {
  Pair p;
  ASSERT_TRUE(Eventually([&] { return p.Connected(); }));
  {
    std::lock_guard<std::mutex> l(p.a.handler.mu);
    p.a.handler.work_closed = true;  // tx admission and block serving stall
  }
  // Whatever fails below, the stalled workers are released before the network stops.
  struct Release {
    Recorder* r;
    ~Release() { r->OpenWork(); }
  } release{&p.a.handler};
  RawPeer flooder(p.a.net->port(), 6);
  ASSERT_TRUE(flooder.Handshake());
  ASSERT_TRUE(Eventually([&] { return p.a.ConnectedTo(Key(6).public_key()); }));
  Bytes tx = ct::EncodeTransaction(ct::Transaction{ct::testing::SignedTransfer()});
  v1::PeerMessage batch;
  for (int i = 0; i < 64; ++i) batch.mutable_txs()->add_txs(Str(tx));
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(flooder.Send(batch));
  for (uint64_t h = 1; h <= 10; ++h) {
    v1::PeerMessage req;
    req.mutable_block_request()->set_height(h);
    ASSERT_TRUE(flooder.Send(req));
  }
  // The flooder's work is stuck in the handler and the rest queues behind it.
  ASSERT_TRUE(Eventually([&] { return p.a.handler.WorkWaiting() >= 1; }));
  constexpr uint64_t kVotes = 50;
  std::vector<ct::Vote> sent;
  for (uint64_t h = 1; h <= kVotes; ++h) {
    sent.push_back(ct::testing::SignedVote(Key(10), ct::VoteType::kPrevote, h, 0, H("b")));
    p.b->net->Broadcast(sent.back());
  }
  // Every vote is delivered, in order, while the flooder's work is still stuck.
  ASSERT_TRUE(Eventually([&] { return p.a.handler.NumConsensus() == kVotes; }));
  {
    std::lock_guard<std::mutex> l(p.a.handler.mu);
    EXPECT_TRUE(p.a.handler.txs.empty());
    for (size_t i = 0; i < kVotes; ++i) {
      EXPECT_EQ(std::get<ct::Vote>(p.a.handler.consensus[i].second), sent[i]);
    }
  }
  EXPECT_GE(p.a.handler.WorkWaiting(), 1);
  p.a.handler.OpenWork();
  EXPECT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> l(p.a.handler.mu);
    return p.a.handler.txs.size() == 20u * 64u;
  }));
  EXPECT_EQ(p.a.net->DropCount(DropReason::kFlood), 0u);
}

TEST(PeerNetwork, PeerOverItsByteBudgetIsBanned) {
  PeerNetworkConfig ca = BaseConfig();
  ca.limits.peer_bytes_per_second = 100 * 1024;
  ca.limits.peer_bytes_burst = 20 * 1024;
  ca.limits.score_over_budget = 5;
  ca.limits.ban_score = 10;
  ExpectDroppedAndBanned(ca, DropReason::kOverBudget, [](RawPeer& raw) {
    Bytes tx = ct::EncodeTransaction(ct::Transaction{ct::testing::SignedTransfer()});
    v1::PeerMessage m;
    while (m.ByteSizeLong() < 40 * 1024) m.mutable_txs()->add_txs(Str(tx));
    // The first batch overdraws the burst (throttled, 5 points), the second bans.
    for (int i = 0; i < 3; ++i) raw.Send(m);
  });
}

TEST(PeerNetwork, PeerOverItsMessageBudgetIsBanned) {
  PeerNetworkConfig ca = BaseConfig();
  ca.limits.peer_messages_per_second = 20;
  ca.limits.peer_messages_burst = 10;
  ca.limits.score_over_budget = 5;
  ca.limits.ban_score = 20;
  ExpectDroppedAndBanned(ca, DropReason::kOverBudget, [](RawPeer& raw) {
    v1::PeerMessage m;
    for (uint64_t i = 0; i < 40; ++i) {
      m.mutable_status()->set_height(i);
      if (!raw.Send(m)) break;
    }
  });
}

TEST(PeerNetwork, PeerSendingBadSignatureTxsIsBanned) {
  PeerNetworkConfig ca = BaseConfig();
  ca.limits.score_bad_tx = 10;
  ca.limits.ban_score = 100;
  Pair p(ca);
  ASSERT_TRUE(Eventually([&] { return p.Connected(); }));
  {
    std::lock_guard<std::mutex> l(p.a.handler.mu);
    p.a.handler.bad_txs_per_batch = 4;  // as the mempool would report them
  }
  RawPeer raw(p.a.net->port(), 6);
  ASSERT_TRUE(raw.Handshake());
  ASSERT_TRUE(Eventually([&] { return p.a.ConnectedTo(Key(6).public_key()); }));
  Bytes tx = ct::EncodeTransaction(ct::Transaction{ct::testing::SignedTransfer()});
  v1::PeerMessage m;
  m.mutable_txs()->add_txs(Str(tx));
  raw.Send(m);
  ASSERT_TRUE(Eventually([&] { return p.a.net->Score(Key(6).public_key()) == 40u; }));
  EXPECT_TRUE(p.a.ConnectedTo(Key(6).public_key()));
  raw.Send(m);
  raw.Send(m);  // 120 points
  EXPECT_TRUE(raw.WaitClosed());
  EXPECT_TRUE(Eventually([&] { return p.a.net->DropCount(DropReason::kBadTransactions) == 1; }));
  EXPECT_TRUE(p.a.net->IsBanned(Key(6).public_key()));
  EXPECT_TRUE(p.Connected());
}

TEST(PeerNetwork, BlockNotFoundAtOrBelowTheClaimedHeightCostsScore) {
  PeerNetworkConfig ca = BaseConfig();
  ca.limits.score_false_height = 50;
  ca.limits.ban_score = 100;
  Node a(1, ca);
  RawPeer liar(a.net->port(), 6);
  liar.hello_height = 10;
  ASSERT_TRUE(liar.Handshake());
  const PeerId liar_key = Key(6).public_key();
  ASSERT_TRUE(Eventually([&] { return a.ConnectedTo(liar_key); }));
  auto not_found = [&](uint64_t h) {
    ASSERT_TRUE(a.net->RequestBlock(liar_key, h).ok());
    v1::PeerMessage m;
    m.mutable_block_not_found()->set_height(h);
    liar.Send(m);
  };
  not_found(11);  // above its claim: an honest answer
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> l(a.handler.mu);
    return a.handler.responses.size() == 1;
  }));
  EXPECT_EQ(a.net->Score(liar_key), 0u);
  not_found(5);  // it claimed 10
  ASSERT_TRUE(Eventually([&] { return a.net->Score(liar_key) == 50u; }));
  not_found(6);
  EXPECT_TRUE(liar.WaitClosed());
  EXPECT_TRUE(Eventually([&] { return a.net->DropCount(DropReason::kFalseHeight) == 1; }));
  EXPECT_TRUE(a.net->IsBanned(liar_key));
}

TEST(PeerNetwork, UnansweredBlockRequestTimesOutAndALateAnswerIsAccepted) {
  PeerNetworkConfig ca = BaseConfig();
  ca.block_request_timeout = std::chrono::milliseconds(200);
  Node a(1, ca);
  RawPeer silent(a.net->port(), 6);
  ASSERT_TRUE(silent.Handshake());
  const PeerId key = Key(6).public_key();
  ASSERT_TRUE(Eventually([&] { return a.ConnectedTo(key); }));
  ASSERT_TRUE(a.net->RequestBlock(key, 3).ok());
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> l(a.handler.mu);
    return a.handler.timeouts.size() == 1;
  }));
  {
    std::lock_guard<std::mutex> l(a.handler.mu);
    EXPECT_EQ(a.handler.timeouts[0], 3u);
  }
  v1::PeerMessage m;
  m.mutable_block_not_found()->set_height(3);
  silent.Send(m);
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> l(a.handler.mu);
    return a.handler.responses.size() == 1;
  }));
  EXPECT_EQ(a.net->DropCount(DropReason::kUnsolicited), 0u);
  EXPECT_TRUE(a.ConnectedTo(key));
}

// The proposal of block 2 of the fixtures, signed by its first validator.
ProposalWithBlock SampleProposal(const ct::testing::Validators& vals, uint32_t round) {
  BlockAndCommit bc = SampleBlock(vals);
  ct::Proposal prop;
  prop.height = 2;
  prop.round = round;
  prop.block_hash = ct::HeaderHash(bc.block.header);
  prop.proposer = vals.keys[0].public_key();
  ct::SignProposal(kChain, &prop, vals.keys[0]);
  return ProposalWithBlock{prop, bc.block};
}

TEST(PeerNetwork, ProposalBlockIsSentOncePerConnection) {
  PeerNetworkConfig ca = BaseConfig();
  ca.limits.duplicate_window_ms = 0;  // every re-send reaches the handler
  auto a = std::make_unique<Node>(1, ca);
  const int port = a->net->port();
  PeerNetworkConfig cb = BaseConfig();
  cb.peers.push_back({Addr(*a->net), Key(1).public_key()});
  Node b(2, cb);
  ASSERT_TRUE(Eventually([&] { return a->ConnectedTo(Key(2).public_key()); }));
  ct::testing::Validators vals = ct::testing::MakeValidators();
  ProposalWithBlock r0 = SampleProposal(vals, 0);
  ProposalWithBlock r1 = SampleProposal(vals, 1);  // same block, next round
  b.net->BroadcastProposal(r0.proposal, *r0.block);
  b.net->BroadcastProposal(r0.proposal, *r0.block);
  b.net->BroadcastProposal(r1.proposal, *r1.block);
  ASSERT_TRUE(Eventually([&] { return a->handler.NumConsensus() == 3; }));
  {
    std::lock_guard<std::mutex> l(a->handler.mu);
    const auto& got = a->handler.consensus;
    EXPECT_EQ(std::get<ProposalWithBlock>(got[0].second).block, r0.block);
    EXPECT_EQ(std::get<ProposalWithBlock>(got[1].second).proposal, r0.proposal);
    EXPECT_FALSE(std::get<ProposalWithBlock>(got[1].second).block.has_value());
    EXPECT_EQ(std::get<ProposalWithBlock>(got[2].second).proposal, r1.proposal);
    EXPECT_FALSE(std::get<ProposalWithBlock>(got[2].second).block.has_value());
  }
  // A new connection starts with no memory: the block goes again.
  a.reset();
  ASSERT_TRUE(Eventually([&] { return b.net->Peers().empty(); }));
  ca.listen_address = "127.0.0.1:" + std::to_string(port);
  a = std::make_unique<Node>(1, ca);
  ASSERT_TRUE(Eventually([&] { return b.ConnectedTo(Key(1).public_key()); }));
  b.net->BroadcastProposal(r1.proposal, *r1.block);
  ASSERT_TRUE(Eventually([&] { return a->handler.NumConsensus() == 1; }));
  std::lock_guard<std::mutex> l(a->handler.mu);
  EXPECT_EQ(std::get<ProposalWithBlock>(a->handler.consensus[0].second).block, r1.block);
}

TEST(PeerNetwork, RelayedVoteIsNotEchoedAndCopiesAreDropped) {
  PeerNetworkConfig base = BaseConfig();
  base.limits.duplicate_window_ms = 60'000;
  Node a(1, base);
  PeerNetworkConfig cb = base;
  cb.peers.push_back({Addr(*a.net), Key(1).public_key()});
  Node b(2, cb);
  PeerNetworkConfig cc = base;
  cc.peers.push_back({Addr(*a.net), Key(1).public_key()});
  cc.peers.push_back({Addr(*b.net), Key(2).public_key()});
  Node c(3, cc);
  ASSERT_TRUE(Eventually([&] {
    return a.net->Peers().size() == 2 && b.net->Peers().size() == 2 && c.net->Peers().size() == 2;
  }));
  ct::Vote v = SampleVote();
  c.net->Broadcast(v);
  ASSERT_TRUE(
      Eventually([&] { return a.handler.NumConsensus() == 1 && b.handler.NumConsensus() == 1; }));
  a.net->Broadcast(v);  // a relays what it accepted: to b only, not back to c
  ASSERT_TRUE(Eventually([&] { return b.net->DuplicatesDropped() == 1; }));
  // A second vote from a marks the end of its stream to c: an echo would be before it.
  ct::Vote marker = ct::testing::SignedVote(Key(11), ct::VoteType::kPrevote, 3, 0, H("b"));
  a.net->Broadcast(marker);
  ASSERT_TRUE(Eventually([&] { return c.handler.NumConsensus() == 1; }));
  {
    std::lock_guard<std::mutex> l(c.handler.mu);
    EXPECT_EQ(std::get<ct::Vote>(c.handler.consensus[0].second), marker);
  }
  ASSERT_TRUE(Eventually([&] { return b.handler.NumConsensus() == 2; }));
  std::lock_guard<std::mutex> l(b.handler.mu);
  EXPECT_EQ(std::get<ct::Vote>(b.handler.consensus[0].second), v);
  EXPECT_EQ(std::get<ct::Vote>(b.handler.consensus[1].second), marker);
}

}  // namespace
}  // namespace hito::node::p2p
