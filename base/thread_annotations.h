// Clang thread-safety annotations (-Wthread-safety), empty for other compilers.
//
// GUARDED_BY(mu) on a member makes clang reject any access without mu held; REQUIRES(mu)
// on a function makes its callers hold mu; EXCLUDES(mu) makes them not hold it (the
// function takes it). They are checked only against an annotated lock: hito::Mutex and
// hito::MutexLock (base/mutex.h), not a bare std::mutex, which libstdc++ leaves
// unannotated. The names follow clang's documentation and LevelDB's
// port/thread_annotations.h.
#ifndef HITO_BASE_THREAD_ANNOTATIONS_H_
#define HITO_BASE_THREAD_ANNOTATIONS_H_

#if defined(__clang__)
#define HITO_THREAD_ANNOTATION_(x) __attribute__((x))
#else
#define HITO_THREAD_ANNOTATION_(x)
#endif

#define CAPABILITY(x) HITO_THREAD_ANNOTATION_(capability(x))
#define SCOPED_CAPABILITY HITO_THREAD_ANNOTATION_(scoped_lockable)
#define GUARDED_BY(x) HITO_THREAD_ANNOTATION_(guarded_by(x))
#define PT_GUARDED_BY(x) HITO_THREAD_ANNOTATION_(pt_guarded_by(x))
#define ACQUIRED_BEFORE(...) HITO_THREAD_ANNOTATION_(acquired_before(__VA_ARGS__))
#define ACQUIRED_AFTER(...) HITO_THREAD_ANNOTATION_(acquired_after(__VA_ARGS__))
#define REQUIRES(...) HITO_THREAD_ANNOTATION_(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) HITO_THREAD_ANNOTATION_(requires_shared_capability(__VA_ARGS__))
#define ACQUIRE(...) HITO_THREAD_ANNOTATION_(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) HITO_THREAD_ANNOTATION_(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) HITO_THREAD_ANNOTATION_(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) HITO_THREAD_ANNOTATION_(release_shared_capability(__VA_ARGS__))
#define RELEASE_GENERIC(...) HITO_THREAD_ANNOTATION_(release_generic_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) HITO_THREAD_ANNOTATION_(try_acquire_capability(__VA_ARGS__))
#define EXCLUDES(...) HITO_THREAD_ANNOTATION_(locks_excluded(__VA_ARGS__))
#define LOCKS_EXCLUDED(...) EXCLUDES(__VA_ARGS__)
#define ASSERT_CAPABILITY(x) HITO_THREAD_ANNOTATION_(assert_capability(x))
#define RETURN_CAPABILITY(x) HITO_THREAD_ANNOTATION_(lock_returned(x))
#define NO_THREAD_SAFETY_ANALYSIS HITO_THREAD_ANNOTATION_(no_thread_safety_analysis)

#endif  // HITO_BASE_THREAD_ANNOTATIONS_H_
