// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// rcu/internal/check.h: grace's fatal checks and OS-failure reporting.
//
// The read side must stay async-signal-safe, so nothing here allocates or takes a lock:
// messages are formatted into a stack buffer and written with write(2), then abort().
//
//   GRACE_CHECK(cond, "message")    always on; misuse that cannot be survived.
//   GRACE_DCHECK(cond, "message")   debug builds only (NDEBUG unset): misuse of the API,
//                                    e.g. an unbalanced unlock. Compiles to nothing otherwise.
//   GRACE_DIE_ERRNO("futex", err)    an OS call failed with `err`: file, line, strerror, abort.
//
// Messages name the primitive and the rule broken, so the failure explains itself.

#ifndef GRACE_RCU_INTERNAL_CHECK_H_
#define GRACE_RCU_INTERNAL_CHECK_H_

namespace grace {
namespace rcu_internal {

// Writes "grace: <file>:<line>: <what>[: <strerror(err)>]" to stderr and aborts.
// err == 0 omits the strerror part. Async-signal-safe.
[[noreturn]] void RawDie(const char* file, int line, const char* what, int err) noexcept;

// Writes one line to stderr without allocating (used for release-build reports such as a
// domain destroyed with callbacks pending). Async-signal-safe.
void RawLog(const char* file, int line, const char* what) noexcept;

}  // namespace rcu_internal
}  // namespace grace

#define GRACE_CHECK(cond, msg)                                                    \
  do {                                                                            \
    if (__builtin_expect(!(cond), 0)) {                                           \
      ::grace::rcu_internal::RawDie(__FILE__, __LINE__, "check failed: " msg, 0); \
    }                                                                             \
  } while (0)

#ifdef NDEBUG
#define GRACE_DCHECK_IS_ON() 0
#define GRACE_DCHECK(cond, msg) \
  do {                          \
    (void)sizeof(!(cond));      \
  } while (0)
#else
#define GRACE_DCHECK_IS_ON() 1
#define GRACE_DCHECK(cond, msg) GRACE_CHECK(cond, msg)
#endif

#define GRACE_DIE_ERRNO(what, err) ::grace::rcu_internal::RawDie(__FILE__, __LINE__, what, err)

#define GRACE_LOG(what) ::grace::rcu_internal::RawLog(__FILE__, __LINE__, what)

#endif  // GRACE_RCU_INTERNAL_CHECK_H_
