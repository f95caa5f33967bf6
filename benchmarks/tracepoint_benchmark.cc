// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// tracepoint_benchmark: grace::Tracepoint call sites against LTTng-UST, same binary, same run.
//   disabled call site          vs a real LTTng-UST lttng_ust_tracepoint (event not enabled)
//   enabled, 1/10/100 empty probes, per flavour
//                               vs LTTng-UST's design (urcu-bp read section + copy-on-update
//                                  array, peer_lttng_design.cc), with empty probes as ours
//   enabled, 1 empty probe      vs a real LTTng-UST tracepoint recording into a real session,
//                                  only when run under tools/lttng_session (else "not run")
//   Register+Unregister pairs, and ProbeArray updates one by one vs batched (16 per batch).
// The harness prints "ours / peer" ratios with the design targets (shared/design.md §8).

#include <vector>

#include "benchmark/benchmark.h"
#include "benchmarks/harness.h"
#include "rcu/probe_array.h"
#include "tracepoint/tracepoint.h"

namespace {

grace::Tracepoint<int> tp_off{"bench:off", grace::MayFault::kNo};
grace::Tracepoint<int> tp_nf{"bench:nonfaultable", grace::MayFault::kNo};
grace::Tracepoint<int> tp_f{"bench:faultable", grace::MayFault::kYes};

__attribute__((noinline)) void EmptyProbe(void*, int v) { benchmark::DoNotOptimize(v); }

void BM_Grace_Disabled(benchmark::State& state) {
  int i = 0;
  for (auto _ : state) {
    tp_off(i);
    ++i;
    benchmark::DoNotOptimize(i);
  }
}
BENCHMARK(BM_Grace_Disabled);

// The same through GRACE_TRACEPOINT, which evaluates its arguments only when enabled, as
// LTTng-UST's macro does: the like-for-like call site of BM_LttngUst_Disabled.
void BM_Grace_Disabled_Macro(benchmark::State& state) {
  int i = 0;
  for (auto _ : state) {
    GRACE_TRACEPOINT(tp_off, i);
    ++i;
    benchmark::DoNotOptimize(i);
  }
}
BENCHMARK(BM_Grace_Disabled_Macro);

void Enabled(benchmark::State& state, grace::Tracepoint<int>& tp) {
  const int n = static_cast<int>(state.range(0));
  std::vector<int> datas(n);
  grace::ProbeOptions o;
  o.may_fault = tp.may_fault() == grace::MayFault::kYes;
  std::vector<grace::ProbeHandle> hs;
  for (int i = 0; i < n; ++i) hs.push_back(*tp.Register(&EmptyProbe, &datas[i], o));
  int i = 0;
  for (auto _ : state) tp(i++);
  for (auto& h : hs) (void)tp.Unregister(h);
  grace::SynchronizeTracepointUnregister();
}
void BM_Grace_Enabled_NonFaultable(benchmark::State& state) { Enabled(state, tp_nf); }
void BM_Grace_Enabled_Faultable(benchmark::State& state) { Enabled(state, tp_f); }
BENCHMARK(BM_Grace_Enabled_NonFaultable)->Arg(1)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_Grace_Enabled_Faultable)->Arg(1)->Arg(10)->Arg(100)->Arg(1000);

void BM_Grace_RegisterUnregister(benchmark::State& state) {
  int d = 0;
  for (auto _ : state) {
    auto h = tp_nf.Register(&EmptyProbe, &d);
    (void)tp_nf.Unregister(*h);
  }
  grace::SynchronizeTracepointUnregister();
}
BENCHMARK(BM_Grace_RegisterUnregister);

// 16 adds then 16 removes on a ProbeArray: one update each, or one batch each.
void BM_ProbeArray_Updates_OneByOne(benchmark::State& state) {
  grace::TasksTraceRcu d;
  grace::ProbeArray<int> a(d);
  for (auto _ : state) {
    for (int i = 0; i < 16; ++i) (void)a.Add(i);
    for (int i = 0; i < 16; ++i) (void)a.Remove(i);
  }
  state.SetItemsProcessed(state.iterations() * 32);
  d.Barrier();
}
void BM_ProbeArray_Updates_Batched(benchmark::State& state) {
  grace::TasksTraceRcu d;
  grace::ProbeArray<int> a(d);
  for (auto _ : state) {
    a.Update([](grace::ProbeArray<int>::Batch& b) {
      for (int i = 0; i < 16; ++i) (void)b.Add(i);
    });
    a.Update([](grace::ProbeArray<int>::Batch& b) {
      for (int i = 0; i < 16; ++i) (void)b.Remove(i);
    });
  }
  state.SetItemsProcessed(state.iterations() * 32);
  d.Barrier();
}
BENCHMARK(BM_ProbeArray_Updates_OneByOne);
BENCHMARK(BM_ProbeArray_Updates_Batched);

}  // namespace

int main(int argc, char** argv) {
  return grace::bench::Main(
      argc, argv,
      {
          {"disabled call site, GRACE_TRACEPOINT vs LTTng-UST disabled tracepoint",
           "BM_Grace_Disabled_Macro", "BM_LttngUst_Disabled", 1.0},
          {"disabled call site, tp(args) (arguments evaluated) vs LTTng-UST", "BM_Grace_Disabled",
           "BM_LttngUst_Disabled", 0},
          {"disabled call site vs LTTng design (state word)", "BM_Grace_Disabled",
           "BM_LttngDesign_Disabled", 0},
          {"enabled, 1 probe, non-faultable vs LTTng design", "BM_Grace_Enabled_NonFaultable/1",
           "BM_LttngDesign_Enabled/1", 1.0},
          {"enabled, 1 probe, faultable vs LTTng design", "BM_Grace_Enabled_Faultable/1",
           "BM_LttngDesign_Enabled/1", 1.0},
          // A real session records an event (clock read, ring buffer); ours calls an empty
          // probe: reported, not targeted.
          {"enabled, 1 probe, non-faultable vs real LTTng-UST session",
           "BM_Grace_Enabled_NonFaultable/1", "BM_LttngUst_Enabled", 0},
          {"enabled, 1 probe, faultable vs real LTTng-UST session", "BM_Grace_Enabled_Faultable/1",
           "BM_LttngUst_Enabled", 0},
          {"LTTng design (empty probe) vs real LTTng-UST session", "BM_LttngDesign_Enabled/1",
           "BM_LttngUst_Enabled", 0},
          {"enabled, 10 probes, non-faultable vs LTTng design", "BM_Grace_Enabled_NonFaultable/10",
           "BM_LttngDesign_Enabled/10", 0},
          {"enabled, 100 probes, non-faultable vs LTTng design",
           "BM_Grace_Enabled_NonFaultable/100", "BM_LttngDesign_Enabled/100", 0},
          {"enabled, 100 probes, faultable vs LTTng design", "BM_Grace_Enabled_Faultable/100",
           "BM_LttngDesign_Enabled/100", 0},
          {"32 updates: batched vs one by one", "BM_ProbeArray_Updates_Batched",
           "BM_ProbeArray_Updates_OneByOne", 0},
      });
}
