// HITO_ASSERT: an always-on invariant check, compiled into every build type.
//
// For programmer errors only (a broken invariant means the process state cannot be
// trusted, so it stops). Never use it to validate user, network or disk input: those
// get a Status.
#ifndef HITO_BASE_ASSERT_H_
#define HITO_BASE_ASSERT_H_

namespace hito::internal {
[[noreturn]] void AssertFail(const char* expr, const char* file, int line, const char* func);
}  // namespace hito::internal

#define HITO_ASSERT(cond)                                                \
  do {                                                                   \
    if (__builtin_expect(!(cond), 0)) {                                  \
      ::hito::internal::AssertFail(#cond, __FILE__, __LINE__, __func__); \
    }                                                                    \
  } while (0)

#endif  // HITO_BASE_ASSERT_H_
