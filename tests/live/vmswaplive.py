# SPDX-License-Identifier: GPL-2.0-or-later
"""vmswaplive: shared code for vmswap's live tests: swapzoo helpers, vmswap runs, /proc/swaps."""

# Every test_vmswap_*.py script gets, besides vmlive's arguments, --vmswap
# (the built vmswap) and --swapzoo (tests/helpers/swapzoo).  Running as a
# user, helpers, vmfault-style results and the swap file come from vmlive,
# vmfaultlive and test_swap.  Plain standard library only.

import contextlib
import json
import os
import re
import struct
import subprocess

import vmlive
from vmlive import Failed, Skip, KIB, PAGE
import vmfaultlive as vf
import test_swap

# Who to run as, and how (the same as vmfault's tests).
users = vf.users
who = vf.who
is_num = vf.is_num
send = vf.send
read_json_line = vf.read_json_line
read_vmstat = vf.read_vmstat

PM_PRESENT = 1 << 63
PM_SWAPPED = 1 << 62
PM_GUARD = 1 << 58

CAP_MESSAGE = 'vmswap: --exact needs the swap slots of pagemap: needs CAP_SYS_ADMIN'


def more_args(p):
    p.add_argument('--vmswap', required=True, help='the built vmswap')
    p.add_argument('--swapzoo', required=True, help='tests/helpers/swapzoo')


def run_test(body):
    """vmlive.run_test, plus SKIP when vmswap or swapzoo is not built."""

    def wrapped(args, check):
        if not os.access(args.vmswap, os.X_OK):
            raise Skip('vmswap not built: ' + args.vmswap)
        if not os.access(args.swapzoo, os.X_OK):
            raise Skip('swapzoo not built: ' + args.swapzoo)
        body(args, check)

    vmlive.run_test(wrapped, more_args)


# ---------------------------------------------------------------------------
# Swap


def swap_available(args):
    """The active swap, or (root) a swap file of test_swap's, switched off and
    removed after; Skip with the reason otherwise."""
    return test_swap.swap_available(args)


@contextlib.contextmanager
def swap_if_possible(args):
    """Like swap_available, but yields False instead of skipping."""
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(test_swap.swap_available(args))
        except Skip as e:
            vmlive.note('running without swap: %s' % e)
            yield False
            return
        yield True


def unescape_swaps(name):
    # /proc/swaps escapes " \t\n\\" as octal (\040).
    return re.sub(r'\\([0-7]{3})', lambda m: chr(int(m.group(1), 8)), name)


def read_swaps():
    """/proc/swaps as [{'name','type','size','used','priority'}], sizes in bytes."""
    out = []
    with open('/proc/swaps') as f:
        for line in f.read().splitlines()[1:]:
            parts = line.split()
            if len(parts) < 5:
                continue
            out.append({'name': unescape_swaps(parts[0]), 'type': parts[1],
                        'size': int(parts[2]) * KIB, 'used': int(parts[3]) * KIB,
                        'priority': int(parts[4])})
    return out


def zswap_enabled():
    try:
        return vmlive.read_text('/sys/module/zswap/parameters/enabled').strip() in ('Y', '1')
    except OSError:
        return False


# ---------------------------------------------------------------------------
# swapzoo


def swapzoo(args, *options, user=None):
    """Start swapzoo in its own session; .info is its JSON line."""
    return vmlive.Helper([args.swapzoo] + [str(o) for o in options], user=user, name='swapzoo')


def command(h, line, timeout=60):
    """Send a command to swapzoo and return its JSON answer."""
    send(h, line)
    return read_json_line(h, timeout=timeout, what='"%s"' % line)


def swapped_pages(info):
    return info['swapped_shared'] + info['swapped_unique']


def need_swapped(info, what):
    if swapped_pages(info) == 0:
        raise Skip('%s: MADV_PAGEOUT put nothing in swap (its own pagemap shows no swap '
                   'entry)' % what)


def pagemap_entries(pid, start, end):
    """The pagemap entries of [start, end) in pid."""
    fd = os.open('/proc/%d/pagemap' % pid, os.O_RDONLY)
    try:
        n = (end - start) // PAGE
        data = b''
        while len(data) < n * 8:
            chunk = os.pread(fd, n * 8 - len(data), start // PAGE * 8 + len(data))
            if not chunk:
                raise Failed('pid %d: short read of its pagemap (exited?)' % pid)
            data += chunk
    finally:
        os.close(fd)
    return struct.unpack('<%dQ' % n, data)


def swap_entries(pid, region):
    """[(type, offset)] of the swap entries of a swapzoo region in pid (type and
    offset read 0 without CAP_SYS_ADMIN)."""
    start, end = int(region['start'], 16), int(region['end'], 16)
    return [(e & 0x1f, (e >> 5) & ((1 << 50) - 1)) for e in pagemap_entries(pid, start, end)
            if e & PM_SWAPPED and not e & PM_GUARD and not e & PM_PRESENT]


# ---------------------------------------------------------------------------
# The kernel's figures, read by the test itself


def read_status(pid):
    return vmlive.parse_counters(vmlive.read_text('/proc/%d/status' % pid))


def read_int(path):
    return int(vmlive.read_text(path).strip())


def read_meminfo():
    return vmlive.parse_counters(vmlive.read_text('/proc/meminfo'))


def memcg_path(pid):
    """The memory cgroup vmswap must show: the "0::" path when the unified
    hierarchy has the memory controller, else the v1 line holding "memory"."""
    lines = vmlive.read_text('/proc/%d/cgroup' % pid).splitlines()
    try:
        v2 = 'memory' in vmlive.read_text('/sys/fs/cgroup/cgroup.controllers').split()
    except OSError:
        v2 = False
    for line in lines:
        hid, ctrls, path = line.split(':', 2)
        if v2 and hid == '0' and ctrls == '':
            return path
        if not v2 and 'memory' in ctrls.split(','):
            return path
    return None


def kernel_view(pid):
    """What the test compares vmswap with, for one process."""
    roll = vmlive.read_rollup(pid)
    st = vmlive.read_stat(pid)
    return {'rollup': roll, 'status': read_status(pid), 'majflt': st['majflt'],
            'ppid': st['ppid'],
            'oom_score': read_int('/proc/%d/oom_score' % pid),
            'oom_score_adj': read_int('/proc/%d/oom_score_adj' % pid)}


def measure(pids, run, read, tries=5):
    """With pids stopped: read, run(), read again, until both reads agree.
    Returns (the reads, what run() returned)."""
    with vmlive.stopped(pids):
        for attempt in range(tries):
            before = {pid: read(pid) for pid in pids}
            result = run()
            after = {pid: read(pid) for pid in pids}
            if before == after:
                return before, result
            vmlive.note('kernel figures moved during the run (attempt %d), retrying'
                        % (attempt + 1))
    raise Failed('the figures of stopped processes %s kept changing over %d tries'
                 % (pids, tries))


# ---------------------------------------------------------------------------
# vmswap runs


def vmswap(args, *options, user=None, timeout=90):
    """Run vmswap to the end (stdin /dev/null); a vmfaultlive Result."""
    argv = vf.as_user([args.vmswap] + [str(o) for o in options], user)
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failed('`%s` did not finish within %d s' % (' '.join(argv), timeout))
    return vf.Result(argv, p.returncode, p.stdout, p.stderr)


def parse_doc(r):
    """The one JSON object of a -J run (strict UTF-8, schema vmscope/1, command vmswap)."""
    try:
        doc = json.loads(r.out.decode('utf-8'))
    except (UnicodeDecodeError, ValueError) as e:
        raise Failed('%s: output is not one UTF-8 JSON object: %s; first bytes: %r'
                     % (r.describe(), e, r.out[:200]))
    if not isinstance(doc, dict) or doc.get('schema') != 'vmscope/1' or \
            doc.get('command') != 'vmswap':
        raise Failed('%s: not a vmscope/1 vmswap object: %r' % (r.cmd(), r.out[:200]))
    return doc


def vmswap_json(args, *options, user=None, statuses=(0,)):
    """vmswap -J OPTIONS; r.doc is its object.  Failed on another exit status."""
    r = vmswap(args, '-J', *options, user=user)
    if r.status not in statuses:
        raise Failed('%s: expected exit status %s' % (r.describe(),
                                                      ' or '.join(map(str, statuses))))
    r.doc = parse_doc(r)
    return r


def parse_ndjson(check, r, what):
    """The samples of an --activity -J run: every line one vmscope/1 vmswap object."""
    return vf.parse_ndjson(check, r, what, command='vmswap')


def rows_by_pid(doc):
    return {p.get('pid'): p for p in doc.get('processes') or []}


def text_table(text, first_header):
    """The table of a text run whose header starts with first_header:
    (header tokens, [row token lists]); rows end at the first blank line.
    The last column (COMMAND) may hold spaces: it is the rest of the line."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        toks = line.split()
        if toks and toks[0] == first_header:
            rows = []
            for row in lines[i + 1:]:
                if not row.strip():
                    break
                rows.append(row.split(None, len(toks) - 1))
            return toks, rows
    return None, []
