// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// rcu/internal/probe_array_core.h: the copy-on-update array algorithm behind grace::ProbeArray
// (rcu/probe_array.h), as a template over the Sync policy (rcu/sync.h). Production instantiates
// it with std_sync; models/probe_array_model.cc instantiates the same code with models::rl_sync
// (style.md rule 12). The core owns no lock and no domain: its caller serialises updaters and
// supplies the grace period (ProbeArray does both; the model harness does both with Relacy
// primitives).
//
// Glossary: snap = one immutable snapshot; head = the published snap; working = the snap an
// update batch is building (private until Commit); stub = an entry a reader must skip.
//
// One snapshot, allocated in one block (never resized, never written after it is published,
// except for the `stub` flags):
//
//   +-----------+----------+----------+-----+------------+
//   | count (n) | entry[0] | entry[1] | ... | entry[n-1] |     entry = {value, priority, stub}
//   +-----------+----------+----------+-----+------------+
//
//   Entries are sorted by priority, higher first; equal priorities keep insertion order
//   (a new entry goes after every entry whose priority is >= its own).
//   n == 0 never exists: an empty array is head == nullptr.
//
// Entry state (the `stub` word), written only by updaters:
//
//        Commit (entry in a new snap)            Remove, no memory for a new snap
//   (none) ----------------------------> LIVE ---------------------------------> STUB
//                                                                                 |
//                     the next successful Commit copies LIVE entries only         |
//                     (STUB entries are compacted away)  <------------------------+
//
//   kLive = 0, kStub = 1 (static_assert below). A reader that sees kStub skips the entry. The
//   store is relaxed: a reader that still sees kLive is inside a read section that began
//   before the Remove returned, and the caller waits for a grace period before freeing what
//   the entry refers to (the same rule as for a replaced snapshot).
//
// Ordering (style.md rules 4, 5): one acquire/release pair, labelled "pub:snap.rel" and
// "pub:snap.acq" for the models (each end has its own mutant).
//   [pub:snap]  Commit's release exchange of `head`  pairs with  Acquire()'s acquire load.
//               It publishes the snapshot's count and every entry, written before it. Without
//               it a reader may see the pointer but a stale count or half-copied entry.
// Retirement is the caller's: the snap Commit returns must be freed only after a grace period
// of the readers' domain (without it: a reader iterates freed memory).

#ifndef GRACE_RCU_INTERNAL_PROBE_ARRAY_CORE_H_
#define GRACE_RCU_INTERNAL_PROBE_ARRAY_CORE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

#include "rcu/internal/check.h"
#include "rcu/sync.h"

namespace grace {
namespace rcu_internal {

inline constexpr uint32_t kPaLive = 0;
inline constexpr uint32_t kPaStub = 1;
static_assert(kPaLive == 0, "zero-initialised entries are live");
static_assert(kPaStub != kPaLive, "two distinct states");

// Results of one edit (the public layer turns them into absl::Status).
enum class PaResult { kOk, kAlreadyExists, kNotFound, kNoMemory };

// Plain storage for entry values in production: readers get a reference (no copy, so any T,
// e.g. std::string or a std::function, is fine). Models race-check the value with
// Sync::cell<T> instead.
template <class T>
struct PaPlain {
  T v;
  template <class... A>
  explicit PaPlain(A&&... a) : v(std::forward<A>(a)...) {}
  const T& get() const noexcept { return v; }
};

template <class Sync, class T>
class ProbeArrayCore {
  using Value = std::conditional_t<Sync::kIsModel, typename Sync::template cell<T>, PaPlain<T>>;

 public:
  struct Entry {
    Value value;
    typename Sync::template cell<int> priority;
    typename Sync::template atomic<uint32_t> stub{kPaLive};  // written by updaters only
    Entry(const T& v, int prio) : value(v), priority(prio) {}
  };

  class Snapshot {
   public:
    uint32_t size() const noexcept { return count_.get(); }
    Entry& at(uint32_t i) noexcept { return entries()[i]; }
    const Entry& at(uint32_t i) const noexcept { return entries()[i]; }

   private:
    friend class ProbeArrayCore;
    explicit Snapshot(uint32_t n) : count_(n) {}
    Entry* entries() const noexcept {
      return reinterpret_cast<Entry*>(const_cast<char*>(reinterpret_cast<const char*>(this)) +
                                      kEntriesOffset);
    }
    typename Sync::template cell<uint32_t> count_;
  };

  ProbeArrayCore() = default;
  ProbeArrayCore(const ProbeArrayCore&) = delete;
  ProbeArrayCore& operator=(const ProbeArrayCore&) = delete;
  // The owner must have freed (or retired) every snapshot: see ReleaseForDestruction().
  ~ProbeArrayCore() = default;

  // ---- Read side: call inside a read section of the readers' domain. ----

  // The published snapshot (nullptr when empty). Lock-free, allocation-free, async-signal-safe.
  const Snapshot* Acquire() const noexcept {
    // [pub:snap] pairs with the release exchange in Commit(): count and entries are visible.
    return head_.load(Sync::order("pub:snap.acq", std::memory_order_acquire));
  }

  // Calls f(const T&) for every live entry of `s`, highest priority first.
  template <class F>
  static void ForEach(const Snapshot* s, F&& f) {
    if (s == nullptr) return;
    const uint32_t n = s->size();
    for (uint32_t i = 0; i < n; ++i) {
      const Entry& e = s->at(i);
      if (__builtin_expect(e.stub.load(std::memory_order_relaxed) != kPaLive, 0)) continue;
      f(e.value.get());
    }
  }

  // Number of live entries, one relaxed load: a hint for a fast "anything to do?" test outside
  // a read section (a tracepoint's enabled flag). Exact whenever no update is in progress.
  uint32_t LiveHint() const noexcept { return live_.load(std::memory_order_relaxed); }
  // The word LiveHint() reads, for callers that inline the test themselves.
  const typename Sync::template atomic<uint32_t>& live_word() const noexcept { return live_; }

  // ---- Update side: the caller serialises every call below (one updater at a time). ----

  // Makes the next `n` snapshot allocations fail (tests of the no-memory paths).
  void FailAllocationsForTesting(int n) noexcept { fail_allocs_ = n; }

  // One batch of edits: each edit builds on the previous one's private snapshot; Commit
  // publishes the last one, so a batch costs readers one pointer switch and the caller one
  // retirement (one grace period).
  class Batch {
   public:
    explicit Batch(ProbeArrayCore& core) noexcept
        : core_(core), base_(core.head_.load(std::memory_order_relaxed)), working_(base_) {}
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;
    // Every batch must be committed (its edits may already have stubbed entries of the
    // published snapshot).
    ~Batch() { GRACE_DCHECK(committed_, "ProbeArrayCore::Batch destroyed without Commit()"); }

    // Inserts `v` after every entry of priority >= `priority`. kAlreadyExists if an equal live
    // value is present (operator==); kNoMemory if no snapshot could be allocated.
    PaResult Add(const T& v, int priority) {
      const Snapshot* cur = working_;
      const uint32_t n = cur == nullptr ? 0 : cur->size();
      uint32_t live = 0, pos = 0;
      for (uint32_t i = 0; i < n; ++i) {
        const Entry& e = cur->at(i);
        if (e.stub.load(std::memory_order_relaxed) != kPaLive) continue;
        if (e.value.get() == v) return PaResult::kAlreadyExists;
        ++live;
        if (e.priority.get() >= priority) pos = live;
      }
      Snapshot* next = core_.Allocate(live + 1);
      if (next == nullptr) return PaResult::kNoMemory;
      uint32_t out = 0;
      for (uint32_t i = 0; i < n; ++i) {
        const Entry& e = cur->at(i);
        if (e.stub.load(std::memory_order_relaxed) != kPaLive) continue;
        if (out == pos) Construct(next, out++, v, priority);
        Construct(next, out++, e.value.get(), e.priority.get());
      }
      if (out == pos) Construct(next, out++, v, priority);
      Replace(next);
      ++live_delta_;
      committed_ = false;
      return PaResult::kOk;
    }

    // Removes the live entry equal to `v`. kNotFound if there is none. Never fails otherwise:
    // when no new snapshot can be allocated the entry becomes a stub in place (in the private
    // snapshot, or in the published one if this batch has none yet), which readers skip.
    PaResult Remove(const T& v) {
      Snapshot* cur = working_;
      const uint32_t n = cur == nullptr ? 0 : cur->size();
      uint32_t found = n, live = 0;
      for (uint32_t i = 0; i < n; ++i) {
        const Entry& e = cur->at(i);
        if (e.stub.load(std::memory_order_relaxed) != kPaLive) continue;
        ++live;
        if (found == n && e.value.get() == v) found = i;
      }
      if (found == n) return PaResult::kNotFound;
      --live_delta_;
      committed_ = false;
      if (live == 1) {  // last entry: Commit publishes nullptr, no allocation needed
        Replace(nullptr);
        return PaResult::kOk;
      }
      if (working_ != base_) {  // private snapshot: nobody reads it yet, flag it in place
        cur->at(found).stub.store(kPaStub, std::memory_order_relaxed);
        return PaResult::kOk;
      }
      Snapshot* next = core_.Allocate(live - 1);
      if (next == nullptr) {
        // The published snapshot: readers that still see kLive began before this Remove
        // returns, and the caller waits a grace period before freeing what `v` refers to.
        cur->at(found).stub.store(kPaStub, std::memory_order_relaxed);
        core_.stubs_in_head_ = true;
        return PaResult::kOk;
      }
      uint32_t out = 0;
      for (uint32_t i = 0; i < n; ++i) {
        const Entry& e = cur->at(i);
        if (i == found || e.stub.load(std::memory_order_relaxed) != kPaLive) continue;
        Construct(next, out++, e.value.get(), e.priority.get());
      }
      Replace(next);
      return PaResult::kOk;
    }

    // True if a live entry equals `v`.
    bool Contains(const T& v) const {
      bool found = false;
      ForEach(working_, [&](const T& x) { found = found || x == v; });
      return found;
    }

    // Publishes the batch. Returns the snapshot readers may still be using, which the caller
    // must free with Free() after a grace period (nullptr: nothing to retire). Publishes the
    // live count (LiveHint) too, so it matches the published snapshot whenever no batch runs.
    Snapshot* Commit() noexcept {
      committed_ = true;
      core_.live_count_ += live_delta_;
      live_delta_ = 0;
      core_.live_.store(core_.live_count_, std::memory_order_relaxed);  // written under lock
      if (working_ == base_) return nullptr;
      if (working_ != nullptr) core_.stubs_in_head_ = false;
      // [pub:snap] pairs with the acquire load in Acquire(): publishes count and entries.
      Snapshot* old =
          core_.head_.exchange(working_, Sync::order("pub:snap.rel", std::memory_order_release));
      base_ = working_;
      return old;
    }

   private:
    void Replace(Snapshot* next) {
      if (working_ != base_ && working_ != nullptr) Free(working_);
      working_ = next;  // nullptr: the batch empties the array
    }

    ProbeArrayCore& core_;
    Snapshot* base_;     // the snapshot published when the batch began
    Snapshot* working_;  // == base_ until the first edit that copies
    int64_t live_delta_ = 0;
    bool committed_ = true;
  };

  // Destroys a snapshot (after its grace period). Also for nullptr.
  static void Free(Snapshot* s) noexcept {
    if (s == nullptr) return;
    const uint32_t n = s->size();
    // Poison: a reader still iterating would see no entries. In production a dead store; in
    // the models a race-checked write, so a free that is not ordered after every reader's
    // loads (a grace period too short) is reported as a data race, not just a use after free.
    s->count_.set(0);
    for (uint32_t i = 0; i < n; ++i) s->at(i).~Entry();
    s->~Snapshot();
    ::operator delete(static_cast<void*>(s));
  }

  // For the owner's destructor: unpublishes and returns the head snapshot (the owner frees it
  // after a grace period, or at once when no reader can exist).
  Snapshot* ReleaseForDestruction() noexcept {
    live_.store(0, std::memory_order_relaxed);
    live_count_ = 0;
    return head_.exchange(nullptr, std::memory_order_acq_rel);
  }

  // True if the published snapshot has stubs (a Remove ran out of memory); the next
  // successful copy compacts them away.
  bool HasStubsForTesting() const noexcept { return stubs_in_head_; }

 private:
  static constexpr size_t kEntriesOffset =
      (sizeof(Snapshot) + alignof(Entry) - 1) / alignof(Entry) * alignof(Entry);

  Snapshot* Allocate(uint32_t n) {
    if (fail_allocs_ > 0) {
      --fail_allocs_;
      return nullptr;
    }
    const size_t bytes = kEntriesOffset + size_t{n} * sizeof(Entry);
    void* p;
    if constexpr (Sync::kIsModel) {
      p = ::operator new(bytes);  // Relacy's heap (it tracks leaks and use after free)
    } else {
      p = ::operator new(bytes, std::nothrow);
    }
    if (p == nullptr) return nullptr;
    static_assert(alignof(Entry) <= alignof(std::max_align_t), "over-aligned T");
    return new (p) Snapshot(n);
  }

  static void Construct(Snapshot* s, uint32_t i, const T& v, int priority) {
    new (&s->entries()[i]) Entry(v, priority);
  }

  typename Sync::template atomic<Snapshot*> head_{nullptr};
  typename Sync::template atomic<uint32_t> live_{0};  // written under the updaters' lock
  uint32_t live_count_ = 0;                           // updaters only
  bool stubs_in_head_ = false;                        // updaters only
  int fail_allocs_ = 0;                               // updaters only
};

}  // namespace rcu_internal
}  // namespace grace

#endif  // GRACE_RCU_INTERNAL_PROBE_ARRAY_CORE_H_
