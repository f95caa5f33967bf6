// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// models/probe_array_model: Relacy checks of the copy-on-update probe array
// (rcu/internal/probe_array_core.h) composed with the Tasks Trace RCU reader/grace-period core
// (rcu/internal/tasks_trace_core.h), both instantiated from the production templates with
// models::rl_sync. Checks P1-P5 and TP1-TP4 of shared/models.md.
//
// Harness (shared/models.md §4): probes are heap objects with a race-checked field; readers
// enter a TT read section, load the snapshot, yield (a preemption point between load and use),
// iterate and dereference every probe; updaters edit under a Relacy mutex, commit, wait for
// readers with TasksTraceCore::WaitForReaders, then poison and free. after() frees the rest,
// so a leak is reported.
//
// Mutants, each must FAIL its scenario:
//   production labels (Mutation::Set removes exactly that fence/order in the shipped code):
//     pub:snap.rel   relaxed publish                      P1
//     pub:snap.acq   relaxed subscribe                    P1
//     tt:A, tt:B     grace period without its barriers    P2 / P4
//   harness-level mutants (the harness does the wrong thing; named h:...):
//     h:free-before-gp       free the old snapshot before the grace period     P2
//     h:no-updater-lock      updaters do not serialise                         P3, TP4
//     h:free-data-before-gp  free the removed probe's data before the GP       P4, TP1
//     h:leak                 drop the free of a retired snapshot               P5
//     h:load-before-lock     reader loads the snapshot before its read_lock    TP2
//     h:one-flavour          wait for one flavour's readers only               TP3
//   not mutated: "publish before fill" (needs a source patch; the relaxed-publish mutant
//   shows the same missing edge).
// Non-vacuity: RL_ASSERT(false) in after() must fire; a reader that never unlocks must make
// the grace period never end (LIVELOCK/DEADLOCK).
//
// Search: P1 and TP4 exhaustively; the rest with context bound 2 plus 100k random schedules.
// Full searches of P2 (124 M executions, 8 min, measured before models reached the futex path)
// and P4 (membarrier policy; see models/README.md) multiply the grace period's spin/sleep
// paths by the copy's interleavings: P4's runs only with GRACE_MODELS_SLOW=1, P2's not at
// all. Every mutant below is caught within the bound.

#include <cstdlib>
#include <cstring>

#include "models/rl_sync.h"
// Production headers after rl_sync.h.
#include "rcu/internal/probe_array_core.h"
#include "rcu/internal/tasks_trace_core.h"

namespace grace {
namespace models {
namespace {

constexpr int kPoison = 0xDEAD;

template <class Sync>
struct Probe {
  typename Sync::template cell<int> v;
  explicit Probe(int x) : v(x) {}
};

bool HarnessMutant(const char* name) { return Mutation::Removes(name); }

enum class Scenario {
  kP1Publish,      // 1R+1U: add to an empty array; reader sees a complete snapshot
  kP2Retire,       // 1R+1U: non-empty initial array; add; old snapshot freed after GP
  kP3Serialise,    // 1R+2U: two updaters add; after(): both present
  kP4Remove,       // 1R+1U: remove; GP; poison and free the probe's data
  kP4RemoveNoMem,  // 1R+1U: as P4, but the snapshot allocation fails: stub in place
  kP5NoLeak,       // 1R+1U: two batches; every retired snapshot is freed
  kTP1Churn,       // 1R+1U: register, unregister, GP, free probe data (the tracepoint cycle)
  kTP2LoadInside,  // 1R+1U: as P4; the mutant loads the snapshot before read_lock
  kTP4Enabled,     // 0R+2U+check: racing add/remove; live count == published live entries
};

template <class Sync, Scenario kScenario, int kThreads, bool kVacuous = false,
          bool kStuckReader = false>
struct ProbeArraySuite
    : rl::test_suite<ProbeArraySuite<Sync, kScenario, kThreads, kVacuous, kStuckReader>, kThreads> {
  using Core = rcu_internal::ProbeArrayCore<Sync, Probe<Sync>*>;
  using Tt = rcu_internal::TasksTraceCore<Sync>;
  using Slot = rcu_internal::TtSlot<Sync>;

  Core core;
  Slot slot;  // thread 0's reader slot
  rl::mutex mu;
  Probe<Sync>* initial = nullptr;
  Probe<Sync>* added[2] = {nullptr, nullptr};
  int reads = 0;

  void before() {
    if (kScenario == Scenario::kP2Retire || kScenario == Scenario::kP4Remove ||
        kScenario == Scenario::kP4RemoveNoMem || kScenario == Scenario::kTP2LoadInside) {
      initial = new Probe<Sync>(1);
      typename Core::Batch b(core);
      b.Add(initial, 0);
      if (kScenario == Scenario::kP4RemoveNoMem) b.Add(new Probe<Sync>(2), 0);
      Core::Free(b.Commit());
    }
  }

  void GracePeriod() {
    Tt::WaitForReaders([this](auto&& f) { f(slot); });
  }

  void Retire(typename Core::Snapshot* old) {
    if (old == nullptr) return;
    if (HarnessMutant("h:free-before-gp")) {
      Core::Free(old);
      GracePeriod();
      return;
    }
    GracePeriod();
    if (HarnessMutant("h:leak")) return;
    Core::Free(old);
  }

  void Lock() {
    if (HarnessMutant("h:no-updater-lock")) return;
    mu.lock(GRACE_RL_HERE);
  }
  void Unlock() {
    if (Mutation::Label() != nullptr && std::strcmp(Mutation::Label(), "h:no-updater-lock") == 0)
      return;
    mu.unlock(GRACE_RL_HERE);
  }

  void Reader() {
    if (kScenario == Scenario::kTP2LoadInside && HarnessMutant("h:load-before-lock")) {
      const typename Core::Snapshot* s = core.Acquire();
      Tt::Lock(slot);
      rl::yield(1, GRACE_RL_HERE);
      Core::ForEach(s, [&](Probe<Sync>* const& p) { reads += p->v.get() == kPoison; });
      Tt::Unlock(slot);
      return;
    }
    Tt::Lock(slot);
    const typename Core::Snapshot* s = core.Acquire();
    rl::yield(1, GRACE_RL_HERE);  // preemption point between the load and the use
    Core::ForEach(s, [&](Probe<Sync>* const& p) {
      RL_ASSERT(p->v.get() != kPoison);
      ++reads;
    });
    if (!kStuckReader) Tt::Unlock(slot);
  }

  // Removes `p` (already unpublished or about to be), waits, poisons and frees its data.
  void RemoveAndFree(Probe<Sync>* p, bool fail_alloc) {
    Lock();
    if (fail_alloc) core.FailAllocationsForTesting(1);
    typename Core::Batch b(core);
    RL_ASSERT(b.Remove(p) == rcu_internal::PaResult::kOk);
    typename Core::Snapshot* old = b.Commit();
    Unlock();
    if (HarnessMutant("h:free-data-before-gp")) {
      p->v.set(kPoison);
      delete p;
      Retire(old);
      return;
    }
    Retire(old);                        // includes the grace period
    if (old == nullptr) GracePeriod();  // stub in place: nothing retired, still wait
    p->v.set(kPoison);
    delete p;
  }

  void Updater(int u) {
    switch (kScenario) {
      case Scenario::kP1Publish:
      case Scenario::kP2Retire:
      case Scenario::kP3Serialise: {
        auto* p = new Probe<Sync>(10 + u);
        added[u] = p;
        Lock();
        typename Core::Batch b(core);
        RL_ASSERT(b.Add(p, u) == rcu_internal::PaResult::kOk);
        typename Core::Snapshot* old = b.Commit();
        Unlock();
        Retire(old);
        break;
      }
      case Scenario::kP4Remove:
      case Scenario::kTP2LoadInside:
        RemoveAndFree(initial, false);
        initial = nullptr;
        break;
      case Scenario::kP4RemoveNoMem:
        RemoveAndFree(initial, true);
        initial = nullptr;
        break;
      case Scenario::kP5NoLeak: {
        for (int i = 0; i < 2; ++i) {
          auto* p = new Probe<Sync>(20 + i);
          added[i] = p;
          typename Core::Batch b(core);
          b.Add(p, 0);
          Retire(b.Commit());
        }
        break;
      }
      case Scenario::kTP1Churn: {
        auto* p = new Probe<Sync>(30);
        {
          typename Core::Batch b(core);
          b.Add(p, 0);
          Retire(b.Commit());
        }
        RemoveAndFree(p, false);
        break;
      }
      case Scenario::kTP4Enabled: {
        // Each updater adds its probe, then removes it if it is updater 0: final count 1.
        auto* p = new Probe<Sync>(40 + u);
        added[u] = p;
        Lock();
        {
          typename Core::Batch b(core);
          b.Add(p, 0);
          Core::Free(b.Commit());  // no readers in this scenario
        }
        Unlock();
        if (u == 0) {
          Lock();
          typename Core::Batch b(core);
          b.Remove(p);
          Core::Free(b.Commit());
          Unlock();
          delete p;
          added[u] = nullptr;
        }
        break;
      }
    }
  }

  void thread(unsigned index) {
    if (kScenario == Scenario::kTP4Enabled) {
      Updater(static_cast<int>(index));
      return;
    }
    if (index == 0) {
      Reader();
    } else {
      Updater(static_cast<int>(index) - 1);
    }
  }

  void after() {
    if (kScenario == Scenario::kP3Serialise) {
      int n = 0;
      Core::ForEach(core.Acquire(), [&](Probe<Sync>* const&) { ++n; });
      RL_ASSERT(n == 2);
    }
    if (kScenario == Scenario::kTP4Enabled) {
      int n = 0;
      Core::ForEach(core.Acquire(), [&](Probe<Sync>* const&) { ++n; });
      RL_ASSERT(n == 1);
      RL_ASSERT(core.LiveHint() == static_cast<uint32_t>(n));  // enabled == count > 0
    }
    // Free what is still published, and the probes.
    typename Core::Snapshot* s = core.ReleaseForDestruction();
    if (s != nullptr) {
      Core::ForEach(s, [&](Probe<Sync>* const& p) {
        if (p != added[0] && p != added[1] && p != initial) delete p;
      });
    }
    Core::Free(s);
    for (auto* p : added) delete p;
    delete initial;
    if (kVacuous) RL_ASSERT(false);
  }
};

// TP3: one probe's data reachable from both flavours (the same fn/data registered on a
// faultable and a non-faultable tracepoint). Two domains = two reader slots and two arrays;
// reader 0 reads in domain A, reader 1 in domain B (1U+2R). The updater removes the probe from
// both arrays, waits for a grace period of each domain (SynchronizeTracepointUnregister), then
// frees the old snapshots and poisons and frees the data. Harness mutant h:one-flavour: wait
// for domain A only.
template <class Sync>
struct TwoFlavourSuite : rl::test_suite<TwoFlavourSuite<Sync>, 3> {
  using Core = rcu_internal::ProbeArrayCore<Sync, Probe<Sync>*>;
  using Tt = rcu_internal::TasksTraceCore<Sync>;
  using Slot = rcu_internal::TtSlot<Sync>;

  Core core[2];
  Slot slot[2];
  Probe<Sync>* shared = nullptr;

  void before() {
    shared = new Probe<Sync>(1);
    for (Core& c : core) {
      typename Core::Batch b(c);
      b.Add(shared, 0);
      Core::Free(b.Commit());
    }
  }

  void thread(unsigned index) {
    if (index < 2) {
      Tt::Lock(slot[index]);
      const typename Core::Snapshot* s = core[index].Acquire();
      rl::yield(1, GRACE_RL_HERE);  // preemption point between the load and the use
      Core::ForEach(s, [&](Probe<Sync>* const& p) { RL_ASSERT(p->v.get() != kPoison); });
      Tt::Unlock(slot[index]);
      return;
    }
    typename Core::Snapshot* old[2];
    for (int i = 0; i < 2; ++i) {
      typename Core::Batch b(core[i]);
      RL_ASSERT(b.Remove(shared) == rcu_internal::PaResult::kOk);
      old[i] = b.Commit();
    }
    Tt::WaitForReaders([this](auto&& f) { f(slot[0]); });
    if (!HarnessMutant("h:one-flavour")) Tt::WaitForReaders([this](auto&& f) { f(slot[1]); });
    for (auto* o : old) Core::Free(o);
    shared->v.set(kPoison);
    delete shared;
    shared = nullptr;
  }

  void after() {
    for (Core& c : core) Core::Free(c.ReleaseForDestruction());
  }
};

// GRACE_MODELS_SLOW=1 adds the searches too long for tools/test (see models/README.md).
bool SlowSearches() {
  const char* v = std::getenv("GRACE_MODELS_SLOW");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

template <class Suite>
bool Full(const char* name, const char* mutant, Expect e) {
  return RunCheck<Suite>(name, mutant, e, rl::sched_full);
}
// Context bound 2, plus 100k random schedules for checks that must pass.
template <class Suite>
bool Bounded(const char* name, const char* mutant, Expect e) {
  return RunCheck<Suite>(name, mutant, e, rl::sched_bound, 0, 2) &&
         (e == Expect::kFail || RunCheck<Suite>(name, mutant, e, rl::sched_random, 100000));
}

template <class Sync>
int RunAll(const char* flavour) {
  std::printf("-- policy %s\n", flavour);
  int f = 0;
  using P1 = ProbeArraySuite<Sync, Scenario::kP1Publish, 2>;
  using P2 = ProbeArraySuite<Sync, Scenario::kP2Retire, 2>;
  using P3 = ProbeArraySuite<Sync, Scenario::kP3Serialise, 3>;
  using P4 = ProbeArraySuite<Sync, Scenario::kP4Remove, 2>;
  using P4n = ProbeArraySuite<Sync, Scenario::kP4RemoveNoMem, 2>;
  using P5 = ProbeArraySuite<Sync, Scenario::kP5NoLeak, 2>;
  using TP1 = ProbeArraySuite<Sync, Scenario::kTP1Churn, 2>;
  using TP2 = ProbeArraySuite<Sync, Scenario::kTP2LoadInside, 2>;
  using TP4 = ProbeArraySuite<Sync, Scenario::kTP4Enabled, 2>;

  f += !Full<P1>("P1 publish", nullptr, Expect::kPass);
  f += !Full<P1>("P1 publish", "pub:snap.rel", Expect::kFail);
  f += !Full<P1>("P1 publish", "pub:snap.acq", Expect::kFail);

  f += !Bounded<P2>("P2 retire after GP", nullptr, Expect::kPass);
  f += !Bounded<P2>("P2 retire after GP", "h:free-before-gp", Expect::kFail);
  f += !Bounded<P2>("P2 retire after GP", "tt:A", Expect::kFail);
  f += !Bounded<P2>("P2 retire after GP", "tt:B", Expect::kFail);

  f += !Bounded<P3>("P3 updaters serialise", nullptr, Expect::kPass);
  f += !Bounded<P3>("P3 updaters serialise", "h:no-updater-lock", Expect::kFail);

  f += !Bounded<P4>("P4 remove then free data", nullptr, Expect::kPass);
  // Exhaustive too, on request only: since models reach the futex sleep/wake path
  // (kSpinsBeforeSleep = 2) the full search of P4 outlasts the test's 300 s budget.
  if (SlowSearches() && std::strcmp(flavour, "membarrier") == 0) {
    f += !Full<P4>("P4 remove then free data (full search)", nullptr, Expect::kPass);
  }
  f += !Bounded<P4>("P4 remove then free data", "h:free-data-before-gp", Expect::kFail);
  f += !Bounded<P4>("P4 remove then free data", "tt:A", Expect::kFail);
  f += !Bounded<P4>("P4 remove then free data", "tt:B", Expect::kFail);
  f += !Bounded<P4n>("P4 remove, no memory (stub)", nullptr, Expect::kPass);
  f += !Bounded<P4n>("P4 remove, no memory (stub)", "h:free-data-before-gp", Expect::kFail);

  f += !Bounded<P5>("P5 no leak", nullptr, Expect::kPass);
  f += !Bounded<P5>("P5 no leak", "h:leak", Expect::kFail);

  f += !Bounded<TP1>("TP1 register/unregister/free", nullptr, Expect::kPass);
  f += !Bounded<TP1>("TP1 register/unregister/free", "h:free-data-before-gp", Expect::kFail);

  f += !Bounded<TP2>("TP2 array load inside read section", nullptr, Expect::kPass);
  f += !Bounded<TP2>("TP2 array load inside read section", "h:load-before-lock", Expect::kFail);

  f += !Bounded<TwoFlavourSuite<Sync>>("TP3 both flavours' readers", nullptr, Expect::kPass);
  f +=
      !Bounded<TwoFlavourSuite<Sync>>("TP3 both flavours' readers", "h:one-flavour", Expect::kFail);

  f += !Full<TP4>("TP4 enabled == count", nullptr, Expect::kPass);
  f += !Full<TP4>("TP4 enabled == count", "h:no-updater-lock", Expect::kFail);

  // Non-vacuity.
  f += !Bounded<ProbeArraySuite<Sync, Scenario::kP4Remove, 2, true>>("vacuity: assert(false)",
                                                                     nullptr, Expect::kFail);
  f += !Bounded<ProbeArraySuite<Sync, Scenario::kP4Remove, 2, false, true>>(
      "vacuity: reader never unlocks", nullptr, Expect::kFail);
  return f;
}

}  // namespace
}  // namespace models
}  // namespace grace

int main() {
  using namespace grace::models;
  int failures = RunAll<rl_sync>("membarrier") + RunAll<rl_sync_light_sc>("light-as-sc");
  std::printf("probe_array_model: %s (%d check(s) did not match)\n",
              failures == 0 ? "OK" : "FAILED", failures);
  return failures == 0 ? 0 : 1;
}
