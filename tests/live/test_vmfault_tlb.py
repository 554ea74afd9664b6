# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: vmfault --tlb: a plain refusal (exit 1, never zeros) without hardware counters,
dTLB loads > 0 with them."""

# faultzoo perf-probe --event dtlb-loads opens the hardware cache event
# vmfault needs and says what the kernel answered.  ENOENT, EOPNOTSUPP or
# ENODEV (a virtual machine without a vPMU, like the CI's): `vmfault --tlb
# -p PID` and `vmfault --tlb -- COMMAND` exit 1 with "vmfault: --tlb: this
# machine exposes no hardware performance counters ..." and print nothing on
# stdout (no zero figures), and the command is not run.  Where the counters
# exist: loads > 0 and misses <= loads.  As root the same as nobody too.

import os
import tempfile
import time

import vmlive
import vmfaultlive as vf

NO_COUNTERS = ('ENOENT', 'EOPNOTSUPP', 'ENODEV')


def find_tlb(obj):
    """Every "tlb" object anywhere in a document."""
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == 'tlb' and isinstance(v, dict):
                out.append(v)
            else:
                out.extend(find_tlb(v))
    elif isinstance(obj, list):
        for v in obj:
            out.extend(find_tlb(v))
    return out


def check_refusal(check, r, what):
    check.eq('%s: exit status' % what, 1, r.status)
    check.ok('vmfault: --tlb: this machine exposes no hardware performance counters' in r.err,
             '%s: expected "vmfault: --tlb: this machine exposes no hardware performance '
             'counters ...", got %r' % (what, r.err))
    check.ok('dTLB-loads' in r.err and 'perf_event_open' in r.err,
             '%s: expected the failing event and call ("dTLB-loads: perf_event_open: ...") in '
             '%r' % (what, r.err))
    check.eq('%s: stdout (never zeros)' % what, b'', r.out)


def check_counts(check, tlbs, what):
    if not check.ok(tlbs, '%s: no "tlb" object in the output' % what):
        return
    for t in tlbs:
        loads, misses = t.get('loads'), t.get('misses')
        check.ok(vf.is_num(loads) and loads > 0, '%s: tlb loads %r, expected > 0' % (what, loads))
        check.ok(vf.is_num(misses) and vf.is_num(loads) and 0 <= misses <= loads,
                 '%s: tlb misses %r, expected 0..loads' % (what, misses))


def body(args, check):
    for user in vf.users():
        probe = vf.perf_probe(args, event='dtlb-loads', user=user)
        vmlive.note('dTLB-loads perf_event_open as %s: %s' % (vf.who(user), probe))
        with vf.faultzoo(args, 'rate', '--rate', 500, '--pages', 64, user=user) as h:
            r = vf.vmfault(args, '--tlb', '-p', h.pid, '-i', 0.5, '-c', 2, '--json', user=user)
            what = '%s (as %s)' % (r.cmd(), vf.who(user))
            if not probe.get('ok') and probe.get('errno') in NO_COUNTERS:
                check_refusal(check, r, what)
            elif probe.get('ok'):
                check.eq('%s: exit status' % what, 0, r.status)
                docs = vf.parse_ndjson(check, r, what)
                check_counts(check, [t for d in docs[1:] for t in find_tlb(d)], what)
            else:
                check.eq('%s: exit status (perf refused: %s)' % (what, probe.get('errno')), 1,
                         r.status)
                check.ok('vmfault: --tlb:' in r.err, '%s: expected a "vmfault: --tlb:" message, '
                         'got %r' % (what, r.err))
                check.eq('%s: stdout (never zeros)' % what, b'', r.out)
        r = vf.vmfault(args, '--tlb', '--json', '--', args.faultzoo, 'exit-rusage', '--pages',
                       10, user=user)
        what = '%s (as %s)' % (r.cmd(), vf.who(user))
        helper, rest = vf.split_stderr(r.err, 'exit-rusage')
        if not probe.get('ok') and probe.get('errno') in NO_COUNTERS:
            r.err = rest
            check_refusal(check, r, what)
            check.ok(helper is None, '%s: the command ran although --tlb cannot work' % what)
            # The same with --output-file: no temporary file is left behind.
            d = tempfile.mkdtemp(prefix='vmfault-tlb-', dir=args.workdir)
            try:
                if user == 'nobody':
                    os.chown(d, 65534, 65534)
                r = vf.vmfault(args, '--tlb', '--output-file', os.path.join(d, 'out'), '--',
                               args.faultzoo, 'exit-rusage', '--pages', 10, user=user)
                what = '%s (as %s)' % (r.cmd(), vf.who(user))
                check.eq('%s: exit status' % what, 1, r.status)
                time.sleep(0.2)  # a command wrongly let go would have run by now
                check.eq('%s: files left in %s' % (what, d), [], sorted(os.listdir(d)))
            finally:
                for name in os.listdir(d):
                    os.unlink(os.path.join(d, name))
                os.rmdir(d)
        elif probe.get('ok'):
            check.eq('%s: exit status' % what, 0, r.status)
            doc = vf.parse_report(check, rest, what)
            if doc:
                check_counts(check, find_tlb(doc['run']), what)


if __name__ == '__main__':
    vf.run_test(body)
