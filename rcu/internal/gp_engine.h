// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// rcu/internal/gp_engine.h: the machinery every grace domain shares above its reader
// algorithm: grace-period sequencing (concurrent Synchronize() callers share grace periods),
// polled grace periods, and deferred callbacks run by a lazily started worker thread with a
// bounded queue.
//
// A domain type (TasksTraceRcu, Srcu, SrcuFast) owns one GpEngine and gives it one function,
// `wait_for_readers`, that performs the algorithm-specific part of one grace period: on
// return, every reader that was running when it was called has finished, and each such
// reader's accesses happen before the return (the domain's heavy barriers provide that); and
// it begins with a full barrier before it looks at any reader, which orders the grace
// period's start (GpSeq::Begin) before the scan for a concurrent GetState() ([gs:F]).
//
// Sequence word (gp_seq_), as in the kernel's rcu_seq: rcu/internal/gp_seq.h. GetState() is
// its Snapshot(), Poll() its Reached().
//
// Callbacks: Call() appends to pending_; the worker takes the whole list as one batch, runs
// one grace period for it (sharing it with concurrent Synchronize() callers), then invokes the
// batch in order. Lazy batching: once it has work, the worker lingers up to
// Options::batch_delay_us before it takes the batch, so a stream of Call()s shares one grace
// period (liburcu's call_rcu thread sleeps 10 ms between batches for the same reason). It
// takes the batch at once when the queue reaches half the bound, when StartPoll() asks for a
// grace period, for Barrier(), and when the engine stops; batch_delay_us = 0 turns it off.
// Barrier() waits until the batch holding the last callback queued before it is done, so every
// callback queued before Barrier() started has run when it returns.
//
// Exhaustion: with no memory to queue a callback, Call() waits for a grace period and runs it
// on the calling thread (fatal inside a read section of the domain, where it could do
// neither); with no thread to be had for the worker (EAGAIN), Call() and Barrier() run the
// queue on the calling thread. Both are counted in Stats::inline_runs. tests/oom_test.
//
// Memory bound: at most Options::max_pending_callbacks callbacks wait at once. A Call() that
// would exceed it blocks until the worker has made room, unless the caller is inside a read
// section of this domain or is the worker itself: waiting there could deadlock (the grace
// period that makes room waits for that very reader), so such calls are queued over the bound
// and counted in Stats::over_bound.
//
// fork(): every engine is registered in a process-wide list. The fork handlers take each
// engine's queue lock before fork() and release it after, in the parent and in the child;
// fork() never waits for a grace period in flight (which may wait for readers). In the child a
// grace period that was in flight is abandoned (its sequence rolled back, its lock renewed)
// and the worker thread does not exist: pending callbacks stay queued and a new worker starts
// on the next Call(), StartPoll() or Barrier(), or the destructor runs them inline. A batch the
// parent's worker was running at the moment of fork() runs in the parent only (the child's
// copies of it are leaked, never run twice).

#ifndef GRACE_RCU_INTERNAL_GP_ENGINE_H_
#define GRACE_RCU_INTERNAL_GP_ENGINE_H_

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "rcu/gp_state.h"
#include "rcu/internal/gp_seq.h"
#include "rcu/sync.h"

namespace grace {
namespace rcu_internal {

// std::mutex with Clang thread-safety annotations (absl::Mutex is avoided in grace's
// concurrency code: under TSan its 20220623 release reports false races, notes/toolchain.md).
class ABSL_LOCKABLE Mutex {
 public:
  void lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  std::mutex& native() ABSL_LOCK_RETURNED(this) { return mu_; }

 private:
  std::mutex mu_;
};

class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// Waits on `cv` with `mu` held (as std::condition_variable::wait does).
void WaitOn(std::condition_variable& cv, Mutex& mu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
// The same with a deadline; false once it has passed.
bool WaitOnUntil(std::condition_variable& cv, Mutex& mu,
                 std::chrono::steady_clock::time_point deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

class GpEngine {
 public:
  struct Options {
    // Bound on queued callbacks (see the file comment). Must be >= 1.
    size_t max_pending_callbacks = size_t{1} << 16;
    // Names the domain in diagnostics ("tasks_trace:default", "srcu"); a string literal.
    const char* name = "domain";
    // Lazy batching (see the file comment): the longest a queued callback waits for company
    // before its grace period starts, in microseconds. 0: no waiting.
    uint32_t batch_delay_us = 1000;
  };

  struct Stats {
    uint64_t grace_periods = 0;  // completed
    uint64_t callbacks_invoked = 0;
    size_t pending = 0;  // queued, not yet invoked (includes the running batch)
    size_t peak_pending = 0;
    uint64_t over_bound = 0;     // Calls queued beyond the bound (reader or worker caller)
    uint64_t blocked_calls = 0;  // Calls that waited for room
    uint64_t inline_runs = 0;    // Calls run on the caller's thread (no memory or no worker)
  };

  GpEngine(absl::AnyInvocable<void()> wait_for_readers, Options options);
  // Runs every pending callback (after one last grace period) and stops the worker.
  ~GpEngine();
  GpEngine(const GpEngine&) = delete;
  GpEngine& operator=(const GpEngine&) = delete;

  // Waits for a full grace period; concurrent callers share grace periods.
  void Synchronize() ABSL_LOCKS_EXCLUDED(gp_mu_, mu_);

  GpState GetState() const noexcept;
  GpState StartPoll() ABSL_LOCKS_EXCLUDED(mu_);
  bool Poll(GpState s) const noexcept;
  void CondSynchronize(GpState s) ABSL_LOCKS_EXCLUDED(gp_mu_, mu_);

  // `caller_in_reader`: the caller is inside a read section of this domain (never blocks).
  void Call(absl::AnyInvocable<void() &&> fn, bool caller_in_reader) ABSL_LOCKS_EXCLUDED(mu_);

  // Returns when every callback queued before the call has been invoked.
  void Barrier() ABSL_LOCKS_EXCLUDED(mu_);

  // True on the worker thread (inside a callback).
  bool OnWorkerThread() const noexcept;

  Stats GetStats() const ABSL_LOCKS_EXCLUDED(mu_);
  const Options& options() const noexcept { return options_; }

  // fork() support: called by the process-wide handlers for every live engine.
  void ForkPrepare() ABSL_NO_THREAD_SAFETY_ANALYSIS;
  void ForkParent() ABSL_NO_THREAD_SAFETY_ANALYSIS;
  void ForkChild() ABSL_NO_THREAD_SAFETY_ANALYSIS;
  GpEngine* fork_next() const noexcept { return fork_next_; }

 private:
  using Callback = absl::AnyInvocable<void() &&>;

  void RunGracePeriodLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(gp_mu_);
  void SynchronizeTo(GpState target) ABSL_LOCKS_EXCLUDED(gp_mu_, mu_);
  // False if the OS refused the thread (EAGAIN): the caller runs the queue itself.
  bool EnsureWorkerLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool PushLocked(Callback& fn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DrainHere() ABSL_LOCKS_EXCLUDED(mu_);
  void WorkerLoop() ABSL_LOCKS_EXCLUDED(mu_);
  // Takes pending_ (or waits for work); false when stopping with nothing left.
  // True while the worker should keep gathering callbacks before it takes a batch.
  bool LingerLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool TakeBatch(std::vector<Callback>* batch, bool* gp_requested) ABSL_LOCKS_EXCLUDED(mu_);
  void RunBatch(std::vector<Callback>* batch) ABSL_LOCKS_EXCLUDED(mu_);
  static void* WorkerMain(void* self);

  absl::AnyInvocable<void()> wait_for_readers_;
  const Options options_;

  // Grace-period sequence (see the file comment). Written under gp_mu_.
  GpSeq<std_sync> gp_seq_;
  Mutex gp_mu_;  // serialises grace periods; taken before mu_ when both are needed

  mutable Mutex mu_;
  std::condition_variable work_cv_;  // worker waits for work
  std::condition_variable room_cv_;  // blocked Call()s and Barrier()s wait here
  std::vector<Callback> pending_ ABSL_GUARDED_BY(mu_);
  bool gp_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool worker_running_ ABSL_GUARDED_BY(mu_) = false;
  bool worker_sleeping_ ABSL_GUARDED_BY(mu_) = false;   // waiting on work_cv_ for work
  bool worker_lingering_ ABSL_GUARDED_BY(mu_) = false;  // has work, waiting for more
  bool hurry_ ABSL_GUARDED_BY(mu_) = false;  // Barrier() waits: take the next batch at once
  pthread_t worker_ ABSL_GUARDED_BY(mu_){};
  std::atomic<pthread_t> worker_id_{};               // for OnWorkerThread(); 0 when none
  uint64_t batches_done_ ABSL_GUARDED_BY(mu_) = 0;   // batches fully invoked
  uint64_t batches_taken_ ABSL_GUARDED_BY(mu_) = 0;  // batches taken by the worker
  Stats stats_ ABSL_GUARDED_BY(mu_);

  GpEngine* fork_next_ = nullptr;  // process-wide list (fork handlers), under its own lock
  GpEngine* fork_prev_ = nullptr;
};

}  // namespace rcu_internal
}  // namespace grace

#endif  // GRACE_RCU_INTERNAL_GP_ENGINE_H_
