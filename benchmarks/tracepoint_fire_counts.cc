// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// benchmarks/tracepoint_fire_counts: runs N tracepoint fires of one variant, for
// tools/read_pair_instructions to count instructions with callgrind (repeatable where wall
// time is not). Variants: grace's disabled call site, enabled with one empty probe
// (non-faultable and faultable flavours), and the rebuilt LTTng-UST design (urcu-bp read
// section + probe array), disabled and with one probe.
//   tracepoint_fire_counts VARIANT N

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "benchmarks/read_pair_peers.h"
#include "tracepoint/tracepoint.h"

namespace {

grace::Tracepoint<int> tp_off{"counts:off", grace::MayFault::kNo};
grace::Tracepoint<int> tp_nf{"counts:nonfaultable", grace::MayFault::kNo};
grace::Tracepoint<int> tp_f{"counts:faultable", grace::MayFault::kYes};

__attribute__((noinline)) void EmptyProbe(void*, int v) { asm volatile("" : : "r"(v)); }

__attribute__((noinline)) void Fires(grace::Tracepoint<int>& tp, long n, bool attach) {
  grace::ProbeOptions o;
  o.may_fault = tp.may_fault() == grace::MayFault::kYes;
  grace::ProbeHandle h{};
  if (attach) h = *tp.Register(&EmptyProbe, nullptr, o);
  for (long i = 0; i < n; ++i) tp(static_cast<int>(i));
  if (attach) (void)tp.Unregister(h);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s VARIANT N\n", argv[0]);
    return 2;
  }
  const char* v = argv[1];
  const long n = std::atol(argv[2]);
  if (!std::strcmp(v, "tp_disabled"))
    Fires(tp_off, n, false);
  else if (!std::strcmp(v, "tp_enabled_nonfaultable"))
    Fires(tp_nf, n, true);
  else if (!std::strcmp(v, "tp_enabled_faultable"))
    Fires(tp_f, n, true);
  else if (!std::strcmp(v, "lttng_design_disabled"))
    grace::bench::LttngDesignFires(n, 0);
  else if (!std::strcmp(v, "lttng_design_enabled"))
    grace::bench::LttngDesignFires(n, 1);
  else {
    std::fprintf(stderr, "unknown variant %s\n", v);
    return 2;
  }
  return 0;
}
