# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: --by user and --by program sum the members' figures exactly; the
layout parent and its child share one program group."""

# With the two layout processes stopped, `vmrank -J --by KEY -p P,C` must give
# one group of 2 whose figures are the sums of the two smaps_rollup files.
# On a full scan with --tree, each group's figures must equal the sum of its
# members' figures in the same output, and the parent and child must be in
# the same program group.

import os
import pwd

import vmlive


def group_of(groups, pid):
    for g in groups:
        if pid in {m.get('pid') for m in (g.get('members') or [])}:
            return g
    return None


def check_sums(check, what, g):
    members = g.get('members') or []
    check.eq('%s: "processes" vs members' % what, len(members), g.get('processes'))
    sums = vmlive.sum_figures(members)
    for k in vmlive.ROLLUP_FIGURES:
        if k in sums:
            check.eq('%s: %s == sum over members' % (what, k), sums[k], g.get(k))


def body(args, check):
    with vmlive.start_layout(args, '--dir', vmlive.disk_dir(args)) as h:
        parent, child = h.info['pid'], h.info['child']
        me = pwd.getpwuid(os.geteuid()).pw_name
        for by, key_ok, key_desc in (
                ('user', lambda k: k == me, repr(me)),
                ('program', lambda k: isinstance(k, str) and 'layout' in k,
                 'a name containing "layout"')):
            opts = ['--by', by, '--tree', '-p', '%d,%d' % (parent, child)]
            views, r = vmlive.measure(args, [parent, child], opts)
            what = 'vmrank -J %s' % ' '.join(map(str, opts))
            groups = r.doc.get('groups')
            if not check.ok(isinstance(groups, list) and len(groups) == 1,
                            '%s: expected exactly one group, got %r' % (what, groups)):
                continue
            g = groups[0]
            check.eq('%s: group "by"' % what, by, g.get('by'))
            check.ok(key_ok(g.get('key')), '%s: group "key": expected %s, got %r%s'
                     % (what, key_desc, g.get('key'),
                        ' (the group has "name": %r; the spec says "key")' % g['name']
                        if 'name' in g and 'key' not in g else ''))
            check.eq('%s: processes' % what, 2, g.get('processes'))
            want = vmlive.sum_figures([vmlive.figures_from_counters(views[p])
                                       for p in (parent, child)])
            vmlive.check_figures(check, '%s: group vs sum of the two smaps_rollup' % what,
                                 want, g)
            members = {m.get('pid'): m for m in (g.get('members') or [])}
            check.eq('%s: member pids' % what, sorted([parent, child]), sorted(members))
            for p in (parent, child):
                if p in members:
                    vmlive.check_figures(check, '%s: member %d vs its smaps_rollup' % (what, p),
                                         vmlive.figures_from_counters(views[p]), members[p])

        # Full scans: groups add up within one output.
        for by in ('user', 'program'):
            r = vmlive.vmrank_json(args, '--by', by, '--tree')
            what = 'vmrank -J --by %s --tree' % by
            groups = r.doc.get('groups') or []
            check.ok(len(groups) >= 1, '%s: no groups' % what)
            keys = [g.get('key', g.get('name')) for g in groups]
            check.eq('%s: group keys are unique' % what, len(set(map(repr, keys))), len(keys))
            for g in groups:
                check_sums(check, '%s: group %r' % (what, g.get('key', g.get('name'))), g)
            gp, gc = group_of(groups, parent), group_of(groups, child)
            check.ok(gp is not None and gp is gc,
                     '%s: parent %d and child %d expected in one group, got %r and %r'
                     % (what, parent, child, gp and gp.get('key', gp.get('name')),
                        gc and gc.get('key', gc.get('name'))))


if __name__ == '__main__':
    vmlive.run_test(body)
