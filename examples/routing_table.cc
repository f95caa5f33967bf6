// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// routing_table: grace's RCU without any tracing. Request threads look up routes in a table
// that a reloader replaces wholesale every few milliseconds; lookups never take a lock, may
// block (here: they sleep now and then, as a lookup that waits on I/O would), and never see a
// freed table. Depends on //rcu:tasks_trace only.
//
//   bazel run //examples:routing_table -- --seconds=2 --readers=4

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "rcu/tasks_trace.h"

ABSL_FLAG(double, seconds, 2.0, "how long to run");
ABSL_FLAG(int, readers, 4, "request threads");

namespace {

struct RoutingTable {
  uint64_t version;
  std::unordered_map<std::string, std::string> routes;  // prefix -> next hop
  ~RoutingTable() { version = ~uint64_t{0}; }           // a use after free shows as ~0
};

std::unique_ptr<RoutingTable> BuildTable(uint64_t version) {
  auto t = std::make_unique<RoutingTable>();
  t->version = version;
  for (int i = 0; i < 64; ++i) {
    t->routes["10." + std::to_string(i) + ".0.0/16"] = "gw" + std::to_string((i + version) % 8);
  }
  return t;
}

std::atomic<RoutingTable*> g_table{nullptr};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  grace::TasksTraceRcu& rcu = grace::TasksTraceRcu::Default();
  g_table.store(BuildTable(0).release(), std::memory_order_release);

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> lookups{0}, misses{0}, torn{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < absl::GetFlag(FLAGS_readers); ++r) {
    readers.emplace_back([&, r] {
      uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        std::scoped_lock read_section(rcu);  // nothing else: no lock, no barrier
        const RoutingTable* t = g_table.load(std::memory_order_acquire);
        std::string key = "10." + std::to_string((n + r) % 64) + ".0.0/16";
        auto it = t->routes.find(key);
        if (it == t->routes.end()) misses.fetch_add(1, std::memory_order_relaxed);
        if (n % 4096 == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
        if (t->version == ~uint64_t{0}) torn.fetch_add(1);  // read a freed table
        ++n;
      }
      lookups.fetch_add(n);
    });
  }

  uint64_t version = 0;
  auto end = std::chrono::steady_clock::now() +
             std::chrono::duration<double>(absl::GetFlag(FLAGS_seconds));
  while (std::chrono::steady_clock::now() < end) {
    RoutingTable* old =
        g_table.exchange(BuildTable(++version).release(), std::memory_order_acq_rel);
    rcu.Retire(old);  // freed once every lookup that could see it has finished
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  stop = true;
  for (auto& t : readers) t.join();
  rcu.Barrier();
  delete g_table.load();

  std::printf(
      "routing_table: %llu lookups by %d threads, %llu table reloads, %llu misses, "
      "%llu reads of a freed table\n",
      static_cast<unsigned long long>(lookups.load()), absl::GetFlag(FLAGS_readers),
      static_cast<unsigned long long>(version), static_cast<unsigned long long>(misses.load()),
      static_cast<unsigned long long>(torn.load()));
  return torn.load() == 0 && misses.load() == 0 ? 0 : 1;
}
