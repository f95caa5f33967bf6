// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// A shared object with tracepoints, dlopen()ed by tracepoint_test. Its tracepoints join the
// host's registry when it is loaded and leave it at dlclose(). The host exports its symbols
// (-rdynamic), so grace's out-of-line code and globals bind to the host's single copy.

#include "tracepoint/tracepoint.h"

namespace {
grace::Tracepoint<int, const char*> tp_plugin_event{"plugin:event", grace::MayFault::kNo};
grace::Tracepoint<const char*> tp_plugin_read{"plugin:read", grace::MayFault::kYes};
}  // namespace

extern "C" __attribute__((visibility("default"))) void grace_test_plugin_fire(int n) {
  tp_plugin_event(n, "from plugin");
  tp_plugin_read("plugin buffer");
}
