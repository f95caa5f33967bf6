#!/bin/sh
# The tracing program runs and counts every probe call.
set -e
out=$("$1")
echo "$out"
echo "$out" | grep -qx ok
