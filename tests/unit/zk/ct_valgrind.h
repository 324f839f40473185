// Shared setup of the valgrind constant-time harnesses (tests/unit/zk/msm_ct_valgrind.cc,
// tests/unit/zk/ct_prove_valgrind.cc and tests/unit/zk/oprf_ct_valgrind.cc): Poison marks a value
// secret for memcheck (VALGRIND_MAKE_MEM_UNDEFINED), so any branch or memory index computed from it
// is reported; Declassify marks it public again once the computation has produced a result that is
// published anyway. Test-only; the library's own declassification of published values is zk/ct.h.
#ifndef HITO_TESTS_UNIT_ZK_CT_VALGRIND_H_
#define HITO_TESTS_UNIT_ZK_CT_VALGRIND_H_

#include <valgrind/memcheck.h>

#include <cstddef>

namespace hito::zk::ct_test {

template <typename T>
void Poison(T* v) {
  (void)VALGRIND_MAKE_MEM_UNDEFINED(v, sizeof(T));
}

inline void PoisonBytes(void* p, size_t n) { (void)VALGRIND_MAKE_MEM_UNDEFINED(p, n); }

template <typename T>
void Declassify(T* v) {
  (void)VALGRIND_MAKE_MEM_DEFINED(v, sizeof(T));
}

}  // namespace hito::zk::ct_test

#endif  // HITO_TESTS_UNIT_ZK_CT_VALGRIND_H_
