"""headers_only: the compile-time half of cc_library deps (headers, defines, include paths)
without their object files. A dlopen()ed test plugin builds against it, so grace's code and
globals exist once in the process: in the host binary, which exports them (-rdynamic)."""

def _headers_only_impl(ctx):
    merged = cc_common.merge_cc_infos(cc_infos = [d[CcInfo] for d in ctx.attr.deps])
    return [CcInfo(compilation_context = merged.compilation_context)]

headers_only = rule(
    implementation = _headers_only_impl,
    attrs = {"deps": attr.label_list(providers = [CcInfo])},
)
