# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: vmrank's whole-process figures for the layout helper (parent and child)
equal smaps_rollup exactly, and add up to the known layout plus the baseline."""

# What this checks, for both the layout parent and its child:
#  1. vmrank -J -p PARENT,CHILD gives exactly the figures of smaps_rollup, read
#     immediately before and after with both processes stopped (SIGSTOP).
#  2. Each layout region, found in per-VMA smaps by the address the helper
#     reported, holds exactly what the layout implies (A 16 MiB resident, B
#     nothing, F 8 MiB, C 16 MiB of which half is exclusive, ...).
#  3. vmrank's whole-process figures == baseline + layout, where the baseline is
#     the sum of the VMAs that are not layout regions (program, heap, stack,
#     vdso...).  Expected layout figures are computed from the region sizes.
#
# Rounding: smaps prints each VMA's Pss floored to a kB while smaps_rollup
# floors the exact sum once, so for pss, pss_dirty and swap_pss the baseline
# summed per VMA can fall short of the truth by less than 1 kB per VMA:
#   0 <= vmrank - (baseline + layout) < (number of baseline VMAs) kB.
# Page-granular figures (rss, uss, anonymous, swap, private/shared) are exact.
# Pss_Anon/Pss_File/Pss_Shmem exist only in the rollup, so for them only the
# layout's part is exact: baseline part in [0, baseline bytes of that kind].

import os
import pwd

import vmlive
from vmlive import KIB

EXACT = ['rss', 'uss', 'private_clean', 'private_dirty', 'shared_clean', 'shared_dirty',
         'anonymous', 'swap', 'locked', 'referenced']
ROUNDED = ['pss', 'pss_dirty', 'swap_pss']


def region_expectations(info):
    """What each region's VMA should show, per process, from the layout sizes.
    Swap in S is what the kernel really did (measured), the rest is arithmetic."""
    reg = info['regions']
    shmem = info['file_shmem']
    exp = {'parent': {}, 'child': {}}

    def anon_exclusive(size, swapped=0):
        res = size - swapped
        return {'rss': res, 'pss': res, 'uss': res, 'private_clean': 0, 'private_dirty': res,
                'shared_clean': 0, 'shared_dirty': 0, 'anonymous': res, 'swap': swapped,
                'swap_pss': swapped, 'pss_dirty': res, 'pss_anon': res, 'pss_file': 0,
                'pss_shmem': 0, 'locked': 0}

    if 'A' in reg:
        exp['parent']['A'] = anon_exclusive(reg['A']['size'])
    if 'B' in reg:
        exp['parent']['B'] = anon_exclusive(0)
    if 'F' in reg:
        f = reg['F']['size']
        # Read-only private file mapping, mapped by us alone: exclusive pages.
        # A disk file was fdatasync'ed, so clean; a tmpfs file is shmem, dirty.
        exp['parent']['F'] = {'rss': f, 'pss': f, 'uss': f, 'anonymous': 0, 'swap': 0,
                              'swap_pss': 0, 'shared_clean': 0, 'shared_dirty': 0,
                              'private_clean': 0 if shmem else f,
                              'private_dirty': f if shmem else 0,
                              'pss_dirty': f if shmem else 0, 'pss_anon': 0,
                              'pss_file': 0 if shmem else f, 'pss_shmem': f if shmem else 0,
                              'locked': 0}
    if 'S' in reg:
        exp['parent']['S'] = None  # filled in from the measured swap
    if 'C' in reg:
        c = reg['C']['size']
        w = info['cow_rewrite']
        shared = c - w
        # The child rewrote the first w bytes: its copies are its own, and the
        # parent's originals are mapped once again.  The rest is mapped by both.
        pss = w + shared // 2
        cow = {'rss': c, 'pss': pss, 'uss': w, 'private_clean': 0, 'private_dirty': w,
               'shared_clean': 0, 'shared_dirty': shared, 'anonymous': c, 'swap': 0,
               'swap_pss': 0, 'pss_dirty': pss, 'pss_anon': pss, 'pss_file': 0,
               'pss_shmem': 0, 'locked': 0}
        exp['parent']['C'] = cow
        exp['child']['C'] = dict(cow)
    return exp


def vma_figures(vma):
    c = vma['c']
    out = vmlive.figures_from_counters(c)
    return out


def locate(check, who, vmas, info, names):
    """Map region name -> its VMA (exact start and end), or fail."""
    found = {}
    for name in names:
        r = info['regions'][name]
        start, end = int(r['start'], 16), int(r['end'], 16)
        hits = [v for v in vmas if v['start'] == start and v['end'] == end]
        if check.ok(len(hits) == 1, '%s: region %s [%#x-%#x) is not exactly one VMA in smaps '
                    '(split, merged or missing)' % (who, name, start, end)):
            found[name] = hits[0]
    return found


def check_process(check, who, pid, info, region_exp, rollup, vmas, row):
    # 1. vmrank == smaps_rollup, exactly.
    vmlive.check_figures(check, '%s pid %d: vmrank vs smaps_rollup' % (who, pid),
                         vmlive.figures_from_counters(rollup), row)

    # 2. Each layout region holds what the layout implies.
    found = locate(check, who, vmas, info, region_exp.keys())
    layout = {}
    for name, vma in found.items():
        got = vma_figures(vma)
        exp = region_exp[name]
        if name == 'S':
            s = info['regions']['S']['size']
            sw = got.get('swap', 0)
            check.eq('%s region S: Rss + Swap (every page resident or in swap)' % who,
                     s, got.get('rss', 0) + sw)
            check.eq('%s region S: swap bytes seen by the helper itself vs now' % who,
                     info['swap_pages'] * info['page_size'], sw)
            exp = {'rss': s - sw, 'pss': s - sw, 'uss': s - sw, 'private_clean': 0,
                   'private_dirty': s - sw, 'shared_clean': 0, 'shared_dirty': 0,
                   'anonymous': s - sw, 'swap': sw, 'swap_pss': sw, 'pss_dirty': s - sw,
                   'pss_anon': s - sw, 'pss_file': 0, 'pss_shmem': 0, 'locked': 0}
            region_exp[name] = exp
        for k in EXACT + ROUNDED:
            if k in exp and k in got:
                check.eq('%s region %s (smaps) %s' % (who, name, k), exp[k], got[k])
        layout[name] = exp

    # 3. vmrank's whole-process figures == baseline + layout.
    region_vmas = {id(v) for v in found.values()}
    base_vmas = [v for v in vmas if id(v) not in region_vmas]
    baseline = vmlive.sum_figures([vma_figures(v) for v in base_vmas])
    lay = vmlive.sum_figures(list(layout.values()),
                             keys=EXACT + ROUNDED + ['pss_anon', 'pss_file', 'pss_shmem'])
    vmlive.note('%s pid %d: %d baseline VMAs: rss %s, pss %s; layout rss %s, pss %s'
                % (who, pid, len(base_vmas), vmlive.human(baseline.get('rss', 0)),
                   vmlive.human(baseline.get('pss', 0)), vmlive.human(lay.get('rss', 0)),
                   vmlive.human(lay.get('pss', 0))))
    for k in EXACT:
        if k == 'referenced':
            continue  # not a layout property (the kernel ages it); exact in step 1
        check.eq('%s pid %d: vmrank %s == baseline %s + layout %s'
                 % (who, pid, k, baseline.get(k, 0), lay.get(k, 0)),
                 baseline.get(k, 0) + lay.get(k, 0), row.get(k))
    slack = len(base_vmas) * KIB
    for k in ROUNDED:
        want = baseline.get(k, 0) + lay.get(k, 0)
        got = row.get(k)
        check.ok(isinstance(got, int) and want <= got < want + max(slack, 1),
                 '%s pid %d: vmrank %s: expected baseline %d + layout %d = %d, up to %d bytes '
                 'more (per-VMA kB rounding), got %r'
                 % (who, pid, k, baseline.get(k, 0), lay.get(k, 0), want, slack - 1, got))
    anon_b = baseline.get('anonymous', 0)
    other_b = baseline.get('rss', 0) - anon_b
    for k, bound in (('pss_anon', anon_b), ('pss_file', other_b), ('pss_shmem', other_b)):
        want = lay.get(k, 0)
        got = row.get(k)
        check.ok(isinstance(got, int) and want <= got <= want + bound,
                 '%s pid %d: vmrank %s: expected layout %d plus a baseline part in [0, %d], '
                 'got %r' % (who, pid, k, want, bound, got))


def body(args, check):
    if args.fs == 'tmpfs':
        d = vmlive.tmpfs_dir()
    else:
        d = vmlive.disk_dir(args)
    with vmlive.start_layout(args, '--dir', d) as h:
        info = h.info
        parent, child = info['pid'], info['child']
        check.eq('layout file on tmpfs (file_shmem)', args.fs == 'tmpfs', info['file_shmem'])
        for name, r in info['regions'].items():
            check.ok(r['self']['vma_found'], 'helper could not find its own region %s' % name)
        exp = region_expectations(info)

        def read(pid):
            return (vmlive.read_rollup(pid), vmlive.read_smaps(pid), vmlive.read_stat(pid),
                    vmlive.read_text('/proc/%d/oom_score' % pid),
                    vmlive.read_text('/proc/%d/oom_score_adj' % pid))

        views, r = vmlive.measure(args, [parent, child], ['-p', '%d,%d' % (parent, child)],
                                  read=read)
        rows = vmlive.rows_by_pid(r.doc)
        check.eq('vmrank exit status', 0, r.status)
        check.eq('pids listed by vmrank -p %d,%d' % (parent, child), sorted([parent, child]),
                 sorted(p for p in rows))
        for who, pid in (('parent', parent), ('child', child)):
            row = rows.get(pid)
            if row is None:
                continue
            check.eq('%s pid %d: ppid' % (who, pid),
                     parent if who == 'child' else vmlive.read_stat(parent)['ppid'],
                     row.get('ppid'))
            check.eq('%s pid %d: state while stopped' % (who, pid), 'T', row.get('state'))
            rollup, vmas, stat, oom_score, oom_adj = views[pid]
            # The identity and /proc/PID/stat figures of a stopped process.
            for key, want in (('uid', os.geteuid()), ('user', pwd.getpwuid(os.geteuid()).pw_name),
                              ('comm', stat['comm'].decode()),
                              ('cmdline', ' '.join([args.layout, '--dir', d])),
                              ('vsz', stat['vsz']), ('minflt', stat['minflt']),
                              ('majflt', stat['majflt']), ('oom_score', int(oom_score)),
                              ('oom_score_adj', int(oom_adj))):
                check.eq('%s pid %d: %s' % (who, pid, key), want, row.get(key, '<missing>'))
            check_process(check, who, pid, info, exp[who], rollup, vmas, row)


def extra(p):
    p.add_argument('--fs', choices=['disk', 'tmpfs'], default='disk',
                   help='where layout puts the file behind region F')


if __name__ == '__main__':
    vmlive.run_test(body, extra)
