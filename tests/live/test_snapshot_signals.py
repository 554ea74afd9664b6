# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: a command killed by a signal while it reads a snapshot archive leaves
nothing in $TMPDIR: vmrank --root ARCHIVE blocked on a full pipe and sent SIGINT,
SIGTERM, SIGHUP or SIGQUIT; `vmrank --root ARCHIVE | head -c1` (SIGPIPE, and EPIPE
when SIGPIPE is ignored).  As the current user and as nobody."""

import fcntl
import io
import os
import re
import resource
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time

import vmlive

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'basic')
# a copy of this process under many PIDs: the table is far larger than stdio's buffer,
# so vmrank writes (and blocks, or meets EPIPE) while it still holds the snapshot
TEMPLATE_PID = '22057'
COPIES = 400
TIMEOUT = 30


def make_archive(path):
    with tarfile.open(path, 'w:gz', format=tarfile.PAX_FORMAT) as tar:
        tar.add(FIXTURE, arcname='.')
        src = os.path.join(FIXTURE, 'proc', TEMPLATE_PID)
        for k in range(COPIES):
            pid = str(30000 + k)
            for name in sorted(os.listdir(src)):
                p = os.path.join(src, name)
                info = tar.gettarinfo(p, arcname='proc/%s/%s' % (pid, name))
                if info.issym():
                    tar.addfile(info)
                    continue
                with open(p, 'rb') as f:
                    data = f.read()
                if name == 'stat':
                    data = pid.encode() + data[len(TEMPLATE_PID):]
                elif name == 'status':
                    data = re.sub(rb'(?m)^(Tgid|Pid):\t' + TEMPLATE_PID.encode() + rb'$',
                                  rb'\1:\t' + pid.encode(), data)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    os.chmod(path, 0o644)


def fresh_tmpdir(scratch, name, user):
    d = os.path.join(scratch, name)
    os.mkdir(d, 0o700)
    if user == 'nobody':
        import pwd
        pw = pwd.getpwnam('nobody')
        os.chown(d, pw.pw_uid, pw.pw_gid)
    return d


def no_core():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def start(args, arc, tmpdir, user, stdout, restore_signals=True):
    argv = [args.vmrank, '--root', arc]
    if user == 'nobody':
        argv = vmlive.NOBODY + argv
    env = dict(os.environ, TMPDIR=tmpdir)
    return subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE, env=env,
                            cwd=tmpdir, preexec_fn=no_core,
                            restore_signals=restore_signals)


def wait_until(cond, timeout=TIMEOUT):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return False


def blocked_in_write(proc):
    """Is the command (setpriv exec's into it: same PID) asleep writing to the pipe?"""
    try:
        with open('/proc/%d/wchan' % proc.pid) as f:
            wchan = f.read().strip()
    except OSError:
        return False
    if wchan in ('', '0'):
        return None  # wchan hidden: cannot tell
    return wchan == 'pipe_write'


def full_pipe():
    r, w = os.pipe()
    fl = fcntl.fcntl(w, fcntl.F_GETFL)
    fcntl.fcntl(w, fcntl.F_SETFL, fl | os.O_NONBLOCK)
    try:
        while True:
            os.write(w, b'x' * 4096)
    except BlockingIOError:
        pass
    fcntl.fcntl(w, fcntl.F_SETFL, fl)
    return r, w


def check_killed(args, check, arc, scratch, user, sig):
    what = '%s, %s' % (user or 'current user', signal.Signals(sig).name)
    tmpdir = fresh_tmpdir(scratch, 'tmp-%s-%s' % (user or 'self', sig), user)
    r, w = full_pipe()
    proc = start(args, arc, tmpdir, user, w)
    os.close(w)
    try:
        held = wait_until(lambda: proc.poll() is not None or
                          (os.listdir(tmpdir) and blocked_in_write(proc) is not False))
        if proc.poll() is not None:
            check.fail('%s: vmrank ended before the signal (exit %s): %s'
                       % (what, proc.returncode, proc.stderr.read().decode(errors='replace')))
            return
        check.ok(held, '%s: vmrank did not block on the full pipe holding the snapshot' % what)
        check.ok(os.listdir(tmpdir), '%s: nothing unpacked in $TMPDIR before the signal' % what)
        if blocked_in_write(proc) is None:
            time.sleep(0.5)
        os.kill(proc.pid, sig)
        try:
            proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            check.fail('%s: vmrank still runs %d s after the signal' % (what, TIMEOUT))
            proc.kill()
            proc.wait()
    finally:
        os.close(r)
        proc.stderr.close()
    check.eq('%s: status (killed by the signal)' % what, -sig, proc.returncode)
    check.eq('%s: left in $TMPDIR' % what, [], sorted(os.listdir(tmpdir)))


def check_head(args, check, arc, scratch, user, ignore_pipe):
    what = '%s, | head -c1%s' % (user or 'current user',
                                 ' (SIGPIPE ignored: EPIPE)' if ignore_pipe else '')
    tmpdir = fresh_tmpdir(scratch, 'tmp-%s-head%d' % (user or 'self', ignore_pipe), user)
    # Python ignores SIGPIPE itself: not restoring the signals passes that on
    proc = start(args, arc, tmpdir, user, subprocess.PIPE, restore_signals=not ignore_pipe)
    try:
        first = proc.stdout.read(1)
        proc.stdout.close()
        try:
            proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            check.fail('%s: vmrank still runs %d s after its reader left' % (what, TIMEOUT))
            proc.kill()
            proc.wait()
        err = proc.stderr.read().decode(errors='replace')
    finally:
        proc.stderr.close()
    check.eq('%s: a first byte' % what, 1, len(first))
    if ignore_pipe:
        check.eq('%s: status' % what, 0, proc.returncode)
        check.eq('%s: stderr' % what, '', err)
    else:
        check.eq('%s: status (killed by SIGPIPE)' % what, -signal.SIGPIPE, proc.returncode)
    check.eq('%s: left in $TMPDIR' % what, [], sorted(os.listdir(tmpdir)))


def body(args, check):
    if not os.path.isdir(FIXTURE):
        raise vmlive.Skip('fixture %s not found' % FIXTURE)
    users = [None]
    if os.geteuid() == 0 and shutil.which('setpriv'):
        users.append('nobody')
    else:
        vmlive.note('not root (or no setpriv): the runs as nobody are left out')
    scratch = tempfile.mkdtemp(prefix='vmscope-test-signals-')
    try:
        os.chmod(scratch, 0o755)
        arc = os.path.join(scratch, 'snap.tar.gz')
        make_archive(arc)
        for user in users:
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
                check_killed(args, check, arc, scratch, user, sig)
            check_head(args, check, arc, scratch, user, False)
            check_head(args, check, arc, scratch, user, True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == '__main__':
    vmlive.run_test(body)
