# SPDX-License-Identifier: GPL-2.0-or-later
# The page-layer benchmark (run.py --bench pages) and its smoke pass (run.py --smoke --bench pages).
"""Time libvmscope's page walk, its kpageflags lookups and `vmrank --exact` on the sparse workload.

On `workload sparse 8G` (2,097,152 pages of address space: dense 4 KiB anonymous memory,
one page in 8 of a scattered range, 1 GiB of THP, 128 MiB paged out to swap, and large
untouched ranges), in one run, interleaved, R times:

  summary        pagebench summary PID        vms_pagewalk over every mapping (default method)
  floor          pagebench floor PID          pread of the whole pagemap in 64 KiB, each entry classified
  summary scan   pagebench summary PID scan   the walk forced to PAGEMAP_SCAN (information)
  summary read   pagebench summary PID read   the walk forced to pread (information)
  kpage runs     pagebench kpage PID runs     kpageflags of every present page: vms_kpage_lookup
  kpage each     pagebench kpage PID each     the same, one pread per page
  vmwalk M       vmwalk PID BASE-END --method M   the whole command (when vmwalk is built)
  vmrank --exact vmrank --exact               every process (when vmrank has --exact)

pagebench times only the part that differs between its modes and prints it; vmwalk and
vmrank are timed whole by timeit.  Swap: as root, when no swap is on, a swap file is
made in /var/tmp for the run and removed after (on every exit path the runner survives).

This module is driven by run.py, which passes itself as `R` for the shared helpers
(Workload, timeit, signals), so that there is one copy of their state.
"""

import json
import os
import platform
import statistics
import subprocess
import tempfile
import time

# Targets from the pages issue: (label, key, comparison, value).
PAGES_TARGETS = [
    ("floor wall / summary wall", "summary_speedup", ">=", 1.3),
    ("kpage each / kpage runs wall", "kpage_speedup", ">=", 3.0),
]

# The counts the library's summary and the floor must agree on exactly (the workload
# does not change while it is measured).
AGREE_KEYS = ("pages", "present", "swapped", "guard", "none", "file")

SWAP_PREFIX = "vmscope-bench-swap."


class Skip(Exception):
    pass


def parse_size(text):
    """"8G", "256M", "512K" or bytes, 1024-based, as workload.c reads it."""
    mult = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    t = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = t[-1:] if t[-1:] in "KMGT" else ""
    return int(t[:len(t) - len(unit)]) * mult[unit]


def log(msg):
    import sys
    print(msg, file=sys.stderr, flush=True)


# ---- swap --------------------------------------------------------------------------

def swaps_active():
    """The paths in /proc/swaps (escaped as the kernel prints them)."""
    with open("/proc/swaps") as f:
        return [ln.split()[0] for ln in f.read().splitlines()[1:] if ln.strip()]


class SwapFile:
    """A swap file for the run, made only as root and only when no swap is on.

    remove() is safe to call any number of times; it turns the file off and deletes it.
    If the runner is SIGKILLed the file stays on: `swapoff /var/tmp/vmscope-bench-swap.*`
    and delete it by hand."""

    def __init__(self, mib):
        self.mib = mib
        self.path = None
        self.on = False
        self.note = None

    def setup(self):
        try:
            active = swaps_active()
        except OSError as e:
            self.note = f"cannot read /proc/swaps: {e.strerror}"
            return False
        if active:
            self.note = f"swap already on ({', '.join(active)}); used as it is"
            return True
        if os.geteuid() != 0:
            self.note = "no swap on, and only root can turn a swap file on"
            return False
        try:
            fd, self.path = tempfile.mkstemp(prefix=SWAP_PREFIX, dir="/var/tmp")
            try:
                # Written out, not fallocate()d: swapon refuses files with unwritten
                # extents on some file systems (mkswap(8)).
                chunk = bytes(1 << 20)
                for _ in range(self.mib):
                    os.write(fd, chunk)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            self.note = f"cannot write a swap file in /var/tmp: {e.strerror}"
            self.remove()
            return False
        for argv in (["mkswap", self.path], ["swapon", self.path]):
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
            if p.returncode:
                self.note = (f"`{' '.join(argv)}` failed: "
                             f"{p.stderr.decode('utf-8', 'replace').strip()}")
                self.remove()
                return False
            if argv[0] == "swapon":
                self.on = True
        self.note = f"swap file {self.path} ({self.mib} MiB) made for the run"
        return True

    def remove(self):
        if self.on:
            p = subprocess.run(["swapoff", self.path], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if p.returncode:
                log(f"swapoff {self.path} failed: "
                    f"{p.stderr.decode('utf-8', 'replace').strip()}; turn it off by hand")
                return False
            self.on = False
        if self.path:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
            self.path = None
        return True


# ---- measuring -----------------------------------------------------------------------

class PCommand:
    """One row. kind "self": the program prints its own JSON with "wall_s"/"cpu_s" of
    the part measured. kind "timeit": the whole command, timed by timeit."""

    def __init__(self, name, argv, kind, what):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.kind = kind
        self.what = what
        self.samples = []       # dicts: wall_s, cpu_s, exit, and the program's JSON
        self.errors = []
        self.skipped = None     # reason, when the command cannot run here


def run_self(cmd):
    p = subprocess.run(cmd.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=600)
    err = p.stderr.decode("utf-8", "replace").strip()
    if p.returncode == 77:
        raise Skip(err or "skipped")
    if p.returncode:
        return {"exit": p.returncode, "error": err[-500:]}
    try:
        d = json.loads(p.stdout)
    except ValueError:
        return {"exit": 1, "error": f"not JSON: {p.stdout[:200]!r}"}
    d["exit"] = 0
    return d


def run_timed(R, exe, cmd, outf, errf):
    wall, u, s, rss, code = R.spawn_and_wait(exe["timeit"], cmd.argv, outf, errf)
    d = {"wall_s": wall, "cpu_s": u + s, "maxrss_kib": rss, "exit": code}
    if code:
        d["error"] = R.read_stderr(errf)[-500:]
    return d


def measure(R, exe, cmds, runs):
    """One warm-up each, then `runs` rounds; round r starts with a different command."""
    with tempfile.TemporaryFile() as outf, tempfile.TemporaryFile() as errf:
        def once(c, keep):
            if c.skipped:
                return
            try:
                d = run_self(c) if c.kind == "self" else run_timed(R, exe, c, outf, errf)
            except Skip as e:
                c.skipped = str(e)
                log(f"  {c.name}: skipped: {c.skipped}")
                return
            except subprocess.TimeoutExpired:
                d = {"exit": 124, "error": "timed out after 600 s"}
            if d["exit"]:
                c.errors.append(f"{'run' if keep else 'warm-up'} exit {d['exit']}: "
                                f"{d.get('error', '')}")
            if keep:
                c.samples.append(d)

        for c in cmds:
            once(c, False)
        for r in range(runs):
            k = r % len(cmds)
            for c in cmds[k:] + cmds[:k]:
                once(c, True)
            log(f"  round {r + 1}/{runs} done")


def summary_of(c):
    ok = [s for s in c.samples if s["exit"] == 0]
    if not ok:
        return None
    walls = [s["wall_s"] for s in ok]
    return {
        "wall_median_s": statistics.median(walls),
        "wall_min_s": min(walls),
        "cpu_median_s": statistics.median([s["cpu_s"] for s in ok]),
        "runs": len(c.samples),
        "failed_runs": len(c.samples) - len(ok),
        "last": ok[-1],
    }


def rss_pages(page_size):
    """Present pages over every readable process: the sum of smaps_rollup Rss."""
    total_kb, procs = 0, 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/smaps_rollup", "rb") as f:
                for line in f:
                    if line.startswith(b"Rss:"):
                        total_kb += int(line.split()[1])
                        procs += 1
                        break
        except OSError:
            pass
    return total_kb * 1024 // page_size, procs


def has_option(exe, opt):
    try:
        p = subprocess.run([str(exe), "--help"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return opt.encode() in p.stdout


def exact_argv(vmrank):
    """`vmrank --exact` over all processes; if the bare option is refused as a usage
    error (it may want a grouping), `--exact --by user`, which also covers everything."""
    for argv in ([vmrank, "--exact"], [vmrank, "--exact", "--by", "user"]):
        try:
            p = subprocess.run([str(a) for a in argv], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600)
        except subprocess.TimeoutExpired:
            return argv, "timed out after 600 s"
        if p.returncode != 2:
            err = p.stderr.decode("utf-8", "replace").strip()
            return argv, (None if p.returncode == 0 else f"exit {p.returncode}: {err[-300:]}")
    return argv, "usage error (exit 2) with and without --by user"


def pages_commands(args, exe, info):
    pid = info["leader"]
    pb = exe["pagebench"]
    base = int(info["base"], 16)
    rng = f"{base:#x}-{base + info['size']:#x}"
    cmds = [PCommand("summary", [pb, "summary", pid], "self",
                     "vms_pagewalk over every mapping, default method"),
            PCommand("floor", [pb, "floor", pid], "self",
                     "pread of the whole pagemap, 64 KiB, entries classified"),
            PCommand("summary scan", [pb, "summary", pid, "scan"], "self",
                     "the walk forced to PAGEMAP_SCAN"),
            PCommand("summary read", [pb, "summary", pid, "read"], "self",
                     "the walk forced to pread"),
            PCommand("kpage runs", [pb, "kpage", pid, "runs"], "self",
                     "kpageflags of every present page: vms_kpage_lookup"),
            PCommand("kpage each", [pb, "kpage", pid, "each"], "self",
                     "kpageflags of every present page: one pread each")]
    notes = []
    if exe.get("vmwalk"):
        for m in ("auto", "scan", "read"):
            cmds.append(PCommand(f"vmwalk {m}", [exe["vmwalk"], pid, rng, "--method", m],
                                 "timeit", f"vmwalk PID {rng} --method {m}, whole command"))
    else:
        notes.append(f"vmwalk: not built ({args.vmwalk or 'build/cmd/vmwalk'}); its rows "
                     "are left out")
    if exe.get("vmrank") and has_option(exe["vmrank"], "--exact"):
        argv, err = exact_argv(exe["vmrank"])
        c = PCommand("vmrank --exact", argv, "timeit",
                     f"`{' '.join(str(a) for a in argv[1:])}`: every process, whole command")
        if err:
            c.skipped = err
        cmds.append(c)
    elif exe.get("vmrank"):
        notes.append("vmrank: has no --exact option yet; its row is left out")
    else:
        notes.append("vmrank: not built; the --exact row is left out")
    if args.only:
        wanted = {w.strip() for w in args.only.split(",")}
        cmds = [c for c in cmds if c.name in wanted or c.name.split()[0] in wanted]
    return cmds, notes


def pages_ratios(s):
    out = {}

    def wall(name):
        return s[name]["wall_median_s"] if s.get(name) else None

    def div(a, b):
        return a / b if a is not None and b else None

    out["summary_speedup"] = div(wall("floor"), wall("summary"))
    out["summary_cpu_speedup"] = div(s["floor"]["cpu_median_s"] if s.get("floor") else None,
                                     s["summary"]["cpu_median_s"] if s.get("summary") else None)
    out["scan_speedup"] = div(wall("floor"), wall("summary scan"))
    out["read_speedup"] = div(wall("floor"), wall("summary read"))
    out["kpage_speedup"] = div(wall("kpage each"), wall("kpage runs"))
    for m in ("auto", "scan", "read"):
        out[f"vmwalk_{m}_over_floor"] = div(wall(f"vmwalk {m}"), wall("floor"))
    return {k: v for k, v in out.items() if v is not None}


def pages_agreement(s, info, page_size):
    """The summary's counts against the floor's; kpage runs against each; THP pages
    against what the workload's smaps_rollup said."""
    res = {}
    a, f = s.get("summary"), s.get("floor")
    if a and f:
        la, lf = a["last"], f["last"]
        diffs = {k: (la[k], lf[k]) for k in AGREE_KEYS if la[k] != lf[k]}
        res["summary_vs_floor"] = {"agrees": not diffs and not la["partial"]
                                   and not lf["partial"], "differs": diffs}
        for name in ("summary scan", "summary read"):
            o = s.get(name)
            if o:
                lo = o["last"]
                d = {k: (lo[k], lf[k]) for k in AGREE_KEYS if lo[k] != lf[k]}
                res[name.replace(" ", "_") + "_vs_floor"] = {"agrees": not d, "differs": d}
        want = info.get("anon_huge_pages_kb", -1) * 1024 // page_size
        res["huge"] = {"summary": la["present_huge"], "smaps_anon_huge": want,
                       "known": la["huge_known"],
                       "agrees": (not la["huge_known"]) or la["present_huge"] >= want}
    kr, ke = s.get("kpage runs"), s.get("kpage each")
    if kr and ke:
        lr, le = kr["last"], ke["last"]
        d = {k: (lr[k], le[k]) for k in ("frames", "anon", "thp") if lr[k] != le[k]}
        res["kpage_runs_vs_each"] = {"agrees": not d, "differs": d}
    return res


# ---- report --------------------------------------------------------------------------

def fmt_ms(v):
    return "-" if v is None else f"{v * 1000:8.1f} ms"


def fmt_rate(pages, wall):
    return "-" if not pages or not wall else f"{pages / wall / 1e6:7.1f} M pages/s"


def print_pages_report(meta, cmds, s, rat, agree, info, exact_pages):
    print(f"vmscope pages benchmark: {meta['workload']}; {meta['runs']} runs each, interleaved")
    print(f"kernel {meta['kernel']}, {meta['cpus']} CPUs, uid {meta['uid']}; {meta['swap']}")
    print(f"workload: Rss {info.get('rss_kb', 0) / 1024:.0f} MiB, AnonHugePages "
          f"{info.get('anon_huge_pages_kb', 0) / 1024:.0f} MiB, Swap "
          f"{info.get('swap_kb', 0) / 1024:.0f} MiB")
    print()
    hdr = f"{'row':<15} {'wall med':>11} {'wall min':>11} {'CPU med':>11} {'rate':>18}  what"
    print(hdr)
    print("-" * len(hdr))
    for c in cmds:
        if c.skipped:
            print(f"{c.name:<15} skipped: {c.skipped}")
            continue
        x = s.get(c.name)
        if not x:
            print(f"{c.name:<15} all {len(c.samples)} runs FAILED")
            continue
        last = x["last"]
        if c.name.startswith("kpage"):
            pages = last.get("frames")
        elif c.name == "vmrank --exact":
            pages = exact_pages
        elif c.kind == "self":
            pages = last.get("pages")
        else:
            pages = meta.get("walk_pages")
        print(f"{c.name:<15} {fmt_ms(x['wall_median_s']):>11} {fmt_ms(x['wall_min_s']):>11} "
              f"{fmt_ms(x['cpu_median_s']):>11} {fmt_rate(pages, x['wall_median_s']):>18}  "
              f"{c.what}" + (f"  [{x['failed_runs']} runs FAILED]" if x["failed_runs"] else ""))
    for c in cmds:
        for e in c.errors[:3]:
            print(f"  {c.name}: {e}")
    print()
    print("ratios (medians; targets from the issue, reported, not asserted):")
    for label, key, op, target in PAGES_TARGETS:
        v = rat.get(key)
        if v is None:
            print(f"  {label:<30} {'n/a':>8}   target {op} {target:g}")
            continue
        ok = {">=": v >= target, "<=": v <= target}[op]
        print(f"  {label:<30} {v:>8.2f}   target {op} {target:g}   "
              f"{'meets' if ok else 'MISSES'}")
    for label, key in (("floor CPU / summary CPU", "summary_cpu_speedup"),
                       ("floor wall / summary scan", "scan_speedup"),
                       ("floor wall / summary read", "read_speedup"),
                       ("vmwalk auto wall / floor", "vmwalk_auto_over_floor"),
                       ("vmwalk scan wall / floor", "vmwalk_scan_over_floor"),
                       ("vmwalk read wall / floor", "vmwalk_read_over_floor")):
        if rat.get(key) is not None:
            print(f"  {label:<30} {rat[key]:>8.2f}   (for information)")
    print()
    print("calls made by one walk of every mapping (vms_pagewalk_stats; the floor's preads):")
    for name in ("summary", "summary scan", "summary read", "floor"):
        x = s.get(name)
        if x:
            last = x["last"]
            print(f"  {name:<13} {last['scans']:>7} PAGEMAP_SCAN  {last['reads']:>7} pread"
                  f"   over {last['mappings']} mappings, {last['pages']} pages")
    for name in ("kpage runs", "kpage each"):
        x = s.get(name)
        if x:
            last = x["last"]
            print(f"  {name:<13} {last['reads']:>7} pread of /proc/kpageflags for "
                  f"{last['frames']} frames")
    x = s.get("summary")
    if x:
        last = x["last"]
        print()
        print("pages by state (summary, default method):")
        print("  " + ", ".join(f"{k} {last[k]}" for k in (
            "pages", "present", "present_huge", "swapped", "guard", "none", "unknown",
            "file", "zero")) + ("" if last["huge_known"] else
                                "  (huge not known to this walk)"))
    if exact_pages:
        print(f"vmrank --exact: {exact_pages} present pages over all processes (sum of "
              "smaps_rollup Rss / page size, before and after, averaged)")
    if agree:
        print()
        print("agreement:")
        for k, v in agree.items():
            if k == "huge":
                print(f"  present huge pages: summary {v['summary']}, smaps AnonHugePages "
                      f"{v['smaps_anon_huge']} pages"
                      + ("" if v["known"] else " (this walk cannot tell huge pages)")
                      + f"   {'agrees' if v['agrees'] else 'DIFFERS'}")
                continue
            print(f"  {k.replace('_', ' '):<24} {'agrees' if v['agrees'] else 'DIFFERS'}"
                  + (f": {v['differs']}" if v["differs"] else ""))


# ---- the benchmark -------------------------------------------------------------------

def pages_benchmark(R, args, exe):
    if not exe.get("pagebench"):
        raise R.Fatal(f"pagebench: not found ({args.pagebench or 'build/tests/bench/pagebench'})")
    size = parse_size(args.sparse_size)
    # The workload pages out SIZE/64; leave room for it and for the rest of the system.
    swap = SwapFile(max(64, size // 64 // (1 << 20) * 4))
    wl = None
    try:
        if args.no_swap:
            swap.note = "--no-swap: the swap part stays in RAM unless swap is on"
        else:
            log("setting up swap")
            swap.setup()
        log(f"swap: {swap.note}")
        wl = R.Workload(exe["workload"], ["sparse", args.sparse_size], ready_timeout=600)
        log(f"starting workload: sparse {args.sparse_size}")
        info = wl.start()
        log(f"workload ready: pid {info['leader']}, Rss {info['rss_kb'] // 1024} MiB, "
            f"AnonHugePages {info['anon_huge_pages_kb'] // 1024} MiB, Swap "
            f"{info['swap_kb'] // 1024} MiB")
        time.sleep(args.settle)
        cmds, notes = pages_commands(args, exe, info)
        for n in notes:
            log(n)
        page_size = os.sysconf("SC_PAGESIZE")
        exact = next((c for c in cmds if c.name == "vmrank --exact" and not c.skipped), None)
        before = rss_pages(page_size)[0] if exact else 0
        measure(R, exe, cmds, args.runs)
        after = rss_pages(page_size)[0] if exact else 0
        alive = wl.alive()
    finally:
        if wl:
            code = wl.stop()
            if not wl.group_empty():
                log("workload: processes left in its group after stop (bug)")
        swap_removed = swap.remove()
    if not alive:
        raise R.Fatal("the workload died during the benchmark; results are not valid")
    log(f"workload stopped (exit {code})")

    s = {c.name: summary_of(c) for c in cmds if not c.skipped}
    s = {k: v for k, v in s.items() if v}
    exact_pages = (before + after) // 2 if exact else None
    rat = pages_ratios(s)
    if exact_pages and s.get("vmrank --exact"):
        rat["vmrank_exact_pages_per_s"] = exact_pages / s["vmrank --exact"]["wall_median_s"]
    agree = {} if args.no_check else pages_agreement(s, info, page_size)
    meta = {
        "workload": f"workload sparse {args.sparse_size}",
        "runs": args.runs,
        "kernel": platform.release(),
        "cpus": os.cpu_count(),
        "uid": os.geteuid(),
        "swap": swap.note,
        "swap_removed": swap_removed,
        "walk_pages": s["summary"]["last"]["pages"] if s.get("summary") else None,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    print_pages_report(meta, cmds, s, rat, agree, info, exact_pages)
    doc = {
        "schema": "vmscope-bench/1", "bench": "pages", "meta": meta, "workload": info,
        "commands": [{"name": c.name, "argv": c.argv, "kind": c.kind, "what": c.what,
                      "skipped": c.skipped, "summary": s.get(c.name), "samples": c.samples,
                      "errors": c.errors} for c in cmds],
        "ratios": rat,
        "targets": [{"label": label, "key": key, "op": op, "target": t,
                     "value": rat.get(key),
                     "meets": None if rat.get(key) is None else
                     {">=": rat[key] >= t, "<=": rat[key] <= t}[op]}
                    for label, key, op, t in PAGES_TARGETS],
        "agreement": agree,
        "vmrank_exact_pages": exact_pages,
    }
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        os.replace(tmp, args.json)
        log(f"results saved to {args.json}")
    return doc, cmds


def run_pages_benchmark(R, args, exe):
    doc, cmds = pages_benchmark(R, args, exe)
    s = {c["name"]: c["summary"] for c in doc["commands"]}
    return 0 if s.get("summary") and s.get("floor") else 1


# ---- smoke ---------------------------------------------------------------------------

def run_pages_smoke(R, args, exe):
    """One untimed pass on a small sparse workload (root only: swap file, PFNs,
    kpageflags and vmrank --exact need it): every row runs, the counts agree, the swap
    file and the workload are gone afterwards."""
    if os.geteuid() != 0:
        print("SKIP: the pages benchmark pass needs root (swap file, PFNs, kpageflags, "
              "vmrank --exact)", flush=True)
        return 77
    if not exe.get("pagebench"):
        print("SKIP: pagebench not built", flush=True)
        return 77
    t = R.Smoke()
    R.become_subreaper()
    swaps_before = swaps_active()
    args.runs, args.settle, args.only, args.no_check = 1, 0, None, False
    if args.sparse_size == "8G":
        args.sparse_size = "256M"
    print(f"--- one pages benchmark pass on workload sparse {args.sparse_size} "
          "(timings meaningless) ---", flush=True)
    try:
        doc, cmds = pages_benchmark(R, args, exe)
    except R.Fatal as e:
        t.check(False, "pages benchmark pass runs", str(e))
        doc, cmds = None, []
    if doc:
        w = doc["workload"]
        for c in cmds:
            if c.skipped:
                ok = c.name == "vmrank --exact" and "usage error" not in c.skipped
                if c.name.startswith("kpage"):
                    # Skipped only when the kernel hides PFNs or kpageflags from root.
                    ok = True
                print(f"skip {c.name}: {c.skipped}", flush=True)
                if not ok:
                    t.check(False, f"{c.name} runs", c.skipped)
                continue
            x = doc_summary(doc, c.name)
            t.check(x is not None and x["failed_runs"] == 0 and not c.errors,
                    f"{c.name} runs (exit 0)", "; ".join(c.errors))
        for k, v in doc["agreement"].items():
            t.check(v["agrees"], f"agreement: {k}", json.dumps(v))
        last = (doc_summary(doc, "summary") or {}).get("last") or {}
        size = parse_size(args.sparse_size)
        t.check(last.get("pages", 0) >= size // 4096,
                "summary walked at least the workload's reservation",
                f"{last.get('pages')} pages for {size // 4096}")
        if doc["meta"]["swap"] and "made for the run" in doc["meta"]["swap"]:
            t.check(w.get("swap_on") is True and w.get("swap_kb", 0) > 0,
                    "the workload paged out to the run's swap file", json.dumps(w)[:300])
            t.check(last.get("swapped", 0) > 0, "the summary counts swapped pages",
                    str(last.get("swapped")))
    after = swaps_active()
    t.check(after == swaps_before, "swap as before the run", f"{swaps_before} -> {after}")
    left = [f for f in os.listdir("/var/tmp") if f.startswith(SWAP_PREFIX)]
    t.check(not left, "no swap file left in /var/tmp", ", ".join(left))
    print(f"{t.failures} failed" if t.failures else "all pages smoke checks passed")
    return 1 if t.failures else 0


def doc_summary(doc, name):
    return next((c["summary"] for c in doc["commands"] if c["name"] == name), None)
