# SPDX-License-Identifier: GPL-2.0-or-later
"""vmmaplive: what the vmmap live tests share, on top of vmlive: running vmmap,
a full per-VMA smaps reader, and the comparison of vmmap's mappings with it."""

# Plain standard library only.  The scripts get the usual live arguments
# (vmlive.parse_args) plus --vmmap and --mapzoo.

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time

import vmlive
from vmlive import KIB, Failed, Skip

# smaps key -> vmmap's JSON name.  A key not listed here is converted by
# snake() (the spec: "any key the running kernel prints that vmscope does not
# know (snake_case of its name)").
SMAPS_KEYS = {
    'Size': 'size', 'KernelPageSize': 'kernel_page_size', 'MMUPageSize': 'mmu_page_size',
    'Rss': 'rss', 'Pss': 'pss', 'Pss_Dirty': 'pss_dirty', 'Pss_Anon': 'pss_anon',
    'Pss_File': 'pss_file', 'Pss_Shmem': 'pss_shmem',
    'Shared_Clean': 'shared_clean', 'Shared_Dirty': 'shared_dirty',
    'Private_Clean': 'private_clean', 'Private_Dirty': 'private_dirty',
    'Referenced': 'referenced', 'Anonymous': 'anonymous', 'KSM': 'ksm', 'LazyFree': 'lazy_free',
    'AnonHugePages': 'anon_huge_pages', 'ShmemPmdMapped': 'shmem_pmd_mapped',
    'FilePmdMapped': 'file_pmd_mapped', 'Shared_Hugetlb': 'shared_hugetlb',
    'Private_Hugetlb': 'private_hugetlb', 'Swap': 'swap', 'SwapPss': 'swap_pss',
    'Locked': 'locked', 'THPeligible': 'thp_eligible', 'ProtectionKey': 'protection_key',
}
# Keys that are properties of a mapping, not amounts: never summed into totals.
NOT_SUMMED = {'kernel_page_size', 'mmu_page_size', 'thp_eligible', 'protection_key'}
# The figures the group rows carry (spec: "Group mode").
GROUP_FIGURES = ['size', 'rss', 'pss', 'uss', 'dirty', 'swap']
# Every kind the spec lists.
KINDS = {'text', 'rodata', 'data', 'bss', 'heap', 'stack', 'thread-stack', 'vdso', 'vvar',
         'vsyscall', 'anon', 'shared-anon', 'shmem', 'sysv-shm', 'memfd', 'hugetlb', 'deleted',
         'file', 'guard', 'pseudo'}


def snake(key):
    """The snake_case of a kernel key name: 'FooBar' -> 'foo_bar', 'Pss_Dirty' -> 'pss_dirty'."""
    if key in SMAPS_KEYS:
        return SMAPS_KEYS[key]
    s = re.sub(r'(?<=[a-z0-9])(?=[A-Z])', '_', key)
    s = re.sub(r'(?<=[A-Z])(?=[A-Z][a-z])', '_', s)
    return re.sub(r'_+', '_', s).lower()


def extra_args(p):
    p.add_argument('--vmmap', required=True, help='the built vmmap')
    p.add_argument('--mapzoo', required=True, help='tests/helpers/mapzoo')


def run_test(body, extra=None):
    """vmlive.run_test, but the command under test is vmmap (SKIP when it is not built)."""
    signal.signal(signal.SIGTERM, vmlive._sigterm)

    def more(p):
        extra_args(p)
        if extra:
            extra(p)
    args = vmlive.parse_args(more)
    check = vmlive.Checker()
    try:
        if not os.access(args.vmmap, os.X_OK):
            raise Skip('vmmap not built: ' + args.vmmap)
        body(args, check)
    except Skip as e:
        if check.failures:
            check.report()
            sys.exit(1)
        print('SKIP: %s' % e, flush=True)
        sys.exit(vmlive.SKIP_STATUS)
    except Failed as e:
        check.fail(str(e))
    if check.failures:
        check.report()
        sys.exit(1)
    print('ok: %d checks passed' % check.passed, flush=True)
    sys.exit(0)


def skip_part(what, why):
    """A part of a test that cannot run here: said loudly, the rest goes on."""
    print('SKIP (part): %s: %s' % (what, why), flush=True)


# ---------------------------------------------------------------------------
# Running vmmap


def vmmap(args, *options, user=None, stdout=subprocess.PIPE, env=None, timeout=60):
    argv = [args.vmmap] + [str(o) for o in options]
    full = (vmlive.NOBODY + argv) if user == 'nobody' else argv
    if env is not None:
        e = dict(os.environ)
        e.update(env)
        env = e
    try:
        proc = subprocess.run(full, stdout=stdout, stderr=subprocess.PIPE, timeout=timeout,
                              env=env)
    except subprocess.TimeoutExpired:
        raise Failed('`%s` did not finish within %d s' % (' '.join(full), timeout))
    if proc.stdout is None:
        proc.stdout = b''
    return vmlive.Run(full, proc)


def parse_json(r, key='processes'):
    """The JSON document of run r: strict UTF-8, schema vmscope/1, command vmmap."""
    try:
        doc = json.loads(r.out.decode('utf-8'))
    except (UnicodeDecodeError, ValueError) as e:
        raise Failed('%s: output is not valid UTF-8 JSON: %s; first bytes: %r'
                     % (r.describe(), e, r.out[:200]))
    if not isinstance(doc, dict) or doc.get('schema') != 'vmscope/1':
        raise Failed('%s: top level is not a vmscope/1 object: %r' % (r.cmd(), r.out[:200]))
    if doc.get('command') != 'vmmap':
        raise Failed('%s: "command" is %r, not "vmmap"' % (r.cmd(), doc.get('command')))
    if key and not isinstance(doc.get(key), list):
        raise Failed('%s: no "%s" array' % (r.cmd(), key))
    return doc


def vmmap_json(args, *options, user=None, statuses=(0,)):
    r = vmmap(args, '-J', *options, user=user)
    if r.status not in statuses:
        raise Failed('%s: expected exit status %s'
                     % (r.describe(), ' or '.join(map(str, statuses))))
    r.doc = parse_json(r)
    return r


def process(doc, pid):
    for p in doc.get('processes') or []:
        if p.get('pid') == pid:
            return p
    return None


def mappings_of(r, pid):
    p = process(r.doc, pid)
    if p is None:
        raise Failed('`%s`: no process %d in "processes" (skipped: %r)'
                     % (r.cmd(), pid, r.doc.get('skipped')))
    m = p.get('mappings')
    if not isinstance(m, list):
        raise Failed('`%s`: process %d has no "mappings" array' % (r.cmd(), pid))
    return m


def addr(v):
    """A JSON address ("0x7f...") or an int -> int (None when unusable)."""
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(v, str):
        try:
            return int(v, 16)
        except ValueError:
            return None
    return None


def containing(mappings, a):
    for m in mappings:
        s, e = addr(m.get('start')), addr(m.get('end'))
        if s is not None and e is not None and s <= a < e:
            return m
    return None


def exact(mappings, start, end):
    hits = [m for m in mappings if addr(m.get('start')) == start and addr(m.get('end')) == end]
    return hits[0] if len(hits) == 1 else None


def parse_table_address(tok):
    """An ADDRESS cell 'start-end' -> (start, end), or None.  The spec pads to
    12 hex digits, or 16 (its own example, from a process that has
    [vsyscall] above 2^48, shows 16): both are accepted; anything else is not."""
    m = re.match(r'^([0-9a-f]+)-([0-9a-f]+)$', tok)
    if not m:
        return None
    for half in m.groups():
        if len(half) not in (12, 16) and not (len(half) > 12 and half[0] != '0'):
            return None
    return int(m.group(1), 16), int(m.group(2), 16)


def table_rows(text, headers):
    """Rows of a table with the given header line: [(tokens, line)] per section
    ('PID: ...' lines and the header start a section).  Returns (sections,
    header_count): sections is a list of row lists."""
    sections, cur, nheaders = [], None, 0
    for line in text.splitlines():
        toks = line.split()
        if toks == headers:
            cur = []
            sections.append(cur)
            nheaders += 1
            continue
        if cur is not None and toks:
            cur.append((toks, line))
    return sections, nheaders


# ---------------------------------------------------------------------------
# The test's own smaps reader: every key, VmFlags, the header fields


_HEADER = re.compile(r'^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) ([0-9a-f]+:[0-9a-f]+) '
                     r'(\d+)(?: +(.*))?$')
_KEY = re.compile(r'^([A-Za-z_][A-Za-z0-9_]*):\s+(\d+)( kB)?$')


def read_smaps(pid, tid=None):
    """/proc/PID/smaps -> [{'start','end','perms','offset','device','inode','name',
    'keys': [kernel key order], 'c': {Key: bytes or plain number}, 'vm_flags': [...]}]"""
    base = '/proc/%d' % pid if tid is None else '/proc/%d/task/%d' % (pid, tid)
    vmas = []
    cur = None
    for line in vmlive.read_text(base + '/smaps').split('\n'):
        m = _HEADER.match(line)
        if m:
            cur = {'start': int(m.group(1), 16), 'end': int(m.group(2), 16),
                   'perms': m.group(3), 'offset': int(m.group(4), 16), 'device': m.group(5),
                   'inode': int(m.group(6)), 'name': m.group(7) or '', 'keys': [], 'c': {},
                   'vm_flags': None}
            vmas.append(cur)
            continue
        if cur is None or not line:
            continue
        if line.startswith('VmFlags:'):
            cur['vm_flags'] = line[len('VmFlags:'):].split()
            continue
        km = _KEY.match(line)
        if km:
            v = int(km.group(2)) * (KIB if km.group(3) else 1)
            cur['c'][km.group(1)] = v
            cur['keys'].append(km.group(1))
    return vmas


def expected_figures(vma):
    """What vmmap's JSON must carry for this VMA: every key by its snake_case
    name, plus uss and dirty."""
    c = vma['c']
    out = {snake(k): v for k, v in c.items()}
    if 'Private_Clean' in c and 'Private_Dirty' in c:
        out['uss'] = c['Private_Clean'] + c['Private_Dirty']
    if 'Shared_Dirty' in c and 'Private_Dirty' in c:
        out['dirty'] = c['Shared_Dirty'] + c['Private_Dirty']
    return out


def strip_deleted(name):
    return name[:-len(' (deleted)')] if name.endswith(' (deleted)') else name


# The figures of a page shared with vmmap itself (libc, ld.so in a dynamically
# linked helper) move while vmmap runs: vmmap maps them too, one more sharer.
# Figures of a file mapping that change when other processes map or unmap its
# pages: PSS, and which clean pages count as shared or private (a page only
# this process had becomes shared when a test running beside it faults it).
SHARER_DEPENDENT = {'pss', 'pss_dirty', 'swap_pss', 'shared_clean', 'private_clean', 'uss'}


def compare_mapping(check, what, vma, m, loose=False):
    """One JSON mapping equals one smaps VMA: header fields, every figure, VmFlags.
    With loose, PSS-like figures (see SHARER_DEPENDENT) are only bounded by RSS."""
    check.eq('%s: start' % what, '0x%x' % vma['start'], m.get('start'))
    check.eq('%s: end' % what, '0x%x' % vma['end'], m.get('end'))
    check.eq('%s: perms' % what, vma['perms'], m.get('perms'))
    check.eq('%s: offset' % what, '0x%x' % vma['offset'], m.get('offset'))
    check.eq('%s: device' % what, vma['device'], m.get('device'))
    check.eq('%s: inode' % what, vma['inode'], m.get('inode'))
    name = vma['name']
    got = m.get('mapping')
    if name.endswith(' (deleted)'):
        # The spec does not say whether the suffix stays in "mapping" (it has
        # "deleted" for that): either form is accepted.
        check.ok(got in (name, strip_deleted(name)),
                 '%s: mapping: expected %r (or without " (deleted)"), got %r' % (what, name, got))
    else:
        check.eq('%s: mapping' % what, name, got)
    check.ok(m.get('kind') in KINDS, '%s: kind %r is not one of the spec\'s kinds'
             % (what, m.get('kind')))
    exp = expected_figures(vma)
    for k, v in exp.items():
        if loose and k in SHARER_DEPENDENT:
            bound = exp.get('swap', 0) if k == 'swap_pss' else exp.get('rss', 0)
            got = m.get(k)
            check.ok(isinstance(got, int) and 0 <= got <= bound,
                     '%s: %s: expected 0..%d (pages shared with other processes), got %r'
                     % (what, k, bound, got))
            continue
        check.eq('%s: %s' % (what, k), v, m.get(k, '<missing>'))
    for k in SMAPS_KEYS.values():
        if k not in exp and k in m:
            check.fail('%s: %s = %r, but the kernel did not print it (must be absent)'
                       % (what, k, m[k]))
    if vma['vm_flags'] is not None:
        check.eq('%s: vm_flags' % what, vma['vm_flags'], m.get('vm_flags'))


def shared_with(pid):
    """The files mapped both by pid and by a process like vmmap (this Python:
    libc, ld.so): their PSS moves while vmmap runs."""
    mine = {t[3] for t in read_maps(os.getpid()) if t[3].startswith('/')}
    return {t[3] for t in read_maps(pid) if t[3] in mine}


def compare_process(check, what, vmas, maps, loose_names=()):
    """vmmap's mappings == smaps, one for one, in address order.  Mappings of
    the files in loose_names: PSS-like figures only bounded (compare_mapping)."""
    check.eq('%s: number of mappings' % what, len(vmas), len(maps))
    by_start = {addr(m.get('start')): m for m in maps}
    for v in vmas:
        m = by_start.get(v['start'])
        if not check.ok(m is not None, '%s: no mapping for smaps VMA %x-%x %s'
                        % (what, v['start'], v['end'], v['name'])):
            continue
        compare_mapping(check, '%s: %x-%x %s' % (what, v['start'], v['end'], v['name']), v, m,
                        loose=v['name'] in loose_names)
    starts = [addr(m.get('start')) for m in maps]
    check.ok(starts == sorted(starts), '%s: mappings not in address order' % what)


def sums(vmas):
    """Per-VMA expected figures summed (the keys every VMA carries)."""
    out = {}
    for v in vmas:
        for k, val in expected_figures(v).items():
            if k in NOT_SUMMED:
                continue
            out[k] = out.get(k, 0) + val
    return out


def compare_totals(check, what, vmas, totals, maps=None, loose_names=()):
    """totals == the sums over smaps; with loose_names (see compare_process),
    the PSS-like totals == the sums over vmmap's own mappings (maps)."""
    if not check.ok(isinstance(totals, dict), '%s: no "totals" object' % what):
        return
    check.eq('%s: totals.mappings' % what, len(vmas), totals.get('mappings'))
    want = sums(vmas)
    if loose_names and any(v['name'] in loose_names for v in vmas):
        for k in SHARER_DEPENDENT:
            if k in want:
                want[k] = sum(m.get(k) or 0 for m in maps or [])
    # The spec names these; every other summed kernel key that totals has must add up too.
    for k in ['size', 'rss', 'pss', 'uss', 'dirty', 'swap', 'swap_pss', 'anon_huge_pages']:
        check.eq('%s: totals.%s == sum over smaps' % (what, k), want.get(k), totals.get(k))
    for k, v in totals.items():
        if k in want and k not in ('size', 'rss', 'pss', 'uss', 'dirty', 'swap', 'swap_pss',
                                   'anon_huge_pages'):
            check.eq('%s: totals.%s == sum over smaps' % (what, k), want[k], v)


def measure(pids, run, tids=None, tries=5, stop=True):
    """With pids stopped (unless stop=False: for a process that must stay
    blocked in a system call): read smaps, run(), read again; retry until both
    reads agree.  Returns ({pid: smaps VMAs}, run's result)."""
    tids = tids or {}
    with (vmlive.stopped(pids) if stop else contextlib.nullcontext()):
        for attempt in range(tries):
            before = {p: read_smaps(p, tids.get(p)) for p in pids}
            r = run()
            after = {p: read_smaps(p, tids.get(p)) for p in pids}
            if before == after:
                return before, r
            vmlive.note('smaps moved during the run (attempt %d), retrying' % (attempt + 1))
    raise Failed('the smaps of %s kept changing over %d tries' % (pids, tries))


def read_maps(pid):
    """/proc/PID/maps -> [(start, end, perms, name)]."""
    out = []
    for line in vmlive.read_text('/proc/%d/maps' % pid).splitlines():
        m = _HEADER.match(line)
        if m:
            out.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3), m.group(7) or ''))
    return out


def start_mapzoo(args, *options):
    return vmlive.Helper([args.mapzoo] + list(options), name='mapzoo')


def cleanup_mapzoo_files(info):
    """Remove what mapzoo made, in case it died before doing it itself."""
    for r in (info.get('regions') or {}).values():
        p = r.get('path')
        if p and os.path.lexists(p):
            try:
                os.unlink(p)
            except OSError:
                pass


def dead_pid():
    """The pid of a child that has exited and been reaped (and not reused yet)."""
    for _ in range(10):
        p = subprocess.Popen(['true'])
        p.wait()
        if not os.path.exists('/proc/%d' % p.pid):
            return p.pid
    raise Failed('could not find a free pid')


def wait_state(pid, states, timeout=10):
    deadline = time.monotonic() + timeout
    while vmlive.proc_state(pid) not in states:
        if time.monotonic() > deadline:
            raise Failed('pid %d never reached state %s (is %r)'
                         % (pid, '/'.join(states), vmlive.proc_state(pid)))
        time.sleep(0.01)
