#!/bin/sh
# The RCU-only program runs, and carries no tracepoint code: depending on //rcu:tasks_trace
# must not drag in //tracepoint.
set -e
"$1"
if nm -C "$1" | grep -E "grace::(Tracepoint|TracepointRegistry|ProbeArray)" >/dev/null; then
  echo "tracepoint code was linked into an RCU-only program:"
  nm -C "$1" | grep -E "grace::(Tracepoint|TracepointRegistry|ProbeArray)" | head
  exit 1
fi
echo "no tracepoint code linked in"
