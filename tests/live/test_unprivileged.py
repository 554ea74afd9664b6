# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: vmrank run as nobody: a named root process is denied (exit 3, EACCES),
a full scan exits 0 with a count of unreadable processes, and a non-dumpable
process of nobody's own is denied too."""

# Needs root (to become nobody with setpriv).  Runs vmrank as
#   setpriv --reuid=nobody --regid=nogroup --clear-groups vmrank ...

import os
import re
import subprocess

import vmlive
from vmlive import Skip


def check_denied(check, what, r, pid):
    # the only PID named could not be read: nothing useful, exit 1 (DESIGN: 3 is
    # for partial output, when some named PIDs were read)
    check.eq('%s: exit status (failure)' % what, 1, r.status)
    check.ok('Permission denied' in r.err,
             '%s: expected a stderr line containing "Permission denied", got %r' % (what, r.err))
    check.ok(re.search(r'\b%d\b' % pid, r.err) is not None,
             '%s: expected the pid %d in the stderr message, got %r' % (what, pid, r.err))
    doc = vmlive.parse_vmrank_json(r)
    skipped = vmlive.skipped_by_pid(doc)
    entry = skipped.get(pid)
    if check.ok(entry is not None, '%s: expected a "skipped" entry for pid %d, got %r'
                % (what, pid, doc.get('skipped'))):
        check.eq('%s: skipped[pid %d].errno' % (what, pid), 'EACCES', entry.get('errno'))
        check.ok(bool(entry.get('reason')), '%s: skipped entry without a reason: %r'
                 % (what, entry))
    check.ok(pid not in vmlive.rows_by_pid(doc),
             '%s: pid %d listed with figures although denied' % (what, pid))


def body(args, check):
    if os.geteuid() != 0:
        raise Skip('needs root to run vmrank as nobody (setpriv)')
    probe = subprocess.run(vmlive.NOBODY + [args.vmrank, '--version'],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if probe.returncode != 0:
        raise Skip('nobody cannot run %s (%s)' % (
            args.vmrank, probe.stderr.decode(errors='replace').strip()))

    with vmlive.start_layout(args, '--dir', vmlive.disk_dir(args), '--anon', '4M',
                             '--untouched', '4M', '--file', '4M', '--cow', '4M',
                             '--swap', '4M') as h:
        pid = h.pid
        # A root-owned process named explicitly: denied, partial.
        r = vmlive.vmrank(args, '-J', '-p', pid, user='nobody')
        check_denied(check, 'nobody: vmrank -J -p %d (root-owned)' % pid, r, pid)

        # The same in table form still says why, on stderr.
        r = vmlive.vmrank(args, '-p', pid, user='nobody')
        check.eq('nobody: vmrank -p %d (table): exit status' % pid, 1, r.status)
        check.ok('Permission denied' in r.err,
                 'nobody: vmrank -p %d (table): stderr %r' % (pid, r.err))

        # A full scan: not partial; one summary line counts the unreadable.
        r = vmlive.vmrank(args, '-J', user='nobody')
        check.eq('nobody: full scan: exit status', 0, r.status)
        m = re.search(r'^vmrank: (\d+) process(?:es)? not readable: permission denied',
                      r.err, re.M)
        if check.ok(m is not None, 'nobody: full scan: expected a stderr line "vmrank: N '
                    'processes not readable: permission denied...", got %r' % r.err):
            n = int(m.group(1))
            check.ok(n >= 2, 'nobody: full scan: at least the layout parent and child are '
                     'unreadable, the count says %d' % n)
            doc = vmlive.parse_vmrank_json(r)
            denied = [s for s in (doc.get('skipped') or []) if s.get('errno') == 'EACCES']
            if doc.get('skipped') is not None:
                check.eq('nobody: full scan: stderr count vs EACCES entries in "skipped"',
                         len(denied), n)
                check.ok(pid in {s.get('pid') for s in denied},
                         'nobody: full scan: root-owned pid %d not among the EACCES '
                         'skipped entries' % pid)
            check.ok(pid not in vmlive.rows_by_pid(doc),
                     'nobody: full scan: root-owned pid %d listed with figures' % pid)
        lines = [l for l in r.err.splitlines() if 'permission denied' in l.lower()]
        check.ok(len(lines) == 1, 'nobody: full scan: expected one summary line for '
                 'permission denied, not one per process: %r' % lines[:5])

    # One pid denied, one readable: exit 3, the readable one listed.
    with vmlive.start_layout(args, '--dir', vmlive.disk_dir(args), '--anon', '1M',
                             '--untouched', '1M', '--file', '1M', '--cow', '1M',
                             '--swap', '1M') as root_h, \
            vmlive.Helper([args.empty_cmdline], user='nobody', name='empty_cmdline') as own:
        denied, mine = root_h.pid, own.pid
        what = 'nobody: vmrank -J -p %d,%d (root-owned, own)' % (denied, mine)
        r = vmlive.vmrank(args, '-J', '-p', '%d,%d' % (denied, mine), user='nobody')
        check.eq('%s: exit status (partial)' % what, 3, r.status)
        check.ok('Permission denied' in r.err, '%s: stderr %r' % (what, r.err))
        doc = vmlive.parse_vmrank_json(r)
        rows = vmlive.rows_by_pid(doc)
        check.eq('%s: pids listed' % what, [mine], sorted(rows))
        check.ok(isinstance((rows.get(mine) or {}).get('rss'), int),
                 '%s: own pid %d without figures: %r' % (what, mine, rows.get(mine)))
        check.eq('%s: skipped[%d].errno' % (what, denied), 'EACCES',
                 (vmlive.skipped_by_pid(doc).get(denied) or {}).get('errno'))

    # nobody's own process, made non-dumpable: denied to nobody as well.
    with vmlive.Helper([args.nodump], user='nobody', name='nodump') as nd:
        pid = nd.pid
        check.eq('nodump helper: euid', 65534, nd.info['uid'])
        check.eq('nodump helper: dumpable', 0, nd.info['dumpable'])
        r = vmlive.vmrank(args, '-J', '-p', pid, user='nobody')
        check_denied(check, 'nobody: vmrank -J -p %d (own, non-dumpable)' % pid, r, pid)
        # root may read it (CAP_SYS_PTRACE), unless an LSM says otherwise.
        r = vmlive.vmrank_json(args, '-p', pid, statuses=(0, 1))
        if r.status == 0:
            row = vmlive.rows_by_pid(r.doc).get(pid)
            check.ok(row is not None and isinstance(row.get('rss'), int)
                     and row['rss'] >= nd.info['size'],
                     'root: vmrank -p %d (non-dumpable): expected rss >= %d, got %r'
                     % (pid, nd.info['size'], row))
            check.eq('root: vmrank -p %d: uid' % pid, 65534, row and row.get('uid'))
        else:
            vmlive.note('root could not read the non-dumpable helper: %s' % r.err.strip())


if __name__ == '__main__':
    vmlive.run_test(body)
