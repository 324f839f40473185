// The load generator's caches of proved claims and ballots, on disk, so that a benchmark
// proves them once (minutes at 2^14 members) and every later run on a chain with the same
// registry reuses them.
//
// A claim's proof is valid for exactly (chain id, epoch, cohort, set hash, recipient,
// position): one file per (chain id, epoch, cohort, set hash), named by their hash, holds
// records [u64 index][u32 length][transaction bytes], little-endian. A ballot's proof is
// bound to its context, the round (BallotContext), and to its message (chain id, round,
// cohort, entries): one file per (chain id, round, cohort, set hash, pass), where the
// pass fixes the entries (LoadBallotEntries). A record whose transaction is not a claim
// or ballot for that statement is ignored (the file is a cache, not an input to trust).
// Not thread-safe; one generator uses a directory at a time.
#ifndef HITO_TESTS_BENCH_LOADGEN_CLAIM_CACHE_H_
#define HITO_TESTS_BENCH_LOADGEN_CLAIM_CACHE_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "consensus/types/governance.h"

namespace hito::loadgen {

struct ClaimStatementKey {
  std::string chain_id;
  uint64_t epoch = 0;
  uint32_t cohort = 0;
  Hash32 set_hash{};
};

// The recipient of identity `index`'s load claims: a fixed account per identity.
Hash32 LoadClaimRecipient(uint64_t index);

struct BallotStatementKey {
  std::string chain_id;
  uint64_t round = 0;
  uint32_t cohort = 0;
  Hash32 set_hash{};
  uint32_t pass = 0;  // 0: the first ballot, 1: the re-vote replacing it
};

// The entries of every load ballot of `pass`: proposal 0 of the voted proposals' round,
// +1 in the first ballot and -1 in the re-vote (so a re-vote moves the tally by -2).
std::vector<consensus::types::BallotEntry> LoadBallotEntries(uint32_t pass);

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

class BallotCache {
 public:
  BallotCache(std::filesystem::path dir, BallotStatementKey key);

  // The cached ballots of this statement, by identity index (empty when there are none).
  Result<std::map<uint64_t, Bytes>> Load() const;
  // Appends identity `index`'s ballot transaction.
  Status Append(uint64_t index, const Bytes& tx) const;

  const std::filesystem::path& path() const { return path_; }

 private:
  BallotStatementKey key_;
  std::filesystem::path path_;
};

}  // namespace hito::loadgen

#endif  // HITO_TESTS_BENCH_LOADGEN_CLAIM_CACHE_H_
