// Governance on the 4-validator testnet, as citizens do it with `hito gov`. The genesis
// gives the dev account (the whale) 99% of all tokens, which it spreads over 20 wallets;
// the dev attester registers five citizens and one identity of the whale. In one round
// four proposals are submitted: the whale's (a proposal deposit a million times higher,
// to price citizens out), a UBI raise, a new attester and a new power for validator 0.
// In the next round the whale's wallets cannot vote (no identity), nor can its
// unregistered identity with a proof against a forged set, its one identity casts
// one ballot that moves a tally by sqrt(voice_credits) at most, whatever its balance (an
// over-budget ballot is refused, a second ballot replaces the first), and the citizens'
// ballots reject the whale's proposal and pass the three others. Then: the new UBI amount
// is paid from the epoch after the decision (claims and balances), every node reports
// the new validator set from the fixed height on and keeps committing, the new attester
// registers a newcomer, and once a removal proposal has passed its next registration is
// refused. On every node the tallies agree. Refused proposals (an attester that cannot
// be removed or added, an unknown parameter) change nothing. Label slow: five rounds of
// real time (a round is 40 one-second blocks).
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/hex.h"
#include "consensus/types/governance.h"
#include "consensus/types/transaction.h"
#include "consensus/types/validator_set.h"
#include "tests/support/e2e/testnet_fixture.h"
#include "wallet/client.h"
#include "wallet/governance.h"
#include "wallet/keystore.h"
#include "wallet/snapshot.h"
#include "zk/point.h"
#include "zk/proof/triptych.h"

namespace hito::e2e {
namespace {

namespace types = consensus::types;

constexpr int kCitizens = 5;
constexpr int kWhaleWallets = 20;
constexpr int kParallel = 6;          // hito processes at once
constexpr uint64_t kEpochBlocks = 8;  // the testnet's (dev's) epoch
// Rounds of 40 blocks (the testnet's are 32): on a loaded 2-core machine the voting round's
// eight ballots and tally checks took 24 blocks. A round needs claim_window >= its length.
constexpr uint64_t kRoundEpochs = 5;
constexpr uint64_t kOldUbi = 1'000'000;                  // the testnet's ubi_per_epoch
constexpr uint64_t kNewUbi = 3'000'000;                  // what the citizens vote for
constexpr uint64_t kWhaleDeposit = 100'000'000'000'000;  // what the whale asks for
constexpr auto kRoundWait = std::chrono::seconds(150);   // bound of one WaitRound

// The proposals of the first round, by ID ("<round>.<index>").
struct Proposals {
  uint64_t round = 0;
  std::string whale;     // proposal_deposit = kWhaleDeposit, from the whale
  std::string ubi;       // ubi_per_epoch = kNewUbi
  std::string attester;  // add the attester "att2"
  std::string power;     // validator 0's power 1 -> 2
};

// A committed UBI claim: the height it landed at and the amount it paid.
struct Claim {
  uint64_t height = 0;
  uint64_t amount = 0;
};

std::string Signed(int64_t v) { return (v > 0 ? "+" : "") + std::to_string(v); }

uint64_t ISqrt(uint64_t n) {
  uint64_t r = 0;
  while ((r + 1) * (r + 1) <= n) ++r;
  return r;
}

class GovTestnetE2eTest : public TestnetE2eTest {
 protected:
  GovTestnetE2eTest() { wait_ = std::chrono::seconds(90); }

  // One genesis for all: the dev account holds 99 times what every other account holds,
  // and rounds are kRoundEpochs long.
  void BeforeStart() override {
    Json nodes = Json::parse(ReadFileOrEmpty(out_ + "/nodes.json"), nullptr, false);
    ASSERT_FALSE(nodes.is_discarded());
    const std::string dev = nodes["dev_address"].get<std::string>();
    Json g = Json::parse(ReadFileOrEmpty(out_ + "/node0/genesis.json"), nullptr, false);
    ASSERT_FALSE(g.is_discarded());
    ASSERT_EQ(g["params"]["epoch_blocks"].get<uint64_t>(), kEpochBlocks);
    ASSERT_EQ(g["ubi"]["ubi_per_epoch"].get<uint64_t>(), kOldUbi);
    ASSERT_TRUE(g.contains("governance"));
    g["governance"]["round_epochs"] = kRoundEpochs;
    g["registry"]["claim_window"] =
        std::max(kRoundEpochs, g["registry"]["claim_window"].get<uint64_t>());
    uint64_t others = 0;
    for (const Json& a : g["accounts"]) {
      if (a["address"] != dev) others += a["balance"].get<uint64_t>();
    }
    for (Json& a : g["accounts"]) {
      if (a["address"] == dev) a["balance"] = 99 * others;
    }
    const std::string genesis = g.dump(2) + "\n";
    for (int i = 0; i < kNodes; ++i) {
      WriteText(out_ + "/node" + std::to_string(i) + "/genesis.json", genesis);
    }
  }

  static std::string Wallet(int k) { return "whale" + std::to_string(k); }
  static std::string Citizen(int i) { return "citizen" + std::to_string(i); }
  static std::string PayTo(int i) { return Citizen(i) + "-pay"; }

  std::string NodesJsonField(const std::string& key) {
    Json nodes = Json::parse(ReadFileOrEmpty(out_ + "/nodes.json"), nullptr, false);
    return nodes.is_discarded() ? "" : nodes[key].get<std::string>();
  }
  std::string NodeKey(int i) {
    Json nodes = Json::parse(ReadFileOrEmpty(out_ + "/nodes.json"), nullptr, false);
    return nodes["nodes"][static_cast<size_t>(i)]["public_key"].get<std::string>();
  }

  uint64_t Balance(int node, const std::string& who) {
    return MustJson(node, {"balance", who})["balance"].get<uint64_t>();
  }
  void Send(int node, const std::string& from, const std::string& to, uint64_t amount) {
    MustJson(node, {"send", "--from", from, "--to", to, "--amount", std::to_string(amount)});
  }

  Json GovStatus(int node = 0) { return MustJson(node, {"gov", "status"}); }
  // One line on stderr: where the chain is when a phase ends, to show the margin left in
  // the round when a run on a loaded machine comes close to a round's end.
  void Progress(const std::string& what) {
    const Json st = GovStatus();
    std::cerr << "[gov e2e] " << what << ": height " << st["height"] << ", round " << st["round"]
              << ", next round at height " << st["next_round_height"] << std::endl;
  }
  // Waits (bounded) until node 0 is in governance round >= r; returns its status.
  Json WaitRound(uint64_t r) {
    const auto deadline = std::chrono::steady_clock::now() + kRoundWait;
    Json st = GovStatus();
    while (st["round"].get<uint64_t>() < r && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      st = GovStatus();
    }
    EXPECT_GE(st["round"].get<uint64_t>(), r) << "round " << r << " did not open: " << st.dump();
    return st;
  }
  // Waits (bounded) until node 0 is in epoch >= e.
  void WaitEpoch(uint64_t e) {
    const uint64_t h = e * kEpochBlocks;
    ASSERT_TRUE(WaitHeight(0, h)) << "epoch " << e << " (height " << h << ") not reached";
  }
  // Every node has reached node 0's height (so each serves at least what node 0 served).
  void WaitAllCaughtUp() {
    const uint64_t h = Height(0);
    for (int i = 0; i < kNodes; ++i) ASSERT_TRUE(WaitHeight(i, h)) << "node " << i;
  }

  Json Propose(int node, const std::string& from, std::vector<std::string> what) {
    std::vector<std::string> args = {"gov", "propose"};
    args.push_back(what[0]);
    args.insert(args.end(), {"--from", from});
    args.insert(args.end(), what.begin() + 1, what.end());
    return MustJson(node, args);
  }
  CliRun Vote(int node, const std::string& identity, uint64_t round,
              const std::vector<std::pair<std::string, int64_t>>& entries) {
    std::vector<std::string> args = {"gov", "vote", identity, "--round", std::to_string(round)};
    for (const auto& [id, v] : entries) args.push_back(id + "=" + Signed(v));
    return Hito(node, args);
  }
  Json MustVote(int node, const std::string& identity, uint64_t round,
                const std::vector<std::pair<std::string, int64_t>>& entries) {
    CliRun r = Vote(node, identity, round, entries);
    EXPECT_EQ(r.exit_code, 0) << identity << ": " << r.err;
    Json j = Json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }

  // The tally of proposal `id` as node i reports it: {tally, ballots, status}.
  Json TallyOn(int node, const std::string& id) {
    Json t = MustJson(node, {"gov", "tally", id});
    return Json{{"tally", t["tally"]}, {"ballots", t["ballots"]}, {"status", t["status"]}};
  }
  // Every node reports the same tally, ballots and status for `id`, equal to `want` (a
  // round may close between two nodes' answers: then all are asked again, a few times).
  void ExpectTallyEverywhere(const std::string& id, int64_t tally, uint64_t ballots,
                             const std::string& status) {
    WaitAllCaughtUp();
    const Json want = {{"tally", tally}, {"ballots", ballots}, {"status", status}};
    std::vector<Json> got(kNodes);
    for (int attempt = 0; attempt < 5; ++attempt) {
      bool same = true;
      for (int i = 0; i < kNodes; ++i) {
        got[static_cast<size_t>(i)] = TallyOn(i, id);
        same = same && got[static_cast<size_t>(i)] == got[0];
      }
      if (same) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    for (int i = 0; i < kNodes; ++i) {
      EXPECT_EQ(got[static_cast<size_t>(i)], want) << "proposal " << id << " on node " << i;
    }
  }

  // `ubi claim NAME --epochs E` for the current epoch (unless claimed already), paid to
  // the citizen's own account; checks the account received exactly what the claim says
  // it paid.
  void ClaimNow(int i, const std::string& identity, const std::string& pay_to) {
    const int node = i % kNodes;
    const Json status = MustJson(node, {"ubi", "status", identity});
    const uint64_t epoch = status["epoch"].get<uint64_t>();
    for (const Json& e : status["epochs"]) {
      if (e["epoch"].get<uint64_t>() == epoch && e["claimed"].get<bool>()) return;
    }
    const uint64_t before = Balance(node, pay_to);
    Json paid = MustJson(
        node, {"ubi", "claim", identity, "--to", pay_to, "--epochs", std::to_string(epoch)});
    ASSERT_TRUE(paid.is_array() && paid.size() == 1) << paid.dump();
    const Claim c{paid[0]["height"].get<uint64_t>(), paid[0]["amount"].get<uint64_t>()};
    EXPECT_EQ(Balance(node, pay_to), before + c.amount) << identity << " at height " << c.height;
    std::lock_guard<std::mutex> lock(claims_mu_);
    claims_.push_back(c);
  }

  // --- the phases of the test -------------------------------------------------------

  // Keys: the dev attester, the four validators' accounts, a second attester (not yet
  // accredited), the whale's wallets and the citizens' accounts.
  void ImportKeys() {
    MustJson(0, {"attester", "import", "dev-attester", "--seed-file", out_ + "/attester.key"});
    att2_ = MustJson(0, {"attester", "new", "att2"})["public_key"].get<std::string>();
    for (int n = 0; n < kNodes; ++n) {
      MustJson(0, {"keys", "import", "v" + std::to_string(n), "--seed-file",
                   out_ + "/node" + std::to_string(n) + "/validator.key"});
    }
    ForAll(kWhaleWallets, kParallel, [&](int k) {
      MustJson(k % kNodes, {"keys", "new", Wallet(k)});
    });
    ForAll(kCitizens, kParallel, [&](int i) { MustJson(i % kNodes, {"keys", "new", PayTo(i)}); });
  }

  // The dev account sends a fifth of its balance to each of wallets 0..3, which pass
  // four fifths of it on to four wallets each: 20 wallets with about equal shares.
  void SpreadWhale() {
    const uint64_t share = Balance(0, "dev") / 21;
    for (int k = 0; k < 4; ++k) Send(k, "dev", Wallet(k), 5 * share);
    ForAll(4, 4, [&](int k) {
      for (int j = 0; j < 4; ++j) Send(k, Wallet(k), Wallet(4 + 4 * k + j), share);
    });
    WaitAllCaughtUp();
    uint64_t whale = Balance(1, "dev");
    for (int k = 0; k < kWhaleWallets; ++k) {
      const uint64_t b = Balance(k % kNodes, Wallet(k));
      EXPECT_GE(b, share - 10'000) << Wallet(k);
      whale += b;
    }
    const uint64_t supply = MustJson(2, {"ubi", "supply"})["supply"].get<uint64_t>();
    EXPECT_GE(whale, supply / 1000 * 989) << "the whale holds " << whale << " of " << supply;
  }

  // The dev attester registers the five citizens and the whale's one identity; the whale
  // also makes a second identity it never registers.
  void EnrolEveryone() {
    ForAll(kCitizens + 1, kParallel, [&](int i) {
      const bool whale = i == kCitizens;
      Enrol(i % kNodes, whale ? "whale-id" : Citizen(i),
            whale ? "passport:FRA:WHALE" : "passport:FRA:P" + std::to_string(i));
    });
    MustJson(0, {"identity", "new", "whale-shadow"});
    for (int i = 0; i < kCitizens; ++i) {
      EXPECT_EQ(MustJson(i % kNodes, {"identity", "show", Citizen(i)})["status"], "live");
    }
    EXPECT_EQ(MustJson(3, {"identity", "show", "whale-id"})["status"], "live");
  }

  // Proposals the chain refuses change nothing: an attester that is not accredited
  // cannot be removed, an accredited one cannot be added again, a parameter must exist.
  void RefusedProposals() {
    const uint64_t before = Balance(1, "v1");
    CliRun remove =
        Hito(1, {"gov", "propose", "remove-attester", "--from", "v1", "--attester", att2_});
    EXPECT_EQ(remove.exit_code, 1) << remove.err;
    EXPECT_NE(remove.err.find("TX_PROPOSAL_INVALID"), std::string::npos) << remove.err;
    CliRun add = Hito(2, {"gov", "propose", "add-attester", "--from", "v1", "--attester",
                          NodesJsonField("attester_public_key")});
    EXPECT_EQ(add.exit_code, 1) << add.err;
    EXPECT_NE(add.err.find("TX_PROPOSAL_INVALID"), std::string::npos) << add.err;
    CliRun unknown = Hito(
        3, {"gov", "propose", "param", "--from", "v1", "--name", "ubi_per_year", "--value", "5"});
    EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
    EXPECT_NE(unknown.err.find("ubi_per_epoch"), std::string::npos) << unknown.err;
    EXPECT_EQ(Balance(1, "v1"), before) << "a refused proposal took a fee or deposit";
  }

  // The four proposals, submitted at once early in a round (so that all four land in one
  // round and the registrations are in the next round's snapshot).
  Proposals ProposeInOneRound() {
    Json st = GovStatus();
    if (st["next_round_height"].get<uint64_t>() < Height(0) + 16) {
      st = WaitRound(st["round"].get<uint64_t>() + 1);
    }
    std::vector<Json> made(4);
    ForAll(4, 4, [&](int k) {
      switch (k) {
        case 0:
          made[0] = Propose(
              0, Wallet(0),
              {"param", "--name", "proposal_deposit", "--value", std::to_string(kWhaleDeposit)});
          break;
        case 1:
          made[1] = Propose(
              1, "v0", {"param", "--name", "ubi_per_epoch", "--value", std::to_string(kNewUbi)});
          break;
        case 2:
          made[2] = Propose(2, "v1", {"add-attester", "--attester", att2_});
          break;
        default:
          made[3] =
              Propose(3, "v2", {"validator-power", "--validator", NodeKey(0), "--power", "2"});
      }
    });
    Proposals p;
    p.round = made[0]["round"].get<uint64_t>();
    for (const Json& m : made) EXPECT_EQ(m["round"].get<uint64_t>(), p.round) << m.dump();
    p.whale = made[0]["id"].get<std::string>();
    p.ubi = made[1]["id"].get<std::string>();
    p.attester = made[2]["id"].get<std::string>();
    p.power = made[3]["id"].get<std::string>();
    return p;
  }

  // Round R + 1, the whale's part: its wallets cannot vote, neither can its unregistered
  // identity; its one identity moves the tally by sqrt(C) at most, an over-budget ballot
  // is refused before proving, and a second ballot replaces the first.
  void WhaleVotes(const Proposals& p, uint64_t credits) {
    const uint64_t round = p.round + 1;
    const int64_t max = static_cast<int64_t>(ISqrt(credits));
    ForAll(kWhaleWallets, kParallel, [&](int k) {
      CliRun r = Vote(k % kNodes, Wallet(k), round, {{p.whale, max}});
      EXPECT_EQ(r.exit_code, 1) << Wallet(k) << " voted without an identity: " << r.out;
      EXPECT_NE(r.err.find("no identity named"), std::string::npos) << r.err;
    });
    CliRun shadow = Vote(1, "whale-shadow", round, {{p.whale, max}});
    EXPECT_EQ(shadow.exit_code, 1) << "an unregistered identity voted: " << shadow.out;
    ExpectTallyEverywhere(p.whale, 0, 0, "voting");

    whale_nullifier_ = MustVote(0, "whale-id", round, {{p.whale, max}})["nullifier"];
    ExpectTallyEverywhere(p.whale, max, 1, "voting");

    CliRun over = Vote(2, "whale-id", round, {{p.whale, max + 1}});
    EXPECT_EQ(over.exit_code, 1) << over.err;
    EXPECT_NE(over.err.find("TX_BALLOT_OVER_BUDGET"), std::string::npos) << over.err;
    EXPECT_NE(over.err.find(std::to_string((max + 1) * (max + 1))), std::string::npos) << over.err;
    EXPECT_NE(over.err.find(std::to_string(credits)), std::string::npos) << over.err;

    // 6^2 + 8^2 = 100: the replacement spends the budget on two proposals.
    Json again = MustVote(3, "whale-id", round, {{p.whale, 6}, {p.ubi, -8}});
    EXPECT_EQ(again["nullifier"], whale_nullifier_) << "one identity, one nullifier per round";
    ExpectTallyEverywhere(p.whale, 6, 1, "voting");
    ExpectTallyEverywhere(p.ubi, -8, 1, "voting");
  }

  // Round R + 1: the whale forges a ballot for its unregistered identity, proved against
  // the round's snapshot with one member replaced by its own point; the node checks the
  // proof against the real snapshot and refuses it.
  void ForgedBallotRefused(const Proposals& p, uint64_t round_start_epoch) {
    wallet::NodeClient client(node(1).address());
    const auto cohort = MustJson(1, {"identity", "show", "whale-id"})["cohort"].get<uint32_t>();
    wallet::NodeSnapshotSource source(&client);
    auto snap = wallet::SnapshotCache(wallet_->path() + "/snapshots")
                    .Get(&source, round_start_epoch, cohort);
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    const auto padded = snap.value().set.padded();
    std::vector<zk::Point> members(
        padded.begin(), padded.begin() + static_cast<ptrdiff_t>(snap.value().set.size()));
    auto secret = wallet::Keystore(wallet_->path(), wallet::SecretKind::kIdentity)
                      .OpenIdentity("whale-shadow", wallet::SecretString("e2e passphrase"),
                                    /*allow_weak_kdf=*/true);
    ASSERT_TRUE(secret.ok()) << secret.status().ToString();
    auto own = zk::Point::Decode(secret.value().Point());
    ASSERT_TRUE(own.ok());
    members[0] = own.value();
    auto forged_set = zk::proof::membership::PreparedSet::Create(members);
    ASSERT_TRUE(forged_set.ok()) << forged_set.status().ToString();
    const uint32_t index = static_cast<uint32_t>(std::stoul(p.whale.substr(p.whale.find('.') + 1)));
    auto ballot =
        wallet::BuildBallot(forged_set.value(), 0, secret.value(), NodesJsonField("chain_id"),
                            p.round + 1, cohort, {types::BallotEntry{index, 10}});
    ASSERT_TRUE(ballot.ok()) << ballot.status().ToString();
    auto sent = client.Submit(types::EncodeTransaction(types::Transaction{ballot.value()}));
    ASSERT_FALSE(sent.ok()) << "the node took a ballot proved against a forged set";
    EXPECT_NE(sent.status().message().find("TX_BAD_PROOF"), std::string::npos)
        << sent.status().ToString();
  }

  // Round R + 1, the citizens' part: -5 on the whale's proposal, +5 on each other one.
  void CitizensVote(const Proposals& p) {
    std::vector<Json> ballots(kCitizens);
    ForAll(kCitizens, kParallel, [&](int i) {
      ballots[static_cast<size_t>(i)] =
          MustVote(i % kNodes, Citizen(i), p.round + 1,
                   {{p.whale, -5}, {p.ubi, 5}, {p.attester, 5}, {p.power, 5}});
    });
    std::vector<std::string> nullifiers = {whale_nullifier_.get<std::string>()};
    for (const Json& b : ballots) {
      const std::string n = b["nullifier"].get<std::string>();
      EXPECT_EQ(std::count(nullifiers.begin(), nullifiers.end(), n), 0) << "shared nullifier " << n;
      nullifiers.push_back(n);
    }
    ExpectTallyEverywhere(p.whale, 6 - 5 * kCitizens, kCitizens + 1, "voting");
    ExpectTallyEverywhere(p.ubi, -8 + 5 * kCitizens, kCitizens + 1, "voting");
    ExpectTallyEverywhere(p.attester, 5 * kCitizens, kCitizens, "voting");
    ExpectTallyEverywhere(p.power, 5 * kCitizens, kCitizens, "voting");
  }

  // The validator set of block `height` on node i, as the block header names it.
  std::string ValidatorsHashOn(int node, uint64_t height) {
    wallet::NodeClient client(this->node(node).address());
    auto b = client.GetBlock(height);
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return b.ok() ? HexEncode(AsBytes(b.value().block().validators_hash())) : "";
  }
  std::string SetHash(uint64_t power0) {
    std::vector<types::Validator> vals;
    for (int i = 0; i < kNodes; ++i) {
      auto key = HexDecode32(NodeKey(i));
      EXPECT_TRUE(key.ok()) << NodeKey(i);
      types::Validator v;
      if (key.ok()) v.public_key = key.value();
      v.power = i == 0 ? power0 : 1;
      vals.push_back(v);
    }
    auto set = types::ValidatorSet::Create(vals);
    EXPECT_TRUE(set.ok());
    return HexEncode(set.value().Hash());
  }
  // The power change decided at height `decided` rules from decided + 2 on every node,
  // and the chain goes on under it.
  void ExpectNewValidatorSet(uint64_t decided) {
    const uint64_t from = decided + 2;
    for (int i = 0; i < kNodes; ++i) ASSERT_TRUE(WaitHeight(i, from + 6)) << "node " << i;
    const std::string before = SetHash(1);
    const std::string after = SetHash(2);
    for (int i = 0; i < kNodes; ++i) {
      EXPECT_EQ(ValidatorsHashOn(i, from - 1), before) << "node " << i << " height " << from - 1;
      EXPECT_EQ(ValidatorsHashOn(i, from), after) << "node " << i << " height " << from;
      EXPECT_EQ(ValidatorsHashOn(i, from + 6), after) << "node " << i << " height " << from + 6;
    }
    ExpectSameChain({0, 1, 2, 3}, from - 1, from + 6);
  }

  Json whale_nullifier_;
  std::string att2_;  // the second attester's public key (hex)
  std::mutex claims_mu_;
  std::vector<Claim> claims_;
};

TEST_F(GovTestnetE2eTest, CitizensOutvoteWhaleAndBallotsChangeParamsAttestersValidators) {
  ASSERT_NO_FATAL_FAILURE(ImportKeys());
  ASSERT_NO_FATAL_FAILURE(SpreadWhale());
  ASSERT_NO_FATAL_FAILURE(EnrolEveryone());
  ASSERT_NO_FATAL_FAILURE(RefusedProposals());
  const Proposals p = ProposeInOneRound();
  ASSERT_FALSE(HasFailure()) << "the proposals were not submitted in one round";
  Progress("proposals submitted");

  // Round R + 1: the votes, then a first claim each (the old amount).
  const Json voting = WaitRound(p.round + 1);
  ASSERT_EQ(voting["round"].get<uint64_t>(), p.round + 1) << "the voting round passed by";
  ASSERT_NO_FATAL_FAILURE(ForgedBallotRefused(p, voting["round_start_epoch"].get<uint64_t>()));
  ASSERT_NO_FATAL_FAILURE(WhaleVotes(p, voting["voice_credits"].get<uint64_t>()));
  ASSERT_NO_FATAL_FAILURE(CitizensVote(p));
  Progress("ballots committed");
  ForAll(kCitizens, kParallel, [&](int i) { ClaimNow(i, Citizen(i), PayTo(i)); });

  // Round R + 2: the outcome on every node.
  // Citizen 0 claims at once, likely still in the epoch of the decision (the old amount).
  const Json decided = WaitRound(p.round + 2);
  const uint64_t decided_epoch = decided["round_start_epoch"].get<uint64_t>();
  ClaimNow(0, Citizen(0), PayTo(0));
  ExpectTallyEverywhere(p.whale, 6 - 5 * kCitizens, kCitizens + 1, "rejected");
  ExpectTallyEverywhere(p.ubi, -8 + 5 * kCitizens, kCitizens + 1, "executed");
  ExpectTallyEverywhere(p.attester, 5 * kCitizens, kCitizens, "executed");
  ExpectTallyEverywhere(p.power, 5 * kCitizens, kCitizens, "executed");
  EXPECT_EQ(GovStatus(1)["params"]["proposal_deposit"], 100'000'000)
      << "the whale's deposit passed";

  // The accredited attester registers a newcomer; a proposal to remove it follows.
  Enrol(1, "newcomer", "passport:FRA:NEWCOMER", "att2");
  EXPECT_EQ(MustJson(2, {"identity", "show", "newcomer"})["status"], "live");
  const Json removal = Propose(0, "v1", {"remove-attester", "--attester", att2_});
  ASSERT_EQ(removal["round"].get<uint64_t>(), p.round + 2);
  Progress("removal proposed");

  // The UBI raise: from the epoch after the decision on, claims pay the new amount.
  ASSERT_NO_FATAL_FAILURE(WaitEpoch(decided_epoch + 1));
  ForAll(kCitizens, kParallel, [&](int i) { ClaimNow(i, Citizen(i), PayTo(i)); });
  int paid_new = 0;
  for (const Claim& c : claims_) {
    const bool raised = c.height / kEpochBlocks > decided_epoch;
    EXPECT_EQ(c.amount, raised ? kNewUbi : kOldUbi) << "claim at height " << c.height;
    paid_new += raised ? 1 : 0;
  }
  EXPECT_GE(paid_new, kCitizens);

  // The validator set decided at the round's first block rules two blocks later.
  ASSERT_NO_FATAL_FAILURE(ExpectNewValidatorSet(decided_epoch * kEpochBlocks));

  // Round R + 3: the citizens and the newcomer remove the attester.
  const std::string remove_id = removal["id"].get<std::string>();
  ASSERT_EQ(WaitRound(p.round + 3)["round"].get<uint64_t>(), p.round + 3);
  ForAll(kCitizens + 1, kParallel, [&](int i) {
    MustVote(i % kNodes, i == kCitizens ? "newcomer" : Citizen(i), p.round + 3, {{remove_id, 10}});
  });
  ExpectTallyEverywhere(remove_id, 10 * (kCitizens + 1), kCitizens + 1, "voting");
  Progress("removal ballots committed");

  // Round R + 4: the removed attester's registration is refused; the dev attester's is not.
  WaitRound(p.round + 4);
  ExpectTallyEverywhere(remove_id, 10 * (kCitizens + 1), kCitizens + 1, "executed");
  Json late = MustJson(2, {"identity", "new", "late"});
  // The validators no longer evaluate for it, so it cannot even make the attestation.
  CliRun refused = Hito(2, {"attester", "attest", "--attester", "att2", "--identity",
                            late["identity"].get<std::string>(), "--handle", "passport:FRA:LATE",
                            "--expires-in", "200", "--validators", Validators()});
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_NE(refused.err.find("DEDUP_NOT_ACCREDITED"), std::string::npos) << refused.err;
  EXPECT_EQ(MustJson(3, {"identity", "show", "late"})["status"], "unregistered");
  Enrol(3, "late-dev", "passport:FRA:LATE");
  const uint64_t h = Height(0);
  for (int i = 0; i < kNodes; ++i) ASSERT_TRUE(WaitHeight(i, h)) << "node " << i;
  ExpectSameChain({0, 1, 2, 3}, h - 2, h);
}

}  // namespace
}  // namespace hito::e2e
