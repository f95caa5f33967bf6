// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// read_pair_counts VARIANT N: runs N read lock/unlock pairs, or N tracepoint fires, of one
// variant, for instruction counting under callgrind (tools/read_pair_instructions runs it at
// two N and divides the difference by the difference of N, which cancels start-up). Read
// pairs: tt_default, tt_default_nested, tt_domain, srcu, srcu_fast, urcu_memb,
// urcu_memb_nested, urcu_mb, urcu_mb_nested, urcu_qsbr, urcu_bp. Tracepoint fires (one empty
// probe where enabled): tp_disabled, tp_enabled_nonfaultable, tp_enabled_faultable, and the
// rebuilt LTTng-UST design (urcu-bp read section + probe array) lttng_design_disabled,
// lttng_design_enabled.

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "benchmarks/read_pair_peers.h"
#include "rcu/srcu.h"
#include "rcu/tasks_trace.h"
#include "tracepoint/tracepoint.h"

namespace {

__attribute__((noinline)) void TtDefault(long n) {
  grace::TasksTraceRcu& d = grace::TasksTraceRcu::Default();
  for (long i = 0; i < n; ++i) {
    d.lock();
    d.unlock();
  }
}

__attribute__((noinline)) void TtDefaultNested(long n) {
  grace::TasksTraceRcu& d = grace::TasksTraceRcu::Default();
  d.lock();
  for (long i = 0; i < n; ++i) {
    d.lock();
    d.unlock();
  }
  d.unlock();
}

__attribute__((noinline)) void TtDomain(long n) {
  static grace::TasksTraceRcu* d = new grace::TasksTraceRcu;
  for (long i = 0; i < n; ++i) {
    d->lock();
    d->unlock();
  }
}

template <class D>
__attribute__((noinline)) void SrcuPairs(long n) {
  static D* d = new D;
  for (long i = 0; i < n; ++i) {
    grace::SrcuToken t = d->lock();
    d->unlock(t);
  }
}

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
  long n = std::atol(argv[2]);
  if (!std::strcmp(v, "tt_default"))
    TtDefault(n);
  else if (!std::strcmp(v, "tt_default_nested"))
    TtDefaultNested(n);
  else if (!std::strcmp(v, "tt_domain"))
    TtDomain(n);
  else if (!std::strcmp(v, "srcu"))
    SrcuPairs<grace::Srcu>(n);
  else if (!std::strcmp(v, "srcu_fast"))
    SrcuPairs<grace::SrcuFast>(n);
  else if (!std::strcmp(v, "urcu_memb"))
    grace::bench::UrcuMembPairs(n, false);
  else if (!std::strcmp(v, "urcu_memb_nested"))
    grace::bench::UrcuMembPairs(n, true);
  else if (!std::strcmp(v, "urcu_mb"))
    grace::bench::UrcuMbPairs(n, false);
  else if (!std::strcmp(v, "urcu_mb_nested"))
    grace::bench::UrcuMbPairs(n, true);
  else if (!std::strcmp(v, "urcu_qsbr"))
    grace::bench::UrcuQsbrPairs(n);
  else if (!std::strcmp(v, "urcu_bp"))
    grace::bench::UrcuBpPairs(n);
  else if (!std::strcmp(v, "tp_disabled"))
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
