# SPDX-License-Identifier: GPL-2.0-or-later
"""Hazard I4: terminal-escape injection.  A process whose comm, command line and mapped
file names hold ESC, BEL, CSI 0x9b and OSC 52 is shown by every command's text views on
a terminal (table, --raw, JSON, a snapshot of it, vmtop -b): no control byte from that
data reaches the terminal.  Each run is compared with the same run against a process
whose names have plain characters in those places (the tools' own output is the same)."""

import os
import shutil

import privs
from privs import Failed, note

# comm is at most 15 bytes: a marker, OSC 52 (set the clipboard) cut short by BEL, C1 CSI
HOSTILE_COMM = b'v\x1b]52;c;QQ\x07\x9b2J'
# mapped file: the marker vmsF, OSC 52, a clear-screen CSI, 8-bit CSI, BEL
HOSTILE_FILE = b'vmsF\x1b]52;c;SGk=\x07\x1b[2J\x9b31m\x07end'
# command line: an OSC title, a cursor report request (8-bit CSI 6n), a colour
HOSTILE_ARGS = [b'pwned\x1b]0;title\x07', b'x\x9b6n', b'\x1b[31mred\x1b[0m']


def benign(b):
    """The same length, every byte a terminal would act on made plain."""
    return bytes(0x5f if (c < 0x20 or 0x7f <= c <= 0x9f) else c for c in b)


def views(cmds, pid, file_start, snap):
    """[(command, argv after the command, marker that must show up)]."""
    v = []
    if 'vmrank' in cmds:
        for extra in ([], ['-r'], ['-J']):
            v.append(('vmrank', ['-p', pid, '-o', 'pid,comm,cmdline'] + extra, 'QQ'))
            v.append(('vmrank', ['-p', pid, '-o', 'pid,cmdline'] + extra, 'pwned'))
            v.append(('vmrank', ['--by', 'mapping', '-p', pid] + extra, 'vmsF'))
        v.append(('vmrank', ['-P', 'QQ', '-o', 'pid,comm'], 'QQ'))
        if snap:
            v.append(('vmrank', ['--root', snap, '-p', pid, '-o', 'pid,comm,cmdline'], 'QQ'))
    if 'vmmap' in cmds:
        for extra in ([], ['-r'], ['-J'], ['-g', 'path'], ['--layout'], ['-x'], ['--pages']):
            v.append(('vmmap', [pid] + extra, 'vmsF'))
        if snap:
            v.append(('vmmap', ['--root', snap, pid], 'vmsF'))
    if 'vmwalk' in cmds:
        v.append(('vmwalk', [pid, file_start], 'vmsF'))
        v.append(('vmwalk', [pid, file_start, '-J'], 'vmsF'))
        for extra in ([], ['-r']):
            v.append(('vmwalk', [pid, '--mapping', 'vmsF', '--pages', '-o',
                                 'address,state,mapping'] + extra, 'vmsF'))
    if 'vmfault' in cmds:
        for extra in ([], ['-r']):
            v.append(('vmfault', ['-p', pid, '-c', '1', '-i', '0.1', '-o',
                                  'pid,comm,cmdline'] + extra, 'pwned'))
    if 'vmswap' in cmds:
        for extra in ([], ['-r']):
            v.append(('vmswap', ['-p', pid, '-a', '-i', '0', '-o', 'pid,comm,cmdline'] + extra,
                      'pwned'))
            v.append(('vmswap', ['--oom', '-p', pid] + extra, 'pwned'))
    if 'vmsnap' in cmds and snap:
        for extra in ([], ['-r']):
            v.append(('vmsnap', ['diff', '-a', '--output', '+comm,cmdline'] + extra
                      + [snap, snap], 'QQ'))
    if 'vmtop' in cmds:
        v.append(('vmtop', ['-b', '-n', '1', '-p', pid, '-o', 'pid,command'], 'pwned'))
        if snap:
            v.append(('vmtop', ['-b', '--root', snap, '-p', pid, '-o', 'pid,command'], 'pwned'))
    return v


def capture(cmds, kind, d):
    """Start the target with hostile or benign names; snapshot it; run every view on a
    pty.  Returns {index: Result} and the list of views."""
    comm, fname = HOSTILE_COMM, HOSTILE_FILE
    ballast = HOSTILE_ARGS
    if kind == 'benign':
        comm, fname, ballast = benign(comm), benign(fname), [benign(a) for a in ballast]
    sub = os.path.join(d, kind)
    os.mkdir(sub)
    out = {}
    with privs.Target('--comm', comm.hex(), '--dir', sub, '--map', fname.hex(),
                      ballast=ballast) as t:
        start = t.info['files'][0]['start']
        if start is None:
            raise Failed('target: its mapped file is not in its own maps: %r' % t.info)
        pid = t.pid
        snap = None
        if 'vmsnap' in cmds:
            snap = os.path.join(d, 'snap-' + kind)
            # the capture's progress and messages go to the terminal as well
            r = privs.run_pty([cmds['vmsnap'], '-o', snap, pid])
            out['capture'] = r
            if r.status != 0:
                note('vmsnap -o %s %d: %s; the snapshot views are left out'
                     % (snap, pid, r.describe()))
                snap = None
        vs = views(cmds, pid, start, snap)
        for i, (c, argv, marker) in enumerate(vs):
            out[i] = privs.run_pty([cmds[c]] + argv)
    return out, vs


def shown(c, argv):
    return '%s %s' % (c, ' '.join(str(a) for a in argv))


def body(args, check):
    cmds = privs.commands(args)
    d = privs.scratch('vms-esc.')
    try:
        hostile, vh = capture(cmds, 'hostile', d)
        plain, vb = capture(cmds, 'benign', d)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    if 'capture' in hostile:
        got = privs.terminal_controls(hostile['capture'].out)
        check.ok(not got, 'vmsnap -o SNAP PID (hostile names) on a terminal: control '
                 'characters reached it: %r in %r' % (got, hostile['capture'].out[:600]))
    for i, (c, argv, marker) in enumerate(vh):
        what = shown(c, argv) + ' on a terminal'
        h, b = hostile.get(i), plain.get(i)
        if h is None or b is None or len(vb) != len(vh):
            check.fail('%s: the hostile and the benign runs differ in their views' % what)
            continue
        check.eq('%s: exit status, hostile vs benign names' % what, b.status, h.status)
        check.ok(marker.encode() in h.out, '%s: the target (marker %r) is not in the '
                 'output, the check would prove nothing: %r' % (what, marker, h.out[:800]))
        hc, bc = privs.terminal_controls(h.out), privs.terminal_controls(b.out)
        extra = {k: (n, bc.get(k, 0)) for k, n in hc.items() if n > bc.get(k, 0)}
        check.ok(not extra, '%s: control characters from the data reached the terminal '
                 '(count with hostile names, with benign names): %r; output %r'
                 % (what, extra, h.out[:1500]))
    note('%d views checked on a terminal, each with hostile and with benign names' % len(vh))


if __name__ == '__main__':
    privs.run_test(body)
