// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// models/rl_sync.h: the Relacy instantiation of grace's Sync policy (rcu/sync.h).
//
// Include this header, and only this one, for Relacy: it includes the standard headers first,
// then <relacy/relacy.hpp>, then undoes the macros Relacy defines over standard names
// (memory_order_*, new, delete, malloc, free, assert) so production headers included after it
// compile unchanged (shared/models.md, "Pitfalls"). Build with -fno-sized-deallocation.
//
// rl_sync<kLightAsSc>:
//   atomic<T>        rl::atomic<T> behind the std::atomic API; every call records the caller's
//                    function, file and line (default arguments evaluated at the call site), so
//                    Relacy's histories point at production code, which never mentions `$`.
//   cell<T>          rl::var<T>: get()/set() are race-checked.
//   heavy_barrier    seq_cst fence, rl::systemwide_fence, seq_cst fence (membarrier).
//   light_barrier    nothing (program order is kept) or, with kLightAsSc, a seq_cst fence and
//                    heavy = one seq_cst fence. Run both: they over-approximate differently.
//   spin             rl::yield, so the fair scheduler does not report a spin as a livelock.
//   futex_wait/wake  Relacy's futex model: lost wake-ups show as deadlocks.
//
// Mutation: `Mutation::Set("tt:A")` makes the fence or ordering with that label disappear
// (fence/barrier: skipped; order(label, mo): relaxed) for the next simulations; `Hits()` counts
// how often the mutated label was reached, so a mutant that names a label the scenario never
// executes is reported as invalid rather than "caught".

#ifndef GRACE_MODELS_RL_SYNC_H_
#define GRACE_MODELS_RL_SYNC_H_

// Standard headers used by production code must come before Relacy's macros.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <new>
#include <relacy/relacy.hpp>
#include <relacy/stdlib/pthread.hpp>
#include <string>
#include <utility>
#include <vector>

#undef memory_order_relaxed
#undef memory_order_consume
#undef memory_order_acquire
#undef memory_order_release
#undef memory_order_acq_rel
#undef memory_order_seq_cst
#undef new
#undef delete
#undef malloc
#undef free
#undef assert
#undef futex

#include "rcu/sync.h"  // SyncLabel

namespace grace {
namespace models {

// The caller's location, captured by a default argument (evaluated at the call site).
#define GRACE_RL_HERE ::rl::debug_info(__builtin_FUNCTION(), __builtin_FILE(), __builtin_LINE())

inline rl::memory_order ToRl(std::memory_order mo) {
  switch (mo) {
    case std::memory_order_relaxed:
      return rl::mo_relaxed;
    case std::memory_order_consume:
    case std::memory_order_acquire:
      return rl::mo_acquire;
    case std::memory_order_release:
      return rl::mo_release;
    case std::memory_order_acq_rel:
      return rl::mo_acq_rel;
    case std::memory_order_seq_cst:
      return rl::mo_seq_cst;
  }
  return rl::mo_seq_cst;
}

// The one label removed in the current simulations (nullptr: none). Plain statics: they do not
// allocate and do not change during a simulation, so Relacy's replay stays deterministic.
class Mutation {
 public:
  static void Set(const char* label) {
    label_ = label;
    hits_ = 0;
  }
  static void Clear() { Set(nullptr); }
  static const char* Label() { return label_; }
  static long Hits() { return hits_; }
  // True if `label` is the mutated one (and counts the hit).
  static bool Removes(SyncLabel label) {
    if (label_ == nullptr || label == nullptr || std::strcmp(label_, label) != 0) return false;
    ++hits_;
    return true;
  }

 private:
  static inline const char* label_ = nullptr;
  static inline long hits_ = 0;
};

template <bool kLightAsSc>
struct rl_sync_t {
  static constexpr bool kIsModel = true;
  static constexpr bool kTsan = false;

  template <class T>
  class atomic {
   public:
    atomic() = default;
    explicit atomic(T v) : a_(v) {}
    atomic(const atomic&) = delete;
    atomic& operator=(const atomic&) = delete;

    T load(std::memory_order mo = std::memory_order_seq_cst,
           rl::debug_info info = GRACE_RL_HERE) const {
      return a_.load(ToRl(mo), info);
    }
    void store(T v, std::memory_order mo = std::memory_order_seq_cst,
               rl::debug_info info = GRACE_RL_HERE) {
      a_.store(v, ToRl(mo), info);
    }
    T exchange(T v, std::memory_order mo = std::memory_order_seq_cst,
               rl::debug_info info = GRACE_RL_HERE) {
      return a_.exchange(v, ToRl(mo), info);
    }
    bool compare_exchange_strong(T& expected, T desired,
                                 std::memory_order mo = std::memory_order_seq_cst,
                                 rl::debug_info info = GRACE_RL_HERE) {
      return a_.compare_exchange_strong(expected, desired, ToRl(mo), info);
    }
    bool compare_exchange_strong(T& expected, T desired, std::memory_order mo,
                                 std::memory_order failure, rl::debug_info info = GRACE_RL_HERE) {
      return a_.compare_exchange_strong(expected, desired, ToRl(mo), info, ToRl(failure), info);
    }
    bool compare_exchange_weak(T& expected, T desired,
                               std::memory_order mo = std::memory_order_seq_cst,
                               rl::debug_info info = GRACE_RL_HERE) {
      return a_.compare_exchange_weak(expected, desired, ToRl(mo), info);
    }
    bool compare_exchange_weak(T& expected, T desired, std::memory_order mo,
                               std::memory_order failure, rl::debug_info info = GRACE_RL_HERE) {
      return a_.compare_exchange_weak(expected, desired, ToRl(mo), info, ToRl(failure), info);
    }
    template <class U>
    T fetch_add(U d, std::memory_order mo = std::memory_order_seq_cst,
                rl::debug_info info = GRACE_RL_HERE) {
      return a_.fetch_add(d, ToRl(mo), info);
    }
    template <class U>
    T fetch_sub(U d, std::memory_order mo = std::memory_order_seq_cst,
                rl::debug_info info = GRACE_RL_HERE) {
      return a_.fetch_sub(d, ToRl(mo), info);
    }
    T fetch_or(T v, std::memory_order mo = std::memory_order_seq_cst,
               rl::debug_info info = GRACE_RL_HERE) {
      return a_.fetch_or(v, ToRl(mo), info);
    }
    T fetch_and(T v, std::memory_order mo = std::memory_order_seq_cst,
                rl::debug_info info = GRACE_RL_HERE) {
      return a_.fetch_and(v, ToRl(mo), info);
    }

    rl::atomic<T>& raw() { return a_; }

   private:
    rl::atomic<T> a_;
  };

  template <class T>
  class cell {
   public:
    cell() = default;
    explicit cell(T v) : v_(v) {}
    T get(rl::debug_info info = GRACE_RL_HERE) const { return v_(info); }
    void set(T v, rl::debug_info info = GRACE_RL_HERE) { v_(info) = v; }

   private:
    rl::var<T> v_;
  };

  static std::memory_order order(SyncLabel label, std::memory_order mo) {
    return Mutation::Removes(label) ? std::memory_order_relaxed : mo;
  }

  static void fence(SyncLabel label, std::memory_order mo, rl::debug_info info = GRACE_RL_HERE) {
    if (Mutation::Removes(label)) return;
    rl::atomic_thread_fence(ToRl(mo), info);
  }

  static void light_barrier(SyncLabel label, rl::debug_info info = GRACE_RL_HERE) {
    if (Mutation::Removes(label)) return;
    if (kLightAsSc) rl::atomic_thread_fence(rl::mo_seq_cst, info);
  }

  static void heavy_barrier(SyncLabel label, rl::debug_info info = GRACE_RL_HERE) {
    if (Mutation::Removes(label)) return;
    rl::atomic_thread_fence(rl::mo_seq_cst, info);
    if (!kLightAsSc) {
      rl::systemwide_fence(info);
      rl::atomic_thread_fence(rl::mo_seq_cst, info);
    }
  }

  // The owner-only increment of the production policy: one indivisible step here.
  template <class T>
  static void owner_increment(atomic<T>& c, rl::debug_info info = GRACE_RL_HERE) {
    c.fetch_add(1, std::memory_order_relaxed, info);
  }

  static void spin(rl::debug_info info = GRACE_RL_HERE) { rl::yield(1, info); }

  static void futex_wait(atomic<int32_t>& word, int32_t expected,
                         rl::debug_info info = GRACE_RL_HERE) {
    rl::rl_futex(&word.raw(), rl::RL_FUTEX_WAIT, expected, nullptr, nullptr, 0, info);
  }
  static void futex_wake(atomic<int32_t>& word, rl::debug_info info = GRACE_RL_HERE) {
    rl::rl_futex(&word.raw(), rl::RL_FUTEX_WAKE, 1 << 30, nullptr, nullptr, 0, info);
  }

  static void tsan_release(const void*, SyncLabel = nullptr) {}
  static void tsan_acquire(const void*, SyncLabel = nullptr) {}
};

// membarrier semantics (systemwide fence), and the stricter light-as-seq_cst reading.
using rl_sync = rl_sync_t<false>;
using rl_sync_light_sc = rl_sync_t<true>;

// ---------------------------------------------------------------------------------------------
// Running checks and mutants.

enum class Expect { kPass, kFail };

// Runs one Relacy test suite with `label` mutated (nullptr: none), expecting it to pass or to
// fail. Prints one line: "PASS model <name> [mutant <label>]: <what happened>".
template <class Suite>
bool RunCheck(const char* name, const char* label, Expect expect, rl::scheduler_type_e sched,
              int iterations = 0, int context_bound = 2) {
  Mutation::Set(label);
  rl::test_params p;
  p.search_type = sched;
  if (iterations > 0) p.iteration_count = iterations;
  p.context_bound = context_bound;
  // Relacy prints a failing history to output_stream. Show it when a check that must pass
  // fails (stdout); discard it for mutants. The sink must not allocate while Relacy runs (its
  // heap replaces operator new during a simulation), hence an ofstream opened beforehand
  // rather than a growing ostringstream.
  static std::ofstream discard("/dev/null");
  p.output_stream = expect == Expect::kPass ? &std::cout : &discard;
  p.progress_stream = &discard;
  const auto start = std::chrono::steady_clock::now();
  bool passed = rl::simulate<Suite>(p);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  long hits = Mutation::Hits();
  Mutation::Clear();
  bool ok;
  const char* what;
  if (label != nullptr && hits == 0) {
    ok = false;
    what = "INVALID MUTANT: its label was never executed";
  } else if (expect == Expect::kPass) {
    ok = passed;
    what = passed ? "passed" : "FAILED";
  } else {
    ok = !passed;
    what = passed ? "NOT CAUGHT (the mutant passed)" : "caught";
  }
  std::printf("%s model %s%s%s: %s (%s, %llu executions, %.1f s)\n", ok ? "PASS" : "FAIL", name,
              label ? " mutant " : "", label ? label : "", what,
              passed ? "no failure" : rl::test_result_str(p.test_result),
              static_cast<unsigned long long>(p.stop_iteration), secs);
  std::fflush(stdout);
  return ok;
}

}  // namespace models
}  // namespace grace

#endif  // GRACE_MODELS_RL_SYNC_H_
