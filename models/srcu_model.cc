// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// models/srcu_model: Relacy checks of rcu/internal/srcu_core.h, the template grace::Srcu and
// grace::SrcuFast instantiate (shared/models.md, suite S1-S6; issue "SRCU and SRCU-fast").
//
// Harness (every scenario): an updater replaces the object behind `gp` (exchange, release),
// waits for readers with the production SrcuCore::WaitForReaders(), poisons the old object's
// race-checked cell and deletes it. A reader locks, loads `gp` (acquire), gives the scheduler a
// preemption point (rl::ctx().sched(), because cell accesses are not preemption points), reads
// the cell (poison = 0 asserts; a read not ordered before the poison write is a DATA RACE; a
// read after delete is ACCESS TO FREED MEMORY), and unlocks.
//
//   S1  1U+1R, context bound 3                     mutants: no [B], no [C], wait on the new rank
//   S2  1U+2R, context bound 2 + random       mutants: no [A], sum locks before unlocks
//   S3  1U+1R, two updates, ctx bound + random  mutant: skip the pre-flip check
//   S4  1U+1R, after() asserts Σlocks == Σunlocks per rank   mutant: unlock re-reads idx_
//   S5  S1 with 8-bit counters starting at 255 (slot s at 255 - s) and the unlock counted in
//       another slot (token handed over), so counters wrap mid-run; mutant: sums compared in a
//       wider type (no modular arithmetic) -> the grace period never ends
//   S6  2 domains: a reader of A waits for the updater's grace period on B to end
//       mutant (harness): both domains share one counter set -> livelock
//   S7  1U+1R, no chunk allocated up front: the reader's first Lock() publishes its chunk while
//       the updater sums; mutant: [srcu:pub-chunk] relaxed -> uninitialised counters read
//   (The kernel's fences D and E around the flip are not in grace: with them as labels, S1, S2,
//   S3 and S5 passed with each removed, 2026-11-25; see srcu_core.h.)
//   Non-vacuity: RL_ASSERT(false) after the grace period fails; a reader that never unlocks
//   makes the grace period livelock.
//
// Every scenario runs for both flavours and under both Relacy readings of the asymmetric pair
// (membarrier = systemwide fence; light-as-seq_cst). Exit status 0 only if every check matched.

#include "models/rl_sync.h"
// Production headers after rl_sync.h.
#include "rcu/internal/srcu_core.h"

namespace grace {
namespace models {
namespace {

using rcu_internal::SrcuCore;
using rcu_internal::SrcuFlavor;
using rcu_internal::SrcuTraits;

// Tiny constants: one chunk of kSlots slots, allocated eagerly (lazy chunk allocation is
// covered by the unit tests, not here).
template <uint32_t kSlots>
struct ModelTraits : SrcuTraits {
  static constexpr uint32_t kSlotsPerChunk = kSlots;
  static constexpr uint32_t kMaxChunks = 1;
  // Relacy's heap instead of mmap, so the model sees the chunk's lifetime.
  static void* AllocateChunk(size_t bytes, bool) { return ::operator new(bytes); }
  static void FreeChunk(void* mem, size_t) { ::operator delete(mem); }
};
template <class B>
struct SumLocksFirst : B {
  static constexpr bool kSumUnlocksFirst = false;
};
template <class B>
struct NoPreFlipCheck : B {
  static constexpr bool kPreFlipCheck = false;
};
template <class B>
struct WaitOnNewIndex : B {
  static constexpr bool kWaitOnOldIndex = false;
};
template <class B>
struct UnlockRereadsIdx : B {
  static constexpr bool kUnlockUsesToken = false;
};
template <class B>
struct Narrow : B {
  using Counter = uint8_t;
};
template <class B>
struct WideSums : B {
  static constexpr bool kModularSums = false;
};

enum Flags : unsigned {
  kVacuous = 1,      // RL_ASSERT(false) after the last grace period
  kNeverUnlock = 2,  // readers never unlock
  kCrossSlot = 4,    // unlock counts in another slot (token handed to another thread)
  kBalance = 8,      // after(): Σlocks == Σunlocks for each rank
  kLazyChunk = 16,   // no chunk allocated up front: the reader's first Lock() publishes it
};

template <class Sync>
struct Obj {
  typename Sync::template cell<int> val;
};

template <class Sync, SrcuFlavor F, class Traits, int kReaders, int kUpdates, unsigned kFlags,
          uint64_t kBase = 0>
struct Gp : rl::test_suite<Gp<Sync, F, Traits, kReaders, kUpdates, kFlags, kBase>, 1 + kReaders> {
  using Core = SrcuCore<Sync, F, Traits>;
  Core* core = nullptr;
  typename Sync::template atomic<Obj<Sync>*> gp;

  void before() {
    core = new Core(static_cast<typename Core::Counter>(kBase),
                    /*eager_chunks=*/(kFlags & kLazyChunk) ? 0 : 1);
    auto* o = new Obj<Sync>;
    o->val.set(1);
    gp.store(o, std::memory_order_relaxed);
  }

  void thread(unsigned index) {
    if (index == 0) {
      for (int u = 0; u < kUpdates; ++u) {
        auto* fresh = new Obj<Sync>;
        fresh->val.set(2 + u);
        Obj<Sync>* old = gp.exchange(fresh, std::memory_order_acq_rel);
        core->WaitForReaders([](uint32_t) { Sync::spin(); });
        old->val.set(0);  // poison: races with any read not ordered before it
        delete old;
      }
      if (kFlags & kVacuous) RL_ASSERT(false);
    } else {
      const uint32_t slot = index - 1;
      const uint32_t idx = core->Lock(slot);
      Obj<Sync>* p = gp.load(std::memory_order_acquire);
      rl::ctx().sched();
      RL_ASSERT(p->val.get() != 0);
      if (!(kFlags & kNeverUnlock)) {
        core->Unlock((kFlags & kCrossSlot) ? slot + kReaders : slot, idx);
      }
    }
  }

  void after() {
    if (kFlags & kBalance) {
      for (uint32_t i = 0; i < 2; ++i) RL_ASSERT(core->SumLocks(i) == core->SumUnlocks(i));
    }
    delete gp.load(std::memory_order_relaxed);
    delete core;
  }
};

// S6: a reader of domain A stays inside until the updater's grace period on domain B ended.
template <class Sync, SrcuFlavor F, bool kShared>
struct Independent : rl::test_suite<Independent<Sync, F, kShared>, 2> {
  using Core = SrcuCore<Sync, F, ModelTraits<1>>;
  Core* a = nullptr;
  Core* b = nullptr;
  typename Sync::template atomic<int> done;

  void before() {
    a = new Core(0, 1);
    b = kShared ? a : new Core(0, 1);
    done.store(0, std::memory_order_relaxed);
  }
  void thread(unsigned index) {
    if (index == 0) {
      b->WaitForReaders([](uint32_t) { Sync::spin(); });
      done.store(1, std::memory_order_release);
    } else {
      const uint32_t idx = a->Lock(0);
      while (done.load(std::memory_order_acquire) == 0) Sync::spin();
      a->Unlock(0, idx);
    }
  }
  void after() {
    if (!kShared) delete b;
    delete a;
  }
};

// Full search of these 2-thread scenarios did not finish in 7 minutes (the production code has
// ~12 preemption points per reader and ~16 per grace period), so 2-thread scenarios use context
// bound 3 and 3-thread ones context bound 2, each plus random runs for the passing checks.
constexpr auto kBound = rl::sched_bound;
constexpr auto kRandom = rl::sched_random;
constexpr int kRandomIterations = 200000;

// `light_modelled`: the policy gives light barriers an effect (light-as-seq_cst). Under the
// membarrier reading a light barrier is a compiler barrier, which Relacy cannot express
// (program order is always kept), so SrcuFast's [B]/[C] mutants are run under light-as-sc only.
template <class Sync, SrcuFlavor F>
int RunFlavour(const std::string& tag, bool light_modelled) {
  using T1 = ModelTraits<1>;
  using T2 = ModelTraits<2>;
  using Core = SrcuCore<Sync, F, T1>;
  const char* A = Core::kLabelA;
  const char* B = Core::kLabelB;
  const char* C = Core::kLabelC;
  int bad = 0;
  auto name = [&](const char* s) {
    static std::string storage[64];
    static int n = 0;
    storage[n % 64] = std::string(s) + "/" + tag;
    return storage[n++ % 64].c_str();
  };

  // S1: 1U+1R, full search.
  using S1 = Gp<Sync, F, T1, 1, 1, 0>;
  bad += !RunCheck<S1>(name("S1"), nullptr, Expect::kPass, kBound, 0, 3);
  if (F == SrcuFlavor::kClassic || light_modelled) {
    bad += !RunCheck<S1>(name("S1"), B, Expect::kFail, kBound, 0, 3);
    bad += !RunCheck<S1>(name("S1"), C, Expect::kFail, kBound, 0, 3);
  }
  bad += !RunCheck<Gp<Sync, F, WaitOnNewIndex<T1>, 1, 1, 0>>(name("S1 mutant wait-on-new-rank"),
                                                             nullptr, Expect::kFail, kBound, 0, 3);
  // Non-vacuity.
  bad += !RunCheck<Gp<Sync, F, T1, 1, 1, kVacuous>>(name("S1 vacuity assert(false)"), nullptr,
                                                    Expect::kFail, kBound, 0, 3);
  bad += !RunCheck<Gp<Sync, F, T1, 1, 1, kNeverUnlock>>(name("S1 vacuity never-unlock"), nullptr,
                                                        Expect::kFail, kBound, 0, 3);

  // S2: 1U+2R, context bound 2 plus random.
  using S2 = Gp<Sync, F, T2, 2, 1, 0>;
  bad += !RunCheck<S2>(name("S2"), nullptr, Expect::kPass, kBound, 0, 2);
  bad += !RunCheck<S2>(name("S2 random"), nullptr, Expect::kPass, kRandom, kRandomIterations);
  bad += !RunCheck<S2>(name("S2"), A, Expect::kFail, kBound, 0, 2);
  bad += !RunCheck<Gp<Sync, F, SumLocksFirst<T2>, 2, 1, 0>>(name("S2 mutant sum-locks-first"),
                                                            nullptr, Expect::kFail, kBound, 0, 2);

  // S3: two updates, the straggler.
  using S3 = Gp<Sync, F, T1, 1, 2, 0>;
  bad += !RunCheck<S3>(name("S3"), nullptr, Expect::kPass, kBound, 0, 2);
  bad += !RunCheck<S3>(name("S3 random"), nullptr, Expect::kPass, kRandom, kRandomIterations);
  bad += !RunCheck<Gp<Sync, F, NoPreFlipCheck<T1>, 1, 2, 0>>(name("S3 mutant no-pre-flip-check"),
                                                             nullptr, Expect::kFail, kBound, 0, 2);

  // S4: balance per rank.
  bad +=
      !RunCheck<Gp<Sync, F, T1, 1, 1, kBalance>>(name("S4"), nullptr, Expect::kPass, kBound, 0, 3);
  bad += !RunCheck<Gp<Sync, F, UnlockRereadsIdx<T1>, 1, 1, kBalance>>(
      name("S4 mutant unlock-rereads-idx"), nullptr, Expect::kFail, kBound, 0, 3);

  // S5: wrap (8-bit counters at 255, unlock in another slot).
  bad += !RunCheck<Gp<Sync, F, Narrow<T2>, 1, 1, kCrossSlot | kBalance, 255>>(
      name("S5 wrap"), nullptr, Expect::kPass, kBound, 0, 3);
  bad += !RunCheck<Gp<Sync, F, WideSums<Narrow<T2>>, 1, 1, kCrossSlot, 255>>(
      name("S5 mutant wide-sums"), nullptr, Expect::kFail, kBound, 0, 3);

  // S7: the chunk of counters is published by the reader's first Lock() while the updater
  // sums: the updater must see it initialised ([pub-chunk] release/acquire).
  using S7 = Gp<Sync, F, T1, 1, 1, kLazyChunk>;
  bad += !RunCheck<S7>(name("S7 lazy chunk"), nullptr, Expect::kPass, kBound, 0, 3);
  bad += !RunCheck<S7>(name("S7 lazy chunk"), Core::kLabelChunk, Expect::kFail, kBound, 0, 3);

  // S6: independent domains.
  bad += !RunCheck<Independent<Sync, F, false>>(name("S6"), nullptr, Expect::kPass, kBound, 0, 3);
  bad += !RunCheck<Independent<Sync, F, true>>(name("S6 mutant shared-counters"), nullptr,
                                               Expect::kFail, kBound, 0, 3);
  return bad;
}

// S8: slot hand-over. Two threads claim a slot, update data only the slot's holder writes (a
// plain cell standing for the owner's counter increments), and release it; when the second
// claims after the first released, it gets the same slot and must see the first's write.
template <class Sync>
struct SlotHandover : rl::test_suite<SlotHandover<Sync>, 2> {
  using Bitmap = rcu_internal::SrcuSlotBitmap<Sync, 64>;
  Bitmap* slots = nullptr;
  typename Sync::template cell<int> owned[64];

  void before() {
    slots = new Bitmap;
    for (auto& c : owned) c.set(0);
  }
  void thread(unsigned) {
    const uint32_t s = slots->Claim();
    RL_ASSERT(s < 64);
    owned[s].set(owned[s].get() + 1);
    slots->Release(s);
  }
  void after() {
    int total = 0;
    for (auto& c : owned) total += c.get();
    RL_ASSERT(total == 2);
    delete slots;
  }
};

template <class Sync>
int RunPolicy(const char* policy, bool light_modelled) {
  std::printf("-- policy %s\n", policy);
  const std::string s8 = std::string("S8 slot hand-over/") + policy;
  return RunFlavour<Sync, SrcuFlavor::kClassic>(std::string("srcu/") + policy, light_modelled) +
         RunFlavour<Sync, SrcuFlavor::kFast>(std::string("srcu-fast/") + policy, light_modelled) +
         !RunCheck<SlotHandover<Sync>>(s8.c_str(), nullptr, Expect::kPass, rl::sched_full) +
         !RunCheck<SlotHandover<Sync>>(s8.c_str(), "srcu:slot", Expect::kFail, rl::sched_full);
}

}  // namespace
}  // namespace models
}  // namespace grace

int main() {
  using namespace grace::models;
  int bad =
      RunPolicy<rl_sync>("membarrier", false) + RunPolicy<rl_sync_light_sc>("light-as-sc", true);
  std::printf("srcu_model: %s (%d check(s) did not match)\n", bad == 0 ? "OK" : "FAILED", bad);
  return bad == 0 ? 0 : 1;
}
