#include "base/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "base/bytes.h"
#include "base/hex.h"

namespace hito {
namespace {

std::string Errno(std::string_view what, const std::string& path, int err) {
  return std::string(what) + " " + path + ": " + std::strerror(err);
}

// Closes on every path, so callers cannot leak the descriptor on an early return.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Status WriteAllAndSync(int fd, std::string_view data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return InternalError(Errno("write", path, errno));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return InternalError(Errno("fsync", path, errno));
  return Status::Ok();
}

// Reads to the end, or past `max_bytes` when it is set.
Result<std::string> ReadAll(int fd, const std::string& path, std::optional<size_t> max_bytes) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      SecureWipe(out.data(), out.size());
      return InternalError(Errno("read", path, errno));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (max_bytes && out.size() > *max_bytes) {
      SecureWipe(out.data(), out.size());
      return InvalidArgumentError(path + ": larger than " + std::to_string(*max_bytes) + " bytes");
    }
  }
  SecureWipe(buf, sizeof buf);
  return out;
}

std::string_view TrimSpace(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<std::string> ReadFile(const std::filesystem::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return NotFoundError(Errno("cannot open", path.string(), errno));
  return ReadAll(fd.get(), path.string(), std::nullopt);
}

Result<std::string> ReadSmallFile(const std::filesystem::path& path, size_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return NotFoundError(path.string() + ": no such file");
    return PermissionDeniedError(Errno("open", path.string(), errno));
  }
  return ReadAll(fd.get(), path.string(), max_bytes);
}

Status WriteFile(const std::filesystem::path& path, std::string_view contents) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) return InternalError(Errno("create", path.string(), errno));
  return WriteAllAndSync(fd.get(), contents, path.string());
}

Status WriteFileAtomic(const std::filesystem::path& path, std::string_view data, bool replace) {
  const std::string target = path.string();
  const std::string tmp = target + ".tmp." + std::to_string(::getpid());
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd.get() < 0) return InternalError(Errno("create", tmp, errno));
    Status written = WriteAllAndSync(fd.get(), data, tmp);
    if (!written.ok()) {
      ::unlink(tmp.c_str());
      return written;
    }
  }
  // link() refuses an existing target where rename() would silently replace it.
  const int rc =
      replace ? ::rename(tmp.c_str(), target.c_str()) : ::link(tmp.c_str(), target.c_str());
  const int err = errno;
  if (!replace || rc != 0) ::unlink(tmp.c_str());
  if (rc != 0) {
    if (err == EEXIST) return AlreadyExistsError(target + " already exists");
    return InternalError(Errno("install", target, err));
  }
  return FsyncDir(path.has_parent_path() ? path.parent_path() : std::filesystem::path("."));
}

Status FsyncDir(const std::filesystem::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return InternalError(Errno("open", dir.string(), errno));
  if (::fsync(fd.get()) != 0) return InternalError(Errno("fsync", dir.string(), errno));
  return Status::Ok();
}

Status WriteSeedFile(const std::filesystem::path& path, const Ed25519Seed& seed) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    if (errno == EEXIST) return AlreadyExistsError(path.string() + " already exists");
    return InternalError(Errno("create", path.string(), errno));
  }
  std::string hex = HexEncode(seed) + "\n";
  Status s = WriteAllAndSync(fd.get(), hex, path.string());
  SecureWipe(hex.data(), hex.size());
  return s;
}

Result<Ed25519Seed> ReadSeedFile(const std::filesystem::path& path) {
  Result<std::string> text = ReadSmallFile(path, kSeedFileMaxBytes);
  if (!text.ok()) return text.status().WithContext("seed file");
  const std::string_view hex = TrimSpace(*text);
  Result<Ed25519Seed> out =
      InvalidArgumentError("seed file " + path.string() + ": not hexadecimal");
  if (hex.size() != 2 * sizeof(Ed25519Seed)) {
    out = InvalidArgumentError("seed file " + path.string() +
                               ": expected 64 hex digits (32 bytes), got " +
                               std::to_string(hex.size()) + " characters");
  } else if (Result<Hash32> seed = HexDecode32(hex); seed.ok()) {
    out = *seed;
    SecureWipe(seed->data(), seed->size());
  }
  SecureWipe(text->data(), text->size());
  return out;
}

}  // namespace hito
