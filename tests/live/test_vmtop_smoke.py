# SPDX-License-Identifier: GPL-2.0-or-later
"""CI smoke test (hazard H9): vmtop -n 5 -d 0.1 in a pseudo-terminal ends by itself with
status 0, draws its list, restores the terminal and reports nothing on stderr (so a
sanitizer build's findings fail it)."""

import vmtop_pty as vp
from vmlive import note


def body(args, check):
    for user in vp.users(args):
        what = 'vmtop -n 5 -d 0.1 in a 24x80 pty (as %s)' % vp.who(user)
        with vp.start_vmtop(args, '-n', '5', '-d', '0.1', user=user) as t:
            drawn = t.wait_for(vp.is_list_screen, 20)
            st = t.wait_exit(30)
            err = t.stderr()
            if not check.eq('%s: exit status' % what, ('exit', 0), st):
                vp.dump_screen(t, what)
            check.ok(drawn, '%s: the list (header and column header) was never drawn' % what)
            rep = vp.sanitizer_report(err)
            check.ok(rep is None, '%s: sanitizer or libc report:\n%s' % (what, rep))
            check.eq('%s: stderr' % what, '', err)
            if st is not None:
                vp.check_restored(check, t, what)
            note('%s: %d bytes drawn' % (what, len(t.raw_bytes())))


if __name__ == '__main__':
    vp.run_test(body, need_helper=False)
