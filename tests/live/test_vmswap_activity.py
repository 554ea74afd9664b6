# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: vmswap --activity sees the swap-ins of a helper that reads back its swapped
pages over and over: system rates from /proc/vmstat, the helper among the processes paging."""

# Needs swap (test_swap's swap file as root; SKIP otherwise).  swapzoo puts
# 512 pages in swap, then "cycle": it reads every page (a swap-in: a major
# fault for each page not already brought in by readahead) and pages them
# out again, in a loop, while `vmswap --activity -i 0.5 -c 3 -J` runs:
#   three NDJSON lines, each a vmscope/1 vmswap object, "sample" 0 1 2,
#   "interval" null then about 0.5; sample 0: the vmstat totals in "system"
#   between /proc/vmstat read before and after the run, "rates" null and no
#   process rate; later samples: rates with pswpin > 0 (zswpin when zswap
#   holds the pages), rate x interval = the growth of the total, the
#   helper listed with majflt_rate > 0, processes sorted by majflt_rate, at
#   most 10 (the default -N).  The text form prints one "HH:MM:SS  swap-in"
#   line per sample (the first since boot).  As root again as nobody (helper and vmswap).

import re

import vmlive
import vmswaplive as vs

PAGES = 512
RATE_KEYS = ['pswpin', 'pswpout', 'pgmajfault']


def check_samples(check, what, docs, before, after, pid):
    check.eq('%s: number of samples' % what, 3, len(docs))
    for i, d in enumerate(docs):
        check.eq('%s: sample %d: "sample"' % (what, i), i, d.get('sample'))
        iv = d.get('interval', '<missing>')
        if i == 0:
            check.eq('%s: sample 0: "interval"' % what, None, iv)
        else:
            check.ok(vs.is_num(iv) and 0.4 <= iv <= 1.0,
                     '%s: sample %d: "interval" %r, expected about 0.5' % (what, i, iv))
    systems = [d.get('system') for d in docs]
    if not check.ok(all(isinstance(s, dict) for s in systems),
                    '%s: a sample without a "system" object: %r' % (what, systems)):
        return
    keys = RATE_KEYS + [k for k in ('zswpin', 'zswpout', 'pgsteal_anon', 'pgsteal_file')
                        if k in after]
    for k in keys:
        vals = [s.get(k) for s in systems]
        check.ok(all(isinstance(v, int) for v in vals) and before[k] <= vals[0] and
                 vals == sorted(vals) and vals[-1] <= after[k],
                 '%s: system.%s over the samples %r: expected non-decreasing, between %d '
                 '(before) and %d (after)' % (what, k, vals, before[k], after[k]))
    check.eq('%s: sample 0: system.rates' % what, None, systems[0].get('rates', '<missing>'))
    swapin = 'zswpin' if vs.zswap_enabled() and 'zswpin' in after else 'pswpin'
    for i in (1, 2):
        if i >= len(docs):
            break
        rates = systems[i].get('rates')
        if not check.ok(isinstance(rates, dict), '%s: sample %d: system.rates %r'
                        % (what, i, rates)):
            continue
        iv = docs[i].get('interval')
        for k in keys:
            x = rates.get(k)
            if not check.ok(vs.is_num(x) and x >= 0, '%s: sample %d: rates.%s = %r'
                            % (what, i, k, x)):
                continue
            a, b = systems[i - 1].get(k), systems[i].get(k)
            if vs.is_num(iv) and isinstance(a, int) and isinstance(b, int):
                check.ok(abs(x * iv - (b - a)) <= 0.02 * (b - a) + 1,
                         '%s: sample %d: rates.%s %r x interval %r != the growth %d of '
                         'system.%s' % (what, i, k, x, iv, b - a, k))
        x = rates.get(swapin)
        if swapin == 'zswpin':
            x = (x or 0) + (rates.get('pswpin') or 0)
        check.ok(vs.is_num(x) and x > 0, '%s: sample %d: the %s rate %r, expected > 0 while '
                 'the helper swaps in' % (what, i, swapin, x))
    for i, d in enumerate(docs):
        procs = d.get('processes')
        if not check.ok(isinstance(procs, list), '%s: sample %d: "processes" %r'
                        % (what, i, procs)):
            continue
        check.ok(len(procs) <= 10, '%s: sample %d: %d processes, the default -N is 10'
                 % (what, i, len(procs)))
        rates = [p.get('majflt_rate') for p in procs]
        row = [p for p in procs if p.get('pid') == pid]
        if i == 0:
            check.ok(all(x is None for x in rates),
                     '%s: sample 0: majflt_rate should be null, got %r' % (what, rates))
            continue
        check.ok(all(vs.is_num(x) for x in rates) and rates == sorted(rates, reverse=True),
                 '%s: sample %d: not sorted by majflt_rate: %r' % (what, i, rates))
        if check.ok(len(row) == 1, '%s: sample %d: the helper (pid %d) is not listed: %r'
                    % (what, i, pid, [(p.get('pid'), p.get('comm'), p.get('majflt_rate'))
                                      for p in procs])):
            x = row[0].get('majflt_rate')
            check.ok(vs.is_num(x) and x > 0, '%s: sample %d: the helper\'s majflt_rate %r, '
                     'expected > 0' % (what, i, x))


def part(args, check, user):
    with vs.swapzoo(args, '--unique', PAGES, user=user) as h:
        what0 = 'swapzoo --unique %d (as %s)' % (PAGES, vs.who(user))
        vs.need_swapped(h.info, what0)
        vs.command(h, 'cycle')
        try:
            before = vs.read_vmstat()
            r = vs.vmswap(args, '--activity', '-i', 0.5, '-c', 3, '-J', user=user)
            after = vs.read_vmstat()
            t = vs.vmswap(args, '--activity', '-i', 0.5, '-c', 2, user=user)
        finally:
            res = vs.command(h, 'stop')
        vmlive.note('%s: cycled %d times, %d major + %d minor faults, %d bad pages'
                    % (what0, res['rounds'], res['majflt'], res['minflt'], res['bad_pages']))
        check.eq('%s: pages read back intact' % what0, 0, res['bad_pages'])
        check.ok(res['majflt'] > 0, '%s: no major fault while cycling (the kernel never read '
                 'from swap?)' % what0)
        what = '%s (as %s)' % (r.cmd(), vs.who(user))
        if check.eq('%s: exit status' % what, 0, r.status):
            check_samples(check, what, vs.parse_ndjson(check, r, what), before, after, h.pid)
        else:
            vmlive.note(r.describe())
        what = '%s (as %s)' % (t.cmd(), vs.who(user))
        if check.eq('%s: exit status' % what, 0, t.status):
            lines = [l for l in t.out.decode('utf-8', 'replace').splitlines()
                     if re.match(r'^\d\d:\d\d:\d\d .*swap-in ', l)]
            check.ok(len(lines) == 2 and all(' swap-out ' in l and ' major ' in l
                                             for l in lines),
                     '%s: expected two "HH:MM:SS  swap-in ..  swap-out ..  major .." lines, '
                     'got %r' % (what, lines))


def body(args, check):
    with vs.swap_available(args):
        for user in vs.users():
            part(args, check, user)


if __name__ == '__main__':
    vs.run_test(body)
