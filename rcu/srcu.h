// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// -----------------------------------------------------------------------------
// File: rcu/srcu.h
// -----------------------------------------------------------------------------
//
// grace::Srcu and grace::SrcuFast: sleepable read-copy-update with independent domains. A
// domain is an ordinary object: create as many as you like, anywhere (one per table, per
// connection, per plugin). Readers may block, sleep and take page faults, and a reader of one
// domain never delays a grace period of another. A read section is identified by the token
// lock() returns, so it may be ended on another thread (hand the token over). This is the
// userspace form of the Linux kernel's SRCU and SRCU-fast.
//
// Example:
//
//   grace::SrcuFast domain;                          // e.g. one per table
//   std::atomic<Row*> row{new Row{}};
//
//   int Reader() {
//     grace::SrcuGuard<grace::SrcuFast> guard(domain); // or: t = domain.lock(); ...; unlock(t)
//     return row.load(std::memory_order_acquire)->value;   // may block or fault here
//   }
//
//   void Update(int v) {                             // writers serialise among themselves
//     Row* old = row.exchange(new Row{v}, std::memory_order_acq_rel);
//     domain.Retire(old);                            // deleted after a grace period
//   }
//
// Which one (measured on this project's reference machine: see README "Performance"):
//   - SrcuFast: the read side is two counter increments and compiler barriers, no memory
//     barrier; each grace period pays two process-wide barriers (membarrier), which interrupt
//     every running thread of the process. Choose it when reads are frequent and grace periods
//     are rare (tracing, configuration, routing tables).
//   - Srcu: the read side adds a full memory barrier at lock() and another at unlock(); grace
//     periods interrupt nobody. Choose it when grace periods are frequent, when many domains
//     each run their own grace periods, or when interrupting other threads is unacceptable
//     (latency-critical threads pinned to CPUs).
//   - TasksTraceRcu (rcu/tasks_trace.h) reads cheaper still (no counter array to index), but
//     allows only 1023 domains and a read section must end on the thread that began it.
//
// Counters: each domain keeps, for each thread that has used it, one cache line of counters
// (locks and unlocks for two ranks). Threads get a dense slot number on first use of any
// domain (up to 8192 threads alive at once; slots of exited threads are reused); a domain
// allocates its counters in pages of 64 slots, the first page when it is constructed, later
// pages the first time a thread with a slot in them uses the domain. Memory per domain: 5 KiB
// (one page plus 1 KiB of page pointers) for the first 64 threads, 4 KiB per further 64.
// Per-thread rather than per-CPU counters: a per-CPU counter needs an atomic read-modify-write
// (the thread may migrate between reading the CPU number and incrementing) or restartable
// sequences; a per-thread counter is written by one thread only, so the increment is a plain
// add: 0.29 ns against 5.7 ns for a locked add on the reference machine (BM_OwnerIncrement vs
// BM_LockedIncrement in benchmarks/srcu_benchmark).
//
// Limitations:
//   - A read section may be ended on any thread, with the token of its lock(). Ending it twice,
//     with a token of another domain or with a forged token is misuse: debug check (release
//     builds cannot detect it and the domain's grace periods then hang or end too early).
//   - Synchronize(), SynchronizeExpedited() and Barrier() inside a read section of the same
//     domain deadlock: debug check (a thread that handed its token to another thread counts as
//     inside until that thread unlocks it).
//   - Destroying a domain with a reader inside or callbacks pending is misuse: debug check;
//     release builds print a message and leak the domain's counters and callbacks rather than
//     free memory a reader still uses.
//   - fork(): a read section another thread of the parent had open stays open in the child, so
//     the child's grace periods on that domain wait forever; fork while no other thread is
//     inside a read section of a domain the child will use.
//   - Callbacks run on one worker thread per domain, started on first use; they must not throw
//     and must not call Barrier() or destroy their own domain.
//   - Lazy batching: a callback may wait up to Options::callback_batch_delay_us (1 ms) for
//     others before its grace period starts; Barrier() and StartPoll() do not wait.
//
// Memory ordering (style.md rule 3):
//   - Synchronize(): for any read section R of the domain and any call S, either R ends before
//     S returns, with all of R's accesses happening before S returns, or R begins after S
//     started, with all of the updater's accesses before S visible to R. On systems without
//     membarrier, SrcuFast's readers use seq_cst fences and the same holds.
//   - Call(f)/Retire(p): f runs (p is deleted) on the worker thread after a full grace period
//     that began after the Call(); the same guarantee holds between the readers and f.
//   - Barrier(): every callback queued before the call has run, and its effects are visible.
//   - Poll(s) == true: as if Synchronize() had been called at GetState()/StartPoll() and had
//     returned.
//
// Overheads (2-vCPU Intel Xeon VM, clang-14 -O2, 2026-12-01; tools/bench, medians): read pair
// SrcuFast 1.59 ns (44 instructions), Srcu 14.8 ns (40; two full barriers), against
// TasksTraceRcu::Default() 0.98 ns in the same run; Synchronize() with an idle reader thread:
// Srcu 0.23 us, SrcuFast 0.57 us; with a reader spinning on the other CPU: Srcu 0.75 us,
// SrcuFast 41 us (membarrier interrupts it); 1000 live domains: 1.6x one domain's grace period
// (Srcu); domain creation + destruction 0.5 us (Srcu), 0.9 us (SrcuFast: the destructor's
// idle check uses membarrier). Retire() amortised, with the object's new and delete: Srcu
// 144 ns, SrcuFast 137 ns (lazy batching).

#ifndef GRACE_RCU_SRCU_H_
#define GRACE_RCU_SRCU_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/functional/any_invocable.h"
#include "rcu/gp_state.h"
#include "rcu/internal/check.h"
#include "rcu/internal/srcu_core.h"
#include "rcu/sync.h"

namespace grace {
namespace rcu_internal {

class GpEngine;

// This thread's SRCU slot plus one; 0 until its first lock() of any Srcu/SrcuFast domain.
// Initial-exec TLS: reading it never allocates, also from a signal handler.
// ABSL_CONST_INIT on the declaration: no dynamic initialisation, so no TLS wrapper call per access.
ABSL_CONST_INIT extern thread_local uint32_t srcu_slot_plus1
    __attribute__((tls_model("initial-exec")));

// Claims a free slot for this thread (lock-free, async-signal-safe) and returns it.
uint32_t SrcuRegisterThisThread() noexcept;

__attribute__((always_inline)) inline uint32_t SrcuSlotForThisThread() noexcept {
  const uint32_t s = srcu_slot_plus1;
  if (__builtin_expect(s == 0, 0)) return SrcuRegisterThisThread();
  return s - 1;
}

}  // namespace rcu_internal

struct SrcuOptions {
  // Bound on queued callbacks (each holds one absl::AnyInvocable, 32 bytes plus any capture
  // that does not fit inline). Call()/Retire() outside a read section block while it is
  // reached; inside one they go over it rather than deadlock.
  size_t max_pending_callbacks = size_t{1} << 16;
  // Lazy batching: the longest a queued callback waits for others to share its grace period
  // (the queue reaching half the bound, Barrier() and StartPoll() end the wait early), in
  // microseconds; 0 starts a grace period as soon as the worker is free.
  uint32_t callback_batch_delay_us = 1000;
  // Names the domain in diagnostics; a string literal.
  const char* name = "srcu";
  // Tests only: every counter starts at this value (minus its slot number), so a test can
  // start near the counters' maximum and watch them wrap.
  uint64_t counter_base_for_testing = 0;
};

// The value lock() returns; pass it to unlock() of the same domain, on any thread. Trivially
// copyable, 8 bytes. A default-constructed token is invalid.
class SrcuToken {
 public:
  constexpr SrcuToken() = default;
  // Which counter rank the section counted itself in (0 or 1); for tests and diagnostics.
  uint32_t rank() const noexcept { return static_cast<uint32_t>(bits_ & 1); }

 private:
  template <rcu_internal::SrcuFlavor>
  friend class BasicSrcu;
  constexpr explicit SrcuToken(uint64_t bits) : bits_(bits) {}
  //  bits 63..32: the domain's tag (never 0)   bits 31..16: the locking thread's slot
  //  bits 15..1: 0                              bit 0: rank
  uint64_t bits_ = 0;
};

template <rcu_internal::SrcuFlavor kFlavor>
class BasicSrcu {
 public:
  using Options = SrcuOptions;

  // A new domain. Allocates (its first counter page, its callback queue). Thread-safe.
  explicit BasicSrcu(Options options = {});
  // See "Limitations": a reader inside or callbacks pending is misuse.
  ~BasicSrcu();
  BasicSrcu(const BasicSrcu&) = delete;
  BasicSrcu& operator=(const BasicSrcu&) = delete;

  // BasicSrcu::lock()
  //
  // Enters a read section and returns its token. Nests freely (each lock() has its own
  // token; sections may overlap without nesting). Thread-safe; async-signal-safe; never
  // blocks; allocates nothing after this thread's first use of this domain's counter page
  // (the first use maps one page, also signal-safe). Callable inside a reader: yes.
  __attribute__((always_inline)) SrcuToken lock() noexcept {
    const uint32_t slot = rcu_internal::SrcuSlotForThisThread();
    const uint32_t rank = core_.Lock(slot);
    if (GRACE_DCHECK_IS_ON()) NoteLocked(slot);
    return SrcuToken(tag_bits_ | (uint64_t{slot} << 16) | rank);
  }

  // BasicSrcu::unlock()
  //
  // Ends the read section `token` was returned for, on any thread. Async-signal-safe; never
  // blocks. A token of another domain, or one already unlocked: debug check.
  __attribute__((always_inline)) void unlock(SrcuToken token) noexcept {
    if (GRACE_DCHECK_IS_ON()) CheckUnlock(token);
    core_.Unlock(rcu_internal::SrcuSlotForThisThread(), token.rank());
  }

  // BasicSrcu::InReader()
  //
  // True if this thread is inside a read section of this domain. Debug builds: exact (sections
  // this thread began that no thread has ended yet). Release builds: this thread's locks minus
  // its own unlocks in this domain, which tokens handed between threads skew; use it for
  // assertions and diagnostics only. Async-signal-safe.
  bool InReader() const noexcept;

  // BasicSrcu::Synchronize()
  //
  // Waits for a full grace period. Concurrent callers share grace periods. Waits for as long
  // as the longest read section in progress, polling the counters with a growing sleep
  // (up to 1 ms). Callable inside a reader of this domain: no (debug check).
  void Synchronize();

  // BasicSrcu::SynchronizeExpedited()
  //
  // As Synchronize(), but polls without sleeping (spins, then yields the CPU), so it returns
  // soon after the last old reader ends, at the price of a CPU kept busy meanwhile.
  void SynchronizeExpedited();

  // BasicSrcu::Call()
  //
  // Queues `fn` to run on this domain's worker thread after a grace period. Allocates. May
  // block while the queue is at Options::max_pending_callbacks, unless called inside a read
  // section of this domain or from one of its callbacks. Callable inside a reader: yes.
  void Call(absl::AnyInvocable<void() &&> fn);

  // BasicSrcu::Retire()
  //
  // Call([p, d] { d(p); }): deletes `p` after a grace period.
  template <class T, class D = std::default_delete<T>>
  void Retire(T* p, D d = {}) {
    Call([p, d = std::move(d)]() mutable { d(p); });
  }

  // BasicSrcu::Barrier()
  //
  // Waits until every callback queued before the call has run. Callable inside a reader of
  // this domain, or from its callbacks: no (debug check / check).
  void Barrier();

  // Polled grace periods (rcu/gp_state.h).
  GpState GetState() const noexcept;
  GpState StartPoll();
  bool Poll(GpState s) const noexcept;
  void CondSynchronize(GpState s);

  struct Stats {
    uint64_t grace_periods;
    uint64_t callbacks_invoked;
    size_t pending_callbacks;
    size_t peak_pending_callbacks;
    uint64_t calls_over_bound;
    uint32_t flips;  // counter-rank flips: one per grace period (wraps)
  };
  Stats GetStats() const;

  // Bytes this domain holds for counters now (pages mapped so far plus the page table).
  size_t CounterBytes() const noexcept;

  // ---------------------------------------------------------------------------
  // End of public interface.
  // ---------------------------------------------------------------------------

 private:
  using Core = rcu_internal::SrcuCore<std_sync, kFlavor>;

  void NoteLocked(uint32_t slot) noexcept;
  void CheckUnlock(SrcuToken token) noexcept;
  void CheckNotInReader(const char* what) const noexcept;
  void WaitForReaders();
  static void WaitStep(BasicSrcu* self, uint32_t n) noexcept;

  const Options options_;
  const uint64_t tag_bits_;  // (domain tag) << 32
  mutable Core core_;
  std::atomic<int> expedited_waiters_{0};
  std::unique_ptr<rcu_internal::GpEngine> engine_;
};

// Sleepable RCU with a full barrier on each side of a read section.
using Srcu = BasicSrcu<rcu_internal::SrcuFlavor::kClassic>;
// Sleepable RCU whose read side has no barrier; grace periods use membarrier instead.
using SrcuFast = BasicSrcu<rcu_internal::SrcuFlavor::kFast>;

extern template class BasicSrcu<rcu_internal::SrcuFlavor::kClassic>;
extern template class BasicSrcu<rcu_internal::SrcuFlavor::kFast>;

// SrcuGuard: a read section for the guard's lifetime (the token-passing form of
// std::scoped_lock). Async-signal-safe. Example: `grace::SrcuGuard<grace::Srcu> g(domain);`
template <class Domain>
class SrcuGuard {
 public:
  explicit SrcuGuard(Domain& d) noexcept : domain_(d), token_(d.lock()) {}
  ~SrcuGuard() { domain_.unlock(token_); }
  SrcuGuard(const SrcuGuard&) = delete;
  SrcuGuard& operator=(const SrcuGuard&) = delete;
  SrcuToken token() const noexcept { return token_; }

 private:
  Domain& domain_;
  const SrcuToken token_;
};

}  // namespace grace

#endif  // GRACE_RCU_SRCU_H_
