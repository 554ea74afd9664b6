# SPDX-License-Identifier: GPL-2.0-or-later
"""Hazards B5, B6, I3: vmscope reads no configuration.  Every command is run (as root in
the root run) in a directory that another user (nobody) owns and has filled with rc,
config and snapshot-looking files, with HOME a symlink into that user's files and
XDG_CONFIG_HOME another user's directory, under strace -f: no path relative to the
current directory is used, and nothing under the directory, HOME or XDG_CONFIG_HOME."""

import os
import re
import shutil

import privs
from privs import Skip, note

# What other tools read, or what a config or snapshot of vmscope could be called.
PLANTED = ['.vmscoperc', 'vmscope.conf', '.vmscope/config', 'vmscope/config', '.toprc',
           '.vmtoprc', 'vmtoprc', '.config/vmscope/config', '.config/vmtop/vmtoprc',
           '.config/procps/toprc', '.htoprc', '.terminfo/x/xterm', 'terminfo/x/xterm',
           'snapshot/meta', 'vmsnap/meta', 'proc/meminfo', 'proc/1/smaps', 'root/meminfo',
           'etc/passwd', 'XXXXXXXXXXXXXXXXX/libcjson.so.1', 'libvmscope.so.0',
           'lib/libvmscope.so.0',
           'ld.so.preload', '.ncursesrc']

# Every system call that takes a file name.
TRACE = '%file'
# Calls that only look at a name (under HOME they are fine; relative they are not).
LOOK_ONLY = {'stat', 'lstat', 'newfstatat', 'statx', 'fstatat64', 'stat64', 'lstat64', 'readlink',
             'readlinkat'}
_CALL = re.compile(r'^(?:\[pid\s+)?(\d+)\]?\s+(\w+)\((.*)$')
_STR = re.compile(r'"((?:[^"\\]|\\.)*)"')
_FD = re.compile(r'^(AT_FDCWD|-?\d+)<([^>]*)>')


def plant(d):
    for rel in PLANTED:
        p = os.path.join(d, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, 'w') as f:
            f.write('# planted by test_no_config: must never be read\n')


def runs(cmds, pid, addr, out_dir):
    v = []
    c = cmds.get
    if c('vmrank'):
        v += [['vmrank'], ['vmrank', '-J', '-t'], ['vmrank', '--by', 'user']]
    if c('vmmap'):
        v += [['vmmap', pid], ['vmmap', '--pages', pid]]
    if c('vmwalk'):
        v += [['vmwalk', pid, addr]]
    if c('vmfault'):
        v += [['vmfault', '-c', '1', '-i', '0.1'], ['vmfault', '--', 'true']]
    if c('vmswap'):
        v += [['vmswap'], ['vmswap', '--oom']]
    if c('vmsnap'):
        snap = os.path.join(out_dir, 'snap')
        v += [['vmsnap', '-q', '-o', snap, pid], ['vmsnap', 'diff', snap, snap],
              ['vmrank', '--root', snap]]
    if c('vmtop'):
        v += [['vmtop', '-b', '-n', '1'], ['vmtop', '-n', '1', '-d', '0.1', '--pty']]
    return v


def violations(trace, bad_prefixes):
    """The traced calls that use a relative path from the current directory, or name a
    path under one of bad_prefixes (also through a dirfd)."""
    out = []
    with open(trace, 'rb') as f:
        lines = f.read().decode('utf-8', 'replace').splitlines()
    for line in lines:
        m = _CALL.match(line)
        if not m:
            continue
        name, rest = m.group(2), m.group(3)
        if name == 'execve':
            # the program path only: its argv may name anything
            s = _STR.search(rest)
            paths = [(None, s.group(1))] if s else []
        else:
            paths = []
            fd = _FD.match(rest)
            strs = _STR.findall(rest)
            if fd and strs:
                paths.append((fd.group(2), strs[0]))
            elif strs:
                paths.append((None, strs[0]))
                # rename, link, symlink: a second path
                if name in ('rename', 'link', 'symlink') and len(strs) > 1:
                    paths.append((None, strs[1]))
        for base, p in paths:
            if p == '' and 'AT_EMPTY_PATH' in rest:
                continue
            if not p.startswith('/'):
                if base is None or rest.startswith('AT_FDCWD'):
                    out.append('relative path: ' + line)
                    continue
                full = os.path.join(base, p)
            else:
                full = p
            if name in LOOK_ONLY:
                # looking is not loading: vmtop looks at ~/.terminfo to decide not to use it
                continue
            for b in bad_prefixes:
                if full == b or full.startswith(b.rstrip('/') + '/'):
                    out.append('under %s: %s' % (b, line))
                    break
    return out


def control(check, cmds, strace, top, env):
    """A HOME of our own, that only we may write, with a real ~/.terminfo: vmtop does
    use it (so the check above can see an open there, and users keep their own)."""
    src = next((p for p in ('/lib/terminfo/x/xterm', '/usr/share/terminfo/x/xterm',
                            '/etc/terminfo/x/xterm') if os.path.exists(p)), None)
    if not src:
        note('control not run: no terminfo entry for xterm found')
        return
    home = os.path.join(top, 'own-home')
    os.makedirs(os.path.join(home, '.terminfo', 'x'))
    for d in (top, home):
        os.chmod(d, 0o755)
    shutil.copy(src, os.path.join(home, '.terminfo', 'x', 'xterm'))
    trace = os.path.join(top, 'trace')
    env = dict(env, HOME=home)
    r = privs.run_pty([strace, '-f', '-qq', '-y', '-e', 'trace=' + TRACE, '-o', trace,
                       cmds['vmtop'], '-n', '1', '-d', '0.1'], env=env, cwd=top, timeout=120,
                      tty_stdin=True)
    what = 'control: vmtop with a HOME of its own user and a ~/.terminfo'
    check.eq('%s: exit status' % what, 0, r.status)
    opened = [v for v in violations(trace, [home]) if 'open' in v]
    check.ok(opened, '%s: strace shows no open of ~/.terminfo/x/xterm: either vmtop '
             'refuses a trusted one, or the trace check is blind' % what)


def body(args, check):
    cmds = privs.commands(args)
    strace = privs.strace_path()
    if not strace:
        raise Skip('strace is not installed: the opens cannot be seen')
    who = 'root' if privs.ROOT else privs.unpriv_name()
    top = privs.scratch('vms-cfg.')
    try:
        # the attacker's directory: owned by nobody in the root run, world-writable
        cwd = os.path.join(top, 'cwd')
        os.mkdir(cwd)
        plant(cwd)
        attacker = os.path.join(top, 'attacker-home')
        os.mkdir(attacker)
        plant(attacker)
        if privs.ROOT:
            uid, gid = privs.nobody_ids()
            for d in (cwd, attacker):
                for root, dirs, files in os.walk(d):
                    for n in [root] + [os.path.join(root, x) for x in dirs + files]:
                        os.lchown(n, uid, gid)
        for d in (cwd, attacker):
            os.chmod(d, 0o777)
        home = os.path.join(top, 'home-link')
        os.symlink(attacker, home)
        # another user's directory: root's own when we are not root, else nobody's
        xdg = attacker if privs.ROOT else '/root/.config'
        out_dir = os.path.join(top, 'out')
        os.mkdir(out_dir)
        env = privs.base_env(HOME=home, XDG_CONFIG_HOME=xdg, XDG_DATA_HOME=xdg,
                             XDG_CONFIG_DIRS=xdg, PATH='/usr/sbin:/usr/bin:/sbin:/bin',
                             TERM='xterm')
        env.pop('TERMINFO', None)
        bad = [cwd, attacker, home, xdg, os.path.realpath(xdg)]
        with privs.Target('--dir', out_dir, '--anon', '16') as t:
            for argv in runs(cmds, str(t.pid), t.info['anon'], out_dir):
                pty = '--pty' in argv
                argv = [a for a in argv if a != '--pty']
                trace = os.path.join(top, 'trace')
                full = [strace, '-f', '-qq', '-y', '-e', 'trace=' + TRACE, '-o', trace,
                        cmds[argv[0]]] + argv[1:]
                what = '%s in %s (as %s)' % (' '.join(argv), 'a directory of nobody'
                                             if privs.ROOT else 'a writable directory', who)
                if pty:
                    r = privs.run_pty(full, env=env, cwd=cwd, timeout=120, tty_stdin=True)
                else:
                    r = privs.run(full, env=env, cwd=cwd, timeout=120)
                check.ok(r.status in (0, 3), '%s: %s' % (what, r.describe()))
                if pty:
                    # HOME is writable by all: its ~/.terminfo is refused, and said (B5)
                    check.ok(b'vmtop: not using ~/.terminfo' in r.out, '%s: expected the '
                             'warning "not using ~/.terminfo": %r' % (what, r.out[:300]))
                v = violations(trace, bad)
                check.eq('%s: system calls on the current directory, HOME or '
                         'XDG_CONFIG_HOME (strace -f -y)' % what, [], v[:8])
                os.unlink(trace)
        note('ran in %s with HOME=%s and XDG_CONFIG_HOME=%s' % (cwd, home, xdg))
        if 'vmtop' in cmds:
            control(check, cmds, strace, top, env)
    finally:
        shutil.rmtree(top, ignore_errors=True)


if __name__ == '__main__':
    privs.run_test(body)
