// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// rcu/internal/gp_seq.h: the grace-period sequence word every GpEngine keeps, as a template
// over the Sync policy (rcu/sync.h) so that models/gp_seq_model checks its orderings with the
// Relacy policy on this very code.
//
//   bit 63 ............................ 1   bit 0
//   +------------------------------------+-------+
//   |  number of grace periods started   | state |   state 1: a grace period is running
//   +------------------------------------+-------+   state 0: idle
//
// Snapshot() = the first even value reached after a whole grace period that starts after the
// call: (seq + 3) & ~1. Reached(s) = seq >= s. 64 bits never wrap in practice (one grace
// period per nanosecond would take 292 years).
//
// Orderings (labels gs:*):
//   [gs:F] (fence in Snapshot) pairs with the full barrier every domain's wait_for_readers
//     begins with, right after Begin() ([tt:A], [srcu:A]/[srcuf:A]; rcu/internal/gp_engine.h
//     states it as the domain's contract): an updater that unpublished an object and then took
//     a snapshot either sees the running grace period's odd value (and waits for the next
//     one), or that barrier comes after its fence, so the reader scan sees the unpublish.
//   [gs:E] (End's release store) pairs with [gs:P] (Reached's acquire load): a true Reached()
//     sees everything the grace period saw (the readers' accesses).
//   [gs:S] (Begin's release store) pairs with [gs:P] too: a Reached() that sees the odd value
//     of the next grace period, begun by another thread, still sees the End before it (the
//     engine's grace-period lock orders the two threads; a relaxed store would break the chain).

#ifndef GRACE_RCU_INTERNAL_GP_SEQ_H_
#define GRACE_RCU_INTERNAL_GP_SEQ_H_

#include <atomic>
#include <cstdint>

#include "rcu/gp_state.h"

namespace grace {
namespace rcu_internal {

template <class Sync>
class GpSeq {
 public:
  GpSeq() noexcept { seq_.store(0, std::memory_order_relaxed); }

  // The state a caller must wait for so that a whole grace period starts after this call.
  GpState Snapshot() const noexcept {
    // [gs:F] pairs with the domain's leading full barrier after Begin(): the caller's earlier
    // stores (an unpublish) are ordered before the load, so a grace period this snapshot does
    // not count as running covers them.
    Sync::fence("gs:F", std::memory_order_seq_cst);
    const uint64_t s = seq_.load(std::memory_order_relaxed);
    return GpState{(s + 3) & ~uint64_t{1}};
  }

  bool Reached(GpState s) const noexcept {
    // [gs:P] pairs with [gs:E].
    return seq_.load(Sync::order("gs:P", std::memory_order_acquire)) >= s.seq;
  }

  // Marks a grace period running; returns the value to pass to End(). One at a time (the
  // caller holds the engine's grace-period lock).
  uint64_t Begin() noexcept {
    const uint64_t s = seq_.load(std::memory_order_relaxed);
    // [gs:S] pairs with [gs:P]: what happened before this (the previous End, through the
    // caller's lock) is visible to a Reached() that sees the odd value. The scan that follows
    // is ordered after the store by the domain's leading full barrier, not by this store.
    seq_.store(s + 1, Sync::order("gs:S", std::memory_order_release));
    return s;
  }

  void End(uint64_t begun) noexcept {
    // [gs:E] pairs with [gs:P]: a Reached() that sees the new value sees what the readers did.
    seq_.store(begun + 2, Sync::order("gs:E", std::memory_order_release));
  }

  // fork() child: a grace period in flight belongs to a thread that is gone; roll it back to
  // idle (a state that needed it needs the next grace period, which reaches the same value).
  void AbandonInFlight() noexcept {
    const uint64_t s = seq_.load(std::memory_order_relaxed);
    if (s & 1) seq_.store(s - 1, std::memory_order_relaxed);
  }

 private:
  typename Sync::template atomic<uint64_t> seq_;
};

}  // namespace rcu_internal
}  // namespace grace

#endif  // GRACE_RCU_INTERNAL_GP_SEQ_H_
