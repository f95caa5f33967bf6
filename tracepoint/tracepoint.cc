// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// tracepoint/tracepoint.cc: registration, the registry and the debug-build probe watch.
//
// Overview, in the order things happen:
//   1. Construction (static initialisation, or dlopen() of a shared object): the tracepoint
//      picks its flavour's domain and joins the registry, which connects every attachment
//      made earlier under its name (signature and flavour checked).
//   2. Register(): checks the flavour rule, then ProbeArray::Add (copy, publish with
//      release, retire the old snapshot through the flavour's domain). The enabled word is
//      the array's live count, stored in the same locked section (TP4).
//   3. Fire (tracepoint.h): relaxed load of the enabled word outside any read section (TP2:
//      it is only a hint), then inside the read section the acquire load of the snapshot.
//   4. Unregister(): ProbeArray::Remove (never fails for a known probe: stub in place when
//      out of memory). SynchronizeTracepointUnregister(): a grace period of each domain.
//   5. Destruction (exit, dlclose()): leaves the registry; the last snapshot is retired.
// Ordering argument: a probe's data is freed only after Unregister() returned and a grace
// period of the probe's flavour elapsed; a read section that could still hold the entry
// began before the grace period, so it has ended ([tt:A]/[tt:B] in tasks_trace_core.h), and
// one that began later loads a snapshot without the entry or sees its stub ([pub:snap]).

#include "tracepoint/tracepoint.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "rcu/internal/check.h"
#include "rcu/internal/status.h"

namespace grace {
namespace tracepoint_internal {

TasksTraceRcu& FaultableDomain() {
  static TasksTraceRcu* const d = new TasksTraceRcu();
  return *d;
}
TasksTraceRcu& NonFaultableDomain() {
  static TasksTraceRcu* const d = new TasksTraceRcu();
  return *d;
}

namespace {
std::atomic<uint64_t> g_faulting_calls{0}, g_blocking_calls{0}, g_faults{0};
std::atomic<ProbeViolationHandler> g_handler{nullptr};
}  // namespace

void WatchStart(ProbeWatch* w) noexcept {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  w->faults = ru.ru_minflt + ru.ru_majflt;
  w->blocks = ru.ru_nvcsw;
}

void WatchEnd(const ProbeWatch& start, const char* tracepoint, const ProbeEntry& probe) noexcept {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  const long faults = ru.ru_minflt + ru.ru_majflt - start.faults;
  const long blocks = ru.ru_nvcsw - start.blocks;
  if (faults <= 0 && blocks <= 0) return;
  uint64_t n = 0;
  if (faults > 0) {
    n = g_faulting_calls.fetch_add(1, std::memory_order_relaxed);
    g_faults.fetch_add(static_cast<uint64_t>(faults), std::memory_order_relaxed);
  }
  if (blocks > 0) n = g_blocking_calls.fetch_add(1, std::memory_order_relaxed);
  const char* pname = probe.name != nullptr ? probe.name : "(unnamed probe)";
  if (ProbeViolationHandler h = g_handler.load(std::memory_order_acquire)) {
    h(tracepoint, pname, faults, blocks);
    return;
  }
  if (n % 1000 != 0) return;  // the 1st, 1001st, ... offence: keep the log readable
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "non-faultable tracepoint '%s': probe '%s' took %ld page fault(s) and blocked "
                "%ld time(s) (offence #%llu); register it on a MayFault::kYes tracepoint",
                tracepoint, pname, faults, blocks, static_cast<unsigned long long>(n + 1));
  GRACE_LOG(buf);
}

std::string SignatureFromPretty(const char* pretty) {
  // clang: "... SignatureOf() [Args = <const char *, int>]"; gcc: "[with Args = {...}]".
  std::string p(pretty);
  size_t b = p.find("Args = ");
  if (b == std::string::npos) return "void(?)";
  b += 7;
  size_t e = p.rfind(']');
  std::string args = p.substr(b, e == std::string::npos ? std::string::npos : e - b);
  if (!args.empty() && (args.front() == '<' || args.front() == '{')) args = args.substr(1);
  if (!args.empty() && (args.back() == '>' || args.back() == '}')) args.pop_back();
  return "void(" + args + ")";
}

}  // namespace tracepoint_internal

ProbeViolationStats GetProbeViolationStats() {
  using namespace tracepoint_internal;
  return {g_faulting_calls.load(), g_blocking_calls.load(), g_faults.load()};
}

void SetProbeViolationHandlerForTesting(ProbeViolationHandler h) {
  tracepoint_internal::g_handler.store(h, std::memory_order_release);
}

namespace {
const char* FlavourName(MayFault m) { return m == MayFault::kYes ? "faultable" : "non-faultable"; }
const char* ProbeName(const ProbeOptions& o) { return o.name != nullptr ? o.name : "(unnamed)"; }
}  // namespace

TracepointBase::TracepointBase(const char* name, MayFault may_fault, const std::string& signature)
    : domain_(may_fault == MayFault::kYes ? tracepoint_internal::FaultableDomain()
                                          : tracepoint_internal::NonFaultableDomain()),
      probes_(domain_, absl::StrCat("tracepoint '", name, "'")),
      name_(name),
      may_fault_(may_fault),
      signature_(signature) {
  TracepointRegistry::Global().Add(this);
}

TracepointBase::~TracepointBase() { TracepointRegistry::Global().Remove(this); }

absl::StatusOr<ProbeHandle> TracepointBase::RegisterErased(void (*fn)(), void* data,
                                                           const ProbeOptions& o) {
  if (fn == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("tracepoint '", name_, "': probe '", ProbeName(o), "' has a null function"));
  }
  if (o.may_fault != (may_fault_ == MayFault::kYes)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tracepoint '", name_, "' is ", FlavourName(may_fault_), " but probe '", ProbeName(o),
        "' was registered with may_fault=", o.may_fault ? "true" : "false",
        o.may_fault ? " (a probe that may fault needs a MayFault::kYes tracepoint)"
                    : " (probes of a faultable tracepoint must declare may_fault=true)"));
  }
  absl::Status s = probes_.Add({fn, data, o.name}, o.priority);
  if (!s.ok()) {  // possibly out of memory: see rcu/internal/status.h
    return rcu_internal::StatusWithMessage(s.code(), s.message(), "; probe '", ProbeName(o),
                                           "' data=", absl::Hex(reinterpret_cast<uintptr_t>(data)));
  }
  return ProbeHandle{this, fn, data};
}

absl::Status TracepointBase::Unregister(const ProbeHandle& h) {
  if (h.tracepoint != this) {
    return absl::NotFoundError(absl::StrCat(
        "tracepoint '", name_, "': the handle belongs to ",
        h.tracepoint == nullptr ? std::string("no tracepoint")
                                : absl::StrCat("tracepoint '", h.tracepoint->name(), "'")));
  }
  absl::Status s = probes_.Remove({h.fn, h.data, nullptr});
  if (!s.ok()) {
    return absl::NotFoundError(absl::StrCat(
        "tracepoint '", name_,
        "': no probe registered with data=", absl::Hex(reinterpret_cast<uintptr_t>(h.data))));
  }
  return absl::OkStatus();
}

void TracepointBase::SynchronizeUnregister() {
  GRACE_DCHECK(!domain_.InReader(),
               "SynchronizeUnregister() called from inside a probe (it would wait for itself)");
  domain_.Synchronize();
}

void SynchronizeTracepointUnregister() {
  TasksTraceRcu& f = tracepoint_internal::FaultableDomain();
  TasksTraceRcu& n = tracepoint_internal::NonFaultableDomain();
  GRACE_DCHECK(!f.InReader() && !n.InReader(),
               "SynchronizeTracepointUnregister() called from inside a probe (it would wait for "
               "itself)");
  // Start both grace periods, then wait for both: the slower flavour sets the latency.
  GpState fs = f.StartPoll();
  GpState ns = n.StartPoll();
  n.CondSynchronize(ns);
  f.CondSynchronize(fs);
}

// ---- Registry ----

TracepointRegistry& TracepointRegistry::Global() {
  static TracepointRegistry* const r = new TracepointRegistry();
  return *r;
}

absl::Status TracepointRegistry::CheckCompatible(const TracepointBase& tp,
                                                 const std::string& signature,
                                                 const ProbeOptions& o) {
  if (tp.signature() != signature) {
    return absl::InvalidArgumentError(absl::StrCat("tracepoint '", tp.name(), "' has signature ",
                                                   tp.signature(), ", not ", signature));
  }
  if (o.may_fault != (tp.may_fault() == MayFault::kYes)) {
    return absl::InvalidArgumentError(absl::StrCat("tracepoint '", tp.name(), "' is ",
                                                   FlavourName(tp.may_fault()), " but probe '",
                                                   ProbeName(o), "' has may_fault=", o.may_fault));
  }
  return absl::OkStatus();
}

void TracepointRegistry::Add(TracepointBase* tp) {
  rcu_internal::MutexLock l(&mu_);
  tracepoints_.push_back(tp);
  for (const Attachment& a : attachments_) {
    if (a.name != tp->name()) continue;
    absl::Status s = CheckCompatible(*tp, a.signature, a.options);
    if (s.ok()) s = tp->RegisterErased(a.fn, a.data, a.options).status();
    if (!s.ok()) {
      std::string msg = absl::StrCat("attach by name not connected: ", s.message());
      GRACE_LOG(msg.c_str());
    }
  }
}

void TracepointRegistry::Remove(TracepointBase* tp) {
  rcu_internal::MutexLock l(&mu_);
  tracepoints_.erase(std::remove(tracepoints_.begin(), tracepoints_.end(), tp), tracepoints_.end());
}

absl::StatusOr<TracepointBase*> TracepointRegistry::FindErased(absl::string_view name,
                                                               const std::string& signature) {
  rcu_internal::MutexLock l(&mu_);
  for (TracepointBase* tp : tracepoints_) {
    if (tp->name() != name) continue;
    if (tp->signature() != signature) {
      return absl::InvalidArgumentError(absl::StrCat("tracepoint '", name, "' has signature ",
                                                     tp->signature(), ", not ", signature));
    }
    return tp;
  }
  return absl::NotFoundError(absl::StrCat("no tracepoint named '", name, "' is loaded"));
}

absl::StatusOr<TracepointBase*> TracepointRegistry::FindAny(absl::string_view name) {
  rcu_internal::MutexLock l(&mu_);
  for (TracepointBase* tp : tracepoints_) {
    if (tp->name() == name) return tp;
  }
  return absl::NotFoundError(absl::StrCat("no tracepoint named '", name, "' is loaded"));
}

std::vector<std::string> TracepointRegistry::Names() {
  rcu_internal::MutexLock l(&mu_);
  std::vector<std::string> out;
  for (TracepointBase* tp : tracepoints_) out.emplace_back(tp->name());
  return out;
}

absl::StatusOr<AttachHandle> TracepointRegistry::AttachErased(absl::string_view name,
                                                              const std::string& signature,
                                                              void (*fn)(), void* data,
                                                              const ProbeOptions& o) {
  rcu_internal::MutexLock l(&mu_);
  for (const Attachment& a : attachments_) {
    if (a.name == name && a.fn == fn && a.data == data) {
      return absl::AlreadyExistsError(
          absl::StrCat("probe '", ProbeName(o), "' is already attached to '", name, "'"));
    }
  }
  std::vector<TracepointBase*> loaded;
  for (TracepointBase* tp : tracepoints_) {
    if (tp->name() != name) continue;
    absl::Status s = CheckCompatible(*tp, signature, o);
    if (!s.ok()) return s;
    loaded.push_back(tp);
  }
  std::vector<ProbeHandle> done;
  for (TracepointBase* tp : loaded) {
    absl::StatusOr<ProbeHandle> h = tp->RegisterErased(fn, data, o);
    if (!h.ok()) {
      for (const ProbeHandle& d : done) {
        (void)const_cast<TracepointBase*>(d.tracepoint)->Unregister(d);
      }
      return h.status();
    }
    done.push_back(*h);
  }
  const uint64_t id = next_id_++;
  attachments_.push_back({id, std::string(name), signature, fn, data, o});
  return AttachHandle{id};
}

absl::Status TracepointRegistry::Detach(AttachHandle h) {
  rcu_internal::MutexLock l(&mu_);
  auto it = std::find_if(attachments_.begin(), attachments_.end(),
                         [&](const Attachment& a) { return a.id == h.id; });
  if (it == attachments_.end()) {
    return absl::NotFoundError(absl::StrCat("no attachment with id ", h.id));
  }
  for (TracepointBase* tp : tracepoints_) {
    if (tp->name() == it->name) (void)tp->Unregister(ProbeHandle{tp, it->fn, it->data});
  }
  attachments_.erase(it);
  return absl::OkStatus();
}

}  // namespace grace
