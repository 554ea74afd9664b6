# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: vmfault -p on a helper that faults at a known rate reports that rate (within 10%)."""

# faultzoo rate writes pages of a region it keeps dropping with
# MADV_DONTNEED: exactly RATE minor faults a second, no major fault.
# `vmfault -p PID -i 1 -c 4 --json`: sample 0 has totals and null rates;
# samples 1..3 a minor-fault rate within 10% of RATE, a major-fault rate of 0,
# and rate x interval equal to the growth of the minor-fault total.  As root
# the same runs with helper and vmfault as nobody; and once at a higher rate.
# The table output is looked at once (header, the pid).

import time

import vmlive
import vmfaultlive as vf


def check_rate_run(args, check, user, rate, pages=256):
    with vf.faultzoo(args, 'rate', '--rate', rate, '--pages', pages, user=user) as h:
        pid = h.pid
        time.sleep(0.3)  # past start-up: only the steady faults remain
        r = vf.vmfault(args, '-p', pid, '-i', 1, '-c', 4, '--json', user=user)
        what = '%s (as %s, faultzoo rate %d/s)' % (r.cmd(), vf.who(user), rate)
        if not check.eq('%s: exit status' % what, 0, r.status):
            vmlive.note(r.describe())
            return
        docs = vf.parse_ndjson(check, r, what)
        vf.check_sample_shape(check, docs, what, count=4, interval=1.0)
        vf.check_no_absurd_rates(check, docs, what)
        prev = None
        for i, d in enumerate(docs):
            row = vf.one_row(check, d, pid, '%s sample %d' % (what, i))
            if row is None:
                prev = None
                continue
            check.eq('%s sample %d: status' % (what, i), 'first' if i == 0 else 'running',
                     row.get('status'))
            check.ok(vf.is_num(row.get('minflt')) and row['minflt'] > 0,
                     '%s sample %d: minflt %r, expected the count since start'
                     % (what, i, row.get('minflt')))
            if i > 0:
                got = row.get('minflt_rate')
                check.ok(vf.is_num(got) and abs(got - rate) <= 0.10 * rate,
                         '%s sample %d: minflt_rate %r, expected %d +- 10%%' % (what, i, got, rate))
                check.eq('%s sample %d: majflt_rate' % (what, i), 0, row.get('majflt_rate'))
                iv = d.get('interval')
                if prev and vf.is_num(got) and vf.is_num(iv) and vf.is_num(row.get('minflt')) \
                        and vf.is_num(prev.get('minflt')):
                    delta = row['minflt'] - prev['minflt']
                    check.ok(abs(got * iv - delta) <= 0.05 * delta + 2,
                             '%s sample %d: minflt_rate %r x interval %r = %.1f, but MINFLT grew '
                             'by %d' % (what, i, got, iv, got * iv, delta))
            prev = row
        # The same, as a table: the header and a row for the pid.
        t = vf.vmfault(args, '-p', pid, '-i', 0.5, '-c', 2, user=user)
        what = '%s (as %s)' % (t.cmd(), vf.who(user))
        check.eq('%s: exit status' % what, 0, t.status)
        text = t.out.decode('utf-8', 'replace')
        header = [l.split() for l in text.splitlines() if 'MINFLT/s' in l]
        check.ok(header and header[0][:4] == ['PID', 'USER', 'MINFLT/s', 'MAJFLT/s'],
                 '%s: expected the header PID USER MINFLT/s MAJFLT/s ..., got %r'
                 % (what, text[:300]))
        check.ok(any(l.split()[:1] == [str(pid)] for l in text.splitlines()),
                 '%s: no row for pid %d in %r' % (what, pid, text[:600]))


def body(args, check):
    for user in vf.users():
        check_rate_run(args, check, user, 2000)
    check_rate_run(args, check, None, 8000, pages=1024)


if __name__ == '__main__':
    vf.run_test(body)
