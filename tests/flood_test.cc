// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// Callback floods, one per flavour: several threads queue Call()s and Retire()s as fast as they
// can on a domain with a pending-callback bound. Checks that the bound holds (peak pending never
// exceeds it: flooding threads are outside read sections, so no call may go over it, see
// max_pending_callbacks in rcu/tasks_trace.h and rcu/srcu.h) and that every callback ran exactly
// once (a run count per callback id), and prints one line per flavour to stdout:
//
//   flood <flavour>: callbacks=N peak_pending=P bound=B peak_bytes≈X rss_growth=Y KiB ...
//
// peak_bytes is an estimate of what the queue held at its peak: one absl::AnyInvocable per
// pending callback (captures fit inline) plus, for the Retire() half, the retired object. The
// queue's two std::vectors (queued, and the batch being run) may add up to twice that again in
// unused capacity. rss_growth is measured: the peak resident set (VmHWM, reset through
// /proc/self/clear_refs after malloc_trim(0), before the flood; ru_maxrss growth if the reset
// is refused) minus the resident set before it. Under TSan and ASan it includes shadow memory,
// and under ASan the freed callbacks and objects its quarantine holds back (about 18 MiB).
// Sizes are flags (--flood_threads, --flood_per_thread, --flood_bound). The default flood
// takes well under a second per flavour in opt, dbg and asan builds, about one under tsan. In one
// process later flavours reuse pages earlier ones freed, so their rss_growth is smaller; run one
// flavour per process (--gtest_filter=FloodTest.Srcu) for its first-touch figure.

#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/functional/any_invocable.h"
#include "gtest/gtest.h"
#include "rcu/srcu.h"
#include "rcu/tasks_trace.h"

ABSL_FLAG(int, flood_threads, 4, "threads flooding each domain");
ABSL_FLAG(int, flood_per_thread, 200000, "callbacks queued by each flooding thread");
ABSL_FLAG(int, flood_bound, 4096,
          "max_pending_callbacks of the domains the test creates (Default() keeps its own)");

namespace grace {
namespace {

// A field of /proc/self/status in KiB ("VmRSS", "VmHWM"); -1 if absent.
long StatusKiB(const char* field) {
  char buf[4096] = {};
  int fd = open("/proc/self/status", O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  const size_t len = strlen(field);
  for (const char* p = buf; (p = strstr(p, field)) != nullptr; p += len) {
    if ((p == buf || p[-1] == '\n') && p[len] == ':') return strtol(p + len + 1, nullptr, 10);
  }
  return -1;
}

long MaxRssKiB() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

// Resets VmHWM to the current resident set (Linux >= 4.0). False if refused.
bool ResetPeakRss() {
  int fd = open("/proc/self/clear_refs", O_WRONLY);
  if (fd < 0) return false;
  const bool ok = write(fd, "5", 1) == 1;
  close(fd);
  return ok;
}

// What a Retire() hands over: 16 bytes, marked in `runs` by its deleter.
struct Item {
  uint64_t id;
  uint64_t payload;
};
struct ItemDelete {
  std::vector<std::atomic<uint8_t>>* runs;
  void operator()(Item* it) const {
    (*runs)[it->id].fetch_add(1, std::memory_order_relaxed);
    delete it;
  }
};

template <class D>
void Flood(const char* flavour, D& d, size_t bound) {
  const int threads = absl::GetFlag(FLAGS_flood_threads);
  const int per_thread = absl::GetFlag(FLAGS_flood_per_thread);
  ASSERT_GT(threads, 0);
  ASSERT_GT(per_thread, 0);
  const size_t n = static_cast<size_t>(threads) * static_cast<size_t>(per_thread);
  // One run count per callback id, touched now so that it is part of the baseline RSS.
  std::vector<std::atomic<uint8_t>> runs(n);
  for (auto& r : runs) r.store(0, std::memory_order_relaxed);

  const typename D::Stats before = d.GetStats();
  // Give free heap pages back first, so pages an earlier flood freed (still resident) are not
  // silently reused and missed by the growth figure.
  malloc_trim(0);
  const bool hwm_reset = ResetPeakRss();
  const long rss_before = hwm_reset ? StatusKiB("VmRSS") : MaxRssKiB();
  const auto start = std::chrono::steady_clock::now();

  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      const uint64_t base = static_cast<uint64_t>(t) * static_cast<uint64_t>(per_thread);
      for (int i = 0; i < per_thread; ++i) {
        const uint64_t id = base + static_cast<uint64_t>(i);
        if (i % 2 == 0) {
          d.Call([&runs, id] { runs[id].fetch_add(1, std::memory_order_relaxed); });
        } else {
          d.Retire(new Item{id, ~id}, ItemDelete{&runs});
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  d.Barrier();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const long rss_peak = hwm_reset ? StatusKiB("VmHWM") : MaxRssKiB();
  const typename D::Stats after = d.GetStats();

  size_t lost = 0, twice = 0;
  for (size_t id = 0; id < n; ++id) {
    const uint8_t r = runs[id].load(std::memory_order_relaxed);
    if (r == 0) ++lost;
    if (r > 1) ++twice;
  }
  EXPECT_EQ(lost, 0u) << flavour << ": callbacks that never ran";
  EXPECT_EQ(twice, 0u) << flavour << ": callbacks that ran more than once";
  // Barrier() queues nothing of its own: exactly the flood's callbacks ran.
  EXPECT_EQ(after.callbacks_invoked - before.callbacks_invoked, n);
  EXPECT_EQ(after.pending_callbacks, 0u);
  // No slack: the flooding threads are outside read sections and are not the worker, so every
  // Call() waits for room instead of going over the bound.
  EXPECT_LE(after.peak_pending_callbacks, bound) << flavour;
  EXPECT_EQ(after.calls_over_bound, before.calls_over_bound) << flavour;

  const size_t peak = after.peak_pending_callbacks;
  const size_t peak_bytes = peak * sizeof(absl::AnyInvocable<void() &&>) + peak / 2 * sizeof(Item);
  const long growth = rss_before >= 0 && rss_peak >= 0 ? rss_peak - rss_before : -1;
  std::printf(
      "flood %s: callbacks=%zu peak_pending=%zu bound=%zu peak_bytes\xe2\x89\x88%zu "
      "rss_growth=%ld KiB (%s) grace_periods=%llu threads=%d %.2f s\n",
      flavour, n, peak, bound, peak_bytes, growth,
      hwm_reset ? "VmHWM after reset - VmRSS before" : "ru_maxrss growth, an underestimate",
      static_cast<unsigned long long>(after.grace_periods - before.grace_periods), threads,
      seconds);
  std::fflush(stdout);
}

size_t Bound() { return static_cast<size_t>(absl::GetFlag(FLAGS_flood_bound)); }

TEST(FloodTest, TasksTraceDefaultDomain) {
  // Default() is constant-initialised with default options: its bound is not configurable.
  Flood("tasks_trace(default)", TasksTraceRcu::Default(),
        TasksTraceRcuOptions{}.max_pending_callbacks);
}

TEST(FloodTest, TasksTraceDomain) {
  TasksTraceRcu::Options o;
  o.max_pending_callbacks = Bound();
  TasksTraceRcu d(o);
  Flood("tasks_trace_domain", d, Bound());
}

TEST(FloodTest, Srcu) {
  Srcu::Options o;
  o.max_pending_callbacks = Bound();
  o.name = "flood:srcu";
  Srcu d(o);
  Flood("srcu", d, Bound());
}

TEST(FloodTest, SrcuFast) {
  SrcuFast::Options o;
  o.max_pending_callbacks = Bound();
  o.name = "flood:srcu_fast";
  SrcuFast d(o);
  Flood("srcu_fast", d, Bound());
}

}  // namespace
}  // namespace grace
