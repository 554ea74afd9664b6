# SPDX-License-Identifier: GPL-2.0-or-later
"""Fault test C13: pagemap entries with bits 59-60 set (zero on every kernel so far) and
kpageflags with bits above the documented 0-26, from the hostile fixture (process 4010):
vmwalk keeps them and shows them raw ("unknown_bits", text "unknown bits"), decodes the
rest as usual (a guard entry stays a guard), and no command trips over them."""

# The library's side (vms_pme_decode, the walk, kpage reads) is the unit
# tests' (tests/unit/test_pagemap.c hostile_unknown_pagemap_bits_kept,
# tests/unit/test_kpage.c hostile_kpage_files); this is the commands' side.

import re

import faultlib as fl

B59, B60 = 1 << 59, 1 << 60
BASE = 0x7e0000000000
# page -> (entry, state, pagemap unknown bits, kpageflags unknown bits or None); pages 0-1
# are the first mapping, 3-4 the second (page 2 is the gap between them)
PAGES = {
    0: (0x8800000000001000, 'present', B59, 0x8000000108000000),
    1: (0x9900000000001001, 'present', B59 | B60, 0x10000000000),
    3: (0x5000000000000020, 'swapped', B60, None),
    4: (0x4c0000000000009f, 'guard', B59, None),
}


def body(args, check):
    fl.need_fixtures(args, 'hostile')
    root = args.fixtures + '/hostile'
    for i, (entry, state, unknown, kunknown) in PAGES.items():
        addr = '%#x' % (BASE + i * 4096)
        r = fl.run([args.vmwalk, '--root', root, '-J', '4010', addr])
        what = r.cmd()
        fl.check_clean(check, r, what)
        if not check.eq('%s: exit status' % what, 0, r.status):
            continue
        d = r.json()
        check.eq('%s: entry' % what, '%#x' % entry, d.get('entry'))
        check.eq('%s: state' % what, state, d.get('state'))
        check.eq('%s: unknown_bits' % what, '%#x' % unknown, d.get('unknown_bits'))
        if kunknown is not None:
            kpf = d.get('kpageflags') or {}
            check.eq('%s: kpageflags unknown_bits' % what, '%#x' % kunknown,
                     kpf.get('unknown_bits'))
        # the text view says so too
        t = fl.run([args.vmwalk, '--root', root, '4010', addr])
        fl.check_clean(check, t)
        if unknown:
            check.ok(re.search(r'^unknown bits +0x%016x$' % unknown, t.out.decode(), re.M),
                     '%s: no "unknown bits 0x%016x" line' % (t.cmd(), unknown))
        if kunknown:
            check.ok(re.search(r'^unknown flags +0x%016x ' % kunknown, t.out.decode(), re.M),
                     '%s: no "unknown flags 0x%016x" line' % (t.cmd(), kunknown))

    # the map view counts them by their known state (the fixture's maps file lacks
    # these mappings, which only its smaps has: vmwalk RANGE cannot be used)
    r = fl.run([args.vmmap, '--root', root, '--pages', '-J', '4010'])
    fl.check_clean(check, r)
    if check.eq('%s: exit status' % r.cmd(), 0, r.status):
        maps = {int(m['start'], 16): m for m in r.json()['processes'][0]['mappings']}
        for start, want in ((BASE, {'present': 2, 'swapped': 0, 'guard': 0}),
                            (BASE + 0x3000, {'present': 0, 'swapped': 1, 'guard': 1})):
            m = maps.get(start, {})
            pages = m.get('pages') or {k[3:]: v for k, v in m.items() if k.startswith('pg_')}
            got = {k: pages.get(k) for k in want}
            check.eq('%s: mapping %#x: page states' % (r.cmd(), start), want, got)
    for argv in ([args.vmmap, '--root', root, '--pages', '4010'],
                 [args.vmmap, '--root', root, '--pages', '-r', '4010']):
        r = fl.run(argv)
        fl.check_clean(check, r)
        check.eq('%s: exit status' % r.cmd(), 0, r.status)


if __name__ == '__main__':
    fl.run_test(body)
