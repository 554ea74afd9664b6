# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: a named PID that no longer exists gives exit 3 and "no such process";
with a live PID beside it, the live one is still reported."""

import os
import re
import subprocess

import vmlive


def dead_pid():
    """The pid of a child that has exited and been reaped (and not reused yet)."""
    for _ in range(10):
        p = subprocess.Popen(['true'])
        p.wait()
        if not os.path.exists('/proc/%d' % p.pid):
            return p.pid
    raise vmlive.Failed('could not find a free pid')


def body(args, check):
    dead = dead_pid()
    r = vmlive.vmrank(args, '-p', dead)
    # the only PID named is gone: nothing to show, exit 1
    check.eq('vmrank -p %d (gone): exit status' % dead, 1, r.status)
    check.ok('no such process' in r.err.lower(),
             'vmrank -p %d (gone): expected "no such process" on stderr, got %r' % (dead, r.err))
    check.ok(re.search(r'\b%d\b' % dead, r.err) is not None,
             'vmrank -p %d (gone): expected the pid in the message, got %r' % (dead, r.err))

    with vmlive.Helper([args.empty_cmdline], name='empty_cmdline') as h:
        live = h.pid
        dead = dead_pid()
        r = vmlive.vmrank(args, '-J', '-p', '%d,%d' % (live, dead))
        check.eq('vmrank -J -p %d,%d (second gone): exit status' % (live, dead), 3, r.status)
        check.ok('no such process' in r.err.lower(),
                 'vmrank -J -p %d,%d: expected "no such process" on stderr, got %r'
                 % (live, dead, r.err))
        doc = vmlive.parse_vmrank_json(r)
        rows = vmlive.rows_by_pid(doc)
        check.eq('vmrank -J -p %d,%d: pids listed' % (live, dead), [live], sorted(rows))
        entry = vmlive.skipped_by_pid(doc).get(dead)
        if check.ok(entry is not None, 'vmrank -J -p %d,%d: expected a "skipped" entry for %d, '
                    'got %r' % (live, dead, dead, doc.get('skipped'))):
            check.ok(entry.get('errno') in ('ESRCH', 'ENOENT'),
                     'skipped[%d].errno: expected ESRCH or ENOENT, got %r'
                     % (dead, entry.get('errno')))

        # The table form: the live row is printed, exit still 3.
        r = vmlive.vmrank(args, '-r', '-n', '-o', 'pid', '-p', '%d,%d' % (live, dead))
        check.eq('vmrank -r -n -o pid -p %d,%d: exit status' % (live, dead), 3, r.status)
        check.eq('vmrank -r -n -o pid -p %d,%d: stdout' % (live, dead), '%d\n' % live,
                 r.out.decode(errors='replace'))


if __name__ == '__main__':
    vmlive.run_test(body)
