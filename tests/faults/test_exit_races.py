# SPDX-License-Identifier: GPL-2.0-or-later
"""Fault tests C1-C4: a target that dies at a chosen point of a command's reading, made
deterministic by the shim, which stops the command right after the event (its /proc
directory opened, the first read() of smaps or maps returned, the first pagemap read or
PAGEMAP_SCAN returned) until the test has killed the target (SIGKILL), and left it a
zombie or reaped it, or reaped it and started another process with its PID."""

# Expected:
#   C1  gone between the directory's open and the first file's: "no such
#       process" (ESRCH), exit 3 with another PID named (1 alone), not listed;
#       in a scan of all processes it is simply absent, exit 0.
#   C2  killed after the first read() of smaps (vmmap, vmrank --by mapping,
#       vmsnap) or maps (vmsnap): the process is marked partial ("exited
#       while reading smaps: the list above is partial", JSON "partial":
#       true; vmsnap's "partial" list) or left out, never shown as complete;
#       exit 3.  Both while it is a zombie (the kernel then ends the file
#       early: read() gives 0) and once reaped (read() gives ESRCH).
#   C3  killed after the first pagemap read or scan (vmmap --pages, vmwalk
#       RANGE, vmrank --exact): the pages not read are "unknown", never
#       "none"; the result is partial; exit 3.
#   C4  reaped and its PID taken by a new process while the command holds
#       its /proc directory (root: ns_last_pid): the old process is "no
#       such process"; never the new process's figures under the old
#       process's name.

import contextlib
import os
import tarfile

import faultlib as fl

NS_LAST_PID = '/proc/sys/kernel/ns_last_pid'


def killer(target, how):
    """The trigger's action: SIGKILL @target, then leave it a zombie or reap it."""
    def act(ev):
        if ev is None:
            return
        target.kill()
        if how == 'zombie':
            target.wait_zombie()
        else:
            target.reap()
    return act


def fired(check, r, ev, spec):
    return check.ok(ev is not None, '%s: the shim never saw %s' % (r.describe(), spec))


def docs_by_pid(doc, key='processes'):
    return {p.get('pid'): p for p in doc.get(key) or []}


# ---------------------------------------------------------------------------
# C1: between the open of /proc/PID and the open of its files


def part_gone_after_dir_open(args, check):
    for cmd in ('vmrank', 'vmmap', 'vmswap'):
        with fl.victim(args, '--regions', '4') as a, fl.victim(args, '--regions', '4') as b:
            spec = 'open:/proc/%d' % a.pid
            exe = getattr(args, cmd)
            argv = {'vmrank': [exe, '-J', '-p', '%d,%d' % (a.pid, b.pid)],
                    'vmmap': [exe, '-J', a.pid, b.pid],
                    'vmswap': [exe, '-J', '-p', '%d,%d' % (a.pid, b.pid)]}[cmd]
            r, ev = fl.run_with_trigger(args, argv, spec, killer(a, 'reaped'))
            what = '%s (pid %d reaped after its /proc directory was opened)' % (r.cmd(), a.pid)
            fl.check_clean(check, r, what)
            if not fired(check, r, ev, spec):
                continue
            check.eq('%s: exit status' % what, 3, r.status)
            check.ok('pid %d: no such process' % a.pid in r.err,
                     '%s: expected "pid %d: no such process": %s' % (what, a.pid, r.describe()))
            if r.status == 3:
                doc = r.json()
                check.eq('%s: processes' % what, [b.pid], sorted(docs_by_pid(doc)))
                errnos = {s.get('pid'): s.get('errno') for s in doc.get('skipped') or []}
                if cmd != 'vmswap':
                    check.eq('%s: skipped' % what, {a.pid: 'ESRCH'}, errnos)
    # alone: nothing to show, exit 1
    with fl.victim(args, '--regions', '4') as a:
        spec = 'open:/proc/%d' % a.pid
        r, ev = fl.run_with_trigger(args, [args.vmmap, a.pid], spec, killer(a, 'reaped'))
        fl.check_clean(check, r)
        if fired(check, r, ev, spec):
            check.eq('%s (the only PID, gone): exit status' % r.cmd(), 1, r.status)
    # a scan of every process: it just is not there
    with fl.victim(args, '--regions', '4') as a, fl.victim(args, '--regions', '4') as b:
        spec = 'open:/proc/%d' % a.pid
        r, ev = fl.run_with_trigger(args, [args.vmrank, '-r', '-n', '-o', 'pid'], spec,
                                    killer(a, 'reaped'))
        fl.check_clean(check, r)
        if fired(check, r, ev, spec):
            check.eq('%s (all processes; one gone): exit status' % r.cmd(), 0, r.status)
            pids = [int(x) for x in r.out.split()]
            check.ok(a.pid not in pids and b.pid in pids,
                     '%s: pid %d listed, or pid %d not' % (r.cmd(), a.pid, b.pid))
            check.ok('pid %d' % a.pid not in r.err, '%s: a vanished process named on stderr '
                     'in a whole-system scan: %s' % (r.cmd(), r.describe()))


# ---------------------------------------------------------------------------
# C2: killed in the middle of smaps or maps


def part_killed_mid_smaps(args, check):
    for how in ('zombie', 'reaped'):
        # vmmap: the list so far, marked partial
        with fl.victim(args) as a, fl.victim(args, '--regions', '8') as b:
            whole = fl.run([args.vmmap, '-J', a.pid])
            n_whole = len(whole.json()['processes'][0]['mappings'])
            # the 2nd read of one opening: vmmap first peeks at the first mapping
            # (one read) to learn the kernel's keys
            spec = 'read:/proc/%d/smaps:2' % a.pid
            r, ev = fl.run_with_trigger(args, [args.vmmap, '-J', a.pid, b.pid], spec,
                                        killer(a, how))
            what = '%s (pid %d killed after a read of smaps, %s)' % (r.cmd(), a.pid, how)
            fl.check_clean(check, r, what)
            if fired(check, r, ev, spec):
                check.eq('%s: exit status' % what, 3, r.status)
                check.ok('pid %d: exited while reading smaps: the list above is partial'
                         % a.pid in r.err, '%s: expected "exited while reading smaps: the '
                         'list above is partial": %s' % (what, r.describe()))
                if r.status == 3:
                    procs = docs_by_pid(r.json())
                    pa = procs.get(a.pid, {})
                    check.eq('%s: pid %d "partial"' % (what, a.pid), True, pa.get('partial'))
                    check.ok(len(pa.get('mappings') or []) < n_whole,
                             '%s: %d mappings of %d: a whole list' % (what,
                                                                      len(pa.get('mappings')
                                                                          or []), n_whole))
                    check.eq('%s: pid %d "partial"' % (what, b.pid), None,
                             procs.get(b.pid, {}).get('partial'))

        # vmrank --by mapping: a process cut short is left out, not counted whole
        with fl.victim(args) as a, fl.victim(args, '--regions', '8') as b:
            spec = 'read:/proc/%d/smaps:1' % a.pid
            r, ev = fl.run_with_trigger(args, [args.vmrank, '-J', '--by', 'mapping', '-p',
                                               '%d,%d' % (a.pid, b.pid)], spec, killer(a, how))
            what = '%s (pid %d killed after a read of smaps, %s)' % (r.cmd(), a.pid, how)
            fl.check_clean(check, r, what)
            if fired(check, r, ev, spec):
                check.eq('%s: exit status' % what, 3, r.status)
                if r.status == 3:
                    errnos = {s.get('pid'): s.get('errno') for s in r.json().get('skipped') or []}
                    check.eq('%s: skipped' % what, {a.pid: 'ESRCH'}, errnos)

        # vmsnap: the process is "partial" in the description; maps and smaps both
        for name in ('maps', 'smaps'):
            with fl.victim(args) as a, fl.victim(args, '--regions', '8') as b, \
                    fl.tempdir(args) as d:
                out = os.path.join(d, 's.tar')
                spec = 'read:/proc/%d/%s:1' % (a.pid, name)
                r, ev = fl.run_with_trigger(args, [args.vmsnap, '-q', '-o', out, a.pid, b.pid],
                                            spec, killer(a, how))
                what = '%s (pid %d killed after a read of %s, %s)' % (r.cmd(), a.pid, name, how)
                fl.check_clean(check, r, what)
                if not fired(check, r, ev, spec):
                    continue
                check.eq('%s: exit status' % what, 3, r.status)
                check.ok('pid %d: exited while being captured' % a.pid in r.err,
                         '%s: expected "exited while being captured": %s' % (what, r.describe()))
                if r.status != 3:
                    continue
                with tarfile.open(out) as t:
                    desc = t.extractfile('vmscope-snapshot').read().decode()
                lines = dict(line.split(' ', 1) for line in desc.splitlines() if ' ' in line)
                check.eq('%s: "partial" in the description' % what, str(a.pid),
                         lines.get('partial'))


# ---------------------------------------------------------------------------
# C3: killed in the middle of the page walk


def part_killed_mid_pagemap(args, check):
    for how in ('zombie', 'reaped'):
        # vmmap --pages: the pages after the exit are "unknown"
        with fl.victim(args) as a, fl.victim(args, '--regions', '8') as b:
            spec = 'io:/proc/%d/pagemap:1' % a.pid
            r, ev = fl.run_with_trigger(args, [args.vmmap, '--pages', '-J', a.pid, b.pid], spec,
                                        killer(a, how))
            what = '%s (pid %d killed after a pagemap read, %s)' % (r.cmd(), a.pid, how)
            fl.check_clean(check, r, what)
            if fired(check, r, ev, spec):
                check.eq('%s: exit status' % what, 3, r.status)
                check.ok('exited during the page walk' in r.err, '%s: expected "exited during '
                         'the page walk": %s' % (what, r.describe()))
                if r.status == 3:
                    procs = docs_by_pid(r.json())
                    pa = procs.get(a.pid, {})
                    pages = (pa.get('totals') or {}).get('pages') or {}
                    check.eq('%s: pid %d "partial"' % (what, a.pid), True, pa.get('partial'))
                    unknown = pages.get('unknown')
                    check.ok(isinstance(unknown, int) and unknown > 0,
                             '%s: pid %d: pg_unknown %r, expected > 0' % (what, a.pid, unknown))
                    check.eq('%s: pid %d "partial"' % (what, b.pid), None,
                             procs.get(b.pid, {}).get('partial'))

        # vmwalk over the victim's regions, both ways of reading
        for method in ('read', 'scan'):
            with fl.victim(args) as a:
                rng = '%s-%s' % (a.info['first'], a.info['last_end'])
                spec = 'io:/proc/%d/pagemap:1' % a.pid
                r, ev = fl.run_with_trigger(args, [args.vmwalk, '-J', '--method', method, a.pid,
                                                   rng], spec, killer(a, how))
                what = '%s (killed after a pagemap read, %s)' % (r.cmd(), how)
                fl.check_clean(check, r, what)
                if not fired(check, r, ev, spec):
                    continue
                if method == 'scan' and 'PAGEMAP_SCAN' in r.err and r.status == 1:
                    fl.note('%s: no PAGEMAP_SCAN here: %s' % (what, r.err.strip()))
                    continue
                check.eq('%s: exit status' % what, 3, r.status)
                if r.status != 3:
                    continue
                doc = r.json()
                check.eq('%s: "partial"' % what, True, doc.get('partial'))
                unk = ((doc.get('summary') or {}).get('unknown') or {}).get('pages')
                check.ok(isinstance(unk, int) and unk > 0,
                         '%s: unknown pages %r, expected > 0' % (what, unk))

    # vmrank --exact (root): the group is partial
    if os.geteuid() != 0:
        fl.note('vmrank --exact left out: it needs root')
        return
    with fl.victim(args) as a, fl.victim(args, '--regions', '8') as b:
        spec = 'io:/proc/%d/pagemap:1' % a.pid
        r, ev = fl.run_with_trigger(args, [args.vmrank, '--exact', '--by', 'user', '-J', '-p',
                                           '%d,%d' % (a.pid, b.pid)], spec, killer(a, 'reaped'))
        what = '%s (pid %d killed after a pagemap read)' % (r.cmd(), a.pid)
        fl.check_clean(check, r, what)
        if fired(check, r, ev, spec):
            check.eq('%s: exit status' % what, 3, r.status)
            check.ok('pid %d exited during its page walk' % a.pid in r.err,
                     '%s: expected "exited during its page walk": %s' % (what, r.describe()))
            if r.status == 3:
                groups = r.json().get('groups') or []
                check.ok(any(g.get('partial') for g in groups),
                         '%s: no group marked "partial": %r' % (what, groups))


# ---------------------------------------------------------------------------
# C4: the PID taken by another process while the command holds the directory


def start_with_pid(args, pid, tries=20):
    for _ in range(tries):
        with open(NS_LAST_PID, 'w') as f:
            f.write(str(pid - 1))
        t = fl.victim(args, '--regions', '2', '--pages', '2')
        if t.pid == pid:
            return t
        t.close()
    return None


def part_pid_reused(args, check):
    if os.geteuid() != 0 or not os.access(NS_LAST_PID, os.W_OK):
        fl.note('C4 left out: giving a PID to a new process (%s) needs root' % NS_LAST_PID)
        return
    for cmd in ('vmmap', 'vmrank'):
        held = 0
        # the K-th opening of the directory: a command may open it more than
        # once (vmmap peeks at the first PID's smaps to learn the kernel's
        # keys); a reuse before an opening reads the new process, wholly
        for k in (1, 2, 3):
            with fl.victim(args) as a, contextlib.ExitStack() as stack:
                old, new = a.pid, []

                def reuse(ev):
                    if ev is None:
                        return
                    a.kill()
                    a.reap()
                    t = start_with_pid(args, old)
                    if t:
                        stack.enter_context(t)
                        new.append(t)

                exe = getattr(args, cmd)
                argv = [exe, '-J', old] if cmd == 'vmmap' else [exe, '-J', '-p', old]
                spec = 'open:/proc/%d:%d' % (old, k)
                r, ev = fl.run_with_trigger(args, argv, spec, reuse)
                what = '%s (pid %d reaped and given to a new process after opening %d of its ' \
                       'directory)' % (r.cmd(), old, k)
                fl.check_clean(check, r, what)
                if ev is None:
                    break
                if not new:
                    fl.note('%s: the PID went to another process 20 times: left out' % what)
                    continue
                if r.status == 1 and 'pid %d: no such process' % old in r.err:
                    held += 1
                    continue
                # shown: then all of it is the new process's (--regions 2: tiny)
                check.eq('%s: exit status' % what, 0, r.status)
                if r.status != 0:
                    continue
                doc = r.json()
                p = (doc.get('processes') or [{}])[0]
                check.ok('--regions 2' in (p.get('cmdline') or ''),
                         '%s: the row is not the new process: %r' % (what, p.get('cmdline')))
                rss = p.get('rss') if cmd == 'vmrank' else (p.get('totals') or {}).get('rss')
                check.ok(isinstance(rss, int) and rss < (1 << 20),
                         "%s: rss %r: the old process's memory (3 MiB) under the new one's name"
                         % (what, rss))
        check.ok(held > 0, '%s: no opening of /proc/PID was held across the reuse (the '
                 'shim stops the command after each)' % cmd)


def body(args, check):
    part_gone_after_dir_open(args, check)
    part_killed_mid_smaps(args, check)
    part_killed_mid_pagemap(args, check)
    part_pid_reused(args, check)


if __name__ == '__main__':
    fl.run_test(body)
