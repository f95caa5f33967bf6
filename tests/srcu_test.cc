// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// Tests of grace::Srcu and grace::SrcuFast (rcu/srcu.h), each test run for both: tokens,
// nesting, hand-over between threads, independent domains (1000 at once), readers that sleep
// and fault, counter wrap, signal handlers, callbacks and their bound, polled grace periods,
// the TSan-visible ordering guarantee, and every misuse check as a death test (debug builds).

#include "rcu/srcu.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <memory>
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

// Runs Synchronize() on another thread and waits at most `limit` for it. A grace period that
// never ends (unbalanced counters) fails the test and ends the process rather than hang it.
template <class D>
void SynchronizeWithin(D& d, std::chrono::seconds limit, const char* what) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> f = done->get_future();
  std::thread([&d, done] {
    d.Synchronize();
    done->set_value();
  }).detach();
  if (f.wait_for(limit) != std::future_status::ready) {
    ADD_FAILURE() << what << ": Synchronize() did not return within " << limit.count() << " s";
    std::fflush(nullptr);
    _exit(1);
  }
}

template <class D>
class SrcuTest : public ::testing::Test {};
using Flavours = ::testing::Types<Srcu, SrcuFast>;
TYPED_TEST_SUITE(SrcuTest, Flavours);

TYPED_TEST(SrcuTest, LockReturnsATokenAndSectionsNestAndInterleave) {
  TypeParam d;
  EXPECT_FALSE(d.InReader());
  SrcuToken a = d.lock();
  SrcuToken b = d.lock();
  EXPECT_TRUE(d.InReader());
  d.unlock(a);  // partially overlapping sections: a ends before b
  EXPECT_TRUE(d.InReader());
  d.unlock(b);
  EXPECT_FALSE(d.InReader());
  {
    SrcuGuard<TypeParam> g(d);
    EXPECT_TRUE(d.InReader());
  }
  EXPECT_FALSE(d.InReader());
  d.Synchronize();
  d.SynchronizeExpedited();
}

TYPED_TEST(SrcuTest, SynchronizeWaitsForTheOldestOfInterleavedSections) {
  TypeParam d;
  std::atomic<int> stage{0};
  std::atomic<bool> synced{false};
  std::thread reader([&] {
    SrcuToken a = d.lock();
    stage = 1;
    while (stage.load() < 2) std::this_thread::yield();
    SrcuToken b = d.lock();  // after the grace period started: need not be waited for
    d.unlock(a);
    stage = 3;
    while (!synced.load()) std::this_thread::sleep_for(1ms);
    d.unlock(b);
  });
  while (stage.load() < 1) std::this_thread::yield();
  const uint32_t flips = d.GetStats().flips;
  std::thread updater([&] {
    d.Synchronize();
    synced = true;
  });
  // Section b must begin after the grace period's flip, or the grace period may rightly wait
  // for it too. This thread sees the flip, then releases the reader (stage 2): by coherence
  // the reader's lock() then reads the new rank.
  while (d.GetStats().flips == flips) std::this_thread::yield();
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(synced.load()) << "grace period ended while section a was open";
  stage = 2;
  updater.join();  // ends although b is still open
  EXPECT_EQ(stage.load(), 3);
  reader.join();
}

TYPED_TEST(SrcuTest, TokenUnlockedOnAnotherThread) {
  TypeParam d;
  SrcuToken t = d.lock();  // this thread begins the section
  std::atomic<bool> synced{false};
  std::thread updater([&] {
    d.Synchronize();
    synced = true;
  });
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(synced.load());
  std::thread other([&] { d.unlock(t); });  // another thread ends it
  other.join();
  updater.join();
  EXPECT_TRUE(synced.load());
  // Release builds approximate InReader() by this thread's own locks minus unlocks.
  if (GRACE_DCHECK_IS_ON()) EXPECT_FALSE(d.InReader());
  d.Synchronize();  // counters are balanced across the two threads' slots
}

TYPED_TEST(SrcuTest, ReaderBlockedInOneDomainDoesNotDelayAnother) {
  TypeParam a, b;
  std::atomic<bool> inside{false}, release{false};
  std::thread reader([&] {
    SrcuGuard<TypeParam> g(a);
    inside = true;
    while (!release) std::this_thread::sleep_for(1ms);
  });
  while (!inside) std::this_thread::yield();
  auto start = std::chrono::steady_clock::now();
  b.Synchronize();
  b.SynchronizeExpedited();
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, 5s);
  EXPECT_FALSE(a.Poll(a.StartPoll())) << "domain a's grace period cannot end yet";
  release = true;
  reader.join();
  a.Synchronize();
}

TYPED_TEST(SrcuTest, AThousandDomainsAliveAtOnce) {
  constexpr int kDomains = 1000;
  std::vector<std::unique_ptr<TypeParam>> domains;
  for (int i = 0; i < kDomains; ++i) domains.push_back(std::make_unique<TypeParam>());
  std::vector<SrcuToken> tokens;
  for (auto& d : domains) tokens.push_back(d->lock());
  // Every domain has a reader (this thread); a grace period of a domain whose reader left
  // completes while all the others still have theirs.
  domains[500]->unlock(tokens[500]);
  SynchronizeWithin(*domains[500], 10s, "domain 500");
  size_t bytes = 0;
  for (int i = 0; i < kDomains; ++i) {
    if (i != 500) domains[i]->unlock(tokens[i]);
    bytes += domains[i]->CounterBytes();
  }
  for (int i = 0; i < kDomains; i += 97) domains[i]->Synchronize();
  std::printf("%d domains: %zu bytes of counters (%zu per domain)\n", kDomains, bytes,
              bytes / kDomains);
  EXPECT_LE(bytes / kDomains, size_t{8192});
}

TYPED_TEST(SrcuTest, ReadersThatSleepAndFaultNeverSeeFreedObjects) {
  TypeParam d;
  testing_util::RunFaultingReadersAgainstPoisonedFrees(
      [&](auto&& body) {
        SrcuGuard<TypeParam> g(d);
        body();
      },
      [&](uint64_t n, Guarded* old, PoisonDelete del) {
        switch (n % 3) {
          case 0:
            d.Retire(old, del);
            break;
          case 1:
            d.Synchronize();
            del(old);
            break;
          default:
            d.SynchronizeExpedited();
            del(old);
        }
      },
      [&] { d.Barrier(); });
}

// Counters start 16 below 2^64 (minus the slot number), so they wrap during the test; the
// grace period must still wait for the reader on either side of the wrap.
TYPED_TEST(SrcuTest, CountersWrap) {
  SrcuOptions o;
  o.counter_base_for_testing = ~uint64_t{0} - 15;
  TypeParam d(o);
  for (int round = 0; round < 64; ++round) {
    std::atomic<bool> inside{false}, release{false}, synced{false};
    std::thread reader([&] {
      SrcuToken t = d.lock();
      inside = true;
      while (!release) std::this_thread::sleep_for(100us);
      d.unlock(t);
    });
    while (!inside) std::this_thread::yield();
    std::thread updater([&] {
      d.Synchronize();
      synced = true;
    });
    std::this_thread::sleep_for(2ms);
    ASSERT_FALSE(synced.load()) << "round " << round << ": grace period ended under a reader";
    release = true;
    reader.join();
    updater.join();
    for (int i = 0; i < round; ++i) d.unlock(d.lock());
  }
  EXPECT_GE(d.GetStats().flips, 64u);
}

TYPED_TEST(SrcuTest, CallbacksRunAfterGracePeriodAndBarrierWaitsForAll) {
  TypeParam d;
  std::atomic<int> ran{0};
  for (int i = 0; i < 10000; ++i) d.Call([&] { ran.fetch_add(1, std::memory_order_relaxed); });
  d.Barrier();
  EXPECT_EQ(ran.load(), 10000);
  auto s = d.GetStats();
  EXPECT_EQ(s.callbacks_invoked, 10000u);  // Barrier() queues nothing of its own
  EXPECT_EQ(s.pending_callbacks, 0u);
  EXPECT_GE(s.grace_periods, 1u);
}

TYPED_TEST(SrcuTest, RetireWaitsForAReaderThatSleeps) {
  TypeParam d;
  std::atomic<uint64_t> freed{0};
  Guarded* g = new Guarded(1);
  std::atomic<bool> inside{false}, release{false};
  std::thread reader([&] {
    SrcuGuard<TypeParam> guard(d);
    inside = true;
    while (!release) std::this_thread::sleep_for(1ms);
    EXPECT_TRUE(g->Alive());
  });
  while (!inside) std::this_thread::yield();
  d.Retire(g, PoisonDelete{&freed});
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(freed.load(), 0u);
  release = true;
  reader.join();
  d.Barrier();
  EXPECT_EQ(freed.load(), 1u);
}

TYPED_TEST(SrcuTest, PendingCallbacksAreBounded) {
  SrcuOptions o;
  o.max_pending_callbacks = 64;
  TypeParam d(o);
  std::atomic<int> ran{0};
  for (int i = 0; i < 2000; ++i) d.Call([&] { ran.fetch_add(1); });
  d.Barrier();
  EXPECT_EQ(ran.load(), 2000);
  auto s = d.GetStats();
  EXPECT_LE(s.peak_pending_callbacks, 64u);
  EXPECT_EQ(s.calls_over_bound, 0u);
  // Inside a read section a Call() must not block (the room it waits for needs a grace period
  // that waits for this reader): it goes over the bound instead.
  {
    SrcuGuard<TypeParam> g(d);
    for (int i = 0; i < 200; ++i) d.Call([&] { ran.fetch_add(1); });
  }
  d.Barrier();
  EXPECT_EQ(ran.load(), 2200);
  EXPECT_GT(d.GetStats().calls_over_bound, 0u);
}

TYPED_TEST(SrcuTest, PolledGracePeriods) {
  TypeParam d;
  GpState s = d.GetState();
  EXPECT_FALSE(d.Poll(s));
  d.Synchronize();
  EXPECT_TRUE(d.Poll(s));
  GpState p = d.StartPoll();
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!d.Poll(p) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100us);
  }
  EXPECT_TRUE(d.Poll(p)) << "StartPoll() must start a grace period by itself";
  d.CondSynchronize(d.GetState());
}

TYPED_TEST(SrcuTest, ConcurrentSynchronizeCallersAndExpeditedOnes) {
  TypeParam d;
  std::vector<std::thread> ts;
  for (int i = 0; i < 8; ++i) {
    ts.emplace_back([&, i] {
      for (int k = 0; k < 50; ++k) {
        if (i % 2) {
          d.Synchronize();
        } else {
          d.SynchronizeExpedited();
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  // Callers that overlap share grace periods (how often they overlap is measured by
  // benchmarks/srcu_benchmark, not asserted here).
  EXPECT_LE(d.GetStats().grace_periods, 400u);
  EXPECT_GE(d.GetStats().grace_periods, 1u);
}

// Threads come and go: slots are reused, counters continue, grace periods stay correct.
TYPED_TEST(SrcuTest, ThreadChurnReusesSlots) {
  TypeParam d;
  for (int round = 0; round < 50; ++round) {
    std::vector<std::thread> ts;
    for (int i = 0; i < 8; ++i) {
      ts.emplace_back([&] {
        for (int k = 0; k < 100; ++k) d.unlock(d.lock());
      });
    }
    for (auto& t : ts) t.join();
    SynchronizeWithin(d, 10s, "after thread churn");
  }
  EXPECT_LE(d.CounterBytes(), size_t{8192}) << "slots of exited threads must be reused";
}

// Without membarrier both sides use seq_cst fences (rcu/sync.h); SrcuFast must stay correct.
TYPED_TEST(SrcuTest, CorrectInBarrierFallbackMode) {
  ForceBarrierFallbackForTesting(true);
  {
    TypeParam d;
    std::atomic<uint64_t> freed{0};
    std::atomic<Guarded*> ptr{new Guarded(0)};
    std::atomic<bool> stop{false};
    std::atomic<long> bad{0};
    std::thread reader([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        SrcuGuard<TypeParam> g(d);
        if (!ptr.load(std::memory_order_acquire)->Alive()) bad.fetch_add(1);
      }
    });
    for (uint64_t i = 1; i <= 2000; ++i) {
      Guarded* old = ptr.exchange(new Guarded(i), std::memory_order_acq_rel);
      d.Synchronize();
      PoisonDelete{&freed}(old);
    }
    stop = true;
    reader.join();
    EXPECT_EQ(bad.load(), 0);
    PoisonDelete{&freed}(ptr.load());
  }
  ForceBarrierFallbackForTesting(false);
}

// Style rule 13: TSan itself checks that Synchronize() orders a reader's writes (inside its
// section) before the updater's reads after Synchronize(). The flag is relaxed on purpose so
// the only happens-before edge TSan can use is the one grace provides.
TYPED_TEST(SrcuTest, SynchronizeOrdersReaderWritesBeforeUpdaterReads) {
  TypeParam d;
  for (int round = 0; round < 20; ++round) {
    int data = 0;  // plain
    std::atomic<bool> wrote{false};
    std::thread reader([&] {
      SrcuGuard<TypeParam> g(d);
      data = 42;
      wrote.store(true, std::memory_order_relaxed);
      std::this_thread::sleep_for(round % 2 ? 1ms : 0ms);
    });
    while (!wrote.load(std::memory_order_relaxed)) std::this_thread::yield();
    if (round % 2) {
      d.Synchronize();
    } else {
      d.SynchronizeExpedited();
    }
    EXPECT_EQ(data, 42);
    reader.join();
  }
}

// Signal handlers that read on a thread that is itself locking and unlocking the same domain:
// a handler that runs between the load and the store of a non-atomic increment would lose a
// count and the next grace period would never end (or end too early).
template <class D>
struct SignalTarget {
  static D* domain;
  static std::atomic<int> runs;
  static void Handler(int) {
    SrcuToken t = domain->lock();
    domain->unlock(t);
    runs.fetch_add(1, std::memory_order_relaxed);
  }
};
template <class D>
D* SignalTarget<D>::domain = nullptr;
template <class D>
std::atomic<int> SignalTarget<D>::runs{0};

TYPED_TEST(SrcuTest, ReadersInSignalHandlersInterruptingReaders) {
  TypeParam d;
  using Target = SignalTarget<TypeParam>;
  Target::domain = &d;
  Target::runs = 0;
  struct sigaction sa {};
  sa.sa_handler = &Target::Handler;
  sigemptyset(&sa.sa_mask);
  ASSERT_EQ(sigaction(SIGUSR2, &sa, nullptr), 0);
  std::atomic<bool> stop{false}, started{false};
  std::thread victim([&] {
    started = true;
    while (!stop.load(std::memory_order_relaxed)) d.unlock(d.lock());
  });
  while (!started) std::this_thread::yield();
  auto until = std::chrono::steady_clock::now() + 300ms;
  int sent = 0;
  while (std::chrono::steady_clock::now() < until) {
    pthread_kill(victim.native_handle(), SIGUSR2);
    ++sent;
    if (sent % 64 == 0) SynchronizeWithin(d, 10s, "while signals interrupt readers");
  }
  stop = true;
  victim.join();
  SynchronizeWithin(d, 10s, "after signals interrupted readers");
  signal(SIGUSR2, SIG_DFL);
  EXPECT_GT(Target::runs.load(), 0);
  std::printf("%d signals sent, %d handler read sections\n", sent, Target::runs.load());
}

// A thread whose very first SRCU use is in a signal handler registers there.
TYPED_TEST(SrcuTest, FirstUseInASignalHandler) {
  TypeParam d;
  using Target = SignalTarget<TypeParam>;
  Target::domain = &d;
  Target::runs = 0;
  struct sigaction sa {};
  sa.sa_handler = &Target::Handler;
  sigemptyset(&sa.sa_mask);
  ASSERT_EQ(sigaction(SIGUSR2, &sa, nullptr), 0);
  std::atomic<bool> stop{false};
  std::thread victim([&] {
    while (!stop) std::this_thread::sleep_for(100us);
  });
  for (int i = 0; i < 20; ++i) {
    int before = Target::runs.load();
    // Resent until handled: a pending signal of the same number is not queued twice, and
    // TSan delays delivery to its own safe points.
    for (int tries = 0; Target::runs.load() == before; ++tries) {
      if (tries % 1000 == 0) pthread_kill(victim.native_handle(), SIGUSR2);
      std::this_thread::sleep_for(50us);
    }
  }
  stop = true;
  victim.join();
  signal(SIGUSR2, SIG_DFL);
  SynchronizeWithin(d, 10s, "after first use in a handler");
}

TYPED_TEST(SrcuTest, DestructionRunsCallbacksQueuedBeforeBarrier) {
  std::atomic<int> ran{0};
  {
    TypeParam d;
    d.Call([&] { ran = 1; });
    d.Barrier();
  }
  EXPECT_EQ(ran.load(), 1);
}

// ---------------------------------------------------------------------------------------------
// Misuse: debug checks (design.md §7). Death tests need debug checks on; the opt suite skips
// them and the dbg/asan suites run them.

template <class D>
class SrcuDeathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    if (!GRACE_DCHECK_IS_ON()) GTEST_SKIP() << "debug checks are off (NDEBUG); dbg suite runs this";
  }
};
TYPED_TEST_SUITE(SrcuDeathTest, Flavours);

TYPED_TEST(SrcuDeathTest, UnlockWithAnotherDomainsToken) {
  TypeParam a, b;
  SrcuToken t = a.lock();
  EXPECT_DEATH(b.unlock(t), "token that this domain's lock\\(\\) did not return");
  a.unlock(t);
}

TYPED_TEST(SrcuDeathTest, UnlockWithADefaultConstructedToken) {
  TypeParam d;
  EXPECT_DEATH(d.unlock(SrcuToken{}), "did not return");
}

TYPED_TEST(SrcuDeathTest, UnlockTwice) {
  TypeParam d;
  SrcuToken t = d.lock();
  d.unlock(t);
  EXPECT_DEATH(d.unlock(t), "unlocked twice");
}

TYPED_TEST(SrcuDeathTest, SynchronizeInsideReader) {
  TypeParam d;
  EXPECT_DEATH(
      {
        SrcuGuard<TypeParam> g(d);
        d.Synchronize();
      },
      "Synchronize\\(\\) called inside a read section of the same domain");
  EXPECT_DEATH(
      {
        SrcuGuard<TypeParam> g(d);
        d.SynchronizeExpedited();
      },
      "SynchronizeExpedited\\(\\) called inside a read section");
}

TYPED_TEST(SrcuDeathTest, BarrierInsideReader) {
  TypeParam d;
  EXPECT_DEATH(
      {
        SrcuGuard<TypeParam> g(d);
        d.Barrier();
      },
      "Barrier\\(\\) called inside a read section");
}

TYPED_TEST(SrcuDeathTest, SynchronizeInsideAnotherDomainsReaderIsFine) {
  TypeParam a, b;
  SrcuGuard<TypeParam> g(a);
  b.Synchronize();
}

TYPED_TEST(SrcuDeathTest, DestroyWithReaderInsideOnAnotherThread) {
  EXPECT_DEATH(
      {
        auto* d = new TypeParam;
        std::atomic<bool> inside{false};
        std::thread t([&] {
          d->lock();
          inside = true;
          pause();
        });
        while (!inside) std::this_thread::yield();
        delete d;
      },
      "destroyed while a read section is in progress");
}

TYPED_TEST(SrcuDeathTest, DestroyInsideOwnReader) {
  EXPECT_DEATH(
      {
        auto* d = new TypeParam;
        d->lock();
        delete d;
      },
      "destroyed inside one of its own read sections");
}

TYPED_TEST(SrcuDeathTest, DestroyWithCallbacksPending) {
  EXPECT_DEATH(
      {
        auto* d = new TypeParam;
        std::atomic<bool> running{false};
        // The first callback occupies the worker, so the second one is surely pending.
        d->Call([&] {
          running = true;
          pause();
        });
        d->Call([] {});
        while (!running) std::this_thread::yield();
        delete d;
      },
      "destroyed with callbacks pending");
}

}  // namespace
}  // namespace grace
