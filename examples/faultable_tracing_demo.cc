// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// faultable_tracing_demo: grace's main job (tools/demo).
//
// A small "file server": worker threads serve read requests out of a memory-mapped file. Two
// tracepoints instrument it:
//
//   demo:request_entry(const char* buf, size_t len)   MayFault::kYes
//       its probe copies the request's user buffer into a trace buffer. The file's pages are
//       dropped with madvise(MADV_DONTNEED) all the time, so the copy really takes page
//       faults, inside the probe, inside a Tasks Trace RCU read section.
//   demo:request_done(int worker, size_t bytes)        MayFault::kNo
//       its probe counts requests and bytes per worker (never faults, never blocks).
//
// Phases (each --phase_seconds): tracing off; non-faultable probe on; both probes on; and
// "churn": a tracer thread attaches and detaches probes on both tracepoints continuously
// (Register, Unregister, SynchronizeUnregister), measuring unregistration latency per
// flavour while the faultable probe faults and, now and then, sleeps.
//
// Then it measures the read-side cost per event of one tracepoint with one empty probe under
// each protection scheme available in this build, writes a markdown report and PNG plots
// (python3-matplotlib; skipped with a note if it is missing) to --out_dir, and prints the
// table. It ends by itself in about 25 s; --phase_seconds makes it longer.

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "rcu/probe_array.h"
#include "rcu/srcu.h"
#include "tracepoint/tracepoint.h"

ABSL_FLAG(double, phase_seconds, 4.0, "duration of each load phase (4 phases)");
ABSL_FLAG(int, workers, 2, "worker threads serving requests");
ABSL_FLAG(int, file_pages, 512, "size of the served file, in pages");
ABSL_FLAG(int, request_pages, 2, "pages per read request");
ABSL_FLAG(std::string, out_dir, "", "report directory (default: $TMPDIR/grace_demo_<pid>)");
ABSL_FLAG(int, fault_sample_every, 8,
          "the copy probe counts its page faults (two getrusage calls) on 1 call in N and "
          "scales; 1 = count every call exactly");
ABSL_FLAG(int, probe_sleep_every, 2000,
          "during churn the faultable probe sleeps 2 ms once every this many calls");

namespace {

using Clock = std::chrono::steady_clock;

grace::Tracepoint<const char*, size_t> tp_entry{"demo:request_entry", grace::MayFault::kYes};
grace::Tracepoint<int, size_t> tp_done{"demo:request_done", grace::MayFault::kNo};

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// ---- The served file ----
struct MappedFile {
  char* base = nullptr;
  size_t size = 0;
  size_t page = static_cast<size_t>(getpagesize());
  int fd = -1;

  explicit MappedFile(size_t pages) : size(pages * static_cast<size_t>(getpagesize())) {
    std::string path = absl::StrCat(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp",
                                    "/grace_demo_fileXXXXXX");
    fd = mkstemp(path.data());
    if (fd < 0 || ftruncate(fd, static_cast<off_t>(size)) != 0) {
      std::perror("demo: file");
      std::exit(1);
    }
    unlink(path.c_str());
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
      std::perror("demo: mmap");
      std::exit(1);
    }
    base = static_cast<char*>(p);
    for (size_t i = 0; i < size; ++i) base[i] = static_cast<char>('a' + i % 26);
  }
  ~MappedFile() {
    munmap(base, size);
    close(fd);
  }
  void DropPages() { madvise(base, size, MADV_DONTNEED); }
};

long ThreadFaults() {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  return ru.ru_minflt + ru.ru_majflt;
}

// ---- Probes ----
struct CopyProbeState {
  std::atomic<uint64_t> calls{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> faults{0};
  std::atomic<uint64_t> sleeps{0};
  int sleep_every = 0;  // 0: never sleeps
  int fault_sample_every = std::max(1, absl::GetFlag(FLAGS_fault_sample_every));
};

// The faultable probe: copies the user buffer (faulting on dropped pages) into a per-thread
// trace buffer.
void CopyProbe(void* data, const char* buf, size_t len) {
  auto* st = static_cast<CopyProbeState*>(data);
  thread_local std::vector<char> trace(1 << 16);
  thread_local uint64_t local_calls = 0;
  const size_t n = std::min(len, trace.size());
  if (local_calls++ % static_cast<uint64_t>(st->fault_sample_every) == 0) {
    const long f0 = ThreadFaults();
    std::memcpy(trace.data(), buf, n);  // faults: the pages were dropped
    const long f1 = ThreadFaults();
    st->faults.fetch_add(static_cast<uint64_t>(f1 - f0) * st->fault_sample_every,
                         std::memory_order_relaxed);
  } else {
    std::memcpy(trace.data(), buf, n);
  }
  st->bytes.fetch_add(n, std::memory_order_relaxed);
  const uint64_t c = st->calls.fetch_add(1, std::memory_order_relaxed);
  if (st->sleep_every > 0 && c % static_cast<uint64_t>(st->sleep_every) == 0) {
    st->sleeps.fetch_add(1, std::memory_order_relaxed);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // allowed: faultable
  }
}

// Per-worker counters, one cache line each: the probe never shares a written line.
struct CountProbeState {
  struct alignas(64) PerWorker {
    std::atomic<uint64_t> requests{0};
    std::atomic<uint64_t> bytes{0};
  };
  PerWorker w[64];
  uint64_t Requests() const {
    uint64_t n = 0;
    for (const auto& x : w) n += x.requests.load(std::memory_order_relaxed);
    return n;
  }
};
void CountProbe(void* data, int worker, size_t bytes) {
  auto& pw = static_cast<CountProbeState*>(data)->w[worker & 63];
  pw.requests.store(pw.requests.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  pw.bytes.store(pw.bytes.load(std::memory_order_relaxed) + bytes, std::memory_order_relaxed);
}

// ---- The server ----
struct Server {
  MappedFile& file;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> served{0};
  std::vector<std::thread> workers;
  std::thread dropper;

  explicit Server(MappedFile& f) : file(f) {}

  void Start(int nworkers) {
    stop = false;
    for (int w = 0; w < nworkers; ++w) {
      workers.emplace_back([this, w] {
        const size_t req = static_cast<size_t>(absl::GetFlag(FLAGS_request_pages)) * file.page;
        std::vector<char> out(req);
        uint64_t seed = 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(w + 1);
        uint64_t local = 0;
        while (!stop.load(std::memory_order_relaxed)) {
          seed = seed * 6364136223846793005ull + 1442695040888963407ull;
          const size_t off = (seed >> 20) % (file.size - req);
          const char* buf = file.base + off;
          tp_entry(buf, req);                 // faultable tracepoint at request entry
          std::memcpy(out.data(), buf, req);  // serve the request
          tp_done(w, req);                    // non-faultable tracepoint
          if (++local % 64 == 0) served.fetch_add(64, std::memory_order_relaxed);
        }
        served.fetch_add(local % 64, std::memory_order_relaxed);
      });
    }
    // Drops the file's pages every millisecond, so probes (and the server) take real faults.
    dropper = std::thread([this] {
      while (!stop.load(std::memory_order_relaxed)) {
        file.DropPages();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }

  void Stop() {
    stop = true;
    for (auto& t : workers) t.join();
    workers.clear();
    dropper.join();
  }
};

struct PhaseResult {
  std::string name;
  double req_per_s = 0;
  uint64_t probe_faults = 0;
  uint64_t probe_calls = 0;
};

// Runs the server for the phase duration with a progress line; returns requests/s.
double RunPhase(Server& s, const std::string& name, double seconds) {
  s.served = 0;
  s.Start(absl::GetFlag(FLAGS_workers));
  const auto t0 = Clock::now();
  uint64_t last = 0;
  for (int tick = 1; Seconds(Clock::now() - t0) < seconds; ++tick) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const uint64_t now = s.served.load();
    std::printf("\r  %-26s %5.1fs  %9.0f req/s   ", name.c_str(), Seconds(Clock::now() - t0),
                (now - last) / 0.5);
    std::fflush(stdout);
    last = now;
  }
  s.Stop();
  const double secs = Seconds(Clock::now() - t0);
  const double rate = s.served.load() / secs;
  std::printf("\r  %-26s done   %9.0f req/s average\n", name.c_str(), rate);
  return rate;
}

struct Latency {
  std::vector<double> us;
  double Pct(double p) const {
    if (us.empty()) return 0;
    std::vector<double> v = us;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
  }
};

// ---- Read-side cost per event under each protection scheme ----
template <class F>
double NsPerOp(F&& f, int64_t n) {
  std::vector<double> runs;
  for (int r = 0; r < 5; ++r) {
    const auto t0 = Clock::now();
    f(n);
    runs.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / n);
  }
  std::sort(runs.begin(), runs.end());
  return runs[2];
}

void EmptyProbe(void*, int) {}

struct SharedMutexTracepoint {
  std::shared_mutex mu;
  std::vector<std::pair<void (*)(void*, int), void*>> probes;
  void operator()(int v) {
    std::shared_lock<std::shared_mutex> l(mu);
    for (auto& p : probes) p.first(p.second, v);
  }
};

// The tracepoint call-site shape over another domain: an enabled test on the array's size
// word, then the probes inside a read section of `Domain` (through ProbeArrayDomainTraits).
template <class Domain>
class ProbeArrayEvent {
 public:
  ProbeArrayEvent() : probes_(std::in_place, domain_, "demo:probe_array_event") {}
  ~ProbeArrayEvent() {
    probes_.reset();    // retires the last snapshot through domain_
    domain_.Barrier();  // ... and waits for it before the domain goes
  }
  void Add(void (*fn)(void*, int), void* data) { (void)probes_->Add({fn, data}); }
  __attribute__((always_inline)) void operator()(int v) {
    if (__builtin_expect(probes_->SizeHint() != 0, 0)) Fire(v);
  }

 private:
  struct Probe {
    void (*fn)(void*, int);
    void* data;
    bool operator==(const Probe& o) const { return fn == o.fn && data == o.data; }
  };
  __attribute__((noinline)) void Fire(int v) {
    probes_->ForEach([&](const Probe& p) { p.fn(p.data, v); });
  }
  Domain domain_;
  std::optional<grace::ProbeArray<Probe, Domain>> probes_;
};

struct CostRow {
  std::string scheme;
  double ns_1t = -1;
  double ns_2t = -1;  // per event, per thread, with 2 threads firing
  std::string note;
};

template <class Fire>
double PerThreadNs(Fire&& fire, int threads, int64_t n) {
  if (threads == 1) return NsPerOp(fire, n);
  std::vector<double> res(threads);
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) ts.emplace_back([&, t] { res[t] = NsPerOp(fire, n); });
  for (auto& t : ts) t.join();
  double sum = 0;
  for (double r : res) sum += r;
  return sum / threads;
}

std::vector<CostRow> MeasureReadSideCosts() {
  std::vector<CostRow> rows;
  const int64_t n = 2'000'000;
  grace::Tracepoint<int> off{"demo:bench_off", grace::MayFault::kNo};
  grace::Tracepoint<int> nf{"demo:bench_nf", grace::MayFault::kNo};
  grace::Tracepoint<int> f{"demo:bench_f", grace::MayFault::kYes};
  (void)nf.Register(&EmptyProbe, nullptr);
  grace::ProbeOptions mf;
  mf.may_fault = true;
  (void)f.Register(&EmptyProbe, nullptr, mf);
  SharedMutexTracepoint sm;
  sm.probes.push_back({&EmptyProbe, nullptr});
  auto loop = [](auto& tp) {
    return [&tp](int64_t k) {
      for (int64_t i = 0; i < k; ++i) {
        asm volatile("" : "+r"(i));
        tp(static_cast<int>(i));
      }
    };
  };
  rows.push_back({"disabled call site (no probe)", PerThreadNs(loop(off), 1, n),
                  PerThreadNs(loop(off), 2, n), "one relaxed load + branch"});
  rows.push_back({"TasksTraceRcu (non-faultable domain)", PerThreadNs(loop(nf), 1, n),
                  PerThreadNs(loop(nf), 2, n), "grace, used by MayFault::kNo"});
  rows.push_back({"TasksTraceRcu (faultable domain)", PerThreadNs(loop(f), 1, n),
                  PerThreadNs(loop(f), 2, n), "grace, used by MayFault::kYes"});
  ProbeArrayEvent<grace::SrcuFast> srcu_fast;
  srcu_fast.Add(&EmptyProbe, nullptr);
  rows.push_back({"SrcuFast", PerThreadNs(loop(srcu_fast), 1, n),
                  PerThreadNs(loop(srcu_fast), 2, n),
                  "ProbeArray<_, grace::SrcuFast>, same shape"});
  ProbeArrayEvent<grace::Srcu> srcu;
  srcu.Add(&EmptyProbe, nullptr);
  rows.push_back({"Srcu", PerThreadNs(loop(srcu), 1, n), PerThreadNs(loop(srcu), 2, n),
                  "ProbeArray<_, grace::Srcu>: full barrier at lock and unlock"});
  rows.push_back({"std::shared_mutex", PerThreadNs(loop(sm), 1, n), PerThreadNs(loop(sm), 2, n),
                  "lock_shared + vector of probes"});
  (void)nf.Unregister({&nf, reinterpret_cast<void (*)()>(&EmptyProbe), nullptr});
  (void)f.Unregister({&f, reinterpret_cast<void (*)()>(&EmptyProbe), nullptr});
  grace::SynchronizeTracepointUnregister();
  return rows;
}

std::string Fmt(double v) { return v < 0 ? std::string("n/a") : absl::StrFormat("%.2f", v); }

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const double phase = absl::GetFlag(FLAGS_phase_seconds);
  std::string out = absl::GetFlag(FLAGS_out_dir);
  if (out.empty()) {
    out = absl::StrCat(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp", "/grace_demo_",
                       getpid());
  }
  if (std::system(absl::StrCat("mkdir -p '", out, "'").c_str()) != 0) {
    std::fprintf(stderr, "demo: cannot create %s\n", out.c_str());
    return 1;
  }

  std::printf(
      "grace faultable tracing demo: %d workers serving %d-page reads from a %d-page "
      "mmap'd file\n(pages dropped with madvise(MADV_DONTNEED) every ms); report -> %s\n\n",
      absl::GetFlag(FLAGS_workers), absl::GetFlag(FLAGS_request_pages),
      absl::GetFlag(FLAGS_file_pages), out.c_str());

  MappedFile file(static_cast<size_t>(absl::GetFlag(FLAGS_file_pages)));
  Server server(file);
  std::vector<PhaseResult> phases;
  CopyProbeState copy;
  CountProbeState count;

  // Phase 1: tracing off.
  phases.push_back({"tracing off", RunPhase(server, "tracing off", phase)});

  // Phase 2: non-faultable probe on.
  grace::ProbeOptions count_opts;
  count_opts.name = "count_requests";
  auto hc = tp_done.Register(&CountProbe, &count, count_opts);
  if (!hc.ok()) {
    std::fprintf(stderr, "demo: %s\n", hc.status().ToString().c_str());
    return 1;
  }
  phases.push_back({"non-faultable on", RunPhase(server, "non-faultable probe on", phase)});
  phases.back().probe_calls = count.Requests();

  // Phase 3: faultable probe on too.
  grace::ProbeOptions copy_opts;
  copy_opts.may_fault = true;
  copy_opts.name = "copy_user_buffer";
  auto hf = tp_entry.Register(&CopyProbe, &copy, copy_opts);
  if (!hf.ok()) {
    std::fprintf(stderr, "demo: %s\n", hf.status().ToString().c_str());
    return 1;
  }
  const uint64_t faults_before = copy.faults.load(), calls_before = copy.calls.load();
  phases.push_back(
      {"faultable on (+ non-faultable)", RunPhase(server, "faultable probe on", phase)});
  phases.back().probe_faults = copy.faults.load() - faults_before;
  phases.back().probe_calls = copy.calls.load() - calls_before;
  (void)tp_entry.Unregister(*hf);
  (void)tp_done.Unregister(*hc);
  grace::SynchronizeTracepointUnregister();

  // Phase 4: churn. A tracer thread attaches and detaches probes on both tracepoints; the
  // faultable probe also sleeps now and then. Unregistration latency per flavour.
  Latency lat_f, lat_nf;
  std::atomic<bool> tracer_stop{false};
  std::atomic<uint64_t> attach_cycles{0};
  CopyProbeState churn_copy;
  churn_copy.sleep_every = absl::GetFlag(FLAGS_probe_sleep_every);
  std::thread tracer([&] {
    while (!tracer_stop.load()) {
      // Fresh probe data every cycle: freed only after SynchronizeUnregister().
      auto* cnt = new CountProbeState;
      auto h1 = tp_done.Register(&CountProbe, cnt, count_opts);
      auto h2 = tp_entry.Register(&CopyProbe, &churn_copy, copy_opts);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      auto t0 = Clock::now();
      (void)tp_done.Unregister(*h1);
      tp_done.SynchronizeUnregister();
      lat_nf.us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      delete cnt;
      t0 = Clock::now();
      (void)tp_entry.Unregister(*h2);
      tp_entry.SynchronizeUnregister();
      lat_f.us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      attach_cycles.fetch_add(1);
    }
  });
  const uint64_t churn_faults0 = churn_copy.faults.load();
  phases.push_back(
      {"churn (tracer attach/detach)", RunPhase(server, "churn: attach/detach", phase)});
  tracer_stop = true;
  tracer.join();
  phases.back().probe_faults = churn_copy.faults.load() - churn_faults0;
  phases.back().probe_calls = churn_copy.calls.load();
  grace::SynchronizeTracepointUnregister();

  std::printf("  measuring read-side cost per event (1 empty probe) ...\n");
  std::vector<CostRow> costs = MeasureReadSideCosts();
  const grace::ProbeViolationStats viol = grace::GetProbeViolationStats();

  // ---- Report ----
  std::string md;
  absl::StrAppend(&md, "# grace faultable tracing demo\n\n",
                  absl::StrFormat("%d workers, %d-page requests from a %d-page mmap'd file, "
                                  "pages dropped every 1 ms; %.1f s per phase.\n\n",
                                  absl::GetFlag(FLAGS_workers), absl::GetFlag(FLAGS_request_pages),
                                  absl::GetFlag(FLAGS_file_pages), phase),
                  "## Throughput\n\n| phase | requests/s | vs off | probe calls | page faults "
                  "inside the faultable probe |\n|---|---:|---:|---:|---:|\n");
  for (const PhaseResult& p : phases) {
    absl::StrAppend(&md, absl::StrFormat("| %s | %.0f | %.2f | %s | %s |\n", p.name, p.req_per_s,
                                         p.req_per_s / phases[0].req_per_s,
                                         p.probe_calls ? absl::StrCat(p.probe_calls) : "-",
                                         p.probe_faults ? absl::StrCat(p.probe_faults) : "-"));
  }
  absl::StrAppend(
      &md, absl::StrFormat("\nFaults inside the probe: getrusage(RUSAGE_THREAD) around the copy "
                           "on 1 call in %d, scaled. The server's own copy then finds the pages "
                           "present: the faults move into the probe, inside its Tasks Trace RCU "
                           "read section.\n",
                           copy.fault_sample_every));
  absl::StrAppend(
      &md, "\n## Unregister + SynchronizeUnregister latency (churn phase, ", attach_cycles.load(),
      " attach/detach cycles)\n\n| flavour | median us | p90 us | p99 us | "
      "max us |\n|---|---:|---:|---:|---:|\n",
      absl::StrFormat("| non-faultable | %.0f | %.0f | %.0f | %.0f |\n", lat_nf.Pct(0.5),
                      lat_nf.Pct(0.9), lat_nf.Pct(0.99), lat_nf.Pct(1.0)),
      absl::StrFormat("| faultable (probe faults, sleeps 2 ms every %d calls) | %.0f | %.0f | "
                      "%.0f | %.0f |\n",
                      churn_copy.sleep_every, lat_f.Pct(0.5), lat_f.Pct(0.9), lat_f.Pct(0.99),
                      lat_f.Pct(1.0)),
      "\nThe faultable probe's sleeps and faults lengthen faultable grace periods only: the "
      "non-faultable tracepoint uses its own domain.\n\n## Read-side cost per event (1 empty "
      "probe, ns per event per thread)\n\n| protection | 1 thread | 2 threads | note |\n"
      "|---|---:|---:|---|\n");
  for (const CostRow& c : costs) {
    absl::StrAppend(&md, absl::StrFormat("| %s | %s | %s | %s |\n", c.scheme, Fmt(c.ns_1t),
                                         Fmt(c.ns_2t), c.note));
  }
  absl::StrAppend(&md,
                  absl::StrFormat("\nDebug-build probe watch: %llu faulting and %llu blocking "
                                  "non-faultable probe calls (0 expected; only counted in debug "
                                  "builds).\n",
                                  static_cast<unsigned long long>(viol.faulting_calls),
                                  static_cast<unsigned long long>(viol.blocking_calls)));

  // CSV for the plots.
  {
    std::ofstream csv(out + "/throughput.csv");
    csv << "phase,req_per_s\n";
    for (const PhaseResult& p : phases) csv << p.name << "," << p.req_per_s << "\n";
    std::ofstream l(out + "/unregister_latency.csv");
    l << "flavour,us\n";
    for (double v : lat_nf.us) l << "non-faultable," << v << "\n";
    for (double v : lat_f.us) l << "faultable," << v << "\n";
    std::ofstream c(out + "/read_cost.csv");
    c << "scheme,ns_1t,ns_2t\n";
    for (const CostRow& r : costs) {
      if (r.ns_1t >= 0) c << r.scheme << "," << r.ns_1t << "," << r.ns_2t << "\n";
    }
  }
  {
    std::ofstream py(out + "/plot.py");
    py << R"PY(import csv, sys, os
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
d = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(d, "throughput.csv"))))
plt.figure(figsize=(7, 3.5))
plt.barh([r["phase"] for r in rows], [float(r["req_per_s"]) for r in rows], color="#4c72b0")
plt.xlabel("requests/s"); plt.title("Throughput by tracing mode"); plt.tight_layout()
plt.savefig(os.path.join(d, "throughput.png"), dpi=110)
lat = {}
for r in csv.DictReader(open(os.path.join(d, "unregister_latency.csv"))):
    lat.setdefault(r["flavour"], []).append(float(r["us"]))
plt.figure(figsize=(7, 3.5))
for k, v in lat.items():
    v = sorted(v)
    plt.plot(v, [i / len(v) for i in range(len(v))], label=k)
plt.xscale("log"); plt.xlabel("Unregister + SynchronizeUnregister (us)"); plt.ylabel("CDF")
plt.legend(); plt.title("Unregistration latency per flavour"); plt.tight_layout()
plt.savefig(os.path.join(d, "unregister_latency.png"), dpi=110)
rows = list(csv.DictReader(open(os.path.join(d, "read_cost.csv"))))
plt.figure(figsize=(7, 3.5))
y = range(len(rows))
plt.barh([i - 0.2 for i in y], [float(r["ns_1t"]) for r in rows], height=0.4, label="1 thread")
plt.barh([i + 0.2 for i in y], [float(r["ns_2t"]) for r in rows], height=0.4, label="2 threads")
plt.yticks(list(y), [r["scheme"] for r in rows]); plt.xlabel("ns per event")
plt.legend(); plt.title("Read-side cost per event, 1 empty probe"); plt.tight_layout()
plt.savefig(os.path.join(d, "read_cost.png"), dpi=110)
)PY";
  }
  // Debian's python3 first (its python3-matplotlib), then whatever python3 is on PATH.
  const std::string plot =
      absl::StrCat("'", out, "/plot.py' '", out, "' >>'", out, "/plot.log' 2>&1");
  const int rc = std::system(absl::StrCat("/usr/bin/python3 ", plot, " || python3 ", plot).c_str());
  if (rc == 0) {
    absl::StrAppend(&md,
                    "\n![throughput](throughput.png)\n![unregister latency]"
                    "(unregister_latency.png)\n![read cost](read_cost.png)\n");
  } else {
    absl::StrAppend(&md,
                    "\nPlots skipped: python3 with matplotlib is not available "
                    "(apt-get install python3-matplotlib); see plot.log.\n");
  }
  std::ofstream(out + "/report.md") << md;

  std::printf("\n%s", md.c_str());
  std::printf("\nreport: %s/report.md%s\n", out.c_str(),
              rc == 0 ? " (plots: throughput.png, unregister_latency.png, read_cost.png)"
                      : " (plots skipped: no matplotlib)");
  return 0;
}
