"""Compiler options shared by every grace target (one place, as Abseil's copts do).

-Wthread-safety is clang's; gcc would reject it, so it is added only when the configured
compiler is clang (//:clang_compiler). grace's own .bazelrc builds with clang-14.
"""

_WARNINGS = [
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-unused-parameter",
]

GRACE_DEFAULT_COPTS = _WARNINGS + select({
    "//:clang_compiler": ["-Wthread-safety"],
    "//conditions:default": [],
})

GRACE_TEST_COPTS = GRACE_DEFAULT_COPTS

# Relacy's headers trip many warnings that are not ours, and its allocator does not replace
# sized operator delete (shared/models.md); its fibers longjmp across stacks, which
# _FORTIFY_SOURCE (on in opt builds) rejects. Models only.
GRACE_MODEL_COPTS = [
    "-fno-sized-deallocation",
    "-U_FORTIFY_SOURCE",
    "-w",
    "-O2",
]
