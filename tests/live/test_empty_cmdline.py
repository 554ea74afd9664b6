# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: a user process with an empty command line (argc == 0 exec) is listed,
not hidden and not taken for a kernel thread."""

# smem hides such a process, and tools that test "empty cmdline" to find
# kernel threads misclassify it.  Kernel threads are hidden by default, so a
# process that is listed by a default scan, with memory figures, is not
# taken for one; if the JSON carries a "kthread" key it must be false.

import vmlive


def body(args, check):
    with vmlive.Helper([args.empty_cmdline], name='empty_cmdline') as h:
        pid = h.info['pid']
        vmlive.note('helper: argc %d, %d byte(s) of cmdline' % (h.info['argc'],
                                                                h.info['cmdline_bytes']))
        check.eq('/proc/%d/status Kthread' % pid, False, vmlive.is_kthread(pid))

        for what, opts in (('full scan', []), ('-p %d' % pid, ['-p', pid])):
            r = vmlive.vmrank_json(args, *opts)
            row = vmlive.rows_by_pid(r.doc).get(pid)
            if not check.ok(row is not None, '%s: the empty-cmdline process %d is not listed '
                            '(skipped: %r)' % (what, pid,
                                               vmlive.skipped_by_pid(r.doc).get(pid))):
                continue
            check.eq('%s: pid %d comm' % (what, pid), 'empty_cmdline', row.get('comm'))
            # The raw command line is one NUL byte: "" in JSON.  "[comm]" is
            # ps's notation for kernel threads, the confusion this test is about.
            check.eq('%s: pid %d JSON cmdline (raw: one NUL byte; "[comm]" would mark '
                     'a kernel thread)' % (what, pid), '', row.get('cmdline'))
            if 'kthread' in row:
                check.eq('%s: pid %d kthread' % (what, pid), False, row.get('kthread'))
            rss = row.get('rss')
            check.ok(isinstance(rss, int) and rss > 0,
                     '%s: pid %d rss: expected a positive figure (it has an address space), '
                     'got %r' % (what, pid, rss))
            check.ok(row.get('state') in ('S', 'R'),
                     '%s: pid %d state: expected S or R, got %r' % (what, pid, row.get('state')))


if __name__ == '__main__':
    vmlive.run_test(body)
