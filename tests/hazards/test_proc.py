# SPDX-License-Identifier: GPL-2.0-or-later
"""Hazards D1-D7 through the commands: fixture trees made here from tests/fixtures with
hostile /proc content (maps names, long and odd maps lines, stat and status of every
shape, meminfo and vmstat with keys missing, counters that go back, swaps rows).  The
parsers' own tests (tests/unit) feed the same content byte by byte and in 1, 7 and 4096
byte chunks; here the whole path to the output is checked: nothing lost or split, names
exact in JSON and escaped in text, no negative rate, exit 0."""

import base64
import json
import os
import re
import shutil

import hz

SRC = 21058  # the sleep of the "basic" fixture

# ---------------------------------------------------------------------------
# D1, D2: maps and smaps names and lines

# (start, end, perms, offset, dev, inode, name): the mappings of process 5001
PAGE = 0x1000
LONG = b'/tmp/' + b'L' * 10047  # a maps line of 10,125 bytes with the padding
MAPPINGS = [
    (0x08048000, 0x08056000, b'r-xp', 0, b'03:0c', 64593, b'/usr/sbin/gpm'),  # 8 digits
    (0x0804a000 + 0x10000, 0x0804b000 + 0x10000, b'rw-p', 0x1000, b'103:02', 4294967297,
     b'/mnt/nvme/big inode'),
    (0x7e0000000000, 0x7e0000001000, b'r--s', 0x1ffffffff000, b'103:02',
     18446744073709551615, b'/mnt/nvme/huge offset'),
    (0x7e0000001000, 0x7e0000002000, b'r--p', 0, b'fe:00', 11, b'/tmp/dir with spaces/file name'),
    (0x7e0000002000, 0x7e0000003000, b'r--p', 0, b'fe:00', 12, b'/tmp/trailing space '),
    (0x7e0000003000, 0x7e0000004000, b'r--p', 0, b'fe:00', 13, b'/tmp/two trailing  '),
    (0x7e0000004000, 0x7e0000005000, b'r--p', 0, b'fe:00', 14, b'/tmp/new\\012line'),
    (0x7e0000005000, 0x7e0000006000, b'r--p', 0, b'fe:00', 15, b'/tmp/esc\x1b[2Jbel\x07'),
    (0x7e0000006000, 0x7e0000007000, b'r--p', 0, b'fe:00', 16, b'/tmp/\xff\xfe-bad\xc3('),
    (0x7e0000007000, 0x7e0000008000, b'r--p', 0, b'fe:00', 17, b'/tmp/fake (deleted)'),
    (0x7e0000008000, 0x7e0000009000, b'rw-s', 0, b'00:01', 18, b'/memfd:x (deleted)'),
    (0x7e0000009000, 0x7e000000a000, b'rw-p', 0, b'00:00', 0, b'[anon:n]'),
    (0x7e000000a000, 0x7e000000b000, b'rw-s', 0, b'00:01', 19, b'[anon_shmem:n]'),
    (0x7e000000b000, 0x7e000000c000, b'r--p', 0, b'00:00', 0, b'[vvar_vclock]'),
    (0x7e000000c000, 0x7e000000d000, b'r-xp', 0, b'00:00', 0, b'[uprobes]'),
    (0x7e000000d000, 0x7e000000e000, b'rw-p', 0, b'00:00', 0, b''),
    (0x7e000000e000, 0x7e000000f000, b'r--p', 0, b'fe:00', 20, LONG),
    (0x7e000000f000, 0x7e0000010000, b'r--p', 0, b'fe:00', 21, b'/tmp/tab\there \xe4\xb8\xad'),
    (0xffffffffff600000, 0xffffffffff601000, b'--xp', 0, b'00:00', 0, b'[vsyscall]'),
]


def maps_line(m):
    start, end, perms, off, dev, ino, name = m
    w = 8 if end <= 0xffffffff else 12
    head = b'%0*x-%0*x %s %08x %s %d' % (w, start, w, end, perms, off, dev, ino)
    return (head.ljust(73) + name) if name else head + b' '


def smaps_block(m, flags=b'rd mr mw me '):
    size = (m[1] - m[0]) // 1024
    body = [b'Size:           %8d kB' % size, b'KernelPageSize:        4 kB',
            b'MMUPageSize:           4 kB', b'Rss:                   4 kB',
            b'Pss:                   4 kB', b'Shared_Clean:          0 kB',
            b'Shared_Dirty:          0 kB', b'Private_Clean:         4 kB',
            b'Private_Dirty:         0 kB', b'Referenced:            4 kB',
            b'Anonymous:             0 kB', b'Swap:                  0 kB',
            b'SwapPss:               0 kB', b'Locked:                0 kB',
            b'THPeligible:           0', b'VmFlags: ' + flags]
    return [maps_line(m)] + body


def names_fixture(args, d):
    root = hz.copy_fixture(args, 'basic', os.path.join(d, 'names'))
    p = hz.clone_process(root, SRC, 5001, b'names', b'names\0')
    lines = [maps_line(m) for m in MAPPINGS]
    # the last line without its newline (D2)
    hz.write(os.path.join(p, 'maps'), b'\n'.join(lines))
    smaps = []
    for m in MAPPINGS:
        smaps += smaps_block(m)
    hz.write(os.path.join(p, 'smaps'), b'\n'.join(smaps))
    assert len(maps_line(MAPPINGS[16])) == 10125, len(maps_line(MAPPINGS[16]))
    return root


def json_name(obj, key):
    """The bytes a JSON string field stands for (vmscope/1: U+FFFD and KEY_b64 for bytes
    that are not UTF-8)."""
    if key + '_b64' in obj:
        return base64.b64decode(obj[key + '_b64'])
    return obj[key].encode('utf-8')


def part_names(args, check):
    d = hz.scratch(args, 'hz-proc-')
    try:
        root = names_fixture(args, d)
        r = hz.run([args.vmmap, '--root', root, '-J', '5001'])
        what = 'vmmap -J on hostile maps names (D1/D2)'
        if not check.ok(r.rc == 0, '%s: expected exit 0, got %s' % (what, r.show())):
            return
        try:
            doc = json.loads(r.out.decode('utf-8'))
        except (UnicodeDecodeError, ValueError) as e:
            check.fail('%s: not UTF-8 JSON: %s' % (what, e))
            return
        maps = doc['processes'][0]['mappings']
        check.eq('%s: mappings (none lost or split)' % what, len(MAPPINGS), len(maps))
        for m, j in zip(MAPPINGS, maps):
            start, end, perms, off, dev, ino, name = m
            w = '%s: mapping %#x' % (what, start)
            check.eq('%s: start' % w, '0x%x' % start, j.get('start'))
            check.eq('%s: end' % w, '0x%x' % end, j.get('end'))
            check.eq('%s: offset' % w, '0x%x' % off, j.get('offset'))
            # counts beyond 2^53 are strings (a JSON number cannot hold them exactly)
            check.eq('%s: inode' % w, ino if ino <= 1 << 53 else str(ino), j.get('inode'))
            check.eq('%s: device' % w, dev.decode(), j.get('device'))
            check.eq('%s: name, byte for byte (trailing spaces kept)' % w, name,
                     json_name(j, 'mapping'))
            check.eq('%s: "deleted" (the name says so; not confirmed in a snapshot)' % w,
                     name.endswith(b' (deleted)'), j.get('deleted'))
        # the text views: one line per mapping, nothing raw
        for opt in ([], ['-r'], ['-x'], ['--layout'], ['-g', 'path']):
            r = hz.run([args.vmmap, '--root', root, '-T'] + opt + ['5001'])
            w = 'vmmap %s on hostile maps names (D1)' % ' '.join(opt)
            if not check.ok(r.rc == 0, '%s: expected exit 0, got %s' % (w, r.show())):
                continue
            check.ok(not re.search(rb'[\x00-\x08\x0b-\x1f\x7f]', r.out),
                     '%s: a control character from a name reached the output: %r' % (w, r.out))
            if not opt or opt == ['-r']:
                n = len([l for l in r.out.split(b'\n') if re.match(rb'[0-9a-f]{8,16}-', l)])
                check.eq('%s: lines of mappings' % w, len(MAPPINGS), n)
            if opt == ['-r']:
                # one field each: spaces escaped, so trailing spaces are seen
                check.ok(b'/tmp/trailing\\x20space\\x20' in r.out,
                         '%s: the trailing space is not visible: %r' % (w, r.out[:800]))
        # vmwalk and vmrank --by mapping see the same mappings
        r = hz.run([args.vmrank, '--root', root, '--by', 'mapping', '-J', '-p', '5001'])
        if check.ok(r.rc == 0, 'vmrank --by mapping on hostile names (D1): %s' % r.show()):
            names = {json_name(g, 'name') for g in json.loads(r.out)['mappings']}
            for m in MAPPINGS:
                if m[6].startswith(b'/'):
                    check.ok(m[6] in names, 'vmrank --by mapping (D1): %r missing from %r'
                             % (m[6][:60], sorted(names)[:20]))
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------------------
# D4, D5: stat and status


def stat_fixture(args, d):
    root = hz.copy_fixture(args, 'basic', os.path.join(d, 'stat'))
    with open(os.path.join(root, 'proc', str(SRC), 'stat'), 'rb') as f:
        st = f.read().rstrip(b'\n')
    rest = st[st.rindex(b')') + 2:].split(b' ')
    # comm with ") R 1 2", a newline and an escape: split at the last ')'
    p = hz.clone_process(root, SRC, 5101, b'x) R 1 2\n\x1b[2Jz', b'')
    # an old kernel: fields up to 44 (no start_data... exit_code)
    p = hz.clone_process(root, SRC, 5102, b'old', b'old\0')
    hz.write(os.path.join(p, 'stat'), b'5102 (old) ' + b' '.join(rest[:42]) + b'\n')
    # a future kernel: more fields, and no newline at the end
    p = hz.clone_process(root, SRC, 5103, b'future', b'future\0')
    hz.write(os.path.join(p, 'stat'), b'5103 (future) ' + b' '.join(rest + [b'7', b'8', b'9']))
    # status: a Name with escapes, no Vm lines, NSpid of three levels, unknown keys
    p = hz.clone_process(root, SRC, 5201, b'status', b'status\0')
    with open(os.path.join(p, 'status'), 'rb') as f:
        lines = f.read().split(b'\n')
    out = []
    for l in lines:
        if l.startswith(b'Name:'):
            l = b'Name:\tx) R 1 2\\n\x1b[2Jz'
        elif l.startswith((b'Vm', b'Rss', b'HugetlbPages')):
            continue
        elif l.startswith(b'NSpid:'):
            l = b'NSpid:\t5201\t6\t1'
        out.append(l)
    out.insert(3, b'FutureKey:\t7 kB')
    out.insert(4, b'Weird line without a colon')
    hz.write(os.path.join(p, 'status'), b'\n'.join(out))
    return root


def part_stat_status(args, check):
    d = hz.scratch(args, 'hz-proc-')
    try:
        root = stat_fixture(args, d)
        pids = '5101,5102,5103,5201'
        r = hz.run([args.vmrank, '--root', root, '-J', '-p', pids])
        what = 'vmrank -J on hostile stat and status (D4/D5)'
        if check.ok(r.rc == 0, '%s: expected exit 0, got %s' % (what, r.show())):
            procs = {p['pid']: p for p in json.loads(r.out)['processes']}
            check.eq('%s: processes' % what, [5101, 5102, 5103, 5201], sorted(procs))
            if 5101 in procs:
                check.eq('%s: comm split at the last ")"' % what, 'x) R 1 2\n\x1b[2Jz',
                         procs[5101].get('comm'))
                check.eq('%s: its state' % what, 'S', procs[5101].get('state'))
                check.eq('%s: its ppid' % what, 1, procs[5101].get('ppid'))
            for pid in (5102, 5103, 5201):
                if pid in procs:
                    check.eq('%s: pid %d state' % (what, pid), 'S', procs[pid].get('state'))
                    check.ok(procs[pid].get('rss') == 1847296,
                             '%s: pid %d rss (smaps_rollup) %r' % (what, pid,
                                                                    procs[pid].get('rss')))
        for name, argv in [('vmrank', [args.vmrank, '--root', root, '-p', pids, '-o',
                                       '+state,comm']),
                           ('vmfault', [args.vmfault, '--root', root, '-p', pids, '-o',
                                        '+state,comm']),
                           ('vmswap', [args.vmswap, '--root', root, '-a', '-p', pids, '-o',
                                       '+comm,vm_rss,vm_swap,vm_pte']),
                           ('vmswap --oom', [args.vmswap, '--root', root, '--oom', '-p', pids]),
                           ('vmtop -b', [args.vmtop, '-b', '--root', root, '-p', pids, '-o',
                                         '+state']),
                           ('vmmap', [args.vmmap, '--root', root, '5101', '5102', '5103'])]:
            r = hz.run(argv)
            w = '%s on hostile stat and status (D4/D5)' % name
            check.ok(r.rc == 0, '%s: expected exit 0, got %s' % (w, r.show()))
            check.ok(not re.search(rb'[\x00-\x08\x0b-\x1f\x7f]', r.out + r.err),
                     '%s: a control character from comm or Name reached the output' % w)
            for pid in ('5101', '5102', '5103'):
                check.ok(pid.encode() in r.out, '%s: pid %s not shown: %r'
                         % (w, pid, r.out[-500:]))
        # no Vm lines: the status figures are absent, never 0
        r = hz.run([args.vmswap, '--root', root, '-a', '-J', '-p', '5201', '--output-all'])
        if check.ok(r.rc == 0, 'vmswap -J on a status without Vm lines (D5): %s' % r.show()):
            p = json.loads(r.out)['processes'][0]
            for k in ('vm_rss', 'vm_swap', 'vm_pte'):
                check.ok(p.get(k, None) is None, 'vmswap -J (D5): %s is %r for a status without '
                         'Vm lines (null expected)' % (k, p.get(k)))
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------------------
# D6: meminfo and vmstat with keys missing, counters that go back


def counters_series(args, d):
    """faults/t0 and faults/t1, then t1 made to go back: its vmstat counters and process
    100's minflt below t0's (a counter that wrapped, or a reset)."""
    t0 = hz.copy_fixture(args, 'faults/t0', os.path.join(d, 't0'))
    t1 = hz.copy_fixture(args, 'faults/t1', os.path.join(d, 't1'))
    vm = os.path.join(t1, 'proc', 'vmstat')
    with open(vm, 'rb') as f:
        text = f.read()
    text = re.sub(rb'pgfault \d+', b'pgfault 10', text)
    text = re.sub(rb'pswpout \d+', b'pswpout 1', text)
    text = re.sub(rb'pgmajfault \d+\n', b'', text)  # and one key missing
    hz.write(vm, text)
    st = os.path.join(t1, 'proc', '100', 'stat')
    with open(st, 'rb') as f:
        f = f.read().split(b' ')
    f[9] = b'3'  # minflt, 1000 in t0
    f[11] = b'0'  # majflt
    hz.write(st, b' '.join(f))
    # t0's meminfo without SwapTotal/SwapFree, with keys no kernel has, HugePages without unit
    for t in (t0, t1):
        mi = os.path.join(args.fixtures, 'swap-multi', 'proc', 'meminfo')
        with open(mi, 'rb') as f:
            lines = [l for l in f.read().split(b'\n') if not l.startswith((b'SwapTotal',
                                                                            b'SwapFree'))]
        lines += [b'FutureKey:       12345 kB', b'FutureCount:   7', b'HugePages_Total:       0']
        hz.write(os.path.join(t, 'proc', 'meminfo'), b'\n'.join(lines) + b'\n')
    return t0, t1


def negative(text):
    """Numbers with a minus sign in a table (a negative rate or size)."""
    return re.findall(r'(?<![\w.-])-\d[\d.]*', text)


def part_counters(args, check):
    d = hz.scratch(args, 'hz-proc-')
    try:
        t0, t1 = counters_series(args, d)
        runs = [('vmfault -J', [args.vmfault, '--root', t0, '--root', t1, '-J', '-N', '0']),
                ('vmfault', [args.vmfault, '--root', t0, '--root', t1, '-N', '0']),
                ('vmfault -p 100', [args.vmfault, '--root', t0, '--root', t1, '-p', '100',
                                    '-J']),
                ('vmswap --activity -J', [args.vmswap, '--root', t0, '--root', t1,
                                          '--activity', '-a', '-N', '0', '-J']),
                ('vmswap --activity', [args.vmswap, '--root', t0, '--root', t1, '--activity',
                                       '-a', '-N', '0']),
                ('vmtop -b', [args.vmtop, '-b', '--root', t0, '--root', t1])]
        for name, argv in runs:
            r = hz.run(argv)
            what = '%s over counters that go back (D6)' % name
            if not check.ok(r.rc == 0, '%s: expected exit 0, got %s' % (what, r.show())):
                continue
            if '-J' in argv:
                docs = [json.loads(l) for l in r.out.split(b'\n') if l.strip()]
                bad = []

                def walk(o, path):
                    if isinstance(o, dict):
                        for k, v in o.items():
                            walk(v, path + '.' + k)
                    elif isinstance(o, list):
                        for i, v in enumerate(o):
                            walk(v, '%s[%d]' % (path, i))
                    elif isinstance(o, (int, float)) and not isinstance(o, bool) and o < 0 \
                            and not path.endswith(('oom_score_adj', '.ppid')):
                        bad.append((path, o))
                for doc in docs:
                    walk(doc, '')
                check.ok(not bad, '%s: negative figures: %r' % (what, bad[:10]))
                last = docs[-1]
                if name == 'vmfault -J':
                    rates = last['system'].get('rates', {})
                    check.ok(rates.get('pgfault') is None,
                             '%s: pgfault went from 50000 to 10: its rate must be null, got %r'
                             % (what, rates.get('pgfault')))
                    check.ok(rates.get('pgmajfault') is None and
                             last['system'].get('pgmajfault') is None,
                             '%s: pgmajfault is not in the second vmstat: null expected, got %r'
                             % (what, last['system']))
                if name == 'vmfault -p 100':
                    p = last['processes'][0]
                    check.ok(p.get('minflt_rate') is None,
                             '%s: minflt went from 1000 to 3: the rate must be null (or the '
                             'process taken for a new one), got %r' % (what, p))
            else:
                check.ok(not negative(r.text), '%s: negative figures in %r'
                         % (what, negative(r.text)[:10]))
        # meminfo without SwapTotal: the swap figures are unknown, never 0; extra keys ignored
        for name, argv in [('vmrank -w', [args.vmrank, '--root', t0, '-w']),
                           ('vmrank -w -J', [args.vmrank, '--root', t0, '-w', '-J']),
                           ('vmswap', [args.vmswap, '--root', t0, '-a']),
                           ('vmswap -J', [args.vmswap, '--root', t0, '-a', '-J']),
                           ('vmtop -b', [args.vmtop, '-b', '--root', t0])]:
            r = hz.run(argv)
            what = '%s with a meminfo without SwapTotal (D6)' % name
            check.ok(r.rc == 0, '%s: expected exit 0, got %s' % (what, r.show()))
            if name == 'vmswap -J':
                mi = json.loads(r.out).get('meminfo', {})
                for k in ('swap_total', 'swap_free'):
                    check.ok(k in mi and mi[k] is None, '%s: %s is %r: unknown (null) expected'
                             % (what, k, mi.get(k, 'missing')))
            if name == 'vmswap':
                check.ok(not re.search(rb'swap: 0 B used of 0 B', r.out),
                         '%s: swap shown as 0 of 0 instead of unknown: %r' % (what, r.out[:400]))
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------------------
# D7: swaps


def part_swaps(args, check):
    d = hz.scratch(args, 'hz-proc-')
    try:
        # (basic has no zram device, which would be listed beside)
        root = hz.copy_fixture(args, 'basic', os.path.join(d, 'swaps'))
        path = os.path.join(root, 'proc', 'swaps')
        hz.write(path, 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n')
        r = hz.run([args.vmswap, '--root', root])
        check.ok(r.rc == 0 and b'no swap devices' in r.out,
                 'vmswap with a swaps of the header only (D7): expected "no swap devices", got %s'
                 % r.show())
        hz.write(path, b'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n'
                 b'/dev/vda2                               partition\t2097148\t\t1024\t\t-2\n'
                 b'/swapfile\\040(deleted)                  file\t\t1048572\t\t0\t\t-3\n'
                 b'/var/swap\\011tab\\012nl\\134012\\033[2J  file\t\t8589934592\t4294967296\t'
                 b'32767')
        r = hz.run([args.vmswap, '--root', root, '-J'])
        what = 'vmswap -J with partition and file rows, octal escapes (D7)'
        if check.ok(r.rc == 0, '%s: expected exit 0, got %s' % (what, r.show())):
            devs = json.loads(r.out).get('devices', [])
            got = [(x.get('name'), x.get('type'), x.get('priority')) for x in devs]
            want = [('/dev/vda2', 'partition', -2), ('/swapfile (deleted)', 'file', -3),
                    ('/var/swap\ttab\nnl\\012\x1b[2J', 'file', 32767)]
            check.eq('%s: devices' % what, want, [g for g in got if g[0] in
                                                  [w[0] for w in want]] or got)
            big = [x for x in devs if x.get('name', '').startswith('/var/swap')]
            if big:
                check.eq('%s: size of the 8 TiB file (kB beyond 2^32)' % what,
                         8589934592 * 1024, big[0].get('size'))
        r = hz.run([args.vmswap, '--root', root])
        check.ok(r.rc == 0 and not re.search(rb'[\x00-\x1f\x7f]', r.out.replace(b'\n', b'')),
                 'vmswap with a device name holding a tab, newline and ESC (D7): escaped, got %s %r'
                 % (r.show(), r.out[:500]))
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == '__main__':
    hz.run_test([('names', part_names), ('stat-status', part_stat_status),
                 ('counters', part_counters), ('swaps', part_swaps)])
