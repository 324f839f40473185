#include "base/assert.h"

#include <cstdio>
#include <cstdlib>

namespace hito::internal {

void AssertFail(const char* expr, const char* file, int line, const char* func) {
  std::fprintf(stderr, "hito: assertion failed: %s at %s:%d in %s\n", expr, file, line, func);
  std::fflush(stderr);
  std::abort();
}

}  // namespace hito::internal
