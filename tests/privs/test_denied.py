# SPDX-License-Identifier: GPL-2.0-or-later
"""Hazard C9 for every command: run unprivileged against another user's process and
against a process of our own made non-dumpable (PR_SET_DUMPABLE 0).  A named process
that cannot be read gets one stderr line with the errno and a hint, and the status says
so (1 when it was the only target, 3 when others were shown); a full scan exits 0 and
counts the unreadable processes on one line, with a hint."""

import json
import os
import re
import shutil

import privs
from privs import Skip, note

HINT = 'Permission denied (needs the same user or CAP_SYS_PTRACE)'


def msg_rx(pid):
    return re.compile(r'^\w+: pid %d: cannot read [a-z_]+: %s$' % (pid, re.escape(HINT)), re.M)


def named(check, cmds, who, denied, what_denied, own, addr, d):
    """Each command with the denied PID named, alone and next to a readable one."""
    D, O = str(denied), str(own.pid)
    cases = []
    c = cmds.get
    if c('vmrank'):
        cases += [('vmrank', ['-p', D], 1, False), ('vmrank', ['-J', '-p', D + ',' + O], 3, True)]
    if c('vmmap'):
        cases += [('vmmap', [D], 1, False), ('vmmap', [D, O], 3, True),
                  ('vmmap', ['-J', D, O], 3, True)]
    if c('vmwalk'):
        cases += [('vmwalk', [D, addr], 1, False)]
    if c('vmswap'):
        cases += [('vmswap', ['-p', D], 1, False), ('vmswap', ['-J', '-p', D + ',' + O], 3, True)]
    if c('vmsnap'):
        # the snapshot is written, without that process's memory files: partial
        cases += [('vmsnap', ['-q', '-o', os.path.join(d, 'snap-%s-a' % D), D], 3, False),
                  ('vmsnap', ['-q', '-o', os.path.join(d, 'snap-%s-b' % D), D, O], 3, False)]
    if c('vmtop'):
        cases += [('vmtop', ['-b', '-n', '1', '-p', D + ',' + O, '-o', 'pid,pss'], 3, True)]
    for cmd, argv, status, shows_own in cases:
        what = '%s %s, %s named (as %s)' % (cmd, ' '.join(argv), what_denied, who)
        r = privs.run([cmds[cmd]] + argv, unprivileged=True)
        check.eq('%s: exit status' % what, status, r.status)
        lines = msg_rx(denied).findall(r.err)
        check.eq('%s: stderr lines "%s: pid %d: cannot read ...: %s"' % (what, cmd, denied, HINT),
                 1, len(lines))
        if not lines:
            note('%s: stderr %r' % (what, r.err[:500]))
        if shows_own:
            check.ok(O in r.text, '%s: the readable pid %s is not shown: %r'
                     % (what, O, r.text[:600]))
        if '-J' in argv:
            try:
                doc = json.loads(r.out)
            except ValueError as e:
                check.fail('%s: not JSON: %s' % (what, e))
                continue
            sk = {s.get('pid'): s for s in doc.get('skipped') or []}
            check.eq('%s: "skipped" entry of pid %d: errno' % (what, denied), 'EACCES',
                     (sk.get(denied) or {}).get('errno'))
    if c('vmfault'):
        # fault counts come from stat, which everyone may read: the process is shown
        what = 'vmfault -p %d -c 1, %s (as %s)' % (denied, what_denied, who)
        r = privs.run([cmds['vmfault'], '-p', D, '-c', '1', '-i', '0.1', '-o', 'pid,minflt'],
                      unprivileged=True)
        check.eq('%s: exit status' % what, 0, r.status)
        check.ok(re.search(r'^\s*%d\s+\d+\s*$' % denied, r.text, re.M) is not None,
                 '%s: expected a row with its fault count: %r' % (what, r.text[:600]))


def full_scans(check, cmds, who, d):
    scans = []
    c = cmds.get
    rank = re.compile(r'^vmrank: (\d+) process(es)? not readable: permission denied; run as '
                      r'root to see all$', re.M)
    swap = re.compile(r'^vmswap: skipped (\d+) process(es)? \(permission denied: needs the '
                      r'same user or CAP_SYS_PTRACE\)$', re.M)
    snap = re.compile(r'^vmsnap: (\d+) process(es)? captured without their memory files: '
                      r'permission denied \(needs the same user or CAP_SYS_PTRACE\)$', re.M)
    if c('vmrank'):
        scans += [('vmrank', [], rank), ('vmrank', ['--by', 'user'], rank),
                  ('vmrank', ['-J'], rank)]
    if c('vmswap'):
        scans += [('vmswap', [], swap), ('vmswap', ['-J'], swap)]
    if c('vmsnap'):
        scans += [('vmsnap', ['-o', os.path.join(d, 'snap-all')], snap)]
    for cmd, argv, rx in scans:
        what = '%s %s, a full scan (as %s)' % (cmd, ' '.join(argv), who)
        r = privs.run([cmds[cmd]] + argv, unprivileged=True)
        check.eq('%s: exit status' % what, 0, r.status)
        m = rx.findall(r.err)
        if check.eq('%s: summary lines of the unreadable processes' % what, 1, len(m)):
            check.ok(int(m[0][0]) >= 2, '%s: the root-owned and the non-dumpable targets are '
                     'not readable, the count says %s' % (what, m[0][0]))
        else:
            note('%s: stderr %r' % (what, r.err[:500]))
        denied_lines = [l for l in r.err.splitlines() if 'ermission denied' in l]
        check.ok(len(denied_lines) <= 1, '%s: one line about permissions, not one per '
                 'process: %r' % (what, denied_lines[:4]))


def body(args, check):
    cmds = privs.commands(args)
    who = privs.unpriv_name()
    d = privs.scratch('vms-den.', 0o777)
    try:
        with privs.Target('--dir', d, unprivileged=True) as own, \
                privs.Target('--dir', d, '--nodump', unprivileged=True) as nd:
            if privs.ROOT:
                with privs.Target('--dir', d) as other:
                    named(check, cmds, who, other.pid, "root's process", own,
                          other.info['anon'], d)
                    full_scans(check, cmds, who, d)
            else:
                # another user's process: init, root's
                st = os.stat('/proc/1')
                if st.st_uid == os.geteuid():
                    raise Skip('pid 1 belongs to this user: no process of another user')
                named(check, cmds, who, 1, "pid 1 (root's)", own, '0x1000', d)
                full_scans(check, cmds, who, d)
            named(check, cmds, who, nd.pid, 'our own non-dumpable process', own,
                  nd.info['anon'], d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == '__main__':
    privs.run_test(body)
