# SPDX-License-Identifier: GPL-2.0-or-later
"""Hazards B3, B4, B9, B10: every command under odd locales (C, POSIX, C.UTF-8, a bogus
one: ASCII only in C, JSON the same in all); COLUMNS and LINES ignored; --root at the
procfs of another PID namespace (/proc/PID/root: PIDs are that namespace's); --root at a
subset=pid or hidepid=2 procfs (the system views fail with the reason, the process views
work).  B1/B2 (vmtop and the terminal) are tests/live/test_vmtop_env.py."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import hz


def views(args):
    """(name, argv) of each command's text and JSON views over the hostile fixture."""
    h = os.path.join(args.fixtures, 'hostile')
    p = os.path.join(args.fixtures, 'pages')
    old, new = (os.path.join(args.fixtures, 'snapdiff-old'),
                os.path.join(args.fixtures, 'snapdiff-new'))
    return [
        ('vmrank', [args.vmrank, '--root', h, '-o', '+comm,cmdline']),
        ('vmrank -r', [args.vmrank, '--root', h, '-r', '-o', '+comm,cmdline']),
        ('vmrank --by mapping', [args.vmrank, '--root', h, '--by', 'mapping']),
        ('vmrank --by user --tree', [args.vmrank, '--root', h, '--by', 'user', '--tree']),
        ('vmrank -J', [args.vmrank, '--root', h, '-J']),
        ('vmmap', [args.vmmap, '--root', h, '4010', '4001', '4002']),
        ('vmmap --layout', [args.vmmap, '--root', h, '--layout', '4010']),
        ('vmmap -J', [args.vmmap, '--root', h, '-J', '4010', '4002']),
        ('vmwalk', [args.vmwalk, '--root', p, '20308', '0x7fca31c00123']),
        ('vmwalk --pages', [args.vmwalk, '--root', p, '--pages', '20308',
                            '0x7fc9f1000000+8000']),
        ('vmfault', [args.vmfault, '--root', h, '-N', '0', '-o', '+comm,cmdline']),
        ('vmfault -J', [args.vmfault, '--root', h, '-N', '0', '-J']),
        ('vmswap', [args.vmswap, '--root', h, '-a']),
        ('vmswap -J', [args.vmswap, '--root', h, '-a', '-J']),
        ('vmsnap diff', [args.vmsnap, 'diff', '-a', old, new]),
        ('vmsnap diff -J', [args.vmsnap, 'diff', '-a', '-J', old, new]),
        ('vmtop -b', [args.vmtop, '-b', '--root', h]),
        ('vmtop -b -t', [args.vmtop, '-b', '-t', '--root', h]),
    ]


LOCALES = [('LC_ALL=C.UTF-8', {'LC_ALL': 'C.UTF-8'}, True),
           ('LANG=C', {'LC_ALL': None, 'LANG': 'C'}, False),
           ('LANG=POSIX', {'LC_ALL': None, 'LANG': 'POSIX'}, False),
           ('no locale variables', {'LC_ALL': None}, False),
           ('LC_ALL=xx_YY.bogus', {'LC_ALL': 'xx_YY.bogus'}, False),
           ('LANG=C.UTF-8 LC_CTYPE=xx_YY.bogus', {'LC_ALL': None, 'LANG': 'C.UTF-8',
                                                   'LC_CTYPE': 'xx_YY.bogus'}, False),
           ('LANG=xx_YY.bogus LC_CTYPE=C.UTF-8', {'LC_ALL': None, 'LANG': 'xx_YY.bogus',
                                                   'LC_CTYPE': 'C.UTF-8'}, True)]


def part_locale(args, check):
    for name, argv in views(args):
        base = None
        for lname, env, utf8 in LOCALES:
            r = hz.run(argv, env=env, timeout=60)
            what = '%s with %s (B3)' % (name, lname)
            if not check.ok(r.rc in (0, 3) and not r.timed_out and r.out,
                            '%s: expected output and exit 0, got %s' % (what, r.show())):
                continue
            if base is None:
                base = r
            check.eq('%s: exit status (as with C.UTF-8)' % what, base.rc, r.rc)
            if '-J' in argv:
                # JSON is UTF-8 whatever the locale, and the same bytes
                try:
                    json.loads(r.out.decode('utf-8'))
                    check.ok(True, '')
                except (UnicodeDecodeError, ValueError) as e:
                    check.fail('%s: not valid UTF-8 JSON: %s' % (what, e))
                check.ok(r.out == base.out, '%s: the JSON differs from the one under C.UTF-8'
                         % what)
            elif utf8:
                try:
                    r.out.decode('utf-8')
                    check.ok(True, '')
                except UnicodeDecodeError as e:
                    check.fail('%s: the output is not valid UTF-8: %s' % (what, e))
            else:
                # ASCII fallback: escapes (\xNN) and ASCII drawing, no byte above 0x7f
                for stream, data in (('stdout', r.out), ('stderr', r.err)):
                    hi = [i for i, b in enumerate(data) if b >= 0x80]
                    check.ok(not hi, '%s: %d bytes above 0x7f on %s, first %r' % (
                        what, len(hi), stream, data[max(0, hi[0] - 20):hi[0] + 20]
                        if hi else b''))
            for stream, data in (('stdout', r.out), ('stderr', r.err)):
                check.ok(b'\x1b' not in data, '%s: ESC from the data on %s' % (what, stream))
                if '-J' not in argv:
                    # C1 CSI, raw or UTF-8 encoded (JSON carries U+009B as a character)
                    check.ok(b'\x9b' not in data, '%s: CSI (0x9b) from the data on %s'
                             % (what, stream))
    # numbers on the command line do not depend on the locale's decimal point
    root = os.path.join(args.fixtures, 'basic')
    for lname, env, _ in LOCALES:
        for argv in ([args.vmfault, '--root', root, '-i', '0.5'],
                     [args.vmtop, '-b', '-n', '1', '-d', '0.5', '--root', root]):
            r = hz.run(argv, env=env, timeout=60)
            check.ok(r.rc == 0, '%s with %s (B3): "0.5" refused: %s' % (
                os.path.basename(argv[0]), lname, r.show()))
    try:
        locales = subprocess.run(['locale', '-a'], capture_output=True, timeout=30,
                                 text=True).stdout.split()
    except (OSError, subprocess.TimeoutExpired):
        locales = []
    comma = [l for l in locales if re.match(r'(de_DE|fr_FR|ru_RU|nl_NL)', l)]
    if comma:
        for argv in ([args.vmfault, '--root', root, '-i', '0.5'],):
            r = hz.run(argv, env={'LC_ALL': comma[0]}, timeout=60)
            check.ok(r.rc == 0, 'vmfault -i 0.5 with LC_ALL=%s (B3): %s' % (comma[0], r.show()))
    else:
        hz.note('no locale with a decimal comma installed: "-i 0.5" checked in C locales only')


def part_size_env(args, check):
    for name, argv in views(args):
        base = hz.run(argv, env={'COLUMNS': None, 'LINES': None}, timeout=60)
        for env in ({'COLUMNS': '-5'}, {'COLUMNS': '999999999'}, {'LINES': 'abc'},
                    {'COLUMNS': '0', 'LINES': '0'}, {'COLUMNS': '18446744073709551617',
                                                     'LINES': '-1'}, {'COLUMNS': ''}):
            r = hz.run(argv, env=env, timeout=60)
            what = '%s with %s (B4)' % (name, ' '.join('%s=%s' % kv for kv in env.items()))
            check.eq('%s: exit status (as without)' % what, base.rc, r.rc)
            check.ok(r.out == base.out and r.err == base.err,
                     '%s: the output differs from a run without COLUMNS/LINES' % what)


# ---------------------------------------------------------------------------
# B9: the procfs of another PID namespace


def children(pid):
    out = []
    try:
        for tid in os.listdir('/proc/%d/task' % pid):
            with open('/proc/%d/task/%s/children' % (pid, tid)) as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def part_pidns(args, check):
    if os.geteuid() != 0:
        raise hz.Skip('B9 needs root (unshare --pid --mount-proc)')
    try:
        u = subprocess.Popen(['unshare', '--pid', '--fork', '--mount-proc', 'sleep', '600'],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, start_new_session=True)
    except OSError as e:
        raise hz.Skip('unshare: %s' % e)
    try:
        sleeper = None
        for _ in range(100):
            kids = children(u.pid)
            if kids:
                sleeper = kids[0]
                try:
                    with open('/proc/%d/cmdline' % sleeper, 'rb') as f:
                        if f.read().startswith(b'sleep\0'):
                            break
                except OSError:
                    pass
            if u.poll() is not None:
                break
            time.sleep(0.05)
        if u.poll() is not None or sleeper is None:
            raise hz.Skip('unshare --pid --fork --mount-proc failed: %r'
                          % (u.stderr.read() if u.poll() is not None else 'no child'))
        root = '/proc/%d/root' % sleeper
        if not os.path.exists(root + '/proc/1'):
            raise hz.Skip('%s/proc/1 is not there: no procfs of its own' % root)
        if os.path.exists(root + '/proc/self'):
            hz.note('%s/proc/self resolves: the procfs is not foreign to us' % root)
        with open('/proc/%d/maps' % sleeper) as f:
            maps = f.read()
        stack = next(l.split()[0].split('-')[0] for l in maps.splitlines()
                     if l.endswith('[stack]'))
        runs = [('vmrank', [args.vmrank, '--root', root, '-J']),
                ('vmrank -p 1', [args.vmrank, '--root', root, '-p', '1', '-o', 'pid,cmdline']),
                ('vmmap 1', [args.vmmap, '--root', root, '1']),
                ('vmwalk 1 STACK', [args.vmwalk, '--root', root, '1', stack]),
                ('vmfault -p 1', [args.vmfault, '--root', root, '-p', '1', '-c', '1']),
                ('vmswap -p 1', [args.vmswap, '--root', root, '-p', '1', '-a']),
                ('vmtop -b -p 1', [args.vmtop, '-b', '-n', '1', '--root', root, '-p', '1']),
                ('vmrank -w', [args.vmrank, '--root', root, '-w'])]
        for name, argv in runs:
            r = hz.run(argv, timeout=60)
            what = '%s --root /proc/PID/root of a new PID namespace (B9)' % name
            if not check.ok(r.rc == 0, '%s: expected exit 0, got %s' % (what, r.show())):
                continue
            if name == 'vmrank':
                doc = json.loads(r.out)
                pids = sorted(p['pid'] for p in doc['processes'])
                check.eq('%s: the PIDs (of that namespace)' % what, [1], pids)
                check.ok(doc['processes'][0].get('cmdline') == 'sleep 600',
                         '%s: PID 1 is not the sleep: %r' % (what, doc['processes'][0]))
            elif name == 'vmmap 1':
                check.ok('/usr/bin/sleep' in r.text or 'sleep' in r.text,
                         '%s: PID 1 there is the sleep, got %r' % (what, r.text[:300]))
            elif name == 'vmwalk 1 STACK':
                check.ok('[stack]' in r.text, '%s: expected its stack, got %r'
                         % (what, r.text[:300]))
            elif name != 'vmrank -w':
                check.ok('sleep 600' in r.text, '%s: PID 1 (the sleep) is not shown: %r'
                         % (what, r.text[:400]))
        # a PID of ours means nothing there
        if sleeper != 1:
            r = hz.run([args.vmrank, '--root', root, '-p', str(sleeper)])
            check.ok(r.rc == 1 and 'no such process' in r.etext,
                     'vmrank --root /proc/PID/root -p HOSTPID (B9): expected exit 1 "no such '
                     'process" (PIDs are the namespace\'s), got %s' % r.show())
        # the procfs itself is not a root: said so, plainly
        r = hz.run([args.vmrank, '--root', root + '/proc'])
        check.ok(r.rc == 1 and 'procfs mount is not a root' in r.etext,
                 'vmrank --root /proc/PID/root/proc (B9): expected exit 1 and "a procfs mount '
                 'is not a root", got %s' % r.show())
    finally:
        try:
            os.killpg(u.pid, 9)
        except OSError:
            pass
        u.wait()


# ---------------------------------------------------------------------------
# B10: subset=pid and hidepid=2


def mount_proc(options):
    d = tempfile.mkdtemp(prefix='vmscope-hz-proc.')
    os.chmod(d, 0o755)
    os.mkdir(d + '/proc')
    p = subprocess.run(['mount', '-t', 'proc', '-o', options, 'proc', d + '/proc'],
                       capture_output=True, timeout=30)
    if p.returncode != 0:
        shutil.rmtree(d, ignore_errors=True)
        return None, p.stderr.decode('utf-8', 'replace').strip()
    return d, None


def umount_proc(d):
    if subprocess.run(['umount', d + '/proc'], capture_output=True, timeout=30).returncode:
        subprocess.run(['umount', '-l', d + '/proc'], capture_output=True, timeout=30)
    try:
        os.rmdir(d + '/proc')
        os.rmdir(d)
    except OSError as e:
        hz.note('cannot remove %s: %s' % (d, e))


HINT = 'subset=pid'


def part_subset(args, check):
    if os.geteuid() != 0:
        raise hz.Skip('B10 needs root (mount -t proc)')
    d, err = mount_proc('subset=pid')
    if not d:
        raise hz.Skip('mount -t proc -o subset=pid: %s' % err)
    try:
        me = str(os.getpid())
        # the system views: exit 1 with the reason, or (mixed views) the reason and the rest
        r = hz.run([args.vmrank, '--root', d, '-w'])
        check.ok(r.rc == 1 and HINT in r.etext and 'meminfo' in r.etext,
                 'vmrank -w on a subset=pid procfs (B10): expected exit 1 and "meminfo ... %s",'
                 ' got %s' % (HINT, r.show()))
        r = hz.run([args.vmswap, '--root', d, '-p', me, '-a'])
        check.ok(r.rc == 0 and HINT in r.etext and 'swaps' in r.etext and 'meminfo' in r.etext,
                 'vmswap on a subset=pid procfs (B10): expected the reason for swaps and '
                 'meminfo, got %s' % r.show())
        check.ok(b'no swap devices' not in r.out and me.encode() in r.out,
                 'vmswap on a subset=pid procfs (B10): an unread /proc/swaps must not read as '
                 '"no swap devices", and the process must be shown: %r' % r.out[:400])
        r = hz.run([args.vmswap, '--root', d, '--oom', '-p', me])
        check.ok(HINT in r.etext and me.encode() in r.out,
                 'vmswap --oom on a subset=pid procfs (B10): expected the reason and the '
                 'process, got %s' % r.show())
        for argv in ([args.vmfault, '--root', d, '-c', '1'],
                     [args.vmswap, '--root', d, '--activity', '-c', '1', '-i', '0.1']):
            r = hz.run(argv)
            check.ok(r.rc == 0 and HINT in r.etext and 'vmstat' in r.etext,
                     '%s (B10): expected exit 0 and "vmstat ... %s", got %s'
                     % (' '.join(argv[1:]), HINT, r.show()))
        # the process views
        for name, argv in [('vmrank -p', [args.vmrank, '--root', d, '-p', me]),
                           ('vmmap', [args.vmmap, '--root', d, me]),
                           ('vmtop -b -p', [args.vmtop, '-b', '-n', '1', '--root', d, '-p', me])]:
            r = hz.run(argv)
            check.ok(r.rc == 0 and me.encode() in r.out or name == 'vmmap' and r.rc == 0,
                     '%s on a subset=pid procfs (B10): expected exit 0 and the process, got %s'
                     % (name, r.show()))
    finally:
        umount_proc(d)


def part_hidepid(args, check):
    if os.geteuid() != 0:
        raise hz.Skip('B10 needs root (mount -t proc)')
    d, err = mount_proc('hidepid=2')
    if not d:
        raise hz.Skip('mount -t proc -o hidepid=2: %s' % err)
    try:
        # as nobody: its own processes only, the system views as usual
        r = hz.run([args.vmrank, '--root', d, '-J'], user='nobody')
        what = 'vmrank -J on a hidepid=2 procfs as nobody (B10)'
        if check.ok(r.rc == 0, '%s: expected exit 0, got %s' % (what, r.show())):
            doc = json.loads(r.out)
            uids = {p.get('uid') for p in doc['processes']}
            check.ok(uids <= {65534}, '%s: processes of other users listed: uids %r'
                     % (what, uids))
        r = hz.run([args.vmrank, '--root', d, '-p', '1'], user='nobody')
        check.ok(r.rc == 1 and 'pid 1' in r.etext,
                 'vmrank -p 1 on a hidepid=2 procfs as nobody (B10): expected exit 1 and a '
                 'message about pid 1, got %s' % r.show())
        for name, argv in [('vmrank -w', [args.vmrank, '--root', d, '-w']),
                           ('vmswap', [args.vmswap, '--root', d]),
                           ('vmfault -c 1', [args.vmfault, '--root', d, '-c', '1']),
                           ('vmtop -b', [args.vmtop, '-b', '-n', '1', '--root', d])]:
            r = hz.run(argv, user='nobody')
            check.ok(r.rc == 0 and r.out, '%s on a hidepid=2 procfs as nobody (B10): expected '
                     'exit 0, got %s' % (name, r.show()))
        # as root: everything
        r = hz.run([args.vmrank, '--root', d, '-p', str(os.getpid()), '-o', 'pid'])
        check.ok(r.rc == 0 and str(os.getpid()).encode() in r.out,
                 'vmrank -p SELF on a hidepid=2 procfs as root (B10): %s' % r.show())
    finally:
        umount_proc(d)


if __name__ == '__main__':
    hz.run_test([('locale', part_locale), ('size-env', part_size_env), ('pidns', part_pidns),
                 ('subset', part_subset), ('hidepid', part_hidepid)])
