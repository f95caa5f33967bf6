#!/bin/sh
# Runs the benchmark binary $1 for a token amount of time; fails if it crashes or prints no
# ratio table (the harness's last section).
set -e
out=$("$1" --benchmark_min_time=0.0001 --benchmark_repetitions=1 2>&1) || {
  echo "$out"
  exit 1
}
echo "$out" | tail -20
echo "$out" | grep -q "^Ratios" || { echo "no ratio table"; exit 1; }
