// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// The production Sync policy's out-of-line parts: membarrier detection and registration, the
// heavy barrier, futex wait/wake.
//
// Start-up (InitBarriers, run once, at static initialisation or by the first heavy barrier):
//   1. membarrier(QUERY). If PRIVATE_EXPEDITED is supported and GRACE_BARRIER_FALLBACK is not
//      set, membarrier(REGISTER_PRIVATE_EXPEDITED).
//   2. On success: g_heavy_uses_membarrier = 1, THEN g_light_is_fence = 0.
//
// Why the order of step 2 is safe while readers already run: a reader that still sees
// g_light_is_fence == 1 issues a seq_cst fence, which pairs with the updater's seq_cst fences in
// either mode. A reader that sees 0 may skip the fence, but then registration has completed,
// and every heavy barrier runs after InitBarriers() returned (HeavyBarrierSlow calls it first;
// the function-local static makes its effects visible), so that heavy barrier uses membarrier,
// which makes every running thread, that reader included, execute a full barrier.
// The reverse switch (testing hook) is documented as allowed only with no reader and no
// grace period in flight.

#include "rcu/sync.h"

#include <errno.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "rcu/internal/check.h"

namespace grace {
namespace rcu_internal {

std::atomic<int> g_light_is_fence{1};

namespace {

// 1 when heavy_barrier() must call membarrier. Written before g_light_is_fence is cleared.
std::atomic<int> g_heavy_uses_membarrier{0};

struct StartupState {
  BarrierInfo info;
};

long Membarrier(int cmd) { return syscall(__NR_membarrier, cmd, 0u, 0); }

const StartupState& Startup() {
  static const StartupState state = [] {
    StartupState s{};
    s.info.mode = BarrierMode::kFallback;
    const char* env = std::getenv("GRACE_BARRIER_FALLBACK");
    s.info.fallback_forced = env != nullptr && env[0] == '1';
    long mask = Membarrier(MEMBARRIER_CMD_QUERY);
    if (mask < 0) {
      s.info.register_errno = errno;
    } else {
      s.info.syscall_present = true;
      s.info.query_mask = static_cast<unsigned>(mask);
      s.info.private_expedited = (mask & MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0;
    }
    if (s.info.private_expedited && !s.info.fallback_forced) {
      if (Membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0) {
        s.info.registered = true;
        s.info.mode = BarrierMode::kMembarrier;
        g_heavy_uses_membarrier.store(1, std::memory_order_relaxed);
        // Published after the line above: see "Why the order of step 2 is safe".
        g_light_is_fence.store(0, std::memory_order_seq_cst);
      } else {
        s.info.register_errno = errno;
      }
    }
    return s;
  }();
  return state;
}

// Registers as early as possible so readers get the cheap light barrier from the start.
const bool g_startup_done = (Startup(), true);

}  // namespace

#ifdef GRACE_RUNTIME_MUTANTS
namespace {
std::atomic<long> g_mutant_removals{0};
struct MutantReport {
  ~MutantReport() {
    const char* m = std::getenv("GRACE_MUTANT");
    if (m != nullptr) {
      std::fprintf(stderr, "grace: mutant %s removed %ld time(s)\n", m,
                   g_mutant_removals.load(std::memory_order_relaxed));
    }
  }
} g_mutant_report;
}  // namespace

bool RuntimeMutantRemoves(SyncLabel label) noexcept {
  static const char* const mutant = std::getenv("GRACE_MUTANT");
  if (mutant == nullptr || std::strcmp(mutant, label) != 0) return false;
  if (g_mutant_removals.fetch_add(1, std::memory_order_relaxed) == 0) {
    // Said at once, not only at exit: a test the mutant makes crash (TSan's halt_on_error,
    // an abort) never runs the exit report, and "reached" must not depend on surviving.
    static const char kMsg[] = "grace: mutant reached (first removal)\n";
    (void)!write(2, kMsg, sizeof(kMsg) - 1);  // async-signal-safe
  }
  return true;
}
#endif

void HeavyBarrierSlow() noexcept {
  (void)Startup();  // see the file comment: the first heavy barrier sees the final mode
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (g_heavy_uses_membarrier.load(std::memory_order_relaxed) != 0) {
    if (Membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0) {
      GRACE_DIE_ERRNO("membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) failed after registration",
                      errno);
    }
  }
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

void FutexWait(std::atomic<int32_t>* word, int32_t expected) noexcept {
  static_assert(sizeof(std::atomic<int32_t>) == sizeof(int32_t), "futex word layout");
  long r = syscall(SYS_futex, reinterpret_cast<int32_t*>(word), FUTEX_WAIT_PRIVATE, expected,
                   nullptr, nullptr, 0);
  if (r != 0 && errno != EAGAIN && errno != EINTR) {
    GRACE_DIE_ERRNO("futex(FUTEX_WAIT_PRIVATE)", errno);
  }
}

void FutexWake(std::atomic<int32_t>* word) noexcept {
  long r = syscall(SYS_futex, reinterpret_cast<int32_t*>(word), FUTEX_WAKE_PRIVATE, INT_MAX,
                   nullptr, nullptr, 0);
  if (r < 0) GRACE_DIE_ERRNO("futex(FUTEX_WAKE_PRIVATE)", errno);
}

}  // namespace rcu_internal

BarrierInfo BarrierStatus() noexcept {
  BarrierInfo info = rcu_internal::Startup().info;
  const bool fence_mode = rcu_internal::g_light_is_fence.load(std::memory_order_relaxed) != 0;
  if (fence_mode && info.mode == rcu_internal::BarrierMode::kMembarrier) {
    info.fallback_forced = true;  // the testing hook switched it off
  }
  info.mode =
      fence_mode ? rcu_internal::BarrierMode::kFallback : rcu_internal::BarrierMode::kMembarrier;
  if (!fence_mode) {
    info.mode_name = "membarrier(PRIVATE_EXPEDITED)";
  } else if (info.fallback_forced) {
    info.mode_name = "seq_cst fences (fallback forced)";
  } else if (!info.syscall_present) {
    info.mode_name = "seq_cst fences (membarrier syscall missing)";
  } else if (!info.private_expedited) {
    info.mode_name = "seq_cst fences (PRIVATE_EXPEDITED unsupported)";
  } else {
    info.mode_name = "seq_cst fences (registration refused)";
  }
  return info;
}

void ForceBarrierFallbackForTesting(bool force) noexcept {
  const BarrierInfo& found = rcu_internal::Startup().info;
  const bool use_membarrier = !force && found.registered;
  if (use_membarrier) {
    rcu_internal::g_heavy_uses_membarrier.store(1, std::memory_order_seq_cst);
    rcu_internal::g_light_is_fence.store(0, std::memory_order_seq_cst);
  } else {
    rcu_internal::g_light_is_fence.store(1, std::memory_order_seq_cst);
    rcu_internal::g_heavy_uses_membarrier.store(0, std::memory_order_seq_cst);
  }
}

}  // namespace grace
