// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// models/gp_seq_model: Relacy checks of rcu/internal/gp_seq.h, the grace-period sequence word
// of every GpEngine (polled grace periods: GetState()/Poll(), and the sharing of grace periods
// among Synchronize() callers), composed with the production Tasks Trace RCU reader algorithm
// (rcu/internal/tasks_trace_core.h) as the engine's wait_for_readers.
//
// G1 (1 updater, 1 grace-period runner, 1 reader): the updater unpublishes the object, takes
// a Snapshot(), polls Reached() and then poisons and frees the old object. The runner runs
// two grace periods back to back (Begin, WaitForReaders over the reader's slot, End) with no
// other synchronisation with the updater, so the snapshot may land before, inside or after
// either grace period; if the updater's target is beyond the runner's last grace period it
// leaves without freeing. The reader locks, loads, has a preemption point, uses, unlocks.
//   pass: no use after free, no data race;
//   gs:F (Snapshot's fence removed) must fail in the light-as-SC reading: the snapshot misses
//   a running grace period whose reader scan misses the unpublish. (In the membarrier reading
//   the runner's heavy barriers also order the updater's accesses, as a real membarrier
//   interrupting the updater's CPU does, and cover it.)
//   gs:E passes here, as recorded: Tasks Trace RCU's grace period ends with a heavy barrier
//   ([tt:B], right before End()). Its heavy barrier right after Begin() ([tt:A]) is the
//   leading full barrier that [gs:F] pairs with (the domain's contract, gp_engine.h).
//   vacuity: RL_ASSERT(false) once the updater freed the object must fail.
// G2 (below) checks gs:E and gs:P against the engine's minimal contract with a domain, and G3
// checks gs:S with the next grace period begun by another thread (four threads; it has no
// light barrier, so it runs in one reading only). Context bound 2 plus 300k random schedules.

#include "models/rl_sync.h"
// Production headers after rl_sync.h.
#include "rcu/internal/gp_seq.h"
#include "rcu/internal/tasks_trace_core.h"

namespace grace {
namespace models {
namespace {

using rcu_internal::GpSeq;
using rcu_internal::TasksTraceCore;
using rcu_internal::TtSlot;

template <class Sync>
struct Obj {
  typename Sync::template cell<int> val;
  explicit Obj(int v) : val(v) {}
};

template <class Sync, bool kVacuous>
struct PolledFree : rl::test_suite<PolledFree<Sync, kVacuous>, 3> {
  using Core = TasksTraceCore<Sync>;
  GpSeq<Sync>* seq = nullptr;
  TtSlot<Sync> slot;
  typename Sync::template atomic<Obj<Sync>*> gp;
  typename Sync::template atomic<int> runner_done;

  void before() {
    seq = new GpSeq<Sync>;
    gp.store(new Obj<Sync>(1), std::memory_order_relaxed);
    runner_done.store(0, std::memory_order_relaxed);
  }

  void thread(unsigned index) {
    if (index == 0) {  // updater
      Obj<Sync>* old = gp.exchange(new Obj<Sync>(2), std::memory_order_acq_rel);
      const GpState s = seq->Snapshot();
      while (!seq->Reached(s)) {
        // Relaxed on purpose: no happens-before from the runner other than gs:E/gs:P.
        if (runner_done.load(std::memory_order_relaxed) != 0 && !seq->Reached(s)) {
          retired = old;  // target beyond the runner's grace periods: do not free
          return;
        }
        Sync::spin();
      }
      old->val.set(-1);  // poison
      delete old;
      if (kVacuous) RL_ASSERT(false);
    } else if (index == 1) {  // grace-period runner
      for (int g = 0; g < 2; ++g) {
        const uint64_t begun = seq->Begin();
        Core::WaitForReaders([this](auto&& wait_for_slot) { wait_for_slot(slot); });
        seq->End(begun);
      }
      runner_done.store(1, std::memory_order_relaxed);
    } else {  // reader
      Core::Lock(slot);
      Obj<Sync>* p = gp.load(std::memory_order_acquire);
      rl::ctx().sched();
      RL_ASSERT(p->val.get() > 0);
      Core::Unlock(slot);
    }
  }

  void after() {
    delete gp.load(std::memory_order_relaxed);
    delete retired;
    retired = nullptr;
    delete seq;
  }

  Obj<Sync>* retired = nullptr;
};

// G2: the engine's contract with its domain, minimal: wait_for_readers() returns after every
// reader it waits for has finished, with the reader's accesses happening before the return,
// here through a release/acquire hand-over and no fence at all. The reader uses the object
// and signals; the runner waits for the signal inside one grace period; the updater polls
// and frees. Only gs:E/gs:P carry the reader's accesses on to the updater: their mutants
// must fail in both readings.
template <class Sync>
struct ContractFree : rl::test_suite<ContractFree<Sync>, 3> {
  GpSeq<Sync>* seq = nullptr;
  typename Sync::template atomic<Obj<Sync>*> gp;
  typename Sync::template atomic<int> reader_done, runner_done;
  Obj<Sync>* retired = nullptr;

  void before() {
    seq = new GpSeq<Sync>;
    gp.store(new Obj<Sync>(1), std::memory_order_relaxed);
    reader_done.store(0, std::memory_order_relaxed);
    runner_done.store(0, std::memory_order_relaxed);
  }

  void thread(unsigned index) {
    if (index == 0) {
      Obj<Sync>* old = gp.exchange(new Obj<Sync>(2), std::memory_order_acq_rel);
      const GpState s = seq->Snapshot();
      while (!seq->Reached(s)) {
        if (runner_done.load(std::memory_order_relaxed) != 0 && !seq->Reached(s)) {
          retired = old;
          return;
        }
        Sync::spin();
      }
      old->val.set(-1);
      delete old;
    } else if (index == 1) {
      const uint64_t begun = seq->Begin();
      while (reader_done.load(std::memory_order_acquire) == 0) Sync::spin();
      seq->End(begun);
      runner_done.store(1, std::memory_order_relaxed);
    } else {
      Obj<Sync>* p = gp.load(std::memory_order_acquire);
      RL_ASSERT(p->val.get() > 0);
      reader_done.store(1, std::memory_order_release);
    }
  }

  void after() {
    delete gp.load(std::memory_order_relaxed);
    delete retired;
    delete seq;
  }
};

// G3: G2 with the next grace period begun by another thread, as happens when Synchronize()
// callers take turns on the engine's grace-period lock: runner A runs the grace period that
// waits for the reader and hands the lock (release/acquire) to runner B, which begins (and
// ends) the next one. An updater that polls may see B's odd value without ever seeing A's
// End: only [gs:S] (Begin's release store, read by [gs:P]) then carries the reader's accesses
// to the free, through A's End and the lock. gs:S must fail here (data race).
template <class Sync>
struct HandedOverFree : rl::test_suite<HandedOverFree<Sync>, 4> {
  GpSeq<Sync>* seq = nullptr;
  typename Sync::template atomic<Obj<Sync>*> gp;
  typename Sync::template atomic<int> reader_done, gp_lock, runners_done;
  Obj<Sync>* retired = nullptr;

  void before() {
    seq = new GpSeq<Sync>;
    gp.store(new Obj<Sync>(1), std::memory_order_relaxed);
    reader_done.store(0, std::memory_order_relaxed);
    gp_lock.store(0, std::memory_order_relaxed);
    runners_done.store(0, std::memory_order_relaxed);
  }

  void thread(unsigned index) {
    if (index == 0) {  // updater: unpublish, snapshot, poll, free
      Obj<Sync>* old = gp.exchange(new Obj<Sync>(2), std::memory_order_acq_rel);
      const GpState s = seq->Snapshot();
      while (!seq->Reached(s)) {
        if (runners_done.load(std::memory_order_relaxed) == 2 && !seq->Reached(s)) {
          retired = old;  // target beyond both grace periods: do not free
          return;
        }
        Sync::spin();
      }
      old->val.set(-1);
      delete old;
    } else if (index == 1) {  // runner A: the grace period that waits for the reader
      const uint64_t begun = seq->Begin();
      while (reader_done.load(std::memory_order_acquire) == 0) Sync::spin();
      seq->End(begun);
      gp_lock.store(1, std::memory_order_release);  // unlock
      runners_done.fetch_add(1, std::memory_order_relaxed);
    } else if (index == 2) {  // runner B: takes the lock after A, runs the next grace period
      while (gp_lock.load(std::memory_order_acquire) == 0) Sync::spin();
      const uint64_t begun = seq->Begin();
      seq->End(begun);
      runners_done.fetch_add(1, std::memory_order_relaxed);
    } else {  // reader
      Obj<Sync>* p = gp.load(std::memory_order_acquire);
      RL_ASSERT(p->val.get() > 0);
      reader_done.store(1, std::memory_order_release);
    }
  }

  void after() {
    delete gp.load(std::memory_order_relaxed);
    delete retired;
    retired = nullptr;
    delete seq;
  }
};

constexpr int kRandomIterations = 300000;

template <class Sync>
int RunPolicy(const char* policy, bool light_modelled) {
  std::printf("-- policy %s\n", policy);
  const std::string g1 = std::string("G1 polled free/") + policy;
  const std::string vac = std::string("G1 vacuity/") + policy;
  using G1 = PolledFree<Sync, false>;
  int bad = 0;
  bad += !RunCheck<G1>(g1.c_str(), nullptr, Expect::kPass, rl::sched_bound, 0, 2);
  bad += !RunCheck<G1>((g1 + " random").c_str(), nullptr, Expect::kPass, rl::sched_random,
                       kRandomIterations);
  // Composed with Tasks Trace RCU, whose grace period begins and ends with a heavy barrier:
  // gs:F is needed (light-as-SC reading); gs:E is covered by [tt:B] before End(): its mutant
  // passes here, as recorded.
  if (light_modelled) {
    bad += !RunCheck<G1>(g1.c_str(), "gs:F", Expect::kFail, rl::sched_bound, 0, 2);
  }
  bad += !RunCheck<G1>((g1 + " (covered by tt:B)").c_str(), "gs:E", Expect::kPass, rl::sched_bound,
                       0, 2);
  // The minimal contract: gs:E and gs:P are what orders the reader before the free.
  const std::string g2 = std::string("G2 contract/") + policy;
  using G2 = ContractFree<Sync>;
  bad += !RunCheck<G2>(g2.c_str(), nullptr, Expect::kPass, rl::sched_bound, 0, 2);
  bad += !RunCheck<G2>(g2.c_str(), "gs:E", Expect::kFail, rl::sched_bound, 0, 2);
  bad += !RunCheck<G2>(g2.c_str(), "gs:P", Expect::kFail, rl::sched_bound, 0, 2);
  // The next grace period begun by another thread: gs:S carries the chain. No light barrier
  // in G3: the two readings are the same model, so it runs once.
  if (!light_modelled) {
    const std::string g3 = std::string("G3 handed-over lock/") + policy;
    using G3 = HandedOverFree<Sync>;
    bad += !RunCheck<G3>(g3.c_str(), nullptr, Expect::kPass, rl::sched_bound, 0, 2);
    bad += !RunCheck<G3>((g3 + " random").c_str(), nullptr, Expect::kPass, rl::sched_random,
                         kRandomIterations);
    bad += !RunCheck<G3>(g3.c_str(), "gs:S", Expect::kFail, rl::sched_bound, 0, 2);
  }
  bad +=
      !RunCheck<PolledFree<Sync, true>>(vac.c_str(), nullptr, Expect::kFail, rl::sched_bound, 0, 2);
  return bad;
}

}  // namespace
}  // namespace models
}  // namespace grace

int main() {
  using namespace grace::models;
  int bad =
      RunPolicy<rl_sync>("membarrier", false) + RunPolicy<rl_sync_light_sc>("light-as-sc", true);
  std::printf("gp_seq_model: %s (%d check(s) did not match)\n", bad == 0 ? "OK" : "FAILED", bad);
  return bad == 0 ? 0 : 1;
}
