// A grace user that wants RCU and nothing else: a counter table read by several threads,
// replaced by one writer, old versions retired through Tasks Trace RCU.
#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "rcu/tasks_trace.h"

struct Snapshot {
  int version;
  int values[16];
};

int main() {
  grace::TasksTraceRcu& rcu = grace::TasksTraceRcu::Default();
  std::atomic<Snapshot*> current{new Snapshot{0, {}}};
  std::atomic<bool> stop{false};
  std::atomic<long> reads{0}, inconsistent{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 2; ++i) {
    readers.emplace_back([&] {
      while (!stop) {
        std::scoped_lock lock(rcu);
        const Snapshot* s = current.load(std::memory_order_acquire);
        for (int v : s->values) {
          if (v != s->version) inconsistent.fetch_add(1);
        }
        reads.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (int v = 1; v <= 2000; ++v) {
    auto* next = new Snapshot{v, {}};
    for (int& x : next->values) x = v;
    rcu.Retire(current.exchange(next, std::memory_order_acq_rel));
  }
  stop = true;
  for (auto& t : readers) t.join();
  rcu.Barrier();
  delete current.load();
  std::printf("rcu_only: %ld reads, %ld inconsistent\n", reads.load(), inconsistent.load());
  return inconsistent.load() == 0 ? 0 : 1;
}
