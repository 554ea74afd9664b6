# SPDX-License-Identifier: GPL-2.0-or-later
"""vmlive: shared code for vmscope's live tests: helper processes, /proc readers, vmrank runs."""

# Every live test script imports this module (Python puts the script's own
# directory first on sys.path).  Plain standard library only.

import argparse
import contextlib
import json
import os
import re
import selectors
import signal
import subprocess
import sys
import time

SKIP_STATUS = 77
PAGE = os.sysconf('SC_PAGE_SIZE')
KIB = 1024
MIB = 1024 * 1024
NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups']

# smaps_rollup key -> vmrank's JSON name (snake_case of the kernel name).
ROLLUP_KEYS = {
    'Rss': 'rss', 'Pss': 'pss', 'Pss_Dirty': 'pss_dirty', 'Pss_Anon': 'pss_anon',
    'Pss_File': 'pss_file', 'Pss_Shmem': 'pss_shmem', 'Shared_Clean': 'shared_clean',
    'Shared_Dirty': 'shared_dirty', 'Private_Clean': 'private_clean',
    'Private_Dirty': 'private_dirty', 'Referenced': 'referenced', 'Anonymous': 'anonymous',
    'KSM': 'ksm', 'LazyFree': 'lazy_free', 'AnonHugePages': 'anon_huge_pages',
    'ShmemPmdMapped': 'shmem_pmd_mapped', 'FilePmdMapped': 'file_pmd_mapped',
    'Shared_Hugetlb': 'shared_hugetlb', 'Private_Hugetlb': 'private_hugetlb',
    'Swap': 'swap', 'SwapPss': 'swap_pss', 'Locked': 'locked',
}
# The figures the brief names first; every other rollup key is compared too.
MAIN_FIGURES = ['rss', 'pss', 'uss', 'swap', 'swap_pss', 'pss_anon', 'pss_file',
                'pss_shmem', 'pss_dirty', 'anonymous', 'locked']
ROLLUP_FIGURES = MAIN_FIGURES + [k for k in ROLLUP_KEYS.values() if k not in MAIN_FIGURES]


class Skip(Exception):
    """The test cannot run here; the message says why."""


class Failed(Exception):
    """A fatal test failure (the message says what was expected and what came)."""


# ---------------------------------------------------------------------------
# Running a test script


def _sigterm(signum, frame):
    # meson sends SIGTERM on timeout: unwind so every finally: runs (helpers
    # killed, swap file switched off and removed).
    raise SystemExit(128 + signum)


def parse_args(extra=None):
    """The arguments meson passes to every live test script."""
    p = argparse.ArgumentParser()
    p.add_argument('--vmrank', required=True, help='the built vmrank')
    p.add_argument('--layout', required=True, help='tests/helpers/layout')
    p.add_argument('--zombie-leader', required=True, help='tests/helpers/zombie_leader')
    p.add_argument('--empty-cmdline', required=True, help='tests/helpers/empty_cmdline')
    p.add_argument('--nodump', required=True, help='tests/helpers/nodump')
    p.add_argument('--workdir', required=True,
                   help='a build directory for scratch files (should be on disk, not tmpfs)')
    if extra:
        extra(p)
    return p.parse_args()


def run_test(body, extra_args=None):
    """Run body(args, check); exit 0 on success, 1 with each failure, 77 on Skip."""
    signal.signal(signal.SIGTERM, _sigterm)
    args = parse_args(extra_args)
    check = Checker()
    try:
        if not os.access(args.vmrank, os.X_OK):
            raise Skip('vmrank not built: ' + args.vmrank)
        body(args, check)
    except Skip as e:
        if check.failures:
            check.report()
            sys.exit(1)
        print('SKIP: %s' % e, flush=True)
        sys.exit(SKIP_STATUS)
    except Failed as e:
        check.fail(str(e))
    if check.failures:
        check.report()
        sys.exit(1)
    print('ok: %d checks passed' % check.passed, flush=True)
    sys.exit(0)


class Checker:
    """Collects failures so one run reports all of them, each with expected vs got."""

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
        self.fail('%s: expected %s, got %s' % (what, _show(expected), _show(got)))
        return False

    def report(self):
        print('%d check(s) failed, %d passed' % (len(self.failures), self.passed), flush=True)


def _show(v):
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10 * KIB:
        return '%d (%s)' % (v, human(v))
    return repr(v)


def human(n):
    for unit, size in (('GiB', 1 << 30), ('MiB', 1 << 20), ('KiB', 1 << 10)):
        if abs(n) >= size:
            return '%.3f %s' % (n / size, unit)
    return '%d B' % n


def note(msg):
    print('# ' + msg, flush=True)


# ---------------------------------------------------------------------------
# /proc readers (the test's own, independent of vmscope)


def read_text(path):
    with open(path, 'rb') as f:
        return f.read().decode('utf-8', 'surrogateescape')


def parse_counters(text):
    """'Key: value [kB]' lines -> {Key: value}, kB turned into bytes."""
    out = {}
    for line in text.splitlines():
        m = re.match(r'^([A-Za-z_][A-Za-z0-9_]*):\s+(\d+)(\s+kB)?\s*$', line)
        if m:
            out[m.group(1)] = int(m.group(2)) * (KIB if m.group(3) else 1)
    return out


def read_rollup(pid, tid=None):
    """smaps_rollup of pid (or of its thread tid) as {Key: bytes}."""
    base = '/proc/%d' % pid if tid is None else '/proc/%d/task/%d' % (pid, tid)
    return parse_counters(read_text(base + '/smaps_rollup'))


def figures_from_counters(c):
    """{Key: bytes} from smaps(_rollup) -> vmrank's figure names, plus uss."""
    out = {snake: c[key] for key, snake in ROLLUP_KEYS.items() if key in c}
    if 'Private_Clean' in c and 'Private_Dirty' in c:
        out['uss'] = c['Private_Clean'] + c['Private_Dirty']
    return out


_VMA_HEADER = re.compile(r'^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) (\S+) (\d+) ?(.*)$')


def read_smaps(pid, tid=None):
    """Per-VMA smaps: a list of {'start','end','perms','name','c': {Key: bytes}}."""
    base = '/proc/%d' % pid if tid is None else '/proc/%d/task/%d' % (pid, tid)
    vmas = []
    cur = None
    for line in read_text(base + '/smaps').split('\n'):
        m = _VMA_HEADER.match(line)
        if m:
            cur = {'start': int(m.group(1), 16), 'end': int(m.group(2), 16),
                   'perms': m.group(3), 'name': m.group(7).lstrip(' '), 'c': {}}
            vmas.append(cur)
            continue
        if cur is None:
            continue
        km = re.match(r'^([A-Za-z_][A-Za-z0-9_]*):\s+(\d+) kB$', line)
        if km:
            cur['c'][km.group(1)] = int(km.group(2)) * KIB
    return vmas


def read_stat(pid, tid=None):
    """/proc/PID/stat fields after the comm: {'state','ppid','minflt','majflt',...}."""
    base = '/proc/%d' % pid if tid is None else '/proc/%d/task/%d' % (pid, tid)
    with open(base + '/stat', 'rb') as f:
        raw = f.read()
    close = raw.rindex(b')')
    comm = raw[raw.index(b'(') + 1:close]
    rest = raw[close + 2:].split()
    # rest[0] is field 3 (state)
    return {'comm': comm, 'state': rest[0].decode(), 'ppid': int(rest[1]),
            'flags': int(rest[6]), 'minflt': int(rest[7]), 'majflt': int(rest[9]),
            'threads': int(rest[17]), 'start_time': int(rest[19]), 'vsz': int(rest[20])}


def proc_state(pid, tid=None):
    try:
        return read_stat(pid, tid)['state']
    except (FileNotFoundError, ProcessLookupError):
        return None


def live_tasks(pid):
    try:
        return sorted(int(t) for t in os.listdir('/proc/%d/task' % pid))
    except FileNotFoundError:
        return []


def is_kthread(pid):
    try:
        status = read_text('/proc/%d/status' % pid)
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    m = re.search(r'^Kthread:\s+(\d)', status, re.M)
    if m:
        return m.group(1) == '1'
    try:
        return bool(read_stat(pid)['flags'] & 0x00200000)  # PF_KTHREAD
    except (FileNotFoundError, ProcessLookupError):
        return None


def fs_type(path):
    """The filesystem type of path, from /proc/self/mountinfo (longest mount point)."""
    path = os.path.realpath(path)
    best, best_type = '', None
    with open('/proc/self/mountinfo') as f:
        for line in f:
            left, _, right = line.partition(' - ')
            mnt = left.split()[4].replace('\\040', ' ')
            if (path == mnt or path.startswith(mnt.rstrip('/') + '/')) and len(mnt) >= len(best):
                best, best_type = mnt, right.split()[0]
    return best_type


# ---------------------------------------------------------------------------
# Helper processes


class Helper:
    """A helper program started in its own session; it prints one JSON line and
    waits for EOF on its stdin.  Use as a context manager: the whole process
    group is killed on the way out, whatever happened."""

    def __init__(self, argv, user=None, name=None, timeout=60):
        self.name = name or os.path.basename(argv[0])
        if user == 'nobody':
            argv = NOBODY + list(argv)
        elif user is not None:
            raise ValueError(user)
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True)
        self.pgid = self.proc.pid
        try:
            self.info = self._read_line(timeout)
        except BaseException:
            self.close()
            raise

    def _read_line(self, timeout):
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        buf = b''
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b'\n' not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                raise Failed('%s: no JSON line within %d s' % (self.name, timeout))
            chunk = os.read(fd, 65536)
            if not chunk:
                self.proc.wait(timeout=10)
                err = self.proc.stderr.read().decode(errors='replace').strip()
                raise Failed('%s exited with status %s before reporting: %s'
                             % (self.name, self.proc.returncode, err or '(no message)'))
            buf += chunk
        sel.close()
        line = buf.split(b'\n', 1)[0]
        try:
            return json.loads(line.decode('utf-8'))
        except ValueError as e:
            raise Failed('%s printed invalid JSON (%s): %r' % (self.name, e, line))

    @property
    def pid(self):
        return self.info['pid']

    def pids(self):
        out = [self.info['pid']]
        if 'child' in self.info:
            out.append(self.info['child'])
        return out

    def close(self):
        # SIGCONT first, in case the test stopped us; EOF on stdin ends every
        # helper; SIGKILL the group if it does not go within 10 s.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pgid, signal.SIGCONT)
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pgid, signal.SIGKILL)
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


def start_layout(args, *options, user=None):
    return Helper([args.layout] + list(options), user=user, name='layout')


def disk_dir(args):
    """A disk-backed (not tmpfs) directory for layout's file F."""
    for d in (args.workdir, '/var/tmp', os.getcwd()):
        t = fs_type(d)
        if t and t not in ('tmpfs', 'ramfs') and os.access(d, os.W_OK):
            return d
    raise Skip('no writable disk-backed directory for the file mapping '
               '(build dir %s is %s)' % (args.workdir, fs_type(args.workdir)))


def tmpfs_dir():
    for d in ('/dev/shm', '/run/shm', '/tmp'):
        if os.path.isdir(d) and fs_type(d) == 'tmpfs' and os.access(d, os.W_OK):
            return d
    raise Skip('no writable tmpfs directory (/dev/shm)')


def _wait_stopped(pids, timeout=10):
    """Every live thread of every pid is in state T (zombie threads stay Z)."""
    deadline = time.monotonic() + timeout
    while True:
        pending = []
        for pid in pids:
            for tid in live_tasks(pid):
                st = proc_state(pid, tid)
                if st not in (None, 'T', 't', 'Z', 'X'):
                    pending.append((pid, tid, st))
        if not pending:
            return
        if time.monotonic() > deadline:
            raise Failed('processes did not stop after SIGSTOP: %r' % pending)
        time.sleep(0.01)


@contextlib.contextmanager
def stopped(pids):
    """SIGSTOP the pids while the block runs, so that their memory holds still."""
    sent = []
    try:
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
            sent.append(pid)
        _wait_stopped(pids)
        yield
    finally:
        for pid in sent:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


# ---------------------------------------------------------------------------
# vmrank


class Run:
    def __init__(self, argv, proc):
        self.argv = argv
        self.status = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr.decode('utf-8', 'replace')
        self.doc = None

    def cmd(self):
        return ' '.join(self.argv)

    def describe(self):
        return '`%s` (exit %s; stderr: %s)' % (self.cmd(), self.status,
                                               self.err.strip() or '(empty)')


def vmrank(args, *options, user=None, stdout=subprocess.PIPE, timeout=60):
    argv = [args.vmrank] + [str(o) for o in options]
    full = (NOBODY + argv) if user == 'nobody' else argv
    try:
        proc = subprocess.run(full, stdout=stdout, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failed('`%s` did not finish within %d s' % (' '.join(full), timeout))
    if proc.stdout is None:
        proc.stdout = b''
    return Run(full, proc)


def vmrank_json(args, *options, user=None, statuses=(0,)):
    """Run vmrank -J ...; the output must be strict UTF-8 JSON of schema vmscope/1."""
    r = vmrank(args, '-J', *options, user=user)
    if r.status not in statuses:
        raise Failed('%s: expected exit status %s' % (r.describe(), ' or '.join(map(str, statuses))))
    r.doc = parse_vmrank_json(r, processes='--by' not in [str(o) for o in options])
    return r


def parse_vmrank_json(r, processes=True):
    """The JSON document of run r; with processes=False (--by) the
    "processes" array is optional."""
    try:
        doc = json.loads(r.out.decode('utf-8'))
    except (UnicodeDecodeError, ValueError) as e:
        raise Failed('%s: output is not valid UTF-8 JSON: %s; first bytes: %r'
                     % (r.describe(), e, r.out[:200]))
    if not isinstance(doc, dict) or doc.get('schema') != 'vmscope/1':
        raise Failed('%s: top level is not a vmscope/1 object: %r' % (r.cmd(), r.out[:200]))
    if processes and not isinstance(doc.get('processes'), list):
        raise Failed('%s: no "processes" array' % r.cmd())
    return doc


def rows_by_pid(doc):
    out = {}
    for p in doc.get('processes', []):
        out[p.get('pid')] = p
    return out


def skipped_by_pid(doc):
    return {s.get('pid'): s for s in (doc.get('skipped') or [])}


def measure(args, pids, options, read=None, tries=5):
    """With the pids stopped, read the kernel's view, run vmrank, read again;
    retry until both reads agree.  Returns (kernel view, Run)."""
    read = read or (lambda pid: read_rollup(pid))
    with stopped(pids):
        for attempt in range(tries):
            before = {pid: read(pid) for pid in pids}
            r = vmrank_json(args, *options)
            after = {pid: read(pid) for pid in pids}
            if before == after:
                return before, r
            note('kernel figures moved during the run (attempt %d), retrying' % (attempt + 1))
    raise Failed('the figures of stopped processes %s kept changing over %d tries' % (pids, tries))


def check_figures(check, what, expected, row, keys=ROLLUP_FIGURES):
    """row's figures equal expected (vmrank names -> bytes); a figure the kernel
    did not print must be null."""
    for k in keys:
        got = row.get(k, '<missing>')
        if k in expected:
            check.eq('%s %s' % (what, k), expected[k], got)
        else:
            check.eq('%s %s (kernel did not print it)' % (what, k), None, got)


def sum_figures(dicts, keys=ROLLUP_FIGURES):
    out = {}
    for k in keys:
        vals = [d[k] for d in dicts if d.get(k) is not None]
        if vals:
            out[k] = sum(vals)
    return out
