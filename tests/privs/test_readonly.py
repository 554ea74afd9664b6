# SPDX-License-Identifier: GPL-2.0-or-later
"""Hazard I7: vmscope never writes to the process it looks at.  Every command, in its
page-level modes too, runs under strace -f: no open under /proc for writing (O_WRONLY,
O_RDWR, O_CREAT, O_TRUNC, O_APPEND), no open of /proc/PID/mem, and no process_vm_readv,
process_vm_writev or ptrace call.  (That PAGEMAP_SCAN is never sent with its
write-protect flags is checked by the pagemap bit 57 test of the hazards suite.)"""

import os
import re
import shutil

import privs
from privs import Skip, note

TRACE = 'trace=open,openat,openat2,creat,truncate,process_vm_readv,process_vm_writev,ptrace'
_CALL = re.compile(r'^(?:\[pid\s+)?(\d+)\]?\s+(\w+)\((.*)$')
_STR = re.compile(r'"((?:[^"\\]|\\.)*)"')
_FD = re.compile(r'^(AT_FDCWD|-?\d+)<([^>]*)>')
_RET = re.compile(r'=\s*\d+<([^>]*)>\s*$')
_WRITE = re.compile(r'\bO_(WRONLY|RDWR|CREAT|TRUNC|APPEND)\b')


def problems(trace):
    out = []
    with open(trace, 'rb') as f:
        lines = f.read().decode('utf-8', 'replace').splitlines()
    for line in lines:
        m = _CALL.match(line)
        if not m:
            continue
        name, rest = m.group(2), m.group(3)
        if name in ('process_vm_readv', 'process_vm_writev', 'ptrace'):
            out.append(line)
            continue
        ret = _RET.search(rest)
        if ret:
            path = ret.group(1)
        else:
            strs = _STR.findall(rest)
            fd = _FD.match(rest)
            if not strs:
                continue
            path = strs[0]
            if not path.startswith('/') and fd:
                path = os.path.join(fd.group(2), path)
        if not (path == '/proc' or path.startswith('/proc/')):
            continue
        if re.search(r'^/proc/(\d+|self|thread-self)(/task/\d+)?/mem$', path):
            out.append('opens mem: ' + line)
        elif name in ('creat', 'truncate') or _WRITE.search(rest):
            out.append('opens for writing: ' + line)
    return out


def runs(cmds, t, d):
    pid, addr = str(t.pid), t.info['anon']
    rng = '%s+0x%x' % (addr, 16 * privs.PAGE)
    c = cmds.get
    v = []
    if c('vmrank'):
        # one full scan; the rest on the target (strace -f makes every call slow)
        v += [['vmrank'], ['vmrank', '--exact', '-p', pid]]
    if c('vmmap'):
        v += [['vmmap', '-x', pid], ['vmmap', '--pages', pid]]
    if c('vmwalk'):
        v += [['vmwalk', pid, addr], ['vmwalk', '--pages', pid, rng],
              ['vmwalk', '--method', 'read', '--pages', pid, rng],
              ['vmwalk', '--method', 'scan', '--pages', pid, rng],
              ['vmwalk', pid, '--mapping', 'anon']]
        if privs.ROOT:
            v += [['vmwalk', pid, '--shared-with', pid]]
    if c('vmfault'):
        v += [['vmfault', '-p', pid, '-c', '2', '-i', '0.1'],
              ['vmfault', '--where', '-p', pid, '-c', '1', '-i', '0.2'],
              ['vmfault', '--', '/bin/true']]
    if c('vmswap'):
        v += [['vmswap', '-p', pid], ['vmswap', '--exact', '-p', pid],
              ['vmswap', '--oom', '-p', pid],
              ['vmswap', '--activity', '-c', '2', '-i', '0.1', '-p', pid]]
    if c('vmsnap'):
        v += [['vmsnap', '-q', '--pages', '-o', os.path.join(d, 'snap'), pid]]
    if c('vmtop'):
        v += [['vmtop', '-b', '-n', '2', '-d', '0.1', '-p', pid],
              ['--pty', 'vmtop', '-n', '2', '-d', '0.1', '-p', pid]]
    return v


def body(args, check):
    cmds = privs.commands(args)
    strace = privs.strace_path()
    if not strace:
        raise Skip('strace is not installed: the system calls cannot be seen')
    who = 'root' if privs.ROOT else privs.unpriv_name()
    d = privs.scratch('vms-ro.', 0o755)
    try:
        with privs.Target('--dir', d, '--anon', '32') as t:
            for argv in runs(cmds, t, d):
                pty = argv[0] == '--pty'
                if pty:
                    argv = argv[1:]
                trace = os.path.join(d, 'trace')
                full = [strace, '-f', '-qq', '-y', '-e', TRACE, '-o', trace,
                        cmds[argv[0]]] + argv[1:]
                what = '%s (as %s)' % (' '.join(argv), who)
                if pty:
                    r = privs.run_pty(full, env=privs.base_env(TERM='xterm'), tty_stdin=True)
                else:
                    r = privs.run(full)
                if r.status not in (0, 1, 3):
                    check.fail('%s: %s' % (what, r.describe()))
                elif r.status == 1:
                    note('%s: exit 1 (%s)' % (what, r.err.strip()[:200]))
                check.eq('%s: writes to /proc, /proc/PID/mem or another process\'s memory '
                         '(strace -f)' % what, [], problems(trace)[:5])
                os.unlink(trace)
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == '__main__':
    privs.run_test(body)
