// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// tracepoint/internal/tracepoint_base.h: the type-erased part of grace::Tracepoint<Args...>
// (tracepoint/tracepoint.h): the probe array, the flavour's domain, registration and the
// debug-build probe watch. Namespace grace::tracepoint_internal; not a public interface.
//
// Glossary: tp = tracepoint; probe = {fn, data} called at every hit; flavour = faultable
// (MayFault::kYes) or not; watch = the debug-build getrusage() check around a probe.
//
// Enabled state: the tracepoint's "enabled" word IS its probe array's live-entry count
// (ProbeArray::size_word()), stored under the array's updater lock in the same critical
// section that publishes the snapshot. So enabled == (probe count > 0) whenever no
// registration is in progress, also when registrations and unregistrations race (models TP4).

#ifndef GRACE_TRACEPOINT_INTERNAL_TRACEPOINT_BASE_H_
#define GRACE_TRACEPOINT_INTERNAL_TRACEPOINT_BASE_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rcu/probe_array.h"
#include "rcu/tasks_trace.h"

namespace grace {

enum class MayFault : int { kNo = 0, kYes = 1 };

// Options of one probe registration.
struct ProbeOptions {
  // The probe may take page faults or block: only allowed on MayFault::kYes tracepoints, and
  // required there (the rule of the kernel's faultable tracepoints).
  bool may_fault = false;
  // Higher runs first; equal priorities run in registration order.
  int priority = 0;
  // Names the probe in diagnostics (debug-build fault reports, status messages). Must outlive
  // the registration (a string literal).
  const char* name = nullptr;
};

class TracepointBase;

// Identifies one registration; returned by Register, consumed by Unregister.
struct ProbeHandle {
  const TracepointBase* tracepoint = nullptr;
  void (*fn)() = nullptr;  // the probe function, type-erased
  void* data = nullptr;
};

namespace tracepoint_internal {

struct ProbeEntry {
  void (*fn)();
  void* data;
  const char* name;
  bool operator==(const ProbeEntry& o) const { return fn == o.fn && data == o.data; }
};

// The two flavours' domains (independent TasksTraceRcu domains, never destroyed).
TasksTraceRcu& FaultableDomain();
TasksTraceRcu& NonFaultableDomain();

// Debug-build watch around one non-faultable probe call (getrusage(RUSAGE_THREAD)).
struct ProbeWatch {
  long faults = 0;
  long blocks = 0;  // voluntary context switches
};
void WatchStart(ProbeWatch* w) noexcept;
// Reports (once per 1000 offences, with the running count) a probe that faulted or blocked.
void WatchEnd(const ProbeWatch& start, const char* tracepoint, const ProbeEntry& probe) noexcept;

// Renders "void(const char *, int)" from a __PRETTY_FUNCTION__ of SignatureOf<Args...>.
std::string SignatureFromPretty(const char* pretty);

template <class... Args>
const std::string& SignatureOf() {
  static const std::string* const s = new std::string(SignatureFromPretty(__PRETTY_FUNCTION__));
  return *s;
}

}  // namespace tracepoint_internal

// What debug builds saw non-faultable probes do (process-wide totals).
struct ProbeViolationStats {
  uint64_t faulting_calls = 0;  // probe calls during which the thread took page faults
  uint64_t blocking_calls = 0;  // probe calls during which the thread blocked
  uint64_t faults = 0;          // page faults inside those calls
};
ProbeViolationStats GetProbeViolationStats();

// Called (instead of the default log line) for every offending call; for tests. nullptr
// restores the default. The handler runs on the probe's thread, inside the read section.
using ProbeViolationHandler = void (*)(const char* tracepoint, const char* probe, long faults,
                                       long blocks);
void SetProbeViolationHandlerForTesting(ProbeViolationHandler h);

class TracepointBase {
 public:
  TracepointBase(const TracepointBase&) = delete;
  TracepointBase& operator=(const TracepointBase&) = delete;

  const char* name() const noexcept { return name_; }
  MayFault may_fault() const noexcept { return may_fault_; }
  // "void(const char *, int)": the argument types probes receive after their data pointer.
  const std::string& signature() const noexcept { return signature_; }
  // Enabled == at least one probe. One relaxed load.
  bool enabled() const noexcept { return enabled_word().load(std::memory_order_relaxed) != 0; }
  uint32_t probe_count() const noexcept { return probes_.SizeHint(); }

  // Type-erased registration (Tracepoint<Args...>::Register and the registry use it).
  absl::StatusOr<ProbeHandle> RegisterErased(void (*fn)(), void* data, const ProbeOptions& o);
  absl::Status Unregister(const ProbeHandle& h);
  // Waits until no reader of this tracepoint's flavour still runs a probe unregistered
  // before the call (a grace period of the flavour's domain). Callable inside a probe: no.
  void SynchronizeUnregister();
  // Tests: the next `n` probe-array allocations fail.
  void FailAllocationsForTesting(int n) { probes_.FailAllocationsForTesting(n); }

 protected:
  TracepointBase(const char* name, MayFault may_fault, const std::string& signature);
  ~TracepointBase();

  TasksTraceRcu& domain_;
  ProbeArray<tracepoint_internal::ProbeEntry, TasksTraceRcu> probes_;
  // The enabled word: probes_' live count, a member of this object (at a fixed offset from
  // `this`, so a call site loads it with one instruction; no pointer to chase).
  const std::atomic<uint32_t>& enabled_word() const noexcept { return probes_.size_word(); }

 private:
  const char* const name_;
  const MayFault may_fault_;
  const std::string signature_;
};

}  // namespace grace

#endif  // GRACE_TRACEPOINT_INTERNAL_TRACEPOINT_BASE_H_
