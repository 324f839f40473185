// FatalStop: the one way to stop a process whose state can no longer be trusted (a failed
// write on the commit path, a block we built that fails to execute). It logs one line,
// "<what>: <status>; stopping the node", and aborts, so a restart recovers from what is
// durable.
//
// base links no logging library: the line goes to the hook a program installs (hitod
// routes it to its log and flushes), or to stderr when none is installed. Thread-safe:
// the hook is read atomically, and FatalStop may be called from any thread.
#ifndef HITO_BASE_FATAL_H_
#define HITO_BASE_FATAL_H_

#include <string_view>

#include "base/status.h"

namespace hito {

// Receives the whole line, without a trailing newline. Must not return control to the
// failing code by other means (FatalStop aborts after it returns).
using FatalLogHook = void (*)(std::string_view line);

// Installs `hook` (nullptr: back to stderr). Call once at startup.
void SetFatalLogHook(FatalLogHook hook);

[[noreturn]] void FatalStop(std::string_view what, const Status& status);

// FatalStop(what, status) unless `status` is OK.
inline void FatalStopIfError(const Status& status, std::string_view what) {
  if (!status.ok()) FatalStop(what, status);
}

}  // namespace hito

#endif  // HITO_BASE_FATAL_H_
