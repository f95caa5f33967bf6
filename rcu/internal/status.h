// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// rcu/internal/status.h: error statuses that survive an exhausted heap.
//
// An error message needs memory twice (the string, and absl::Status's heap representation);
// with none left, either allocation throws std::bad_alloc. StatusWithMessage() returns the
// same code with an empty message instead: absl::Status keeps a bare code inline, without
// allocating. So an update that fails for lack of memory reports ResourceExhausted (or its
// other expected code) and never terminates the program (tests/oom_test).
//
// Built without exceptions (-fno-exceptions), operator new failing terminates the program
// before this code could help; the message is then always built.

#ifndef GRACE_RCU_INTERNAL_STATUS_H_
#define GRACE_RCU_INTERNAL_STATUS_H_

#include <new>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace grace {
namespace rcu_internal {

template <class... Parts>
absl::Status StatusWithMessage(absl::StatusCode code, const Parts&... parts) noexcept {
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
  try {
    return absl::Status(code, absl::StrCat(parts...));
  } catch (const std::bad_alloc&) {
    return absl::Status(code, absl::string_view());
  }
#else
  return absl::Status(code, absl::StrCat(parts...));
#endif
}

}  // namespace rcu_internal
}  // namespace grace

#endif  // GRACE_RCU_INTERNAL_STATUS_H_
