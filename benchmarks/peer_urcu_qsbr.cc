// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// Peer: liburcu 0.13 "qsbr" flavour (quiescent-state-based reclamation), read side inlined
// (_LGPL_SOURCE), in its own translation unit because liburcu's flavour headers map the same
// names. Same benchmarks and names as peer_urcu_memb.cc, registered as BM_UrcuQsbr_*.
//
// QSBR has no read-side cost by design: urcu_qsbr_read_lock()/unlock() are empty (an assert
// under DEBUG_RCU only), so BM_UrcuQsbr_ReadPair* measure the benchmark loop itself, which
// the compiler may fold away entirely (0 ns). The price moves to the rest of the program: a
// registered thread is "online" and a grace period waits for every online thread to announce
// a quiescent state (urcu_qsbr_quiescent_state()) or go offline (urcu_qsbr_thread_offline()).
// A thread that stays online without announcing stalls synchronize_rcu() forever, so the
// grace-period benchmarks below place those calls where an application would:
//   - the idle reader (IdleThread) registers and goes offline for as long as it sleeps: a
//     sleeping QSBR thread is expected to be offline, and it is what "a registered reader
//     outside its read section" is for this flavour;
//   - the spinning reader announces a quiescent state after each read pair (the finest grain
//     an application could choose, so the grace period is as short as QSBR allows);
//   - the threads calling urcu_qsbr_synchronize_rcu() are not registered readers at all (the
//     benchmark threads, as for memb). liburcu would also accept an online caller (it takes
//     the caller offline for the call), but an unregistered updater keeps the measurement the
//     same as the other flavours' and, in ConcurrentSynchronize, keeps one updater's grace
//     period from waiting until another updater comes round to its next call (an online
//     updater is a reader between its calls);
//   - call_rcu() itself must be called online (it holds a read section around its per-CPU
//     lookup), so BM_UrcuQsbr_CallRcu registers and announces a quiescent state after each
//     call_rcu(), or the worker's grace periods would wait on the benchmark thread until
//     urcu_qsbr_barrier() (which goes offline itself).

#define _LGPL_SOURCE 1
#include <urcu/urcu-qsbr.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "benchmark/benchmark.h"
#include "benchmarks/harness.h"
#include "benchmarks/read_pair_peers.h"

namespace {

// No synchronize_rcu() runs during these, so the readers need not announce quiescent states;
// unregistering takes the thread offline.
void BM_UrcuQsbr_ReadPair(benchmark::State& state) {
  urcu_qsbr_register_thread();
  for (auto _ : state) {
    urcu_qsbr_read_lock();
    urcu_qsbr_read_unlock();
  }
  urcu_qsbr_unregister_thread();
}
BENCHMARK(BM_UrcuQsbr_ReadPair)->Threads(1)->Threads(2)->Threads(4);

void BM_UrcuQsbr_ReadPairNested(benchmark::State& state) {
  urcu_qsbr_register_thread();
  urcu_qsbr_read_lock();
  for (auto _ : state) {
    urcu_qsbr_read_lock();
    urcu_qsbr_read_unlock();
  }
  urcu_qsbr_read_unlock();
  urcu_qsbr_unregister_thread();
}
BENCHMARK(BM_UrcuQsbr_ReadPairNested)->Threads(1);

// A registered reader that reads once and then sleeps offline: QSBR's "registered reader
// outside its read section" (an online sleeper would stall every grace period until it woke
// and announced a quiescent state). With no registered thread liburcu returns from
// synchronize_rcu() without touching the grace-period counter; BM_UrcuQsbr_SynchronizeNoReaders
// shows it.
void RegisterReadOnceAndGoOffline() {
  urcu_qsbr_register_thread();
  urcu_qsbr_read_lock();
  urcu_qsbr_read_unlock();
  urcu_qsbr_thread_offline();
}

// Grace-period latency with a registered reader that is offline.
void BM_UrcuQsbr_SynchronizeIdle(benchmark::State& state) {
  grace::bench::IdleThread idle(RegisterReadOnceAndGoOffline, urcu_qsbr_unregister_thread);
  for (auto _ : state) urcu_qsbr_synchronize_rcu();
}
BENCHMARK(BM_UrcuQsbr_SynchronizeIdle)->UseRealTime();

void BM_UrcuQsbr_SynchronizeNoReaders(benchmark::State& state) {
  for (auto _ : state) urcu_qsbr_synchronize_rcu();
}
BENCHMARK(BM_UrcuQsbr_SynchronizeNoReaders)->UseRealTime();

// Grace-period latency while another thread runs read sections back to back, announcing a
// quiescent state after each one.
void BM_UrcuQsbr_SynchronizeSpinningReader(benchmark::State& state) {
  std::atomic<bool> stop{false}, running{false};
  std::thread reader([&] {
    urcu_qsbr_register_thread();
    while (!stop.load(std::memory_order_relaxed)) {
      urcu_qsbr_read_lock();
      urcu_qsbr_read_unlock();
      urcu_qsbr_quiescent_state();
      running.store(true, std::memory_order_relaxed);
    }
    urcu_qsbr_unregister_thread();
  });
  while (!running.load()) std::this_thread::yield();  // time grace periods, not thread start
  for (auto _ : state) urcu_qsbr_synchronize_rcu();
  stop = true;
  reader.join();
}
BENCHMARK(BM_UrcuQsbr_SynchronizeSpinningReader)->UseRealTime();

// Concurrent updaters (unregistered): grace periods completed per second across all threads.
void BM_UrcuQsbr_ConcurrentSynchronize(benchmark::State& state) {
  std::unique_ptr<grace::bench::IdleThread> idle;
  if (state.thread_index() == 0) {
    idle = std::make_unique<grace::bench::IdleThread>(RegisterReadOnceAndGoOffline,
                                                      urcu_qsbr_unregister_thread);
  }
  for (auto _ : state) urcu_qsbr_synchronize_rcu();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_UrcuQsbr_ConcurrentSynchronize)->Threads(1)->Threads(2)->Threads(8)->UseRealTime();

// call_rcu amortised cost (liburcu's default call_rcu worker), including the final barrier.
// The caller is online for call_rcu() and announces a quiescent state after each call (see
// the top of the file); the quiescent state costs a load and compare unless a grace period
// has started since the last one.
void BM_UrcuQsbr_CallRcu(benchmark::State& state) {
  urcu_qsbr_register_thread();
  struct Node {
    rcu_head head;
  };
  for (auto _ : state) {
    urcu_qsbr_call_rcu(&(new Node)->head, [](rcu_head* h) { delete reinterpret_cast<Node*>(h); });
    urcu_qsbr_quiescent_state();
  }
  urcu_qsbr_barrier();  // goes offline for the wait itself
  urcu_qsbr_unregister_thread();
}
BENCHMARK(BM_UrcuQsbr_CallRcu)->UseRealTime();

}  // namespace

namespace grace {
namespace bench {

// Read pairs only: the instruction count is QSBR's read-side cost, which is nothing (the
// quiescent-state announcements an application adds are not part of it).
__attribute__((noinline)) void UrcuQsbrPairs(long n) {
  urcu_qsbr_register_thread();
  for (long i = 0; i < n; ++i) {
    urcu_qsbr_read_lock();
    urcu_qsbr_read_unlock();
  }
  urcu_qsbr_unregister_thread();
}

}  // namespace bench
}  // namespace grace
