# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: a process watched with vmfault -p exits mid-run: reported once as exited, exit 3."""

# `vmfault -p A,B -i 0.5 -c 6 --json`: A (faultzoo rate, 1000 faults/s) is
# told to quit and reaped after sample 1; B (faultzoo idle) lives on.
# Expected: A is "first", then "running" with its rate, then exactly one row
# "exited" with null rates, then no row at all; B has a row in every sample
# ("first", then "running", rate 0); no rate anywhere is negative or larger
# than the row's count over the interval; vmfault exits 3 (a -p PID
# vanished).  With A alone vmfault also exits 3.  As root the same as nobody.

import vmlive
import vmfaultlive as vf


def part(args, check, user):
    with vf.faultzoo(args, 'rate', '--rate', 1000, '--pages', 64, user=user) as a, \
            vf.faultzoo(args, 'idle', '--pages', 20, user=user) as b:
        with vf.Stream(args, '-p', '%d,%d' % (a.pid, b.pid), '-i', 0.5, '-c', 6, '--json',
                       user=user) as s:
            what = '%s (as %s)' % (s.cmd(), vf.who(user))
            s.next_sample()
            s.next_sample()
            a.close()  # EOF: faultzoo rate exits; close() reaps it
            r = s.finish()
    check.eq('%s: exit status (a -p PID vanished)' % what, 3, r.status)
    docs = vf.parse_ndjson(check, r, what)
    vf.check_sample_shape(check, docs, what, interval=0.5)
    vf.check_no_absurd_rates(check, docs, what)
    check.ok(len(docs) >= 3, '%s: expected samples after A exited, got %d' % (what, len(docs)))
    statuses = []
    for i, d in enumerate(docs):
        ra = vf.rows(d, a.pid)
        check.ok(len(ra) <= 1, '%s sample %d: %d rows for pid %d' % (what, i, len(ra), a.pid))
        statuses.append(ra[0].get('status') if ra else None)
        for row in ra:
            if row.get('status') == 'exited':
                check.eq('%s sample %d: exited row minflt_rate' % (what, i), None,
                         row.get('minflt_rate'))
                check.eq('%s sample %d: exited row majflt_rate' % (what, i), None,
                         row.get('majflt_rate'))
            elif i > 0 and row.get('status') == 'running':
                x = row.get('minflt_rate')
                check.ok(vf.is_num(x) and x >= 0, '%s sample %d: A minflt_rate %r'
                         % (what, i, x))
        rb = vf.rows(d, b.pid)
        if check.eq('%s sample %d: rows for B (pid %d, still alive)' % (what, i, b.pid), 1,
                    len(rb)):
            check.eq('%s sample %d: B status' % (what, i), 'first' if i == 0 else 'running',
                     rb[0].get('status'))
            if i > 0:
                check.eq('%s sample %d: B minflt_rate (idle)' % (what, i), 0,
                         rb[0].get('minflt_rate'))
    check.eq('%s: A\'s status over the samples (exited once, then gone)' % what,
             ['first', 'running', 'exited'] + [None] * (len(docs) - 3), statuses)

    # Alone: the only watched process goes away.
    with vf.faultzoo(args, 'idle', user=user) as a:
        with vf.Stream(args, '-p', a.pid, '-i', 0.5, '-c', 4, '--json', user=user) as s:
            what = '%s (as %s)' % (s.cmd(), vf.who(user))
            s.next_sample()
            a.close()
            r = s.finish()
    check.eq('%s: exit status (the only -p PID vanished)' % what, 3, r.status)
    docs = vf.parse_ndjson(check, r, what)
    st = [row.get('status') for d in docs for row in vf.rows(d, a.pid)]
    check.eq('%s: statuses of the pid' % what, ['first', 'exited'], st)
    if r.status != 3:
        vmlive.note(r.describe())


def body(args, check):
    for user in vf.users():
        part(args, check, user)


if __name__ == '__main__':
    vf.run_test(body)
