# SPDX-License-Identifier: GPL-2.0-or-later
"""Output suite: standard output that cannot be written (hazards F1 F2 F3, B7), for every
command that prints, in every format it has: `> /dev/full` is "No space left on device"
and exit 1; a closed stdout is EBADF and exit 1; a reader that has gone (`| head -c1`)
is quiet, exit 0 or death by SIGPIPE; with fds 0, 1, 2 closed at the start nothing is
ever written into a file that landed on fd 1 (checked with strace)."""

# The targets are the fixtures (tests/fixtures), so that every run prints the
# same thing; the streaming forms (vmfault -i, vmswap --activity, vmtop -b) also
# run live, where what matters is that the first write error stops them.

import fcntl
import os
import re
import shutil
import signal
import subprocess
import tempfile

import outlib
from outlib import note

F_SETPIPE_SZ = getattr(fcntl, 'F_SETPIPE_SZ', 1031)
ENV = dict(os.environ, LC_ALL='C.UTF-8', SOURCE_DATE_EPOCH='1700000000')


def fixture_cases(args):
    """[(label, argv)] on the fixtures: each command in each of its formats."""
    fx = lambda name: ['--root', outlib.fixture(args, name)]
    cases = []
    fmts4 = [('table', []), ('raw', ['-r']), ('json', ['-J']),
             ('openmetrics', ['--format', 'openmetrics'])]
    fmts3 = fmts4[:3]
    b = args.bin
    if 'vmrank' in b:
        for f, o in fmts4:
            cases.append(('vmrank %s' % f, [b['vmrank']] + fx('basic') + o))
        cases.append(('vmrank --by mapping json',
                      [b['vmrank']] + fx('hostile') + ['--by', 'mapping', '-J']))
    if 'vmmap' in b:
        for f, o in fmts3:
            cases.append(('vmmap %s' % f, [b['vmmap']] + fx('basic') + o + ['20988']))
        cases.append(('vmmap --pages json', [b['vmmap']] + fx('pages') +
                      ['-J', '--pages', '-A', '7fc9f0e00000,7fc9f0e10000', '20308']))
    if 'vmwalk' in b:
        for f, o in fmts3:
            cases.append(('vmwalk %s' % f, [b['vmwalk']] + fx('pages') + o +
                          ['20308', '0x7fca31c00000-0x7fca31c40000']))
    if 'vmfault' in b:
        for f, o in fmts4:
            cases.append(('vmfault %s' % f, [b['vmfault']] + fx('basic') + ['-N', '0'] + o))
        series = fx('faults/t0') + fx('faults/t1') + fx('faults/t2')
        for f, o in fmts3:
            cases.append(('vmfault series %s' % f, [b['vmfault']] + series + ['-N', '0'] + o))
    if 'vmswap' in b:
        for f, o in fmts4:
            cases.append(('vmswap %s' % f, [b['vmswap']] + fx('swap-multi') + ['-a'] + o))
        for f, o in fmts3:
            cases.append(('vmswap --activity %s' % f, [b['vmswap']] + fx('swap-multi') +
                          fx('swap-multi-t1') + ['--activity'] + o))
        cases.append(('vmswap --oom openmetrics', [b['vmswap']] + fx('swap-multi') +
                      ['--oom', '--format', 'openmetrics']))
    if 'vmsnap' in b:
        for f, o in fmts3:
            cases.append(('vmsnap diff %s' % f, [b['vmsnap'], 'diff'] + o +
                          [outlib.fixture(args, 'snapdiff-old'),
                           outlib.fixture(args, 'snapdiff-new')]))
    if 'vmtop' in b:
        cases.append(('vmtop -b', [b['vmtop'], '-b', '-p', '500'] + fx('vmtop/t0')))
        cases.append(('vmtop -b series', [b['vmtop'], '-b'] + fx('vmtop/t0') +
                      fx('vmtop/t1') + fx('vmtop/t2')))
    return cases


def readable(argv):
    """Can this user read every --root of @argv (a checkout's fixtures are 0755/0644)?"""
    for i, a in enumerate(argv[:-1]):
        if a == '--root' and not os.access(os.path.join(argv[i + 1], 'vmscope-snapshot'),
                                           os.R_OK):
            return False
    return True


def live_cases(args):
    """The live system: a whole scan, and streams that must stop at the first failed write."""
    b = args.bin
    cases = []
    if 'vmrank' in b:
        # a whole scan: more than a pipe holds, so head -c1 leaves it writing
        cases.append(('vmrank -J (live)', [b['vmrank'], '-J', '--output-all']))
        cases.append(('vmrank --format openmetrics (live)',
                      [b['vmrank'], '--format', 'openmetrics']))
    if 'vmfault' in b:
        cases.append(('vmfault -J -i (live NDJSON)',
                      [b['vmfault'], '-J', '-i', '0.1', '-c', '600', '-N', '3']))
        cases.append(('vmfault -i (live table)',
                      [b['vmfault'], '-i', '0.1', '-c', '600', '-N', '3']))
    if 'vmswap' in b:
        cases.append(('vmswap --activity -J (live NDJSON)',
                      [b['vmswap'], '--activity', '-J', '-i', '0.1', '-c', '600']))
    if 'vmtop' in b:
        cases.append(('vmtop -b (live)',
                      [b['vmtop'], '-b', '-d', '0.1', '-n', '600', '-p', str(os.getpid())]))
    return cases


def run(argv, stdout, stdin=subprocess.DEVNULL, restore_signals=True, preexec=None,
        stderr=subprocess.PIPE, timeout=60):
    p = subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=stderr, env=ENV,
                         restore_signals=restore_signals, preexec_fn=preexec)
    try:
        _, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise outlib.Failed('%s did not finish in %d s' % (' '.join(argv), timeout))
    return p.returncode, (err or b'').decode('utf-8', 'replace')


def baseline(argv):
    """The normal run: exit status, stdout, stderr lines."""
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=ENV,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr.decode('utf-8', 'replace').splitlines()


# A full scan of the live system may end with summary lines about the processes
# it skipped ("N processes vanished while being read"): not output errors.
SKIP_SUMMARY = re.compile(r'^\S+: (skipped |the memory of )?\d+ process(es)? ')


def extra_lines(err, base_err):
    """The stderr lines beyond those of the normal run (and skipped-process summaries)."""
    lines = err.splitlines()
    for l in base_err:
        if l in lines:
            lines.remove(l)
    return [l for l in lines if not SKIP_SUMMARY.match(l)]


def close_fd1():
    os.close(1)


def closed_reader(argv, ignore_sigpipe, timeout=60):
    """argv with stdout a pipe whose reader has already gone: EPIPE at the first write."""
    r, w = os.pipe()
    os.close(r)
    try:
        return run(argv, w, restore_signals=not ignore_sigpipe, timeout=timeout)
    finally:
        os.close(w)


def head_c1(argv, ignore_sigpipe, timeout=60):
    """`argv | head -c1` with a one-page pipe, so that a long output meets EPIPE."""
    r, w = os.pipe()
    try:
        fcntl.fcntl(w, F_SETPIPE_SZ, 4096)
    except OSError:
        pass
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=w, stderr=subprocess.PIPE,
                         env=ENV, restore_signals=not ignore_sigpipe)
    os.close(w)
    first = os.read(r, 1)
    os.close(r)
    try:
        _, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise outlib.Failed('%s | head -c1 did not finish' % ' '.join(argv))
    return first, p.returncode, err.decode('utf-8', 'replace')


def check_epipe(check, label, status, err, base_err, ignore):
    what = '%s (SIGPIPE %s)' % (label, 'ignored' if ignore else 'default')
    if ignore:
        check.eq('%s: exit status (EPIPE is not an error)' % what, 0, status)
    else:
        check.ok(status in (0, -signal.SIGPIPE),
                 '%s: expected exit 0 or death by SIGPIPE, got %s' % (what, status))
    check.eq('%s: stderr beyond the normal run\'s' % what, [], extra_lines(err, base_err))


def check_case(check, label, argv, live=False):
    if live:
        base_status, base_out, base_err = 0, b'x', []
    else:
        base_status, base_out, base_err = baseline(argv)
        if not check.ok(base_status == 0 and base_out,
                        '%s: the normal run fails: exit %d, %r' % (label, base_status, base_err)):
            return
    prog = os.path.basename(argv[0])

    with open('/dev/full', 'wb') as full:
        status, err = run(argv, full)
    what = '%s > /dev/full' % label
    check.eq('%s: exit status' % what, 1, status)
    extra = extra_lines(err, base_err)
    check.ok(len(extra) == 1 and extra[0].startswith(prog + ': ') and
             extra[0].endswith('No space left on device'),
             '%s: expected one line "%s: write error: No space left on device", got %r'
             % (what, prog, extra))

    status, err = run(argv, None, preexec=close_fd1)
    what = '%s >&-' % label
    check.eq('%s: exit status' % what, 1, status)
    extra = extra_lines(err, base_err)
    check.ok(len(extra) == 1 and extra[0].startswith(prog + ': ') and
             'Bad file descriptor' in extra[0],
             '%s: expected one line "%s: write error: Bad file descriptor", got %r'
             % (what, prog, extra))

    for ignore in (False, True):
        status, err = closed_reader(argv, ignore)
        check_epipe(check, '%s | (reader gone)' % label, status, err, base_err, ignore)
        first, status, err = head_c1(argv, ignore)
        if live:
            check.ok(len(first) == 1, '%s | head -c1: nothing read' % label)
        else:
            check.eq('%s | head -c1: first byte' % label, base_out[:1], first)
        check_epipe(check, '%s | head -c1' % label, status, err, base_err, ignore)


# ---------------------------------------------------------------------------
# B7: started with fds 0, 1, 2 closed

WRITES = ('write', 'writev', 'pwrite64', 'pwritev', 'pwritev2')
SYSCALL = re.compile(r'^(\d+) +([a-z0-9_]+)\((\d+)?(.*)\) += (-?\d+)')
# strace -f splits a syscall that another thread's interrupts in two lines
UNFINISHED = re.compile(r'^(\d+) +([a-z0-9_]+)\((\d+)?.*<unfinished \.\.\.>$')
RESUMED = re.compile(r'^(\d+) +<\.\.\. ([a-z0-9_]+) resumed>.*\) += (-?\d+)')


def landed_writes(lines, fds):
    """The strace lines of writes to one of @fds that succeeded."""
    landed = []
    pending = {}  # pid -> a write that another thread's syscall interrupted
    for l in lines:
        m = UNFINISHED.match(l)
        if m:
            if m.group(2) in WRITES and m.group(3) in fds:
                pending[m.group(1)] = l
            continue
        m = RESUMED.match(l)
        if m:
            if m.group(1) in pending and int(m.group(3)) >= 0:
                landed.append(pending[m.group(1)] + ' ... ' + l)
            pending.pop(m.group(1), None)
            continue
        m = SYSCALL.match(l)
        if m and m.group(2) in WRITES and m.group(3) in fds and int(m.group(5)) >= 0:
            landed.append(l)
    return landed


def strace_fd1(args, check, label, argv):
    """Run argv with fd 1 closed under strace: no write may land on fd 1."""
    with tempfile.TemporaryDirectory(dir=args.workdir) as d:
        log = os.path.join(d, 'strace.log')
        # the shell closes fd 1 and execs: the command starts with it closed
        sh = ['sh', '-c', 'exec "$@" >&-', 'sh'] + argv
        p = subprocess.run(['strace', '-f', '-qq', '-o', log, '-e',
                            'trace=execve,openat,open,close,dup2,dup3,fcntl,' +
                            ','.join(WRITES), '--'] + sh,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, env=ENV, timeout=120)
        err = p.stderr.decode('utf-8', 'replace')
        with open(log, 'r', errors='replace') as f:
            lines = f.read().splitlines()
    what = '%s started with fd 1 closed (strace)' % label
    if not any(re.match(r'^\d+ +execve\("%s"' % re.escape(argv[0]), l) for l in lines):
        # no ptrace here (a container's seccomp profile, Yama): strace ran nothing
        note('%s: strace cannot trace here: %s' % (what, err.strip()[:200]))
        return False
    check.eq('%s: exit status' % what, 1, p.returncode)
    check.ok('Bad file descriptor' in err, '%s: expected EBADF on stderr, got %r' % (what, err))
    landed = landed_writes(lines, ('1',))
    check.eq('%s: successful writes to fd 1' % what, [], landed[:5])
    return True


def check_closed_fds(args, check, cases):
    """B7: fds closed at the start."""
    strace = shutil.which('strace')
    traced = 0
    seen = set()
    for label, argv in cases:
        prog = os.path.basename(argv[0])
        if prog in seen:
            continue
        seen.add(prog)
        base_status, base_out, base_err = baseline(argv)
        # stdin closed: no difference at all
        p = subprocess.run(argv, stdin=None, capture_output=True, env=ENV, timeout=60,
                           preexec_fn=lambda: os.close(0))
        check.eq('%s <&-: exit status' % label, base_status, p.returncode)
        check.ok(p.stdout == base_out, '%s <&-: stdout differs from the normal run' % label)
        # stdout and stderr closed: nowhere to say it, but exit 1 all the same
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, env=ENV, timeout=60,
                           preexec_fn=lambda: (os.close(1), os.close(2)))
        check.eq('%s >&- 2>&-: exit status' % label, 1, p.returncode)
        if strace and strace_fd1(args, check, label, argv):
            traced += 1
    if not strace:
        note('strace not installed: the fd 1 checks are by exit status only')
    return traced


def check_vmsnap_closed(args, check):
    """vmsnap with fds 0, 1, 2 closed: the capture is whole, nothing of it on fd 1."""
    if 'vmsnap' not in args.bin or 'vmrank' not in args.bin:
        return
    with outlib.scratch(args, 'b7') as d:
        for kind in ('snap/', 'snap.tar'):
            out = os.path.join(d, kind)
            p = subprocess.run([args.bin['vmsnap'], '-q', '-o', out, str(os.getpid()), '1'],
                               env=ENV, timeout=120,
                               preexec_fn=lambda: [os.close(fd) for fd in (0, 1, 2)])
            what = 'vmsnap -o %s with fds 0-2 closed' % kind
            check.ok(p.returncode in (0, 3), '%s: exit status %d' % (what, p.returncode))
            r = outlib.run([args.bin['vmrank'], '--root', out, '-J'])
            check.eq('%s: vmrank reads it: exit status (%s)' % (what, r.err.strip()), 0,
                     r.status)
            try:
                outlib.strict_loads(r.out)
            except outlib.JSONError as e:
                check.fail('%s: vmrank -J on it: %s' % (what, e))
            if shutil.which('strace'):
                log = os.path.join(d, 'strace-%s.log' % kind.strip('/.'))
                out2 = os.path.join(d, 'traced-' + kind)
                subprocess.run(['strace', '-f', '-qq', '-o', log, '-e',
                                'trace=' + ','.join(WRITES), '--', 'sh', '-c',
                                'exec "$@" <&- >&- 2>&-', 'sh', args.bin['vmsnap'], '-q',
                                '-o', out2, str(os.getpid())],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=ENV, timeout=120)
                with open(log, errors='replace') as f:
                    bad = [l[:120] for l in landed_writes(f.read().splitlines(),
                                                         ('0', '1', '2'))]
                check.eq('%s: writes that landed on fds 0-2 (strace)' % what, [], bad[:5])


def body(args, check):
    if not args.bin:
        raise outlib.Skip('no command built')
    if not os.path.exists('/dev/full'):
        raise outlib.Skip('/dev/full is missing')
    cases = fixture_cases(args)
    if not all(readable(argv) for _, argv in cases):
        note('the fixtures cannot be read by uid %d here: live cases only' % os.geteuid())
        cases = [c for c in cases if readable(c[1])]
    for label, argv in cases:
        check_case(check, label, argv)
    for label, argv in live_cases(args):
        check_case(check, label, argv, live=True)
    traced = check_closed_fds(args, check, cases)
    note('%d fixture cases, %d live cases, %d commands traced with fd 1 closed'
         % (len(cases), len(live_cases(args)), traced))
    check_vmsnap_closed(args, check)


if __name__ == '__main__':
    outlib.run_test(body)
