// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// models/sync_model: the asymmetric barrier pair of rcu/sync.h, checked as a store-buffering
// litmus test through the policy (shared/models.md; issue "Foundation").
//
//   R: x = 1; light_barrier [sb:L]; r0 = y          U: y = 1; heavy_barrier [sb:H]; r1 = x
//   forbidden: r0 == 0 && r1 == 0
//
// Checks, each a full search of the 2-thread space, under both Relacy readings of the pair:
//   sb            must pass;
//   sb - [sb:H]   mutant without the heavy barrier: must FAIL (the forbidden outcome appears);
//   sb - [sb:L]   mutant without the light barrier, light-as-SC reading only: must FAIL;
//   vacuity       RL_ASSERT(false) after the handshake: must FAIL, proving the checked code runs.
// The exit status is 0 only if every check matched its expectation.

#include "models/rl_sync.h"
// Production headers after rl_sync.h.
#include "rcu/sync.h"

namespace grace {
namespace models {
namespace {

template <class Sync, bool kVacuous>
struct StoreBuffering : rl::test_suite<StoreBuffering<Sync, kVacuous>, 2> {
  typename Sync::template atomic<int> x, y;
  int r0 = -1, r1 = -1;

  void before() {
    x.store(0, std::memory_order_relaxed);
    y.store(0, std::memory_order_relaxed);
  }

  void thread(unsigned index) {
    if (index == 0) {  // reader side
      x.store(1, std::memory_order_relaxed);
      Sync::light_barrier("sb:L");  // [sb:L] pairs with [sb:H]
      r0 = y.load(std::memory_order_relaxed);
    } else {  // updater side
      y.store(1, std::memory_order_relaxed);
      Sync::heavy_barrier("sb:H");  // [sb:H] pairs with [sb:L]
      r1 = x.load(std::memory_order_relaxed);
    }
  }

  void after() {
    RL_ASSERT(!(r0 == 0 && r1 == 0));
    if (kVacuous) RL_ASSERT(false);
  }
};

template <class Sync>
int RunAll(const char* flavour, bool light_modelled) {
  std::printf("-- policy %s\n", flavour);
  int failures = 0;
  std::string sb = std::string("sb/") + flavour;
  failures +=
      !RunCheck<StoreBuffering<Sync, false>>(sb.c_str(), nullptr, Expect::kPass, rl::sched_full);
  failures +=
      !RunCheck<StoreBuffering<Sync, false>>(sb.c_str(), "sb:H", Expect::kFail, rl::sched_full);
  // Under the membarrier reading the light barrier is a compiler barrier, which Relacy cannot
  // remove (it keeps program order): its mutant is meaningful in the light-as-SC reading.
  if (light_modelled) {
    failures +=
        !RunCheck<StoreBuffering<Sync, false>>(sb.c_str(), "sb:L", Expect::kFail, rl::sched_full);
  }
  std::string vac = std::string("sb-vacuity/") + flavour;
  failures +=
      !RunCheck<StoreBuffering<Sync, true>>(vac.c_str(), nullptr, Expect::kFail, rl::sched_full);
  return failures;
}

}  // namespace
}  // namespace models
}  // namespace grace

int main() {
  using namespace grace::models;
  int failures =
      RunAll<rl_sync>("membarrier", false) + RunAll<rl_sync_light_sc>("light-as-sc", true);
  std::printf("sync_model: %s (%d check(s) did not match)\n", failures == 0 ? "OK" : "FAILED",
              failures);
  return failures == 0 ? 0 : 1;
}
