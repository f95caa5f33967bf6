// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// tasks_trace_benchmark: grace::TasksTraceRcu against liburcu (memb, mb, qsbr, bp) in one
// binary, one run. Prints Google Benchmark's table (medians of 5 repetitions) and then the
// ratios of design.md §8 with met / NOT met; the mb and qsbr rows are report-only (no target):
// mb pays full fences on the read side, qsbr pays nothing there and asks readers to announce
// quiescent states instead (peer_urcu_qsbr.cc).
//
//   bazel run -c opt //benchmarks:tasks_trace_benchmark
//   bazel run -c opt //benchmarks:tasks_trace_benchmark -- --benchmark_filter=ReadPair

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "benchmark/benchmark.h"
#include "benchmarks/harness.h"
#include "rcu/tasks_trace.h"

namespace {

using grace::TasksTraceRcu;

void BM_TT_ReadPair(benchmark::State& state) {
  TasksTraceRcu& d = TasksTraceRcu::Default();
  for (auto _ : state) {
    d.lock();
    d.unlock();
  }
}
BENCHMARK(BM_TT_ReadPair)->Threads(1)->Threads(2);

void BM_TT_ReadPairNested(benchmark::State& state) {
  TasksTraceRcu& d = TasksTraceRcu::Default();
  d.lock();
  for (auto _ : state) {
    d.lock();
    d.unlock();
  }
  d.unlock();
}
BENCHMARK(BM_TT_ReadPairNested)->Threads(1);

TasksTraceRcu& IndependentDomain() {
  static TasksTraceRcu* d = new TasksTraceRcu;
  return *d;
}

void BM_TT_DomainReadPair(benchmark::State& state) {
  TasksTraceRcu& d = IndependentDomain();
  for (auto _ : state) {
    d.lock();
    d.unlock();
  }
}
BENCHMARK(BM_TT_DomainReadPair)->Threads(1)->Threads(2);

// A thread that has read once (so it is registered) and sleeps outside any read section: the
// same "idle" as the urcu_memb peer's.
void ReadOnce() {
  TasksTraceRcu::Default().lock();
  TasksTraceRcu::Default().unlock();
}

void BM_TT_SynchronizeIdle(benchmark::State& state) {
  grace::bench::IdleThread idle(ReadOnce);
  TasksTraceRcu& d = TasksTraceRcu::Default();
  for (auto _ : state) d.Synchronize();
}
BENCHMARK(BM_TT_SynchronizeIdle)->UseRealTime();

void BM_TT_SynchronizeSpinningReader(benchmark::State& state) {
  TasksTraceRcu& d = TasksTraceRcu::Default();
  std::atomic<bool> stop{false}, running{false};
  std::thread reader([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      d.lock();
      d.unlock();
      running.store(true, std::memory_order_relaxed);
    }
  });
  while (!running.load()) std::this_thread::yield();  // time grace periods, not thread start
  for (auto _ : state) d.Synchronize();
  stop = true;
  reader.join();
}
BENCHMARK(BM_TT_SynchronizeSpinningReader)->UseRealTime();

// A reader that sleeps 1 ms inside each section: the grace period waits, asleep on a futex,
// for the section in progress (about half a millisecond on average).
void BM_TT_SynchronizeSleepingReader(benchmark::State& state) {
  TasksTraceRcu& d = TasksTraceRcu::Default();
  std::atomic<bool> stop{false}, running{false};
  std::thread reader([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      d.lock();
      running.store(true, std::memory_order_relaxed);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      d.unlock();
    }
  });
  while (!running.load()) std::this_thread::yield();  // time grace periods, not thread start
  for (auto _ : state) d.Synchronize();
  stop = true;
  reader.join();
}
BENCHMARK(BM_TT_SynchronizeSleepingReader)->UseRealTime()->Iterations(200);

void BM_TT_ConcurrentSynchronize(benchmark::State& state) {
  std::unique_ptr<grace::bench::IdleThread> idle;
  if (state.thread_index() == 0) idle = std::make_unique<grace::bench::IdleThread>(ReadOnce);
  TasksTraceRcu& d = TasksTraceRcu::Default();
  for (auto _ : state) d.Synchronize();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TT_ConcurrentSynchronize)->Threads(1)->Threads(2)->Threads(8)->UseRealTime();

// Retire() amortised: queueing, batching, one grace period per batch, the delete, and the
// final Barrier() are all inside the timed region. Arg: Options::callback_batch_delay_us
// (1000, the default: lazy batching; 0: a grace period as soon as the worker is free).
TasksTraceRcu* RetireDomain(uint32_t delay_us) {
  TasksTraceRcu::Options o;
  o.callback_batch_delay_us = delay_us;
  return new TasksTraceRcu(o);
}

void ReportPending(benchmark::State& state, const TasksTraceRcu& d, size_t bytes_each) {
  TasksTraceRcu::Stats st = d.GetStats();
  state.counters["peak_pending"] = static_cast<double>(st.peak_pending_callbacks);
  state.counters["peak_pending_KiB"] =
      static_cast<double>(st.peak_pending_callbacks) * static_cast<double>(bytes_each) / 1024.0;
  state.counters["gps_per_1k_calls"] =
      1000.0 * static_cast<double>(st.grace_periods) /
      static_cast<double>(std::max<uint64_t>(st.callbacks_invoked, 1));
}

void BM_TT_Retire(benchmark::State& state) {
  static TasksTraceRcu* lazy = RetireDomain(1000);
  static TasksTraceRcu* eager = RetireDomain(0);
  TasksTraceRcu* d = state.range(0) != 0 ? lazy : eager;
  for (auto _ : state) d->Retire(new int(1));
  d->Barrier();
  ReportPending(state, *d, 32 + sizeof(int));
}
BENCHMARK(BM_TT_Retire)->Arg(1000)->Arg(0)->UseRealTime();

// Call() amortised without the user's allocation: the callback bumps a counter (it fits
// absl::AnyInvocable's inline storage), so this is the engine's own cost per callback.
void BM_TT_Call(benchmark::State& state) {
  static TasksTraceRcu* lazy = RetireDomain(1000);
  static TasksTraceRcu* eager = RetireDomain(0);
  TasksTraceRcu* d = state.range(0) != 0 ? lazy : eager;
  static std::atomic<uint64_t> ran{0};
  for (auto _ : state) d->Call([] { ran.fetch_add(1, std::memory_order_relaxed); });
  d->Barrier();
  ReportPending(state, *d, 32);
}
BENCHMARK(BM_TT_Call)->Arg(1000)->Arg(0)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  using grace::bench::Ratio;
  return grace::bench::Main(
      argc, argv,
      {
          {"read pair, Default(), 1 thread vs urcu_memb", "BM_TT_ReadPair/threads:1",
           "BM_UrcuMemb_ReadPair/threads:1", 1.0},
          {"read pair, Default(), 2 threads vs urcu_memb", "BM_TT_ReadPair/threads:2",
           "BM_UrcuMemb_ReadPair/threads:2", 1.0},
          {"read pair, Default() vs urcu_bp", "BM_TT_ReadPair/threads:1",
           "BM_UrcuBp_ReadPair/threads:1", 1.0},
          {"nested read pair vs urcu_memb nested", "BM_TT_ReadPairNested/threads:1",
           "BM_UrcuMemb_ReadPairNested/threads:1", 1.0},
          {"independent domain read pair vs Default()", "BM_TT_DomainReadPair/threads:1",
           "BM_TT_ReadPair/threads:1", 1.5},
          {"read pair time per thread, 2 threads vs 1 thread", "BM_TT_ReadPair/threads:2",
           "BM_TT_ReadPair/threads:1", 1.1, false, /*per_thread=*/true},
          {"Synchronize idle vs urcu_memb synchronize_rcu", "BM_TT_SynchronizeIdle/real_time",
           "BM_UrcuMemb_SynchronizeIdle/real_time", 2.0},
          {"Synchronize, no registered reader vs urcu_memb (its fast path)",
           "BM_TT_SynchronizeIdle/real_time", "BM_UrcuMemb_SynchronizeNoReaders/real_time", 0},
          {"Synchronize, spinning reader vs urcu_memb", "BM_TT_SynchronizeSpinningReader/real_time",
           "BM_UrcuMemb_SynchronizeSpinningReader/real_time", 0},
          {"8 concurrent Synchronize: GPs/s vs urcu_memb",
           "BM_TT_ConcurrentSynchronize/real_time/threads:8",
           "BM_UrcuMemb_ConcurrentSynchronize/real_time/threads:8", 1.0, true},
          {"2 concurrent Synchronize: GPs/s vs urcu_memb",
           "BM_TT_ConcurrentSynchronize/real_time/threads:2",
           "BM_UrcuMemb_ConcurrentSynchronize/real_time/threads:2", 1.0, true},
          {"Call amortised (engine only, no allocation) vs 100 ns budget",
           "BM_TT_Call/1000/real_time", "=100", 1.0},
          {"Retire amortised (new + cross-thread delete) vs 100 ns budget",
           "BM_TT_Retire/1000/real_time", "=100", 1.0},
          {"Retire amortised vs urcu_memb call_rcu (new + delete in both)",
           "BM_TT_Retire/1000/real_time", "BM_UrcuMemb_CallRcu/real_time", 1.0},
          {"Retire, lazy batching (1 ms) vs none", "BM_TT_Retire/1000/real_time",
           "BM_TT_Retire/0/real_time", 0},
          // liburcu's other two flavours at both ends of the read/update trade-off: report only.
          // No read-pair row for urcu_qsbr: its read side is empty and its loop measures 0 ns,
          // so a ratio would divide by zero (BM_UrcuQsbr_ReadPair* stay in the table above).
          {"read pair, Default() vs urcu_mb (fenced reads)", "BM_TT_ReadPair/threads:1",
           "BM_UrcuMb_ReadPair/threads:1", 0},
          {"nested read pair vs urcu_mb nested", "BM_TT_ReadPairNested/threads:1",
           "BM_UrcuMb_ReadPairNested/threads:1", 0},
          {"Synchronize idle vs urcu_mb synchronize_rcu", "BM_TT_SynchronizeIdle/real_time",
           "BM_UrcuMb_SynchronizeIdle/real_time", 0},
          {"Synchronize idle vs urcu_qsbr (reader offline)", "BM_TT_SynchronizeIdle/real_time",
           "BM_UrcuQsbr_SynchronizeIdle/real_time", 0},
          {"Synchronize, spinning reader vs urcu_mb", "BM_TT_SynchronizeSpinningReader/real_time",
           "BM_UrcuMb_SynchronizeSpinningReader/real_time", 0},
          {"Synchronize, spinning reader vs urcu_qsbr (QS per pair)",
           "BM_TT_SynchronizeSpinningReader/real_time",
           "BM_UrcuQsbr_SynchronizeSpinningReader/real_time", 0},
          {"8 concurrent Synchronize: GPs/s vs urcu_mb",
           "BM_TT_ConcurrentSynchronize/real_time/threads:8",
           "BM_UrcuMb_ConcurrentSynchronize/real_time/threads:8", 0, true},
          {"8 concurrent Synchronize: GPs/s vs urcu_qsbr",
           "BM_TT_ConcurrentSynchronize/real_time/threads:8",
           "BM_UrcuQsbr_ConcurrentSynchronize/real_time/threads:8", 0, true},
      });
}
