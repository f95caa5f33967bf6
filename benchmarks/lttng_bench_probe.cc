// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// The LTTng-UST probes of benchmarks/lttng_bench_tp.h, linked statically into
// tracepoint_benchmark (LTTng-UST's "statically linked tracepoint provider package"): the
// constructor registers them with liblttng-ust, which enables the call sites a session asks for.
// With no session daemon, nothing is enabled and the benchmark runs as before.

#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#include "benchmarks/lttng_bench_tp.h"
