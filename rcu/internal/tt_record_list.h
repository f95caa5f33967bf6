// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// rcu/internal/tt_record_list.h: the push-only, lock-free list of per-thread records that
// TasksTraceRcu's registry keeps (rcu/tasks_trace.cc), as a template over the Sync policy so
// models/tasks_trace_model checks its orderings on this very code (T7).
//
// A record is pushed once (mapped memory, never freed) and then owned by one live thread at a
// time: `owned` is 1 while a thread uses it; a thread that exits releases it and a new thread
// claims it. Every operation is lock-free and allocation-free (async-signal-safe).
//
// Orderings:
//   [pub:rec]  Push()'s release CAS on the head pairs with the acquire loads of every walk
//              (ForEach(), TryClaim()): a record found by a walk is seen initialised.
//   [pub:free] Release()'s release store of owned = 0 pairs with TryClaim()'s acquire CAS: the
//              next owner sees everything the previous owner wrote to the record.

#ifndef GRACE_RCU_INTERNAL_TT_RECORD_LIST_H_
#define GRACE_RCU_INTERNAL_TT_RECORD_LIST_H_

#include <atomic>

namespace grace {
namespace rcu_internal {

// Embed as the first members of a record type (see TtThreadRecord).
template <class Sync, class Record>
struct TtRecordLinks {
  typename Sync::template atomic<Record*> next;
  typename Sync::template atomic<int> owned;  // 1 while a live thread uses the record
};

template <class Sync, class Record>
class TtRecordList {
 public:
  // Production lists are globals: zero static storage is an empty list and the constructor
  // must not write (a static initialiser elsewhere may already have pushed). Model atomics
  // need their initial store.
  TtRecordList() noexcept {
    if constexpr (Sync::kIsModel) head_.store(nullptr, std::memory_order_relaxed);
  }

  Record* First() const noexcept {
    return head_.load(Sync::order("pub:rec", std::memory_order_acquire));  // [pub:rec]
  }
  static Record* Next(const Record* r) noexcept {
    return r->next.load(Sync::order("pub:rec", std::memory_order_acquire));  // [pub:rec]
  }

  // Claims a released record, or returns nullptr if every record is owned.
  Record* TryClaim() noexcept {
    for (Record* r = First(); r != nullptr; r = Next(r)) {
      int expected = 0;
      // [pub:free] acquire: pairs with Release() by the record's previous owner.
      if (r->owned.load(std::memory_order_relaxed) == 0 &&
          r->owned.compare_exchange_strong(expected, 1,
                                           Sync::order("pub:free", std::memory_order_acquire),
                                           std::memory_order_relaxed)) {
        return r;
      }
    }
    return nullptr;
  }

  // Publishes a new record, owned by the caller; `rec` is fully initialised.
  void Push(Record* rec) noexcept {
    rec->owned.store(1, std::memory_order_relaxed);
    Record* head = head_.load(std::memory_order_relaxed);
    do {
      rec->next.store(head, std::memory_order_relaxed);
      // [pub:rec] release: the initialised record, to every later walk.
    } while (!head_.compare_exchange_weak(
        head, rec, Sync::order("pub:rec", std::memory_order_release), std::memory_order_relaxed));
  }

  // Gives the record back for reuse by a future thread.
  static void Release(Record* rec) noexcept {
    // [pub:free] release: pairs with the next owner's TryClaim().
    rec->owned.store(0, Sync::order("pub:free", std::memory_order_release));
  }

 private:
  typename Sync::template atomic<Record*> head_;
};

}  // namespace rcu_internal
}  // namespace grace

#endif  // GRACE_RCU_INTERNAL_TT_RECORD_LIST_H_
