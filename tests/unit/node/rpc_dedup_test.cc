// DedupService over real loopback gRPC: three RpcServers on one real Store (LevelDB in a
// temp dir, blocks committed by the real ChainApp), each holding one share of a dedup key
// dealt 2-of-3, with two accredited attesters. Covers GetKeys; an evaluation whose share
// verifies against the validator's public share; the refusals (unaccredited attester,
// forged and cross-chain signatures, malformed, non-canonical and identity blinded
// elements, wrong sizes, an epoch too far off, the quota used up, a node without a share,
// a chain without keys) with their reason codes; the counts of GetStatus; the quota taken
// from the committed registry parameter, following a change of it by ballot; DedupQuota on
// its own; and the wallet's client (wallet/dedup_client.h) end to end: two spellings of
// one handle give one tag, whichever t validators answer, and one validator short of t is
// a clear error.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "consensus/ledger/governance.h"
#include "consensus/ledger/ledger.h"
#include "consensus/types/dedup_request.h"
#include "consensus/types/governance.h"
#include "consensus/types/handle.h"
#include "hito/v1/dedup.grpc.pb.h"
#include "node/chain/chain_app.h"
#include "node/chain/commit_events.h"
#include "node/config/dedup_keys.h"
#include "node/mempool/mempool.h"
#include "node/rpc/dedup.h"
#include "node/rpc/errors.h"
#include "node/rpc/server.h"
#include "node/store/store.h"
#include "tests/support/chain_node.h"
#include "tests/support/genesis.h"
#include "tests/support/keys.h"
#include "tests/support/personhood.h"
#include "tests/support/temp_dir.h"
#include "tests/support/transactions.h"
#include "wallet/dedup_client.h"
#include "zk/oprf.h"

namespace hito::node::rpc {
namespace {

namespace ledger = consensus::ledger;
namespace types = consensus::types;
namespace oprf = zk::oprf;
namespace pb = hito::v1;
using testing::KeyFor;
using testing::TempDir;

constexpr char kChain[] = "dedup-rpc-test";
constexpr uint32_t kQuota = 4;
constexpr size_t kServers = 3;

std::string S(ByteView b) { return std::string(AsChars(b)); }

Ed25519PrivateKey Attester(int i) { return KeyFor(static_cast<uint8_t>(10 + i)); }
Ed25519PrivateKey ValidatorKey(size_t i) { return KeyFor(static_cast<uint8_t>(100 + i)); }

ledger::Genesis DedupGenesis(bool with_attesters) {
  ledger::Genesis g = testing::MakeGenesis(kChain, {{1, 1'000'000}});
  g.params.epoch_blocks = 4;
  if (with_attesters) {
    g.attesters = {Attester(1).public_key(), Attester(2).public_key()};
    g.registry.cohort_bits = 2;
    g.registry.dedup_quota_per_epoch = kQuota;
  }
  return g;
}

// 20 citizens, epochs of 3 blocks, governance in rounds of 1 epoch, and Attester(1)
// accredited beside the citizens' attester.
constexpr uint64_t kDeposit = 70'000;
ledger::Genesis GovernanceGenesis() {
  testing::PersonhoodSpec spec;
  spec.epoch_blocks = 3;
  ledger::Genesis g = testing::MakePersonhoodGenesis(kChain, {{1, 1'000'000'000}}, spec);
  g.attesters.push_back(Attester(1).public_key());
  g.registry.dedup_quota_per_epoch = kQuota;
  ledger::GovernanceParams gp;
  gp.round_epochs = 1;
  gp.voice_credits = 25;
  gp.quorum_ppm = 100'000;  // 2 ballots of 20 citizens
  gp.proposal_deposit = kDeposit;
  gp.max_proposals_per_round = 8;
  g.governance = gp;
  return g;
}

class DedupRpcTest : public ::testing::Test {
 protected:
  // Three servers with keys dealt 2-of-3 (with_keys) over a chain of `genesis` (default:
  // DedupGenesis(with_attesters)). The keyring's key set keeps the default quota: the
  // servers must take theirs from the committed state.
  void Start(bool with_attesters, bool with_keys = true,
             std::optional<ledger::Genesis> genesis = std::nullopt) {
    store_ = store::Store::Open(dir_.path()).value();
    Hash32 genesis_hash{};
    genesis_hash.fill(5);
    auto tip = chain::RecoverChain(store_.get(), genesis.value_or(DedupGenesis(with_attesters)),
                                   genesis_hash);
    ASSERT_TRUE(tip.ok()) << tip.status().ToString();
    pool_ =
        std::make_unique<mempool::Mempool>(kChain, mempool::MempoolLimits{}, store_->State(),
                                           [this](const Hash32& h) { return store_->GetTx(h); });
    app_ = std::make_unique<chain::ChainApp>(kChain, *tip, store_.get(), pool_.get(), &events_);
    std::vector<Ed25519PublicKey> holders;
    for (size_t i = 0; i < kServers; ++i) holders.push_back(ValidatorKey(i).public_key());
    auto dealt = config::DealDedupKeys(holders, 2);
    ASSERT_TRUE(dealt.ok()) << dealt.status().ToString();
    EXPECT_NE(dealt->keys.quota_per_epoch, kQuota);
    keys_ = dealt->keys;
    for (size_t i = 0; i < kServers; ++i) {
      StartServer(with_keys ? std::optional(dealt->keys) : std::nullopt,
                  with_keys ? std::optional(dealt->shares[i]) : std::nullopt);
    }
    dealt->Wipe();
  }

  void StartServer(std::optional<ledger::DedupKeySet> keys, std::optional<oprf::KeyShare> share) {
    RpcBackend b;
    b.chain_id = kChain;
    b.validator = KeyFor(100).public_key();
    b.store = store_.get();
    b.mempool = pool_.get();
    b.events = &events_;
    b.app = app_.get();
    if (keys) {
      keyrings_.push_back(std::make_unique<dedup::DedupKeyring>());
      keyrings_.back()->Set(std::make_shared<const dedup::DedupKeys>(std::move(*keys), share));
      b.dedup_keyring = keyrings_.back().get();
    }
    if (share) share->Wipe();
    auto server = RpcServer::Start("127.0.0.1:0", std::move(b), RpcOptions{});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    addrs_.push_back("127.0.0.1:" + std::to_string((*server)->port()));
    stubs_.push_back(pb::DedupService::NewStub(
        grpc::CreateChannel(addrs_.back(), grpc::InsecureChannelCredentials())));
    servers_.push_back(std::move(server).value());
  }

  void TearDown() override {
    for (auto& s : servers_) s->Shutdown();
    events_.Shutdown();
  }

  // Commits the next block, holding `txs`.
  void Commit(std::vector<Bytes> txs = {}) {
    const types::Block b = testing::NextBlock(*app_, kChain, KeyFor(100).public_key(),
                                              app_->Tip().time_ms + 1000, std::move(txs));
    ASSERT_TRUE(app_->ProcessProposal(b).ok());
    testing::FinalizeAndCommit(app_.get(), kChain, KeyFor(100), b);
  }
  void CommitUntil(uint64_t height) {
    while (app_->Tip().height < height) Commit();
  }
  pb::GetDedupStatusResponse DedupStatus(size_t server) {
    grpc::ClientContext ctx;
    pb::GetDedupStatusResponse st;
    grpc::Status s = stubs_[server]->GetStatus(&ctx, pb::GetDedupStatusRequest(), &st);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return st;
  }

  static zk::Point BlindedOf(const std::string& handle) {
    auto h = types::Handle::Parse(handle).value();
    auto b = oprf::Blind(h.Encode()).value();
    return b.element;
  }

  static pb::DedupEvaluateRequest Request(const Ed25519PrivateKey& attester, const zk::Point& b,
                                          uint64_t epoch = 0, const std::string& chain = kChain) {
    return wallet::SignedDedupRequest(chain, epoch, 1, attester, b);
  }

  grpc::Status Evaluate(size_t server, const pb::DedupEvaluateRequest& req,
                        pb::DedupEvaluateResponse* resp = nullptr) {
    grpc::ClientContext ctx;
    pb::DedupEvaluateResponse ignored;
    return stubs_[server]->Evaluate(&ctx, req, resp ? resp : &ignored);
  }

  static void ExpectReason(const grpc::Status& s, grpc::StatusCode code,
                           const std::string& reason) {
    EXPECT_EQ(s.error_code(), code) << s.error_message();
    auto info = ErrorInfoOf(s);
    ASSERT_TRUE(info.has_value()) << s.error_message();
    EXPECT_EQ(info->reason(), reason) << s.error_message();
  }

  pb::GetDedupKeysResponse Keys(size_t server) {
    grpc::ClientContext ctx;
    pb::GetDedupKeysResponse resp;
    grpc::Status s = stubs_[server]->GetKeys(&ctx, pb::GetDedupKeysRequest(), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<mempool::Mempool> pool_;
  chain::CommitEvents events_{16};
  std::unique_ptr<chain::ChainApp> app_;
  ledger::DedupKeySet keys_;
  std::vector<std::string> addrs_;
  // Declared before the servers, which read them: destroyed after them.
  std::vector<std::unique_ptr<dedup::DedupKeyring>> keyrings_;
  std::vector<std::unique_ptr<RpcServer>> servers_;
  std::vector<std::unique_ptr<pb::DedupService::Stub>> stubs_;
};

TEST_F(DedupRpcTest, GetKeysServesTheKeySetAndThisNodesIndex) {
  Start(/*with_attesters=*/true);
  for (size_t i = 0; i < kServers; ++i) {
    pb::GetDedupKeysResponse k = Keys(i);
    EXPECT_EQ(k.group_key(), S(keys_.group_key));
    EXPECT_EQ(k.threshold(), 2u);
    EXPECT_EQ(k.quota_per_epoch(), kQuota);
    EXPECT_EQ(k.this_index(), static_cast<uint32_t>(i + 1));
    ASSERT_EQ(static_cast<size_t>(k.validators_size()), kServers);
    for (size_t j = 0; j < kServers; ++j) {
      EXPECT_EQ(k.validators(static_cast<int>(j)).index(), static_cast<uint32_t>(j + 1));
      EXPECT_EQ(k.validators(static_cast<int>(j)).public_share(), S(keys_.shares[j].public_share));
      EXPECT_EQ(k.validators(static_cast<int>(j)).validator(), S(ValidatorKey(j).public_key()));
    }
  }
}

TEST_F(DedupRpcTest, AnAccreditedAttesterGetsAShareWhoseProofVerifies) {
  Start(true);
  const zk::Point b = BlindedOf("passport:FRA:12AB34567");
  for (size_t i = 0; i < kServers; ++i) {
    pb::DedupEvaluateResponse resp;
    grpc::Status s = Evaluate(i, Request(Attester(1), b), &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.index(), static_cast<uint32_t>(i + 1));
    EXPECT_EQ(resp.used(), 1u);
    auto share = oprf::EvaluationShare::Decode(AsBytes(resp.share()));
    ASSERT_TRUE(share.ok()) << share.status().ToString();
    EXPECT_EQ(share->index, i + 1);
    const zk::Point k_i = zk::Point::Decode(keys_.shares[i].public_share).value();
    EXPECT_TRUE(oprf::VerifyShare(k_i, b, *share).ok());
    // Not valid for another validator's public share.
    const zk::Point other =
        zk::Point::Decode(keys_.shares[(i + 1) % kServers].public_share).value();
    EXPECT_FALSE(oprf::VerifyShare(other, b, *share).ok());
  }
}

TEST_F(DedupRpcTest, UnaccreditedAttesterIsRefused) {
  Start(true);
  ExpectReason(Evaluate(0, Request(Attester(3), BlindedOf("passport:FRA:1"))),
               grpc::StatusCode::FAILED_PRECONDITION, "DEDUP_NOT_ACCREDITED");
}

TEST_F(DedupRpcTest, ForgedSignaturesAreRefused) {
  Start(true);
  const zk::Point b = BlindedOf("passport:FRA:1");
  // Signed by an unaccredited key in the name of an accredited attester.
  pb::DedupEvaluateRequest forged = Request(Attester(3), b);
  forged.set_attester(S(Attester(1).public_key()));
  ExpectReason(Evaluate(0, forged), grpc::StatusCode::FAILED_PRECONDITION, "DEDUP_BAD_SIGNATURE");
  // A genuine request with its element swapped after signing.
  pb::DedupEvaluateRequest swapped = Request(Attester(1), b);
  swapped.set_blinded_element(S(BlindedOf("passport:FRA:2").bytes()));
  ExpectReason(Evaluate(0, swapped), grpc::StatusCode::FAILED_PRECONDITION, "DEDUP_BAD_SIGNATURE");
  // A genuine request for another chain (replayed here).
  ExpectReason(Evaluate(0, Request(Attester(1), b, 0, "other-chain")),
               grpc::StatusCode::FAILED_PRECONDITION, "DEDUP_BAD_SIGNATURE");
  // A nonce changed after signing.
  pb::DedupEvaluateRequest renonced = Request(Attester(1), b);
  renonced.set_nonce(2);
  ExpectReason(Evaluate(0, renonced), grpc::StatusCode::FAILED_PRECONDITION, "DEDUP_BAD_SIGNATURE");
}

TEST_F(DedupRpcTest, MalformedRequestsAreRefusedNamingTheField) {
  Start(true);
  const pb::DedupEvaluateRequest good = Request(Attester(1), BlindedOf("passport:FRA:1"));
  auto expect_invalid = [&](pb::DedupEvaluateRequest req, const std::string& field) {
    grpc::Status s = Evaluate(0, req);
    ExpectReason(s, grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT");
    EXPECT_NE(s.error_message().find(field), std::string::npos) << s.error_message();
  };
  pb::DedupEvaluateRequest r = good;
  r.set_blinded_element(good.blinded_element().substr(0, 31));
  expect_invalid(r, "blinded_element");
  r = good;
  r.set_blinded_element(std::string(32, '\xff'));  // not a canonical encoding
  expect_invalid(r, "blinded_element");
  r = good;
  r.set_blinded_element(std::string(32, '\0'));  // the identity
  expect_invalid(r, "blinded_element");
  r = good;
  r.set_attester("short");
  expect_invalid(r, "attester");
  r = good;
  r.set_signature(std::string(63, 'x'));
  expect_invalid(r, "signature");
}

TEST_F(DedupRpcTest, AnEpochTooFarOffIsRefused) {
  Start(true);
  CommitUntil(12);  // epoch 3
  const zk::Point b = BlindedOf("passport:FRA:1");
  ExpectReason(Evaluate(0, Request(Attester(1), b, 1)), grpc::StatusCode::FAILED_PRECONDITION,
               "DEDUP_WRONG_EPOCH");
  ExpectReason(Evaluate(0, Request(Attester(1), b, 5)), grpc::StatusCode::FAILED_PRECONDITION,
               "DEDUP_WRONG_EPOCH");
  EXPECT_TRUE(Evaluate(0, Request(Attester(1), b, 2)).ok());  // one behind
  EXPECT_TRUE(Evaluate(0, Request(Attester(1), b, 4)).ok());  // one ahead
}

TEST_F(DedupRpcTest, QuotaIsPerAttesterPerEpochAndCounted) {
  Start(true);
  const zk::Point b = BlindedOf("passport:FRA:1");
  for (uint32_t n = 1; n <= kQuota; ++n) {
    pb::DedupEvaluateResponse resp;
    ASSERT_TRUE(Evaluate(0, Request(Attester(1), b), &resp).ok());
    EXPECT_EQ(resp.used(), n);
  }
  ExpectReason(Evaluate(0, Request(Attester(1), b)), grpc::StatusCode::RESOURCE_EXHAUSTED,
               "DEDUP_QUOTA_EXHAUSTED");
  // Another attester, and the same attester at another validator, are not affected.
  EXPECT_TRUE(Evaluate(0, Request(Attester(2), b)).ok());
  EXPECT_TRUE(Evaluate(1, Request(Attester(1), b)).ok());

  grpc::ClientContext ctx;
  pb::GetDedupStatusRequest sreq;
  sreq.set_attester(S(Attester(1).public_key()));
  pb::GetDedupStatusResponse st;
  ASSERT_TRUE(stubs_[0]->GetStatus(&ctx, sreq, &st).ok());
  ASSERT_EQ(st.attesters_size(), 1);
  EXPECT_EQ(st.attesters(0).evaluations(), kQuota);
  EXPECT_EQ(st.attesters(0).refused_quota(), 1u);
  EXPECT_EQ(st.quota_per_epoch(), kQuota);
  EXPECT_EQ(st.index(), 1u);
  EXPECT_EQ(st.evaluations_total(), kQuota + 1);
  EXPECT_EQ(st.refused_total(), 1u);
  EXPECT_EQ(servers_[0]->dedup_evaluations(), kQuota + 1);

  // The next epoch starts from zero.
  CommitUntil(4);
  EXPECT_TRUE(Evaluate(0, Request(Attester(1), b, 1)).ok());
}

// The quota is the registry parameter in the latest committed state. A ballot lowers it
// from kQuota to 2: proposed in round 0 (block 1), voted in round 1 (block 4), passed at
// round 2's first block (6) and in force from epoch 3 (block 9). Up to block 8 the old
// quota holds; from block 9 GetKeys and GetStatus report 2 at every validator and the
// third evaluation of an attester in the epoch is DEDUP_QUOTA_EXHAUSTED.
TEST_F(DedupRpcTest, TheQuotaFollowsACommittedChangeOfItsParameter) {
  Start(/*with_attesters=*/true, /*with_keys=*/true, GovernanceGenesis());
  const types::Action lower =
      types::ParamChange{static_cast<uint16_t>(types::ParamId::kDedupQuotaPerEpoch), 2};
  Commit({testing::SignedProposal(
      KeyFor(1), {.chain_id = kChain, .nonce = 0, .deposit = kDeposit, .action = lower})});
  CommitUntil(3);  // round 1 opens
  std::vector<Bytes> ballots;
  {
    const std::shared_ptr<const store::StateView> state = store_->State();
    for (uint64_t i = 0; i < 2; ++i) {
      ballots.push_back(types::EncodeTransaction(
          types::Transaction{testing::MakeBallot(*state, kChain, 4 + i, {{0, 1}})}));
    }
  }
  Commit(std::move(ballots));
  CommitUntil(8);  // epoch 2: passed, not yet in force
  EXPECT_EQ(Keys(0).quota_per_epoch(), kQuota);
  const zk::Point b = BlindedOf("passport:FRA:1");
  for (uint32_t n = 0; n < 3; ++n) EXPECT_TRUE(Evaluate(0, Request(Attester(1), b, 2)).ok());

  Commit();  // block 9: epoch 3, the first under the new quota
  for (size_t i = 0; i < kServers; ++i) {
    EXPECT_EQ(Keys(i).quota_per_epoch(), 2u);
    EXPECT_EQ(DedupStatus(i).quota_per_epoch(), 2u);
    EXPECT_EQ(DedupStatus(i).epoch(), 3u);
  }
  for (uint32_t n = 1; n <= 2; ++n) {
    pb::DedupEvaluateResponse resp;
    ASSERT_TRUE(Evaluate(0, Request(Attester(1), b, 3), &resp).ok());
    EXPECT_EQ(resp.used(), n);
  }
  const grpc::Status third = Evaluate(0, Request(Attester(1), b, 3));
  ExpectReason(third, grpc::StatusCode::RESOURCE_EXHAUSTED, "DEDUP_QUOTA_EXHAUSTED");
  EXPECT_NE(third.error_message().find("its 2 evaluations of epoch 3"), std::string::npos)
      << third.error_message();
  const pb::GetDedupStatusResponse st = DedupStatus(0);
  ASSERT_EQ(st.attesters_size(), 1);
  EXPECT_EQ(st.attesters(0).evaluations(), 2u);
  EXPECT_EQ(st.attesters(0).refused_quota(), 1u);
}

TEST_F(DedupRpcTest, ANodeWithoutAShareRefusesEvaluateButServesKeys) {
  Start(true);
  auto keys = keys_;
  StartServer(keys, std::nullopt);
  ExpectReason(Evaluate(kServers, Request(Attester(1), BlindedOf("passport:FRA:1"))),
               grpc::StatusCode::FAILED_PRECONDITION, "DEDUP_NO_SHARE");
  EXPECT_EQ(Keys(kServers).this_index(), 0u);
}

TEST_F(DedupRpcTest, AChainWithoutKeysIsDedupDisabled) {
  Start(/*with_attesters=*/false, /*with_keys=*/false);
  ExpectReason(Evaluate(0, Request(Attester(1), BlindedOf("passport:FRA:1"))),
               grpc::StatusCode::FAILED_PRECONDITION, "DEDUP_DISABLED");
  grpc::ClientContext ctx;
  pb::GetDedupKeysResponse k;
  ExpectReason(stubs_[0]->GetKeys(&ctx, pb::GetDedupKeysRequest(), &k),
               grpc::StatusCode::FAILED_PRECONDITION, "DEDUP_DISABLED");
}

TEST(DedupQuotaTest, CountsPerAttesterAndForgetsEarlierEpochs) {
  DedupQuota q;
  Ed25519PublicKey a{}, b{};
  b[0] = 1;
  EXPECT_TRUE(q.Take(a, 5, 2).granted);
  EXPECT_EQ(q.Take(a, 5, 2).used, 2u);
  EXPECT_FALSE(q.Take(a, 5, 2).granted);
  EXPECT_TRUE(q.Take(b, 5, 2).granted);
  EXPECT_EQ(q.Counts(5).at(a).evaluations, 2u);
  EXPECT_EQ(q.Counts(5).at(a).refused, 1u);
  // A quota raised in the same epoch lets the attester go on from its count.
  EXPECT_TRUE(q.Take(a, 5, 3).granted);
  EXPECT_FALSE(q.Take(a, 5, 3).granted);
  EXPECT_TRUE(q.Take(a, 6, 2).granted);  // a new epoch: a fresh count
  EXPECT_TRUE(q.Counts(5).empty());
  EXPECT_EQ(q.Counts(6).size(), 1u);
}

// ---- the wallet's client against the three servers ----

class DedupClientTest : public DedupRpcTest {
 protected:
  Result<wallet::DedupEvalResult> Tag(const std::string& handle,
                                      const std::vector<std::string>& validators,
                                      std::ostream* progress = nullptr) {
    wallet::DedupEvalOptions opts;
    opts.validators = validators;
    opts.attempt_timeout = std::chrono::milliseconds(2000);
    opts.attempts = 1;
    opts.progress = progress;
    return wallet::EvaluateDedupTag(Keys(0), kChain, Attester(1),
                                    types::Handle::Parse(handle).value(), opts);
  }
};

TEST_F(DedupClientTest, TwoSpellingsGiveOneTagWhicheverValidatorsAnswer) {
  Start(true);
  auto all = Tag("passport:FRA:12AB34567", addrs_);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->answered, 3u);
  EXPECT_EQ(all->used.size(), 2u);
  auto spelt = Tag("Passport:fra:12ab 345-67", {addrs_[2], addrs_[1]});
  ASSERT_TRUE(spelt.ok()) << spelt.status().ToString();
  EXPECT_EQ(spelt->tag, all->tag);
  auto other = Tag("passport:FRA:12AB34568", {addrs_[0], addrs_[2]});
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->tag, all->tag);
}

TEST_F(DedupClientTest, FewerThanThresholdIsAClearError) {
  Start(true);
  servers_[1]->Shutdown();
  servers_[2]->Shutdown();
  std::ostringstream progress;
  auto r = Tag("passport:FRA:12AB34567", addrs_, &progress);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("1 of 3 validators answered"), std::string::npos)
      << r.status().ToString();
  EXPECT_NE(progress.str().find(addrs_[1] + " did not answer"), std::string::npos)
      << progress.str();
}

TEST_F(DedupClientTest, AValidatorAnsweringForAnotherIndexIsNamedAndLeftOut) {
  Start(true);
  // Server 3 gets validator 1's index with its own secret: its proofs fail against K_1.
  auto dealt = config::DealDedupKeys({KeyFor(100).public_key()}, 1).value();
  oprf::KeyShare liar = dealt.shares[0];
  liar.index = 1;
  StartServer(keys_, liar);
  liar.Wipe();
  dealt.Wipe();
  std::ostringstream progress;
  auto r = Tag("passport:FRA:12AB34567", {addrs_[kServers], addrs_[1], addrs_[2]}, &progress);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->refused, std::vector<uint16_t>{1});
  EXPECT_NE(progress.str().find("validator index 1 failed its proof"), std::string::npos)
      << progress.str();
  auto honest = Tag("passport:FRA:12AB34567", {addrs_[0], addrs_[1]});
  ASSERT_TRUE(honest.ok());
  EXPECT_EQ(r->tag, honest->tag);
}

}  // namespace
}  // namespace hito::node::rpc
