// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// -----------------------------------------------------------------------------
// File: tests/torture.cc
// -----------------------------------------------------------------------------
//
// An rcutorture-like torture test for every grace flavour (issue 8). For each flavour it runs,
// all at once, for --seconds:
//   - readers that nest (up to 4 levels; Srcu flavours end the levels in random order, so
//     sections interleave, and now and then hand a token to another thread, which checks the
//     object and ends the section), sleep (only in "blocking" phases), take real page faults
//     (a mapped file whose pages updaters drop), and are interrupted by SIGUSR1/SIGUSR2,
//     whose handlers run read sections of their own;
//   - updaters that publish a new object and free the old one through every path (Retire,
//     Call, Synchronize, SynchronizeExpedited); freed objects are poisoned, and a reader that
//     sees poison, or a sequence number not yet published, is a failure;
//   - a callback flood: bursts of Call(), each callback counting its own id, with a Barrier()
//     now and then and at the end: every callback must have run exactly once;
//   - thread churn: short-lived threads doing a few read sections each;
//   - domain churn: independent domains created, used by a reader, Barrier()ed and destroyed;
//   - fork() in the middle: the child runs a grace period and a Call()+Barrier(), then exits;
//   - a grace-period bound: in phases where no reader sleeps, every Synchronize() must
//     return within --gp_bound_ms.
// It prints one line per flavour and exits non-zero on any failure.
//
//   bazel build -c opt //tests:torture && bazel-bin/tests/torture --flavour=all --seconds=30
//
// tools/soak runs it for longer; tools/test runs it briefly (tests/BUILD.bazel, "torture").

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "rcu/srcu.h"
#include "rcu/tasks_trace.h"
#include "tests/rcu_test_util.h"

ABSL_FLAG(std::string, flavour, "all", "tasks_trace|tasks_trace_domain|srcu|srcu_fast|all");
ABSL_FLAG(double, seconds, 10.0, "duration per flavour, in seconds");
ABSL_FLAG(int, readers, 4, "long-lived reader threads per flavour");
ABSL_FLAG(int, updaters, 2, "updater threads per flavour");
ABSL_FLAG(
    bool, forks, true,
    "fork() in the middle of each flavour (off under ASan in tools/test: see tests/BUILD.bazel)");
ABSL_FLAG(int, gp_bound_ms, 2000,
          "in phases where no reader blocks, Synchronize() must return within this bound");

namespace grace {
namespace {

using testing_util::Guarded;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Failures. Fail() is async-signal-safe (signal-handler readers call it): a counter and write().

std::atomic<uint64_t> g_failures{0};

void Fail(const char* flavour, const char* what) {
  if (g_failures.fetch_add(1, std::memory_order_relaxed) >= 50) return;  // enough said
  char buf[320];
  size_t len = 0;
  for (const char* part : {"FAILURE [", flavour, "]: ", what, "\n"}) {
    const size_t k = std::min(strlen(part), sizeof(buf) - len);
    memcpy(buf + len, part, k);
    len += k;
  }
  (void)!write(STDERR_FILENO, buf, len);
}

// ---------------------------------------------------------------------------------------------
// Flavour traits: one read-side interface over TasksTraceRcu (no token) and Srcu/SrcuFast.

struct NoToken {};

struct TasksTraceTraits {
  using Domain = TasksTraceRcu;
  using Token = NoToken;
  static constexpr bool kTokens = false;  // sections end on their own thread, innermost first
  static Token Lock(Domain& d) noexcept {
    d.lock();
    return {};
  }
  static void Unlock(Domain& d, Token) noexcept { d.unlock(); }
  static void SynchronizeExpedited(Domain& d) { d.Synchronize(); }
};

template <class D>
struct SrcuTraits {
  using Domain = D;
  using Token = SrcuToken;
  static constexpr bool kTokens = true;  // any order, any thread
  static Token Lock(Domain& d) noexcept { return d.lock(); }
  static void Unlock(Domain& d, Token t) noexcept { d.unlock(t); }
  static void SynchronizeExpedited(Domain& d) { d.SynchronizeExpedited(); }
};

// ---------------------------------------------------------------------------------------------
// One flavour's run.

struct Counters {
  std::atomic<uint64_t> read_sections{0};
  std::atomic<uint64_t> updates{0};  // objects published (sequence numbers handed out)
  std::atomic<uint64_t> freed{0};
  std::atomic<uint64_t> callbacks{0};
  std::atomic<uint64_t> faults{0};
  std::atomic<uint64_t> signal_reads{0};
  std::atomic<uint64_t> signals_sent{0};
  std::atomic<uint64_t> handoffs{0};
  std::atomic<uint64_t> churned_threads{0};
  std::atomic<uint64_t> domains{0};
  std::atomic<uint64_t> forks{0};
  std::atomic<uint64_t> grace_periods{0};
  std::atomic<int64_t> max_gp_ns{0};
  std::atomic<int64_t> max_bounded_gp_ns{0};  // in non-blocking phases only
};

void NoteMax(std::atomic<int64_t>& m, int64_t v) {
  int64_t cur = m.load(std::memory_order_relaxed);
  while (v > cur && !m.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

// Callback ids are counted in one byte each; a flood stops issuing ids when they run out.
constexpr uint64_t kMaxCallbackIds = uint64_t{1} << 22;

template <class T>
struct Ctx {
  using Domain = typename T::Domain;
  using Token = typename T::Token;

  const char* name;
  Domain* domain;
  std::atomic<Guarded*> cur{nullptr};
  Counters n;
  std::atomic<bool> stop{false};
  // Phase number: even = readers may block (sleep), odd = no reader blocks (bound checked).
  std::atomic<uint64_t> phase{0};
  testing_util::FaultingFile file{64};

  // Tokens handed from a reader to the handoff thread, with the object read under them.
  std::mutex handoff_mu;
  std::deque<std::pair<Token, Guarded*>> handoff;  // guarded by handoff_mu
  std::atomic<bool> handoff_stop{false};

  std::unique_ptr<std::atomic<uint8_t>[]> cb_runs { new std::atomic<uint8_t>[ kMaxCallbackIds ] };
  std::atomic<uint64_t> cb_issued{0};  // next id (ids are reused after kMaxCallbackIds)
  std::atomic<uint64_t> cb_total{0};   // callbacks queued by the flood

  explicit Ctx(const char* nm, Domain* d) : name(nm), domain(d) {
    for (uint64_t i = 0; i < kMaxCallbackIds; ++i) cb_runs[i].store(0, std::memory_order_relaxed);
  }

  bool MayBlock() const { return phase.load(std::memory_order_relaxed) % 2 == 0; }

  // The object must be alive and carry a sequence number already published.
  void Check(const Guarded* p, const char* where) {
    if (p == nullptr) return Fail(name, "null object");
    if (!p->Alive()) return Fail(name, where);
    if (p->value > n.updates.load(std::memory_order_relaxed)) {
      Fail(name, "object with a sequence number not yet published");
    }
  }

  // Poisons and frees (testing_util::PoisonDelete, counting into n.freed).
  void Free(Guarded* g) { testing_util::PoisonDelete{&n.freed}(g); }
};

// One read section, nested `depth` levels. Pointer p[j] is loaded right after lock j, so it is
// protected while any section i <= j is still open; it is checked again after every unlock
// while that holds.
template <class T>
void ReadSection(Ctx<T>& c, std::minstd_rand& rng, bool may_handoff) {
  constexpr int kMaxDepth = 4;
  typename T::Token tok[kMaxDepth];
  Guarded* p[kMaxDepth];
  bool open[kMaxDepth];
  const unsigned r = rng();
  const int depth = 1 + static_cast<int>(r % kMaxDepth);
  for (int i = 0; i < depth; ++i) {
    tok[i] = T::Lock(*c.domain);
    open[i] = true;
    p[i] = c.cur.load(std::memory_order_acquire);
    c.Check(p[i], "reader saw a poisoned object");
  }
  if ((r >> 4) % 8 == 0) {  // a real page fault inside the section
    const long f0 = testing_util::ThreadFaults();
    (void)c.file.Touch(r >> 8);
    c.n.faults.fetch_add(testing_util::ThreadFaults() - f0, std::memory_order_relaxed);
  }
  if (c.MayBlock()) {
    if ((r >> 7) % 64 == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
    if ((r >> 7) % 4096 == 1) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if ((r >> 13) % 256 == 0) sched_yield();
  for (int i = 0; i < depth; ++i) c.Check(p[i], "object freed during the read section");

  // End the levels: innermost first for TasksTraceRcu, in random order for Srcu (sections
  // then overlap without nesting), the outermost sometimes by another thread.
  int order[kMaxDepth];
  for (int i = 0; i < depth; ++i) order[i] = depth - 1 - i;
  if constexpr (T::kTokens) {
    std::shuffle(order, order + depth, rng);
    if (may_handoff && (r >> 16) % 16 == 0) {
      {
        std::lock_guard<std::mutex> l(c.handoff_mu);
        c.handoff.emplace_back(tok[0], p[0]);
      }
      open[0] = false;  // may be ended any time now
      c.n.handoffs.fetch_add(1, std::memory_order_relaxed);
    }
  }
  for (int k = 0; k < depth; ++k) {
    const int i = order[k];
    if (!open[i]) continue;
    T::Unlock(*c.domain, tok[i]);
    open[i] = false;
    int first_open = depth;
    for (int j = 0; j < depth; ++j) {
      if (open[j]) {
        first_open = j;
        break;
      }
    }
    for (int j = first_open; j < depth; ++j) c.Check(p[j], "object freed while still protected");
  }
  c.n.read_sections.fetch_add(1, std::memory_order_relaxed);
}

template <class T>
void Reader(Ctx<T>& c, unsigned seed) {
  std::minstd_rand rng(seed);
  while (!c.stop.load(std::memory_order_relaxed)) ReadSection(c, rng, /*may_handoff=*/true);
}

// Ends sections begun on reader threads (Srcu flavours only).
template <class T>
void HandoffThread(Ctx<T>& c) {
  std::minstd_rand rng(99);
  for (;;) {
    std::pair<typename T::Token, Guarded*> item;
    bool got = false;
    {
      std::lock_guard<std::mutex> l(c.handoff_mu);
      if (!c.handoff.empty()) {
        item = c.handoff.front();
        c.handoff.pop_front();
        got = true;
      }
    }
    if (!got) {
      if (c.handoff_stop.load()) return;
      std::this_thread::sleep_for(std::chrono::microseconds(50));
      continue;
    }
    c.Check(item.second, "object freed while its section was handed to another thread");
    if (c.MayBlock() && rng() % 16 == 0)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    c.Check(item.second, "object freed while its section was handed to another thread");
    T::Unlock(*c.domain, item.first);
  }
}

template <class T>
void TimedSynchronize(Ctx<T>& c, bool expedited) {
  const uint64_t phase0 = c.phase.load();
  const auto t0 = Clock::now();
  if (expedited) {
    T::SynchronizeExpedited(*c.domain);
  } else {
    c.domain->Synchronize();
  }
  const int64_t ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
  c.n.grace_periods.fetch_add(1, std::memory_order_relaxed);
  NoteMax(c.n.max_gp_ns, ns);
  // Bound only a grace period that began and ended in the same non-blocking phase.
  if (phase0 % 2 == 1 && c.phase.load() == phase0) {
    NoteMax(c.n.max_bounded_gp_ns, ns);
    if (ns > int64_t{absl::GetFlag(FLAGS_gp_bound_ms)} * 1000000) {
      char msg[128];
      snprintf(msg, sizeof(msg), "grace period took %.1f ms with no reader blocking", ns / 1e6);
      Fail(c.name, msg);
    }
  }
}

template <class T>
void Updater(Ctx<T>& c, unsigned seed) {
  std::minstd_rand rng(seed);
  while (!c.stop.load(std::memory_order_relaxed)) {
    Guarded* fresh = new Guarded(c.n.updates.fetch_add(1) + 1);
    Guarded* old = c.cur.exchange(fresh, std::memory_order_acq_rel);
    const unsigned r = rng();
    if (r % 16 == 0) c.file.DropPages();
    switch ((r >> 4) % 4) {
      case 0:
        c.domain->Retire(old, testing_util::PoisonDelete{&c.n.freed});
        break;
      case 1:
        c.domain->Call([&c, old] { c.Free(old); });
        break;
      case 2:
        TimedSynchronize(c, /*expedited=*/false);
        c.Free(old);
        break;
      case 3:
        TimedSynchronize(c, /*expedited=*/true);
        c.Free(old);
        break;
    }
    if ((r >> 8) % 4 == 0) std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
}

// Checks that every callback id in [from, to) ran exactly once.
template <class T>
void CheckCallbacks(Ctx<T>& c, uint64_t from, uint64_t to, const char* when) {
  uint64_t lost = 0, doubled = 0;
  for (uint64_t i = from; i < to; ++i) {
    const uint8_t v = c.cb_runs[i].load(std::memory_order_relaxed);
    if (v == 0) ++lost;
    if (v > 1) ++doubled;
  }
  if (lost != 0 || doubled != 0) {
    char msg[160];
    snprintf(msg, sizeof(msg), "%s: %" PRIu64 " callbacks never ran, %" PRIu64 " ran twice or more",
             when, lost, doubled);
    Fail(c.name, msg);
  }
}

template <class T>
void CallbackFlood(Ctx<T>& c) {
  std::minstd_rand rng(42);
  uint64_t checked = 0;
  while (!c.stop.load(std::memory_order_relaxed)) {
    const unsigned r = rng();
    const uint64_t burst = 1 + r % 1000;
    const bool in_reader = (r >> 12) % 4 == 0;  // Call() inside a read section is allowed
    typename T::Token t{};
    if (in_reader) t = T::Lock(*c.domain);
    for (uint64_t k = 0; k < burst; ++k) {
      uint64_t id = c.cb_issued.load(std::memory_order_relaxed);
      if (id == kMaxCallbackIds) {
        // Ids run out: once every callback has run (and been checked), count from 0 again.
        // Barrier() inside a read section would deadlock; this section ends later, so skip.
        if (in_reader) break;
        c.domain->Barrier();
        CheckCallbacks(c, checked, id, "after a Barrier() before reusing ids");
        for (uint64_t i = 0; i < kMaxCallbackIds; ++i) c.cb_runs[i].store(0);
        id = checked = 0;
      }
      c.cb_issued.store(id + 1, std::memory_order_relaxed);
      c.cb_total.fetch_add(1, std::memory_order_relaxed);
      c.domain->Call([&c, id] {
        c.cb_runs[id].fetch_add(1, std::memory_order_relaxed);
        c.n.callbacks.fetch_add(1, std::memory_order_relaxed);
      });
    }
    if (in_reader) T::Unlock(*c.domain, t);
    if ((r >> 16) % 8 == 0) {  // every callback queued so far must run before Barrier() returns
      const uint64_t upto = c.cb_issued.load(std::memory_order_relaxed);
      c.domain->Barrier();
      CheckCallbacks(c, checked, upto, "after a mid-run Barrier()");
      checked = upto;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1 + (r >> 20) % 5));
  }
}

template <class T>
void ThreadChurn(Ctx<T>& c) {
  std::minstd_rand rng(7);
  while (!c.stop.load(std::memory_order_relaxed)) {
    const int k = 1 + static_cast<int>(rng() % 3);
    std::vector<std::thread> ts;
    for (int i = 0; i < k; ++i) {
      ts.emplace_back([&c, seed = static_cast<unsigned>(rng())] {
        std::minstd_rand r2(seed);
        const int sections = 1 + static_cast<int>(r2() % 20);
        for (int s = 0; s < sections; ++s) ReadSection(c, r2, /*may_handoff=*/false);
      });
    }
    for (auto& t : ts) t.join();
    c.n.churned_threads.fetch_add(k, std::memory_order_relaxed);
  }
}

// Independent domains of the flavour's type (for tasks_trace: independent TasksTraceRcu).
template <class T>
void DomainChurn(Ctx<T>& c) {
  using Domain = typename T::Domain;
  std::minstd_rand rng(11);
  while (!c.stop.load(std::memory_order_relaxed)) {
    auto d = std::make_unique<Domain>();
    c.n.domains.fetch_add(1, std::memory_order_relaxed);
    std::atomic<Guarded*> obj{new Guarded(1)};
    std::atomic<bool> done{false};
    std::thread reader([&] {
      while (!done.load()) {
        auto t = T::Lock(*d);
        Guarded* p = obj.load(std::memory_order_acquire);
        if (!p->Alive()) Fail(c.name, "reader of a churned domain saw a poisoned object");
        T::Unlock(*d, t);
      }
    });
    const int updates = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < updates; ++i) {
      Guarded* old = obj.exchange(new Guarded(i + 2), std::memory_order_acq_rel);
      if (i % 2 == 0) {
        d->Retire(old, testing_util::PoisonDelete{});
      } else {
        d->Synchronize();
        testing_util::PoisonDelete{}(old);
      }
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    done = true;
    reader.join();
    d->Barrier();
    testing_util::PoisonDelete{}(obj.load());
    d.reset();
  }
}

// ---------------------------------------------------------------------------------------------
// Signal-handler readers: a thread sends SIGUSR1 and SIGUSR2 to the reader threads; the handlers
// run read sections (SIGUSR1 nested/interleaved, SIGUSR2 flat) and check the object.

template <class T>
std::atomic<Ctx<T>*> g_sig_ctx{nullptr};

template <class T>
void SignalHandler(int sig) {
  const int saved_errno = errno;
  Ctx<T>* c = g_sig_ctx<T>.load(std::memory_order_acquire);
  if (c != nullptr) {
    auto a = T::Lock(*c->domain);
    Guarded* p = c->cur.load(std::memory_order_acquire);
    if (sig == SIGUSR1) {
      auto b = T::Lock(*c->domain);
      Guarded* q = c->cur.load(std::memory_order_acquire);
      c->Check(q, "signal-handler reader saw a poisoned object");
      if constexpr (T::kTokens) {
        T::Unlock(*c->domain, a);  // interleaved: the outer section ends first
        c->Check(q, "signal-handler reader: object freed while protected");
        T::Unlock(*c->domain, b);
      } else {
        T::Unlock(*c->domain, b);
        c->Check(p, "signal-handler reader: object freed while protected");
        T::Unlock(*c->domain, a);
      }
    } else {
      c->Check(p, "signal-handler reader saw a poisoned object");
      T::Unlock(*c->domain, a);
    }
    c->n.signal_reads.fetch_add(1, std::memory_order_relaxed);
  }
  errno = saved_errno;
}

template <class T>
void InstallHandlers(bool on) {
  struct sigaction sa {};
  sa.sa_handler = on ? &SignalHandler<T> : SIG_IGN;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, nullptr);
  sigaction(SIGUSR2, &sa, nullptr);
}

// ---------------------------------------------------------------------------------------------
// fork(): the child runs a grace period and a Call()+Barrier() on `d`, then _exit(0)s; the
// parent fails on a non-zero status or a child that does not finish in time.

template <class Domain>
void ForkCheck(const char* name, Domain& d, Counters& n) {
  const pid_t pid = fork();
  if (pid < 0) return Fail(name, "fork() failed");
  if (pid == 0) {
    alarm(120);  // backstop: the parent gives up on the child after 45 s (below)
    d.Synchronize();
    std::atomic<int> ran{0};
    d.Call([&ran] { ran.fetch_add(1); });
    d.Barrier();
    _exit(ran.load() == 1 ? 0 : 3);
  }
  n.forks.fetch_add(1, std::memory_order_relaxed);
  const auto deadline = Clock::now() + std::chrono::seconds(45);
  int status = 0;
  for (;;) {
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) return Fail(name, "waitpid() failed");
    if (Clock::now() > deadline) {
      // Where the child hangs, for the log: every thread's stack, if gdb is installed.
      char cmd[160];
      snprintf(cmd, sizeof(cmd),
               "command -v gdb >/dev/null && gdb -p %d -batch -ex 'thread apply all bt' "
               "</dev/null >&2 2>&1",
               static_cast<int>(pid));
      if (std::system(cmd) != 0) std::fprintf(stderr, "torture: no stack of the hung child\n");
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return Fail(name, "fork child hung (no grace period or Barrier() in the child)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    char msg[128];
    snprintf(msg, sizeof(msg), "fork child failed: %s %d",
             WIFEXITED(status) ? "exit status" : "signal",
             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    Fail(name, msg);
  }
}

// ---------------------------------------------------------------------------------------------

template <class T>
uint64_t RunFlavour(const char* name, typename T::Domain& domain) {
  using Domain = typename T::Domain;
  const uint64_t failures0 = g_failures.load();
  const double seconds = absl::GetFlag(FLAGS_seconds);
  const auto t_start = Clock::now();
  Ctx<T> c(name, &domain);
  c.cur = new Guarded(0);

  std::vector<std::thread> readers, others;
  for (int i = 0; i < absl::GetFlag(FLAGS_readers); ++i) {
    readers.emplace_back(Reader<T>, std::ref(c), 100 + i);
  }
  for (int i = 0; i < absl::GetFlag(FLAGS_updaters); ++i) {
    others.emplace_back(Updater<T>, std::ref(c), 200 + i);
  }
  others.emplace_back(CallbackFlood<T>, std::ref(c));
  others.emplace_back(ThreadChurn<T>, std::ref(c));
  others.emplace_back(DomainChurn<T>, std::ref(c));
  std::thread handoff;
  if constexpr (T::kTokens) handoff = std::thread(HandoffThread<T>, std::ref(c));

  g_sig_ctx<T>.store(&c, std::memory_order_release);
  InstallHandlers<T>(true);
  std::atomic<bool> stop_signals{false};
  std::thread signaller([&] {
    std::minstd_rand rng(5);
    while (!stop_signals.load()) {
      for (auto& t : readers) {
        pthread_kill(t.native_handle(), rng() % 2 == 0 ? SIGUSR1 : SIGUSR2);
        c.n.signals_sent.fetch_add(1, std::memory_order_relaxed);
      }
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  });

  // For Srcu flavours the fork check uses a domain of its own that only this thread reads:
  // rcu/srcu.h's fork limitation says a section another thread had open at fork() stays open
  // in the child (its grace periods would then wait forever), so the child must not wait on a
  // domain the reader threads use. TasksTraceRcu ends such sections in the child, so there
  // the child uses the flavour's own domain, readers and all.
  std::unique_ptr<Domain> fork_domain;
  Domain* fork_target = &domain;
  if constexpr (T::kTokens) {
    fork_domain = std::make_unique<Domain>();
    fork_target = fork_domain.get();
  }
  const int forks = absl::GetFlag(FLAGS_forks) ? 1 + static_cast<int>(seconds / 10) : 0;
  int forks_done = 0;

  // Phases alternate: readers may block (sleep), then no reader blocks (bound checked).
  const auto phase_len = std::chrono::duration<double>(std::min(1.0, std::max(0.1, seconds / 4)));
  const auto end =
      t_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  auto next_phase = t_start + std::chrono::duration_cast<Clock::duration>(phase_len);
  while (Clock::now() < end) {
    const auto now = Clock::now();
    if (now >= next_phase) {
      c.phase.fetch_add(1);
      next_phase += std::chrono::duration_cast<Clock::duration>(phase_len);
    }
    const double elapsed = std::chrono::duration<double>(now - t_start).count();
    if (forks_done < forks && elapsed >= seconds * (forks_done + 1) / (forks + 1)) {
      if constexpr (T::kTokens) {  // give the child callbacks pending at fork() as well
        auto t = T::Lock(*fork_target);
        fork_target->Call([] {});
        T::Unlock(*fork_target, t);
      }
      ForkCheck(name, *fork_target, c.n);
      ++forks_done;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  stop_signals = true;
  signaller.join();
  c.stop = true;
  for (auto& t : readers) t.join();
  for (auto& t : others) t.join();
  c.handoff_stop = true;
  if (handoff.joinable()) handoff.join();
  InstallHandlers<T>(false);
  g_sig_ctx<T>.store(nullptr, std::memory_order_release);
  if (fork_domain) fork_domain->Barrier();
  fork_domain.reset();

  domain.Barrier();
  CheckCallbacks(c, 0, c.cb_issued.load(), "at the end");
  if (c.n.callbacks.load() != c.cb_total.load()) {
    char msg[160];
    snprintf(msg, sizeof(msg), "%" PRIu64 " flood callbacks queued, %" PRIu64 " ran",
             c.cb_total.load(), c.n.callbacks.load());
    Fail(name, msg);
  }
  c.Free(c.cur.load());
  if (c.n.freed.load() != c.n.updates.load() + 1) {
    char msg[160];
    snprintf(msg, sizeof(msg),
             "%" PRIu64 " objects freed, %" PRIu64 " published: lost or freed twice",
             c.n.freed.load(), c.n.updates.load() + 1);
    Fail(name, msg);
  }
  if (c.n.faults.load() == 0) Fail(name, "no reader took a page fault");
  if (c.n.signal_reads.load() == 0) Fail(name, "no signal-handler read section ran");

  const uint64_t failures = g_failures.load() - failures0;
  const double secs = std::chrono::duration<double>(Clock::now() - t_start).count();
  std::printf("%-18s %6.1fs: %" PRIu64 " read sections, %" PRIu64 " updates, %" PRIu64
              " grace periods (max %.2f ms; %.2f ms with no reader blocking), %" PRIu64
              " callbacks, %" PRIu64 " page faults in readers, %" PRIu64
              " signal-handler reads, %" PRIu64 " handed-off sections, %" PRIu64
              " churned threads, %" PRIu64 " domains created, %" PRIu64 " forks: %" PRIu64
              " failures\n",
              name, secs, c.n.read_sections.load(), c.n.updates.load(), c.n.grace_periods.load(),
              c.n.max_gp_ns.load() / 1e6, c.n.max_bounded_gp_ns.load() / 1e6, c.n.callbacks.load(),
              c.n.faults.load(), c.n.signal_reads.load(), c.n.handoffs.load(),
              c.n.churned_threads.load(), c.n.domains.load(), c.n.forks.load(), failures);
  std::fflush(stdout);
  return failures;
}

int Main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // $GRACE_TORTURE_SECONDS overrides --seconds: tools/mutate --stress shortens the runs of the
  // bazel target (whose args come from tests/BUILD.bazel) without touching other tests' args.
  if (const char* env = std::getenv("GRACE_TORTURE_SECONDS"); env != nullptr && *env != '\0') {
    absl::SetFlag(&FLAGS_seconds, std::atof(env));
  }
  const std::string which = absl::GetFlag(FLAGS_flavour);
  const std::vector<std::string> all = {"tasks_trace", "tasks_trace_domain", "srcu", "srcu_fast"};
  std::vector<std::string> run;
  if (which == "all") {
    run = all;
  } else if (std::find(all.begin(), all.end(), which) != all.end()) {
    run = {which};
  } else {
    std::fprintf(stderr, "torture: unknown --flavour=%s\n", which.c_str());
    return 2;
  }
  uint64_t failures = 0;
  for (const std::string& f : run) {
    if (f == "tasks_trace") {
      failures += RunFlavour<TasksTraceTraits>("tasks_trace", TasksTraceRcu::Default());
    } else if (f == "tasks_trace_domain") {
      TasksTraceRcu d;
      failures += RunFlavour<TasksTraceTraits>("tasks_trace_domain", d);
    } else if (f == "srcu") {
      Srcu d;
      failures += RunFlavour<SrcuTraits<Srcu>>("srcu", d);
      d.Barrier();
    } else {
      SrcuFast d;
      failures += RunFlavour<SrcuTraits<SrcuFast>>("srcu_fast", d);
      d.Barrier();
    }
  }
  std::printf("torture: %" PRIu64 " failures\n", failures);
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace grace

int main(int argc, char** argv) { return grace::Main(argc, argv); }
