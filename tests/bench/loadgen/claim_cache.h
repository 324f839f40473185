// The load generator's cache of proved claims, on disk, so that a benchmark proves its
// claims once (minutes at 2^14 members) and every later run on a chain with the same
// registry reuses them.
//
// A claim's proof is valid for exactly (chain id, epoch, cohort, set hash, recipient,
// position): one file per (chain id, epoch, cohort, set hash), named by their hash, holds
// records [u64 index][u32 length][transaction bytes], little-endian. A record whose
// transaction is not a claim for that statement is ignored (the file is a cache, not an
// input to trust). Not thread-safe; one generator uses a directory at a time.
#ifndef HITO_TESTS_BENCH_LOADGEN_CLAIM_CACHE_H_
#define HITO_TESTS_BENCH_LOADGEN_CLAIM_CACHE_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "base/bytes.h"
#include "base/status.h"

namespace hito::loadgen {

struct ClaimStatementKey {
  std::string chain_id;
  uint64_t epoch = 0;
  uint32_t cohort = 0;
  Hash32 set_hash{};
};

// The recipient of identity `index`'s load claims: a fixed account per identity.
Hash32 LoadClaimRecipient(uint64_t index);

class ClaimCache {
 public:
  ClaimCache(std::filesystem::path dir, ClaimStatementKey key);

  // The cached claims of this statement, by identity index (empty when there are none).
  Result<std::map<uint64_t, Bytes>> Load() const;
  // Appends identity `index`'s claim transaction.
  Status Append(uint64_t index, const Bytes& tx) const;

  const std::filesystem::path& path() const { return path_; }

 private:
  ClaimStatementKey key_;
  std::filesystem::path path_;
};

}  // namespace hito::loadgen

#endif  // HITO_TESTS_BENCH_LOADGEN_CLAIM_CACHE_H_
