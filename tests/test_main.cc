// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// main() for grace's GoogleTest binaries: GoogleTest takes its flags first, then Abseil flags
// (iteration counts, durations) are parsed from what is left, so one binary serves as a quick
// test in tools/test and as a soak test with larger values, e.g.
//   bazel run //tests:sync_test -- --sb_iterations=10000000

#include "absl/flags/parse.h"
#include "gtest/gtest.h"

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  absl::ParseCommandLine(argc, argv);
  return RUN_ALL_TESTS();
}
