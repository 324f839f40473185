// End to end through the real `hito` binary, governance: a real `hitod dev` (governance
// enabled, rounds of 4 epochs of 8 blocks, 100 voice credits, 10% quorum). The dev account
// proposes a parameter change (ubi_per_epoch) and two texts; `gov list` and `gov show`
// read them back; once their voting round opens, an identity registered beforehand votes
// (the proof's progress on stderr, stdout only JSON), votes again with fewer entries and
// the tallies are replaced exactly; after the round closes `gov tally` shows the change
// executed, a text rejected and one without quorum, and a claim made after the change
// credits the new ubi_per_epoch. Refusals on the way: unknown parameter names, bad and
// duplicate IDs, votes of the wrong round, over the budget, for missing proposals, by
// identities outside the round's snapshot or unregistered, and malformed proposal flags,
// each with its exit code and a clear message. A second node, made by plain `hitod init`
// (no attesters, so no governance), answers GOVERNANCE_DISABLED.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/e2e/e2e_util.h"

namespace hito::e2e {
namespace {

using Json = nlohmann::json;

class GovCliE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    node_home_ = new TempDir("hito_e2e_gov_node");
    wallet_home_ = new TempDir("hito_e2e_gov_wallet");
    node_ = new NodeProcess(node_home_->path(), FreeLoopbackPort());
    Status s = node_->Start("dev");
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  static void TearDownTestSuite() {
    delete node_;
    delete node_home_;
    delete wallet_home_;
  }

  static CliRun Hito(std::vector<std::string> args) {
    args.insert(args.end(), {"--node", node_->address(), "--home", wallet_home_->path(), "--json"});
    return RunHito(
        args, {{"HITO_PASSPHRASE", "e2e passphrase"}, {"HITO_KEYSTORE_INSECURE_FAST_KDF", "1"}},
        std::chrono::seconds(120));
  }
  static Json HitoJson(std::vector<std::string> args) {
    CliRun r = Hito(args);
    EXPECT_EQ(r.exit_code, 0) << "hito " << args[0] << " " << args[1] << ": " << r.err;
    Json j = Json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }
  // Exit code as given, one "error: " line holding `what` (if any), nothing on stdout.
  static void ExpectRefused(const CliRun& r, int exit_code, const std::string& what = "") {
    EXPECT_EQ(r.exit_code, exit_code) << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    if (!what.empty()) EXPECT_NE(r.err.find(what), std::string::npos) << r.err;
  }
  static std::string WriteFile(const std::string& name, const std::string& text) {
    std::string path = wallet_home_->path() + "/" + name;
    std::FILE* f = std::fopen(path.c_str(), "w");
    EXPECT_NE(f, nullptr);
    std::fputs(text.c_str(), f);
    std::fclose(f);
    return path;
  }
  // Polls `gov status` until `field` reaches `value` (bounded: about 3 minutes).
  static Json WaitFor(const std::string& field, uint64_t value) {
    Json st;
    for (int i = 0; i < 360; ++i) {
      st = HitoJson({"gov", "status"});
      if (st.contains(field) && st[field].get<uint64_t>() >= value) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return st;
  }
  static Json Tally(const std::string& id) { return HitoJson({"gov", "tally", id}); }
  // A new identity `name`, attested by the dev attester and registered.
  static void RegisterIdentity(const std::string& name) {
    const std::string point = HitoJson({"identity", "new", name})["identity"].get<std::string>();
    CliRun att = Hito({"attester", "attest", "--attester", "att", "--identity", point, "--handle",
                       "passport:FRA:" + name + "-gov", "--expires-in", "1000"});
    EXPECT_EQ(att.exit_code, 0) << att.err;
    const std::string file = WriteFile(name + ".json", att.out);
    HitoJson({"identity", "register", name, "--attestation", file});
  }
  // The dev account's key, a recipient, the dev attester and identity alice.
  static void RegisterAccountsAndIdentity() {
    HitoJson({"keys", "import", "dev", "--seed-file", node_->dev_key_path()});
    HitoJson({"keys", "new", "bob"});
    HitoJson({"attester", "import", "att", "--seed-file", node_->home() + "/attester.key"});
    RegisterIdentity("alice");
  }

  static TempDir* node_home_;
  static TempDir* wallet_home_;
  static NodeProcess* node_;
};

TempDir* GovCliE2eTest::node_home_ = nullptr;
TempDir* GovCliE2eTest::wallet_home_ = nullptr;
NodeProcess* GovCliE2eTest::node_ = nullptr;

TEST_F(GovCliE2eTest, ProposeVoteRevoteTallyAndExecute) {
  RegisterAccountsAndIdentity();
  // The three proposals must land in one round: start them with half a round ahead.
  Json st = HitoJson({"gov", "status"});
  if (st["next_round_height"].get<uint64_t>() - st["height"].get<uint64_t>() < 16) {
    st = WaitFor("round", st["round"].get<uint64_t>() + 1);
  }
  EXPECT_EQ(st["voice_credits"], 100);
  EXPECT_EQ(st["params"]["voice_credits"], 100);
  const uint64_t deposit = st["params"]["proposal_deposit"].get<uint64_t>();
  const uint64_t before = HitoJson({"balance", "dev"})["balance"].get<uint64_t>();

  Json param = HitoJson({"gov", "propose", "param", "--from", "dev", "--name", "ubi_per_epoch",
                         "--value", "7000000"});
  const uint64_t p = param["round"].get<uint64_t>();
  EXPECT_EQ(param["id"], std::to_string(p) + "." + std::to_string(param["index"].get<int>()));
  EXPECT_EQ(param["votes_in_round"], p + 1);
  EXPECT_EQ(param["tx"].get<std::string>().size(), 64u);
  Json text1 = HitoJson({"gov", "propose", "text", "--from", "dev", "--text", "plant trees"});
  Json text2 = HitoJson({"gov", "propose", "text", "--from", "dev", "--text", "paint it red"});
  ASSERT_EQ(text1["round"], p);
  ASSERT_EQ(text2["round"], p);
  const std::string a = param["id"].get<std::string>();
  const std::string b = text1["id"].get<std::string>();
  const std::string c = text2["id"].get<std::string>();
  EXPECT_EQ(HitoJson({"balance", "dev"})["balance"].get<uint64_t>(),
            before - 3 * deposit - 3 * 1000);

  Json list = HitoJson({"gov", "list", "--round", std::to_string(p)});
  ASSERT_TRUE(list.is_array());
  ASSERT_EQ(list.size(), 3u) << list.dump();
  EXPECT_EQ(list[0]["id"], a);
  EXPECT_EQ(list[0]["action_name"], "param");
  EXPECT_EQ(list[0]["action"]["param"], "ubi_per_epoch");
  EXPECT_EQ(list[0]["deposit"], deposit);
  EXPECT_EQ(list[1]["action"]["text"], "plant trees");
  Json show = HitoJson({"gov", "show", a});
  EXPECT_EQ(show["action"]["value"], 7000000);
  EXPECT_EQ(show["status"], "submitted");
  CliRun text_show = RunHito({"gov", "show", a, "--node", node_->address()}, {});
  EXPECT_EQ(text_show.exit_code, 0) << text_show.err;
  EXPECT_NE(text_show.out.find("set ubi_per_epoch to 7000000"), std::string::npos) << text_show.out;

  st = WaitFor("round", p + 1);
  ASSERT_EQ(st["round"], p + 1) << st.dump();
  EXPECT_EQ(st["live"], 1);
  const std::string r = std::to_string(p + 1);
  // Refused before proving: the wrong round, over budget by one, a missing proposal.
  ExpectRefused(Hito({"gov", "vote", "alice", "--round", std::to_string(p + 7), "0=+1"}), 1,
                "the open round is " + r);
  ExpectRefused(Hito({"gov", "vote", "alice", "--round", std::to_string(p + 7), a + "=+1"}), 2,
                "is not voted in round " + std::to_string(p + 7));
  ExpectRefused(Hito({"gov", "vote", "alice", "--round", r, a + "=+10", b + "=+1"}), 1,
                "TX_BALLOT_OVER_BUDGET");
  ExpectRefused(Hito({"gov", "vote", "alice", "--round", r, std::to_string(p) + ".9=+1"}), 1,
                "TX_BALLOT_INVALID");
  ExpectRefused(Hito({"gov", "vote", "alice", "--round", r, a + "=+1", "0=+2"}), 2, "twice");
  ExpectRefused(Hito({"gov", "vote", "alice", "--round", r, "x.0=+1"}), 2, "proposal ID");
  ExpectRefused(Hito({"gov", "vote", "alice", "--round", r, r + ".0=+1"}), 2, "not voted in");
  // Identities outside the round's snapshot: registered after it froze, never registered.
  RegisterIdentity("carol");
  ExpectRefused(Hito({"gov", "vote", "carol", "--round", r, "0=+1"}), 1, "TX_NO_SNAPSHOT");
  HitoJson({"identity", "new", "dave"});
  ExpectRefused(Hito({"gov", "vote", "dave", "--round", r, "0=+1"}), 1, "IDENTITY_NOT_FOUND");
  ExpectRefused(Hito({"gov", "vote", "nobody", "--round", r, "0=+1"}), 1);

  // Exactly the budget: 36 + 64 + 0.
  CliRun vote = Hito({"gov", "vote", "alice", "--round", r, a + "=+6", b + "=-8", c + "=0"});
  ASSERT_EQ(vote.exit_code, 0) << vote.err;
  EXPECT_NE(vote.err.find("proving the ballot for round " + r), std::string::npos) << vote.err;
  Json v1 = Json::parse(vote.out);
  EXPECT_EQ(v1["round"], p + 1);
  EXPECT_EQ(v1["nullifier"].get<std::string>().size(), 64u);
  ASSERT_EQ(v1["entries"].size(), 3u);
  EXPECT_EQ(v1["entries"][1]["id"], b);
  EXPECT_EQ(v1["entries"][1]["vote"], -8);
  EXPECT_EQ(Tally(a)["tally"], 6);
  EXPECT_EQ(Tally(b)["tally"], -8);
  EXPECT_EQ(Tally(c)["ballots"], 1);  // an abstention counts towards turnout
  EXPECT_EQ(Tally(a)["status"], "voting");
  EXPECT_EQ(Tally(a)["live"], 1);

  // Again with fewer entries: the earlier ballot is taken off every proposal it touched.
  Json v2 = HitoJson({"gov", "vote", "alice", "--round", r, a + "=+5", b + "=-5"});
  EXPECT_EQ(v2["nullifier"], v1["nullifier"]);
  Json ta = Tally(a), tb = Tally(b), tc = Tally(c);
  EXPECT_EQ(ta["tally"], 5);
  EXPECT_EQ(ta["ballots"], 1);
  EXPECT_EQ(tb["tally"], -5);
  EXPECT_EQ(tb["ballots"], 1);
  EXPECT_EQ(tc["tally"], 0);
  EXPECT_EQ(tc["ballots"], 0);
  EXPECT_EQ(ta["quorum_reached"], true);
  EXPECT_EQ(tc["quorum_reached"], false);
  Json voting = HitoJson({"gov", "list"});  // default: voted now and new
  ASSERT_GE(voting.size(), 3u);
  EXPECT_EQ(voting[0]["id"], a);
  EXPECT_EQ(voting[0]["status"], "voting");

  st = WaitFor("round", p + 2);
  ASSERT_EQ(st["round"], p + 2) << st.dump();
  ta = Tally(a), tb = Tally(b), tc = Tally(c);
  EXPECT_EQ(ta["status"], "executed") << ta.dump();
  EXPECT_EQ(ta["passed"], true);
  EXPECT_EQ(tb["status"], "rejected") << tb.dump();
  EXPECT_EQ(tb["passed"], false);
  EXPECT_EQ(tc["status"], "no-quorum") << tc.dump();
  EXPECT_EQ(tc["passed"], false);
  EXPECT_EQ(ta["tally"], 5);
  // Refunds for the two decided with quorum, the third deposit burned.
  EXPECT_EQ(HitoJson({"balance", "dev"})["balance"].get<uint64_t>(),
            before - 1 * deposit - 3 * 1000);

  // The change applies at the next epoch's first block; a claim from then on gets it.
  const uint64_t applied = st["round_start_epoch"].get<uint64_t>() + 1;
  st = WaitFor("epoch", applied);
  ASSERT_GE(st["epoch"].get<uint64_t>(), applied);
  CliRun claim = Hito({"ubi", "claim", "alice", "--to", "bob", "--epochs",
                       std::to_string(st["epoch"].get<uint64_t>())});
  ASSERT_EQ(claim.exit_code, 0) << claim.err;
  EXPECT_EQ(HitoJson({"balance", "bob"})["balance"], 7000000);
}

TEST_F(GovCliE2eTest, MalformedArgumentsRefused) {
  CliRun unknown =
      Hito({"gov", "propose", "param", "--from", "dev", "--name", "cohort_bits", "--value", "3"});
  ExpectRefused(unknown, 2, "unknown parameter 'cohort_bits'");
  EXPECT_NE(unknown.err.find("ubi_per_epoch"), std::string::npos) << unknown.err;
  ExpectRefused(Hito({"gov", "propose", "param", "--from", "dev", "--name", "voice_credits",
                      "--value", "-1"}),
                2, "--value");
  ExpectRefused(Hito({"gov", "propose", "add-validator", "--from", "dev", "--validator",
                      std::string(64, 'a'), "--power", "0"}),
                2, "--power");
  ExpectRefused(Hito({"gov", "propose", "add-attester", "--from", "dev", "--attester", "xyz"}), 2,
                "64 hex");
  ExpectRefused(Hito({"gov", "propose", "text", "--from", "dev", "--text", ""}), 2, "empty");
  ExpectRefused(Hito({"gov", "propose", "text", "--from", "dev", "--text", std::string(1025, 'a')}),
                2, "1024");
  ExpectRefused(Hito({"gov", "show", "3.x"}), 2, "ROUND.INDEX");
  ExpectRefused(Hito({"gov", "tally", "-1"}), 2);
  ExpectRefused(Hito({"gov", "show", "99999.0"}), 1, "PROPOSAL_NOT_FOUND");
  ExpectRefused(Hito({"gov", "list", "--round", "soon"}), 2, "--round");
  ExpectRefused(Hito({"gov", "vote", "alice", "--round", "1", "0=+1.5"}), 2, "vote");
  ExpectRefused(Hito({"gov", "vote", "alice", "--round", "1", "0=99999999999999999999"}), 2,
                "vote");
  ExpectRefused(Hito({"gov", "vote", "alice", "--round", "1"}), 2);  // no votes at all
}

// A chain made by plain `hitod init` has no attesters, hence no governance: every `gov`
// command fails with the node's GOVERNANCE_DISABLED, exit 1, one error line.
TEST(GovCliDisabledE2eTest, GovernanceDisabledIsAClearError) {
  TempDir dir("hito_e2e_gov_off");
  const int port = FreeLoopbackPort();
  const std::string init = std::string(HITOD_PATH) + " init --home " + dir.path() +
                           "/home --grpc-addr 127.0.0.1:" + std::to_string(port) +
                           " >/dev/null 2>&1";
  ASSERT_EQ(std::system(init.c_str()), 0) << init;
  NodeProcess node(dir.path(), port);
  Status s = node.Start("start");
  ASSERT_TRUE(s.ok()) << s.ToString() << node.LogTail();
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"gov", "status"}, {"gov", "list"}, {"gov", "show", "0.0"}, {"gov", "tally", "1.2"}}) {
    args.insert(args.end(), {"--node", node.address(), "--home", dir.path() + "/wallet"});
    CliRun r = RunHito(args, {});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find("GOVERNANCE_DISABLED"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("does not enable governance"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace hito::e2e
