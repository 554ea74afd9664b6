# SPDX-License-Identifier: GPL-2.0-or-later
"""Hazard I1: each command installed setuid root (and setgid root, and with file
capabilities: each makes the exec AT_SECURE) and run by nobody refuses: "must not be
installed setuid or setgid; use sudo or capabilities", exit 2.  It writes no output
file, and before that check it touches no path that comes from the environment (HOME,
XDG_*, TERMINFO, TMPDIR, TZ ... all point into a canary directory, and strace -f shows
no system call naming it)."""

import os
import shutil

import privs
from privs import Failed, Skip, note

MESSAGE = 'must not be installed setuid or setgid; use sudo or capabilities'


def absolute_runpath(path, exe, d):
    """The loader ignores $ORIGIN in a setuid program: write an absolute run path (a
    short symlink to the build's lib/) over the build one, in place."""
    with open(path, 'rb') as f:
        data = f.read()
    i = data.find(b'$ORIGIN/')
    if i < 0:
        return
    end = data.index(b'\0', i)
    old = data[i:end]
    first = old.split(b':')[0]
    target = os.path.normpath(os.path.join(os.path.dirname(os.path.realpath(exe)),
                                           first[len(b'$ORIGIN/'):].decode()))
    link = os.path.join(d, 'l')
    if not os.path.lexists(link):
        os.symlink(target, link)
    new = link.encode()
    if len(new) > len(old):
        raise Skip('the absolute run path %r does not fit over %r' % (new, old))
    data = data[:i] + new + b'\0' * (len(old) - len(new)) + data[end:]
    with open(path, 'wb') as f:
        f.write(data)


def args_for(c, canary):
    """Arguments with which the command would write a file or read the terminal."""
    return {
        'vmrank': ['-J'],
        'vmmap': ['1'],
        'vmwalk': ['1', '0x1000'],
        'vmfault': ['--output-file', os.path.join(canary, 'faults.out'), '--', '/bin/true'],
        'vmswap': [],
        'vmsnap': ['-o', os.path.join(canary, 'snap')],
        'vmtop': ['-d', '0.5', '-n', '1'],
    }[c]


def canary_env(canary):
    env = privs.base_env()
    for k in ('TERM', 'TERMINFO_DIRS'):
        env.pop(k, None)
    env.update({
        'HOME': os.path.join(canary, 'home'),
        'XDG_CONFIG_HOME': os.path.join(canary, 'config'),
        'XDG_DATA_HOME': os.path.join(canary, 'data'),
        'XDG_CACHE_HOME': os.path.join(canary, 'cache'),
        'XDG_RUNTIME_DIR': os.path.join(canary, 'run'),
        'XDG_CONFIG_DIRS': os.path.join(canary, 'xdgdirs'),
        'TERMINFO': os.path.join(canary, 'terminfo'),
        'TERMINFO_DIRS': os.path.join(canary, 'terminfo-dirs'),
        'TERM': 'xterm',
        'TMPDIR': os.path.join(canary, 'tmp'),
        'TZ': ':' + os.path.join(canary, 'zoneinfo'),
        'TZDIR': os.path.join(canary, 'tzdir'),
        'LOCPATH': os.path.join(canary, 'locale'),
        'NLSPATH': os.path.join(canary, 'nls/%N'),
    })
    return env


def make_canary(d):
    canary = os.path.join(d, 'canary')
    os.mkdir(canary)
    for sub in ('home', 'config', 'data', 'cache', 'run', 'xdgdirs', 'terminfo',
                'terminfo-dirs', 'tmp', 'tzdir', 'locale', 'nls'):
        os.mkdir(os.path.join(canary, sub))
    # everything writable by nobody: a file written there would be seen
    for root, dirs, files in os.walk(canary):
        os.chmod(root, 0o777)
    return canary


def tree(canary):
    out = []
    for root, dirs, files in os.walk(canary):
        out += [os.path.join(root, n) for n in dirs + files]
    return sorted(out)


def traced_run(argv, env, trace, strace):
    """Run argv as nobody on a pty; under strace -u nobody (which lets the kernel honour
    the setuid bit) when strace is there."""
    if strace:
        argv = [strace, '-f', '-qq', '-o', trace, '-u', 'nobody'] + argv
        return privs.run_pty(argv, env=env, timeout=60)
    return privs.run_pty(argv, env=env, timeout=60, unprivileged=True)


def touched(trace, canary):
    """The traced system calls (but the first execve, whose argv names the canary)
    that name the canary directory."""
    out = []
    with open(trace, 'rb') as f:
        lines = f.read().decode('utf-8', 'replace').splitlines()
    first_exec = True
    for line in lines:
        if first_exec and 'execve(' in line:
            first_exec = False
            continue
        if canary in line:
            out.append(line.strip())
    return out


def body(args, check):
    if not privs.ROOT:
        raise Skip('needs root to install a setuid-root copy (as %s only the root run '
                   'checks I1)' % privs.unpriv_name())
    cmds = privs.commands(args)
    strace = privs.strace_path()
    if not strace:
        note('strace is not installed: the environment paths are not traced, only the '
             'refusal and the files are checked')
    # a short directory: the run path written into the copies must fit
    d = privs.scratch('vs')
    try:
        if os.statvfs(d).f_flag & os.ST_NOSUID:
            raise Skip('%s is on a nosuid file system: a setuid copy cannot be tested' % d)
        setcap = shutil.which('setcap') or next(
            (p for p in ('/usr/sbin/setcap', '/sbin/setcap') if os.access(p, os.X_OK)), None)
        if not setcap:
            note('setcap is not installed: the file-capabilities copy is not checked')
        kinds = [(0o4755, 'setuid'), (0o2755, 'setgid')] + ([(0o755, 'filecaps')] if setcap
                                                           else [])
        for c, exe in sorted(cmds.items()):
            for mode, kind in kinds:
                copy = os.path.join(d, '%s-%s' % (c, kind))
                shutil.copy2(exe, copy)
                absolute_runpath(copy, exe, d)
                os.chown(copy, 0, 0)
                os.chmod(copy, mode)
                if kind == 'filecaps':
                    # file capabilities make the exec secure (AT_SECURE) as setuid does
                    r = privs.run([setcap, 'cap_sys_admin,cap_sys_ptrace+ep', copy])
                    if r.status != 0:
                        note('setcap failed (%s): the file-capabilities copy is not checked'
                             % r.err.strip())
                        continue
                canary = make_canary(d)
                try:
                    one(check, c, kind, copy, canary, strace)
                finally:
                    shutil.rmtree(canary, ignore_errors=True)
        # the control: the same copy without the setuid bit does use the environment
        # and write its file, so the checks above can see a use
        if 'vmsnap' in cmds and strace:
            control(check, d, cmds['vmsnap'], strace)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def asan_built(path):
    with open(path, 'rb') as f:
        return b'libasan.so' in f.read()


def one(check, c, kind, copy, canary, strace):
    what = ('a copy of %s with file capabilities run by nobody' % c if kind == 'filecaps'
            else 'a %s-root copy of %s run by nobody' % (kind, c))
    env = canary_env(canary)
    trace = os.path.join(os.path.dirname(canary), 'trace')
    r = traced_run([copy] + args_for(c, canary), env, trace, strace)
    text = r.out.decode('utf-8', 'replace')
    if r.status == 127 and 'error while loading shared libraries' in text:
        raise Failed('%s: the loader refused the copy: %s' % (what, text.strip()[:300]))
    lsan = 'LeakSanitizer has encountered a fatal error' in text and asan_built(copy)
    if lsan and kind != 'setuid':
        # An ASan build run setgid: the process is not dumpable, so ASan cannot read
        # ASAN_OPTIONS (in /proc/self/environ) and LeakSanitizer, left on, cannot
        # attach to the threads it must stop: it fails at exit with status 1.
        note('%s: an ASan build: LeakSanitizer failed at the exit, the status is its own'
             % what)
        text = ''.join(l for l in text.splitlines(True) if not l.startswith('=='))
    else:
        check.eq('%s: exit status' % what, 2, r.status)
    check.ok(MESSAGE in text, '%s: expected "%s", got %r' % (what, MESSAGE, text[:400]))
    check.ok(text.count('\n') == 1, '%s: one line of output, the refusal: %r'
             % (what, text[:400]))
    check.eq('%s: files created under the canary directory' % what, [],
             [p for p in tree(canary) if os.path.basename(p) not in (
                 'home', 'config', 'data', 'cache', 'run', 'xdgdirs', 'terminfo',
                 'terminfo-dirs', 'tmp', 'tzdir', 'locale', 'nls')])
    if strace:
        t = touched(trace, canary)
        check.eq('%s: system calls naming an environment path (strace -f)' % what, [], t[:10])
        os.unlink(trace)


def control(check, d, exe, strace):
    copy = os.path.join(d, 'vmsnap-plain')
    shutil.copy2(exe, copy)
    absolute_runpath(copy, exe, d)
    os.chmod(copy, 0o755)
    canary = make_canary(d)
    try:
        env = canary_env(canary)
        trace = os.path.join(d, 'trace')
        r = traced_run([copy, '-q', '-o', os.path.join(canary, 'tmp', 'snap'), str(os.getpid())],
                       env, trace, strace)
        check.ok(r.status in (0, 3), 'control: a plain copy of vmsnap run by nobody: %s %r'
                 % (r.status, r.out[:300]))
        check.ok(os.path.lexists(os.path.join(canary, 'tmp', 'snap')),
                 'control: a plain copy of vmsnap did not write its snapshot into the canary '
                 'directory: the setuid checks could not have seen it')
        check.ok(touched(trace, canary), 'control: strace shows no system call naming the '
                 'canary directory for a plain copy that wrote there: the trace check is blind')
    finally:
        shutil.rmtree(canary, ignore_errors=True)


if __name__ == '__main__':
    privs.run_test(body)
