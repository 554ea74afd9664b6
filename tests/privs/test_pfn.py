# SPDX-License-Identifier: GPL-2.0-or-later
"""Hazards C11 and I5: an unprivileged user gets no PFN from any command, by any path.
vmwalk says "PFN hidden: needs CAP_SYS_ADMIN" (text), "pfn": null with "pfn_hidden": true
(JSON), never 0; vmmap --pages shows the kpageflags columns as "n/a"; --pfn,
--shared-with and --exact are refused with the reason; a snapshot taken by the user
carries no PFN either; a snapshot taken by root is 0600 (a 0700 directory) and cannot
be read by the user.  In the root run, the real PFNs of the target's pages (read by root
from pagemap) appear in none of the user's outputs."""

import json
import os
import re
import shutil
import stat
import struct

import privs
from privs import Skip, note

HIDDEN = 'PFN hidden: needs CAP_SYS_ADMIN'
PAGES = 16


def real_pfns(pid, start, n):
    """The PFNs of n pages from start, as root reads them from pagemap (0: none)."""
    out = set()
    with open('/proc/%d/pagemap' % pid, 'rb') as f:
        f.seek((start // privs.PAGE) * 8)
        data = f.read(8 * n)
    for (e,) in struct.iter_unpack('<Q', data):
        if e >> 63 & 1:
            pfn = e & ((1 << 55) - 1)
            if pfn:
                out.add(pfn)
    return out


class Outputs:
    """Every output the unprivileged side was given, to look for PFNs in at the end."""

    def __init__(self):
        self.all = []

    def run(self, argv, **kw):
        r = privs.run(argv, unprivileged=True, **kw)
        self.all.append((r.argv, r.out + r.err.encode()))
        return r


def json_of(check, what, r):
    try:
        return json.loads(r.out.decode('utf-8'))
    except ValueError as e:
        check.fail('%s: not JSON (%s): %s' % (what, e, r.describe()))
        return None


def part_vmwalk(check, cmds, outs, t, who):
    pid, addr = t.pid, t.info['anon']
    vmwalk = cmds['vmwalk']
    what = 'vmwalk %d %s (as %s)' % (pid, addr, who)
    r = outs.run([vmwalk, pid, addr])
    check.eq('%s: exit status' % what, 0, r.status)
    check.ok(re.search(r'^PFN\s+' + re.escape(HIDDEN) + '$', r.text, re.M) is not None,
             '%s: expected a line "PFN  %s": %r' % (what, HIDDEN, r.text[:1500]))
    for key in ('kpageflags', 'mapcount'):
        check.ok(re.search(r'^%s\s+n/a \(the PFN is hidden: needs CAP_SYS_ADMIN\)$' % key,
                           r.text, re.M) is not None,
                 '%s: expected "%s  n/a (the PFN is hidden: ...)": %r'
                 % (what, key, r.text[:1500]))

    what = 'vmwalk -J %d %s (as %s)' % (pid, addr, who)
    r = outs.run([vmwalk, '-J', pid, addr])
    doc = json_of(check, what, r)
    if doc is not None:
        check.eq('%s: state' % what, 'present', doc.get('state'))
        check.ok('pfn' in doc and doc['pfn'] is None, '%s: "pfn" should be null, got %r'
                 % (what, doc.get('pfn', 'absent')))
        check.eq('%s: pfn_hidden' % what, True, doc.get('pfn_hidden'))
        check.eq('%s: physical_address' % what, None, doc.get('physical_address', 'absent'))
        check.eq('%s: kpageflags' % what, None, doc.get('kpageflags', 'absent'))

    rng = '%s+0x%x' % (addr, PAGES * privs.PAGE)
    what = 'vmwalk -J --pages %d %s (as %s)' % (pid, rng, who)
    r = outs.run([vmwalk, '-J', '--pages', pid, rng])
    doc = json_of(check, what, r)
    if doc is not None:
        pages = doc.get('pages') or []
        check.eq('%s: pages' % what, PAGES, len(pages))
        bad = [p for p in pages if p.get('pfn', 0) is not None or p.get('pfn_hidden') is not True]
        check.eq('%s: pages without "pfn": null and "pfn_hidden": true' % what, [], bad[:3])

    what = 'vmwalk --pages -o address,state,pfn %d %s (as %s)' % (pid, rng, who)
    r = outs.run([vmwalk, '--pages', '-o', 'address,state,pfn', pid, rng])
    rows = [l.split() for l in r.text.splitlines()
            if re.match(r'^[0-9a-f]{8,}\s+present\s', l)]
    check.eq('%s: present pages listed' % what, PAGES, len(rows))
    check.eq('%s: PFN column' % what, ['hidden'] * len(rows), [x[-1] for x in rows])

    for argv, why in (([vmwalk, '--pfn', '0x1000'], '--pfn'),
                      ([vmwalk, pid, '--shared-with', pid], '--shared-with')):
        what = '%s (as %s)' % (' '.join(str(a) for a in argv[1:]), who)
        r = outs.run(argv)
        check.ok(r.status in (1, 2), '%s: should be refused: %s' % (what, r.describe()))
        check.ok(why in r.err and 'needs CAP_SYS_ADMIN' in r.err,
                 '%s: the refusal should say why: %r' % (what, r.err))
        check.eq('%s: stdout' % what, b'', r.out)


def part_others(check, cmds, outs, t, who):
    pid, addr = t.pid, t.info['anon']
    if 'vmmap' in cmds:
        rng = '%s,%s' % (addr, '0x%x' % (int(addr, 16) + PAGES * privs.PAGE))
        what = 'vmmap --pages -A %s %d (as %s)' % (rng, pid, who)
        r = outs.run([cmds['vmmap'], '--pages', '-A', rng, '-o',
                      'address,pg_present,pg_active,pg_dirty,pg_ksm', pid])
        check.eq('%s: exit status' % what, 0, r.status)
        check.ok('n/a' in r.err and 'CAP_SYS_ADMIN' in r.err,
                 '%s: stderr should say the page flags are n/a and why: %r' % (what, r.err))
        rows = [l.split() for l in r.text.splitlines() if re.match(r'^[0-9a-f]+-', l)]
        check.ok(rows and all(x[2:5] == ['n/a'] * 3 for x in rows),
                 '%s: ACTIVE, DIRTY, KSM should be n/a: %r' % (what, r.text[:800]))
        r = outs.run([cmds['vmmap'], '--pages', '-J', '-A', rng, pid])
        doc = json_of(check, what + ' -J', r)
        if doc is not None:
            maps = [m for p in doc.get('processes', []) for m in p.get('mappings', [])]
            pg = [m.get('pages') or {} for m in maps]
            check.ok(pg and all(p.get(k, 0) is None for p in pg
                                for k in ('active', 'inactive', 'referenced', 'dirty', 'ksm')),
                     '%s -J: "pages" active, inactive, referenced, dirty, ksm should be null: %r'
                     % (what, pg[:2]))
    for c, opt in (('vmrank', '--exact'), ('vmswap', '--exact')):
        if c not in cmds:
            continue
        what = '%s %s (as %s)' % (c, opt, who)
        r = outs.run([cmds[c], opt])
        check.eq('%s: exit status' % what, 1, r.status)
        check.ok('needs CAP_SYS_ADMIN' in r.err, '%s: the refusal should say why: %r'
                 % (what, r.err))


def part_snapshot(check, cmds, outs, t, who, d):
    """A snapshot with --pages taken by the user: its pagemap copy holds no PFN, and
    read back (by the user, and by root) the PFN is hidden, never 0."""
    if 'vmsnap' not in cmds:
        return
    snap = os.path.join(d, 'snap-user')
    what = 'vmsnap --pages -o SNAP %d (as %s)' % (t.pid, who)
    r = outs.run([cmds['vmsnap'], '-q', '--pages', '-o', snap, t.pid])
    check.eq('%s: exit status' % what, 0, r.status)
    readers = [(True, who)] + ([(False, 'root')] if privs.ROOT else [])
    for unpriv, reader in readers:
        what = 'vmwalk -J --root SNAP %d %s, a snapshot of %s, read by %s' % (
            t.pid, t.info['anon'], who, reader)
        argv = [cmds['vmwalk'], '-J', '--root', snap, t.pid, t.info['anon']]
        r = outs.run(argv) if unpriv else privs.run(argv)
        doc = json_of(check, what, r)
        if doc is not None:
            check.eq('%s: state' % what, 'present', doc.get('state'))
            check.ok('pfn' in doc and doc['pfn'] is None, '%s: "pfn" should be null, not %r'
                     % (what, doc.get('pfn', 'absent')))
            check.eq('%s: pfn_hidden' % what, True, doc.get('pfn_hidden'))


def part_root_snapshot(check, cmds, outs, d, who):
    """Root's snapshot holds PFNs: 0600 files in a 0700 directory (or a 0600 archive),
    which the user cannot read."""
    if 'vmsnap' not in cmds:
        return
    with privs.Target('--dir', d, '--anon', str(PAGES)) as t:
        for name in ('snap-root', 'snap-root.tar'):
            snap = os.path.join(d, name)
            what = 'vmsnap --pages -o %s %d (as root)' % (name, t.pid)
            # umask 0: the modes must not come from it (hazard B8)
            old = os.umask(0)
            try:
                r = privs.run([cmds['vmsnap'], '-q', '--pages', '-o', snap, t.pid])
            finally:
                os.umask(old)
            check.eq('%s: exit status' % what, 0, r.status)
            if not os.path.exists(snap):
                continue
            bad = []
            for root, dirs, files in os.walk(snap) if os.path.isdir(snap) else [('', [], [snap])]:
                if root:
                    m = stat.S_IMODE(os.lstat(root).st_mode)
                    if m & 0o077:
                        bad.append('%s %o' % (root, m))
                for f in files:
                    p = os.path.join(root, f)
                    m = stat.S_IMODE(os.lstat(p).st_mode)
                    if m & 0o077:
                        bad.append('%s %o' % (p, m))
            check.eq('%s: files or directories others may read' % what, [], bad[:5])
            for c, argv in (('vmwalk', ['--root', snap, t.pid, t.info['anon']]),
                            ('vmrank', ['--root', snap])):
                if c not in cmds:
                    continue
                w = '%s %s (as %s)' % (c, ' '.join(str(a) for a in argv), who)
                r = outs.run([cmds[c]] + argv)
                check.eq('%s: exit status' % w, 1, r.status)
                check.ok('Permission denied' in r.err, '%s: should say why: %r' % (w, r.err))
                check.eq('%s: stdout' % w, b'', r.out)


def body(args, check):
    cmds = privs.commands(args)
    if 'vmwalk' not in cmds:
        raise Skip('vmwalk is not built')
    if os.geteuid() != 0 and os.access('/proc/kpageflags', os.R_OK):
        raise Skip('this user may read /proc/kpageflags: it is not unprivileged')
    who = privs.unpriv_name()
    outs = Outputs()
    d = privs.scratch('vms-pfn.', 0o777)
    try:
        with privs.Target('--dir', d, '--anon', str(PAGES), unprivileged=True) as t:
            pfns = real_pfns(t.pid, int(t.info['anon'], 16), PAGES) if privs.ROOT else set()
            part_vmwalk(check, cmds, outs, t, who)
            part_others(check, cmds, outs, t, who)
            part_snapshot(check, cmds, outs, t, who, d)
            if privs.ROOT:
                pfns |= real_pfns(t.pid, int(t.info['anon'], 16), PAGES)
        if privs.ROOT:
            part_root_snapshot(check, cmds, outs, d, who)
            check.ok(pfns, 'root read no PFN of the target from pagemap')
            leaks = []
            for argv, data in outs.all:
                text = data.decode('utf-8', 'replace').lower()
                for pfn in pfns:
                    for form in ('0x%x' % pfn, '%x' % pfn):
                        if re.search(r'(?<![0-9a-fx])%s(?![0-9a-f])' % form, text):
                            leaks.append('%s: PFN 0x%x' % (' '.join(argv[-4:]), pfn))
            check.eq('a real PFN of the target in an output of %s' % who, [], leaks[:5])
            note('%d outputs of %s searched for %d real PFNs' % (len(outs.all), who, len(pfns)))
        else:
            note('as %s: the real PFNs cannot be known, the outputs are checked by their form'
                 % who)
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == '__main__':
    privs.run_test(body)
