// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0

#include "benchmarks/harness.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"

namespace grace {
namespace bench {
namespace {

struct Figure {
  double ns = 0;           // median real time per iteration, ns
  double items_per_s = 0;  // median items/s (0 if not reported)
  double cpu_ns = 0;       // median CPU time per iteration and thread, ns
};

// Keeps the median aggregate of each benchmark (or its only run without repetitions) and
// passes everything on to the console reporter.
class CollectingReporter : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, Figure> figures;

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      // A benchmark that skipped itself (SkipWithError: e.g. no LTTng session) is "not run".
      if (r.error_occurred) continue;
      const bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
      const bool single = r.run_type == Run::RT_Iteration && r.repetitions <= 1;
      if (!median && !single) continue;
      Figure f;
      f.ns = r.GetAdjustedRealTime() * Multiplier(r.time_unit);
      f.cpu_ns = r.GetAdjustedCPUTime() * Multiplier(r.time_unit);
      auto it = r.counters.find("items_per_second");
      if (it != r.counters.end()) f.items_per_s = it->second.value;
      figures[r.run_name.str()] = f;
    }
    ConsoleReporter::ReportRuns(runs);
  }

 private:
  static double Multiplier(benchmark::TimeUnit u) {
    switch (u) {
      case benchmark::kNanosecond:
        return 1;
      case benchmark::kMicrosecond:
        return 1e3;
      case benchmark::kMillisecond:
        return 1e6;
      case benchmark::kSecond:
        return 1e9;
    }
    return 1;
  }
};

}  // namespace

int Main(int argc, char** argv, const std::vector<Ratio>& ratios) {
  // Default to 5 repetitions reported as aggregates; flags given by the caller win.
  std::vector<char*> args(argv, argv + argc);
  bool has_reps = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--benchmark_repetitions", 23) == 0) has_reps = true;
  }
  static char reps[] = "--benchmark_repetitions=5";
  static char aggr[] = "--benchmark_report_aggregates_only=true";
  if (!has_reps) {
    args.push_back(reps);
    args.push_back(aggr);
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  CollectingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);

  std::printf("\nRatios (medians, same run; ours/peer for time, peer/ours for rates):\n");
  std::printf("| %-66s | %10s | %10s | %7s | %6s | %-7s |\n", "figure", "ours", "peer", "ratio",
              "target", "result");
  std::printf("|%s|%s|%s|%s|%s|%s|\n", std::string(68, '-').c_str(), std::string(12, '-').c_str(),
              std::string(12, '-').c_str(), std::string(9, '-').c_str(),
              std::string(8, '-').c_str(), std::string(9, '-').c_str());
  for (const Ratio& r : ratios) {
    auto a = reporter.figures.find(r.ours);
    auto b = reporter.figures.find(r.peer);
    // A peer written "=N" is a fixed budget of N ns (design.md's absolute targets).
    const bool fixed = !r.peer.empty() && r.peer[0] == '=';
    Figure budget;
    if (fixed) {
      budget.ns = budget.cpu_ns = std::strtod(r.peer.c_str() + 1, nullptr);
      b = reporter.figures.emplace(r.peer, budget).first;
    }
    if (a == reporter.figures.end() || b == reporter.figures.end()) {
      std::printf("| %-66s | %10s | %10s | %7s | %6s | %-7s |\n", r.what.c_str(), "-", "-", "-",
                  "-", "not run");
      continue;
    }
    double ours, peer, ratio;
    char ours_s[32], peer_s[32];
    if (r.higher_is_better) {
      ours = a->second.items_per_s;
      peer = b->second.items_per_s;
      ratio = ours > 0 ? peer / ours : 0;
      std::snprintf(ours_s, sizeof ours_s, "%.0f/s", ours);
      std::snprintf(peer_s, sizeof peer_s, "%.0f/s", peer);
    } else {
      ours = r.per_thread ? a->second.cpu_ns : a->second.ns;
      peer = r.per_thread ? b->second.cpu_ns : b->second.ns;
      ratio = peer > 0 ? ours / peer : 0;
      std::snprintf(ours_s, sizeof ours_s, "%.2fns", ours);
      std::snprintf(peer_s, sizeof peer_s, "%.2fns", peer);
    }
    char target_s[16] = "-";
    const char* result = "info";
    if (r.target > 0) {
      std::snprintf(target_s, sizeof target_s, "<=%.2f", r.target);
      result = ratio <= r.target ? "met" : "NOT met";
    }
    std::printf("| %-66s | %10s | %10s | %7.3f | %6s | %-7s |\n", r.what.c_str(), ours_s, peer_s,
                ratio, target_s, result);
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace bench
}  // namespace grace
