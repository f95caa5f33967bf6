// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// srcu_benchmark: grace::Srcu and grace::SrcuFast against TasksTraceRcu, liburcu (memb),
// std::shared_mutex and absl-free locks in one binary, one run: the read-side price of SRCU's
// barriers and counter array, the grace-period price of SrcuFast's membarriers, domain
// creation cost and memory. Prints Google Benchmark's table (medians of 5 repetitions) and the
// ratios of design.md §8 with met / NOT met.
//
//   bazel run -c opt //benchmarks:srcu_benchmark
//   bazel run -c opt //benchmarks:srcu_benchmark -- --benchmark_filter=ReadPair

#include <atomic>
#include <chrono>
#include <memory>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "benchmark/benchmark.h"
#include "benchmarks/harness.h"
#include "rcu/srcu.h"
#include "rcu/sync.h"
#include "rcu/tasks_trace.h"

namespace {

using grace::Srcu;
using grace::SrcuFast;
using grace::SrcuToken;
using grace::TasksTraceRcu;

template <class D>
D& Domain() {
  static D* d = new D;
  return *d;
}

// ---------------------------------------------------------------------------------------------
// Read side.

template <class D>
void BM_ReadPair(benchmark::State& state) {
  D& d = Domain<D>();
  for (auto _ : state) {
    SrcuToken t = d.lock();
    d.unlock(t);
  }
}
BENCHMARK_TEMPLATE(BM_ReadPair, Srcu)->Name("BM_Srcu_ReadPair")->Threads(1)->Threads(2)->Threads(4);
BENCHMARK_TEMPLATE(BM_ReadPair, SrcuFast)
    ->Name("BM_SrcuFast_ReadPair")
    ->Threads(1)
    ->Threads(2)
    ->Threads(4);

// An outer section stays open: SRCU has no nesting counter, each pair costs the same.
template <class D>
void BM_ReadPairNested(benchmark::State& state) {
  D& d = Domain<D>();
  SrcuToken outer = d.lock();
  for (auto _ : state) {
    SrcuToken t = d.lock();
    d.unlock(t);
  }
  d.unlock(outer);
}
BENCHMARK_TEMPLATE(BM_ReadPairNested, Srcu)->Name("BM_Srcu_ReadPairNested");
BENCHMARK_TEMPLATE(BM_ReadPairNested, SrcuFast)->Name("BM_SrcuFast_ReadPairNested");

void BM_TT_ReadPair(benchmark::State& state) {
  TasksTraceRcu& d = TasksTraceRcu::Default();
  for (auto _ : state) {
    d.lock();
    d.unlock();
  }
}
BENCHMARK(BM_TT_ReadPair)->Threads(1)->Threads(2)->Threads(4);

void BM_TT_DomainReadPair(benchmark::State& state) {
  TasksTraceRcu& d = Domain<TasksTraceRcu>();
  for (auto _ : state) {
    d.lock();
    d.unlock();
  }
}
BENCHMARK(BM_TT_DomainReadPair)->Threads(1);

void BM_SharedMutex_ReadPair(benchmark::State& state) {
  static std::shared_mutex mu;
  for (auto _ : state) {
    mu.lock_shared();
    mu.unlock_shared();
  }
}
BENCHMARK(BM_SharedMutex_ReadPair)->Threads(1)->Threads(2)->Threads(4);

void BM_AbslMutex_ReadPair(benchmark::State& state) {
  static absl::Mutex mu;
  for (auto _ : state) {
    mu.ReaderLock();
    mu.ReaderUnlock();
  }
}
BENCHMARK(BM_AbslMutex_ReadPair)->Threads(1)->Threads(2);

// Why per-thread counters: the increment a per-thread counter allows (owner_increment, no lock
// prefix) against the locked add a per-CPU counter needs.
void BM_OwnerIncrement(benchmark::State& state) {
  std::atomic<uint64_t> c{0};
  for (auto _ : state) {
    grace::std_sync::owner_increment(c);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(c.load());
}
BENCHMARK(BM_OwnerIncrement);

void BM_LockedIncrement(benchmark::State& state) {
  std::atomic<uint64_t> c{0};
  for (auto _ : state) {
    c.fetch_add(1, std::memory_order_relaxed);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(c.load());
}
BENCHMARK(BM_LockedIncrement);

#if defined(__x86_64__)
// The seq_cst fence grace uses on x86-64 (std_sync::fence) against the compiler's mfence.
void BM_FenceMfence(benchmark::State& state) {
  for (auto _ : state) asm volatile("mfence" ::: "memory");
}
BENCHMARK(BM_FenceMfence);

void BM_FenceLockedRmw(benchmark::State& state) {
  for (auto _ : state) grace::std_sync::fence("bench", std::memory_order_seq_cst);
}
BENCHMARK(BM_FenceLockedRmw);
#endif

// ---------------------------------------------------------------------------------------------
// Grace periods.

// A thread that has read once (so it has a slot and counters) and sleeps outside any section.
template <class D>
void ReadOnce() {
  D& d = Domain<D>();
  d.unlock(d.lock());
}

template <class D>
void BM_SynchronizeIdle(benchmark::State& state) {
  grace::bench::IdleThread idle(ReadOnce<D>);
  D& d = Domain<D>();
  for (auto _ : state) d.Synchronize();
}
BENCHMARK_TEMPLATE(BM_SynchronizeIdle, Srcu)->Name("BM_Srcu_SynchronizeIdle")->UseRealTime();
BENCHMARK_TEMPLATE(BM_SynchronizeIdle, SrcuFast)
    ->Name("BM_SrcuFast_SynchronizeIdle")
    ->UseRealTime();

void BM_TT_SynchronizeIdle(benchmark::State& state) {
  grace::bench::IdleThread idle([] {
    TasksTraceRcu::Default().lock();
    TasksTraceRcu::Default().unlock();
  });
  for (auto _ : state) TasksTraceRcu::Default().Synchronize();
}
BENCHMARK(BM_TT_SynchronizeIdle)->UseRealTime();

// A reader thread in a loop of read sections, each holding the section for kSleepMs (0: a
// spinning reader, back-to-back sections). With a sleeping reader Synchronize() polls with
// growing sleeps, SynchronizeExpedited() spins and yields, so it returns closer to the
// section's end.
template <class D, bool kExpedited, int kSleepMs>
void BM_SynchronizeWithReader(benchmark::State& state) {
  D& d = Domain<D>();
  std::atomic<bool> stop{false}, running{false};
  std::thread reader([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      SrcuToken t = d.lock();
      running.store(true, std::memory_order_relaxed);
      if (kSleepMs > 0) std::this_thread::sleep_for(std::chrono::milliseconds(kSleepMs));
      d.unlock(t);
    }
  });
  while (!running.load()) std::this_thread::yield();  // time grace periods, not thread start
  for (auto _ : state) {
    if (kExpedited) {
      d.SynchronizeExpedited();
    } else {
      d.Synchronize();
    }
  }
  stop = true;
  reader.join();
}
BENCHMARK_TEMPLATE(BM_SynchronizeWithReader, Srcu, false, 0)
    ->Name("BM_Srcu_SynchronizeSpinningReader")
    ->UseRealTime();
BENCHMARK_TEMPLATE(BM_SynchronizeWithReader, SrcuFast, false, 0)
    ->Name("BM_SrcuFast_SynchronizeSpinningReader")
    ->UseRealTime();
BENCHMARK_TEMPLATE(BM_SynchronizeWithReader, Srcu, false, 1)
    ->Name("BM_Srcu_SynchronizeSleepingReader")
    ->UseRealTime()
    ->Iterations(200);
BENCHMARK_TEMPLATE(BM_SynchronizeWithReader, Srcu, true, 1)
    ->Name("BM_Srcu_SynchronizeExpeditedSleepingReader")
    ->UseRealTime()
    ->Iterations(200);
BENCHMARK_TEMPLATE(BM_SynchronizeWithReader, SrcuFast, false, 1)
    ->Name("BM_SrcuFast_SynchronizeSleepingReader")
    ->UseRealTime()
    ->Iterations(200);
BENCHMARK_TEMPLATE(BM_SynchronizeWithReader, SrcuFast, true, 1)
    ->Name("BM_SrcuFast_SynchronizeExpeditedSleepingReader")
    ->UseRealTime()
    ->Iterations(200);

template <class D>
void BM_Retire(benchmark::State& state) {
  static D* d = new D;
  for (auto _ : state) d->Retire(new int(1));
  d->Barrier();
  auto st = d->GetStats();
  state.counters["peak_pending"] = static_cast<double>(st.peak_pending_callbacks);
}
BENCHMARK_TEMPLATE(BM_Retire, Srcu)->Name("BM_Srcu_Retire")->UseRealTime();
BENCHMARK_TEMPLATE(BM_Retire, SrcuFast)->Name("BM_SrcuFast_Retire")->UseRealTime();

// ---------------------------------------------------------------------------------------------
// Domains: creation and destruction cost, memory, and 1000 domains with one reader each.

template <class D>
void BM_CreateDestroy(benchmark::State& state) {
  size_t bytes = 0;
  for (auto _ : state) {
    D d;
    d.unlock(d.lock());
    bytes = d.CounterBytes();
  }
  state.counters["counter_bytes_per_domain"] = static_cast<double>(bytes);
}
BENCHMARK_TEMPLATE(BM_CreateDestroy, Srcu)->Name("BM_Srcu_CreateDestroy");
BENCHMARK_TEMPLATE(BM_CreateDestroy, SrcuFast)->Name("BM_SrcuFast_CreateDestroy");

void BM_TT_CreateDestroy(benchmark::State& state) {
  for (auto _ : state) {
    TasksTraceRcu d;
    d.lock();
    d.unlock();
  }
}
BENCHMARK(BM_TT_CreateDestroy);

// One grace period of one domain among N live domains (each read once by this thread): a
// domain's grace period does not depend on how many other domains exist.
template <class D>
void BM_SynchronizeAmongDomains(benchmark::State& state) {
  std::vector<std::unique_ptr<D>> domains;
  for (int i = 0; i < state.range(0); ++i) {
    domains.push_back(std::make_unique<D>());
    domains.back()->unlock(domains.back()->lock());
  }
  size_t i = 0;
  for (auto _ : state) domains[i++ % domains.size()]->Synchronize();
}
BENCHMARK_TEMPLATE(BM_SynchronizeAmongDomains, Srcu)
    ->Name("BM_Srcu_SynchronizeAmongDomains")
    ->Arg(1)
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->UseRealTime();
BENCHMARK_TEMPLATE(BM_SynchronizeAmongDomains, SrcuFast)
    ->Name("BM_SrcuFast_SynchronizeAmongDomains")
    ->Arg(1)
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->UseRealTime();

// The same for Tasks Trace RCU (up to 1023 independent domains): a domain's grace period scans
// every thread's slot of that domain only.
void BM_TT_SynchronizeAmongDomains(benchmark::State& state) {
  std::vector<std::unique_ptr<TasksTraceRcu>> domains;
  for (int i = 0; i < state.range(0); ++i) {
    domains.push_back(std::make_unique<TasksTraceRcu>());
    domains.back()->lock();
    domains.back()->unlock();
  }
  size_t i = 0;
  for (auto _ : state) domains[i++ % domains.size()]->Synchronize();
}
BENCHMARK(BM_TT_SynchronizeAmongDomains)->Arg(1)->Arg(10)->Arg(100)->Arg(1000)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  using grace::bench::Ratio;
  return grace::bench::Main(
      argc, argv,
      {
          {"SrcuFast read pair vs TasksTraceRcu Default()", "BM_SrcuFast_ReadPair/threads:1",
           "BM_TT_ReadPair/threads:1", 2.0},
          {"SrcuFast read pair vs TasksTraceRcu independent domain",
           "BM_SrcuFast_ReadPair/threads:1", "BM_TT_DomainReadPair/threads:1", 0},
          {"Srcu read pair vs TasksTraceRcu Default() (two full barriers)",
           "BM_Srcu_ReadPair/threads:1", "BM_TT_ReadPair/threads:1", 0},
          {"Srcu read pair vs SrcuFast (the price of the barriers)", "BM_Srcu_ReadPair/threads:1",
           "BM_SrcuFast_ReadPair/threads:1", 0},
          {"SrcuFast read pair vs urcu_memb", "BM_SrcuFast_ReadPair/threads:1",
           "BM_UrcuMemb_ReadPair/threads:1", 0},
          {"Srcu read pair vs std::shared_mutex", "BM_Srcu_ReadPair/threads:1",
           "BM_SharedMutex_ReadPair/threads:1", 0},
          {"Srcu read pair vs absl::Mutex reader lock", "BM_Srcu_ReadPair/threads:1",
           "BM_AbslMutex_ReadPair/threads:1", 0},
          {"SrcuFast read pair, 2 threads: time per thread vs 1 thread",
           "BM_SrcuFast_ReadPair/threads:2", "BM_SrcuFast_ReadPair/threads:1", 1.1, false,
           /*per_thread=*/true},
          {"Srcu read pair, 2 threads: time per thread vs 1 thread", "BM_Srcu_ReadPair/threads:2",
           "BM_Srcu_ReadPair/threads:1", 1.1, false, /*per_thread=*/true},
          {"shared_mutex read pair, 2 threads: time per thread vs 1 thread",
           "BM_SharedMutex_ReadPair/threads:2", "BM_SharedMutex_ReadPair/threads:1", 0, false,
           /*per_thread=*/true},
          {"seq_cst fence: locked RMW (ours) vs mfence", "BM_FenceLockedRmw", "BM_FenceMfence", 0},
          {"owner increment vs locked increment (per-thread vs per-CPU counters)",
           "BM_OwnerIncrement", "BM_LockedIncrement", 0},
          {"Srcu Synchronize idle vs urcu_memb synchronize_rcu",
           "BM_Srcu_SynchronizeIdle/real_time", "BM_UrcuMemb_SynchronizeIdle/real_time", 0},
          {"SrcuFast Synchronize idle vs Srcu (membarriers vs none)",
           "BM_SrcuFast_SynchronizeIdle/real_time", "BM_Srcu_SynchronizeIdle/real_time", 0},
          {"SrcuFast Synchronize idle vs TasksTraceRcu", "BM_SrcuFast_SynchronizeIdle/real_time",
           "BM_TT_SynchronizeIdle/real_time", 0},
          {"SrcuFast Synchronize, spinning reader vs Srcu",
           "BM_SrcuFast_SynchronizeSpinningReader/real_time",
           "BM_Srcu_SynchronizeSpinningReader/real_time", 0},
          {"Srcu: SynchronizeExpedited vs Synchronize, reader asleep 1 ms",
           "BM_Srcu_SynchronizeExpeditedSleepingReader/iterations:200/real_time",
           "BM_Srcu_SynchronizeSleepingReader/iterations:200/real_time", 0},
          {"Srcu Retire amortised vs urcu_memb call_rcu", "BM_Srcu_Retire/real_time",
           "BM_UrcuMemb_CallRcu/real_time", 0},
          {"Srcu domain create+destroy vs TasksTraceRcu domain", "BM_Srcu_CreateDestroy",
           "BM_TT_CreateDestroy", 0},
          {"TasksTraceRcu Synchronize among 1000 domains vs among 1",
           "BM_TT_SynchronizeAmongDomains/1000/real_time",
           "BM_TT_SynchronizeAmongDomains/1/real_time", 0},
          {"Srcu Synchronize among 1000 domains vs among 1",
           "BM_Srcu_SynchronizeAmongDomains/1000/real_time",
           "BM_Srcu_SynchronizeAmongDomains/1/real_time", 0},
          {"SrcuFast read pair, 4 threads on 2 CPUs: time per thread vs 1 thread",
           "BM_SrcuFast_ReadPair/threads:4", "BM_SrcuFast_ReadPair/threads:1", 0, false,
           /*per_thread=*/true},
          {"TasksTraceRcu read pair, 4 threads on 2 CPUs: time per thread vs 1 thread",
           "BM_TT_ReadPair/threads:4", "BM_TT_ReadPair/threads:1", 0, false, /*per_thread=*/true},
      });
}
