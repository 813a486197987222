#!/usr/bin/env python3
"""The GPU benchmark's table, and its rows against issue 3's targets.

usage: bench_targets.py BENCH_DIR [--simulator]   the targets (markdown)
       bench_targets.py --table BENCH_DIR         the benchmark's table

BENCH_DIR is scripts/gpu-check's benchmark folder: for each cell size H, a
folder KIND-H with the summary.json of a run (and KIND-H.rN of its
repeats: each time is then the median over the runs, the end-to-end time
the median of the runs' sums, the GPU peak the largest, the bandwidth the
first run's, which alone measures it): pmg (the p-multigrid over
the matrix-free stiffness, the TET10 default), amg (the smoothed
aggregation on the assembled stiffness), the variants (kernel: amg with
Femora's BSR kernel; single, transpose, spgemm, compare, generic), gamg
(PETSc GAMG on the CPU cores of the same machine) and ref (the plain-C
backend on the CPU cores, pmg); and cupy-H.json (CuPy's Jacobi-CG on the
same assembled system).  What is missing is reported as not measured.

The targets (issue 3, "Performance"): 10M DOF to a 1e-8 relative residual
in under 3 s end to end (assembly + setup + solve); the stiffness product
at 75% or more of the device-to-device copy bandwidth; at most 1.2 KB of
GPU memory per DOF; at least 10 times faster than Femora CPU (PETSc GAMG
on all cores); iteration counts within 1.5 times PETSc GAMG's.  GPU memory
is the device's in use at its peak (cudaMemGetInfo, CUDA context
included), judged from 1M DOF.  With --simulator (the CUDA simulator's
rehearsal) nothing is judged: its times and bandwidths are the host's."""
import glob
import json
import os
import re
import statistics
import sys

# the GPU rows of the table, in this order, with what each one is
GPU_KINDS = (
    ("pmg", "p-multigrid, matrix-free TET10 (the default)"),
    ("amg", "smoothed aggregation, assembled (cuSPARSE's BSR SpMV)"),
    ("kernel", "amg, the stiffness products by Femora's BSR kernel"),
    ("single", "amg, single-precision cycle"),
    ("transpose", "amg, R not kept: restriction by cuSPARSE's transposed product of P"),
    ("spgemm", "amg, SpGEMM Galerkin"),
    ("compare", "amg, GPU setup = host setup, checked (setup time includes the host's)"),
    ("generic", "pmg, the generic element action (fm_tet_apply_generic)"),
)
KINDS = [k for k, _ in GPU_KINDS] + ["gamg", "ref"]


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def e2e(s):
    if "median_e2e" in s:
        return s["median_e2e"]
    t = s["timings"]
    return t["assembly"] + t["setup"] + t["solve"]


def merged(runs):
    """One summary from an item's runs (the first first): medians of the
    times, the largest GPU peak, the first run's bandwidth."""
    s = dict(runs[0])
    if len(runs) > 1:
        s["timings"] = {k: statistics.median(r["timings"][k] for r in runs)
                        for k in runs[0]["timings"]}
        s["median_e2e"] = statistics.median(e2e(r) for r in runs)
        s["gpu_peak_memory_mb"] = max(r.get("gpu_peak_memory_mb", 0) for r in runs)
    s["runs"] = len(runs)
    return s


def runs_by_size(bench):
    """{h: {kind: summary}} for every item found (its runs merged), sizes by
    DOF (smallest first)."""
    found, reps = {}, {}
    pat = re.compile(r"^(%s)-(\d+(?:\.\d+)?)(?:\.r(\d+))?$" % "|".join(KINDS))
    for p in glob.glob(os.path.join(bench, "*-*")):
        m = pat.match(os.path.basename(p))
        s = load(os.path.join(p, "summary.json")) if m and os.path.isdir(p) else None
        if s:
            reps.setdefault((m.group(2), m.group(1)), []).append((int(m.group(3) or 1), s))
    for (h, kind), rs in reps.items():
        rs.sort(key=lambda x: x[0])
        if rs[0][0] == 1:  # repeats without their first run: not an item
            found.setdefault(h, {})[kind] = merged([r for _, r in rs])
    for p in glob.glob(os.path.join(bench, "cupy-*.json")):
        c = load(p)
        if c:
            found.setdefault(os.path.basename(p)[5:-5], {})["cupy"] = c
    return dict(sorted(found.items(), key=lambda kv: -float(kv[0])))


def table(bench):
    sizes = runs_by_size(bench)
    print("| h (mm) | run | DOF | iterations | assembly (s) | setup (s) | solve (s) | "
          "assembly+setup+solve (s) | GPU peak (MB) | bytes/DOF | Femora SpMV / copy bandwidth | "
          "CuPy Jacobi-CG: iterations, solve (s), SpMV / copy bandwidth | "
          "Femora CPU, PETSc GAMG on all cores: iterations, assembly+setup+solve (s), ratio to this row | "
          "Femora CPU, plain-C p-multigrid on all threads: the same |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for h, runs in sizes.items():
        c = runs.get("cupy")
        cupy = (f"{c['iterations']} its (residual {c.get('residual', float('nan')):.1e}), "
                f"{c['seconds']:.2f} s, "
                f"{c.get('spmv_gbs', 0):.0f}/{c.get('copy_gbs', 0):.0f} GB/s = "
                f"{100 * c.get('spmv_fraction', 0):.0f}%") if c else "not run"
        for kind, what in GPU_KINDS:
            s = runs.get(kind)
            if not s:
                continue
            t, lc = s["timings"], s["load_cases"][0]
            g = s.get("gpu_peak_memory_mb", 0)
            sp, cp = s.get("gpu_spmv_gbs", 0), s.get("gpu_copy_gbs", 0)
            bw = f"{sp:.0f}/{cp:.0f} GB/s = {100 * sp / cp:.0f}%" if sp > 0 and cp > 0 else "-"
            cpu = []
            for k in ("gamg", "ref"):
                r = runs.get(k)
                cpu.append(f"{r['load_cases'][0]['iterations']} its, {e2e(r):.2f} s, "
                           f"{e2e(r) / e2e(s):.1f}x" if r and kind in ("pmg", "amg") else
                           ("not run" if kind in ("pmg", "amg") else "-"))
            n = s.get("runs", 1)
            what = what + (f" (medians of {n} runs)" if n > 1 else " (one run)")
            print(f"| {h} | {kind}: {what} | {s['dofs']} | {lc['iterations']} | "
                  f"{t['assembly']:.3f} | {t['setup']:.3f} | {t['solve']:.3f} | {e2e(s):.3f} | "
                  f"{g:.0f} | {g * 1048576 / s['dofs']:.0f} | {bw} | "
                  f"{cupy if kind in ('pmg', 'amg') else '-'} | {cpu[0]} | {cpu[1]} |")
        for k, what in (("gamg", "PETSc GAMG, CPU"), ("ref", "plain-C p-multigrid, CPU")):
            r = runs.get(k)
            if r and not runs.get("pmg") and not runs.get("amg"):
                print(f"| {h} | {k}: {what} (no GPU run of this size) | {r['dofs']} | "
                      f"{r['load_cases'][0]['iterations']} | - | - | - | {e2e(r):.3f} | - | - | - | - | - | - |")


TEN = "10M DOF to 1e-8 in < 3 s end to end"
MEM = "<= 1.2 KB of GPU memory per DOF"
FAST = ">= 10x faster than PETSc GAMG on the CPU cores"
ITS = "iterations within 1.5x of PETSc GAMG's"
BW = "stiffness product >= 75% of copy bandwidth"


def targets(bench, sim):
    rows = []

    def judge(ok):
        return "n/a (simulator)" if sim else ("pass" if ok else "FAIL")

    for h, runs in runs_by_size(bench).items():
        for pc in ("pmg", "amg"):
            s = runs.get(pc)
            if not s:
                continue
            lc = s["load_cases"][0]
            model = f"h {h}, {s['dofs'] / 1e6:.2f}M DOF, {pc}"
            if s["dofs"] >= 10e6:
                ok = e2e(s) < 3.0 and lc["residual"] <= 1e-8
                rows.append((TEN, model,
                             f"{e2e(s):.2f} s, residual {lc['residual']:.1e}", judge(ok)))
            # every target gets its row for every GPU run: a value missing
            # is "not measured", never left out (a summary counted only the
            # rows there were)
            g = s.get("gpu_peak_memory_mb", 0)
            if g > 0:
                b = g * 1048576 / s["dofs"]
                # the device's memory in use as nvidia-smi counts it, CUDA
                # context included (hundreds of MB): judged from 1M DOF
                rows.append((MEM, model, f"{b:.0f} bytes/DOF",
                             judge(b <= 1200) if s["dofs"] >= 1e6 else "info (under 1M DOF)"))
            else:
                rows.append((MEM, model, "no peak recorded", "not measured"))
            c = runs.get("gamg")
            if c:
                r = e2e(c) / e2e(s)
                rows.append((FAST, model, f"{e2e(c):.2f} s / {e2e(s):.2f} s = {r:.1f}x", judge(r >= 10)))
                it, ic = lc["iterations"], c["load_cases"][0]["iterations"]
                rows.append((ITS, model, f"{it} vs {ic} = {it / ic:.2f}", judge(it <= 1.5 * ic)))
            else:
                rows.append((FAST, model, "no PETSc GAMG run of this size", "not measured"))
                rows.append((ITS, model, "no PETSc GAMG run of this size", "not measured"))
        for k, what in (("amg", "cuSPARSE"), ("kernel", "Femora's BSR kernel")):
            s = runs.get(k)
            sp, cp = (s.get("gpu_spmv_gbs", 0), s.get("gpu_copy_gbs", 0)) if s else (0, 0)
            if sp > 0 and cp > 0:
                rows.append((BW, f"h {h}, {s['dofs'] / 1e6:.2f}M DOF, {what}",
                             f"{sp:.0f} / {cp:.0f} GB/s = {100 * sp / cp:.0f}%", judge(sp >= 0.75 * cp)))
            elif s:
                rows.append((BW, f"h {h}, {s['dofs'] / 1e6:.2f}M DOF, {what}", "no bandwidth recorded",
                             "not measured"))
    for name, why in ((TEN, "no run of 10M DOF or more"), (BW, "no amg or kernel run"),
                      (MEM, "no GPU run"), (FAST, "no GPU run"), (ITS, "no GPU run")):
        if not any(r[0] == name for r in rows):
            rows.append((name, why, "-", "not measured"))
    print("| target (issue 3) | model | measured | result |")
    print("|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


def main():
    args = sys.argv[1:]
    if args[:1] == ["--table"] and len(args) == 2:
        table(args[1])
    elif args and not args[0].startswith("--"):
        targets(args[0], "--simulator" in args[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
