#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# The vmswap benchmark: its views beside the floor, smem and smemstat, on processes in swap.
"""Time vmswap's views on 1000 processes that share swap slots, beside the floor and smem.

Starts `workload -s procs N 4 4`: N processes sharing a 4 MiB MAP_SHARED region and a
4 MiB private region that went to swap before the fork (so every child references the
same swap slots), each with a 64 KiB slice of its own also in swap.  As root, when no swap
is on, a swap file is made for the run and removed after (bench_pages.SwapFile); without
swap the workload's pages stay in RAM and the figures say so.

Then, interleaved, R times each (whole runs under `timeit`, stdout to /dev/null):

  floor table       every PID: stat, owner, cmdline, smaps_rollup (what any per-process
                    swap table must read: the kernel's floor)
  vmswap -i 0       the default view: devices, zram, zswap, every process's Swap/SwapPss
                    (no waiting for a MAJFLT/s interval)
  vmswap -i 0 -a    the same listing every process, not only those in swap
  vmswap --oom      oom_score order: status, oom_score, oom_score_adj, cgroup files
  vmswap --exact    (root) swap entries of the page tables, unique vs proportional
  smem -s swap      smem's process table sorted by swap (python; reads every smaps)
  smemstat          one snapshot of every process (reads smaps)

Agreement: the Swap and SwapPss vmswap gives the workload's processes equal what their
smaps_rollup says, read right before and after (the workload sleeps; nothing moves), and
smem's swap column for them.  Nothing is asserted: figures and ratios are printed (and
saved with --json).  --smoke runs one untimed pass on 20 processes for `meson test`;
exit 77 (SKIP) when vmswap is missing.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRCROOT = HERE.parent.parent

# The workload, the timing loop and the swap file live in run.py and bench_pages.py.
sys.dont_write_bytecode = True
sys.path.insert(0, str(HERE))
import run as R  # noqa: E402
import bench_pages as BP  # noqa: E402


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def rollup(pid):
    """(Swap, SwapPss) in KiB from /proc/PID/smaps_rollup, None when it is gone."""
    out = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("Swap", "SwapPss"):
                    out[k] = int(v.split()[0])
    except OSError:
        return None
    return out.get("Swap"), out.get("SwapPss")


def build_commands(args, exe):
    cmds = [R.Command("floor table", [exe["floor"], "table"], "stat, owner, cmdline, rollup")]
    v = exe.get("vmswap")
    if v:
        cmds.append(R.Command("vmswap", [v, "-i", "0"], "swaps, meminfo, zram, stat, rollup"))
        cmds.append(R.Command("vmswap -a", [v, "-i", "0", "-a"], "the same, every row"))
        cmds.append(R.Command("vmswap --oom", [v, "--oom"], "status, oom_score, cgroup"))
        if os.geteuid() == 0:
            cmds.append(R.Command("vmswap --exact", [v, "-i", "0", "--exact"],
                                  "+ smaps and pagemap of the processes in swap"))
        else:
            log("vmswap --exact: needs root; left out")
    else:
        log(f"vmswap: not found ({args.vmswap or 'build/cmd/vmswap'}); its rows are left out")
    if shutil.which("smem"):
        cmds.append(R.Command("smem -s swap", ["smem", "-s", "swap"], "smaps (python)"))
    else:
        log("smem: not installed; left out")
    if shutil.which("smemstat"):
        cmds.append(R.Command("smemstat", ["smemstat"], "smaps + status + cmdline"))
    else:
        log("smemstat: not installed; left out")
    return cmds


def agreement(exe, pids):
    """Swap and SwapPss of the workload's processes: vmswap -J against smaps_rollup
    (read before and after) and smem.  Returns a dict of checks."""
    before = {p: rollup(p) for p in pids}
    code, out, err = R.run_output([exe["vmswap"], "-i", "0", "-a", "-J", "-p",
                                   ",".join(str(p) for p in pids)])
    after = {p: rollup(p) for p in pids}
    res = {"vmswap_exit": code}
    if code != 0:
        res["error"] = err[-500:]
        return res
    rows = {r["pid"]: r for r in json.loads(out).get("processes", [])}
    stable = [p for p in pids if before[p] and before[p] == after[p]]
    diff = [p for p in stable if p not in rows or
            (rows[p].get("swap"), rows[p].get("swap_pss")) !=
            (before[p][0] * 1024, before[p][1] * 1024)]
    res.update({"processes": len(pids), "stable": len(stable), "differ_from_rollup": diff[:10],
                "swap_kib": sum(before[p][0] for p in stable),
                "swap_pss_kib": sum(before[p][1] for p in stable)})
    if shutil.which("smem"):
        code, out, err = R.run_output(["smem", "-H", "-c", "pid swap"])
        smem = {}
        for line in out.decode().splitlines():
            f = line.split()
            if len(f) == 2 and f[0].isdigit():
                smem[int(f[0])] = int(f[1])
        res["differ_from_smem"] = [p for p in stable if smem.get(p) != before[p][0]][:10]
    return res


def ratios(s):
    def div(a, b):
        return a["wall_median_s"] / b["wall_median_s"] if a and b else None

    ft, v = s.get("floor table"), s.get("vmswap")
    return {
        "vmswap_over_floor_table": div(v, ft),
        "vmswap_all_over_floor_table": div(s.get("vmswap -a"), ft),
        "vmswap_oom_over_floor_table": div(s.get("vmswap --oom"), ft),
        "vmswap_exact_over_vmswap": div(s.get("vmswap --exact"), v),
        "smem_over_vmswap": div(s.get("smem -s swap"), v),
        "smemstat_over_vmswap": div(s.get("smemstat"), v),
    }


def print_report(meta, cmds, s, rat, agree):
    print(f"vmswap benchmark: {meta['workload']}, {meta['runs']} runs, kernel "
          f"{meta['kernel']}, {meta['cpus']} CPUs, uid {meta['uid']}")
    print(f"swap: {meta['swap']}; workload Swap {meta['swap_kib'] // 1024} MiB")
    print()
    print(f"{'command':<16} {'wall':>9} {'cpu':>9} {'peak RSS':>10}  reads")
    for c in cmds:
        x = s.get(c.name)
        if not x:
            print(f"{c.name:<16} {'failed':>9}  {'; '.join(c.errors)[:200]}")
            continue
        print(f"{c.name:<16} {x['wall_median_s'] * 1000:8.1f}ms {x['cpu_median_s'] * 1000:8.1f}ms"
              f" {x['maxrss_max_kib'] / 1024:8.1f}MiB  {c.reads}")
        if c.errors:
            print(f"  errors: {'; '.join(c.errors)[:300]}")
    print()
    print("ratios (median wall time):")
    for k, v in rat.items():
        print(f"  {k:<32} {'-' if v is None else f'{v:.2f}'}")
    print()
    print("agreement:")
    for k, v in agree.items():
        print(f"  {k:<20} {v}")


def benchmark(args, exe):
    swap = BP.SwapFile(max(256, args.procs // 8))
    wl = None
    try:
        swap.setup()
        log(f"swap: {swap.note}")
        wl = R.Workload(exe["workload"], ["-s", "procs", args.procs, 4, 4], ready_timeout=600)
        info = wl.start()
        pids = [p for p in info["pids"] if p != info["leader"]] or info["pids"]
        time.sleep(args.settle)
        swap_kib = sum((rollup(p) or (0, 0))[0] or 0 for p in info["pids"])
        log(f"workload ready: {len(info['pids'])} processes, Swap {swap_kib // 1024} MiB")
        cmds = build_commands(args, exe)
        if args.smoke:
            with R.tempfile.TemporaryFile() as o, R.tempfile.TemporaryFile() as e:
                for c in cmds:
                    wall, u, s_, rss, code = R.spawn_and_wait(exe["timeit"], c.argv, o, e)
                    c.samples.append((wall, u + s_, u, s_, rss, code))
                    if code != 0:
                        c.errors.append(f"exit {code}: {R.read_stderr(e)[-300:]}")
        else:
            R.time_commands(exe["timeit"], cmds, args.runs)
        agree = agreement(exe, pids) if exe.get("vmswap") else {}
        alive = wl.alive()
    finally:
        if wl:
            wl.stop()
        swap.remove()
    if not alive:
        raise R.Fatal("the workload died during the benchmark; results are not valid")
    s = {c.name: R.summarise(c) for c in cmds}
    rat = ratios(s)
    meta = {"workload": f"workload -s procs {args.procs} 4 4", "runs": 1 if args.smoke else
            args.runs, "kernel": platform.release(), "cpus": os.cpu_count(), "uid": os.geteuid(),
            "swap": swap.note, "swap_kib": swap_kib,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    print_report(meta, cmds, s, rat, agree)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "summary": s, "ratios": rat, "agreement": agree}, f,
                      indent=1)
    failed = [c.name for c in cmds if c.errors]
    bad = agree.get("differ_from_rollup") or agree.get("vmswap_exit")
    if args.smoke and (failed or bad):
        log(f"smoke: failed: {failed}; agreement: {agree}")
        return 1
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--procs", type=int, default=1000, help="workload processes (1000)")
    ap.add_argument("--runs", type=int, default=7, help="timed runs of each command (7)")
    ap.add_argument("--vmswap", help="vmswap executable (build/cmd/vmswap)")
    ap.add_argument("--floor", help="floor executable (build/tests/bench/floor)")
    ap.add_argument("--workload", help="workload executable (next to the floor)")
    ap.add_argument("--timeit", help="timeit launcher executable (next to the floor)")
    ap.add_argument("--settle", type=float, default=1.0, help="seconds to wait once ready")
    ap.add_argument("--json", metavar="FILE", help="also save the results as JSON")
    ap.add_argument("--smoke", action="store_true",
                    help="one untimed pass on 20 processes (for meson test)")
    args = ap.parse_args()
    if args.smoke:
        args.procs = 20
    R.install_signal_handlers()
    bench = SRCROOT / "build" / "tests" / "bench"
    exe = {
        "vmswap": R.find_exe(args.vmswap, [SRCROOT / "build" / "cmd" / "vmswap"]),
        "floor": R.find_exe(args.floor, [bench / "floor"]),
        "workload": R.find_exe(args.workload, [bench / "workload"]),
        "timeit": R.find_exe(args.timeit, [bench / "timeit"]),
    }
    for k in ("floor", "workload", "timeit"):
        if not exe[k]:
            log(f"{k}: not found")
            return 1
    if args.smoke and not exe["vmswap"]:
        print("SKIP: vmswap is not built")
        return 77
    try:
        return benchmark(args, exe)
    except R.Fatal as e:
        log(f"bench_vmswap: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
