# SPDX-License-Identifier: GPL-2.0-or-later
"""vmsnaplive: what vmsnap's live tests share, on top of vmlive and vmmaplive: running
vmsnap, a scratch directory every user may write, reading a capture's description."""

# The scripts get vmlive's arguments, vmmaplive's (--vmmap, --mapzoo) and
# --vmsnap.  Plain standard library only.

import contextlib
import io
import os
import shutil
import stat
import subprocess
import tarfile
import tempfile

import vmlive
import vmmaplive
from vmfaultlive import users, who  # noqa: F401 (for the test scripts)
from vmlive import Failed, Skip

# The archive kinds, by the suffix that chooses them ("/" is a directory).
KINDS = ['/', '.tar', '.tar.gz', '.tgz', '.tar.xz', '.tar.zst', '.snap']


def more_args(p):
    vmmaplive.extra_args(p)
    p.add_argument('--vmsnap', required=True, help='the built vmsnap')


def run_test(body):
    """vmlive.run_test, plus SKIP when vmsnap or vmmap is not built."""

    def wrapped(args, check):
        for prog in (args.vmsnap, args.vmmap):
            if not os.access(prog, os.X_OK):
                raise Skip('not built: ' + prog)
        body(args, check)

    vmlive.run_test(wrapped, more_args)


def vmsnap(args, *options, user=None, umask=None, timeout=120):
    argv = [args.vmsnap] + [str(o) for o in options]
    full = (vmlive.NOBODY + argv) if user == 'nobody' else argv
    pre = (lambda: os.umask(umask)) if umask is not None else None
    try:
        proc = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout, preexec_fn=pre)
    except subprocess.TimeoutExpired:
        raise Failed('`%s` did not finish within %d s' % (' '.join(full), timeout))
    return vmlive.Run(full, proc)


def capture(args, out, *pids, user=None, options=(), statuses=(0,)):
    """vmsnap -q OPTIONS -o OUT PIDS, which must exit with one of @statuses."""
    r = vmsnap(args, '-q', *options, '-o', out, *pids, user=user)
    if r.status not in statuses:
        raise Failed('%s: expected exit status %s'
                     % (r.describe(), ' or '.join(map(str, statuses))))
    return r


@contextlib.contextmanager
def scratch(args):
    """A fresh directory in the build tree that nobody may write too; removed after."""
    d = tempfile.mkdtemp(prefix='vmsnap-test.', dir=args.workdir)
    try:
        os.chmod(d, 0o1777)
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def read_member(path, name):
    """File @name of a snapshot @path (a directory, or an archive Python or zstd(1) reads)."""
    if os.path.isdir(path):
        with open(os.path.join(path, name), 'rb') as f:
            return f.read()
    if path.endswith(('.tar.zst', '.snap')):
        if not shutil.which('zstd'):
            raise Skip('zstd(1) is not installed: cannot look into %s' % path)
        data = subprocess.run(['zstd', '-dc', path], stdout=subprocess.PIPE, check=True).stdout
        tar = tarfile.open(fileobj=io.BytesIO(data))
    else:
        tar = tarfile.open(path)
    with tar:
        return tar.extractfile(name).read()


def description(path):
    """The "key value" lines of a snapshot's vmscope-snapshot file, as a dict."""
    out = {}
    for line in read_member(path, 'vmscope-snapshot').decode().splitlines():
        key, _, value = line.partition(' ')
        out[key] = value
    return out


def pid_list(desc, key):
    v = desc.get(key)
    return [int(p) for p in v.split(',')] if v else []


def remove(path):
    """Remove a capture (a directory or a file), if there."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def check_modes(check, what, path):
    """0600 files, 0700 directories, everywhere in the snapshot."""
    st = os.lstat(path)
    if stat.S_ISREG(st.st_mode):
        check.eq('%s: mode' % what, '0o600', oct(st.st_mode & 0o7777))
        return
    bad = []
    for top, dirs, files in os.walk(path):
        for name in dirs + files:
            full = os.path.join(top, name)
            m = os.lstat(full).st_mode
            want = 0o700 if stat.S_ISDIR(m) else None if stat.S_ISLNK(m) else 0o600
            if want is not None and m & 0o7777 != want:
                bad.append('%s %o' % (os.path.relpath(full, path), m & 0o7777))
    check.eq('%s: entries not 0600 (files) or 0700 (directories)' % what, [], bad[:5])
    check.eq('%s: top directory mode' % what, '0o700', oct(st.st_mode & 0o7777))
