# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: vmtop --batch: the figures of a stopped helper equal its smaps_rollup and
stat (as vmtop prints sizes), frames and their shape, -p with a missing PID (exit 3),
usage errors (exit 2), and MINFLT/s of a helper faulting at a known rate (within 10%)."""

import os
import re
import subprocess

import vmlive
import vmfaultlive as vf
import vmtop_pty as vp
from vmlive import Failed, note


class Run:
    def __init__(self, argv, p):
        self.argv = argv
        self.status = p.returncode
        self.out = p.stdout
        self.err = p.stderr.decode('utf-8', 'replace')

    def describe(self):
        return '`%s` (exit %s; stderr: %s)' % (' '.join(self.argv), self.status,
                                               self.err.strip()[:400] or '(empty)')


def vmtop(args, *options, user=None, timeout=60, env=None):
    argv = [args.vmtop] + [str(o) for o in options]
    if user == 'nobody':
        argv = vmlive.NOBODY + argv
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout,
                           env=env if env is not None else vp.base_env())
    except subprocess.TimeoutExpired:
        raise Failed('`%s` did not finish within %d s' % (' '.join(argv), timeout))
    return Run(argv, p)


def frames(text):
    """The frames of a batch output: each a list of lines, split at the header line."""
    out = []
    for line in text.split('\n'):
        if vp.HEADER_RE.match(line):
            out.append([])
        if out:
            out[-1].append(line)
    return out


def table(frame):
    """(column-header line, {pid: {header: text}}) of a frame."""
    ch = vp.column_header_line(frame)
    if ch is None:
        return None, {}
    rows = {}
    for line in frame[ch + 1:]:
        if not line.strip():
            break
        cells = vp.split_row(frame[ch], line)
        if cells.get('PID', '').isdigit():
            rows[int(cells['PID'])] = cells
    return frame[ch], rows


def check_shape(check, r, what, n):
    text = r.out.decode('utf-8', 'replace')
    check.ok(b'\x1b' not in r.out, '%s: ESC bytes in batch output' % what)
    trailing = [l for l in text.split('\n') if l != l.rstrip()]
    check.ok(not trailing, '%s: lines are not right-trimmed: %r' % (what, trailing[:3]))
    fs = frames(text)
    check.eq('%s: number of frames' % what, n, len(fs))
    for i, f in enumerate(fs[:-1]):
        # one blank line between frames
        check.ok(len(f) >= 2 and f[-1] == '' and f[-2] != '',
                 '%s: frame %d should end with exactly one blank line before the next: %r'
                 % (what, i + 1, f[-3:]))
    return fs


def part_exact(args, check, user):
    with vmlive.Helper([args.helper, 'idle', '--pages', '50'], user=user,
                       name='vmtop_helper') as h:
        pid = h.pid
        cols = 'pid,rss,pss,uss,swap,minflt_total'
        what = 'vmtop -b -n 2 -d 0.2 -p %d -o %s (as %s)' % (pid, cols, vp.who(user))
        with vmlive.stopped([pid]):
            for attempt in range(5):
                before = (vmlive.read_rollup(pid), vmlive.read_stat(pid)['minflt'])
                r = vmtop(args, '-b', '-n', 2, '-d', 0.2, '-p', pid, '-o', cols, user=user)
                after = (vmlive.read_rollup(pid), vmlive.read_stat(pid)['minflt'])
                if before == after:
                    break
                note('the stopped helper\'s figures moved (attempt %d)' % (attempt + 1))
            else:
                raise Failed('%s: the figures of the stopped helper kept changing' % what)
        if not check.eq('%s: exit status' % what, 0, r.status):
            note(r.describe())
            return
        fs = check_shape(check, r, what, 2)
        roll, minflt = before
        stat_rss = _stat_rss(pid)
        statm_rss = vmlive.read_text('/proc/%d/statm' % pid).split()[1]
        vmrss = re.search(r'VmRSS:\s*(\d+ kB)', vmlive.read_text('/proc/%d/status' % pid))
        vmrss = vmrss.group(1) if vmrss else None
        expect = {'RSS': vp.human(roll['Rss']), 'PSS': vp.human(roll['Pss']),
                  'USS': vp.human(roll['Private_Clean'] + roll['Private_Dirty']),
                  'SWAP': vp.human(roll['Swap']), 'MINFLT': str(minflt)}
        for i, f in enumerate(fs):
            head, rows = table(f)
            check.eq('%s: frame %d: columns' % (what, i + 1),
                     ['PID', 'RSS', 'PSS', 'USS', 'SWAP', 'MINFLT'],
                     [n for n, s, e, w in vp.header_spans(head or '')])
            row = rows.get(pid)
            if not check.ok(row is not None, '%s: frame %d: no row for pid %d: %r'
                            % (what, i + 1, pid, f)):
                continue
            for k, v in expect.items():
                if k == 'RSS' and row.get(k) != v:
                    check.fail('%s: frame %d: RSS %r, but smaps_rollup says Rss %d kB (%s): '
                               '/proc/PID/stat\'s rss is approximate (per-CPU counters; here '
                               '%d pages, statm %s, status VmRSS %s), so RSS can even show '
                               'less than PSS' % (what, i + 1, row.get(k), roll['Rss'] // 1024,
                                                  v, stat_rss, statm_rss, vmrss))
                    continue
                check.eq('%s: frame %d: %s (smaps_rollup/stat: %s)' % (what, i + 1, k, v), v,
                         row.get(k))
            check.eq('%s: frame %d: only the -p process is listed' % (what, i + 1), [pid],
                     sorted(rows))
        # --width: no line longer
        rw = vmtop(args, '-b', '-n', 1, '-w', 60, '-p', pid, user=user)
        w = '%s --width 60' % what
        if check.eq('%s: exit status' % w, 0, rw.status):
            long_lines = [l for l in rw.out.decode('utf-8', 'replace').split('\n') if len(l) > 60]
            check.ok(not long_lines, '%s: lines longer than 60: %r' % (w, long_lines[:3]))


def _stat_rss(pid):
    raw = vmlive.read_text('/proc/%d/stat' % pid)
    return int(raw[raw.rindex(')') + 2:].split()[21])


def part_denied(args, check, user):
    """As nobody (or any user but root), PID 1 (root's): its PSS cannot be read: "?"."""
    what = 'vmtop -b -n 1 -p 1 -o pid,rss,pss,uss (as %s)' % vp.who(user)
    r = vmtop(args, '-b', '-n', 1, '-p', 1, '-o', 'pid,rss,pss,uss', user=user)
    # a named PID that cannot be read is partial (hazard C9), said once on stderr
    check.eq('%s: exit status' % what, 3, r.status)
    check.ok('pid 1: cannot read smaps_rollup: Permission denied (needs the same user or '
             'CAP_SYS_PTRACE)' in r.err, '%s: stderr should say why: %r' % (what, r.err))
    fs = frames(r.out.decode('utf-8', 'replace'))
    if not check.ok(fs, '%s: no frame: %s' % (what, r.describe())):
        return
    _, rows = table(fs[0])
    row = rows.get(1)
    if check.ok(row is not None, '%s: no row for pid 1: %r' % (what, fs[0])):
        check.eq('%s: PSS of a process we may not read' % what, '?', row.get('PSS'))
        check.eq('%s: USS of a process we may not read' % what, '?', row.get('USS'))
        check.ok(vp.parse_size(row.get('RSS', '')) is not None,
                 '%s: RSS (from stat) should still be shown: %r' % (what, row.get('RSS')))


def free_pid():
    with open('/proc/sys/kernel/pid_max') as f:
        pid_max = int(f.read())
    # The free PID just below the last one handed out is the one the kernel reaches
    # last: with other tests forking fast, PIDs near pid_max come round again soon.
    try:
        with open('/proc/sys/kernel/ns_last_pid') as f:
            last = int(f.read())
    except (OSError, ValueError):
        last = pid_max
    for i in range(1, pid_max):
        pid = (last - i) % pid_max
        if pid > 300 and not os.path.exists('/proc/%d' % pid):
            return pid
    raise vmlive.Skip('no free PID')


def part_missing(args, check, user):
    gone = free_pid()
    r = vmtop(args, '-b', '-n', 1, '-p', gone, user=user)
    what = 'vmtop -b -n 1 -p %d (no such process, as %s)' % (gone, vp.who(user))
    check.eq('%s: exit status' % what, 3, r.status)
    check.ok(str(gone) in r.err, '%s: the message should name pid %d: %r' % (what, gone, r.err))
    with vmlive.Helper([args.helper, 'idle'], user=user, name='vmtop_helper') as h:
        r = vmtop(args, '-b', '-n', 1, '-p', '%d,%d' % (gone, h.pid), user=user)
        what = 'vmtop -b -n 1 -p %d,%d (one missing, as %s)' % (gone, h.pid, vp.who(user))
        check.eq('%s: exit status' % what, 3, r.status)
        check.ok(str(gone) in r.err, '%s: the message should name pid %d: %r'
                 % (what, gone, r.err))
        fs = frames(r.out.decode('utf-8', 'replace'))
        rows = table(fs[0])[1] if fs else {}
        check.eq('%s: rows' % what, [h.pid], sorted(rows))


USAGE = [['-n', '0'], ['-n', '-1'], ['-n', 'x'], ['-d', '0'], ['-d', 'abc'], ['-d', '0.05'],
         ['-d', '86401'], ['-d', '-1'], ['-s', 'bogus'], ['-o', 'bogus'], ['-p', 'abc'],
         ['-u', 'no-such-user-vmtop'], ['--bogus'], ['-w', '-1']]


def part_usage(args, check):
    for opts in USAGE:
        r = vmtop(args, '-b', '-n', '1', *opts) if opts[0] != '-n' else \
            vmtop(args, '-b', *opts)
        what = '`%s`' % ' '.join(r.argv)
        check.eq('%s: exit status (usage error)' % what, 2, r.status)
        # getopt's own messages start with argv[0] (the path the test ran)
        check.ok(r.err.startswith('vmtop: ') or r.err.startswith(args.vmtop + ': '),
                 '%s: the message should start with "vmtop: ": %r' % (what, r.err[:200]))
        check.eq('%s: stdout' % what, b'', r.out)
    for opts in (['-h'], ['--help'], ['-V'], ['--version']):
        r = vmtop(args, *opts)
        what = '`%s`' % ' '.join(r.argv)
        check.eq('%s: exit status' % what, 0, r.status)
        check.ok(r.out.strip() != b'' and b'\x1b' not in r.out,
                 '%s: expected plain text on stdout, got %r' % (what, r.out[:200]))


def part_rate(args, check, user):
    if not args.faultzoo or not os.access(args.faultzoo, os.X_OK):
        note('MINFLT/s: NOT CHECKED: faultzoo not built (%s)' % args.faultzoo)
        return
    rate = 2000
    with vf.faultzoo(args, 'rate', '--rate', rate, '--pages', 256, user=user) as h:
        import time
        time.sleep(0.3)
        r = vmtop(args, '-b', '-n', 4, '-d', 1, '-p', h.pid, '-o', 'pid,minflt,majflt,command',
                  user=user)
        what = 'vmtop -b -n 4 -d 1 -p %d (faultzoo at %d faults/s, as %s)' % (h.pid, rate,
                                                                             vp.who(user))
        if not check.eq('%s: exit status' % what, 0, r.status):
            note(r.describe())
            return
        fs = check_shape(check, r, what, 4)
        for i, f in enumerate(fs):
            _, rows = table(f)
            row = rows.get(h.pid)
            if not check.ok(row is not None, '%s: frame %d: no row for the helper'
                            % (what, i + 1)):
                continue
            if i == 0:
                note('%s: frame 1 (no rate yet): MINFLT/s %r' % (what, row.get('MINFLT/s')))
                continue
            got = row.get('MINFLT/s', '')
            try:
                v = float(got)
            except ValueError:
                v = None
            check.ok(re.match(r'^\d+\.\d$', got) is not None,
                     '%s: frame %d: MINFLT/s should have one decimal: %r' % (what, i + 1, got))
            check.ok(v is not None and abs(v - rate) <= 0.10 * rate,
                     '%s: frame %d: MINFLT/s %r, expected %d +- 10%%' % (what, i + 1, got, rate))
            check.eq('%s: frame %d: MAJFLT/s' % (what, i + 1), '0.0', row.get('MAJFLT/s'))


def body(args, check):
    for user in vp.users(args):
        part_exact(args, check, user)
        part_missing(args, check, user)
        part_rate(args, check, user)
    # root runs it as nobody; an unprivileged run (the CI's setpriv pass) as itself
    part_denied(args, check, 'nobody' if os.geteuid() == 0 else None)
    part_usage(args, check)


if __name__ == '__main__':
    vp.run_test(body)
