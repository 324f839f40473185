// End to end through the real `hito` binary: a real `hitod dev` on a free loopback port,
// the dev key imported from dev.key, then status / keys / balance / send (waiting and
// --no-wait) / tx / block, each with --json parsed and checked against the others; and
// the failure contract: one "error: ..." line on stderr naming the node's reason code,
// exit 1 for refusals and network errors, exit 2 for usage errors.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/e2e/dev_node_fixture.h"
#include "tests/support/e2e/e2e_util.h"

namespace hito::e2e {
namespace {

using Json = nlohmann::json;

class CliE2eTest : public DevNodeFixture {
 protected:
  static void SetUpTestSuite() {
    StartDevNode("hito_e2e_cli", std::chrono::seconds(60));
    if (HasFatalFailure()) return;
    CliRun r = Hito({"keys", "import", "dev", "--seed-file", node_->dev_key_path()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  static std::string NewKey(const std::string& name) {
    Json j = HitoJson({"keys", "new", name});
    EXPECT_EQ(j["name"], name);
    return j["address"].get<std::string>();
  }
};

TEST_F(CliE2eTest, StatusReportsTheChain) {
  Json s = HitoJson({"status"});
  EXPECT_FALSE(s["chain_id"].get<std::string>().empty());
  EXPECT_TRUE(s["height"].is_number_unsigned());
  EXPECT_EQ(s["state_root"].get<std::string>().size(), 64u);
  EXPECT_EQ(s["syncing"], false);
  if (s["height"].get<uint64_t>() > 0) {
    EXPECT_EQ(s["block_hash"].get<std::string>().size(), 64u);
  }
}

TEST_F(CliE2eTest, KeysShowListAndDuplicates) {
  Json dev = HitoJson({"keys", "show", "dev"});
  EXPECT_EQ(dev["name"], "dev");
  EXPECT_EQ(dev["address"].get<std::string>().rfind("hito1", 0), 0u);
  std::string carol = NewKey("carol");
  Json list = HitoJson({"keys", "list"});
  bool found = false;
  for (const auto& k : list["keys"]) found |= (k["name"] == "carol" && k["address"] == carol);
  EXPECT_TRUE(found) << list.dump();
  CliRun dup = Hito({"keys", "new", "carol"});
  EXPECT_EQ(dup.exit_code, 1);
  ExpectOneErrorLine(dup);
  CliRun bad = Hito({"keys", "new", "../evil"});
  EXPECT_EQ(bad.exit_code, 2);
  ExpectOneErrorLine(bad);
  CliRun exp = Hito({"keys", "export", "carol"});
  EXPECT_EQ(exp.exit_code, 2);
  ExpectOneErrorLine(exp);
}

TEST_F(CliE2eTest, ImportRejectsBadSeedFiles) {
  const std::string dir = wallet_home_->path();
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"short.key", std::string(62, 'a') + "\n"},
      {"long.key", std::string(66, 'a') + "\n"},
      {"nothex.key", std::string(63, 'a') + "g\n"},
      {"empty.key", ""}};
  for (const auto& [file, text] : bad) {
    std::FILE* f = std::fopen((dir + "/" + file).c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(text.c_str(), f);
    std::fclose(f);
    CliRun r = Hito({"keys", "import", "bad", "--seed-file", dir + "/" + file});
    EXPECT_EQ(r.exit_code, 1) << file << ": " << r.err;
    ExpectOneErrorLine(r);
    EXPECT_NE(r.err.find("seed file"), std::string::npos) << r.err;
  }
  CliRun missing = Hito({"keys", "import", "bad", "--seed-file", dir + "/no-such-file"});
  EXPECT_EQ(missing.exit_code, 1);
  ExpectOneErrorLine(missing);
  // Nothing was written.
  CliRun show = Hito({"keys", "show", "bad"});
  EXPECT_EQ(show.exit_code, 1);
}

TEST_F(CliE2eTest, SendWaitsForCommitAndEverythingAgrees) {
  std::string bob = NewKey("bob");
  Json dev0 = HitoJson({"balance", "dev"});
  uint64_t dev_balance = dev0["balance"].get<uint64_t>();
  uint64_t dev_nonce = dev0["nonce"].get<uint64_t>();
  ASSERT_GT(dev_balance, 1'000'000u);

  Json sent = HitoJson({"send", "--from", "dev", "--to", bob, "--amount", "250000", "--fee", "1000",
                        "--memo", "e2e"});
  ASSERT_TRUE(sent["height"].is_number_unsigned()) << sent.dump();
  std::string hash = sent["tx_hash"].get<std::string>();
  uint64_t height = sent["height"].get<uint64_t>();
  EXPECT_EQ(hash.size(), 64u);

  Json bal_bob = HitoJson({"balance", bob});
  EXPECT_EQ(bal_bob["address"], bob);
  EXPECT_EQ(bal_bob["balance"].get<uint64_t>(), 250'000u);
  EXPECT_EQ(bal_bob["nonce"].get<uint64_t>(), 0u);
  Json dev1 = HitoJson({"balance", "dev"});
  EXPECT_EQ(dev1["balance"].get<uint64_t>(), dev_balance - 250'000 - 1000);
  EXPECT_EQ(dev1["nonce"].get<uint64_t>(), dev_nonce + 1);

  Json tx = HitoJson({"tx", hash});
  EXPECT_EQ(tx["tx_hash"], hash);
  EXPECT_EQ(tx["status"], "committed");
  EXPECT_EQ(tx["height"].get<uint64_t>(), height);
  EXPECT_EQ(tx["result"], "OK");
  EXPECT_EQ(tx["to"], bob);
  EXPECT_EQ(tx["from"], HitoJson({"keys", "show", "dev"})["address"]);
  EXPECT_EQ(tx["amount"].get<uint64_t>(), 250'000u);
  EXPECT_EQ(tx["fee"].get<uint64_t>(), 1000u);
  EXPECT_EQ(tx["nonce"].get<uint64_t>(), dev_nonce);

  Json block = HitoJson({"block", std::to_string(height)});
  EXPECT_EQ(block["height"].get<uint64_t>(), height);
  EXPECT_EQ(block["hash"].get<std::string>().size(), 64u);
  EXPECT_GE(block["tx_count"].get<uint64_t>(), 1u);
  EXPECT_EQ(block["proposer"].get<std::string>().rfind("hito1", 0), 0u);
  EXPECT_TRUE(block["time"].is_string());
  bool included = false;
  for (const auto& h : block["tx_hashes"]) included |= (h == hash);
  EXPECT_TRUE(included) << block.dump();

  Json latest = HitoJson({"block", "latest"});
  EXPECT_GE(latest["height"].get<uint64_t>(), height);
}

TEST_F(CliE2eTest, SendNoWaitReturnsAtAdmission) {
  std::string dave = NewKey("dave");
  Json sent = HitoJson({"send", "--from", "dev", "--to", "dave", "--amount", "777", "--no-wait"});
  std::string hash = sent["tx_hash"].get<std::string>();
  EXPECT_TRUE(sent["height"].is_null()) << sent.dump();
  // Poll until committed, bounded.
  Json tx;
  for (int i = 0; i < 100; ++i) {
    tx = HitoJson({"tx", hash});
    if (tx["status"] == "committed") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(tx["status"], "committed") << tx.dump();
  EXPECT_EQ(HitoJson({"balance", dave})["balance"].get<uint64_t>(), 777u);
}

TEST_F(CliE2eTest, RefusalsPrintTheReasonAndExitOne) {
  std::string erin = NewKey("erin");
  // Erin has nothing: any transfer is refused for funds.
  CliRun poor = Hito({"send", "--from", "erin", "--to", "dev", "--amount", "5"});
  EXPECT_EQ(poor.exit_code, 1);
  ExpectOneErrorLine(poor);
  EXPECT_NE(poor.err.find("TX_INSUFFICIENT_FUNDS"), std::string::npos) << poor.err;

  CliRun fee = Hito({"send", "--from", "dev", "--to", erin, "--amount", "5", "--fee", "0"});
  EXPECT_EQ(fee.exit_code, 1);
  ExpectOneErrorLine(fee);
  EXPECT_NE(fee.err.find("TX_FEE_TOO_LOW"), std::string::npos) << fee.err;

  CliRun missing = Hito({"tx", std::string(64, 'a')});
  EXPECT_EQ(missing.exit_code, 1);
  ExpectOneErrorLine(missing);
  EXPECT_NE(missing.err.find("TX_NOT_FOUND"), std::string::npos) << missing.err;

  CliRun no_block = Hito({"block", "999999999"});
  EXPECT_EQ(no_block.exit_code, 1);
  ExpectOneErrorLine(no_block);
  EXPECT_NE(no_block.err.find("NOT_FOUND"), std::string::npos) << no_block.err;
}

TEST_F(CliE2eTest, UsageErrorsExitTwo) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"balance", "hito1notanaddress"},
           {"balance", "no-such-key"},
           {"send", "--from", "dev", "--to", "dev", "--amount", "-5"},
           {"send", "--from", "dev", "--to", "dev", "--amount", "1.5"},
           {"send", "--from", "dev", "--amount", "5"},
           {"tx", "xyz"},
           {"block", "minus-one"},
           {"frobnicate"},
           {"status", "--no-such-flag"}}) {
    CliRun r = Hito(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.err;
    ExpectOneErrorLine(r);
  }
}

TEST_F(CliE2eTest, WrongPassphraseRefused) {
  CliRun r = RunHito({"send", "--from", "dev", "--to", "dev", "--amount", "1", "--node",
                      node_->address(), "--home", wallet_home_->path()},
                     {{"HITO_PASSPHRASE", "wrong"}, {"HITO_KEYSTORE_INSECURE_FAST_KDF", "1"}});
  EXPECT_EQ(r.exit_code, 1);
  ExpectOneErrorLine(r);
  EXPECT_NE(r.err.find("wrong passphrase"), std::string::npos) << r.err;
}

TEST_F(CliE2eTest, WeakKeyFileRefusedWithoutTheSwitch) {
  // Keys in this wallet were written with the test KDF; without the switch they do not open.
  CliRun r =
      RunHito({"keys", "export", "dev", "--unsafe-print-seed", "--home", wallet_home_->path()},
              {{"HITO_PASSPHRASE", "e2e passphrase"}, {"HITO_KEYSTORE_INSECURE_FAST_KDF", ""}});
  EXPECT_EQ(r.exit_code, 1);
  ExpectOneErrorLine(r);
  EXPECT_NE(r.err.find("HITO_KEYSTORE_INSECURE_FAST_KDF"), std::string::npos) << r.err;
  // With it, export prints the seed that dev.key holds.
  Json j = HitoJson({"keys", "export", "dev", "--unsafe-print-seed"});
  std::string dev_key = ReadFileOrEmpty(node_->dev_key_path());
  EXPECT_NE(dev_key.find(j["seed"].get<std::string>()), std::string::npos);
}

TEST(CliE2eNoNode, UnreachableNodeIsOneLineExitOne) {
  TempDir home("hito_e2e_nonode");
  CliRun r = RunHito({"status", "--node", "127.0.0.1:" + std::to_string(FreeLoopbackPort()),
                      "--home", home.path()},
                     {});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("UNAVAILABLE"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace hito::e2e
