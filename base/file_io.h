// Plain files and seed files, for the programs that own a home folder (hitod's config and
// keys, the wallet's keystore). Below both node and wallet, so each reads and writes them
// the same way.
//
// The node's durable state (WAL, signer state, blocks) does NOT go through here: it goes
// through node/io's Env seam, so tests can inject crashes. Errors are values; nothing
// here is thread-safe with respect to the same path.
#ifndef HITO_BASE_FILE_IO_H_
#define HITO_BASE_FILE_IO_H_

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/ed25519.h"
#include "base/status.h"

namespace hito {

// The whole file. kNotFound when it cannot be opened.
Result<std::string> ReadFile(const std::filesystem::path& path);
// Reads at most `max_bytes` (kInvalidArgument beyond): for files a hostile party could
// have grown. kNotFound when the file does not exist, kPermissionDenied when it cannot
// be opened.
Result<std::string> ReadSmallFile(const std::filesystem::path& path, size_t max_bytes);

// Writes (creating with mode 0644, or truncating) and fsyncs. Not atomic: a crash may
// leave a partial file. For files written once into a new folder.
Status WriteFile(const std::filesystem::path& path, std::string_view contents);

// Writes `data` to `path` atomically with mode 0600: temporary file in the same
// directory, fsync, then link (kAlreadyExists if `path` exists, unless `replace`) or
// rename, then fsync of the directory. A crash leaves the old file or the new one.
Status WriteFileAtomic(const std::filesystem::path& path, std::string_view data, bool replace);
// Makes a directory's entries (a file created, renamed or deleted in it) durable.
Status FsyncDir(const std::filesystem::path& dir);

// Seed files hold an Ed25519 seed as 64 hex digits and a newline. Writing creates the
// file with mode 0600 and never overwrites (kAlreadyExists). Reading accepts surrounding
// whitespace and files up to kSeedFileMaxBytes. The seed read is a secret: wipe it after
// use (every temporary copy here is wiped).
inline constexpr size_t kSeedFileMaxBytes = 1024;
Status WriteSeedFile(const std::filesystem::path& path, const Ed25519Seed& seed);
Result<Ed25519Seed> ReadSeedFile(const std::filesystem::path& path);

}  // namespace hito

#endif  // HITO_BASE_FILE_IO_H_
