// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// Peer: liburcu 0.13 "mb" flavour: the read side orders itself with full fences (a
// cmm_smp_mb(), i.e. mfence on x86, on the outermost lock and two on the outermost unlock)
// instead of relying on membarrier() from the updater, so reads cost more and
// synchronize_rcu() needs no membarrier. Read side inlined (_LGPL_SOURCE), in its own
// translation unit because liburcu's flavour headers map the same names. Same benchmarks and
// names as peer_urcu_memb.cc, registered as BM_UrcuMb_*.

#define _LGPL_SOURCE 1
#include <urcu/urcu-mb.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "benchmark/benchmark.h"
#include "benchmarks/harness.h"
#include "benchmarks/read_pair_peers.h"

namespace {

void BM_UrcuMb_ReadPair(benchmark::State& state) {
  urcu_mb_register_thread();
  for (auto _ : state) {
    urcu_mb_read_lock();
    urcu_mb_read_unlock();
  }
  urcu_mb_unregister_thread();
}
BENCHMARK(BM_UrcuMb_ReadPair)->Threads(1)->Threads(2)->Threads(4);

void BM_UrcuMb_ReadPairNested(benchmark::State& state) {
  urcu_mb_register_thread();
  urcu_mb_read_lock();
  for (auto _ : state) {
    urcu_mb_read_lock();
    urcu_mb_read_unlock();
  }
  urcu_mb_read_unlock();
  urcu_mb_unregister_thread();
}
BENCHMARK(BM_UrcuMb_ReadPairNested)->Threads(1);

// A registered reader thread that stays outside read sections while a benchmark runs: what
// "idle" means for a process that has readers at all. (With no registered thread liburcu
// returns from synchronize_rcu() without a barrier; BM_UrcuMb_SynchronizeNoReaders shows it.)
void RegisterAndReadOnce() {
  urcu_mb_register_thread();
  urcu_mb_read_lock();
  urcu_mb_read_unlock();
}

// Grace-period latency with a registered reader that is not in a read section.
void BM_UrcuMb_SynchronizeIdle(benchmark::State& state) {
  grace::bench::IdleThread idle(RegisterAndReadOnce, urcu_mb_unregister_thread);
  for (auto _ : state) urcu_mb_synchronize_rcu();
}
BENCHMARK(BM_UrcuMb_SynchronizeIdle)->UseRealTime();

void BM_UrcuMb_SynchronizeNoReaders(benchmark::State& state) {
  for (auto _ : state) urcu_mb_synchronize_rcu();
}
BENCHMARK(BM_UrcuMb_SynchronizeNoReaders)->UseRealTime();

// Grace-period latency while another thread runs read sections back to back.
void BM_UrcuMb_SynchronizeSpinningReader(benchmark::State& state) {
  std::atomic<bool> stop{false}, running{false};
  std::thread reader([&] {
    urcu_mb_register_thread();
    while (!stop.load(std::memory_order_relaxed)) {
      urcu_mb_read_lock();
      urcu_mb_read_unlock();
      running.store(true, std::memory_order_relaxed);
    }
    urcu_mb_unregister_thread();
  });
  while (!running.load()) std::this_thread::yield();  // time grace periods, not thread start
  for (auto _ : state) urcu_mb_synchronize_rcu();
  stop = true;
  reader.join();
}
BENCHMARK(BM_UrcuMb_SynchronizeSpinningReader)->UseRealTime();

// Concurrent updaters: grace periods completed per second across all threads.
void BM_UrcuMb_ConcurrentSynchronize(benchmark::State& state) {
  std::unique_ptr<grace::bench::IdleThread> idle;
  if (state.thread_index() == 0) {
    idle =
        std::make_unique<grace::bench::IdleThread>(RegisterAndReadOnce, urcu_mb_unregister_thread);
  }
  for (auto _ : state) urcu_mb_synchronize_rcu();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_UrcuMb_ConcurrentSynchronize)->Threads(1)->Threads(2)->Threads(8)->UseRealTime();

// call_rcu amortised cost (liburcu's default call_rcu worker), including the final barrier.
void BM_UrcuMb_CallRcu(benchmark::State& state) {
  urcu_mb_register_thread();
  struct Node {
    rcu_head head;
  };
  for (auto _ : state) {
    urcu_mb_call_rcu(&(new Node)->head, [](rcu_head* h) { delete reinterpret_cast<Node*>(h); });
  }
  urcu_mb_barrier();
  urcu_mb_unregister_thread();
}
BENCHMARK(BM_UrcuMb_CallRcu)->UseRealTime();

}  // namespace

namespace grace {
namespace bench {

__attribute__((noinline)) void UrcuMbPairs(long n, bool nested) {
  urcu_mb_register_thread();
  if (nested) urcu_mb_read_lock();
  for (long i = 0; i < n; ++i) {
    urcu_mb_read_lock();
    urcu_mb_read_unlock();
  }
  if (nested) urcu_mb_read_unlock();
  urcu_mb_unregister_thread();
}

}  // namespace bench
}  // namespace grace
