// The snapshot cache against a fake node: an honest node's pages are assembled, verified
// and cached by set hash (a second fetch reads only the probe page); members that do not
// hash to the set hash are refused and never cached, whether a lying node sends them or a
// cached file was altered (then the set is downloaded again); inconsistent paging is
// refused; and the live size is counted locally (fillers excluded).
#include "wallet/snapshot.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "base/hash.h"

namespace hito::wallet {
namespace {

namespace fs = std::filesystem;

// Serves `members` under `set_hash` in pages; `tamper` may edit each page.
class FakeSource final : public SnapshotSource {
 public:
  FakeSource(std::vector<zk::Point> members, Hash32 set_hash)
      : members_(std::move(members)), set_hash_(set_hash) {}

  Result<v1::ListSnapshotMembersResponse> Page(uint64_t, uint32_t, uint32_t page_size,
                                               const std::string& token) override {
    ++calls;
    size_t begin = token.empty() ? 0 : std::stoul(token);
    size_t size = std::min<size_t>(page_size_cap ? page_size_cap : page_size, page_size);
    size_t end = std::min(members_.size(), begin + size);
    v1::ListSnapshotMembersResponse r;
    r.set_set_hash(std::string(AsChars(set_hash_)));
    r.set_total_members(members_.size());
    r.set_first_index(begin);
    for (size_t i = begin; i < end; ++i) r.add_members(std::string(AsChars(members_[i].bytes())));
    if (end < members_.size()) r.set_next_page_token(std::to_string(end));
    if (tamper) tamper(&r);
    return r;
  }

  int calls = 0;
  uint32_t page_size_cap = 0;  // 0: honour the request
  std::function<void(v1::ListSnapshotMembersResponse*)> tamper;

 private:
  std::vector<zk::Point> members_;
  Hash32 set_hash_;
};

std::vector<zk::Point> RandomMembers(size_t n) {
  std::vector<zk::Point> out;
  for (size_t i = 0; i < n; ++i) out.push_back(zk::Point::MulBase(zk::Scalar::Random()));
  return out;
}

Hash32 HashOf(const std::vector<zk::Point>& members) {
  return zk::proof::membership::PreparedSet::Create(members)->hash();
}

class SnapshotCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitCrypto();
    char tmpl[] = "/tmp/hito_snapshot_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = std::string(tmpl) + "/snapshots";
    root_ = tmpl;
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string root_;
  std::string dir_;
};

TEST_F(SnapshotCacheTest, HonestPagesAreVerifiedCachedAndReused) {
  std::vector<zk::Point> members = RandomMembers(40);
  Hash32 hash = HashOf(members);
  FakeSource node(members, hash);
  node.page_size_cap = 7;  // several pages
  SnapshotCache cache(dir_);
  auto snap = cache.Get(&node, 3, 0);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_FALSE(snap->from_cache);
  EXPECT_EQ(snap->set.hash(), hash);
  EXPECT_EQ(snap->set.size(), 40u);
  EXPECT_EQ(snap->live_members, 40u);
  EXPECT_TRUE(fs::exists(cache.PathOf(hash)));
  EXPECT_EQ(fs::file_size(cache.PathOf(hash)), 40u * 32);

  node.calls = 0;
  auto again = cache.Get(&node, 4, 0);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->from_cache);
  EXPECT_EQ(again->set.hash(), hash);
  EXPECT_EQ(node.calls, 1);  // the probe only
}

TEST_F(SnapshotCacheTest, MembersThatDoNotHashToTheSetHashAreRefused) {
  std::vector<zk::Point> members = RandomMembers(20);
  Hash32 hash = HashOf(members);
  // A lying node: the right set hash, one member swapped (say, for a set where the
  // claimant stands out).
  std::vector<zk::Point> forged = members;
  forged[3] = zk::Point::MulBase(zk::Scalar::Random());
  FakeSource liar(forged, hash);
  SnapshotCache cache(dir_);
  auto snap = cache.Get(&liar, 3, 0);
  EXPECT_EQ(snap.status().code(), StatusCode::kDataLoss) << snap.status().ToString();
  EXPECT_FALSE(fs::exists(cache.PathOf(hash)));
  // Dropping or reordering members is caught the same way.
  std::vector<zk::Point> swapped = members;
  std::swap(swapped[0], swapped[1]);
  FakeSource reorder(swapped, hash);
  EXPECT_EQ(cache.Get(&reorder, 3, 0).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(VerifySnapshotMembers(forged, hash).status().code(), StatusCode::kDataLoss);
  EXPECT_TRUE(VerifySnapshotMembers(members, hash).ok());
}

TEST_F(SnapshotCacheTest, AlteredCacheFileIsNotUsedAndIsReplaced) {
  std::vector<zk::Point> members = RandomMembers(16);
  Hash32 hash = HashOf(members);
  FakeSource node(members, hash);
  SnapshotCache cache(dir_);
  ASSERT_TRUE(cache.Get(&node, 1, 2).ok());
  // Replace the cached set by another valid set of points under the same name.
  std::vector<zk::Point> other = RandomMembers(16);
  {
    std::ofstream out(cache.PathOf(hash), std::ios::binary | std::ios::trunc);
    for (const auto& p : other) out.write(reinterpret_cast<const char*>(p.bytes().data()), 32);
  }
  auto snap = cache.Get(&node, 1, 2);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_FALSE(snap->from_cache);
  EXPECT_EQ(snap->set.hash(), hash);
  EXPECT_EQ(snap->set.padded()[0], members[0]);
  // Truncated garbage too.
  {
    std::ofstream out(cache.PathOf(hash), std::ios::binary | std::ios::trunc);
    out << "garbage";
  }
  snap = cache.Get(&node, 1, 2);
  ASSERT_TRUE(snap.ok());
  EXPECT_FALSE(snap->from_cache);
  EXPECT_TRUE(cache.Get(&node, 1, 2)->from_cache);
}

TEST_F(SnapshotCacheTest, InconsistentPagingRefused) {
  std::vector<zk::Point> members = RandomMembers(20);
  Hash32 hash = HashOf(members);
  SnapshotCache cache(dir_);
  using Tamper = std::function<void(v1::ListSnapshotMembersResponse*)>;
  const std::vector<std::pair<std::string, Tamper>> cases = {
      {"set hash changes",
       [](auto* r) {
         if (r->first_index() > 0) r->set_set_hash(std::string(32, 'x'));
       }},
      {"first index skips",
       [](auto* r) {
         if (r->first_index() > 0) r->set_first_index(r->first_index() + 1);
       }},
      {"total changes",
       [](auto* r) {
         if (r->first_index() > 0) r->set_total_members(21);
       }},
      {"short member",
       [](auto* r) {
         if (r->members_size() > 1) r->set_members(1, "short");
       }},
      {"stops early",
       [](auto* r) {
         if (r->first_index() > 0) r->clear_next_page_token();
       }},
      {"empty middle page",
       [](auto* r) {
         if (r->first_index() > 0) r->clear_members();
       }},
      {"bad hash size", [](auto* r) { r->set_set_hash("abc"); }},
      {"no members", [](auto* r) { r->set_total_members(0); }},
      {"identity member",
       [](auto* r) {
         if (r->members_size() > 1) r->set_members(1, std::string(32, '\0'));
       }},
  };
  for (const auto& [what, tamper] : cases) {
    FakeSource node(members, hash);
    node.page_size_cap = 6;
    node.tamper = tamper;
    auto snap = cache.Get(&node, 0, 0);
    EXPECT_FALSE(snap.ok()) << what;
    EXPECT_FALSE(fs::exists(cache.PathOf(hash))) << what;
  }
}

TEST_F(SnapshotCacheTest, LiveMembersExcludeFillers) {
  std::vector<zk::Point> members = RandomMembers(10);
  members[2] = zk::proof::membership::Filler(2);
  members[7] = zk::proof::membership::Filler(7);
  members[8] =
      zk::proof::membership::Filler(3);  // a filler point in the wrong place counts as live
  FakeSource node(members, HashOf(members));
  SnapshotCache cache(dir_);
  auto snap = cache.Get(&node, 0, 0);
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->live_members, 8u);
  EXPECT_EQ(CountLiveMembers(snap->set), 8u);
}

}  // namespace
}  // namespace hito::wallet
