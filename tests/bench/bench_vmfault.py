#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# The vmfault benchmark: CPU per sample beside top and the floor; what --where slows.
"""Measure vmfault's CPU per sample on 1000 processes beside top, and what --where costs.

Part 1, sampling.  Starts `workload procs N` (N sleeping processes, 1000 by default) and
runs, interleaved, R times each, with stdout on /dev/null:

  floor          statfloor I C          /proc/vmstat, readdir /proc, open+read+close every
                                        PID/stat, per sample: the kernel's floor
  floor -k       statfloor -k I C       the same with each stat kept open, pread at 0
  top            top -b -d I -n C       procps top, batch mode: every process, every sample
  vmfault        vmfault -i I -c C      the system view (vmstat rates, the top 10 processes)
  vmfault -N 0   vmfault -i I -c C -N 0 the same with every process in the table
  ... -i 1       vmfault and top once more at 1 s, to show the interval does not matter

Each command runs with C = 1 and with C = K+1 samples; its CPU time (user+sys, wait4
rusage taken by `timeit`) per sample is (CPU(K+1) - CPU(1)) / K with medians over the R
runs: the program's start, the first sample (which has no rates) and its exit cancel out.
The CPU a sample costs does not depend on the time between samples (the processes sleep;
the -i 1 rows show it), so the default interval is 0.2 s to keep the run short.

Part 2, --where.  `faultloop F` touches fresh pages and drops them with MADV_DONTNEED
until it has taken F minor faults (2,000,000 by default) and prints how long its loop
took.  It runs plain, under `vmfault --`, under `vmfault --where --`, under `perf stat -e
page-faults` and under `perf record -e page-faults -c 1 -d` (when perf is installed),
interleaved, R times each; the slowdown is the loop's median time against the plain run.

Nothing is asserted: the figures and ratios are printed (and saved with --json); the exit
status says only whether the benchmark could run.  --smoke runs one short pass (20
processes, 2 samples, 20,000 faults) for `meson test`: it checks that every row runs and
the ratios are printed, exit 77 (SKIP) when vmfault or top is missing or --where is
refused.
"""

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRCROOT = HERE.parent.parent

# The workload generator and its clean-up live in run.py; one copy of them.
sys.dont_write_bytecode = True
sys.path.insert(0, str(HERE))
import run as R  # noqa: E402

# Targets from the Speed section: (label, key, comparison, value).
TARGETS = [
    ("vmfault CPU/sample / top", "vmfault_over_top", "<", 1.0),
]

# The child being measured, in its own process group, so a signal to us takes it down.
_current_pgid = None


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def on_signal(signum, frame):
    if _current_pgid:
        try:
            os.killpg(_current_pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    raise SystemExit(128 + signum)


def spawn(argv, env, stdout_path, stderr_path):
    """Run argv in its own process group, stdin /dev/null, stdout and stderr to files.
    Returns (wall s, exit code, rusage): wait4's rusage covers the command and every
    child it waited for."""
    global _current_pgid
    actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
               (os.POSIX_SPAWN_OPEN, 1, stdout_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                0o600),
               (os.POSIX_SPAWN_OPEN, 2, stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                0o600)]
    t0 = time.monotonic()
    try:
        pid = os.posix_spawn(argv[0], argv, env, file_actions=actions, setpgroup=0)
    except OSError as e:
        return None, 127, None, f"cannot run {argv[0]}: {e.strerror}"
    _current_pgid = pid
    try:
        while True:
            try:
                _, status, ru = os.wait4(pid, 0)
                break
            except InterruptedError:
                continue
    finally:
        _current_pgid = None
    wall = time.monotonic() - t0
    code = os.waitstatus_to_exitcode(status)
    return wall, (128 - code if code < 0 else code), ru, None


def tail(path, n=400):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace").strip()[-n:]
    except OSError:
        return ""


def read_text(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def med(xs):
    return statistics.median(xs) if xs else None


def div(a, b):
    return a / b if a is not None and b else None


# ---- part 1: CPU per sample ----------------------------------------------------------

class SRow:
    """One sampling command; argv(count) gives its command line for COUNT samples."""

    def __init__(self, name, argv, what, interval, samples, info=False):
        self.name, self.argv, self.what = name, argv, what
        self.interval, self.samples, self.info = interval, samples, info
        self.runs = {1: [], samples + 1: []}    # count -> timeit results
        self.errors = []
        self.skipped = None

    def summary(self):
        short, long_ = self.runs[1], self.runs[self.samples + 1]
        if not short or not long_:
            return None

        def cpu(r):
            return r["user_s"] + r["sys_s"]
        c1, ck = med([cpu(r) for r in short]), med([cpu(r) for r in long_])
        return {
            "cpu_per_sample_s": (ck - c1) / self.samples,
            "cpu_one_sample_s": c1,
            "cpu_all_samples_s": ck,
            "user_per_sample_s": (med([r["user_s"] for r in long_]) -
                                  med([r["user_s"] for r in short])) / self.samples,
            "sys_per_sample_s": (med([r["sys_s"] for r in long_]) -
                                 med([r["sys_s"] for r in short])) / self.samples,
            "wall_all_samples_s": med([r["wall_s"] for r in long_]),
            "peak_rss_kib": max(r["maxrss_kib"] for r in short + long_),
            "runs": len(long_),
        }


def timeit_run(timeit, argv, env, tmp):
    """Run argv under timeit (stdout /dev/null): its wall, user, sys, maxrss and exit."""
    out, err = os.path.join(tmp, "timeit.out"), os.path.join(tmp, "timeit.err")
    _, code, _, why = spawn([str(timeit)] + argv, env, out, err)
    if why:
        return None, why
    try:
        with open(out) as f:
            r = json.loads(f.read())
    except (OSError, ValueError):
        return None, f"timeit: status {code}: {tail(err)}"
    if r["exit"] != 0:
        return None, f"exit {r['exit']}: {tail(err)}"
    return r, None


def sampling_rows(args, exe):
    i, k = args.interval, args.samples
    istr = f"{i:g}"
    rows = [
        SRow("floor", lambda c: [exe["statfloor"], istr, c],
             "vmstat + readdir + open/read/close every PID/stat", i, k),
        SRow("floor -k", lambda c: [exe["statfloor"], "-k", istr, c],
             "the same, each stat kept open (pread at 0)", i, k, info=True),
        SRow("top", lambda c: [exe["top"], "-b", "-d", istr, "-n", c],
             "procps top -b, every process each sample", i, k),
        SRow("vmfault", lambda c: [exe["vmfault"], "-i", istr, "-c", c],
             "system view, default table (top 10)", i, k),
        SRow("vmfault -N 0", lambda c: [exe["vmfault"], "-i", istr, "-c", c, "-N", "0"],
             "system view, every process in the table", i, k, info=True),
    ]
    if args.check_samples and i != 1:
        k1 = args.check_samples
        rows += [
            SRow("top -d 1", lambda c: [exe["top"], "-b", "-d", "1", "-n", c],
                 f"top at 1 s ({k1} samples): same CPU/sample as at {istr} s?", 1, k1,
                 info=True),
            SRow("vmfault -i 1", lambda c: [exe["vmfault"], "-i", "1", "-c", c],
                 f"vmfault at 1 s ({k1} samples): same CPU/sample as at {istr} s?", 1, k1,
                 info=True),
        ]
    for r in rows:
        tool = r.name.split()[0]
        if tool == "top" and not exe["top"]:
            r.skipped = "procps top not found"
        elif tool == "vmfault" and not exe["vmfault"]:
            r.skipped = "vmfault not built"
    if args.only:
        wanted = {w.strip() for w in args.only.split(",")}
        rows = [r for r in rows if r.name in wanted or r.name.split()[0] in wanted]
    return rows


def measure_sampling(args, rows, env, exe, tmp):
    live = [r for r in rows if not r.skipped]
    jobs = [(r, c) for r in live for c in (1, r.samples + 1)]
    # One untimed run of each, so every binary and /proc's dentries are warm.
    for r in live:
        res, err = timeit_run(exe["timeit"], [str(a) for a in r.argv(1)], env, tmp)
        if err:
            r.errors.append(f"{' '.join(str(a) for a in r.argv(1))}: {err}")
            log(f"{r.name}: FAILED: {r.errors[-1]}")
    jobs = [(r, c) for r, c in jobs if not r.errors]
    for run in range(args.runs):
        # Each round starts with a different job: nothing always runs first or last.
        order = jobs[run % len(jobs):] + jobs[:run % len(jobs)] if jobs else []
        log(f"sampling: round {run + 1} of {args.runs} ({len(order)} commands)")
        for r, c in order:
            res, err = timeit_run(exe["timeit"], [str(a) for a in r.argv(c)], env, tmp)
            if err:
                r.errors.append(err)
            else:
                r.runs[c].append(res)


def count_processes():
    return sum(1 for d in os.listdir("/proc") if d.isdigit())


def sampling_part(args, exe, env, tmp):
    rows = sampling_rows(args, exe)
    wl = R.Workload(exe["workload"], ["procs", args.procs, 1, 1], ready_timeout=300)
    log(f"starting workload: procs {args.procs} 1 1")
    try:
        info = wl.start()
        time.sleep(args.settle)
        nproc = count_processes()
        log(f"workload ready: {len(info['pids'])} processes; {nproc} in /proc")
        measure_sampling(args, rows, env, exe, tmp)
        alive = wl.alive()
    finally:
        wl.stop()
    if not alive:
        raise R.Fatal("the workload died during the benchmark; results are not valid")
    s = {r.name: r.summary() for r in rows if not r.skipped}
    s = {k: v for k, v in s.items() if v}

    def per(name):
        return s[name]["cpu_per_sample_s"] if name in s else None
    rat = {
        "vmfault_over_top": div(per("vmfault"), per("top")),
        "vmfault_over_floor": div(per("vmfault"), per("floor")),
        "vmfault_all_over_top": div(per("vmfault -N 0"), per("top")),
        "vmfault_all_over_floor": div(per("vmfault -N 0"), per("floor")),
        "top_over_floor": div(per("top"), per("floor")),
        "floor_keep_open_over_floor": div(per("floor -k"), per("floor")),
        "vmfault_1s_over_fast": div(per("vmfault -i 1"), per("vmfault")),
        "top_1s_over_fast": div(per("top -d 1"), per("top")),
    }
    rat = {k: v for k, v in rat.items() if v is not None}
    return {"processes_in_proc": nproc, "workload_processes": len(info["pids"]),
            "rows": rows, "summary": s, "ratios": rat}


def fmt_ms(v, width=8):
    return f"{'-':>{width}}" if v is None else f"{v * 1000:{width}.2f}"


def print_sampling(res, args):
    s, rat = res["summary"], res["ratios"]
    print(f"sampling {res['processes_in_proc']} processes ({res['workload_processes']} of "
          f"them `workload procs {args.procs}`): CPU per sample = (CPU of {args.samples}+1 "
          f"samples - CPU of 1) / {args.samples},")
    print(f"medians over {args.runs} runs; interval {args.interval:g} s (a sample's CPU "
          "does not depend on the interval: compare the 1 s rows)")
    print()
    hdr = (f"{'row':<13} {'ms/sample':>9} {'user':>7} {'sys':>7} {'1 sample':>9} "
           f"{'wall all':>9} {'peak RSS':>9}  what")
    print(hdr)
    print("-" * len(hdr))
    for r in res["rows"]:
        if r.skipped:
            print(f"{r.name:<13} skipped: {r.skipped}")
            continue
        x = s.get(r.name)
        if not x:
            print(f"{r.name:<13} FAILED: {'; '.join(r.errors[:2])}")
            continue
        print(f"{r.name:<13} {fmt_ms(x['cpu_per_sample_s'], 9)} "
              f"{fmt_ms(x['user_per_sample_s'], 7)} {fmt_ms(x['sys_per_sample_s'], 7)} "
              f"{fmt_ms(x['cpu_one_sample_s'], 9)} {x['wall_all_samples_s']:8.2f}s "
              f"{x['peak_rss_kib'] / 1024:6.1f} MiB  {r.what}"
              + (f"  [{len(r.errors)} runs FAILED]" if r.errors else ""))
    print("  (ms/sample: CPU ms per sample, user+sys; the kernel splits that total into user "
          "and sys by\n  tick samples, so the split is rough; 1 sample: CPU ms of a whole run "
          "with -c 1, start and exit included)")
    print()
    print("ratios of CPU per sample (targets from the issue, reported, not asserted):")
    for label, key, op, target in TARGETS:
        v = rat.get(key)
        if v is None:
            print(f"  {label:<34} {'n/a':>7}   target {op} {target:g}")
            continue
        ok = v < target if op == "<" else v <= target
        print(f"  {label:<34} {v:>7.2f}   target {op} {target:g}   "
              f"{'meets' if ok else 'MISSES'}")
    for label, key in (("vmfault / floor", "vmfault_over_floor"),
                       ("vmfault -N 0 / top", "vmfault_all_over_top"),
                       ("vmfault -N 0 / floor", "vmfault_all_over_floor"),
                       ("top / floor", "top_over_floor"),
                       ("floor -k / floor", "floor_keep_open_over_floor"),
                       ("vmfault at 1 s / at the interval", "vmfault_1s_over_fast"),
                       ("top at 1 s / at the interval", "top_1s_over_fast")):
        if key in rat:
            print(f"  {label:<34} {rat[key]:>7.2f}   (for information)")
    print()


# ---- part 2: --where overhead --------------------------------------------------------

class WRow:
    def __init__(self, name, prefix, what, info=False):
        self.name, self.prefix, self.what, self.info = name, prefix, what, info
        self.samples = []       # dicts: loop, wall, cpu, the loop's own report, extras
        self.errors = []
        self.skipped = None


def where_rows(args, exe, tmp):
    rep = os.path.join(tmp, "vmfault.json")
    pdata = os.path.join(tmp, "perf.data")
    pstat = os.path.join(tmp, "perf-stat.csv")
    rows = [
        WRow("plain", [], "faultloop alone"),
        WRow("vmfault", [exe["vmfault"], "--json", "--output-file", rep, "--"],
             "COMMAND mode: counts, timeline"),
        WRow("vmfault --where", [exe["vmfault"], "--where", "--json", "--output-file", rep,
                                 "--"], "COMMAND mode, every fault sampled with its address"),
        WRow("perf stat", [exe["perf"], "stat", "-x,", "-o", pstat, "-e", "page-faults",
                           "--"], "counts page faults (no sampling)", info=True),
        WRow("perf record", [exe["perf"], "record", "-q", "-e", "page-faults", "-c", "1",
                             "-d", "-o", pdata, "--"],
             "samples every fault with its address, to a file", info=True),
    ]
    for r in rows:
        if r.name.startswith("vmfault") and not exe["vmfault"]:
            r.skipped = "vmfault not built"
        elif r.name.startswith("perf") and not exe["perf"]:
            r.skipped = "perf not installed (Debian: linux-perf)"
    if args.only:
        wanted = {w.strip() for w in args.only.split(",")}
        rows = [r for r in rows if r.name == "plain" or r.name in wanted or
                r.name.split()[0] in wanted]
    return rows, rep, pstat


def vmfault_report(path, loop):
    """What vmfault's JSON report says about the run: faults, where, lost samples."""
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return {}
    run = doc.get("run") or {}
    out = {"vmfault_minflt": run.get("minflt")}
    where = run.get("where") or doc.get("where")
    if isinstance(where, dict):
        out["where_minflt"] = where.get("minflt")
        out["where_lost"] = where.get("lost")
        region = int(loop["region"], 16)
        hit = 0
        for m in where.get("mappings") or []:
            try:
                start = int(m.get("start") or "0", 16)
            except (TypeError, ValueError):
                continue
            if start == region:
                hit += m.get("minflt") or 0
        out["where_region_minflt"] = hit
    return out


def perf_stat_faults(path):
    try:
        with open(path) as f:
            for line in f:
                parts = line.strip().split(",")
                if len(parts) > 2 and parts[2].startswith("page-faults"):
                    return int(parts[0])
    except (OSError, ValueError):
        pass
    return None


def where_run(r, exe, args, env, tmp, rep, pstat):
    out, err = os.path.join(tmp, "loop.out"), os.path.join(tmp, "loop.err")
    for p in (rep, pstat):
        if os.path.exists(p):
            os.unlink(p)
    argv = [str(a) for a in r.prefix] + [str(exe["faultloop"]), str(args.faults)]
    wall, code, ru, why = spawn(argv, env, out, err)
    if why:
        return None, why
    if code != 0:
        return None, f"exit {code}: {tail(err)}"
    try:
        with open(out) as f:
            lines = [ln for ln in f.read().splitlines() if ln.startswith("{")]
        loop = json.loads(lines[-1])
    except (OSError, ValueError, IndexError):
        return None, f"faultloop printed no report: {tail(out)} {tail(err)}"
    x = {"loop_s": loop["elapsed_s"], "wall_s": wall,
         "cpu_s": ru.ru_utime + ru.ru_stime, "loop": loop}
    if r.name.startswith("vmfault"):
        x.update(vmfault_report(rep, loop))
    if r.name == "perf stat":
        x["perf_faults"] = perf_stat_faults(pstat)
    if r.name == "perf record":
        x["perf_stderr"] = tail(err, 300)
    return x, None


def where_part(args, exe, env, tmp):
    rows, rep, pstat = where_rows(args, exe, tmp)
    for r in rows:
        if r.skipped:
            continue
        x, err = where_run(r, exe, args, env, tmp, rep, pstat)      # warm-up, untimed
        if not err:
            continue
        # perf is for comparison only, and the kernel may refuse --where (its message
        # names the setting): those are left out with the reason; anything else failed.
        if r.name.startswith("perf") or (r.name == "vmfault --where" and
                                         "perf_event_open" in err):
            r.skipped = err
            log(f"{r.name}: left out: {err}")
        else:
            r.errors.append(err)
            log(f"{r.name}: FAILED: {err}")
    live = [r for r in rows if not r.skipped and not r.errors]
    for run in range(args.fault_runs):
        order = live[run % len(live):] + live[:run % len(live)]
        log(f"--where: round {run + 1} of {args.fault_runs} ({len(order)} commands)")
        for r in order:
            x, err = where_run(r, exe, args, env, tmp, rep, pstat)
            if err:
                r.errors.append(err)
            else:
                r.samples.append(x)
    s = {}
    for r in live:
        if not r.samples:
            continue
        last = r.samples[-1]
        s[r.name] = {
            "loop_median_s": med([x["loop_s"] for x in r.samples]),
            "loop_min_s": min(x["loop_s"] for x in r.samples),
            "wall_median_s": med([x["wall_s"] for x in r.samples]),
            "cpu_median_s": med([x["cpu_s"] for x in r.samples]),
            "faults": last["loop"]["faults"],
            "minflt": last["loop"]["minflt"],
            "runs": len(r.samples),
            **{k: v for k, v in last.items() if k not in ("loop", "loop_s", "wall_s",
                                                         "cpu_s")},
        }
    plain = s.get("plain")
    rat = {}
    if plain:
        for name, x in s.items():
            if name == "plain":
                continue
            key = name.replace(" --", "_").replace(" ", "_").replace("-", "_")
            rat[f"{key}_slowdown"] = div(x["loop_median_s"], plain["loop_median_s"])
            rat[f"{key}_cpu_over_plain"] = div(x["cpu_median_s"], plain["cpu_median_s"])
    return {"rows": rows, "summary": s, "ratios": {k: v for k, v in rat.items()
                                                   if v is not None}}


def print_where(res, args):
    s, rat = res["summary"], res["ratios"]
    plain = s.get("plain")
    print(f"--where overhead: `faultloop {args.faults}` (touch a fresh page, MADV_DONTNEED "
          f"every 256 pages); medians over {args.fault_runs} runs")
    print()
    hdr = (f"{'row':<16} {'loop':>8} {'ns/fault':>8} {'slowdown':>8} {'CPU all':>8} "
           f"{'CPU/plain':>9}  what")
    print(hdr)
    print("-" * len(hdr))
    for r in res["rows"]:
        if r.skipped:
            print(f"{r.name:<16} skipped: {r.skipped}")
            continue
        x = s.get(r.name)
        if not x:
            print(f"{r.name:<16} FAILED: {'; '.join(r.errors[:2])}")
            continue
        slow = div(x["loop_median_s"], plain["loop_median_s"]) if plain else None
        cpu = div(x["cpu_median_s"], plain["cpu_median_s"]) if plain else None
        ns = x["loop_median_s"] / x["faults"] * 1e9
        print(f"{r.name:<16} {x['loop_median_s']:7.3f}s {ns:8.0f} "
              f"{'-' if slow is None else f'{slow:.2f}':>8} {x['cpu_median_s']:7.3f}s "
              f"{'-' if cpu is None else f'{cpu:.2f}':>9}  {r.what}"
              + (f"  [{len(r.errors)} runs FAILED]" if r.errors else ""))
    print("  (loop: the faulting loop's own time; CPU all: user+sys of the whole command, "
          "the sampler included)")
    for name, x in s.items():
        if "where_minflt" in x:
            minflt = x["minflt"]
            print(f"  {name}: sampled {x['where_minflt']} minor faults of the loop's "
                  f"{minflt} (getrusage), lost {x.get('where_lost')}; "
                  f"{x.get('where_region_minflt', 0)} in the loop's mapping "
                  f"({100 * x.get('where_region_minflt', 0) / max(1, x['faults']):.1f}% of "
                  f"its {x['faults']} touches)")
        elif "vmfault_minflt" in x and x["vmfault_minflt"] is not None:
            print(f"  {name}: reports {x['vmfault_minflt']} minor faults (the loop's "
                  f"getrusage: {x['minflt']})")
        if x.get("perf_faults") is not None:
            print(f"  {name}: counted {x['perf_faults']} page faults")
    for r in res["rows"]:
        for e in r.errors[:2]:
            print(f"  {r.name}: {e}")
    print()
    print("slowdown of the loop against the plain run (reported, not asserted):")
    for name in s:
        if name == "plain":
            continue
        key = name.replace(" --", "_").replace(" ", "_").replace("-", "_")
        v, c = rat.get(f"{key}_slowdown"), rat.get(f"{key}_cpu_over_plain")
        if v is not None:
            print(f"  {name + ' / plain':<26} {v:6.2f}   (CPU of the whole command: "
                  f"{c:.2f})")
    if "vmfault_where_slowdown" in rat and plain:
        added = (s["vmfault --where"]["loop_median_s"] - plain["loop_median_s"]) / \
            plain["faults"] * 1e9
        print(f"  --where adds {added:.0f} ns to each fault")
    print()


# ---- the benchmark -------------------------------------------------------------------

def find_tools(args):
    build = SRCROOT / "build"
    statfloor = R.find_exe(args.statfloor, [build / "tests/bench/statfloor"])
    benchdir = statfloor.parent if statfloor else build / "tests/bench"
    exe = {
        "statfloor": statfloor,
        "faultloop": R.find_exe(args.faultloop, [benchdir / "faultloop"]),
        "workload": R.find_exe(args.workload, [benchdir / "workload"]),
        "timeit": R.find_exe(args.timeit, [benchdir / "timeit"]),
        "vmfault": R.find_exe(args.vmfault, [build / "cmd/vmfault"]),
        "top": shutil.which("top"),
        "perf": shutil.which("perf"),
    }
    # Debian's /usr/bin/perf is a wrapper that fails when no linux-perf matches the
    # running kernel: count perf as missing then.
    if exe["perf"] and R.run_output([exe["perf"], "--version"], timeout=30)[0] != 0:
        exe["perf"] = None
    return exe


def tool_env(tmp):
    """The same environment for every tool; top reads no personal toprc."""
    env = dict(os.environ)
    env["HOME"] = tmp
    env["XDG_CONFIG_HOME"] = tmp
    env.pop("TOPRC", None)
    env["LC_ALL"] = "C"
    return env


def benchmark(args, exe):
    meta = {
        "kernel": platform.release(),
        "cpus": os.cpu_count(),
        "uid": os.geteuid(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "perf_event_paranoid": read_text("/proc/sys/kernel/perf_event_paranoid"),
        "vmfault": str(exe["vmfault"]) if exe["vmfault"] else None,
        "args": {k: v for k, v in vars(args).items() if k in (
            "procs", "samples", "interval", "runs", "check_samples", "faults",
            "fault_runs")},
    }
    with tempfile.TemporaryDirectory(prefix="vmscope-bench-vmfault.") as tmp:
        env = tool_env(tmp)
        part1 = sampling_part(args, exe, env, tmp) if args.part in ("all", "sampling") \
            else None
        part2 = where_part(args, exe, env, tmp) if args.part in ("all", "where") else None
    print(f"vmscope vmfault benchmark: kernel {meta['kernel']}, {meta['cpus']} CPUs, uid "
          f"{meta['uid']}, perf_event_paranoid {meta['perf_event_paranoid']}")
    print()
    if part1:
        print_sampling(part1, args)
    if part2:
        print_where(part2, args)
    doc = {"schema": "vmscope-bench/1", "bench": "vmfault", "meta": meta}
    if part1:
        doc["sampling"] = {
            "processes_in_proc": part1["processes_in_proc"],
            "rows": [{"name": r.name, "what": r.what, "interval": r.interval,
                      "samples": r.samples, "skipped": r.skipped, "errors": r.errors,
                      "argv": None if r.skipped else
                      [str(a) for a in r.argv(r.samples + 1)],
                      "runs": {str(c): v for c, v in r.runs.items()},
                      "summary": part1["summary"].get(r.name)} for r in part1["rows"]],
            "ratios": part1["ratios"]}
    if part2:
        doc["where"] = {
            "faults": args.faults,
            "rows": [{"name": r.name, "what": r.what, "skipped": r.skipped,
                      "errors": r.errors, "samples": r.samples,
                      "summary": part2["summary"].get(r.name)} for r in part2["rows"]],
            "ratios": part2["ratios"]}
    if args.json:
        with open(args.json + ".tmp", "w") as f:
            json.dump(doc, f, indent=1, default=str)
            f.write("\n")
        os.replace(args.json + ".tmp", args.json)
        log(f"results saved to {args.json}")
    return doc, part1, part2


def smoke(args, exe):
    """One short pass: every row runs, the ratios are printed.  Times nothing."""
    args.procs, args.samples, args.interval, args.runs = 20, 2, 0.05, 1
    args.check_samples, args.faults, args.fault_runs, args.settle = 0, 20000, 1, 0
    args.only, args.part = None, "all"
    print("--- one short vmfault benchmark pass (timings meaningless) ---", flush=True)
    t = R.Smoke()
    try:
        doc, p1, p2 = benchmark(args, exe)
    except R.Fatal as e:
        t.check(False, "the benchmark runs", str(e))
        return 1
    skips = []
    for r in p1["rows"] + p2["rows"]:
        if r.skipped:
            print(f"skip {r.name}: {r.skipped}", flush=True)
            # perf is optional; vmfault and top missing, or --where refused, are SKIPs.
            if not r.name.startswith("perf"):
                skips.append(f"{r.name}: {r.skipped}")
            continue
        summ = p1["summary"] if r in p1["rows"] else p2["summary"]
        t.check(r.name in summ and not r.errors, f"{r.name} runs (exit 0)",
                "; ".join(r.errors[:2]))
    want = ["top_over_floor"] if exe["top"] else []
    if exe["vmfault"]:
        want += ["vmfault_over_floor"] + (["vmfault_over_top"] if exe["top"] else [])
    for key in want:
        t.check(key in p1["ratios"], f"ratio {key} printed")
    if exe["vmfault"] and not any(s.startswith("vmfault --where") for s in skips):
        t.check("vmfault_where_slowdown" in p2["ratios"],
                "ratio vmfault --where / plain printed")
    for r in p2["rows"]:
        x = p2["summary"].get(r.name)
        if x:
            t.check(x["faults"] == args.faults and x["minflt"] >= args.faults,
                    f"{r.name}: faultloop took its {args.faults} faults",
                    f"faults {x['faults']}, minflt {x['minflt']}")
    if t.failures:
        print(f"{t.failures} failed")
        return 1
    if skips:
        print("SKIP: " + "; ".join(skips), flush=True)
        return 77
    print("all vmfault benchmark smoke checks passed")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--procs", type=int, default=1000, help="workload processes (1000)")
    ap.add_argument("--samples", type=int, default=20,
                    help="K: samples per run beyond the first (20)")
    ap.add_argument("--interval", type=float, default=0.2,
                    help="seconds between samples (0.2; the CPU per sample does not "
                    "depend on it)")
    ap.add_argument("--check-samples", type=int, default=5,
                    help="samples of the 1 s rows that show the interval does not matter "
                    "(5; 0 leaves them out)")
    ap.add_argument("--runs", type=int, default=3, help="runs of each sampling command (3)")
    ap.add_argument("--faults", type=int, default=2000000,
                    help="faults the fault loop takes (2,000,000)")
    ap.add_argument("--fault-runs", type=int, default=5,
                    help="runs of each --where row (5)")
    ap.add_argument("--part", choices=("all", "sampling", "where"), default="all",
                    help="measure only CPU per sample, or only the --where overhead")
    ap.add_argument("--only", metavar="LIST",
                    help="only these rows (floor,top,vmfault,perf or exact names)")
    ap.add_argument("--settle", type=float, default=1.0,
                    help="seconds to wait after the workload is ready (1)")
    ap.add_argument("--json", metavar="FILE", help="also save the results as JSON")
    ap.add_argument("--smoke", action="store_true",
                    help="one short pass: check the benchmark runs; time nothing")
    ap.add_argument("--vmfault", help="vmfault executable (build/cmd/vmfault)")
    ap.add_argument("--statfloor", help="statfloor executable (build/tests/bench/statfloor)")
    ap.add_argument("--faultloop", help="faultloop executable (next to statfloor)")
    ap.add_argument("--workload", help="workload executable (next to statfloor)")
    ap.add_argument("--timeit", help="timeit launcher (next to statfloor)")
    args = ap.parse_args()
    if args.procs < 0 or args.samples < 1 or args.runs < 1 or args.fault_runs < 1 or \
            args.faults < 1 or args.check_samples < 0 or not 0.01 <= args.interval <= 60:
        ap.error("--procs >= 0, --samples, --runs, --fault-runs, --faults >= 1, "
                 "--interval 0.01 .. 60")

    for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(s, on_signal)
    exe = find_tools(args)
    missing = [k for k in ("statfloor", "faultloop", "workload", "timeit") if not exe[k]]
    if missing:
        msg = (f"not found: {', '.join(missing)}; build them with `ninja -C build` or pass "
               "--statfloor/--faultloop/--workload/--timeit")
        if args.smoke:
            print(f"SKIP: {msg}")
            return 77
        log(f"bench_vmfault.py: {msg}")
        return 2
    for k, why in (("vmfault", "vmfault not built; its rows are left out"),
                   ("top", "procps top not found; its rows are left out"),
                   ("perf", "perf not installed (or none for this kernel); its rows are "
                    "left out")):
        if not exe[k]:
            log(why)
    try:
        if args.smoke:
            return smoke(args, exe)
        _, p1, p2 = benchmark(args, exe)
    except R.Fatal as e:
        log(f"bench_vmfault.py: {e}")
        return 1
    ok1 = p1 is None or "floor" in p1["summary"]
    ok2 = p2 is None or "plain" in p2["summary"]
    return 0 if ok1 and ok2 else 1


if __name__ == "__main__":
    sys.exit(main())
