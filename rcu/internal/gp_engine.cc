// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// GpEngine: grace-period sequencing and deferred callbacks (see gp_engine.h for the model).
//
// Sharing grace periods. Synchronize() snapshots the target state, then takes gp_mu_ and runs
// grace periods until the target is reached. Callers that queued on gp_mu_ while one grace
// period ran find their target reached by the next one (or already by that one), so N
// concurrent callers cost at most two grace periods beyond the one in flight.
//
// Ordering of the sequence word (labels gs:*): rcu/internal/gp_seq.h, model-checked by
// models/gp_seq_model.

#include "rcu/internal/gp_engine.h"

#include <errno.h>
#include <string.h>

#include <new>
#include <utility>

#include "rcu/internal/check.h"

namespace grace {
namespace rcu_internal {

void WaitOn(std::condition_variable& cv, Mutex& mu) {
  std::unique_lock<std::mutex> lock(mu.native(), std::adopt_lock);
  cv.wait(lock);
  lock.release();  // still held: ownership returns to the caller's MutexLock
}

bool WaitOnUntil(std::condition_variable& cv, Mutex& mu,
                 std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu.native(), std::adopt_lock);
  const bool in_time = cv.wait_until(lock, deadline) == std::cv_status::no_timeout;
  lock.release();
  return in_time;
}

namespace {

// Process-wide list of engines, for the fork handlers.
struct ForkRegistry {
  std::mutex mu;
  GpEngine* head = nullptr;
};

ForkRegistry& Registry() {
  static ForkRegistry* registry = [] {
    auto* r = new ForkRegistry;
    int err = pthread_atfork(
        [] {
          Registry().mu.lock();  // released by the parent/child handlers
          for (GpEngine* e = Registry().head; e != nullptr; e = e->fork_next()) e->ForkPrepare();
        },
        [] {
          for (GpEngine* e = Registry().head; e != nullptr; e = e->fork_next()) e->ForkParent();
          Registry().mu.unlock();
        },
        [] {
          for (GpEngine* e = Registry().head; e != nullptr; e = e->fork_next()) e->ForkChild();
          Registry().mu.unlock();
        });
    if (err != 0) GRACE_DIE_ERRNO("pthread_atfork", err);
    return r;
  }();
  return *registry;
}

}  // namespace

GpEngine::GpEngine(absl::AnyInvocable<void()> wait_for_readers, Options options)
    : wait_for_readers_(std::move(wait_for_readers)), options_(options) {
  GRACE_CHECK(options_.max_pending_callbacks >= 1, "GpEngine: max_pending_callbacks must be >= 1");
  ForkRegistry& r = Registry();
  std::lock_guard<std::mutex> lock(r.mu);
  fork_next_ = r.head;
  if (r.head != nullptr) r.head->fork_prev_ = this;
  r.head = this;
}

GpEngine::~GpEngine() {
  GRACE_CHECK(!OnWorkerThread(), "a grace domain was destroyed by one of its own callbacks");
  bool join = false;
  pthread_t worker{};
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    join = worker_running_;
    worker = worker_;
    work_cv_.notify_all();
  }
  if (join) {
    int err = pthread_join(worker, nullptr);
    if (err != 0) GRACE_DIE_ERRNO("pthread_join(grace callback worker)", err);
  }
  // No worker (never started, or gone after fork()): run what is left here. Nothing is lost.
  std::vector<Callback> batch;
  bool gp_requested = false;
  while (TakeBatch(&batch, &gp_requested)) RunBatch(&batch);
  {
    ForkRegistry& r = Registry();
    std::lock_guard<std::mutex> lock(r.mu);
    if (fork_prev_ != nullptr) fork_prev_->fork_next_ = fork_next_;
    if (fork_next_ != nullptr) fork_next_->fork_prev_ = fork_prev_;
    if (r.head == this) r.head = fork_next_;
  }
}

GpState GpEngine::GetState() const noexcept { return gp_seq_.Snapshot(); }

bool GpEngine::Poll(GpState s) const noexcept { return gp_seq_.Reached(s); }

void GpEngine::RunGracePeriodLocked() {
  const uint64_t begun = gp_seq_.Begin();  // [gs:S]
  wait_for_readers_();
  gp_seq_.End(begun);  // [gs:E]
  MutexLock lock(&mu_);
  ++stats_.grace_periods;
}

void GpEngine::SynchronizeTo(GpState target) {
  if (Poll(target)) return;
  MutexLock lock(&gp_mu_);
  while (!Poll(target)) RunGracePeriodLocked();
}

void GpEngine::Synchronize() { SynchronizeTo(GetState()); }

void GpEngine::CondSynchronize(GpState s) { SynchronizeTo(s); }

GpState GpEngine::StartPoll() {
  GpState s = GetState();
  MutexLock lock(&mu_);
  if (!stopping_) {
    gp_requested_ = true;
    EnsureWorkerLocked();
    work_cv_.notify_one();
  }
  return s;
}

bool GpEngine::OnWorkerThread() const noexcept {
  pthread_t id = worker_id_.load(std::memory_order_acquire);
  return id != pthread_t{} && pthread_equal(id, pthread_self());
}

// Out of memory, pending_.push_back() throws std::bad_alloc; the callback is then not queued
// (push_back allocates before it moves anything, so `fn` is intact) and false is returned.
bool GpEngine::PushLocked(Callback& fn) {
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
  try {
    pending_.push_back(std::move(fn));
  } catch (const std::bad_alloc&) {
    return false;
  }
#else
  pending_.push_back(std::move(fn));
#endif
  return true;
}

void GpEngine::Call(Callback fn, bool caller_in_reader) {
  const bool may_wait = !caller_in_reader && !OnWorkerThread();
  {
    MutexLock lock(&mu_);
    // The bound covers every callback held in memory: queued ones and the batch being run.
    if (stats_.pending >= options_.max_pending_callbacks) {
      if (may_wait) {
        ++stats_.blocked_calls;
        EnsureWorkerLocked();
        while (stats_.pending >= options_.max_pending_callbacks && worker_running_) {
          work_cv_.notify_one();
          WaitOn(room_cv_, mu_);
        }
      } else {
        ++stats_.over_bound;
      }
    }
    if (PushLocked(fn)) {
      ++stats_.pending;
      if (stats_.pending > stats_.peak_pending) stats_.peak_pending = stats_.pending;
      if (EnsureWorkerLocked()) {
        // Wake the worker only if it sleeps, or lingers and the batch is now big enough: a
        // busy worker takes the queue when its batch is done, and a futex wake per Call()
        // would dominate Call()'s cost.
        if (worker_sleeping_ || (worker_lingering_ && !LingerLocked())) work_cv_.notify_one();
        return;
      }
      // No worker (the OS refused a thread): run the queue here if this caller may wait for
      // a grace period; otherwise it stays queued for the next Call() or Barrier() that may.
      ++stats_.inline_runs;
      if (!may_wait) return;
    } else {
      // No memory to queue it: wait for a grace period here and run it (below).
      if (!may_wait) {
        RawDie(__FILE__, __LINE__,
               "out of memory queueing an RCU callback inside a read section of the same domain "
               "(or from one of its callbacks): it can neither be queued nor wait for its grace "
               "period",
               0);
      }
      ++stats_.inline_runs;
      ++stats_.pending;  // held in memory (by this frame) until it has run
    }
  }
  if (fn) {  // not queued: a whole grace period after this Call(), then the callback
    Synchronize();
    std::move(fn)();
    MutexLock lock(&mu_);
    ++stats_.callbacks_invoked;
    --stats_.pending;
    room_cv_.notify_all();
    return;
  }
  DrainHere();
}

// Runs queued callbacks on the calling thread (it may wait for grace periods) until the queue
// is empty: for a caller that found no worker thread.
void GpEngine::DrainHere() {
  std::vector<Callback> batch;
  bool gp_requested = false;
  while (TakeBatch(&batch, &gp_requested)) RunBatch(&batch);
}

void GpEngine::Barrier() {
  GRACE_CHECK(!OnWorkerThread(),
              "Barrier() called from a callback of the same domain (it would wait for itself)");
  // Every callback queued before this point is in a batch already taken, or in pending_, which
  // the next TakeBatch() takes whole as batch number batches_taken_ + 1. Barrier() returns
  // once that many batches are done, so Stats read afterwards include every earlier callback.
  // No allocation: Barrier() works with the heap exhausted.
  uint64_t target;
  {
    MutexLock lock(&mu_);
    target = batches_taken_ + (pending_.empty() ? 0 : 1);
    if (batches_done_ < target && !pending_.empty()) {
      hurry_ = true;  // no lazy batching for the batch this Barrier() waits for
      if (EnsureWorkerLocked() && (worker_sleeping_ || worker_lingering_)) work_cv_.notify_one();
    }
  }
  for (;;) {
    {
      MutexLock lock(&mu_);
      if (batches_done_ >= target) return;
      if (worker_running_ || pending_.empty()) {
        // The worker, or another thread draining here, finishes the batch and notifies.
        WaitOn(room_cv_, mu_);
        continue;
      }
    }
    // fork() child, a stopping engine, or no thread to be had: run the queue here.
    std::vector<Callback> batch;
    bool gp_requested = false;
    if (TakeBatch(&batch, &gp_requested)) RunBatch(&batch);
  }
}

GpEngine::Stats GpEngine::GetStats() const {
  MutexLock lock(&mu_);
  return stats_;
}

bool GpEngine::EnsureWorkerLocked() {
  if (worker_running_ || stopping_) return true;  // a stopping engine's destructor drains
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  int err = pthread_create(&worker_, &attr, &GpEngine::WorkerMain, this);
  pthread_attr_destroy(&attr);
  // EAGAIN: out of threads or of memory for a stack (RLIMIT_NPROC, RLIMIT_AS, a fork() child
  // without a cached stack). Expected under exhaustion: callers run the queue themselves.
  if (err == EAGAIN) return false;
  if (err != 0) GRACE_DIE_ERRNO("pthread_create(grace callback worker)", err);
  worker_running_ = true;
  return true;
}

void* GpEngine::WorkerMain(void* self) {
  auto* engine = static_cast<GpEngine*>(self);
  engine->worker_id_.store(pthread_self(), std::memory_order_release);
  engine->WorkerLoop();
  return nullptr;
}

bool GpEngine::TakeBatch(std::vector<Callback>* batch, bool* gp_requested) {
  MutexLock lock(&mu_);
  while (pending_.empty() && !gp_requested_) {
    // Only the worker waits for work; other callers (destructor, fork child) drain and leave.
    if (stopping_ || !OnWorkerThread()) return false;
    worker_sleeping_ = true;
    WaitOn(work_cv_, mu_);
    worker_sleeping_ = false;
  }
  if (OnWorkerThread() && LingerLocked()) {
    // Lazy batching: let more Call()s join this batch's grace period (the file comment).
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::microseconds(options_.batch_delay_us);
    worker_lingering_ = true;
    while (LingerLocked() && WaitOnUntil(work_cv_, mu_, deadline)) {
    }
    worker_lingering_ = false;
  }
  hurry_ = false;
  batch->swap(pending_);
  *gp_requested = gp_requested_;
  gp_requested_ = false;
  ++batches_taken_;
  room_cv_.notify_all();  // the queue has room again
  return true;
}

bool GpEngine::LingerLocked() const {
  return options_.batch_delay_us != 0 && !stopping_ && !hurry_ && !gp_requested_ &&
         !pending_.empty() && pending_.size() < options_.max_pending_callbacks / 2;
}

void GpEngine::RunBatch(std::vector<Callback>* batch) {
  // One grace period for the whole batch: every callback in it was queued before this call.
  Synchronize();
  for (Callback& cb : *batch) std::move(cb)();
  MutexLock lock(&mu_);
  stats_.callbacks_invoked += batch->size();
  stats_.pending -= batch->size();
  ++batches_done_;
  batch->clear();
  room_cv_.notify_all();
}

void GpEngine::WorkerLoop() {
  std::vector<Callback> batch;
  bool gp_requested = false;
  while (TakeBatch(&batch, &gp_requested)) RunBatch(&batch);
}

// fork(): only mu_ (held for short moments) is taken across fork(). gp_mu_ is held for a whole
// grace period, which may wait for readers that only a thread after fork() will release:
// taking it here would make fork() wait for the longest read section, or forever.
void GpEngine::ForkPrepare() { mu_.lock(); }

void GpEngine::ForkParent() { mu_.unlock(); }

void GpEngine::ForkChild() {
  // Only the forking thread exists. A grace period in flight belongs to a thread that is gone:
  // it will never finish here, so roll its sequence back to idle (a GpState that needed it
  // needs the next grace period, which reaches the same value) and give gp_mu_ a fresh,
  // unlocked object (the forking thread never holds it across fork(): see ForkPrepare()).
  gp_seq_.AbandonInFlight();
  new (&gp_mu_) Mutex;
  // The worker is gone; its in-flight batch is the parent's. The condition variables were
  // copied with the parent's worker registered as a waiter; a notify_one() could be spent on
  // that phantom and a new worker never woken. Start afresh (no destructor: the old objects'
  // state belongs to threads that do not exist here).
  new (&work_cv_) std::condition_variable;
  new (&room_cv_) std::condition_variable;
  worker_running_ = false;
  worker_sleeping_ = false;
  worker_ = pthread_t{};
  worker_id_.store(pthread_t{}, std::memory_order_relaxed);
  // The parent's in-flight batch will never finish here: stop counting it, or Barrier() (which
  // waits for batches_done_ to reach the batch of the last callback before it) would wait
  // forever.
  batches_taken_ = batches_done_;
  stats_.pending = pending_.size();
  mu_.unlock();
}

}  // namespace rcu_internal
}  // namespace grace
