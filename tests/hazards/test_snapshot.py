# SPDX-License-Identifier: GPL-2.0-or-later
"""Hazards E1-E6 through the commands: snapshots (directories, and tar archives, plain or
compressed, which the commands unpack into a private directory) that are truncated,
of another format version, with absurd counts, sizes and names, roots that are devices,
FIFOs or huge sparse files, archives with ../ and absolute entries or that decompress to
gigabytes.  Each is refused with one clear line and exit status 1, in bounded time and
memory, with nothing left in $TMPDIR and nothing written outside; never a crash.
The library-level tests (every byte offset of plain and zstd archives, every hostile
entry type) are tests/unit/test_snapshot.c."""

import concurrent.futures
import gzip
import io
import json
import os
import re
import shutil
import stat
import subprocess
import tarfile
import time

import hz

PID = 21058

# the files of a small valid snapshot: one process, the system files, a user
def small_files(args):
    base = os.path.join(args.fixtures, 'basic')
    files = {'vmscope-snapshot': b'format 1\nkernel 6.1.0-hz\npage_size 4096\n'
                                 b'time 2026-01-02T03:04:05Z\nprivileged 0\nhost hazards\n',
             'etc/passwd': b'root:x:0:0:root:/root:/bin/sh\n',
             'proc/meminfo': b'MemTotal:       16318412 kB\nMemFree:         1234567 kB\n'
                             b'MemAvailable:    8234567 kB\nSwapTotal:             0 kB\n'
                             b'SwapFree:              0 kB\n'}
    for f in ('stat', 'status', 'cmdline', 'smaps_rollup'):
        with open(os.path.join(base, 'proc', str(PID), f), 'rb') as fh:
            files['proc/%d/%s' % (PID, f)] = fh.read()
    # status: the lines the commands read
    files['proc/%d/status' % PID] = b'\n'.join(
        l for l in files['proc/%d/status' % PID].split(b'\n')
        if l.startswith((b'Name', b'State', b'Tgid', b'PPid', b'Uid', b'Gid', b'Vm', b'Threads',
                         b'Kthread'))) + b'\n'
    return files


def make_tar(files, compress=None, extra=None):
    """A tar of @files (name -> bytes), without the padding to 10 KiB: every byte offset is
    a truncation.  @extra(tf) may add hostile members."""
    buf = io.BytesIO()
    # ustar: no extended headers, the smallest archive (vmsnap writes pax; both are tar)
    tf = tarfile.open(fileobj=buf, mode='w', format=tarfile.USTAR_FORMAT)
    dirs = set()
    for name in sorted(files):
        parts = name.split('/')[:-1]
        for i in range(len(parts)):
            d = '/'.join(parts[:i + 1])
            if d not in dirs:
                dirs.add(d)
                ti = tarfile.TarInfo(d)
                ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o700, 1700000000
                tf.addfile(ti)
        ti = tarfile.TarInfo(name)
        ti.size, ti.mode, ti.mtime = len(files[name]), 0o600, 1700000000
        tf.addfile(ti, io.BytesIO(files[name]))
    if extra:
        extra(tf)
    end = tf.offset + 1024  # the two end-of-archive blocks, not the padding after them
    tf.close()
    data = buf.getvalue()[:end]
    if compress == 'gz':
        data = gzip.compress(data, mtime=0)
    return data


def tmpdir_env(d):
    t = os.path.join(d, 'tmp')
    os.makedirs(t, exist_ok=True)
    return {'TMPDIR': t}


def tmp_left(d):
    t = os.path.join(d, 'tmp')
    return os.listdir(t) if os.path.isdir(t) else []


def root_argvs(args, root):
    """Every command reading @root."""
    return [('vmrank', [args.vmrank, '--root', root]),
            ('vmmap', [args.vmmap, '--root', root, str(PID)]),
            ('vmwalk', [args.vmwalk, '--root', root, str(PID), '0x1000']),
            ('vmfault', [args.vmfault, '--root', root]),
            ('vmswap', [args.vmswap, '--root', root]),
            ('vmsnap diff', [args.vmsnap, 'diff', root, root]),
            ('vmtop -b', [args.vmtop, '-b', '--root', root])]


def crashed(r):
    return r.rc < 0 or r.rc >= 128 or b'Sanitizer' in r.err or b'runtime error' in r.err


# ---------------------------------------------------------------------------
# E1: truncated at every byte offset


def part_truncated(args, check):
    d = hz.scratch(args, 'hz-snap-')
    env = tmpdir_env(d)
    try:
        files = small_files(args)
        for kind in ('gz', None):
            full = make_tar(files, kind)
            path = os.path.join(d, 'full.tar' + ('.gz' if kind else ''))
            with open(path, 'wb') as f:
                f.write(full)
            ref = hz.run([args.vmrank, '--root', path, '-o', 'pid,rss,cmdline'], env=env)
            if not check.ok(ref.rc == 0 and str(PID).encode() in ref.out,
                            'vmrank on the whole %s archive: %s' % (kind or 'plain', ref.show())):
                continue
            # gzip (about 1 KiB): every offset; plain tar (about 9 KiB): around every
            # 512-byte block boundary, every 7th byte of the first block and of the end
            # blocks, every 61st in between (tests/unit/test_snapshot.c does every offset
            # of plain and zstd archives through the library)
            if kind:
                offsets = range(len(full))
            else:
                offsets = sorted(set(list(range(0, 512, 7)) +
                                     list(range(len(full) - 1100, len(full), 7)) +
                                     [b + k for b in range(0, len(full), 512)
                                      for k in (-1, 0, 1) if 0 <= b + k < len(full)] +
                                     list(range(0, len(full), 61))))
            cut = os.path.join(d, 'cut.tar' + ('.gz' if kind else ''))
            opened = refused = 0

            def one(n):
                p = os.path.join(d, 'cut%d.tar%s' % (n, '.gz' if kind else ''))
                with open(p, 'wb') as f:
                    f.write(full[:n])
                r = hz.run([args.vmrank, '--root', p, '-o', 'pid,rss,cmdline'], env=env,
                           timeout=30)
                os.unlink(p)
                return n, r
            # two at a time: the runs are short and mostly wait for exec and the loader
            with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
                results = list(pool.map(one, offsets))
            for n, r in results:
                what = 'vmrank --root a %s archive cut at byte %d of %d (E1)' % (
                    kind or 'plain', n, len(full))
                if crashed(r) or r.timed_out:
                    check.fail('%s: crashed or hung: %s' % (what, r.show()))
                    continue
                if r.rc == 0:
                    # only the end-of-archive blocks (or a gzip trailer) may be missing: then
                    # all of it is there, never a silent partial analysis
                    opened += 1
                    check.ok(r.out == ref.out, '%s: exit 0 with another output:\n%r\nvs\n%r'
                             % (what, r.out, ref.out))
                    continue
                refused += 1
                msg = r.etext
                ok = r.rc == 1 and (
                    'snapshot truncated at byte %d' % n in msg or
                    (n == 0 and 'an empty file' in msg) or
                    (n < (32 if kind else 512) and 'not a vmscope snapshot archive' in msg))
                check.ok(ok, '%s: expected exit 1 and "snapshot truncated at byte %d", got %s'
                         % (what, n, r.show()))
                check.ok(r.out == b'', '%s: output on stdout: %r' % (what, r.out[:200]))
                check.eq('%s: lines on stderr' % what, 1, r.etext.count('\n'))
            hz.note('%s archive of %d bytes: %d cuts refused, %d read whole'
                    % (kind or 'plain', len(full), refused, opened))
            check.ok(refused > 0, 'no truncation of the %s archive was refused' % (kind or 'plain'))
            # every command says the same, at a few offsets
            for n in (0, 1, 100, len(full) // 3, len(full) // 2,
                      len(full) - (20 if kind else 1100)):
                with open(cut, 'wb') as f:
                    f.write(full[:n])
                for name, argv in root_argvs(args, cut):
                    r = hz.run(argv, env=env, timeout=30)
                    what = '%s --root a %s archive cut at byte %d (E1)' % (name, kind or 'plain',
                                                                          n)
                    check.ok(r.rc == 1 and not crashed(r) and re.search(
                        r'snapshot truncated at byte %d|not a vmscope snapshot archive' % n,
                        r.etext), '%s: expected exit 1 and the truncation, got %s'
                        % (what, r.show()))
            check.eq('$TMPDIR after the truncated %s archives (E1)' % (kind or 'plain'), [],
                     tmp_left(d))
        # a directory snapshot: its description cut at every byte; a memory file cut at
        # every byte (what a process that exits while it is read leaves: the kernel ends
        # the file early, so a cut is told only when it splits a line)
        root = os.path.join(d, 'dir')
        for name, data in files.items():
            hz.write(os.path.join(root, name), data, 0o600)
        desc = files['vmscope-snapshot']
        for n in range(len(desc)):
            hz.write(os.path.join(root, 'vmscope-snapshot'), desc[:n], 0o600)
            r = hz.run([args.vmrank, '--root', root, '-o', 'pid'], env=env, timeout=30)
            what = 'vmrank --root a directory whose description is cut at byte %d (E1)' % n
            check.ok(not crashed(r) and (r.rc == 0 or (r.rc == 1 and r.out == b'' and (
                'vmscope-snapshot' in r.etext or 'snapshot format' in r.etext))),
                     '%s: expected exit 0 or exit 1 naming the description, got %s'
                     % (what, r.show()))
        hz.write(os.path.join(root, 'vmscope-snapshot'), desc, 0o600)
        # a memory file cut anywhere: never a crash; cut at the end of a line (as the kernel
        # ends the file of a process that exits while it is read), a key cut off is absent
        # (null), never 0.  (A cut inside the last line's digits cannot be told from a
        # shorter number: the kernel's files may end without a newline, see D2.)
        roll = files['proc/%d/smaps_rollup' % PID]
        ends = [i + 1 for i, c in enumerate(roll) if c == 0x0a]
        for n in sorted(set(list(range(0, len(roll), 11)) + ends)):
            hz.write(os.path.join(root, 'proc', str(PID), 'smaps_rollup'), roll[:n], 0o600)
            r = hz.run([args.vmrank, '--root', root, '-J', '-p', str(PID)], env=env,
                       timeout=30)
            what = 'vmrank -J -p %d with its smaps_rollup cut at byte %d (E1)' % (PID, n)
            if crashed(r) or r.rc not in (0, 1, 3):
                check.fail('%s: %s' % (what, r.show()))
                continue
            if r.rc != 0 or n not in ends:
                continue
            p = json.loads(r.out)['processes'][0]
            keys = dict(re.findall(rb'^(\w+):\s+(\d+) kB$', roll[:n], re.M))
            for key, name in ((b'Rss', 'rss'), (b'Pss', 'pss'), (b'Swap', 'swap')):
                want = int(keys[key]) * 1024 if key in keys else None
                check.eq('%s: %s' % (what, name), want, p.get(name))
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------------------
# E2: magic and format versions


def part_versions(args, check):
    d = hz.scratch(args, 'hz-snap-')
    env = tmpdir_env(d)
    try:
        files = small_files(args)
        cases = [(b'format 2\n', "unsupported snapshot format 2 (this build reads <= 1)"),
                 (b'format 0\n', "unsupported snapshot format 0 (this build reads <= 1)"),
                 (b'format 99999999999999999999\n', 'unsupported snapshot format '
                  '99999999999999999999 (this build reads <= 1)'),
                 (b'format -1\n', "unsupported snapshot format -1"),
                 (b'format 1.0\n', "unsupported snapshot format 1.0"),
                 (b'format \x1b[2J\n', "unsupported snapshot format \\x1b[2J"),
                 (b'kernel 6.1\n', 'no format line'),
                 (b'FORMAT 1\n', 'no format line'),
                 (b'format1\n', "bad line 'format1'"),
                 (b'\x7fELF\x02\x01\x01\0', 'vmscope-snapshot'),
                 (b'format 1\npage_size 4000\n', "bad page_size '4000'"),
                 (b'format 1\npage_size -4096\n', "bad page_size '-4096'"),
                 (b'format 1\npage_size 18446744073709551616\n', 'bad page_size'),
                 (b'format 1\x00\n', 'NUL'),
                 (b'format 1\n' + b'#' * 70000 + b'\n', 'larger than 64 KiB')]
        for desc, msg in cases:
            f = dict(files)
            f['vmscope-snapshot'] = desc
            root = os.path.join(d, 'v')
            shutil.rmtree(root, ignore_errors=True)
            for name, data in f.items():
                hz.write(os.path.join(root, name), data, 0o600)
            arc = os.path.join(d, 'v.tar.gz')
            with open(arc, 'wb') as fh:
                fh.write(make_tar(f, 'gz'))
            for form, path in (('directory', root), ('archive', arc)):
                for name, argv in root_argvs(args, path):
                    r = hz.run(argv, env=env, timeout=30)
                    what = '%s --root a %s with description %r (E2)' % (name, form, desc[:30])
                    check.ok(r.rc == 1 and msg in r.etext and r.out == b'' and not crashed(r),
                             '%s: expected exit 1 and %r, got %s' % (what, msg, r.show()))
                    check.ok(b'\x1b' not in r.err, '%s: ESC on stderr' % what)
        # not a snapshot at all
        for data, msg in [(b'not a tar file at all\n' * 100, 'not a vmscope snapshot archive'),
                          (gzip.compress(b'plain text, not a tar\n' * 100),
                           'not a vmscope snapshot archive'),
                          (b'\x1f\x8b\x08\x00' + b'\xff' * 2000, 'snapshot')]:
            p = os.path.join(d, 'junk')
            with open(p, 'wb') as fh:
                fh.write(data)
            for name, argv in root_argvs(args, p):
                r = hz.run(argv, env=env, timeout=30)
                check.ok(r.rc == 1 and msg in r.etext and not crashed(r),
                         '%s --root junk %r (E2): expected exit 1 and %r, got %s'
                         % (name, data[:12], msg, r.show()))
        empty = os.path.join(d, 'emptydir')
        os.makedirs(empty)
        r = hz.run([args.vmrank, '--root', empty], env=env)
        check.ok(r.rc == 1 and 'not a vmscope snapshot' in r.etext,
                 'vmrank --root an empty directory (E2): %s' % r.show())
        check.eq('$TMPDIR after the E2 cases', [], tmp_left(d))
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------------------
# E3: counts, sizes and addresses beyond reason


def e3_fixture(args, d):
    root = hz.copy_fixture(args, 'basic', os.path.join(d, 'e3'))
    proc = os.path.join(root, 'proc')
    # maps/smaps: start > end, overlapping and unsorted VMAs, an address past 2^64,
    # sizes past 2^64/1024 kB
    p = hz.clone_process(root, PID, 6001, b'e3maps', b'e3maps\0')
    with open(os.path.join(p, 'smaps'), 'rb') as f:
        blocks = re.split(rb'\n(?=[0-9a-f]+-[0-9a-f]+ )', f.read())
    body = blocks[0].split(b'\n', 1)[1]
    hdrs = [b'7f0000002000-7f0000001000 rw-p 00000000 00:00 0 ',  # start > end
            b'7f0000010000-7f0000020000 rw-p 00000000 00:00 0 ',
            b'7f0000018000-7f0000028000 rw-p 00000000 00:00 0 ',  # overlaps the one above
            b'7e0000000000-7e0000001000 rw-p 00000000 00:00 0 ',  # unsorted
            b'10000000000000000-10000000001000000 rw-p 00000000 00:00 0 ',  # past 2^64
            b'7f0000030000-7f0000031000 rw-p 00000000 00:00 0 ']
    huge = body.replace(b'Rss:                   8 kB', b'Rss:    18014398509481984 kB')
    smaps = b''
    for i, h in enumerate(hdrs):
        smaps += h + b'\n' + (huge if i == len(hdrs) - 1 else body) + b'\n'
    hz.write(os.path.join(p, 'smaps'), smaps)
    hz.write(os.path.join(p, 'maps'), b'\n'.join(hdrs) + b'\n')
    # smaps_rollup: a size past 2^64 bytes, one past 2^64 at all, a negative one
    p = hz.clone_process(root, PID, 6002, b'e3roll', b'e3roll\0')
    with open(os.path.join(p, 'smaps_rollup'), 'rb') as f:
        roll = f.read()
    roll = re.sub(rb'Rss: +\d+ kB', b'Rss:    18014398509481984 kB', roll)
    roll = re.sub(rb'Pss: +\d+ kB', b'Pss:    99999999999999999999999 kB', roll)
    roll = re.sub(rb'Swap: +\d+ kB', b'Swap:   -5 kB', roll)
    hz.write(os.path.join(p, 'smaps_rollup'), roll)
    # two directories that say they are the same process (duplicate PIDs)
    hz.clone_process(root, PID, 6003, b'dup', b'dup\0')
    p = hz.clone_process(root, PID, 6004, b'dup', b'dup\0')
    with open(os.path.join(p, 'stat'), 'rb') as f:
        st = f.read()
    hz.write(os.path.join(p, 'stat'), b'6003' + st[st.index(b' ('):])
    # stat with a negative ppid and numbers past 2^64
    p = hz.clone_process(root, PID, 6005, b'negppid', b'negppid\0')
    with open(os.path.join(p, 'stat'), 'rb') as f:
        f = f.read().split(b' ')
    f[3] = b'-7'
    f[9] = b'99999999999999999999999'
    hz.write(os.path.join(p, 'stat'), b' '.join(f))
    return root


def part_counts(args, check):
    d = hz.scratch(args, 'hz-snap-')
    env = tmpdir_env(d)
    try:
        root = e3_fixture(args, d)
        pids = '6001,6002,6003,6004,6005,%d' % PID
        for name, argv in [('vmrank -J', [args.vmrank, '--root', root, '-J', '-p', pids]),
                           ('vmrank', [args.vmrank, '--root', root, '-p', pids]),
                           ('vmrank --by mapping', [args.vmrank, '--root', root, '--by',
                                                    'mapping']),
                           ('vmmap -J 6001', [args.vmmap, '--root', root, '-J', '6001']),
                           ('vmmap 6001', [args.vmmap, '--root', root, '6001']),
                           ('vmmap --layout 6001', [args.vmmap, '--root', root, '--layout',
                                                    '6001']),
                           ('vmwalk 6001', [args.vmwalk, '--root', root, '6001',
                                            '0x7f0000018000']),
                           ('vmfault', [args.vmfault, '--root', root, '-p', pids]),
                           ('vmswap', [args.vmswap, '--root', root, '-a', '-p', pids]),
                           ('vmtop -b', [args.vmtop, '-b', '--root', root, '-p', pids])]:
            r = hz.spawn_ru(argv, env=env, timeout=60)
            what = '%s on absurd counts and addresses (E3)' % name
            check.ok(not crashed(r) and not r.timed_out and r.rc in (0, 1, 3),
                     '%s: crashed, hung or an odd exit status: %s' % (what, r.show()))
            check.ok(r.rusage.ru_maxrss < 512 * 1024, '%s: peak RSS %d KiB'
                     % (what, r.rusage.ru_maxrss))
            if name == 'vmrank -J' and r.rc in (0, 3):
                procs = {p['pid']: p for p in json.loads(r.out)['processes']}
                check.ok(6003 in procs and 6004 not in procs,
                         '%s: the directory 6004 whose stat says 6003 must not be listed: %r'
                         % (what, sorted(procs)))
                p = procs.get(6002, {})
                for k in ('rss', 'pss', 'swap'):
                    v = p.get(k)
                    check.ok(v is None, '%s: %s of 6002 (beyond 2^64 bytes, or negative) is '
                             '%r: null expected, never a wrapped value' % (what, k, v))
                check.ok(6005 not in procs or procs[6005].get('ppid', 0) >= 0,
                         '%s: a negative ppid shown: %r' % (what, procs.get(6005)))
            if name == 'vmmap -J 6001' and r.rc == 0:
                maps = json.loads(r.out)['processes'][0]['mappings']
                starts = [m['start'] for m in maps]
                check.ok('0x7f0000002000' not in starts,
                         '%s: the mapping with start > end was taken: %r' % (what, starts))
                check.ok(all(int(m['start'], 16) < int(m['end'], 16) for m in maps),
                         '%s: a mapping with start >= end: %r' % (what, maps))
                check.ok(not any(m['start'].startswith('0x1000000000000') and
                                 len(m['start']) > 18 for m in maps),
                         '%s: an address past 2^64 was taken' % what)
                for m in maps:
                    if m.get('rss') is not None:
                        check.ok(m['rss'] < 1 << 64 if isinstance(m['rss'], int) else True,
                                 '%s: rss %r' % (what, m['rss']))
        # corrupt "sparse u64" pagemap extracts (the hostile fixture): counts of 2^61,
        # counts past the end, overlapping and unsorted records, a wrong entry size, a bad
        # magic, a future version; allocations bounded by the file, never by its counts
        hostile = os.path.join(args.fixtures, 'hostile')
        for pid in (4001, 4002, 4003, 4007, 4008, 20988, 21058, 22057, 22059):
            with open(os.path.join(hostile, 'proc', str(pid), 'maps'), 'rb') as f:
                first = '0x' + f.readline().split(b'-')[0].decode()
            for name, argv in [('vmwalk', [args.vmwalk, '--root', hostile, str(pid), first]),
                               ('vmwalk range', [args.vmwalk, '--root', hostile, str(pid),
                                                 first + '+0x100000']),
                               ('vmmap --pages', [args.vmmap, '--root', hostile, '--pages',
                                                  str(pid)])]:
                r = hz.spawn_ru(argv, env=env, timeout=60)
                what = '%s on the corrupt pagemap of %d (E3)' % (name, pid)
                check.ok(not crashed(r) and not r.timed_out and
                         r.rc == (0 if name == 'vmmap --pages' else 1) and
                         'corrupt' in r.etext, '%s: expected exit %d and "corrupt", got %s'
                         % (what, 0 if name == 'vmmap --pages' else 1, r.show()))
                check.ok(r.rusage.ru_maxrss < 512 * 1024, '%s: peak RSS %d KiB'
                         % (what, r.rusage.ru_maxrss))
        r = hz.run([args.vmrank, '--root', hostile, '--exact'], env=env)
        check.ok(r.rc == 1 and 'corrupt' in r.etext,
                 'vmrank --exact on corrupt pagemaps (E3): expected exit 1 and "corrupt", got %s'
                 % r.show())
        check.eq('$TMPDIR after the E3 cases', [], tmp_left(d))
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------------------
# E4: names


def part_names(args, check):
    d = hz.scratch(args, 'hz-snap-')
    env = tmpdir_env(d)
    try:
        root = hz.copy_fixture(args, 'basic', os.path.join(d, 'e4'))
        big = b'/opt/' + b'\xe4\xb8\xad' * 350000  # a command line of about 1 MB
        hz.clone_process(root, PID, 7001, b'nul\x1b[2J', b'a\0b\nc\0\x1b]0;t\x07\0\xff\xfe\0')
        hz.clone_process(root, PID, 7002, b'big', big + b'\0' + b'x' * 1000000 + b'\0')
        p = hz.clone_process(root, PID, 7003, b'longmap', b'longmap\0')
        with open(os.path.join(p, 'smaps'), 'rb') as f:
            first = f.read().split(b'\n')
        hdr = first[0]
        longname = b'/tmp/' + b'N' * (1 << 20)
        first[0] = hdr[:73] + longname if len(hdr) > 73 else hdr + b' ' + longname
        hz.write(os.path.join(p, 'smaps'), b'\n'.join(first))
        with open(os.path.join(root, 'etc', 'passwd'), 'ab') as f:
            f.write(b'ev\x1b[2Jil:x:4242:4242::/:/bin/sh\n')
        p = hz.clone_process(root, PID, 7004, b'user', b'user\0')
        with open(os.path.join(p, 'status'), 'rb') as f:
            st = f.read()
        hz.write(os.path.join(p, 'status'), re.sub(rb'Uid:[^\n]*', b'Uid:\t4242\t4242\t4242\t4242',
                                                   st))
        os.unlink(os.path.join(p, 'exe'))
        os.symlink(b'/usr/bin/ev\x1bil\n (deleted)', os.path.join(p, 'exe').encode())
        with open(os.path.join(root, 'vmscope-snapshot'), 'ab') as f:
            f.write(b'host h\x1b]0;pwn\x07ost\xff\n')
        pids = '7001,7002,7003,7004'
        for name, argv in [('vmrank', [args.vmrank, '--root', root, '-p', pids, '-o',
                                       '+user,comm,cmdline']),
                           ('vmrank -r', [args.vmrank, '--root', root, '-r', '-p', pids]),
                           ('vmrank -J', [args.vmrank, '--root', root, '-J', '-p', pids]),
                           ('vmmap 7003', [args.vmmap, '--root', root, '7003']),
                           ('vmmap -J 7003', [args.vmmap, '--root', root, '-J', '7003']),
                           ('vmfault', [args.vmfault, '--root', root, '-p', pids]),
                           ('vmswap', [args.vmswap, '--root', root, '-a', '-p', pids]),
                           ('vmtop -b', [args.vmtop, '-b', '--root', root, '-p', pids]),
                           ('vmsnap diff', [args.vmsnap, 'diff', '-a',
                                            os.path.join(args.fixtures, 'basic'), root])]:
            r = hz.spawn_ru(argv, env=env, timeout=60)
            what = '%s on hostile names (E4)' % name
            if not check.ok(r.rc == 0 and not crashed(r), '%s: expected exit 0, got %s'
                            % (what, r.show())):
                continue
            check.ok(not re.search(rb'[\x00-\x08\x0b-\x1f\x7f]', r.out + r.err),
                     '%s: a control character from a name reached the output' % what)
            check.ok(r.rusage.ru_maxrss < 512 * 1024, '%s: peak RSS %d KiB'
                     % (what, r.rusage.ru_maxrss))
            if '-J' in argv:
                try:
                    doc = json.loads(r.out.decode('utf-8'))
                except (UnicodeDecodeError, ValueError) as e:
                    check.fail('%s: not UTF-8 JSON: %s' % (what, e))
                    continue
                if name == 'vmrank -J':
                    procs = {p['pid']: p for p in doc['processes']}
                    check.eq('%s: the command line with NULs, as words' % what,
                             'a b\nc \x1b]0;t\x07 \ufffd\ufffd', procs[7001].get('cmdline'))
                    check.ok(len(procs[7002].get('cmdline', '')) > 1000000,
                             '%s: the 2 MB command line was cut to %d characters'
                             % (what, len(procs[7002].get('cmdline', ''))))
                    check.eq('%s: a user name with ESC' % what, 'ev\x1b[2Jil',
                             procs[7004].get('user'))
                if name == 'vmmap -J 7003':
                    m = doc['processes'][0]['mappings'][0]
                    check.eq('%s: the 1 MB name, whole' % what, longname.decode(),
                             m.get('mapping'))
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------------------
# E5: roots that are not files or directories


def part_special(args, check):
    d = hz.scratch(args, 'hz-snap-')
    env = tmpdir_env(d)
    try:
        fifo = os.path.join(d, 'fifo')
        os.mkfifo(fifo, 0o600)
        sparse = os.path.join(d, 'sparse-1tib.tar.zst')
        with open(sparse, 'wb') as f:
            try:
                f.truncate(1 << 40)
            except OSError as e:
                hz.note('no 1 TiB sparse file here: %s' % e)
        sparse_gz = os.path.join(d, 'sparse-1tib-gz')
        with open(sparse_gz, 'wb') as f:
            f.write(b'\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03')
            try:
                f.truncate(1 << 40)
            except OSError:
                pass
        empty_dir = os.path.join(d, 'not-a-snapshot')
        os.makedirs(empty_dir)
        targets = [('/dev/zero', 'a character device'), ('/dev/urandom', 'a character device'),
                   ('/dev/null', 'a character device'), (fifo, 'a FIFO'),
                   (empty_dir, 'not a vmscope snapshot'),
                   (sparse, 'not a vmscope snapshot'), (sparse_gz, 'snapshot'),
                   (os.path.join(d, 'no-such-file'), 'No such file or directory')]
        for i, (t, _) in enumerate(list(targets)):
            link = os.path.join(d, 'link%d' % i)
            os.symlink(t, link)
            targets.append((link, targets[i][1]))
        for t, msg in targets:
            if not os.path.lexists(t) and 'No such' not in msg:
                continue
            for name, argv in root_argvs(args, t):
                t0 = time.monotonic()
                r = hz.run(argv, env=env, timeout=30)
                what = '%s --root %s (E5)' % (name, t)
                check.ok(not r.timed_out, '%s: hung (killed after 30 s)' % what)
                check.ok(r.rc == 1 and msg in r.etext and not crashed(r),
                         '%s: expected exit 1 and %r, got %s' % (what, msg, r.show()))
                check.ok(time.monotonic() - t0 < 20, '%s: took %.1f s' % (
                    what, time.monotonic() - t0))
        check.eq('$TMPDIR after the E5 cases', [], tmp_left(d))
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------------------
# E6: hostile archives


def tar_header(name, size, typeflag=b'0', linkname=b''):
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = b'0000600\0'
    h[108:116] = b'0000000\0'
    h[116:124] = b'0000000\0'
    if size < 8 ** 11:
        h[124:136] = b'%011o\0' % size
    else:  # base-256, as GNU tar writes big sizes
        h[124:136] = b'\x80' + size.to_bytes(11, 'big')
    h[136:148] = b'%011o\0' % 1700000000
    h[156:157] = typeflag
    h[157:157 + len(linkname)] = linkname
    h[257:265] = b'ustar\x0000'
    h[148:156] = b' ' * 8
    h[148:156] = b'%06o\0 ' % sum(h)
    return bytes(h)


def part_archives(args, check):
    d = hz.scratch(args, 'hz-snap-')
    env = tmpdir_env(d)
    outside = os.path.join(d, 'outside')
    os.makedirs(outside)
    try:
        files = small_files(args)

        def member(name, data=b'x', kind=tarfile.REGTYPE, link=''):
            def add(tf):
                ti = tarfile.TarInfo(name)
                ti.type, ti.size, ti.linkname = kind, len(data) if kind == tarfile.REGTYPE \
                    else 0, link
                tf.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
            return add
        rel_out = os.path.relpath(outside, d)
        hostile = [
            ('../ entry', member('../' + rel_out + '/pwned'), 'leaves the snapshot'),
            ('../ inside', member('proc/../../' + rel_out + '/pwned'), 'leaves the snapshot'),
            ('absolute', member(outside + '/pwned'), 'leaves the snapshot'),
            ('symlink out', member('proc/evil', kind=tarfile.SYMTYPE, link=outside),
             'is a symbolic link'),
            ('hard link out', member('proc/evil2', kind=tarfile.LNKTYPE, link='/etc/passwd'),
             'is a hard link'),
            ('device', member('proc/kmem', kind=tarfile.CHRTYPE), 'is a character device'),
            ('fifo', member('proc/fifo', kind=tarfile.FIFOTYPE), 'is a FIFO'),
            ('twice', member('proc/meminfo', b'MemTotal: 1 kB\n'), 'appears twice'),
            ('control', member('proc/a\x1b[2Jb'), 'has a control character'),
        ]
        for name, extra, msg in hostile:
            for kind in (None, 'gz'):
                arc = os.path.join(d, 'hostile.tar' + ('.gz' if kind else ''))
                with open(arc, 'wb') as f:
                    f.write(make_tar(files, kind, extra))
                for cname, argv in root_argvs(args, arc):
                    r = hz.run(argv, env=env, timeout=30)
                    what = '%s --root an archive with a %s (E6)' % (cname, name)
                    check.ok(r.rc == 1 and msg in r.etext and not crashed(r),
                             '%s: expected exit 1 and %r, got %s' % (what, msg, r.show()))
                    check.ok(b'\x1b' not in r.err, '%s: ESC on stderr' % what)
                    check.eq('%s: written outside' % what, [], os.listdir(outside))
                    check.eq('%s: left in $TMPDIR' % what, [], tmp_left(d))
        # decompression bombs: a gzip stream of a few KiB whose tar declares 5 GiB, or a
        # 3 GiB file (over the 2 GiB a file may have): refused before a byte is written
        for size, msg in ((5 << 30, 'decompression bomb'), (3 << 30, 'is larger than'),
                          ((1 << 64) - 1, 'truncated')):
            tar = make_tar(files)[:-1024]
            tar += tar_header(b'proc/big', size) + b'\0' * 4096
            arc = os.path.join(d, 'bomb.tar.gz')
            with open(arc, 'wb') as f:
                f.write(gzip.compress(tar, mtime=0))
            r = hz.spawn_ru([args.vmrank, '--root', arc], env=env, timeout=60)
            what = 'vmrank --root a gzip bomb of %d bytes (E6)' % size
            check.ok(r.rc == 1 and msg in r.etext and not crashed(r) and not r.timed_out,
                     '%s: expected exit 1 and %r, got %s' % (what, msg, r.show()))
            check.ok(r.rusage.ru_maxrss < 512 * 1024, '%s: peak RSS %d KiB'
                     % (what, r.rusage.ru_maxrss))
            check.eq('%s: left in $TMPDIR' % what, [], tmp_left(d))
        # a real ratio: 64 MiB of zeros in 64 KiB of gzip, then the end: read, and gone after
        tar = make_tar(files)[:-1024]
        zeros = b'\0' * (64 << 20)
        tar += tar_header(b'proc/zeros', len(zeros)) + zeros + b'\0' * 1024
        arc = os.path.join(d, 'zeros.tar.gz')
        with open(arc, 'wb') as f:
            f.write(gzip.compress(tar, compresslevel=9, mtime=0))
        hz.note('64 MiB of zeros: %d bytes of gzip' % os.path.getsize(arc))
        r = hz.spawn_ru([args.vmrank, '--root', arc, '-o', 'pid'], env=env, timeout=120)
        check.ok(r.rc == 0 and r.rusage.ru_maxrss < 256 * 1024,
                 'vmrank --root 64 MiB of zeros gzipped (E6): expected exit 0 in bounded memory, '
                 'got %s, peak RSS %d KiB' % (r.show(), r.rusage.ru_maxrss))
        check.eq('$TMPDIR after the archive of zeros (E6)', [], tmp_left(d))
        # the unpack directory is private while it lives
        tmp = os.path.join(d, 'tmp')
        p = subprocess.Popen([args.vmtop, '-b', '-n', '3', '-d', '0.5', '--root', arc],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=dict(hz.BASE_ENV, **env))
        try:
            seen = None
            for _ in range(200):
                left = os.listdir(tmp)
                if left:
                    seen = os.lstat(os.path.join(tmp, left[0]))
                    break
                time.sleep(0.01)
            if seen:
                check.eq('the unpack directory\'s mode (E6)', 0o700, stat.S_IMODE(seen.st_mode))
        finally:
            p.kill()
            p.wait()
        # a SIGKILLed reader leaves its directory: the next one removes it
        for _ in range(50):
            r = hz.run([args.vmrank, '--root', arc, '-o', 'pid'], env=env)
            if not tmp_left(d):
                break
        check.eq('$TMPDIR after a killed reader and one more run (E6)', [], tmp_left(d))
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == '__main__':
    hz.run_test([('truncated', part_truncated), ('versions', part_versions),
                 ('counts', part_counts), ('names', part_names), ('special', part_special),
                 ('archives', part_archives)])
