# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: vmtop stays responsive while reading a process's smaps_rollup blocks for as
long as that process's mmap_lock is held (the cost model: rollups are read on a worker
thread): keys show on screen within 300 ms, frames go on, q quits at once."""

# The helper (vmtop_helper lock, root only) holds its own mmap_lock: a thread
# faults a page of a FUSE file, whose server never answers, through
# /proc/self/mem (no retry, so the lock stays taken), and another thread's
# mmap() queues a writer behind it; every later reader of its smaps_rollup
# blocks.  We check that with `timeout 2 cat` before relying on it.

import os
import statistics
import subprocess
import time

import vmlive
import vmfaultlive as vf
import vmtop_pty as vp
from vmlive import Skip, note

LIMIT = 0.300  # seconds from a key to the screen showing it


def rollup_blocks(pid):
    p = subprocess.run(['timeout', '2', 'cat', '/proc/%d/smaps_rollup' % pid],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    return p.returncode == 124


def clock(s):
    lines = s.lines()
    hl = vp.header_line(lines)
    return lines[hl].split()[1] if hl is not None else None


def threads(pid):
    """[(tid, state, wchan)] of pid's threads."""
    out = []
    for tid in sorted(os.listdir('/proc/%d/task' % pid)):
        base = '/proc/%d/task/%s/' % (pid, tid)
        try:
            with open(base + 'stat') as f:
                state = f.read().rsplit(')', 1)[1].split()[0]
            with open(base + 'wchan') as f:
                wchan = f.read().strip()
        except OSError:
            continue
        out.append((int(tid), state, wchan))
    return out


def blocked_threads(pid):
    return [x for x in threads(pid) if 'smaps_rollup' in x[2] or 'rwsem' in x[2]]


def _pids(s):
    lines = s.lines()
    ch = vp.column_header_line(lines)
    if ch is None:
        return None
    out = []
    for r in vp.list_rows(lines, ch):
        v = vp.split_row(lines[ch], r).get('PID', '')
        if v.isdigit():
            out.append(int(v))
    return out


def measure(t, key, pred, timeout=3.0):
    t0 = t.send(key)
    ok = t.wait_for(pred, timeout)
    return (time.monotonic() - t0) if ok else None


def body(args, check):
    if os.geteuid() != 0:
        raise Skip('the helper that holds its mmap_lock mounts a FUSE file system: needs root')
    with vmlive.Helper([args.helper, 'lock'], name='vmtop_helper lock') as lk, \
            vmlive.Helper([args.helper, 'idle', '--pages', '10'], name='idle 1') as o1, \
            vmlive.Helper([args.helper, 'idle', '--pages', '20'], name='idle 2') as o2:
        if not lk.info.get('ok'):
            raise Skip('cannot hold an mmap_lock here: %s' % lk.info.get('why'))
        pid = lk.pid
        pids = '%d,%d,%d' % (pid, o1.pid, o2.pid)
        what = 'vmtop -d 0.5 -s pss -p %s (pid %d holds its mmap_lock)' % (pids, pid)
        # In a sanitizer build, LeakSanitizer's check at exit ptrace-stops every thread
        # first, and the one blocked in the read cannot stop until the read ends: that
        # would measure the sanitizer, not vmtop.
        asan = os.environ.get('ASAN_OPTIONS', '')
        env = vp.base_env(extra={'ASAN_OPTIONS': (asan + ':' if asan else '') +
                                 'detect_leaks=0'})
        with vp.start_vmtop(args, '-d', '0.5', '-s', 'pss', '-p', pids, cols=100,
                            env=env) as t:
            if not vp.wait_list(check, t, what):
                return
            if not check.ok(t.wait_for(lambda s: str(pid) in s.text(), 5),
                            '%s: no row for pid %d' % (what, pid)):
                vp.dump_screen(t, what)
                return
            time.sleep(1.0)  # every rollup read once
            vf.send(lk, 'lock')
            info = vf.read_json_line(lk, timeout=10, what='lock')
            note('helper: %s' % info)
            if not rollup_blocks(pid):
                raise Skip('reading /proc/%d/smaps_rollup did not block (timeout 2 cat '
                           'finished): cannot hold the mmap_lock on this kernel' % pid)
            note('`timeout 2 cat /proc/%d/smaps_rollup` blocked: the lock is held' % pid)
            time.sleep(1.5)  # the worker is now stuck in that read
            stuck = blocked_threads(t.pid)
            check.ok(stuck, '%s: no thread of vmtop waits in show_smaps_rollup (its threads: '
                     '%s): the measures below would mean nothing' % (what, threads(t.pid)))
            note('vmtop threads blocked in the rollup read: %s' % stuck)
            c0 = clock(t.screen)
            ok = t.wait_for(lambda s: clock(s) not in (None, c0), 3.5)
            check.ok(ok, '%s: the header clock did not move for 3.5 s while the rollup read is '
                     'blocked (frames stopped?)' % what)
            lat = {'h': [], 'esc': [], 'left': []}
            for _ in range(5):
                for back in ('esc', 'left'):
                    d = measure(t, 'h', lambda s: not vp.is_list_screen(s))
                    lat['h'].append(d)
                    t.settle(0.05, 1)
                    d = measure(t, back, vp.is_list_screen)
                    lat[back].append(d)
                    t.settle(0.05, 1)
            for k, v in lat.items():
                got = [x for x in v if x is not None]
                shown = ', '.join('%.0f' % (x * 1000) if x is not None else 'never' for x in v)
                note('key latency %s: %s ms%s' % (k, shown, (' (median %.0f ms)' %
                                                          (statistics.median(got) * 1000))
                                                         if got else ''))
                check.ok(len(got) == len(v), '%s: key %s not reflected within 3 s (%s ms)'
                         % (what, k, shown))
                check.ok(got and max(got) <= LIMIT,
                         '%s: key %s took up to %.0f ms to show (limit %.0f ms): %s ms%s'
                         % (what, k, (max(got) if got else 0) * 1000, LIMIT * 1000, shown,
                            ' (ESCDELAY not set low?)' if k == 'esc' else ''))
            # the detail and the page map of the blocked process itself: their reads
            # block too, the screens must not
            t.send('/')
            time.sleep(0.2)
            t.type('lock')
            t.send('enter')
            if check.ok(t.wait_for(lambda s: _pids(s) == [pid], 3),
                        '%s: filter "lock": expected only pid %d' % (what, pid)):
                steps = [('enter', lambda s: not vp.is_list_screen(s) and str(pid) in s.text()),
                         ('m', lambda s: 'page map' in s.text().lower()),
                         ('esc', lambda s: 'page map' not in s.text().lower()),
                         ('esc', vp.is_list_screen)]
                for key, pred in steps:
                    d = measure(t, key, pred)
                    note('key %s on the blocked process: %s' % (
                        key, '%.0f ms' % (d * 1000) if d is not None else 'never'))
                    if not check.ok(d is not None and d <= LIMIT,
                                    '%s: key %s (detail / page map of the blocked process) '
                                    'took %s' % (what, key, '%.0f ms' % (d * 1000)
                                                 if d is not None else 'more than 3 s')):
                        vp.dump_screen(t, what)
                        break
                    t.settle(0.05, 1)
            t.send('\\')
            vp_back = t.wait_for(vp.is_list_screen, 3)
            check.ok(vp_back, '%s: not back on the list' % what)
            check.ok(rollup_blocks(pid), '%s: the lock was released meanwhile: the measures '
                     'above may not mean anything' % what)
            # q while the worker is still blocked
            t0 = t.send('q')
            st = t.wait_exit(3)
            if check.ok(st is not None, '%s: q while the rollup read of pid %d is blocked: vmtop '
                        'did not exit within 3 s (joins its blocked worker?)' % (what, pid)):
                note('%s: q exited in %.0f ms' % (what, (time.monotonic() - t0) * 1000))
                check.eq('%s: exit status' % what, ('exit', 0), st)
                vp.check_restored(check, t, what)
            vf.send(lk, 'release')
            rel = vf.read_json_line(lk, timeout=10, what='release')
            note('helper: %s' % rel)
            if st is None:
                st = t.wait_exit(10)
                note('%s: after the release: %s' % (what, vp.describe_status(st)))


if __name__ == '__main__':
    vp.run_test(body)
