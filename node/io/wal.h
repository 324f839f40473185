// The consensus write-ahead log.
//
// An append-only file of records, each framed as
//   length:u32be  crc32c(length || payload):u32be  payload
// Records are opaque bytes here; the consensus driver encodes its messages in them. The
// driver appends every message before acting on it and syncs its own signed messages
// before they leave the process, so a restart replays the log and resumes in the same
// round without signing anything new for it.
//
// A crash can leave a torn last record, and a bad disk a corrupt one. Open() reads the
// whole log, stops at the first record that is truncated or fails its checksum, copies
// a log with a corrupt record aside (`<path>.corrupt`), truncates the log to its last good
// record (durably), and reports what it found: nothing is silently dropped or accepted.
// Not thread-safe.
#ifndef HITO_NODE_IO_WAL_H_
#define HITO_NODE_IO_WAL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "consensus/types/limits.h"
#include "node/io/env.h"

namespace hito::node::io {

// The limits form one chain: a block (kBlockMaxBytes) fits a WAL record with its proposal
// and framing, and a WAL record fits a p2p frame (checked where the p2p frame limit is).
// A node must never fail to log a full-size proposal, its own or a peer's.
inline constexpr uint32_t kWalRecordMaxBytes =
    static_cast<uint32_t>(consensus::types::kBlockMaxBytes) + 64 * 1024;
// The most a proposal record adds around its block: tag, length, the proposal (a few
// hundred bytes: height, rounds, hash, key, signature) and the has-block flag.
inline constexpr uint32_t kWalProposalOverheadMaxBytes = 4 * 1024;
static_assert(consensus::types::kBlockMaxBytes + kWalProposalOverheadMaxBytes <= kWalRecordMaxBytes,
              "a proposal record with a maximum-size block must fit a WAL record");

uint32_t Crc32c(ByteView data, uint32_t seed = 0);

enum class WalTail {
  kClean,    // every byte belonged to a whole, valid record
  kTorn,     // the file ended inside a record: an interrupted append
  kCorrupt,  // a record failed its checksum or had an impossible length
};
const char* WalTailName(WalTail tail);

struct WalRecovery {
  std::vector<Bytes> records;  // the valid records, in order
  WalTail tail = WalTail::kClean;
  uint64_t valid_bytes = 0;    // length of the valid prefix
  uint64_t dropped_bytes = 0;  // bytes cut off after it
};

// Parses a log image without side effects.
WalRecovery ParseWal(ByteView image);

class Wal {
 public:
  // Opens (creating if absent) the log at `path` and recovers it as described above.
  // `recovery` receives what was read and cut.
  static Result<std::unique_ptr<Wal>> Open(Env* env, std::string path, WalRecovery* recovery);

  // Appends one record; durable only after Sync() (or with sync = kSync).
  enum class Durability { kBuffered, kSync };
  Status Append(ByteView payload, Durability durability);
  Status Sync();

  // Replaces the whole log with `records` atomically (used to start a new height with
  // only what is still needed, so the log does not grow without bound).
  Status Rewrite(const std::vector<Bytes>& records);

  uint64_t size_bytes() const { return size_bytes_; }

 private:
  Wal(Env* env, std::string path) : env_(env), path_(std::move(path)) {}
  Status Reopen();
  Env* env_;
  std::string path_;
  std::unique_ptr<WritableFile> file_;
  uint64_t size_bytes_ = 0;
};

// Frames one record (exposed for tests that build damaged logs).
Bytes FrameWalRecord(ByteView payload);

}  // namespace hito::node::io

#endif  // HITO_NODE_IO_WAL_H_
