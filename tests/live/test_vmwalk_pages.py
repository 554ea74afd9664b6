# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: vmwalk on pagezoo: exact page states per region, COW frames before and after a
write, swap slots against /proc/swaps, hidden PFNs for an unprivileged reader, --pfn."""

# pagezoo (tests/helpers/pagezoo.c) builds regions whose pages are in known
# states and prints them as JSON.  Parts (--part):
#   main   as root: pagezoo --fork --thp --guard --file; for every region the
#          range summary (present, huge, none, guard, swapped, zero, file) is
#          what pagezoo did, and the same with --method read and --method scan;
#          single pages explained (present with a PFN, never touched, guard,
#          THP 2 MiB); the COW region has the same PFNs in parent and child
#          before "write", new PFNs and the exclusive bit in the child after,
#          --shared-with counts 16 then 8 pages there, --pfn finds both
#          processes for a shared frame and only the child for a written one.
#          Then an unprivileged run (pagezoo and vmwalk as nobody): exact
#          counts, every PFN "hidden" (JSON null), never 0; --pfn refused.
#          As an ordinary user only the unprivileged half runs.
#   swap   pagezoo --swap on the active swap, or (root) a swap file of our
#          own, removed after: the swapped pages counted exactly, each slot
#          inside the device /proc/swaps lists at the type's position.
#          SKIP when there is no swap or nothing went to it.

import json
import os
import re
import selectors
import subprocess
import time

import vmlive
from vmlive import Failed, Skip


def more_args(p):
    p.add_argument('--vmwalk', required=True, help='the built vmwalk')
    p.add_argument('--pagezoo', required=True, help='tests/helpers/pagezoo')
    p.add_argument('--part', choices=['main', 'swap'], default='main')


class Result:
    def __init__(self, argv, p):
        self.argv = argv
        self.status = p.returncode
        self.out = p.stdout.decode('utf-8', 'replace')
        self.err = p.stderr.decode('utf-8', 'replace')
        self.doc = None

    def describe(self):
        return '%s: exit %d, stderr %r' % (' '.join(self.argv), self.status, self.err[:400])


def vmwalk(args, *options, user=None):
    argv = [args.vmwalk] + [str(o) for o in options]
    if user == 'nobody':
        argv = vmlive.NOBODY + argv
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return Result(argv, p)


def vmwalk_json(check, args, *options, user=None):
    """vmwalk -J ...: the document, or None after a failure was recorded."""
    r = vmwalk(args, '-J', *options, user=user)
    if not check.eq('%s: exit status' % ' '.join(r.argv), 0, r.status):
        vmlive.note(r.describe())
        return None
    try:
        r.doc = json.loads(r.out)
    except ValueError as e:
        check.fail('%s: invalid JSON: %s' % (' '.join(r.argv), e))
        return None
    return r.doc


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


def span(reg):
    return int(reg['start'], 16), int(reg['end'], 16)


def rng(reg):
    s, e = span(reg)
    return '%x-%x' % (s, e)


def pages_of(summary, key):
    v = summary.get(key)
    return None if v is None else v.get('pages')


# ---------------------------------------------------------------------------


def check_summary(check, what, doc, reg, name, in_child=False):
    """The range summary of one region against what pagezoo did."""
    s = doc.get('summary') or {}
    npages = (span(reg)[1] - span(reg)[0]) // vmlive.PAGE
    present, none = reg['present'], reg['none']
    if in_child and name in ('zero', 'file'):
        present, none = 0, npages  # fork() copies no page table for these
    huge = pages_of(s, 'present_huge')
    got_present = (pages_of(s, 'present') or 0) + (huge or 0)
    check.eq('%s: present pages (4 KiB + huge)' % what, present, got_present)
    check.eq('%s: not present pages' % what, none, pages_of(s, 'none'))
    check.eq('%s: swapped pages' % what, reg['swapped'], pages_of(s, 'swapped'))
    check.eq('%s: guard pages' % what, reg['guard'] or 0, pages_of(s, 'guard'))
    check.eq('%s: unknown pages' % what, 0, pages_of(s, 'unknown'))
    check.eq('%s: total pages' % what, npages, pages_of(s, 'total'))
    if huge is not None:
        check.eq('%s: present huge pages (what the helper got)' % what,
                 reg['thp_pages'] if not (in_child and name in ('zero', 'file')) else 0, huge)
    if pages_of(s, 'file') is not None:
        check.eq('%s: file pages' % what, present if name == 'file' else 0, pages_of(s, 'file'))
    if pages_of(s, 'zero') is not None:
        check.eq('%s: zero-page pages' % what, present if name == 'zero' else 0,
                 pages_of(s, 'zero'))
    return s


def part_regions(args, check, h, pid, in_child, scan_ok):
    regions = h.info['regions']
    for name, reg in sorted(regions.items()):
        what = 'vmwalk -J %d %s (%s%s)' % (pid, rng(reg), name, ', child' if in_child else '')
        docs = {}
        for method in ('auto', 'read', 'scan'):
            if method == 'scan' and not scan_ok:
                continue
            doc = vmwalk_json(check, args, '--method', method, pid, rng(reg))
            if doc is None:
                continue
            check_summary(check, '%s --method %s' % (what, method), doc, reg, name, in_child)
            docs[method] = doc
        if 'read' in docs and 'scan' in docs:
            check.eq('%s: --method scan and --method read: the same summary' % what,
                     docs['read'].get('summary'), docs['scan'].get('summary'))
            check.eq('%s: --method scan and --method read: the same runs' % what,
                     docs['read'].get('runs'), docs['scan'].get('runs'))


def part_single_pages(args, check, h, privileged):
    pid = h.pid
    regions = h.info['regions']
    t0 = span(regions['touched'])[0]
    page = vmlive.PAGE
    # page 0 of "touched": written
    doc = vmwalk_json(check, args, pid, '%x' % (t0 + 0x123))
    if doc:
        what = 'vmwalk -J %d %x (touched page 0)' % (pid, t0 + 0x123)
        check.eq('%s: state' % what, 'present', doc.get('state'))
        check.eq('%s: page' % what, hex(t0), doc.get('page'))
        check.eq('%s: page_offset' % what, '0x123', doc.get('page_offset'))
        if privileged:
            pfn = doc.get('pfn')
            check.ok(isinstance(pfn, str) and int(pfn, 16) > 0,
                     '%s: expected a PFN, got %r' % (what, pfn))
            if isinstance(pfn, str):
                check.eq('%s: physical_address' % what, hex(int(pfn, 16) * page + 0x123),
                         doc.get('physical_address'))
            check.ok(isinstance(doc.get('kpageflags'), dict) and
                     'anon' in doc['kpageflags'].get('flags', []),
                     '%s: kpageflags should list anon: %r' % (what, doc.get('kpageflags')))
    # page 40 of "touched": never touched
    r = vmwalk(args, pid, '%x' % (t0 + 40 * page))
    what = 'vmwalk %d %x (touched page 40)' % (pid, t0 + 40 * page)
    check.eq('%s: exit status' % what, 0, r.status)
    check.ok('not present: never touched (or dropped); the first access will fault' in r.out,
             '%s: expected "never touched" text, got %r' % (what, r.out))
    check.ok('PFN ' not in r.out, '%s: a page never touched has no PFN line: %r' % (what, r.out))
    # guard page
    g = regions.get('guard')
    if g and g.get('guard'):
        a = span(g)[0] + 2 * page
        r = vmwalk(args, pid, '%x' % a)
        what = 'vmwalk %d %x (guard page 2)' % (pid, a)
        check.ok('guard region: access raises SIGSEGV; not swap' in r.out,
                 '%s: expected the guard explanation, got %r' % (what, r.out))
        doc = vmwalk_json(check, args, pid, '%x' % a)
        if doc:
            check.eq('%s: JSON state' % what, 'guard', doc.get('state'))
            check.eq('%s: JSON swap' % what, None, doc.get('swap'))
    # THP
    t = regions.get('thp')
    if t and t.get('thp_pages') == (span(t)[1] - span(t)[0]) // page:
        a = span(t)[0] + 5 * page
        doc = vmwalk_json(check, args, pid, '%x' % a)
        if doc:
            check.eq('vmwalk -J %d %x (thp): page_size' % (pid, a), 2 * 1024 * 1024,
                     doc.get('page_size'))
    elif t:
        vmlive.note('THP: the helper got %s of %d pages as huge pages: single-page size '
                    'check skipped' % (t.get('thp_pages'), (span(t)[1] - span(t)[0]) // page))
    # the vsyscall page, and an unmapped address
    r = vmwalk(args, pid, 'ffffffffff600000')
    if '[vsyscall]' in vmlive.read_text('/proc/%d/maps' % pid):
        check.eq('vmwalk %d ffffffffff600000: exit status' % pid, 0, r.status)
        check.ok('not backed by pagemap' in r.out and
                 not any(l.startswith('PFN') for l in r.out.splitlines()),
                 'vmwalk %d ffffffffff600000: expected "not backed by pagemap", got %r'
                 % (pid, r.out))
    r = vmwalk(args, pid, '0x1000')
    check.eq('vmwalk %d 0x1000: exit status' % pid, 1, r.status)
    check.ok('address 0x1000 not mapped in pid %d' % pid in r.err,
             'vmwalk %d 0x1000: expected "not mapped", got %r' % (pid, r.err))


def cow_pages(check, args, pid, reg):
    """{page index: (pfn, exclusive)} of the cow region, from --pages."""
    doc = vmwalk_json(check, args, '--pages', pid, rng(reg))
    out = {}
    if not doc:
        return out
    s0 = span(reg)[0]
    for p in doc.get('pages') or []:
        out[(int(p['address'], 16) - s0) // vmlive.PAGE] = (p.get('pfn'), 'exclusive' in
                                                            (p.get('flags') or []))
    return out


def shared_cow(check, args, pid, child, reg):
    doc = vmwalk_json(check, args, pid, '--shared-with', child)
    if not doc:
        return None
    for m in doc.get('mappings') or []:
        if m.get('start') == reg['start']:
            return m.get('shared_pages')
    return 0


def pfn_mappers(check, args, pfn):
    doc = vmwalk_json(check, args, '--pfn', pfn)
    if not doc:
        return None
    return sorted((m['pid'], m['address']) for m in doc.get('mappers') or [])


def part_cow(args, check, h):
    pid, child = h.pid, h.info['child']
    reg = h.info['regions']['cow']
    s0 = span(reg)[0]
    n = (span(reg)[1] - s0) // vmlive.PAGE
    with vmlive.stopped([pid, child]):
        par, chi = cow_pages(check, args, pid, reg), cow_pages(check, args, child, reg)
        shared = shared_cow(check, args, pid, child, reg)
    for i in range(n):
        what = 'cow page %d before write' % i
        p, c = par.get(i), chi.get(i)
        if not check.ok(p and c and p[0] and c[0], '%s: no PFN (parent %r, child %r)'
                        % (what, p, c)):
            continue
        check.eq('%s: the same PFN in parent and child' % what, p[0], c[0])
        check.eq('%s: exclusive in the parent' % what, False, p[1])
        check.eq('%s: exclusive in the child' % what, False, c[1])
    check.eq('vmwalk %d --shared-with %d: cow pages shared before write' % (pid, child), n,
             shared)
    if par.get(8) and par[8][0]:
        check.eq('vmwalk --pfn %s (cow page 8, shared)' % par[8][0],
                 sorted([(pid, hex(s0 + 8 * vmlive.PAGE)), (child, hex(s0 + 8 * vmlive.PAGE))]),
                 pfn_mappers(check, args, par[8][0]))

    tell(h, 'write', 'written')
    with vmlive.stopped([pid, child]):
        par, chi = cow_pages(check, args, pid, reg), cow_pages(check, args, child, reg)
        shared = shared_cow(check, args, pid, child, reg)
    for i in range(n):
        what = 'cow page %d after the child wrote pages 0..7' % i
        p, c = par.get(i), chi.get(i)
        if not check.ok(p and c and p[0] and c[0], '%s: no PFN (parent %r, child %r)'
                        % (what, p, c)):
            continue
        if i < 8:
            check.ok(p[0] != c[0], '%s: expected different PFNs, both are %s' % (what, p[0]))
            check.eq('%s: exclusive in the child' % what, True, c[1])
        else:
            check.eq('%s: the same PFN in parent and child' % what, p[0], c[0])
            check.eq('%s: exclusive in the child' % what, False, c[1])
    check.eq('vmwalk %d --shared-with %d: cow pages shared after write' % (pid, child), n - 8,
             shared)
    if chi.get(0) and chi[0][0]:
        check.eq('vmwalk --pfn %s (cow page 0 of the child, written)' % chi[0][0],
                 [(child, hex(s0))], pfn_mappers(check, args, chi[0][0]))


def part_unprivileged(args, check):
    # as root: pagezoo and vmwalk as nobody (pagemap is 0400: the reader must
    # be the same user); as an ordinary user, both as that user
    nobody = 'nobody' if os.geteuid() == 0 else None
    with start_pagezoo(args, '--guard', user=nobody) as h:
        pid = h.pid
        reg = h.info['regions']['touched']
        with vmlive.stopped([pid]):
            doc = vmwalk_json(check, args, pid, rng(reg), user=nobody)
            if doc:
                check_summary(check, 'unprivileged vmwalk -J %d %s (touched)' % (pid, rng(reg)),
                              doc, reg, 'touched')
            doc = vmwalk_json(check, args, '--pages', pid, rng(reg), user=nobody)
            what = 'unprivileged vmwalk -J --pages %d %s' % (pid, rng(reg))
            if doc:
                present = [p for p in doc.get('pages') or [] if p.get('state') == 'present']
                check.eq('%s: present pages' % what, reg['present'], len(present))
                for p in present:
                    check.ok(p.get('pfn') is None and p.get('pfn_hidden') is True,
                             '%s: page %s: expected "pfn": null and "pfn_hidden": true, got '
                             'pfn %r pfn_hidden %r' % (what, p.get('address'), p.get('pfn'),
                                                       p.get('pfn_hidden')))
            r = vmwalk(args, '--pages', pid, rng(reg), user=nobody)
            what = 'unprivileged vmwalk --pages %d %s' % (pid, rng(reg))
            check.eq('%s: exit status' % what, 0, r.status)
            # the --pages rows: ADDRESS STATE FLAGS ENTRY PFN
            rows = [l.split() for l in r.out.splitlines()
                    if re.match(r'^[0-9a-f]{12,16} ', l)]
            pfns = [row[4] for row in rows if len(row) == 5 and row[1] == 'present']
            check.eq('%s: PFN column of the present pages' % what, ['hidden'] * reg['present'],
                     pfns)
            a = span(reg)[0]
            r = vmwalk(args, pid, '%x' % a, user=nobody)
            what = 'unprivileged vmwalk %d %x' % (pid, a)
            check.eq('%s: exit status' % what, 0, r.status)
            check.ok('PFN hidden: needs CAP_SYS_ADMIN' in r.out,
                     '%s: expected "PFN hidden: needs CAP_SYS_ADMIN", got %r' % (what, r.out))
            pfn_lines = [l for l in r.out.splitlines() if l.startswith('PFN')]
            check.eq('%s: the PFN line' % what,
                     ['PFN hidden: needs CAP_SYS_ADMIN'],
                     [re.sub(r'^PFN\s+', '', l) for l in pfn_lines])
            check.ok(not any(l.startswith('physical address') for l in r.out.splitlines()),
                     '%s: a physical address is shown: %r' % (what, r.out))
            doc = vmwalk_json(check, args, pid, '%x' % a, user=nobody)
            if doc:
                check.eq('%s: JSON pfn' % what, None, doc.get('pfn'))
                check.eq('%s: JSON pfn_hidden' % what, True, doc.get('pfn_hidden'))
                check.eq('%s: JSON pfn_hidden_reason' % what, 'needs CAP_SYS_ADMIN',
                         doc.get('pfn_hidden_reason'))
                check.eq('%s: JSON kpageflags' % what, None, doc.get('kpageflags'))
                check.ok(isinstance(doc.get('kpageflags_unavailable'), str),
                         '%s: no kpageflags_unavailable reason' % what)
            r = vmwalk(args, '--pfn', '0x1000', user=nobody)
            check.eq('unprivileged vmwalk --pfn: exit status', 1, r.status)
            check.ok('needs CAP_SYS_ADMIN' in r.err,
                     'unprivileged vmwalk --pfn: expected "needs CAP_SYS_ADMIN", got %r' % r.err)


def scan_available(args, pid):
    r = vmwalk(args, '--method', 'scan', pid, 'ffffffffff600000')
    if r.status == 1 and 'PAGEMAP_SCAN' in r.err:
        vmlive.note('PAGEMAP_SCAN not available: --method scan not compared (%s)'
                    % r.err.strip())
        return False
    return True


def part_main(args, check):
    if os.geteuid() != 0:
        vmlive.note('not root: only the unprivileged part runs (PFNs need CAP_SYS_ADMIN)')
        part_unprivileged(args, check)
        return
    path = os.path.join(vmlive.disk_dir(args), 'vmwalk-pagezoo.data')
    with start_pagezoo(args, '--fork', '--thp', '--guard', '--file', path) as h:
        scan_ok = scan_available(args, h.pid)
        with vmlive.stopped([h.pid, h.info['child']]):
            part_regions(args, check, h, h.pid, False, scan_ok)
            part_regions(args, check, h, h.info['child'], True, scan_ok)
            part_single_pages(args, check, h, True)
        part_cow(args, check, h)
    part_unprivileged(args, check)


def part_swap(args, check):
    import test_swap  # its swap file set-up: the active swap, or a file of ours (root)

    if os.geteuid() != 0:
        raise Skip('swap slots are hidden without CAP_SYS_ADMIN: run as root')
    with test_swap.swap_available(args):
        with start_pagezoo(args, '--swap') as h:
            pid = h.pid
            reg = h.info['regions']['swapped']
            if not reg['swapped']:
                raise Skip('MADV_PAGEOUT put nothing in swap (pagezoo saw 0 swapped pages)')
            vmlive.note('pagezoo: %d of 32 pages swapped' % reg['swapped'])
            with vmlive.stopped([pid]):
                with open('/proc/swaps') as f:
                    rows = [l.split() for l in f.read().splitlines()[1:] if l.strip()]
                doc = vmwalk_json(check, args, pid, rng(reg))
                if doc:
                    check_summary(check, 'vmwalk -J %d %s (swapped)' % (pid, rng(reg)), doc,
                                  reg, 'swapped')
                doc = vmwalk_json(check, args, '--pages', pid, rng(reg))
                slots = set()
                swapped = [p for p in (doc or {}).get('pages') or []
                           if p.get('state') == 'swapped']
                check.eq('--pages: swapped pages', reg['swapped'], len(swapped))
                for p in swapped:
                    t, off = p.get('swap_type'), p.get('swap_offset')
                    what = 'swapped page %s' % p.get('address')
                    if not check.ok(isinstance(t, int) and isinstance(off, int),
                                    '%s: no swap type/offset: %r' % (what, p)):
                        continue
                    if not check.ok(t < len(rows), '%s: swap type %d but /proc/swaps has %d '
                                    'rows' % (what, t, len(rows))):
                        continue
                    size_pages = int(rows[t][2]) * 1024 // vmlive.PAGE
                    check.ok(0 < off <= size_pages, '%s: offset %d outside the %d pages of %s'
                             % (what, off, size_pages, rows[t][0]))
                    slots.add((t, off))
                check.eq('every swapped page has its own slot', len(swapped), len(slots))
                if swapped:
                    a = swapped[0]['address']
                    one = vmwalk_json(check, args, pid, a)
                    if one:
                        sw = one.get('swap') or {}
                        t = swapped[0]['swap_type']
                        check.eq('vmwalk -J %d %s: swap.device (row %d of /proc/swaps)'
                                 % (pid, a, t),
                                 rows[t][0].replace('\\040', ' ') if t < len(rows) else None,
                                 sw.get('device'))
                        check.eq('vmwalk -J %d %s: swap.offset' % (pid, a),
                                 swapped[0]['swap_offset'], sw.get('offset'))
                    r = vmwalk(args, pid, a)
                    check.ok('(by position in /proc/swaps)' in r.out,
                             'vmwalk %d %s: expected "by position in /proc/swaps": %r'
                             % (pid, a, r.out))


def body(args, check):
    if not os.access(args.vmwalk, os.X_OK):
        raise Skip('vmwalk not built: ' + args.vmwalk)
    if not os.access(args.pagezoo, os.X_OK):
        raise Skip('pagezoo not built: ' + args.pagezoo)
    if args.part == 'swap':
        part_swap(args, check)
    else:
        part_main(args, check)


if __name__ == '__main__':
    vmlive.run_test(body, more_args)
