# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: -t adds a total row equal to the sum of the rows, in JSON and in raw output."""

import vmlive

RAW_COLS = ['rss', 'pss', 'uss', 'swap']


def body(args, check):
    with vmlive.start_layout(args, '--dir', vmlive.disk_dir(args)) as h:
        parent, child = h.info['pid'], h.info['child']
        pids = '%d,%d' % (parent, child)

        # Stopped: totals == the two smaps_rollup files summed.
        views, r = vmlive.measure(args, [parent, child], ['-t', '-p', pids])
        totals = r.doc.get('totals')
        if check.ok(isinstance(totals, dict), 'vmrank -J -t -p %s: no "totals" object' % pids):
            want = vmlive.sum_figures([vmlive.figures_from_counters(views[p])
                                       for p in (parent, child)])
            vmlive.check_figures(check, 'vmrank -J -t -p %s: totals vs smaps_rollup sums' % pids,
                                 want, totals)

        # Raw, in bytes: the last line is the total of the lines above.
        with vmlive.stopped([parent, child]):
            r = vmlive.vmrank(args, '-r', '-n', '-b', '-t', '-o', ','.join(RAW_COLS),
                              '-p', pids)
        what = 'vmrank -r -n -b -t -o %s -p %s' % (','.join(RAW_COLS), pids)
        check.eq('%s: exit status' % what, 0, r.status)
        lines = [l.split() for l in r.out.decode(errors='replace').splitlines() if l.strip()]
        if check.ok(len(lines) == 3, '%s: expected 2 rows and a total, got %r' % (what, lines)):
            try:
                nums = [[int(x) for x in l[-len(RAW_COLS):]] for l in lines]
            except ValueError:
                check.fail('%s: non-numeric figures in %r' % (what, lines))
            else:
                for i, col in enumerate(RAW_COLS):
                    check.eq('%s: total %s' % (what, col), nums[0][i] + nums[1][i], nums[2][i])

    # A full scan: totals == sum of the rows of the same output.
    r = vmlive.vmrank_json(args, '-t')
    totals = r.doc.get('totals')
    if check.ok(isinstance(totals, dict), 'vmrank -J -t: no "totals" object'):
        sums = vmlive.sum_figures(r.doc['processes'])
        for k in vmlive.ROLLUP_FIGURES:
            if k in sums:
                check.eq('vmrank -J -t (all): totals %s == sum of %d rows'
                         % (k, len(r.doc['processes'])), sums[k], totals.get(k))
    r = vmlive.vmrank_json(args)
    check.ok('totals' not in r.doc, 'vmrank -J without -t: unexpected "totals"')


if __name__ == '__main__':
    vmlive.run_test(body)
