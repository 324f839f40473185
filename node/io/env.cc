#include "node/io/env.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace hito::node::io {

std::string DirName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status WriteFileAtomic(Env* env, const std::string& path, ByteView data) {
  const std::string tmp = path + ".tmp";
  {
    HITO_ASSIGN_OR_RETURN(auto file, env->NewWritableFile(tmp));
    HITO_RETURN_IF_ERROR(file->Append(data));
    HITO_RETURN_IF_ERROR(file->Sync());
    HITO_RETURN_IF_ERROR(file->Close());
  }
  HITO_RETURN_IF_ERROR(env->RenameFile(tmp, path));
  return env->SyncDir(DirName(path));
}

// ---------------------------------------------------------------------------------------
// PosixEnv

namespace {

Status ErrnoError(const std::string& what, const std::string& path, int err) {
  std::string msg = what + " " + path + ": " + std::strerror(err);
  if (err == ENOENT) return NotFoundError(std::move(msg));
  return InternalError(std::move(msg));
}

class PosixFile : public WritableFile {
 public:
  PosixFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(ByteView data) override {
    const uint8_t* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      const ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoError("write", path_, errno);
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  Status Sync() override {
    if (::fdatasync(fd_) != 0) return ErrnoError("fdatasync", path_, errno);
    return Status::Ok();
  }

  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return ErrnoError("close", path_, errno);
    return Status::Ok();
  }

 private:
  std::string path_;
  int fd_;
};

class PosixEnv : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    return Open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC);
  }
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    return Open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC);
  }

  Result<Bytes> ReadFile(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoError("open", path, errno);
    Bytes out;
    uint8_t buf[65536];
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd);
        return ErrnoError("read", path, err);
      }
      if (n == 0) break;
      out.insert(out.end(), buf, buf + n);
    }
    ::close(fd);
    return out;
  }

  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoError("rename", from, errno);
    return Status::Ok();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoError("unlink", path, errno);
    return Status::Ok();
  }

  Status TruncateFile(const std::string& path, uint64_t size) override {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoError("open", path, errno);
    Status st;
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
      st = ErrnoError("ftruncate", path, errno);
    } else if (::fsync(fd) != 0) {
      st = ErrnoError("fsync", path, errno);
    }
    ::close(fd);
    return st;
  }

  Status CreateDirs(const std::string& dir) override {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return InternalError("create directory " + dir + ": " + ec.message());
    return Status::Ok();
  }

  Status SyncDir(const std::string& dir) override {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoError("open directory", dir, errno);
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return ErrnoError("fsync directory", dir, err);
    return Status::Ok();
  }

 private:
  static Result<std::unique_ptr<WritableFile>> Open(const std::string& path, int flags) {
    const int fd = ::open(path.c_str(), flags, 0600);
    if (fd < 0) return ErrnoError("open", path, errno);
    return std::unique_ptr<WritableFile>(std::make_unique<PosixFile>(path, fd));
  }
};

}  // namespace

Env* Env::Posix() {
  static PosixEnv* env = new PosixEnv();  // never destroyed: used until exit
  return env;
}

// ---------------------------------------------------------------------------------------
// MemEnv

class MemFile : public WritableFile {
 public:
  MemFile(MemEnv* env, std::shared_ptr<MemEnv::Node> node) : env_(env), node_(std::move(node)) {}

  Status Append(ByteView data) override {
    MutexLock lock(env_->mu_);
    if (closed_) return FailedPreconditionError("append to a closed file");
    node_->data.insert(node_->data.end(), data.begin(), data.end());
    return Status::Ok();
  }
  Status Sync() override {
    MutexLock lock(env_->mu_);
    HITO_RETURN_IF_ERROR(env_->MaybeFailSync());
    node_->synced_len = node_->data.size();
    return Status::Ok();
  }
  Status Close() override {
    closed_ = true;
    return Status::Ok();
  }

 private:
  MemEnv* env_;
  std::shared_ptr<MemEnv::Node> node_;
  bool closed_ = false;
};

Status MemEnv::MaybeFailSync() {
  CountDurabilityPoint();
  if (fail_syncs_ > 0) {
    --fail_syncs_;
    return InternalError("injected sync failure");
  }
  return Status::Ok();
}

void MemEnv::FailNextSyncs(int n) {
  MutexLock lock(mu_);
  fail_syncs_ = n;
}

void MemEnv::PowerLossAtSync(int n) {
  MutexLock lock(mu_);
  power_loss_in_ = n;
}

bool MemEnv::powered_off() const {
  MutexLock lock(mu_);
  return frozen_.has_value();
}

void MemEnv::CountDurabilityPoint() {
  if (power_loss_in_ <= 0 || --power_loss_in_ > 0 || frozen_) return;
  // Copies, not shared nodes: the code still running keeps writing to the live ones.
  std::map<std::string, std::shared_ptr<Node>> image;
  for (const auto& [name, node] : durable_names_) image[name] = std::make_shared<Node>(*node);
  frozen_ = std::move(image);
}

Result<std::unique_ptr<WritableFile>> MemEnv::NewAppendableFile(const std::string& path) {
  MutexLock lock(mu_);
  auto it = live_.find(path);
  if (it == live_.end()) it = live_.emplace(path, std::make_shared<Node>()).first;
  return std::unique_ptr<WritableFile>(std::make_unique<MemFile>(this, it->second));
}

Result<std::unique_ptr<WritableFile>> MemEnv::NewWritableFile(const std::string& path) {
  MutexLock lock(mu_);
  auto node = std::make_shared<Node>();
  live_[path] = node;
  return std::unique_ptr<WritableFile>(std::make_unique<MemFile>(this, node));
}

Result<Bytes> MemEnv::ReadFile(const std::string& path) {
  MutexLock lock(mu_);
  auto it = live_.find(path);
  if (it == live_.end()) return NotFoundError("no such file " + path);
  return it->second->data;
}

bool MemEnv::FileExists(const std::string& path) {
  MutexLock lock(mu_);
  return live_.count(path) != 0;
}

Status MemEnv::RenameFile(const std::string& from, const std::string& to) {
  MutexLock lock(mu_);
  auto it = live_.find(from);
  if (it == live_.end()) return NotFoundError("rename: no such file " + from);
  auto node = it->second;
  live_.erase(it);
  live_[to] = std::move(node);
  return Status::Ok();
}

Status MemEnv::RemoveFile(const std::string& path) {
  MutexLock lock(mu_);
  if (live_.erase(path) == 0) return NotFoundError("remove: no such file " + path);
  return Status::Ok();
}

Status MemEnv::TruncateFile(const std::string& path, uint64_t size) {
  MutexLock lock(mu_);
  auto it = live_.find(path);
  if (it == live_.end()) return NotFoundError("truncate: no such file " + path);
  Node& n = *it->second;
  if (size > n.data.size()) return InvalidArgumentError("truncate beyond end of " + path);
  HITO_RETURN_IF_ERROR(MaybeFailSync());
  n.data.resize(size);
  n.synced_len = size;
  return Status::Ok();
}

Status MemEnv::CreateDirs(const std::string&) { return Status::Ok(); }

Status MemEnv::SyncDir(const std::string& dir) {
  MutexLock lock(mu_);
  HITO_RETURN_IF_ERROR(MaybeFailSync());
  // The durable names inside `dir` become exactly the live ones.
  for (auto it = durable_names_.begin(); it != durable_names_.end();) {
    it = DirName(it->first) == dir ? durable_names_.erase(it) : std::next(it);
  }
  for (const auto& [name, node] : live_) {
    if (DirName(name) == dir) durable_names_[name] = node;
  }
  return Status::Ok();
}

void MemEnv::Crash(TornTailFn keep_unsynced, void* ctx) {
  MutexLock lock(mu_);
  std::map<std::string, std::shared_ptr<Node>> survivors;
  const auto& durable = frozen_ ? *frozen_ : durable_names_;
  for (const auto& [name, node] : durable) {
    auto copy = std::make_shared<Node>();
    uint64_t keep = node->synced_len;
    const uint64_t unsynced = node->data.size() - node->synced_len;
    if (keep_unsynced != nullptr && unsynced > 0) {
      keep += std::min(unsynced, keep_unsynced(name, unsynced, ctx));
    }
    copy->data.assign(node->data.begin(), node->data.begin() + static_cast<ptrdiff_t>(keep));
    copy->synced_len = copy->data.size();
    survivors[name] = copy;
  }
  live_ = survivors;
  durable_names_ = std::move(survivors);
  frozen_.reset();
  power_loss_in_ = 0;
}

}  // namespace hito::node::io
