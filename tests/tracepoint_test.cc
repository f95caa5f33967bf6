// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// Tests of grace::Tracepoint and grace::TracepointRegistry (tracepoint/tracepoint.h): every
// status code, priorities, the enabled state under racing registrations, concurrent
// register/unregister/fire with poisoned probe data, unregistering from inside a probe,
// allocation failure on unregister, faulting and sleeping faultable probes that never delay
// non-faultable unregistration, the debug-build fault/blocking watch, and attach-by-name
// before a dlopen()ed shared object defines the tracepoint.

#include "tracepoint/tracepoint.h"

#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tests/rcu_test_util.h"

ABSL_FLAG(int, tracepoint_stress_ms, 300, "duration of the concurrent stress tests");

namespace grace {
namespace {

using testing_util::Guarded;
using testing_util::kAlive;

Tracepoint<int> tp_nf{"test:nonfaultable", MayFault::kNo};
Tracepoint<int> tp_f{"test:faultable", MayFault::kYes};
Tracepoint<const char*, int> tp_sig{"test:signature", MayFault::kNo};

struct Counter {
  std::atomic<int64_t> calls{0};
  std::atomic<int64_t> sum{0};
};
void CountProbe(void* data, int v) {
  auto* c = static_cast<Counter*>(data);
  c->calls.fetch_add(1, std::memory_order_relaxed);
  c->sum.fetch_add(v, std::memory_order_relaxed);
}

bool Contains(const absl::Status& s, const std::string& what) {
  return s.message().find(what) != absl::string_view::npos;
}

TEST(TracepointTest, DisabledUntilAProbeIsRegistered) {
  Tracepoint<int> tp{"test:local", MayFault::kNo};
  EXPECT_FALSE(tp.enabled());
  tp(1);  // nothing attached: no effect
  Counter c;
  absl::StatusOr<ProbeHandle> h = tp.Register(&CountProbe, &c, {.name = "count"});
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_TRUE(tp.enabled());
  tp(5);
  tp(7);
  EXPECT_EQ(c.calls.load(), 2);
  EXPECT_EQ(c.sum.load(), 12);
  ASSERT_TRUE(tp.Unregister(*h).ok());
  EXPECT_FALSE(tp.enabled());
  tp(9);
  EXPECT_EQ(c.calls.load(), 2);
  SynchronizeTracepointUnregister();
}

// GRACE_TRACEPOINT evaluates its arguments only while a probe is attached; operator()
// evaluates them always (a function call). Both fire the same probes.
TEST(TracepointTest, MacroEvaluatesArgumentsOnlyWhenEnabled) {
  Tracepoint<int> tp{"test:macro", MayFault::kYes};
  int evaluations = 0;
  auto arg = [&evaluations](int v) {
    ++evaluations;
    return v;
  };
  GRACE_TRACEPOINT(tp, arg(1));
  EXPECT_EQ(evaluations, 0) << "disabled: the argument must not be evaluated";
  tp(arg(1));
  EXPECT_EQ(evaluations, 1) << "operator() is a call: its argument is evaluated";
  Counter c;
  absl::StatusOr<ProbeHandle> h = tp.Register(&CountProbe, &c, {.may_fault = true});
  ASSERT_TRUE(h.ok()) << h.status();
  GRACE_TRACEPOINT(tp, arg(20));
  tp(arg(22));
  EXPECT_EQ(evaluations, 3);
  EXPECT_EQ(c.calls.load(), 2);
  EXPECT_EQ(c.sum.load(), 42);
  ASSERT_TRUE(tp.Unregister(*h).ok());
  GRACE_TRACEPOINT(tp, arg(5));
  EXPECT_EQ(evaluations, 3);
  EXPECT_EQ(c.calls.load(), 2);
  SynchronizeTracepointUnregister();
}

TEST(TracepointTest, StatusCodes) {
  Counter c;
  // Flavour mismatch, both ways.
  absl::StatusOr<ProbeHandle> h =
      tp_nf.Register(&CountProbe, &c, {.may_fault = true, .name = "faulty"});
  EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(h.status(), "test:nonfaultable")) << h.status();
  EXPECT_TRUE(Contains(h.status(), "faulty")) << h.status();
  EXPECT_TRUE(Contains(h.status(), "may_fault=true")) << h.status();
  h = tp_f.Register(&CountProbe, &c, {.may_fault = false, .name = "plain"});
  EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(h.status(), "test:faultable")) << h.status();
  // Null function.
  h = tp_nf.Register(nullptr, &c);
  EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument);
  // Same function and data twice.
  h = tp_nf.Register(&CountProbe, &c, {.name = "dup"});
  ASSERT_TRUE(h.ok());
  absl::StatusOr<ProbeHandle> h2 = tp_nf.Register(&CountProbe, &c, {.priority = 3, .name = "dup"});
  EXPECT_EQ(h2.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(Contains(h2.status(), "test:nonfaultable")) << h2.status();
  EXPECT_TRUE(Contains(h2.status(), "dup")) << h2.status();
  // Same function, other data: fine.
  Counter c2;
  h2 = tp_nf.Register(&CountProbe, &c2);
  ASSERT_TRUE(h2.ok());
  // Unknown handles.
  EXPECT_EQ(tp_nf.Unregister(ProbeHandle{}).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(tp_f.Unregister(*h).code(), absl::StatusCode::kNotFound);  // another tracepoint's
  ASSERT_TRUE(tp_nf.Unregister(*h).ok());
  absl::Status twice = tp_nf.Unregister(*h);
  EXPECT_EQ(twice.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Contains(twice, "test:nonfaultable")) << twice;
  ASSERT_TRUE(tp_nf.Unregister(*h2).ok());
  EXPECT_FALSE(tp_nf.enabled());
  SynchronizeTracepointUnregister();
}

std::mutex order_mu;
std::vector<int> order;
void OrderProbe(void* data, int) {
  std::lock_guard<std::mutex> l(order_mu);
  order.push_back(static_cast<int>(reinterpret_cast<intptr_t>(data)));
}

TEST(TracepointTest, PrioritiesHigherFirstTiesInRegistrationOrder) {
  Tracepoint<int> tp{"test:prio", MayFault::kNo};
  const int prio[] = {0, 5, 0, 10, 5, -1};
  std::vector<ProbeHandle> hs;
  for (int i = 0; i < 6; ++i) {
    auto h = tp.Register(&OrderProbe, reinterpret_cast<void*>(intptr_t{i}), {.priority = prio[i]});
    ASSERT_TRUE(h.ok());
    hs.push_back(*h);
  }
  order.clear();
  tp(0);
  EXPECT_EQ(order, (std::vector<int>{3, 1, 4, 0, 2, 5}));
  for (auto& h : hs) ASSERT_TRUE(tp.Unregister(h).ok());
}

TEST(TracepointTest, RegistryFindAndSignatureCheck) {
  auto& reg = TracepointRegistry::Global();
  auto found = reg.Find<const char*, int>("test:signature");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(*found, &tp_sig);
  auto bad = reg.Find<int>("test:signature");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(bad.status(), "test:signature")) << bad.status();
  EXPECT_TRUE(Contains(bad.status(), "void(const char *, int)")) << bad.status();
  EXPECT_TRUE(Contains(bad.status(), "void(int)")) << bad.status();
  auto missing = reg.Find<int>("test:nope");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Contains(missing.status(), "test:nope"));
  {
    Tracepoint<int> scoped{"test:scoped", MayFault::kNo};
    EXPECT_TRUE(reg.FindAny("test:scoped").ok());
  }
  EXPECT_EQ(reg.FindAny("test:scoped").status().code(), absl::StatusCode::kNotFound);
}

void IgnoreProbe(void*, const char*, int) {}

TEST(TracepointTest, AttachByNameConnectsWhenTheTracepointAppears) {
  auto& reg = TracepointRegistry::Global();
  Counter c;
  auto a = reg.Attach<int>("test:later", &CountProbe, &c, {.name = "early"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(reg.Attach<int>("test:later", &CountProbe, &c).status().code(),
            absl::StatusCode::kAlreadyExists);
  {
    Tracepoint<int> later{"test:later", MayFault::kNo};
    EXPECT_TRUE(later.enabled());
    later(3);
    EXPECT_EQ(c.calls.load(), 1);
    // Mismatches against a loaded tracepoint are refused.
    Counter c2;
    EXPECT_EQ(reg.Attach<int>("test:later", &CountProbe, &c2, {.may_fault = true}).status().code(),
              absl::StatusCode::kInvalidArgument);
    auto sig = reg.Attach<const char*, int>("test:later", &IgnoreProbe, &c2);
    EXPECT_EQ(sig.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(Contains(sig.status(), "void(int)")) << sig.status();
  }
  {
    Tracepoint<int> again{"test:later", MayFault::kNo};  // reconnects on each appearance
    again(4);
    EXPECT_EQ(c.calls.load(), 2);
    ASSERT_TRUE(reg.Detach(*a).ok());
    EXPECT_FALSE(again.enabled());
  }
  EXPECT_EQ(reg.Detach(*a).code(), absl::StatusCode::kNotFound);
  SynchronizeTracepointUnregister();
}

std::string PluginPath() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* ws = std::getenv("TEST_WORKSPACE");
  if (srcdir != nullptr) {
    return std::string(srcdir) + "/" + (ws ? ws : "grace") + "/tests/libtracepoint_test_plugin.so";
  }
  return "tests/libtracepoint_test_plugin.so";
}

std::atomic<int> plugin_calls{0};
std::string plugin_last;
void PluginProbe(void*, int n, const char* s) {
  plugin_calls.fetch_add(n);
  plugin_last = s;
}
std::atomic<int> plugin_read_calls{0};
void PluginReadProbe(void*, const char* buf) {
  if (std::strcmp(buf, "plugin buffer") == 0) plugin_read_calls.fetch_add(1);
}

TEST(TracepointTest, DlopenedLibraryRegistersAndUnregistersItsTracepoints) {
  auto& reg = TracepointRegistry::Global();
  EXPECT_EQ(reg.FindAny("plugin:event").status().code(), absl::StatusCode::kNotFound);
  // Attach before the library is loaded.
  auto a = reg.Attach<int, const char*>("plugin:event", &PluginProbe, nullptr, {.name = "p"});
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = reg.Attach<const char*>("plugin:read", &PluginReadProbe, nullptr,
                                   {.may_fault = true, .name = "read"});
  ASSERT_TRUE(b.ok()) << b.status();
  for (int round = 0; round < 2; ++round) {
    void* lib = dlopen(PluginPath().c_str(), RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(lib, nullptr) << dlerror();
    auto found = reg.Find<int, const char*>("plugin:event");
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_TRUE((*found)->enabled());
    auto wrong = reg.Find<int>("plugin:event");
    EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument);
    auto fire = reinterpret_cast<void (*)(int)>(dlsym(lib, "grace_test_plugin_fire"));
    ASSERT_NE(fire, nullptr) << dlerror();
    const int before = plugin_calls.load();
    fire(2);
    EXPECT_EQ(plugin_calls.load(), before + 2);
    EXPECT_EQ(plugin_last, "from plugin");
    EXPECT_EQ(plugin_read_calls.load(), round + 1);
    ASSERT_EQ(dlclose(lib), 0);
    EXPECT_EQ(reg.FindAny("plugin:event").status().code(), absl::StatusCode::kNotFound)
        << "round " << round << ": dlclose() did not remove the library's tracepoint";
  }
  ASSERT_TRUE(reg.Detach(*a).ok());
  ASSERT_TRUE(reg.Detach(*b).ok());
  SynchronizeTracepointUnregister();
}

// Probe data is a poisoned-on-free object: freed only after Unregister +
// SynchronizeTracepointUnregister; a probe that reaches it afterwards sees the poison (and
// TSan reports the unordered access).
std::atomic<uint64_t> poison_seen{0};
void GuardedProbe(void* data, int) {
  auto* g = static_cast<Guarded*>(data);
  if (g->magic != kAlive) poison_seen.fetch_add(1);
}

TEST(TracepointTest, ConcurrentRegisterUnregisterFireNeverTouchesFreedProbeData) {
  for (Tracepoint<int>* tp : {&tp_nf, &tp_f}) {
    const bool mf = tp->may_fault() == MayFault::kYes;
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> fired{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < 3; ++i) {
      ts.emplace_back([&] {
        while (!stop.load(std::memory_order_relaxed)) {
          (*tp)(1);
          fired.fetch_add(1, std::memory_order_relaxed);
        }
      });
    }
    std::atomic<uint64_t> freed{0};
    for (int u = 0; u < 3; ++u) {
      ts.emplace_back([&, u] {
        for (uint64_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
          auto* g = new Guarded(n);
          auto h = tp->Register(&GuardedProbe, g, {.may_fault = mf, .priority = u});
          if (!h.ok()) ADD_FAILURE() << h.status();
          if (!tp->Unregister(*h).ok()) ADD_FAILURE();
          if (n % 2 == 0) {
            SynchronizeTracepointUnregister();
          } else {
            tp->SynchronizeUnregister();
          }
          testing_util::PoisonDelete{&freed}(g);
        }
      });
    }
    std::this_thread::sleep_for(
        std::chrono::milliseconds(absl::GetFlag(FLAGS_tracepoint_stress_ms)));
    stop = true;
    for (auto& t : ts) t.join();
    EXPECT_EQ(poison_seen.load(), 0u) << tp->name();
    EXPECT_GT(freed.load(), 0u);
    EXPECT_GT(fired.load(), 0u);
    EXPECT_FALSE(tp->enabled());
  }
}

TEST(TracepointTest, EnabledMatchesProbeCountWhenRegistrationsRace) {
  Tracepoint<int> tp{"test:race", MayFault::kNo};
  Counter cs[8];
  for (int round = 0; round < 50; ++round) {
    std::vector<std::thread> ts;
    for (int t = 0; t < 8; ++t) {
      ts.emplace_back([&, t] {
        auto h = tp.Register(&CountProbe, &cs[t]);
        ASSERT_TRUE(h.ok());
        if ((t + round) % 3 != 0) ASSERT_TRUE(tp.Unregister(*h).ok());
      });
    }
    for (auto& t : ts) t.join();
    // The enabled word, the published snapshot and the registrations all agree: firing once
    // runs exactly the probes that were left registered.
    int expected = 0;
    for (int t = 0; t < 8; ++t) expected += (t + round) % 3 == 0;
    EXPECT_EQ(tp.probe_count(), static_cast<uint32_t>(expected));
    EXPECT_EQ(tp.enabled(), expected > 0);
    int64_t calls_before = 0, calls_after = 0;
    for (auto& c : cs) calls_before += c.calls.load();
    tp(1);
    for (auto& c : cs) calls_after += c.calls.load();
    EXPECT_EQ(calls_after - calls_before, expected);
    // Unregister whatever is left, from several threads at once.
    std::vector<std::thread> us;
    for (int t = 0; t < 8; ++t) {
      us.emplace_back([&, t] {
        (void)tp.Unregister(ProbeHandle{&tp, reinterpret_cast<void (*)()>(&CountProbe), &cs[t]});
      });
    }
    for (auto& t : us) t.join();
    EXPECT_FALSE(tp.enabled());
    EXPECT_EQ(tp.probe_count(), 0u);
  }
}

struct SelfRemoving {
  Tracepoint<int>* tp;
  ProbeHandle handle;
  std::atomic<int> calls{0};
  absl::Status status;
};
void SelfRemovingProbe(void* data, int) {
  auto* s = static_cast<SelfRemoving*>(data);
  if (s->calls.fetch_add(1) == 0) s->status = s->tp->Unregister(s->handle);
}

TEST(TracepointTest, UnregisterFromInsideAProbe) {
  for (Tracepoint<int>* tp : {&tp_nf, &tp_f}) {
    SelfRemoving s;
    s.tp = tp;
    auto h = tp->Register(&SelfRemovingProbe, &s, {.may_fault = tp == &tp_f});
    ASSERT_TRUE(h.ok());
    s.handle = *h;
    (*tp)(1);
    (*tp)(2);
    EXPECT_TRUE(s.status.ok()) << s.status;
    EXPECT_EQ(s.calls.load(), 1);
    EXPECT_FALSE(tp->enabled());
    SynchronizeTracepointUnregister();
  }
}

TEST(TracepointTest, RegistrationFromManyThreads) {
  Tracepoint<int> tp{"test:many", MayFault::kYes};
  constexpr int kThreads = 16;
  Counter cs[kThreads];
  std::vector<std::thread> ts;
  std::vector<ProbeHandle> hs(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      auto h = tp.Register(&CountProbe, &cs[t], {.may_fault = true, .priority = t % 4});
      ASSERT_TRUE(h.ok());
      hs[t] = *h;
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(tp.probe_count(), static_cast<uint32_t>(kThreads));
  tp(1);
  for (auto& c : cs) EXPECT_EQ(c.calls.load(), 1);
  for (auto& h : hs) ASSERT_TRUE(tp.Unregister(h).ok());
}

TEST(TracepointTest, UnregisterSucceedsWhenAllocationFails) {
  Tracepoint<int> tp{"test:oom", MayFault::kNo};
  Counter a, b, c;
  auto ha = tp.Register(&CountProbe, &a);
  auto hb = tp.Register(&CountProbe, &b);
  auto hc = tp.Register(&CountProbe, &c);
  ASSERT_TRUE(ha.ok() && hb.ok() && hc.ok());
  tp.FailAllocationsForTesting(100);
  Counter d;
  EXPECT_EQ(tp.Register(&CountProbe, &d).status().code(), absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(tp.Unregister(*hb).ok());
  tp(1);
  EXPECT_EQ(a.calls.load(), 1);
  EXPECT_EQ(b.calls.load(), 0);  // stubbed: skipped
  EXPECT_EQ(c.calls.load(), 1);
  EXPECT_EQ(tp.Unregister(*hb).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(tp.Unregister(*ha).ok());
  ASSERT_TRUE(tp.Unregister(*hc).ok());
  EXPECT_FALSE(tp.enabled());
  tp.FailAllocationsForTesting(0);
}

std::atomic<bool> sleeper_inside{false};
void SleepingProbe(void* data, int) {
  sleeper_inside = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(*static_cast<int*>(data)));
}

TEST(TracepointTest, SleepingFaultableProbeNeverDelaysNonFaultableUnregistration) {
  int sleep_ms = 1500;
  auto hs = tp_f.Register(&SleepingProbe, &sleep_ms, {.may_fault = true, .name = "sleeper"});
  ASSERT_TRUE(hs.ok());
  sleeper_inside = false;
  std::thread firer([] { tp_f(1); });
  while (!sleeper_inside.load()) std::this_thread::yield();
  ASSERT_TRUE(tp_f.Unregister(*hs).ok());
  // The faultable probe is asleep inside its read section; a non-faultable probe's whole
  // register/fire/unregister/synchronize cycle must not wait for it.
  Counter c;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    auto h = tp_nf.Register(&CountProbe, &c);
    ASSERT_TRUE(h.ok());
    tp_nf(1);
    ASSERT_TRUE(tp_nf.Unregister(*h).ok());
    tp_nf.SynchronizeUnregister();
  }
  const auto nf_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_LT(nf_ms, 700) << "non-faultable unregistration waited for a sleeping faultable probe";
  EXPECT_EQ(c.calls.load(), 5);
  // The faultable flavour does wait for it.
  const auto t1 = std::chrono::steady_clock::now();
  tp_f.SynchronizeUnregister();
  const auto f_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t1)
          .count();
  firer.join();
  EXPECT_GT(f_ms + nf_ms, 500);
}

struct CopyCtx {
  testing_util::FaultingFile* file;
  std::atomic<long> faults{0};
  std::atomic<int64_t> bytes{0};
};
void CopyingProbe(void* data, int page) {
  auto* c = static_cast<CopyCtx*>(data);
  const long f0 = testing_util::ThreadFaults();
  char sum = 0;
  for (int i = 0; i < 4; ++i) sum = static_cast<char>(sum + c->file->Touch(page + i));
  c->faults += testing_util::ThreadFaults() - f0;
  c->bytes += 4 + (sum & 0);
}

TEST(TracepointTest, FaultableProbeTakesRealPageFaults) {
  testing_util::FaultingFile file(64);
  CopyCtx ctx{&file};
  auto h = tp_f.Register(&CopyingProbe, &ctx, {.may_fault = true, .name = "copy"});
  ASSERT_TRUE(h.ok());
  for (int i = 0; i < 16; ++i) {
    file.DropPages();
    tp_f(i * 4);
  }
  ASSERT_TRUE(tp_f.Unregister(*h).ok());
  SynchronizeTracepointUnregister();
  EXPECT_GT(ctx.faults.load(), 0);
  EXPECT_EQ(ctx.bytes.load(), 64);
}

std::mutex violation_mu;
std::string violation_tp, violation_probe;
long violation_faults = 0;
void RecordViolation(const char* tp, const char* probe, long faults, long) {
  std::lock_guard<std::mutex> l(violation_mu);
  violation_tp = tp;
  violation_probe = probe;
  violation_faults += faults;
}

TEST(TracepointTest, DebugBuildsReportFaultsInNonFaultableProbes) {
  if (!GRACE_DCHECK_IS_ON()) GTEST_SKIP() << "the probe watch is debug-only (dbg suite runs this)";
  testing_util::FaultingFile file(16);
  CopyCtx ctx{&file};
  SetProbeViolationHandlerForTesting(&RecordViolation);
  const ProbeViolationStats before = GetProbeViolationStats();
  Tracepoint<int> tp{"test:wrongly_faulting", MayFault::kNo};
  auto h = tp.Register(&CopyingProbe, &ctx, {.name = "bad_copy"});
  ASSERT_TRUE(h.ok());
  file.DropPages();
  tp(0);
  ASSERT_TRUE(tp.Unregister(*h).ok());
  SynchronizeTracepointUnregister();
  SetProbeViolationHandlerForTesting(nullptr);
  std::lock_guard<std::mutex> l(violation_mu);
  EXPECT_EQ(violation_tp, "test:wrongly_faulting");
  EXPECT_EQ(violation_probe, "bad_copy");
  EXPECT_GT(violation_faults, 0);
  EXPECT_GT(GetProbeViolationStats().faulting_calls, before.faulting_calls);
}

std::mutex blocking_mu;
std::string blocking_tp, blocking_probe;
long blocking_blocks = 0;
void RecordBlocking(const char* tp, const char* probe, long, long blocks) {
  std::lock_guard<std::mutex> l(blocking_mu);
  blocking_tp = tp;
  blocking_probe = probe;
  blocking_blocks += blocks;
}
void NappingProbe(void*, int) { std::this_thread::sleep_for(std::chrono::milliseconds(2)); }

TEST(TracepointTest, DebugBuildsReportBlockingInNonFaultableProbes) {
  if (!GRACE_DCHECK_IS_ON()) GTEST_SKIP() << "the probe watch is debug-only (dbg suite runs this)";
  SetProbeViolationHandlerForTesting(&RecordBlocking);
  const ProbeViolationStats before = GetProbeViolationStats();
  Tracepoint<int> tp{"test:wrongly_blocking", MayFault::kNo};
  auto h = tp.Register(&NappingProbe, nullptr, {.name = "napper"});
  ASSERT_TRUE(h.ok());
  for (int i = 0; i < 3; ++i) tp(i);  // each call sleeps: a voluntary context switch
  ASSERT_TRUE(tp.Unregister(*h).ok());
  SynchronizeTracepointUnregister();
  SetProbeViolationHandlerForTesting(nullptr);
  std::lock_guard<std::mutex> l(blocking_mu);
  EXPECT_EQ(blocking_tp, "test:wrongly_blocking");
  EXPECT_EQ(blocking_probe, "napper");
  EXPECT_GE(blocking_blocks, 3);
  EXPECT_GE(GetProbeViolationStats().blocking_calls, before.blocking_calls + 3);
}

class TracepointDeathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    if (!GRACE_DCHECK_IS_ON()) GTEST_SKIP() << "debug checks are off (NDEBUG); dbg suite runs this";
  }
};

void SynchronizingProbe(void*, int) { SynchronizeTracepointUnregister(); }

void FireASynchronizingProbe() {
  Tracepoint<int> tp{"test:death", MayFault::kYes};
  ProbeOptions o;
  o.may_fault = true;
  (void)tp.Register(&SynchronizingProbe, nullptr, o);
  tp(1);
}

TEST_F(TracepointDeathTest, SynchronizeUnregisterInsideAProbe) {
  EXPECT_DEATH(FireASynchronizingProbe(), "from inside a probe");
}

}  // namespace
}  // namespace grace
