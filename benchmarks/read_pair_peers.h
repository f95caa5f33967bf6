// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// Loops of liburcu read pairs with the read side inlined (_LGPL_SOURCE) in the peer's own
// translation unit, for instruction counting (read_pair_counts.cc).

#ifndef GRACE_BENCHMARKS_READ_PAIR_PEERS_H_
#define GRACE_BENCHMARKS_READ_PAIR_PEERS_H_

namespace grace {
namespace bench {

void UrcuMembPairs(long n, bool nested);  // peer_urcu_memb.cc
void UrcuMbPairs(long n, bool nested);    // peer_urcu_mb.cc
void UrcuQsbrPairs(long n);               // peer_urcu_qsbr.cc (empty by design)
void UrcuBpPairs(long n);                 // peer_urcu_bp.cc
// `n` fires of LTTng-UST's tracepoint design with `probes` empty probes (0: disabled).
void LttngDesignFires(long n, int probes);  // peer_lttng_design.cc

}  // namespace bench
}  // namespace grace

#endif  // GRACE_BENCHMARKS_READ_PAIR_PEERS_H_
