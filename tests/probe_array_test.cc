// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// Tests of grace::ProbeArray (rcu/probe_array.h) over TasksTraceRcu, default and independent
// domains: status codes, priority order, batching (one snapshot and one retirement per batch),
// Remove under allocation failure (stubs), concurrent readers and updaters with poisoned entry
// data, edits from inside a reader, the debug check on Synchronize() inside a reader, and an
// SRCU-shaped domain (token-returning lock) and grace::Srcu / grace::SrcuFast plugged in through
// ProbeArrayDomainTraits.

#include "rcu/probe_array.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "rcu/srcu.h"
#include "rcu/tasks_trace.h"
#include "tests/rcu_test_util.h"

ABSL_FLAG(int, probe_array_stress_ms, 300, "duration of the concurrent stress tests");

namespace grace {
namespace {

using testing_util::Guarded;
using testing_util::kAlive;
using testing_util::kPoison;

std::vector<int> Contents(const ProbeArray<int>& a) {
  std::vector<int> out;
  a.ForEach([&](const int& v) { out.push_back(v); });
  return out;
}

template <class D>
class ProbeArrayDomainTest : public ::testing::Test {};

struct DefaultDomain {
  static TasksTraceRcu& Get() { return TasksTraceRcu::Default(); }
};
struct IndependentDomain {
  static TasksTraceRcu& Get() {
    static TasksTraceRcu* d = new TasksTraceRcu();
    return *d;
  }
};
using Domains = ::testing::Types<DefaultDomain, IndependentDomain>;
TYPED_TEST_SUITE(ProbeArrayDomainTest, Domains);

TYPED_TEST(ProbeArrayDomainTest, StatusCodesAndPriorityOrder) {
  ProbeArray<int> a(TypeParam::Get(), "test:array");
  EXPECT_TRUE(Contents(a).empty());
  EXPECT_EQ(a.SizeHint(), 0u);
  ASSERT_TRUE(a.Add(1, 0).ok());
  ASSERT_TRUE(a.Add(2, 10).ok());
  ASSERT_TRUE(a.Add(3, 0).ok());   // after 1 (same priority, later)
  ASSERT_TRUE(a.Add(4, 10).ok());  // after 2
  ASSERT_TRUE(a.Add(5, -5).ok());
  ASSERT_TRUE(a.Add(6, 20).ok());
  EXPECT_EQ(Contents(a), (std::vector<int>{6, 2, 4, 1, 3, 5}));
  EXPECT_EQ(a.SizeHint(), 6u);

  absl::Status dup = a.Add(3, 7);
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(dup.message().find("test:array"), std::string::npos) << dup;
  EXPECT_NE(dup.message().find("7"), std::string::npos) << dup;

  absl::Status nf = a.Remove(42);
  EXPECT_EQ(nf.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(nf.message().find("test:array"), std::string::npos) << nf;

  ASSERT_TRUE(a.Remove(2).ok());
  EXPECT_EQ(a.Remove(2).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Contents(a), (std::vector<int>{6, 4, 1, 3, 5}));
  EXPECT_TRUE(a.Contains(4));
  EXPECT_FALSE(a.Contains(2));
  for (int v : {6, 4, 1, 3, 5}) ASSERT_TRUE(a.Remove(v).ok());
  EXPECT_TRUE(Contents(a).empty());
  EXPECT_EQ(a.SizeHint(), 0u);
  a.Synchronize();
}

TYPED_TEST(ProbeArrayDomainTest, ReAddAfterRemoveGoesLastAmongEquals) {
  ProbeArray<int> a(TypeParam::Get());
  for (int v : {1, 2, 3}) ASSERT_TRUE(a.Add(v, 5).ok());
  ASSERT_TRUE(a.Remove(1).ok());
  ASSERT_TRUE(a.Add(1, 5).ok());
  EXPECT_EQ(Contents(a), (std::vector<int>{2, 3, 1}));
}

TEST(ProbeArrayTest, BatchPublishesOnceAndRetiresOnce) {
  TasksTraceRcu d;
  ProbeArray<int> a(d);
  ASSERT_TRUE(a.Add(100).ok());
  d.Barrier();
  // What a Barrier() alone adds to callbacks_invoked (nothing today; kept so the count below
  // does not depend on how Barrier() is built).
  uint64_t before = d.GetStats().callbacks_invoked;
  d.Barrier();
  const uint64_t barrier_cost = d.GetStats().callbacks_invoked - before;
  before = d.GetStats().callbacks_invoked;
  std::vector<absl::Status> st;
  a.Update([&](ProbeArray<int>::Batch& b) {
    for (int i = 0; i < 10; ++i) st.push_back(b.Add(i, i));
    st.push_back(b.Add(3, 0));  // duplicate inside the batch
    st.push_back(b.Remove(100));
    st.push_back(b.Remove(100));  // already removed in this batch
    EXPECT_TRUE(b.Contains(5));
    EXPECT_FALSE(b.Contains(100));
  });
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(st[i].ok()) << st[i];
  EXPECT_EQ(st[10].code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(st[11].ok());
  EXPECT_EQ(st[12].code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Contents(a), (std::vector<int>{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}));
  d.Barrier();
  // Exactly one retirement (the snapshot {100}) for the whole batch.
  EXPECT_EQ(d.GetStats().callbacks_invoked - before - barrier_cost, 1u);
}

TEST(ProbeArrayTest, RemoveNeverFailsWhenAllocationFails) {
  TasksTraceRcu d;
  ProbeArray<int> a(d, "oom");
  for (int v : {1, 2, 3, 4}) ASSERT_TRUE(a.Add(v).ok());
  a.FailAllocationsForTesting(1000);
  EXPECT_EQ(a.Add(9).code(), absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(a.Remove(2).ok());  // stub in place
  EXPECT_TRUE(a.HasStubsForTesting());
  EXPECT_EQ(Contents(a), (std::vector<int>{1, 3, 4}));
  EXPECT_EQ(a.SizeHint(), 3u);
  EXPECT_EQ(a.Remove(2).code(), absl::StatusCode::kNotFound);  // stubs are not found
  ASSERT_TRUE(a.Remove(4).ok());
  ASSERT_TRUE(a.Remove(1).ok());
  EXPECT_EQ(Contents(a), (std::vector<int>{3}));
  ASSERT_TRUE(a.Remove(3).ok());  // last one: no allocation needed
  EXPECT_TRUE(Contents(a).empty());
  a.FailAllocationsForTesting(0);
  // Stubs are compacted by the next successful copy.
  for (int v : {1, 2, 3}) ASSERT_TRUE(a.Add(v).ok());
  a.FailAllocationsForTesting(1);
  ASSERT_TRUE(a.Remove(2).ok());
  EXPECT_TRUE(a.HasStubsForTesting());
  ASSERT_TRUE(a.Add(2, -1).ok());  // re-adding a stubbed value is allowed
  EXPECT_FALSE(a.HasStubsForTesting());
  EXPECT_EQ(Contents(a), (std::vector<int>{1, 3, 2}));
}

TEST(ProbeArrayTest, NonTrivialElements) {
  ProbeArray<std::string> a(TasksTraceRcu::Default());
  ASSERT_TRUE(a.Add(std::string(100, 'x'), 1).ok());
  ASSERT_TRUE(a.Add("short", 2).ok());
  std::string joined;
  a.ForEach([&](const std::string& s) { joined += s.substr(0, 5) + ","; });
  EXPECT_EQ(joined, "short,xxxxx,");
  ASSERT_TRUE(a.Remove("short").ok());
  a.Synchronize();
}

// How long the concurrent stress tests run: --probe_array_stress_ms, and then until the
// updaters have freed a few objects (each after a grace period), so the test checks what it
// claims on a loaded machine too (tools/test runs it beside the torture test) instead of
// passing with no grace period completed. Gives up after 2 minutes (the EXPECTs then fail).
void StressWindow(const std::atomic<uint64_t>& freed) {
  std::this_thread::sleep_for(
      std::chrono::milliseconds(absl::GetFlag(FLAGS_probe_array_stress_ms)));
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (freed.load() < 3 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Entries point at poisoned-on-free objects; readers check every object they reach is alive.
// Updaters remove, Synchronize(), then poison and free: a reader that still reaches a removed
// object sees the poison (and TSan reports the unordered access).
TEST(ProbeArrayTest, ConcurrentReadersAndUpdatersNeverSeeFreedData) {
  TasksTraceRcu d;
  ProbeArray<Guarded*> a(d, "stress");
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> seen{0}, bad{0};
  std::vector<std::thread> threads;
  for (int r = 0; r < 3; ++r) {
    threads.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        a.ForEach([&](Guarded* const& g) {
          if (g->magic != kAlive) bad.fetch_add(1);
          seen.fetch_add(1, std::memory_order_relaxed);
        });
      }
    });
  }
  std::atomic<uint64_t> freed{0};
  for (int u = 0; u < 2; ++u) {
    threads.emplace_back([&, u] {
      uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        auto* g = new Guarded(n++);
        if (!a.Add(g, static_cast<int>(n % 3)).ok()) ADD_FAILURE();
        if (!a.Remove(g).ok()) ADD_FAILURE();
        if (n % 8 == 0) {
          a.Synchronize();
        } else {
          d.Synchronize();
        }
        testing_util::PoisonDelete{&freed}(g);
        (void)u;
      }
    });
  }
  StressWindow(freed);
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(freed.load(), 0u);
  EXPECT_EQ(a.SizeHint(), 0u);
}

TEST(ProbeArrayTest, ManyThreadsAddAndRemoveDistinctEntries) {
  TasksTraceRcu d;
  ProbeArray<int> a(d);
  constexpr int kThreads = 8, kPer = 50;
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < kPer; ++i) EXPECT_TRUE(a.Add(t * 1000 + i, t).ok());
      for (int i = 0; i < kPer; i += 2) EXPECT_TRUE(a.Remove(t * 1000 + i).ok());
    });
  }
  for (auto& t : ts) t.join();
  std::vector<int> c = Contents(a);
  EXPECT_EQ(c.size(), static_cast<size_t>(kThreads * kPer / 2));
  EXPECT_EQ(a.SizeHint(), c.size());
  // Priorities are the thread index: higher threads first, each thread's entries in order.
  for (size_t i = 1; i < c.size(); ++i) {
    const int pt = c[i - 1] / 1000, t = c[i] / 1000;
    EXPECT_TRUE(pt > t || (pt == t && c[i - 1] < c[i])) << c[i - 1] << " then " << c[i];
  }
}

TEST(ProbeArrayTest, EditsFromInsideAReader) {
  TasksTraceRcu d;
  ProbeArray<int> a(d);
  for (int v : {1, 2, 3}) ASSERT_TRUE(a.Add(v).ok());
  std::vector<int> visited;
  a.ForEach([&](const int& v) {
    visited.push_back(v);
    EXPECT_TRUE(a.Remove(v).ok());    // removing the entry being visited
    EXPECT_TRUE(a.Add(v + 10).ok());  // and adding a new one: this pass does not see it
  });
  EXPECT_EQ(visited, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(Contents(a), (std::vector<int>{11, 12, 13}));
}

TEST(ProbeArrayTest, DestructionRetiresTheLastSnapshot) {
  TasksTraceRcu d;
  {
    ProbeArray<std::string> a(d);
    ASSERT_TRUE(a.Add("kept until destruction").ok());
  }
  d.Barrier();  // the retirement callback ran (ASan's leak check sees the snapshot freed)
}

// An SRCU-shaped domain: lock() returns a token that unlock() must get back, no InReader().
// It stands in for grace::Srcu / grace::SrcuFast (design.md section 4) until //rcu:srcu lands:
// ProbeArray must take it through ProbeArrayDomainTraits' primary template, with no
// specialisation. Grace periods come from a TasksTraceRcu underneath.
class SrcuShapedDomain {
 public:
  struct Token {
    uint64_t seq;
  };
  Token lock() noexcept {
    inner_.lock();
    locks_.fetch_add(1, std::memory_order_relaxed);
    return Token{++last_issued_};
  }
  void unlock(Token t) noexcept {
    if (t.seq != last_issued_) wrong_tokens_.fetch_add(1, std::memory_order_relaxed);
    unlocks_.fetch_add(1, std::memory_order_relaxed);
    inner_.unlock();
  }
  void Synchronize() {
    synchronizes_.fetch_add(1, std::memory_order_relaxed);
    inner_.Synchronize();
  }
  void Call(absl::AnyInvocable<void() &&> fn) {
    calls_.fetch_add(1, std::memory_order_relaxed);
    inner_.Call(std::move(fn));
  }
  void Barrier() { inner_.Barrier(); }

  std::atomic<uint64_t> locks_{0}, unlocks_{0}, wrong_tokens_{0}, synchronizes_{0}, calls_{0};

 private:
  static thread_local uint64_t last_issued_;
  TasksTraceRcu inner_;
};
thread_local uint64_t SrcuShapedDomain::last_issued_ = 0;

using SrcuTraits = ProbeArrayDomainTraits<SrcuShapedDomain>;
static_assert(std::is_same_v<SrcuTraits::Token, SrcuShapedDomain::Token>,
              "a token-returning lock() is the traits' Token");
static_assert(!SrcuTraits::kInReaderKnown, "no InReader(): the debug check is skipped");
static_assert(ProbeArrayDomainTraits<TasksTraceRcu>::kInReaderKnown,
              "TasksTraceRcu can tell when a thread is inside a reader");
static_assert(std::is_empty_v<ProbeArrayDomainTraits<TasksTraceRcu>::Token>,
              "void lock(): no token to carry");

TEST(ProbeArrayTest, SrcuShapedDomainPlugsInThroughTheTraits) {
  SrcuShapedDomain d;
  {
    ProbeArray<Guarded*, SrcuShapedDomain> a(d, "srcu-shaped");
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> bad{0}, seen{0}, freed{0};
    std::vector<std::thread> threads;
    for (int r = 0; r < 2; ++r) {
      threads.emplace_back([&] {
        while (!stop.load(std::memory_order_relaxed)) {
          a.ForEach([&](Guarded* const& g) {
            if (g->magic != kAlive) bad.fetch_add(1);
            seen.fetch_add(1, std::memory_order_relaxed);
          });
        }
      });
    }
    threads.emplace_back([&] {
      for (uint64_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
        auto* g = new Guarded(n);
        if (!a.Add(g, static_cast<int>(n % 3)).ok()) ADD_FAILURE();
        EXPECT_EQ(a.Add(g).code(), absl::StatusCode::kAlreadyExists);
        if (!a.Remove(g).ok()) ADD_FAILURE();
        EXPECT_EQ(a.Remove(g).code(), absl::StatusCode::kNotFound);
        a.Synchronize();
        testing_util::PoisonDelete{&freed}(g);
      }
    });
    StressWindow(freed);
    stop = true;
    for (auto& t : threads) t.join();
    EXPECT_EQ(bad.load(), 0u);
    EXPECT_GT(freed.load(), 0u);
    EXPECT_GT(d.synchronizes_.load(), 0u);
    EXPECT_GT(d.calls_.load(), 0u);  // old snapshots retired through the domain's Call()
  }
  d.Barrier();
  EXPECT_EQ(d.locks_.load(), d.unlocks_.load());
  EXPECT_GT(d.locks_.load(), 0u);
  EXPECT_EQ(d.wrong_tokens_.load(), 0u) << "Leave() must get Enter()'s token back";
}

// The real SRCU flavours (rcu/srcu.h) through the same seam: no specialisation, tokens
// carried from Enter() to Leave(), old snapshots retired with the domain's Call().
template <class D>
class ProbeArraySrcuTest : public ::testing::Test {};
using SrcuDomains = ::testing::Types<Srcu, SrcuFast>;
TYPED_TEST_SUITE(ProbeArraySrcuTest, SrcuDomains);

static_assert(std::is_same_v<ProbeArrayDomainTraits<Srcu>::Token, SrcuToken>);
static_assert(std::is_same_v<ProbeArrayDomainTraits<SrcuFast>::Token, SrcuToken>);

TYPED_TEST(ProbeArraySrcuTest, StatusCodesOrderAndConcurrentPoisonedData) {
  TypeParam d;
  {
    ProbeArray<Guarded*, TypeParam> a(d, "srcu");
    Guarded g1(1), g2(2), g3(3);
    ASSERT_TRUE(a.Add(&g1, 0).ok());
    ASSERT_TRUE(a.Add(&g2, 5).ok());
    ASSERT_TRUE(a.Add(&g3, 0).ok());
    EXPECT_EQ(a.Add(&g2, 1).code(), absl::StatusCode::kAlreadyExists);
    std::vector<uint64_t> order;
    a.ForEach([&](Guarded* const& g) { order.push_back(g->value); });
    EXPECT_EQ(order, (std::vector<uint64_t>{2, 1, 3}));
    a.FailAllocationsForTesting(1);
    EXPECT_TRUE(a.Remove(&g1).ok());  // stub in place
    EXPECT_TRUE(a.HasStubsForTesting());
    EXPECT_EQ(a.Remove(&g1).code(), absl::StatusCode::kNotFound);
    for (Guarded* g : {&g2, &g3}) ASSERT_TRUE(a.Remove(g).ok());
    a.Synchronize();

    std::atomic<bool> stop{false};
    std::atomic<uint64_t> bad{0}, freed{0};
    std::vector<std::thread> threads;
    for (int r = 0; r < 2; ++r) {
      threads.emplace_back([&] {
        while (!stop.load(std::memory_order_relaxed)) {
          a.ForEach([&](Guarded* const& g) {
            if (g->magic != kAlive) bad.fetch_add(1);
          });
        }
      });
    }
    threads.emplace_back([&] {
      for (uint64_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
        auto* g = new Guarded(n);
        if (!a.Add(g, static_cast<int>(n % 3)).ok()) ADD_FAILURE();
        if (!a.Remove(g).ok()) ADD_FAILURE();
        a.Synchronize();
        testing_util::PoisonDelete{&freed}(g);
      }
    });
    StressWindow(freed);
    stop = true;
    for (auto& t : threads) t.join();
    EXPECT_EQ(bad.load(), 0u);
    EXPECT_GT(freed.load(), 0u);
  }
  d.Barrier();  // the array's retirements ran before the domain goes
}

class ProbeArrayDeathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    if (!GRACE_DCHECK_IS_ON()) GTEST_SKIP() << "debug checks are off (NDEBUG); dbg suite runs this";
  }
};

TEST_F(ProbeArrayDeathTest, SynchronizeInsideReader) {
  EXPECT_DEATH(
      {
        TasksTraceRcu d;
        ProbeArray<int> a(d);
        (void)a.Add(1);
        a.ForEach([&](const int&) { a.Synchronize(); });
      },
      "ProbeArray::Synchronize\\(\\) inside a read section");
}

}  // namespace
}  // namespace grace
