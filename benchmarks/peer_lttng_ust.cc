// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// Peer: a real LTTng-UST 2.13 tracepoint (lttng_ust_tracepoint), never enabled (no session):
// the cost of a disabled LTTng-UST call site. Registered as BM_LttngUst_Disabled.

// The probe provider would live in a separate shared object (LD_PRELOADed when tracing);
// without it the tracepoint stays disabled, which is what is measured.
#define LTTNG_UST_TRACEPOINT_PROBE_DYNAMIC_LINKAGE
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "benchmark/benchmark.h"
#include "benchmarks/lttng_bench_tp.h"

namespace {

void BM_LttngUst_Disabled(benchmark::State& state) {
  int i = 0;
  for (auto _ : state) {
    lttng_ust_tracepoint(grace_bench, event, i);
    ++i;
    benchmark::DoNotOptimize(i);
  }
}
BENCHMARK(BM_LttngUst_Disabled);

}  // namespace
