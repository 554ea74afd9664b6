# SPDX-License-Identifier: GPL-2.0-or-later
"""Fault test C10: a procfs mounted with hidepid=1 (EPERM on every file of another user's
process), hidepid=2 or 4 (its directory is not there: ENOENT), or subset=pid (no meminfo,
vmstat, swaps), given to the commands with --root and read as nobody; and root against an
LSM that denies it (Landlock gives root EACCES on PID 1 on some machines).  Each denial is
reported by its own errno and hint, never lumped as "no such process" where the kernel
said otherwise; whole-system scans count what they could not read; nothing crashes."""

# Root only (it mounts procfs instances at a temporary directory, and runs
# the commands as nobody with setpriv); every mount is undone on the way out.

import contextlib
import os
import subprocess
import tempfile

import faultlib as fl
from faultlib import Skip

NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups']
EPERM_TEXT = 'Operation not permitted (procfs mounted with hidepid?)'


@contextlib.contextmanager
def procfs(options):
    """A procfs mounted with @options at DIR/proc; yields DIR (0755, for nobody)."""
    d = tempfile.mkdtemp(prefix='vmsf-proc-')
    os.chmod(d, 0o755)
    mnt = os.path.join(d, 'proc')
    os.mkdir(mnt)
    r = subprocess.run(['mount', '-t', 'proc', '-o', options, 'proc', mnt],
                       capture_output=True, text=True)
    try:
        if r.returncode != 0:
            raise Skip('mount -t proc -o %s: %s' % (options, r.stderr.strip()))
        yield d
    finally:
        if r.returncode == 0:
            u = subprocess.run(['umount', mnt], capture_output=True, text=True)
            if u.returncode != 0:
                subprocess.run(['umount', '-l', mnt], capture_output=True)
        with contextlib.suppress(OSError):
            os.rmdir(mnt)
        with contextlib.suppress(OSError):
            os.rmdir(d)


def as_nobody(argv):
    return fl.run(NOBODY + [str(a) for a in argv])


def skipped(r):
    try:
        return {s.get('pid'): s.get('errno') for s in r.json().get('skipped') or []}
    except ValueError:
        return None


def part_named(args, check, root, pid, mode):
    """The commands against @pid, as nobody, on the procfs at @root."""
    runs = [
        [args.vmrank, '--root', root, '-J', '-p', pid],
        [args.vmmap, '--root', root, '-J', pid],
        [args.vmswap, '--root', root, '-J', '-p', pid],
        [args.vmfault, '--root', root, '-J', '-c', '1', '-p', pid],
        [args.vmwalk, '--root', root, pid, '0x400000'],
    ]
    for argv in runs:
        r = as_nobody(argv)
        what = '%s (as nobody, %s)' % (r.cmd(), mode)
        fl.check_clean(check, r, what)
        check.eq('%s: exit status' % what, 1, r.status)
        if mode == 'hidepid=1':
            check.ok(EPERM_TEXT in r.err and 'no such process' not in r.err,
                     '%s: expected "%s": %s' % (what, EPERM_TEXT, r.describe()))
            errnos = skipped(r) if '-J' in argv and argv[0] != args.vmfault else None
            if errnos is not None:
                check.eq('%s: skipped' % what, {pid: 'EPERM'}, errnos)
        else:
            # the kernel hides the directory: ENOENT is all there is to say
            check.ok('pid %d: no such process' % pid in r.err,
                     '%s: expected "no such process": %s' % (what, r.describe()))


def part_whole_scan(args, check, root, mode, own):
    """Whole-system scans as nobody: exit 0, the unreadable counted, nobody's own
    process listed."""
    for argv in ([args.vmrank, '--root', root, '-r', '-n', '-o', 'pid'],
                 [args.vmfault, '--root', root, '-r', '-n', '-o', 'pid', '-c', '1', '-N', '0']):
        r = as_nobody(argv)
        what = '%s (as nobody, %s)' % (r.cmd(), mode)
        fl.check_clean(check, r, what)
        check.eq('%s: exit status' % what, 0, r.status)
        pids = [int(x) for x in r.out.split() if x.strip().isdigit()]
        check.ok(own in pids, '%s: nobody\'s own pid %d not listed' % (what, own))
        if mode == 'hidepid=1':
            check.ok('operation not permitted (procfs' in r.err,
                     '%s: expected a count of the processes denied (EPERM): %s'
                     % (what, r.describe()))


def part_lsm_root(args, check):
    """Root against an LSM: Landlock may deny PID 1 even to root (EACCES)."""
    for argv in ([args.vmmap, '-J', '1'], [args.vmrank, '-J', '-p', '1'],
                 [args.vmwalk, '1', '0x400000']):
        r = fl.run(argv)
        what = '%s (as root)' % r.cmd()
        fl.check_clean(check, r, what)
        if 'Permission denied' in r.err:
            check.eq('%s: exit status (denied by an LSM)' % what, 1, r.status)
            check.ok('no such process' not in r.err, '%s: EACCES told as "no such process"'
                     % what)
            fl.note('%s: denied to root (an LSM): %s' % (r.cmd(), r.err.strip().splitlines()[0]))
        else:
            check.ok(r.status in (0, 1), what + ': ' + r.describe())


def body(args, check):
    if os.geteuid() != 0:
        raise Skip('mounting a procfs with hidepid= or subset= needs root')
    with fl.victim(args, '--regions', '4') as v, \
            fl.Target(NOBODY + [args.victim, '--regions', '4']) as own:
        own_pid = own.info['pid']
        for opt, mode in (('hidepid=1', 'hidepid=1'), ('hidepid=2', 'hidepid=2'),
                          ('hidepid=4', 'hidepid=4')):
            with procfs(opt) as root:
                part_named(args, check, root, v.pid, mode)
                part_whole_scan(args, check, root, mode, own_pid)
                # root (CAP_SYS_PTRACE) sees every process in any of them
                r = fl.run([args.vmmap, '--root', root, '-J', v.pid])
                fl.check_clean(check, r)
                check.eq('%s (as root, %s): exit status' % (r.cmd(), mode), 0, r.status)
                # nobody's own process stays readable
                r = as_nobody([args.vmrank, '--root', root, '-J', '-p', own_pid])
                fl.check_clean(check, r)
                check.eq('%s (as nobody, its own process, %s): exit status'
                         % (r.cmd(), mode), 0, r.status)

        with procfs('subset=pid') as root:
            for argv in ([args.vmrank, '--root', root, '--system'],
                         [args.vmswap, '--root', root],
                         [args.vmfault, '--root', root, '-c', '1']):
                r = fl.run(argv)
                what = '%s (subset=pid)' % r.cmd()
                fl.check_clean(check, r, what)
                check.ok(r.status in (0, 1), '%s: %s' % (what, r.describe()))
                check.ok('subset=pid' in r.err, '%s: the missing system files not explained '
                         '(expected "subset=pid?"): %s' % (what, r.describe()))
            r = fl.run([args.vmrank, '--root', root, '-J', '-p', v.pid])
            fl.check_clean(check, r)
            check.eq('%s (subset=pid, as root): exit status' % r.cmd(), 0, r.status)

    part_lsm_root(args, check)


if __name__ == '__main__':
    fl.run_test(body)
