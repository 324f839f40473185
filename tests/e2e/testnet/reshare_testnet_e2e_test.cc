// The dedup key made and reshared by the validators themselves, on real `hitod`
// processes: `hitod testnet --validators 4` writes the homes, then the test gives every
// home one genesis whose dedup key comes from a distributed key generation
// (`dedup_dkg`, phases of kPhase blocks) among validators 0..2, with node 3 joining the
// set at kJoin by the validator schedule. Node 3 starts with the others as a follower.
// Checks, through the `hito` CLI: once the DKG forms (no dealer anywhere: no node has a
// dedup.share before), an attester gets tags from the three; when node 3 joins, the
// validators reshare the key on chain, and afterwards the same person's handle (another
// spelling) gives the same tag, from a quorum that needs node 3's new share; every share
// file the nodes wrote is sealed. Label slow: it waits for ~40 blocks.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/e2e/testnet_fixture.h"

namespace hito::e2e {
namespace {

constexpr uint64_t kPhase = 4;
constexpr uint64_t kDkgFormed = 3 * kPhase;  // the genesis DKG decides at its h3
constexpr uint64_t kJoin = 20;
constexpr uint64_t kReshared = kJoin + 3 * kPhase;

class ReshareTestnetE2eTest : public TestnetE2eTest {
 protected:
  ReshareTestnetE2eTest() { wait_ = std::chrono::seconds(120); }

  void BeforeStart() override {
    Json g = Json::parse(ReadFileOrEmpty(out_ + "/node0/genesis.json"), nullptr, false);
    ASSERT_FALSE(g.is_discarded());
    ASSERT_EQ(g["validators"].size(), 4u);
    const Json all = g["validators"];
    Json first3 = Json::array();
    for (size_t i = 0; i < 3; ++i) first3.push_back(all[i]);
    g["validators"] = first3;
    g["validator_schedule"] = Json::array({Json{{"height", kJoin}, {"validators", all}}});
    // No dealt key: the validators generate it.
    g.erase("dedup_oprf");
    g["dedup_dkg"] = Json{{"phase_blocks", kPhase}};
    const std::string genesis = g.dump(2) + "\n";
    for (int i = 0; i < kNodes; ++i) {
      const std::string home = out_ + "/node" + std::to_string(i);
      WriteText(home + "/genesis.json", genesis);
      std::filesystem::remove(home + "/dedup.share");
    }
  }

  CliRun Attest(const std::string& validators, const std::string& point,
                const std::string& handle) {
    return Hito(0, {"attester", "attest", "--attester", "att1", "--identity", point, "--handle",
                    handle, "--expires-in", "200", "--validators", validators, "--timeout-ms",
                    "2000", "--attempts", "3"});
  }
  std::string Addresses(const std::vector<int>& ids) {
    std::string list;
    for (int i : ids) list += (list.empty() ? "" : ",") + node(i).address();
    return list;
  }
  std::string Tag(const CliRun& r) {
    Json j = Json::parse(r.out, nullptr, false);
    return j.is_object() ? j.value("dedup_tag", "") : "";
  }
  std::string ShareFile(int i) {
    return ReadFileOrEmpty(out_ + "/node" + std::to_string(i) + "/dedup.share");
  }
};

TEST_F(ReshareTestnetE2eTest, ValidatorJoinsAndTheResharedKeyGivesTheSameTags) {
  ASSERT_EQ(
      Hito(0, {"attester", "import", "att1", "--seed-file", out_ + "/attester.key"}).exit_code, 0);
  CliRun id = Hito(0, {"identity", "new", "person"});
  ASSERT_EQ(id.exit_code, 0) << id.err;
  const std::string point = Json::parse(id.out, nullptr, false)["identity"].get<std::string>();

  // Before the DKG forms the validators have no key: a clear refusal.
  CliRun early = Attest(Addresses({0, 1, 2}), point, "passport:NLD:XN01234567");
  if (Height(0) < kDkgFormed) {
    EXPECT_EQ(early.exit_code, 1);
    EXPECT_NE(early.err.find("DEDUP_DISABLED"), std::string::npos) << early.err;
  }

  // 1. The genesis DKG among validators 0..2 forms the key; they answer, 3 of 3.
  ASSERT_TRUE(WaitHeight(0, kDkgFormed + 1));
  CliRun before = Attest(Addresses({0, 1, 2}), point, "passport:NLD:XN01234567");
  ASSERT_EQ(before.exit_code, 0) << before.err;
  const std::string tag = Tag(before);
  ASSERT_EQ(tag.size(), 64u) << before.out;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ShareFile(i).rfind("hito-dedup-share-sealed-v1", 0), 0u) << "node " << i;
  }
  EXPECT_EQ(ShareFile(3), "");  // not a holder yet

  // 2. Node 3 joins at kJoin; the validators reshare to the four of them.
  ASSERT_TRUE(WaitHeight(0, kReshared + 2));
  ASSERT_TRUE(WaitHeight(3, kReshared + 2));
  EXPECT_EQ(ShareFile(3).rfind("hito-dedup-share-sealed-v1", 0), 0u) << ShareFile(3);

  // 3. The same passport, spelled otherwise, gives the same tag; the quorum of three
  // (t = 3 of 4 now) includes the newcomer, so its new share is one of those combined.
  CliRun after = Attest(Addresses({1, 2, 3}), point, "Passport:nld:xn0123 4567");
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(Tag(after), tag);
  CliRun all = Attest(Addresses({0, 1, 2, 3}), point, "passport:NLD:XN01234567");
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(Tag(all), tag);
  // Another document still gives another tag.
  CliRun other = Attest(Addresses({0, 1, 3}), point, "passport:NLD:XN01234568");
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_NE(Tag(other), tag);
}

}  // namespace
}  // namespace hito::e2e
