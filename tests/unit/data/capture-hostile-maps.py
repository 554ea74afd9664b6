#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Captures real-6.18-hostile.maps/.smaps: this kernel's own text for hostile mapping names.
# Run as any user: python3 capture-hostile-maps.py OUTDIR.  Kept beside the data so that
# the capture can be repeated on another kernel.
import mmap
import os
import sys

out = sys.argv[1] if len(sys.argv) > 1 else '.'
top = '/tmp/vmscope-capture'
os.makedirs(top, exist_ok=True)
names = [
    b'with space',
    b'trailing space ',
    b'new\nline',
    b'lit\\012backslash',
    b'back\\slash',
    b'esc\x1b[2Jbel\x07',
    b'\xff\xfe-invalid-utf8',
    b'fake (deleted)',
    b'really',
]
keep = []
for n in names:
    p = os.path.join(top.encode(), n)
    fd = os.open(p, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, b'x' * 4096)
    keep.append(mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ))
    os.close(fd)
# A file that really was deleted, and memfds (always "(deleted)", name chosen by the user).
os.unlink(os.path.join(top.encode(), b'really'))
for n in ('x', 'my memfd\x1b]0;title\x07'):
    fd = os.memfd_create(n)
    os.ftruncate(fd, 4096)
    keep.append(mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ))
    os.close(fd)

pid = os.getpid()
wanted = (top.encode(), b'/memfd:', b'[heap]', b'[stack]', b'[vvar]', b'[vvar_vclock]',
          b'[vdso]', b'[vsyscall]')


def blocks(data):
    """Split a maps/smaps text into blocks, each starting with a header line."""
    cur = []
    for line in data.split(b'\n')[:-1]:
        if line[:1] in b'0123456789abcdef' and b'-' in line.split(b' ')[0] and cur and \
                b':' not in line.split(b' ')[0]:
            yield cur
            cur = []
        cur.append(line)
    if cur:
        yield cur


for kind in ('maps', 'smaps'):
    with open('/proc/%d/%s' % (pid, kind), 'rb') as f:
        data = f.read()
    with open(os.path.join(out, 'real-6.18-hostile.' + kind), 'wb') as f:
        for b in blocks(data):
            if any(w in b[0] for w in wanted):
                f.write(b'\n'.join(b) + b'\n')

for n in names:
    try:
        os.unlink(os.path.join(top.encode(), n))
    except FileNotFoundError:
        pass
os.rmdir(top)
