// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// read_pair_counts VARIANT N: runs N read lock/unlock pairs of one variant, for instruction
// counting under callgrind (tools/read_pair_instructions runs it at two N and divides the
// difference by the difference of N, which cancels start-up). Variants: tt_default,
// tt_default_nested, tt_domain, srcu, srcu_fast, urcu_memb, urcu_memb_nested, urcu_mb,
// urcu_mb_nested, urcu_qsbr, urcu_bp.

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "benchmarks/read_pair_peers.h"
#include "rcu/srcu.h"
#include "rcu/tasks_trace.h"

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
  else {
    std::fprintf(stderr, "unknown variant %s\n", v);
    return 2;
  }
  return 0;
}
