# SPDX-License-Identifier: GPL-2.0-or-later
"""vmfaultlive: shared code for vmfault's live tests: faultzoo helpers, vmfault runs, NDJSON."""

# Every test_vmfault_*.py script gets, besides vmlive's arguments, --vmfault
# (the built vmfault) and --faultzoo (tests/helpers/faultzoo).  Plain standard
# library only.

import contextlib
import json
import os
import re
import selectors
import signal
import subprocess
import time

import vmlive
from vmlive import Failed, Skip, NOBODY


def more_args(p):
    p.add_argument('--vmfault', required=True, help='the built vmfault')
    p.add_argument('--faultzoo', required=True, help='tests/helpers/faultzoo')


def run_test(body):
    """vmlive.run_test, plus SKIP when vmfault or faultzoo is not built."""

    def wrapped(args, check):
        if not os.access(args.vmfault, os.X_OK):
            raise Skip('vmfault not built: ' + args.vmfault)
        if not os.access(args.faultzoo, os.X_OK):
            raise Skip('faultzoo not built: ' + args.faultzoo)
        body(args, check)

    vmlive.run_test(wrapped, more_args)


def users():
    """Who to run as: as root, root and then nobody; otherwise ourselves."""
    return [None, 'nobody'] if os.geteuid() == 0 else [None]


def who(user):
    return user or ('root' if os.geteuid() == 0 else 'uid %d' % os.geteuid())


def as_user(argv, user):
    argv = [str(a) for a in argv]
    if user == 'nobody':
        return NOBODY + argv
    if user is not None:
        raise ValueError(user)
    return argv


# ---------------------------------------------------------------------------
# faultzoo


def faultzoo(args, mode, *options, user=None):
    """Start faultzoo MODE in its own session; .info is its JSON line."""
    return vmlive.Helper([args.faultzoo, mode] + [str(o) for o in options], user=user,
                         name='faultzoo ' + mode)


def read_json_line(h, timeout=30, what=None):
    """The next JSON line on a helper's stdout ("ready"/"done" lines skipped)."""
    fd = h.proc.stdout.fileno()
    buf = getattr(h, '_rest', b'')
    sel = selectors.DefaultSelector()
    sel.register(fd, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    try:
        while True:
            while b'\n' in buf:
                line, buf = buf.split(b'\n', 1)
                if line.startswith(b'{'):
                    h._rest = buf
                    try:
                        return json.loads(line.decode())
                    except ValueError:
                        raise Failed('%s printed invalid JSON: %r' % (h.name, line))
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                raise Failed('%s: no JSON line within %d s%s' % (h.name, timeout,
                                                                 ' after ' + what if what else ''))
            chunk = os.read(fd, 65536)
            if not chunk:
                raise Failed('%s exited without a JSON line%s' % (h.name,
                                                                  ' after ' + what if what else ''))
            buf += chunk
    finally:
        sel.close()


def send(h, line):
    h.proc.stdin.write(line.encode() + b'\n')
    h.proc.stdin.flush()


def perf_probe(args, event='page-faults', pid=None, user=None):
    """What perf_event_open() says to USER: {'ok': bool, 'errno': name}."""
    argv = [args.faultzoo, 'perf-probe', '--event', event]
    if pid:
        argv += ['--pid', pid]
    p = subprocess.run(as_user(argv, user), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    try:
        return json.loads(p.stdout.decode())
    except ValueError:
        raise Failed('faultzoo perf-probe: unexpected output %r (stderr %r)'
                     % (p.stdout, p.stderr))


def read_stat(pid):
    return vmlive.read_stat(pid)


def read_vmstat():
    out = {}
    with open('/proc/vmstat') as f:
        for line in f:
            k, _, v = line.partition(' ')
            out[k] = int(v)
    return out


@contextlib.contextmanager
def sysctl(path, value):
    """Set /proc/sys/PATH to value while the block runs; restore it after, whatever
    happened."""
    full = '/proc/sys/' + path
    with open(full) as f:
        old = f.read().strip()
    with open(full, 'w') as f:
        f.write(str(value))
    vmlive.note('%s = %s (was %s)' % (path.replace('/', '.'), value, old))
    try:
        yield old
    finally:
        try:
            with open(full, 'w') as f:
                f.write(old)
        except OSError as e:
            print('WARNING: could not restore %s to %s: %s' % (full, old, e), flush=True)


# ---------------------------------------------------------------------------
# vmfault runs


class Result:
    def __init__(self, argv, status, out, err):
        self.argv = argv
        self.status = status
        self.out = out  # bytes
        self.err = err.decode('utf-8', 'replace') if isinstance(err, bytes) else err
        self.err_bytes = err if isinstance(err, bytes) else err.encode()

    def cmd(self):
        return ' '.join(self.argv)

    def describe(self):
        return '`%s` (exit %s; stderr: %s)' % (self.cmd(), self.status,
                                               self.err.strip()[:600] or '(empty)')


def vmfault(args, *options, user=None, input=None, timeout=90, umask=-1, cwd=None, path=None):
    """Run vmfault to the end; stdin is input (bytes) or /dev/null; path: its PATH."""
    argv = as_user([args.vmfault] + [str(o) for o in options], user)
    env = None
    if path is not None:
        env = dict(os.environ, PATH=path)
    try:
        p = subprocess.run(argv, input=input,
                           stdin=subprocess.DEVNULL if input is None else None,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                           umask=umask, cwd=cwd, env=env)
    except subprocess.TimeoutExpired:
        raise Failed('`%s` did not finish within %d s' % (' '.join(argv), timeout))
    return Result(argv, p.returncode, p.stdout, p.stderr)


def parse_ndjson(check, r, what=None, command='vmfault'):
    """The samples of an NDJSON run: every line one complete vmscope/1 object of
    @command."""
    what = what or r.cmd()
    try:
        text = r.out.decode('utf-8')
    except UnicodeDecodeError as e:
        check.fail('%s: output is not UTF-8: %s' % (what, e))
        return []
    if text and not text.endswith('\n'):
        check.fail('%s: NDJSON does not end with a complete line: %r' % (what, text[-80:]))
    docs = []
    for n, line in enumerate(text.splitlines(), 1):
        try:
            doc = json.loads(line)
        except ValueError as e:
            check.fail('%s: line %d is not one JSON object (%s): %r' % (what, n, e, line[:200]))
            continue
        if not isinstance(doc, dict) or doc.get('schema') != 'vmscope/1' or \
                doc.get('command') != command:
            check.fail('%s: line %d is not a vmscope/1 %s object: %r'
                       % (what, n, command, line[:200]))
            continue
        docs.append(doc)
    return docs


class Stream:
    """vmfault running in the background, its NDJSON read sample by sample."""

    def __init__(self, args, *options, user=None):
        self.argv = as_user([args.vmfault] + [str(o) for o in options], user)
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     start_new_session=True)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.proc.stdout.fileno(), selectors.EVENT_READ, 'out')
        self.sel.register(self.proc.stderr.fileno(), selectors.EVENT_READ, 'err')
        self.out = b''
        self.err = b''
        self.pos = 0  # bytes of out already returned as samples
        self.open = 2
        self.status = None

    def cmd(self):
        return ' '.join(self.argv)

    def _pump(self, timeout):
        if not self.open:
            return False
        ready = self.sel.select(timeout)
        for key, _ in ready:
            chunk = os.read(key.fd, 65536)
            if not chunk:
                self.sel.unregister(key.fd)
                self.open -= 1
            elif key.data == 'out':
                self.out += chunk
            else:
                self.err += chunk
        return bool(ready)

    def next_line(self, timeout=30):
        """The next complete output line (bytes), or None when vmfault ended."""
        deadline = time.monotonic() + timeout
        while True:
            nl = self.out.find(b'\n', self.pos)
            if nl >= 0:
                line = self.out[self.pos:nl]
                self.pos = nl + 1
                return line
            if not self.open:
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failed('`%s`: no output line within %d s (stderr so far: %r)'
                             % (self.cmd(), timeout, self.err[:300]))
            self._pump(left)

    def next_sample(self, timeout=30):
        line = self.next_line(timeout)
        if line is None:
            return None
        try:
            return json.loads(line.decode())
        except ValueError:
            raise Failed('`%s`: a line that is not JSON: %r' % (self.cmd(), line[:300]))

    def finish(self, timeout=60):
        """Wait for the end; returns a Result with the whole output."""
        deadline = time.monotonic() + timeout
        while self.open:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise Failed('`%s` did not finish within %d s' % (self.cmd(), timeout))
            self._pump(left)
        try:
            self.status = self.proc.wait(timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failed('`%s` did not exit within %d s' % (self.cmd(), timeout))
        self.close_pipes()
        return Result(self.argv, self.status, self.out, self.err)

    def close_pipes(self):
        self.sel.close()
        for f in (self.proc.stdout, self.proc.stderr):
            with contextlib.suppress(OSError):
                f.close()

    def kill(self):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.kill()
        self.close_pipes()
        return False


# ---------------------------------------------------------------------------
# Reading samples


def rows(doc, pid=None):
    procs = doc.get('processes')
    if not isinstance(procs, list):
        return []
    return [p for p in procs if pid is None or p.get('pid') == pid]


def one_row(check, doc, pid, what):
    rs = rows(doc, pid)
    if not check.ok(len(rs) == 1, '%s: expected one row for pid %d, got %d: %r'
                    % (what, pid, len(rs), rs)):
        return None
    return rs[0]


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_sample_shape(check, docs, what, count=None, interval=None):
    """sample numbers 0.., interval null first then the -i value, rates null first."""
    if count is not None:
        check.eq('%s: number of samples (NDJSON lines)' % what, count, len(docs))
    for i, d in enumerate(docs):
        check.eq('%s: sample %d: "sample"' % (what, i), i, d.get('sample'))
        if i == 0:
            check.eq('%s: sample 0: "interval"' % what, None, d.get('interval'))
        elif interval is not None:
            iv = d.get('interval')
            check.ok(is_num(iv) and abs(iv - interval) <= 0.25 * interval,
                     '%s: sample %d: "interval" %r, expected about %s' % (what, i, iv, interval))
        for p in rows(d):
            for k in ('minflt_rate', 'majflt_rate'):
                v = p.get(k, '<missing>')
                if i == 0:
                    check.ok(v is None, '%s: sample 0: pid %s: %s should be null, got %r'
                             % (what, p.get('pid'), k, v))


def check_no_absurd_rates(check, docs, what, slack=0.10):
    """No rate anywhere is negative, or larger than the row's own count over the
    interval (plus slack for the measured interval being a little shorter)."""
    bad = []
    for d in docs[1:]:
        iv = d.get('interval')
        if not is_num(iv) or iv <= 0:
            continue
        for p in rows(d):
            for rate_key, count_key in (('minflt_rate', 'minflt'), ('majflt_rate', 'majflt')):
                r, c = p.get(rate_key), p.get(count_key)
                if r is None:
                    continue
                if not is_num(r) or r < 0:
                    bad.append('sample %s pid %s (%s): %s = %r' % (d.get('sample'), p.get('pid'),
                                                                  p.get('status'), rate_key, r))
                elif is_num(c) and r * iv > c * (1 + slack) + 1:
                    bad.append('sample %s pid %s (%s): %s %r > %s %r / interval %r'
                               % (d.get('sample'), p.get('pid'), p.get('status'), rate_key, r,
                                  count_key, c, iv))
    check.ok(not bad, '%s: negative or absurd rates: %s' % (what, '; '.join(bad[:10])))


def split_stderr(err, mode):
    """faultzoo's own JSON line (MODE) out of a stderr that also holds vmfault's
    report: (faultzoo's doc or None, the rest of the text)."""
    found = None
    rest = []
    for line in err.splitlines(keepends=True):
        s = line.strip()
        if found is None and s.startswith('{"pid":') and ('"mode":"%s"' % mode) in s:
            found = json.loads(s)
            continue
        rest.append(line)
    return found, ''.join(rest)


def parse_report(check, text, what):
    """vmfault's COMMAND-mode JSON report (one object, maybe pretty-printed)."""
    text = text.strip()
    try:
        doc = json.loads(text)
    except ValueError:
        # A stray line before the object (a warning): take the object itself.
        m = re.search(r'^\{.*\}\s*\Z', text, re.S | re.M)
        try:
            doc = json.loads(m.group(0)) if m else None
        except ValueError:
            doc = None
    if not isinstance(doc, dict) or doc.get('schema') != 'vmscope/1' or \
            not isinstance(doc.get('run'), dict):
        check.fail('%s: no vmscope/1 JSON report with a "run" object in %r' % (what, text[:500]))
        return None
    return doc


def find_mapping(where, pid, start):
    """The --where mapping entry of the anonymous mapping at start in pid."""
    for m in (where or {}).get('mappings') or []:
        s = m.get('start')
        try:
            s = int(s, 16) if isinstance(s, str) else s
        except ValueError:
            continue
        if s == start and m.get('pid') in (pid, None):
            return m
    return None
