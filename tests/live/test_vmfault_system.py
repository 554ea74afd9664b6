# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: vmfault's system view: NDJSON samples, /proc/vmstat totals, rates, the process list."""

# `vmfault -i 0.5 -c 3 --json`, /proc/vmstat read just before and just after:
#   three lines, each one complete vmscope/1 object, samples 0 1 2;
#   sample 0: every vmstat counter in "system" lies between the before and
#   after values (workingset_refault = _anon + _file), "rates" null, and
#   every process rate null; later samples: "rates" with a value >= 0 for
#   each counter, pgfault's rate bounded by the growth of pgfault over the
#   whole run divided by the interval; the counters never decrease;
#   processes sorted by MINFLT/s (the default sort), at most 10 (-N default).
# Also: -N 3 lists at most 3, -N 0 lists every user process that lived
# through the run, the helper (2000 faults/s) among them at its rate;
# --format openmetrics prints one exposition ending "# EOF";
# usage errors (exit 2): -T, --where and --tlb without -p or a COMMAND,
# --format openmetrics with -i or -c.  As root all of it again as nobody.

import os
import re

import vmlive
import vmfaultlive as vf

KEYS = ['pgfault', 'pgmajfault', 'pswpin', 'pswpout', 'thp_fault_alloc', 'thp_fault_fallback']


def vmstat_value(v, key):
    if key == 'workingset_refault' and key not in v:
        if 'workingset_refault_anon' in v:
            return v['workingset_refault_anon'] + v.get('workingset_refault_file', 0)
    return v.get(key)


def part_json(args, check, user):
    before = vf.read_vmstat()
    r = vf.vmfault(args, '-i', 0.5, '-c', 3, '--json', user=user)
    after = vf.read_vmstat()
    what = '%s (as %s)' % (r.cmd(), vf.who(user))
    if not check.eq('%s: exit status' % what, 0, r.status):
        vmlive.note(r.describe())
        return
    docs = vf.parse_ndjson(check, r, what)
    vf.check_sample_shape(check, docs, what, count=3, interval=0.5)
    vf.check_no_absurd_rates(check, docs, what)
    if len(docs) != 3:
        return
    systems = [d.get('system') for d in docs]
    if not check.ok(all(isinstance(s, dict) for s in systems),
                    '%s: a sample without a "system" object' % what):
        return
    keys = [k for k in systems[0] if k != 'rates']
    for k in KEYS:
        check.ok(k in keys, '%s: sample 0: "system" lacks %s: %r' % (what, k, keys))
    # The refault counters by the kernel's own names: one, or anon and file.
    check.ok('workingset_refault' in keys or
             ('workingset_refault_anon' in keys and 'workingset_refault_file' in keys),
             '%s: sample 0: "system" lacks workingset_refault(_anon/_file): %r' % (what, keys))
    for k in keys:
        lo, hi = vmstat_value(before, k), vmstat_value(after, k)
        got = systems[0][k]
        if lo is None:
            check.ok(got is None, '%s: system.%s = %r, but /proc/vmstat has no %s'
                     % (what, k, got, k))
            continue
        check.ok(vf.is_num(got) and lo <= got <= hi,
                 '%s: sample 0: system.%s = %r, /proc/vmstat said %d before and %d after'
                 % (what, k, got, lo, hi))
        vals = [s.get(k) for s in systems]
        check.ok(all(vf.is_num(x) for x in vals) and vals == sorted(vals) and vals[-1] <= hi,
                 '%s: system.%s over the samples %r: expected non-decreasing, <= %d'
                 % (what, k, vals, hi))
    check.eq('%s: sample 0: system.rates' % what, None, systems[0].get('rates'))
    for i, (d, s) in enumerate(zip(docs[1:], systems[1:]), 1):
        rates = s.get('rates')
        if not check.ok(isinstance(rates, dict), '%s sample %d: system.rates %r'
                        % (what, i, rates)):
            continue
        for k in keys:
            x = rates.get(k, '<missing>')
            check.ok(vf.is_num(x) and x >= 0, '%s sample %d: system.rates.%s = %r, expected '
                     '>= 0' % (what, i, k, x))
        iv = d.get('interval')
        x = rates.get('pgfault')
        if vf.is_num(x) and vf.is_num(iv):
            grown = after['pgfault'] - before['pgfault']
            check.ok(x * iv <= grown * 1.1 + 1,
                     '%s sample %d: pgfault rate %r x %r s exceeds the growth %d of the whole '
                     'run' % (what, i, x, iv, grown))
            prev = systems[i - 1].get('pgfault')
            if vf.is_num(prev) and vf.is_num(s.get('pgfault')):
                delta = s['pgfault'] - prev
                check.ok(abs(x * iv - delta) <= 0.05 * delta + 2,
                         '%s sample %d: pgfault rate %r x interval %r != the growth %d of '
                         'system.pgfault' % (what, i, x, iv, delta))
    for i, d in enumerate(docs):
        procs = vf.rows(d)
        check.ok(len(procs) <= 10, '%s sample %d: %d processes listed, the default -N is 10'
                 % (what, i, len(procs)))
        key = 'minflt' if i == 0 else 'minflt_rate'
        vals = [p.get(key) for p in procs]
        check.ok(all(vf.is_num(v) for v in vals) and vals == sorted(vals, reverse=True),
                 '%s sample %d: processes not sorted by %s: %r' % (what, i, key, vals))


def live_processes():
    """PID -> start time (stat field 22) of every user process in /proc now."""
    out = {}
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % name) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(')') + 2:].split()
        if int(fields[6]) & 0x00200000:
            continue  # PF_KTHREAD: kernel threads are not listed
        out[int(name)] = fields[19]
    return out


def part_top(args, check, user):
    with vf.faultzoo(args, 'rate', '--rate', 2000, '--pages', 256, user=user) as h:
        r = vf.vmfault(args, '-i', 0.5, '-c', 2, '-N', 3, '--json', user=user)
        what = '%s (as %s)' % (r.cmd(), vf.who(user))
        check.eq('%s: exit status' % what, 0, r.status)
        docs = vf.parse_ndjson(check, r, what)
        for i, d in enumerate(docs):
            check.ok(len(vf.rows(d)) <= 3, '%s sample %d: %d processes, expected <= 3'
                     % (what, i, len(vf.rows(d))))
        if len(docs) == 2:
            # Other processes may fault faster (this machine is shared): the
            # helper is listed, or all three listed beat it.
            procs = vf.rows(docs[1])
            listed = [p.get('pid') for p in procs]
            check.ok(len(procs) == 3 and (h.pid in listed or all(
                vf.is_num(p.get('minflt_rate')) and p['minflt_rate'] >= 1800 for p in procs)),
                     '%s sample 1: the helper (pid %d, 2000 faults/s) is not listed and the '
                     'three listed fault less: %r'
                     % (what, h.pid, [(p.get('pid'), p.get('comm'), p.get('minflt_rate'))
                                      for p in procs]))
        before = live_processes()
        r = vf.vmfault(args, '-i', 0.5, '-c', 2, '-N', 0, '--json', user=user)
        after = live_processes()
        what = '%s (as %s)' % (r.cmd(), vf.who(user))
        check.eq('%s: exit status' % what, 0, r.status)
        docs = vf.parse_ndjson(check, r, what)
        if len(docs) == 2:
            # Every process alive before and after the run (same PID, same
            # start time) was there for both samples, so -N 0 lists it.
            listed = set(p.get('pid') for p in vf.rows(docs[1]))
            stayed = sorted(pid for pid, start in before.items() if after.get(pid) == start)
            missing = [pid for pid in stayed if pid not in listed]
            check.ok(stayed and not missing, '%s: -N 0 leaves out %d of the %d processes '
                     'that lived through the run: %r' % (what, len(missing), len(stayed),
                                                         missing[:20]))
            row = vf.rows(docs[1], h.pid)
            if check.eq('%s: rows for the helper' % what, 1, len(row)):
                x = row[0].get('minflt_rate')
                check.ok(vf.is_num(x) and abs(x - 2000) <= 200,
                         '%s: the helper\'s minflt_rate %r, expected 2000 +- 10%%' % (what, x))


def part_text(args, check, user):
    r = vf.vmfault(args, '-i', 0.5, '-c', 2, user=user)
    what = '%s (as %s)' % (r.cmd(), vf.who(user))
    check.eq('%s: exit status' % what, 0, r.status)
    # Spaces normalised: the layout itself is the golden tests' business.
    lines = [' '.join(l.split()) for l in r.out.decode('utf-8', 'replace').splitlines()]
    heads = [l for l in lines if re.match(r'^\d\d:\d\d:\d\d (since boot: )?faults ', l)]
    check.ok(len(heads) == 2 and 'since boot: faults' in heads[0] and
             re.search(r' faults [\d.]+/s major [\d.]+/s swap-in [\d.]+/s swap-out [\d.]+/s '
                       r'thp [\d.]+/s thp-fallback [\d.]+/s', heads[1]),
             '%s: expected a "since boot: faults ..." line then a "faults N/s  major N/s ..." '
             'line, got %r' % (what, heads))


def part_openmetrics(args, check, user):
    r = vf.vmfault(args, '--format', 'openmetrics', user=user)
    what = '%s (as %s)' % (r.cmd(), vf.who(user))
    check.eq('%s: exit status' % what, 0, r.status)
    text = r.out.decode('utf-8', 'replace')
    check.ok(text.endswith('# EOF\n'), '%s: does not end with "# EOF": %r' % (what, text[-100:]))
    check.ok('vmscope_vmstat_pgfault_total ' in text,
             '%s: no vmscope_vmstat_pgfault_total sample' % what)
    check.ok('vmscope_process_minor_faults_total{' in text,
             '%s: no vmscope_process_minor_faults_total sample' % what)
    for opts in (['-i', 1], ['-c', 2]):
        r = vf.vmfault(args, '--format', 'openmetrics', *opts, user=user)
        check.eq('%s: exit status (usage error)' % r.cmd(), 2, r.status)


def part_usage(args, check, user):
    for opts in (['-T'], ['--where'], ['--tlb'], ['-i', 0], ['-i', 'x'], ['-c', -1]):
        r = vf.vmfault(args, *opts, '-c', 1, user=user)
        what = '%s (as %s)' % (r.cmd(), vf.who(user))
        check.eq('%s: exit status (usage error)' % what, 2, r.status)
        check.ok(r.err.startswith('vmfault: '), '%s: expected a "vmfault: ..." message, got %r'
                 % (what, r.err))
        check.eq('%s: stdout' % what, b'', r.out)


def body(args, check):
    for user in vf.users():
        part_json(args, check, user)
        part_top(args, check, user)
        part_text(args, check, user)
        part_openmetrics(args, check, user)
        part_usage(args, check, user)


if __name__ == '__main__':
    vf.run_test(body)
