#include "wallet/snapshot.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "base/file_io.h"
#include "base/hex.h"

namespace hito::wallet {
namespace {

constexpr size_t kMemberBytes = 32;

Status MakeDirs(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return InternalError("create " + dir + ": " + ec.message());
  return Status::Ok();
}

Result<std::vector<zk::Point>> DecodeMembers(ByteView bytes) {
  if (bytes.empty() || bytes.size() % kMemberBytes != 0 ||
      bytes.size() / kMemberBytes > zk::proof::membership::kMaxSetSize) {
    return DataLossError("snapshot: " + std::to_string(bytes.size()) +
                         " bytes is not 1 to 65,536 members of 32 bytes");
  }
  std::vector<zk::Point> out;
  out.reserve(bytes.size() / kMemberBytes);
  for (size_t off = 0; off < bytes.size(); off += kMemberBytes) {
    auto p = zk::Point::Decode(bytes.subspan(off, kMemberBytes));
    if (!p.ok()) {
      return DataLossError("snapshot: member " + std::to_string(off / kMemberBytes) +
                           " is not a canonical non-identity point");
    }
    out.push_back(*p);
  }
  return out;
}

// One page's consistency with the probe and with what came before it.
Status CheckPage(const v1::ListSnapshotMembersResponse& page,
                 const v1::ListSnapshotMembersResponse& probe, uint64_t have) {
  if (page.set_hash() != probe.set_hash() || page.total_members() != probe.total_members()) {
    return DataLossError("snapshot: the node changed the set between pages");
  }
  if (page.first_index() != have) {
    return DataLossError("snapshot: page starts at member " + std::to_string(page.first_index()) +
                         ", expected " + std::to_string(have));
  }
  if (page.members_size() == 0 && !page.next_page_token().empty()) {
    return DataLossError("snapshot: an empty page that is not the last");
  }
  if (have + static_cast<uint64_t>(page.members_size()) > probe.total_members()) {
    return DataLossError("snapshot: more members than the total the node announced");
  }
  for (const std::string& m : page.members()) {
    if (m.size() != kMemberBytes) return DataLossError("snapshot: a member is not 32 bytes");
  }
  return Status::Ok();
}

}  // namespace

Result<zk::proof::membership::PreparedSet> VerifySnapshotMembers(std::span<const zk::Point> members,
                                                                 const Hash32& set_hash) {
  auto set = zk::proof::membership::PreparedSet::Create(members);
  if (!set.ok()) return DataLossError("snapshot: " + set.status().message());
  if (set->hash() != set_hash) {
    return DataLossError("snapshot: the members do not hash to the set hash " +
                         HexEncode(set_hash));
  }
  return set;
}

uint64_t CountLiveMembers(const zk::proof::membership::PreparedSet& set) {
  uint64_t live = 0;
  auto padded = set.padded();
  for (size_t i = 0; i < set.size(); ++i) {
    if (padded[i] != zk::proof::membership::Filler(i)) ++live;
  }
  return live;
}

std::string SnapshotCache::PathOf(const Hash32& set_hash) const {
  return dir_ + "/" + HexEncode(set_hash) + ".set";
}

std::optional<zk::proof::membership::PreparedSet> SnapshotCache::Load(
    const Hash32& set_hash) const {
  auto text = ReadSmallFile(PathOf(set_hash), zk::proof::membership::kMaxSetSize * kMemberBytes);
  if (!text.ok()) return std::nullopt;
  auto members = DecodeMembers(AsBytes(*text));
  if (!members.ok()) return std::nullopt;
  auto set = VerifySnapshotMembers(*members, set_hash);
  if (!set.ok()) return std::nullopt;
  return *std::move(set);
}

Status SnapshotCache::Store(const Hash32& set_hash, std::span<const zk::Point> members) const {
  HITO_RETURN_IF_ERROR(MakeDirs(dir_));
  std::string data;
  data.reserve(members.size() * kMemberBytes);
  for (const zk::Point& p : members) data.append(AsChars(p.bytes()));
  return WriteFileAtomic(PathOf(set_hash), data, /*replace=*/true);
}

Result<std::vector<zk::Point>> SnapshotCache::Download(
    SnapshotSource* source, uint64_t epoch, uint32_t cohort,
    const v1::ListSnapshotMembersResponse& probe) const {
  std::string bytes;
  std::string token;
  uint64_t have = 0;
  // Every page but the last adds at least one member, so total + 1 pages bound the loop.
  for (uint64_t pages = 0; pages <= probe.total_members(); ++pages) {
    HITO_ASSIGN_OR_RETURN(auto page, source->Page(epoch, cohort, kSnapshotPageSize, token));
    HITO_RETURN_IF_ERROR(CheckPage(page, probe, have));
    for (const std::string& m : page.members()) bytes += m;
    have += static_cast<uint64_t>(page.members_size());
    token = page.next_page_token();
    if (token.empty()) break;
  }
  if (have != probe.total_members() || !token.empty()) {
    return DataLossError("snapshot: received " + std::to_string(have) + " of " +
                         std::to_string(probe.total_members()) + " members");
  }
  return DecodeMembers(AsBytes(bytes));
}

Result<Snapshot> SnapshotCache::Get(SnapshotSource* source, uint64_t epoch, uint32_t cohort) {
  // A one-member page names the set hash without downloading the set.
  HITO_ASSIGN_OR_RETURN(auto probe, source->Page(epoch, cohort, 1, ""));
  if (probe.set_hash().size() != sizeof(Hash32)) {
    return DataLossError("snapshot: the set hash is not 32 bytes");
  }
  if (probe.total_members() == 0 || probe.total_members() > zk::proof::membership::kMaxSetSize) {
    return DataLossError("snapshot: " + std::to_string(probe.total_members()) +
                         " members is out of range");
  }
  Hash32 set_hash{};
  std::memcpy(set_hash.data(), probe.set_hash().data(), set_hash.size());
  if (auto cached = Load(set_hash)) {
    uint64_t live = CountLiveMembers(*cached);
    return Snapshot{*std::move(cached), live, /*from_cache=*/true};
  }
  HITO_ASSIGN_OR_RETURN(std::vector<zk::Point> members, Download(source, epoch, cohort, probe));
  HITO_ASSIGN_OR_RETURN(zk::proof::membership::PreparedSet set,
                        VerifySnapshotMembers(members, set_hash));
  HITO_RETURN_IF_ERROR(Store(set_hash, members));
  uint64_t live = CountLiveMembers(set);
  return Snapshot{std::move(set), live, /*from_cache=*/false};
}

}  // namespace hito::wallet
