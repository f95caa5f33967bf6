// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0

#include "rcu/rcu.h"

namespace grace {

rcu_domain& rcu_default_domain() noexcept {
  // Created on first use (also before main()); never destroyed, like TasksTraceRcu::Default().
  static rcu_domain* const d = new rcu_domain(rcu_domain::DefaultTag{}, &TasksTraceRcu::Default());
  return *d;
}

}  // namespace grace
