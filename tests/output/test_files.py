# SPDX-License-Identifier: GPL-2.0-or-later
"""Output suite: the files vmscope writes, vmsnap's snapshot (-o) and vmfault's report
(--output-file): a full 64 KiB tmpfs leaves the destination untouched and no temporary
(F1); a symlink planted by another user in a sticky directory is refused and its target
untouched (F4); an existing file is replaced atomically, 0600 even under umask 000 (F5,
B8); a FIFO, a device or a directory is refused at once (F6); an unwritable directory
and a read-only file system are clear errors (F7); a snapshot holding PFNs that other
users can read makes the loader warn (E7)."""

# tests/live/test_vmsnap_files.py already covers vmsnap's umask, the refusal of
# an existing OUT without --force, a symlink at OUT planted by the same user, a
# temporary swapped for a symlink, a full file system for a new OUT, and
# interrupts; this file covers what it does not, and vmfault --output-file.

import contextlib
import errno
import os
import stat
import subprocess

import outlib
from outlib import note

VICTIM = b'precious, owned by someone else\n'


def leftovers(d, keep):
    return sorted(n for n in os.listdir(d) if n not in keep)


def run_as(user, argv, **kw):
    return outlib.run(argv, user=user, **kw)


def chown_to(path, user):
    if user == 'nobody':
        os.chown(path, outlib.NOBODY_UID, outlib.NOBODY_UID)


class Writers:
    """The commands that write a file, each as a function of the destination."""

    def __init__(self, args):
        self.args = args
        self.list = []
        b = args.bin
        if 'vmsnap' in b:
            self.list.append(('vmsnap -o', lambda dest, *o: [b['vmsnap'], '-q'] + list(o) +
                              ['-o', dest, str(os.getpid())], True))
        if 'vmfault' in b:
            # the command touches a marker: was it run although the file was refused?
            self.list.append(('vmfault --output-file',
                              lambda dest, *o: [b['vmfault'], '-J'] +
                              [x for x in o if x != '--force'] +
                              ['--output-file', dest, '--', 'true'], False))


@contextlib.contextmanager
def tmpfs(path, options):
    """A small tmpfs at @path (root only); yields False when it cannot be mounted."""
    os.mkdir(path)
    r = subprocess.run(['mount', '-t', 'tmpfs', '-o', options, 'tmpfs', path],
                       stderr=subprocess.PIPE)
    if r.returncode != 0:
        note('mount -t tmpfs -o %s failed: %s' % (options, r.stderr.decode().strip()))
        os.rmdir(path)
        yield False
        return
    try:
        yield True
    finally:
        subprocess.run(['umount', path])
        os.rmdir(path)


def fill_up(path):
    """Fill the file system of @path to its last block."""
    with open(path, 'wb', buffering=0) as f:
        try:
            while True:
                f.write(b'\0' * 4096)
        except OSError as e:
            if e.errno != errno.ENOSPC:
                raise


def check_full(args, check, writers, d):
    """F1: a full file system: exit 1, the message, the old destination untouched."""
    if not outlib.is_root():
        note('F1 tiny tmpfs: not root, cannot mount one')
        return
    mnt = os.path.join(d, 'tiny')
    with tmpfs(mnt, 'size=64k,mode=0755') as ok:
        if not ok:
            return
        for label, argv, _ in writers.list:
            for existing in (False, True):
                dest = os.path.join(mnt, 'out.tar')
                if existing:
                    with open(dest, 'wb') as f:
                        f.write(VICTIM)
                    before = os.stat(dest)
                fill_up(os.path.join(mnt, 'fill'))
                what = '%s on a full 64 KiB tmpfs%s' % (
                    label, ', replacing a file (--force)' if existing else '')
                r = outlib.run(argv(dest, '--force'))
                check.eq('%s: exit status (%s)' % (what, r.err.strip()), 1, r.status)
                check.ok('No space left on device' in r.err,
                         '%s: expected "No space left on device", got %r' % (what, r.err))
                if existing:
                    with open(dest, 'rb') as f:
                        check.eq('%s: the old file\'s content' % what, VICTIM, f.read())
                    check.eq('%s: the old file\'s inode' % what, before.st_ino,
                             os.stat(dest).st_ino)
                    check.eq('%s: files left' % what, ['fill', 'out.tar'],
                             leftovers(mnt, ()))
                else:
                    check.eq('%s: files left' % what, ['fill'], leftovers(mnt, ()))
                for n in os.listdir(mnt):
                    os.unlink(os.path.join(mnt, n))


def check_symlink(args, check, writers, d):
    """F4: a symlink planted by another user in a sticky, world-writable directory."""
    if not outlib.nobody_can_run(args):
        pairs = [(None, None)]  # the runner plants it itself: still refused
        note('F4: not root (or setpriv missing): the symlink is the runner\'s own')
    else:
        pairs = [(None, 'nobody'), ('nobody', None)]  # (runner, planter)
    sticky = os.path.join(d, 'sticky')
    os.mkdir(sticky)
    os.chmod(sticky, 0o1777)
    for runner, planter in pairs:
        who = '%s runs, %s planted' % (runner or 'self', planter or 'self')
        for label, argv, _ in writers.list:
            victim = os.path.join(d, 'victim-%d' % len(os.listdir(d)))
            with open(victim, 'wb') as f:
                f.write(VICTIM)
            os.chmod(victim, 0o644 if runner is None else 0o666)
            chown_to(victim, runner)
            missing = victim + '.absent'
            for target, kind in ((victim, 'to a file'), (missing, 'dangling')):
                link = os.path.join(sticky, 'link-%d' % len(os.listdir(sticky)))
                r = run_as(planter, ['ln', '-s', target, link])
                if not check.ok(r.status == 0, 'ln -s as %s: %s' % (planter, r.describe())):
                    continue
                for force in ((), ('--force',)):
                    what = '%s %s (%s, %s)%s' % (label, link, who, kind,
                                                  ' --force' if force else '')
                    r = run_as(runner, argv(link, *force))
                    check.eq('%s: exit status' % what, 1, r.status)
                    check.ok('symlink' in r.err,
                             '%s: expected "destination is a symlink", got %r' % (what, r.err))
                    check.ok(os.path.islink(link), '%s: the symlink was replaced' % what)
                with open(victim, 'rb') as f:
                    check.eq('%s %s: the target\'s content' % (label, who), VICTIM, f.read())
                check.ok(not os.path.lexists(missing),
                         '%s %s: the dangling link\'s target was created' % (label, who))
            check.eq('%s %s: temporaries in the sticky directory' % (label, who), [],
                     [n for n in os.listdir(sticky) if not n.startswith('link-')])


def check_replace(args, check, writers, d):
    """F5 + B8: an existing file is replaced whole (new inode), 0600 under umask 000."""
    for label, argv, _ in writers.list:
        dest = os.path.join(d, 'replace-%s.tar' % label.split()[0])
        with open(dest, 'wb') as f:
            f.write(VICTIM)
        os.chmod(dest, 0o644)
        before = os.stat(dest)
        what = '%s over an existing 0644 file, umask 000' % label
        r = outlib.run(argv(dest, '--force'), umask=0)
        check.ok(r.status in (0, 3), '%s: %s' % (what, r.describe()))
        st = os.stat(dest)
        check.ok(st.st_ino != before.st_ino, '%s: not replaced by a new file (same inode)'
                 % what)
        check.eq('%s: mode' % what, '0o600', oct(st.st_mode & 0o7777))
        with open(dest, 'rb') as f:
            data = f.read()
        check.ok(data != VICTIM and data, '%s: the old content is still there' % what)
        check.eq('%s: temporaries left' % what, [],
                 [n for n in os.listdir(d) if n.startswith(os.path.basename(dest) + '.')])
        # a new file under umask 000 (vmsnap's own: tests/live/test_vmsnap_files.py)
        new = os.path.join(d, 'new-%s' % label.split()[0])
        r = outlib.run(argv(new), umask=0)
        check.ok(r.status in (0, 3), '%s, new file, umask 000: %s' % (label, r.describe()))
        if os.path.exists(new):
            check.eq('%s, new file, umask 000: mode' % label, '0o600',
                     oct(os.stat(new).st_mode & 0o7777))
        if label.startswith('vmfault'):
            with open(new, 'rb') as f:
                try:
                    doc = outlib.strict_loads(f.read())
                    check.eq('%s: the report\'s command' % label, 'vmfault', doc.get('command'))
                except outlib.JSONError as e:
                    check.fail('%s: the report is not strict JSON: %s' % (label, e))


def check_special(args, check, writers, d):
    """F6: a FIFO, a device or a directory: refused at once, left as it is."""
    nodes = []
    fifo = os.path.join(d, 'fifo')
    os.mkfifo(fifo)
    nodes.append((fifo, 'FIFO', stat.S_ISFIFO))
    if outlib.is_root():
        dev = os.path.join(d, 'nulldev')
        os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        nodes.append((dev, 'character device', stat.S_ISCHR))
    else:
        # not root: the rename a bug would do cannot replace /dev/null
        nodes.append(('/dev/null', 'character device', stat.S_ISCHR))
    adir = os.path.join(d, 'adir')
    os.mkdir(adir)
    with open(os.path.join(adir, 'keep'), 'wb') as f:
        f.write(VICTIM)
    nodes.append((adir, 'directory', stat.S_ISDIR))
    marker = os.path.join(d, 'command-ran')
    for label, argv, is_snap in writers.list:
        for path, kind, is_kind in nodes:
            for force in ((), ('--force',)):
                cmd = argv(path, *force)
                if not is_snap:
                    cmd[-1:] = ['touch', marker]
                what = '%s %s (a %s)%s' % (label, path, kind, ' --force' if force else '')
                # a FIFO opened for writing would block: the timeout tells
                r = outlib.run(cmd, timeout=30)
                check.eq('%s: exit status' % what, 1, r.status)
                if is_snap and kind == 'directory':
                    # an existing directory is a snapshot directory OUT: not replaced
                    # unless a snapshot (--force); this one holds another file
                    check.ok('already exists' in r.err or 'not replacing' in r.err,
                             '%s: expected a refusal, got %r' % (what, r.err))
                else:
                    check.ok(kind in r.err, '%s: expected "%s" in the message, got %r'
                             % (what, kind, r.err))
                check.ok(is_kind(os.lstat(path).st_mode), '%s: no longer a %s' % (what, kind))
                if not is_snap:
                    check.ok(not os.path.exists(marker),
                             '%s: the command ran although the file was refused' % what)
                    if os.path.exists(marker):
                        os.unlink(marker)
        check.eq('%s: the directory\'s files' % label, ['keep'], os.listdir(adir))
        check.eq('%s: temporaries left' % label, [],
                 [n for n in os.listdir(d) if '.tmp' in n])


def check_unwritable(args, check, writers, d):
    """F7: EACCES and EROFS: a message, exit 1, no command run."""
    locked = os.path.join(d, 'locked')
    os.mkdir(locked)
    if outlib.is_root():
        if not outlib.nobody_can_run(args):
            note('F7 EACCES: setpriv cannot run the commands as nobody')
            user = False
        else:
            os.chmod(locked, 0o755)  # root's: nobody cannot create in it
            user = 'nobody'
    else:
        os.chmod(locked, 0o555)
        user = None
    cases = []
    if user is not False:
        cases.append((locked, 'Permission denied', user))
    ro = os.path.join(d, 'ro')
    mounted = contextlib.ExitStack()
    if outlib.is_root():
        if mounted.enter_context(tmpfs(ro, 'ro,size=64k,mode=0755')):
            cases.append((ro, 'Read-only file system', None))
    else:
        note('F7 EROFS: not root, cannot mount a read-only file system')
    # where nobody can create it too, so that a command run by mistake shows
    markers = os.path.join(d, 'markers')
    os.mkdir(markers)
    os.chmod(markers, 0o1777)
    marker = os.path.join(markers, 'command-ran')
    with mounted:
        for where, msg, runner in cases:
            for label, argv, is_snap in writers.list:
                for name in ('out.tar', 'out/'):
                    if not is_snap and name.endswith('/'):
                        continue
                    dest = os.path.join(where, name)
                    cmd = argv(dest)
                    if not is_snap:
                        cmd[-1:] = ['touch', marker]
                    what = '%s %s (%s)' % (label, dest, msg)
                    r = run_as(runner, cmd)
                    check.eq('%s: exit status' % what, 1, r.status)
                    check.ok(msg in r.err, '%s: expected "%s", got %r' % (what, msg, r.err))
                    check.ok(not os.path.exists(marker),
                             '%s: the command ran although the file cannot be written' % what)
                check.eq('%s: files in %s' % (label, where), [], os.listdir(where))


def check_exposed(args, check, d):
    """E7: a PFN-bearing snapshot that group or others can read: the loader warns."""
    if 'vmsnap' not in args.bin or 'vmrank' not in args.bin:
        return
    vmrank = args.bin['vmrank']
    warned = lambda r: 'PFN' in r.err and 'other users can read it' in r.err
    if not outlib.is_root():
        # an unprivileged capture has no real PFNs: no warning, whatever the mode
        out = os.path.join(d, 'unpriv/')
        r = outlib.run([args.bin['vmsnap'], '-q', '--pages', '-o', out, str(os.getpid())])
        check.ok(r.status in (0, 3), 'E7 unprivileged capture: %s' % r.describe())
        subprocess.run(['chmod', '-R', 'go+rX', out])
        r = outlib.run([vmrank, '--root', out, '-o', 'pid'])
        check.ok(not warned(r), 'E7: a warning for a snapshot without PFNs: %r' % r.err)
        note('E7: not root: no PFN-bearing snapshot can be made here')
        return
    for kind in ('snap/', 'snap.tar'):
        out = os.path.join(d, 'e7-' + kind)
        path = out.rstrip('/')
        r = outlib.run([args.bin['vmsnap'], '-q', '--pages', '-o', out, str(os.getpid())])
        if not check.ok(r.status in (0, 3), 'E7 capture %s: %s' % (kind, r.describe())):
            continue
        what = 'E7 %s as written (0600/0700)' % kind
        r = outlib.run([vmrank, '--root', out, '-o', 'pid'])
        check.eq('%s: exit status' % what, 0, r.status)
        check.ok(not warned(r), '%s: unexpected warning %r' % (what, r.err))
        if kind.endswith('/'):
            subprocess.run(['chmod', '-R', 'go+rX', path], check=True)
        else:
            os.chmod(path, 0o644)
        for user in (None, 'nobody') if outlib.nobody_can_run(args) else (None,):
            what = 'E7 %s made world-readable, read by %s' % (kind, user or 'its owner')
            r = outlib.run([vmrank, '--root', out, '-o', 'pid'], user=user)
            check.eq('%s: exit status (%s)' % (what, r.err.strip()), 0, r.status)
            check.ok(warned(r), '%s: expected a warning about PFNs, got %r' % (what, r.err))
            check.eq('%s: the warning, once' % what, 1, r.err.count('PFN'))
        if kind.endswith('/'):
            # only the group: warned too; "shared 1" (published test data): not
            subprocess.run(['chmod', '-R', 'o-rwx', path], check=True)
            r = outlib.run([vmrank, '--root', out, '-o', 'pid'])
            check.ok(warned(r), 'E7 %s group-readable: expected a warning, got %r'
                     % (kind, r.err))
            with open(os.path.join(path, 'vmscope-snapshot'), 'a') as f:
                f.write('shared 1\n')
            r = outlib.run([vmrank, '--root', out, '-o', 'pid'])
            check.ok(not warned(r), 'E7 %s "shared 1": unexpected warning %r' % (kind, r.err))


def body(args, check):
    writers = Writers(args)
    if not writers.list:
        raise outlib.Skip('neither vmsnap nor vmfault is built')
    with outlib.scratch(args, 'files') as d:
        for name, fn in (('full', check_full), ('symlink', check_symlink),
                         ('replace', check_replace), ('special', check_special),
                         ('unwritable', check_unwritable)):
            sub = os.path.join(d, name)
            os.mkdir(sub)
            os.chmod(sub, 0o755)
            fn(args, check, writers, sub)
        sub = os.path.join(d, 'exposed')
        os.mkdir(sub)
        os.chmod(sub, 0o755)
        check_exposed(args, check, sub)


if __name__ == '__main__':
    outlib.run_test(body)
