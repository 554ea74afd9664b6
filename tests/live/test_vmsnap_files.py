# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: how vmsnap writes: 0600/0700 under umask 000, never over an existing OUT
without --force, atomically with it, never through a symlink (at OUT or swapped in for
the temporary), nothing left by a full disk or an interrupt; a named PID that vanished
is listed in "vanished" with exit 3; processes that come and go during a capture of
all leave a consistent description."""

import errno
import os
import signal
import subprocess
import threading
import time

import vmlive
import vmmaplive
import vmsnaplive

VICTIM = b'precious\n'


def leftovers(d, keep=()):
    """What is in directory @d besides @keep: temporaries that should not be there."""
    return sorted(n for n in os.listdir(d) if n not in keep)


def valid(args, out, user=None):
    """Does vmrank read @out as a snapshot?"""
    r = vmlive.vmrank(args, '--root', out, user=user)
    if r.status != 0:
        vmlive.note('%s does not read: %s' % (out, r.describe()))
    return r.status == 0


def check_umask(args, check, scratch, user):
    for kind in ('/', '.tar.gz'):
        out = os.path.join(scratch, 'umask-%s%s' % (vmsnaplive.who(user), kind))
        r = vmsnaplive.vmsnap(args, '-q', '-o', out, os.getpid(), user=user, umask=0)
        what = 'umask 000, %s, %s' % (vmsnaplive.who(user), kind)
        check.ok(r.status in (0, 3), '%s: %s' % (what, r.describe()))
        vmsnaplive.check_modes(check, what, out.rstrip('/'))


def check_existing(args, check, scratch, user):
    who = vmsnaplive.who(user)
    for kind in ('.tar.zst', '/'):
        out = os.path.join(scratch, 'exists-%s%s' % (who, kind))
        what = '%s, existing %s' % (who, kind)
        vmsnaplive.capture(args, out, 1, user=user, statuses=(0, 3))
        before = os.stat(out.rstrip('/'))
        r = vmsnaplive.vmsnap(args, '-q', '-o', out, 1, user=user)
        check.eq('%s: exit status without --force' % what, 1, r.status)
        check.ok('already exists' in r.err, '%s: expected "already exists", got %r'
                 % (what, r.err))
        check.eq('%s: untouched without --force (inode)' % what, before.st_ino,
                 os.stat(out.rstrip('/')).st_ino)
        r = vmsnaplive.vmsnap(args, '-q', '--force', '-o', out, 1, user=user)
        check.ok(r.status in (0, 3), '%s --force: %s' % (what, r.describe()))
        check.ok(os.stat(out.rstrip('/')).st_ino != before.st_ino,
                 '%s --force: the snapshot was not replaced' % what)
        check.ok(valid(args, out, user), '%s --force: the new snapshot does not read' % what)
        check.eq('%s: temporaries left beside it' % what, [],
                 [n for n in leftovers(scratch) if '.tmp' in n or '.old' in n])
    # --force never replaces a directory that is not a snapshot
    notsnap = os.path.join(scratch, 'notsnap-%s' % who)
    os.mkdir(notsnap)
    with open(os.path.join(notsnap, 'keep'), 'wb') as f:
        f.write(VICTIM)
    os.chmod(notsnap, 0o777)
    r = vmsnaplive.vmsnap(args, '-q', '--force', '-o', notsnap + '/', 1, user=user)
    check.eq('%s: --force on a directory that is not a snapshot: exit status' % who, 1,
             r.status)
    check.eq('%s: --force on a directory that is not a snapshot: its files' % who, ['keep'],
             os.listdir(notsnap))


def check_symlink(args, check, scratch, user):
    """A symlink at OUT, planted by someone else, to a file of the user running vmsnap."""
    who = vmsnaplive.who(user)
    victim = os.path.join(scratch, 'victim-%s' % who)
    with open(victim, 'wb') as f:
        f.write(VICTIM)
    if user == 'nobody':
        os.chown(victim, 65534, 65534)
    for kind in ('.tar', '/'):
        link = os.path.join(scratch, 'link-%s%s' % (who, kind.rstrip('/')))
        os.symlink(victim, link)
        for force in ([], ['--force']):
            r = vmsnaplive.vmsnap(args, '-q', *force, '-o', link + kind.replace('.tar', ''),
                                  1, user=user)
            what = '%s: -o a symlink%s' % (who, ' --force' if force else '')
            check.eq('%s: exit status' % what, 1, r.status)
            check.ok('symlink' in r.err or 'not a directory' in r.err,
                     '%s: expected "destination is a symlink", got %r' % (what, r.err))
            check.ok(os.path.islink(link), '%s: the symlink was replaced' % what)
        with open(victim, 'rb') as f:
            check.eq('%s: the symlink\'s target' % who, VICTIM, f.read())


def check_swapped_temporary(args, check, scratch):
    """The temporary swapped for a symlink while vmsnap writes it: the target is never
    written, and OUT never becomes the symlink."""
    d = os.path.join(scratch, 'race')
    os.mkdir(d)
    victim = os.path.join(scratch, 'race-victim')
    with open(victim, 'wb') as f:
        f.write(VICTIM)
    out = os.path.join(d, 'snap.tar')
    stop = threading.Event()
    swapped = []

    def attacker():
        while not stop.is_set():
            for n in os.listdir(d):
                if n.startswith('snap.tar.tmp') and not swapped:
                    tmp = os.path.join(d, n)
                    try:
                        os.symlink(victim, tmp + '.x')
                        os.rename(tmp + '.x', tmp)
                        swapped.append(n)
                    except OSError:
                        pass
    t = threading.Thread(target=attacker)
    t.start()
    try:
        # --pages makes the capture long enough to be caught in the act
        r = vmsnaplive.vmsnap(args, '-q', '--pages', '-o', out)
    finally:
        stop.set()
        t.join()
    with open(victim, 'rb') as f:
        check.eq('swapped temporary: its symlink\'s target', VICTIM, f.read())
    check.ok(not os.path.islink(out), 'swapped temporary: %s became the symlink' % out)
    if swapped and r.status == 1:
        check.ok('replaced' in r.err, 'swapped temporary: expected "was replaced", got %r'
                 % r.err)
        check.ok(not os.path.lexists(out), 'swapped temporary: %s exists after the error' % out)
    else:
        vmlive.note('swapped temporary: swap %s, vmsnap exit %d'
                    % ('done after the rename' if swapped else 'not done', r.status))
        check.ok(r.status == 0 and valid(args, out), 'swapped temporary: %s' % r.describe())


def fill_up(path):
    """Fill the file system of @path to the last block: however little the
    capture holds (as nobody it has no memory files), its first data must
    meet ENOSPC."""
    with open(path, 'wb', buffering=0) as f:
        try:
            while True:
                f.write(b'\0' * 4096)
        except OSError as e:
            if e.errno != errno.ENOSPC:
                raise


def check_full(args, check, scratch, user):
    """No space left: exit 1, the message, no file left."""
    who = vmsnaplive.who(user)
    r = vmsnaplive.vmsnap(args, '-q', '-o', '/dev/full', 1, user=user)
    check.eq('%s: -o /dev/full: exit status' % who, 1, r.status)
    if os.geteuid() != 0:
        vmlive.note('tiny tmpfs: not root, cannot mount one')
        return
    mnt = os.path.join(scratch, 'tiny-%s' % who)
    os.mkdir(mnt)
    if subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=64k,mode=1777', 'tmpfs', mnt],
                      stderr=subprocess.DEVNULL).returncode != 0:
        vmlive.note('tiny tmpfs: mount failed (in a container?)')
        os.rmdir(mnt)
        return
    try:
        for kind in ('x.tar', 'd/', 'x.tar.gz'):
            fill_up(os.path.join(mnt, 'fill'))
            out = os.path.join(mnt, kind)
            r = vmsnaplive.vmsnap(args, '-q', '--pages', '-o', out, user=user)
            what = '%s: full 64 KiB tmpfs, %s' % (who, kind)
            check.eq('%s: exit status' % what, 1, r.status)
            check.ok('No space left on device' in r.err,
                     '%s: expected "No space left on device", got %r' % (what, r.err))
            check.eq('%s: files left' % what, ['fill'], leftovers(mnt))
            os.unlink(os.path.join(mnt, 'fill'))
    finally:
        subprocess.run(['umount', mnt])
        os.rmdir(mnt)


def check_vanished(args, check, scratch, user):
    who = vmsnaplive.who(user)
    with vmlive.Helper([args.empty_cmdline], user=user, name='empty_cmdline') as h:
        dead = vmmaplive.dead_pid()
        out = os.path.join(scratch, 'vanished-%s/' % who)
        r = vmsnaplive.vmsnap(args, '-q', '-o', out, h.pid, dead, user=user)
        what = '%s: vmsnap -o DIR %d %d (gone)' % (who, h.pid, dead)
        check.eq('%s: exit status' % what, 3, r.status)
        check.ok('pid %d: no such process' % dead in r.err,
                 '%s: expected "pid %d: no such process", got %r' % (what, dead, r.err))
        desc = vmsnaplive.description(out)
        check.eq('%s: "vanished"' % what, [dead], vmsnaplive.pid_list(desc, 'vanished'))
        check.eq('%s: "captured"' % what, '1', desc.get('captured'))
        check.eq('%s: proc/ directories' % what, [str(h.pid)],
                 sorted(n for n in os.listdir(os.path.join(out, 'proc')) if n.isdigit()))


def check_churn(args, check, scratch):
    """Processes born and gone during a capture of all: still exit 0, a coherent description."""
    stop = threading.Event()

    def churn():
        while not stop.is_set():
            ps = [subprocess.Popen(['sleep', '0.001']) for _ in range(20)]
            for p in ps:
                p.wait()
    t = threading.Thread(target=churn)
    t.start()
    try:
        seen = {'vanished': 0, 'partial': 0}
        for i in range(8):
            out = os.path.join(scratch, 'churn-%d/' % i)
            r = vmsnaplive.vmsnap(args, '-q', '-o', out)
            check.eq('churn %d: exit status (%s)' % (i, r.err.strip()), 0, r.status)
            desc = vmsnaplive.description(out)
            dirs = {int(n) for n in os.listdir(os.path.join(out, 'proc')) if n.isdigit()}
            check.eq('churn %d: "captured" vs directories' % i, str(len(dirs)),
                     desc.get('captured'))
            for key in seen:
                pids = vmsnaplive.pid_list(desc, key)
                seen[key] += len(pids)
                want = key == 'partial'
                check.eq('churn %d: "%s" pids with a directory' % (i, key),
                         [p for p in pids if want], [p for p in pids if p in dirs])
            for pid in dirs:
                check.ok(os.path.exists(os.path.join(out, 'proc', str(pid), 'stat')),
                         'churn %d: pid %d has no stat' % (i, pid))
            vmsnaplive.remove(out)
        vmlive.note('churn: %(vanished)d vanished, %(partial)d partial over 8 captures' % seen)
    finally:
        stop.set()
        t.join()


def check_interrupt(args, check, scratch):
    """SIGTERM or SIGINT while capturing: no temporary left, OUT whole or absent."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        for delay in (0.005, 0.02, 0.05):
            d = os.path.join(scratch, 'int-%d-%d' % (sig, int(delay * 1000)))
            os.mkdir(d)
            out = os.path.join(d, 'snap.tar.xz')
            p = subprocess.Popen([args.vmsnap, '-q', '--pages', '-o', out],
                                 stderr=subprocess.PIPE)
            time.sleep(delay)
            p.send_signal(sig)
            p.communicate(timeout=60)
            left = leftovers(d)
            what = 'signal %d after %g s (exit %d)' % (sig, delay, p.returncode)
            check.ok(left in ([], ['snap.tar.xz']), '%s: files left: %r' % (what, left))
            if left:
                check.ok(valid(args, out), '%s: %s is not a whole snapshot' % (what, out))


def body(args, check):
    with vmsnaplive.scratch(args) as scratch:
        for user in vmsnaplive.users():
            check_umask(args, check, scratch, user)
            check_existing(args, check, scratch, user)
            check_symlink(args, check, scratch, user)
            check_full(args, check, scratch, user)
            check_vanished(args, check, scratch, user)
        check_swapped_temporary(args, check, scratch)
        check_churn(args, check, scratch)
        check_interrupt(args, check, scratch)


if __name__ == '__main__':
    vmsnaplive.run_test(body)
