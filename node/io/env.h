// Env: the file-system seam of the node's durable state (WAL, signer record).
//
// Everything the node must not lose goes through an Env, as in LevelDB: PosixEnv on a
// real disk, MemEnv in tests and the deterministic simulation, where Crash() keeps only
// what was synced. A file's bytes are durable after WritableFile::Sync(); a file's name
// (creation, rename) is durable after SyncDir() on its directory. Env objects are
// thread-safe; a WritableFile is used by one thread at a time.
#ifndef HITO_NODE_IO_ENV_H_
#define HITO_NODE_IO_ENV_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/mutex.h"
#include "base/status.h"

namespace hito::node::io {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(ByteView data) = 0;
  // Makes every appended byte durable (fdatasync).
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // Opens for appending, creating the file if absent.
  virtual Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) = 0;
  // Creates or truncates.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  // kNotFound when the file does not exist.
  virtual Result<Bytes> ReadFile(const std::string& path) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // Shrinks a file to `size` bytes; the new length is durable when this returns.
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  virtual Status CreateDirs(const std::string& dir) = 0;
  // Makes the directory's entries (creations, renames) durable.
  virtual Status SyncDir(const std::string& dir) = 0;

  // The process-wide real file system.
  static Env* Posix();
};

// Replaces `path` with `data` atomically and durably: write a temporary file, sync it,
// rename it over `path`, sync the directory. After a crash the file holds either the old
// or the new contents, never a mix.
Status WriteFileAtomic(Env* env, const std::string& path, ByteView data);

// The directory part of a path ("." when there is none).
std::string DirName(const std::string& path);

// An in-memory Env that models what survives a crash. Each file keeps its synced prefix
// apart from bytes appended since; each directory entry is durable only after SyncDir.
// Crash() forgets everything not durable (optionally keeping a torn piece of the unsynced
// tail of each file, as a disk may). Deterministic: no clock, no randomness of its own.
class MemEnv : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Result<Bytes> ReadFile(const std::string& path) override;
  bool FileExists(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status RemoveFile(const std::string& path) override;
  Status TruncateFile(const std::string& path, uint64_t size) override;
  Status CreateDirs(const std::string& dir) override;
  Status SyncDir(const std::string& dir) override;

  // Simulates power loss. For each file, `keep_unsynced(path, unsynced_len)` returns how
  // many of the unsynced bytes survive (0 when null): a torn write.
  using TornTailFn = uint64_t (*)(const std::string& path, uint64_t unsynced_len, void* ctx);
  void Crash(TornTailFn keep_unsynced = nullptr, void* ctx = nullptr);

  // Makes the next `n` Sync/SyncDir calls fail (fault injection); 0 turns it off.
  void FailNextSyncs(int n);

  // Power is lost just before the `n`-th durability point from now (Sync, SyncDir or
  // TruncateFile; n >= 1; 0 turns it off): what is durable at that instant is what the
  // next Crash() keeps, whatever the still-running code writes and syncs afterwards. This
  // is also what a failed fsync amounts to for a node that stops on one. powered_off()
  // says whether it has happened (the simulator then drops the process's messages).
  void PowerLossAtSync(int n);
  bool powered_off() const;

 private:
  friend class MemFile;
  struct Node {
    Bytes data;               // what a reader sees now
    uint64_t synced_len = 0;  // prefix of `data` that survives a crash
  };
  Status MaybeFailSync() REQUIRES(mu_);
  // Counts a durability point for PowerLossAtSync; freezes the durable image on the last.
  void CountDurabilityPoint() REQUIRES(mu_);
  // Also guards the Nodes' contents, which MemFile writes.
  mutable Mutex mu_;
  // Live names -> file contents, and the durable view of the names.
  std::map<std::string, std::shared_ptr<Node>> live_ GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<Node>> durable_names_ GUARDED_BY(mu_);
  int fail_syncs_ GUARDED_BY(mu_) = 0;
  int power_loss_in_ GUARDED_BY(mu_) = 0;
  // The durable image at the instant of power loss (private copies), until Crash().
  std::optional<std::map<std::string, std::shared_ptr<Node>>> frozen_ GUARDED_BY(mu_);
};

}  // namespace hito::node::io

#endif  // HITO_NODE_IO_ENV_H_
