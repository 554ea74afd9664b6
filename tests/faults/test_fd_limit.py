# SPDX-License-Identifier: GPL-2.0-or-later
"""Fault test C18: file descriptor exhaustion.  Under ulimit -n 16, and every limit from 4
up to it, a whole-system scan (vmrank, vmswap, vmfault) and vmmap, vmwalk and vmsnap of
two targets either work or stop with a clear "Too many open files" (naming the limit);
never a crash, never a silently shorter result ("could not be read"), never a snapshot
left behind half-written."""

# The other half of C18, no fd leak over 100 iterations in one process, is
# the load suite's (tests/load/loopscan.c).

import os
import resource

import faultlib as fl

MESSAGE = 'Too many open files'
LIMITS = list(range(4, 17))


def run_limited(argv, n):
    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
    return fl.run(argv, preexec_fn=limit, timeout=60)


def body(args, check):
    with fl.victim(args, '--regions', '40') as a, fl.victim(args, '--regions', '8') as b, \
            fl.tempdir(args) as d:
        out = os.path.join(d, 'snap.tar')
        rng = '%s-%s' % (a.info['first'], a.info['last_end'])
        cases = [
            [args.vmrank, '-J'],
            [args.vmrank, '-J', '--by', 'mapping', '-p', '%d,%d' % (a.pid, b.pid)],
            [args.vmmap, '-J', a.pid, b.pid],
            [args.vmmap, '--pages', '-J', a.pid, b.pid],
            [args.vmwalk, '-J', a.pid, rng],
            [args.vmswap, '-J', '-i', '0'],
            [args.vmfault, '-J', '-i', '0.05', '-c', '2'],
            [args.vmsnap, '-q', '-o', out, a.pid, b.pid],
        ]
        seen = {}
        for argv in cases:
            name = os.path.basename(argv[0]) + ' ' + ' '.join(str(x) for x in argv[1:3])
            for n in LIMITS:
                if os.path.exists(out):
                    os.unlink(out)
                r = run_limited(argv, n)
                what = '%s under ulimit -n %d' % (r.cmd(), n)
                if not fl.check_clean(check, r, what):
                    continue
                if r.status == 0:
                    kind = 'works'
                    check.ok('could not be read' not in r.err and MESSAGE not in r.err,
                             '%s: exit 0 but something was not read: %s' % (what, r.describe()))
                    if argv[0] == args.vmsnap:
                        check.ok(os.path.exists(out), '%s: exit 0 and no snapshot' % what)
                    else:
                        try:
                            fl.json_docs(r.out)
                        except ValueError as e:
                            check.fail('%s: exit 0 with invalid JSON (%s)' % (what, e))
                elif r.status in (1, 3):
                    kind = 'exit %d' % r.status
                    check.ok(MESSAGE in r.err, '%s: exit %d without "%s": %s'
                             % (what, r.status, MESSAGE, r.describe()))
                    if argv[0] == args.vmsnap:
                        check.eq('%s: files left' % what, [], sorted(os.listdir(d)))
                else:
                    kind = 'exit %s' % r.status
                    check.fail('%s: %s' % (what, r.describe()))
                seen.setdefault(name, {}).setdefault(kind, n)
            check.ok(seen.get(name, {}).get('works') is not None,
                     '%s: did not work even under ulimit -n %d' % (name, LIMITS[-1]))
        for name, kinds in seen.items():
            fl.note('%s: %s' % (name, ', '.join('%s from %d' % (k, v) for k, v in
                                                sorted(kinds.items(), key=lambda x: x[1]))))


if __name__ == '__main__':
    fl.run_test(body)
