# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: a PID reused during vmfault's sampling is a new process: no negative or absurd rate."""

# Root only (writing /proc/sys/kernel/ns_last_pid needs CAP_SYS_ADMIN or
# CAP_CHECKPOINT_RESTORE); SKIP otherwise.
#
# OLD (faultzoo idle, 3000 pages written: a large fault count) runs while
# `vmfault -i 0.5 -c 4 -N 0 --json` (system view, every process) takes
# sample 0.  Right after that sample OLD is killed and reaped, ns_last_pid is
# set to its pid - 1 and NEW (faultzoo idle, 300 pages: a smaller count, so
# that a continuation of OLD would give a negative rate) is started, until
# it gets that very pid (a few tries; SKIP if another process keeps taking
# it).  Expected:
#   OLD: "first" in sample 0, exactly one row "exited" (null rates) after;
#   NEW: exactly one row "new", whose MINFLT/s is its MINFLT / interval (all
#        its faults happened in the interval), then "running" with rate 0;
#        its last MINFLT is what /proc/PID/stat says;
#   every row of every sample: no negative rate, none above count/interval.
# Whether OLD and NEW got the same starttime (the same clock tick, which
# (pid, starttime) cannot tell apart) is noted: it cannot be arranged here
# (vmfault must see OLD alive first), the golden tests cover it.

import os
import signal
import time

import vmlive
from vmlive import Skip
import vmfaultlive as vf

NS_LAST_PID = '/proc/sys/kernel/ns_last_pid'


def start_with_pid(args, pid, tries=20):
    """faultzoo idle (NEW) with exactly this pid, or None."""
    for _ in range(tries):
        try:
            with open(NS_LAST_PID, 'w') as f:
                f.write(str(pid - 1))
        except OSError as e:
            raise Skip('cannot write %s: %s' % (NS_LAST_PID, e))
        h = vf.faultzoo(args, 'idle', '--pages', 300, '--tag', 'new')
        if h.pid == pid:
            return h
        vmlive.note('pid %d went elsewhere (got %d), retrying' % (pid, h.pid))
        h.close()
    return None


def body(args, check):
    if os.geteuid() != 0:
        raise Skip('forcing a PID through %s needs root' % NS_LAST_PID)
    for attempt in range(3):
        old = vf.faultzoo(args, 'idle', '--pages', 3000, '--tag', 'old')
        old_open, new = True, None
        try:
            pid = old.pid
            with vf.Stream(args, '-i', 0.5, '-c', 4, '-N', 0, '--json') as s:
                what = s.cmd()
                s0 = s.next_sample()
                t0 = time.monotonic()
                os.kill(pid, signal.SIGKILL)
                old.proc.wait(timeout=10)
                # Closed now, while the pid is free: later its process
                # group id is NEW's.
                old.close()
                old_open = False
                new = start_with_pid(args, pid)
                if new is None:
                    raise Skip('pid %d was taken by other processes 20 times in a row' % pid)
                took = time.monotonic() - t0
                r = s.finish()
            new_stat = vf.read_stat(pid)
        finally:
            if old_open:
                old.close()
            if new:
                new.close()
        if took < 0.3:
            break
        vmlive.note('the reuse took %.2f s, longer than fits in one interval: again' % took)
    vmlive.note('pid %d reused in %.3f s; starttime old %s, new %s%s'
                % (pid, took, old.info['starttime'], new.info['starttime'],
                   ' (the same clock tick)' if old.info['starttime'] == new.info['starttime']
                   else ''))
    check.eq('%s: exit status' % what, 0, r.status)
    docs = vf.parse_ndjson(check, r, what)
    vf.check_sample_shape(check, docs, what, count=4, interval=0.5)
    vf.check_no_absurd_rates(check, docs, what)
    if not docs or s0 is None:
        return

    def is_new(row):
        return 'new' in (row.get('cmdline') or '') or row.get('status') == 'new'

    first = vf.rows(docs[0], pid)
    check.eq('%s: sample 0: OLD (pid %d) status' % (what, pid), ['first'],
             [x.get('status') for x in first])
    if first:
        check.ok(first[0].get('minflt', 0) >= 3000,
                 '%s: sample 0: OLD minflt %r, expected >= 3000' % (what, first[0].get('minflt')))
    exited, news, running = [], [], []
    for i, d in enumerate(docs[1:], 1):
        rs = vf.rows(d, pid)
        check.ok(len(rs) <= 2, '%s sample %d: %d rows for pid %d: %r' % (what, i, len(rs), pid,
                                                                        rs))
        for row in rs:
            st = row.get('status')
            if st == 'exited':
                exited.append((i, row))
            elif st == 'new':
                news.append((i, row, d.get('interval')))
            elif st == 'running':
                running.append((i, row, d.get('interval')))
            else:
                check.fail('%s sample %d: pid %d: unexpected status %r' % (what, i, pid, st))
    check.eq('%s: rows "exited" for OLD (pid %d)' % (what, pid), 1, len(exited))
    for i, row in exited:
        check.eq('%s sample %d: exited row: minflt_rate' % (what, i), None, row.get('minflt_rate'))
        check.ok('old' in (row.get('cmdline') or 'old'),
                 '%s sample %d: the exited row is not OLD: %r' % (what, i, row))
    check.eq('%s: rows "new" for NEW (pid %d)' % (what, pid), 1, len(news))
    for i, row, iv in news:
        check.ok(is_new(row), '%s sample %d: the "new" row is not NEW: %r' % (what, i, row))
        mf, rate = row.get('minflt'), row.get('minflt_rate')
        if check.ok(vf.is_num(mf) and vf.is_num(rate) and vf.is_num(iv),
                    '%s sample %d: NEW row: minflt %r, minflt_rate %r, interval %r'
                    % (what, i, mf, rate, iv)):
            check.ok(mf < 3000, '%s sample %d: NEW minflt %d: that is OLD\'s count' % (what, i, mf))
            check.ok(abs(rate - mf / iv) <= 0.05 * mf / iv + 1,
                     '%s sample %d: NEW minflt_rate %r, expected its minflt %d / interval %r = '
                     '%.1f' % (what, i, rate, mf, iv, mf / iv))
        if exited and took < 0.3:
            check.eq('%s: OLD exited and NEW appeared in the same sample (reuse took %.2f s)'
                     % (what, took), exited[0][0], i)
    for i, row, iv in running:
        check.ok(news and i > news[0][0],
                 '%s sample %d: pid %d "running" before it was "new"' % (what, i, pid))
    last = sorted(((i, row) for i, row, _ in running + news), key=lambda x: x[0])
    if last:
        check.eq('%s: NEW\'s last MINFLT = /proc/%d/stat' % (what, pid), new_stat['minflt'],
                 last[-1][1].get('minflt'))


if __name__ == '__main__':
    vf.run_test(body)
