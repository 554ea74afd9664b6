# SPDX-License-Identifier: GPL-2.0-or-later
"""Fault test C17: short reads and EIO.  With every read() of a /proc (or fixture) file
cut to 1 or 7 bytes, and every pread() of pagemap to one entry, each command's output is
the same as with whole reads; a read that fails with EIO is that target's error ("Input/
output error"), the other targets are still shown, and the exit status is 3 (1 when the
only target named failed; 0 for a whole-system scan, with a count on stderr)."""

# Live targets: victims (static, idle, no shared libraries: their figures
# hold still) with 200 mappings, so that maps and smaps take many reads even
# whole.  libproc2's reads (vmrank's process table) are left whole: it reads
# stat and status with one read(), which the kernel fills for files that
# small; the shim's VMSF_READ_SKIP_FROM says so.

import os
import tarfile

import faultlib as fl

# Fields that may change between two runs on an idle target: times, the
# measured interval, and what the kernel's page ageing changes.
VOLATILE = ('time', 'interval', 'referenced', 'pg_active', 'pg_inactive', 'pg_referenced',
            'pg_dirty', 'minflt_rate', 'majflt_rate')


def outputs_equal(check, what, ref, r):
    fl.check_clean(check, r, what)
    if not check.eq('%s: exit status' % what, ref.status, r.status):
        return
    check.eq('%s: stderr' % what, ref.err, r.err)
    try:
        a = fl.strip_volatile(fl.json_docs(ref.out), VOLATILE)
        b = fl.strip_volatile(fl.json_docs(r.out), VOLATILE)
    except ValueError:
        check.eq('%s: stdout' % what, ref.out, r.out)
        return
    check.ok(a == b, '%s: the output differs from whole reads\' at %s'
             % (what, fl.first_diff(a, b)))


def part_short_reads(args, check):
    fx = args.fixtures
    fixture_runs = [
        [args.vmrank, '--root', fx + '/basic', '-J'],
        [args.vmrank, '--root', fx + '/basic', '--by', 'mapping', '-J'],
        [args.vmmap, '--root', fx + '/basic', '-J', '20988'],
        [args.vmmap, '--root', fx + '/hostile', '-J', '4001', '4002', '4003'],
        [args.vmmap, '--root', fx + '/pages', '--pages', '-J', '20308'],
        [args.vmwalk, '--root', fx + '/pages', '-J', '20308', '0x7fca31c00000-0x7fca31c40000'],
        [args.vmfault, '--root', fx + '/faults/t0', '--root', fx + '/faults/t1', '-J'],
        [args.vmswap, '--root', fx + '/swap-multi', '-J'],
    ]
    if not fl.fixtures_readable(args, 'basic', 'hostile', 'pages', 'faults', 'swap-multi'):
        fl.note('the fixture snapshots are not readable by this user: their part is left out')
        fixture_runs = []
    for argv in fixture_runs:
        ref = fl.run(argv)
        for k in (1, 7):
            r = fl.run(argv, env=fl.shim_env(args, read_max=k, read_all=1))
            outputs_equal(check, '%s, %d-byte reads' % (r.cmd(), k), ref, r)

    with fl.victim(args) as v:
        pid = v.pid
        live_runs = [
            [args.vmmap, '-J', pid],
            [args.vmmap, '--pages', '-J', pid],
            [args.vmrank, '-J', '-p', pid],
            [args.vmrank, '-J', '--by', 'mapping', '-p', pid],
            [args.vmswap, '-J', '-p', pid],
            [args.vmwalk, '-J', '--method', 'read', pid, '%s-%s' % (v.info['first'],
                                                                   v.info['last_end'])],
            [args.vmwalk, '-J', pid, v.info['first']],
            [args.vmfault, '-J', '-i', '0.05', '-c', '2', '-p', pid],
        ]
        for argv in live_runs:
            ref = fl.run(argv)
            if not check.ok(ref.status == 0, 'normal run: %s' % ref.describe()):
                continue
            for k in (1, 7):
                r = fl.run(argv, env=fl.shim_env(args, read_max=k, read_skip_from='libproc2'))
                outputs_equal(check, '%s, %d-byte reads' % (r.cmd(), k), ref, r)
        part_vmsnap_short(args, check, v)


def snapshot_file(path, pid, name):
    with tarfile.open(path) as t:
        f = t.extractfile('proc/%d/%s' % (pid, name))
        return f.read() if f else None


def part_vmsnap_short(args, check, v):
    """A capture with 7-byte reads copies maps and smaps byte for byte."""
    with fl.tempdir(args) as d:
        whole, short = os.path.join(d, 'whole.tar'), os.path.join(d, 'short.tar')
        r1 = fl.run([args.vmsnap, '-q', '-o', whole, v.pid])
        r2 = fl.run([args.vmsnap, '-q', '-o', short, v.pid],
                    env=fl.shim_env(args, read_max=7, read_skip_from='libproc2'))
        fl.check_clean(check, r2)
        if not (check.ok(r1.status == 0, r1.describe()) and
                check.ok(r2.status == 0, r2.describe())):
            return
        for name in ('maps', 'smaps', 'status'):
            a, b = snapshot_file(whole, v.pid, name), snapshot_file(short, v.pid, name)
            if name == 'status':
                # its counters of context switches move; the lines stay
                a, b = len(a.splitlines()), len(b.splitlines())
            check.ok(a == b and a, 'vmsnap with 7-byte reads: proc/%d/%s differs from a whole '
                     'read\'s' % (v.pid, name))


# ---------------------------------------------------------------------------
# EIO


def skipped_errnos(doc):
    return {s.get('pid'): s.get('errno') for s in doc.get('skipped') or []}


def process_pids(doc, key='processes'):
    return [p.get('pid') for p in doc.get(key) or []]


def part_eio(args, check):
    with fl.victim(args) as a, fl.victim(args, '--regions', '8') as b:
        A, B = a.pid, b.pid

        def run(argv, glob, k=1):
            r = fl.run(argv, env=fl.shim_env(args, eio='%s:%d' % (glob, k)))
            fl.check_clean(check, r)
            return r

        def said(r, what='Input/output error'):
            return check.ok(what in r.err and str(A) in r.err,
                            '%s: expected "%s" for pid %d on stderr' % (r.describe(), what, A))

        rollup = '/proc/%d/smaps_rollup' % A
        smaps = '/proc/%d/smaps' % A
        pagemap = '/proc/%d/pagemap' % A

        # vmrank: the named PID whose rollup fails is skipped, with its errno
        r = run([args.vmrank, '-J', '-p', '%d,%d' % (A, B)], rollup)
        check.eq('%s: exit status' % r.cmd(), 3, r.status)
        said(r)
        if r.status == 3:
            doc = r.json()
            check.eq('%s: processes' % r.cmd(), [B], process_pids(doc))
            check.eq('%s: skipped errno' % r.cmd(), {A: 'EIO'}, skipped_errnos(doc))
        r = run([args.vmrank, '-r', '-n', '-o', 'pid', '-p', A], rollup)
        check.eq('%s: exit status (the only PID named)' % r.cmd(), 1, r.status)
        said(r)
        r = run([args.vmrank, '-r', '-n', '-o', 'pid'], rollup)
        check.eq('%s: exit status (all processes)' % r.cmd(), 0, r.status)
        pids = [int(x) for x in r.out.split()]
        check.ok(A not in pids and B in pids, '%s: pid %d listed or %d missing' % (r.cmd(), A, B))
        check.ok('could not be read' in r.err, '%s: expected a count of the unreadable: %s'
                 % (r.cmd(), r.describe()))
        # --by mapping reads smaps too: its failure is the process's, by its name
        r = run([args.vmrank, '-J', '--by', 'mapping', '-p', '%d,%d' % (A, B)], smaps, 3)
        check.eq('%s: exit status' % r.cmd(), 3, r.status)
        check.ok('cannot read smaps: Input/output error' in r.err, '%s: expected "cannot read '
                 'smaps: Input/output error"' % r.describe())

        # vmmap: at the first read the process is skipped; in the middle, its list is partial
        r = run([args.vmmap, '-J', A, B], smaps, 1)
        check.eq('%s: exit status' % r.cmd(), 3, r.status)
        said(r)
        if r.status == 3:
            doc = r.json()
            check.eq('%s: processes' % r.cmd(), [B], process_pids(doc))
            check.eq('%s: skipped errno' % r.cmd(), {A: 'EIO'}, skipped_errnos(doc))
        whole = fl.run([args.vmmap, '-J', A])
        r = run([args.vmmap, '-J', A, B], smaps, 3)
        check.eq('%s: exit status (EIO in the middle)' % r.cmd(), 3, r.status)
        check.ok('the list above is partial' in r.err, '%s: expected "the list above is '
                 'partial"' % r.describe())
        if r.status == 3 and whole.status == 0:
            procs = {p['pid']: p for p in r.json()['processes']}
            n_whole = len(whole.json()['processes'][0]['mappings'])
            pa = procs.get(A, {})
            check.eq('%s: pid %d "partial"' % (r.cmd(), A), True, pa.get('partial'))
            check.ok(0 < len(pa.get('mappings', [])) < n_whole,
                     '%s: pid %d: %d mappings, expected some of its %d'
                     % (r.cmd(), A, len(pa.get('mappings', [])), n_whole))
            check.ok(not procs.get(B, {}).get('partial'), '%s: pid %d marked partial'
                     % (r.cmd(), B))
        r = run([args.vmmap, A], smaps, 1)
        check.eq('%s: exit status (the only PID named)' % r.cmd(), 1, r.status)
        r = run([args.vmmap, '--pages', '-J', A, B], pagemap, 1)
        check.eq('%s: exit status (pagemap EIO)' % r.cmd(), 3, r.status)
        said(r)
        if r.status == 3:
            procs = {p['pid']: p for p in r.json()['processes']}
            check.eq('%s: pid %d "partial"' % (r.cmd(), A), True, procs.get(A, {}).get('partial'))

        # vmwalk: one target, so exit 1
        r = run([args.vmwalk, '--method', 'read', A, '%s-%s' % (a.info['first'],
                                                                a.info['last_end'])], pagemap)
        check.eq('%s: exit status' % r.cmd(), 1, r.status)
        said(r)

        # vmswap and vmfault: the named PID that fails is said, exit 3
        r = run([args.vmswap, '-J', '-p', '%d,%d' % (A, B)], rollup)
        check.eq('%s: exit status' % r.cmd(), 3, r.status)
        said(r)
        r = run([args.vmfault, '-p', '%d,%d' % (A, B), '-i', '0.1', '-c', '2', '-J'],
                '/proc/%d/stat' % A)
        check.eq('%s: exit status' % r.cmd(), 3, r.status)
        said(r)
        if r.status == 3:
            for i, doc in enumerate(fl.json_docs(r.out)):
                check.ok(B in process_pids(doc), '%s: sample %d lacks pid %d' % (r.cmd(), i, B))

        # vmsnap: the snapshot is written; the process is said to lack its memory files
        with fl.tempdir(args) as d:
            out = os.path.join(d, 's.tar')
            r = run([args.vmsnap, '-q', '-o', out, A, B], smaps, 3)
            check.eq('%s: exit status' % r.cmd(), 3, r.status)
            said(r)
            if r.status == 3:
                with tarfile.open(out) as t:
                    names = set(t.getnames())
                check.ok('proc/%d/smaps' % B in names, '%s: pid %d\'s smaps not captured'
                         % (r.cmd(), B))
                check.ok('proc/%d/smaps' % A not in names, '%s: pid %d\'s smaps captured '
                         'despite the read error' % (r.cmd(), A))

        # vmrank --exact (root: frame numbers): the group is partial, by the real reason
        if os.geteuid() == 0:
            r = run([args.vmrank, '--exact', '--by', 'user', '-J', '-p', '%d,%d' % (A, B)],
                    pagemap)
            check.eq('%s: exit status' % r.cmd(), 3, r.status)
            check.ok('page walk: Input/output error' in r.err, '%s: expected "page walk: '
                     'Input/output error"' % r.describe())
        else:
            fl.note('vmrank --exact left out: it needs root')


def body(args, check):
    part_short_reads(args, check)
    part_eio(args, check)


if __name__ == '__main__':
    fl.run_test(body)
