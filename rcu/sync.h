// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// -----------------------------------------------------------------------------
// File: rcu/sync.h
// -----------------------------------------------------------------------------
//
// The atomics policy seam. Every grace algorithm (Tasks Trace RCU, SRCU, the probe array) is a
// template over a `Sync` policy; production instantiates it with `grace::std_sync` below, and
// models/ instantiates the very same template with a Relacy policy (models/rl_sync.h), so the
// model checker checks the shipped code, not a copy.
//
// A `Sync` policy provides:
//
//   template <class T> using atomic      std::atomic-shaped (load/store/exchange/CAS/fetch_*)
//   template <class T> using cell        plain data the model checker race-checks (get/set)
//   order(label, mo)                     the memory order of a labelled acquire/release access
//   fence(label, mo)                     a labelled std::atomic_thread_fence
//   light_barrier(label)                 read side of the asymmetric pair: a compiler barrier
//   heavy_barrier(label)                 update side: a full barrier on every running thread
//   spin()                               one step of a busy-wait (pause; a yield in models)
//   futex_wait(word, expected)           sleep while word == expected (may wake spuriously)
//   futex_wake(word)                     wake every sleeper on word
//   tsan_release(addr) / tsan_acquire(addr)
//                                        happens-before edges for ThreadSanitizer, which cannot
//                                        see fences; no-ops outside TSan builds
//
// Labels are string literals such as "tt:A" or "pub:snapshot". Production ignores them (they
// compile away); the Relacy policy uses them to remove or weaken exactly one fence or ordering
// at a time, which is how each labelled fence gets a mutant that must fail (shared/style.md).
//
// Example (a store-buffering handshake, the shape of every RCU read-side/update-side pair):
//
//   template <class Sync> struct Flag {
//     typename Sync::template atomic<int> reader{0}, writer{0};
//     int Reader() { reader.store(1, std::memory_order_relaxed);
//                    Sync::light_barrier("sb:L");     // [sb:L] pairs with [sb:H]
//                    return writer.load(std::memory_order_relaxed); }
//     int Writer() { writer.store(1, std::memory_order_relaxed);
//                    Sync::heavy_barrier("sb:H");     // [sb:H] pairs with [sb:L]
//                    return reader.load(std::memory_order_relaxed); }
//   };  // never both return 0
//
// Limitations:
//   - The asymmetric pair needs the Linux membarrier(2) syscall with
//     MEMBARRIER_CMD_PRIVATE_EXPEDITED (Linux 4.14+). Without it (old kernel, seccomp, a
//     container that refuses it) both sides fall back to seq_cst fences: correct, but a read
//     side costs a full fence. `BarrierStatus()` says which mode is in use.
//   - The fallback can be forced with the environment variable GRACE_BARRIER_FALLBACK=1 (read
//     once at start-up) or, by tests only, with ForceBarrierFallbackForTesting().
//
// Memory ordering:
//   For threads R and U, if R executes light_barrier() and U executes heavy_barrier(), then
//   either everything R did before its light_barrier() is visible to U after its
//   heavy_barrier(), or everything U did before its heavy_barrier() is visible to R after its
//   light_barrier() (both, if the two overlap). That is the guarantee of a pair of seq_cst
//   fences, paid almost entirely by U. Two light barriers order nothing with each other.

#ifndef GRACE_RCU_SYNC_H_
#define GRACE_RCU_SYNC_H_

#include <atomic>
#include <cstdint>

#include "absl/base/config.h"

namespace grace {

// A label naming one fence or one acquire/release pair. Only models read it.
using SyncLabel = const char*;

namespace rcu_internal {

// Plain data owned by an algorithm (probe slots, snapshot payloads). The Relacy policy swaps it
// for rl::var<T>, whose accesses are checked for data races; here it is just a T.
template <class T>
class PlainCell {
 public:
  constexpr PlainCell() noexcept : value_() {}
  constexpr explicit PlainCell(T v) noexcept : value_(v) {}
  T get() const noexcept { return value_; }
  void set(T v) noexcept { value_ = v; }

 private:
  T value_;
};

// How the asymmetric barrier pair is implemented in this process.
enum class BarrierMode : int {
  kMembarrier = 0,  // light = compiler barrier, heavy = membarrier(PRIVATE_EXPEDITED)
  kFallback = 1,    // both sides are seq_cst fences
};

// Read by every light_barrier(); kFallback until start-up registered membarrier, so a reader
// that runs before static initialisation is still correct (it pays a fence).
// Written only by InitBarriers() and the testing hooks.
extern std::atomic<int> g_light_is_fence;

// Out-of-line heavy barrier (membarrier, or a fence in fallback mode).
void HeavyBarrierSlow() noexcept;

#ifdef GRACE_RUNTIME_MUTANTS
// Mutation builds of the stress tests only (tools/mutate --stress compiles grace's own files
// with -DGRACE_RUNTIME_MUTANTS; production never does): true if `label` is the one named by
// $GRACE_MUTANT, whose fence, barrier, TSan annotation or ordering is then removed (orderings
// become relaxed), as the Relacy policy does in models/. Counts the removals and prints the
// count at exit, so a mutant the tests never reached is told apart from one they missed.
bool RuntimeMutantRemoves(SyncLabel label) noexcept;
#define GRACE_INTERNAL_SYNC_CONSTEXPR
#else
#define GRACE_INTERNAL_SYNC_CONSTEXPR constexpr
#endif

void FutexWait(std::atomic<int32_t>* word, int32_t expected) noexcept;
void FutexWake(std::atomic<int32_t>* word) noexcept;

// Returns `p` unchanged, but from a register the compiler cannot see into, so an access
// through it is addressed as base + displacement rather than folded into base + index *
// scale. x86 cores forward a store to the next access of the same address at no latency
// (memory renaming) only for base + displacement operands, and a read-side counter bumped
// on every read section is one long store-to-load chain: 3.5 ns per TasksTraceRcu domain
// read pair with the indexed operand, 1.3 ns through this (Intel Xeon VM, 2026-12-01).
template <class T>
__attribute__((always_inline)) inline T* InOneRegister(T* p) noexcept {
  asm("" : "+r"(p));
  return p;
}

}  // namespace rcu_internal

// What start-up found, for diagnostics (examples/platform_report) and tests.
struct BarrierInfo {
  rcu_internal::BarrierMode mode;
  bool syscall_present;    // membarrier(MEMBARRIER_CMD_QUERY) succeeded
  unsigned query_mask;     // its result: the supported MEMBARRIER_CMD_* bits
  bool private_expedited;  // MEMBARRIER_CMD_PRIVATE_EXPEDITED is supported
  bool registered;         // MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED succeeded
  int register_errno;      // why the query or registration failed (0 if it did not)
  bool fallback_forced;    // GRACE_BARRIER_FALLBACK=1 or the testing hook
  const char* mode_name;   // "membarrier(PRIVATE_EXPEDITED)" or "seq_cst fences (...)"
};

// BarrierStatus()
//
// Reports how the asymmetric barrier pair works in this process. Thread-safe.
BarrierInfo BarrierStatus() noexcept;

// ForceBarrierFallbackForTesting()
//
// Switches both sides to seq_cst fences (force = true), or back to what start-up found
// (force = false). Only for tests and benchmarks, and only while no RCU reader of any domain is
// inside a read section and no grace period is running: a reader that observed the old mode
// could otherwise be paired with an updater that uses the new one.
void ForceBarrierFallbackForTesting(bool force) noexcept;

// The production policy: std::atomic, membarrier, futex. Stateless; every member is static.
struct std_sync {
  template <class T>
  using atomic = std::atomic<T>;
  template <class T>
  using cell = rcu_internal::PlainCell<T>;

  static constexpr bool kIsModel = false;
#ifdef ABSL_HAVE_THREAD_SANITIZER
  static constexpr bool kTsan = true;
#else
  static constexpr bool kTsan = false;
#endif

  static GRACE_INTERNAL_SYNC_CONSTEXPR std::memory_order order(SyncLabel label,
                                                               std::memory_order mo) noexcept {
#ifdef GRACE_RUNTIME_MUTANTS
    if (rcu_internal::RuntimeMutantRemoves(label)) return std::memory_order_relaxed;
#endif
    (void)label;
    return mo;
  }

  // A seq_cst fence on x86-64 is a locked no-op RMW on the top of the stack rather than the
  // compiler's mfence: both order every earlier load and store before every later one for
  // ordinary (write-back) memory, which is all grace orders, and the locked RMW costs a
  // fraction of mfence on the AMD reference machine (benchmarks/srcu_benchmark:
  // BM_FenceMfence vs BM_FenceLockedRmw). The Linux kernel's smp_mb() makes the same choice.
  // Under TSan the standard fence (TSan models neither).
  __attribute__((always_inline)) static void fence(SyncLabel label, std::memory_order mo) noexcept {
#ifdef GRACE_RUNTIME_MUTANTS
    if (rcu_internal::RuntimeMutantRemoves(label)) return;
#endif
    (void)label;
#if defined(__x86_64__) && !defined(ABSL_HAVE_THREAD_SANITIZER)
    if (mo == std::memory_order_seq_cst) {
      asm volatile("lock orq $0, (%%rsp)" ::: "memory", "cc");
      return;
    }
#endif
    std::atomic_thread_fence(mo);
  }

  // Read side of the asymmetric pair. In membarrier mode a compiler barrier: the CPU ordering
  // is supplied by the updater's heavy_barrier() interrupting this thread.
  __attribute__((always_inline)) static void light_barrier(SyncLabel label) noexcept {
#ifdef GRACE_RUNTIME_MUTANTS
    if (rcu_internal::RuntimeMutantRemoves(label)) return;
#endif
    (void)label;
    if (__builtin_expect(rcu_internal::g_light_is_fence.load(std::memory_order_relaxed), 0)) {
      std::atomic_thread_fence(std::memory_order_seq_cst);
    } else {
      std::atomic_signal_fence(std::memory_order_seq_cst);
    }
  }

  // Update side: a full barrier executed, in effect, by every thread of the process that is
  // running at the time (membarrier), plus a local seq_cst fence. May block briefly (syscall).
  static void heavy_barrier(SyncLabel label) noexcept {
#ifdef GRACE_RUNTIME_MUTANTS
    if (rcu_internal::RuntimeMutantRemoves(label)) return;
#endif
    (void)label;
    rcu_internal::HeavyBarrierSlow();
  }

  // Adds 1 to a counter that only the calling thread writes (other threads only load it).
  // On x86-64 one add instruction without a lock prefix: a signal handler on this thread runs
  // before or after it, never between a load and a store, and other CPUs see the aligned
  // 8- or 4-byte store whole. Elsewhere, and under TSan (which cannot see the asm), a relaxed
  // fetch_add. No ordering: callers place their own barriers.
  template <class T>
  __attribute__((always_inline)) static void owner_increment(std::atomic<T>& c) noexcept {
#if defined(__x86_64__) && !defined(ABSL_HAVE_THREAD_SANITIZER)
    std::atomic<T>* p = rcu_internal::InOneRegister(&c);  // memory renaming: see there
    if constexpr (sizeof(T) == 8 && std::atomic<T>::is_always_lock_free) {
      asm volatile("addq $1, %0" : "+m"(*p));
      return;
    } else if constexpr (sizeof(T) == 4 && std::atomic<T>::is_always_lock_free) {
      asm volatile("addl $1, %0" : "+m"(*p));
      return;
    }
#endif
    c.fetch_add(1, std::memory_order_relaxed);
  }

  static void spin() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#else
    std::atomic_signal_fence(std::memory_order_seq_cst);
#endif
  }

  // Sleeps while *word == expected. Returns on a wake, a signal, a spurious wake-up, or at once
  // if *word != expected; callers re-check their condition in a loop. Acts as a full barrier.
  static void futex_wait(std::atomic<int32_t>& word, int32_t expected) noexcept {
    rcu_internal::FutexWait(&word, expected);
  }
  static void futex_wake(std::atomic<int32_t>& word) noexcept { rcu_internal::FutexWake(&word); }

  // `label`: the fence these annotations stand for (removed with it by a runtime mutant).
  static void tsan_release(const void* addr, SyncLabel label = nullptr) noexcept;
  static void tsan_acquire(const void* addr, SyncLabel label = nullptr) noexcept;
};

// -----------------------------------------------------------------------------
// End of public interface: implementation details follow.
// -----------------------------------------------------------------------------

#ifdef ABSL_HAVE_THREAD_SANITIZER
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
inline void std_sync::tsan_release(const void* addr, SyncLabel label) noexcept {
#ifdef GRACE_RUNTIME_MUTANTS
  if (label != nullptr && rcu_internal::RuntimeMutantRemoves(label)) return;
#endif
  (void)label;
  __tsan_release(const_cast<void*>(addr));
}
inline void std_sync::tsan_acquire(const void* addr, SyncLabel label) noexcept {
#ifdef GRACE_RUNTIME_MUTANTS
  if (label != nullptr && rcu_internal::RuntimeMutantRemoves(label)) return;
#endif
  (void)label;
  __tsan_acquire(const_cast<void*>(addr));
}
#else
inline void std_sync::tsan_release(const void*, SyncLabel) noexcept {}
inline void std_sync::tsan_acquire(const void*, SyncLabel) noexcept {}
#endif

}  // namespace grace

#endif  // GRACE_RCU_SYNC_H_
