// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// rcu/internal/srcu_core.h: the SRCU reader/updater algorithm, a template over the Sync policy
// (rcu/sync.h). grace::Srcu and grace::SrcuFast (rcu/srcu.h) are its std_sync instantiations;
// models/srcu_model.cc instantiates this very template with the Relacy policy.
//
// Glossary: `idx` the counter rank (0 or 1) a read section counts itself in; `slot` a per-thread
// shard of counters (dense small integer, see rcu/srcu.cc); `flip` switching the rank new readers
// use; `check` one "are rank i's readers gone?" test.
//
// The algorithm (overview and ordering argument: rcu/srcu.cc):
//
//   lock(slot):    i = idx_ & 1;  slot.locks[i] += 1;  [B];  return i
//   unlock(slot, i):              [C];  slot.unlocks[i] += 1
//   check(i):      u = Σ unlocks[i];  [A];  l = Σ locks[i];  return l == u  (mod 2^bits)
//   wait:          while (!check(!cur)) wait;  idx_ = cur + 1;  while (!check(cur)) wait
//
//   Srcu     (kClassic): B, C, A are seq_cst fences.
//   SrcuFast (kFast):    B, C are light barriers (compiler barriers); A is the heavy barrier
//                        (membarrier), which makes every running reader execute a full barrier
//                        wherever it is.
//
//   No barrier around the flip. The kernel's SRCU has two there (its D and E), to bound how
//   many readers can still count themselves in the old rank after the flip, which its wrap
//   argument for 32-bit counters needs. Here counters are 64-bit and the check is exact unless
//   2^64 increments happen between its two sums (rcu/srcu.cc, "Counter wrap"); a reader that
//   reads a stale rank only makes a check retry. models/srcu_model ran S1, S2, S3 and S5 with
//   each of those fences removed (2026-11-25): all passed, so they are not here.
//
// Slot layout (one cache line; the counters are written only by the thread that owns the slot,
// so an increment is Sync::owner_increment(): one unlocked add instruction on x86-64, atomic
// with respect to a signal handler on the same thread, not a locked RMW; `held` is written by
// any thread, debug builds only):
//
//   byte 0        8         16          24          32      36             64
//   +-------------+---------+-----------+-----------+-------+--------------+
//   | locks[0]    | locks[1]| unlocks[0]| unlocks[1]| held  |   padding    |
//   +-------------+---------+-----------+-----------+-------+--------------+
//
// Index word idx_ (uint32_t):  bits 31..1: number of flips (mod 2^31)  bit 0: rank new readers use.
// Only its low bit is ever interpreted, so it may wrap freely.
//
// Traits select the counter width and, for the models only, statement-order mutants. Every
// trait is a compile-time constant read with `if constexpr`, so production (SrcuTraits) pays
// nothing for them.

#ifndef GRACE_RCU_INTERNAL_SRCU_CORE_H_
#define GRACE_RCU_INTERNAL_SRCU_CORE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>

#include "rcu/internal/check.h"
#include "rcu/sync.h"

namespace grace {
namespace rcu_internal {

enum class SrcuFlavor {
  kClassic,  // grace::Srcu: fences on the read side
  kFast,     // grace::SrcuFast: compiler barriers on the read side, membarrier on the update side
};

// Production traits. The models derive from it and change one member at a time.
struct SrcuTraits {
  // Per-slot counter type. Sums are taken modulo 2^bits (see "Counter wrap" in rcu/srcu.cc).
  using Counter = uint64_t;
  // Slots per lazily allocated chunk, and chunks per domain: 64 x 128 = 8192 threads that use
  // SRCU at the same time (slots of exited threads are reused).
  static constexpr uint32_t kSlotsPerChunk = 64;
  static constexpr uint32_t kMaxChunks = 128;

  // Statement-order choices. Each `false` is a mutant the models must catch.
  static constexpr bool kSumUnlocksFirst = true;  // check(): Σunlocks, [A], Σlocks
  static constexpr bool kPreFlipCheck = true;     // wait for rank !cur before the flip
  static constexpr bool kWaitOnOldIndex = true;   // after the flip, wait for rank cur (old)
  static constexpr bool kUnlockUsesToken = true;  // unlock counts in the rank lock used
  static constexpr bool kModularSums = true;      // sums wrap like the counters

  // Chunk memory (one page: 64 slots of 64 bytes). `may_block` is false when a reader maps
  // its chunk on first use, possibly in a signal handler: then only mmap, which is
  // async-signal-safe. Domain construction passes true and may reuse a page a destroyed
  // domain gave back (rcu/srcu.cc keeps up to 1024 of them): munmap makes the kernel
  // interrupt every CPU the process ran on (TLB shootdown), which costs as much as the rest
  // of a domain's creation and destruction together.
  static void* AllocateChunk(size_t bytes, bool may_block) noexcept;
  static void FreeChunk(void* mem, size_t bytes) noexcept;
};

template <class Sync, SrcuFlavor kFlavor, class Traits = SrcuTraits>
class SrcuCore {
 public:
  using Counter = typename Traits::Counter;
  // The type sums are compared in: the counter type (modular), or, for the S5 mutant, a wider
  // type that does not wrap where the counters do.
  using Sum = std::conditional_t<Traits::kModularSums, Counter, uint64_t>;
  static constexpr uint32_t kSlotsPerChunk = Traits::kSlotsPerChunk;
  static constexpr uint32_t kMaxSlots = Traits::kSlotsPerChunk * Traits::kMaxChunks;

  static_assert(std::is_unsigned<Counter>::value, "counters rely on modular arithmetic");

  // Labels (shared/style.md rule 4). Srcu and SrcuFast have separate names so a model mutant
  // says which variant lost which barrier.
  static constexpr bool kFast = kFlavor == SrcuFlavor::kFast;
  static constexpr SyncLabel kLabelA = kFast ? "srcuf:A" : "srcu:A";
  static constexpr SyncLabel kLabelB = kFast ? "srcuf:B" : "srcu:B";
  static constexpr SyncLabel kLabelC = kFast ? "srcuf:C" : "srcu:C";
  static constexpr SyncLabel kLabelChunk = "srcu:pub-chunk";

  struct alignas(64) Slot {
    typename Sync::template atomic<Counter> locks[2];
    typename Sync::template atomic<Counter> unlocks[2];
    // Debug builds: read sections begun by this slot's thread and not yet ended (wherever the
    // token is unlocked). Used only to refuse Synchronize() inside a read section.
    typename Sync::template atomic<int32_t> held;
  };

  struct Chunk {
    Slot slots[Traits::kSlotsPerChunk];
  };

  // `base`: the value every counter starts at, minus the slot number (so different slots wrap
  // at different moments). 0 in production; near the maximum in the wrap tests and models.
  explicit SrcuCore(Counter base = 0, uint32_t eager_chunks = 0) noexcept : base_(base) {
    idx_.store(0, std::memory_order_relaxed);
    for (uint32_t c = 0; c < Traits::kMaxChunks; ++c) {
      chunks_[c].store(c < eager_chunks ? NewChunk(c, /*may_block=*/true) : nullptr,
                       std::memory_order_relaxed);
    }
  }

  ~SrcuCore() {
    for (uint32_t c = 0; c < Traits::kMaxChunks; ++c) {
      DeleteChunk(chunks_[c].load(std::memory_order_relaxed));
    }
  }

  // Forgets every chunk without freeing it: for a domain destroyed with readers inside
  // (release builds leak the counters rather than free them under a reader).
  void LeakChunks() noexcept {
    for (uint32_t c = 0; c < Traits::kMaxChunks; ++c) {
      chunks_[c].store(nullptr, std::memory_order_relaxed);
    }
  }

  SrcuCore(const SrcuCore&) = delete;
  SrcuCore& operator=(const SrcuCore&) = delete;

  // Begins a read section counted in `slot` (owned by the calling thread). Returns the rank.
  __attribute__((always_inline)) uint32_t Lock(uint32_t slot) noexcept {
    Slot& s = SlotFor(slot);
    const uint32_t idx = idx_.load(std::memory_order_relaxed) & 1;
    Bump(s.locks[idx]);
    // [B] pairs with [A]. Store buffering: the lock count above against the
    // updater's unlink before its check. Either the check counts this reader (and waits for
    // it), or this reader's loads below see the unlink. Without it: the reader loads a pointer
    // the updater has already freed.
    ReaderBarrier(kLabelB);
    if constexpr (Sync::kTsan) Sync::tsan_acquire(&idx_, kLabelB);  // [B] for TSan: see rcu/srcu.cc
    return idx;
  }

  // Ends a read section begun with rank `idx` (the token's), counted in `slot`, which is the
  // calling thread's slot: it need not be the one Lock() used (unlock on another thread).
  __attribute__((always_inline)) void Unlock(uint32_t slot, uint32_t idx) noexcept {
    if constexpr (Sync::kTsan) Sync::tsan_release(&idx_, kLabelC);  // [C] for TSan
    // [C] pairs with [A]. The read section's accesses happen before the unlock
    // count the updater reads before [A]. Without it: a load of the read section could be
    // satisfied after the updater saw the unlock and freed the object (use after free), and a
    // counted unlock would not imply a counted lock.
    ReaderBarrier(kLabelC);
    if constexpr (!Traits::kUnlockUsesToken) idx = idx_.load(std::memory_order_relaxed) & 1;
    Bump(SlotFor(slot).unlocks[idx & 1]);
  }

  // One grace period's worth of waiting: returns once every read section that began before
  // the call has ended, and each one's accesses happen before the return. Callers serialise
  // (one updater at a time); `wait(n)` is called between unsuccessful checks (n counts them).
  template <class Wait>
  void WaitForReaders(Wait&& wait) noexcept {
    const uint32_t cur = idx_.load(std::memory_order_relaxed);  // written only by updaters
    if constexpr (Traits::kPreFlipCheck) {
      // A reader that loaded idx_ before the previous flip may only now count itself in rank
      // !cur. Wait for it first, so the flip below cannot leave it behind (models S3).
      for (uint32_t n = 0; !Drained((cur ^ 1) & 1); ++n) wait(n);
    }
    Flip(cur);
    const uint32_t old = Traits::kWaitOnOldIndex ? (cur & 1) : ((cur + 1) & 1);
    for (uint32_t n = 0; !Drained(old); ++n) wait(n);
  }

  // check(i): true if rank `idx` had no reader at some instant during the call.
  bool Drained(uint32_t idx) noexcept {
    const Sum first = Traits::kSumUnlocksFirst ? SumUnlocks(idx) : SumLocks(idx);
    // [A] pairs with [B] and [C]. With [C]: every unlock counted above had its lock counted
    // below, and its read section happens before our return. With [B]: a lock the sum below
    // misses belongs to a reader that sees every store this updater made before the call.
    // Without it: the sums can match while a reader is inside (too-short grace period).
    UpdaterBarrier(kLabelA);
    const Sum second = Traits::kSumUnlocksFirst ? SumLocks(idx) : SumUnlocks(idx);
    if constexpr (Sync::kTsan) {
      Sync::tsan_acquire(&idx_, kLabelA);  // [A] for TSan: readers' [C] releases
      Sync::tsan_release(&idx_, kLabelA);  // [A] for TSan: to readers' [B] acquires
    }
    return first == second;
  }

  // True if neither rank has a reader (destructor checks; racy unless updaters are quiet).
  bool Idle() noexcept { return Drained(0) && Drained(1); }

  Sum SumLocks(uint32_t idx) noexcept { return SumOf(idx, &Slot::locks); }
  Sum SumUnlocks(uint32_t idx) noexcept { return SumOf(idx, &Slot::unlocks); }

  // Net read sections counted by `slot` itself (its locks minus its unlocks): the depth of the
  // owning thread's read sections if it does not hand tokens to other threads. Owner only.
  int64_t NetInSlot(uint32_t slot) noexcept {
    Slot& s = SlotFor(slot);
    Counter net = 0;
    for (int i = 0; i < 2; ++i) {
      net = static_cast<Counter>(net + s.locks[i].load(std::memory_order_relaxed) -
                                 s.unlocks[i].load(std::memory_order_relaxed));
    }
    return static_cast<int64_t>(static_cast<std::make_signed_t<Counter>>(net));
  }

  Slot& SlotFor(uint32_t slot) noexcept {
    Chunk* c = chunks_[slot / kSlotsPerChunk].load(
        Sync::order(kLabelChunk, std::memory_order_acquire));  // [pub-chunk]
    if (__builtin_expect(c == nullptr, 0)) c = AddChunk(slot / kSlotsPerChunk);
    return c->slots[slot % kSlotsPerChunk];
  }

  uint32_t flips() noexcept { return idx_.load(std::memory_order_relaxed); }

  // Bytes of counter memory held: the page-pointer table plus every mapped chunk.
  size_t MappedBytes() noexcept {
    size_t bytes = sizeof(chunks_);
    for (uint32_t c = 0; c < Traits::kMaxChunks; ++c) {
      if (chunks_[c].load(std::memory_order_relaxed) != nullptr) bytes += sizeof(Chunk);
    }
    return bytes;
  }

 private:
  using CounterArray = typename Sync::template atomic<Counter>[2];

  __attribute__((always_inline)) static void Bump(
      typename Sync::template atomic<Counter>& c) noexcept {
    // Single writer (the slot's owner), but a signal handler on the owner may lock and unlock
    // between a load and a store: owner_increment() is one instruction, atomic against that.
    Sync::owner_increment(c);
  }

  static void ReaderBarrier(SyncLabel label) noexcept {
    if constexpr (kFast) {
      Sync::light_barrier(label);
    } else {
      Sync::fence(label, std::memory_order_seq_cst);
    }
  }

  static void UpdaterBarrier(SyncLabel label) noexcept {
    if constexpr (kFast) {
      Sync::heavy_barrier(label);
    } else {
      Sync::fence(label, std::memory_order_seq_cst);
    }
  }

  void Flip(uint32_t cur) noexcept {
    // Relaxed: no barrier is needed around the flip (see the file comment). Readers that load
    // the old rank after it are waited for by this grace period's second check, or by the next
    // grace period's pre-flip check.
    idx_.store(cur + 1, std::memory_order_relaxed);
  }

  Sum SumOf(uint32_t idx, CounterArray Slot::*which) noexcept {
    Sum sum = 0;
    for (uint32_t c = 0; c < Traits::kMaxChunks; ++c) {
      Chunk* ch = chunks_[c].load(Sync::order(kLabelChunk, std::memory_order_acquire));
      if (ch == nullptr) continue;  // chunks are allocated on demand, not in order
      for (uint32_t s = 0; s < kSlotsPerChunk; ++s) {
        sum = static_cast<Sum>(sum + (ch->slots[s].*which)[idx].load(std::memory_order_relaxed));
      }
    }
    return sum;
  }

  Chunk* NewChunk(uint32_t c, bool may_block) noexcept {
    Chunk* chunk = new (Traits::AllocateChunk(sizeof(Chunk), may_block)) Chunk;
    for (uint32_t s = 0; s < kSlotsPerChunk; ++s) {
      const Counter start = static_cast<Counter>(base_ - (c * kSlotsPerChunk + s));
      for (int i = 0; i < 2; ++i) {
        chunk->slots[s].locks[i].store(start, std::memory_order_relaxed);
        chunk->slots[s].unlocks[i].store(start, std::memory_order_relaxed);
      }
      chunk->slots[s].held.store(0, std::memory_order_relaxed);
    }
    return chunk;
  }

  // First use of a chunk by any thread: allocate and publish it. A reader allocates here once
  // per domain and slot range, never again.
  __attribute__((noinline, cold)) Chunk* AddChunk(uint32_t c) noexcept {
    GRACE_CHECK(c < Traits::kMaxChunks, "grace::Srcu: more threads than slots");
    Chunk* fresh = NewChunk(c, /*may_block=*/false);
    Chunk* expected = nullptr;
    // [pub-chunk] release: the counters' initial values, to SlotFor()/SumOf() acquire loads.
    if (chunks_[c].compare_exchange_strong(expected, fresh,
                                           Sync::order(kLabelChunk, std::memory_order_acq_rel),
                                           std::memory_order_acquire)) {
      return fresh;
    }
    DeleteChunk(fresh);
    return expected;
  }

  static void DeleteChunk(Chunk* chunk) noexcept {
    if (chunk == nullptr) return;
    chunk->~Chunk();
    Traits::FreeChunk(chunk, sizeof(Chunk));
  }

  const Counter base_;
  typename Sync::template atomic<uint32_t> idx_;
  typename Sync::template atomic<Chunk*> chunks_[Traits::kMaxChunks];
};

// Thread slot numbers: bit s set while slot s belongs to a live thread. Claim() takes the
// lowest clear bit with a compare-and-swap, Release() clears it; both lock-free and
// async-signal-safe (no allocation, no lock). A slot's counters have one writer at a time: the
// thread that holds the slot. rcu/srcu.cc keeps one process-wide instance; models/srcu_model
// checks the hand-over (S8).
template <class Sync, uint32_t kSlots>
class SrcuSlotBitmap {
 public:
  static constexpr uint32_t kWords = kSlots / 64;
  static_assert(kSlots % 64 == 0, "whole words");

  // Production instances are globals: static storage is zero before any code runs, and the
  // constructor must not write (another translation unit's static initialiser may already
  // have claimed a slot). Model atomics need their initial store.
  SrcuSlotBitmap() noexcept {
    if constexpr (Sync::kIsModel) {
      for (uint32_t w = 0; w < kWords; ++w) bits_[w].store(0, std::memory_order_relaxed);
    }
  }

  // Returns the claimed slot, or kSlots if every slot is taken.
  uint32_t Claim() noexcept {
    for (uint32_t w = 0; w < kWords; ++w) {
      uint64_t bits = bits_[w].load(std::memory_order_relaxed);
      while (bits != ~uint64_t{0}) {
        const int b = __builtin_ctzll(~bits);
        // [srcu:slot] acquire: pairs with Release() by the slot's previous owner, so this
        // thread's counter increments continue from that owner's last values.
        if (bits_[w].compare_exchange_weak(bits, bits | (uint64_t{1} << b),
                                           Sync::order("srcu:slot", std::memory_order_acquire),
                                           std::memory_order_relaxed)) {
          return w * 64 + static_cast<uint32_t>(b);
        }
      }
    }
    return kSlots;
  }

  void Release(uint32_t slot) noexcept {
    // [srcu:slot] release: pairs with the next owner's Claim(); this thread's increments happen
    // before that owner's.
    bits_[slot / 64].fetch_and(~(uint64_t{1} << (slot % 64)),
                               Sync::order("srcu:slot", std::memory_order_release));
  }

  // fork() child: only `keep` (a slot, or kSlots for none) stays claimed.
  void ResetKeeping(uint32_t keep) noexcept {
    for (uint32_t w = 0; w < kWords; ++w) {
      const uint64_t bit = keep < kSlots && keep / 64 == w ? uint64_t{1} << (keep % 64) : 0;
      bits_[w].store(bit, std::memory_order_relaxed);
    }
  }

 private:
  typename Sync::template atomic<uint64_t> bits_[kWords];
};

static_assert(sizeof(SrcuCore<std_sync, SrcuFlavor::kClassic>::Slot) == 64,
              "one slot per cache line (see the layout diagram)");

}  // namespace rcu_internal
}  // namespace grace

#endif  // GRACE_RCU_INTERNAL_SRCU_CORE_H_
