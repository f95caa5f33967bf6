// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// Stress test of TasksTraceRcu: readers that nest, sleep, take real page faults, run in signal
// handlers and come and go (thread churn), against updaters that publish new objects and free
// the old ones through every path (Synchronize, Retire, polled states, CondSynchronize), in
// the default domain and an independent one at once. Freed objects are poisoned; the test
// fails if a reader ever sees poison, or if an object is freed twice or never.
//
// Duration and thread counts are flags, so the same binary is the quick test in tools/test and
// a soak test:  bazel run -c opt //tests:tasks_trace_stress_test -- --stress_seconds=600

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "gtest/gtest.h"
#include "rcu/tasks_trace.h"
#include "tests/rcu_test_util.h"

ABSL_FLAG(double, stress_seconds, 2.0, "duration of each stress test");
ABSL_FLAG(int, stress_readers, 3, "long-lived reader threads per domain");
ABSL_FLAG(int, stress_updaters, 2, "updater threads per domain");

namespace grace {
namespace {

using testing_util::Guarded;
using testing_util::PoisonDelete;

struct Shared {
  TasksTraceRcu* domain;
  std::atomic<Guarded*> ptr{nullptr};
  std::atomic<uint64_t> published{0};
  std::atomic<uint64_t> freed{0};
  std::atomic<uint64_t> bad_reads{0};
  std::atomic<uint64_t> reads{0};
  std::atomic<long> faults{0};
  std::atomic<bool> stop{false};
};

// One read section: load, maybe nest, maybe fault, maybe sleep, check.
void ReadOnce(Shared& s, testing_util::FaultingFile& file, std::minstd_rand& rng) {
  std::scoped_lock outer(*s.domain);
  Guarded* p = s.ptr.load(std::memory_order_acquire);
  const unsigned r = rng();
  if (r % 4 == 0) {
    std::scoped_lock inner(*s.domain);
    Guarded* q = s.ptr.load(std::memory_order_acquire);
    if (!q->Alive()) s.bad_reads.fetch_add(1);
  }
  if (r % 8 == 1) (void)file.Touch(r >> 8);
  if (r % 512 == 2) std::this_thread::sleep_for(std::chrono::microseconds(100));
  if (r % 1024 == 3) sched_yield();
  if (!p->Alive()) s.bad_reads.fetch_add(1);
  s.reads.fetch_add(1, std::memory_order_relaxed);
}

void Reader(Shared& s, testing_util::FaultingFile& file, unsigned seed) {
  std::minstd_rand rng(seed);
  long f0 = testing_util::ThreadFaults();
  while (!s.stop.load(std::memory_order_relaxed)) ReadOnce(s, file, rng);
  s.faults.fetch_add(testing_util::ThreadFaults() - f0);
}

void Updater(Shared& s, testing_util::FaultingFile& file, unsigned seed) {
  std::minstd_rand rng(seed);
  std::vector<std::pair<GpState, Guarded*>> polled;
  while (!s.stop.load(std::memory_order_relaxed)) {
    Guarded* fresh = new Guarded(s.published.fetch_add(1) + 1);
    Guarded* old = s.ptr.exchange(fresh, std::memory_order_acq_rel);
    if (rng() % 16 == 0) file.DropPages();
    switch (rng() % 4) {
      case 0:
        s.domain->Synchronize();
        PoisonDelete{&s.freed}(old);
        break;
      case 1:
        s.domain->Retire(old, PoisonDelete{&s.freed});
        break;
      case 2:
        polled.emplace_back(s.domain->StartPoll(), old);
        break;
      case 3: {
        GpState st = s.domain->GetState();
        s.domain->CondSynchronize(st);
        PoisonDelete{&s.freed}(old);
        break;
      }
    }
    // Free polled objects whose grace period has ended; block on the oldest now and then.
    while (!polled.empty() && (s.domain->Poll(polled.front().first) || polled.size() > 64)) {
      s.domain->CondSynchronize(polled.front().first);
      PoisonDelete{&s.freed}(polled.front().second);
      polled.erase(polled.begin());
    }
  }
  for (auto& [st, p] : polled) {
    s.domain->CondSynchronize(st);
    PoisonDelete{&s.freed}(p);
  }
}

// Signal-handler readers of the default domain.
std::atomic<Shared*> g_sig_shared{nullptr};

void SignalReader(int) {
  Shared* s = g_sig_shared.load(std::memory_order_acquire);
  if (s == nullptr) return;
  s->domain->lock();
  Guarded* p = s->ptr.load(std::memory_order_acquire);
  if (!p->Alive()) s->bad_reads.fetch_add(1);
  s->domain->unlock();
}

void RunStress(TasksTraceRcu& domain, bool with_signals) {
  const auto duration = std::chrono::duration<double>(absl::GetFlag(FLAGS_stress_seconds));
  Shared s;
  s.domain = &domain;
  s.ptr = new Guarded(0);
  testing_util::FaultingFile file(64);
  std::vector<std::thread> threads;
  for (int i = 0; i < absl::GetFlag(FLAGS_stress_readers); ++i) {
    threads.emplace_back(Reader, std::ref(s), std::ref(file), 100 + i);
  }
  for (int i = 0; i < absl::GetFlag(FLAGS_stress_updaters); ++i) {
    threads.emplace_back(Updater, std::ref(s), std::ref(file), 200 + i);
  }
  // Thread churn: short-lived readers, each registering, reading, exiting.
  std::atomic<uint64_t> churned{0};
  threads.emplace_back([&] {
    std::minstd_rand rng(7);
    while (!s.stop.load()) {
      std::thread t([&] {
        std::minstd_rand r2(rng());
        for (int i = 0; i < 50; ++i) ReadOnce(s, file, r2);
      });
      t.join();
      churned.fetch_add(1);
    }
  });
  uint64_t signals = 0;
  if (with_signals) {
    g_sig_shared = &s;
    struct sigaction sa {};
    sa.sa_handler = &SignalReader;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, nullptr);
  }
  auto end = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < end) {
    if (with_signals) {
      for (size_t i = 0; i < threads.size(); ++i) {
        pthread_kill(threads[i].native_handle(), SIGUSR2);
        ++signals;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  s.stop = true;
  for (auto& t : threads) t.join();
  if (with_signals) {
    signal(SIGUSR2, SIG_IGN);
    g_sig_shared = nullptr;
  }
  domain.Barrier();
  PoisonDelete{&s.freed}(s.ptr.load());
  EXPECT_EQ(s.bad_reads.load(), 0u) << "readers saw freed (poisoned) objects";
  EXPECT_EQ(s.freed.load(), s.published.load() + 1) << "objects lost or freed twice";
  EXPECT_GT(s.faults.load(), 0) << "no reader took a page fault";
  std::printf(
      "%llu reads, %llu updates, %ld faults in readers, %llu churned threads, "
      "%llu signals\n",
      static_cast<unsigned long long>(s.reads.load()),
      static_cast<unsigned long long>(s.published.load()), s.faults.load(),
      static_cast<unsigned long long>(churned.load()), static_cast<unsigned long long>(signals));
}

TEST(TasksTraceStressTest, DefaultDomainWithSignalHandlerReaders) {
  RunStress(TasksTraceRcu::Default(), /*with_signals=*/true);
}

TEST(TasksTraceStressTest, IndependentDomain) {
  TasksTraceRcu d;
  RunStress(d, /*with_signals=*/false);
}

TEST(TasksTraceStressTest, TwoDomainsAtOnce) {
  TasksTraceRcu a, b;
  std::thread ta([&] { RunStress(a, false); });
  RunStress(b, false);
  ta.join();
}

}  // namespace
}  // namespace grace
