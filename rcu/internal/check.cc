// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0

#include "rcu/internal/check.h"

#include <string.h>
#include <unistd.h>

#include <cstdlib>

namespace grace {
namespace rcu_internal {
namespace {

// Appends `s` to buf[*len..cap), truncating. No allocation, no locale: signal-safe.
void Append(char* buf, size_t cap, size_t* len, const char* s) {
  while (*s != '\0' && *len + 1 < cap) buf[(*len)++] = *s++;
}

void AppendInt(char* buf, size_t cap, size_t* len, int v) {
  char digits[16];
  int n = 0;
  unsigned u = v < 0 ? 0u - static_cast<unsigned>(v) : static_cast<unsigned>(v);
  do {
    digits[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0 && n < 15);
  if (v < 0) Append(buf, cap, len, "-");
  while (n > 0 && *len + 1 < cap) buf[(*len)++] = digits[--n];
}

void WriteLine(const char* file, int line, const char* what, int err) {
  char buf[512];
  size_t len = 0;
  Append(buf, sizeof buf, &len, "grace: ");
  Append(buf, sizeof buf, &len, file);
  Append(buf, sizeof buf, &len, ":");
  AppendInt(buf, sizeof buf, &len, line);
  Append(buf, sizeof buf, &len, ": ");
  Append(buf, sizeof buf, &len, what);
  if (err != 0) {
    char ebuf[128];
    // GNU strerror_r returns a pointer to the message (maybe a static string).
    const char* msg = strerror_r(err, ebuf, sizeof ebuf);
    Append(buf, sizeof buf, &len, ": ");
    Append(buf, sizeof buf, &len, msg);
    Append(buf, sizeof buf, &len, " (errno ");
    AppendInt(buf, sizeof buf, &len, err);
    Append(buf, sizeof buf, &len, ")");
  }
  buf[len++] = '\n';
  size_t off = 0;
  while (off < len) {
    ssize_t n = ::write(STDERR_FILENO, buf + off, len - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
}

}  // namespace

void RawDie(const char* file, int line, const char* what, int err) noexcept {
  WriteLine(file, line, what, err);
  std::abort();
}

void RawLog(const char* file, int line, const char* what) noexcept {
  WriteLine(file, line, what, 0);
}

}  // namespace rcu_internal
}  // namespace grace
