// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// Tests of the production Sync policy (rcu/sync.h): membarrier detection, the forced fallback
// (both by the testing hook and by GRACE_BARRIER_FALLBACK=1 in a fresh process), and a real
// two-thread store-buffering loop showing that light_barrier()/heavy_barrier() forbid the
// outcome that plain stores and loads allow.

#include "rcu/sync.h"

#include <linux/membarrier.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "gtest/gtest.h"

ABSL_FLAG(int64_t, sb_iterations, 50000,
          "store-buffering rounds per mode (raise it to soak the barrier pair)");

namespace grace {
namespace {

using rcu_internal::BarrierMode;

// Restores the start-up mode whatever a test did.
class SyncTest : public testing::Test {
 protected:
  void TearDown() override { ForceBarrierFallbackForTesting(false); }
};

TEST_F(SyncTest, StatusIsConsistent) {
  BarrierInfo info = BarrierStatus();
  ASSERT_NE(info.mode_name, nullptr);
  if (!info.syscall_present) {
    EXPECT_EQ(info.mode, BarrierMode::kFallback);
    EXPECT_NE(info.register_errno, 0);
    return;
  }
  EXPECT_EQ(info.private_expedited, (info.query_mask & MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0);
  if (info.private_expedited && !info.fallback_forced) {
    // Supported and not forced: either registered and used, or refused with a reason.
    EXPECT_EQ(info.mode == BarrierMode::kMembarrier, info.registered);
    if (!info.registered) EXPECT_NE(info.register_errno, 0);
  } else {
    EXPECT_EQ(info.mode, BarrierMode::kFallback);
  }
  std::printf("barrier mode: %s (query mask 0x%x)\n", info.mode_name, info.query_mask);
}

TEST_F(SyncTest, ForcedFallbackSwitchesBothSidesAndBack) {
  const BarrierInfo before = BarrierStatus();
  ForceBarrierFallbackForTesting(true);
  BarrierInfo forced = BarrierStatus();
  EXPECT_EQ(forced.mode, BarrierMode::kFallback);
  EXPECT_TRUE(forced.fallback_forced);
  EXPECT_EQ(rcu_internal::g_light_is_fence.load(), 1);
  std_sync::heavy_barrier("test");  // fences only; must not fail
  std_sync::light_barrier("test");
  ForceBarrierFallbackForTesting(false);
  EXPECT_EQ(BarrierStatus().mode, before.mode);
  EXPECT_EQ(rcu_internal::g_light_is_fence.load() == 0, before.mode == BarrierMode::kMembarrier);
}

// Store buffering: R: x=1; light; r0=y.  U: y=1; heavy; r1=x.  Forbidden: r0 == r1 == 0.
// `use_barriers == false` runs the same loop with compiler barriers only, which x86 and ARM
// let reorder: it shows the harness can observe the outcome at all (reported, not asserted,
// because whether two threads overlap closely enough on a shared machine is luck).
struct SbResult {
  int64_t rounds = 0;
  int64_t forbidden = 0;
};

SbResult RunStoreBuffering(int64_t rounds, bool use_barriers) {
  alignas(64) std::atomic<int> x{0};
  alignas(64) std::atomic<int> y{0};
  alignas(64) std::atomic<int64_t> go{-1};    // round the reader may start
  alignas(64) std::atomic<int64_t> done{-1};  // round the reader finished
  alignas(64) std::atomic<int> r0{0};
  std::thread reader([&] {
    for (int64_t i = 0; i < rounds; ++i) {
      while (go.load(std::memory_order_acquire) != i) std_sync::spin();
      x.store(1, std::memory_order_relaxed);
      if (use_barriers) {
        std_sync::light_barrier("sb:L");  // [sb:L] pairs with [sb:H]
      } else {
        std::atomic_signal_fence(std::memory_order_seq_cst);
      }
      r0.store(y.load(std::memory_order_relaxed), std::memory_order_relaxed);
      done.store(i, std::memory_order_release);
    }
  });
  SbResult result;
  for (int64_t i = 0; i < rounds; ++i) {
    x.store(0, std::memory_order_relaxed);
    y.store(0, std::memory_order_relaxed);
    go.store(i, std::memory_order_release);  // the reader's x=1 follows this
    y.store(1, std::memory_order_relaxed);
    if (use_barriers) {
      std_sync::heavy_barrier("sb:H");  // [sb:H] pairs with [sb:L]
    } else {
      std::atomic_signal_fence(std::memory_order_seq_cst);
    }
    int r1 = x.load(std::memory_order_relaxed);
    while (done.load(std::memory_order_acquire) != i) std_sync::spin();
    if (r0.load(std::memory_order_relaxed) == 0 && r1 == 0) ++result.forbidden;
    ++result.rounds;
  }
  reader.join();
  return result;
}

TEST_F(SyncTest, BarrierPairForbidsStoreBuffering) {
  const int64_t rounds = absl::GetFlag(FLAGS_sb_iterations);
  SbResult control = RunStoreBuffering(rounds / 4, /*use_barriers=*/false);
  std::printf("without barriers: %lld of %lld rounds showed r0 == r1 == 0\n",
              static_cast<long long>(control.forbidden), static_cast<long long>(control.rounds));
  SbResult pair = RunStoreBuffering(rounds, /*use_barriers=*/true);
  EXPECT_EQ(pair.forbidden, 0) << "mode " << BarrierStatus().mode_name;
  std::printf("%s: 0 of %lld rounds forbidden outcome\n", BarrierStatus().mode_name,
              static_cast<long long>(pair.rounds));
}

TEST_F(SyncTest, FallbackPairForbidsStoreBuffering) {
  ForceBarrierFallbackForTesting(true);
  SbResult pair = RunStoreBuffering(absl::GetFlag(FLAGS_sb_iterations), /*use_barriers=*/true);
  EXPECT_EQ(pair.forbidden, 0);
}

TEST_F(SyncTest, FutexWaitReturnsWhenValueDiffers) {
  std::atomic<int32_t> word{1};
  std_sync::futex_wait(word, 0);  // value is 1, not 0: returns at once (EAGAIN)
  std::thread waker([&] {
    word.store(2, std::memory_order_release);
    std_sync::futex_wake(word);
  });
  while (word.load(std::memory_order_acquire) == 1) std_sync::futex_wait(word, 1);
  waker.join();
  EXPECT_EQ(word.load(), 2);
}

// Run in a child process with GRACE_BARRIER_FALLBACK=1 by EnvironmentForcesFallback below.
TEST(SyncChildTest, DISABLED_StartsInFallbackWhenEnvironmentSaysSo) {
  BarrierInfo info = BarrierStatus();
  EXPECT_EQ(info.mode, BarrierMode::kFallback);
  EXPECT_TRUE(info.fallback_forced);
  EXPECT_FALSE(info.registered);
  EXPECT_EQ(rcu_internal::g_light_is_fence.load(), 1);
}

TEST(SyncEnvTest, EnvironmentForcesFallback) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setenv("GRACE_BARRIER_FALLBACK", "1", 1);
    execl("/proc/self/exe", "sync_test",
          "--gtest_filter=SyncChildTest.DISABLED_StartsInFallbackWhenEnvironmentSaysSo",
          "--gtest_also_run_disabled_tests", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child's test failed (output above)";
}

}  // namespace
}  // namespace grace
