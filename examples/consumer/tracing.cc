// A grace user's tracing program: one faultable and one non-faultable tracepoint, a probe on
// each, fired from two threads, then detached. Exits 0 if every probe call was counted and
// nothing fired after detaching.

#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "tracepoint/tracepoint.h"

namespace {

grace::Tracepoint<const char*, size_t> tp_read{"consumer:read", grace::MayFault::kYes};
grace::Tracepoint<int> tp_request{"consumer:request", grace::MayFault::kNo};

struct CopyProbe {
  std::atomic<long> calls{0};
  std::atomic<long> bytes{0};
};

// Faultable: copies the caller's buffer (may fault, may block).
void Copy(void* data, const char* buf, size_t n) {
  auto* p = static_cast<CopyProbe*>(data);
  std::vector<char> copy(buf, buf + n);
  p->bytes.fetch_add(static_cast<long>(copy.size()), std::memory_order_relaxed);
  p->calls.fetch_add(1, std::memory_order_relaxed);
}

// Non-faultable: counts.
void Count(void* data, int) { static_cast<std::atomic<long>*>(data)->fetch_add(1); }

}  // namespace

int main() {
  CopyProbe copy;
  std::atomic<long> requests{0};
  grace::ProbeOptions faultable;
  faultable.may_fault = true;
  faultable.name = "copy";
  auto h1 = tp_read.Register(&Copy, &copy, faultable);
  auto h2 = tp_request.Register(&Count, &requests);
  // A non-faultable tracepoint refuses a faultable probe (the kernel's rule).
  auto wrong = tp_request.Register(&Count, &copy, faultable);
  if (!h1.ok() || !h2.ok() || wrong.ok()) {
    std::fprintf(stderr, "register: %s / %s / %s\n", h1.status().ToString().c_str(),
                 h2.status().ToString().c_str(), wrong.status().ToString().c_str());
    return 1;
  }
  constexpr int kPerThread = 10000;
  char buf[256];
  std::memset(buf, 'x', sizeof(buf));
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        tp_request(i);
        tp_read(buf, sizeof(buf));
      }
    });
  }
  for (auto& t : threads) t.join();
  if (!tp_read.Unregister(*h1).ok() || !tp_request.Unregister(*h2).ok()) return 1;
  grace::SynchronizeTracepointUnregister();  // from here on, the probes' data may go
  tp_request(0);
  tp_read(buf, sizeof(buf));
  std::printf("requests counted %ld, buffers copied %ld (%ld bytes)\n", requests.load(),
              copy.calls.load(), copy.bytes.load());
  const bool ok = requests.load() == 2 * kPerThread && copy.calls.load() == 2 * kPerThread;
  std::printf("%s\n", ok ? "ok" : "MISMATCH");
  return ok ? 0 : 1;
}
