// The node's DKG driver (node/dedup/dkg_driver.h) on a real chain: one LevelDB store and
// ChainApp stand for the state every node commits alike, and one driver per validator
// (its own key, keyring and share file) reads it after each block; the transactions the
// drivers submit (real kind-8 messages, sealed with libsodium) go through a real mempool
// into the next block. Checks: an honest 4-validator genesis DKG forms a key whose shares
// sit in every keyring and sealed share file and give one tag; a dealer whose share to one
// recipient is corrupted draws that recipient's complaint and, silent through the
// justification phase, is disqualified while the key still forms, or, restarted, rebuilds
// its key-derived polynomial and answers; a silent dealer is left out; a genesis DKG with
// too few running fails and forms on the retry; a holder that missed the decision block
// combines during the grace before the next resharing; a
// validator added by the schedule takes part in the resharing and the tags stay the same,
// while a validator removed deletes its old share file; a driver opened after h3 with no
// share file combines its share from the state alone; a share file from elsewhere is
// refused.
#include "node/dedup/dkg_driver.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/file_io.h"
#include "consensus/ledger/dkg.h"
#include "consensus/ledger/ledger.h"
#include "consensus/ledger/registry.h"
#include "consensus/types/transaction.h"
#include "node/chain/chain_app.h"
#include "node/chain/commit_events.h"
#include "node/config/dedup_keys.h"
#include "node/mempool/mempool.h"
#include "node/store/store.h"
#include "tests/support/chain_node.h"
#include "tests/support/genesis.h"
#include "tests/support/keys.h"
#include "tests/support/temp_dir.h"
#include "tests/support/transactions.h"
#include "zk/oprf.h"

namespace hito::node::dedup {
namespace {

namespace ledger = consensus::ledger;
namespace types = consensus::types;
namespace oprf = zk::oprf;
using testing::ValidatorKey;

constexpr char kChain[] = "dkg-driver-test";
constexpr uint64_t kPhase = 2;  // dealings 1..2, complaints 3..4, justifications 5..6

// The chain every validator's driver reads, advanced by hand one block at a time.
class DkgChain {
 public:
  DkgChain(const std::filesystem::path& dir, ledger::Genesis genesis) {
    store_ = store::Store::Open(dir / "data").value();
    Hash32 genesis_hash{};
    genesis_hash.fill(7);
    auto tip = chain::RecoverChain(store_.get(), genesis, genesis_hash);
    EXPECT_TRUE(tip.ok()) << tip.status().ToString();
    pool_ =
        std::make_unique<mempool::Mempool>(kChain, mempool::MempoolLimits{}, store_->State(),
                                           [this](const Hash32& h) { return store_->GetTx(h); });
    app_ = std::make_unique<chain::ChainApp>(kChain, *tip, store_.get(), pool_.get(), &events_);
  }
  ~DkgChain() { events_.Shutdown(); }

  // What a driver's SubmitTx does in the node: admission to the mempool.
  Status Submit(ByteView tx) {
    mempool::AdmitOutcome o = pool_->Admit(tx);
    ++submitted_;
    if (o.ok() || o.code == ledger::TxCode::kAlreadyKnown) return Status::Ok();
    return FailedPreconditionError(std::string(ledger::TxCodeName(o.code)) + ": " + o.message);
  }
  mempool::Mempool* pool() { return pool_.get(); }
  // The next block with everything pending, committed.
  void NextBlock() {
    std::vector<Bytes> txs;
    for (const auto& p : pool_->Reap(1000, 1 << 24)) txs.push_back(p->bytes);
    const types::Block b = testing::NextBlock(*app_, kChain, ValidatorKey(0).public_key(),
                                              app_->Tip().time_ms + 1000, txs);
    testing::FinalizeAndCommit(app_.get(), kChain, ValidatorKey(0), b);
  }
  uint64_t height() const { return app_->Tip().height; }
  const store::Store* store() const { return store_.get(); }
  std::optional<ledger::DedupKeySet> Keys() const {
    auto state = store_->State();
    return *ledger::dkg::ReadKeySet(ledger::RegistryStore(state.get()));
  }
  std::optional<ledger::DkgSession> Session() const {
    auto state = store_->State();
    return *ledger::dkg::ReadSession(ledger::RegistryStore(state.get()));
  }
  std::optional<ledger::DkgResult> Last() const {
    auto state = store_->State();
    return *ledger::dkg::ReadLastResult(ledger::RegistryStore(state.get()));
  }
  size_t submitted() const { return submitted_; }

 private:
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<mempool::Mempool> pool_;
  chain::CommitEvents events_{16};
  std::unique_ptr<chain::ChainApp> app_;
  size_t submitted_ = 0;
};

// Validator i's driver, keyring and home.
struct Member {
  size_t id = 0;
  DedupKeyring keyring;
  std::filesystem::path share_path;
  std::unique_ptr<DkgDriver> driver;
  bool silent = false;  // never steps: a dealer gone quiet
};

class DkgDriverTest : public ::testing::Test {
 protected:
  // Genesis with a DKG among validators 0..3 and, optionally, a schedule.
  void Begin(std::vector<ledger::ValidatorSetChange> schedule = {}) {
    ledger::Genesis g = testing::MakeGenesis(kChain, testing::FirstValidators(4), {{1, 1'000'000}});
    g.validator_schedule = std::move(schedule);
    g.dedup_dkg = ledger::DkgGenesis{kPhase, 0};
    chain_ = std::make_unique<DkgChain>(dir_.path(), g);
    for (size_t i = 0; i < 6; ++i) {
      members_.push_back(std::make_unique<Member>());
      members_.back()->id = i;
      members_.back()->share_path = dir_.path() / ("dedup-" + std::to_string(i) + ".share");
      OpenDriver(i);
    }
  }
  void OpenDriver(size_t i, SubmitTx submit = nullptr) {
    Member& m = *members_[i];
    m.driver.reset();
    m.keyring.Set(nullptr);  // a restart: the process starts with an empty keyring
    if (!submit) submit = [this](ByteView tx) { return chain_->Submit(tx); };
    auto d = DkgDriver::Open({.chain_id = kChain, .share_path = m.share_path}, ValidatorKey(i),
                             chain_->store(), &m.keyring, std::move(submit));
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    m.driver = std::move(d).value();
  }
  // Validator 1's submissions, with the share its dealing seals to recipient 3 corrupted
  // (and the message signed again, so only the share is wrong).
  SubmitTx CorruptingShareTo3() {
    return [this](ByteView tx) {
      auto decoded = types::DecodeTransaction(tx).value();
      auto& m = std::get<types::DkgMessage>(decoded.body);
      if (auto* d = std::get_if<zk::dkg::Dealing>(&m.payload)) {
        d->shares[2][10] ^= 0x40;
        types::SignDkgMessage(&m, ValidatorKey(1));
      }
      return chain_->Submit(types::EncodeTransaction(decoded));
    };
  }
  // Every driver steps over the committed state, then a block commits.
  void Round() {
    for (auto& m : members_) {
      if (m->silent) continue;
      Status s = m->driver->Step();
      // A removed validator or a non-member has nothing to do; a step never fails here.
      EXPECT_TRUE(s.ok()) << "validator " << m->id << ": " << s.ToString();
    }
    chain_->NextBlock();
  }
  void RunUntil(uint64_t height) {
    while (chain_->height() < height) Round();
    // One more pass so every driver sees the last block's state.
    for (auto& m : members_) {
      if (!m->silent) EXPECT_TRUE(m->driver->Step().ok());
    }
  }

  // The tag of a handle from the first t holders' keyrings (each share checked against
  // the published K_i by the client's verification).
  oprf::Tag TagFromKeyrings(const std::vector<size_t>& holders) {
    const ledger::DedupKeySet keys = *chain_->Keys();
    const Bytes input = {'P', ':', 'N', 'L', ':', '1'};
    auto blinded = oprf::Blind(input).value();
    std::vector<oprf::EvaluationShare> answers;
    std::vector<oprf::PublicShare> publics;
    for (size_t id : holders) {
      auto current = members_[id]->keyring.Current();
      EXPECT_TRUE(current && current->share) << "validator " << id;
      if (!current || !current->share) return {};
      answers.push_back(oprf::PartialEvaluate(*current->share, blinded.element).value());
      publics.push_back({current->share->index, current->share->public_share});
    }
    auto combined = oprf::VerifyAndCombine(publics, blinded.element, answers, keys.threshold);
    EXPECT_TRUE(combined.ok()) << combined.status().ToString();
    auto out = oprf::FinalizeCombined(input, blinded.blind, combined->element).value();
    blinded.Wipe();
    return oprf::TagOf(out);
  }

  void ExpectHolder(size_t id, const ledger::DedupKeySet& keys) {
    auto current = members_[id]->keyring.Current();
    ASSERT_TRUE(current && current->share) << "validator " << id;
    EXPECT_EQ(current->keys, keys);
    auto mine = config::ShareOf(keys, ValidatorKey(id).public_key());
    ASSERT_TRUE(mine.has_value());
    EXPECT_EQ(current->share->index, mine->index);
    EXPECT_EQ(current->share->public_share.bytes(), mine->public_share);
    // The share file is sealed (no hex scalar in clear) and opens to the same share.
    const std::string text = ReadFile(members_[id]->share_path).value();
    EXPECT_EQ(text.rfind(config::kSealedShareHeader, 0), 0u);
    const Ed25519PrivateKey key = ValidatorKey(id);
    auto loaded = config::LoadDedupShare(members_[id]->share_path, keys, key.public_key(), &key);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_EQ(loaded->public_share, current->share->public_share);
    loaded->Wipe();
    // Without the validator key it does not open.
    EXPECT_FALSE(config::LoadDedupShare(members_[id]->share_path, keys, key.public_key()).ok());
  }

  testing::TempDir dir_;
  std::unique_ptr<DkgChain> chain_;
  std::vector<std::unique_ptr<Member>> members_;
};

TEST_F(DkgDriverTest, HonestGenesisDkgFillsEveryKeyringWithSealedShares) {
  Begin();
  EXPECT_EQ(members_[0]->keyring.Current(), nullptr);  // no key before the DKG forms
  RunUntil(3 * kPhase);
  ASSERT_TRUE(chain_->Last().has_value());
  EXPECT_TRUE(chain_->Last()->formed) << chain_->Last()->reason;
  const ledger::DedupKeySet keys = *chain_->Keys();
  EXPECT_EQ(keys.shares.size(), 4u);
  EXPECT_EQ(keys.threshold, 3);
  for (size_t i = 0; i < 4; ++i) ExpectHolder(i, keys);
  // Validators 4 and 5 are in no set: no share, no file.
  EXPECT_EQ(members_[4]->keyring.Current()->share, std::nullopt);
  EXPECT_FALSE(std::filesystem::exists(members_[4]->share_path));
  // Any 3 of the 4 give one tag.
  const oprf::Tag tag = TagFromKeyrings({0, 1, 2});
  EXPECT_EQ(TagFromKeyrings({1, 2, 3}), tag);
  EXPECT_EQ(TagFromKeyrings({3, 0, 2}), tag);
  // Four dealings, no complaint, no justification: one message per dealer.
  EXPECT_EQ(chain_->submitted(), 4u);
}

TEST_F(DkgDriverTest, CorruptDealerIsComplainedAboutAndDisqualifiedWhenItDoesNotAnswer) {
  Begin();
  // Validator 1's dealing reaches the chain with the share sealed to recipient 3 (index 3)
  // corrupted.
  OpenDriver(1, CorruptingShareTo3());
  RunUntil(kPhase + 1);  // the dealings are in, the complaint phase opened
  // Validator 1 goes quiet: nobody answers the complaint against it.
  members_[1]->silent = true;
  RunUntil(3 * kPhase);
  members_[1]->silent = false;
  ASSERT_TRUE(members_[1]->driver->Step().ok());
  ASSERT_TRUE(chain_->Last().has_value());
  EXPECT_TRUE(chain_->Last()->formed) << chain_->Last()->reason;
  auto state = chain_->store()->State();
  const ledger::DkgMessages msgs = *ledger::dkg::ReadMessages(ledger::RegistryStore(state.get()));
  const ledger::DkgSession s =
      ledger::dkg::ReadDecided(ledger::RegistryStore(state.get()))->value().session;
  ASSERT_EQ(msgs.complaints.size(), 1u);
  EXPECT_EQ(s.dealers.at(msgs.complaints[0].dealer - 1), ValidatorKey(1).public_key());
  EXPECT_EQ(msgs.complaints[0].complainer, 3);  // the recipient whose share was corrupted
  EXPECT_TRUE(msgs.justifications.empty());
  // The key formed from the three others; every holder has its share.
  const ledger::DedupKeySet keys = *chain_->Keys();
  ASSERT_EQ(msgs.dealings.size(), 4u);
  zk::Point without_1;
  for (const zk::dkg::Dealing& d : msgs.dealings) {
    if (s.dealers.at(d.dealer - 1) != ValidatorKey(1).public_key()) {
      without_1 = without_1 + d.commitments[0];
    }
  }
  EXPECT_EQ(keys.group_key, without_1.bytes());  // dealer 1's constant term left out
  for (size_t i = 0; i < 4; ++i) ExpectHolder(i, keys);
  EXPECT_EQ(TagFromKeyrings({0, 2, 3}), TagFromKeyrings({0, 1, 2}));
}

// The dealer restarts between its dealing and the complaint: its DealerSecret is gone
// with the process, but the polynomial is derived from its validator key, so it rebuilds
// it, answers, and stays qualified (the group key is the sum of all four constant terms).
TEST_F(DkgDriverTest, DealerRestartedSinceDealingRebuildsItsPolynomialAndAnswers) {
  Begin();
  OpenDriver(1, CorruptingShareTo3());
  RunUntil(kPhase + 1);
  OpenDriver(1);  // a restart: a new driver, nothing in memory
  RunUntil(3 * kPhase);
  auto state = chain_->store()->State();
  const ledger::DkgMessages msgs = *ledger::dkg::ReadMessages(ledger::RegistryStore(state.get()));
  ASSERT_EQ(msgs.complaints.size(), 1u);
  ASSERT_EQ(msgs.justifications.size(), 1u);
  EXPECT_EQ(msgs.justifications[0].complainer, 3);
  ASSERT_TRUE(chain_->Last().has_value());
  EXPECT_TRUE(chain_->Last()->formed) << chain_->Last()->reason;
  const ledger::DedupKeySet keys = *chain_->Keys();
  ASSERT_EQ(msgs.dealings.size(), 4u);
  zk::Point sum = msgs.dealings[0].commitments[0];
  for (size_t i = 1; i < 4; ++i) sum = sum + msgs.dealings[i].commitments[0];
  EXPECT_EQ(keys.group_key, sum.bytes());  // all four dealers qualified
  for (size_t i = 0; i < 4; ++i) ExpectHolder(i, keys);
  EXPECT_EQ(TagFromKeyrings({1, 2, 3}), TagFromKeyrings({0, 1, 2}));
}

TEST_F(DkgDriverTest, CorruptDealerThatAnswersItsComplaintStaysQualified) {
  Begin();
  OpenDriver(1, CorruptingShareTo3());
  RunUntil(3 * kPhase);
  auto state = chain_->store()->State();
  const ledger::DkgMessages msgs = *ledger::dkg::ReadMessages(ledger::RegistryStore(state.get()));
  ASSERT_EQ(msgs.complaints.size(), 1u);
  ASSERT_EQ(msgs.justifications.size(), 1u);
  EXPECT_TRUE(chain_->Last()->formed) << chain_->Last()->reason;
  // Recipient 3 took its share from the justification: it combines and evaluates.
  const ledger::DedupKeySet keys = *chain_->Keys();
  for (size_t i = 0; i < 4; ++i) ExpectHolder(i, keys);
  EXPECT_EQ(TagFromKeyrings({1, 2, 3}), TagFromKeyrings({0, 1, 2}));
}

TEST_F(DkgDriverTest, SilentDealerIsLeftOutAndTheKeyStillForms) {
  Begin();
  members_[3]->silent = true;
  RunUntil(3 * kPhase);
  EXPECT_TRUE(chain_->Last()->formed) << chain_->Last()->reason;
  // The silent validator is still a holder (it is a recipient); it combines its share as
  // soon as it steps again, from the state alone.
  members_[3]->silent = false;
  ASSERT_TRUE(members_[3]->driver->Step().ok());
  const ledger::DedupKeySet keys = *chain_->Keys();
  for (size_t i = 0; i < 4; ++i) ExpectHolder(i, keys);
  EXPECT_EQ(TagFromKeyrings({3, 1, 0}), TagFromKeyrings({0, 1, 2}));
}

// Two of the four validators are not running during the genesis DKG (t = 3): it fails,
// no key set, no share file; the ledger opens another run, and once all four run it forms.
TEST_F(DkgDriverTest, GenesisDkgWithTooFewRunningFailsThenFormsOnTheRetry) {
  Begin();
  members_[2]->silent = true;
  members_[3]->silent = true;
  RunUntil(3 * kPhase);
  ASSERT_TRUE(chain_->Last().has_value());
  EXPECT_FALSE(chain_->Last()->formed);
  EXPECT_FALSE(chain_->Keys().has_value());
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(members_[i]->keyring.Current(), nullptr) << "validator " << i;
    EXPECT_FALSE(std::filesystem::exists(members_[i]->share_path)) << "validator " << i;
  }
  members_[2]->silent = false;
  members_[3]->silent = false;
  RunUntil(6 * kPhase + 1);  // the retry opens at 3P + 1 and decides at 6P + 1
  ASSERT_TRUE(chain_->Last().has_value());
  EXPECT_TRUE(chain_->Last()->formed) << chain_->Last()->reason;
  const ledger::DedupKeySet keys = *chain_->Keys();
  for (size_t i = 0; i < 4; ++i) ExpectHolder(i, keys);
  EXPECT_EQ(TagFromKeyrings({0, 1, 2}), TagFromKeyrings({3, 2, 1}));
}

TEST_F(DkgDriverTest, RestartedAfterTheKeyFormedCombinesFromStateAndRefusesAStrangersFile) {
  Begin();
  RunUntil(3 * kPhase);
  const ledger::DedupKeySet keys = *chain_->Keys();
  // Validator 2 lost its share file; reopened, it combines its share again from the
  // decided session's messages.
  std::filesystem::remove(members_[2]->share_path);
  OpenDriver(2);
  ExpectHolder(2, keys);
  // Validator 0's file copied into validator 2's place: not its share, refused; the
  // driver recombines and rewrites its own.
  std::filesystem::copy_file(members_[0]->share_path, members_[2]->share_path,
                             std::filesystem::copy_options::overwrite_existing);
  const Ed25519PrivateKey k2 = ValidatorKey(2);
  EXPECT_FALSE(config::LoadDedupShare(members_[2]->share_path, keys, k2.public_key(), &k2).ok());
  OpenDriver(2);
  ExpectHolder(2, keys);
}

TEST_F(DkgDriverTest, ResharingToAChangedSetKeepsEveryTagAndRetiresOldShares) {
  // From height 9 the set is validators 1..4 (0 leaves, 4 joins): a resharing 9..15
  // (after the grace of one phase that follows the DKG's decision at 6).
  constexpr uint64_t kChange = 9;
  Begin({{kChange, testing::ValidatorSetOf({1, 2, 3, 4})}});
  RunUntil(3 * kPhase);
  const ledger::DedupKeySet old_keys = *chain_->Keys();
  const oprf::Tag before = TagFromKeyrings({0, 1, 2});
  RunUntil(kChange);
  ASSERT_TRUE(chain_->Session().has_value());
  EXPECT_EQ(chain_->Session()->kind, ledger::DkgKind::kReshare);
  RunUntil(kChange + 3 * kPhase);
  ASSERT_TRUE(chain_->Last().has_value());
  EXPECT_TRUE(chain_->Last()->formed) << chain_->Last()->reason;
  const ledger::DedupKeySet new_keys = *chain_->Keys();
  EXPECT_EQ(new_keys.group_key, old_keys.group_key);
  EXPECT_NE(new_keys.shares, old_keys.shares);
  for (size_t i = 1; i <= 4; ++i) ExpectHolder(i, new_keys);
  // The same tag from the new committee, the newcomer included.
  EXPECT_EQ(TagFromKeyrings({4, 2, 1}), before);
  EXPECT_EQ(TagFromKeyrings({1, 2, 3}), before);
  // Validator 0 holds no share of the new set: its keyring has none and its old share
  // file is gone.
  EXPECT_EQ(members_[0]->keyring.Current()->share, std::nullopt);
  EXPECT_FALSE(std::filesystem::exists(members_[0]->share_path));
  // A node started by mistake with a key outside the set, on validator 1's home: the
  // share file there is not that key's share, so it is left alone.
  DedupKeyring stray;
  auto wrong =
      DkgDriver::Open({.chain_id = kChain, .share_path = members_[1]->share_path}, ValidatorKey(5),
                      chain_->store(), &stray, [](ByteView) { return Status::Ok(); });
  ASSERT_TRUE(wrong.ok()) << wrong.status().ToString();
  EXPECT_TRUE(std::filesystem::exists(members_[1]->share_path));
  ExpectHolder(1, new_keys);
}

// The set changes right after the DKG decides (block 3P + 1): a holder whose driver did
// not step between the decision and that block still combines its share, because the
// ledger opens the resharing (which deletes the decided run's messages) only after a
// grace of one phase.
TEST_F(DkgDriverTest, HolderThatMissedTheDecisionBlockCombinesDuringTheGrace) {
  Begin({{3 * kPhase + 1, testing::ValidatorSetOf({1, 2, 3, 4})}});
  RunUntil(3 * kPhase - 1);
  members_[3]->silent = true;  // down (or syncing) across the decision
  RunUntil(3 * kPhase + 1);
  ASSERT_TRUE(chain_->Last().has_value());
  ASSERT_TRUE(chain_->Last()->formed) << chain_->Last()->reason;
  const ledger::DedupKeySet keys = *chain_->Keys();
  EXPECT_FALSE(chain_->Session().has_value());  // the resharing waits out the grace
  members_[3]->silent = false;
  ASSERT_TRUE(members_[3]->driver->Step().ok());
  ExpectHolder(3, keys);
  RunUntil(4 * kPhase + 1);
  ASSERT_TRUE(chain_->Session().has_value());
  EXPECT_EQ(chain_->Session()->start_height, 4 * kPhase + 1);
}

// Kind-8 messages from hostile peers or clients are refused at admission, before they
// take room in the pool or reach a block: no session, a non-member, a forged signature,
// a second message for a slot already pending, and a message out of its phase.
// A block takes the pending DKG messages before transfers that arrived earlier, so a
// flood of fee-paying transactions cannot push a dealing past its phase.
TEST_F(DkgDriverTest, ReapTakesDkgMessagesBeforeEarlierTransfers) {
  Begin();
  const ledger::DkgSession s = *chain_->Session();
  for (uint64_t nonce = 0; nonce < 3; ++nonce) {
    testing::TransferSpec t;
    t.chain_id = kChain;
    t.nonce = nonce;
    ASSERT_TRUE(chain_->Submit(testing::SignedTransfer(testing::KeyFor(1), t)).ok());
  }
  types::DkgMessage m;
  m.chain_id = kChain;
  m.session = s.id;
  m.payload = zk::dkg::Deal(s.id, 1, zk::dkg::Committee{s.recipients, s.threshold}).value().dealing;
  Ed25519PrivateKey dealer1 = ValidatorKey(0);
  for (size_t v = 0; v < 4; ++v) {
    if (ValidatorKey(v).public_key() == s.dealers[0]) dealer1 = ValidatorKey(v);
  }
  types::SignDkgMessage(&m, dealer1);
  const Bytes dealing = types::EncodeTransaction(types::Transaction{m});
  ASSERT_TRUE(chain_->Submit(dealing).ok());
  auto two = chain_->pool()->Reap(2, 1 << 24);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0]->bytes, dealing);
  EXPECT_EQ(two[1]->tx.kind(), types::TxKind::kTransfer);
  EXPECT_EQ(two[1]->nonce, 0u);  // then the rest in arrival order
  // A byte budget too small for the dealing still lets the transfers through.
  auto small = chain_->pool()->Reap(10, two[1]->bytes.size() * 3);
  ASSERT_EQ(small.size(), 3u);
  for (const auto& p : small) EXPECT_EQ(p->tx.kind(), types::TxKind::kTransfer);
}

TEST_F(DkgDriverTest, MempoolRefusesHostileDkgMessages) {
  Begin();
  const ledger::DkgSession s = *chain_->Session();
  const zk::dkg::Committee committee{s.recipients, s.threshold};
  auto dealing_tx = [&](size_t signer, const Hash32& session, uint16_t dealer,
                        const Ed25519PublicKey* claimed_sender = nullptr) {
    types::DkgMessage m;
    m.chain_id = kChain;
    m.session = session;
    m.payload = zk::dkg::Deal(session, dealer, committee).value().dealing;
    types::SignDkgMessage(&m, ValidatorKey(signer));
    if (claimed_sender != nullptr) m.sender = *claimed_sender;  // the signature no longer fits
    return types::EncodeTransaction(types::Transaction{m});
  };
  auto dealer_of = [&](size_t v) {
    for (size_t p = 0; p < s.dealers.size(); ++p) {
      if (s.dealers[p] == ValidatorKey(v).public_key()) return static_cast<uint16_t>(p + 1);
    }
    return uint16_t{0};
  };
  auto refused = [&](const Bytes& tx) { return chain_->Submit(tx).message(); };

  Hash32 other_session = s.id;
  other_session[0] ^= 1;
  EXPECT_NE(refused(dealing_tx(0, other_session, dealer_of(0))).find("TX_DKG_NO_SESSION"),
            std::string::npos);
  // Validator 5 is no member: dealing as dealer 1 under its own key.
  EXPECT_NE(refused(dealing_tx(5, s.id, 1)).find("TX_DKG_NOT_MEMBER"), std::string::npos);
  // Validator 5 signs, claiming to be validator 0.
  const Ed25519PublicKey v0 = ValidatorKey(0).public_key();
  EXPECT_NE(refused(dealing_tx(5, s.id, dealer_of(0), &v0)).find("TX_BAD_SIGNATURE"),
            std::string::npos);
  // A first dealing of validator 0 is admitted; a different second one for the same slot
  // is refused while the first is pending.
  EXPECT_TRUE(chain_->Submit(dealing_tx(0, s.id, dealer_of(0))).ok());
  EXPECT_NE(refused(dealing_tx(0, s.id, dealer_of(0))).find("TX_DKG_REFUSED"), std::string::npos);
  // A complaint before the complaint phase.
  types::DkgMessage c;
  c.chain_id = kChain;
  c.session = s.id;
  c.payload = zk::dkg::Complaint{s.id, dealer_of(0), dealer_of(1)};
  types::SignDkgMessage(&c, ValidatorKey(1));
  EXPECT_NE(refused(types::EncodeTransaction(types::Transaction{c})).find("TX_DKG_OUT_OF_PHASE"),
            std::string::npos);
  // Nothing refused reached a block: the next one holds the one admitted dealing.
  chain_->NextBlock();
  auto state = chain_->store()->State();
  const ledger::DkgMessages msgs = *ledger::dkg::ReadMessages(ledger::RegistryStore(state.get()));
  ASSERT_EQ(msgs.dealings.size(), 1u);
  EXPECT_EQ(msgs.dealings[0].dealer, dealer_of(0));
  EXPECT_TRUE(msgs.complaints.empty());
}

}  // namespace
}  // namespace hito::node::dedup
