# SPDX-License-Identifier: GPL-2.0-or-later
"""Fault test C16: allocation failure.  Each command is run with its N-th allocation
failing (the shim), for every N of a small run (sampled above a few hundred), and under
a small address-space limit (ulimit -v): never a crash, a hang or a sanitizer report;
either the very output of a normal run, or "out of memory" and exit 1; and vmsnap
leaves no snapshot, whole or half, and no temporary file behind."""

# Two modes of the shim for the sweep:
#   after  the N-th allocation and every later one fail (a real shortage):
#          "out of memory", exit 1; or, when N is past what the run needed
#          for its output, the normal output and status.
#   once   only the N-th fails: a command may get over it (an optional
#          buffer, a read-ahead thread it can do without) with its normal
#          output, or go on without what it could not get while saying so
#          ("Cannot allocate memory" on stderr); never silently different.
# The commands read fixture snapshots (--root), except vmsnap, which only
# captures the live system: it captures one small victim process.
#
# Under a sanitizer (ASan owns malloc; it also reserves terabytes of address
# space, so a small ulimit -v cannot work): SKIP, saying so.

import os
import resource
import shutil
import signal
import tarfile

import faultlib as fl
from faultlib import Skip

# How many values of N per command and mode, at most: every N up to DENSE,
# then evenly spread, and the last few (VMSF_FULL=1 in the environment: every N).
DENSE = 30
SAMPLES = 80


def sample_ns(total):
    if total <= SAMPLES or os.environ.get('VMSF_FULL'):
        return list(range(1, total + 2))
    ns = list(range(1, DENSE + 1))
    rest = SAMPLES - DENSE - 10
    step = max(1, (total - DENSE) // rest)
    ns += list(range(DENSE + 1, total - 10, step))
    ns += list(range(max(DENSE + 1, total - 10), total + 2))
    return sorted(set(ns))


def oom_message(r):
    low = r.err.lower()
    return any(m in low for m in ('out of memory', 'cannot allocate memory', "can't allocate",
                                  'no memory'))


# glibc's own crash when the name service cannot allocate its set-up
# (__nss_database_get: a SIGSEGV, or the assertion in nss_database.c): not
# vmscope's to fix; vmsnap has it happen before its temporary file exists.
GLIBC_NSS_FRAMES = ('__nss_database_get', 'nss_database', '__nss_passwd_lookup2')
glibc_nss_crashes = []


def glibc_nss_crash(args, r, n, mode):
    """Did run @r die of glibc's name-service set-up failing?  Asks the
    shim for the backtrace of the failed allocation."""
    if r.signal not in (signal.SIGSEGV, signal.SIGABRT):
        return False
    again = fl.run(r.argv, env=fl.shim_env(args, malloc_fail=n, malloc_mode=mode,
                                           malloc_backtrace=1), timeout=30)
    return again.signal == r.signal and any(f in again.err for f in GLIBC_NSS_FRAMES)


def same_output(ref, r):
    """The same stdout as the reference run (JSON without its "time")."""
    if ref.out == r.out:
        return True
    try:
        return fl.strip_volatile(fl.json_docs(ref.out)) == fl.strip_volatile(fl.json_docs(r.out))
    except ValueError:
        return False


def count_allocs(args, argv, check, what):
    cnt = fl.scratch_file(args, 'vmsf-count-')
    r = fl.run(argv, env=fl.shim_env(args, malloc_count=cnt))
    with open(cnt) as f:
        words = f.read().split()
    os.unlink(cnt)
    fl.check_clean(check, r, what)
    if not words:
        raise fl.Failed('%s: the shim counted nothing (not preloaded?)' % r.describe())
    return r, int(words[0])


def judge(args, check, ref, r, mode, n, what, extra_ok=None):
    """True if run @r (N-th allocation failing) is acceptable."""
    tag = '%s (allocation %d fails, mode %s)' % (what, n, mode)
    if r.signal and glibc_nss_crash(args, r, n, mode):
        glibc_nss_crashes.append(tag)
        return True
    if not fl.check_clean(check, r, tag):
        return False
    if r.status == 1 and oom_message(r):
        return True
    if r.status == ref.status and same_output(ref, r) and (extra_ok is None or extra_ok(r)):
        return True
    # One failure that passes: a command may go on without what it could not
    # get, but never silently (a user would take the output for whole).
    if mode == 'once' and r.status in (0, 1, 3) and oom_message(r):
        return True
    if r.status == 1:
        check.fail('%s: exit 1 without "out of memory": %s' % (tag, r.describe()))
    elif r.status == ref.status:
        check.fail('%s: exit %d but an output different from a normal run\'s (a failure '
                   'ignored?): %s' % (tag, r.status, r.describe()))
    else:
        check.fail('%s: exit %s (a normal run: %s): %s' % (tag, r.status, ref.status,
                                                          r.describe()))
    return False


def sweep(args, check, what, argv, before=None, after=None, extra_ok=None):
    """Run argv with each sampled N failing, in both modes."""
    if os.environ.get('VMSF_ONLY') and os.environ['VMSF_ONLY'] not in what:
        return
    ref, total = count_allocs(args, argv, check, what)
    if not check.ok(ref.status in (0, 3), '%s: the normal run failed: %s'
                    % (what, ref.describe())):
        return
    ns = sample_ns(total)
    counts = {}
    for mode in ('after', 'once'):
        clean = same = bad = 0
        for n in ns:
            if before:
                before()
            r = fl.run(argv, env=fl.shim_env(args, malloc_fail=n, malloc_mode=mode),
                       timeout=30)
            ok = judge(args, check, ref, r, mode, n, what, extra_ok)
            if after:
                ok &= after(r, n, mode)
            if not ok:
                bad += 1
                if bad >= 5:
                    check.fail('%s: mode %s: stopping after 5 bad runs' % (what, mode))
                    break
            elif r.status != ref.status or not same_output(ref, r):
                clean += 1
            else:
                same += 1
        counts[mode] = (clean, same, bad)
    fl.note('%s: %d allocations; %d values of N; after: %d out of memory, %d normal, %d bad; '
            'once: %d out of memory, %d normal, %d bad'
            % (what, total, len(ns), *counts['after'], *counts['once']))


def snapshot_names(path):
    with tarfile.open(path) as t:
        return sorted(m.name for m in t.getmembers())


def part_vmsnap(args, check):
    if os.environ.get('VMSF_ONLY') and 'vmsnap' not in os.environ['VMSF_ONLY']:
        return
    # on tmpfs when there is one: each capture ends with fsync()
    shm = '/dev/shm' if os.access('/dev/shm', os.W_OK) else None
    with fl.victim(args, '--regions', '4') as v, fl.tempdir(args, where=shm) as d:
        for kind, dest in (('archive', 'snap.tar'), ('directory', 'snapdir/')):
            out = os.path.join(d, dest)
            ref_names = []

            def clean_dir():
                # everything: a temporary left by one run must not be blamed on the next
                for name in os.listdir(d):
                    path = os.path.join(d, name)
                    if os.path.isdir(path) and not os.path.islink(path):
                        shutil.rmtree(path)
                    else:
                        os.unlink(path)

            def leftovers():
                return sorted(os.listdir(d))

            def after(r, n, mode):
                what = 'vmsnap -o %s (allocation %d fails, mode %s)' % (dest, n, mode)
                left = leftovers()
                if r.status not in (0, 3):
                    return check.ok(left == [], '%s: exit %s but left %r behind: %s'
                                    % (what, r.status, left, r.describe()))
                ok = check.ok(left == [dest.rstrip('/')], '%s: exit %s: files %r, expected '
                              'only the snapshot' % (what, r.status, left))
                if ok and kind == 'archive':
                    names = snapshot_names(out)
                    ok = check.eq('%s: the files of the snapshot' % what, ref_names, names)
                return ok

            argv = [args.vmsnap, '-q', '-o', out, v.pid]
            clean_dir()
            r = fl.run(argv)
            if not check.ok(r.status == 0, 'vmsnap -o %s: %s' % (dest, r.describe())):
                continue
            if kind == 'archive':
                ref_names[:] = snapshot_names(out)
            clean_dir()
            # vmsnap's stdout is empty: judge() compares status and message only
            sweep(args, check, 'vmsnap -o %s PID' % dest, argv, before=clean_dir, after=after)
            clean_dir()


def part_ulimit_v(args, check):
    """Address-space limits (ulimit -v) from where the dynamic loader first
    manages to start the command up to well past what it needs, in 256 KiB
    steps: never a crash; exit 1 with a message, or the normal output."""
    if os.environ.get('VMSF_ONLY') and 'ulimit' not in os.environ['VMSF_ONLY']:
        return
    fx = args.fixtures
    cases = [
        # -j 8: thread stacks (8 MiB of address space each) that cannot all be had
        ('vmrank', [args.vmrank, '--root', fx + '/basic', '-J', '-j', '8']),
        ('vmmap', [args.vmmap, '--root', fx + '/basic', '-J', '20988']),
        ('vmmap --pages', [args.vmmap, '--root', fx + '/pages', '--pages', '-J', '20308']),
        ('vmwalk', [args.vmwalk, '--root', fx + '/pages', '-J', '20308',
                    '0x7fca31c00000-0x7fca31c40000']),
        ('vmfault', [args.vmfault, '--root', fx + '/faults/t0', '--root', fx + '/faults/t1',
                     '-J']),
        ('vmswap', [args.vmswap, '--root', fx + '/swap-multi', '-J']),
    ]
    for what, argv in cases:
        ref = fl.run(argv)
        if not check.ok(ref.status in (0, 3), '%s: normal run: %s' % (what, ref.describe())):
            continue

        def attempt(kib):
            def limit(lim=kib << 10):
                resource.setrlimit(resource.RLIMIT_AS, (lim, lim))

            r = fl.run(argv, preexec_fn=limit, timeout=30)
            if r.status == 127 and 'error while loading shared libraries' in r.err:
                return r, 'no start'
            if r.status == 1 and r.err.strip():
                return r, 'exit 1'
            if r.status == ref.status and same_output(ref, r):
                return r, 'normal'
            return r, None

        # the lowest limit the loader gets through, to 1 MiB
        lo = 4 << 10
        while lo < (1 << 20) and attempt(lo)[1] == 'no start':
            lo += 1 << 10
        seen = {}
        for kib in range(max(lo - 1024, 1024), lo + 12 * 1024, 256):
            r, kind = attempt(kib)
            tag = '%s under ulimit -v %d' % (what, kib)
            fl.check_clean(check, r, tag)
            if kind is None:
                check.fail('%s: neither a message and exit 1 nor the normal output: %s'
                           % (tag, r.describe()))
                break
            if kind == 'exit 1':
                kind += ' (%s)' % r.err.strip().splitlines()[-1][:60]
            seen.setdefault(kind, kib)
        fl.note('%s under ulimit -v: %s' % (what, ', '.join('%s from %d KiB' % (k, v)
                                                            for k, v in seen.items())))
        check.ok('normal' in seen, '%s: no limit up to %d KiB let it run' % (what, lo + 12 * 1024))


def part_fixtures(args, check, fx):
    sweep(args, check, 'vmrank --root basic -J', [args.vmrank, '--root', fx + '/basic', '-J'])
    sweep(args, check, 'vmrank --root basic --by user',
          [args.vmrank, '--root', fx + '/basic', '--by', 'user'])
    sweep(args, check, 'vmmap --root basic -J 20988',
          [args.vmmap, '--root', fx + '/basic', '-J', '20988'])
    sweep(args, check, 'vmmap --root pages --pages 20308',
          [args.vmmap, '--root', fx + '/pages', '--pages', '20308'])
    sweep(args, check, 'vmwalk --root pages -J RANGE',
          [args.vmwalk, '--root', fx + '/pages', '-J', '20308', '0x7fca31c00000-0x7fca31c40000'])
    sweep(args, check, 'vmwalk --root pages ADDRESS',
          [args.vmwalk, '--root', fx + '/pages', '20308', '0x7fca31c00123'])
    sweep(args, check, 'vmfault --root t0 --root t1 -J',
          [args.vmfault, '--root', fx + '/faults/t0', '--root', fx + '/faults/t1', '-J'])
    sweep(args, check, 'vmswap --root swap-multi -J',
          [args.vmswap, '--root', fx + '/swap-multi', '-J'])
    part_ulimit_v(args, check)


def body(args, check):
    if args.sanitized:
        raise Skip('built with a sanitizer: its runtime owns malloc (an LD_PRELOAD malloc '
                   'shim cannot work) and reserves terabytes of address space (ulimit -v '
                   'cannot work)')
    fx = args.fixtures
    if fl.fixtures_readable(args, 'basic', 'pages', 'faults', 'swap-multi'):
        part_fixtures(args, check, fx)
    else:
        fl.note('the fixture snapshots are not readable by this user: only vmsnap is swept')
    part_vmsnap(args, check)
    for tag in glibc_nss_crashes:
        fl.note('glibc, not vmscope: %s: died in the name service\'s set-up (glibc crashes '
                'when it cannot allocate it); no file was left behind' % tag)


if __name__ == '__main__':
    fl.run_test(body)
