// Helpers for end-to-end tests: real `hitod` and `hito` processes from the build tree.
//
// HITOD_PATH and HITO_PATH are compiled in ($<TARGET_FILE:...>). Processes are started
// with posix_spawn (safe in a process that already runs gRPC threads), on a free loopback
// port, in a temporary home; every wait has a bound, and a node left running is killed
// when its NodeProcess dies.
#ifndef HITO_TESTS_SUPPORT_E2E_E2E_UTIL_H_
#define HITO_TESTS_SUPPORT_E2E_E2E_UTIL_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"

namespace hito::e2e {

// A port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
int FreeLoopbackPort();

// A fresh directory under /tmp, removed (recursively) on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadFileOrEmpty(const std::string& path);

struct CliRun {
  int exit_code = -1;  // -1 if it did not exit by itself (killed at the timeout)
  std::string out;
  std::string err;
};

// Runs the `hito` binary with `args` and extra environment, capturing its output.
// Killed (exit_code -1) if it runs longer than `timeout`.
CliRun RunHito(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
               std::chrono::seconds timeout = std::chrono::seconds(60));

// One hitod process.
class NodeProcess {
 public:
  // `dir` must exist; the node's home is dir/home (created by hitod on first start) and
  // its logs go to dir/hitod-<n>.log.
  NodeProcess(const std::string& dir, int port) : dir_(dir), home_(dir + "/home"), port_(port) {}
  ~NodeProcess();
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;

  // Starts `hitod <mode> --home HOME --grpc-addr 127.0.0.1:PORT EXTRA...` (mode "dev" or
  // "start") and waits until GetStatus answers (bounded by `timeout`).
  Status Start(const std::string& mode, std::chrono::seconds timeout = std::chrono::seconds(30),
               const std::vector<std::string>& extra_args = {});
  // SIGKILL, then reap.
  void Kill9();
  // SIGTERM, wait up to `timeout`, then SIGKILL.
  void Stop(std::chrono::seconds timeout = std::chrono::seconds(10));
  bool running() const { return pid_ > 0; }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& home() const { return home_; }
  std::string dev_key_path() const { return home_ + "/dev.key"; }
  // The tail of every log this node wrote, for failure messages.
  std::string LogTail() const;

 private:
  std::string dir_;
  std::string home_;
  int port_;
  pid_t pid_ = -1;
  int starts_ = 0;
};

}  // namespace hito::e2e

#endif  // HITO_TESTS_SUPPORT_E2E_E2E_UTIL_H_
