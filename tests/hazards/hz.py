# SPDX-License-Identifier: GPL-2.0-or-later
"""hz: shared code of the hazards tests: arguments, checks, command runs, fixture trees."""

# Every tests/hazards/test_*.py imports this module (Python puts the script's
# own directory first on sys.path).  Plain standard library only.

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP_STATUS = 77
COMMANDS = ['vmrank', 'vmmap', 'vmwalk', 'vmfault', 'vmswap', 'vmsnap', 'vmtop']
NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups']
# every command run gets this environment, plus what a test adds
BASE_ENV = {'PATH': '/usr/bin:/bin', 'LC_ALL': 'C.UTF-8', 'SOURCE_DATE_EPOCH': '1700000000'}


class Skip(Exception):
    """The test (or a part of it) cannot run here; the message says why."""


def _sigterm(signum, frame):
    # meson sends SIGTERM on timeout: unwind so that every finally: runs
    raise SystemExit(128 + signum)


def parse_args():
    p = argparse.ArgumentParser()
    for c in COMMANDS:
        p.add_argument('--' + c, required=True, help='the built ' + c)
    p.add_argument('--fixtures', required=True, help='tests/fixtures')
    p.add_argument('--workdir', required=True, help='a build directory for scratch files')
    p.add_argument('--part', action='append', help='run only these parts')
    return p.parse_args()


class Checker:
    """Collects failures, so that one run reports all of them."""

    def __init__(self):
        self.failures = []
        self.passed = 0
        self.skipped = []

    def fail(self, msg):
        self.failures.append(msg)
        print('FAIL: ' + msg, flush=True)

    def ok(self, cond, msg):
        if cond:
            self.passed += 1
        else:
            self.fail(msg)
        return cond

    def eq(self, what, expected, got):
        return self.ok(expected == got, '%s: expected %r, got %r' % (what, expected, got))


def note(msg):
    print('note: ' + msg, flush=True)


def run_test(parts):
    """Run the parts, a list of (name, fn(args, check)); a part may raise Skip.  Exit 0
    when all passed, 77 when every part was skipped, 1 on a failure."""
    signal.signal(signal.SIGTERM, _sigterm)
    args = parse_args()
    missing = [c for c in COMMANDS if not os.access(getattr(args, c), os.X_OK)]
    if missing:
        print('SKIP: not built: %s' % ', '.join(missing), flush=True)
        sys.exit(SKIP_STATUS)
    check = Checker()
    ran = 0
    for name, fn in parts:
        if args.part and name not in args.part:
            continue
        try:
            fn(args, check)
            ran += 1
        except Skip as e:
            check.skipped.append(name)
            print('part %s: SKIP: %s' % (name, e), flush=True)
    if check.failures:
        print('%d failures, %d checks passed' % (len(check.failures), check.passed))
        sys.exit(1)
    if not ran:
        print('SKIP: every part was skipped (%s)' % ', '.join(check.skipped), flush=True)
        sys.exit(SKIP_STATUS)
    print('ok: %d checks passed%s' % (check.passed, ', parts skipped: ' + ', '.join(
        check.skipped) if check.skipped else ''), flush=True)
    sys.exit(0)


class Result:
    def __init__(self, argv, rc, out, err, rusage=None, timed_out=False):
        self.argv, self.rc, self.out, self.err = argv, rc, out, err
        self.rusage, self.timed_out = rusage, timed_out

    @property
    def text(self):
        return self.out.decode('utf-8', 'replace')

    @property
    def etext(self):
        return self.err.decode('utf-8', 'replace')

    def show(self):
        a = ' '.join(shlex_quote(x) for x in self.argv)
        if len(a) > 300:
            a = a[:300] + '...'
        return '`%s` (exit %s%s; stderr %r)' % (a, self.rc, ', TIMED OUT' if self.timed_out
                                                else '', self.err[:300])


def shlex_quote(s):
    s = s if isinstance(s, str) else s.decode('utf-8', 'replace')
    return s if re.fullmatch(r'[\w@%+=:,./-]+', s) else "'" + s.replace("'", "'\\''") + "'"


def run(argv, env=None, timeout=60, stdin=subprocess.DEVNULL, user=None, cwd=None):
    """Run argv in the base environment (plus @env; a None value removes a key), killed
    (its whole session) after @timeout seconds."""
    e = dict(BASE_ENV)
    for k, v in (env or {}).items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    argv = [str(a) for a in argv]
    full = (NOBODY + argv) if user == 'nobody' else argv
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(full, stdin=stdin, stdout=out, stderr=err, env=e, cwd=cwd,
                             start_new_session=True)
        timed_out = False
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        out.seek(0)
        err.seek(0)
        return Result(argv, p.returncode, out.read(), err.read(), None, timed_out)


def spawn_ru(argv, env=None, timeout=120):
    """Run argv with os.posix_spawn and reap it with wait4: its own rusage."""
    e = dict(BASE_ENV)
    e.update(env or {})
    argv = [str(a) for a in argv]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            open(os.devnull, 'rb') as null:
        pid = os.posix_spawn(argv[0], argv, e, file_actions=[
            (os.POSIX_SPAWN_DUP2, null.fileno(), 0),
            (os.POSIX_SPAWN_DUP2, out.fileno(), 1),
            (os.POSIX_SPAWN_DUP2, err.fileno(), 2)], setsid=True)
        timed_out = False
        deadline = time.monotonic() + timeout
        while True:
            wpid, status, ru = os.wait4(pid, os.WNOHANG)
            if wpid == pid:
                break
            if time.monotonic() > deadline:
                timed_out = True
                os.killpg(pid, signal.SIGKILL)
                wpid, status, ru = os.wait4(pid, 0)
                break
            time.sleep(0.02)
        out.seek(0)
        err.seek(0)
        return Result(argv, os.waitstatus_to_exitcode(status), out.read(), err.read(), ru,
                      timed_out)


# ---------------------------------------------------------------------------
# Fixture trees, made at run time from the committed ones


def copy_fixture(args, name, dst):
    shutil.copytree(os.path.join(args.fixtures, name), dst, symlinks=True)
    return dst


def clone_process(root, src_pid, pid, comm=None, cmdline=None):
    """Copy process @src_pid of the fixture at @root as @pid (its stat says so), with
    another comm and command line if given."""
    src = os.path.join(root, 'proc', str(src_pid))
    d = os.path.join(root, 'proc', str(pid))
    shutil.copytree(src, d, symlinks=True)
    with open(os.path.join(d, 'stat'), 'rb') as f:
        st = f.read()
    head = str(pid).encode() + b' ('
    name = comm if comm is not None else st[st.index(b'(') + 1:st.rindex(b')')]
    with open(os.path.join(d, 'stat'), 'wb') as f:
        f.write(head + name + st[st.rindex(b')'):])
    if cmdline is not None:
        with open(os.path.join(d, 'cmdline'), 'wb') as f:
            f.write(cmdline)
    return d


def write(path, data, mode=0o644):
    if isinstance(data, str):
        data = data.encode()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)
    os.chmod(path, mode)


def scratch(args, prefix):
    """A scratch directory under the build directory, or $TMPDIR for a user who cannot
    write there (removed by the caller)."""
    try:
        os.makedirs(args.workdir, exist_ok=True)
        d = tempfile.mkdtemp(prefix=prefix, dir=args.workdir)
    except OSError:
        d = tempfile.mkdtemp(prefix=prefix)
    os.chmod(d, 0o755)
    return d


def free_pid():
    """A PID that no process has now (the largest free one below pid_max)."""
    try:
        with open('/proc/sys/kernel/pid_max') as f:
            top = int(f.read())
    except OSError:
        top = 32768
    for pid in range(top - 1, 300, -1):
        if not os.path.exists('/proc/%d' % pid):
            return pid
    raise Skip('no free PID found')
