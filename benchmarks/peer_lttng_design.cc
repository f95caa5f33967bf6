// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// Peer: LTTng-UST's tracepoint design rebuilt with its parts, so that it can be enabled
// without a session daemon: a state word tested at the call site, then a liburcu "bp" read
// section (the flavour LTTng-UST embeds), an rcu_dereference of a null-terminated
// copy-on-update array of {func, data}, and a call per entry. Registered as
// BM_LttngDesign_Enabled/<probes>.

#define _LGPL_SOURCE 1
#include <urcu/urcu-bp.h>

#include <vector>

#include "benchmark/benchmark.h"

namespace {

struct LProbe {
  void (*func)(void*, int);
  void* data;
};

int tp_state = 0;
LProbe* tp_probes = nullptr;

__attribute__((noinline)) void EmptyPeerProbe(void*, int v) { benchmark::DoNotOptimize(v); }

inline void Fire(int v) {
  if (caa_unlikely(CMM_LOAD_SHARED(tp_state))) {
    urcu_bp_read_lock();
    LProbe* p = rcu_dereference(tp_probes);
    if (p != nullptr) {
      for (; p->func != nullptr; ++p) p->func(p->data, v);
    }
    urcu_bp_read_unlock();
  }
}

void BM_LttngDesign_Enabled(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto* arr = new LProbe[n + 1];
  for (int i = 0; i < n; ++i) arr[i] = {&EmptyPeerProbe, nullptr};
  arr[n] = {nullptr, nullptr};
  rcu_assign_pointer(tp_probes, arr);
  CMM_STORE_SHARED(tp_state, 1);
  int i = 0;
  for (auto _ : state) {
    Fire(i++);
  }
  CMM_STORE_SHARED(tp_state, 0);
  rcu_assign_pointer(tp_probes, nullptr);
  urcu_bp_synchronize_rcu();
  delete[] arr;
}
BENCHMARK(BM_LttngDesign_Enabled)->Arg(1)->Arg(10)->Arg(100)->Arg(1000);

void BM_LttngDesign_Disabled(benchmark::State& state) {
  int i = 0;
  for (auto _ : state) {
    Fire(i);
    ++i;
    benchmark::DoNotOptimize(i);
  }
}
BENCHMARK(BM_LttngDesign_Disabled);

}  // namespace

namespace grace {
namespace bench {

// For tools/read_pair_instructions (callgrind): `n` fires of the rebuilt LTTng-UST design with
// `probes` empty probes attached (0: disabled).
__attribute__((noinline)) void LttngDesignFires(long n, int probes) {
  auto* arr = new LProbe[probes + 1];
  for (int i = 0; i < probes; ++i) arr[i] = {&EmptyPeerProbe, nullptr};
  arr[probes] = {nullptr, nullptr};
  rcu_assign_pointer(tp_probes, arr);
  CMM_STORE_SHARED(tp_state, probes > 0 ? 1 : 0);
  for (long i = 0; i < n; ++i) Fire(static_cast<int>(i));
  CMM_STORE_SHARED(tp_state, 0);
  rcu_assign_pointer(tp_probes, nullptr);
  urcu_bp_synchronize_rcu();
  delete[] arr;
}

}  // namespace bench
}  // namespace grace
