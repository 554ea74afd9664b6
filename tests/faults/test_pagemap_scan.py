# SPDX-License-Identifier: GPL-2.0-or-later
"""Fault test C14: the PAGEMAP_SCAN ioctl.  When it fails with ENOTTY (a kernel before
6.7) or EINVAL (an unknown category: the guard category before 6.15, or every scan), the
commands fall back to read() and give the same page counts; and no scan they make ever
asks to write-protect (flags 0: never PM_SCAN_WP_MATCHING nor PM_SCAN_CHECK_WPASYNC), which
the target's pagemap bit 57 confirms on pages registered for uffd-wp tracking.  And a
kernel thread's pagemap is never opened (C7)."""

# The shim fails the scans (VMSF_SCAN_ERRNO, VMSF_SCAN_GUARD_ERRNO) and logs
# each one's flags and masks (VMSF_SCAN_LOG).  A continuation after a full
# output vector (walk_end) is the unit test's (tests/unit/test_pagemap.c:
# live_scan_continues_past_full_vectors), with the same "never write-protect"
# check on the library's own process (live_scan_never_write_protects).

import os

import faultlib as fl

def read_log(path):
    rows = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                rows.append(dict(kv.split('=') for kv in line.split()))
        os.unlink(path)
    return rows


def vmmap_pages(doc):
    """The pagemap-derived page counts of each process of a vmmap --pages document."""
    keys = ('present', 'swapped', 'file', 'soft_dirty', 'guard', 'none', 'unknown')
    out = {}
    for p in doc.get('processes') or []:
        pages = (p.get('totals') or {}).get('pages') or {}
        out[p.get('pid')] = {k: pages.get(k) for k in keys}
    return out


def vmwalk_pages(doc):
    keys = ('present', 'swapped', 'guard', 'none', 'unknown', 'not_mapped', 'total', 'file')
    s = doc.get('summary') or {}
    return {k: (s.get(k) or {}).get('pages') for k in keys}


def body(args, check):
    log = fl.scratch_file(args, 'vmsf-scan-')
    os.unlink(log)  # the shim makes it at the first scan
    with fl.victim(args, '--uffd-wp', '64') as v:
        rng = '%s-%s' % (v.info['first'], v.info['last_end'])
        wp = v.info.get('wp')
        if not wp:
            fl.note('no uffd-wp region in the target (%s): bit 57 is not checked, the '
                    'flags of every scan still are' % v.info.get('wp_error'))
        runs = {
            'vmmap': ([args.vmmap, '--pages', '-J', v.pid], vmmap_pages),
            'vmwalk': ([args.vmwalk, '-J', v.pid, rng], vmwalk_pages),
        }
        if wp:
            runs['vmwalk-wp'] = ([args.vmwalk, '-J', v.pid, '%s+%#x' % (wp['start'],
                                                                         wp['pages'] * 4096)],
                                 vmwalk_pages)
        if os.geteuid() == 0:
            runs['vmrank'] = ([args.vmrank, '--exact', '--by', 'user', '-J', '-p', v.pid],
                              None)

        # Normal runs: every scan logged with flags 0
        ref = {}
        scans = 0
        for name, (argv, pages) in runs.items():
            r = fl.run(argv, env=fl.shim_env(args, scan_log=log))
            fl.check_clean(check, r)
            check.eq('%s: exit status' % r.cmd(), 0, r.status)
            calls = read_log(log)
            scans += len(calls)
            # flags: none at all (WP_MATCHING and CHECK_WPASYNC are the only ones)
            bad = [c for c in calls if int(c.get('flags', '0'), 16) != 0]
            check.eq('%s: PAGEMAP_SCAN calls with flags' % r.cmd(), [], bad)
            if r.status == 0 and pages:
                ref[name] = pages(r.json())
        if scans == 0:
            fl.note('no PAGEMAP_SCAN call was made: a kernel without it (< 6.7)?')
        if wp:
            v.send('check')
            got = v.read_json()
            check.eq('pagemap bit 57 (uffd-wp) set on the target\'s tracked pages after the '
                     'scans', 0, got.get('wp_set'))

        # Fallbacks: the same page counts by read()
        for env, what in (({'scan_errno': 'ENOTTY'}, 'PAGEMAP_SCAN gives ENOTTY'),
                          ({'scan_errno': 'EINVAL'}, 'PAGEMAP_SCAN gives EINVAL'),
                          ({'scan_guard_errno': 'EINVAL'},
                           'PAGEMAP_SCAN knows no guard category (EINVAL)')):
            for name, (argv, pages) in runs.items():
                r = fl.run(argv, env=fl.shim_env(args, scan_log=log, **env))
                tag = '%s (%s)' % (r.cmd(), what)
                fl.check_clean(check, r, tag)
                check.eq('%s: exit status' % tag, 0, r.status)
                calls = read_log(log)
                if 'scan_errno' in env:
                    # the probe, once: then read() only
                    check.ok(len(calls) <= 1, '%s: %d scans after the probe failed'
                             % (tag, len(calls) - 1))
                else:
                    guard = [c for c in calls if 'errno' not in c and
                             any(int(c[k], 16) & 0x100 for k in ('mask', 'anyof', 'return',
                                                                 'inverted'))]
                    check.eq('%s: scans asking for the guard category after the probe'
                             % tag, [], guard)
                if r.status == 0 and pages and name in ref:
                    got = pages(r.json())
                    check.ok(got == ref[name], '%s: page counts %r, with the ioctl %r'
                             % (tag, got, ref[name]))
            r = fl.run([args.vmwalk, '--method', 'scan', v.pid, rng],
                       env=fl.shim_env(args, **env))
            fl.check_clean(check, r)
            if 'scan_errno' in env:
                check.eq('%s (%s): exit status' % (r.cmd(), what), 1, r.status)
                check.ok('PAGEMAP_SCAN' in r.err, '%s (%s): expected a message naming '
                         'PAGEMAP_SCAN: %s' % (r.cmd(), what, r.describe()))
        part_kthread_no_pagemap(args, check)
        if wp:
            v.send('check')
            got = v.read_json()
            check.eq('pagemap bit 57 (uffd-wp) set on the target\'s tracked pages at the end',
                     0, got.get('wp_set'))
            # the control: a scan that does write-protect (the shim adds
            # PM_SCAN_WP_MATCHING) shows in the target, so the check above can fail
            argv = runs['vmwalk-wp'][0]
            r = fl.run(argv, env=fl.shim_env(args, scan_add_flags=1))
            v.send('check')
            got = v.read_json()
            if r.status == 0 and scans:
                check.ok(got.get('wp_set', 0) > 0, 'control: a PM_SCAN_WP_MATCHING scan left '
                         'bit 57 clear on all %d pages: the check cannot see one' % wp['pages'])
            else:
                fl.note('control not run: %s' % r.describe())


def part_kthread_no_pagemap(args, check):
    """C7's last clause: no pagemap attempt on a kernel thread (pid 2, kthreadd): the
    shim stops the command if it ever opens /proc/2/pagemap."""
    try:
        with open('/proc/2/status') as f:
            if 'Kthread:\t1' not in f.read():
                raise OSError
    except OSError:
        fl.note('pid 2 is not a kernel thread here: the kernel-thread check is left out')
        return
    runs = [[args.vmrank, '--kthreads', '-J', '-p', '2'],
            [args.vmmap, '--pages', '2'],
            [args.vmwalk, '2', '0x400000']]
    if os.geteuid() == 0:
        runs.append([args.vmrank, '--exact', '--kthreads', '-J', '-p', '1,2'])
    for argv in runs:
        r, ev = fl.run_with_trigger(args, argv, 'open:/proc/2/pagemap', lambda ev: None)
        fl.check_clean(check, r)
        check.eq('%s: opened the kernel thread\'s pagemap' % r.cmd(), None, ev)
        check.ok(r.status in (0, 1, 3), r.describe())


if __name__ == '__main__':
    fl.run_test(body)
