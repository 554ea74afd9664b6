# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: vmmap --pages counts exactly the pages pagezoo put in each state."""

# pagezoo (tests/helpers/pagezoo.c) builds regions whose pages are in known
# states and prints them as JSON.  Parts (--part):
#   main   as root: pagezoo --fork --thp --guard --file, vmmap -J --pages on the
#          parent and the child: present, none, guard, THP (what the helper
#          got), zero, file, exclusive before and after the child writes the
#          "cow" region, the kpageflags split present; and an unprivileged
#          run (helper and vmmap as nobody): the PFN-based columns are n/a
#          (JSON null with a reason), never 0, the rest exact.  As an
#          ordinary user, only the unprivileged half runs (as that user).
#   swap   pagezoo --swap on the active swap, or (root) on a swap file of our
#          own, removed after: the swapped region counts exactly what the
#          helper saw in its own pagemap.  SKIP when there is no swap.

import os
import re
import selectors
import time

import vmlive
import vmmaplive
from vmlive import Failed, Skip

PG_KEYS = ['present', 'swapped', 'file', 'exclusive', 'soft_dirty', 'thp', 'guard', 'none',
           'unknown', 'active', 'inactive', 'referenced', 'dirty', 'ksm', 'zero']
LRU_KEYS = ['active', 'inactive', 'referenced', 'dirty', 'ksm']
# --pages text headers, in the default order
HEADERS = ['ADDRESS', 'PERM', 'KIND', 'SIZE', 'RSS', 'PRESENT', 'SWAPPED', 'FILE', 'EXCL',
           'SDIRTY', 'THP', 'GUARD', 'NONE', 'ACTIVE', 'INACTIVE', 'REFERENCED', 'DIRTY', 'KSM',
           'ZERO', 'MAPPING']


def more_args(p):
    p.add_argument('--pagezoo', required=True, help='tests/helpers/pagezoo')
    p.add_argument('--part', choices=['main', 'swap'], default='main')


def start_pagezoo(args, *options, user=None):
    return vmlive.Helper([args.pagezoo] + list(options), user=user, name='pagezoo')


def tell(h, command, answer, timeout=30):
    """Send a command line to pagezoo and wait for its answer line."""
    h.proc.stdin.write(command.encode() + b'\n')
    h.proc.stdin.flush()
    fd = h.proc.stdout.fileno()
    sel = selectors.DefaultSelector()
    sel.register(fd, selectors.EVENT_READ)
    buf = b''
    deadline = time.monotonic() + timeout
    try:
        while answer.encode() + b'\n' not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                raise Failed('pagezoo: no "%s" within %d s after "%s" (got %r)'
                             % (answer, timeout, command, buf))
            chunk = os.read(fd, 4096)
            if not chunk:
                raise Failed('pagezoo exited after "%s"' % command)
            buf += chunk
    finally:
        sel.close()


def pages_json(args, pids, user=None):
    """vmmap -J --pages on pids (stopped meanwhile): {pid: process object}."""
    with vmlive.stopped(pids):
        r = vmmaplive.vmmap_json(args, '--pages', *pids, user=user)
    return {p: vmmaplive.process(r.doc, p) for p in pids}, r


def region_mapping(check, what, proc, reg):
    start, end = int(reg['start'], 16), int(reg['end'], 16)
    m = vmmaplive.exact(proc.get('mappings') or [], start, end)
    check.ok(m is not None, '%s: no mapping exactly %x-%x (the region should be one VMA)'
             % (what, start, end))
    return m


def check_pages_shape(check, what, proc, m):
    """Every key there; an int >= 0, or null with a reason (in the mapping or the process)."""
    pages = m.get('pages')
    if not check.ok(isinstance(pages, dict), '%s: no "pages" object: %r' % (what, pages)):
        return None
    why = dict(proc.get('pages_unavailable') or {})
    why.update(m.get('pages_unavailable') or {})
    for k in PG_KEYS:
        if not check.ok(k in pages, '%s: pages has no "%s"' % (what, k)):
            continue
        v = pages[k]
        if v is None:
            check.ok(isinstance(why.get(k), str) and why[k],
                     '%s: pages.%s is null without a reason in pages_unavailable' % (what, k))
        else:
            check.ok(isinstance(v, int) and not isinstance(v, bool) and v >= 0,
                     '%s: pages.%s: expected a count, got %r' % (what, k, v))
    return pages


def check_region(check, what, proc, reg, name, privileged, in_child=False):
    m = region_mapping(check, what, proc, reg)
    if m is None:
        return None
    pages = check_pages_shape(check, what, proc, m)
    if pages is None:
        return None
    npages = (int(reg['end'], 16) - int(reg['start'], 16)) // vmlive.PAGE
    # What pagezoo knows it did (its comment: in the child, "zero" and
    # "file" are not present: fork() copies no page table for them).
    present = reg['present']
    none = reg['none']
    if in_child and name in ('zero', 'file'):
        present, none = 0, npages
    check.eq('%s: pages.present' % what, present, pages.get('present'))
    check.eq('%s: pages.none' % what, none, pages.get('none'))
    check.eq('%s: pages.swapped' % what, reg['swapped'], pages.get('swapped'))
    check.eq('%s: pages.unknown' % what, 0, pages.get('unknown'))
    if reg.get('guard') is None:
        vmlive.note('%s: the kernel refused MADV_GUARD_INSTALL: no guard pages' % what)
        check.eq('%s: pages.guard (no guard region)' % what, 0, pages.get('guard'))
    else:
        check.eq('%s: pages.guard' % what, reg['guard'], pages.get('guard'))
    check.eq('%s: present + swapped + guard + none == pages of the mapping' % what, npages,
             sum(pages.get(k) or 0 for k in ('present', 'swapped', 'guard', 'none')))
    if pages.get('thp') is not None:
        check.eq('%s: pages.thp (what the helper got: AnonHugePages)' % what,
                 reg['thp_pages'], pages['thp'])
    if name == 'file':
        check.eq('%s: pages.file (every present page is of the file)' % what, present,
                 pages.get('file'))
    else:
        check.eq('%s: pages.file (anonymous memory)' % what, 0, pages.get('file'))
    if pages.get('zero') is not None:
        check.eq('%s: pages.zero' % what, present if name == 'zero' else 0, pages['zero'])
    if privileged:
        for k in LRU_KEYS + ['zero']:
            check.ok(isinstance(pages.get(k), int),
                     '%s: pages.%s: as root the page flags are readable, got %r (%s)'
                     % (what, k, pages.get(k), (proc.get('pages_unavailable') or {}).get(k)))
        if isinstance(pages.get('active'), int) and isinstance(pages.get('inactive'), int):
            check.ok(pages['active'] + pages['inactive'] <= present,
                     '%s: active %d + inactive %d exceed the %d present pages'
                     % (what, pages['active'], pages['inactive'], present))
        for k in ('referenced', 'dirty', 'ksm'):
            if isinstance(pages.get(k), int):
                check.ok(pages[k] <= present, '%s: pages.%s %d > present %d'
                         % (what, k, pages[k], present))
    return pages


def check_all(check, who, proc, info, privileged, in_child=False, skip=()):
    out = {}
    if not check.ok(proc is not None, '%s: not in vmmap\'s output' % who):
        return out
    check.eq('%s: page_size' % who, vmlive.PAGE, proc.get('page_size'))
    for name, reg in sorted(info['regions'].items()):
        if name in skip:
            continue
        out[name] = check_region(check, '%s: region %s' % (who, name), proc, reg, name,
                                 privileged, in_child)
    return out


def exclusive(check, what, pages, want):
    if pages is None:
        return
    check.eq('%s: pages.exclusive' % what, want, pages.get('exclusive'))


# ---------------------------------------------------------------------------


def part_root(args, check):
    path = os.path.join(vmlive.disk_dir(args), 'vmscope-pagezoo-%d.data' % os.getpid())
    try:
        with start_pagezoo(args, '--fork', '--thp', '--guard', '--file', path) as h:
            info = h.info
            pid, child = info['pid'], info['child']
            if not check.ok(isinstance(child, int), 'pagezoo --fork: no child: %r' % child):
                return
            if info['regions']['thp']['thp_pages'] == 0:
                vmlive.note('THP: the helper got no huge page (thp_pages 0): checked as 0')
            procs, r = pages_json(args, [pid, child])
            check.ok('n/a' not in r.err, 'as root, vmmap said something is n/a: %s'
                     % r.err.strip())
            par = check_all(check, 'root: parent %d' % pid, procs[pid], info, True)
            kid = check_all(check, 'root: child %d' % child, procs[child], info, True,
                            in_child=True)
            # fork(): every anonymous page the parent had is shared until written
            for name in ('touched', 'sparse', 'thp', 'guard', 'cow', 'zero'):
                exclusive(check, 'root: parent, region %s after fork' % name, par.get(name), 0)
                exclusive(check, 'root: child, region %s after fork' % name, kid.get(name), 0)
            tp = procs[pid].get('totals', {}).get('pages') or {}
            maps = procs[pid].get('mappings') or []
            for k in ('present', 'none', 'guard', 'swapped', 'thp', 'active'):
                want = sum((m.get('pages') or {}).get(k) or 0 for m in maps)
                check.eq('root: parent totals.pages.%s == sum over mappings' % k, want,
                         tp.get(k))

            tell(h, 'write', 'written')
            procs, r = pages_json(args, [pid, child])
            cow = info['regions']['cow']
            pc = check_region(check, 'root: parent, cow after the child wrote 0..7',
                              procs[pid], cow, 'cow', True)
            cc = check_region(check, 'root: child, cow after it wrote 0..7', procs[child],
                              cow, 'cow', True, in_child=True)
            # the child got copies of pages 0..7, its own; the parent's 0..7 are
            # now its own too; 8..15 stay shared
            exclusive(check, 'root: child, cow after its write', cc, 8)
            exclusive(check, 'root: parent, cow after the child\'s write', pc, 8)
            touched = check_region(check, 'root: child, touched after the cow write',
                                   procs[child], info['regions']['touched'], 'touched', True,
                                   in_child=True)
            exclusive(check, 'root: child, touched (not written)', touched, 0)

            # text: the columns, the counts in the row of a region, the totals row
            with vmlive.stopped([pid]):
                t = vmmaplive.vmmap(args, '--pages', pid)
            check.eq('root: `%s` exit status' % t.cmd(), 0, t.status)
            text_row(check, 'root: text', t, info['regions']['touched'],
                     {'PRESENT': '32', 'NONE': '32', 'SWAPPED': '0', 'GUARD': '0'})
    finally:
        if os.path.lexists(path):
            os.unlink(path)


def text_row(check, what, r, reg, want):
    out = r.out.decode('utf-8', 'replace')
    lines = out.splitlines()
    if not check.ok(lines and lines[0].split() == HEADERS,
                    '%s: header: expected %s, got %r' % (what, ' '.join(HEADERS),
                                                         lines[0] if lines else '')):
        return None
    start, end = int(reg['start'], 16), int(reg['end'], 16)
    row = None
    for line in lines[1:]:
        toks = line.split()
        if toks and vmmaplive.parse_table_address(toks[0]) == (start, end):
            # SIZE and RSS are "N unit" (two words): read from the right
            row = dict(zip(HEADERS[::-1], toks[::-1]))
    if not check.ok(row is not None, '%s: no row for %x-%x' % (what, start, end)):
        return None
    for k, v in want.items():
        check.eq('%s: %s of %x-%x' % (what, k, start, end), v, row.get(k))
    check.ok(any(line.split() and line.split()[-1] == 'total' for line in lines),
             '%s: no totals row' % what)
    return row


def part_unprivileged(args, check, user):
    who = 'nobody' if user else 'user %d' % os.geteuid()
    with start_pagezoo(args, '--fork', '--thp', '--guard', user=user) as h:
        info = h.info
        pid, child = info['pid'], info['child']
        procs, r = pages_json(args, [pid, child], user=user)
        par = check_all(check, '%s: parent %d' % (who, pid), procs[pid], info, False)
        check_all(check, '%s: child %d' % (who, child), procs[child], info, False,
                  in_child=True)
        exclusive(check, '%s: parent, cow after fork' % who, par.get('cow'), 0)
        # What needs the PFNs cannot be known: null with a reason, never 0.
        why = procs[pid].get('pages_unavailable') or {}
        for name, pages in par.items():
            if pages is None:
                continue
            for k in LRU_KEYS:
                check.ok(pages.get(k) is None,
                         '%s: region %s: pages.%s: without CAP_SYS_ADMIN the PFNs are '
                         'hidden, so it cannot be known: expected null, got %r'
                         % (who, name, k, pages.get(k)))
        for k in LRU_KEYS:
            check.ok('CAP_SYS_ADMIN' in (why.get(k) or ''),
                     '%s: pages_unavailable.%s should say it needs CAP_SYS_ADMIN, got %r'
                     % (who, k, why.get(k)))
        tot = procs[pid].get('totals', {}).get('pages') or {}
        for k in LRU_KEYS:
            check.ok(k in tot and tot[k] is None, '%s: totals.pages.%s: expected null, got %r'
                     % (who, k, tot.get(k, '<missing>')))
        # stderr says it once, with the reason
        said = [line for line in r.err.splitlines() if 'pg_active' in line]
        check.eq('%s: stderr lines naming pg_active (once)' % who, 1, len(said))
        check.ok(said and 'n/a' in said[0] and 'CAP_SYS_ADMIN' in said[0],
                 '%s: stderr should say the page flags are n/a and why: %r' % (who, r.err))

        with vmlive.stopped([pid]):
            t = vmmaplive.vmmap(args, '--pages', pid, user=user)
        check.eq('%s: `%s` exit status' % (who, t.cmd()), 0, t.status)
        row = text_row(check, '%s: text' % who, t, info['regions']['touched'],
                       {'PRESENT': '32', 'NONE': '32', 'ACTIVE': 'n/a', 'INACTIVE': 'n/a',
                        'REFERENCED': 'n/a', 'DIRTY': 'n/a', 'KSM': 'n/a'})
        if row is not None:
            check.ok(not re.search(r'\b0\b', ' '.join(row.get(k.upper(), '') for k in LRU_KEYS)),
                     '%s: an LRU column shows 0 without the PFNs' % who)


def part_main(args, check):
    if os.geteuid() == 0:
        part_root(args, check)
        part_unprivileged(args, check, 'nobody')
    else:
        vmlive.note('not root: the kpageflags half is not checked; running as this user')
        part_unprivileged(args, check, None)


def part_swap(args, check):
    import test_swap  # its swap file set-up: active swap, or a file of ours (root)

    with test_swap.swap_available(args):
        with start_pagezoo(args, '--swap') as h:
            info = h.info
            reg = info['regions']['swapped']
            if reg['swapped'] == 0:
                raise Skip('MADV_PAGEOUT put nothing of region "swapped" in swap '
                           '(pagezoo saw no swap entry in its own pagemap)')
            vmlive.note('pagezoo reports %d of 32 pages in swap' % reg['swapped'])
            procs, r = pages_json(args, [info['pid']])
            proc = procs[info['pid']]
            if not check.ok(proc is not None, 'swap: pid not in the output'):
                return
            check_region(check, 'swap: region swapped', proc, reg, 'swapped',
                         os.geteuid() == 0)
            m = region_mapping(check, 'swap: smaps', proc, reg)
            if m is not None:
                check.eq('swap: pages.swapped * page size == smaps Swap',
                         m.get('swap'), (m.get('pages') or {}).get('swapped', 0) * vmlive.PAGE)


def body(args, check):
    if args.part == 'swap':
        part_swap(args, check)
    else:
        part_main(args, check)


if __name__ == '__main__':
    vmmaplive.run_test(body, more_args)
