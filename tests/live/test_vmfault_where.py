# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: vmfault --where attributes a helper's faults to the mapping it touches (>= 90%)."""

# faultzoo rate faults 2000 times a second, all in one anonymous region of
# its own [region_start, region_end).  With --where:
#   -p PID -i 1 -c 3 --json: in samples 1 and 2 the mapping (pid, start =
#            region_start) holds >= 90% of the interval's minor faults (of
#            "where" and of the process's own MINFLT growth), no major one;
#   COMMAND: the same over the run, against the count the helper printed.
# As root both run again with helper and vmfault as nobody (perf events on
# one's own process are allowed up to kernel.perf_event_paranoid 2; only
# user-space faults are sampled there, which is all this helper has).
# Refusals, as root, run as nobody:
#   kernel.perf_event_paranoid=3 (set for the test, restored in finally:):
#            where the kernel refuses (Debian's patch: 3 = no perf for users;
#            faultzoo perf-probe tells), exit 1 and a message naming
#            perf_event_paranoid; an upstream kernel treats 3 like 2 and
#            vmfault must then simply work.
#   another user's process (root's): exit 1 and a message naming
#            CAP_SYS_PTRACE (perf_event_open needs ptrace access to it).

import json
import os

import vmlive
import vmfaultlive as vf

RATE = 2000


def check_share(check, what, where, pid, start, expected):
    """The mapping at start holds >= 90% of where's minor faults and of expected."""
    if not check.ok(isinstance(where, dict), '%s: no "where" object: %r' % (what, where)):
        return
    m = vf.find_mapping(where, pid, start)
    if not check.ok(m is not None, '%s: no mapping with pid %d start %s in %r'
                    % (what, pid, hex(start), where)):
        return
    total = where.get('minflt')
    got = m.get('minflt')
    if where.get('lost'):
        vmlive.note('%s: %s samples lost' % (what, where.get('lost')))
    if not check.ok(vf.is_num(total) and vf.is_num(got),
                    '%s: minflt not numbers: where %r mapping %r' % (what, total, got)):
        return
    check.ok(total > 0 and got >= 0.9 * total,
             '%s: the region has %d of %d minor faults, expected >= 90%%' % (what, got, total))
    check.ok(got >= 0.9 * expected,
             '%s: the region has %d minor faults, the process made about %d: expected >= 90%%'
             % (what, got, expected))
    check.eq('%s: major faults in the region' % what, 0, m.get('majflt'))
    check.ok('mapping' in m and 'kind' in m,
             '%s: a mapping entry should have "mapping" and "kind": %r' % (what, m))
    pct = m.get('minflt_pct')
    if total:
        check.ok(vf.is_num(pct) and abs(pct - 100.0 * got / total) < 0.6,
                 '%s: minflt_pct %r, expected %.1f' % (what, pct, 100.0 * got / total))


def part_pid(args, check, user):
    with vf.faultzoo(args, 'rate', '--rate', RATE, '--pages', 256, user=user) as h:
        start = int(h.info['region_start'], 16)
        r = vf.vmfault(args, '--where', '-p', h.pid, '-i', 1, '-c', 3, '--json', user=user)
        what = '%s (as %s)' % (r.cmd(), vf.who(user))
        if not check.eq('%s: exit status' % what, 0, r.status):
            vmlive.note(r.describe())
            return
        docs = vf.parse_ndjson(check, r, what)
        vf.check_sample_shape(check, docs, what, count=3, interval=1.0)
        for i, d in enumerate(docs[1:], 1):
            row = vf.one_row(check, d, h.pid, '%s sample %d' % (what, i))
            iv = d.get('interval')
            expected = RATE * (iv if vf.is_num(iv) else 1.0)
            if row and vf.is_num(row.get('minflt_rate')) and vf.is_num(iv):
                expected = row['minflt_rate'] * iv
            check_share(check, '%s sample %d' % (what, i), d.get('where'), h.pid, start,
                        expected)


def part_command(args, check, user):
    r = vf.vmfault(args, '--where', '--json', '--', args.faultzoo, 'rate', '--rate', RATE,
                   '--pages', 256, '--seconds', 2, '--ignore-stdin', user=user)
    what = '%s (as %s)' % (r.cmd(), vf.who(user))
    if not check.eq('%s: exit status' % what, 0, r.status):
        vmlive.note(r.describe())
        return
    lines = [l for l in r.out.decode().splitlines() if l.startswith('{')]
    if not check.eq('%s: the helper\'s two JSON lines on stdout' % what, 2, len(lines)):
        return
    info, done = json.loads(lines[0]), json.loads(lines[1])
    doc = vf.parse_report(check, r.err, what)
    if doc is None:
        return
    check_share(check, '%s: run.where' % what, doc['run'].get('where'), info['pid'],
                int(info['region_start'], 16), done['faults'])


def part_refusals(args, check):
    with vf.sysctl('kernel/perf_event_paranoid', 3):
        probe = vf.perf_probe(args, user='nobody')
        with vf.faultzoo(args, 'rate', '--rate', 200, '--pages', 64, user='nobody') as h:
            r = vf.vmfault(args, '--where', '-p', h.pid, '-i', 0.5, '-c', 2, '--json',
                           user='nobody')
            what = '%s (as nobody, perf_event_paranoid 3)' % r.cmd()
            if probe.get('ok'):
                vmlive.note('this kernel lets users open perf events at perf_event_paranoid 3 '
                            '(upstream semantics; Debian\'s patch refuses): the refusal '
                            'message cannot be provoked this way; vmfault must simply work')
                check.eq('%s: exit status' % what, 0, r.status)
            else:
                check.eq('%s: exit status' % what, 1, r.status)
                check.ok('perf_event_paranoid is 3' in r.err and 'vmfault: --where' in r.err,
                         '%s: expected "vmfault: --where: perf_event_open: ...: '
                         'kernel.perf_event_paranoid is 3; ...", got %r' % (what, r.err))
                check.eq('%s: stdout' % what, b'', r.out)
        r = vf.vmfault(args, '--where', '--json', '--', args.faultzoo, 'exit-rusage',
                       '--pages', 10, user='nobody')
        what = '%s (as nobody, perf_event_paranoid 3)' % r.cmd()
        if probe.get('ok'):
            check.eq('%s: exit status' % what, 0, r.status)
        else:
            check.eq('%s: exit status' % what, 1, r.status)
            check.ok('perf_event_paranoid' in r.err,
                     '%s: expected a message naming perf_event_paranoid, got %r' % (what, r.err))
    # Another user's process: perf_event_open needs ptrace access to it.
    with vf.faultzoo(args, 'idle') as h:
        probe = vf.perf_probe(args, pid=h.pid, user='nobody')
        r = vf.vmfault(args, '--where', '-p', h.pid, '-i', 0.5, '-c', 2, '--json',
                       user='nobody')
        what = '%s (as nobody, pid %d is root\'s)' % (r.cmd(), h.pid)
        if probe.get('ok'):
            vmlive.note('nobody may open perf events on a root process here?!')
        else:
            check.ok(r.status in (1, 3), '%s: exit status %d, expected 1 (--where refused)'
                     % (what, r.status))
            if r.status == 3:
                vmlive.note('%s: exit status 3 (partial), where the spec\'s --where refusal '
                            'says 1' % what)
            check.ok('CAP_SYS_PTRACE' in r.err,
                     '%s: expected a message naming CAP_SYS_PTRACE ("needs the same user or '
                     'CAP_SYS_PTRACE"), got %r' % (what, r.err))


def body(args, check):
    for user in vf.users():
        probe = vf.perf_probe(args, user=user)
        if not probe.get('ok'):
            # As an ordinary user where the kernel refuses perf events: the
            # refusal itself is what to check.
            r = vf.vmfault(args, '--where', '--', args.faultzoo, 'exit-rusage', user=user)
            what = '%s (as %s; perf_event_open: %s)' % (r.cmd(), vf.who(user), probe)
            check.eq('%s: exit status' % what, 1, r.status)
            check.ok('vmfault: --where: perf_event_open:' in r.err,
                     '%s: expected "vmfault: --where: perf_event_open: ...", got %r'
                     % (what, r.err))
            continue
        part_pid(args, check, user)
        part_command(args, check, user)
    if os.geteuid() == 0:
        part_refusals(args, check)
    else:
        vmlive.note('not root: the perf_event_paranoid refusal is not tried')


if __name__ == '__main__':
    vf.run_test(body)
