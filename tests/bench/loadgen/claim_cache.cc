#include "tests/bench/loadgen/claim_cache.h"

#include <cstdio>
#include <fstream>
#include <utility>
#include <variant>
#include <vector>

#include "base/file_io.h"
#include "base/hash.h"
#include "base/hex.h"
#include "consensus/types/transaction.h"

namespace hito::loadgen {
namespace {

namespace types = consensus::types;

void PutLe(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t GetLe(const std::string& in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v |= uint64_t{static_cast<uint8_t>(in[at + static_cast<size_t>(i)])} << (8 * i);
  }
  return v;
}

// Every whole record of the file at `path` (none if it does not exist), in file order.
Result<std::vector<std::pair<uint64_t, Bytes>>> ReadRecords(const std::filesystem::path& path) {
  std::vector<std::pair<uint64_t, Bytes>> out;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return out;
  HITO_ASSIGN_OR_RETURN(std::string data, ReadFile(path));
  size_t at = 0;
  while (data.size() - at >= 12) {
    const uint64_t index = GetLe(data, at, 8);
    const uint64_t len = GetLe(data, at + 8, 4);
    at += 12;
    if (len > data.size() - at) break;  // a torn last record
    out.emplace_back(index, Bytes(data.begin() + static_cast<ptrdiff_t>(at),
                                  data.begin() + static_cast<ptrdiff_t>(at + len)));
    at += len;
  }
  return out;
}

Status AppendRecord(const std::filesystem::path& path, uint64_t index, const Bytes& tx) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return InternalError("create " + path.parent_path().string() + ": " + ec.message());
  std::string record;
  PutLe(&record, index, 8);
  PutLe(&record, tx.size(), 4);
  record.append(reinterpret_cast<const char*>(tx.data()), tx.size());
  std::ofstream f(path, std::ios::binary | std::ios::app);
  f.write(record.data(), static_cast<std::streamsize>(record.size()));
  f.flush();
  if (!f) return InternalError("append to " + path.string() + " failed");
  return Status::Ok();
}

}  // namespace

Hash32 LoadClaimRecipient(uint64_t index) {
  return Hasher("hito/v1/loadgen-claim-recipient").UpdateU64(index).Finish();
}

ClaimCache::ClaimCache(std::filesystem::path dir, ClaimStatementKey key) : key_(std::move(key)) {
  const Hash32 name = Hasher("hito/v1/loadgen-claim-cache")
                          .UpdateU64(key_.chain_id.size())
                          .Update(AsBytes(key_.chain_id))
                          .UpdateU64(key_.epoch)
                          .UpdateU64(key_.cohort)
                          .Update(key_.set_hash)
                          .Finish();
  path_ = dir / ("claims-" + HexEncode(name).substr(0, 32) + ".bin");
}

Result<std::map<uint64_t, Bytes>> ClaimCache::Load() const {
  HITO_ASSIGN_OR_RETURN(auto records, ReadRecords(path_));
  std::map<uint64_t, Bytes> out;
  for (auto& [index, tx] : records) {
    Result<types::Transaction> decoded = types::DecodeTransaction(tx);
    if (!decoded.ok()) continue;
    const auto* claim = std::get_if<types::Claim>(&decoded->body);
    if (claim == nullptr || claim->epoch != key_.epoch || claim->cohort != key_.cohort ||
        claim->recipient != LoadClaimRecipient(index)) {
      continue;
    }
    out[index] = std::move(tx);
  }
  return out;
}

Status ClaimCache::Append(uint64_t index, const Bytes& tx) const {
  return AppendRecord(path_, index, tx);
}

std::vector<types::BallotEntry> LoadBallotEntries(uint32_t pass) {
  return {types::BallotEntry{.index = 0, .vote = pass == 0 ? 1 : -1}};
}

BallotCache::BallotCache(std::filesystem::path dir, BallotStatementKey key) : key_(std::move(key)) {
  const Hash32 name = Hasher("hito/v1/loadgen-ballot-cache")
                          .UpdateU64(key_.chain_id.size())
                          .Update(AsBytes(key_.chain_id))
                          .UpdateU64(key_.round)
                          .UpdateU64(key_.cohort)
                          .Update(key_.set_hash)
                          .UpdateU64(key_.pass)
                          .Finish();
  path_ = dir / ("ballots-" + HexEncode(name).substr(0, 32) + ".bin");
}

Result<std::map<uint64_t, Bytes>> BallotCache::Load() const {
  HITO_ASSIGN_OR_RETURN(auto records, ReadRecords(path_));
  std::map<uint64_t, Bytes> out;
  const std::vector<types::BallotEntry> entries = LoadBallotEntries(key_.pass);
  for (auto& [index, tx] : records) {
    Result<types::Transaction> decoded = types::DecodeTransaction(tx);
    if (!decoded.ok()) continue;
    const auto* ballot = std::get_if<types::Ballot>(&decoded->body);
    if (ballot == nullptr || ballot->round != key_.round || ballot->cohort != key_.cohort ||
        ballot->entries != entries) {
      continue;
    }
    out[index] = std::move(tx);
  }
  return out;
}

Status BallotCache::Append(uint64_t index, const Bytes& tx) const {
  return AppendRecord(path_, index, tx);
}

}  // namespace hito::loadgen
