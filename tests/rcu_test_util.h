// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// Test helpers shared by the RCU tests: objects that are poisoned when freed (a reader that
// sees the poison has used an object after its grace period), and a memory-mapped file whose
// pages are dropped so that touching them takes a real page fault.

#ifndef GRACE_TESTS_RCU_TEST_UTIL_H_
#define GRACE_TESTS_RCU_TEST_UTIL_H_

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace grace {
namespace testing_util {

inline constexpr uint64_t kAlive = 0x600DF00D600DF00Dull;
inline constexpr uint64_t kPoison = 0xDEADBEEFDEADBEEFull;

// Plain (non-atomic) fields on purpose: under TSan a reader access that is not ordered before
// the poisoning write is reported as a race, on top of the value check.
struct Guarded {
  uint64_t magic = kAlive;
  uint64_t value = 0;
  explicit Guarded(uint64_t v) : value(v) {}
  bool Alive() const { return magic == kAlive; }
};

// Deleter that poisons before freeing, counting frees.
struct PoisonDelete {
  std::atomic<uint64_t>* freed = nullptr;
  void operator()(Guarded* g) const {
    g->magic = kPoison;
    g->value = kPoison;
    delete g;
    if (freed != nullptr) freed->fetch_add(1, std::memory_order_relaxed);
  }
};

// A file of `pages` pages mapped shared; DropPages() discards the mapping's pages so the next
// touch of each faults (minor fault from the page cache, or major if it was evicted).
class FaultingFile {
 public:
  explicit FaultingFile(size_t pages) : size_(pages * static_cast<size_t>(getpagesize())) {
    const char* dir = getenv("TEST_TMPDIR");
    std::string path = std::string(dir != nullptr ? dir : "/tmp") + "/grace_faultXXXXXX";
    fd_ = mkstemp(path.data());
    if (fd_ < 0) ADD_FAILURE() << "mkstemp: " << strerror(errno);
    unlink(path.c_str());
    if (ftruncate(fd_, static_cast<off_t>(size_)) != 0) ADD_FAILURE() << "ftruncate";
    void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (p == MAP_FAILED) ADD_FAILURE() << "mmap: " << strerror(errno);
    base_ = static_cast<volatile char*>(p);
    for (size_t i = 0; i < size_; i += getpagesize()) base_[i] = static_cast<char>(i);
  }
  ~FaultingFile() {
    munmap(const_cast<char*>(base_), size_);
    close(fd_);
  }
  void DropPages() { madvise(const_cast<char*>(base_), size_, MADV_DONTNEED); }
  // Reads one byte of page `i` (mod the page count); faults if the page was dropped.
  char Touch(size_t i) const { return base_[(i * getpagesize()) % size_]; }
  size_t pages() const { return size_ / getpagesize(); }

 private:
  size_t size_;
  int fd_ = -1;
  volatile char* base_ = nullptr;
};

// Page faults (minor + major) taken by the calling thread so far.
inline long ThreadFaults() {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  return ru.ru_minflt + ru.ru_majflt;
}

// Two readers (one of them sleeping now and then) take real page faults inside their read
// sections while this thread replaces the object they read for 500 ms and frees each old one
// through the domain. `read(body)` runs `body` inside one read section of the domain under
// test; `free_old(n, old, deleter)` frees the n-th replaced object (Retire, or a grace period
// and then deleter(old)); `barrier()` waits for queued callbacks. Fails the test if a reader
// saw a freed object, an object was not freed, or the readers took no page fault.
template <class Read, class FreeOld, class Barrier>
void RunFaultingReadersAgainstPoisonedFrees(Read read, FreeOld free_old, Barrier barrier) {
  using namespace std::chrono_literals;
  FaultingFile file(64);
  std::atomic<uint64_t> freed{0};
  std::atomic<Guarded*> ptr{new Guarded(0)};
  std::atomic<bool> stop{false};
  std::atomic<long> faults{0}, bad{0}, reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      long f0 = ThreadFaults();
      for (size_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        read([&] {
          Guarded* p = ptr.load(std::memory_order_acquire);
          (void)file.Touch(i);  // may fault: pages are dropped all the time
          if (r == 1 && i % 64 == 0) std::this_thread::sleep_for(200us);
          if (!p->Alive()) bad.fetch_add(1);
        });
        reads.fetch_add(1, std::memory_order_relaxed);
      }
      faults.fetch_add(ThreadFaults() - f0);
    });
  }
  auto until = std::chrono::steady_clock::now() + 500ms;
  uint64_t updates = 0;
  while (std::chrono::steady_clock::now() < until) {
    file.DropPages();
    Guarded* old = ptr.exchange(new Guarded(++updates), std::memory_order_acq_rel);
    free_old(updates, old, PoisonDelete{&freed});
  }
  stop = true;
  for (auto& t : readers) t.join();
  barrier();
  EXPECT_EQ(bad.load(), 0) << "a reader saw a freed object";
  EXPECT_EQ(freed.load(), updates);
  EXPECT_GT(faults.load(), 0) << "readers took no page fault: the test did not test faulting";
  std::printf("%llu updates, %ld reads, %ld page faults inside readers\n",
              static_cast<unsigned long long>(updates), reads.load(), faults.load());
  PoisonDelete{&freed}(ptr.load());
}

}  // namespace testing_util
}  // namespace grace

#endif  // GRACE_TESTS_RCU_TEST_UTIL_H_
