// Shared by the Byzantine and flood e2e tests (and hostile_validator): a child
// process with its output in a file, SIGKILLed and reaped when its owner dies; a block
// reader whose gRPC channel takes a full 8 MiB block (a default channel stops at 4 MiB);
// and the peak resident set of a process. Header-only; not thread-safe.
#ifndef HITO_TESTS_SUPPORT_E2E_E2E_SUPPORT_H_
#define HITO_TESTS_SUPPORT_E2E_E2E_SUPPORT_H_

#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "consensus/types/limits.h"
#include "hito/v1/block.grpc.pb.h"

extern char** environ;

namespace hito::e2e {

class ChildProcess {
 public:
  ChildProcess(const std::string& binary, std::vector<std::string> args, const std::string& log)
      : log_(log) {
    args.insert(args.begin(), binary);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (::posix_spawn(&pid_, binary.c_str(), &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~ChildProcess() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }
  // Its exit code (-1 if killed by a signal) if it exits within `timeout`, else nullopt
  // (still running).
  std::optional<int> Wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0) {
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        exit_ = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        return exit_;
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return exit_;
  }
  std::string Log() const {
    std::ifstream in(log_);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

 private:
  std::string log_;
  pid_t pid_ = -1;
  std::optional<int> exit_;
};

// GetBlock over a channel that accepts a maximum-size block.
class BlockReader {
 public:
  explicit BlockReader(const std::string& address) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(static_cast<int>(consensus::types::kBlockMaxBytes * 2));
    stub_ = v1::BlockService::NewStub(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  }
  std::optional<v1::GetBlockResponse> Get(uint64_t height) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::GetBlockRequest req;
    req.set_height(height);
    v1::GetBlockResponse resp;
    if (!stub_->GetBlock(&ctx, req, &resp).ok()) return std::nullopt;
    return resp;
  }

 private:
  std::unique_ptr<v1::BlockService::Stub> stub_;
};

// VmHWM (peak resident set) of `pid` in KiB, from /proc/<pid>/status; 0 if unreadable.
inline uint64_t PeakRssKib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

// True if `pid` exists and is not a zombie.
inline bool Alive(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("State:", 0) == 0) return line.find('Z') == std::string::npos;
  }
  return false;
}

}  // namespace hito::e2e

#endif  // HITO_TESTS_SUPPORT_E2E_E2E_SUPPORT_H_
