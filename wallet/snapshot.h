// Cohort snapshots for claims: downloaded from a node page by page, checked against the
// set hash, and cached on disk by that hash under <home>/snapshots/.
//
// The wallet proves against the members it holds, so it must hold the set the chain
// verifies against: members that do not hash to the snapshot's set hash (spec section 5
// of docs/protocol/membership-proof.md) are refused whether they come from the node or
// from the cache, and a cached file that fails the check is replaced. The set hash itself
// is the node's word (no light-client proof yet); a node lying about it can only make the
// claim fail on chain. The live size is counted here (members that are not the filler of
// their position) rather than taken from the node, since it decides the small-set warning.
// Not thread-safe; one CLI process uses a cache at a time.
#ifndef HITO_WALLET_SNAPSHOT_H_
#define HITO_WALLET_SNAPSHOT_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "base/bytes.h"
#include "base/status.h"
#include "hito/v1/personhood.pb.h"
#include "wallet/client.h"
#include "zk/point.h"
#include "zk/proof/triptych.h"

namespace hito::wallet {

// Where snapshot pages come from: the node (NodeSnapshotSource) or a test fake.
class SnapshotSource {
 public:
  virtual ~SnapshotSource() = default;
  virtual Result<v1::ListSnapshotMembersResponse> Page(uint64_t epoch, uint32_t cohort,
                                                       uint32_t page_size,
                                                       const std::string& page_token) = 0;
};

// Pages from a node's PersonhoodService.ListSnapshotMembers; `client` must outlive it.
class NodeSnapshotSource final : public SnapshotSource {
 public:
  explicit NodeSnapshotSource(NodeClient* client) : client_(client) {}
  Result<v1::ListSnapshotMembersResponse> Page(uint64_t epoch, uint32_t cohort, uint32_t page_size,
                                               const std::string& page_token) override {
    return client_->ListSnapshotMembers(epoch, cohort, page_size, page_token);
  }

 private:
  NodeClient* client_;
};

struct Snapshot {
  zk::proof::membership::PreparedSet set;
  uint64_t live_members = 0;  // counted locally
  bool from_cache = false;
};

// Builds the set from `members` and checks it hashes to `set_hash` (kDataLoss if not).
Result<zk::proof::membership::PreparedSet> VerifySnapshotMembers(std::span<const zk::Point> members,
                                                                 const Hash32& set_hash);

// Members that are not the filler of their position.
uint64_t CountLiveMembers(const zk::proof::membership::PreparedSet& set);

inline constexpr uint32_t kSnapshotPageSize = 4096;

class SnapshotCache {
 public:
  explicit SnapshotCache(std::string dir) : dir_(std::move(dir)) {}

  // The snapshot of (epoch, cohort): from the cache when it holds the set hash the node
  // names, else downloaded (every page must name the same set hash and continue where
  // the previous one stopped), verified, and written to the cache.
  Result<Snapshot> Get(SnapshotSource* source, uint64_t epoch, uint32_t cohort);

  std::string PathOf(const Hash32& set_hash) const;

 private:
  // nullopt when absent or when the file does not hold a set hashing to set_hash.
  std::optional<zk::proof::membership::PreparedSet> Load(const Hash32& set_hash) const;
  Result<std::vector<zk::Point>> Download(SnapshotSource* source, uint64_t epoch, uint32_t cohort,
                                          const v1::ListSnapshotMembersResponse& probe) const;
  Status Store(const Hash32& set_hash, std::span<const zk::Point> members) const;

  std::string dir_;
};

}  // namespace hito::wallet

#endif  // HITO_WALLET_SNAPSHOT_H_
