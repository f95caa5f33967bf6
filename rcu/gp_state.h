// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// -----------------------------------------------------------------------------
// File: rcu/gp_state.h
// -----------------------------------------------------------------------------
//
// GpState: a cookie for polled grace periods, shared by every grace domain type
// (TasksTraceRcu, Srcu, SrcuFast).
//
//   GpState s = domain.StartPoll();    // snapshot, and make sure a grace period will run
//   ... do other work ...
//   if (domain.Poll(s)) FreeOldData();  // a full grace period has elapsed since StartPoll()
//   domain.CondSynchronize(s);          // or block until it has
//
// A GpState is only meaningful for the domain that produced it. Copyable, trivially.
//
// Memory ordering: if Poll(s) returns true, every reader of that domain that was running when
// the GetState()/StartPoll() that produced `s` was called has finished, and its accesses
// happen before whatever the caller of Poll() does next.

#ifndef GRACE_RCU_GP_STATE_H_
#define GRACE_RCU_GP_STATE_H_

#include <cstdint>

namespace grace {

struct GpState {
  // The value the domain's grace-period sequence must reach. Even values only.
  uint64_t seq = 0;

  friend bool operator==(GpState a, GpState b) { return a.seq == b.seq; }
  friend bool operator!=(GpState a, GpState b) { return a.seq != b.seq; }
};

}  // namespace grace

#endif  // GRACE_RCU_GP_STATE_H_
