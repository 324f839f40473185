// Clang thread-safety annotations (-Wthread-safety), empty for other compilers.
//
// GUARDED_BY(mu) on a member makes clang reject any access without mu held; REQUIRES(mu)
// on a function makes its callers hold mu; EXCLUDES(mu) makes them not hold it (the
// function takes it). They are checked only against an annotated lock: hito::Mutex and
// hito::MutexLock (base/mutex.h), not a bare std::mutex, which libstdc++ leaves
// unannotated. The names follow clang's documentation and LevelDB's
// port/thread_annotations.h. Abseil (through gRPC) defines some of the same names with the
// same clang attributes; whichever header comes first defines them, hence the #ifndefs.
#ifndef HITO_BASE_THREAD_ANNOTATIONS_H_
#define HITO_BASE_THREAD_ANNOTATIONS_H_

#if defined(__clang__)
#define HITO_THREAD_ANNOTATION_(x) __attribute__((x))
#else
#define HITO_THREAD_ANNOTATION_(x)
#endif

#ifndef CAPABILITY
#define CAPABILITY(x) HITO_THREAD_ANNOTATION_(capability(x))
#endif
#ifndef SCOPED_CAPABILITY
#define SCOPED_CAPABILITY HITO_THREAD_ANNOTATION_(scoped_lockable)
#endif
#ifndef GUARDED_BY
#define GUARDED_BY(x) HITO_THREAD_ANNOTATION_(guarded_by(x))
#endif
#ifndef PT_GUARDED_BY
#define PT_GUARDED_BY(x) HITO_THREAD_ANNOTATION_(pt_guarded_by(x))
#endif
#ifndef ACQUIRED_BEFORE
#define ACQUIRED_BEFORE(...) HITO_THREAD_ANNOTATION_(acquired_before(__VA_ARGS__))
#endif
#ifndef ACQUIRED_AFTER
#define ACQUIRED_AFTER(...) HITO_THREAD_ANNOTATION_(acquired_after(__VA_ARGS__))
#endif
#ifndef REQUIRES
#define REQUIRES(...) HITO_THREAD_ANNOTATION_(requires_capability(__VA_ARGS__))
#endif
#ifndef REQUIRES_SHARED
#define REQUIRES_SHARED(...) HITO_THREAD_ANNOTATION_(requires_shared_capability(__VA_ARGS__))
#endif
#ifndef ACQUIRE
#define ACQUIRE(...) HITO_THREAD_ANNOTATION_(acquire_capability(__VA_ARGS__))
#endif
#ifndef ACQUIRE_SHARED
#define ACQUIRE_SHARED(...) HITO_THREAD_ANNOTATION_(acquire_shared_capability(__VA_ARGS__))
#endif
#ifndef RELEASE
#define RELEASE(...) HITO_THREAD_ANNOTATION_(release_capability(__VA_ARGS__))
#endif
#ifndef RELEASE_SHARED
#define RELEASE_SHARED(...) HITO_THREAD_ANNOTATION_(release_shared_capability(__VA_ARGS__))
#endif
#ifndef RELEASE_GENERIC
#define RELEASE_GENERIC(...) HITO_THREAD_ANNOTATION_(release_generic_capability(__VA_ARGS__))
#endif
#ifndef TRY_ACQUIRE
#define TRY_ACQUIRE(...) HITO_THREAD_ANNOTATION_(try_acquire_capability(__VA_ARGS__))
#endif
#ifndef EXCLUDES
#define EXCLUDES(...) HITO_THREAD_ANNOTATION_(locks_excluded(__VA_ARGS__))
#endif
#ifndef LOCKS_EXCLUDED
#define LOCKS_EXCLUDED(...) EXCLUDES(__VA_ARGS__)
#endif
#ifndef ASSERT_CAPABILITY
#define ASSERT_CAPABILITY(x) HITO_THREAD_ANNOTATION_(assert_capability(x))
#endif
#ifndef RETURN_CAPABILITY
#define RETURN_CAPABILITY(x) HITO_THREAD_ANNOTATION_(lock_returned(x))
#endif
#ifndef NO_THREAD_SAFETY_ANALYSIS
#define NO_THREAD_SAFETY_ANALYSIS HITO_THREAD_ANNOTATION_(no_thread_safety_analysis)
#endif

#endif  // HITO_BASE_THREAD_ANNOTATIONS_H_
