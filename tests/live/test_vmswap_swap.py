# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: vmswap's Swap and SwapPss of processes with a known number of pages in swap,
its devices table against /proc/swaps, and its whole-system view."""

# Needs swap: the active one, or (root) a swap file of test_swap's, switched
# off and removed after, whatever happens; SKIP with the reason otherwise.
#
# swapzoo writes S = 64 "shared" and U = 32 "unique" pages with distinct
# contents and pushes them to swap with MADV_PAGEOUT; its own pagemap says
# how many went (S', U').  With the helper stopped, the test reads its
# smaps_rollup, stat, status, oom_score and cgroup itself and runs vmswap:
#   alone (no --fork):  Swap = SwapPss = (S' + U') pages, exactly;
#   with --fork (the child forked after the page-out shares the S' slots):
#     parent Swap = (S' + U') pages, SwapPss = U' + S'/2 pages;
#     child  Swap = S' pages,         SwapPss = S'/2 pages;
#   and vmswap -J -i 0 -p PIDS gives those figures, every other per-process
#   field as the kernel's files say, the devices as /proc/swaps says (size
#   and priority exactly, used between the reads before and after), the
#   meminfo swap figures, zswap as meminfo has it.
# The whole-system view (no -p): only processes with swap, sorted by swap
# (ties by pid), the helpers among them with the same figures, the total row
# the sum, -a adds a helper without swap; denied processes (as nobody) are
# counted on stderr and in "skipped", exit 0.  The text view (-b) lists the
# swap file with its size and the helpers in swap order, and a TOTAL row.
# -p with a pid that is gone, or (as nobody) another user's, next to a
# readable one: exit 3 and the rest listed.
# As root all of it runs again as nobody, with the helpers as nobody too.

import os
import pwd
import re
import subprocess

import vmlive
from vmlive import PAGE
import vmswaplive as vs

SHARED = 64
UNIQUE = 32
RSS = 16

PROCESS_KEYS = ['pid', 'ppid', 'uid', 'user', 'comm', 'cmdline', 'swap', 'swap_pss', 'rss',
                'swap_pct', 'majflt', 'majflt_rate', 'oom_score', 'oom_score_adj', 'cgroup']
TOP_KEYS = ['schema', 'command', 'time', 'root', 'page_size', 'devices', 'zswap', 'meminfo',
            'processes', 'total']


def expected_swap(info, pid):
    """{'swap', 'swap_pss'} in bytes that pid of this swapzoo must have."""
    s, u = info['swapped_shared'], info['swapped_unique']
    if info['child'] is None:
        return {'swap': (s + u) * PAGE, 'swap_pss': (s + u) * PAGE}
    if pid == info['pid']:
        return {'swap': (s + u) * PAGE, 'swap_pss': u * PAGE + s * PAGE // 2}
    return {'swap': s * PAGE, 'swap_pss': s * PAGE // 2}


def check_process(check, what, row, kv, pid, argv0):
    """Every per-process field of vmswap's row against the kernel's files."""
    for k in PROCESS_KEYS:
        check.ok(k in row, '%s: key "%s" missing from the row' % (what, k))
    roll = kv['rollup']
    swap, rss = roll.get('Swap'), roll.get('Rss')
    check.eq('%s: swap = smaps_rollup Swap' % what, swap, row.get('swap'))
    check.eq('%s: swap_pss = smaps_rollup SwapPss' % what, roll.get('SwapPss'),
             row.get('swap_pss'))
    check.eq('%s: rss = smaps_rollup Rss' % what, rss, row.get('rss'))
    pct = row.get('swap_pct')
    if swap + rss:
        want = swap * 100.0 / (swap + rss)
        check.ok(vs.is_num(pct) and abs(pct - want) <= 0.05 + 1e-9,
                 '%s: swap_pct: expected %.3f (one decimal), got %r' % (what, want, pct))
    else:
        check.eq('%s: swap_pct with Rss and Swap 0' % what, None, pct)
    check.eq('%s: majflt = stat field 12' % what, kv['majflt'], row.get('majflt'))
    check.eq('%s: majflt_rate with -i 0' % what, None, row.get('majflt_rate', '<missing>'))
    check.eq('%s: oom_score = /proc/PID/oom_score' % what, kv['oom_score'], row.get('oom_score'))
    check.eq('%s: oom_score_adj' % what, kv['oom_score_adj'], row.get('oom_score_adj'))
    check.eq('%s: ppid' % what, kv['ppid'], row.get('ppid'))
    uid = os.stat('/proc/%d' % pid).st_uid
    check.eq('%s: uid' % what, uid, row.get('uid'))
    check.eq('%s: user' % what, pwd.getpwuid(uid).pw_name, row.get('user'))
    check.eq('%s: comm' % what, 'swapzoo', row.get('comm'))
    cmd = row.get('cmdline')
    check.ok(isinstance(cmd, str) and cmd.startswith(argv0),
             '%s: cmdline %r, expected it to start with %s' % (what, cmd, argv0))
    check.eq('%s: cgroup (the memory cgroup of /proc/PID/cgroup)' % what, vs.memcg_path(pid),
             row.get('cgroup'))


def check_system(check, what, doc, swaps, meminfo):
    """devices, meminfo and zswap of doc against /proc/swaps and /proc/meminfo read
    just before and just after the run ((before, after) pairs)."""
    for k in TOP_KEYS:
        check.ok(k in doc, '%s: top-level key "%s" missing' % (what, k))
    check.eq('%s: page_size' % what, PAGE, doc.get('page_size'))
    devs = doc.get('devices')
    if not check.ok(isinstance(devs, list), '%s: "devices" %r is not a list' % (what, devs)):
        return
    swap_devs = [d for d in devs if d.get('swap') is True]
    before, after = swaps
    check.eq('%s: the swap devices, in /proc/swaps order' % what,
             [s['name'] for s in after], [d.get('name') for d in swap_devs])
    old = {s['name']: s for s in before}
    for s in after:
        d = next((d for d in swap_devs if d.get('name') == s['name']), None)
        if d is None:
            continue
        w = '%s: device %s' % (what, s['name'])
        check.eq('%s: size (/proc/swaps, bytes)' % w, s['size'], d.get('size'))
        check.eq('%s: priority' % w, s['priority'], d.get('priority'))
        if not os.path.basename(s['name']).startswith('zram'):
            check.eq('%s: type' % w, s['type'], d.get('type'))
            check.eq('%s: zram' % w, None, d.get('zram', '<missing>'))
        lo = min(s['used'], old.get(s['name'], s)['used'])
        hi = max(s['used'], old.get(s['name'], s)['used'])
        check.ok(is_int(d.get('used')) and lo <= d['used'] <= hi,
                 '%s: used %r, /proc/swaps said %d before and %d after'
                 % (w, d.get('used'), old.get(s['name'], s)['used'], s['used']))
    # zram devices with a disk size that are not swap: listed as such.
    in_swaps = set(os.path.basename(s['name']) for s in after)
    not_swap = []
    for dev in sorted(os.listdir('/sys/block')):
        if dev.startswith('zram') and dev not in in_swaps:
            try:
                if vs.read_int('/sys/block/%s/disksize' % dev) > 0:
                    not_swap.append(dev)
            except (OSError, ValueError):
                pass
    check.eq('%s: the zram devices listed as not swap' % what, not_swap,
             sorted(os.path.basename(d.get('name') or '') for d in devs
                    if d.get('swap') is False))
    mb, ma = meminfo
    mi = doc.get('meminfo') or {}
    check.eq('%s: meminfo.swap_total' % what, ma.get('SwapTotal'), mi.get('swap_total'))
    for key, name in (('SwapFree', 'swap_free'), ('SwapCached', 'swap_cached')):
        lo, hi = sorted((mb.get(key, 0), ma.get(key, 0)))
        check.ok(is_int(mi.get(name)) and lo <= mi[name] <= hi,
                 '%s: meminfo.%s %r, /proc/meminfo said %s before and %s after'
                 % (what, name, mi.get(name), mb.get(key), ma.get(key)))
    z = doc.get('zswap', '<missing>')
    if 'Zswap' not in ma:
        check.eq('%s: zswap (meminfo has no Zswap)' % what, None, z)
    elif check.ok(isinstance(z, dict), '%s: zswap %r, meminfo has Zswap' % (what, z)):
        for key, name in (('Zswap', 'zswap'), ('Zswapped', 'zswapped')):
            lo, hi = sorted((mb.get(key, 0), ma.get(key, 0)))
            check.ok(is_int(z.get(name)) and lo <= z[name] <= hi,
                     '%s: zswap.%s %r, /proc/meminfo said %s before and %s after'
                     % (what, name, z.get(name), mb.get(key), ma.get(key)))


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def run_measured(args, pids, options, user):
    """vmswap -J OPTIONS with pids stopped; the kernel's view of each pid, the run,
    /proc/swaps and /proc/meminfo before and after."""
    state = {}

    def run():
        state['swaps_before'], state['mem_before'] = vs.read_swaps(), vs.read_meminfo()
        r = vs.vmswap_json(args, *options, user=user)
        state['swaps_after'], state['mem_after'] = vs.read_swaps(), vs.read_meminfo()
        return r

    views, r = vs.measure(pids, run, vs.kernel_view)
    return (views, r, (state['swaps_before'], state['swaps_after']),
            (state['mem_before'], state['mem_after']))


def part_pids(args, check, user, fork):
    opts = ['--shared', SHARED, '--unique', UNIQUE, '--rss', RSS] + (['--fork'] if fork else [])
    with vs.swapzoo(args, *opts, user=user) as h:
        info = h.info
        what0 = 'swapzoo %s (as %s)' % (' '.join(map(str, opts)), vs.who(user))
        vs.need_swapped(info, what0)
        vmlive.note('%s: %d shared + %d unique pages in swap (of %d + %d), %d round(s)'
                    % (what0, info['swapped_shared'], info['swapped_unique'], SHARED, UNIQUE,
                       info['rounds']))
        pids = h.pids() if fork else [h.pid]
        if fork:
            # The child's own pagemap: the same slots, as many as the parent's.
            got = len(vs.swap_entries(info['child'], info['regions']['shared']))
            check.eq('%s: swap entries in the child\'s shared region (its pagemap)' % what0,
                     info['swapped_shared'], got)
            if os.geteuid() == 0:
                check.eq('%s: the child\'s swap slots are the parent\'s' % what0,
                         vs.swap_entries(info['pid'], info['regions']['shared']),
                         vs.swap_entries(info['child'], info['regions']['shared']))
        views, r, swaps, mem = run_measured(args, pids, ['-i', 0, '-p', ','.join(map(str, pids))],
                                            user)
        what = '%s (as %s)' % (r.cmd(), vs.who(user))
        rows = vs.rows_by_pid(r.doc)
        check.eq('%s: the pids listed' % what, sorted(pids), sorted(rows))
        for pid in pids:
            role = 'parent' if pid == h.pid else 'child'
            want = expected_swap(info, pid)
            roll = views[pid]['rollup']
            w = '%s: %s %d' % (what, role, pid)
            # The kernel first: the layout is what the test meant it to be.
            check.eq('%s: smaps_rollup Swap = pages in swap x page size' % w, want['swap'],
                     roll.get('Swap'))
            check.eq('%s: smaps_rollup SwapPss (shared slots count half)' % w,
                     want['swap_pss'], roll.get('SwapPss'))
            if pid not in rows:
                continue
            check.eq('%s: swap (exact)' % w, want['swap'], rows[pid].get('swap'))
            check.eq('%s: swap_pss (exact)' % w, want['swap_pss'], rows[pid].get('swap_pss'))
            check_process(check, w, rows[pid], views[pid], pid, args.swapzoo)
        total = r.doc.get('total') or {}
        for k in ('swap', 'swap_pss', 'rss'):
            vals = [p.get(k) for p in rows.values()]
            if all(is_int(v) for v in vals):
                check.eq('%s: total.%s = the sum of the rows' % (what, k), sum(vals),
                         total.get(k))
        check_system(check, what, r.doc, swaps, mem)
        if fork:
            part_system(args, check, user, h, info)
            part_text(args, check, user, h, info)


def sort_key(p):
    return (-(p.get('swap') or 0), p.get('pid') or 0)


def part_system(args, check, user, h, info):
    """The whole-system view, with and without -a."""
    pids = h.pids()
    with vs.swapzoo(args, '--rss', RSS, user=user) as idle:
        for opts in (['-i', 0], ['-i', 0, '-a']):
            views, r, swaps, mem = run_measured(args, pids + [idle.pid], opts, user)
            what = '%s (as %s)' % (r.cmd(), vs.who(user))
            procs = r.doc.get('processes')
            rows = vs.rows_by_pid(r.doc)
            check.eq('%s: processes sorted by swap, ties by pid' % what,
                     [p.get('pid') for p in sorted(procs, key=sort_key)],
                     [p.get('pid') for p in procs])
            check.eq('%s: no pid twice' % what, len(procs), len(rows))
            if '-a' not in opts:
                zero = [p.get('pid') for p in procs if not p.get('swap')]
                check.ok(not zero, '%s: processes without swap listed (no -a, no rate): %r'
                         % (what, zero))
                check.ok(idle.pid not in rows, '%s: the helper without swap (pid %d) is listed'
                         % (what, idle.pid))
            else:
                if check.ok(idle.pid in rows, '%s: -a: the helper without swap (pid %d) is '
                            'not listed' % (what, idle.pid)):
                    check.eq('%s: -a: its swap' % what, 0, rows[idle.pid].get('swap'))
                    check.eq('%s: -a: its rss' % what, views[idle.pid]['rollup'].get('Rss'),
                             rows[idle.pid].get('rss'))
            for pid in pids:
                if check.ok(pid in rows, '%s: helper %d not listed' % (what, pid)):
                    want = expected_swap(info, pid)
                    check.eq('%s: pid %d swap' % (what, pid), want['swap'], rows[pid].get('swap'))
                    check.eq('%s: pid %d swap_pss' % (what, pid), want['swap_pss'],
                             rows[pid].get('swap_pss'))
            if pids[0] in rows and pids[1] in rows:
                check.ok(procs.index(rows[pids[0]]) < procs.index(rows[pids[1]]),
                         '%s: the parent (more swap) is not listed before the child' % what)
            total = r.doc.get('total') or {}
            for k in ('swap', 'swap_pss', 'rss'):
                vals = [p.get(k) for p in procs]
                if all(is_int(v) for v in vals):
                    check.eq('%s: total.%s = the sum of the rows' % (what, k), sum(vals),
                             total.get(k))
            check.eq('%s: exit status' % what, 0, r.status)
            skipped = r.doc.get('skipped') or []
            # One stderr line per reason; the permission one names the cure.
            lines = re.findall(r'^vmswap: skipped (\d+) process(?:es)? \((.*)\)$', r.err, re.M)
            check.eq('%s: the processes counted on stderr ("vmswap: skipped N processes '
                     '(reason)" lines: %r) = the entries of "skipped"' % (what, lines),
                     len(skipped), sum(int(n) for n, _ in lines))
            denied = [x for x in skipped if x.get('errno') in ('EACCES', 'EPERM')]
            perm = [int(n) for n, why in lines if why == 'permission denied: needs the same '
                    'user or CAP_SYS_PTRACE']
            check.eq('%s: "vmswap: skipped N processes (permission denied: needs the same '
                     'user or CAP_SYS_PTRACE)" lines for the %d EACCES/EPERM entries'
                     % (what, len(denied)), [len(denied)] if denied else [], perm)
            bad = [x for x in skipped if not all(k in x for k in ('pid', 'errno', 'reason'))]
            check.ok(not bad, '%s: "skipped" entries without pid/errno/reason: %r'
                     % (what, bad[:3]))
            if user == 'nobody' and '-a' in opts:
                # -a needs every process's Rss: root's (pid 1 at least) are denied
                check.ok(any(s.get('pid') == 1 for s in skipped),
                         '%s: as nobody, pid 1 (root\'s) is not in "skipped": %r'
                         % (what, skipped[:5]))
            check_system(check, what, r.doc, swaps, mem)


def part_text(args, check, user, h, info):
    """The default text view, sizes in bytes: the swap devices with their size,
    the helpers' rows in swap order with their exact figures."""
    pids = h.pids()

    def run():
        before = vs.read_swaps()
        r = vs.vmswap(args, '-i', 0, '-b', user=user)
        return before, r, vs.read_swaps(), vs.read_meminfo()

    views, (before, r, after, meminfo) = vs.measure(pids, run, vs.kernel_view)
    what = '%s (as %s)' % (r.cmd(), vs.who(user))
    check.eq('%s: exit status' % what, 0, r.status)
    text = r.out.decode('utf-8', 'replace')
    head, devrows = vs.text_table(text, 'NAME')
    if check.ok(head is not None and head[:6] == ['NAME', 'TYPE', 'SIZE', 'USED', 'USE%', 'PRIO'],
                '%s: no devices table with the header NAME TYPE SIZE USED USE%% PRIO: %r'
                % (what, head)):
        byname = {row[0]: row for row in devrows}
        for s in after:
            if ' ' in s['name']:
                continue
            row = byname.get(s['name'])
            if not check.ok(row is not None, '%s: no device row for %s: %r'
                            % (what, s['name'], devrows)):
                continue
            check.eq('%s: device %s SIZE (-b)' % (what, s['name']), str(s['size']), row[2])
            old = next((b for b in before if b['name'] == s['name']), s)
            check.ok(row[3] in (str(s['used']), str(old['used'])),
                     '%s: device %s USED %r, /proc/swaps said %d before and %d after'
                     % (what, s['name'], row[3], old['used'], s['used']))
            check.eq('%s: device %s PRIO' % (what, s['name']), str(s['priority']), row[5])
    summary = [l for l in text.splitlines() if l.startswith('swap: ')]
    check.ok(len(summary) == 1 and ' used of ' in summary[0],
             '%s: expected one "swap: N used of N ..." line, got %r' % (what, summary))
    if 'Zswap' in meminfo:
        check.ok(any(l.startswith('zswap: ') for l in text.splitlines()),
                 '%s: meminfo has Zswap but there is no "zswap: " line' % what)
    head, prows = vs.text_table(text, 'PID')
    want_head = ['PID', 'USER', 'SWAP', 'SWAPPSS', 'SWAP%', 'RSS', 'MAJFLT/s', 'COMMAND']
    if not check.eq('%s: the process table header' % what, want_head, head):
        return
    order = [int(row[0]) for row in prows if row[0].isdigit()]
    byid = {int(row[0]): row for row in prows if row[0].isdigit()}
    for pid in pids:
        if not check.ok(pid in byid, '%s: no row for pid %d' % (what, pid)):
            return
        want = expected_swap(info, pid)
        check.eq('%s: pid %d SWAP (-b)' % (what, pid), str(want['swap']), byid[pid][2])
        check.eq('%s: pid %d SWAPPSS (-b)' % (what, pid), str(want['swap_pss']), byid[pid][3])
        check.eq('%s: pid %d RSS (-b)' % (what, pid), str(views[pid]['rollup'].get('Rss')),
                 byid[pid][5])
        check.eq('%s: pid %d MAJFLT/s with -i 0' % (what, pid), '-', byid[pid][6])
    check.ok(order.index(pids[0]) < order.index(pids[1]),
             '%s: the parent is not listed before the child (sorted by swap)' % what)
    # The total row, as vmrank's: "-" for PID and USER, COMMAND "TOTAL".
    total = [row for row in prows if row[0] == '-' and row[-1] == 'TOTAL']
    if check.eq('%s: "TOTAL" rows' % what, 1, len(total)):
        check.eq('%s: TOTAL SWAP = the sum of the rows (-b)' % what,
                 str(sum(int(row[2]) for row in prows if row[0].isdigit())), total[0][2])


def part_partial(args, check):
    """-p with a pid that is gone next to a live one, and (as nobody) with root's
    helper next to its own: exit 3, the rest listed.  Every named pid gone: the
    exit status vmrank gives for the same (1: nothing to show)."""
    p = subprocess.Popen(['true'])
    p.wait()
    with vs.swapzoo(args, '--rss', RSS) as h:
        r = vs.vmswap(args, '-J', '-i', 0, '-p', '%d,%d' % (p.pid, h.pid))
        what = '%s (pid %d has exited)' % (r.cmd(), p.pid)
        if check.eq('%s: exit status (partial)' % what, 3, r.status):
            doc = vs.parse_doc(r)
            check.eq('%s: the pids listed' % what, [h.pid], sorted(vs.rows_by_pid(doc)))
            check.ok(any(s.get('pid') == p.pid for s in doc.get('skipped') or []),
                     '%s: pid %d not in "skipped": %r' % (what, p.pid, doc.get('skipped')))
        r = vs.vmswap(args, '-J', '-i', 0, '-p', p.pid)
        rank = vmlive.vmrank(args, '-J', '-p', p.pid)
        check.eq('%s (the only pid named has exited): exit status, as `%s`'
                 % (r.cmd(), rank.cmd()), rank.status, r.status)
        if os.geteuid() != 0:
            return
        with vs.swapzoo(args, '--rss', RSS, user='nobody') as own:
            r = vs.vmswap(args, '-J', '-i', 0, '-p', '%d,%d' % (h.pid, own.pid), user='nobody')
            what = '%s (as nobody, pid %d is root\'s)' % (r.cmd(), h.pid)
            if not check.eq('%s: exit status (partial)' % what, 3, r.status):
                return
            doc = vs.parse_doc(r)
            check.ok(any(s.get('pid') == h.pid for s in doc.get('skipped') or []),
                     '%s: pid %d not in "skipped": %r' % (what, h.pid, doc.get('skipped')))
            check.eq('%s: the pids listed' % what, [own.pid], sorted(vs.rows_by_pid(doc)))


def body(args, check):
    with vs.swap_available(args):
        vmlive.note('/proc/swaps: %r' % vs.read_swaps())
        for user in vs.users():
            part_pids(args, check, user, fork=False)
            part_pids(args, check, user, fork=True)
        part_partial(args, check)


if __name__ == '__main__':
    vs.run_test(body)
