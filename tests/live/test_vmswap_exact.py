# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: vmswap --exact counts the swap slots of a parent and the child that shares
them: unique vs proportional, per device, against the test's own reading of their pagemaps."""

# swapzoo --fork: the parent pushes S = 64 "shared" and U = 32 "unique"
# (MADV_DONTFORK) pages to swap, then forks; the child references the same
# S slots and never touches them.  As root, with both stopped, the test
# reads the swap entries (type, offset) of both pagemaps itself, counts the
# references to each slot among the processes vmswap reads, and expects:
#   -p PARENT,CHILD (and the whole-system view):
#     parent swapped = U+S pages, unique = U, proportional = U + S/2;
#     child  swapped = S,         unique = 0, proportional = S/2;
#   -p PARENT alone: the child is not read, so every slot is the parent's
#     alone among the processes read: unique = proportional = U+S;
# in bytes, exactly; "exact.devices" per swap type (type_index = the type in
# the pagemap entries) with the same figures, named as in /proc/swaps;
# "swapped" equal to smaps_rollup Swap (no shmem here).  The text view has
# the SWAPPED UNIQUE PROP columns and a "Swap by device" table.  Helpers run
# as root and as nobody (vmswap as root).
# Unprivileged (nobody, or a non-root run): exit 1 and the message naming
# CAP_SYS_ADMIN.  Needs swap (test_swap's) and root, else SKIP.

import os

import vmlive
from vmlive import PAGE, Skip
import vmswaplive as vs

SHARED = 64
UNIQUE = 32


def helper_regions(info, pid):
    regs = info['regions']
    names = ['shared', 'unique'] if pid == info['pid'] else ['shared']
    return [regs[n] for n in names if n in regs]


def read_view(info):
    def read(pid):
        slots = []
        for reg in helper_regions(info, pid):
            slots += vs.swap_entries(pid, reg)
        return {'slots': slots, 'swap': vmlive.read_rollup(pid).get('Swap')}
    return read


def expected(views, read_pids):
    """{pid: {'swapped','unique','proportional','devices':{type: {...}}}} in bytes,
    references counted among read_pids."""
    refs = {}
    for pid in read_pids:
        for slot in views[pid]['slots']:
            refs[slot] = refs.get(slot, 0) + 1
    out = {}
    for pid in read_pids:
        fig = {'swapped': 0, 'unique': 0, 'proportional': 0, 'devices': {}}
        for slot in views[pid]['slots']:
            dev = fig['devices'].setdefault(slot[0], {'swapped': 0, 'unique': 0,
                                                      'proportional': 0})
            for f in (fig, dev):
                f['swapped'] += PAGE
                f['unique'] += PAGE if refs[slot] == 1 else 0
                f['proportional'] += PAGE // refs[slot]
        out[pid] = fig
    return out


def check_pid(check, what, row, want, swaps):
    ex = row.get('exact')
    if not check.ok(isinstance(ex, dict), '%s: "exact" %r (exact_error %r)'
                    % (what, ex, row.get('exact_error'))):
        return
    for k in ('swapped', 'unique', 'proportional'):
        check.eq('%s: exact.%s' % (what, k), want[k], ex.get(k))
    devs = ex.get('devices')
    if not check.ok(isinstance(devs, list), '%s: exact.devices %r' % (what, devs)):
        return
    got = {d.get('type_index'): d for d in devs}
    check.eq('%s: exact.devices: the swap types' % what, sorted(want['devices']),
             sorted(k for k in got if isinstance(k, int)))
    for t, w in want['devices'].items():
        d = got.get(t)
        if d is None:
            continue
        for k in ('swapped', 'unique', 'proportional'):
            check.eq('%s: device type %d: %s' % (what, t, k), w[k], d.get(k))
        if len(swaps) == 1:
            check.eq('%s: device type %d: name (the one device in /proc/swaps)' % (what, t),
                     swaps[0]['name'], d.get('name'))
        else:
            check.ok(d.get('name') in [s['name'] for s in swaps],
                     '%s: device type %d: name %r is not in /proc/swaps %r'
                     % (what, t, d.get('name'), [s['name'] for s in swaps]))


def part_root(args, check, user):
    with vs.swapzoo(args, '--shared', SHARED, '--unique', UNIQUE, '--fork', user=user) as h:
        info = h.info
        parent, child = info['pid'], info['child']
        what0 = 'swapzoo --fork (as %s)' % vs.who(user)
        vs.need_swapped(info, what0)
        swaps = vs.read_swaps()
        s, u = info['swapped_shared'], info['swapped_unique']
        cases = [
            (['-p', '%d,%d' % (parent, child)], [parent, child]),
            ([], [parent, child]),
            (['-p', str(parent)], [parent]),
        ]
        for opts, read_pids in cases:
            views, r = vs.measure([parent, child], lambda: vs.vmswap_json(
                args, '--exact', '-i', 0, *opts), read_view(info))
            what = '%s (helpers as %s)' % (r.cmd(), vs.who(user))
            want = expected(views, read_pids)
            # The layout first, as the brief states it (the kernel's side).
            if read_pids == [parent, child]:
                check.eq('%s: the test\'s own count: parent swapped/unique/proportional'
                         % what, ((u + s) * PAGE, u * PAGE, u * PAGE + s * PAGE // 2),
                         tuple(want[parent][k] for k in ('swapped', 'unique', 'proportional')))
                check.eq('%s: the test\'s own count: child swapped/unique/proportional'
                         % what, (s * PAGE, 0, s * PAGE // 2),
                         tuple(want[child][k] for k in ('swapped', 'unique', 'proportional')))
            else:
                check.eq('%s: the test\'s own count: parent alone' % what,
                         ((u + s) * PAGE,) * 3,
                         tuple(want[parent][k] for k in ('swapped', 'unique', 'proportional')))
            rows = vs.rows_by_pid(r.doc)
            for pid in read_pids:
                if not check.ok(pid in rows, '%s: pid %d not listed' % (what, pid)):
                    continue
                role = 'parent' if pid == parent else 'child'
                w = '%s: %s %d' % (what, role, pid)
                check_pid(check, w, rows[pid], want[pid], swaps)
                ex = rows[pid].get('exact') or {}
                check.eq('%s: exact.swapped = smaps_rollup Swap (no shmem)' % w,
                         views[pid]['swap'], ex.get('swapped'))
            top = r.doc.get('exact')
            if check.ok(isinstance(top, dict), '%s: top-level "exact" %r' % (what, top)):
                if opts:
                    check.eq('%s: exact.processes_read' % what, len(read_pids),
                             top.get('processes_read'))
                else:
                    check.ok(isinstance(top.get('processes_read'), int) and
                             top['processes_read'] >= 2,
                             '%s: exact.processes_read %r' % (what, top.get('processes_read')))
                check.ok(isinstance(top.get('note'), str) and top['note'],
                         '%s: exact.note %r' % (what, top.get('note')))
            if opts == []:
                check.ok(child not in rows or parent not in rows or
                         r.doc['processes'].index(rows[parent]) <
                         r.doc['processes'].index(rows[child]),
                         '%s: the parent is not listed before the child' % what)
        part_text(args, check, user, info, swaps)


def part_text(args, check, user, info, swaps):
    parent, child = info['pid'], info['child']
    views, r = vs.measure([parent, child], lambda: vs.vmswap(
        args, '--exact', '-i', 0, '-b', '-p', '%d,%d' % (parent, child)), read_view(info))
    what = '%s (helpers as %s)' % (r.cmd(), vs.who(user))
    if not check.eq('%s: exit status' % what, 0, r.status):
        vmlive.note(r.describe())
        return
    want = expected(views, [parent, child])
    text = r.out.decode('utf-8', 'replace')
    head, rows = vs.text_table(text, 'PID')
    if not check.eq('%s: process table header' % what,
                    ['PID', 'USER', 'SWAP', 'SWAPPSS', 'SWAPPED', 'UNIQUE', 'PROP', 'SWAP%',
                     'RSS', 'MAJFLT/s', 'COMMAND'], head):
        return
    byid = {int(row[0]): row for row in rows if row[0].isdigit()}
    for pid in (parent, child):
        if check.ok(pid in byid, '%s: no row for pid %d' % (what, pid)):
            check.eq('%s: pid %d SWAPPED UNIQUE PROP (-b)' % (what, pid),
                     [str(want[pid][k]) for k in ('swapped', 'unique', 'proportional')],
                     byid[pid][4:7])
    check.ok('Swap by device (from page tables):' in text,
             '%s: no "Swap by device (from page tables):" line' % what)
    head, rows = vs.text_table(text.split('Swap by device (from page tables):', 1)[-1], 'DEVICE')
    if not check.eq('%s: by-device header' % what,
                    ['DEVICE', 'PID', 'USER', 'SWAPPED', 'UNIQUE', 'PROP', 'COMMAND'], head):
        return
    if len(swaps) == 1 and ' ' not in swaps[0]['name']:
        for pid in (parent, child):
            row = [x for x in rows if x[0] == swaps[0]['name'] and x[1] == str(pid)]
            if check.eq('%s: rows for device %s, pid %d' % (what, swaps[0]['name'], pid), 1,
                        len(row)):
                check.eq('%s: device %s pid %d SWAPPED UNIQUE PROP (-b)'
                         % (what, swaps[0]['name'], pid),
                         [str(want[pid][k]) for k in ('swapped', 'unique', 'proportional')],
                         row[0][3:6])


def part_refused(args, check, user):
    """--exact without CAP_SYS_ADMIN: exit 1, the reason on stderr."""
    with vs.swapzoo(args, '--rss', 4, user=user) as h:
        for opts in (['-p', h.pid], []):
            r = vs.vmswap(args, '--exact', '-i', 0, *opts, user=user)
            what = '%s (as %s)' % (r.cmd(), vs.who(user))
            check.eq('%s: exit status' % what, 1, r.status)
            check.ok(vs.CAP_MESSAGE in r.err, '%s: expected %r on stderr, got %r'
                     % (what, vs.CAP_MESSAGE, r.err[:300]))
            check.eq('%s: stdout' % what, b'', r.out)


def body(args, check):
    if os.geteuid() != 0:
        part_refused(args, check, None)
        raise Skip('the --exact figures need root (CAP_SYS_ADMIN for the swap slots); '
                   'only the refusal was checked')
    with vs.swap_available(args):
        vmlive.note('/proc/swaps: %r' % vs.read_swaps())
        for user in vs.users():
            part_root(args, check, user)
    part_refused(args, check, 'nobody')


if __name__ == '__main__':
    vs.run_test(body)
