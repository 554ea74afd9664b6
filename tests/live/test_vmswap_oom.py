# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: vmswap --oom ranks helpers with different oom_score_adj and RSS in the order of
the kernel's own oom_score, with the kernel's figures."""

# Helpers (swapzoo --oom-adj N --rss PAGES, some with pages in swap when
# swap is available) with, as root:
#   adj 0 and 8 MiB resident, adj 500 twice with 1 MiB (a tie: the same
#   oom_score, ordered by pid), adj 500 with 160 MiB (more points: a higher
#   score than the other two), adj 1000 with 4 MiB, adj -1000 (root only:
#   "never_killed", listed after every other process).
# With the helpers stopped (their RSS, hence their score, holds still) the
# test reads /proc/PID/oom_score and status itself, runs vmswap --oom -J,
# reads again, and expects:
#   the helpers in the order of (oom_score desc, pid), never-killed last;
#   oom_score = the kernel's; oom_score_adj as set; vm_rss, vm_swap, vm_pte
#   = VmRSS, VmSwap, VmPTE of status in bytes; points = their sum; cgroup =
#   the memory cgroup of /proc/PID/cgroup, listed once in "cgroups";
#   the whole list sorted by (never_killed, oom_score desc, pid), no kernel
#   thread in it; the text view lists the helpers in the same order with
#   OOM_SCORE "never" for -1000.
# As root: vmswap as root and as nobody on root's helpers, then helpers and
# vmswap as nobody.  Lowering oom_score_adj needs CAP_SYS_RESOURCE (which
# root may lack too): without it there is no -1000 helper (said on the
# output), and never_killed is checked on the processes that have -1000.
# Swap is optional here: without it VmSwap is 0.

import os
import re

import vmlive
from vmlive import PAGE, MIB
import vmswaplive as vs

# (oom_score_adj, resident pages, pages in swap)
HELPERS = [
    (0, 8 * MIB // PAGE, 64),
    (500, MIB // PAGE, 0),
    (500, MIB // PAGE, 0),
    (500, 160 * MIB // PAGE, 32),
    (1000, 4 * MIB // PAGE, 0),
    (-1000, 2 * MIB // PAGE, 0),
]


CAP_SYS_RESOURCE = 24
re_capeff = re.compile(r'^CapEff:\s+([0-9a-f]+)$', re.M)


def can_lower_adj():
    """Lowering oom_score_adj (to -1000) needs CAP_SYS_RESOURCE, which even root
    may lack (a container, a restricted service)."""
    m = re_capeff.search(vmlive.read_text('/proc/self/status'))
    return bool(m and int(m.group(1), 16) >> CAP_SYS_RESOURCE & 1)


def own_adj():
    return vs.read_int('/proc/self/oom_score_adj')


def read_view(pid):
    st = vs.read_status(pid)
    return {'oom_score': vs.read_int('/proc/%d/oom_score' % pid),
            'oom_score_adj': vs.read_int('/proc/%d/oom_score_adj' % pid),
            'vm_rss': st.get('VmRSS'), 'vm_swap': st.get('VmSwap'), 'vm_pte': st.get('VmPTE')}


def order_key(pid, v):
    never = v['oom_score_adj'] == -1000
    return (never, -v['oom_score'] if not never else 0, pid)


def row_key(p):
    never = bool(p.get('never_killed'))
    score = p.get('oom_score')
    return (never, -(score if isinstance(score, int) and not never else 0), p.get('pid') or 0)


def check_json(check, what, doc, views, adjs):
    oom = doc.get('oom')
    if not check.ok(isinstance(oom, dict) and isinstance(oom.get('processes'), list),
                    '%s: no "oom" object with a "processes" list: %r' % (what, str(oom)[:200])):
        return None
    procs = oom['processes']
    rows = {p.get('pid'): p for p in procs}
    check.eq('%s: no pid twice' % what, len(procs), len(rows))
    pids = sorted(views)
    want_order = sorted(pids, key=lambda pid: order_key(pid, views[pid]))
    got_order = [p.get('pid') for p in procs if p.get('pid') in views]
    check.eq('%s: the helpers in the kernel\'s order (oom_score desc, pid; -1000 last), '
             'scores %r' % (what, {pid: views[pid]['oom_score'] for pid in want_order}),
             want_order, got_order)
    bad = [(p.get('pid'), p.get('oom_score_adj'), p.get('never_killed')) for p in procs
           if p.get('never_killed') is not (p.get('oom_score_adj') == -1000)]
    check.ok(not bad, '%s: never_killed is not (oom_score_adj == -1000): %r' % (what, bad[:5]))
    check.eq('%s: the whole list sorted by (never_killed, oom_score desc, pid)' % what,
             [p.get('pid') for p in sorted(procs, key=row_key)], [p.get('pid') for p in procs])
    for pid in pids:
        row = rows.get(pid)
        if not check.ok(row is not None, '%s: helper %d not listed' % (what, pid)):
            continue
        v = views[pid]
        w = '%s: pid %d (adj %d)' % (what, pid, adjs[pid])
        never = adjs[pid] == -1000
        check.eq('%s: oom_score_adj' % w, adjs[pid], row.get('oom_score_adj'))
        check.eq('%s: oom_score_adj = the kernel\'s' % w, v['oom_score_adj'],
                 row.get('oom_score_adj'))
        check.eq('%s: never_killed' % w, never, row.get('never_killed'))
        if not never:
            check.eq('%s: oom_score = /proc/PID/oom_score' % w, v['oom_score'],
                     row.get('oom_score'))
        for k in ('vm_rss', 'vm_swap', 'vm_pte'):
            check.eq('%s: %s = status %s' % (w, k, {'vm_rss': 'VmRSS', 'vm_swap': 'VmSwap',
                                                   'vm_pte': 'VmPTE'}[k]), v[k], row.get(k))
        check.eq('%s: points = VmRSS + VmSwap + VmPTE' % w,
                 v['vm_rss'] + v['vm_swap'] + v['vm_pte'], row.get('points'))
        check.eq('%s: cgroup' % w, vs.memcg_path(pid), row.get('cgroup'))
    kthreads = [p.get('pid') for p in procs if vmlive.is_kthread(p.get('pid')) is True]
    check.ok(not kthreads, '%s: kernel threads listed: %r' % (what, kthreads[:10]))
    cgs = oom.get('cgroups')
    if check.ok(isinstance(cgs, list), '%s: oom.cgroups %r' % (what, cgs)):
        paths = [c.get('path') for c in cgs]
        check.eq('%s: every cgroup once' % what, len(set(paths)), len(paths))
        for pid in pids:
            cg = vs.memcg_path(pid)
            check.ok(cg in paths, '%s: the helper\'s cgroup %r not in oom.cgroups %r'
                     % (what, cg, paths))
    mi = oom.get('meminfo') or {}
    for k in ('mem_available', 'swap_free'):
        check.ok(isinstance(mi.get(k), int), '%s: oom.meminfo.%s %r' % (what, k, mi.get(k)))
    return got_order


def check_text(check, what, text, order, adjs):
    head, rows = vs.text_table(text, 'PID')
    want = ['PID', 'USER', 'OOM_SCORE', 'OOM_ADJ', 'POINTS', 'RSS', 'SWAP', 'PGTABLES', 'CGROUP',
            'COMMAND']
    if not check.eq('%s: header' % what, want, head):
        return
    got = [int(r[0]) for r in rows if r[0].isdigit() and int(r[0]) in adjs]
    check.eq('%s: the helpers in the same order as -J' % what, order, got)
    for r in rows:
        if r[0].isdigit() and adjs.get(int(r[0])) == -1000:
            check.eq('%s: pid %s OOM_SCORE' % (what, r[0]), 'never', r[2])
    check.ok('Memory cgroups:' in text, '%s: no "Memory cgroups:" table' % what)


def part(args, check, helper_user, vmswap_users, have_swap):
    base = own_adj()
    lower = helper_user is None and can_lower_adj()
    if not lower:
        vmlive.note('helpers as %s: no helper with oom_score_adj -1000 (needs '
                    'CAP_SYS_RESOURCE): "never_killed" is checked only on the processes '
                    'that have it already' % vs.who(helper_user))
    specs = []
    for adj, rss, swapped in HELPERS:
        if not lower:
            if adj == -1000:
                continue
            adj = max(adj, base)  # without CAP_SYS_RESOURCE it can only be raised
        specs.append((adj, rss, swapped if have_swap else 0))
    helpers = []
    try:
        for adj, rss, swapped in specs:
            opts = ['--oom-adj', adj, '--rss', rss]
            if swapped:
                opts += ['--unique', swapped]
            helpers.append(vs.swapzoo(args, *opts, user=helper_user))
        adjs = {h.pid: h.info['oom_score_adj'] for h in helpers}
        check.eq('helpers (as %s): oom_score_adj as set' % vs.who(helper_user),
                 [s[0] for s in specs], [h.info['oom_score_adj'] for h in helpers])
        pids = sorted(adjs)
        for user in vmswap_users:
            views, r = vs.measure(pids, lambda: vs.vmswap_json(args, '--oom', user=user),
                                  read_view)
            what = '%s (as %s, helpers as %s)' % (r.cmd(), vs.who(user), vs.who(helper_user))
            vmlive.note('%s: kernel: %r' % (what, {p: (views[p]['oom_score'], adjs[p])
                                                    for p in pids}))
            order = check_json(check, what, r.doc, views, adjs)
            if order is None:
                continue
            _, t = vs.measure(pids, lambda: vs.vmswap(args, '--oom', user=user), read_view)
            what = '%s (as %s, helpers as %s)' % (t.cmd(), vs.who(user), vs.who(helper_user))
            if check.eq('%s: exit status' % what, 0, t.status):
                check_text(check, what, t.out.decode('utf-8', 'replace'), order, adjs)
    finally:
        for h in helpers:
            h.close()


def body(args, check):
    with vs.swap_if_possible(args) as have_swap:
        if os.geteuid() == 0:
            part(args, check, None, [None, 'nobody'], have_swap)
            part(args, check, 'nobody', ['nobody'], have_swap)
        else:
            part(args, check, None, [None], have_swap)


if __name__ == '__main__':
    vs.run_test(body)
