// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// Peer: liburcu 0.13 "bp" (bulletproof) flavour, the one LTTng-UST embeds: no explicit thread
// registration, read side inlined (_LGPL_SOURCE). Registered as BM_UrcuBp_*.

#define _LGPL_SOURCE 1
#include <urcu/urcu-bp.h>

#include "benchmark/benchmark.h"
#include "benchmarks/read_pair_peers.h"

namespace {

void BM_UrcuBp_ReadPair(benchmark::State& state) {
  for (auto _ : state) {
    urcu_bp_read_lock();
    urcu_bp_read_unlock();
  }
}
BENCHMARK(BM_UrcuBp_ReadPair)->Threads(1)->Threads(2);

void BM_UrcuBp_SynchronizeIdle(benchmark::State& state) {
  for (auto _ : state) urcu_bp_synchronize_rcu();
}
BENCHMARK(BM_UrcuBp_SynchronizeIdle)->UseRealTime();

}  // namespace

namespace grace {
namespace bench {

__attribute__((noinline)) void UrcuBpPairs(long n) {
  for (long i = 0; i < n; ++i) {
    urcu_bp_read_lock();
    urcu_bp_read_unlock();
  }
}

}  // namespace bench
}  // namespace grace
