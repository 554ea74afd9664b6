# SPDX-License-Identifier: GPL-2.0-or-later
"""privs: shared code for the privilege tests: the commands, runs as an unprivileged
user, target processes, a pty, strace, and a checker that reports every failure."""

# Every test runs as root (then the unprivileged side is nobody, via setpriv) and as
# an ordinary user (the CI's setpriv pass: then that user is the unprivileged side,
# and the parts that need root say so).  Plain standard library only.

import argparse
import contextlib
import errno
import fcntl
import json
import os
import pwd
import resource
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time

SKIP_STATUS = 77
COMMANDS = ['vmrank', 'vmmap', 'vmwalk', 'vmfault', 'vmswap', 'vmsnap', 'vmtop']
NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups']
ROOT = os.geteuid() == 0
HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(HERE, 'target.py')
PAGE = os.sysconf('SC_PAGE_SIZE')


class Skip(Exception):
    """The test cannot run here; the message says why."""


class Failed(Exception):
    """A fatal failure: the message says what was expected and what came."""


class Checker:
    def __init__(self):
        self.failures = []
        self.passed = 0

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
        if expected == got:
            self.passed += 1
            return True
        self.fail('%s: expected %r, got %r' % (what, expected, got))
        return False


def note(msg):
    print('# ' + msg, flush=True)


def _sigterm(signum, frame):
    # meson's timeout: unwind so that every finally: runs (targets killed, dirs removed)
    raise SystemExit(128 + signum)


def parse_args(extra=None):
    p = argparse.ArgumentParser()
    for c in COMMANDS:
        p.add_argument('--' + c, help='the built ' + c)
    p.add_argument('--workdir', required=True, help='a scratch directory of the build')
    if extra:
        extra(p)
    return p.parse_args()


def run_test(body, extra=None):
    """body(args, check); exit 0, 1 with every failure, or 77 on Skip."""
    signal.signal(signal.SIGTERM, _sigterm)
    args = parse_args(extra)
    check = Checker()
    try:
        body(args, check)
    except Skip as e:
        if check.failures:
            print('%d check(s) failed before the skip' % len(check.failures))
            sys.exit(1)
        print('SKIP: %s' % e, flush=True)
        sys.exit(SKIP_STATUS)
    except Failed as e:
        check.fail(str(e))
    if check.failures:
        print('%d check(s) failed, %d passed' % (len(check.failures), check.passed))
        sys.exit(1)
    print('ok: %d checks passed' % check.passed, flush=True)
    sys.exit(0)


def commands(args):
    """{name: path} of the commands that were built (vmtop needs ncursesw)."""
    out = {}
    for c in COMMANDS:
        path = getattr(args, c)
        if path and os.access(path, os.X_OK):
            out[c] = path
    if 'vmrank' not in out:
        raise Skip('the commands are not built')
    return out


def unpriv_name():
    return 'nobody' if ROOT else 'uid %d' % os.geteuid()


def unpriv(argv):
    """argv run by the unprivileged side: nobody when we are root, else ourselves."""
    return NOBODY + list(argv) if ROOT else list(argv)


def base_env(**extra):
    env = dict(os.environ)
    env['LANG'] = 'C.UTF-8'
    env.pop('LC_ALL', None)
    # LeakSanitizer cannot run under ptrace (strace): it would fail the exit
    env['ASAN_OPTIONS'] = ':'.join(x for x in [env.get('ASAN_OPTIONS', ''),
                                                'detect_leaks=0'] if x)
    env.update(extra)
    return env


def nobody_ids():
    pw = pwd.getpwnam('nobody')
    return pw.pw_uid, pw.pw_gid


def scratch(prefix, mode=0o755, owner_unpriv=False):
    """A directory in /tmp that the unprivileged side can enter (or write)."""
    d = tempfile.mkdtemp(prefix=prefix, dir='/tmp')
    os.chmod(d, mode)
    if owner_unpriv and ROOT:
        uid, gid = nobody_ids()
        os.chown(d, uid, gid)
    return d


class Result:
    def __init__(self, argv, status, out, err):
        self.argv, self.status, self.out, self.err = argv, status, out, err

    @property
    def text(self):
        return self.out.decode('utf-8', 'replace')

    def describe(self):
        return '`%s`: exit %s, stderr %r' % (' '.join(str(a) for a in self.argv)[:300],
                                            self.status, self.err[:400])


def run(argv, env=None, cwd=None, timeout=120, unprivileged=False, stdin=None):
    argv = [str(a) for a in argv]
    if unprivileged:
        argv = unpriv(argv)
    try:
        p = subprocess.run(argv, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
                           env=env if env is not None else base_env(), timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failed('`%s` did not finish within %d s' % (' '.join(argv)[:300], timeout))
    return Result(argv, p.returncode, p.stdout, p.stderr.decode('utf-8', 'replace'))


def run_pty(argv, env=None, cwd=None, timeout=120, unprivileged=False, cols=400, rows=50,
            tty_stdin=False):
    """Run with stdout and stderr on a pseudo-terminal (stdin /dev/null, or the terminal
    too with tty_stdin); return the bytes the terminal received."""
    argv = [str(a) for a in argv]
    if unprivileged:
        argv = unpriv(argv)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    if ROOT and unprivileged:
        # the unprivileged side must be able to open its own terminal
        os.chown(os.ttyname(slave), nobody_ids()[0], -1)
    try:
        p = subprocess.Popen(argv, stdin=slave if tty_stdin else subprocess.DEVNULL,
                             stdout=slave, stderr=slave,
                             cwd=cwd, env=env if env is not None else base_env(),
                             start_new_session=True)
    finally:
        os.close(slave)
    out = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failed('`%s` did not finish within %d s' % (' '.join(argv)[:300],
                                                                  timeout))
            r, _, _ = select.select([master], [], [], min(left, 1.0))
            if not r:
                if p.poll() is not None:
                    # exited; drain whatever is left
                    r = [master]
                else:
                    continue
            try:
                chunk = os.read(master, 65536)
            except OSError as e:
                if e.errno == errno.EIO:
                    break
                raise
            if not chunk:
                break
            out += chunk
        status = p.wait(timeout=max(1, deadline - time.monotonic()))
    finally:
        if p.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        os.close(master)
    return Result(argv, status, bytes(out), '')


class Target:
    """tests/privs/target.py started in its own session, as the unprivileged user or as
    ourselves; it prints one JSON line and waits for EOF.  A context manager."""

    def __init__(self, *opts, unprivileged=False, ballast=(), stack=None, timeout=60):
        argv = [sys.executable, TARGET] + [str(o) for o in opts]
        if ballast:
            argv += ['--'] + list(ballast)
        if unprivileged:
            argv = unpriv(argv)

        def pre():
            if stack:
                resource.setrlimit(resource.RLIMIT_STACK, (stack, stack))
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True,
                                     preexec_fn=pre if stack else None)
        try:
            self.info = self._read_line(timeout)
        except BaseException:
            self.close()
            raise

    def _read_line(self, timeout):
        buf = b''
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b'\n' not in buf:
            left = deadline - time.monotonic()
            r, _, _ = select.select([fd], [], [], max(left, 0))
            if not r:
                raise Failed('target: no JSON line within %d s' % timeout)
            chunk = os.read(fd, 65536)
            if not chunk:
                self.proc.wait(timeout=10)
                raise Failed('target exited with status %s: %s' % (
                    self.proc.returncode, self.proc.stderr.read().decode(errors='replace')))
            buf += chunk
        return json.loads(buf.split(b'\n', 1)[0].decode())

    @property
    def pid(self):
        return self.info['pid']

    def close(self):
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        for f in (self.proc.stdout, self.proc.stderr):
            with contextlib.suppress(OSError):
                f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def strace_path():
    return shutil.which('strace')


def hexs(b):
    return b.hex()


# What a terminal acts on: C0 controls but newline and tab (\r comes from the pty's
# ONLCR), DEL, and the C1 controls, as UTF-8 (U+0080..U+009F) or as raw 8-bit bytes
# that are not part of a UTF-8 character (0x9b alone is CSI on many terminals).
def terminal_controls(data):
    """{name: count} of what a terminal would act on in data (bytes)."""
    out = {}
    for ch in data.decode('utf-8', 'surrogateescape'):
        c = ord(ch)
        if (c < 0x20 and c not in (0x0a, 0x09, 0x0d)) or c == 0x7f:
            k = '0x%02x' % c
        elif 0x80 <= c <= 0x9f:
            k = 'U+%04X' % c
        elif 0xdc80 <= c <= 0xdc9f:
            k = '0x%02x' % (c - 0xdc00)
        else:
            continue
        out[k] = out.get(k, 0) + 1
    return out
