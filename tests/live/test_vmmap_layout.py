# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: vmmap -J on the layout helper (parent and child): each region's kind
and exact figures, and every mapping equal to /proc/PID/smaps, totals included."""

# With both processes stopped (SIGSTOP) and smaps read just before and just
# after the run (retried until both reads agree), `vmmap -J PARENT CHILD` must:
#  1. list exactly the VMAs of each process's smaps, in address order, each
#     with the same header fields, every smaps figure under its snake_case
#     name (a key the kernel did not print is absent), uss, dirty and VmFlags;
#  2. have totals equal to the sums of those VMAs (and, for the page-granular
#     figures, to smaps_rollup);
#  3. show each layout region as one mapping of the right kind with the figures
#     the layout implies:
#       A  anon, 16 MiB written:          rss = pss = uss = 16 MiB
#       B  anon, never touched:           all 0
#       F  file (kept, --keep-file), 8 MiB read from a disk file: rss = pss = uss = 8 MiB
#       S  anon, 8 MiB written, the first half given to MADV_PAGEOUT:
#          swap = what the helper saw in swap, rss = 8 MiB - swap (needs swap:
#          a swap file is set up as in test_swap.py when root; otherwise SKIP)
#       C  anon, 16 MiB, the child rewrote the first half: in each process
#          rss 16 MiB, uss 8 MiB, pss 8 MiB + 8 MiB / 2 (the shared half counts
#          half to each process)
#       H  anon, 4 MiB MADV_HUGEPAGE: anon_huge_pages as the helper saw it

import contextlib
import os

import vmlive
import vmmaplive
from vmlive import MIB, Skip
from vmmaplive import Failed

SIZES = {'A': 16 * MIB, 'B': 16 * MIB, 'F': 8 * MIB, 'S': 8 * MIB, 'C': 16 * MIB,
         'H': 4 * MIB}
# The figures the brief asks for, per region.
FIGS = ['rss', 'pss', 'uss', 'swap', 'anon_huge_pages']
# page-granular: smaps_rollup and the per-VMA sum agree exactly
ROLLUP_EXACT = {'Rss': 'rss', 'Shared_Clean': 'shared_clean', 'Shared_Dirty': 'shared_dirty',
                'Private_Clean': 'private_clean', 'Private_Dirty': 'private_dirty',
                'Anonymous': 'anonymous', 'Swap': 'swap', 'AnonHugePages': 'anon_huge_pages',
                'Locked': 'locked'}


@contextlib.contextmanager
def maybe_swap(args):
    """Swap on (the system's, or a swap file as test_swap.py sets up), or a
    reason why not: yields None or the reason."""
    import test_swap  # the same directory; its body runs only as a script
    try:
        cm = test_swap.swap_available(args)
        cm.__enter__()
    except Skip as e:
        yield str(e)
        return
    try:
        yield None
    finally:
        cm.__exit__(None, None, None)


def expectations(info):
    reg = info['regions']
    page = info['page_size']
    out = {'parent': {}, 'child': {}}
    a = reg['A']['size']
    out['parent']['A'] = {'kind': 'anon', 'rss': a, 'pss': a, 'uss': a, 'swap': 0,
                          'anon_huge_pages': 0}
    out['parent']['B'] = {'kind': 'anon', 'rss': 0, 'pss': 0, 'uss': 0, 'swap': 0,
                          'anon_huge_pages': 0}
    f = reg['F']['size']
    out['parent']['F'] = {'kind': 'file', 'rss': f, 'pss': f, 'uss': f, 'swap': 0,
                          'anon_huge_pages': 0}
    s = reg['S']['size']
    sw = info['swap_pages'] * page
    out['parent']['S'] = {'kind': 'anon', 'rss': s - sw, 'pss': s - sw, 'uss': s - sw,
                          'swap': sw, 'anon_huge_pages': 0}
    c, w = reg['C']['size'], info['cow_rewrite']
    cow = {'kind': 'anon', 'rss': c, 'pss': w + (c - w) // 2, 'uss': w, 'swap': 0,
           'anon_huge_pages': 0}
    out['parent']['C'] = cow
    out['child']['C'] = dict(cow)
    h = reg['H']['size']
    out['parent']['H'] = {'kind': 'anon', 'rss': h, 'pss': h, 'uss': h, 'swap': 0,
                          'anon_huge_pages': reg['H']['self']['anon_huge_pages']}
    return out


def body(args, check):
    d = vmlive.disk_dir(args)
    with maybe_swap(args) as no_swap:
        if no_swap:
            vmmaplive.skip_part('region S (swap)', no_swap)
        h = vmlive.start_layout(args, '--dir', d, '--keep-file',
                                *['--%s=%d' % (o, SIZES[n]) for o, n in
                                  (('anon', 'A'), ('untouched', 'B'), ('file', 'F'),
                                   ('swap', 'S'), ('cow', 'C'), ('huge', 'H'))])
        try:
            run_checks(args, check, h.info, no_swap)
        finally:
            h.close()
            if h.info.get('file'):
                with contextlib.suppress(OSError):
                    os.unlink(h.info['file'])


def run_checks(args, check, info, no_swap):
    parent, child = info['pid'], info['child']
    reg = info['regions']
    for name, r in reg.items():
        check.ok(r['self']['vma_found'], 'layout could not find its own region %s' % name)
    s_skip = no_swap
    if not s_skip and info['swap_pages'] == 0:
        s_skip = 'MADV_PAGEOUT put nothing of region S in swap (the helper saw Swap: 0 kB)'
        vmmaplive.skip_part('region S (swap)', s_skip)
    if reg['H']['self']['anon_huge_pages'] == 0:
        thp = '/sys/kernel/mm/transparent_hugepage/enabled'
        mode = open(thp).read().strip() if os.path.exists(thp) else 'not available'
        vmlive.note('region H got no transparent huge page (THP: %s): its anon_huge_pages '
                    'is checked as 0' % mode)

    rollups = {}

    def run():
        for p in (parent, child):
            rollups[p] = vmlive.read_rollup(p)
        return vmmaplive.vmmap_json(args, parent, child)

    smaps, r = vmmaplive.measure([parent, child], run)
    what = 'vmmap -J %d %d' % (parent, child)
    check.eq('%s: exit status' % what, 0, r.status)
    check.eq('%s: processes, in the order given' % what, [parent, child],
             [p.get('pid') for p in r.doc['processes']])
    exp = expectations(info)
    for who, pid in (('parent', parent), ('child', child)):
        pw = '%s (%s %d)' % (what, who, pid)
        maps = vmmaplive.mappings_of(r, pid)
        proc = vmmaplive.process(r.doc, pid)
        check.eq('%s: ppid' % pw, parent if who == 'child' else vmlive.read_stat(parent)['ppid'],
                 proc.get('ppid'))
        check.eq('%s: uid' % pw, os.geteuid(), proc.get('uid'))

        # 1. every mapping == smaps
        vmmaplive.compare_process(check, pw, smaps[pid], maps)
        # 2. totals == sums, and == smaps_rollup for page-granular figures
        totals = proc.get('totals')
        vmmaplive.compare_totals(check, pw, smaps[pid], totals)
        if isinstance(totals, dict):
            for key, name in ROLLUP_EXACT.items():
                if key in rollups[pid]:
                    check.eq('%s: totals.%s == smaps_rollup %s' % (pw, name, key),
                             rollups[pid][key], totals.get(name))
        # 3. the regions
        for name, e in exp[who].items():
            rg = reg[name]
            start, end = int(rg['start'], 16), int(rg['end'], 16)
            m = vmmaplive.exact(maps, start, end)
            if not check.ok(m is not None, '%s: region %s [%#x-%#x) is not exactly one '
                            'mapping' % (pw, name, start, end)):
                continue
            check.eq('%s: region %s kind' % (pw, name), e['kind'], m.get('kind'))
            if name == 'F':
                check.eq('%s: region F mapping' % pw, info['file'], m.get('mapping'))
                check.eq('%s: region F deleted' % pw, False, m.get('deleted'))
            elif 'mapping' in m:
                check.ok(m.get('mapping') in ('', '[anon:vmscope-layout-%s]' % name),
                         '%s: region %s: anonymous, expected mapping "" (or its '
                         '[anon:] name), got %r' % (pw, name, m.get('mapping')))
            for k in FIGS:
                if name == 'S' and s_skip and k in ('rss', 'pss', 'uss', 'swap'):
                    continue
                check.eq('%s: region %s %s' % (pw, name, k), e[k], m.get(k))
            if name == 'S' and not s_skip:
                check.ok(m.get('swap', 0) > 0, '%s: region S: expected swap > 0' % pw)
                check.eq('%s: region S swap_pss (one owner)' % pw, e['swap'], m.get('swap_pss'))
                check.eq('%s: region S rss + swap' % pw, rg['size'],
                         (m.get('rss') or 0) + (m.get('swap') or 0))


if __name__ == '__main__':
    vmmaplive.run_test(body)
