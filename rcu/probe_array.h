// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// -----------------------------------------------------------------------------
// File: rcu/probe_array.h
// -----------------------------------------------------------------------------
//
// grace::ProbeArray<T, Domain>: a copy-on-update list for data that is read far more often
// than it changes: tracepoint probes, callback lists, configuration entries. Readers iterate
// an immutable snapshot inside a read section of an RCU domain, with no lock, no allocation
// and no write to shared memory; updaters serialise on a mutex, build a new snapshot, publish
// it with one pointer store and retire the old one after a grace period of the same domain.
//
// Entries have a priority: higher priorities come first, equal priorities keep the order in
// which they were added. Entries are compared with operator== (duplicates are refused).
//
// Example:
//
//   struct Hook { void (*fn)(void*, int); void* data;
//                 bool operator==(const Hook& o) const { return fn == o.fn && data == o.data; } };
//   grace::TasksTraceRcu domain;
//   grace::ProbeArray<Hook, grace::TasksTraceRcu> hooks(domain);
//
//   absl::Status s = hooks.Add({&OnEvent, ctx}, /*priority=*/10);   // AlreadyExists if twice
//   hooks.ForEach([&](const Hook& h) { h.fn(h.data, 42); });         // any thread, lock-free
//   s = hooks.Remove({&OnEvent, ctx});                                // NotFound if unknown
//   hooks.Synchronize();   // now nothing can still run OnEvent with ctx: free ctx
//
//   hooks.Update([](auto& batch) {         // several edits, one snapshot, one grace period
//     (void)batch.Add({&A, nullptr}, 0);
//     (void)batch.Remove({&B, nullptr});
//   });
//
// Domains: any type that ProbeArrayDomainTraits<Domain> (below) accepts: lock()/unlock() or
// token = lock()/unlock(token), Synchronize(), Call(fn), optionally InReader(). TasksTraceRcu
// (default and independent domains; readers may block and fault), grace::Srcu and
// grace::SrcuFast (rcu/srcu.h; token-returning lock) are tested through it with no code of
// their own here (tests/probe_array_test.cc).
//
// Limitations:
//   - T must be copyable; its copy constructor, destructor and operator== run on updater
//     threads only (and destructors on the domain's callback worker). Readers get const T&.
//   - After Remove() returns, readers that started earlier may still see the entry until a
//     grace period has passed: free what it refers to only after Synchronize(), or from a
//     callback queued with the domain's Call().
//   - Updaters must not hold the array's mutex while waiting for a grace period: Add, Remove
//     and Update never wait; Synchronize() may not be called inside a read section of the
//     domain (debug check where the domain can tell).
//   - Destroying the array while readers may still iterate it is misuse; the destructor
//     retires the last snapshot through the domain (after a grace period).
//
// Memory ordering:
//   For an updater U and a reader R: everything U wrote to an entry before the Add/Update
//   that published it is visible to R when R's ForEach passes that entry ([pub:snap]).
//   If R's read section began after Remove() (or the Update that removed the entry) returned
//   and a grace period of the domain elapsed, R does not see the entry.
//
// Overheads: a reader pays the domain's read pair, one acquire load (a plain load on x86) and
// one relaxed load per entry (the stub flag); an update copies the array (O(n)).

#ifndef GRACE_RCU_PROBE_ARRAY_H_
#define GRACE_RCU_PROBE_ARRAY_H_

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "rcu/internal/gp_engine.h"
#include "rcu/internal/probe_array_core.h"
#include "rcu/internal/status.h"
#include "rcu/sync.h"
#include "rcu/tasks_trace.h"

namespace grace {

// ProbeArrayDomainTraits<Domain>
//
// How ProbeArray uses its domain: the seam through which any RCU flavour plugs in. The
// primary template below serves every domain with the grace naming (TasksTraceRcu, and
// Srcu/SrcuFast as design.md section 4 specifies them) with no code of the domain's own:
//
//   required members of Domain                     used for
//   R lock() noexcept          (R = void or token)  Enter(): start a read section (nests)
//   void unlock() noexcept     when R is void       Leave()
//   void unlock(R) noexcept    otherwise            Leave(), given Enter()'s token back
//   void Synchronize()                              Synchronize(): a full grace period
//   void Call(absl::AnyInvocable<void() &&>)        retire an old snapshot after a grace period
//   optional: bool InReader() const noexcept        debug check "Synchronize() inside a reader"
//
// A token (R) must be copyable and may be unlocked on the thread that took it (ForEach
// enters and leaves on one thread). A domain spelled differently specialises the template
// with the same static members: Token, Enter, Leave, kInReaderKnown, InReader, Synchronize,
// Call.
template <class Domain>
struct ProbeArrayDomainTraits {
 private:
  using LockResult = decltype(std::declval<Domain&>().lock());
  static constexpr bool kVoidLock = std::is_void_v<LockResult>;
  template <class D, class = void>
  struct HasInReader : std::false_type {};
  template <class D>
  struct HasInReader<D, std::void_t<decltype(bool{std::declval<const D&>().InReader()})>>
      : std::true_type {};

 public:
  struct NoToken {};
  // What Enter() returns and Leave() takes back.
  using Token = std::conditional_t<kVoidLock, NoToken, LockResult>;
  static_assert(std::is_copy_constructible_v<Token>, "a domain's read token must be copyable");

  __attribute__((always_inline)) static Token Enter(Domain& d) noexcept {
    if constexpr (kVoidLock) {
      d.lock();
      return {};
    } else {
      return d.lock();
    }
  }
  __attribute__((always_inline)) static void Leave(Domain& d, Token t) noexcept {
    if constexpr (kVoidLock) {
      (void)t;
      d.unlock();
    } else {
      d.unlock(t);
    }
  }
  // Whether the domain can tell "this thread is inside a read section" (SRCU cannot).
  static constexpr bool kInReaderKnown = HasInReader<Domain>::value;
  static bool InReader(const Domain& d) noexcept {
    if constexpr (kInReaderKnown) {
      return d.InReader();
    } else {
      (void)d;
      return false;
    }
  }
  static void Synchronize(Domain& d) { d.Synchronize(); }
  static void Call(Domain& d, absl::AnyInvocable<void() &&> fn) { d.Call(std::move(fn)); }
};

template <class T, class Domain = TasksTraceRcu>
class ProbeArray {
  using Core = rcu_internal::ProbeArrayCore<std_sync, T>;
  using Traits = ProbeArrayDomainTraits<Domain>;

 public:
  // Readers and grace periods use `domain`, which must outlive the array. `name` appears in
  // status messages (e.g. "probe array 'demo:open'"); it is copied.
  explicit ProbeArray(Domain& domain, std::string name = "probe array")
      : domain_(domain), name_(std::move(name)) {}
  ProbeArray(const ProbeArray&) = delete;
  ProbeArray& operator=(const ProbeArray&) = delete;
  // Retires the last snapshot through the domain (freed after a grace period).
  ~ProbeArray() {
    auto* s = core_.ReleaseForDestruction();
    if (s != nullptr) Traits::Call(domain_, [s] { Core::Free(s); });
  }

  // ProbeArray::ForEach()
  //
  // Calls f(const T&) for every entry, highest priority first, inside a read section of the
  // domain. Thread-safe; lock-free; allocates nothing; callable inside a reader: yes (nests).
  // `f` may call Add/Remove/Update on this array (they publish a new snapshot; this iteration
  // continues on the old one).
  // Inlined into its caller: a tracepoint's fire is one call, not two (tools/
  // read_pair_instructions counts the instructions).
  template <class F>
  __attribute__((always_inline)) void ForEach(F&& f) const
      noexcept(noexcept(f(std::declval<const T&>()))) {
    auto token = Traits::Enter(domain_);
    Core::ForEach(core_.Acquire(), f);
    Traits::Leave(domain_, token);
  }

  // ProbeArray::ForEachInReader()
  //
  // As ForEach(), for a caller already inside a read section of the domain (it enters none).
  template <class F>
  void ForEachInReader(F&& f) const noexcept(noexcept(f(std::declval<const T&>()))) {
    Core::ForEach(core_.Acquire(), f);
  }

  // ProbeArray::SizeHint()
  //
  // Number of entries, from one relaxed load. Exact whenever no update is in progress; use it
  // as a fast "anything to do?" test before entering a read section.
  uint32_t SizeHint() const noexcept { return core_.LiveHint(); }
  const std::atomic<uint32_t>& size_word() const noexcept { return core_.live_word(); }

  // ProbeArray::Add()
  //
  // Adds `v` with `priority`. AlreadyExists if an equal entry is present; ResourceExhausted
  // if the new snapshot cannot be allocated (the array is unchanged). Thread-safe (updaters
  // serialise); allocates; never waits for a grace period; callable inside a reader: yes.
  absl::Status Add(const T& v, int priority = 0) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::Status s;
    Update([&](Batch& b) { s = b.Add(v, priority); });
    return s;
  }

  // ProbeArray::Remove()
  //
  // Removes the entry equal to `v`: NotFound if there is none, otherwise OK, also when memory
  // is exhausted (the entry is replaced in place by a stub that readers skip). Thread-safe;
  // never waits for a grace period; callable inside a reader: yes. Free what the entry refers
  // to only after Synchronize().
  absl::Status Remove(const T& v) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::Status s;
    Update([&](Batch& b) { s = b.Remove(v); });
    return s;
  }

  // A batch of edits (see Update()). Methods mirror Add/Remove/Contains.
  class Batch {
   public:
    absl::Status Add(const T& v, int priority = 0) {
      switch (b_.Add(v, priority)) {
        case rcu_internal::PaResult::kOk:
          return absl::OkStatus();
        case rcu_internal::PaResult::kAlreadyExists:
          return rcu_internal::StatusWithMessage(absl::StatusCode::kAlreadyExists, name_,
                                                 ": entry already present (priority ", priority,
                                                 ")");
        default:  // no memory: the message may not fit either (rcu/internal/status.h)
          return rcu_internal::StatusWithMessage(
              absl::StatusCode::kResourceExhausted, name_,
              ": no memory for a new snapshot while adding an entry (priority ", priority, ")");
      }
    }
    absl::Status Remove(const T& v) {
      if (b_.Remove(v) == rcu_internal::PaResult::kNotFound) {
        return rcu_internal::StatusWithMessage(absl::StatusCode::kNotFound, name_,
                                               ": no such entry to remove");
      }
      return absl::OkStatus();
    }
    bool Contains(const T& v) const { return b_.Contains(v); }

   private:
    friend class ProbeArray;
    Batch(Core& core, const std::string& name) : b_(core), name_(name) {}
    typename Core::Batch b_;
    const std::string& name_;
  };

  // ProbeArray::Update()
  //
  // Runs `edit(batch)` under the updaters' lock, then publishes one snapshot and retires the
  // previous one with one grace-period callback: a batch of N edits costs readers one pointer
  // switch and the domain one grace period. `edit` must not call this array's Add/Remove/
  // Update (deadlock) nor wait for a grace period. Thread-safe.
  void Update(absl::FunctionRef<void(Batch&)> edit) ABSL_LOCKS_EXCLUDED(mu_) {
    typename Core::Snapshot* old;
    {
      rcu_internal::MutexLock l(&mu_);
      Batch b(core_, name_);
      edit(b);
      old = b.b_.Commit();
    }
    // Retire outside the lock: a bounded callback queue may make Call() wait for a grace
    // period, which must not happen while a probe inside a reader waits for mu_.
    if (old != nullptr) Traits::Call(domain_, [old] { Core::Free(old); });
  }

  // ProbeArray::Contains()
  //
  // True if an equal entry is present. Takes the updaters' lock.
  bool Contains(const T& v) const ABSL_LOCKS_EXCLUDED(mu_) {
    rcu_internal::MutexLock l(&mu_);
    bool found = false;
    Core::ForEach(core_.Acquire(), [&](const T& x) { found = found || x == v; });
    return found;
  }

  // ProbeArray::Synchronize()
  //
  // Waits for a grace period of the domain: afterwards no reader sees an entry removed before
  // the call. May block; callable inside a reader of the domain: no.
  void Synchronize() {
    if constexpr (Traits::kInReaderKnown) {
      GRACE_DCHECK(!Traits::InReader(domain_),
                   "ProbeArray::Synchronize() inside a read section of its domain (deadlock)");
    }
    Traits::Synchronize(domain_);
  }

  Domain& domain() const noexcept { return domain_; }
  const std::string& name() const noexcept { return name_; }

  // Makes the next `n` snapshot allocations fail (tests of the no-memory paths).
  void FailAllocationsForTesting(int n) ABSL_LOCKS_EXCLUDED(mu_) {
    rcu_internal::MutexLock l(&mu_);
    core_.FailAllocationsForTesting(n);
  }
  bool HasStubsForTesting() const ABSL_LOCKS_EXCLUDED(mu_) {
    rcu_internal::MutexLock l(&mu_);
    return core_.HasStubsForTesting();
  }

  // ---------------------------------------------------------------------------
  // End of public interface.
  // ---------------------------------------------------------------------------

 private:
  Domain& domain_;
  const std::string name_;
  mutable rcu_internal::Mutex mu_;
  // The core's update side runs only under mu_; its read side is lock-free.
  Core core_;
};

}  // namespace grace

#endif  // GRACE_RCU_PROBE_ARRAY_H_
