# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: vmrank --exact counts a forked pair's copy-on-write pages once, and
its FRAMES and ONLY follow the child's writes page for page."""

# pagezoo --fork: the parent wrote the 16 pages of "cow" before fork(), so the
# child maps the same 16 frames until it is told to "write" pages 0..7.
#
# With both processes stopped, the test reads their pagemaps and kpagecount
# itself and computes what --exact must say (distinct frames, zero page left
# out; ONLY = kpagecount equal to the group's own mappings), for the pair as
# one group and for each alone, and compares exactly.  Then, relative to the
# helper's regions:
#   - before the write, every cow frame is mapped by both: it is one frame of
#     the pair and ONLY for the pair, but not ONLY for the parent alone;
#   - after the write, the pair's FRAMES grow by exactly the 8 pages the child
#     wrote, and so do the pair's ONLY and the parent's and child's own ONLY.
# Unprivileged (setpriv to nobody), --exact must refuse with the reason.

import os
import selectors
import struct
import time

import vmlive

PFN_MASK = (1 << 55) - 1
PRESENT = 1 << 63
KPF_ANON = 1 << 12
KPF_ZERO_PAGE = 1 << 24
COW_PAGES = 16
WRITTEN = 8


def extra(p):
    p.add_argument('--pagezoo', required=True, help='tests/helpers/pagezoo')


def read_u64(path, index, count):
    """count u64 values at index from a pagemap or kpage* file (pread, 64 KiB at a time)."""
    out = []
    fd = os.open(path, os.O_RDONLY)
    try:
        while count > len(out):
            n = min(count - len(out), 8192)
            data = os.pread(fd, n * 8, (index + len(out)) * 8)
            if not data:
                break
            out.extend(struct.unpack('<%dQ' % (len(data) // 8), data))
    finally:
        os.close(fd)
    return out


def mapped_pfns(pid):
    """{pfn: times mapped} of every present page of pid, from its own pagemap."""
    counts = {}
    page = vmlive.PAGE
    with open('/proc/%d/maps' % pid) as f:
        ranges = [tuple(int(x, 16) for x in line.split()[0].split('-')) for line in f]
    for start, end in ranges:
        if start >> 63:  # [vsyscall]
            continue
        for e in read_u64('/proc/%d/pagemap' % pid, start // page, (end - start) // page):
            if e & PRESENT:
                pfn = e & PFN_MASK
                counts[pfn] = counts.get(pfn, 0) + 1
    return counts


def region_pfns(pid, region):
    page = vmlive.PAGE
    start, end = int(region['start'], 16), int(region['end'], 16)
    return [e & PFN_MASK if e & PRESENT else None
            for e in read_u64('/proc/%d/pagemap' % pid, start // page, (end - start) // page)]


def expected(groups, zero_pfn, leave_out=frozenset()):
    """{name: {'frames','only','only_anon','only_file'} in pages} for each group
    (a list of pids), frames in leave_out not counted, and the kernel's view
    it came from."""
    maps = {pid: mapped_pfns(pid) for g in groups.values() for pid in g}
    allpfns = sorted(set(p for m in maps.values() for p in m))
    kc = {p: read_u64('/proc/kpagecount', p, 1)[0] for p in allpfns}
    kf = {p: read_u64('/proc/kpageflags', p, 1)[0] for p in allpfns}
    out = {}
    for name, pids in groups.items():
        n = {}
        for pid in pids:
            for p, c in maps[pid].items():
                n[p] = n.get(p, 0) + c
        fig = {'frames': 0, 'only': 0, 'only_anon': 0, 'only_file': 0}
        for p, c in n.items():
            if p == zero_pfn or kf[p] & KPF_ZERO_PAGE or p in leave_out:
                continue
            fig['frames'] += 1
            if kc[p] == c:
                fig['only'] += 1
                fig['only_anon' if kf[p] & KPF_ANON else 'only_file'] += 1
        out[name] = fig
    return out, (maps, kc, kf)


def exact_run(args, pids, *more):
    """vmrank --exact -J -b -p PIDS: the one group's figures, in pages."""
    r = vmlive.vmrank(args, '-J', '--exact', '-b', '-p', ','.join(map(str, pids)), *more)
    if r.status != 0:
        raise vmlive.Failed('%s: expected exit status 0' % r.describe())
    # one group, no "processes" array
    r.doc = vmlive.parse_vmrank_json(r, processes=False)
    groups = r.doc.get('groups') or []
    if len(groups) != 1:
        raise vmlive.Failed('%s: expected one group, got %r' % (r.cmd(), groups))
    g = groups[0]
    for k in ('frames', 'only', 'only_anon', 'only_file'):
        if not isinstance(g.get(k), int) or g[k] % vmlive.PAGE:
            raise vmlive.Failed('%s: "%s" is not a whole number of pages: %r'
                                % (r.cmd(), k, g.get(k)))
    return r, g, {k: g[k] // vmlive.PAGE for k in ('frames', 'only', 'only_anon', 'only_file')}


def measure(args, check, parent, child, cow, zero_pfn, when):
    """With both stopped: vmrank's figures for the pair, the parent and the
    child, each equal to the test's own count.  Returns ({name: figures in
    pages}, {name: the test's figures without the cow frames}, the frames
    both map, kpagecount of each frame)."""
    groups = {'pair': [parent, child], 'parent': [parent], 'child': [child]}
    with vmlive.stopped([parent, child]):
        for attempt in range(5):
            want, before = expected(groups, zero_pfn)
            cow_pfns = frozenset(region_pfns(parent, cow) + region_pfns(child, cow))
            rest, _ = expected(groups, zero_pfn, cow_pfns)
            got = {}
            for name, pids in groups.items():
                r, g, got[name] = exact_run(args, pids)
                check.eq('%s: %s: "partial"' % (r.cmd(), when), False, g.get('partial'))
                check.eq('%s: %s: "processes"' % (r.cmd(), when), len(pids), g.get('processes'))
            want_after, after = expected(groups, zero_pfn)
            # the frames and the figures they give; not kpagecount itself, which
            # moves for the vDSO with every process started (vmrank too)
            if before[0] == after[0] and want == want_after:
                break
            vmlive.note('page state moved during the run (attempt %d), retrying' % (attempt + 1))
        else:
            raise vmlive.Failed('the pages of stopped processes kept changing over 5 tries')
    for name in groups:
        for k in want[name]:
            check.eq('%s %s, in pages (%s; the test\'s own count from pagemap and kpagecount)'
                     % (name, k, when), want[name][k], got[name][k])
    maps, kc, kf = before
    both = {p for p in set(maps[parent]) & set(maps[child])
            if p != zero_pfn and not kf[p] & KPF_ZERO_PAGE}
    return got, rest, both, kc


# What the 16 cow pages add to each group, in pages: before the child writes,
# 16 frames mapped by both (ONLY for the pair, not for either alone); after,
# the parent keeps its 16 (pages 0..7 now its own), the child has 8 new ones
# and shares 8: 24 frames for the pair, all ONLY.
COW_BEFORE = {'pair': {'frames': 16, 'only': 16, 'only_anon': 16, 'only_file': 0},
              'parent': {'frames': 16, 'only': 0, 'only_anon': 0, 'only_file': 0},
              'child': {'frames': 16, 'only': 0, 'only_anon': 0, 'only_file': 0}}
COW_AFTER = {'pair': {'frames': 24, 'only': 24, 'only_anon': 24, 'only_file': 0},
             'parent': {'frames': 16, 'only': 8, 'only_anon': 8, 'only_file': 0},
             'child': {'frames': 16, 'only': 8, 'only_anon': 8, 'only_file': 0}}


def check_cow_part(check, got, rest, cow_part, when):
    """vmrank's figure = the test's count outside the cow region + the cow region's share."""
    for name, figs in cow_part.items():
        for k, v in figs.items():
            check.eq('%s %s %s: the cow region\'s share (vmrank minus the test\'s count of '
                     'every other frame), in pages' % (name, k, when), v,
                     got[name][k] - rest[name][k])


def send_write(h, timeout=30):
    h.proc.stdin.write(b'write\n')
    h.proc.stdin.flush()
    sel = selectors.DefaultSelector()
    sel.register(h.proc.stdout, selectors.EVENT_READ)
    buf = b''
    deadline = time.monotonic() + timeout
    while b'written\n' not in buf:
        left = deadline - time.monotonic()
        if left <= 0 or not sel.select(left):
            raise vmlive.Failed('pagezoo: no "written" within %d s after "write" (got %r)'
                                % (timeout, buf))
        chunk = os.read(h.proc.stdout.fileno(), 4096)
        if not chunk:
            raise vmlive.Failed('pagezoo exited after "write" (got %r)' % buf)
        buf += chunk
    sel.close()


def check_unprivileged(args, check, pid):
    """As nobody, --exact refuses: exit 1, the reason on stderr, nothing on stdout."""
    r = vmlive.vmrank(args, '--exact', '-p', pid, user='nobody')
    check.eq('%s: exit status' % r.cmd(), 1, r.status)
    check.eq('%s: stdout' % r.cmd(), b'', r.out)
    check.ok(r.err.startswith('vmrank: --exact needs ') and 'CAP_SYS_ADMIN' in r.err
             and r.err.count('\n') == 1,
             '%s: expected one line "vmrank: --exact needs ...: ... CAP_SYS_ADMIN", got %r'
             % (r.cmd(), r.err))


def body(args, check):
    if os.geteuid() != 0:
        # the refusal can be checked as anyone
        r = vmlive.vmrank(args, '--exact', '-p', os.getpid())
        check.eq('%s: exit status without privileges' % r.cmd(), 1, r.status)
        check.ok(r.err.startswith('vmrank: --exact needs '),
                 '%s: expected "vmrank: --exact needs ...", got %r' % (r.cmd(), r.err))
        raise vmlive.Skip('--exact needs root (CAP_SYS_ADMIN for PFNs, and /proc/kpagecount)')
    check_unprivileged(args, check, os.getpid())
    r = vmlive.vmrank(args, '--exact', '-p', os.getpid())
    if r.status != 0:
        raise vmlive.Skip('vmrank --exact cannot run here even as root: %s' % r.err.strip())

    with vmlive.Helper([args.pagezoo, '--fork'], name='pagezoo') as h:
        parent, child = h.info['pid'], h.info.get('child')
        if not child:
            raise vmlive.Failed('pagezoo --fork reported no child: %r' % h.info)
        regions = h.info['regions']
        cow = regions['cow']
        check.eq('pagezoo cow region: present pages', COW_PAGES, cow.get('present'))

        # The zero page: what the "zero" region maps (the parent only read it).
        zero = set(region_pfns(parent, regions['zero']))
        check.eq('pagezoo zero region: one frame (the zero page)', 1, len(zero))
        zero_pfn = zero.pop()

        # Before the write: the 16 cow frames are the same in both.
        pc, cc = region_pfns(parent, cow), region_pfns(child, cow)
        check.ok(None not in pc and pc == cc,
                 'cow region before "write": expected the same 16 frames in parent and '
                 'child, got %r and %r' % (pc, cc))
        before, rest, both, kc = measure(args, check, parent, child, cow, zero_pfn,
                                         'before "write"')
        check_cow_part(check, before, rest, COW_BEFORE, 'before "write"')
        # Every frame both map counted once in the pair, the 16 cow frames among them.
        check.ok(set(pc) <= both, 'cow frames %r not all among the frames both map' % pc)
        check.eq('pair frames = parent frames + child frames - frames both map (%d, of '
                 'which %d cow), before "write"' % (len(both), COW_PAGES),
                 before['parent']['frames'] + before['child']['frames'] - len(both),
                 before['pair']['frames'])
        # The kernel's side of ONLY for the cow frames: mapped twice, by the pair.
        check.eq('kpagecount of the 16 cow frames before "write"', [2] * COW_PAGES,
                 [kc[p] for p in pc])

        send_write(h)
        pa, ca = region_pfns(parent, cow), region_pfns(child, cow)
        check.ok(pa == pc and ca[WRITTEN:] == pc[WRITTEN:]
                 and not set(ca[:WRITTEN]) & set(pc),
                 'cow region after "write": expected the child\'s pages 0..7 on new frames, '
                 'the rest unchanged; parent %r, child %r' % (pa, ca))
        after, rest_after, _, kc = measure(args, check, parent, child, cow, zero_pfn,
                                           'after "write"')
        check_cow_part(check, after, rest_after, COW_AFTER, 'after "write"')
        check.eq('kpagecount of the parent\'s 8 cow frames the child wrote over', [1] * WRITTEN,
                 [kc[p] for p in pa[:WRITTEN]])
        # The pair's FRAMES grow by the 8 pages the child wrote, plus whatever
        # the two did elsewhere meanwhile (the child runs code it had not run
        # since fork(), so it maps more of the program's file pages).
        elsewhere = rest_after['pair']['frames'] - rest['pair']['frames']
        vmlive.note('outside the cow region, the pair maps %+d frames after "write"' % elsewhere)
        check.eq('pair frames growth after the child wrote %d cow pages, less the %+d '
                 'frames elsewhere (pages)' % (WRITTEN, elsewhere), WRITTEN,
                 after['pair']['frames'] - before['pair']['frames'] - elsewhere)

        # --by program over the pair: the same group as the two PIDs given.
        r, g, fig = exact_run(args, [parent, child], '--by', 'program')
        check.eq('%s: "by"' % r.cmd(), 'program', g.get('by'))
        check.eq('%s: frames, in pages, as for the pair given by PID' % r.cmd(),
                 after['pair']['frames'], fig['frames'])
        check.eq('%s: only, in pages, as for the pair given by PID' % r.cmd(),
                 after['pair']['only'], fig['only'])
        for k in ('rss', 'pss'):
            check.ok(isinstance(g.get(k), int), '%s: expected "%s" as an integer, got %r'
                     % (r.cmd(), k, g.get(k)))

        # Two groups and -t: the total is the union of their frames, the same
        # as the four processes taken as one group.
        with vmlive.start_layout(args, '--dir', vmlive.disk_dir(args)) as lay:
            check_totals(args, check, [parent, child] + lay.pids())


def check_totals(args, check, pids):
    keys = ('frames', 'only', 'only_anon', 'only_file')
    with vmlive.stopped(pids):
        for attempt in range(5):
            r = vmlive.vmrank(args, '-J', '--exact', '-b', '-t', '--by', 'program', '-p',
                              ','.join(map(str, pids)))
            if r.status != 0:
                raise vmlive.Failed('%s: expected exit status 0' % r.describe())
            r.doc = vmlive.parse_vmrank_json(r, processes=False)
            _, _, one = exact_run(args, pids)
            _, _, again = exact_run(args, pids)
            if one == again:
                break
        else:
            raise vmlive.Failed('the frames of 4 stopped processes kept changing')
    groups, tot = r.doc.get('groups') or [], r.doc.get('totals') or {}
    check.eq('%s: groups' % r.cmd(), 2, len(groups))
    for k in keys:
        check.eq('%s: totals %s (the union), in pages, as the 4 processes as one group'
                 % (r.cmd(), k), one[k], (tot.get(k) or 0) // vmlive.PAGE)
        check.ok(tot.get(k, 0) <= sum(g.get(k) or 0 for g in groups),
                 '%s: totals %s = %r larger than the sum over the groups'
                 % (r.cmd(), k, tot.get(k)))
    for k in ('rss', 'pss'):
        check.eq('%s: totals %s = sum over the groups' % (r.cmd(), k),
                 sum(g.get(k) or 0 for g in groups), tot.get(k))
    check.eq('%s: totals "partial"' % r.cmd(), False, tot.get('partial'))


if __name__ == '__main__':
    vmlive.run_test(body, extra)
