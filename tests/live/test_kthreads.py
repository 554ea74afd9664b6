# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: kernel threads are hidden by default and listed by --kthreads with null
memory figures."""

# What is asserted for kernel threads (vmrank's contract: they have no address
# space, so their memory figures are null in JSON, not 0):
#  - every figure that comes from smaps_rollup (rss, pss, uss, swap, ...) is null;
#  - vsz, which comes from /proc/PID/stat, is 0 or null (both accepted);
#  - pid 2 (kthreadd) has comm "kthreadd" and the state /proc/2/stat shows;
#  - a default scan lists no kernel thread, exits 0 and does not count kernel
#    threads as skipped.

import vmlive


def body(args, check):
    if vmlive.is_kthread(2) is not True:
        raise vmlive.Skip('pid 2 is not a kernel thread here (a pid namespace?)')

    r = vmlive.vmrank_json(args)
    rows = vmlive.rows_by_pid(r.doc)
    check.ok(2 not in rows, 'default scan: kernel thread 2 listed: %r' % rows.get(2))
    kthreads = [pid for pid in rows if vmlive.is_kthread(pid)]
    check.eq('default scan: kernel threads listed', [], kthreads)
    check.ok(2 not in vmlive.skipped_by_pid(r.doc),
             'default scan: kernel thread 2 counted as skipped: %r'
             % vmlive.skipped_by_pid(r.doc).get(2))
    check.ok('kernel' not in r.err.lower(),
             'default scan: stderr mentions kernel threads: %r' % r.err)

    before = vmlive.proc_state(2)
    r = vmlive.vmrank_json(args, '--kthreads')
    after = vmlive.proc_state(2)
    rows = vmlive.rows_by_pid(r.doc)
    row = rows.get(2)
    if not check.ok(row is not None, '--kthreads: pid 2 not listed'):
        return
    check.eq('--kthreads: pid 2 comm', 'kthreadd', row.get('comm'))
    check.ok(row.get('state') in (before, after),
             '--kthreads: pid 2 state: expected %r (from /proc/2/stat), got %r'
             % (before, row.get('state')))
    if 'kthread' in row:
        check.eq('--kthreads: pid 2 kthread', True, row.get('kthread'))
    for k in vmlive.ROLLUP_FIGURES:
        check.eq('--kthreads: pid 2 %s (no address space: null)' % k, None,
                 row.get(k, '<missing>'))
    check.ok(row.get('vsz') in (0, None),
             '--kthreads: pid 2 vsz: expected 0 or null, got %r' % row.get('vsz'))
    n = sum(1 for pid in rows if vmlive.is_kthread(pid))
    check.ok(n > 1, '--kthreads: expected several kernel threads, got %d' % n)
    check.eq('--kthreads: exit status', 0, r.status)


if __name__ == '__main__':
    vmlive.run_test(body)
