#include "base/fatal.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace hito {
namespace {

std::atomic<FatalLogHook> g_fatal_log_hook{nullptr};

}  // namespace

void SetFatalLogHook(FatalLogHook hook) { g_fatal_log_hook.store(hook); }

void FatalStop(std::string_view what, const Status& status) {
  const std::string line = std::string(what) + ": " + status.ToString() + "; stopping the node";
  if (FatalLogHook hook = g_fatal_log_hook.load(); hook != nullptr) {
    hook(line);
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
  }
  std::abort();
}

}  // namespace hito
