# SPDX-License-Identifier: GPL-2.0-or-later
"""Hazards A1-A10: every command given bad arguments: PIDs (A1-A6), vmwalk addresses (A7),
ranges (A8), intervals, counts and sort keys (A9), unknown, missing and conflicting options,
--help (A10).  Exit status 2 with a clear message on stderr, nothing on stdout, no
snapshot written; 100,000 PIDs in bounded memory; a duplicated PID said once."""

import json
import os
import re
import shutil
import subprocess
import time

import hz

# The fixture most of the runs read (vmsnap captures the live system: it has no --root).
FIX = 'basic'
LIVE_PID = 21058  # a process of the fixture, with an address space


def cmd(args, c):
    return getattr(args, c)


def pid_argv(args, c, root, pid, out=None):
    """The command line of command @c asking about PID @pid (a string, maybe a bad one)."""
    r = ['--root', root]
    if c == 'vmrank':
        return [args.vmrank] + r + ['-p', pid]
    if c == 'vmmap':
        return [args.vmmap] + r + ['--', pid]
    if c == 'vmwalk':
        return [args.vmwalk] + r + ['--', pid, '0x1000']
    if c == 'vmfault':
        return [args.vmfault] + r + ['-p', pid]
    if c == 'vmswap':
        return [args.vmswap] + r + ['-p', pid]
    if c == 'vmtop':
        return [args.vmtop, '-b', '-n', '1'] + r + ['-p', pid]
    if c == 'vmsnap':
        return [args.vmsnap, '-q', '-o', out, '--', pid]
    raise ValueError(c)


def usage_error(check, r, what, message, out=None):
    """Exit 2, @message (a substring or a compiled regex) on stderr with the hint to
    --help, nothing on stdout, and no snapshot at @out."""
    ok = check.ok(r.rc == 2 and not r.timed_out, '%s: expected exit status 2, got %s'
                  % (what, r.show()))
    if isinstance(message, str):
        found = message in r.etext
    else:
        found = message.search(r.etext) is not None
    ok &= check.ok(found, '%s: expected %r on stderr, got %r' % (
        what, message if isinstance(message, str) else message.pattern, r.etext[:400]))
    ok &= check.ok("--help' for more information" in r.etext,
                   '%s: no "Try ... --help" hint on stderr: %r' % (what, r.etext[:400]))
    ok &= check.ok(r.out == b'', '%s: a usage error printed on stdout: %r' % (what, r.out[:200]))
    if out:
        ok &= check.ok(not os.path.lexists(out.rstrip('/')),
                       '%s: a usage error still wrote %s' % (what, out))
    return ok


# ---------------------------------------------------------------------------
# A1-A5: one PID


BAD_PIDS = ['0', '-1', '+5', ' 5', '5 ', '5x', 'abc', '', '0x10', '1.5', '5\n',
            '\u0665', '/proc/%d' % LIVE_PID, '%d,abc' % LIVE_PID]
HUGE_PIDS = ['99999999999999999999', '4194305', '2147483648', '4294967296', '4294967297',
             '18446744073709551617', '9' * 400]


def part_bad_pids(args, check):
    root = os.path.join(args.fixtures, FIX)
    d = hz.scratch(args, 'hz-cli-')
    try:
        for c in hz.COMMANDS:
            for i, v in enumerate(BAD_PIDS + HUGE_PIDS):
                out = os.path.join(d, 'snap%d/' % i)
                r = hz.run(pid_argv(args, c, root, v, out), timeout=30)
                what = '%s with PID %r (A1/A3)' % (c, v)
                if v in HUGE_PIDS:
                    # no wraparound: never taken for another PID
                    usage_error(check, r, what, re.compile(
                        "PID out of range: '%s'|invalid PID '%s" % (v, v[:20])), out)
                elif v.startswith('%d,' % LIVE_PID) and c != 'vmwalk':
                    usage_error(check, r, what, "invalid PID 'abc'", out)
                else:
                    # control characters are escaped in every message
                    shown = re.sub(r'[\x00-\x1f\x7f]', lambda m: '\\x%02x' % ord(m.group()), v)
                    usage_error(check, r, what, "invalid PID '%s'" % shown, out)
            # the same without "--": a leading '-' is then an option, still a usage error
            if c in ('vmmap', 'vmsnap'):
                out = os.path.join(d, 'dash/')
                argv = pid_argv(args, c, root, '-1', out)
                argv.remove('--')
                usage_error(check, hz.run(argv, timeout=30), '%s -1 (no --)' % c,
                            re.compile(r"invalid option|unrecognized option|invalid PID"), out)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def decimal_fixture(args, d):
    """basic, plus processes 8 and 10 (copies of LIVE_PID): 010 must mean 10, never 8."""
    root = hz.copy_fixture(args, FIX, os.path.join(d, 'dec'))
    hz.clone_process(root, LIVE_PID, 8, b'octal-eight', b'octal-eight\0')
    hz.clone_process(root, LIVE_PID, 10, b'decimal-ten', b'decimal-ten\0')
    return root


def part_decimal(args, check):
    d = hz.scratch(args, 'hz-cli-')
    try:
        root = decimal_fixture(args, d)
        for c in ('vmrank', 'vmmap', 'vmfault', 'vmswap', 'vmtop'):
            r = hz.run(pid_argv(args, c, root, '010'), timeout=30)
            what = '%s with PID 010 (A2)' % c
            check.ok(r.rc == 0, '%s: expected exit 0, got %s' % (what, r.show()))
            if c == 'vmmap':
                # vmmap heads a process's table only when there are several: its command
                # line is the original's, so ask for the JSON pid
                r = hz.run(pid_argv(args, c, root, '010')[:-2] + ['-J', '--', '010'])
                try:
                    pids = [p['pid'] for p in json.loads(r.out)['processes']]
                except (ValueError, KeyError) as e:
                    check.fail('%s: bad JSON (%s): %s' % (what, e, r.show()))
                    continue
                check.eq('%s: PIDs shown' % what, [10], pids)
                continue
            if c == 'vmswap':
                r = hz.run(pid_argv(args, c, root, '010') + ['-a', '-o', 'pid,comm'])
            check.ok(b'decimal-ten' in r.out and b'octal-eight' not in r.out,
                     '%s: expected process 10 (decimal-ten), never 8 (octal): %r'
                     % (what, r.out[-600:]))
        r = hz.run([args.vmwalk, '--root', root, '--', '010', '0x1000'])
        check.ok(r.rc == 1 and 'pid 10' in r.etext and 'pid 8' not in r.etext,
                 'vmwalk 010 0x1000 (A2): expected "pid 10 ..." (exit 1), got %s' % r.show())
        # the man pages say so (decimal only; 010 is ten)
        man = os.path.join(os.path.dirname(args.fixtures), '..', 'man')
        for c in hz.COMMANDS:
            with open(os.path.join(man, c + '.1.scd'), encoding='utf-8') as f:
                text = re.sub(r'\s+', ' ', f.read())
            check.ok(re.search(r'PIDs are decimal', text) is not None,
                     'man/%s.1.scd: does not say that PIDs are decimal (A2)' % c)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def part_missing_pid(args, check):
    root = os.path.join(args.fixtures, FIX)
    gone = hz.free_pid()
    d = hz.scratch(args, 'hz-cli-')
    try:
        for c in hz.COMMANDS:
            # one missing PID: exit 1 (vmtop and vmsnap, which still show or write the
            # rest of the system: 3), never 0 and never silence
            if c == 'vmsnap':
                r = hz.run(pid_argv(args, c, root, str(gone), os.path.join(d, 's1/')))
            else:
                r = hz.run(pid_argv(args, c, root, '4194304'))
            n = str(gone) if c == 'vmsnap' else '4194304'
            what = '%s with the missing PID %s (A4)' % (c, n)
            check.ok(r.rc in ((3,) if c in ('vmtop', 'vmsnap') else (1,)),
                     '%s: expected exit %s, got %s' % (what, '3' if c in ('vmtop', 'vmsnap')
                                                       else '1', r.show()))
            check.ok('pid %s: no such process' % n in r.etext,
                     '%s: expected "pid %s: no such process" on stderr, got %r'
                     % (what, n, r.etext[:300]))
            if c == 'vmwalk':
                continue  # one PID only
            # beside a PID that is there: exit 3, the rest shown
            if c == 'vmsnap':
                r = hz.run([args.vmsnap, '-q', '-o', os.path.join(d, 's2/'), str(gone),
                            str(os.getpid())])
                shown = os.path.isdir(os.path.join(d, 's2', 'proc', str(os.getpid())))
            else:
                argv = pid_argv(args, c, root, '%d,4194304' % LIVE_PID)
                if c == 'vmmap':
                    argv = argv[:-1] + [str(LIVE_PID), '4194304']
                r = hz.run(argv)
                shown = str(LIVE_PID).encode() in r.out or b'sleep' in r.out
            what = '%s with a missing PID beside one that is there (A4)' % c
            check.eq('%s: exit status' % what, 3, r.rc)
            check.ok(shown, '%s: the process that is there was not shown: %s'
                     % (what, r.show()))
            check.eq('%s: messages about the missing PID' % what, 1,
                     r.etext.count('no such process'))
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------------------
# A6: 100,000 PIDs, duplicates


N_MANY = 100000


def many_argv(args, c, root, pids, out):
    if c in ('vmmap', 'vmsnap'):
        head = [args.vmmap, '--root', root, '-n'] if c == 'vmmap' else \
            [args.vmsnap, '-q', '-o', out]
        return head + [str(p) for p in pids]
    # one argument holds at most 128 KiB: -p repeated, 10,000 PIDs each
    ps = []
    for i in range(0, len(pids), 10000):
        ps += ['-p', ','.join(str(p) for p in pids[i:i + 10000])]
    head = {'vmrank': [args.vmrank, '--root', root],
            'vmfault': [args.vmfault, '--root', root],
            'vmswap': [args.vmswap, '--root', root],
            'vmtop': [args.vmtop, '-b', '-n', '1', '--root', root]}[c]
    return head + ps


def own_peak_rss():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1])
    return 0


def part_many_pids(args, check):
    root = os.path.join(args.fixtures, FIX)
    d = hz.scratch(args, 'hz-cli-')
    # PIDs 1..100000 on the fixture (a few of them are its processes); vmsnap
    # captures live, so it is given PIDs near pid_max that no process has
    try:
        top = int(open('/proc/sys/kernel/pid_max').read())
    except OSError:
        top = 32768
    try:
        for c in ['vmrank', 'vmmap', 'vmfault', 'vmswap', 'vmtop', 'vmsnap']:
            if c == 'vmsnap':
                # at and above pid_max: no process can have them
                first = min(top, 4194304 - N_MANY)
                pids = [p for p in range(first, first + N_MANY)
                        if not os.path.exists('/proc/%d' % p)]
                small = [pids[0]]
            else:
                pids = list(range(1, N_MANY + 1))
                small = [LIVE_PID]
            out = os.path.join(d, c + '-many/')
            one = hz.spawn_ru(many_argv(args, c, root, small, os.path.join(d, c + '-one/')),
                              timeout=120)
            argv = many_argv(args, c, root, pids, out)
            # a spawned child's peak RSS counts ours at its exec (the vfork'd memory), so
            # the bound is over the larger of ours and a run with one PID
            base = max(own_peak_rss(), one.rusage.ru_maxrss)
            r = hz.spawn_ru(argv, timeout=300)
            what = '%s with %d PIDs (A6)' % (c, len(pids))
            if not check.ok(not r.timed_out and r.rc >= 0,
                            '%s: did not end by itself: %s' % (what, r.show())):
                continue
            check.eq('%s: exit status' % what, 3, r.rc)
            # no overflow: the same processes shown as when they are named alone
            if c != 'vmsnap':
                check.ok(b'sleep-fixture' in r.out, '%s: the process %d was not shown: %r'
                         % (what, LIVE_PID, r.out[:300]))
            # bounded memory: the list costs a few MiB, never one per PID and process
            grow = r.rusage.ru_maxrss - base
            hz.note('%s: peak RSS at most %d KiB (%d KiB with one PID, this script %d KiB), '
                    'CPU %.2f s' % (what, r.rusage.ru_maxrss, one.rusage.ru_maxrss,
                                    own_peak_rss(), r.rusage.ru_utime + r.rusage.ru_stime))
            check.ok(grow < 64 * 1024, '%s: peak RSS %d KiB, %d KiB over a run with one PID'
                     % (what, r.rusage.ru_maxrss, grow))
            # each missing PID said once
            lines = [l for l in r.etext.split('\n') if 'no such process' in l]
            check.ok(len(lines) == len(set(lines)), '%s: a PID was reported twice' % what)
            if c == 'vmsnap':
                # the snapshot (its description lists every vanished PID) reads back
                rr = hz.run([args.vmrank, '--root', out, '-o', 'pid'], timeout=120)
                check.ok(rr.rc == 0, 'vmrank on the snapshot of %d vanished PIDs (A6): %s'
                         % (len(pids), rr.show()))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def part_duplicates(args, check):
    root = os.path.join(args.fixtures, FIX)
    d = hz.scratch(args, 'hz-cli-')
    try:
        for c in hz.COMMANDS:
            if c == 'vmwalk':
                continue  # takes one PID
            for pid in (str(LIVE_PID), '4194304'):
                if c == 'vmsnap':
                    pid = str(os.getpid()) if pid != '4194304' else str(hz.free_pid())
                    one = hz.run([args.vmsnap, '-q', '-o', os.path.join(d, 'a%s/' % pid), pid])
                    dup = hz.run([args.vmsnap, '-q', '-o', os.path.join(d, 'b%s/' % pid),
                                  pid, '0' + pid, pid + ',' + pid])
                    same = sorted(os.listdir(os.path.join(d, 'a%s' % pid, 'proc'))) == \
                        sorted(os.listdir(os.path.join(d, 'b%s' % pid, 'proc')))
                elif c == 'vmmap':
                    one = hz.run([args.vmmap, '--root', root, pid])
                    dup = hz.run([args.vmmap, '--root', root, pid, '0' + pid, pid + ',' + pid])
                    same = one.out == dup.out
                else:
                    one = hz.run(pid_argv(args, c, root, pid))
                    argv = pid_argv(args, c, root, '%s,%s,0%s' % (pid, pid, pid)) + ['-p', pid]
                    dup = hz.run(argv)
                    same = one.out == dup.out
                what = '%s with PID %s given 4 times (A6)' % (c, pid)
                check.eq('%s: exit status (as for once)' % what, one.rc, dup.rc)
                check.ok(same, '%s: the output differs from one PID:\n%r\nvs\n%r'
                         % (what, one.out[-400:], dup.out[-400:]))
                check.eq('%s: stderr (as for once)' % what, one.etext, dup.etext)
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------------------
# A7, A8: vmwalk addresses and ranges, vmmap ranges (the fixture cases are golden tests;
# these are the same on a live process)


def part_addresses(args, check):
    p = subprocess.Popen(['sleep', '600'])
    try:
        time.sleep(0.1)
        pid = p.pid
        with open('/proc/%d/maps' % pid) as f:
            maps = f.read()
        stack = next(l.split()[0] for l in maps.splitlines() if l.endswith('[stack]'))
        lo = int(stack.split('-')[0], 16)
        addr = lo + 0x123  # unaligned, in the stack's first page
        bad = [('0x1_0000_0000_0000_0000', "'_' is not allowed"),
               ('0x10000000000000000', 'larger than 64 bits'),
               ('10000000000000000', 'larger than 64 bits'),
               ('0x' + 'f' * 40, 'larger than 64 bits'),
               ('-5', 'negative'), ('-0x1000', 'negative'),
               ('0x0000800000000000', 'non-canonical'), ('0x8000deadbeef0000', 'non-canonical'),
               ('0x', 'not a hexadecimal number'), ('', 'invalid address'),
               ('0x7fff zz', 'not a hexadecimal number'), (' 0x1000', 'invalid address')]
        for a, msg in bad:
            r = hz.run([args.vmwalk, '--', str(pid), a])
            usage_error(check, r, 'vmwalk PID %r (A7)' % a, msg)
        for form in ('%x' % addr, '0x%X' % addr, '0X%x' % addr, '%X' % addr):
            r = hz.run([args.vmwalk, str(pid), form])
            what = 'vmwalk PID %s (A7: an unaligned stack address)' % form
            if not check.ok(r.rc == 0, '%s: expected exit 0, got %s' % (what, r.show())):
                continue
            check.ok(re.search(r'page\s+0x%x \+ 0x123' % lo, r.text) is not None,
                     '%s: expected "page 0x%x + 0x123", got %r' % (what, lo, r.text[:600]))
        r = hz.run([args.vmwalk, '-J', str(pid), '0x%x' % addr])
        try:
            doc = json.loads(r.out)
            check.eq('vmwalk -J (A7): page', '0x%x' % lo, doc.get('page'))
            check.eq('vmwalk -J (A7): page_offset', '0x123', doc.get('page_offset'))
        except ValueError:
            check.fail('vmwalk -J (A7): not JSON: %s' % r.show())
        # unmapped: exit 1, said plainly
        r = hz.run([args.vmwalk, str(pid), '0x1000'])
        check.ok(r.rc in (1, 3) and 'address 0x1000 not mapped in pid %d' % pid in r.etext,
                 'vmwalk PID 0x1000 (A7: unmapped): expected "address 0x1000 not mapped in pid '
                 '%d", exit 1, got %s' % (pid, r.show()))
        # the kernel's half: not in pagemap; vsyscall: explained, never PFN 0
        r = hz.run([args.vmwalk, str(pid), '0xffff888000000000'])
        check.ok(r.rc == 1 and 'kernel address' in r.etext,
                 'vmwalk PID 0xffff888000000000 (A7): expected exit 1 "kernel address", got %s'
                 % r.show())
        if '[vsyscall]' in maps:
            r = hz.run([args.vmwalk, str(pid), '0xffffffffff600000'])
            check.ok(r.rc == 0 and 'not backed by pagemap' in r.text and
                     not re.search(r'PFN\s+0x0\b', r.text),
                     'vmwalk PID 0xffffffffff600000 (A7: vsyscall): expected "not backed by '
                     'pagemap" and no PFN, got %s %r' % (r.show(), r.text[:400]))
            r = hz.run([args.vmwalk, '-J', str(pid), 'FFFFFFFFFF600000'])
            try:
                doc = json.loads(r.out)
                check.ok(doc.get('pfn') is None and doc.get('entry') is None,
                         'vmwalk -J vsyscall (A7): pfn and entry must be null, got %r / %r'
                         % (doc.get('pfn'), doc.get('entry')))
            except ValueError:
                check.fail('vmwalk -J vsyscall (A7): not JSON: %s' % r.show())
        else:
            hz.note('no [vsyscall] mapping on this machine: the live vsyscall case is not run '
                    '(the golden vmwalk-vsyscall case covers it)')
        # A8: ranges
        for rg, msg in [('0x2000-0x1000', 'the end must be above the start'),
                        ('0x1000-0x1000', 'the end must be above the start'),
                        ('0x1000+0', 'the length is 0'),
                        ('0xfffffffffffff000+0x2000', 'past 2^64'),
                        ('0x1000+0x10000000000000000', 'larger than 64 bits'),
                        ('0x1000+-5', 'negative'),
                        ('0x7ffffffff000+2M', 'non-canonical')]:
            usage_error(check, hz.run([args.vmwalk, str(pid), rg]), 'vmwalk PID %s (A8)' % rg,
                        msg)
        # wider than the address space: walked, clamped to what is mapped, in bounded time
        for rg in ('0x0-0xffffffffffffffff', '0x0+0x800000000000', '0+7ffffffff000'):
            r = hz.run([args.vmwalk, str(pid), rg], timeout=120)
            check.ok(r.rc == 0 and not r.timed_out and '[stack]' in r.text,
                     'vmwalk PID %s (A8: the whole address space): expected exit 0 and the '
                     'stack among the mappings, got %s' % (rg, r.show()))
        for rg, msg in [('2000,1000', 'LOW must be below HIGH'), ('1000,1000', 'LOW must be '
                        'below HIGH'), (',0', 'LOW must be below HIGH'),
                        ('0,10000000000000000', 'HIGH'), ('-5,', 'LOW'), ('0x1_000,', 'LOW'),
                        ('zz', 'LOW'), ('1,2,3', 'invalid --range')]:
            usage_error(check, hz.run([args.vmmap, '-A', rg, str(pid)]),
                        'vmmap -A %s PID (A8)' % rg, msg)
        r = hz.run([args.vmmap, '-A', '0,ffffffffffffffff', '-o', 'address', '-T', '-n',
                    str(pid)])
        r2 = hz.run([args.vmmap, '-o', 'address', '-T', '-n', str(pid)])
        check.ok(r.rc == 0 and r.out == r2.out,
                 'vmmap -A 0,ffffffffffffffff PID (A8): expected every mapping, as without -A: '
                 '%s' % r.show())
    finally:
        p.kill()
        p.wait()


# ---------------------------------------------------------------------------
# A9: intervals, counts, top-N, sort keys


BAD_SECONDS = ['0', '-1', 'nan', 'NaN', 'inf', '-inf', '1e309', '1e3', '99999999999', '0x10',
               ' 1', '1 ', '', '.', '1..2', '+1', '-0', '0.001', '1,5']


def part_intervals(args, check):
    root = os.path.join(args.fixtures, FIX)
    runs = [('vmfault -i', [args.vmfault, '-c', '1', '-i'], 'invalid interval'),
            ('vmswap --activity -i', [args.vmswap, '--activity', '-c', '1', '-i'],
             re.compile('invalid interval|needs an interval above 0')),
            ('vmswap -i', [args.vmswap, '--root', root, '-i'], 'invalid interval'),
            ('vmtop -d', [args.vmtop, '-b', '-n', '1', '-d'], 'invalid delay')]
    for name, argv, msg in runs:
        for v in BAD_SECONDS:
            if name == 'vmswap -i' and v == '0':
                continue  # no rate: allowed, see below
            t0 = time.monotonic()
            r = hz.run(argv + [v], timeout=30)
            usage_error(check, r, '%s %r (A9)' % (name, v), msg)
            check.ok(time.monotonic() - t0 < 25, '%s %r (A9): took %.1f s to refuse'
                     % (name, v, time.monotonic() - t0))
    # vmswap -i 0 means "no rate": one reading, no loop at all
    r = hz.spawn_ru([args.vmswap, '-i', '0'], timeout=60)
    cpu = r.rusage.ru_utime + r.rusage.ru_stime if r.rusage else 0
    check.ok(r.rc == 0 and not r.timed_out, 'vmswap -i 0 (A9): expected exit 0, got %s'
             % r.show())
    hz.note('vmswap -i 0: CPU %.2f s' % cpu)
    check.ok(cpu < 20, 'vmswap -i 0 (A9): used %.1f s of CPU: a busy loop?' % cpu)
    # the smallest interval accepted, twice: it sleeps between samples (CPU far below
    # the wall time of a loop that never sleeps)
    for name, argv in [('vmfault -i 0.01 -c 3 -p SELF', [args.vmfault, '-i', '0.01', '-c', '3',
                                                           '-p', str(os.getpid())]),
                       ('vmtop -b -d 0.1 -n 3 -p SELF', [args.vmtop, '-b', '-d', '0.1', '-n',
                                                         '3', '-p', str(os.getpid())])]:
        r = hz.spawn_ru(argv, timeout=60)
        check.ok(r.rc == 0 and not r.timed_out, '%s (A9): expected exit 0, got %s'
                 % (name, r.show()))
    # counts, top-N
    counts = [('vmfault -c', [args.vmfault, '-i', '0.01', '-c'], ['0', '-1', 'x', '1.5', '',
                                                                 '99999999999999999999']),
              ('vmswap --activity -c', [args.vmswap, '--activity', '-i', '0.01', '-c'],
               ['0', '-1', 'x', '']),
              ('vmtop -n', [args.vmtop, '-b', '--root', root, '-n'], ['0', '-1', 'x', '']),
              ('vmrank -N', [args.vmrank, '--root', root, '-N'], ['-5', '0', 'x', '']),
              ('vmfault -N', [args.vmfault, '--root', root, '-N'], ['-5', 'x', '']),
              ('vmswap -N', [args.vmswap, '--root', root, '-N'], ['-5', 'x', '']),
              ('vmsnap diff -N', [args.vmsnap, 'diff', '-N'], ['-5', 'x', '']),
              ('vmrank -j', [args.vmrank, '--root', root, '-j'], ['0', '-1', 'x', '']),
              ('vmtop -w', [args.vmtop, '-b', '--root', root, '-w'], ['-5', 'x', ''])]
    snaps = [os.path.join(args.fixtures, 'snapdiff-old'), os.path.join(args.fixtures,
                                                                       'snapdiff-new')]
    for name, argv, vals in counts:
        for v in vals:
            a = argv + [v] + (snaps if name.startswith('vmsnap') else [])
            usage_error(check, hz.run(a, timeout=30), '%s %r (A9)' % (name, v),
                        re.compile(r"invalid .*'%s'" % re.escape(v)))
    # unknown sort keys
    sorts = [('vmrank', [args.vmrank, '--root', root]), ('vmmap', [args.vmmap, '--root', root,
                                                                  str(LIVE_PID)]),
             ('vmwalk', [args.vmwalk, '--root', os.path.join(args.fixtures, 'pages'), '--pages',
                         '20308', '0x7fc9f1000000+8000']),
             ('vmfault', [args.vmfault, '--root', root]), ('vmswap', [args.vmswap, '--root',
                                                                      root]),
             ('vmsnap diff', [args.vmsnap, 'diff'] + snaps),
             ('vmtop', [args.vmtop, '-b', '--root', root])]
    for name, argv in sorts:
        for key in ('bogus', '', 'pid,rss', 'rss ', '\x1b[2J'):
            a = argv[:1] + (['diff'] if name == 'vmsnap diff' else []) + ['-s', key] + \
                argv[2 if name == 'vmsnap diff' else 1:]
            r = hz.run(a, timeout=30)
            usage_error(check, r, '%s -s %r (A9)' % (name, key),
                        re.compile(r'unknown (sort )?column|invalid|empty'))
            check.ok(b'\x1b' not in r.err, '%s -s %r (A9): the escape reached stderr raw'
                     % (name, key))


# ---------------------------------------------------------------------------
# A10: unknown, missing and conflicting options; --help


MISSING_ARG = {'vmrank': ['-p', '-o', '-s', '-N', '-U', '-P', '-j', '--by', '--format',
                          '--root'],
               'vmmap': ['-o', '-A', '-g', '-s', '--root'],
               'vmwalk': ['--pfn', '--mapping', '--shared-with', '--method', '-o', '-s',
                          '--root'],
               'vmfault': ['-p', '-i', '-c', '-N', '-o', '-s', '--format', '--output-file',
                           '--root'],
               'vmswap': ['-p', '-N', '-i', '-c', '-o', '-s', '--format', '--root'],
               'vmsnap': ['-o', '--output-file'],
               'vmtop': ['-d', '-p', '-u', '-s', '-o', '-n', '-w', '--root']}


def part_options(args, check):
    root = os.path.join(args.fixtures, FIX)
    d = hz.scratch(args, 'hz-cli-')
    try:
        for c in hz.COMMANDS:
            exe = cmd(args, c)
            for opt in ('--bogus', '-Z', '--', '--=', '---'):
                if opt == '--':
                    continue
                r = hz.run([exe, opt], timeout=30)
                usage_error(check, r, '%s %s (A10)' % (c, opt),
                            re.compile(r'unrecognized option|invalid option|ambiguous'))
            for opt in MISSING_ARG[c]:
                r = hz.run([exe, opt], timeout=30)
                usage_error(check, r, '%s %s without its argument (A10)' % (c, opt),
                            re.compile(r'requires an argument|no PID given|where to'))
            # --help and -h: stdout, exit 0, nothing on stderr; the same with other options
            other = ['-q'] if c == 'vmsnap' else ['--root', root]
            for argv in ([exe, '--help'], [exe, '-h'], [exe] + other + ['--help'], [exe, '-V']):
                r = hz.run(argv, timeout=30)
                what = ' '.join([c] + argv[1:])
                check.ok(r.rc == 0 and r.err == b'' and r.out,
                         '%s (A10): expected exit 0, output on stdout only, got %s %r'
                         % (what, r.show(), r.out[:100]))
                if argv[-1] != '-V':
                    check.ok(r.text.startswith('Usage'), '%s (A10): stdout does not begin '
                             'with "Usage": %r' % (what, r.out[:100]))
            # --help to a full disk: an error, not silence
            if os.path.exists('/dev/full'):
                with open('/dev/full', 'wb') as full:
                    p = subprocess.run([exe, '--help'], stdout=full, stderr=subprocess.PIPE,
                                       timeout=30, env=hz.BASE_ENV)
                check.ok(p.returncode == 1 and b'write error' in p.stderr,
                         '%s --help > /dev/full (A10): expected exit 1 and "write error", got '
                         '%d %r' % (c, p.returncode, p.stderr[:200]))
        out = os.path.join(d, 'conflict/')
        conflicts = [
            ([args.vmrank, '--root', root, '--exact', '-w'], 'cannot be combined'),
            ([args.vmrank, '--root', root, '--tree'], '--tree needs --by'),
            ([args.vmrank, '--root', root, '-J', '--format', 'xml'], 'unknown format'),
            ([args.vmmap, '--root', root, '--layout', '-J', str(LIVE_PID)], '--layout'),
            ([args.vmmap, '--root', root, '--pages', '-g', 'kind', str(LIVE_PID)], '--pages'),
            ([args.vmmap, '--root', root, '-x', '-o', 'rss', str(LIVE_PID)], '--extended'),
            ([args.vmwalk, '--root', root, str(LIVE_PID), '--mapping', 'heap', '--shared-with',
              '1'], 'do not go together'),
            ([args.vmwalk, '--root', root, '--pfn', '1', str(LIVE_PID)], '--pfn takes no PID'),
            ([args.vmfault, '-p', '1', '--', 'true'], 'cannot be combined'),
            ([args.vmfault, '--root', root, '--', 'true'], 'not with --root'),
            ([args.vmfault, '--format', 'openmetrics', '-c', '2'], 'openmetrics'),
            ([args.vmswap, '--root', root, '--exact', '--oom'], 'cannot be combined'),
            ([args.vmswap, '--root', root, '--activity', '--oom'], 'cannot be combined'),
            ([args.vmsnap, '-o', out, 'diff'], None),
            ([args.vmsnap, 'diff', '--pages', 'a', 'b'], None),
            ([args.vmsnap, '-o', '-'], 'not written to stdout'),
            ([args.vmtop, '-w', '80'], '--width goes with --batch'),
            ([args.vmtop, '-b', '-d', '2', '--root', root, '--root', root], '--delay'),
        ]
        for argv, msg in conflicts:
            r = hz.run(argv, timeout=30)
            what = ' '.join(os.path.basename(a) if a.startswith('/') else a
                            for a in argv) + ' (A10: conflicting)'
            usage_error(check, r, what, msg or re.compile('.'), out)
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == '__main__':
    hz.run_test([('bad-pids', part_bad_pids), ('decimal', part_decimal),
                 ('missing-pid', part_missing_pid), ('many-pids', part_many_pids),
                 ('duplicates', part_duplicates), ('addresses', part_addresses),
                 ('intervals', part_intervals), ('options', part_options)])
