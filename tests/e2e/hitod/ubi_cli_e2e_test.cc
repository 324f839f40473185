// End to end through the real `hito` binary, personhood and UBI: a real `hitod dev` whose
// genesis accredits the attester of `attester.key` (written beside dev.key). The attester
// key is imported, an identity created, attested, registered and shown; once its first
// claim epoch opens it claims (the account credited, stderr carrying the progress line and
// the small-set warning, stdout only JSON), `ubi status` reports the epoch claimed, a
// second claim finds nothing left, and the attester revokes it. Refusals on the way: a
// malformed or foreign attestation file (exit 2), a second registration and an
// unaccredited attester's attest (exit 1 with the reason code), a claim before the identity's first
// snapshot (TX_NO_SNAPSHOT), an explicit claim of a claimed epoch (TX_ALREADY_CLAIMED),
// a claim without a recipient, bad handles and points (exit 2).
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

class UbiCliE2eTest : public DevNodeFixture {
 protected:
  static void SetUpTestSuite() { StartDevNode("hito_e2e_ubi", std::chrono::seconds(120)); }

  static std::string Attest(const std::string& attester, const std::string& point,
                            const std::string& handle) {
    CliRun r = Hito({"attester", "attest", "--attester", attester, "--identity", point, "--handle",
                     handle, "--expires-in", "5"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  // Polls `ubi status` until the epoch reaches `epoch` (bounded).
  static Json WaitForEpoch(const std::string& name, uint64_t epoch) {
    Json st;
    for (int i = 0; i < 240; ++i) {
      st = HitoJson({"ubi", "status", name});
      if (st.contains("epoch") && st["epoch"].get<uint64_t>() >= epoch) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return st;
  }
};

TEST_F(UbiCliE2eTest, AttestRegisterClaimRevoke) {
  Json att =
      HitoJson({"attester", "import", "att", "--seed-file", node_->home() + "/attester.key"});
  ASSERT_EQ(att["public_key"].get<std::string>().size(), 64u);
  Json alice = HitoJson({"identity", "new", "alice"});
  ASSERT_EQ(alice["name"], "alice");
  const std::string point = alice["identity"].get<std::string>();
  ASSERT_EQ(point.size(), 64u);

  const std::string att_text = Attest("att", point, "passport:FRA:ALICE0001");
  Json a = Json::parse(att_text);
  EXPECT_EQ(a["identity"], point);
  EXPECT_EQ(a["attester"], att["public_key"]);
  EXPECT_EQ(a["dedup_tag"].get<std::string>().size(), 64u);
  EXPECT_EQ(att_text.find("ALICE0001"), std::string::npos);
  const std::string file = WriteFile("alice.attestation.json", att_text);

  // Malformed and foreign attestation files never reach the node.
  ExpectRefused(Hito({"identity", "register", "alice", "--attestation",
                      WriteFile("bad.json", "{\"bytes\": \"00\"}")}),
                2);
  HitoJson({"identity", "new", "carol"});
  ExpectRefused(Hito({"identity", "register", "carol", "--attestation", file}), 2);

  Json reg = HitoJson({"identity", "register", "alice", "--attestation", file});
  EXPECT_EQ(reg["tx_hash"].get<std::string>().size(), 64u);
  EXPECT_TRUE(reg["height"].is_number_unsigned());
  EXPECT_TRUE(reg["index"].is_number_unsigned());
  EXPECT_TRUE(reg["cohort"].is_number_unsigned());
  ExpectRefused(Hito({"identity", "register", "alice", "--attestation", file}), 1, "TX_");

  Json show = HitoJson({"identity", "show", "alice"});
  EXPECT_EQ(show["status"], "live");
  EXPECT_EQ(show["index"], reg["index"]);
  const uint64_t first = show["first_claim_epoch"].get<uint64_t>();
  EXPECT_EQ(first, show["registered_epoch"].get<uint64_t>() + 1);
  EXPECT_EQ(HitoJson({"identity", "show", "carol"})["status"], "unregistered");

  // Before its first snapshot the identity has nothing to claim.
  Json before = HitoJson({"ubi", "status", "alice"});
  if (before["epoch"].get<uint64_t>() < first) {
    ExpectRefused(Hito({"ubi", "claim", "alice", "--to", "dev-none", "--epochs",
                        std::to_string(before["epoch"].get<uint64_t>())}),
                  2);  // no such key: a usage error before anything else
    HitoJson({"keys", "new", "bob"});
    ExpectRefused(Hito({"ubi", "claim", "alice", "--to", "bob", "--epochs",
                        std::to_string(before["epoch"].get<uint64_t>())}),
                  1, "TX_NO_SNAPSHOT");
  } else {
    HitoJson({"keys", "new", "bob"});
  }
  ExpectRefused(Hito({"ubi", "claim", "alice"}), 2);  // no --to and no 'default' key

  Json st = WaitForEpoch("alice", first);
  ASSERT_GE(st["epoch"].get<uint64_t>(), first) << st.dump();
  CliRun claim = Hito({"ubi", "claim", "alice", "--to", "bob"});
  ASSERT_EQ(claim.exit_code, 0) << claim.err;
  Json claims = Json::parse(claim.out);
  ASSERT_TRUE(claims.is_array()) << claim.out;
  ASSERT_GE(claims.size(), 1u) << claim.out;
  EXPECT_NE(claim.err.find("proving the claim for epoch"), std::string::npos) << claim.err;
  EXPECT_NE(claim.err.find("warning:"), std::string::npos) << claim.err;  // one live member
  uint64_t total = 0;
  for (const auto& c : claims) {
    EXPECT_EQ(c["tx_hash"].get<std::string>().size(), 64u);
    total += c["amount"].get<uint64_t>();
  }
  EXPECT_EQ(HitoJson({"balance", "bob"})["balance"].get<uint64_t>(), total);

  Json after = HitoJson({"ubi", "status", "alice"});
  const uint64_t claimed_epoch = claims[0]["epoch"].get<uint64_t>();
  bool seen = false;
  for (const auto& e : after["epochs"]) {
    if (e["epoch"].get<uint64_t>() == claimed_epoch) seen = e["claimed"].get<bool>();
  }
  EXPECT_TRUE(seen) << after.dump();
  ExpectRefused(
      Hito({"ubi", "claim", "alice", "--to", "bob", "--epochs", std::to_string(claimed_epoch)}), 1,
      "TX_ALREADY_CLAIMED");

  Json rev = HitoJson({"attester", "revoke", "--attester", "att", "--identity", point});
  EXPECT_EQ(rev["tx_hash"].get<std::string>().size(), 64u);
  EXPECT_EQ(HitoJson({"identity", "show", "alice"})["status"], "revoked");
}

TEST_F(UbiCliE2eTest, UnaccreditedAttesterAndBadArgumentsRefused) {
  HitoJson({"attester", "new", "stranger"});
  Json dave = HitoJson({"identity", "new", "dave"});
  const std::string point = dave["identity"].get<std::string>();
  // The validators answer only accredited attesters: no tag, so no attestation. The
  // command reports each validator's answer on stderr as it goes, so the error is its
  // last line.
  CliRun stranger = Hito({"attester", "attest", "--attester", "stranger", "--identity", point,
                          "--handle", "passport:FRA:DAVE1", "--expires-in", "5"});
  EXPECT_EQ(stranger.exit_code, 1) << stranger.err;
  EXPECT_TRUE(stranger.out.empty()) << stranger.out;
  EXPECT_NE(stranger.err.find("DEDUP_NOT_ACCREDITED"), std::string::npos) << stranger.err;
  const size_t last = stranger.err.rfind('\n', stranger.err.size() - 2);
  EXPECT_EQ(stranger.err.compare(last == std::string::npos ? 0 : last + 1, 7, "error: "), 0)
      << stranger.err;

  ExpectRefused(Hito({"attester", "attest", "--attester", "stranger", "--identity", point,
                      "--handle", " padded", "--expires-in", "5"}),
                2);
  ExpectRefused(Hito({"attester", "attest", "--attester", "stranger", "--identity", point,
                      "--handle", "passport:FRA:", "--expires-in", "5"}),
                2);
  ExpectRefused(Hito({"attester", "attest", "--attester", "stranger", "--identity", point,
                      "--handle", "passport:XX:123", "--expires-in", "5"}),
                2);
  ExpectRefused(Hito({"attester", "attest", "--attester", "stranger", "--identity",
                      std::string(64, 'f'), "--handle", "passport:FRA:DAVE1", "--expires-in", "5"}),
                2);
  ExpectRefused(Hito({"attester", "attest", "--attester", "stranger", "--identity", point,
                      "--handle", "passport:FRA:DAVE1", "--expires-in", "0"}),
                2);
  ExpectRefused(
      Hito({"attester", "attest", "--attester", "stranger", "--identity", point, "--handle",
            "passport:FRA:DAVE1", "--expires-in", "5", "--validators", "nohostport"}),
      2);
  ExpectRefused(Hito({"ubi", "claim", "dave", "--to", "hito1notanaddress"}), 2);
  ExpectRefused(Hito({"ubi", "claim", "dave", "--to", "dave", "--epochs", "soon"}), 2);
}

}  // namespace
}  // namespace hito::e2e
