// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// Tests of the shared grace-period engine (rcu/internal/gp_engine.h) with a stand-in reader
// algorithm: `wait_for_readers` waits until a test-controlled count of "readers" is zero.

#include "rcu/internal/gp_engine.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace grace {
namespace rcu_internal {
namespace {

// A fake domain: one grace period waits until `readers` is zero, and counts itself.
struct FakeDomain {
  std::atomic<int> readers{0};
  std::atomic<int> grace_periods{0};
  std::atomic<int> sleep_us{0};
  GpEngine engine;

  explicit FakeDomain(GpEngine::Options o = {})
      : engine(
            [this] {
              grace_periods.fetch_add(1);
              if (int us = sleep_us.load())
                std::this_thread::sleep_for(std::chrono::microseconds(us));
              while (readers.load() != 0) std::this_thread::yield();
            },
            o) {}
};

TEST(GpEngineTest, SynchronizeRunsAGracePeriodAndAdvancesPolls) {
  FakeDomain d;
  GpState s = d.engine.GetState();
  EXPECT_FALSE(d.engine.Poll(s));
  d.engine.Synchronize();
  EXPECT_TRUE(d.engine.Poll(s));
  EXPECT_EQ(d.grace_periods.load(), 1);
  EXPECT_EQ(d.engine.GetStats().grace_periods, 1u);
}

TEST(GpEngineTest, SynchronizeWaitsForReaders) {
  FakeDomain d;
  d.readers = 1;
  std::atomic<bool> returned{false};
  std::thread t([&] {
    d.engine.Synchronize();
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(returned.load());
  d.readers = 0;
  t.join();
  EXPECT_TRUE(returned.load());
}

TEST(GpEngineTest, ConcurrentCallersShareGracePeriods) {
  FakeDomain d;
  d.readers = 1;  // the first grace period blocks until every caller has arrived
  constexpr int kCallers = 8;
  std::atomic<int> entered{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < kCallers; ++i) {
    ts.emplace_back([&] {
      entered.fetch_add(1);
      d.engine.Synchronize();
    });
  }
  while (entered.load() != kCallers) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let them all queue
  d.readers = 0;
  for (auto& t : ts) t.join();
  // One grace period was in flight; one more covers everyone who queued behind it. A caller
  // that was descheduled between `entered` and its snapshot may need one more.
  EXPECT_LE(d.grace_periods.load(), 3);
  std::printf("%d callers shared %d grace periods\n", kCallers, d.grace_periods.load());
}

TEST(GpEngineTest, StartPollCompletesWithoutSynchronize) {
  FakeDomain d;
  GpState s = d.engine.StartPoll();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!d.engine.Poll(s) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(d.engine.Poll(s));
  d.engine.CondSynchronize(s);  // already done: returns at once
}

TEST(GpEngineTest, CallbacksRunAfterAGracePeriodAndBarrierWaitsForAll) {
  FakeDomain d;
  d.readers = 1;
  std::atomic<int> ran{0};
  for (int i = 0; i < 1000; ++i) d.engine.Call([&] { ran.fetch_add(1); }, false);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(ran.load(), 0) << "a callback ran while a reader was still inside";
  d.readers = 0;
  d.engine.Barrier();
  EXPECT_EQ(ran.load(), 1000);
  GpEngine::Stats st = d.engine.GetStats();
  EXPECT_EQ(st.callbacks_invoked, 1000u);  // Barrier() queues nothing of its own
  EXPECT_EQ(st.pending, 0u);
  EXPECT_LT(st.grace_periods, 100u) << "callbacks must be batched per grace period";
}

TEST(GpEngineTest, PendingCallbacksAreBoundedOutsideReaders) {
  GpEngine::Options o;
  o.max_pending_callbacks = 16;
  FakeDomain d(o);
  d.sleep_us = 200;
  std::atomic<int> ran{0};
  for (int i = 0; i < 2000; ++i) d.engine.Call([&] { ran.fetch_add(1); }, false);
  d.engine.Barrier();
  GpEngine::Stats st = d.engine.GetStats();
  EXPECT_EQ(ran.load(), 2000);
  EXPECT_LE(st.peak_pending, 16u) << "peak " << st.peak_pending;
  EXPECT_GT(st.blocked_calls, 0u);
  EXPECT_EQ(st.over_bound, 0u);
}

TEST(GpEngineTest, CallInsideReaderNeverBlocks) {
  GpEngine::Options o;
  o.max_pending_callbacks = 4;
  FakeDomain d(o);
  d.readers = 1;  // the caller "is inside a reader": no grace period can end
  std::atomic<int> ran{0};
  for (int i = 0; i < 100; ++i) d.engine.Call([&] { ran.fetch_add(1); }, /*in_reader=*/true);
  EXPECT_GE(d.engine.GetStats().over_bound, 90u);
  d.readers = 0;
  d.engine.Barrier();
  EXPECT_EQ(ran.load(), 100);
}

TEST(GpEngineTest, CallbackMaySynchronizeAndQueueMore) {
  FakeDomain d;
  std::atomic<int> ran{0};
  d.engine.Call(
      [&] {
        d.engine.Synchronize();
        d.engine.Call([&] { ran.fetch_add(1); }, false);
        ran.fetch_add(1);
      },
      false);
  d.engine.Barrier();  // the first callback ran; the second may still be queued
  d.engine.Barrier();
  EXPECT_EQ(ran.load(), 2);
}

TEST(GpEngineTest, DestructionRunsEveryPendingCallback) {
  std::atomic<int> ran{0};
  {
    FakeDomain d;
    for (int i = 0; i < 500; ++i) d.engine.Call([&] { ran.fetch_add(1); }, false);
  }
  EXPECT_EQ(ran.load(), 500);
}

// Lazy batching (Options::batch_delay_us): a trickle of Call()s shares one grace period, and
// each way of ending the wait early works. The delays are far longer than the test's timeout
// margin, so a wait that did not end early shows as a hang, not as a slow pass.
constexpr uint32_t kForeverUs = 600u * 1000 * 1000;  // 10 minutes

// Polls `done` for up to 60 s (the early exit is what is tested, not a duration).
template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 60000 && !done(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return done();
}

TEST(GpEngineTest, LazyBatchingSharesOneGracePeriodAndBarrierEndsTheWait) {
  GpEngine::Options o;
  o.batch_delay_us = kForeverUs;
  FakeDomain d(o);
  std::atomic<int> ran{0};
  for (int i = 0; i < 100; ++i) d.engine.Call([&] { ran.fetch_add(1); }, false);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(ran.load(), 0) << "the worker took the batch before its delay or a Barrier()";
  d.engine.Barrier();
  EXPECT_EQ(ran.load(), 100);
  EXPECT_EQ(d.engine.GetStats().grace_periods, 1u) << "100 Call()s, one shared grace period";
}

TEST(GpEngineTest, LazyBatchingEndsWhenTheDelayExpires) {
  GpEngine::Options o;
  o.batch_delay_us = 5000;
  FakeDomain d(o);
  std::atomic<int> ran{0};
  d.engine.Call([&] { ran.fetch_add(1); }, false);
  EXPECT_TRUE(Eventually([&] { return ran.load() == 1; })) << "no Barrier(): the delay ends it";
}

TEST(GpEngineTest, LazyBatchingEndsAtHalfTheBound) {
  GpEngine::Options o;
  o.batch_delay_us = kForeverUs;
  o.max_pending_callbacks = 16;
  FakeDomain d(o);
  std::atomic<int> ran{0};
  for (int i = 0; i < 7; ++i) d.engine.Call([&] { ran.fetch_add(1); }, false);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(ran.load(), 0) << "7 of 16: still gathering";
  d.engine.Call([&] { ran.fetch_add(1); }, false);  // 8 of 16
  EXPECT_TRUE(Eventually([&] { return ran.load() == 8; }));
  for (int i = 0; i < 2000; ++i) d.engine.Call([&] { ran.fetch_add(1); }, false);
  EXPECT_TRUE(Eventually([&] { return ran.load() >= 2000; })) << "a flood never waits it out";
  d.engine.Barrier();
  EXPECT_EQ(ran.load(), 2008);
  EXPECT_LE(d.engine.GetStats().peak_pending, 16u);
}

TEST(GpEngineTest, LazyBatchingEndsForStartPollAndForDestruction) {
  std::atomic<int> ran{0};
  {
    GpEngine::Options o;
    o.batch_delay_us = kForeverUs;
    FakeDomain d(o);
    d.engine.Call([&] { ran.fetch_add(1); }, false);
    const GpState s = d.engine.StartPoll();
    EXPECT_TRUE(Eventually([&] { return d.engine.Poll(s); })) << "StartPoll() must not linger";
    d.engine.Call([&] { ran.fetch_add(1); }, false);
  }  // the destructor must not wait out the delay either
  EXPECT_EQ(ran.load(), 2);
}

TEST(GpEngineTest, ForkDoesNotWaitForAGracePeriodInFlight) {
  FakeDomain d;
  d.readers = 1;  // the grace period below cannot end until the parent sets readers = 0
  std::atomic<int> ran{0};
  d.engine.Call([&] { ran.fetch_add(1); }, false);  // a batch in flight in the worker, too
  std::thread syncer([&] { d.engine.Synchronize(); });
  while (d.grace_periods.load() == 0) std::this_thread::yield();
  pid_t pid = fork();  // must not wait for the grace period in flight
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    alarm(20);
    d.readers = 0;  // this child's copy
    GpState s = d.engine.GetState();
    d.engine.Synchronize();  // the abandoned grace period does not block this one
    d.engine.Call([&] { ran.fetch_add(10); }, false);
    d.engine.Barrier();  // the abandoned batch does not block this one
    // 10: the parent's callback was in flight at fork() (abandoned here); 11: it was still
    // queued, so the child's copy runs here too (documented in gp_engine.h).
    const int r = ran.load();
    _exit(d.engine.Poll(s) && (r == 10 || r == 11) ? 0 : 3);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  d.readers = 0;
  syncer.join();
  d.engine.Barrier();
  EXPECT_EQ(ran.load(), 1);  // the parent ran its batch; the child's copy ran nowhere else
  ASSERT_TRUE(WIFEXITED(status)) << "child died (signal " << WTERMSIG(status) << ")";
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(GpEngineTest, ForkChildCanSynchronizeAndRunCallbacks) {
  FakeDomain d;
  std::atomic<int> ran{0};
  d.engine.Call([&] { ran.fetch_add(1); }, false);
  d.engine.Barrier();  // worker started
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    d.engine.Synchronize();
    int child_ran = 0;
    d.engine.Call([&] { ++child_ran; }, false);
    d.engine.Barrier();
    _exit(child_ran == 1 ? 0 : 3);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  d.engine.Barrier();
  EXPECT_EQ(ran.load(), 1);
}

}  // namespace
}  // namespace rcu_internal
}  // namespace grace
