# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: pages pushed to swap with MADV_PAGEOUT show up exactly in vmrank's swap figures."""

# Needs swap.  If none is active and we are root, a 256 MiB swap file is set
# up in a temporary directory on a disk filesystem (not tmpfs), and switched
# off and removed in a finally: block, also on failure or SIGTERM (timeout).
# If the kernel puts nothing in swap, the test SKIPs with that reason rather
# than passing on zeros.

import contextlib
import os
import shutil
import subprocess
import tempfile

import vmlive
from vmlive import MIB, Skip

SWAPFILE_MIB = 256


def active_swaps():
    with open('/proc/swaps') as f:
        return [line.split()[0] for line in f.read().splitlines()[1:] if line.strip()]


def run_quiet(argv):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    return p.returncode, p.stdout.decode(errors='replace').strip()


@contextlib.contextmanager
def swap_available(args):
    """Yield when swap is on: the system's own, or a swap file of ours."""
    if active_swaps():
        vmlive.note('using the active swap: %s' % ', '.join(active_swaps()))
        yield
        return
    if os.geteuid() != 0:
        raise Skip('no swap is active and only root can set up a swap file')
    for tool in ('mkswap', 'swapon', 'swapoff'):
        if not shutil.which(tool) and not os.path.exists('/usr/sbin/' + tool) \
                and not os.path.exists('/sbin/' + tool):
            raise Skip('%s not found' % tool)
    d = vmlive.disk_dir(args)
    tmp = tempfile.mkdtemp(prefix='vmscope-swap-', dir=d)
    path = os.path.join(tmp, 'swapfile')
    on = False
    try:
        # Written out (not fallocate'd): every filesystem that takes swap
        # files at all takes a fully written one.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            block = b'\0' * MIB
            for _ in range(SWAPFILE_MIB):
                os.write(fd, block)
            os.fsync(fd)
        finally:
            os.close(fd)
        rc, out = run_quiet(['mkswap', path])
        if rc:
            raise Skip('mkswap %s failed: %s' % (path, out))
        rc, out = run_quiet(['swapon', path])
        if rc:
            raise Skip('swapon %s failed (%s filesystem): %s' % (path, vmlive.fs_type(d), out))
        on = True
        vmlive.note('swap file %s (%d MiB) on %s' % (path, SWAPFILE_MIB, vmlive.fs_type(d)))
        yield
    finally:
        if on:
            rc, out = run_quiet(['swapoff', path])
            if rc:
                print('WARNING: swapoff %s failed: %s' % (path, out), flush=True)
        with contextlib.suppress(OSError):
            os.unlink(path)
        with contextlib.suppress(OSError):
            os.rmdir(tmp)


def body(args, check):
    s_size, pageout = 64 * MIB, 32 * MIB
    with swap_available(args):
        # Small other regions: this test is about S.
        with vmlive.start_layout(args, '--dir', vmlive.disk_dir(args), '--anon', '4M',
                                 '--untouched', '4M', '--file', '4M', '--cow', '4M',
                                 '--swap', '%d' % s_size, '--pageout', '%d' % pageout) as h:
            info = h.info
            pid = info['pid']
            page = info['page_size']
            sreg = info['regions']['S']
            start, end = int(sreg['start'], 16), int(sreg['end'], 16)
            if info['swap_pages'] == 0:
                raise Skip('MADV_PAGEOUT put nothing of region S in swap '
                           '(the helper saw Swap: 0 kB in its own smaps)')
            vmlive.note('helper reports %d of %d pages of S in swap'
                        % (info['swap_pages'], s_size // page))

            def read(p):
                return (vmlive.read_rollup(p), vmlive.read_smaps(p))

            views, r = vmlive.measure(args, [pid], ['-p', pid], read=read)
            rollup, vmas = views[pid]
            row = vmlive.rows_by_pid(r.doc).get(pid)
            if not check.ok(row is not None, 'vmrank -J -p %d did not list the pid' % pid):
                return
            svma = [v for v in vmas if v['start'] == start and v['end'] == end]
            if not check.ok(len(svma) == 1, 'region S is not exactly one VMA'):
                return
            s_swap = svma[0]['c'].get('Swap', 0)
            s_rss = svma[0]['c'].get('Rss', 0)
            base_swap = sum(v['c'].get('Swap', 0) for v in vmas if v is not svma[0])
            check.ok(s_swap > 0, 'region S: expected pages in swap, smaps says Swap 0')
            check.ok(s_swap <= pageout, 'region S: Swap %d exceeds the %d bytes paged out'
                     % (s_swap, pageout))
            check.eq('region S: Swap now vs what the helper saw', info['swap_pages'] * page,
                     s_swap)
            check.eq('region S: Rss + Swap', s_size, s_rss + s_swap)
            check.eq('region S: SwapPss (one owner)', s_swap, svma[0]['c'].get('SwapPss'))
            check.eq('vmrank swap == bytes the kernel put in swap (S %d + baseline %d)'
                     % (s_swap, base_swap), s_swap + base_swap, row.get('swap'))
            check.ok(isinstance(row.get('swap'), int) and row['swap'] > 0,
                     'vmrank swap: expected > 0, got %r' % row.get('swap'))
            vmlive.check_figures(check, 'pid %d: vmrank vs smaps_rollup' % pid,
                                 vmlive.figures_from_counters(rollup), row)


if __name__ == '__main__':
    vmlive.run_test(body)
