// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// Real allocation failure, not the FailAllocationsForTesting() hook: ProbeArray::Remove() and
// Tracepoint::Unregister() must succeed, and lose nothing, when malloc itself fails.
//
// Each test runs its body in a child process (a "threadsafe" death test: the child re-executes
// this binary, so the limit and the hoard never reach the test runner). The child
//   1. sets up an array or tracepoints and uses every domain once (worker thread started,
//      callback queue grown, this thread registered as a reader): see "Warm" below;
//   2. caps its address space with RLIMIT_AS a little above what it maps now and takes memory
//      from malloc at every size from 16 MiB down to 16 bytes until each size fails (Hoard);
//   3. removes entries / unregisters probes and fires, checking that each call succeeds, that a
//      removed probe is never called again and that the others still are;
//   4. frees the hoard and checks that the array works normally again (Add succeeds).
// Checks in the child must not allocate while the heap is exhausted (a gtest failure message
// would), so they write a line to stderr with write(2) and the child exits 1; the parent's
// EXPECT_EXIT wants exit code 0 and shows that output otherwise.
//
// "Warm": the library allocates outside Remove/Unregister in places a real program has
// normally already passed through; the tests at the end exhaust memory before those places
// (a never-used domain, a fork() child, a thread's first read) and check they fail softly.
//
// Sanitizers: RLIMIT_AS cannot be used under ASan or TSan (they reserve terabytes of shadow
// address space at startup, far above any limit that still leaves the process usable, and
// replace malloc), so every test here skips itself in sanitizer builds (detected at compile
// time, independent of the --define=grace_asan/grace_tsan config_settings). opt and dbg run
// them.

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <thread>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "rcu/probe_array.h"
#include "rcu/srcu.h"
#include "rcu/tasks_trace.h"
#include "tracepoint/tracepoint.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define GRACE_OOM_TEST_UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define GRACE_OOM_TEST_UNDER_SANITIZER 1
#endif
#endif
#ifndef GRACE_OOM_TEST_UNDER_SANITIZER
#define GRACE_OOM_TEST_UNDER_SANITIZER 0
#endif

namespace grace {
namespace {

// ---- Checks that do not allocate (the child's heap is exhausted while they run). ----

int g_failures = 0;

void Say(const char* line) {
  char buf[512];
  int n = snprintf(buf, sizeof buf, "oom_test: %s\n", line);
  if (n > 0) (void)!write(2, buf, static_cast<size_t>(n) < sizeof buf ? n : sizeof buf - 1);
}

void Fail(int line, const char* what) {
  char buf[400];
  snprintf(buf, sizeof buf, "line %d: check failed: %s", line, what);
  Say(buf);
  ++g_failures;
}

#define CHILD_CHECK(cond)               \
  do {                                  \
    if (!(cond)) Fail(__LINE__, #cond); \
  } while (0)

// Ends the child: exit code 0 if every check passed.
[[noreturn]] void ChildExit() { _exit(g_failures == 0 ? 0 : 1); }

// ---- Exhausting the real allocator. ----

// Bytes of address space mapped now (/proc/self/statm, first field, in pages).
size_t MappedBytes() {
  char buf[128] = {};
  int fd = open("/proc/self/statm", O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  return static_cast<size_t>(strtoull(buf, nullptr, 10)) * static_cast<size_t>(getpagesize());
}

// Caps RLIMIT_AS just above the mapped address space and takes everything malloc will give.
// Chunks are kept on a list threaded through themselves (a container would need the heap).
class Hoard {
 public:
  static constexpr size_t kReserveChunk = 256;
  static constexpr int kMaxReserve = 128;

  // Caps the address space at (mapped now + `headroom`), then allocates until malloc fails at
  // every size from 16 MiB down to 16 bytes (halving down to 4 KiB, then every 16 bytes, so
  // no size class keeps a free chunk). First takes `reserve` chunks of kReserveChunk bytes,
  // each followed by a small allocated spacer so that, once FreeReserve() gives them back,
  // they cannot merge into anything larger: small allocations succeed again (status
  // messages), larger ones (a new snapshot of a big array) still fail.
  void Exhaust(size_t headroom, int reserve) {
    if (getrlimit(RLIMIT_AS, &old_) != 0) Fail(__LINE__, "getrlimit(RLIMIT_AS)");
    const size_t mapped = MappedBytes();
    CHILD_CHECK(mapped > 0);
    rlimit capped = old_;
    capped.rlim_cur = mapped + headroom;
    if (old_.rlim_max != RLIM_INFINITY && capped.rlim_cur > old_.rlim_max) {
      capped.rlim_cur = old_.rlim_max;
    }
    if (setrlimit(RLIMIT_AS, &capped) != 0) Fail(__LINE__, "setrlimit(RLIMIT_AS)");
    for (int i = 0; i < reserve && i < kMaxReserve; ++i) {
      void* r = malloc(kReserveChunk);
      if (r == nullptr) break;
      reserve_[reserve_count_++] = r;
      Keep(malloc(16));  // spacer
    }
    // Sweeps until a whole pass takes nothing: a failed malloc may move the thread to another
    // arena (glibc's arena_get_retry), which may still have room.
    for (size_t taken = 1; taken > 0;) {
      taken = 0;
      for (size_t size = size_t{16} << 20; size >= 16; size = size > 4096 ? size / 2 : size - 16) {
        while (void* p = malloc(size)) {
          Keep(p, size);
          ++taken;
        }
      }
    }
    exhausted_ = true;
  }

  // True if neither malloc nor operator new can allocate even 16 bytes.
  static bool NothingAllocates() {
    void* p = malloc(16);
    char* q = new (std::nothrow) char[16];
    // Escape both: clang may otherwise elide an allocation whose result is only compared
    // and freed, folding "p == nullptr" to false.
    asm volatile("" : : "r"(p), "r"(q) : "memory");
    const bool none = p == nullptr && q == nullptr;
    free(p);
    delete[] q;
    return none;
  }

  void FreeReserve() {
    for (int i = 0; i < reserve_count_; ++i) free(reserve_[i]);
    reserve_count_ = 0;
  }

  // Frees everything and restores the limit.
  void Release() {
    FreeReserve();
    while (head_ != nullptr) {
      void* next = *static_cast<void**>(head_);
      free(head_);
      head_ = next;
    }
    if (exhausted_ && setrlimit(RLIMIT_AS, &old_) != 0) Fail(__LINE__, "restoring RLIMIT_AS");
    exhausted_ = false;
  }

  size_t bytes() const { return bytes_; }

 private:
  void Keep(void* p, size_t size = 16) {
    if (p == nullptr) return;
    *static_cast<void**>(p) = head_;
    head_ = p;
    bytes_ += size;
  }

  void* head_ = nullptr;
  size_t bytes_ = 0;
  void* reserve_[kMaxReserve] = {};
  int reserve_count_ = 0;
  rlimit old_{};
  bool exhausted_ = false;
};

// Headroom above the mapped address space: enough for the hoard to have something to take
// (its first 16 MiB chunk), small enough to fill in a moment.
constexpr size_t kHeadroom = size_t{64} << 20;

void ReportHoard(const Hoard& h) {
  char buf[160];
  snprintf(buf, sizeof buf, "hoard took %zu KiB; malloc now fails", h.bytes() >> 10);
  Say(buf);
}

// Uses a domain the way a running program already has: its callback worker is started, its
// callback queue (and the worker's batch) have grown, and this thread is registered as one
// of its readers. Each of these allocates (thread, std::vector, the TasksTraceRcu thread
// record); the cold paths are tested on their own at the end. The Barrier()s also let the
// worker free every snapshot retired so far, so nothing is freed behind the hoard's back.
template <class D>
void Warm(D& d) {
  using Traits = ProbeArrayDomainTraits<D>;
  Traits::Leave(d, Traits::Enter(d));
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 64; ++i) d.Call([] {});
    d.Barrier();
  }
}

bool HasMessage(const absl::Status& s, const char* what) {
  return s.message().find(what) != absl::string_view::npos;
}

class OomTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (GRACE_OOM_TEST_UNDER_SANITIZER) {
      GTEST_SKIP() << "RLIMIT_AS does not work under ASan/TSan (shadow mappings); the opt and "
                      "dbg suites run this";
    }
    GTEST_FLAG_SET(death_test_style, "threadsafe");
  }
};

// ---- ProbeArray over each domain flavour. ----

struct DefaultTasksTrace {
  using Domain = TasksTraceRcu;
  static Domain& Get() { return TasksTraceRcu::Default(); }
};
struct TasksTraceDomain {
  using Domain = TasksTraceRcu;
  static Domain& Get() {
    static auto* d = new TasksTraceRcu();
    return *d;
  }
};
struct SrcuDomain {
  using Domain = Srcu;
  static Domain& Get() {
    static auto* d = new Srcu();
    return *d;
  }
};
struct SrcuFastDomain {
  using Domain = SrcuFast;
  static Domain& Get() {
    static auto* d = new SrcuFast();
    return *d;
  }
};

template <class P>
class OomProbeArrayTest : public OomTest {};
using Flavours = ::testing::Types<DefaultTasksTrace, TasksTraceDomain, SrcuDomain, SrcuFastDomain>;
TYPED_TEST_SUITE(OomProbeArrayTest, Flavours);

// Remove() of every entry with the heap exhausted: each returns OK (all but the last by
// stubbing in place: the real allocator failed), removed entries are never called again, the
// others still are, Synchronize() works, and after the hoard is freed Add works again.
template <class TypeParam>
[[noreturn]] void RemoveSucceedsWithTheHeapExhaustedChild() {
  using D = typename TypeParam::Domain;
  D& d = TypeParam::Get();
  constexpr int kN = 64;
  static uint32_t calls[kN];  // ForEach runs on this thread only
  ProbeArray<int, D> a(d, "oom");
  for (int v = 0; v < kN; ++v) CHILD_CHECK(a.Add(v, v % 3).ok());
  auto fire = [&] { a.ForEach([](const int& v) { ++calls[v]; }); };
  fire();
  Warm(d);

  Hoard h;
  h.Exhaust(kHeadroom, /*reserve=*/0);
  CHILD_CHECK(Hoard::NothingAllocates());
  ReportHoard(h);

  for (int v = 0; v < kN; v += 2) CHILD_CHECK(a.Remove(v).ok());
  CHILD_CHECK(a.HasStubsForTesting());  // no new snapshot could be allocated
  CHILD_CHECK(a.SizeHint() == kN / 2);
  fire();
  a.Synchronize();  // a grace period with the heap exhausted
  fire();
  for (int v = 0; v < kN; ++v) CHILD_CHECK(calls[v] == (v % 2 == 0 ? 1u : 3u));
  // The rest; the last Remove() empties the array and retires the old snapshot through
  // the domain's Call() (the queue has room from Warm()).
  for (int v = 1; v < kN; v += 2) CHILD_CHECK(a.Remove(v).ok());
  CHILD_CHECK(a.SizeHint() == 0);
  fire();
  for (int v = 0; v < kN; ++v) CHILD_CHECK(calls[v] == (v % 2 == 0 ? 1u : 3u));
  d.Barrier();  // the worker frees the retired snapshot: from here on a little memory is free

  h.Release();
  CHILD_CHECK(a.Remove(0).code() == absl::StatusCode::kNotFound);
  for (int v = 0; v < kN; ++v) CHILD_CHECK(a.Add(v).ok());
  CHILD_CHECK(!a.HasStubsForTesting());
  fire();
  for (int v = 0; v < kN; ++v) CHILD_CHECK(calls[v] == (v % 2 == 0 ? 2u : 4u));
  for (int v = 0; v < kN; ++v) CHILD_CHECK(a.Remove(v).ok());
  d.Barrier();
  ChildExit();
}
TYPED_TEST(OomProbeArrayTest, RemoveSucceedsWithTheHeapExhausted) {
  EXPECT_EXIT(RemoveSucceedsWithTheHeapExhaustedChild<TypeParam>(), ::testing::ExitedWithCode(0),
              "");
}

// Add() when no snapshot can be allocated but small allocations still succeed (the hoard's
// reserve freed): ResourceExhausted naming the array, the array unchanged, Remove() still OK.
template <class TypeParam>
[[noreturn]] void AddReturnsResourceExhaustedWhenNoSnapshotFitsChild() {
  using D = typename TypeParam::Domain;
  D& d = TypeParam::Get();
  constexpr int kN = 2000;  // a snapshot of about 24 KB
  ProbeArray<int, D> a(d, "big");
  for (int v = 0; v < kN; ++v) CHILD_CHECK(a.Add(v).ok());
  Warm(d);

  Hoard h;
  h.Exhaust(kHeadroom, /*reserve=*/64);
  CHILD_CHECK(Hoard::NothingAllocates());
  h.FreeReserve();
  ReportHoard(h);

  absl::Status s = a.Add(kN, 5);
  CHILD_CHECK(s.code() == absl::StatusCode::kResourceExhausted);
  CHILD_CHECK(HasMessage(s, "big: no memory for a new snapshot"));
  CHILD_CHECK(a.SizeHint() == kN);
  CHILD_CHECK(!a.Contains(kN));
  CHILD_CHECK(a.Add(7).code() == absl::StatusCode::kAlreadyExists);
  CHILD_CHECK(a.Remove(7).ok());
  CHILD_CHECK(a.HasStubsForTesting());
  CHILD_CHECK(a.Remove(7).code() == absl::StatusCode::kNotFound);
  int seen = 0;
  a.ForEach([&](const int& v) { seen += v == 7 ? 1000000 : 1; });
  CHILD_CHECK(seen == kN - 1);

  h.Release();
  CHILD_CHECK(a.Add(kN, 5).ok());
  CHILD_CHECK(!a.HasStubsForTesting());
  CHILD_CHECK(a.SizeHint() == kN);
  ChildExit();
}
TYPED_TEST(OomProbeArrayTest, AddReturnsResourceExhaustedWhenNoSnapshotFits) {
  EXPECT_EXIT(AddReturnsResourceExhaustedWhenNoSnapshotFitsChild<TypeParam>(),
              ::testing::ExitedWithCode(0), "");
}

// ---- Tracepoints, both flavours. ----

Tracepoint<int> tp_nf{"oom:nonfaultable", MayFault::kNo};
Tracepoint<int> tp_f{"oom:faultable", MayFault::kYes};

struct Counter {
  std::atomic<int64_t> calls{0};
};
void CountProbe(void* data, int) {
  static_cast<Counter*>(data)->calls.fetch_add(1, std::memory_order_relaxed);
}

// Unregister() of each probe of a faultable and a non-faultable tracepoint with the heap
// exhausted: OK every time, the unregistered probe is never called again, the others are,
// SynchronizeTracepointUnregister() works, and Register() works once memory is back.
[[noreturn]] void TracepointUnregisterSucceedsWithTheHeapExhaustedChild() {
  struct Probes {
    Tracepoint<int>* tp;
    bool may_fault;
    Counter c[3];
    ProbeHandle h[3];
  };
  static Probes ps[2] = {{&tp_nf, false, {}, {}}, {&tp_f, true, {}, {}}};
  for (Probes& p : ps) {
    for (int i = 0; i < 3; ++i) {
      ProbeOptions o;
      o.may_fault = p.may_fault;
      o.priority = i;
      auto h = p.tp->Register(&CountProbe, &p.c[i], o);
      CHILD_CHECK(h.ok());
      if (h.ok()) p.h[i] = *h;
    }
    (*p.tp)(1);
  }
  Warm(tracepoint_internal::FaultableDomain());
  Warm(tracepoint_internal::NonFaultableDomain());

  Hoard h;
  h.Exhaust(kHeadroom, /*reserve=*/0);
  CHILD_CHECK(Hoard::NothingAllocates());
  ReportHoard(h);

  for (Probes& p : ps) {
    CHILD_CHECK(p.tp->Unregister(p.h[1]).ok());  // middle: stubbed in place
    CHILD_CHECK(p.tp->enabled());
    CHILD_CHECK(p.tp->probe_count() == 2);
    (*p.tp)(1);
  }
  SynchronizeTracepointUnregister();  // grace periods of both flavours, heap exhausted
  for (Probes& p : ps) {
    (*p.tp)(1);
    CHILD_CHECK(p.c[0].calls.load() == 3);
    CHILD_CHECK(p.c[1].calls.load() == 1);
    CHILD_CHECK(p.c[2].calls.load() == 3);
    CHILD_CHECK(p.tp->Unregister(p.h[2]).ok());
    CHILD_CHECK(p.tp->Unregister(p.h[0]).ok());  // the last: retires the snapshot
    CHILD_CHECK(!p.tp->enabled());
    (*p.tp)(1);
    for (int i = 0; i < 3; ++i) CHILD_CHECK(p.c[i].calls.load() == (i == 1 ? 1 : 3));
  }
  SynchronizeTracepointUnregister();

  h.Release();
  for (Probes& p : ps) {
    CHILD_CHECK(p.tp->Unregister(p.h[1]).code() == absl::StatusCode::kNotFound);
    ProbeOptions o;
    o.may_fault = p.may_fault;
    auto again = p.tp->Register(&CountProbe, &p.c[1], o);
    CHILD_CHECK(again.ok());
    (*p.tp)(1);
    CHILD_CHECK(p.c[1].calls.load() == 2);
    if (again.ok()) CHILD_CHECK(p.tp->Unregister(*again).ok());
  }
  ChildExit();
}
TEST_F(OomTest, TracepointUnregisterSucceedsWithTheHeapExhausted) {
  EXPECT_EXIT(TracepointUnregisterSucceedsWithTheHeapExhaustedChild(), ::testing::ExitedWithCode(0),
              "");
}

// Register() when no snapshot fits (300 probes) but small allocations succeed:
// ResourceExhausted naming the tracepoint and the probe; Unregister() still OK.
[[noreturn]] void TracepointRegisterReturnsResourceExhaustedWhenNoSnapshotFitsChild() {
  constexpr int kN = 300;
  static Counter cs[kN + 1];
  static ProbeHandle hs[kN];
  for (int i = 0; i < kN; ++i) {
    auto h = tp_nf.Register(&CountProbe, &cs[i]);
    CHILD_CHECK(h.ok());
    if (h.ok()) hs[i] = *h;
  }
  Warm(tracepoint_internal::NonFaultableDomain());

  Hoard h;
  h.Exhaust(kHeadroom, /*reserve=*/64);
  CHILD_CHECK(Hoard::NothingAllocates());
  h.FreeReserve();
  ReportHoard(h);

  ProbeOptions o;
  o.name = "late";
  auto late = tp_nf.Register(&CountProbe, &cs[kN], o);
  CHILD_CHECK(late.status().code() == absl::StatusCode::kResourceExhausted);
  CHILD_CHECK(HasMessage(late.status(), "tracepoint 'oom:nonfaultable'"));
  CHILD_CHECK(HasMessage(late.status(), "probe 'late'"));
  CHILD_CHECK(tp_nf.probe_count() == kN);
  CHILD_CHECK(tp_nf.Unregister(hs[10]).ok());
  tp_nf(1);
  CHILD_CHECK(cs[10].calls.load() == 0);
  CHILD_CHECK(cs[11].calls.load() == 1);
  CHILD_CHECK(cs[kN].calls.load() == 0);

  h.Release();
  late = tp_nf.Register(&CountProbe, &cs[kN], o);
  CHILD_CHECK(late.ok());
  tp_nf(1);
  CHILD_CHECK(cs[kN].calls.load() == 1);
  ChildExit();
}
TEST_F(OomTest, TracepointRegisterReturnsResourceExhaustedWhenNoSnapshotFits) {
  EXPECT_EXIT(TracepointRegisterReturnsResourceExhaustedWhenNoSnapshotFitsChild(),
              ::testing::ExitedWithCode(0), "");
}

// ---- Cold paths under real exhaustion. Each of these aborted before the library handled it
// (the fix is named per test); each passes now and guards against the abort coming back.
// Where the failure was an uncaught std::bad_alloc, the death-test wrapper reported "illegal
// return in test statement"; in a program it was std::terminate() and SIGABRT.

// Add() with nothing left at all: the snapshot allocation fails softly, then
// ProbeArray::Batch::Add() (rcu/probe_array.h) builds its ResourceExhausted message, which
// needs memory too. It used to throw std::bad_alloc from absl::StrCat; now
// rcu/internal/status.h returns the bare code. Tracepoint::Register() goes through the same
// path. (The hook cannot show this: with the hook only the snapshot allocation fails.)
[[noreturn]] void AddWithNothingLeftReturnsResourceExhaustedChild() {
  TasksTraceRcu& d = TasksTraceRcu::Default();
  Warm(d);
  ProbeArray<int> a(d, "oom");
  CHILD_CHECK(a.Add(1).ok());
  Hoard h;
  h.Exhaust(kHeadroom, /*reserve=*/0);
  CHILD_CHECK(a.Add(2).code() == absl::StatusCode::kResourceExhausted);
  h.Release();
  ChildExit();
}
TEST_F(OomTest, AddWithNothingLeftReturnsResourceExhausted) {
  EXPECT_EXIT(AddWithNothingLeftReturnsResourceExhaustedChild(), ::testing::ExitedWithCode(0), "");
}

// Remove() of the last entry on a domain that has never queued a callback: the retirement
// goes through Call(), whose queue (a std::vector in GpEngine) is empty and must grow. That
// used to throw std::bad_alloc from pending_.push_back(); now Call() waits for a grace period
// and runs the callback on the calling thread (GpEngine::Call, rcu/internal/gp_engine.cc).
[[noreturn]] void RemoveLastEntryOnAnUnusedDomainChild() {
  TasksTraceRcu& d = *new TasksTraceRcu();
  ProbeArray<int> a(d, "cold");
  CHILD_CHECK(a.Add(1).ok());  // the first snapshot: nothing to retire, the queue stays empty
  Hoard h;
  h.Exhaust(kHeadroom, /*reserve=*/0);
  CHILD_CHECK(a.Remove(1).ok());
  h.Release();
  d.Barrier();
  ChildExit();
}
TEST_F(OomTest, RemoveLastEntryOnAnUnusedDomain) {
  EXPECT_EXIT(RemoveLastEntryOnAnUnusedDomainChild(), ::testing::ExitedWithCode(0), "");
}

// Remove() of the last entry in a fork() child (the domain's worker thread is gone; the queue
// still has room from the parent): Call() restarts the worker, and pthread_create() finds no
// cached stack and no address space for a new one (EAGAIN). That used to abort; now Call()
// and Barrier() run the queue on the calling thread (GpEngine::EnsureWorkerLocked). A helper
// thread takes the stack glibc cached from the parent's worker first; without it the restart
// succeeds on that stack.
[[noreturn]] void RemoveLastEntryInAForkChildChild() {
  TasksTraceRcu& d = *new TasksTraceRcu();
  ProbeArray<int> a(d, "forked");
  CHILD_CHECK(a.Add(1).ok());
  Warm(d);
  const pid_t pid = fork();
  if (pid == 0) {
    std::atomic<bool> go{false};
    std::thread helper([&] {
      while (!go.load()) usleep(1000);
    });
    Hoard h;
    h.Exhaust(kHeadroom, /*reserve=*/0);
    CHILD_CHECK(a.Remove(1).ok());
    h.Release();
    go = true;
    helper.join();
    d.Barrier();
    ChildExit();
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) _exit(3);
  if (WIFSIGNALED(status)) raise(WTERMSIG(status));
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 4);
}
TEST_F(OomTest, RemoveLastEntryInAForkChild) {
  EXPECT_EXIT(RemoveLastEntryInAForkChildChild(), ::testing::ExitedWithCode(0), "");
}

// A thread's first read section under exhaustion. TasksTraceRcu used to mmap() every thread's
// record, which fails here, and GRACE_DIE_ERRNO aborted. The first 8 records now come from
// static storage (rcu/tasks_trace.cc), so this thread, the process's second reader, reads.
// Firing a tracepoint from a thread that never fired one before is such a first read.
[[noreturn]] void FirstReadOfAThreadWithTheHeapExhaustedChild() {
  Warm(tracepoint_internal::NonFaultableDomain());
  Counter c;
  auto hc = tp_nf.Register(&CountProbe, &c);
  CHILD_CHECK(hc.ok());
  std::atomic<int> phase{0};
  std::thread t([&] {
    while (phase.load() == 0) {
    }
    tp_nf(1);  // this thread's first read
    phase.store(2);
  });
  Hoard h;
  h.Exhaust(kHeadroom, /*reserve=*/0);
  phase.store(1);
  while (phase.load() != 2) {
  }
  h.Release();
  t.join();
  CHILD_CHECK(c.calls.load() == 1);
  ChildExit();
}
TEST_F(OomTest, FirstReadOfAThreadWithTheHeapExhausted) {
  EXPECT_EXIT(FirstReadOfAThreadWithTheHeapExhaustedChild(), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace grace
