// Declassification for the valgrind constant-time tests, shared by zk and zk/proof.
//
// Declassify marks a value as public for valgrind memcheck (VALGRIND_MAKE_MEM_DEFINED; a
// few no-op instructions when not running under valgrind, nothing at all where the header
// is absent). The library calls it exactly on what the protocol publishes, or on a bit
// that is public by the protocol (an assertion's outcome, "is this product the
// identity?" for a product that is then published), so that the memcheck tests under
// tests/unit/zk/ (*_valgrind.cc) flag any other use of a secret in a branch or an address.
#ifndef HITO_ZK_CT_H_
#define HITO_ZK_CT_H_

#include <cstddef>

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define HITO_HAVE_MEMCHECK 1
#endif
#endif

namespace hito::zk::ct {

inline void Declassify(const void* p, size_t n) {
#ifdef HITO_HAVE_MEMCHECK
  (void)VALGRIND_MAKE_MEM_DEFINED(p, n);
#else
  (void)p;
  (void)n;
#endif
}

template <typename T>
void DeclassifyValue(const T& v) {
  Declassify(&v, sizeof(T));
}

}  // namespace hito::zk::ct

#endif  // HITO_ZK_CT_H_
