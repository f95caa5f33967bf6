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
#include <cstdint>
#include <cstring>
#include <string>

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

}  // namespace testing_util
}  // namespace grace

#endif  // GRACE_TESTS_RCU_TEST_UTIL_H_
