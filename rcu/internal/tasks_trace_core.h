// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// rcu/internal/tasks_trace_core.h: the Tasks Trace RCU algorithm, as a template over the Sync
// policy (rcu/sync.h). Production instantiates it with std_sync (rcu/tasks_trace.h); the
// Relacy models instantiate the same code with models::rl_sync.
//
// Glossary: rdr = reader; slot = one thread's state for one domain; gp = grace period;
// holdout = a slot whose reader was inside when the grace period looked.
//
// One 32-bit word per slot (futex-able):
//
//   bit 31                    16 15                      0
//   +---------------------------+-------------------------+
//   |  generation (16 bits)     |  nesting depth (16 b)   |
//   +---------------------------+-------------------------+
//
//   nesting    lock() adds 1, unlock() subtracts 1. Only the owning thread writes the word,
//              so lock/unlock are a load and a store: no read-modify-write, no fence.
//   generation The outermost unlock() adds 1 (mod 2^16). A grace period that saw the slot
//              inside (nesting != 0, generation g) is done with it as soon as it sees nesting
//              0 or a generation != g: the section it saw has ended, even if a new one began.
//              Wrap: the updater compares for equality, so a wrap can only make it wait for
//              one more section (it sees g again after exactly 65536 sections), never stop
//              early.
//
// Beside the word, `wake` is set by an updater that is about to sleep on the word with
// futex_wait; the outermost unlock() then futex_wakes it. A reader pays one load of its own
// `wake` (same cache line) per outermost unlock, and a system call only while an updater
// sleeps on it.
//
// Fences (style.md rule 4), read side light, update side heavy:
//   [tt:L]  reader, after the nesting store of lock()       pairs with [tt:A]
//   [tt:U]  reader, before the nesting store of unlock()    pairs with [tt:B]
//   [tt:W]  reader, between the outermost store and `wake`  pairs with [tt:S]
//   [tt:A]  updater, before scanning the slots              pairs with [tt:L]
//   [tt:S]  updater, between setting `wake` and re-reading  pairs with [tt:W]
//   [tt:B]  updater, after the last slot is quiescent       pairs with [tt:U]
// The ordering argument is at the top of WaitForReaders() below.

#ifndef GRACE_RCU_INTERNAL_TASKS_TRACE_CORE_H_
#define GRACE_RCU_INTERNAL_TASKS_TRACE_CORE_H_

#include <atomic>
#include <cstdint>

#include "rcu/internal/check.h"

namespace grace {
namespace rcu_internal {

inline constexpr uint32_t kTtNestingMask = 0xFFFFu;
inline constexpr uint32_t kTtGenerationOne = 0x10000u;
// lock() refuses (debug check; try_lock returns false) at this depth, keeping the nesting
// field from carrying into the generation.
inline constexpr uint32_t kTtMaxNesting = kTtNestingMask;
static_assert((kTtNestingMask & kTtGenerationOne) == 0, "fields overlap");
static_assert(kTtNestingMask + 1 == kTtGenerationOne, "generation sits right above nesting");
static_assert(kTtMaxNesting <= kTtNestingMask, "max depth fits the nesting field");

inline constexpr uint32_t TtNesting(uint32_t w) { return w & kTtNestingMask; }

template <class Sync>
struct TtSlot {
  // The reader word (layout above). Written only by the owning thread (and, for a thread that
  // died or vanished in fork(), by the cleanup that stands in for it).
  typename Sync::template atomic<int32_t> word{0};
  // Non-zero while an updater may sleep on `word`.
  typename Sync::template atomic<int32_t> wake{0};
};

template <class Sync>
class TasksTraceCore {
 public:
  using Slot = TtSlot<Sync>;

  // Spins this many times on a holdout before sleeping on its word. Models spin twice, so
  // their searches stay small and reach the futex sleep/wake path (production: 1000).
  static constexpr int kSpinsBeforeSleep = Sync::kIsModel ? 2 : 1000;

  static uint32_t Load(const Slot& s) noexcept {
    return static_cast<uint32_t>(s.word.load(std::memory_order_relaxed));
  }

  static bool InReader(const Slot& s) noexcept { return TtNesting(Load(s)) != 0; }

  // lock(): enter (or nest) a read section.
  __attribute__((always_inline)) static void Lock(Slot& s) noexcept {
    const uint32_t w = Load(s);
    GRACE_DCHECK(TtNesting(w) < kTtMaxNesting,
                 "TasksTraceRcu::lock(): read sections nested 65535 deep (nesting overflow)");
    s.word.store(static_cast<int32_t>(w + 1), std::memory_order_relaxed);
    // [tt:L] pairs with [tt:A]: the nesting store is ordered before the section's loads, so a
    // section that the scan misses sees every store the updater made before [tt:A] (the
    // pointer it unpublished is gone). Without it: the reader keeps a pointer that is freed.
    Sync::light_barrier("tt:L");
  }

  // unlock(): leave a read section.
  __attribute__((always_inline)) static void Unlock(Slot& s) noexcept {
    // [tt:U] pairs with [tt:B]: the section's accesses are ordered before the store that lets
    // a grace period end, so nothing the section read can be freed under it.
    Sync::light_barrier("tt:U");
    const uint32_t w = Load(s);
    GRACE_DCHECK(TtNesting(w) != 0,
                 "TasksTraceRcu::unlock() without a matching lock() (unbalanced unlock)");
    if (TtNesting(w) != 1) {
      s.word.store(static_cast<int32_t>(w - 1), std::memory_order_relaxed);
      return;
    }
    // Outermost: nesting 0, next generation. Release under TSan only: TSan cannot see
    // [tt:U]/[tt:B], so the acquire load in the scan gives it the same edge.
    s.word.store(static_cast<int32_t>(w - 1 + kTtGenerationOne),
                 Sync::kTsan ? std::memory_order_release : std::memory_order_relaxed);
    // [tt:W] pairs with [tt:S]: either this load sees `wake`, or the sleeping updater's
    // re-read after [tt:S] sees the store above. Without it: updater sleeps forever.
    Sync::light_barrier("tt:W");
    if (__builtin_expect(s.wake.load(std::memory_order_relaxed) != 0, 0)) {
      Sync::futex_wake(s.word);
    }
  }

  // Stands in for a thread that can no longer unlock (it exited inside a section, or vanished
  // in fork()): ends its section so grace periods do not wait for it forever.
  static void ForceQuiescent(Slot& s) noexcept {
    const uint32_t w = Load(s);
    if (TtNesting(w) == 0) return;
    s.word.store(static_cast<int32_t>((w & ~kTtNestingMask) + kTtGenerationOne),
                 std::memory_order_release);
    Sync::futex_wake(s.word);
  }

  // One grace period's reader wait. `for_each_slot(f)` calls f(Slot&) for every slot of the
  // domain that exists when it runs.
  //
  // Ordering argument. Let R be a read section and G this grace period.
  //  - If R's lock() store is not seen by the scan (R entered after the scan looked, or the
  //    scan saw nesting 0), then by [tt:L]/[tt:A] R's loads come after [tt:A] in the updater's
  //    view: R cannot see a pointer the updater unpublished before calling G, so it cannot
  //    hold what G's caller will free.
  //  - If the scan sees R inside, G waits until R's slot shows nesting 0 or a new
  //    generation, i.e. R's outermost unlock() store; by [tt:U]/[tt:B] every access of R
  //    happens before whatever G's caller does after G (the free).
  //  - Sleeping: the updater sets `wake`, runs [tt:S], re-reads the word; R's outermost
  //    unlock stores, runs [tt:W], reads `wake`. Store buffering: at least one sees the
  //    other, so either R wakes the updater or the updater does not sleep.
  template <class ForEachSlot>
  static void WaitForReaders(ForEachSlot&& for_each_slot) {
    // [tt:A] pairs with [tt:L]: see the ordering argument.
    Sync::heavy_barrier("tt:A");
    for_each_slot([](Slot& s) { WaitForSlot(s); });
    // [tt:B] pairs with [tt:U]: see the ordering argument.
    Sync::heavy_barrier("tt:B");
  }

 private:
  static uint32_t ScanLoad(const Slot& s) {
    // Acquire under TSan only (pairs with the release in Unlock()); the real ordering is
    // [tt:U]/[tt:B].
    return static_cast<uint32_t>(
        s.word.load(Sync::kTsan ? std::memory_order_acquire : std::memory_order_relaxed));
  }

  static void WaitForSlot(Slot& s) {
    const uint32_t seen = ScanLoad(s);
    if (TtNesting(seen) == 0) return;
    auto done = [seen](uint32_t now) {
      return TtNesting(now) == 0 || (now & ~kTtNestingMask) != (seen & ~kTtNestingMask);
    };
    for (int i = 0; i < kSpinsBeforeSleep; ++i) {
      if (done(ScanLoad(s))) return;
      Sync::spin();
    }
    s.wake.store(1, std::memory_order_relaxed);
    // [tt:S] pairs with [tt:W]: see the ordering argument. Needed in membarrier mode, where
    // [tt:W] is only a compiler barrier (models: removing it loses the wake-up). In fallback
    // mode futex_wait's own full barrier would stand in for it (models: light-as-SC reading).
    Sync::heavy_barrier("tt:S");
    for (;;) {
      const uint32_t now = ScanLoad(s);
      if (done(now)) break;
      Sync::futex_wait(s.word, static_cast<int32_t>(now));
    }
    s.wake.store(0, std::memory_order_relaxed);
  }
};

}  // namespace rcu_internal
}  // namespace grace

#endif  // GRACE_RCU_INTERNAL_TASKS_TRACE_CORE_H_
