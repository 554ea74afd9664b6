# SPDX-License-Identifier: GPL-2.0-or-later
"""target.py: a process for the privilege tests to look at: chosen comm, mapped files
with chosen names (hostile, or in a very deep directory), touched anonymous memory,
optionally non-dumpable.  Prints one JSON line, then waits for EOF on stdin."""

# Usage: python3 target.py [options] [-- BALLAST...]
#   --comm HEX        set /proc/self/comm to these bytes (hex-encoded, at most 15)
#   --dir DIR         where files are created (must exist, writable)
#   --map HEX         map a 4-page file named by these bytes (hex) in DIR; repeatable
#   --deep N          map a file whose path is about N bytes long (nested in DIR)
#   --deep-name HEX   the name of each nested directory (hex; default 255 'd's)
#   --anon PAGES      anonymous pages written (default 64)
#   --nodump          prctl(PR_SET_DUMPABLE, 0)
# The BALLAST arguments only make the command line long or hostile.
# JSON: {"pid", "uid", "anon": "0x..", "pages", "files": [{"path_hex", "start"}]}.

import argparse
import ctypes
import json
import mmap
import os
import sys

PAGE = os.sysconf('SC_PAGE_SIZE')


def map_file(path_bytes, dir_fd=None, name=None):
    """Create a 4-page file and map it shared, its pages read; return the mmap."""
    if dir_fd is not None:
        fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644, dir_fd=dir_fd)
    else:
        fd = os.open(path_bytes, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, b'v' * (4 * PAGE))
        m = mmap.mmap(fd, 4 * PAGE, mmap.MAP_SHARED, mmap.PROT_READ)
    finally:
        os.close(fd)
    for i in range(4):
        m[i * PAGE]
    return m


def deep_file(top, total, dname):
    """A file at a path of about `total` bytes: nested directories, walked with dir
    fds (a path longer than PATH_MAX cannot be opened in one go)."""
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    path = top.encode() if isinstance(top, str) else top
    while len(path) + len(dname) + 1 < total - 16:
        try:
            os.mkdir(dname, dir_fd=fd)
        except FileExistsError:
            pass
        nfd = os.open(dname, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = nfd
        path += b'/' + dname
    name = b'deep-file'
    m = map_file(None, dir_fd=fd, name=name)
    os.close(fd)
    return m, path + b'/' + name


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--comm')
    p.add_argument('--dir')
    p.add_argument('--map', action='append', default=[])
    p.add_argument('--deep', type=int)
    p.add_argument('--deep-name')
    p.add_argument('--anon', type=int, default=64)
    p.add_argument('--nodump', action='store_true')
    p.add_argument('ballast', nargs='*')
    a = p.parse_args()

    if a.nodump:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(4, 0, 0, 0, 0) != 0:  # PR_SET_DUMPABLE
            sys.exit('target: prctl: %s' % os.strerror(ctypes.get_errno()))
    if a.comm is not None:
        with open('/proc/self/comm', 'wb') as f:
            f.write(bytes.fromhex(a.comm))

    keep = []
    files = []
    for h in a.map:
        path = os.path.join(a.dir.encode(), bytes.fromhex(h))
        m = map_file(path)
        keep.append(m)
        files.append(path)
    if a.deep:
        dname = bytes.fromhex(a.deep_name) if a.deep_name else b'd' * 255
        m, path = deep_file(a.dir.encode(), a.deep, dname)
        keep.append(m)
        files.append(path)

    anon = mmap.mmap(-1, a.anon * PAGE, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    for i in range(a.anon):
        anon[i * PAGE] = 1
    addr = ctypes.addressof(ctypes.c_char.from_buffer(anon))

    # the address of each file mapping, from our own maps (names as the kernel prints)
    starts = {}
    with open('/proc/self/maps', 'rb') as f:
        for line in f:
            rng, rest = line.split(b' ', 1)
            parts = rest.rstrip(b'\n').split(None, 4)
            if len(parts) == 5:
                starts.setdefault(parts[4], '0x' + rng.split(b'-')[0].decode())
    out = {'pid': os.getpid(), 'uid': os.geteuid(), 'anon': '0x%x' % addr, 'pages': a.anon,
           'files': [{'path_hex': f.hex(), 'start': starts.get(f)} for f in files]}
    sys.stdout.write(json.dumps(out) + '\n')
    sys.stdout.flush()
    sys.stdin.buffer.read()
    # no teardown: the mmaps are still exported to ctypes
    os._exit(0)


if __name__ == '__main__':
    main()
