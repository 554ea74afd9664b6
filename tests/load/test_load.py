#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# The load tests (hazards G1 G2 G3 G5): the commands under process churn and on huge processes.
"""test_load.py MODE --churn PATH --loadproc PATH --loopscan PATH --timeit PATH
                   --vmrank PATH --vmmap PATH --vmwalk PATH --vmfault PATH [--sanitized]

MODE:
  churn     G1: `churn` keeps thousands of processes (some multi-threaded) being
            created and exiting while vmrank (full scan, text and JSON), vmmap (on
            churning and on stable PIDs) and vmfault (system view and -p) run over
            and over: no crash (exit status as DESIGN.md says), no PID twice in one
            result, vanished processes counted in one summary line, never one line
            each; skipped entries agree with the summary.
  loopscan  G1: `loopscan` does a vmrank scan (plus vmmap's and vmwalk's reads of
            every 32nd process) 100 times in one process beside the churn: the same
            fds open after the first and the last iteration, anonymous RSS and heap
            flat after the warm-up (not under a sanitizer, whose LeakSanitizer checks
            for leaks at exit instead).
  maps      G2: one process with as many mappings as vm.max_map_count lets it have
            (65,530 by default): vmmap lists each exactly once, vmrank -p's figures are
            smaps_rollup's, vmmap's peak RSS stays far below the smaps text it reads.
            Times and peak RSS of vmmap, vmmap -J, vmrank -p and vmwalk are printed.
  maps200k  G2: the same with 200,000 mappings, after raising vm.max_map_count (root
            only; restored to its old value on every way out).
  threads   G3: one process with 10,000 threads: vmrank, vmmap and vmfault finish,
            show it once, and (under strace) open no thread's smaps and no more
            smaps files with 10,000 threads than with one.
  sparse    G5: a 1 TiB MAP_NORESERVE mapping with 17 pages written and a 1 TiB
            PROT_NONE one: vmwalk over each (every method) and vmmap --pages give
            exact page counts, chunked (small peak RSS); times printed.
  valgrind  G1, smaller: vmrank, vmmap, vmfault and loopscan under valgrind beside
            a small churn: no memory error, no definite leak, no fd open at exit.

Exit 0 pass, 77 skip (with "SKIP: reason" first), 1 fail.  Nothing here asserts a time:
times are printed for the record.
"""

import argparse
import json
import os
import random
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77
A = None  # the parsed arguments
failures = []


def log(msg):
    print(msg, flush=True)


def fail(msg):
    failures.append(msg)
    log("FAIL: " + msg)


def skip(reason):
    print("SKIP: " + reason, flush=True)
    sys.exit(SKIP)


def check(cond, msg):
    if not cond:
        fail(msg)
    return cond


def env():
    e = dict(os.environ)
    e["LC_ALL"] = "C"
    # the sanitizer's leak report must fail the command, and be seen
    e.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    return e


def run(cmd, timeout=60, stdin=subprocess.DEVNULL, extra_env=None):
    """(exit status, stdout, stderr, seconds) of @cmd."""
    e = env()
    e.update(extra_env or {})
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, env=e)
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"), time.monotonic() - t0)


def timeit(cmd, timeout=120, keep=False):
    """timeit's figures for @cmd: wall_s, maxrss_kib, exit, stderr, and with @keep its
    stdout in "out" (else /dev/null).  timeit measures the command, not python: a child
    of python would start charged with python's peak RSS."""
    with tempfile.TemporaryFile() as of:
        e = env()
        if keep:
            # the shell execs the command: its own small peak is the floor, not python's
            e["VMS_LOAD_OUT"] = "/dev/fd/%d" % of.fileno()
            cmd = ["/bin/sh", "-c", 'exec "$0" "$@" > "$VMS_LOAD_OUT"'] + cmd
        p = subprocess.run([A.timeit] + cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout, env=e,
                           pass_fds=(of.fileno(),) if keep else ())
        try:
            r = json.loads(p.stdout.decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            fail("timeit gave no figures for %s: %r" % (cmd, p.stderr[-500:]))
            return {"wall_s": -1, "maxrss_kib": -1, "exit": -1, "stderr": "", "out": ""}
        r["stderr"] = p.stderr.decode("utf-8", "replace")
        if keep:
            of.seek(0)
            r["out"] = of.read().decode("utf-8", "replace")
    return r


def read_line(proc, timeout, what):
    """One line of @proc's stdout within @timeout seconds, or fail."""
    deadline = time.monotonic() + timeout
    buf = b""
    fd = proc.stdout.fileno()
    while not buf.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            raise RuntimeError("%s: no ready line within %ds" % (what, timeout))
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            continue
        chunk = os.read(fd, 1)
        if not chunk:
            raise RuntimeError("%s exited before it was ready (status %s)"
                               % (what, proc.wait()))
        buf += chunk
    return json.loads(buf.decode())


class Churn:
    """The churn helper, in its own session; stop() gives its figures."""

    def __init__(self, args):
        self.proc = subprocess.Popen([A.churn] + args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, start_new_session=True)
        self.stats = None
        try:
            self.ready = read_line(self.proc, 20, "churn")
        except Exception:
            self.kill()
            raise

    def children(self):
        """PIDs of the processes churning right now (children of the spawners)."""
        out = []
        for sp in self.ready["spawners"]:
            try:
                with open("/proc/%d/task/%d/children" % (sp, sp)) as f:
                    out += [int(x) for x in f.read().split()]
            except OSError:
                pass
        return out

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def stop(self):
        if self.stats is not None or self.proc.poll() is not None:
            return self.stats
        self.proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=30)
            lines = out.decode().strip().splitlines()
            self.stats = json.loads(lines[-1]) if lines else None
        except (subprocess.TimeoutExpired, ValueError):
            self.stats = None
        self.kill()
        return self.stats

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Big:
    """A loadproc process; it exits when its stdin is closed."""

    def __init__(self, args, timeout=120):
        self.proc = subprocess.Popen([A.loadproc] + args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)
        try:
            self.ready = read_line(self.proc, timeout, "loadproc " + args[0])
        except Exception:
            self.stop()
            raise
        self.pid = self.ready["pid"]

    def stop(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except (subprocess.TimeoutExpired, OSError):
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def churn_args(small):
    """Plain: ~2,000 forks a second, up to ~1,000 alive; sanitizer or valgrind: fewer."""
    if small:
        return ["-s", "2", "-c", "150", "-l", "500", "-r", "250", "-t", "240"]
    return ["-s", "2", "-c", "500", "-l", "1000", "-r", "1000", "-t", "240"]


def print_churn(stats, secs):
    if not stats:
        fail("churn did not report its figures")
        return
    rate = stats["created"] / stats["seconds"] if stats["seconds"] else 0
    log("churn: %d processes created in %.1f s (%.0f/s), %d of them with threads, "
        "%d failed forks" % (stats["created"], stats["seconds"], rate, stats["threaded"],
                             stats["fork_failures"]))
    # The churn must really churn; how fast depends on the machine's load, and as an
    # ordinary user under the sanitizer it managed 660 in a run: the figure is logged.
    check(stats["created"] >= 300, "churn created only %d processes" % stats["created"])


# ---- G1: the commands beside churn ------------------------------------------------------

SUMMARY_RE = re.compile(r"^vmrank: \d+ process(es)? (vanished while being read|not readable: "
                        r"permission denied; run as root to see all|not readable: operation "
                        r"not permitted \(procfs hidepid\?\)|could not be read)$")


def check_rank_stderr(err, what):
    """One summary line per reason, nothing else; returns {reason: count}."""
    counts = {}
    lines = err.splitlines()
    for line in lines:
        if not check(SUMMARY_RE.match(line), "%s: unexpected stderr line %r" % (what, line)):
            continue
        n = int(line.split()[1])
        reason = line.split(None, 3)[3]
        check(reason not in counts, "%s: reason given twice: %r" % (what, line))
        counts[reason] = n
    check(len(lines) <= 4, "%s: %d stderr lines" % (what, len(lines)))
    return counts


def rank_text(st):
    rc, out, err, _ = run([A.vmrank])
    what = "vmrank (text)"
    if not check(rc == 0, "%s: exit %d: %s" % (what, rc, err[-2000:])):
        return
    check_rank_stderr(err, what)
    lines = out.splitlines()
    if not check(lines and lines[0].split()[0] == "PID", "%s: no header" % what):
        return
    pids = [int(line.split()[0]) for line in lines[1:]]
    dup = sorted({p for p in pids if pids.count(p) > 1}) if len(set(pids)) != len(pids) else []
    check(not dup, "%s: PIDs listed twice: %s" % (what, dup[:10]))
    st["rank_rows"] += len(pids)


def rank_json(st):
    rc, out, err, _ = run([A.vmrank, "-J"])
    what = "vmrank -J"
    if not check(rc == 0, "%s: exit %d: %s" % (what, rc, err[-2000:])):
        return
    counts = check_rank_stderr(err, what)
    try:
        doc = json.loads(out)
    except ValueError as e:
        fail("%s: invalid JSON: %s" % (what, e))
        return
    pids = [p["pid"] for p in doc["processes"]]
    sk = [s["pid"] for s in doc["skipped"]]
    check(len(set(pids)) == len(pids), "%s: a PID twice in processes" % what)
    check(len(set(sk)) == len(sk), "%s: a PID twice in skipped" % what)
    check(not set(pids) & set(sk), "%s: PIDs both shown and skipped: %s"
          % (what, sorted(set(pids) & set(sk))[:10]))
    gone = sum(1 for s in doc["skipped"] if s["errno"] == "ESRCH")
    denied = sum(1 for s in doc["skipped"] if s["errno"] == "EACCES")
    check(gone == counts.get("vanished while being read", 0),
          "%s: %d ESRCH entries in skipped, stderr says %s" % (what, gone, counts))
    check(denied == counts.get("not readable: permission denied; run as root to see all", 0),
          "%s: %d EACCES entries in skipped, stderr says %s" % (what, denied, counts))
    for s in doc["skipped"]:
        check(s.get("reason") and s.get("errno"), "%s: skipped entry without a reason: %s"
              % (what, s))
    st["vanished"] += gone
    st["rank_rows"] += len(pids)


def vmmap_churning(ch, st, use_json):
    kids = ch.children()
    if not kids:
        return
    pid = random.choice(kids)
    cmd = [A.vmmap] + (["-J"] if use_json else []) + [str(pid)]
    rc, out, err, _ = run(cmd)
    what = "vmmap %s(churning pid %d)" % ("-J " if use_json else "", pid)
    lines = err.splitlines()
    # one target: 0 when read, 1 when gone (nothing to show), 3 if gone half way
    check(rc in (0, 1, 3), "%s: exit %d: %s" % (what, rc, err[-2000:]))
    check(len(lines) <= 2, "%s: %d stderr lines: %s" % (what, len(lines), lines[:5]))
    for line in lines:
        check(line.startswith("vmmap: pid %d: " % pid), "%s: stderr %r" % (what, line))
    if rc == 0:
        st["vmmap_read"] += 1
    else:
        st["vmmap_gone"] += 1
    if rc in (0, 1, 3) and use_json:
        doc = json.loads(out)  # a valid document in every case
        shown = [p for p in doc["processes"] if p["pid"] == pid]
        skipped = [s["pid"] for s in doc["skipped"]]
        if rc == 0:
            check(len(doc["processes"]) == 1 and len(shown) == 1 and not skipped and
                  not shown[0].get("partial"), "%s: exit 0 with processes %s, skipped %s"
                  % (what, [p["pid"] for p in doc["processes"]], skipped))
        else:
            # gone before (skipped) or during the read (shown, and marked partial)
            check(skipped == [pid] and not shown or
                  not skipped and len(shown) == 1 and shown[0].get("partial") is True,
                  "%s: exit %d with processes %s (partial %s), skipped %s"
                  % (what, rc, [p["pid"] for p in doc["processes"]],
                     [p.get("partial") for p in shown], doc["skipped"]))
            if shown:
                st["vmmap_partial"] += 1
    if rc != 0:
        check(lines, "%s: exit %d without a message" % (what, rc))


def maps_starts(pid):
    with open("/proc/%d/maps" % pid) as f:
        return [line.split("-", 1)[0] for line in f]


def vmmap_stable(pid, st):
    rc, out, err, _ = run([A.vmmap, "-J", str(pid)])
    what = "vmmap -J (stable pid %d)" % pid
    if not check(rc == 0 and not err, "%s: exit %d: %s" % (what, rc, err[-2000:])):
        return
    doc = json.loads(out)
    check([p["pid"] for p in doc["processes"]] == [pid], "%s: wrong processes" % what)
    maps = doc["processes"][0]["mappings"]
    starts = [int(m["start"], 16) for m in maps]
    want = [int(s, 16) for s in maps_starts(pid)]
    check(starts == want, "%s: %d mappings, /proc/%d/maps has %d"
          % (what, len(starts), pid, len(want)))
    st["vmmap_read"] += 1


def fault_rows_ok(doc, what):
    rows = doc.get("processes", [])
    live = [r["pid"] for r in rows if r.get("status") != "exited"]
    gone = [r["pid"] for r in rows if r.get("status") == "exited"]
    check(len(set(live)) == len(live), "%s: sample %s: a PID twice"
          % (what, doc.get("sample")))
    check(len(set(gone)) == len(gone), "%s: sample %s: a PID exited twice"
          % (what, doc.get("sample")))
    for r in rows:
        for k in ("minflt_rate", "majflt_rate"):
            check(r.get(k) is None or r[k] >= 0, "%s: negative %s: %s" % (what, k, r))
        # -T: each thread once (an exited thread may be followed by a new one, same TID)
        thr = r.get("threads") or []
        tids = [t["tid"] for t in thr if t.get("status") != "exited"]
        check(len(set(tids)) == len(tids), "%s: pid %d: a TID twice" % (what, r["pid"]))
        for t in thr:
            for k in ("minflt_rate", "majflt_rate"):
                check(t.get(k) is None or t[k] >= 0, "%s: negative %s: %s" % (what, k, t))
    return len(rows)


def vmfault_system(st, interval):
    cmd = [A.vmfault, "-J", "-N", "0", "-i", interval, "-c", "3"]
    rc, out, err, _ = run(cmd)
    what = "vmfault -J -N 0 -i %s -c 3" % interval
    if not check(rc == 0, "%s: exit %d: %s" % (what, rc, err[-2000:])):
        return
    lines = err.splitlines()
    check(len(lines) <= 4, "%s: %d stderr lines: %s" % (what, len(lines), lines[:5]))
    samples = out.splitlines()
    check(len(samples) == 3, "%s: %d samples" % (what, len(samples)))
    for s in samples:
        st["fault_rows"] += fault_rows_ok(json.loads(s), what)
    st["vmfault"] += 1


def vmfault_pid(pid, st, interval, stable, threads=False):
    cmd = [A.vmfault, "-J", "-p", str(pid), "-i", interval, "-c", "3"] + (["-T"] if threads
                                                                         else [])
    rc, out, err, _ = run(cmd)
    what = "vmfault -p %d (%s)" % (pid, "stable" if stable else "churning")
    ok = (0,) if stable else (0, 1, 3)
    check(rc in ok, "%s: exit %d: %s" % (what, rc, err[-2000:]))
    lines = err.splitlines()
    check(len(lines) <= 2, "%s: %d stderr lines: %s" % (what, len(lines), lines[:5]))
    for line in lines:
        check(line.startswith("vmfault: pid %d" % pid), "%s: stderr %r" % (what, line))
    for s in out.splitlines():
        doc = json.loads(s)
        fault_rows_ok(doc, what)
        check(all(r["pid"] == pid for r in doc.get("processes", [])),
              "%s: rows of other processes" % what)
    st["vmfault"] += 1


def mode_churn():
    rounds = 25  # 50 full rankings; the churn is smaller under a sanitizer
    budget = 45.0  # seconds: a slow machine does fewer rounds, never more time
    interval = "0.05"
    st = dict(rank=0, rank_rows=0, vanished=0, vmmap_read=0, vmmap_gone=0, vmmap_partial=0,
              vmfault=0, fault_rows=0)
    t0 = time.monotonic()
    with Churn(churn_args(A.sanitized)) as ch:
        time.sleep(1.0)  # let the churn reach its steady state
        for i in range(rounds):
            if time.monotonic() - t0 > budget:
                log("time budget reached after %d rounds" % i)
                break
            rank_text(st)
            rank_json(st)
            st["rank"] += 2
            vmmap_churning(ch, st, use_json=i % 2 == 1)
            vmmap_churning(ch, st, use_json=i % 2 == 0)
            if i % 5 == 0:
                vmmap_stable(ch.proc.pid, st)
                vmfault_system(st, interval)
                kids = ch.children()
                if kids:
                    vmfault_pid(random.choice(kids), st, interval, stable=False,
                                threads=i % 10 == 5)
                vmfault_pid(ch.proc.pid, st, interval, stable=True)
        stats = ch.stop()
    secs = time.monotonic() - t0
    log("%d full rankings (%d rows, %d vanished processes counted), %d vmmap runs on "
        "churning or stable PIDs (%d of processes that were gone, %d partial), %d vmfault "
        "runs (%d rows) in %.1f s"
        % (st["rank"], st["rank_rows"], st["vanished"], st["vmmap_read"] + st["vmmap_gone"],
           st["vmmap_gone"], st["vmmap_partial"], st["vmfault"], st["fault_rows"], secs))
    print_churn(stats, secs)
    check(st["rank"] >= 6, "only %d rankings ran" % st["rank"])


def mode_loopscan():
    args = ["-n", "100", "-w", "10", "-j", "2", "-m", "64" if A.sanitized else "32"]
    if A.sanitized:
        args += ["-S"]
    # glibc's per-thread cache keeps freed chunks counted as "in use" and fills up
    # slowly: without it, the heap in use after each iteration is exact
    e = env()
    e["GLIBC_TUNABLES"] = "glibc.malloc.tcache_count=0"
    # a few hundred processes a second, short-lived: what matters is that they vanish
    # at every step of the scan, not how many there are
    with Churn(["-s", "2", "-c", "50", "-l", "300", "-r", "150" if A.sanitized else "300",
                "-t", "240"]) as ch:
        time.sleep(1.0)
        t0 = time.monotonic()
        p = subprocess.run([A.loopscan] + args, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300, env=e)
        secs = time.monotonic() - t0
        rc, out, err = p.returncode, p.stdout.decode(), p.stderr.decode("utf-8", "replace")
        stats = ch.stop()
    log(out.strip())
    check(rc == 0, "loopscan: exit %d: %s" % (rc, err[-3000:]))
    if rc == 0:
        r = json.loads(out.strip().splitlines()[-1])
        log("loopscan: %d iterations, %d processes (%d vanished) in %.1f s; fds %d -> %d; "
            "anonymous RSS %d KiB after warm-up -> %d KiB (max %d); heap %d -> %d KiB"
            % (r["iterations"], r["processes"], r["vanished"], r["seconds"], r["fds_first"],
               r["fds_last"], r["rss_kib_warm"], r["rss_kib_last"], r["rss_kib_max"],
               r["heap_kib_warm"], r["heap_kib_last"]))
        check(r["vanished"] > 0, "loopscan met no vanished process: the churn did nothing?")
    print_churn(stats, secs)


# ---- G2: many mappings -----------------------------------------------------------------

def rollup(pid):
    """smaps_rollup of @pid as {snake_case_key: bytes}."""
    out = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                key = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", parts[0][:-1]).lower()
                mult = 1024 if len(parts) > 2 and parts[2] == "kB" else 1
                out[key] = int(parts[1]) * mult
    return out


def check_rank_pid(pid, what):
    """vmrank -J -p's figures for @pid are smaps_rollup's (read before and after)."""
    keys = ("rss", "pss", "pss_anon", "pss_file", "anonymous", "private_clean",
            "private_dirty", "shared_clean", "shared_dirty", "swap", "swap_pss")
    for attempt in range(3):
        before = rollup(pid)
        rc, out, err, _ = run([A.vmrank, "-J", "-p", str(pid)])
        after = rollup(pid)
        if not check(rc == 0, "%s: vmrank -p: exit %d: %s" % (what, rc, err[-1000:])):
            return
        if before != after:
            continue  # it changed under us (a neighbour mapping the same file?): again
        row = json.loads(out)["processes"]
        if not check(len(row) == 1, "%s: vmrank -p gave %d rows" % (what, len(row))):
            return
        row = row[0]
        for k in keys:
            if k in before:
                check(row.get(k) == before[k], "%s: vmrank %s = %s, smaps_rollup %s"
                      % (what, k, row.get(k), before[k]))
        check(row.get("uss") == before["private_clean"] + before["private_dirty"],
              "%s: vmrank uss %s" % (what, row.get("uss")))
        return
    fail("%s: smaps_rollup kept changing; figures not compared" % what)


def big_maps(count, what):
    """G2 on a loadproc with @count ("fill" or N) mappings; returns the figures."""
    fig = {}
    with Big(["maps", str(count)], timeout=180) as b:
        r = b.ready
        pid = b.pid
        log("%s: pid %d, %d mappings of its own + %d before = %d lines in maps%s"
            % (what, pid, r["wanted"], r["before"], r["maps_lines"],
               " (stopped: %s)" % r["stopped"] if r["stopped"] else ""))
        starts = [int(s, 16) for s in maps_starts(pid)]
        check(len(starts) == r["maps_lines"], "%s: maps has %d lines, the helper counted %d"
              % (what, len(starts), r["maps_lines"]))
        if count == "fill":
            vmas = r["maps_lines"] - (1 if r["vsyscall"] else 0)
            check(vmas == r["max_map_count"], "%s: %d VMAs, vm.max_map_count is %d"
                  % (what, vmas, r["max_map_count"]))
        with open("/proc/%d/smaps" % pid, "rb") as f:
            fig["smaps_bytes"] = sum(len(c) for c in iter(lambda: f.read(1 << 20), b""))

        base = int(r["base"], 16)
        page = os.sysconf("SC_PAGESIZE")
        end = base + r["wanted"] * page
        if A.sanitized:
            # a sanitizer makes vmmap -J and vmwalk 5-10 times slower: the list is checked
            # with the raw table; vmwalk walks 4,096 of the mappings, and none at 200,000
            rows = [("vmmap -r", [A.vmmap, "-r", "-n", "-o", "start", str(pid)]),
                    ("vmrank -p", [A.vmrank, "-p", str(pid)])]
            if r["wanted"] < 100000:
                rows.append(("vmwalk 4096", [A.vmwalk, str(pid), "%#x-%#x"
                                             % (base, base + 4096 * page)]))
        else:
            rows = [("vmmap -J", [A.vmmap, "-J", str(pid)]),
                    ("vmmap", [A.vmmap, str(pid)]),
                    ("vmrank -p", [A.vmrank, "-p", str(pid)]),
                    ("vmwalk", [A.vmwalk, str(pid), "%#x-%#x" % (base, end)])]
        for name, cmd in rows:
            keep = name in ("vmmap -J", "vmmap -r")
            t = timeit(cmd, timeout=300, keep=keep)
            check(t["exit"] == 0, "%s: %s: exit %s: %s" % (what, name, t["exit"],
                                                           t["stderr"][-1000:]))
            fig[name] = t
            log("%s: %-11s %7.3f s  peak RSS %7d KiB" % (what, name, t["wall_s"],
                                                           t["maxrss_kib"]))
            if keep and t["exit"] == 0:
                # the mappings, each exactly once, in order
                check(not t["stderr"], "%s: %s: stderr %r" % (what, name, t["stderr"][-500:]))
                out = t.pop("out")
                if name == "vmmap -J":
                    got = [int(m["start"], 16)
                           for m in json.loads(out)["processes"][0]["mappings"]]
                else:
                    got = [int(x, 16) for x in out.split()]
                check(got == starts, "%s: %s lists %d mappings, maps has %d"
                      % (what, name, len(got), len(starts)))
                check(len(set(got)) == len(got), "%s: a mapping listed twice" % what)
        check_rank_pid(pid, what)
        fig["mappings"] = len(starts)
    # streaming: vmmap's peak is far below the smaps text it reads (which a reader that
    # keeps the file or every parsed mapping would exceed); not under a sanitizer,
    # whose shadow memory and quarantine are not vmmap's
    smaps_kib = fig["smaps_bytes"] // 1024
    log("%s: smaps is %d KiB" % (what, smaps_kib))
    if not A.sanitized:
        for name in ("vmmap", "vmmap -J", "vmrank -p"):
            rss = fig[name]["maxrss_kib"]
            check(0 < rss < max(32 * 1024, smaps_kib // 4),
                  "%s: %s peak RSS %d KiB, smaps is %d KiB: not streaming?"
                  % (what, name, rss, smaps_kib))
    return fig


def mode_maps():
    with open("/proc/sys/vm/max_map_count") as f:
        cur = int(f.read())
    if cur > 70000:
        log("vm.max_map_count is %d, not the default: filling it all the same" % cur)
    big_maps("fill", "G2 fill (%d)" % cur)


def mode_maps200k():
    n = 200000
    path = "/proc/sys/vm/max_map_count"
    with open(path) as f:
        old = int(f.read())
    need = n + 1000
    raised = False
    if old < need:
        if os.geteuid() != 0:
            skip("200,000 mappings need vm.max_map_count >= %d (it is %d): root raises it"
                 % (need, old))
        try:
            with open(path, "w") as f:
                f.write(str(need))
            raised = True
        except OSError as e:
            skip("cannot raise vm.max_map_count: %s" % e)
    try:
        log("vm.max_map_count %d -> %d" % (old, need) if raised else
            "vm.max_map_count is %d already" % old)
        big_maps(n, "G2 %d" % n)
    finally:
        if raised:
            with open(path, "w") as f:
                f.write(str(old))
            with open(path) as f:
                now = int(f.read())
            check(now == old, "vm.max_map_count is %d, not restored to %d" % (now, old))
            log("vm.max_map_count restored to %d" % now)


# ---- G3: many threads ------------------------------------------------------------------

def opens(trace):
    """The paths opened in an strace -f -e trace=openat output, successful or not."""
    out = []
    for line in trace.splitlines():
        m = re.search(r'openat\((?:AT_FDCWD|\d+), "([^"]*)"', line)
        if m:
            out.append(m.group(1))
    return out


def smaps_opens(cmd):
    """Paths of smaps/smaps_rollup/maps files (and task/) @cmd opens, under strace."""
    with tempfile.NamedTemporaryFile("r", prefix="vmscope-load-strace.") as tf:
        # LeakSanitizer cannot work under ptrace: the leak check is the other runs' job
        rc, _, err, _ = run(["strace", "-f", "-qq", "-e", "trace=openat", "-o", tf.name] + cmd,
                            timeout=300, extra_env={"ASAN_OPTIONS": ":".join(
                                [o for o in [os.environ.get("ASAN_OPTIONS")] if o] +
                                ["detect_leaks=0"])})
        paths = opens(tf.read())
    return rc, err, paths


def mode_threads():
    n = 10000
    with Big(["threads", str(n), "64"], timeout=120) as b:
        r = b.ready
        pid = b.pid
        if r["threads"] < n + 1:
            skip("only %d of %d threads could be made (%s); RLIMIT_NPROC or threads-max?"
                 % (r["threads"] - 1, n, r["stopped"]))
        with open("/proc/%d/status" % pid) as f:
            nthr = int(re.search(r"^Threads:\s+(\d+)", f.read(), re.M).group(1))
        check(nthr == n + 1, "status says %d threads" % nthr)
        log("G3: pid %d with %d threads" % (pid, nthr))

        # each shows the process once, not once per thread
        rc, out, err, _ = run([A.vmrank, "-J"])
        check(rc == 0, "vmrank -J: exit %d: %s" % (rc, err[-1000:]))
        rows = [p for p in json.loads(out)["processes"] if p["pid"] == pid]
        check(len(rows) == 1, "vmrank -J (full scan) shows pid %d %d times" % (pid, len(rows)))
        tids = set(int(t) for t in os.listdir("/proc/%d/task" % pid)) - {pid}
        shown = set(p["pid"] for p in json.loads(out)["processes"])
        check(not (tids & shown), "vmrank lists %d threads as processes" % len(tids & shown))
        rc, out, err, _ = run([A.vmrank, "-J", "-p", str(pid)])
        check(rc == 0 and len(json.loads(out)["processes"]) == 1,
              "vmrank -J -p: exit %d, not one row: %s" % (rc, err[-1000:]))
        rc, out, err, _ = run([A.vmmap, "-J", str(pid)])
        if check(rc == 0, "vmmap -J: exit %d: %s" % (rc, err[-1000:])):
            procs = json.loads(out)["processes"]
            check(len(procs) == 1, "vmmap -J shows %d processes" % len(procs))
            kinds = [m.get("kind") for m in procs[0]["mappings"]]
            log("G3: vmmap finds %d thread stacks among %d mappings"
                % (kinds.count("thread-stack"), len(kinds)))
        rc, out, err, _ = run([A.vmfault, "-J", "-p", str(pid), "-i", "0.05", "-c", "2"])
        if check(rc == 0, "vmfault -p: exit %d: %s" % (rc, err[-1000:])):
            for s in out.splitlines():
                rows = json.loads(s)["processes"]
                check([x["pid"] for x in rows] == [pid] and not any(x.get("thread") for x in rows),
                      "vmfault -p: rows %s" % [(x["pid"], x.get("tid")) for x in rows][:5])

        cmds = [("vmrank -p", [A.vmrank, "-p", str(pid)]),
                ("vmrank", [A.vmrank]),
                ("vmmap", [A.vmmap, str(pid)]),
                ("vmfault -p", [A.vmfault, "-p", str(pid), "-i", "0.05", "-c", "2"])]
        # the threads asked for: one row each, once per sample
        t = timeit([A.vmfault, "-J", "-T", "-p", str(pid), "-i", "0.05", "-c", "2"],
                   timeout=300, keep=True)
        if check(t["exit"] == 0, "vmfault -T -p: exit %s: %s" % (t["exit"],
                                                                t["stderr"][-1000:])):
            for line in t["out"].splitlines():
                doc = json.loads(line)
                fault_rows_ok(doc, "vmfault -T -p")
                got = len(doc["processes"][0].get("threads") or [])
                check(got == n + 1, "vmfault -T -p: %d thread rows, %d threads" % (got, n + 1))
            log("G3: %-11s %7.3f s  peak RSS %7d KiB" % ("vmfault -T", t["wall_s"],
                                                          t["maxrss_kib"]))
        for name, cmd in cmds:
            t = timeit(cmd, timeout=300)
            check(t["exit"] == 0, "%s: exit %s: %s" % (name, t["exit"], t["stderr"][-1000:]))
            log("G3: %-11s %7.3f s  peak RSS %7d KiB" % (name, t["wall_s"], t["maxrss_kib"]))

        # no thread's smaps read: at most the process's own maps/smaps/rollup, whatever
        # the number of threads
        if not shutil.which("strace"):
            log("SKIP (part): strace is not installed: per-thread reads not checked")
            return
        probe = subprocess.run(["strace", "-qq", "-e", "trace=none", "true"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if probe.returncode != 0:
            log("SKIP (part): strace cannot trace here: per-thread reads not checked")
            return
        for name, cmd in cmds[:1] + cmds[2:]:
            rc, err, paths = smaps_opens(cmd)
            if not check(rc == 0, "strace %s: exit %d: %s" % (name, rc, err[-1000:])):
                continue
            mem = [p for p in paths if re.search(r"(^|/)(smaps|smaps_rollup|maps|pagemap)$", p)]
            per_task = [p for p in mem if re.search(r"(^|/)task/\d+/", p) or
                        re.match(r"^\d+/(smaps|smaps_rollup|maps|pagemap)$", p)]
            check(not per_task, "%s opens threads' memory files: %s" % (name, per_task[:5]))
            check(len(mem) <= 4, "%s opens %d maps/smaps files with %d threads: %s"
                  % (name, len(mem), n, mem[:8]))
            log("G3: %-11s opens %d files in all, memory files: %s"
                % (name, len(paths), sorted(set(mem))))


# ---- G5: a sparse terabyte -------------------------------------------------------------

def mode_sparse():
    size = 1 << 40
    page = os.sysconf("SC_PAGESIZE")
    with Big(["sparse", "1T"], timeout=60) as b:
        r = b.ready
        pid = b.pid
        rw, none = int(r["rw"], 16), int(r["none"], 16)
        cases = [("rw", rw, r["touched"]), ("PROT_NONE", none, 0)]
        methods = ["auto", "scan", "read"]
        for label, base, present in cases:
            for m in methods:
                cmd = [A.vmwalk, "-J", str(pid), "%#x+1T" % base, "--method", m]
                t = timeit(cmd, timeout=300, keep=True)
                rc, err = t["exit"], t["stderr"]
                if m == "scan" and rc != 0 and "PAGEMAP_SCAN" in err:
                    log("G5: no PAGEMAP_SCAN here: %s" % err.strip())
                    continue
                if not check(rc == 0, "vmwalk %s --method %s: exit %d: %s"
                             % (label, m, rc, err[-1000:])):
                    continue
                log("G5: vmwalk -J 1 TiB %-9s --method %-4s %7.3f s  peak RSS %6d KiB"
                    % (label, m, t["wall_s"], t["maxrss_kib"]))
                s = json.loads(t["out"])["summary"]
                check(s["total"]["pages"] == size // page, "vmwalk %s %s: %d pages in all"
                      % (label, m, s["total"]["pages"]))
                # present_huge is null when it cannot be told (no kpageflags as a user)
                huge = (s.get("present_huge") or {}).get("pages", 0)
                check(s["present"]["pages"] + huge == present,
                      "vmwalk %s %s: %d present, %d written"
                      % (label, m, s["present"]["pages"], present))
                check(s["none"]["pages"] == size // page - present,
                      "vmwalk %s %s: %d none" % (label, m, s["none"]["pages"]))
                if not A.sanitized:
                    # chunked: 2^28 entries would be 2 GiB in one buffer
                    check(t["maxrss_kib"] < 64 * 1024, "vmwalk %s %s: peak RSS %d KiB"
                          % (label, m, t["maxrss_kib"]))
        t = timeit([A.vmmap, "-J", "--pages", str(pid)], timeout=300, keep=True)
        log("G5: vmmap -J --pages (2 TiB)      %7.3f s  peak RSS %6d KiB"
            % (t["wall_s"], t["maxrss_kib"]))
        if check(t["exit"] == 0, "vmmap --pages: exit %d: %s" % (t["exit"],
                                                               t["stderr"][-1000:])):
            maps = {int(m["start"], 16): m
                    for m in json.loads(t["out"])["processes"][0]["mappings"]}
            for label, base, present in cases:
                m = maps.get(base)
                if check(m is not None, "vmmap --pages: no mapping at %#x" % base):
                    pg = m.get("pages") or {}
                    log("G5: vmmap --pages %s (%s): %d present, %d none"
                        % (label, m.get("kind"), pg.get("present", -1), pg.get("none", -1)))
                    check(pg.get("present") == present, "vmmap --pages %s: present %s, want %d"
                          % (label, pg.get("present"), present))
                    check(pg.get("none") == size // page - present,
                          "vmmap --pages %s: none %s" % (label, pg.get("none")))


# ---- G1 under valgrind -----------------------------------------------------------------

def mode_valgrind():
    if A.sanitized:
        skip("valgrind cannot run sanitizer-instrumented programs (the plain build runs this)")
    vg = shutil.which("valgrind")
    if not vg:
        skip("valgrind is not installed")
    base = [vg, "--quiet", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect", "--show-leak-kinds=definite,indirect",
            # an fd still open at exit (beyond 0-2) is listed, and fails the run
            "--track-fds=yes", "--child-silent-after-fork=yes"]
    # lifetimes of up to 5 s: valgrind takes a second or two to start the command
    with Churn(["-s", "1", "-c", "300", "-l", "5000", "-r", "200", "-t", "240"]) as ch:
        time.sleep(0.5)
        def youngest():
            # children are listed oldest first: the last is likely still there
            kids = ch.children()
            return str(kids[-1] if kids else ch.proc.pid)

        cmds = [("vmrank", lambda: [A.vmrank]),
                ("vmrank -J", lambda: [A.vmrank, "-J"]),
                ("vmmap (stable)", lambda: [A.vmmap, str(ch.proc.pid)]),
                ("vmmap (churning)", lambda: [A.vmmap, youngest()]),
                ("vmfault", lambda: [A.vmfault, "-N", "0", "-i", "0.2", "-c", "2"]),
                ("vmfault -T -p", lambda: [A.vmfault, "-T", "-p", youngest(), "-i", "0.2",
                                           "-c", "2"]),
                ("loopscan", lambda: [A.loopscan, "-n", "3", "-w", "1", "-m", "32", "-S"])]
        t0 = time.monotonic()
        for name, cmd in cmds:
            rc, out, err, secs = run(base + cmd(), timeout=200)
            vg_lines = [line for line in err.splitlines() if line.startswith("==")]
            check(rc in (0, 1, 3) and rc != 99 and not vg_lines,
                  "valgrind %s: exit %d: %s" % (name, rc, "\n".join(vg_lines[:40]) or err[-2000:]))
            log("valgrind %-17s exit %d, %.1f s%s" % (name, rc, secs,
                                                     ": " + err.strip() if rc else ""))
        stats = ch.stop()
    print_churn(stats, time.monotonic() - t0)


def main():
    global A
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["churn", "loopscan", "maps", "maps200k", "threads",
                                     "sparse", "valgrind"])
    for opt in ("churn", "loadproc", "loopscan", "timeit", "vmrank", "vmmap", "vmwalk",
                "vmfault"):
        ap.add_argument("--" + opt, required=True)
    ap.add_argument("--sanitized", action="store_true")
    A = ap.parse_args()
    random.seed(9)

    # meson's timeout sends SIGTERM: unwind, so that every finally and with block
    # runs (vm.max_map_count restored, churn and helpers stopped)
    def on_term(sig, frame):
        raise SystemExit("killed by signal %d" % sig)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    try:
        globals()["mode_" + A.mode]()
    except Exception as e:  # a bug here or a crash there: report it as a failure
        import traceback
        traceback.print_exc()
        fail("%s: %s: %s" % (A.mode, type(e).__name__, e))
    if failures:
        log("%d check(s) failed" % len(failures))
        return 1
    log("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
