// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// -----------------------------------------------------------------------------
// File: rcu/rcu.h
// -----------------------------------------------------------------------------
//
// The shape of C++26's <rcu> (P2545: rcu_domain, rcu_default_domain, rcu_synchronize,
// rcu_barrier, rcu_retire, rcu_obj_base), implemented over grace::TasksTraceRcu, so code
// written against the standard's names runs on grace today and its readers may block and take
// page faults. What the standard lacks and grace adds: user-created domains
// (`grace::rcu_domain d;`), each with its own grace periods.
//
// Example:
//
//   struct Widget : grace::rcu_obj_base<Widget> { int value; };
//   std::atomic<Widget*> current{new Widget{}};
//
//   int Read() {
//     std::scoped_lock lock(grace::rcu_default_domain());
//     return current.load(std::memory_order_acquire)->value;
//   }
//   void Update(Widget* w) {
//     current.exchange(w, std::memory_order_acq_rel)->retire();   // deleted after a grace period
//   }
//
// Limitations: those of TasksTraceRcu (rcu/tasks_trace.h): nesting up to 65535, at most 1023
// user domains at once, a read section is left on the thread that entered it. P2545's
// rcu_domain is not constructible by users; grace's is (the default constructor makes an
// independent domain). P2545 lets an implementation invoke retired deleters in the caller of
// rcu_retire(); grace always defers them to the domain's worker thread.
//
// Memory ordering (as P2545 states it): rcu_synchronize() blocks until every read section of
// the domain that began before the call has ended, and each such section's accesses happen
// before the return; a deleter passed to rcu_retire() runs after such a grace period;
// rcu_barrier() returns after every deleter retired (happening before the call) has run.

#ifndef GRACE_RCU_RCU_H_
#define GRACE_RCU_RCU_H_

#include <memory>
#include <utility>

#include "rcu/tasks_trace.h"

namespace grace {

// rcu_domain: BasicLockable; lock()/unlock() delimit a read section (they nest).
class rcu_domain {
 public:
  // A user domain (grace extension): independent grace periods and callbacks.
  rcu_domain() : impl_(new TasksTraceRcu), owned_(impl_) {}
  rcu_domain(const rcu_domain&) = delete;
  rcu_domain& operator=(const rcu_domain&) = delete;
  ~rcu_domain() = default;

  void lock() noexcept { impl_->lock(); }
  bool try_lock() noexcept { return impl_->try_lock(); }
  void unlock() noexcept { impl_->unlock(); }

  // The TasksTraceRcu behind this domain, for the parts of grace's API P2545 does not have
  // (polled grace periods, statistics).
  TasksTraceRcu& tasks_trace() noexcept { return *impl_; }

 private:
  friend rcu_domain& rcu_default_domain() noexcept;
  struct DefaultTag {};
  constexpr explicit rcu_domain(DefaultTag, TasksTraceRcu* d) : impl_(d) {}

  TasksTraceRcu* impl_;
  std::unique_ptr<TasksTraceRcu> owned_;  // null for the default domain
};

// The process-wide domain (TasksTraceRcu::Default()). Usable before main().
rcu_domain& rcu_default_domain() noexcept;

// Blocks until every read section of `dom` that began before the call has ended.
// Must not be called inside a read section of `dom` (debug check).
inline void rcu_synchronize(rcu_domain& dom = rcu_default_domain()) noexcept {
  dom.tasks_trace().Synchronize();
}

// Blocks until every deleter retired to `dom` before the call has run.
inline void rcu_barrier(rcu_domain& dom = rcu_default_domain()) noexcept {
  dom.tasks_trace().Barrier();
}

// Deletes `p` with `d` after a grace period of `dom`.
template <class T, class D = std::default_delete<T>>
void rcu_retire(T* p, D d = D(), rcu_domain& dom = rcu_default_domain()) {
  dom.tasks_trace().Retire(p, std::move(d));
}

// Base class of objects that retire themselves: `obj->retire()`.
template <class T, class D = std::default_delete<T>>
class rcu_obj_base {
 public:
  void retire(D d = D(), rcu_domain& dom = rcu_default_domain()) noexcept {
    rcu_retire(static_cast<T*>(this), std::move(d), dom);
  }

 protected:
  rcu_obj_base() = default;
  rcu_obj_base(const rcu_obj_base&) = default;
  rcu_obj_base(rcu_obj_base&&) = default;
  rcu_obj_base& operator=(const rcu_obj_base&) = default;
  rcu_obj_base& operator=(rcu_obj_base&&) = default;
  ~rcu_obj_base() = default;
};

}  // namespace grace

#endif  // GRACE_RCU_RCU_H_
