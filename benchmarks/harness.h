// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// benchmarks/harness.h: runs the Google Benchmark suite of one binary and prints, after the
// usual table, the ratios it was built to show: "ours / peer" for pairs measured in the same
// run, with the design target and whether it was met. Medians over repetitions (default 5;
// --benchmark_repetitions overrides) are used, never a single run: the machine may be shared.
//
//   int main(int argc, char** argv) {
//     return grace::bench::Main(argc, argv, {
//         {"read pair, default domain vs urcu_memb", "BM_TT_ReadPair/threads:1",
//          "BM_UrcuMemb_ReadPair/threads:1", 1.0},
//     });
//   }
//
// Names are matched against the benchmark's run name without the aggregate suffix. A ratio
// whose benchmarks were filtered out is reported as "not run". Exit status: 0 (targets missed
// are reported, not failures: the report says met/not met).

#ifndef GRACE_BENCHMARKS_HARNESS_H_
#define GRACE_BENCHMARKS_HARNESS_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace grace {
namespace bench {

struct Ratio {
  std::string what;               // e.g. "read pair outermost vs urcu_memb"
  std::string ours;               // benchmark run name
  std::string peer;               // benchmark run name, or "=N": a fixed budget of N ns
  double target;                  // ours/peer must be <= target (0: report only)
  bool higher_is_better = false;  // compare items/s instead of time (e.g. grace periods/s)
  // Compare the time one thread spends per iteration: CPU time per iteration, which Google
  // Benchmark reports per thread. (Its real time for threads:N divides one wall-clock interval
  // by the iterations of all threads and is skewed by thread start-up at nanosecond scale.)
  bool per_thread = false;
};

int Main(int argc, char** argv, const std::vector<Ratio>& ratios);

// A thread that runs `on_start` (e.g. registers with a flavour and reads once), then sleeps
// outside any read section until destroyed, then runs `on_stop`. Grace-period benchmarks use
// it so that "idle" means the same for every flavour: a registered reader that is not reading.
class IdleThread {
 public:
  IdleThread(
      std::function<void()> on_start, std::function<void()> on_stop = [] {})
      : thread_([this, on_start, on_stop] {
          on_start();
          started_ = true;
          while (!stop_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
          on_stop();
        }) {
    while (!started_.load()) std::this_thread::yield();
  }
  ~IdleThread() {
    stop_ = true;
    thread_.join();
  }
  IdleThread(const IdleThread&) = delete;
  IdleThread& operator=(const IdleThread&) = delete;

 private:
  std::atomic<bool> started_{false}, stop_{false};
  std::thread thread_;
};

}  // namespace bench
}  // namespace grace

#endif  // GRACE_BENCHMARKS_HARNESS_H_
