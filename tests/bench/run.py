#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark runner: times vmrank beside the floor, smem and smemstat on one workload, or
# (--bench vmmap) vmmap beside the floor and pmap -X on one process with many mappings, or
# (--bench pages, in bench_pages.py) the page walk and kpageflags lookups beside their floors.
"""Time vmrank (or vmmap) against the kernel's floor and the tools people use, in one run.

Starts `workload procs N`, then runs every command R times, interleaved (round r starts
with a different command, so no tool always runs first or last), and measures for each
run: wall time, user+sys CPU time and peak RSS (wait4 rusage, taken by the small
`timeit` launcher so python's own RSS is not charged to the command).  Prints
medians, the ratios the performance issue targets, and whether the tools' total PSS
roughly agree.  Nothing here is asserted: the ratios are printed, the exit status only
says whether the benchmark itself could run.

--bench vmmap does the same for `vmmap PID` on `workload maps N` (one process with N
mappings, 50,000 by default): `floor cat /proc/PID/smaps`, vmmap (table, -J, -x) and
`pmap -X`; then again on a second workload with more mappings (200,000 by default, which
needs root to raise vm.max_map_count), to show whether vmmap's peak RSS grows with the
number of mappings; and checks that `vmmap -J` totals equal the sums over smaps.

--bench pages (bench_pages.py) times libvmscope's page walk against a pread of the whole
pagemap, its kpageflags lookups against one pread per page, vmwalk and `vmrank --exact`,
on `workload sparse 8G`.

--smoke checks that the benchmark code still works (workload starts and stops cleanly in
every mode, leaves no process behind, floor runs, the runner cleans up when killed),
without timing anything; it is what `meson test --suite bench-smoke` runs.
"""

import argparse
import json
import os
import platform
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
SRCROOT = HERE.parent.parent

# Targets from the performance issue: (label, key, comparison, value).
TARGETS = [
    ("vmrank wall / floor wall", "vmrank_wall_over_floor", "<=", 0.6),
    ("vmrank CPU / floor CPU", "vmrank_cpu_over_floor", "<=", 1.1),
    ("smem wall / vmrank wall", "smem_wall_over_vmrank", ">=", 9.0),
    ("vmrank peak RSS (MiB)", "vmrank_peak_rss_mib", "<", 8.0),
]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Fatal(Exception):
    pass


class Workload:
    """The workload generator, in its own session and process group.

    stop() is safe to call any number of times, from any exit path; the workload's
    leader also gets SIGTERM by PR_SET_PDEATHSIG if this runner dies without calling it.
    """

    def __init__(self, exe, args, ready_timeout=300):
        self.exe = exe
        self.args = [str(a) for a in args]
        self.ready_timeout = ready_timeout
        self.proc = None
        self.info = None

    @property
    def pgid(self):
        return self.proc.pid if self.proc else None

    def start(self):
        argv = [str(self.exe)] + self.args
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, start_new_session=True)
        except OSError as e:
            raise Fatal(f"cannot start {' '.join(argv)}: {e.strerror}")
        line = b""
        deadline = time.monotonic() + self.ready_timeout
        fd = self.proc.stdout.fileno()
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                self.stop()
                raise Fatal(f"workload {' '.join(self.args)}: not ready after "
                            f"{self.ready_timeout} s")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                status = self.proc.wait()
                self.stop()
                raise Fatal(f"workload {' '.join(self.args)}: exited with status "
                            f"{status} before it was ready")
            line += chunk
        self.proc.stdout.close()
        try:
            self.info = json.loads(line)
        except ValueError:
            self.stop()
            raise Fatal(f"workload printed something that is not JSON: {line[:200]!r}")
        return self.info

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def group_empty(self):
        """True when no process is left in the workload's process group."""
        if self.proc is None:
            return True
        try:
            os.killpg(self.pgid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def stop(self, timeout=15):
        """SIGTERM the group, give the leader time to reap its children, then SIGKILL."""
        if self.proc is None:
            return None
        if self.proc.returncode is None:
            try:
                os.killpg(self.pgid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                log(f"workload: leader {self.pgid} ignored SIGTERM; killing its group")
        # Whatever is left of the group (there should be nothing) goes now.
        try:
            os.killpg(self.pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.proc.returncode is None:
            self.proc.wait()
        return self.proc.returncode


class Command:
    def __init__(self, name, argv, reads):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.reads = reads
        self.samples = []       # (wall s, cpu s, user s, sys s, maxrss KiB, exit code)
        self.errors = []


# The timed child, so that a signal to the runner can take it down too.
_current_child = None


def spawn_and_wait(timeit, argv, outf, errf):
    """Run argv under timeit; return (wall s, user s, sys s, maxrss KiB, exit code).

    The command's stdout goes to /dev/null, its stderr to errf."""
    global _current_child
    for f in (outf, errf):
        f.seek(0)
        f.truncate()
    actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
               (os.POSIX_SPAWN_DUP2, outf.fileno(), 1),
               (os.POSIX_SPAWN_DUP2, errf.fileno(), 2)]
    pid = os.posix_spawn(str(timeit), [str(timeit)] + argv, os.environ, file_actions=actions)
    _current_child = pid
    try:
        _, status = os.waitpid(pid, 0)
    finally:
        _current_child = None
    outf.seek(0)
    out = outf.read()
    if status != 0 or not out:
        raise Fatal(f"timeit {' '.join(argv)}: status {status}: {read_stderr(errf)[-500:]}")
    r = json.loads(out)
    return r["wall_s"], r["user_s"], r["sys_s"], r["maxrss_kib"], r["exit"]


def read_stderr(f):
    f.seek(0)
    return f.read().decode("utf-8", "replace").strip()


def run_output(argv, timeout=600, want_pid=False):
    """Run argv, return (exit code, stdout bytes, stderr text[, pid])."""
    with subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as p:
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            raise
    res = (p.returncode, out, err.decode("utf-8", "replace").strip())
    return res + (p.pid,) if want_pid else res


def on_signal(signum, frame):
    if _current_child:
        try:
            os.kill(_current_child, signal.SIGKILL)
        except ProcessLookupError:
            pass
    raise SystemExit(128 + signum)


def install_signal_handlers():
    for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(s, on_signal)


def find_exe(given, candidates):
    """The executable given, else the first candidate that exists (never one from PATH:
    an installed vmrank is not the one being benchmarked)."""
    for c in [Path(given)] if given else candidates:
        if c and c.is_file() and os.access(c, os.X_OK):
            return c.resolve()
    return None


# ---- the benchmark -------------------------------------------------------------------

def build_commands(args, floor, vmrank):
    cmds = [Command("floor", [floor], "smaps_rollup"),
            Command("floor table", [floor, "table"], "smaps_rollup + stat, owner, cmdline")]
    if vmrank:
        cmds.append(Command("vmrank", [vmrank], "smaps_rollup + process table"))
        cmds.append(Command("vmrank -j 1", [vmrank, "-j", "1"], "same, one thread"))
    else:
        log(f"vmrank: not found ({args.vmrank or 'build/cmd/vmrank'}); its rows and ratios "
            "are left out")
    if shutil.which("smem"):
        cmds.append(Command("smem", ["smem"], "smaps (python)"))
    else:
        log("smem: not installed; left out")
    if shutil.which("smemstat"):
        # Without a delay smemstat takes one snapshot of every process and prints it.
        cmds.append(Command("smemstat", ["smemstat"], "smaps + status + cmdline"))
    else:
        log("smemstat: not installed; left out")
    if shutil.which("ps_mem"):
        cmds.append(Command("ps_mem", ["ps_mem"], "smaps (python)"))
    if args.only:
        wanted = {w.strip() for w in args.only.split(",")}
        cmds = [c for c in cmds if c.name in wanted or c.name.split()[0] in wanted]
    return cmds


def time_commands(timeit, cmds, runs):
    with tempfile.TemporaryFile() as outf, tempfile.TemporaryFile() as errf:
        # One untimed run each: warms the dentry cache and pages the programs in.
        for c in cmds:
            wall, u, s, rss, code = spawn_and_wait(timeit, c.argv, outf, errf)
            if code != 0:
                c.errors.append(f"warm-up exit {code}: {read_stderr(errf)[-500:]}")
        for r in range(runs):
            k = r % len(cmds)
            for c in cmds[k:] + cmds[:k]:
                wall, u, s, rss, code = spawn_and_wait(timeit, c.argv, outf, errf)
                c.samples.append((wall, u + s, u, s, rss, code))
                if code != 0:
                    c.errors.append(f"run {r + 1} exit {code}: {read_stderr(errf)[-500:]}")
            log(f"  round {r + 1}/{runs} done")


def summarise(c):
    if not c.samples:
        return None
    walls = [x[0] for x in c.samples]
    cpus = [x[1] for x in c.samples]
    rss = [x[4] for x in c.samples]
    return {
        "wall_median_s": statistics.median(walls),
        "wall_min_s": min(walls),
        "cpu_median_s": statistics.median(cpus),
        "user_median_s": statistics.median([x[2] for x in c.samples]),
        "sys_median_s": statistics.median([x[3] for x in c.samples]),
        "maxrss_median_kib": statistics.median(rss),
        "maxrss_max_kib": max(rss),
        "failed_runs": sum(1 for x in c.samples if x[5] != 0),
        "runs": len(c.samples),
    }


def ratios(summary):
    f, v, sm = summary.get("floor"), summary.get("vmrank"), summary.get("smem")
    out = {}

    def div(a, b):
        return a / b if b else None

    if f and v:
        out["vmrank_wall_over_floor"] = div(v["wall_median_s"], f["wall_median_s"])
        out["vmrank_cpu_over_floor"] = div(v["cpu_median_s"], f["cpu_median_s"])
    if sm and v:
        out["smem_wall_over_vmrank"] = div(sm["wall_median_s"], v["wall_median_s"])
    if v:
        out["vmrank_peak_rss_mib"] = v["maxrss_max_kib"] / 1024
    v1 = summary.get("vmrank -j 1")
    if f and v1:
        out["vmrank_j1_wall_over_floor"] = div(v1["wall_median_s"], f["wall_median_s"])
        out["vmrank_j1_cpu_over_floor"] = div(v1["cpu_median_s"], f["cpu_median_s"])
    ft = summary.get("floor table")
    if ft and f:
        out["floor_table_cpu_over_floor"] = div(ft["cpu_median_s"], f["cpu_median_s"])
    if ft and v:
        out["vmrank_cpu_over_floor_table"] = div(v["cpu_median_s"], ft["cpu_median_s"])
        out["vmrank_wall_over_floor_table"] = div(v["wall_median_s"], ft["wall_median_s"])
    ss = summary.get("smemstat")
    if ss and v:
        out["smemstat_wall_over_vmrank"] = div(ss["wall_median_s"], v["wall_median_s"])
    if sm and f:
        out["smem_wall_over_floor"] = div(sm["wall_median_s"], f["wall_median_s"])
    return out


def meets(value, op, target):
    if value is None:
        return None
    return {"<=": value <= target, ">=": value >= target, "<": value < target}[op]


# ---- do the tools agree? ---------------------------------------------------------------

class ToolError(Exception):
    pass


def floor_total(floor):
    """The floor's (total Pss KiB, processes)."""
    code, out, err = run_output([str(floor)])
    if code:
        raise ToolError(f"floor exit {code}: {err}")
    d = json.loads(out)
    return d["pss_kb"], d["processes"]


def tool_pss(name, argv0):
    """One run of a tool in a machine-readable mode: {pid: PSS KiB}.

    The tool's own process is left out where the tool lists it (smem's python alone is
    ~10 MiB of PSS that the floor never sees); the floor's own PSS is ~0.1 MiB."""
    if name == "vmrank":
        code, out, err, pid = run_output([argv0, "-J"], want_pid=True)
        if code not in (0, 3):
            raise ToolError(f"`vmrank -J` exit {code}: {err[-300:]}")
        try:
            return {p["pid"]: p["pss"] / 1024 for p in json.loads(out)["processes"]
                    if p["pid"] != pid and p["pss"] is not None}
        except (ValueError, KeyError, TypeError) as e:
            raise ToolError(f"cannot read `vmrank -J` output: {e!r}")
    if name == "smem":
        code, out, err, pid = run_output(["smem", "-H", "-c", "pid pss"], want_pid=True)
        if code:
            raise ToolError(f"smem exit {code}: {err[-300:]}")
        rows = [ln.split() for ln in out.decode().splitlines()]
        return {int(r[0]): int(r[1]) for r in rows
                if len(r) == 2 and r[0].isdigit() and int(r[0]) != pid}
    if name == "smemstat":
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "smemstat.json")
            code, _, err, pid = run_output(["smemstat", "-q", "-o", path], want_pid=True)
            if code:
                raise ToolError(f"smemstat exit {code}: {err[-300:]}")
            with open(path) as f:
                rows = json.load(f)["smemstat"]["smem-per-process"]
        return {r["pid"]: r["pss"] / 1024 for r in rows if r["pid"] != pid}
    raise ToolError("not compared")


def rollup_pss(pids):
    """The kernel's own figure for each pid, straight from smaps_rollup."""
    res = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
                for line in f:
                    if line.startswith(b"Pss:"):
                        res[pid] = int(line.split()[1])
                        break
        except OSError:
            pass
    return res


def agreement(cmds, floor, workload_pids, tolerance):
    """Run each tool once between two floor runs; compare its total with the floor's and
    its figures for the workload's processes (which stay put) with smaps_rollup."""
    out = {}
    for c in cmds:
        if c.name not in ("vmrank", "smem", "smemstat"):
            continue
        e = {}
        try:
            fb, _ = floor_total(floor)
            per = tool_pss(c.name, c.argv[0])
            ref = rollup_pss(workload_pids)
            fa, _ = floor_total(floor)
        except (ToolError, OSError, ValueError, KeyError, subprocess.TimeoutExpired) as err:
            out[c.name] = {"note": str(err)}
            continue
        total = sum(per.values())
        lo, hi = min(fb, fa), max(fb, fa)
        e["total_pss_kib"] = total
        e["processes"] = len(per)
        e["floor_before_kib"], e["floor_after_kib"] = fb, fa
        e["vs_floor"] = total / ((fb + fa) / 2) - 1
        e["total_agrees"] = lo * (1 - tolerance) <= total <= hi * (1 + tolerance)
        mine = [per[p] for p in workload_pids if p in per]
        e["workload_pss_kib"] = sum(mine)
        e["workload_ref_kib"] = sum(ref.values())
        e["workload_missing"] = len(workload_pids) - len(mine)
        e["workload_vs_rollup"] = (sum(mine) / sum(ref.values()) - 1) if ref else None
        e["workload_agrees"] = (e["workload_missing"] == 0 and ref
                                and abs(e["workload_vs_rollup"]) <= tolerance)
        out[c.name] = e
    return out


# ---- output ---------------------------------------------------------------------------

def fmt_s(v):
    return "-" if v is None else f"{v:.3f} s"


def print_report(meta, cmds, summary, rat, agree, tolerance):
    print(f"vmscope benchmark: {meta['workload']}; {meta['runs']} runs each, interleaved")
    print(f"kernel {meta['kernel']}, {meta['cpus']} CPUs, uid {meta['uid']}; "
          f"{meta['processes_readable']} processes readable by the floor")
    print()
    hdr = (f"{'command':<13} {'wall med':>10} {'wall min':>10} {'CPU med':>10} "
           f"{'user':>8} {'sys':>8} {'peak RSS':>10}  reads")
    print(hdr)
    print("-" * len(hdr))
    for c in cmds:
        s = summary.get(c.name)
        if not s:
            continue
        print(f"{c.name:<13} {fmt_s(s['wall_median_s']):>10} {fmt_s(s['wall_min_s']):>10} "
              f"{fmt_s(s['cpu_median_s']):>10} {s['user_median_s']:>8.3f} "
              f"{s['sys_median_s']:>8.3f} {s['maxrss_max_kib'] / 1024:>6.1f} MiB  {c.reads}"
              + (f"  [{s['failed_runs']} runs FAILED]" if s["failed_runs"] else ""))
    for c in cmds:
        for e in c.errors[:3]:
            print(f"  {c.name}: {e}")
    print()
    print("ratios (medians; targets from the issue, reported, not asserted):")
    for label, key, op, target in TARGETS:
        v = rat.get(key)
        if v is None:
            print(f"  {label:<28} {'n/a':>8}   target {op} {target:g}")
            continue
        ok = meets(v, op, target)
        print(f"  {label:<28} {v:>8.2f}   target {op} {target:g}   "
              f"{'meets' if ok else 'MISSES'}")
    for label, key in (("vmrank -j 1 wall / floor", "vmrank_j1_wall_over_floor"),
                       ("vmrank -j 1 CPU / floor", "vmrank_j1_cpu_over_floor"),
                       ("floor table CPU / floor", "floor_table_cpu_over_floor"),
                       ("vmrank CPU / floor table", "vmrank_cpu_over_floor_table"),
                       ("vmrank wall / floor table", "vmrank_wall_over_floor_table"),
                       ("smemstat wall / vmrank", "smemstat_wall_over_vmrank"),
                       ("smem wall / floor", "smem_wall_over_floor")):
        if rat.get(key) is not None:
            print(f"  {label:<28} {rat[key]:>8.2f}   (for information)")
    if agree:
        print()
        print(f"total PSS, each tool run once more between two floor runs (agree = within "
              f"{tolerance:.0%}; the system may change between reads):")
        print(f"  {'tool':<9} {'total':>10} {'procs':>6} {'floor before/after':>20} "
              f"{'vs floor':>9}        {'workload pids: tool/rollup':>27}")
        for name, e in agree.items():
            if "total_pss_kib" not in e:
                print(f"  {name:<9} {'?':>10}   {e.get('note', '')}")
                continue
            fl = f"{e['floor_before_kib'] / 1024:.1f}/{e['floor_after_kib'] / 1024:.1f} MiB"
            wl = (f"{e['workload_pss_kib'] / 1024:.1f}/{e['workload_ref_kib'] / 1024:.1f} MiB"
                  f" {(e['workload_vs_rollup'] or 0):+.2%}")
            if e["workload_missing"]:
                wl += f" ({e['workload_missing']} missing)"
            print(f"  {name:<9} {e['total_pss_kib'] / 1024:>6.1f} MiB {e['processes']:>6} "
                  f"{fl:>20} {e['vs_floor']:>+9.2%} "
                  f"{'agrees' if e['total_agrees'] else 'DIFFERS':<7} {wl:>27} "
                  f"{'agrees' if e['workload_agrees'] else 'DIFFERS'}")
        print("  (smaps readers truncate each mapping's Pss to whole KiB, so smem and smemstat"
              " read a little low;\n   smem's python shares pages with this runner's python"
              " while it runs, so its total reads low)")


def run_benchmark(args, exe):
    floor = exe["floor"]
    cmds = build_commands(args, floor, exe["vmrank"])
    if not cmds:
        raise Fatal("nothing to run")
    wl = Workload(exe["workload"], ["procs", args.procs, args.shared_mib, args.private_mib])
    try:
        log(f"starting workload: procs {args.procs} ({args.shared_mib} MiB shared, "
            f"{args.private_mib} MiB private)")
        info = wl.start()
        log(f"workload ready: leader {info['leader']}, {len(info['pids'])} processes")
        # Let the system settle (the children just faulted in their pages).
        time.sleep(args.settle)
        time_commands(exe["timeit"], cmds, args.runs)
        summary = {c.name: summarise(c) for c in cmds}
        agree = {} if args.no_check else \
            agreement(cmds, floor, info["pids"], args.tolerance)
        fl = json.loads(run_output([str(floor)])[1])
        alive = wl.alive()
    finally:
        code = wl.stop()
        if not wl.group_empty():
            log("workload: processes left in its group after stop (bug)")
    if not alive:
        raise Fatal("the workload died during the benchmark; results are not valid")
    log(f"workload stopped (exit {code})")

    rat = ratios(summary)
    meta = {
        "workload": f"workload procs {args.procs} ({len(info['pids'])} processes, "
                    f"{args.shared_mib} MiB shared, {args.private_mib} MiB private)",
        "runs": args.runs,
        "kernel": platform.release(),
        "cpus": os.cpu_count(),
        "uid": os.geteuid(),
        "processes_readable": fl["processes"],
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    print_report(meta, cmds, summary, rat, agree, args.tolerance)
    if args.json:
        doc = {
            "schema": "vmscope-bench/1", "meta": meta,
            "commands": [{"name": c.name, "argv": c.argv, "reads": c.reads,
                          "summary": summary[c.name],
                          "samples": [dict(zip(("wall_s", "cpu_s", "user_s", "sys_s",
                                                "maxrss_kib", "exit"), s))
                                      for s in c.samples],
                          "errors": c.errors} for c in cmds],
            "ratios": rat,
            "targets": [{"label": label, "key": key, "op": op, "target": t,
                         "value": rat.get(key), "meets": meets(rat.get(key), op, t)}
                        for label, key, op, t in TARGETS],
            "agreement": agree,
        }
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        os.replace(tmp, args.json)
        log(f"results saved to {args.json}")
    failed = [c.name for c in cmds if summary[c.name]["failed_runs"]]
    return 1 if "floor" in failed else 0


# ---- the vmmap benchmark (--bench vmmap) ----------------------------------------------

# Targets from the vmmap issue, at the first workload's size: (label, key, comparison, value).
VMMAP_TARGETS = [
    ("vmmap wall / floor wall", "vmmap_wall_over_floor", "<=", 1.2),
    ("pmap -X wall / vmmap wall", "pmap_wall_over_vmmap", ">=", 5.0),
]
# Peak RSS that grew by less than this from the first workload to the second is "flat":
# ru_maxrss moves by a few hundred KiB from run to run whatever the input (which pages of
# a reader thread's buffers and stack get touched), while holding the output or the parsed
# mappings of 150,000 more mappings would take tens of MiB.
FLAT_GROWTH_KIB = 1024


def count_mappings(pid):
    with open(f"/proc/{pid}/maps", "rb") as f:
        return sum(1 for _ in f)


def vmmap_commands(args, floor, vmmap, pid):
    smaps = f"/proc/{pid}/smaps"
    cmds = [Command("floor cat", [floor, "cat", smaps], "smaps, read to the end, nothing else")]
    if vmmap:
        cmds += [Command("vmmap", [vmmap, pid], "smaps (+ kinds); default table"),
                 Command("vmmap -J", [vmmap, "-J", pid], "the same; JSON"),
                 Command("vmmap -x", [vmmap, "-x", pid], "the same; every smaps figure")]
    if shutil.which("pmap"):
        cmds.append(Command("pmap -X", ["pmap", "-X", pid], "smaps (procps)"))
    if args.only:
        wanted = {w.strip() for w in args.only.split(",")}
        cmds = [c for c in cmds if c.name in wanted or c.name.split()[0] in wanted]
    return cmds


def output_size(argv):
    """Run argv once with stdout on a pipe; return (exit code, bytes written, stderr)."""
    with tempfile.TemporaryFile() as errf:
        with subprocess.Popen([str(a) for a in argv], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=errf) as p:
            n = 0
            while True:
                chunk = os.read(p.stdout.fileno(), 1 << 20)
                if not chunk:
                    break
                n += len(chunk)
        return p.returncode, n, read_stderr(errf)


SMAPS_ANON_NAMES = ("", "[heap]", "[stack]")


def read_smaps(pid):
    """Every mapping of /proc/PID/smaps: {start: (private_anon, {key: kB})}, in order.

    private_anon: a private anonymous mapping (no file, not a kernel page such as [vdso]):
    its pages are mapped by this process alone, so its Pss cannot change when another
    process (vmmap itself, say) maps something."""
    maps = {}
    cur = None
    with open(f"/proc/{pid}/smaps", "rb") as f:
        for line in f:
            if line[:1] in b"0123456789abcdef":
                # start-end perms offset device inode [path]
                p = line.rstrip(b"\n").split(None, 5)
                path = p[5].decode("utf-8", "replace") if len(p) > 5 else ""
                anon = (p[4] == b"0" and p[1][3:4] == b"p"
                        and (path in SMAPS_ANON_NAMES or path.startswith("[anon:")))
                cur = {}
                maps[int(p[0].split(b"-")[0], 16)] = (anon, cur)
            elif cur is not None and line.endswith(b" kB\n"):
                key, _, rest = line.partition(b":")
                cur[key.decode()] = int(rest.split()[0])
    return maps


def vmmap_agreement(vmmap, pid):
    """Run `vmmap -J PID`, read /proc/PID/smaps right after, and compare vmmap's totals
    (rss, pss, swap, mappings) with the sums over smaps.

    The workload does not change, so Rss and Swap must be equal to the byte.  Pss of a
    page is its size divided by the number of processes mapping it: while vmmap runs it
    maps libc, ld.so and the vDSO too, so the Pss of the workload's shared pages is
    lower during vmmap's read than after it.  Pss must therefore be equal to the byte
    over the private anonymous mappings (the workload's own N), and any difference
    elsewhere is reported as what it is."""
    res = {"pid": pid}
    code, out, err = run_output([str(vmmap), "-J", str(pid)])
    try:
        smaps = read_smaps(pid)
    except OSError as e:
        return {"agrees": False, "note": f"cannot read /proc/{pid}/smaps: {e.strerror}"}
    res["json_bytes"] = len(out)
    if code != 0:
        return {"agrees": False, "note": f"`vmmap -J {pid}` exit {code}: {err[-300:]}"}
    try:
        doc = json.loads(out)
        del out
        proc = next(p for p in doc["processes"] if p["pid"] == pid)
        vm_maps = {int(m["start"], 16): m for m in proc["mappings"]}
        totals = proc["totals"]
    except (ValueError, KeyError, TypeError, StopIteration) as e:
        return {"agrees": False, "note": f"cannot read `vmmap -J` output: {e!r}"}

    res["mappings"] = {"vmmap_total": totals.get("mappings"), "vmmap_listed": len(vm_maps),
                       "smaps": len(smaps), "same_starts": set(vm_maps) == set(smaps)}
    res["mappings"]["agrees"] = (res["mappings"]["same_starts"]
                                 and totals.get("mappings") == len(smaps) == len(vm_maps))
    agrees = res["mappings"]["agrees"]
    anon_starts = [s for s, (anon, _) in smaps.items() if anon]
    res["private_anon_mappings"] = len(anon_starts)
    for key, skey in (("rss", "Rss"), ("pss", "Pss"), ("swap", "Swap")):
        ref = sum(v.get(skey, 0) for _, v in smaps.values()) * 1024
        tot = totals.get(key)
        listed = sum(m.get(key) or 0 for m in vm_maps.values())
        anon_ref = sum(smaps[s][1].get(skey, 0) for s in anon_starts) * 1024
        anon_vm = sum(vm_maps[s].get(key) or 0 for s in anon_starts if s in vm_maps)
        e = {"vmmap_total": tot, "smaps_sum": ref,
             "diff": (tot - ref) if isinstance(tot, int) else None,
             "vmmap_mappings_sum": listed, "totals_are_the_sum": tot == listed,
             "private_anon_vmmap": anon_vm, "private_anon_smaps": anon_ref,
             "exact": tot == ref}
        if key == "pss":
            # Exact where nobody else maps the pages; elsewhere see the docstring.
            e["agrees"] = (e["exact"] or anon_vm == anon_ref) and e["totals_are_the_sum"]
        else:
            e["agrees"] = e["exact"] and e["totals_are_the_sum"]
        res[key] = e
        agrees = agrees and e["agrees"]
    res["agrees"] = agrees
    return res


def vmmap_pass(args, exe, n, check):
    """One workload of n mappings: time every command, measure its output, and (check)
    compare vmmap -J with smaps.  Returns what it found."""
    floor = exe["floor"]
    wl = Workload(exe["workload"], ["maps", n], ready_timeout=600)
    log(f"starting workload: maps {n}")
    try:
        info = wl.start()
        pid = info["leader"]
        log(f"workload ready: pid {pid}")
        time.sleep(args.settle)
        nmaps = count_mappings(pid)
        code, out, err = run_output([str(floor), "cat", f"/proc/{pid}/smaps"])
        if code:
            raise Fatal(f"floor cat /proc/{pid}/smaps: exit {code}: {err}")
        smaps_bytes = json.loads(out)["bytes"]
        log(f"  {nmaps} mappings, /proc/{pid}/smaps is {smaps_bytes} bytes")
        cmds = vmmap_commands(args, floor, exe["vmmap"], pid)
        time_commands(exe["timeit"], cmds, args.runs)
        summary = {c.name: summarise_ok(c) for c in cmds}
        # How many bytes each command writes: what an output that is held whole would take.
        outsize = {}
        for c in cmds:
            if c.name != "floor cat":
                oc, nbytes, oerr = output_size(c.argv)
                outsize[c.name] = nbytes if oc == 0 else None
        agree = vmmap_agreement(exe["vmmap"], pid) if check and exe["vmmap"] else None
        alive = wl.alive()
        if nmaps != count_mappings(pid):
            log("workload: its mappings changed during the benchmark (bug)")
    finally:
        wcode = wl.stop()
        if not wl.group_empty():
            log("workload: processes left in its group after stop (bug)")
    if not alive:
        raise Fatal("the workload died during the benchmark; results are not valid")
    log(f"workload stopped (exit {wcode})")
    return {"workload": f"workload maps {n}", "requested": n, "pid": pid, "mappings": nmaps,
            "smaps_bytes": smaps_bytes, "cmds": cmds, "summary": summary,
            "output_bytes": outsize, "agreement": agree}


def big_pass_skip_reason(args, n):
    """Why the second workload cannot run here, or None."""
    if not n:
        return "--big-maps 0"
    need = n + 1000     # what workload.c asks for: N plus its own libraries and stack
    try:
        cur = read_max_map_count()
    except (OSError, ValueError) as e:
        return f"cannot read vm.max_map_count: {e}"
    if cur < need and os.geteuid() != 0:
        return (f"{n} mappings need vm.max_map_count >= {need} (now {cur}); only root can "
                "raise it (run as root, or raise it first)")
    return None


def summarise_ok(c):
    """summarise() over the runs that exited 0 (a failed run's time and RSS say nothing
    about the command); failed_runs still counts the others.  None if none succeeded."""
    ok = [x for x in c.samples if x[5] == 0]
    s = summarise(SimpleNamespace(samples=ok))
    if s:
        s["failed_runs"] = len(c.samples) - len(ok)
        s["runs"] = len(c.samples)
    return s


def vmmap_ratios(p, suffix=""):
    s = p["summary"]
    f, v = s.get("floor cat"), s.get("vmmap")
    out = {}

    def div(a, b):
        return a / b if b else None

    if f and v:
        out["vmmap_wall_over_floor" + suffix] = div(v["wall_median_s"], f["wall_median_s"])
        out["vmmap_cpu_over_floor" + suffix] = div(v["cpu_median_s"], f["cpu_median_s"])
    pm = s.get("pmap -X")
    if pm and v:
        out["pmap_wall_over_vmmap" + suffix] = div(pm["wall_median_s"], v["wall_median_s"])
    for name, key in (("vmmap -J", "vmmap_json"), ("vmmap -x", "vmmap_x"), ("pmap -X", "pmap")):
        if f and s.get(name):
            out[key + "_wall_over_floor" + suffix] = div(s[name]["wall_median_s"],
                                                         f["wall_median_s"])
    return out


def vmmap_growth(small, big):
    """Peak RSS of each command at both sizes: {name: {...}}."""
    out = {}
    added = big["mappings"] - small["mappings"]
    for name, s1 in small["summary"].items():
        s2 = big["summary"].get(name)
        if not s1 or not s2:
            continue
        r1, r2 = s1["maxrss_max_kib"], s2["maxrss_max_kib"]
        ob = big["output_bytes"].get(name)
        out[name] = {
            "peak_rss_kib": [r1, r2],
            "ratio": r2 / r1 if r1 else None,
            "growth_kib": r2 - r1,
            "growth_bytes_per_mapping": (r2 - r1) * 1024 / added if added > 0 else None,
            "output_bytes_per_mapping": ob / big["mappings"] if ob is not None else None,
            "flat": r2 - r1 < FLAT_GROWTH_KIB,
        }
    return out


def print_command_table(cmds, summary):
    hdr = (f"{'command':<10} {'wall med':>10} {'wall min':>10} {'CPU med':>10} "
           f"{'user':>8} {'sys':>8} {'peak RSS':>10}  reads")
    print(hdr)
    print("-" * len(hdr))
    for c in cmds:
        s = summary.get(c.name)
        if not s:
            print(f"{c.name:<10} all {len(c.samples)} runs FAILED")
            continue
        print(f"{c.name:<10} {fmt_s(s['wall_median_s']):>10} {fmt_s(s['wall_min_s']):>10} "
              f"{fmt_s(s['cpu_median_s']):>10} {s['user_median_s']:>8.3f} "
              f"{s['sys_median_s']:>8.3f} {s['maxrss_max_kib'] / 1024:>6.1f} MiB  {c.reads}"
              + (f"  [{s['failed_runs']} runs FAILED]" if s["failed_runs"] else ""))
    for c in cmds:
        for e in c.errors[:3]:
            print(f"  {c.name}: {e}")


def fmt_kib(kib):
    return f"{kib / 1024:.1f} MiB"


def print_vmmap_report(meta, passes, rat, growth, big_skipped):
    small = passes[0]
    print(f"vmscope vmmap benchmark: {meta['runs']} runs each, interleaved")
    print(f"kernel {meta['kernel']}, {meta['cpus']} CPUs, uid {meta['uid']}")
    for p in passes:
        print()
        print(f"{p['workload']}: {p['mappings']} mappings, /proc/PID/smaps is "
              f"{p['smaps_bytes'] / 1048576:.1f} MiB "
              f"({p['smaps_bytes'] / p['mappings']:.0f} bytes a mapping)")
        print_command_table(p["cmds"], p["summary"])
    if big_skipped:
        print()
        print(f"second workload skipped: {big_skipped}")
    print()
    print(f"ratios at {small['mappings']} mappings (medians; targets from the issue, "
          "reported, not asserted):")
    for label, key, op, target in VMMAP_TARGETS:
        v = rat.get(key)
        if v is None:
            print(f"  {label:<28} {'n/a':>8}   target {op} {target:g}")
            continue
        print(f"  {label:<28} {v:>8.2f}   target {op} {target:<4g}  "
              f"{'meets' if meets(v, op, target) else 'MISSES'}")
    info = (("vmmap CPU / floor CPU", "vmmap_cpu_over_floor"),
            ("vmmap -J wall / floor", "vmmap_json_wall_over_floor"),
            ("vmmap -x wall / floor", "vmmap_x_wall_over_floor"),
            ("pmap -X wall / floor", "pmap_wall_over_floor"))
    for label, key in info:
        if rat.get(key) is not None:
            print(f"  {label:<28} {rat[key]:>8.2f}   (for information)")
    if len(passes) > 1:
        print(f"the same at {passes[1]['mappings']} mappings (for information):")
        for label, key in (("vmmap wall / floor wall", "vmmap_wall_over_floor"),
                           ("pmap -X wall / vmmap wall", "pmap_wall_over_vmmap")) + info:
            if rat.get(key + "_big") is not None:
                print(f"  {label:<28} {rat[key + '_big']:>8.2f}")
    if growth:
        big = passes[1]
        print()
        print(f"peak RSS at {small['mappings']} and {big['mappings']} mappings (max over the "
              "runs, stdout to /dev/null); growth per added mapping against the bytes of "
              "output per mapping:")
        print(f"  {'command':<10} {small['mappings']:>10} {big['mappings']:>10} {'ratio':>6} "
              f"{'growth':>10} {'growth/map':>11} {'output/map':>11}")
        for name, g in growth.items():
            r1, r2 = g["peak_rss_kib"]
            gpm = g["growth_bytes_per_mapping"]
            opm = g["output_bytes_per_mapping"]
            print(f"  {name:<10} {fmt_kib(r1):>10} {fmt_kib(r2):>10} {g['ratio']:>6.2f} "
                  f"{g['growth_kib']:>7} KiB {gpm if gpm is not None else 0:>9.1f} B "
                  f"{'-' if opm is None else f'{opm:.0f} B':>11}  "
                  f"{'flat' if g['flat'] else 'GROWS'}")
        print(f"  (flat: grew by less than {FLAT_GROWTH_KIB} KiB, the run-to-run noise of "
              "ru_maxrss. A command that streams\n   stays flat; one that holds its output "
              "grows by about the output's bytes per mapping; one that\n   holds parsed "
              "mappings, by more.)")
    a = small.get("agreement")
    if a is not None:
        print()
        print(f"vmmap -J totals against the sums over /proc/PID/smaps read right after "
              f"({small['mappings']} mappings):")
        if "note" in a:
            print(f"  DIFFERS: {a['note']}")
        else:
            m = a["mappings"]
            print(f"  {'mappings':<9} vmmap {m['vmmap_total']} (lists {m['vmmap_listed']}), "
                  f"smaps {m['smaps']}"
                  + ("" if m["same_starts"] else ", NOT the same start addresses")
                  + f"   {'agrees' if m['agrees'] else 'DIFFERS'}")
            for key in ("rss", "pss", "swap"):
                e = a[key]
                line = (f"  {key:<9} vmmap {e['vmmap_total']} B, smaps {e['smaps_sum']} B "
                        f"(diff {e['diff']})")
                if not e["totals_are_the_sum"]:
                    line += f"; vmmap's mappings add up to {e['vmmap_mappings_sum']} B"
                print(line + f"   {'agrees' if e['agrees'] else 'DIFFERS'}")
                if key == "pss" and not e["exact"]:
                    same = e["private_anon_vmmap"] == e["private_anon_smaps"]
                    print(f"  {'':<9} over the {a['private_anon_mappings']} private anonymous "
                          f"mappings: vmmap {e['private_anon_vmmap']} B, smaps "
                          f"{e['private_anon_smaps']} B"
                          + (f"\n  {'':<9} (the rest is in pages of libraries and the "
                             "vDSO, whose Pss is lower while vmmap maps them too)" if same
                             else ""))


def vmmap_benchmark(args, exe):
    if not exe["vmmap"]:
        log(f"vmmap: not found ({args.vmmap or 'build/cmd/vmmap'}); its rows, ratios and "
            "the agreement check are left out")
    if not shutil.which("pmap"):
        log("pmap: not installed (procps); left out")
    passes = [vmmap_pass(args, exe, args.maps, not args.no_check)]
    big_skipped = big_pass_skip_reason(args, args.big_maps)
    if big_skipped:
        log(f"second workload skipped: {big_skipped}")
    else:
        passes.append(vmmap_pass(args, exe, args.big_maps, False))
    rat = vmmap_ratios(passes[0])
    growth = None
    if len(passes) > 1:
        rat.update(vmmap_ratios(passes[1], "_big"))
        growth = vmmap_growth(passes[0], passes[1])
        for name, key in (("vmmap", "vmmap"), ("vmmap -J", "vmmap_json"),
                          ("vmmap -x", "vmmap_x")):
            if name in growth:
                rat[key + "_rss_ratio_big_over_small"] = growth[name]["ratio"]
                rat[key + "_rss_growth_bytes_per_mapping"] = \
                    growth[name]["growth_bytes_per_mapping"]
    if passes[0]["summary"].get("vmmap"):
        rat["vmmap_peak_rss_mib"] = passes[0]["summary"]["vmmap"]["maxrss_max_kib"] / 1024
    meta = {
        "runs": args.runs,
        "kernel": platform.release(),
        "cpus": os.cpu_count(),
        "uid": os.geteuid(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    print_vmmap_report(meta, passes, rat, growth, big_skipped)
    doc = {
        "schema": "vmscope-bench/1", "bench": "vmmap", "meta": meta,
        "workloads": [{
            "workload": p["workload"], "mappings": p["mappings"],
            "smaps_bytes": p["smaps_bytes"], "output_bytes": p["output_bytes"],
            "commands": [{"name": c.name, "argv": c.argv, "reads": c.reads,
                          "summary": p["summary"][c.name],
                          "samples": [dict(zip(("wall_s", "cpu_s", "user_s", "sys_s",
                                                "maxrss_kib", "exit"), s))
                                      for s in c.samples],
                          "errors": c.errors} for c in p["cmds"]],
        } for p in passes],
        "second_workload_skipped": big_skipped,
        "ratios": rat,
        "targets": [{"label": label, "key": key, "op": op, "target": t,
                     "value": rat.get(key), "meets": meets(rat.get(key), op, t)}
                    for label, key, op, t in VMMAP_TARGETS],
        "peak_rss_growth": growth,
        "agreement": passes[0]["agreement"],
    }
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        os.replace(tmp, args.json)
        log(f"results saved to {args.json}")
    return doc


def run_vmmap_benchmark(args, exe):
    doc = vmmap_benchmark(args, exe)
    floor_failed = any(c["name"] == "floor cat" and
                       (c["summary"] is None or c["summary"]["failed_runs"])
                       for w in doc["workloads"] for c in w["commands"])
    return 1 if floor_failed else 0


# ---- smoke test ----------------------------------------------------------------------

class Smoke:
    def __init__(self):
        self.failures = 0

    def check(self, ok, what, detail=""):
        print(f"{'ok  ' if ok else 'FAIL'} {what}" + (f": {detail}" if detail and not ok else ""),
              flush=True)
        if not ok:
            self.failures += 1
        return ok


def pid_gone(pid):
    """Gone or a zombie waiting for its (new) parent to reap it."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return stat[stat.rindex(b")") + 2:][:1] in (b"Z", b"X")


def become_subreaper():
    """Orphans of the processes we start are reparented to us, not to init (which may be
    slow to reap them), so wait_gone() can reap them itself."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0      # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def reap(pids):
    """Reap those of pids that became our children (as subreaper) and have exited."""
    for p in pids:
        try:
            os.waitpid(p, os.WNOHANG)
        except ChildProcessError:
            pass


def wait_gone(pids, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        reap(pids)
        left = [p for p in pids if not pid_gone(p)]
        if not left or time.monotonic() >= deadline:
            # One that exited after the reap above is a zombie: reap it too.
            reap(pids)
            return left
        time.sleep(0.05)


def smoke_workload(t, exe, args, extra_check=None):
    name = "workload " + " ".join(str(a) for a in args)
    wl = Workload(exe, args, ready_timeout=60)
    try:
        info = wl.start()
    except Fatal as e:
        t.check(False, f"{name} starts", str(e))
        return
    try:
        pids = info.get("pids", [])
        t.check(info.get("leader") == wl.pgid and pids and pids[0] == wl.pgid,
                f"{name} starts and prints its pids", repr(info)[:200])
        t.check(all(not pid_gone(p) for p in pids), f"{name}: all {len(pids)} pids alive")
        if extra_check:
            extra_check(t, name, info)
    finally:
        code = wl.stop()
    t.check(code == 0, f"{name} stops on SIGTERM with exit 0", f"exit {code}")
    t.check(wl.group_empty() and not wait_gone(pids, 5), f"{name} leaves nothing behind")


def smoke_floor(t, floor, pid):
    code, out, err = run_output([str(floor)], timeout=120)
    try:
        d = json.loads(out)
        ok = code == 0 and d["processes"] >= 1 and d["pss_kb"] > 0
    except (ValueError, KeyError):
        ok = False
    t.check(ok, "floor reads smaps_rollup of every process", f"exit {code} {out!r} {err}")
    code, out, err = run_output([str(floor), "table"], timeout=120)
    try:
        d = json.loads(out)
        ok = code == 0 and d["processes"] >= 1 and d["pss_kb"] > 0
    except (ValueError, KeyError):
        ok = False
    t.check(ok, "floor table reads stat, cmdline and smaps_rollup", f"exit {code} {out!r} {err}")
    code, out, err = run_output([str(floor), "cat", f"/proc/{pid}/smaps"], timeout=60)
    try:
        ok = code == 0 and json.loads(out)["bytes"] > 0
    except (ValueError, KeyError):
        ok = False
    t.check(ok, "floor cat /proc/PID/smaps", f"exit {code} {out!r} {err}")
    code, _, _ = run_output([str(floor), "cat", "/nonexistent/file"])
    t.check(code == 1, "floor cat of a missing file exits 1", f"exit {code}")


def read_max_map_count():
    with open("/proc/sys/vm/max_map_count") as f:
        return int(f.read())


def smoke_max_map_count(t, exe):
    """More mappings than vm.max_map_count allows: raised (root) and restored after."""
    before = read_max_map_count()
    n = before + 100
    if os.geteuid() != 0:
        wl = Workload(exe, ["maps", n], ready_timeout=60)
        try:
            wl.start()
            t.check(False, f"workload maps {n} refuses without root")
        except Fatal:
            t.check(True, f"workload maps {n} refuses without root")
        finally:
            wl.stop()
        print(f"skip workload maps {n} raising vm.max_map_count: needs root", flush=True)
        return

    def raised(t_, name, info):
        now = read_max_map_count()
        t_.check(now > n, f"{name}: vm.max_map_count raised", f"{before} -> {now}")

    smoke_workload(t, exe, ["maps", n], raised)
    after = read_max_map_count()
    t.check(after == before, f"workload maps {n}: vm.max_map_count restored",
            f"{before} before, {after} after")


def smoke_timeout(t, exe):
    """-t SECONDS: the workload stops by itself, children and all."""
    wl = Workload(exe, ["-t", "1", "procs", 2, 1, 1], ready_timeout=60)
    try:
        info = wl.start()
        try:
            code = wl.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            code = None
        t.check(code == 0, "workload -t 1 exits by itself with exit 0", f"exit {code}")
        t.check(not wait_gone(info["pids"], 5), "workload -t 1 leaves nothing behind")
    except Fatal as e:
        t.check(False, "workload -t 1 procs 2 starts", str(e))
    finally:
        wl.stop()


def smoke_leader_killed(t, exe):
    """SIGKILL the leader: PR_SET_PDEATHSIG must take every child with it."""
    wl = Workload(exe, ["procs", 5, 1, 1], ready_timeout=60)
    try:
        info = wl.start()
        os.kill(wl.pgid, signal.SIGKILL)
        wl.proc.wait()
        left = wait_gone(info["pids"][1:], 10)
        t.check(not left, "children die when the leader is SIGKILLed", f"left: {left}")
    except Fatal as e:
        t.check(False, "workload procs 5 starts", str(e))
    finally:
        wl.stop()


def smoke_runner_killed(t, exe, sig):
    """Kill a running benchmark: its workload must go too, whatever the signal."""
    argv = [sys.executable, str(Path(__file__).resolve()), "--procs", "3", "--runs", "100000",
            "--only", "floor", "--floor", str(exe["floor"]), "--workload",
            str(exe["workload"]), "--timeit", str(exe["timeit"]), "--settle", "0",
            "--no-check"]
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    leader = None
    deadline = time.monotonic() + 60
    buf = b""
    fd = p.stderr.fileno()
    while leader is None and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        buf += chunk
        for line in buf.split(b"\n"):
            if line.startswith(b"  round "):
                # The workload is up and timing has begun: find the leader.
                for ln in buf.split(b"\n"):
                    if ln.startswith(b"workload ready: leader "):
                        leader = int(ln.split()[3].rstrip(b","))
                break
    if leader is None:
        p.kill()
        p.wait()
        t.check(False, f"runner with a workload starts (for {sig.name})", buf.decode()[-500:])
        return
    members = [int(x) for x in os.listdir("/proc") if x.isdigit() and _pgid(int(x)) == leader]
    p.send_signal(sig)
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    p.stderr.close()
    left = wait_gone(members, 15)
    t.check(not left, f"runner killed by {sig.name} leaves no workload process "
            f"({len(members)} were running)", f"left: {left}")
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _pgid(pid):
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def smoke_vmmap(t, args, exe):
    """One untimed pass of --bench vmmap on small workloads, when vmmap is built: every
    command runs, and vmmap -J agrees with smaps."""
    if not exe["vmmap"]:
        print(f"skip the vmmap pass: vmmap not built ({args.vmmap or 'build/cmd/vmmap'})",
              flush=True)
        return
    print("--- one vmmap benchmark pass on small workloads (timings meaningless) ---",
          flush=True)
    args.maps, args.big_maps, args.runs, args.settle, args.only = 500, 2000, 1, 0, None
    try:
        doc = vmmap_benchmark(args, exe)
    except Fatal as e:
        t.check(False, "vmmap benchmark pass runs", str(e))
        return
    for w in doc["workloads"]:
        for c in w["commands"]:
            if c["name"] == "pmap -X":
                continue    # not ours; its failures are printed in the report
            s = c["summary"]
            t.check(s is not None and s["failed_runs"] == 0 and not c["errors"],
                    f"{w['workload']}: {c['name']} runs (exit 0)", "; ".join(c["errors"]))
    t.check(len(doc["workloads"]) == 2, "vmmap pass: the second workload runs",
            doc["second_workload_skipped"] or "")
    a = doc["agreement"] or {}
    t.check(a.get("agrees") is True, "vmmap -J totals agree with /proc/PID/smaps",
            a.get("note") or json.dumps({k: a.get(k) for k in ("mappings", "rss", "pss",
                                                                 "swap")}))


def run_smoke(args, exe):
    t = Smoke()
    become_subreaper()
    workload_exe = exe["workload"]

    def procs_extra(t_, name, info):
        smoke_floor(t_, exe["floor"], info["pids"][-1])

    def maps_extra(t_, name, info):
        with open(f"/proc/{info['leader']}/maps") as f:
            n = sum(1 for _ in f)
        t_.check(n >= 500, f"{name}: /proc/PID/maps has >= 500 lines", f"{n} lines")

    def sparse_extra(t_, name, info):
        t_.check(len(info.get("parts", [])) == 4 and info.get("rss_kb", 0) > 0,
                 f"{name}: layout reported", repr(info))

    smoke_workload(t, workload_exe, ["procs", 5, 1, 1], procs_extra)
    smoke_workload(t, workload_exe, ["maps", 500], maps_extra)
    smoke_workload(t, workload_exe, ["sparse", "64M"], sparse_extra)
    smoke_max_map_count(t, workload_exe)
    smoke_timeout(t, workload_exe)
    smoke_leader_killed(t, workload_exe)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGKILL):
        smoke_runner_killed(t, exe, sig)

    # One untimed pass through the whole runner, so its reporting code cannot rot.
    print("--- one benchmark pass on a tiny workload (timings meaningless) ---", flush=True)
    args.procs, args.runs, args.shared_mib, args.private_mib, args.settle = 5, 1, 1, 1, 0
    try:
        code = run_benchmark(args, exe)
        t.check(code == 0, "benchmark pass runs (floor succeeded)")
    except Fatal as e:
        t.check(False, "benchmark pass runs", str(e))
    smoke_vmmap(t, args, exe)
    print(f"{t.failures} failed" if t.failures else "all smoke checks passed")
    return 1 if t.failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--procs", type=int, default=1000, help="workload processes (1000)")
    ap.add_argument("--shared-mib", type=int, default=4,
                    help="MAP_SHARED region every workload process touches (4)")
    ap.add_argument("--private-mib", type=int, default=4,
                    help="private region the children share copy-on-write (4)")
    ap.add_argument("--runs", type=int, default=7, help="timed runs of each command (7)")
    ap.add_argument("--vmrank", help="vmrank executable (build/cmd/vmrank)")
    ap.add_argument("--floor", help="floor executable (build/tests/bench/floor)")
    ap.add_argument("--workload", help="workload executable (next to the floor)")
    ap.add_argument("--timeit", help="timeit launcher executable (next to the floor)")
    ap.add_argument("--json", metavar="FILE", help="also save the results as JSON")
    ap.add_argument("--only", metavar="LIST",
                    help="only these commands (floor,vmrank,smem,smemstat,ps_mem)")
    ap.add_argument("--settle", type=float, default=1.0,
                    help="seconds to wait after the workload is ready (1)")
    ap.add_argument("--tolerance", type=float, default=0.03,
                    help="total PSS agreement tolerance, as a fraction (0.03)")
    ap.add_argument("--no-check", action="store_true", help="skip the agreement check")
    ap.add_argument("--smoke", action="store_true",
                    help="check the benchmark code works; time nothing")
    ap.add_argument("--bench", choices=("vmrank", "vmmap", "pages"), default="vmrank",
                    help="what to benchmark: vmrank on many processes (default), vmmap "
                    "on one process with many mappings, or the page layer on a sparse "
                    "8 GiB address space")
    ap.add_argument("--vmmap", help="vmmap executable (build/cmd/vmmap)")
    ap.add_argument("--maps", type=int, default=50000,
                    help="--bench vmmap: mappings of the workload process (50000)")
    ap.add_argument("--big-maps", type=int, default=200000,
                    help="--bench vmmap: mappings of the second workload, for peak RSS "
                    "growth (200000; 0 skips it)")
    ap.add_argument("--pagebench", help="--bench pages: pagebench executable (next to the "
                    "floor)")
    ap.add_argument("--vmwalk", help="--bench pages: vmwalk executable (build/cmd/vmwalk)")
    ap.add_argument("--sparse-size", default="8G",
                    help="--bench pages: address space of the sparse workload (8G)")
    ap.add_argument("--no-swap", action="store_true",
                    help="--bench pages: do not make a swap file (as root, when no swap is "
                    "on, the run makes one and removes it after)")
    args = ap.parse_args()
    if args.procs < 0 or args.runs < 1:
        ap.error("--procs must be >= 0 and --runs >= 1")
    if args.maps < 2 or (args.big_maps and args.big_maps <= args.maps):
        ap.error("--maps must be >= 2 and --big-maps 0 or above --maps")

    install_signal_handlers()
    build = SRCROOT / "build"
    floor = find_exe(args.floor, [build / "tests/bench/floor"])
    benchdir = floor.parent if floor else build / "tests/bench"
    exe = {
        "floor": floor,
        "workload": find_exe(args.workload, [benchdir / "workload"]),
        "timeit": find_exe(args.timeit, [benchdir / "timeit"]),
        "vmrank": find_exe(args.vmrank, [build / "cmd/vmrank"]),
        "vmmap": find_exe(args.vmmap, [build / "cmd/vmmap"]),
        "pagebench": find_exe(args.pagebench, [benchdir / "pagebench"]),
        "vmwalk": find_exe(args.vmwalk, [build / "cmd/vmwalk"]),
    }
    missing = [k for k in ("floor", "workload", "timeit") if not exe[k]]
    if missing:
        log(f"run.py: not found: {', '.join(missing)} (looked in {benchdir}); build them "
            "with `ninja -C build` or pass --floor/--workload/--timeit")
        return 2
    try:
        if args.bench == "pages":
            # Kept in its own file; it uses this module's helpers (passed as R), so that
            # the signal handler here sees the child it must kill.
            sys.dont_write_bytecode = True
            import bench_pages
            me = sys.modules[__name__]
            if args.smoke:
                return bench_pages.run_pages_smoke(me, args, exe)
            return bench_pages.run_pages_benchmark(me, args, exe)
        if args.smoke:
            return run_smoke(args, exe)
        if args.bench == "vmmap":
            return run_vmmap_benchmark(args, exe)
        return run_benchmark(args, exe)
    except Fatal as e:
        log(f"run.py: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
