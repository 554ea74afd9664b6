# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: a zombie thread-group leader with a live thread is ranked by the live
thread's memory (about 50 MiB), with state Z."""

# /proc/PID/smaps_rollup of such a process gives ESRCH; the memory is under
# /proc/PID/task/TID.  vmrank must read it there (pmap and smem show 0 or
# nothing).  With the process stopped, vmrank's figures must equal
# task/TID/smaps_rollup exactly.

import vmlive
from vmlive import MIB

SIZE_MIB = 50


def body(args, check):
    with vmlive.Helper([args.zombie_leader, str(SIZE_MIB)], name='zombie_leader') as h:
        pid, tid = h.info['pid'], h.info['tid']
        check.eq('helper: leader state', 'Z', h.info['leader_state'])
        check.eq('/proc/%d/stat state' % pid, 'Z', vmlive.proc_state(pid))

        views, r = vmlive.measure(args, [pid], ['-p', pid],
                                  read=lambda p: vmlive.read_rollup(p, tid))
        row = vmlive.rows_by_pid(r.doc).get(pid)
        if check.ok(row is not None, '`%s` did not list the zombie leader %d (skipped: %r)'
                    % (r.cmd(), pid, r.doc.get('skipped'))):
            check.eq('pid %d state' % pid, 'Z', row.get('state'))
            rss = row.get('rss')
            check.ok(isinstance(rss, int) and rss >= SIZE_MIB * MIB,
                     'pid %d rss: expected >= %d MiB (the live thread\'s memory), got %r'
                     % (pid, SIZE_MIB, rss))
            vmlive.check_figures(check, 'pid %d: vmrank vs task/%d/smaps_rollup' % (pid, tid),
                                 vmlive.figures_from_counters(views[pid]), row)

        # A full scan lists it too, not as skipped, and exits 0.
        r = vmlive.vmrank_json(args)
        row = vmlive.rows_by_pid(r.doc).get(pid)
        if check.ok(row is not None, 'vmrank -J (all) did not list the zombie leader %d' % pid):
            check.eq('full scan: pid %d state' % pid, 'Z', row.get('state'))
            check.ok(isinstance(row.get('rss'), int) and row['rss'] >= SIZE_MIB * MIB,
                     'full scan: pid %d rss: expected >= %d MiB, got %r'
                     % (pid, SIZE_MIB, row.get('rss')))
        check.ok(pid not in vmlive.skipped_by_pid(r.doc),
                 'full scan: zombie leader %d listed as skipped: %r'
                 % (pid, vmlive.skipped_by_pid(r.doc).get(pid)))


if __name__ == '__main__':
    vmlive.run_test(body)
