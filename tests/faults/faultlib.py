# SPDX-License-Identifier: GPL-2.0-or-later
"""faultlib: shared code of the fault tests: arguments, the shim's environment, targets, checks."""

# Every test script in tests/faults imports this module (Python puts the
# script's own directory first on sys.path).  Plain standard library only.

import argparse
import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time

SKIP_STATUS = 77
COMMANDS = ('vmrank', 'vmmap', 'vmwalk', 'vmfault', 'vmswap', 'vmsnap')
# What a sanitizer prints when it finds something (ASan, LSan, UBSan).
SANITIZER_MARKS = ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:',
                   'ERROR: UndefinedBehaviorSanitizer', 'SUMMARY: ')


class Skip(Exception):
    """The test cannot run here; the message says why."""


class Failed(Exception):
    """A fatal failure."""


def _sigterm(signum, frame):
    # meson's timeout: unwind so that every finally: runs (targets killed,
    # mounts undone, temporary directories removed).
    raise SystemExit(128 + signum)


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument('--shim', required=True)
    p.add_argument('--victim', required=True)
    for c in COMMANDS:
        p.add_argument('--' + c, required=True)
    p.add_argument('--fixtures', required=True)
    p.add_argument('--workdir', required=True)
    p.add_argument('--sanitized', action='store_true',
                   help='the commands are built with ASan/UBSan')
    return p.parse_args()


class Checker:
    """Collects failures so that one run reports all of them."""

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


def run_test(body):
    """Run body(args, check): exit 0, 1 with each failure, or 77 on Skip."""
    signal.signal(signal.SIGTERM, _sigterm)
    args = parse_args()
    check = Checker()
    try:
        body(args, check)
    except Skip as e:
        if check.failures:
            print('%d check(s) failed before the SKIP' % len(check.failures), flush=True)
            sys.exit(1)
        print('SKIP: %s' % e, flush=True)
        sys.exit(SKIP_STATUS)
    except Failed as e:
        check.fail(str(e))
    if check.failures:
        print('%d check(s) failed, %d passed' % (len(check.failures), check.passed), flush=True)
        sys.exit(1)
    print('ok: %d checks passed' % check.passed, flush=True)
    sys.exit(0)


# ---------------------------------------------------------------------------
# Running a command


class Result:
    def __init__(self, argv, status, out, err, env_note=''):
        self.argv = argv
        self.status = status
        self.out = out
        self.err = err.decode('utf-8', 'replace') if isinstance(err, bytes) else err
        self.env_note = env_note

    @property
    def signal(self):
        return -self.status if self.status is not None and self.status < 0 else None

    def cmd(self):
        base = ' '.join([os.path.basename(self.argv[0])] + [str(a) for a in self.argv[1:]])
        return (self.env_note + ' ' + base).strip()

    def describe(self):
        err = self.err.strip()
        if len(err) > 600:
            err = err[:600] + '...'
        return '`%s` (exit %s; stderr: %s)' % (self.cmd(), self.status, err or '(empty)')

    def json(self):
        return json.loads(self.out.decode('utf-8'))


def shim_env(args, **vmsf):
    """The environment of a command run with the shim and these VMSF_* settings."""
    env = dict(os.environ)
    env['LD_PRELOAD'] = args.shim
    # A preloaded library comes before the sanitizer's runtime in the list.
    env['ASAN_OPTIONS'] = ':'.join(filter(None, [env.get('ASAN_OPTIONS', ''),
                                                 'verify_asan_link_order=0']))
    for k, v in vmsf.items():
        env['VMSF_' + k.upper()] = str(v)
    return env


def run(argv, env=None, timeout=60, preexec_fn=None, pass_fds=(), note_env='',
        stdout=subprocess.PIPE):
    argv = [str(a) for a in argv]
    try:
        p = subprocess.run(argv, stdout=stdout, stderr=subprocess.PIPE, env=env,
                           timeout=timeout, preexec_fn=preexec_fn, pass_fds=pass_fds,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        r = Result(argv, None, e.stdout or b'', e.stderr or b'', note_env)
        raise Failed('%s: no end within %d s (a hang?)' % (r.describe(), timeout))
    return Result(argv, p.returncode, p.stdout if p.stdout is not None else b'',
                  p.stderr, note_env)


def check_clean(check, r, what=None):
    """No death by a signal, no sanitizer report: what every run must give."""
    what = what or r.cmd()
    ok = check.ok(r.status is not None and r.status >= 0,
                  '%s: died of signal %s: %s' % (what, r.signal, r.describe()))
    marks = [m for m in SANITIZER_MARKS if m in r.err]
    ok &= check.ok(not marks, '%s: sanitizer report (%s): %s' % (what, marks, r.describe()))
    return ok


def json_docs(data):
    """A JSON document, or the list of the documents of NDJSON (one per line)."""
    text = data.decode('utf-8')
    try:
        return json.loads(text)
    except ValueError:
        lines = [line for line in text.split('\n') if line.strip()]
        if len(lines) < 2:
            raise
        return [json.loads(line) for line in lines]


def strip_volatile(doc, keys=('time',)):
    """A JSON document without the keys whose value changes from run to run."""
    if isinstance(doc, dict):
        return {k: strip_volatile(v, keys) for k, v in doc.items() if k not in keys}
    if isinstance(doc, list):
        return [strip_volatile(v, keys) for v in doc]
    return doc


def first_diff(a, b, path=''):
    """Where two JSON values first differ, for a message."""
    if type(a) is not type(b):
        return '%s: %r vs %r' % (path or '/', a, b)
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return '%s/%s: only in %s' % (path, k, 'the first' if k in a else 'the second')
            d = first_diff(a[k], b[k], '%s/%s' % (path, k))
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return '%s: %d vs %d items' % (path or '/', len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_diff(x, y, '%s[%d]' % (path, i))
            if d:
                return d
        return None
    return None if a == b else '%s: %r vs %r' % (path or '/', a, b)


# ---------------------------------------------------------------------------
# Targets


class Target:
    """A helper process that prints one JSON line and waits for EOF on its
    stdin.  Its own session; killed with its group on the way out.  wait()
    reaps it (the test is its parent); until then a killed target is a zombie."""

    def __init__(self, argv, timeout=30):
        self.argv = [str(a) for a in argv]
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True)
        self.reaped = False
        try:
            self.info = self.read_json(timeout)
        except BaseException:
            self.close()
            raise

    @property
    def pid(self):
        return self.proc.pid

    def read_json(self, timeout=30):
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        buf = b''
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        try:
            while not buf.endswith(b'\n'):
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise Failed('%s: no JSON line within %d s' % (self.argv[0], timeout))
                chunk = os.read(fd, 1)
                if not chunk:
                    raise Failed('%s exited before reporting: %s' % (
                        self.argv[0], self.proc.stderr.read().decode(errors='replace')))
                buf += chunk
        finally:
            sel.close()
        return json.loads(buf.decode())

    def send(self, line):
        self.proc.stdin.write(line.encode() + b'\n')
        self.proc.stdin.flush()

    def kill(self):
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGKILL)

    def wait_zombie(self, timeout=10):
        """After kill(): until its state is Z (dead, not reaped)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with open('/proc/%d/stat' % self.pid, 'rb') as f:
                    st = f.read()
                if st[st.rindex(b')') + 2:][:1] in (b'Z', b'X'):
                    return
            except OSError:
                return
            time.sleep(0.002)
        raise Failed('pid %d did not die within %d s' % (self.pid, timeout))

    def reap(self):
        self.proc.wait(timeout=10)
        self.reaped = True

    def close(self):
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
        for f in (self.proc.stdout, self.proc.stderr):
            with contextlib.suppress(OSError):
                f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def victim(args, *options):
    return Target([args.victim] + list(options))


def fixtures_readable(args, *names):
    """Can we read every file of these fixture snapshots?  (A checkout made by
    root with a umask of 077 cannot be read by nobody.)"""
    for name in names:
        top = os.path.join(args.fixtures, name)
        if not os.access(top, os.R_OK | os.X_OK):
            return False
        for top, dirs, files in os.walk(top):
            # os.walk() passes over a directory it cannot list: test each
            for sub in dirs:
                if not os.access(os.path.join(top, sub), os.R_OK | os.X_OK):
                    return False
            for f in files:
                p = os.path.join(top, f)
                if not os.path.islink(p) and not os.access(p, os.R_OK):
                    return False
    return True


def need_fixtures(args, *names):
    if not fixtures_readable(args, *names):
        raise Skip('the fixture snapshots %s under %s are not readable by this user'
                   % (', '.join(names), args.fixtures))


def scratch_file(args, prefix='vmsf-'):
    """A new empty file for the shim to write to (a count, a log): in the build
    directory when writable (not as nobody), else in $TMPDIR.  The caller removes it."""
    where = args.workdir if os.access(args.workdir, os.W_OK) else None
    fd, path = tempfile.mkstemp(prefix=prefix, dir=where)
    os.close(fd)
    os.chmod(path, 0o666)
    return path


@contextlib.contextmanager
def tempdir(args, prefix='vmsf-', where=None):
    """A scratch directory (in @where, else the build directory when writable,
    else $TMPDIR), removed with all it holds on the way out."""
    if where is None and os.access(args.workdir, os.W_OK):
        where = args.workdir
    d = tempfile.mkdtemp(prefix=prefix, dir=where)
    try:
        yield d
    finally:
        subprocess.run(['rm', '-rf', '--one-file-system', d], check=False)


# ---------------------------------------------------------------------------
# The trigger: the shim stops the command at an event and waits for the test


class Trigger:
    """Pipes for VMSF_TRIGGER: env() gives the command's variables and
    pass_fds; wait_event() blocks until the shim reports the event (or the
    command ends first); go() lets the command continue."""

    def __init__(self, spec):
        self.spec = spec
        self.ev_r, self.ev_w = os.pipe()
        self.go_r, self.go_w = os.pipe()
        self.fired = None

    def env(self):
        return {'trigger': self.spec, 'sync': '%d,%d' % (self.ev_w, self.go_r)}

    @property
    def pass_fds(self):
        return (self.ev_w, self.go_r)

    def started(self):
        """In the parent once the command runs: close the command's ends."""
        for fd in (self.ev_w, self.go_r):
            with contextlib.suppress(OSError):
                os.close(fd)

    def wait_event(self, timeout=30):
        sel = selectors.DefaultSelector()
        sel.register(self.ev_r, selectors.EVENT_READ)
        buf = b''
        deadline = time.monotonic() + timeout
        try:
            while not buf.endswith(b'\n'):
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise Failed('the shim did not report %s within %d s' % (self.spec, timeout))
                chunk = os.read(self.ev_r, 4096)
                if not chunk:
                    return None  # the command ended without the event
                buf += chunk
        finally:
            sel.close()
        self.fired = buf.decode(errors='replace').strip()
        return self.fired

    def go(self):
        with contextlib.suppress(OSError):
            os.write(self.go_w, b'g')

    def close(self):
        for fd in (self.ev_r, self.go_w, self.ev_w, self.go_r):
            with contextlib.suppress(OSError):
                os.close(fd)


def run_with_trigger(args, argv, spec, action, timeout=60, extra_env=None):
    """Run argv with the shim stopping it at event @spec; call action(event)
    there (event None: the command ended without it), then let it go on.
    Returns (Result, event)."""
    t = Trigger(spec)
    env = shim_env(args, **t.env(), **(extra_env or {}))
    argv = [str(a) for a in argv]
    try:
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                             pass_fds=t.pass_fds, stdin=subprocess.DEVNULL)
        t.started()
        # the command's output is read on the side, so that a full pipe never
        # blocks it while the test waits for the event
        outs = {}

        def drain(name, f):
            outs[name] = f.read()

        th = [threading.Thread(target=drain, args=(n, f), daemon=True)
              for n, f in (('out', p.stdout), ('err', p.stderr))]
        for x in th:
            x.start()
        try:
            ev = t.wait_event(timeout)
            action(ev)
        finally:
            t.go()
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise Failed('`%s`: no end within %d s after the event' % (' '.join(argv), timeout))
        for x in th:
            x.join(10)
        return Result(argv, p.returncode, outs.get('out', b''), outs.get('err', b''),
                      'VMSF_TRIGGER=' + spec), ev
    finally:
        t.close()
