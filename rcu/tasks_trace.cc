// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// Tasks Trace RCU: thread registry, domains and grace periods.
//
// Overview, in the order things happen:
//   1. A thread's first lock() (of any domain) registers it: TtRegisterThisThread() claims a
//      free TtThreadRecord from the global list, or maps a new one and pushes it on the list
//      (lock-free, mmap, no malloc: async-signal-safe), then stores it in the initial-exec
//      thread_local `tt_this_thread` and in a pthread key whose destructor releases it.
//   2. lock()/unlock() touch only record->slots[domain index] (tasks_trace_core.h).
//   3. A grace period (GpEngine, gp_engine.h) calls WaitForReaders() of the core over every
//      record on the list: heavy barrier [tt:A], for each record wait until the slot is
//      quiescent or in a new generation (spin, then futex sleep with `wake` set), heavy barrier
//      [tt:B]. Records of exited threads are on the list with quiescent slots and cost one load.
//   4. Thread exit: the key destructor ends any section the thread left open (misuse: debug
//      check) and marks the record free for reuse.
//   5. fork(): the child's handler releases every record except the forking thread's and ends
//      their sections: those threads do not exist in the child.
//
// Ordering: see TasksTraceCore::WaitForReaders(). Registration is part of a reader's lock()
// before [tt:L]; the record is published by a release CAS on the list head [pub:rec] and the
// scan reads the head with acquire, so a record the scan misses was pushed after [tt:A] in
// the updater's view, and its reader sees the updater's earlier stores like any reader the scan
// misses (the [tt:L]/[tt:A] case).

#include "rcu/tasks_trace.h"

#include <errno.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bitset>
#include <mutex>
#include <new>

#include "rcu/internal/check.h"
#include "rcu/internal/gp_engine.h"

namespace grace {

namespace rcu_internal {

ABSL_CONST_INIT thread_local TtThreadRecord* tt_this_thread
    __attribute__((tls_model("initial-exec"))) = nullptr;

namespace {

using Core = TasksTraceCore<std_sync>;

// Head of the list of every record ever mapped. Push-only.
TtRecordList<std_sync, TtThreadRecord> g_records;
using Records = TtRecordList<std_sync, TtThreadRecord>;

pthread_key_t g_exit_key;
pthread_once_t g_exit_key_once = PTHREAD_ONCE_INIT;

void ReleaseRecord(TtThreadRecord* rec, bool thread_exiting) {
  for (uint32_t i = 0; i < kTtMaxDomains; ++i) {
    TtSlot<std_sync>& slot = rec->slots[i];
    if (TtNesting(Core::Load(slot)) != 0) {
      if (thread_exiting) {
        GRACE_DCHECK(false, "a thread exited inside a TasksTraceRcu read section");
      }
      Core::ForceQuiescent(slot);  // release builds and fork(): do not hang grace periods
    }
  }
  rec->tid = 0;
  Records::Release(rec);  // [pub:free] pairs with the claim CAS
}

void OnThreadExit(void* arg) {
  auto* rec = static_cast<TtThreadRecord*>(arg);
  if (tt_this_thread == rec) tt_this_thread = nullptr;
  ReleaseRecord(rec, /*thread_exiting=*/true);
}

void AtForkChild() {
  TtThreadRecord* mine = tt_this_thread;
  for (TtThreadRecord* r = g_records.First(); r != nullptr; r = Records::Next(r)) {
    if (r != mine && r->owned.load(std::memory_order_relaxed) != 0) {
      ReleaseRecord(r, /*thread_exiting=*/false);
    }
  }
  if (mine != nullptr) mine->tid = static_cast<int>(syscall(SYS_gettid));
}

void CreateExitKey() {
  int err = pthread_key_create(&g_exit_key, &OnThreadExit);
  if (err != 0) GRACE_DIE_ERRNO("pthread_key_create", err);
  err = pthread_atfork(nullptr, nullptr, &AtForkChild);
  if (err != 0) GRACE_DIE_ERRNO("pthread_atfork", err);
}

// Create the key at start-up so a first read in a signal handler finds it ready.
const bool g_key_ready = (pthread_once(&g_exit_key_once, &CreateExitKey), true);

// The first records come from zero-filled static storage, so the first kStaticRecords threads
// that ever read never map memory: a process whose heap and address space are exhausted can
// still start a read section on a new thread (tests/oom_test). Records are never freed, only
// reused, so this is a pool handed out once, lock-free (a signal handler may be the claimer).
constexpr int kStaticRecords = 8;
alignas(TtThreadRecord) unsigned char g_static_records[kStaticRecords][sizeof(TtThreadRecord)];
std::atomic<int> g_static_records_used{0};

TtThreadRecord* ClaimOrMapRecord() {
  if (TtThreadRecord* r = g_records.TryClaim()) return r;  // [pub:free]
  void* mem = nullptr;
  if (g_static_records_used.load(std::memory_order_relaxed) < kStaticRecords) {
    const int i = g_static_records_used.fetch_add(1, std::memory_order_relaxed);
    if (i < kStaticRecords) mem = g_static_records[i];
  }
  if (mem == nullptr) {
    mem = mmap(nullptr, sizeof(TtThreadRecord), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
               -1, 0);
    if (mem == MAP_FAILED) GRACE_DIE_ERRNO("mmap(TasksTraceRcu thread record)", errno);
  }
  // Static and mapped memory are zero: next, owned and slots too.
  auto* rec = new (mem) TtThreadRecord;
  g_records.Push(rec);  // [pub:rec]
  return rec;
}

}  // namespace

TtThreadRecord* TtRegisterThisThread() noexcept {
  pthread_once(&g_exit_key_once, &CreateExitKey);
  TtThreadRecord* rec = ClaimOrMapRecord();
  // A signal handler on this thread may register while we are here. The compare-exchange on
  // the thread-local pointer is one instruction, atomic with respect to such a handler: if the
  // handler won, keep its record (give ours back); if we won, the handler uses ours.
  TtThreadRecord* expected = nullptr;
  if (!__atomic_compare_exchange_n(&tt_this_thread, &expected, rec, /*weak=*/false,
                                   __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    Records::Release(rec);  // [pub:free]
    return expected;
  }
  rec->tid = static_cast<int>(syscall(SYS_gettid));
  pthread_setspecific(g_exit_key, rec);
  return rec;
}

// True if any live thread is inside a read section of the domain with slot `index`.
bool AnyReaderInside(uint32_t index) {
  for (TtThreadRecord* r = g_records.First(); r != nullptr; r = Records::Next(r)) {
    if (Core::InReader(r->slots[index])) return true;
  }
  return false;
}

// The grace-period state of one domain.
class TtDomainState {
 public:
  TtDomainState(uint32_t index, const char* name, const TasksTraceRcuOptions& options)
      : index_(index),
        engine_([this] { WaitForReaders(); }, GpEngine::Options{options.max_pending_callbacks, name,
                                                                options.callback_batch_delay_us}) {}

  GpEngine& engine() { return engine_; }

 private:
  void WaitForReaders() {
    const uint32_t index = index_;
    Core::WaitForReaders([index](auto&& wait_for_slot) {
      // [pub:rec] acquire: records pushed before this load are fully initialised.
      for (TtThreadRecord* r = g_records.First(); r != nullptr; r = Records::Next(r)) {
        wait_for_slot(r->slots[index]);
      }
    });
  }

  const uint32_t index_;
  GpEngine engine_;
};

namespace {

// Slot indexes of independent domains. Index 0 is the default domain's, forever.
struct IndexAllocator {
  std::mutex mu;
  std::bitset<kTtMaxDomains> used{1};  // bit 0: default domain
};

IndexAllocator& Indexes() {
  static IndexAllocator* a = new IndexAllocator;
  return *a;
}

uint32_t AllocateIndex() {
  IndexAllocator& a = Indexes();
  std::lock_guard<std::mutex> lock(a.mu);
  for (uint32_t i = 1; i < kTtMaxDomains; ++i) {
    if (!a.used[i]) {
      a.used[i] = true;
      return i;
    }
  }
  GRACE_CHECK(false, "TasksTraceRcu: more than 1023 independent domains alive at once");
  return 0;
}

void FreeIndex(uint32_t i) {
  IndexAllocator& a = Indexes();
  std::lock_guard<std::mutex> lock(a.mu);
  a.used[i] = false;
}

std::mutex g_default_state_mu;

}  // namespace
}  // namespace rcu_internal

ABSL_CONST_INIT TasksTraceRcu TasksTraceRcu::default_domain_{TasksTraceRcu::DefaultTag{}};

TasksTraceRcu::TasksTraceRcu(Options options)
    : index_(rcu_internal::AllocateIndex()), options_(options) {
  state_.store(new rcu_internal::TtDomainState(index_, "tasks_trace", options_),
               std::memory_order_release);
}

TasksTraceRcu::~TasksTraceRcu() {
  if (this == &default_domain_) return;  // never destroyed (see the header)
  rcu_internal::TtDomainState* state = state_.load(std::memory_order_acquire);
  GRACE_CHECK(!InReader(), "TasksTraceRcu destroyed inside one of its own read sections");
  // Misuse check before the drain: the drain's grace period would wait for such a reader.
  GRACE_DCHECK(!rcu_internal::AnyReaderInside(index_),
               "TasksTraceRcu destroyed while a thread is inside a read section");
  delete state;  // runs every pending callback after a grace period
  if (rcu_internal::AnyReaderInside(index_)) {
    // Release build, a reader entered during destruction: never reuse its slot index.
    GRACE_LOG(
        "TasksTraceRcu destroyed while a thread is inside a read section: its slot "
        "index is leaked, not reused");
    return;
  }
  rcu_internal::FreeIndex(index_);
}

rcu_internal::TtDomainState& TasksTraceRcu::State() const {
  rcu_internal::TtDomainState* s = state_.load(std::memory_order_acquire);
  if (__builtin_expect(s != nullptr, 1)) return *s;
  std::lock_guard<std::mutex> lock(rcu_internal::g_default_state_mu);
  s = state_.load(std::memory_order_acquire);
  if (s == nullptr) {
    s = new rcu_internal::TtDomainState(index_, "tasks_trace:default", options_);
    state_.store(s, std::memory_order_release);
  }
  return *s;
}

void TasksTraceRcu::Synchronize() {
  GRACE_DCHECK(!InReader(),
               "TasksTraceRcu::Synchronize() called inside a read section of the same domain "
               "(it would wait for itself)");
  State().engine().Synchronize();
}

void TasksTraceRcu::Call(absl::AnyInvocable<void() &&> fn) {
  State().engine().Call(std::move(fn), InReader());
}

void TasksTraceRcu::Barrier() {
  GRACE_DCHECK(!InReader(),
               "TasksTraceRcu::Barrier() called inside a read section of the same domain "
               "(it would wait for itself)");
  State().engine().Barrier();
}

GpState TasksTraceRcu::GetState() const noexcept { return State().engine().GetState(); }
GpState TasksTraceRcu::StartPoll() { return State().engine().StartPoll(); }
bool TasksTraceRcu::Poll(GpState s) const noexcept { return State().engine().Poll(s); }

void TasksTraceRcu::CondSynchronize(GpState s) {
  GRACE_DCHECK(!InReader() || Poll(s),
               "TasksTraceRcu::CondSynchronize() would wait inside a read section of the same "
               "domain");
  State().engine().CondSynchronize(s);
}

TasksTraceRcu::Stats TasksTraceRcu::GetStats() const {
  rcu_internal::GpEngine::Stats s = State().engine().GetStats();
  return Stats{s.grace_periods, s.callbacks_invoked, s.pending, s.peak_pending, s.over_bound};
}

}  // namespace grace
