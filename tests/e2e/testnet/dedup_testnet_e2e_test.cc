// Dedup tags from the validators, on the 4-validator testnet (`hitod testnet --attesters
// 2`: a 3-of-4 dealt key, two accredited attesters) through the real `hito` CLI: two
// different attesters attest the same person under two spellings of one passport handle
// and get one tag, so the second attester's registration of the person's new key replaces
// the identity the first attester issued (one live identity, and the registration's
// result, `hito tx`, names the replaced identity and both attesters); the person is paid
// at most once per epoch across both identities. `attester status` reports each
// validator's count. With one validator stopped attestations still work (3 of 4 answer);
// with two stopped they fail with an error saying how many answered. Label slow: it waits
// for real epochs.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/e2e/testnet_fixture.h"

namespace hito::e2e {
namespace {

class DedupTestnetE2eTest : public TestnetE2eTest {
 protected:
  std::string TestnetExtraArgs() const override { return " --attesters 2"; }

  Json MustJson(int node, std::vector<std::string> args) {
    CliRun r = Hito(node, args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << " " << (args.size() > 1 ? args[1] : "") << ": "
                              << r.err;
    Json j = Json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }

  CliRun Attest(int via, const std::string& attester, const std::string& point,
                const std::string& handle) {
    return Hito(via, {"attester", "attest", "--attester", attester, "--identity", point, "--handle",
                      handle, "--expires-in", "200", "--validators", Validators(), "--timeout-ms",
                      "1000", "--attempts", "2"});
  }

  // identity new NAME + attest + register through node `via`; the attestation JSON.
  Json Enrol(int via, const std::string& name, const std::string& attester,
             const std::string& handle) {
    Json id = MustJson(via, {"identity", "new", name});
    CliRun att = Attest(via, attester, id["identity"].get<std::string>(), handle);
    EXPECT_EQ(att.exit_code, 0) << att.err;
    const std::string file = wallet_->path() + "/" + name + ".attestation.json";
    WriteText(file, att.out);
    MustJson(via, {"identity", "register", name, "--attestation", file});
    return Json::parse(att.out, nullptr, false);
  }

  uint64_t Epoch(const std::string& name) {
    return MustJson(0, {"ubi", "status", name})["epoch"].get<uint64_t>();
  }

  // The epochs `ubi claim` paid to `name` (none when it is refused).
  std::set<uint64_t> Claim(const std::string& name) {
    CliRun r = Hito(0, {"ubi", "claim", name, "--to", "sink"});
    std::set<uint64_t> epochs;
    if (r.exit_code != 0) return epochs;
    Json paid = Json::parse(r.out, nullptr, false);
    if (!paid.is_array()) return epochs;
    for (const Json& c : paid) epochs.insert(c["epoch"].get<uint64_t>());
    return epochs;
  }
};

TEST_F(DedupTestnetE2eTest, OneHandleOneIdentityAcrossAttestersAndValidatorOutages) {
  MustJson(0, {"attester", "import", "att1", "--seed-file", out_ + "/attester.key"});
  MustJson(0, {"attester", "import", "att2", "--seed-file", out_ + "/attester2.key"});
  MustJson(0, {"keys", "new", "sink"});

  // 1. Two attesters, two spellings of one passport: one tag. att2's registration of the
  // person's new key replaces the identity att1 issued: one live identity, with the
  // replacement on record against att2.
  Json a1 = Enrol(0, "first", "att1", "passport:FRA:12AB34567");
  const uint64_t first_index = MustJson(0, {"identity", "show", "first"})["index"].get<uint64_t>();
  Json id2 = MustJson(1, {"identity", "new", "second"});
  const std::string point2 = id2["identity"].get<std::string>();
  CliRun att2 = Attest(1, "att2", point2, "Passport:fra:12ab 345-67");
  ASSERT_EQ(att2.exit_code, 0) << att2.err;
  Json a2 = Json::parse(att2.out, nullptr, false);
  ASSERT_TRUE(a1.is_object() && a2.is_object());
  EXPECT_NE(a1["attester"], a2["attester"]);
  EXPECT_EQ(a1["dedup_tag"], a2["dedup_tag"]);
  const std::string file2 = wallet_->path() + "/second.att2.json";
  WriteText(file2, att2.out);
  Json reg2 = MustJson(1, {"identity", "register", "second", "--attestation", file2});
  EXPECT_EQ(MustJson(2, {"identity", "show", "first"})["status"], "replaced");
  Json second = MustJson(2, {"identity", "show", "second"});
  EXPECT_EQ(second["status"], "live");
  EXPECT_EQ(second["attester"], a2["attester"]);
  Json tx2 = MustJson(1, {"tx", reg2["tx_hash"].get<std::string>()});
  EXPECT_EQ(tx2["result"], "OK");
  const std::string why = tx2["result_message"].get<std::string>();
  EXPECT_NE(why.find("replaced identity " + std::to_string(first_index) + " of attester " +
                     a1["attester"].get<std::string>()),
            std::string::npos)
      << why;
  EXPECT_NE(why.find("attested by " + a2["attester"].get<std::string>()), std::string::npos) << why;
  // Another document gives another tag.
  Json other = Enrol(2, "third", "att1", "passport:FRA:12AB34568");
  EXPECT_NE(other["dedup_tag"], a1["dedup_tag"]);

  // 2. One claim per epoch for this person: the two identities are never paid for one epoch.
  const uint64_t first_claim = second["first_claim_epoch"].get<uint64_t>();
  for (int i = 0; i < 600 && Epoch("second") < first_claim + 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_GE(Epoch("second"), first_claim + 1);
  const std::set<uint64_t> paid_second = Claim("second");
  const std::set<uint64_t> paid_first = Claim("first");
  EXPECT_FALSE(paid_second.empty());
  for (uint64_t e : paid_first) {
    EXPECT_EQ(paid_second.count(e), 0u) << "epoch " << e << " paid to both identities";
    EXPECT_LT(e, first_claim) << "the replaced identity was paid after its replacement";
  }

  // 3. Each validator counts att1's evaluations of the current epoch (counts restart at
  // each epoch, so an evaluation and the status are retried if an epoch ends between).
  bool all_counted = false;
  for (int attempt = 0; attempt < 3 && !all_counted; ++attempt) {
    ASSERT_EQ(Attest(0, "att1", point2, "passport:FRA:12AB34569").exit_code, 0);
    Json status =
        MustJson(0, {"attester", "status", "--attester", "att1", "--validators", Validators()});
    ASSERT_EQ(status["validators"].size(), static_cast<size_t>(kNodes));
    all_counted = true;
    for (const Json& v : status["validators"]) {
      EXPECT_FALSE(v.contains("error")) << v.dump();
      EXPECT_EQ(v["quota_per_epoch"], 10000);
      if (v.value("evaluations", 0u) < 1u) all_counted = false;
    }
  }
  EXPECT_TRUE(all_counted) << "a validator did not count att1's evaluation";

  // 4. One validator stopped: 3 of 4 still answer.
  node(3).Kill9();
  Json id4 = MustJson(0, {"identity", "new", "fourth"});
  CliRun ok = Attest(0, "att1", id4["identity"].get<std::string>(), "passport:DEU:C01X00T47");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.err.find(node(3).address() + " did not answer"), std::string::npos) << ok.err;

  // 5. Two stopped: 2 of 4 answer, 3 needed; a clear error.
  node(2).Kill9();
  CliRun short_of_t =
      Attest(0, "att1", id4["identity"].get<std::string>(), "passport:DEU:C01X00T47");
  EXPECT_EQ(short_of_t.exit_code, 1) << short_of_t.err;
  EXPECT_NE(short_of_t.err.find("2 of 4 validators answered, 3 valid shares needed"),
            std::string::npos)
      << short_of_t.err;
}

}  // namespace
}  // namespace hito::e2e
