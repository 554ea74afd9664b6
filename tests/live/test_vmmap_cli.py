# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: vmmap's command line: --help, JSON shape, -A ranges, several PIDs,
vanished / kernel-thread / zombie / zombie-leader PIDs, output errors, bad
arguments, -g groups, --layout, and an unprivileged run."""

# Each part names the command it ran and what it expected.  The layout helper
# (stopped while it is measured) gives known addresses; mapzoo (a dynamically
# linked helper with a heap, libraries and a thread) is drawn by --layout.

import os
import re
import subprocess

import vmlive
import vmmaplive
from vmlive import Skip

USAGE = """\
Usage: vmmap [options] PID...

Show the mappings of each process: what is in its address space and what each
part costs, from /proc/PID/smaps.

Options:
  -o, --output [+]LIST   columns to show (+LIST adds to the default)
      --output-all       every column
  -x, --extended         every smaps figure of each mapping (the pmap -XX view)
  -g, --group KEY        one row per kind or per mapped file (KEY: kind, path)
      --layout           draw the address space, top to bottom
      --ascii            draw --layout with ASCII characters only
  -A, --range LOW,HIGH   only mappings overlapping [LOW,HIGH) (hex; either may be empty)
  -J, --json             JSON output
  -r, --raw              raw output: no alignment, spaces escaped
  -n, --noheadings       no header line
  -b, --bytes            sizes in bytes, not KiB/MiB/GiB
  -s, --sort COL         sort by COL (default: address order)
      --reverse          reverse the order
  -T, --no-totals        no totals row
      --root DIR         read a snapshot or fixture instead of /proc
  -h, --help             show this help
  -V, --version          show the version
"""
HEADERS = ['ADDRESS', 'PERM', 'KIND', 'SIZE', 'RSS', 'PSS', 'USS', 'DIRTY', 'SWAP', 'MAPPING']
GROUP_HEADERS = {'kind': ['KIND', 'COUNT', 'SIZE', 'RSS', 'PSS', 'USS', 'DIRTY', 'SWAP'],
                 'path': ['COUNT', 'SIZE', 'RSS', 'PSS', 'USS', 'DIRTY', 'SWAP', 'MAPPING']}
MAPPING_KEYS = ['start', 'end', 'perms', 'offset', 'device', 'inode', 'kind', 'object', 'thread',
                'mapping', 'deleted', 'size', 'rss', 'pss', 'uss', 'dirty', 'swap', 'vm_flags']
RFC3339 = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$')
BOX = '─│┌┐└┘├┤'


def small_layout(args, *extra):
    return vmlive.start_layout(args, '--dir', vmlive.disk_dir(args), '--anon', '2M',
                               '--untouched', '2M', '--file', '1M', '--cow', '2M',
                               '--swap', '1M', *extra)


def one_line_error(check, what, r, *needles):
    lines = r.err.splitlines()
    check.eq('%s: stderr lines' % what, 1, len(lines))
    for n in needles:
        check.ok(n.lower() in r.err.lower(), '%s: expected %r on stderr, got %r'
                 % (what, n, r.err))


# ---------------------------------------------------------------------------


def part_help(args, check):
    for opt in ('--help', '-h'):
        r = vmmaplive.vmmap(args, opt)
        check.eq('vmmap %s: exit status' % opt, 0, r.status)
        out = r.out.decode('utf-8', 'replace')
        # The spec's lines, exactly, first; more (a column list) may follow.
        check.eq('vmmap %s: stdout starts with the spec\'s usage, exactly' % opt, USAGE,
                 out[:len(USAGE)])
        check.ok(out == USAGE or out[len(USAGE):].startswith('\n'),
                 'vmmap %s: the spec\'s usage is not followed by a blank line: %r'
                 % (opt, out[len(USAGE):len(USAGE) + 80]))
        check.eq('vmmap %s: stderr' % opt, '', r.err)
    r = vmmaplive.vmmap(args, '--version')
    check.eq('vmmap --version: exit status', 0, r.status)
    check.ok(r.out.strip() != b'', 'vmmap --version: empty output')


def part_json_shape(args, check, h):
    pid = h.pid
    r = vmmaplive.vmmap_json(args, pid)
    what = 'vmmap -J %d' % pid
    doc = r.doc
    check.ok(isinstance(doc.get('time'), str) and RFC3339.match(doc['time']) is not None,
             '%s: "time" is not RFC 3339: %r' % (what, doc.get('time')))
    check.ok(doc['time'].endswith('Z'), '%s: "time" is not UTC ("Z"): %r' % (what, doc['time']))
    check.eq('%s: number of processes' % what, 1, len(doc['processes']))
    p = vmmaplive.process(doc, pid)
    if not check.ok(p is not None, '%s: pid %d not in "processes"' % (what, pid)):
        return
    stat = vmlive.read_stat(pid)
    for k, want in (('ppid', stat['ppid']), ('uid', os.geteuid()), ('comm', stat['comm'].decode()),
                    ('cmdline', ' '.join(h.argv))):
        check.eq('%s: %s' % (what, k), want, p.get(k, '<missing>'))
    check.ok(isinstance(p.get('user'), str) and p['user'], '%s: user: %r' % (what, p.get('user')))
    maps = p.get('mappings')
    if not check.ok(isinstance(maps, list) and maps, '%s: no mappings' % what):
        return
    for m in maps:
        missing = [k for k in MAPPING_KEYS if k not in m]
        check.ok(not missing, '%s: mapping %s lacks %s' % (what, m.get('start'), missing))
        for k in ('start', 'end', 'offset'):
            check.ok(isinstance(m.get(k), str) and re.match(r'^0x[0-9a-f]+$', m[k]),
                     '%s: mapping %s: %s is not a hex string: %r' % (what, m.get('start'), k,
                                                                   m.get(k)))
    check.ok(isinstance(p.get('totals'), dict), '%s: no totals' % what)
    check.ok(doc.get('skipped') in (None, []), '%s: "skipped": %r' % (what, doc.get('skipped')))


def part_range(args, check, h):
    pid = h.pid
    reg = h.info['regions']
    a_start, a_end = int(reg['A']['start'], 16), int(reg['A']['end'], 16)
    c_start = int(reg['C']['start'], 16)
    page = h.info['page_size']
    lo2, hi2 = min(a_end, c_start) - 0x10, max(a_end, c_start) + 0x10
    cases = [
        ('%x,%x' % (a_start, a_end), a_start, a_end),                  # exactly A
        ('%x,%x' % (a_start + page, a_start + 2 * page), a_start + page, a_start + 2 * page),
        ('%x,%x' % (a_end, a_end + 1), a_end, a_end + 1),              # A's end is outside
        ('%x,%x' % (a_start - 1, a_start), a_start - 1, a_start),      # A's start is outside
        ('%x,%x' % (lo2, hi2), lo2, hi2),                              # unaligned, several
        ('0x%x,0x%x' % (a_start, a_end), a_start, a_end),              # with 0x
        (',%x' % (a_start + 1), 0, a_start + 1),                       # LOW empty
        ('%x,' % (a_end - 1), a_end - 1, 1 << 64),                     # HIGH empty
    ]
    with vmlive.stopped([pid]):
        pmaps = vmmaplive.read_maps(pid)
        for spec, lo, hi in cases:
            want = [(s, e) for (s, e, _, _) in pmaps if s < hi and e > lo]
            r = vmmaplive.vmmap(args, '-J', '-A', spec, pid)
            what = 'vmmap -J -A %s %d' % (spec, pid)
            if not check.eq('%s: exit status' % what, 0, r.status):
                vmlive.note(r.describe())
                continue
            r.doc = vmmaplive.parse_json(r)
            maps = vmmaplive.mappings_of(r, pid)
            got = [(vmmaplive.addr(m.get('start')), vmmaplive.addr(m.get('end'))) for m in maps]
            check.eq('%s: mappings (those overlapping [%#x,%#x))' % (what, lo, hi),
                     ['%x-%x' % x for x in want], ['%x-%x' % x for x in got])
            tot = (vmmaplive.process(r.doc, pid) or {}).get('totals') or {}
            check.eq('%s: totals.mappings' % what, len(want), tot.get('mappings'))
            check.eq('%s: totals.size' % what, sum(m.get('size') or 0 for m in maps),
                     tot.get('size'))
        # the table, raw, no header, no totals: one line per mapping
        spec = '%x,%x' % (lo2, hi2)
        r = vmmaplive.vmmap(args, '-r', '-n', '-T', '-o', 'start,end', '-A', spec, pid)
        what = 'vmmap -r -n -T -o start,end -A %s %d' % (spec, pid)
        check.eq('%s: exit status' % what, 0, r.status)
        want = [(s, e) for (s, e, _, _) in pmaps if s < hi2 and e > lo2]
        got = []
        for line in r.out.decode('utf-8', 'replace').splitlines():
            t = line.split()
            try:
                got.append((int(t[0], 16), int(t[1], 16)))
            except (ValueError, IndexError):
                got.append(line)
        check.eq('%s: rows' % what, want, got)


def part_several(args, check, h):
    parent, child = h.info['pid'], h.info['child']
    r = vmmaplive.vmmap(args, parent, child)
    what = 'vmmap %d %d' % (parent, child)
    check.eq('%s: exit status' % what, 0, r.status)
    text = r.out.decode('utf-8', 'replace')
    heads = [l for l in text.splitlines() if re.match(r'^\d+: ', l)]
    cmdline = ' '.join(h.argv)
    check.eq('%s: section headings' % what,
             ['%d: %s' % (parent, cmdline), '%d: %s' % (child, cmdline)], heads)
    sections, nheaders = vmmaplive.table_rows(text, HEADERS)
    check.eq('%s: header lines (one per section)' % what, 2, nheaders)
    for sec, pid in zip(sections, (parent, child)):
        n = sum(1 for toks, _ in sec if vmmaplive.parse_table_address(toks[0]))
        check.eq('%s: rows of pid %d' % (what, pid), len(vmmaplive.read_maps(pid)), n)
    r = vmmaplive.vmmap_json(args, parent, child)
    check.eq('vmmap -J %d %d: processes' % (parent, child), [parent, child],
             [p.get('pid') for p in r.doc['processes']])
    for p in r.doc['processes']:
        check.ok(isinstance(p.get('mappings'), list) and p['mappings'],
                 'vmmap -J %d %d: pid %s without mappings' % (parent, child, p.get('pid')))


def part_vanished(args, check, h):
    live = h.pid
    dead = vmmaplive.dead_pid()
    r = vmmaplive.vmmap(args, live, dead)
    what = 'vmmap %d %d (second gone)' % (live, dead)
    check.eq('%s: exit status (partial)' % what, 3, r.status)
    one_line_error(check, what, r, str(dead), 'no such process')
    text = r.out.decode('utf-8', 'replace')
    n = sum(1 for toks, _ in sum(vmmaplive.table_rows(text, HEADERS)[0], [])
            if vmmaplive.parse_table_address(toks[0]))
    check.ok(n > 0, '%s: no mapping rows for the live pid %d' % (what, live))

    r = vmmaplive.vmmap(args, '-J', dead, live)
    what = 'vmmap -J %d %d (first gone)' % (dead, live)
    check.eq('%s: exit status (partial)' % what, 3, r.status)
    one_line_error(check, what, r, str(dead))
    doc = vmmaplive.parse_json(r)
    check.eq('%s: processes' % what, [live], [p.get('pid') for p in doc['processes']])
    sk = [s for s in (doc.get('skipped') or []) if s.get('pid') == dead]
    if check.ok(len(sk) == 1, '%s: expected one "skipped" entry for %d, got %r'
                % (what, dead, doc.get('skipped'))):
        check.ok(bool(sk[0].get('reason')), '%s: skipped entry without a reason' % what)

    dead = vmmaplive.dead_pid()
    r = vmmaplive.vmmap(args, dead)
    what = 'vmmap %d (the only pid, gone)' % dead
    check.eq('%s: exit status' % what, 1, r.status)
    one_line_error(check, what, r, str(dead), 'no such process')
    check.eq('%s: stdout' % what, b'', r.out)


def part_kthread(args, check):
    if vmlive.is_kthread(2) is not True:
        vmmaplive.skip_part('kernel thread', 'pid 2 is not a kernel thread here')
        return
    r = vmmaplive.vmmap(args, 2)
    what = 'vmmap 2 (kthreadd)'
    check.eq('%s: exit status' % what, 1, r.status)
    one_line_error(check, what, r, 'kernel thread')
    check.eq('%s: stderr (the spec\'s message)' % what,
             'vmmap: pid 2: kernel thread: it has no address space\n', r.err)
    check.eq('%s: stdout' % what, b'', r.out)


def part_zombie(args, check):
    p = subprocess.Popen(['true'])
    try:
        vmmaplive.wait_state(p.pid, ('Z',))
        r = vmmaplive.vmmap(args, p.pid)
        what = 'vmmap %d (zombie)' % p.pid
        check.eq('%s: exit status' % what, 1, r.status)
        check.eq('%s: stderr (the spec\'s message)' % what,
                 'vmmap: pid %d: zombie: it has no address space\n' % p.pid, r.err)
    finally:
        p.wait()


def part_zombie_leader(args, check):
    with vmlive.Helper([args.zombie_leader, '50'], name='zombie_leader') as z:
        pid, tid = z.info['pid'], z.info['tid']
        check.eq('zombie_leader: leader state', 'Z', vmlive.proc_state(pid))
        smaps, r = vmmaplive.measure([pid], lambda: vmmaplive.vmmap(args, '-J', pid),
                                     tids={pid: tid})
        what = 'vmmap -J %d (zombie leader, live thread %d)' % (pid, tid)
        if not check.eq('%s: exit status' % what, 0, r.status):
            vmlive.note(r.describe())
            return
        r.doc = vmmaplive.parse_json(r)
        maps = vmmaplive.mappings_of(r, pid)
        check.ok(len(maps) > 0, '%s: no mappings' % what)
        check.ok(any((m.get('rss') or 0) >= 50 * vmlive.MIB for m in maps),
                 '%s: no mapping with the thread\'s 50 MiB' % what)
        vmmaplive.compare_process(check, '%s vs task/%d/smaps' % (what, tid), smaps[pid], maps)


def part_output_errors(args, check, h):
    if not os.path.exists('/dev/full'):
        vmmaplive.skip_part('/dev/full', 'missing')
        return
    for opts in ([], ['-J']):
        what = 'vmmap %s%d > /dev/full' % (' '.join(opts) + ' ' if opts else '', h.pid)
        with open('/dev/full', 'wb') as full:
            r = vmmaplive.vmmap(args, *opts, h.pid, stdout=full)
        check.eq('%s: exit status' % what, 1, r.status)
        check.ok('No space left on device' in r.err,
                 '%s: expected a write error "No space left on device" on stderr, got %r'
                 % (what, r.err))


def part_bad_args(args, check, h):
    pid = str(h.pid)
    for argv in (['-A', 'zz', pid], ['-A', 'zz,', pid], ['-g', 'bogus', pid],
                 ['-o', 'nosuch', pid], ['-s', 'nosuch', pid], [], ['abc'], ['0'], ['5x'],
                 ['0x10'], [''], ['--no-such-option', pid], ['-o'], [pid, 'abc']):
        r = vmmaplive.vmmap(args, *argv)
        what = 'vmmap %s' % ' '.join(repr(a) if a == '' else a for a in argv)
        check.eq('%s: exit status (usage)' % what, 2, r.status)
        check.ok(r.err.strip() != '', '%s: no message on stderr' % what)
        check.eq('%s: stdout' % what, b'', r.out)


def group_key(m, by, code_name=None):
    if by == 'kind':
        return m.get('kind')
    name = m.get('mapping') or ''
    if not name and m.get('kind') == 'bss' and code_name:
        return code_name   # a code object's bss counts with its file
    return name if name else '[%s]' % m.get('kind')


def part_groups(args, check, h):
    pid = h.pid
    with vmlive.stopped([pid]):
        for by in ('kind', 'path'):
            full = vmmaplive.vmmap_json(args, pid)
            grp = vmmaplive.vmmap_json(args, '-g', by, pid)
            what = 'vmmap -J -g %s %d' % (by, pid)
            maps = vmmaplive.mappings_of(full, pid)
            p = vmmaplive.process(grp.doc, pid)
            groups = p and p.get('groups')
            if not check.ok(isinstance(groups, list) and groups,
                            '%s: no "groups" array: %r' % (what, p)):
                continue
            keyname = 'kind' if by == 'kind' else 'mapping'
            want = {}
            code_name = None
            for m in maps:
                if m.get('object') and m.get('mapping'):
                    code_name = m.get('mapping')
                g = want.setdefault(group_key(m, by, code_name), {'count': 0})
                g['count'] += 1
                for k in vmmaplive.GROUP_FIGURES:
                    g[k] = g.get(k, 0) + (m.get(k) or 0)
            got = {g.get(keyname): g for g in groups}
            check.eq('%s: group keys' % what, sorted(want, key=str), sorted(got, key=str))
            for k, wg in want.items():
                gg = got.get(k)
                if gg is None:
                    continue
                for f in ['count'] + vmmaplive.GROUP_FIGURES:
                    check.eq('%s: group %s: %s == sum of its mapping rows' % (what, k, f),
                             wg[f], gg.get(f))
            order = [(-(g.get('pss') or 0), str(g.get(keyname))) for g in groups]
            check.ok(order == sorted(order), '%s: groups not sorted by PSS, largest first '
                     '(then name): %r' % (what, [(g.get(keyname), g.get('pss')) for g in groups]))
            tot = p.get('totals')
            if check.ok(isinstance(tot, dict), '%s: no totals' % what):
                for f in vmmaplive.GROUP_FIGURES:
                    check.eq('%s: totals.%s == sum of the groups' % (what, f),
                             sum(g.get(f) or 0 for g in groups), tot.get(f))

            # The table: raw, in bytes; the last row is the total.
            r = vmmaplive.vmmap(args, '-g', by, '-r', '-b', pid)
            tw = 'vmmap -g %s -r -b %d' % (by, pid)
            check.eq('%s: exit status' % tw, 0, r.status)
            lines = [l.split() for l in r.out.decode('utf-8', 'replace').splitlines() if l]
            head = lines[0] if lines else []
            check.eq('%s: header' % tw, GROUP_HEADERS[by], head)
            if sorted(head) != sorted(GROUP_HEADERS[by]):
                continue
            rows = lines[1:]
            if not check.eq('%s: rows (groups + total)' % tw, len(groups) + 1, len(rows)):
                continue
            cols = [c for c in GROUP_HEADERS[by] if c not in ('KIND', 'MAPPING')]
            try:
                nums = [[int(row[head.index(c)]) for c in cols] for row in rows]
            except (ValueError, IndexError):
                check.fail('%s: non-numeric figures: %r' % (tw, rows))
                continue
            for i, col in enumerate(cols):
                check.eq('%s: total row %s == sum of the rows' % (tw, col),
                         sum(n[i] for n in nums[:-1]), nums[-1][i])
            check.eq('%s: rows in the JSON order (count/pss)' % tw,
                     [str(g.get('count')) + '/' + str(g.get('pss')) for g in groups],
                     ['%d/%d' % (n[0], n[3]) for n in nums[:-1]])


def part_layout(args, check, zoo):
    pid = zoo.info['pid']
    pmaps = vmmaplive.read_maps(pid)
    exe = os.path.realpath('/proc/%d/exe' % pid)
    heap = [t for t in pmaps if t[3] == '[heap]']
    stack = [t for t in pmaps if t[3] == '[stack]']
    text = [t for t in pmaps if t[3] == exe and t[2][2] == 'x']
    first = [t for t in pmaps if t[3] == exe]
    if not (heap and stack and text):
        raise vmlive.Failed('mapzoo %d has no heap, stack or text?' % pid)
    for opts, env, ascii_only in ((['--layout', '--ascii'], {'LC_ALL': 'C.UTF-8'}, True),
                                  (['--layout'], {'LC_ALL': 'C.UTF-8'}, False),
                                  (['--layout'], {'LC_ALL': 'C'}, True)):
        r = vmmaplive.vmmap(args, *opts, pid, env=env)
        what = 'LC_ALL=%s vmmap %s %d' % (env['LC_ALL'], ' '.join(opts), pid)
        if not check.eq('%s: exit status' % what, 0, r.status):
            vmlive.note(r.describe())
            continue
        try:
            out = r.out.decode('utf-8')
        except UnicodeDecodeError as e:
            check.fail('%s: output is not UTF-8: %s' % (what, e))
            continue
        low = out.lower()
        if ascii_only:
            check.ok(all(ord(c) < 0x80 for c in out), '%s: non-ASCII characters: %r'
                     % (what, sorted({c for c in out if ord(c) >= 0x80})))
            check.ok('+' in out and '|' in out and '-' in out,
                     '%s: no ASCII box characters (+-|)' % what)
        else:
            check.ok(any(c in out for c in BOX), '%s: no box-drawing characters (%s)'
                     % (what, BOX))
        for word in ('heap', 'stack', 'text', 'kernel'):
            check.ok(word in low, '%s: no %r box' % (what, word))
        check.ok('libc.so' in out, '%s: no box for libc' % what)
        for label, a in (('heap start', heap[0][0]), ('stack start', stack[0][0])):
            check.ok('%x' % a in low, '%s: %s %#x not shown' % (what, label, a))
        # an end may be shown as it is, or as the last byte (end - 1)
        for label, a in (('heap end', heap[0][1]), ('stack end', stack[0][1])):
            check.ok('%x' % a in low or '%x' % (a - 1) in low,
                     '%s: %s %#x (or %#x) not shown' % (what, label, a, a - 1))
        check.ok('%x' % text[0][0] in low or '%x' % first[0][0] in low,
                 '%s: the program text\'s address (%#x, or %#x where the program\'s '
                 'mappings start) is not shown' % (what, text[0][0], first[0][0]))


def part_unprivileged(args, check, h):
    if os.geteuid() != 0:
        vmmaplive.skip_part('unprivileged run', 'needs root to run vmmap as nobody (setpriv)')
        return
    probe = subprocess.run(vmlive.NOBODY + [args.vmmap, '--version'], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    if probe.returncode != 0:
        vmmaplive.skip_part('unprivileged run', 'nobody cannot run %s (%s)'
                            % (args.vmmap, probe.stderr.decode(errors='replace').strip()))
        return
    pid = h.pid
    r = vmmaplive.vmmap(args, pid, user='nobody')
    what = 'nobody: vmmap %d (root-owned)' % pid
    check.eq('%s: exit status' % what, 1, r.status)
    one_line_error(check, what, r, 'permission denied', str(pid))
    r = vmmaplive.vmmap(args, '-J', pid, user='nobody')
    what = 'nobody: vmmap -J %d (root-owned)' % pid
    check.eq('%s: exit status' % what, 1, r.status)
    check.ok('permission denied' in r.err.lower(), '%s: stderr %r' % (what, r.err))
    try:
        doc = vmmaplive.parse_json(r)
    except vmlive.Failed as e:
        check.fail(str(e))
    else:
        sk = [s for s in (doc.get('skipped') or []) if s.get('pid') == pid]
        if check.ok(len(sk) == 1, '%s: expected one "skipped" entry for %d, got %r'
                    % (what, pid, doc.get('skipped'))):
            check.ok('permission denied' in str(sk[0].get('reason')).lower(),
                     '%s: skipped reason: %r' % (what, sk[0].get('reason')))
        check.eq('%s: processes' % what, [], [p.get('pid') for p in doc['processes']])


def body(args, check):
    part_help(args, check)
    part_kthread(args, check)
    part_zombie(args, check)
    part_zombie_leader(args, check)
    with small_layout(args) as h:
        part_json_shape(args, check, h)
        part_range(args, check, h)
        part_several(args, check, h)
        part_vanished(args, check, h)
        part_output_errors(args, check, h)
        part_bad_args(args, check, h)
        part_groups(args, check, h)
        part_unprivileged(args, check, h)
    zoo = vmmaplive.start_mapzoo(args, '--dir', vmlive.disk_dir(args))
    try:
        part_layout(args, check, zoo)
    finally:
        zoo.close()
        vmmaplive.cleanup_mapzoo_files(zoo.info)


if __name__ == '__main__':
    vmmaplive.run_test(body)
