// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// An LTTng-UST 2.13 tracepoint provider for tracepoint_benchmark (peer_lttng_ust.cc): two
// events with one int field each, the same shape as the grace tracepoints they are compared
// with. The probes are compiled into the benchmark (lttng_bench_probe.cc), so a session that
// enables an event enables that call site:
//   grace_bench:enabled   enabled by tools/lttng_session (BM_LttngUst_Enabled)
//   grace_bench:disabled  never enabled (BM_LttngUst_Disabled); do not enable 'grace_bench:*'

#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER grace_bench

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "benchmarks/lttng_bench_tp.h"

#if !defined(GRACE_BENCHMARKS_LTTNG_BENCH_TP_H_) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define GRACE_BENCHMARKS_LTTNG_BENCH_TP_H_

#include <lttng/tracepoint.h>

LTTNG_UST_TRACEPOINT_EVENT(grace_bench, enabled, LTTNG_UST_TP_ARGS(int, v),
                           LTTNG_UST_TP_FIELDS(lttng_ust_field_integer(int, v, v)))

LTTNG_UST_TRACEPOINT_EVENT(grace_bench, disabled, LTTNG_UST_TP_ARGS(int, v),
                           LTTNG_UST_TP_FIELDS(lttng_ust_field_integer(int, v, v)))

#endif  // GRACE_BENCHMARKS_LTTNG_BENCH_TP_H_

#include <lttng/tracepoint-event.h>
