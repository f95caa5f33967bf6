// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// platform_report: what grace's barrier seam (rcu/sync.h) found on this machine, and what its
// two sides cost here. Run by tools/demo. Prints one table; exit status 0.
//
// Costs are medians of several timed runs of a tight loop (this machine may be shared: one run
// means little). The heavy barrier is measured twice: with no other thread of this process
// running (membarrier has nobody to interrupt) and with one thread spinning on another CPU
// (membarrier must interrupt it: the cost a grace period pays while readers run).

#include <linux/membarrier.h>
#include <sys/utsname.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "rcu/sync.h"

ABSL_FLAG(int, runs, 7, "timed runs per figure; the median is reported");

namespace {

using Clock = std::chrono::steady_clock;

template <class F>
double MedianNsPerOp(int64_t ops, F&& body) {
  std::vector<double> samples;
  for (int r = 0; r < absl::GetFlag(FLAGS_runs); ++r) {
    auto t0 = Clock::now();
    body(ops);
    auto t1 = Clock::now();
    samples.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / ops);
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

// Each loop keeps its counter opaque to the optimiser so the empty loop is not deleted and
// every loop runs exactly n iterations.
#define GRACE_REPORT_LOOP(n, body)    \
  for (int64_t i = 0; i < (n); ++i) { \
    asm volatile("" : "+r"(i));       \
    body;                             \
  }

void LightLoop(int64_t n) { GRACE_REPORT_LOOP(n, grace::std_sync::light_barrier("report")); }

void HeavyLoop(int64_t n) { GRACE_REPORT_LOOP(n, grace::std_sync::heavy_barrier("report")); }

void EmptyLoop(int64_t n) { GRACE_REPORT_LOOP(n, (void)0); }

std::string Commands(unsigned mask) {
  struct Cmd {
    unsigned bit;
    const char* name;
  };
  static const Cmd kCmds[] = {
      {MEMBARRIER_CMD_GLOBAL, "GLOBAL"},
      {MEMBARRIER_CMD_GLOBAL_EXPEDITED, "GLOBAL_EXPEDITED"},
      {MEMBARRIER_CMD_PRIVATE_EXPEDITED, "PRIVATE_EXPEDITED"},
      {MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, "PRIVATE_EXPEDITED_SYNC_CORE"},
      {MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, "PRIVATE_EXPEDITED_RSEQ"},
  };
  std::vector<std::string> names;
  for (const Cmd& c : kCmds) {
    if (mask & c.bit) names.push_back(c.name);
  }
  return names.empty() ? "none" : absl::StrJoin(names, ", ");
}

void PrintTable(const std::vector<std::pair<std::string, std::string>>& rows) {
  size_t w0 = 0, w1 = 0;
  for (const auto& [k, v] : rows) {
    w0 = std::max(w0, k.size());
    w1 = std::max(w1, v.size());
  }
  for (size_t r = 0; r < rows.size(); ++r) {
    absl::PrintF("| %-*s | %-*s |\n", w0, rows[r].first, w1, rows[r].second);
    if (r == 0) absl::PrintF("|%s|%s|\n", std::string(w0 + 2, '-'), std::string(w1 + 2, '-'));
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  grace::BarrierInfo info = grace::BarrierStatus();
  utsname un{};
  uname(&un);
  const unsigned cpus = std::thread::hardware_concurrency();

  double empty = MedianNsPerOp(20'000'000, EmptyLoop);
  double light = MedianNsPerOp(20'000'000, LightLoop);
  double heavy_idle = MedianNsPerOp(20'000, HeavyLoop);

  std::atomic<bool> stop{false};
  std::thread spinner([&] {
    while (!stop.load(std::memory_order_relaxed)) grace::std_sync::spin();
  });
  double heavy_busy = MedianNsPerOp(20'000, HeavyLoop);
  stop.store(true);
  spinner.join();

  grace::ForceBarrierFallbackForTesting(true);  // no reader or grace period runs here
  double light_fb = MedianNsPerOp(20'000'000, LightLoop);
  double heavy_fb = MedianNsPerOp(200'000, HeavyLoop);
  grace::ForceBarrierFallbackForTesting(false);

  absl::PrintF("grace platform report: the asymmetric barrier seam (rcu/sync.h)\n\n");
  std::vector<std::pair<std::string, std::string>> rows = {
      {"figure", "value"},
      {"kernel", absl::StrCat(un.sysname, " ", un.release, " ", un.machine)},
      {"CPUs", absl::StrCat(cpus)},
      {"membarrier syscall", info.syscall_present
                                 ? "present"
                                 : absl::StrCat("missing (errno ", info.register_errno, ")")},
      {"membarrier commands supported", Commands(info.query_mask)},
      {"registered command",
       info.registered
           ? "REGISTER_PRIVATE_EXPEDITED (ok)"
           : (info.register_errno != 0 ? absl::StrCat("none (errno ", info.register_errno, ")")
                                       : std::string("none"))},
      {"barrier mode in use", info.mode_name},
      {"fallback in use", info.mode == grace::rcu_internal::BarrierMode::kFallback ? "yes" : "no"},
      {"empty loop (ns/iteration)", absl::StrFormat("%.2f", empty)},
      {"light barrier, mode in use (ns)", absl::StrFormat("%.2f", light)},
      {"heavy barrier, no other thread running (ns)", absl::StrFormat("%.0f", heavy_idle)},
      {"heavy barrier, 1 thread spinning (ns)", absl::StrFormat("%.0f", heavy_busy)},
      {"light barrier, forced fallback (ns)", absl::StrFormat("%.2f", light_fb)},
      {"heavy barrier, forced fallback (ns)", absl::StrFormat("%.2f", heavy_fb)},
  };
  PrintTable(rows);
  absl::PrintF(
      "\nmedians of %d runs. The read side pays the light barrier twice per read "
      "section;\na grace period pays the heavy barrier twice.\n",
      absl::GetFlag(FLAGS_runs));
  return 0;
}
