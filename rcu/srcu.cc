// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// Srcu and SrcuFast: thread slots, domains and grace periods.
//
// Overview, in the order things happen:
//   1. A thread's first lock() of any domain claims a slot number: the lowest clear bit of a
//      process-wide bitmap, set with a compare-and-swap (lock-free, no malloc:
//      async-signal-safe). The number is kept in the initial-exec thread_local
//      `srcu_slot_plus1` and in a pthread key whose destructor clears the bit at thread exit.
//      A slot of an exited thread is reused by the next new thread; its counters continue from
//      where they were (only sums matter).
//   2. lock()/unlock() increment that slot's counters in the domain (srcu_core.h), mapping the
//      page of 64 slots on the domain's first use by a thread of that page.
//   3. A grace period (GpEngine, gp_engine.h) calls SrcuCore::WaitForReaders(): wait for the
//      rank new readers do not use to drain, flip the rank, wait for the old rank to drain.
//      Between unsuccessful checks WaitStep() spins, then yields, then sleeps (10 us doubling
//      to 1 ms); SynchronizeExpedited() makes every wait step of the domain spin or yield.
//
// Ordering of the slot hand-over between threads: [srcu:slot] below. Ordering of the read and
// update sides: SrcuCore.
//
// Counter wrap. Counters are 64-bit and compared modulo 2^64: a rank's check compares the sum
// of unlocks with the sum of locks, both wrapping the same way, so equality is exact unless
// 2^64 increments of that rank happen between the two sums of one check. (Readers that still
// count themselves in the old rank after a flip cannot make the sums equal falsely: a lock
// after the unlock sum and before the lock sum makes the lock sum larger; they only make the
// check retry, and the pre-flip check of the next grace period waits for them.) At one
// increment per nanosecond per thread, 8192 threads need 2^64 / 8192e9 s = 26 days *inside
// one check* (a few microseconds) to wrap: impossible. tests/srcu_test starts the counters 16
// below 2^64 to exercise the wrap itself.

#include "rcu/srcu.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>

#include "rcu/internal/check.h"
#include "rcu/internal/gp_engine.h"

namespace grace {
namespace rcu_internal {

ABSL_CONST_INIT thread_local uint32_t srcu_slot_plus1 __attribute__((tls_model("initial-exec"))) =
    0;

namespace {

constexpr uint32_t kMaxSlots = SrcuCore<std_sync, SrcuFlavor::kClassic>::kMaxSlots;
SrcuSlotBitmap<std_sync, kMaxSlots> g_slots;

pthread_key_t g_slot_key;
pthread_once_t g_slot_key_once = PTHREAD_ONCE_INIT;

void ReleaseSlot(uint32_t slot) { g_slots.Release(slot); }

uint32_t ClaimSlot() {
  const uint32_t slot = g_slots.Claim();
  GRACE_CHECK(slot < kMaxSlots,
              "grace::Srcu: more than 8192 threads alive at once use SRCU domains");
  return slot;
}

void OnThreadExit(void* arg) {
  const auto plus1 = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(arg));
  if (srcu_slot_plus1 == plus1) srcu_slot_plus1 = 0;
  ReleaseSlot(plus1 - 1);
}

// fork() child: only the forking thread exists; every other slot is free again.
void AtForkChild() {
  const uint32_t mine = srcu_slot_plus1;
  g_slots.ResetKeeping(mine == 0 ? kMaxSlots : mine - 1);
}

void CreateSlotKey() {
  int err = pthread_key_create(&g_slot_key, &OnThreadExit);
  if (err != 0) GRACE_DIE_ERRNO("pthread_key_create", err);
  err = pthread_atfork(nullptr, nullptr, &AtForkChild);
  if (err != 0) GRACE_DIE_ERRNO("pthread_atfork", err);
}

// Create the key at start-up so a first read in a signal handler finds it ready.
const bool g_slot_key_ready = (pthread_once(&g_slot_key_once, &CreateSlotKey), true);

std::atomic<uint32_t> g_next_tag{1};

uint64_t NewTagBits() {
  uint32_t tag;
  do {
    tag = g_next_tag.fetch_add(1, std::memory_order_relaxed);
  } while (tag == 0);
  return uint64_t{tag} << 32;
}

}  // namespace

namespace {

// Pages given back by destroyed domains, for the next domains' first chunk.
struct ChunkCache {
  std::mutex mu;
  std::vector<void*> pages;  // capacity reserved up front: push_back never allocates
  ChunkCache() { pages.reserve(kMaxCachedChunks); }
  static constexpr size_t kMaxCachedChunks = 1024;
};

ChunkCache& Cache() {
  static ChunkCache* cache = new ChunkCache;
  return *cache;
}

}  // namespace

void* SrcuTraits::AllocateChunk(size_t bytes, bool may_block) noexcept {
  if (may_block) {
    ChunkCache& cache = Cache();
    std::lock_guard<std::mutex> lock(cache.mu);
    if (!cache.pages.empty()) {
      void* page = cache.pages.back();
      cache.pages.pop_back();
      return page;
    }
  }
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) GRACE_DIE_ERRNO("mmap(Srcu counter page)", errno);
  return mem;
}

void SrcuTraits::FreeChunk(void* mem, size_t bytes) noexcept {
  {
    ChunkCache& cache = Cache();
    std::lock_guard<std::mutex> lock(cache.mu);
    if (cache.pages.size() < ChunkCache::kMaxCachedChunks) {
      cache.pages.push_back(mem);
      return;
    }
  }
  munmap(mem, bytes);
}

uint32_t SrcuRegisterThisThread() noexcept {
  pthread_once(&g_slot_key_once, &CreateSlotKey);
  const uint32_t slot = ClaimSlot();
  // A signal handler on this thread may register while we are here: the compare-exchange on
  // the thread-local word is one instruction, atomic with respect to it. If the handler won,
  // use its slot and give ours back.
  uint32_t expected = 0;
  if (!__atomic_compare_exchange_n(&srcu_slot_plus1, &expected, slot + 1, /*weak=*/false,
                                   __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    ReleaseSlot(slot);
    return expected - 1;
  }
  pthread_setspecific(g_slot_key, reinterpret_cast<void*>(uintptr_t{slot} + 1));
  return slot;
}

}  // namespace rcu_internal

template <rcu_internal::SrcuFlavor kFlavor>
BasicSrcu<kFlavor>::BasicSrcu(Options options)
    : options_(options),
      tag_bits_(rcu_internal::NewTagBits()),
      core_(options.counter_base_for_testing, /*eager_chunks=*/1),
      engine_(std::make_unique<rcu_internal::GpEngine>(
          [this] { WaitForReaders(); },
          rcu_internal::GpEngine::Options{options.max_pending_callbacks, options.name,
                                          options.callback_batch_delay_us})) {}

template <rcu_internal::SrcuFlavor kFlavor>
BasicSrcu<kFlavor>::~BasicSrcu() {
  CheckNotInReader("grace::Srcu destroyed inside one of its own read sections");
  if (!core_.Idle()) {
    GRACE_DCHECK(false, "grace::Srcu destroyed while a read section is in progress");
    // Release builds: the reader still uses the counters, and the engine's last grace period
    // would wait for it forever. Leak both.
    GRACE_LOG(
        "grace::Srcu destroyed while a read section is in progress: its counters and "
        "pending callbacks are leaked");
    core_.LeakChunks();
    engine_.release();
    return;
  }
  if (engine_->GetStats().pending != 0) {
    GRACE_DCHECK(false,
                 "grace::Srcu destroyed with callbacks pending (call Barrier() before "
                 "destroying the domain)");
    GRACE_LOG("grace::Srcu destroyed with callbacks pending: they run now, after a grace period");
  }
  engine_.reset();  // runs anything still queued after a grace period, stops the worker
}

template <rcu_internal::SrcuFlavor kFlavor>
void BasicSrcu<kFlavor>::NoteLocked(uint32_t slot) noexcept {
  core_.SlotFor(slot).held.fetch_add(1, std::memory_order_relaxed);
}

template <rcu_internal::SrcuFlavor kFlavor>
void BasicSrcu<kFlavor>::CheckUnlock(SrcuToken token) noexcept {
  GRACE_CHECK((token.bits_ & ~uint64_t{0xffffffff}) == tag_bits_,
              "grace::Srcu::unlock() with a token that this domain's lock() did not return "
              "(another domain's, a default-constructed or a forged token)");
  GRACE_CHECK((token.bits_ & 0xfffe) == 0, "grace::Srcu::unlock() with a forged token");
  const auto slot = static_cast<uint32_t>((token.bits_ >> 16) & 0xffff);
  GRACE_CHECK(slot < Core::kMaxSlots, "grace::Srcu::unlock() with a forged token");
  const int32_t before = core_.SlotFor(slot).held.fetch_sub(1, std::memory_order_relaxed);
  GRACE_CHECK(before > 0,
              "grace::Srcu::unlock(): more unlocks than locks for the token's thread (a token "
              "unlocked twice?)");
}

template <rcu_internal::SrcuFlavor kFlavor>
bool BasicSrcu<kFlavor>::InReader() const noexcept {
  const uint32_t plus1 = rcu_internal::srcu_slot_plus1;
  if (plus1 == 0) return false;
  if (GRACE_DCHECK_IS_ON()) {
    return core_.SlotFor(plus1 - 1).held.load(std::memory_order_relaxed) > 0;
  }
  return core_.NetInSlot(plus1 - 1) > 0;
}

template <rcu_internal::SrcuFlavor kFlavor>
void BasicSrcu<kFlavor>::CheckNotInReader(const char* what) const noexcept {
  if (!GRACE_DCHECK_IS_ON()) return;
  if (InReader()) rcu_internal::RawDie(__FILE__, __LINE__, what, 0);
}

template <rcu_internal::SrcuFlavor kFlavor>
void BasicSrcu<kFlavor>::WaitStep(BasicSrcu* self, uint32_t n) noexcept {
  constexpr uint32_t kSpins = 64;
  constexpr uint32_t kYields = 16;
  if (n < kSpins) {
    std_sync::spin();
    return;
  }
  if (n < kSpins + kYields || self->expedited_waiters_.load(std::memory_order_relaxed) > 0) {
    sched_yield();
    return;
  }
  // Normal grace periods: sleep 10 us, doubling every 4 steps, at most 1 ms.
  const uint32_t k = std::min<uint32_t>((n - kSpins - kYields) / 4, 7);
  const long ns = std::min<long>(10'000L << k, 1'000'000L);
  timespec ts{0, ns};
  nanosleep(&ts, nullptr);
}

template <rcu_internal::SrcuFlavor kFlavor>
void BasicSrcu<kFlavor>::WaitForReaders() {
  core_.WaitForReaders([this](uint32_t n) { WaitStep(this, n); });
}

template <rcu_internal::SrcuFlavor kFlavor>
void BasicSrcu<kFlavor>::Synchronize() {
  CheckNotInReader(
      "grace::Srcu::Synchronize() called inside a read section of the same domain (it would "
      "wait for itself)");
  engine_->Synchronize();
}

template <rcu_internal::SrcuFlavor kFlavor>
void BasicSrcu<kFlavor>::SynchronizeExpedited() {
  CheckNotInReader(
      "grace::Srcu::SynchronizeExpedited() called inside a read section of the same domain (it "
      "would wait for itself)");
  expedited_waiters_.fetch_add(1, std::memory_order_relaxed);
  engine_->Synchronize();
  expedited_waiters_.fetch_sub(1, std::memory_order_relaxed);
}

template <rcu_internal::SrcuFlavor kFlavor>
void BasicSrcu<kFlavor>::Call(absl::AnyInvocable<void() &&> fn) {
  engine_->Call(std::move(fn), InReader());
}

template <rcu_internal::SrcuFlavor kFlavor>
void BasicSrcu<kFlavor>::Barrier() {
  CheckNotInReader(
      "grace::Srcu::Barrier() called inside a read section of the same domain (it would wait "
      "for itself)");
  engine_->Barrier();
}

template <rcu_internal::SrcuFlavor kFlavor>
GpState BasicSrcu<kFlavor>::GetState() const noexcept {
  return engine_->GetState();
}

template <rcu_internal::SrcuFlavor kFlavor>
GpState BasicSrcu<kFlavor>::StartPoll() {
  return engine_->StartPoll();
}

template <rcu_internal::SrcuFlavor kFlavor>
bool BasicSrcu<kFlavor>::Poll(GpState s) const noexcept {
  return engine_->Poll(s);
}

template <rcu_internal::SrcuFlavor kFlavor>
void BasicSrcu<kFlavor>::CondSynchronize(GpState s) {
  if (!Poll(s)) {
    CheckNotInReader(
        "grace::Srcu::CondSynchronize() would wait inside a read section of the same domain");
  }
  engine_->CondSynchronize(s);
}

template <rcu_internal::SrcuFlavor kFlavor>
typename BasicSrcu<kFlavor>::Stats BasicSrcu<kFlavor>::GetStats() const {
  rcu_internal::GpEngine::Stats s = engine_->GetStats();
  return Stats{s.grace_periods, s.callbacks_invoked, s.pending,
               s.peak_pending,  s.over_bound,        core_.flips()};
}

template <rcu_internal::SrcuFlavor kFlavor>
size_t BasicSrcu<kFlavor>::CounterBytes() const noexcept {
  return core_.MappedBytes();
}

template class BasicSrcu<rcu_internal::SrcuFlavor::kClassic>;
template class BasicSrcu<rcu_internal::SrcuFlavor::kFast>;

}  // namespace grace
