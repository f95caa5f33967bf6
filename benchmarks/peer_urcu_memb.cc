// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// Peer: liburcu 0.13 "memb" flavour (membarrier readers), read side inlined (_LGPL_SOURCE),
// in its own translation unit because liburcu's flavour headers map the same names.
// Registered as BM_UrcuMemb_*; compared in tasks_trace_benchmark.cc's ratio table.

#define _LGPL_SOURCE 1
#include <urcu/urcu-memb.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "benchmark/benchmark.h"
#include "benchmarks/harness.h"
#include "benchmarks/read_pair_peers.h"

namespace {

void BM_UrcuMemb_ReadPair(benchmark::State& state) {
  urcu_memb_register_thread();
  for (auto _ : state) {
    urcu_memb_read_lock();
    urcu_memb_read_unlock();
  }
  urcu_memb_unregister_thread();
}
BENCHMARK(BM_UrcuMemb_ReadPair)->Threads(1)->Threads(2)->Threads(4);

void BM_UrcuMemb_ReadPairNested(benchmark::State& state) {
  urcu_memb_register_thread();
  urcu_memb_read_lock();
  for (auto _ : state) {
    urcu_memb_read_lock();
    urcu_memb_read_unlock();
  }
  urcu_memb_read_unlock();
  urcu_memb_unregister_thread();
}
BENCHMARK(BM_UrcuMemb_ReadPairNested)->Threads(1);

// A registered reader thread that stays outside read sections while a benchmark runs: what
// "idle" means for a process that has readers at all. (With no registered thread liburcu
// returns from synchronize_rcu() without a barrier; BM_UrcuMemb_SynchronizeNoReaders shows it.)
void RegisterAndReadOnce() {
  urcu_memb_register_thread();
  urcu_memb_read_lock();
  urcu_memb_read_unlock();
}

// Grace-period latency with a registered reader that is not in a read section.
void BM_UrcuMemb_SynchronizeIdle(benchmark::State& state) {
  grace::bench::IdleThread idle(RegisterAndReadOnce, urcu_memb_unregister_thread);
  for (auto _ : state) urcu_memb_synchronize_rcu();
}
BENCHMARK(BM_UrcuMemb_SynchronizeIdle)->UseRealTime();

void BM_UrcuMemb_SynchronizeNoReaders(benchmark::State& state) {
  for (auto _ : state) urcu_memb_synchronize_rcu();
}
BENCHMARK(BM_UrcuMemb_SynchronizeNoReaders)->UseRealTime();

// Grace-period latency while another thread runs read sections back to back.
void BM_UrcuMemb_SynchronizeSpinningReader(benchmark::State& state) {
  std::atomic<bool> stop{false}, running{false};
  std::thread reader([&] {
    urcu_memb_register_thread();
    while (!stop.load(std::memory_order_relaxed)) {
      urcu_memb_read_lock();
      urcu_memb_read_unlock();
      running.store(true, std::memory_order_relaxed);
    }
    urcu_memb_unregister_thread();
  });
  while (!running.load()) std::this_thread::yield();  // time grace periods, not thread start
  for (auto _ : state) urcu_memb_synchronize_rcu();
  stop = true;
  reader.join();
}
BENCHMARK(BM_UrcuMemb_SynchronizeSpinningReader)->UseRealTime();

// Concurrent updaters: grace periods completed per second across all threads.
void BM_UrcuMemb_ConcurrentSynchronize(benchmark::State& state) {
  std::unique_ptr<grace::bench::IdleThread> idle;
  if (state.thread_index() == 0) {
    idle = std::make_unique<grace::bench::IdleThread>(RegisterAndReadOnce,
                                                      urcu_memb_unregister_thread);
  }
  for (auto _ : state) urcu_memb_synchronize_rcu();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_UrcuMemb_ConcurrentSynchronize)->Threads(1)->Threads(2)->Threads(8)->UseRealTime();

// call_rcu amortised cost (liburcu's default call_rcu worker), including the final barrier.
void BM_UrcuMemb_CallRcu(benchmark::State& state) {
  urcu_memb_register_thread();
  struct Node {
    rcu_head head;
  };
  for (auto _ : state) {
    urcu_memb_call_rcu(&(new Node)->head, [](rcu_head* h) { delete reinterpret_cast<Node*>(h); });
  }
  urcu_memb_barrier();
  urcu_memb_unregister_thread();
}
BENCHMARK(BM_UrcuMemb_CallRcu)->UseRealTime();

}  // namespace

namespace grace {
namespace bench {

__attribute__((noinline)) void UrcuMembPairs(long n, bool nested) {
  urcu_memb_register_thread();
  if (nested) urcu_memb_read_lock();
  for (long i = 0; i < n; ++i) {
    urcu_memb_read_lock();
    urcu_memb_read_unlock();
  }
  if (nested) urcu_memb_read_unlock();
  urcu_memb_unregister_thread();
}

}  // namespace bench
}  // namespace grace
