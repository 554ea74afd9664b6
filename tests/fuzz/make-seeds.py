#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# The first seed corpus of each fuzz target, from the fixture trees, tests/unit/data and
# this machine's /proc: ./make-seeds.py OUTDIR (then FUZZ_MERGE=1 run-fuzz.sh minimises it
# into corpus/).  Standard library only.
import io
import os
import struct
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
FIX = os.path.join(TESTS, 'fixtures')
DATA = os.path.join(TESTS, 'unit', 'data')
MAX = 64 * 1024


def read(path, limit=MAX):
    try:
        with open(path, 'rb') as f:
            return f.read(limit)
    except OSError:
        return None


def glob(root, suffix):
    out = []
    for d, _, files in os.walk(root):
        for f in files:
            if f == suffix or f.endswith('.' + suffix):
                out.append(os.path.join(d, f))
    return sorted(out)


class Seeds:
    def __init__(self, outdir):
        self.outdir = outdir
        self.n = {}

    def add(self, target, name, data):
        if data is None:
            return
        d = os.path.join(self.outdir, target)
        os.makedirs(d, exist_ok=True)
        k = self.n.get(target, 0)
        self.n[target] = k + 1
        safe = ''.join(c if c.isalnum() or c in '-_.' else '_' for c in name)[:60]
        with open(os.path.join(d, 'seed-%03d-%s' % (k, safe)), 'wb') as f:
            f.write(data[:MAX])


def sparse_values(path, limit=2048):
    """The values of a vmscope sparse u64 file."""
    b = read(path, 1 << 20)
    vals = []
    if not b or b[:8] != b'VMSPARSE':
        return vals
    off = 16
    while off + 16 <= len(b) and len(vals) < limit:
        first, count = struct.unpack_from('<QQ', b, off)
        off += 16
        for i in range(min(count, limit - len(vals))):
            vals.append(struct.unpack_from('<Q', b, off + 8 * i)[0])
        off += 8 * count
    return vals


def sparse_file(records):
    out = b'VMSPARSE' + struct.pack('<II', 1, 8)
    for first, vals in records:
        out += struct.pack('<QQ', first, len(vals)) + b''.join(struct.pack('<Q', v) for v in vals)
    return out


def head_format(files):
    """Files as head(1) prints several: the snapshot target's input."""
    out = b''
    for i, (rel, data) in enumerate(files):
        out += (b'\n' if i else b'') + b'==> ' + rel.encode() + b' <==\n' + data
        if not data.endswith(b'\n'):
            out += b'\n'
    return out


def tree_files(root, limit=48 * 1024, skip=()):
    files = []
    total = 0
    for d, dirs, names in os.walk(root):
        dirs.sort()
        for n in sorted(names):
            p = os.path.join(d, n)
            rel = os.path.relpath(p, root)
            if os.path.islink(p) or any(s in rel for s in skip):
                continue
            data = read(p)
            if data is None or total + len(data) > limit:
                continue
            files.append((rel, data))
            total += len(data)
    return files


def main():
    s = Seeds(sys.argv[1])
    live_pids = ['self', '1']

    # text parsers: fixtures, unit data, live files
    for target, suffix, live in [
            ('maps', 'maps', 'maps'), ('smaps', 'smaps', 'smaps'),
            ('rollup', 'smaps_rollup', 'smaps_rollup'), ('stat', 'stat', 'stat'),
            ('status', 'status', 'status')]:
        for p in glob(DATA, suffix)[:8] + glob(os.path.join(FIX, 'hostile'), suffix)[:4] + \
                glob(os.path.join(FIX, 'basic'), suffix)[:3]:
            s.add(target, os.path.relpath(p, TESTS), read(p))
        for pid in live_pids:
            s.add(target, 'live-%s-%s' % (pid, live), read('/proc/%s/%s' % (pid, live)))
    for target in ['meminfo', 'vmstat', 'swaps']:
        for p in glob(DATA, target) + glob(os.path.join(FIX, 'swap-multi'), target)[:2] + \
                glob(os.path.join(FIX, 'basic'), target)[:1]:
            s.add(target, os.path.relpath(p, TESTS), read(p))
        s.add(target, 'live', read('/proc/' + target))
    s.add('swaps', 'escaped', b'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n'
          b'/swap\\040file\\134x\t\t\tfile\t\t1048572\t\t0\t\t-2\n/dev/zram0  partition 4 0 100\n')
    s.add('stat', 'comm-parens', b'42 (a) (b) c) R 1 42 42 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 99'
          b' 1234 56\n')

    # pagemap words: header (mode, offset, pre, post) then entries
    for i, p in enumerate(glob(os.path.join(FIX, 'pages'), 'pagemap')[:2] +
                          glob(os.path.join(FIX, 'pages-unpriv'), 'pagemap')[:1]):
        vals = [v for v in sparse_values(p) if v][:512]
        hdr = struct.pack('<BHHH', i & 7, 510 * (i + 1), 3, 600)
        s.add('pagemap', os.path.relpath(p, TESTS), hdr + b''.join(struct.pack('<Q', v) for v in vals))
    pm = read('/proc/self/pagemap', 8 * 64)
    if pm:
        s.add('pagemap', 'live-self', struct.pack('<BHHH', 6, 0, 0, 0) + pm)
    huge = [(1 << 63) | (1 << 61) | (512 + k) for k in range(512)] + [1 << 62 | 5 << 5 | 3, 1 << 58 | 1 << 62]
    s.add('pagemap', 'huge-block', struct.pack('<BHHH', 5, 0, 0, 2) +
          b''.join(struct.pack('<Q', v) for v in huge))

    # sparse files: query (index u64, n u16) then the file
    for p in glob(os.path.join(FIX, 'pages'), 'kpageflags')[:1] + glob(os.path.join(FIX, 'pages'), 'pagemap')[:1]:
        vals = sparse_values(p, 300)
        s.add('sparse', os.path.relpath(p, TESTS), struct.pack('<QH', 0, 64) +
              sparse_file([(0, vals[:100]), (1000, vals[100:300])]))
    s.add('sparse', 'gaps', struct.pack('<QH', 5, 40) +
          sparse_file([(3, [1, 2, 3]), (10, [4]), (2**64 - 5, [7, 8])]))

    # perf rings: tail u64, avail u32, log2(size) - 3, then records
    def sample(ident, pid, tid, addr):
        return struct.pack('<IHHQIIQ', 9, 0, 32, ident, pid, tid, addr)

    def mmap2(ident, pid, name):
        nm = name + b'\0'
        nm += b'\0' * (-len(nm) % 8)
        size = 72 + len(nm) + 16
        return struct.pack('<IHHIIQQQQQQII', 10, 0, size, pid, pid, 0x400000, 4096, 0, 0, 0, 0, 5, 2) + \
            nm + struct.pack('<IIQ', pid, pid, ident)
    lost = struct.pack('<IHHQQIIQ', 2, 0, 40, 100, 7, 0, 0, 100)
    ring = sample(100, 1, 1, 0x1000) + sample(201, 1, 2, 0x2000) + mmap2(100, 1, b'/usr/bin/x') + lost
    s.add('perf', 'records', struct.pack('<QIB', 0, len(ring), 6) + ring)
    s.add('perf', 'wrapped', struct.pack('<QIB', 200, len(ring), 5) + ring)

    # swapx: the zram and cgroup files, NUL-separated, in fuzz_swapx.c's order
    for v in ['swapx-v1', 'swapx-v2']:
        root = os.path.join(FIX, v)
        parts = []
        for rel in ['sys/block/zram0/mm_stat', 'sys/block/zram0/comp_algorithm',
                    'sys/block/zram0/disksize', 'proc/4242/cgroup',
                    'sys/fs/cgroup/cgroup.controllers']:
            parts.append(read(os.path.join(root, rel)) or b'')
        s.add('swapx', v, b'\0'.join(parts))
    s.add('swapx', 'v1-files', b'\0'.join([b'1 2 3 4 5 6 7\n', b'[lzo]', b'0\n', b'5:memory,foo:/a\n', b'\n',
                                          b'1\n', b'max\n', b'oom 1\n', b'100\n', b'under_oom 1\noom_kill 3\n',
                                          b'9\n', b'50\n']))

    # snapshot trees, in head(1)'s format
    for v, skip in [('faults/t0', ()), ('swapx-v2', ()), ('perf-paranoid-2', ()), ('bad-format', ()),
                    ('pages', ('20308', 'kpagecount', 'kpagecgroup', 'smaps')),
                    ('basic', ('22057', '20988', '/2/', 'smaps')), ('vmtop/t1', ()),
                    ('swap-multi', ('smaps',))]:
        root = os.path.join(FIX, v)
        if os.path.isdir(root):
            s.add('snapshot', v, head_format(tree_files(root, skip=skip)))
    for v in ['root-basic', 'root-corrupt', 'root-future-format']:
        s.add('snapshot', v, head_format(tree_files(os.path.join(DATA, v))))

    # archives: small trees as tar, tar.gz, tar.xz, tar.zst
    for v, comp in [('faults/t0', ''), ('swapx-v2', 'gz'), ('perf-paranoid-2', 'xz'), ('bad-format', '')]:
        root = os.path.join(FIX, v)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode='w:' + comp, format=tarfile.GNU_FORMAT) as t:
            for rel, data in tree_files(root, limit=16 * 1024):
                ti = tarfile.TarInfo(rel)
                ti.size = len(data)
                ti.mode = 0o600
                t.addfile(ti, io.BytesIO(data))
        s.add('archive', v + '.tar' + ('.' + comp if comp else ''), buf.getvalue())
    s.add('archive', 'snapdiff-old.tar.gz', read(os.path.join(FIX, 'snapdiff-old.tar.gz')))
    tar = read(os.path.join(s.outdir, 'archive', 'seed-000-faults_t0.tar'))
    if tar:
        try:
            z = subprocess.run(['zstd', '-q', '-c'], input=tar, capture_output=True, check=True).stdout
            s.add('archive', 'faults_t0.tar.zst', z)
        except (OSError, subprocess.CalledProcessError):
            pass

    # the shared option parsers: op byte, then the argument
    for op, arg in [(0, b'1,2,3'), (0, b'4194304'), (0, b'1,,2'), (1, b'10'), (129, b'100000000'),
                    (2, b'0.5'), (130, b'0'), (2, b'1e3'), (3, b'json'), (3, b'openmetrics'),
                    (4, b'+rss,rate'), (5, b'name,count'), (0x1c, b'pid'), (0x25, b'name,\x1b[31m'),
                    (5, b'a,b,c'), (6, b'AnonHugePages'), (16, b'THPeligible'), (7, b'\x00\x10\x00\x00'),
                    (8, b'4194305'), (8, b'007'), (9, b'host\x00time\x00until\x00kernel\x1b')]:
        s.add('cxparse', 'op%d' % op, bytes([op]) + arg)

    # JSON strings and the sanitizer: valid and invalid UTF-8, controls, bidi, C1
    texts = [b'plain', 'caf\u00e9 \u65e5\u672c'.encode(), b'\xff\xfe bad', b'\xc0\x80 overlong',
             b'\xed\xa0\x80 surrogate', b'\xf4\x90\x80\x80 too big', b'tab\there\nnl\x1b[2J',
             '\u202e bidi \u200f'.encode(), b'\xc2\x9b C1 CSI', b'quote " back \\ slash',
             b'\xe2\x82', b'\x7f del', b'\x01\x02\x03\x04\x05\x06\x07\x08']
    for i, t in enumerate(texts):
        s.add('json', 'text%d' % i, t)
        s.add('sanitize', 'text%d' % i, bytes([i & 3]) + t)

    # command lines: arguments NUL-separated
    lines = {
        'vmrank': ['--by mapping -N 20', '--by user --tree', '--exact --by user', '--exact -p 1,2',
                   '--format openmetrics', '--root ./snap --by program -t', '-U www-data -P php-fpm -o pid,swap,pss',
                   '-o +pss_anon,pss_file -t', '-p 1234,5678 -J', '-r -n -b -o pss', '-s uss -N 10', '-w',
                   '--output-all -J', '-j 4 --kthreads --reverse', '-P (', '--bogus'],
        'vmmap': ['--layout 1234', '--pages 1234', '--root ./snap 1234', '-A 0x7f0000000000, 1234',
                  '-J 1234 5678', '-g kind 1234', '-g path 1234', '-s rss -o +vm_flags 1234', '-x 1234',
                  '--layout --ascii -T 1', '-A ,ffff 1', '-h'],
        'vmwalk': ['1234 0x7f0000000000', '1234 0x1000-0x3000', '1234 0x1000+2M', '--pages 1 0x1000+4KiB',
                   '--pages -o +mapping 1234 --mapping libc.so', '--pfn 0x1b5229', '--pfn 12345',
                   '1234 --shared-with 5678', '--method read 1 ffffffffff600000', '1 0x800000000000',
                   '-J --pages -s addr --reverse 1 0+1G'],
        'vmfault': ['-p 1234 -T', '-i 0.5 -c 5 -N 20 -s majflt_rate', '--where -p 1 -c 6', '-J -i 5 -N 1',
                    '--format openmetrics', '--root a --root b --root c', '--tlb -- ./prog x',
                    '--output-file f -- make -j8', '-N 0 -o +majflt_rate'],
        'vmswap': ['--activity --root a --root b', '--activity -i 2 -c 10', '--exact', '--format openmetrics',
                   '--oom -N 5', '--root tests/fixtures/swap-multi', '-J -i 0', '-a -s swap_pct',
                   '-p 1234,5678 -o +oom_score,cgroup', '--output-all --oom'],
        'vmsnap': ['--pages -o snap/ 1234 5678', '-o /var/tmp/after.tar.zst', '-q -o x --force',
                   'diff a b', 'diff -a -N 5 -s rss -J a b', 'diff -o +rss_delta a b', 'diff -r -n -b x'],
        'vmtop': ['--root a --root b -n 2', '-b --root t1 --root t2 -n 2 -w 100', '-b -d 60 -n 1440',
                  '-b -n 1 -w 120 -s uss', '-p 1234,5678 -o pid,rss,swap,majflt,command', '-s pss -d 2 -t',
                  '-u 0 -o +minflt_total', '-u root --root x', '--no-color --reverse -d 0.1'],
    }
    for cmd, ls in lines.items():
        for i, l in enumerate(ls):
            s.add('argv-' + cmd, 'line%d' % i, b'\0'.join(a.encode() for a in l.split(' ')))


if __name__ == '__main__':
    main()
