// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// Tests of grace::TasksTraceRcu (rcu/tasks_trace.h): API behaviour, thread lifecycle, fork,
// signals, domains, callbacks, polled grace periods, the TSan-visible ordering guarantee, and
// every misuse check as a death test (debug builds; the dbg suite of tools/test runs them).

#include "rcu/tasks_trace.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/rcu_test_util.h"

namespace grace {
namespace {

using namespace std::chrono_literals;
using testing_util::Guarded;
using testing_util::PoisonDelete;

TEST(TasksTraceTest, LockUnlockNestsAndIsBasicLockable) {
  TasksTraceRcu& d = TasksTraceRcu::Default();
  EXPECT_FALSE(d.InReader());
  {
    std::scoped_lock outer(d);
    EXPECT_TRUE(d.InReader());
    {
      std::scoped_lock inner(d);
      EXPECT_TRUE(d.InReader());
    }
    EXPECT_TRUE(d.InReader()) << "inner unlock must keep the outer section";
  }
  EXPECT_FALSE(d.InReader());
  EXPECT_TRUE(d.try_lock());
  EXPECT_TRUE(d.InReader());
  d.unlock();
  EXPECT_EQ(d.index(), 0u);
}

TEST(TasksTraceTest, DeepNestingAndTryLockAtTheLimit) {
  TasksTraceRcu d;
  constexpr int kMax = 65535;
  for (int i = 0; i < kMax; ++i) d.lock();
  EXPECT_TRUE(d.InReader());
  EXPECT_FALSE(d.try_lock()) << "try_lock must refuse to overflow the nesting field";
  for (int i = 0; i < kMax - 1; ++i) d.unlock();
  EXPECT_TRUE(d.InReader());
  d.unlock();
  EXPECT_FALSE(d.InReader());
  d.Synchronize();  // the generation advanced cleanly: no stuck section
}

TEST(TasksTraceTest, SynchronizeWaitsForASleepingReaderOnly) {
  TasksTraceRcu d;
  std::atomic<bool> inside{false}, release{false}, synced{false};
  std::thread reader([&] {
    std::scoped_lock g(d);
    inside = true;
    while (!release) std::this_thread::sleep_for(1ms);
  });
  while (!inside) std::this_thread::yield();
  std::thread updater([&] {
    d.Synchronize();
    synced = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(synced.load()) << "grace period ended with a reader inside";
  release = true;
  updater.join();
  reader.join();
  EXPECT_TRUE(synced.load());
  // A reader that starts after Synchronize() started is not waited for.
  d.Synchronize();
}

TEST(TasksTraceTest, ReaderBlockedInOneDomainDoesNotDelayAnother) {
  TasksTraceRcu a, b;
  std::atomic<bool> inside{false}, release{false};
  std::thread reader([&] {
    std::scoped_lock g(a);
    inside = true;
    while (!release) std::this_thread::sleep_for(1ms);
  });
  while (!inside) std::this_thread::yield();
  auto t0 = std::chrono::steady_clock::now();
  b.Synchronize();
  b.Synchronize();
  auto took = std::chrono::steady_clock::now() - t0;
  GpState sa = a.GetState();
  EXPECT_FALSE(a.Poll(sa));
  release = true;
  reader.join();
  a.CondSynchronize(sa);
  EXPECT_TRUE(a.Poll(sa));
  EXPECT_LT(took, 5s) << "domain B waited for a reader of domain A";
}

TEST(TasksTraceTest, ThreadExitReleasesItsRecordForReuse) {
  TasksTraceRcu d;
  for (int i = 0; i < 50; ++i) {
    std::thread t([&] {
      std::scoped_lock g(d);
      std::scoped_lock g2(TasksTraceRcu::Default());
    });
    t.join();
  }
  d.Synchronize();
  TasksTraceRcu::Default().Synchronize();
}

TEST(TasksTraceTest, ThreadExitingInsideAReaderDoesNotHangGracePeriodsInRelease) {
  if (GRACE_DCHECK_IS_ON()) {
    GTEST_SKIP() << "debug builds abort on this misuse (DeathTest.ThreadExitInsideReader)";
  }
  TasksTraceRcu d;
  std::thread t([&] { d.lock(); });  // exits inside: misuse
  t.join();
  d.Synchronize();  // must return: the exit handler ended the section
}

TEST(TasksTraceTest, CallbacksRunAfterGracePeriodAndBarrierWaitsForAll) {
  TasksTraceRcu d;
  std::atomic<int> ran{0};
  constexpr int kCalls = 100000;
  for (int i = 0; i < kCalls; ++i) d.Call([&] { ran.fetch_add(1, std::memory_order_relaxed); });
  d.Barrier();
  EXPECT_EQ(ran.load(), kCalls);
  TasksTraceRcu::Stats st = d.GetStats();
  EXPECT_EQ(st.pending_callbacks, 0u);
  EXPECT_LT(st.grace_periods, static_cast<uint64_t>(kCalls) / 10) << "callbacks not batched";
}

TEST(TasksTraceTest, CallbackMaySynchronize) {
  TasksTraceRcu d;
  std::atomic<bool> done{false};
  d.Call([&] {
    d.Synchronize();
    TasksTraceRcu::Default().Synchronize();
    done = true;
  });
  d.Barrier();
  EXPECT_TRUE(done.load());
}

TEST(TasksTraceTest, RetireDeletesAfterReadersLeave) {
  TasksTraceRcu d;
  std::atomic<uint64_t> freed{0};
  std::atomic<Guarded*> ptr{new Guarded(1)};
  std::atomic<bool> inside{false}, release{false}, ok{true};
  std::thread reader([&] {
    std::scoped_lock g(d);
    Guarded* p = ptr.load(std::memory_order_acquire);
    inside = true;
    while (!release) std::this_thread::sleep_for(1ms);
    if (!p->Alive()) ok = false;
  });
  while (!inside) std::this_thread::yield();
  d.Retire(ptr.exchange(new Guarded(2), std::memory_order_acq_rel), PoisonDelete{&freed});
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(freed.load(), 0u) << "freed while a reader held it";
  release = true;
  reader.join();
  d.Barrier();
  EXPECT_EQ(freed.load(), 1u);
  EXPECT_TRUE(ok.load());
  PoisonDelete{&freed}(ptr.load());
}

TEST(TasksTraceTest, PendingCallbacksAreBounded) {
  TasksTraceRcu::Options o;
  o.max_pending_callbacks = 64;
  TasksTraceRcu d(o);
  std::atomic<uint64_t> freed{0};
  for (int i = 0; i < 5000; ++i) d.Retire(new Guarded(i), PoisonDelete{&freed});
  // Inside a reader: never blocks, even with the queue full.
  {
    std::scoped_lock g(d);
    for (int i = 0; i < 200; ++i) d.Retire(new Guarded(i), PoisonDelete{&freed});
  }
  d.Barrier();
  TasksTraceRcu::Stats st = d.GetStats();
  EXPECT_EQ(freed.load(), 5200u);
  EXPECT_LE(st.peak_pending_callbacks, 64u + 200u);
  EXPECT_GT(st.calls_over_bound, 0u);
  std::printf("peak pending %zu (bound 64), over bound %llu\n", st.peak_pending_callbacks,
              static_cast<unsigned long long>(st.calls_over_bound));
}

TEST(TasksTraceTest, DestructionRunsPendingCallbacks) {
  std::atomic<int> ran{0};
  {
    TasksTraceRcu d;
    for (int i = 0; i < 1000; ++i) d.Call([&] { ran.fetch_add(1); });
  }
  EXPECT_EQ(ran.load(), 1000);
}

TEST(TasksTraceTest, PolledGracePeriods) {
  TasksTraceRcu d;
  GpState s = d.GetState();
  EXPECT_FALSE(d.Poll(s));
  GpState p = d.StartPoll();
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!d.Poll(p) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  EXPECT_TRUE(d.Poll(p));
  EXPECT_TRUE(d.Poll(s));
  GpState q = d.GetState();
  d.CondSynchronize(q);
  EXPECT_TRUE(d.Poll(q));
}

TEST(TasksTraceTest, ConcurrentSynchronizeCallersShareGracePeriods) {
  TasksTraceRcu d;
  constexpr int kThreads = 8, kEach = 20;
  std::vector<std::thread> ts;
  for (int i = 0; i < kThreads; ++i) {
    ts.emplace_back([&] {
      for (int j = 0; j < kEach; ++j) d.Synchronize();
    });
  }
  for (auto& t : ts) t.join();
  uint64_t gps = d.GetStats().grace_periods;
  EXPECT_LE(gps, static_cast<uint64_t>(kThreads * kEach));
  std::printf("%d Synchronize() calls took %llu grace periods\n", kThreads * kEach,
              static_cast<unsigned long long>(gps));
}

// Style rule 13: TSan itself checks that Synchronize() orders a reader's writes (inside its
// section) before the updater's reads after Synchronize(). The flag is relaxed on purpose so
// the only happens-before edge TSan can use is the one grace provides.
TEST(TasksTraceTest, SynchronizeOrdersReaderWritesBeforeUpdaterReads) {
  TasksTraceRcu d;
  for (int round = 0; round < 20; ++round) {
    int data = 0;  // plain
    std::atomic<bool> wrote{false};
    std::thread reader([&] {
      std::scoped_lock g(d);
      data = 42;
      wrote.store(true, std::memory_order_relaxed);
      std::this_thread::sleep_for(round % 2 ? 1ms : 0ms);
    });
    while (!wrote.load(std::memory_order_relaxed)) std::this_thread::yield();
    d.Synchronize();
    EXPECT_EQ(data, 42);
    reader.join();
  }
}

TEST(TasksTraceTest, ReadersThatFaultAndSleepNeverSeeFreedObjects) {
  TasksTraceRcu d;
  testing_util::RunFaultingReadersAgainstPoisonedFrees(
      [&](auto&& body) {
        std::scoped_lock g(d);
        body();
      },
      [&](uint64_t n, Guarded* old, PoisonDelete del) {
        if (n % 2) {
          d.Retire(old, del);
        } else {
          d.Synchronize();
          del(old);
        }
      },
      [&] { d.Barrier(); });
}

TEST(TasksTraceTest, ForkInMultithreadedProcessLeavesAWorkingDomain) {
  TasksTraceRcu d;
  std::atomic<int> inside{0};
  std::atomic<bool> release{false};
  std::vector<std::thread> readers;
  for (int i = 0; i < 2; ++i) {
    readers.emplace_back([&] {
      std::scoped_lock g(d);
      std::scoped_lock g2(TasksTraceRcu::Default());
      inside.fetch_add(1);
      while (!release) std::this_thread::sleep_for(1ms);
    });
  }
  while (inside.load() != 2) std::this_thread::yield();
  d.Call([] {});  // worker running in the parent, its grace period waiting for the readers
  // A grace period in flight at fork() time, waiting for readers that are released only after
  // fork() returns: fork() must not wait for it (it would wait forever).
  std::thread syncer([&] { TasksTraceRcu::Default().Synchronize(); });
  std::this_thread::sleep_for(20ms);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    alarm(20);  // a hang fails the test instead of blocking it
    // The reader threads do not exist here: their sections must not block grace periods.
    d.Synchronize();
    TasksTraceRcu::Default().Synchronize();
    int ran = 0;
    d.Call([&] { ++ran; });
    d.Barrier();
    { std::scoped_lock g(d); }
    d.Synchronize();
    _exit(ran == 1 ? 0 : 3);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  release = true;
  for (auto& t : readers) t.join();
  syncer.join();
  ASSERT_TRUE(WIFEXITED(status)) << "child died (signal " << WTERMSIG(status) << ")";
  EXPECT_EQ(WEXITSTATUS(status), 0);
  d.Barrier();
}

// Signal handlers: a thread whose very first read section is in a signal handler.
std::atomic<Guarded*> g_sig_ptr{nullptr};
// Lock-free atomics: safe in a handler and across threads (volatile sig_atomic_t is not).
std::atomic<int> g_sig_ok{0};
std::atomic<int> g_sig_runs{0};
static_assert(std::atomic<int>::is_always_lock_free, "signal-safe flags");

void ReadInHandler(int) {
  TasksTraceRcu& d = TasksTraceRcu::Default();
  d.lock();
  Guarded* p = g_sig_ptr.load(std::memory_order_acquire);
  g_sig_ok.store((p != nullptr && p->Alive() && d.InReader()) ? 1 : 0);
  d.unlock();
  g_sig_runs.fetch_add(1);
}

TEST(TasksTraceTest, ReadersInSignalHandlersIncludingTheFirstRead) {
  std::atomic<uint64_t> freed{0};
  g_sig_ptr = new Guarded(7);
  struct sigaction sa {};
  sa.sa_handler = &ReadInHandler;
  sigemptyset(&sa.sa_mask);
  ASSERT_EQ(sigaction(SIGUSR1, &sa, nullptr), 0);
  std::atomic<bool> stop{false};
  // The thread never reads outside the handler: its registration happens in the handler.
  std::thread victim([&] {
    while (!stop) std::this_thread::sleep_for(100us);
  });
  for (int i = 0; i < 200; ++i) {
    int before = g_sig_runs.load();
    pthread_kill(victim.native_handle(), SIGUSR1);
    while (g_sig_runs.load() == before) std::this_thread::yield();
    ASSERT_EQ(g_sig_ok.load(), 1) << "round " << i;
    Guarded* old = g_sig_ptr.exchange(new Guarded(i), std::memory_order_acq_rel);
    TasksTraceRcu::Default().Retire(old, PoisonDelete{&freed});
  }
  stop = true;
  victim.join();
  TasksTraceRcu::Default().Barrier();
  EXPECT_EQ(freed.load(), 200u);
  signal(SIGUSR1, SIG_DFL);
  PoisonDelete{&freed}(g_sig_ptr.load());
}

// ---------------------------------------------------------------------------------------------
// Misuse: debug checks (design.md §7). Death tests need debug checks on; the opt suite skips
// them by name and the dbg/asan suites run them.

class TasksTraceDeathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    if (!GRACE_DCHECK_IS_ON()) GTEST_SKIP() << "debug checks are off (NDEBUG); dbg suite runs this";
  }
};

TEST_F(TasksTraceDeathTest, UnbalancedUnlock) {
  EXPECT_DEATH(TasksTraceRcu::Default().unlock(), "unbalanced unlock");
}

TEST_F(TasksTraceDeathTest, NestingOverflow) {
  EXPECT_DEATH(
      {
        TasksTraceRcu d;
        for (int i = 0; i < 65536; ++i) d.lock();
      },
      "nesting overflow");
}

TEST_F(TasksTraceDeathTest, SynchronizeInsideReader) {
  EXPECT_DEATH(
      {
        std::scoped_lock g(TasksTraceRcu::Default());
        TasksTraceRcu::Default().Synchronize();
      },
      "Synchronize\\(\\) called inside a read section");
}

TEST_F(TasksTraceDeathTest, BarrierInsideReader) {
  EXPECT_DEATH(
      {
        TasksTraceRcu d;
        std::scoped_lock g(d);
        d.Barrier();
      },
      "Barrier\\(\\) called inside a read section");
}

TEST_F(TasksTraceDeathTest, ThreadExitInsideReader) {
  EXPECT_DEATH(
      {
        std::thread t([] { TasksTraceRcu::Default().lock(); });
        t.join();
      },
      "thread exited inside a TasksTraceRcu read section");
}

TEST_F(TasksTraceDeathTest, DestroyWithReaderInsideOnAnotherThread) {
  EXPECT_DEATH(
      {
        auto* d = new TasksTraceRcu;
        std::atomic<bool> inside{false};
        std::thread t([&] {
          d->lock();
          inside = true;
          pause();
        });
        while (!inside) std::this_thread::yield();
        // The destructor's grace period would wait forever for `t`: check it first.
        delete d;
      },
      "destroyed while a thread is inside a read section");
}

TEST_F(TasksTraceDeathTest, BarrierFromOwnCallback) {
  EXPECT_DEATH(
      {
        TasksTraceRcu d;
        d.Call([&] { d.Barrier(); });
        d.Barrier();
      },
      "Barrier\\(\\) called from a callback");
}

}  // namespace
}  // namespace grace
