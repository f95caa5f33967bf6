#!/usr/bin/python3
"""Turns a tools/bench output folder into report.md plus PNG plots.

Input: <dir>/*.json (Google Benchmark JSON with every repetition and the aggregates),
<dir>/*.txt (each binary's stdout, whose last section is the ratio table printed by
benchmarks/harness.cc), <dir>/instructions.md, <dir>/machine.txt.
Plots (matplotlib from Debian's python3-matplotlib):
  read_cost_vs_threads.png  read lock+unlock time per flavour against reader threads
  gp_latency.png            distribution of grace-period latencies (one box per benchmark)
  tradeoff.png              read-side cost vs grace-period cost per flavour: the trade-off
"""
import collections
import glob
import json
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(outdir):
    runs = []
    for path in sorted(glob.glob(os.path.join(outdir, "*.json"))):
        # A binary whose benchmarks --filter matched none leaves an empty file.
        if os.path.getsize(path) == 0:
            continue
        with open(path) as f:
            data = json.load(f)
        for b in data.get("benchmarks", []):
            b["binary"] = os.path.basename(path)[:-5]
            runs.append(b)
    return runs


def ns(b):
    scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
    return b["real_time"] * scale


def flavour(name):
    m = re.match(r"BM_([A-Za-z]+?)_", name)
    return m.group(1) if m else name


def lttng_peer(outdir, runs, medians):
    """Says which enabled LTTng-UST peer tracepoint_benchmark measured: a real LTTng-UST
    session (BM_LttngUst_Enabled ran, under tools/lttng_session) or only LTTng-UST's design
    rebuilt on urcu-bp (BM_LttngDesign_Enabled)."""
    if not any(r["binary"] == "tracepoint_benchmark" for r in runs):
        return []
    note = ""
    path = os.path.join(outdir, "lttng_session.txt")
    if os.path.exists(path):
        with open(path) as f:
            note = f.read().strip()
    real = medians.get("BM_LttngUst_Enabled")
    design = medians.get("BM_LttngDesign_Enabled/1")
    lines = ["## LTTng-UST peer (tracepoint_benchmark, enabled)", ""]
    if real is not None:
        lines.append(f"Enabled peer: **real LTTng-UST session** (BM_LttngUst_Enabled, median "
                     f"{ns(real):.2f} ns: the call records an event); also measured, with an "
                     f"empty probe like grace's: LTTng-UST design rebuilt on urcu-bp"
                     + (f" ({ns(design):.2f} ns)" if design else "") + ".")
    else:
        lines.append("Enabled peer: **LTTng-UST design rebuilt on urcu-bp** only "
                     "(BM_LttngDesign_Enabled); BM_LttngUst_Enabled did not run.")
    if note:
        lines += ["", f"tools/lttng_session: {note}"]
    return lines + [""]


def main(outdir):
    runs = load(outdir)
    medians = {b["run_name"]: b for b in runs if b.get("aggregate_name") == "median"}
    reps = collections.defaultdict(list)
    for b in runs:
        if b.get("run_type") == "iteration":
            reps[b["run_name"]].append(ns(b))

    lines = ["# grace benchmark report", ""]
    with open(os.path.join(outdir, "machine.txt")) as f:
        lines += ["```", f.read().strip(), "```", ""]
    # Several binaries measure the same peer (e.g. urcu_memb): the table names the binary;
    # the plots use one measurement per benchmark name.
    lines += ["## Medians", "", "| binary | benchmark | median | repetitions | items/s |",
              "|---|---|---|---|---|"]
    counts = collections.Counter((r["binary"], r["run_name"]) for r in runs
                                 if r.get("run_type") == "iteration")
    for b in sorted((b for b in runs if b.get("aggregate_name") == "median"),
                    key=lambda b: (b["binary"], b["run_name"])):
        name = b["run_name"]
        ips = b.get("items_per_second")
        n = counts[(b["binary"], name)]
        lines.append(f"| {b['binary']} | {name} | {ns(b):.2f} ns | {n} | "
                     f"{'' if ips is None else f'{ips:,.0f}'} |")
    lines.append("")
    lines += lttng_peer(outdir, runs, medians)
    for txt in sorted(glob.glob(os.path.join(outdir, "*.txt"))):
        if txt.endswith("machine.txt") or txt.endswith("lttng_session.txt"):
            continue
        with open(txt) as f:
            text = f.read()
        i = text.find("Ratios (")
        if i >= 0:
            lines += [f"## Ratios: {os.path.basename(txt)[:-4]}", "", text[i:].strip(), ""]
    inst = os.path.join(outdir, "instructions.md")
    if os.path.exists(inst):
        with open(inst) as f:
            lines += ["## Instructions per read pair and per tracepoint fire (callgrind)", "", f.read().strip(), ""]

    # Read cost vs threads.
    series = collections.defaultdict(dict)
    for name, b in medians.items():
        m = re.match(r"(BM_\w*ReadPair)/threads:(\d+)$", name)
        if m and "Nested" not in name:
            series[m.group(1)][int(m.group(2))] = ns(b)
    if series:
        plt.figure(figsize=(7, 4))
        for key, pts in sorted(series.items()):
            xs = sorted(pts)
            plt.plot(xs, [pts[x] for x in xs], marker="o", label=key[3:])
        plt.xlabel("reader threads")
        plt.ylabel("ns per lock+unlock (median)")
        plt.title("Read-side cost vs threads")
        plt.legend(fontsize=7)
        plt.grid(alpha=0.3)
        plt.tight_layout()
        plt.savefig(os.path.join(outdir, "read_cost_vs_threads.png"), dpi=110)
        plt.close()
        lines += ["![read cost vs threads](read_cost_vs_threads.png)", ""]

    # Grace-period latency distributions.
    gp = {k: v for k, v in reps.items() if "Synchronize" in k and "Concurrent" not in k and v}
    if gp:
        keys = sorted(gp)
        plt.figure(figsize=(9, 4))
        plt.boxplot([[x / 1e3 for x in gp[k]] for k in keys], vert=False)
        plt.yticks(range(1, len(keys) + 1), [k[3:] for k in keys], fontsize=7)
        plt.xscale("log")
        plt.xlabel("grace-period latency, us (per repetition)")
        plt.title("Grace-period latency distributions")
        plt.tight_layout()
        plt.savefig(os.path.join(outdir, "gp_latency.png"), dpi=110)
        plt.close()
        lines += ["![grace-period latency](gp_latency.png)", ""]

    # The trade-off: read cost vs grace-period cost per flavour.
    read = {flavour(n): ns(b) for n, b in medians.items() if re.search(r"_ReadPair/threads:1$", n)}
    sync = {flavour(n): ns(b) for n, b in medians.items() if re.search(r"_SynchronizeIdle", n)}
    both = sorted(set(read) & set(sync))
    if both:
        # Log-log: the flavours span two orders of magnitude on both axes. A read side that
        # costs nothing (urcu_qsbr) is drawn at a floor and labelled so.
        floor = 0.05
        plt.figure(figsize=(7, 4.5))
        for k, f in enumerate(both):
            x = max(read[f], floor)
            label = f if read[f] >= floor else f + " (0 ns)"
            plt.scatter(x, sync[f] / 1e3)
            dx, dy = ((5, 6), (5, -11), (-12, 9), (-12, -14))[k % 4]
            plt.annotate(label, (x, sync[f] / 1e3), fontsize=8, xytext=(dx, dy),
                         textcoords="offset points", ha="left" if dx > 0 else "right")
        plt.xscale("log")
        plt.yscale("log")
        plt.xlabel("read lock+unlock, ns (median, log)")
        plt.ylabel("Synchronize, idle, us (median, log)")
        plt.title("Read-side cost vs grace-period cost")
        plt.grid(alpha=0.3, which="both")
        plt.tight_layout()
        plt.savefig(os.path.join(outdir, "tradeoff.png"), dpi=110)
        plt.close()
        lines += ["![trade-off](tradeoff.png)", ""]

    # Sweeps: cost per fire vs attached probes, and grace-period cost vs live domains.
    sweeps = {"probes": collections.defaultdict(dict), "domains": collections.defaultdict(dict)}
    for name, b in medians.items():
        m = re.match(r"(BM_\w+)/(\d+)(/real_time)?$", name)
        if not m:
            continue
        kind = "probes" if "_Enabled" in m.group(1) else (
            "domains" if "AmongDomains" in m.group(1) else None)
        if kind:
            sweeps[kind][m.group(1)[3:]][int(m.group(2))] = ns(b)
    if any(sweeps.values()):
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        titles = {"probes": ("probes attached", "ns per tracepoint fire (median)",
                             "Enabled tracepoint vs probes"),
                  "domains": ("live domains", "ns per Synchronize (median)",
                              "Grace period vs number of domains")}
        for ax, kind in zip(axes, ("probes", "domains")):
            for key, pts in sorted(sweeps[kind].items()):
                xs = sorted(pts)
                ax.plot(xs, [pts[x] for x in xs], marker="o", label=key)
            xl, yl, t = titles[kind]
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel(xl)
            ax.set_ylabel(yl)
            ax.set_title(t)
            ax.grid(alpha=0.3)
            if sweeps[kind]:
                ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(outdir, "sweeps.png"), dpi=110)
        plt.close(fig)
        lines += ["![probe and domain sweeps](sweeps.png)", ""]

    with open(os.path.join(outdir, "report.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
