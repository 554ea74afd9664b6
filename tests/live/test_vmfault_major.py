# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: major faults of a helper that reads back pages it pushed to swap, as vmfault sees them."""

# Needs swap: the active one, or (root) a swap file of test_swap's, removed
# after.  faultzoo major writes 512 pages, pushes them to swap with
# MADV_PAGEOUT until none is mapped and none is left in the swap cache (its
# pagemap and mincore() say so), then, on "go", reads them back and reports
# its own getrusage() before and after.
#
# What can be asserted exactly: a fault on a page that is in swap but not in
# the swap cache is a major fault (the kernel had to read it); a fault on a
# page that swap readahead already brought into the swap cache is a minor
# one.  As root vm.page-cluster is set to 0 for the test (restored after):
# no readahead, so the helper's major faults are exactly its 512 pages.
# Otherwise 1 <= majflt <= 512.  In every case vmfault's figures for the
# helper must equal the helper's own getrusage counts:
#   -p PID:  sample 0 (before "go") MAJFLT = majflt_before, the last sample
#            MAJFLT = majflt_after, some sample a MAJFLT/s > 0, and the rates
#            x interval add up to the difference;
#   COMMAND: run.majflt = the helper's count when it exits (its last report).
# SKIP when no swap can be set up (not root and no swap) or when the kernel
# put nothing in swap.

import json
import os

import vmlive
from vmlive import Skip
import vmfaultlive as vf

PAGES = 512


def check_helper(check, info, what):
    if info['swapped'] == 0:
        raise Skip('MADV_PAGEOUT put nothing in swap (faultzoo saw 0 swapped pages)')
    all_out = info['swapped'] == PAGES and info['in_swap_cache'] == 0 and info['present'] == 0
    if not all_out:
        vmlive.note('%s: %d of %d pages in swap, %d of them still in the swap cache, %d '
                    'mapped: only bounds are checked' % (what, info['swapped'], PAGES,
                                                         info['in_swap_cache'],
                                                         info['present']))
    return all_out


def expect_majflt(check, what, res, info, all_out):
    exact = all_out and info.get('page_cluster') == 0
    vmlive.note('%s: %d pages in swap after %d round(s), page-cluster %s; reading them back: '
                '%d major, %d minor faults' % (what, info['swapped'], info['rounds'],
                                                info.get('page_cluster'), res['majflt'],
                                                res['minflt']))
    check.eq('%s: pages read back intact' % what, 0, res['bad_pages'])
    if exact:
        check.eq('%s: the helper\'s own major faults (page-cluster 0, nothing in the swap '
                 'cache)' % what, PAGES, res['majflt'])
    else:
        check.ok(1 <= res['majflt'] <= PAGES,
                 '%s: the helper\'s own major faults %d, expected 1..%d'
                 % (what, res['majflt'], PAGES))


def part_pid(args, check, user):
    with vf.faultzoo(args, 'major', '--pages', PAGES, user=user) as h:
        what = 'faultzoo major (as %s)' % vf.who(user)
        all_out = check_helper(check, h.info, what)
        with vf.Stream(args, '-p', h.pid, '-i', 0.5, '-c', 5, '--json', user=user) as s:
            what = '%s (as %s)' % (s.cmd(), vf.who(user))
            first = s.next_sample()
            vf.send(h, 'go')
            res = vf.read_json_line(h, what='"go"')
            r = s.finish()
        expect_majflt(check, what, res, h.info, all_out)
        if not check.eq('%s: exit status' % what, 0, r.status):
            vmlive.note(r.describe())
            return
        docs = vf.parse_ndjson(check, r, what)
        vf.check_sample_shape(check, docs, what, count=5, interval=0.5)
        vf.check_no_absurd_rates(check, docs, what)
        if first is None or not docs:
            return
        rws = [vf.one_row(check, d, h.pid, '%s sample %d' % (what, i))
               for i, d in enumerate(docs)]
        if None in rws:
            return
        check.eq('%s: sample 0 MAJFLT = the helper\'s getrusage before "go"' % what,
                 res['majflt_before'], rws[0].get('majflt'))
        check.eq('%s: last sample MAJFLT = the helper\'s getrusage after reading back' % what,
                 res['majflt_after'], rws[-1].get('majflt'))
        check.eq('%s: last sample MINFLT = the helper\'s getrusage after reading back' % what,
                 res['minflt_after'], rws[-1].get('minflt'))
        rates = [(row.get('majflt_rate'), d.get('interval')) for row, d in zip(rws[1:], docs[1:])]
        check.ok(any(vf.is_num(x) and x > 0 for x, _ in rates),
                 '%s: no sample with MAJFLT/s > 0: %r' % (what, rates))
        if all(vf.is_num(x) and vf.is_num(iv) for x, iv in rates):
            total = sum(x * iv for x, iv in rates)
            check.ok(abs(total - res['majflt']) <= 0.05 * res['majflt'] + 1,
                     '%s: MAJFLT/s x interval adds up to %.1f, the helper counted %d'
                     % (what, total, res['majflt']))


def part_command(args, check, user):
    # faultzoo major reads its commands from vmfault's stdin, which the
    # command inherits: "go" waits in the pipe until the pages are out.
    r = vf.vmfault(args, '--json', '--', args.faultzoo, 'major', '--pages', PAGES,
                   user=user, input=b'go\nquit\n')
    what = '%s (as %s)' % (r.cmd(), vf.who(user))
    if not check.eq('%s: exit status' % what, 0, r.status):
        vmlive.note(r.describe())
        return
    lines = [l for l in r.out.decode('utf-8', 'replace').splitlines() if l.startswith('{')]
    if not check.eq('%s: the helper\'s two JSON lines on stdout' % what, 2, len(lines)):
        return
    info, res = json.loads(lines[0]), json.loads(lines[1])
    all_out = check_helper(check, info, what)
    expect_majflt(check, what, res, info, all_out)
    doc = vf.parse_report(check, r.err, what)
    if doc is None:
        return
    run = doc['run']
    check.eq('%s: run.majflt = the helper\'s getrusage at the end' % what,
             res['majflt_after'], run.get('majflt'))
    check.ok(vf.is_num(run.get('majflt')) and run['majflt'] >= 1,
             '%s: run.majflt %r, expected >= 1' % (what, run.get('majflt')))
    # Minor faults: exit() after "quit" may still fault in a few code pages
    # (stdio clean-up) after the helper's last getrusage.
    mf = run.get('minflt')
    check.ok(vf.is_num(mf) and res['minflt_after'] <= mf <= res['minflt_after'] + 50,
             '%s: run.minflt %r, expected the helper\'s last count %d (+ a few at exit)'
             % (what, mf, res['minflt_after']))


def body(args, check):
    import test_swap  # its swap set-up: the active swap, or a swap file of ours (root)

    with test_swap.swap_available(args):
        if os.geteuid() == 0:
            with vf.sysctl('vm/page-cluster', 0):
                for user in vf.users():
                    part_pid(args, check, user)
                    part_command(args, check, user)
        else:
            part_pid(args, check, None)
            part_command(args, check, None)


if __name__ == '__main__':
    vf.run_test(body)
