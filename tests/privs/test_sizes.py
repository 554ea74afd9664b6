# SPDX-License-Identifier: GPL-2.0-or-later
"""Hazard I6: attacker-sized inputs.  A process with a 2 MB command line (the stack
rlimit raised so that execve takes it), a mapped file whose path makes a maps line of
over 10,000 bytes, and a file name of NAME_MAX bytes that each escape to four characters
(1,020 after escaping) is read by every command: no failure, no crash, the long path and
the long name come out whole (JSON exact, text escaped), the command line whole up to
the documented 2 MiB bound."""

import json
import os
import shutil

import privs
from privs import Skip, note

CMDLINE_MAX = 2 * 1024 * 1024  # lib/private.h VMS_CMDLINE_MAX
DEEP = 10300  # bytes of the deep file's path: its maps line is longer than 10,000
ESC_NAME = b'\x1b' * 255  # NAME_MAX bytes; each is "\x1b" (4 characters) on a terminal


def load(check, what, r):
    if not check.eq('%s: exit status' % what, 0, r.status):
        note('%s: %s' % (what, r.describe()))
        return None
    try:
        return json.loads(r.out.decode('utf-8'))
    except ValueError as e:
        check.fail('%s: not JSON: %s' % (what, e))
        return None


def maps_line_len(pid, path):
    with open('/proc/%d/maps' % pid, 'rb') as f:
        for line in f:
            if line.rstrip(b'\n').endswith(path):
                return len(line)
    return 0


def part_cmdline(check, cmds, t, want):
    pid = t.pid
    if 'vmrank' in cmds:
        what = 'vmrank -J -p %d -o pid,cmdline (a %d-byte command line)' % (pid, len(want))
        doc = load(check, what, privs.run([cmds['vmrank'], '-J', '-p', pid, '-o',
                                           'pid,cmdline']))
        if doc:
            got = (doc.get('processes') or [{}])[0].get('cmdline') or ''
            exp = want[:CMDLINE_MAX - 1]
            check.eq('%s: length' % what, len(exp), len(got))
            check.ok(got == exp, '%s: not the command line (or its first 2 MiB)' % what)
        what = 'vmrank -p %d -o pid,cmdline (table)' % pid
        r = privs.run([cmds['vmrank'], '-p', pid, '-o', 'pid,cmdline'])
        check.eq('%s: exit status' % what, 0, r.status)
        check.ok(len(r.out) > CMDLINE_MAX - 100, '%s: %d bytes of output' % (what, len(r.out)))
    if 'vmfault' in cmds:
        what = 'vmfault -J -p %d -c 1 -o pid,cmdline' % pid
        r = privs.run([cmds['vmfault'], '-J', '-p', pid, '-c', '1', '-i', '0.1', '-o',
                       'pid,cmdline'])
        check.eq('%s: exit status' % what, 0, r.status)
        check.ok(len(r.out) > CMDLINE_MAX - 100, '%s: %d bytes of output' % (what, len(r.out)))
    if 'vmswap' in cmds:
        what = 'vmswap -J -a -p %d -o pid,cmdline' % pid
        r = privs.run([cmds['vmswap'], '-J', '-a', '-i', '0', '-p', pid, '-o', 'pid,cmdline'])
        check.eq('%s: exit status' % what, 0, r.status)
    if 'vmtop' in cmds:
        what = 'vmtop -b -n 1 -p %d -o pid,command' % pid
        r = privs.run([cmds['vmtop'], '-b', '-n', '1', '-p', pid, '-o', 'pid,command'])
        check.eq('%s: exit status' % what, 0, r.status)
        check.ok(b'AAAAAAAAAA' in r.out, '%s: the command line is not shown: %r'
                 % (what, r.out[:600]))


def part_names(check, cmds, t, deep, esc):
    pid = t.pid
    deep_s = deep.decode('utf-8')
    esc_shown = esc.replace(ESC_NAME, b'\\x1b' * 255).decode('utf-8')
    if 'vmmap' in cmds:
        what = 'vmmap -J %d (a %d-byte path, a name of 255 ESC)' % (pid, len(deep))
        doc = load(check, what, privs.run([cmds['vmmap'], '-J', pid]))
        if doc:
            names = [m.get('mapping') for p in doc.get('processes', [])
                     for m in p.get('mappings', [])]
            check.ok(deep_s in names, '%s: the deep path is not one mapping\'s name whole'
                     % what)
            check.ok(esc.decode('utf-8') in names, '%s: the ESC name is not there whole' % what)
        for extra in ([], ['-r'], ['-x'], ['-g', 'path']):
            what = 'vmmap %s %d' % (' '.join(extra), pid)
            r = privs.run([cmds['vmmap']] + extra + [pid])
            check.eq('%s: exit status' % what, 0, r.status)
            text = r.text
            check.ok(deep_s in text, '%s: the deep path is not in the output whole' % what)
            check.ok(esc_shown in text, '%s: the ESC name is not shown whole, escaped (%d '
                     'characters)' % (what, len(esc_shown)))
    if 'vmrank' in cmds:
        what = 'vmrank -J --by mapping -p %d' % pid
        doc = load(check, what, privs.run([cmds['vmrank'], '-J', '--by', 'mapping', '-p', pid]))
        if doc:
            blob = json.dumps(doc)
            check.ok(json.dumps(deep_s) in blob, '%s: the deep path is not a group' % what)
    if 'vmwalk' in cmds:
        for path in (deep, esc):
            start = [f['start'] for f in t.info['files'] if bytes.fromhex(f['path_hex']) == path]
            if not start or not start[0]:
                check.fail('target: no address for %r...' % path[:40])
                continue
            what = 'vmwalk -J %d %s (a file of %d bytes of path)' % (pid, start[0], len(path))
            doc = load(check, what, privs.run([cmds['vmwalk'], '-J', pid, start[0]]))
            if doc:
                check.eq('%s: mapping name' % what, path.decode('utf-8'),
                         (doc.get('mapping') or {}).get('mapping'))


def part_snapshot(check, cmds, t, d, deep, want):
    if 'vmsnap' not in cmds:
        return
    snap = os.path.join(d, 'snap')
    what = 'vmsnap -o SNAP %d (the long command line and paths)' % t.pid
    r = privs.run([cmds['vmsnap'], '-q', '-o', snap, t.pid])
    if not check.eq('%s: exit status' % what, 0, r.status):
        note(r.describe())
        return
    if 'vmmap' in cmds:
        what = 'vmmap -J --root SNAP %d' % t.pid
        doc = load(check, what, privs.run([cmds['vmmap'], '-J', '--root', snap, t.pid]))
        if doc:
            names = [m.get('mapping') for p in doc.get('processes', [])
                     for m in p.get('mappings', [])]
            check.ok(deep.decode() in names, '%s: the deep path is not there whole' % what)
    if 'vmrank' in cmds:
        what = 'vmrank -J --root SNAP -p %d -o pid,cmdline' % t.pid
        doc = load(check, what, privs.run([cmds['vmrank'], '-J', '--root', snap, '-p', t.pid,
                                           '-o', 'pid,cmdline']))
        if doc:
            got = (doc.get('processes') or [{}])[0].get('cmdline') or ''
            check.eq('%s: length' % what, len(want[:CMDLINE_MAX - 1]), len(got))


def body(args, check):
    cmds = privs.commands(args)
    d = privs.scratch('vms-sz.', 0o755)
    try:
        # 21 arguments of 100,000 bytes: each under MAX_ARG_STRLEN (128 KiB), 2.1 MB in all
        ballast = ['A' * 100000] * 21
        try:
            t = privs.Target('--dir', d, '--deep', DEEP, '--map', ESC_NAME.hex(),
                             ballast=ballast, stack=256 << 20)
        except OSError as e:
            raise Skip('cannot start a process with a 2 MB command line: %s' % e)
        with t:
            with open('/proc/%d/cmdline' % t.pid, 'rb') as f:
                raw = f.read()
            want = raw.rstrip(b'\0').replace(b'\0', b' ').decode('utf-8')
            check.ok(len(raw) > 2000000, 'the target\'s command line is %d bytes' % len(raw))
            deep = bytes.fromhex(t.info['files'][1]['path_hex'])
            esc = bytes.fromhex(t.info['files'][0]['path_hex'])
            n = maps_line_len(t.pid, deep)
            check.ok(n > 10000, 'the deep file\'s maps line is %d bytes, not over 10,000' % n)
            note('command line %d bytes, maps line %d bytes, escaped name %d characters'
                 % (len(raw), n, 4 * len(ESC_NAME)))
            part_cmdline(check, cmds, t, want)
            part_names(check, cmds, t, deep, esc)
            part_snapshot(check, cmds, t, d, deep, want)
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == '__main__':
    privs.run_test(body)
