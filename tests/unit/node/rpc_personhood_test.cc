// PersonhoodService, UbiService, block events and the personhood fields of
// TransactionView, over real loopback gRPC: a real Store (LevelDB in a temp dir), mempool,
// ChainApp and RpcServer on a genesis built in C++ with five attesters, 4 blocks per epoch
// and cohorts of 4. Blocks carry registrations, a renewal, a revocation and a UBI claim
// proved in the test. Covers each method's answer, paging across pages (snapshot members,
// attesters), the heights convention, malformed requests (point and nullifier lengths,
// page tokens forged, of another snapshot or garbage, page sizes out of range, epochs
// outside the claim window, an oversized request), and a chain without attesters, where
// every method is PERSONHOOD_DISABLED.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bech32m.h"
#include "consensus/ledger/ledger.h"
#include "consensus/ledger/registry.h"
#include "consensus/ledger/ubi.h"
#include "consensus/types/personhood.h"
#include "hito/v1/block.grpc.pb.h"
#include "hito/v1/personhood.grpc.pb.h"
#include "hito/v1/tx.grpc.pb.h"
#include "hito/v1/ubi.grpc.pb.h"
#include "node/chain/chain_app.h"
#include "node/chain/commit_events.h"
#include "node/mempool/mempool.h"
#include "node/rpc/errors.h"
#include "node/rpc/personhood.h"
#include "node/rpc/server.h"
#include "node/store/store.h"
#include "tests/support/chain_node.h"
#include "tests/support/genesis.h"
#include "tests/support/keys.h"
#include "tests/support/temp_dir.h"
#include "zk/point.h"
#include "zk/proof/sigma.h"
#include "zk/proof/triptych.h"
#include "zk/scalar.h"

namespace hito::node::rpc {
namespace {

namespace ledger = consensus::ledger;
namespace registry = consensus::ledger::registry;
namespace types = consensus::types;
namespace pb = hito::v1;
using testing::KeyFor;
using testing::TempDir;

constexpr char kChain[] = "personhood-rpc-test";
constexpr uint64_t kFunded = 1'000'000'000;

std::string S(ByteView b) { return std::string(AsChars(b)); }

Ed25519PrivateKey Attester(int i) { return KeyFor(static_cast<uint8_t>(10 + i)); }

struct Citizen {
  zk::Scalar secret;
  types::IdentityPoint point{};
  Hash32 tag{};
};
Citizen MakeCitizen(uint64_t n) {
  Citizen c{zk::Scalar::FromU64(5000 + n), {}, {}};
  c.point = zk::Point::MulBase(c.secret).bytes();
  c.tag = types::DedupTag(types::DedupKey{3}, "person-" + std::to_string(n));
  return c;
}

Bytes Register(const Citizen& c, const Ed25519PrivateKey& attester, uint64_t expiry) {
  types::Attestation a;
  a.chain_id = kChain;
  a.identity = c.point;
  a.dedup_tag = c.tag;
  a.expiry_epoch = expiry;
  types::SignAttestation(&a, attester);
  types::PossessionProof pop =
      zk::proof::SchnorrProve(c.secret, types::PossessionMessage(a))->Encode();
  return types::EncodeTransaction(types::Transaction{types::Registration{a, pop}});
}

Bytes Revoke(const Citizen& c, const Ed25519PrivateKey& attester) {
  types::Revocation r;
  r.chain_id = kChain;
  r.identity = c.point;
  types::SignRevocation(&r, attester);
  return types::EncodeTransaction(types::Transaction{r});
}

ledger::Genesis PersonhoodGenesis(int attesters) {
  ledger::Genesis g = testing::MakeGenesis(kChain, {{1, kFunded}});
  g.params.epoch_blocks = 4;
  for (int i = 1; i <= attesters; ++i) g.attesters.push_back(Attester(i).public_key());
  g.registry.cohort_bits = 2;
  g.registry.max_attestation_epochs = 50;
  g.registry.attester_quota_per_epoch = 100;
  g.registry.claim_window = 3;
  g.registry.dedup_quota_per_epoch = 7;
  return g;
}

// A node without consensus: blocks built by the test, executed and committed by the real
// ChainApp, served by the real RpcServer.
class PersonhoodRpcTest : public ::testing::Test {
 protected:
  void Start(const ledger::Genesis& genesis) {
    store_ = store::Store::Open(dir_.path()).value();
    Hash32 genesis_hash{};
    genesis_hash.fill(4);
    Result<chain::ChainTip> tip = chain::RecoverChain(store_.get(), genesis, genesis_hash);
    ASSERT_TRUE(tip.ok()) << tip.status().ToString();
    pool_ =
        std::make_unique<mempool::Mempool>(kChain, mempool::MempoolLimits{}, store_->State(),
                                           [this](const Hash32& h) { return store_->GetTx(h); });
    app_ = std::make_unique<chain::ChainApp>(kChain, *tip, store_.get(), pool_.get(), &events_);
    RpcBackend b;
    b.chain_id = kChain;
    b.genesis_hash = genesis_hash;
    b.validator = KeyFor(100).public_key();
    b.store = store_.get();
    b.mempool = pool_.get();
    b.events = &events_;
    b.app = app_.get();
    auto server = RpcServer::Start("127.0.0.1:0", std::move(b), RpcOptions{});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);
    channel_ = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(server_->port()),
                                         grpc::InsecureChannelCredentials(), args);
    personhood_ = pb::PersonhoodService::NewStub(channel_);
    ubi_ = pb::UbiService::NewStub(channel_);
    blocks_ = pb::BlockService::NewStub(channel_);
    txs_ = pb::TxService::NewStub(channel_);
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
    events_.Shutdown();
  }

  // Executes and commits the next block with these transactions (results as the ledger
  // decides); returns its height.
  uint64_t Commit(std::vector<Bytes> txs = {}) {
    const types::Block b = testing::NextBlock(*app_, kChain, KeyFor(100).public_key(),
                                              app_->Tip().time_ms + 1000, std::move(txs));
    EXPECT_TRUE(app_->ProcessProposal(b).ok());
    testing::FinalizeAndCommit(app_.get(), kChain, KeyFor(100), b);
    return b.header.height;
  }

  void CommitUntil(uint64_t height) {
    while (app_->Tip().height < height) Commit();
  }

  // A claim of `c` (member `position` of `cohort`'s snapshot in `epoch`) to `recipient`.
  Bytes Claim(const Citizen& c, uint64_t epoch, uint32_t cohort, uint64_t position,
              const types::AccountId& recipient) {
    auto state = store_->State();
    ledger::RegistryStore rs(state.get());
    std::optional<Hash32> hash = registry::SnapshotHash(rs, epoch, cohort).value();
    EXPECT_TRUE(hash.has_value());
    auto set = ledger::LoadPreparedSet(rs, cohort, *hash).value();
    auto proof =
        zk::proof::membership::Prove(*set, position, c.secret, kChain, types::ClaimContext(epoch),
                                     types::ClaimMessage(kChain, epoch, cohort, recipient));
    EXPECT_TRUE(proof.ok()) << proof.status().ToString();
    return types::EncodeTransaction(
        types::Transaction{types::Claim{epoch, cohort, recipient, proof->Encode()}});
  }

  static void ExpectReason(const grpc::Status& s, grpc::StatusCode code,
                           const std::string& reason) {
    EXPECT_EQ(s.error_code(), code) << s.error_message();
    EXPECT_FALSE(s.error_message().empty());
    auto info = ErrorInfoOf(s);
    ASSERT_TRUE(info.has_value()) << "no ErrorInfo in details: " << s.error_message();
    EXPECT_EQ(info->reason(), reason) << s.error_message();
  }

  // Calls the unary method `m` of `stub` with `req`; the status, and the answer in *resp.
  template <typename Stub, typename Req, typename Resp>
  static grpc::Status Call(Stub* stub,
                           grpc::Status (Stub::*m)(grpc::ClientContext*, const Req&, Resp*),
                           const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    return (stub->*m)(&ctx, req, resp);
  }

  pb::GetBlockResponse Block(uint64_t height) {
    pb::GetBlockRequest req;
    req.set_height(height);
    pb::GetBlockResponse resp;
    grpc::Status s = Call(blocks_.get(), &pb::BlockService::Stub::GetBlock, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  TempDir dir_;
  std::unique_ptr<store::Store> store_;
  chain::CommitEvents events_{16};
  std::unique_ptr<mempool::Mempool> pool_;
  std::unique_ptr<chain::ChainApp> app_;
  std::unique_ptr<RpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::PersonhoodService::Stub> personhood_;
  std::unique_ptr<pb::UbiService::Stub> ubi_;
  std::unique_ptr<pb::BlockService::Stub> blocks_;
  std::unique_ptr<pb::TxService::Stub> txs_;
};

// The chain most tests read, at height 8 (epoch 2):
//   block 1 (epoch 0): citizens 0..5 registered by attester 1 (indices 0..5; cohort 0 =
//                      0..3, cohort 1 = 4..5), with a refused registration (attester 9 is
//                      not accredited) at position 3;
//   block 4 (epoch 1): citizen 0 renewed (expiry 30), citizen 1 revoked;
//   block 5 (epoch 1): citizen 2 claims epoch 1 (cohort 0, position 2) for kRecipient.
class PersonhoodChainTest : public PersonhoodRpcTest {
 protected:
  void SetUp() override {
    Start(PersonhoodGenesis(5));
    for (uint64_t n = 0; n < 6; ++n) citizens_.push_back(MakeCitizen(n));
    std::vector<Bytes> first;
    for (uint64_t n = 0; n < 6; ++n) {
      if (n == 3) first.push_back(Register(MakeCitizen(99), KeyFor(9), 20));
      first.push_back(Register(citizens_[n], Attester(1), 20));
    }
    Commit(first);
    CommitUntil(3);
    renewal_ = Register(citizens_[0], Attester(1), 30);
    Commit({renewal_, Revoke(citizens_[1], Attester(1))});
    claim_ = Claim(citizens_[2], 1, 0, 2, recipient_);
    Commit({claim_});
    CommitUntil(8);
  }

  // The nullifier of claim_ (the proof's tag).
  Hash32 Nullifier() const {
    types::Transaction tx = types::DecodeTransaction(claim_).value();
    return types::ClaimNullifier(std::get<types::Claim>(tx.body));
  }

  std::vector<Citizen> citizens_;
  Bytes renewal_;
  Bytes claim_;
  const types::AccountId recipient_ = testing::AccountOf(KeyFor(77));
};

TEST_F(PersonhoodChainTest, BlockEventsOfRegistrationsRenewalRevocationAndClaim) {
  pb::GetBlockResponse b1 = Block(1);
  ASSERT_EQ(b1.events_size(), 6);  // the refused registration has none
  for (int i = 0; i < 6; ++i) {
    const pb::BlockEvent& e = b1.events(i);
    const uint32_t tx_index = static_cast<uint32_t>(i < 3 ? i : i + 1);
    EXPECT_EQ(e.tx_index(), tx_index);
    EXPECT_EQ(e.tx_hash(), b1.block().tx_hashes(static_cast<int>(tx_index)));
    ASSERT_TRUE(e.has_registration());
    EXPECT_EQ(e.registration().identity(), S(citizens_[static_cast<size_t>(i)].point));
    EXPECT_EQ(e.registration().index(), static_cast<uint64_t>(i));
    EXPECT_EQ(e.registration().cohort(), i < 4 ? 0u : 1u);
    EXPECT_FALSE(e.registration().renewal());
    EXPECT_EQ(e.registration().expiry_epoch(), 20u);
    EXPECT_EQ(e.registration().first_claim_epoch(), 1u);
  }
  pb::GetBlockResponse b4 = Block(4);
  ASSERT_EQ(b4.events_size(), 2);
  ASSERT_TRUE(b4.events(0).has_registration());
  EXPECT_TRUE(b4.events(0).registration().renewal());
  EXPECT_EQ(b4.events(0).registration().index(), 0u);
  EXPECT_EQ(b4.events(0).registration().expiry_epoch(), 30u);
  EXPECT_EQ(b4.events(0).registration().first_claim_epoch(), 1u);
  ASSERT_TRUE(b4.events(1).has_revocation());
  EXPECT_EQ(b4.events(1).revocation().identity(), S(citizens_[1].point));
  EXPECT_EQ(b4.events(1).revocation().index(), 1u);
  pb::GetBlockResponse b5 = Block(5);
  ASSERT_EQ(b5.events_size(), 1);
  ASSERT_TRUE(b5.events(0).has_claim());
  const pb::ClaimEvent& c = b5.events(0).claim();
  EXPECT_EQ(c.epoch(), 1u);
  EXPECT_EQ(c.cohort(), 0u);
  EXPECT_EQ(c.nullifier(), S(Nullifier()));
  EXPECT_EQ(c.recipient(), EncodeAddress(recipient_));
  EXPECT_EQ(c.amount(), ledger::UbiParams{}.ubi_per_epoch);
  EXPECT_EQ(Block(2).events_size(), 0);

  // StreamBlocks carries the same events.
  grpc::ClientContext ctx;
  pb::StreamBlocksRequest req;
  req.set_from_height(4);
  auto reader = blocks_->StreamBlocks(&ctx, req);
  pb::StreamBlocksResponse got;
  ASSERT_TRUE(reader->Read(&got));
  EXPECT_EQ(got.height(), 4u);
  ASSERT_EQ(got.events_size(), 2);
  EXPECT_EQ(got.events(1).SerializeAsString(), b4.events(1).SerializeAsString());
  ctx.TryCancel();
  while (reader->Read(&got)) {
  }
  reader->Finish();
}

TEST_F(PersonhoodChainTest, GetTransactionShowsPersonhoodFields) {
  auto get = [&](const Bytes& tx) {
    pb::GetTransactionRequest req;
    req.set_tx_hash(S(types::TransactionHash(tx)));
    pb::GetTransactionResponse resp;
    grpc::Status s = Call(txs_.get(), &pb::TxService::Stub::GetTransaction, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.status(), pb::TX_STATUS_COMMITTED);
    return resp.tx();
  };
  pb::TransactionView reg = get(renewal_);
  EXPECT_EQ(reg.kind(), pb::TX_KIND_REGISTER);
  EXPECT_EQ(reg.chain_id(), kChain);
  EXPECT_EQ(reg.identity(), S(citizens_[0].point));
  EXPECT_EQ(reg.attester(), S(Attester(1).public_key()));
  EXPECT_EQ(reg.expiry_epoch(), 30u);
  EXPECT_EQ(reg.dedup_tag(), S(citizens_[0].tag));
  EXPECT_EQ(reg.signature().size(), 64u);

  pb::TransactionView rev = get(Revoke(citizens_[1], Attester(1)));
  EXPECT_EQ(rev.kind(), pb::TX_KIND_REVOKE);
  EXPECT_EQ(rev.identity(), S(citizens_[1].point));
  EXPECT_EQ(rev.attester(), S(Attester(1).public_key()));

  pb::TransactionView claim = get(claim_);
  EXPECT_EQ(claim.kind(), pb::TX_KIND_CLAIM);
  EXPECT_EQ(claim.epoch(), 1u);
  EXPECT_EQ(claim.cohort(), 0u);
  EXPECT_EQ(claim.recipient(), EncodeAddress(recipient_));
  EXPECT_EQ(claim.nullifier(), S(Nullifier()));
  EXPECT_TRUE(claim.sender().empty());
}

TEST_F(PersonhoodChainTest, GetRegistryAndHeights) {
  pb::GetRegistryRequest req;
  pb::GetRegistryResponse resp;
  ASSERT_TRUE(Call(personhood_.get(), &pb::PersonhoodService::Stub::GetRegistry, req, &resp).ok());
  EXPECT_EQ(resp.height(), 8u);
  EXPECT_EQ(resp.epoch(), 2u);
  EXPECT_EQ(resp.identities(), 6u);
  EXPECT_EQ(resp.cohort_bits(), 2u);
  EXPECT_EQ(resp.cohorts(), 2u);
  EXPECT_EQ(resp.max_attestation_epochs(), 50u);
  EXPECT_EQ(resp.attester_quota_per_epoch(), 100u);
  EXPECT_EQ(resp.claim_window(), 3u);
  EXPECT_EQ(resp.dedup_quota_per_epoch(), 7u);

  req.set_height(8);  // the latest height, named
  EXPECT_TRUE(Call(personhood_.get(), &pb::PersonhoodService::Stub::GetRegistry, req, &resp).ok());
  req.set_height(7);
  ExpectReason(Call(personhood_.get(), &pb::PersonhoodService::Stub::GetRegistry, req, &resp),
               grpc::StatusCode::FAILED_PRECONDITION, "HEIGHT_NOT_AVAILABLE");
  req.set_height(9);
  ExpectReason(Call(personhood_.get(), &pb::PersonhoodService::Stub::GetRegistry, req, &resp),
               grpc::StatusCode::FAILED_PRECONDITION, "HEIGHT_NOT_YET_COMMITTED");
  pb::GetSupplyRequest sreq;
  sreq.set_height(3);
  pb::GetSupplyResponse sresp;
  ExpectReason(Call(ubi_.get(), &pb::UbiService::Stub::GetSupply, sreq, &sresp),
               grpc::StatusCode::FAILED_PRECONDITION, "HEIGHT_NOT_AVAILABLE");
}

TEST_F(PersonhoodChainTest, GetIdentity) {
  auto get = [&](const std::string& point, pb::GetIdentityResponse* resp) {
    pb::GetIdentityRequest req;
    req.set_identity(point);
    return Call(personhood_.get(), &pb::PersonhoodService::Stub::GetIdentity, req, resp);
  };
  pb::GetIdentityResponse live;
  ASSERT_TRUE(get(S(citizens_[2].point), &live).ok());
  EXPECT_EQ(live.height(), 8u);
  EXPECT_EQ(live.identity(), S(citizens_[2].point));
  EXPECT_EQ(live.index(), 2u);
  EXPECT_EQ(live.cohort(), 0u);
  EXPECT_EQ(live.status(), pb::IDENTITY_STATUS_LIVE);
  EXPECT_EQ(live.registered_epoch(), 0u);
  EXPECT_EQ(live.expiry_epoch(), 20u);
  EXPECT_EQ(live.first_claim_epoch(), 1u);
  EXPECT_EQ(live.attester(), S(Attester(1).public_key()));
  EXPECT_EQ(live.epoch(), 2u);
  EXPECT_EQ(live.cohort_live_members(), 3u);  // epoch 2's snapshot: citizen 1 is a filler

  pb::GetIdentityResponse renewed;
  ASSERT_TRUE(get(S(citizens_[0].point), &renewed).ok());
  EXPECT_EQ(renewed.expiry_epoch(), 30u);
  pb::GetIdentityResponse revoked;
  ASSERT_TRUE(get(S(citizens_[1].point), &revoked).ok());
  EXPECT_EQ(revoked.status(), pb::IDENTITY_STATUS_REVOKED);
  pb::GetIdentityResponse other_cohort;
  ASSERT_TRUE(get(S(citizens_[5].point), &other_cohort).ok());
  EXPECT_EQ(other_cohort.cohort(), 1u);
  EXPECT_EQ(other_cohort.cohort_live_members(), 2u);

  pb::GetIdentityResponse none;
  ExpectReason(get(S(MakeCitizen(42).point), &none), grpc::StatusCode::NOT_FOUND,
               "IDENTITY_NOT_FOUND");
  ExpectReason(get(S(citizens_[2].point).substr(0, 31), &none), grpc::StatusCode::INVALID_ARGUMENT,
               "INVALID_ARGUMENT");
  ExpectReason(get("", &none), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT");
  // Above the 1 MiB request cap.
  ExpectReason(get(std::string(1100 * 1024, 'x'), &none), grpc::StatusCode::RESOURCE_EXHAUSTED,
               "REQUEST_TOO_LARGE");
}

TEST_F(PersonhoodChainTest, GetIdentityRegisteredThisEpochIsInNoSnapshotYet) {
  const Citizen late = MakeCitizen(6);
  Commit({Register(late, Attester(2), 20)});  // height 9, epoch 2
  pb::GetIdentityRequest req;
  req.set_identity(S(late.point));
  pb::GetIdentityResponse resp;
  ASSERT_TRUE(Call(personhood_.get(), &pb::PersonhoodService::Stub::GetIdentity, req, &resp).ok());
  EXPECT_EQ(resp.index(), 6u);
  EXPECT_EQ(resp.cohort(), 1u);
  EXPECT_EQ(resp.registered_epoch(), 2u);
  EXPECT_EQ(resp.first_claim_epoch(), 3u);
  EXPECT_EQ(resp.cohort_live_members(), 0u);
  EXPECT_EQ(Block(9).events(0).registration().first_claim_epoch(), 3u);
}

TEST_F(PersonhoodChainTest, ListSnapshotMembersPagesAndFillers) {
  auto list = [&](uint64_t epoch, uint32_t cohort, uint32_t page, const std::string& token,
                  pb::ListSnapshotMembersResponse* resp) {
    pb::ListSnapshotMembersRequest req;
    req.set_epoch(epoch);
    req.set_cohort(cohort);
    req.set_page_size(page);
    req.set_page_token(token);
    return Call(personhood_.get(), &pb::PersonhoodService::Stub::ListSnapshotMembers, req, resp);
  };
  // Epoch 2, cohort 0: citizens 0, filler(1), 2, 3, in pages of 3.
  pb::ListSnapshotMembersResponse p1, p2;
  ASSERT_TRUE(list(2, 0, 3, "", &p1).ok());
  EXPECT_EQ(p1.height(), 8u);
  EXPECT_EQ(p1.total_members(), 4u);
  EXPECT_EQ(p1.live_members(), 3u);
  EXPECT_EQ(p1.first_index(), 0u);
  ASSERT_EQ(p1.members_size(), 3);
  ASSERT_FALSE(p1.next_page_token().empty());
  ASSERT_TRUE(list(2, 0, 3, p1.next_page_token(), &p2).ok());
  EXPECT_EQ(p2.first_index(), 3u);
  ASSERT_EQ(p2.members_size(), 1);
  EXPECT_TRUE(p2.next_page_token().empty());
  EXPECT_EQ(p2.set_hash(), p1.set_hash());
  EXPECT_EQ(p1.members(0), S(citizens_[0].point));
  EXPECT_EQ(p1.members(1), S(zk::proof::membership::Filler(1).bytes()));
  EXPECT_EQ(p1.members(2), S(citizens_[2].point));
  EXPECT_EQ(p2.members(0), S(citizens_[3].point));
  std::vector<types::IdentityPoint> all;
  for (const auto* page : {&p1, &p2}) {
    for (const std::string& m : page->members()) {
      types::IdentityPoint p{};
      std::copy(m.begin(), m.end(), p.begin());
      all.push_back(p);
    }
  }
  EXPECT_EQ(p1.set_hash(), S(registry::MembershipSetHash(all)));

  // Epoch 1's snapshot (frozen before the revocation): all four live; default page size.
  pb::ListSnapshotMembersResponse e1;
  ASSERT_TRUE(list(1, 0, 0, "", &e1).ok());
  EXPECT_EQ(e1.live_members(), 4u);
  EXPECT_EQ(e1.members_size(), 4);
  EXPECT_TRUE(e1.next_page_token().empty());
  pb::ListSnapshotMembersResponse c1;
  ASSERT_TRUE(list(2, 1, 0, "", &c1).ok());
  EXPECT_EQ(c1.total_members(), 2u);

  pb::ListSnapshotMembersResponse bad;
  ExpectReason(list(2, 0, kSnapshotPageMax + 1, "", &bad), grpc::StatusCode::INVALID_ARGUMENT,
               "INVALID_ARGUMENT");
  ExpectReason(list(2, 0, 3, "not-a-token", &bad), grpc::StatusCode::INVALID_ARGUMENT,
               "INVALID_ARGUMENT");
  // A token of another snapshot (epoch 1, and cohort 1), and one edited by hand.
  ExpectReason(list(1, 0, 3, p1.next_page_token(), &bad), grpc::StatusCode::INVALID_ARGUMENT,
               "INVALID_ARGUMENT");
  ExpectReason(list(2, 1, 3, p1.next_page_token(), &bad), grpc::StatusCode::INVALID_ARGUMENT,
               "INVALID_ARGUMENT");
  std::string forged = p1.next_page_token();
  forged.back() = forged.back() == '9' ? '8' : '9';  // the position: now past the set
  ExpectReason(list(2, 0, 3, forged, &bad), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT");
  ExpectReason(list(2, 0, 3, forged + "00", &bad), grpc::StatusCode::INVALID_ARGUMENT,
               "INVALID_ARGUMENT");
  // No snapshot: a future epoch, a cohort without members, an epoch before any registration.
  ExpectReason(list(3, 0, 0, "", &bad), grpc::StatusCode::NOT_FOUND, "SNAPSHOT_NOT_FOUND");
  ExpectReason(list(2, 7, 0, "", &bad), grpc::StatusCode::NOT_FOUND, "SNAPSHOT_NOT_FOUND");
  ExpectReason(list(0, 0, 0, "", &bad), grpc::StatusCode::NOT_FOUND, "SNAPSHOT_NOT_FOUND");
}

TEST_F(PersonhoodChainTest, ListAttestersPages) {
  auto list = [&](uint32_t page, const std::string& token, pb::ListAttestersResponse* resp) {
    pb::ListAttestersRequest req;
    req.set_page_size(page);
    req.set_page_token(token);
    return Call(personhood_.get(), &pb::PersonhoodService::Stub::ListAttesters, req, resp);
  };
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    pb::ListAttestersResponse resp;
    ASSERT_TRUE(list(2, token, &resp).ok());
    EXPECT_EQ(resp.height(), 8u);
    EXPECT_LE(resp.attesters_size(), 2);
    for (const pb::Attester& a : resp.attesters()) {
      seen.push_back(a.public_key());
      if (a.public_key() == S(Attester(1).public_key())) {
        EXPECT_EQ(a.quota_epoch(), 1u);  // the renewal in epoch 1
        EXPECT_EQ(a.registrations_in_quota_epoch(), 1u);
      } else {
        EXPECT_EQ(a.registrations_in_quota_epoch(), 0u);
      }
    }
    token = resp.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  std::vector<std::string> want;
  for (int i = 1; i <= 5; ++i) want.push_back(S(Attester(i).public_key()));
  std::sort(want.begin(), want.end());
  EXPECT_EQ(seen, want);

  pb::ListAttestersResponse all;
  ASSERT_TRUE(list(0, "", &all).ok());
  EXPECT_EQ(all.attesters_size(), 5);
  EXPECT_TRUE(all.next_page_token().empty());
  pb::ListAttestersResponse bad;
  ExpectReason(list(kAttesterPageMax + 1, "", &bad), grpc::StatusCode::INVALID_ARGUMENT,
               "INVALID_ARGUMENT");
  ExpectReason(list(2, "a1zz", &bad), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT");
  ExpectReason(list(2, "b1" + std::string(64, '0'), &bad), grpc::StatusCode::INVALID_ARGUMENT,
               "INVALID_ARGUMENT");
}

TEST_F(PersonhoodChainTest, UbiParamsEpochSupplyClaimsAndNullifiers) {
  pb::GetUbiParamsResponse params;
  ASSERT_TRUE(
      Call(ubi_.get(), &pb::UbiService::Stub::GetUbiParams, pb::GetUbiParamsRequest(), &params)
          .ok());
  EXPECT_EQ(params.height(), 8u);
  EXPECT_EQ(params.epoch_blocks(), 4u);
  EXPECT_EQ(params.ubi_per_epoch(), ledger::UbiParams{}.ubi_per_epoch);
  EXPECT_EQ(params.claim_window(), 3u);
  EXPECT_EQ(params.demurrage_ppm_per_epoch(), 0u);
  EXPECT_EQ(params.cohort_bits(), 2u);
  EXPECT_EQ(params.max_attestation_epochs(), 50u);
  EXPECT_EQ(params.max_claims_per_block(), ledger::UbiParams{}.max_claims_per_block);

  pb::GetEpochResponse epoch;
  ASSERT_TRUE(
      Call(ubi_.get(), &pb::UbiService::Stub::GetEpoch, pb::GetEpochRequest(), &epoch).ok());
  EXPECT_EQ(epoch.epoch(), 2u);
  EXPECT_EQ(epoch.oldest_open_epoch(), 0u);
  EXPECT_EQ(epoch.next_epoch_height(), 12u);
  EXPECT_EQ(epoch.epoch_blocks(), 4u);

  pb::GetSupplyResponse supply;
  ASSERT_TRUE(
      Call(ubi_.get(), &pb::UbiService::Stub::GetSupply, pb::GetSupplyRequest(), &supply).ok());
  EXPECT_EQ(supply.supply(), kFunded + ledger::UbiParams{}.ubi_per_epoch);

  auto claims = [&](uint64_t e, pb::GetEpochClaimsResponse* resp) {
    pb::GetEpochClaimsRequest req;
    req.set_epoch(e);
    return Call(ubi_.get(), &pb::UbiService::Stub::GetEpochClaims, req, resp);
  };
  auto nullifier = [&](uint64_t e, const std::string& n, pb::GetNullifierResponse* resp) {
    pb::GetNullifierRequest req;
    req.set_epoch(e);
    req.set_nullifier(n);
    return Call(ubi_.get(), &pb::UbiService::Stub::GetNullifier, req, resp);
  };
  pb::GetEpochClaimsResponse c;
  ASSERT_TRUE(claims(1, &c).ok());
  EXPECT_EQ(c.epoch(), 1u);
  EXPECT_EQ(c.claims(), 1u);
  ASSERT_TRUE(claims(2, &c).ok());
  EXPECT_EQ(c.claims(), 0u);
  ExpectReason(claims(3, &c), grpc::StatusCode::FAILED_PRECONDITION, "EPOCH_NOT_OPEN");
  pb::GetNullifierResponse n;
  ASSERT_TRUE(nullifier(1, S(Nullifier()), &n).ok());
  EXPECT_TRUE(n.used());
  EXPECT_EQ(n.height(), 8u);
  ASSERT_TRUE(nullifier(2, S(Nullifier()), &n).ok());
  EXPECT_FALSE(n.used());  // nullifiers are per epoch
  ExpectReason(nullifier(3, S(Nullifier()), &n), grpc::StatusCode::FAILED_PRECONDITION,
               "EPOCH_NOT_OPEN");
  ExpectReason(nullifier(1, S(Nullifier()).substr(1), &n), grpc::StatusCode::INVALID_ARGUMENT,
               "INVALID_ARGUMENT");

  // Epoch 4: epochs 2..4 are open; epoch 1 left the window (its nullifiers are pruned).
  CommitUntil(16);
  ASSERT_TRUE(
      Call(ubi_.get(), &pb::UbiService::Stub::GetEpoch, pb::GetEpochRequest(), &epoch).ok());
  EXPECT_EQ(epoch.epoch(), 4u);
  EXPECT_EQ(epoch.oldest_open_epoch(), 2u);
  ExpectReason(nullifier(1, S(Nullifier()), &n), grpc::StatusCode::FAILED_PRECONDITION,
               "EPOCH_NOT_OPEN");
  ExpectReason(claims(1, &c), grpc::StatusCode::FAILED_PRECONDITION, "EPOCH_NOT_OPEN");
  pb::ListSnapshotMembersRequest req;
  req.set_epoch(1);
  pb::ListSnapshotMembersResponse members;
  ExpectReason(
      Call(personhood_.get(), &pb::PersonhoodService::Stub::ListSnapshotMembers, req, &members),
      grpc::StatusCode::NOT_FOUND, "SNAPSHOT_NOT_FOUND");
}

// A genesis without attesters: no registry, no UBI, every method refused the same way.
TEST_F(PersonhoodRpcTest, DisabledChainRefusesEveryMethod) {
  Start(PersonhoodGenesis(0));
  Commit();
  const auto disabled = [](const grpc::Status& s) {
    ExpectReason(s, grpc::StatusCode::FAILED_PRECONDITION, "PERSONHOOD_DISABLED");
  };
  pb::GetRegistryResponse r1;
  disabled(Call(personhood_.get(), &pb::PersonhoodService::Stub::GetRegistry,
                pb::GetRegistryRequest(), &r1));
  pb::GetIdentityRequest identity;
  identity.set_identity(std::string(32, 'x'));
  pb::GetIdentityResponse r2;
  disabled(Call(personhood_.get(), &pb::PersonhoodService::Stub::GetIdentity, identity, &r2));
  pb::ListSnapshotMembersResponse r3;
  disabled(Call(personhood_.get(), &pb::PersonhoodService::Stub::ListSnapshotMembers,
                pb::ListSnapshotMembersRequest(), &r3));
  pb::ListAttestersResponse r4;
  disabled(Call(personhood_.get(), &pb::PersonhoodService::Stub::ListAttesters,
                pb::ListAttestersRequest(), &r4));
  pb::GetUbiParamsResponse r5;
  disabled(Call(ubi_.get(), &pb::UbiService::Stub::GetUbiParams, pb::GetUbiParamsRequest(), &r5));
  pb::GetEpochResponse r6;
  disabled(Call(ubi_.get(), &pb::UbiService::Stub::GetEpoch, pb::GetEpochRequest(), &r6));
  pb::GetNullifierResponse r7;
  disabled(Call(ubi_.get(), &pb::UbiService::Stub::GetNullifier, pb::GetNullifierRequest(), &r7));
  pb::GetSupplyResponse r8;
  disabled(Call(ubi_.get(), &pb::UbiService::Stub::GetSupply, pb::GetSupplyRequest(), &r8));
  pb::GetEpochClaimsResponse r9;
  disabled(
      Call(ubi_.get(), &pb::UbiService::Stub::GetEpochClaims, pb::GetEpochClaimsRequest(), &r9));
  // A registration in a block is recorded as refused and has no event.
  const uint64_t h = Commit({Register(MakeCitizen(1), Attester(1), 20)});
  EXPECT_EQ(Block(h).events_size(), 0);
}

}  // namespace
}  // namespace hito::node::rpc
