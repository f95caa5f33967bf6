// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// Peer: real LTTng-UST 2.13 tracepoints (lttng_ust_tracepoint) with their probes linked in
// (lttng_bench_probe.cc).
//   BM_LttngUst_Disabled  grace_bench:disabled, which no session enables: the cost of a
//                         disabled LTTng-UST call site (a load and a branch).
//   BM_LttngUst_Enabled   grace_bench:enabled inside a real LTTng session: the whole enabled
//                         path (urcu-bp read section, the probe, a timestamp, ring-buffer
//                         reservation and the record). Needs a session daemon and a session
//                         with the event enabled before the process starts:
//                           tools/lttng_session -- bazel-bin/benchmarks/tracepoint_benchmark
//                         Without one (tools/test's smoke run, a machine without lttng-tools)
//                         it is skipped with an error and the harness reports "not run";
//                         peer_lttng_design.cc's urcu-bp rebuild is then the enabled peer.
//
// A real session does run here (Debian 12's lttng-tools 2.13.9 with liblttng-ust 2.13.5, in a
// 2-core Firecracker VM without the LTTng kernel modules): `lttng-sessiond --daemonize
// --no-kernel` as root, a snapshot session, and the app registers at start-up (it waits up to
// LTTNG_UST_REGISTER_TIMEOUT ms, default 3000, for the session daemon's enablers). The enabled
// figure is not the cost of dispatch alone: it records an event, and the clock_gettime() of
// every record (vDSO over kvm-clock here) costs about 30-100 ns on its own on this VM.
// grace's enabled benchmarks call an empty probe, so that ratio is reported, not targeted.

#define LTTNG_UST_TRACEPOINT_DEFINE
#include "benchmark/benchmark.h"
#include "benchmarks/lttng_bench_tp.h"

namespace {

void BM_LttngUst_Disabled(benchmark::State& state) {
  if (lttng_ust_tracepoint_enabled(grace_bench, disabled)) {
    state.SkipWithError(
        "grace_bench:disabled is enabled by a session (enable only "
        "grace_bench:enabled)");
    return;
  }
  int i = 0;
  for (auto _ : state) {
    lttng_ust_tracepoint(grace_bench, disabled, i);
    ++i;
    benchmark::DoNotOptimize(i);
  }
}
BENCHMARK(BM_LttngUst_Disabled);

void BM_LttngUst_Enabled(benchmark::State& state) {
  if (!lttng_ust_tracepoint_enabled(grace_bench, enabled)) {
    state.SkipWithError(
        "no LTTng session enables grace_bench:enabled (run under "
        "tools/lttng_session)");
    return;
  }
  int i = 0;
  for (auto _ : state) {
    lttng_ust_tracepoint(grace_bench, enabled, i);
    ++i;
    benchmark::DoNotOptimize(i);
  }
}
BENCHMARK(BM_LttngUst_Enabled);

}  // namespace
