# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: vmtop in a pseudo-terminal (hazards H1-H4, H7, H8): keys and screens, quitting
and fatal signals restore the terminal, crashes (test hook) too, suspend and resume,
resizes down to 0x0 and a storm of them, 10 s of random keys.  As root and as nobody."""

# Parts (--part, default all): main (header, help, filter, sort keys, tree, column
# chooser, detail, page map, q), signals (SIGINT SIGTERM SIGHUP SIGQUIT, Ctrl-C and
# F10 keys), crash (VMTOP_TEST_CRASH=segv|abort), tstp (SIGTSTP then SIGCONT), resize,
# random, exited (H8: the detail's process exits, then, as root, its PID is reused),
# denied (as nobody: the detail and page map of PID 1).  Every run: termios after ==
# termios before, cursor shown, normal screen back; stderr free of sanitizer reports.

import os
import random
import re
import shutil
import signal
import tempfile
import time

import vmlive
import vmtop_pty as vp
from vmlive import Failed, note

DELAY = '0.5'
PARTS = ['main', 'signals', 'crash', 'tstp', 'resize', 'random', 'exited', 'denied']
NS_LAST_PID = '/proc/sys/kernel/ns_last_pid'
TREE_GLYPHS = ('\u251c\u2500', '\u2514\u2500', '|-', '\\-', '`-')


def extra_args(p):
    p.add_argument('--part', choices=['all'] + PARTS, default='all')
    p.add_argument('--random-seconds', type=float, default=10.0)


# ---------------------------------------------------------------------------
# Screen helpers


def list_state(t):
    """(lines, column-header row, rows) of the list screen now, or None."""
    lines = t.lines()
    ch = vp.column_header_line(lines)
    if ch is None or vp.header_line(lines) is None:
        return None
    return lines, ch, vp.list_rows(lines, ch)


def rows_now(t):
    st = list_state(t)
    return st[2] if st else []


def back_to_list(t, tries=4):
    """Esc until the list screen is back (from help, detail, page map, a prompt)."""
    for _ in range(tries):
        if t.wait_for(lambda s: vp.is_list_screen(s) and not _prompt_open(s), 0.6):
            return True
        t.send('esc')
    return t.wait_for(vp.is_list_screen, 2)


def _prompt_open(s):
    last = s.lines()[-1] if s.lines() else ''
    return bool(re.search(r'(filter|user)[^:]*:\s*\S*$', last, re.I)) and 'F1' not in last


def sort_col(t):
    lines, attrs, chars = t.snapshot()
    row = vp.column_header_line(lines)
    if row is None:
        return None, 'no column header'
    return vp.sort_column(lines, attrs, chars, row)


def set_filter(t, text):
    t.send('/')
    time.sleep(0.2)
    t.type(text)
    t.send('enter')


def pids_of(rows, header):
    out = []
    for r in rows:
        v = vp.split_row(header, r).get('PID', '')
        if v.isdigit():
            out.append(int(v))
    return out


# ---------------------------------------------------------------------------
# The helpers on screen


class Helpers:
    """Helper A: 64 pages and a mapped file, named by a token in its command line;
    helper B: a parent with two children (tree view), another token."""

    def __init__(self, args, user):
        tag = '%04x' % random.randrange(1 << 16)
        self.tok_a = 'vmtpa%s' % tag
        self.tok_b = 'vmtpb%s' % tag
        self.dir = tempfile.mkdtemp(prefix='vmtop-pty-')
        os.chmod(self.dir, 0o755)
        self.map = os.path.join(self.dir, 'vmtoppty.map')
        with open(self.map, 'wb') as f:
            f.write(b'm' * (16 * vmlive.PAGE))
        os.chmod(self.map, 0o644)
        self.a = self.b = None
        try:
            self.a = vmlive.Helper([args.helper, 'idle', '--pages', '64', '--map', self.map,
                                    '--', self.tok_a], user=user, name='vmtop_helper A')
            self.b = vmlive.Helper([args.helper, 'idle', '--children', '2', '--',
                                    self.tok_b], user=user, name='vmtop_helper B')
        except BaseException:
            self.close()
            raise

    def close(self):
        for h in (self.a, self.b):
            if h:
                h.close()
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------------------
# main: the screens and keys


HELP_WORDS = ['quit', 'help', 'sort', 'filter', 'tree', 'column', 'pause', 'detail', 'page map',
              'reverse', 'user', 'redraw', 'zoom']
HELP_KEYS = ['q', 'F10', 'F1', 'h', '?', 'Esc', 'Enter', '/', '\\', 't', 'c', 'm', 'u', 'M', 'P',
             'U', 'S', 'F', 'J', 'N', 'I', 'R', '<', '>', 'g', 'G']
HELP_COLUMNS = ['pid', 'ppid', 'user', 'state', 'vsz', 'rss', 'pss', 'uss', 'swap', 'minflt',
                'majflt', 'minflt_total', 'majflt_total', 'command']


def key_token_present(text, key):
    if len(key) == 1 and key.isalpha():
        return re.search(r'(?<![A-Za-z0-9_])%s(?![A-Za-z0-9_])' % re.escape(key), text) is not None
    return key in text


def _body(lines):
    """The lines under the header (which changes with every frame)."""
    for i, l in enumerate(lines):
        if l.startswith('swap-out/s'):
            return lines[i + 1:]
    return lines[1:]


def part_help(check, t, what):
    before = t.text()
    t0 = t.send('h')
    if not check.ok(t.wait_for(lambda s: not vp.is_list_screen(s) and 'quit' in s.text().lower(),
                               3),
                    '%s: "h" did not open a help screen that mentions "quit" within 3 s'
                    % what):
        vp.dump_screen(t, what + ' after h')
        back_to_list(t)
        return
    note('%s: help shown %.0f ms after "h"' % (what, (time.monotonic() - t0) * 1000))
    t.settle(0.2, 2)  # the whole page, not the first lines drawn
    seen = t.text()
    for _ in range(20):
        last = _body(t.screen.lines())
        t.send('pgdn')
        if not t.wait_for(lambda s: _body(s.lines()) != last, 1.0):
            break
        t.settle(0.1, 1)
        seen += '\n' + t.text()
    lower = seen.lower()
    missing = [w for w in HELP_WORDS if w not in lower]
    check.ok(not missing, '%s: the help screen does not mention %s' % (what, missing))
    missing = [k for k in HELP_KEYS if not key_token_present(seen, k)]
    check.ok(not missing, '%s: the help screen does not list the keys %s' % (what, missing))
    missing = [c for c in HELP_COLUMNS if c not in lower]
    check.ok(not missing, '%s: the help screen does not list the columns %s' % (what, missing))
    missing = [w for w in ('guard', 'swap', 'huge', 'zero', 'file') if w not in lower]
    check.ok(not missing, '%s: the help screen does not explain the page-map cells %s'
             % (what, missing))
    if missing:
        note('%s: help text seen:\n%s' % (what, seen))
    t.send('esc')
    check.ok(t.wait_for(vp.is_list_screen, 3),
             '%s: Esc on the help screen did not bring the list back within 3 s' % what)
    del before


def part_filter(check, t, what, hs):
    set_filter(t, hs.tok_a.upper())  # case-insensitive
    ok = t.wait_for(lambda s: _pids(s) == [hs.a.pid], 3)
    if not check.ok(ok, '%s: after "/%s" Enter, expected only the row of helper A (pid %d, '
                    'whose command holds %s), got pids %r' % (what, hs.tok_a.upper(), hs.a.pid,
                                                             hs.tok_a, _pids_t(t))):
        vp.dump_screen(t, what)
    t.send('\\')
    ok = t.wait_for(lambda s: len(_rows(s)) > 3, 3)
    check.ok(ok, '%s: "\\" did not clear the filter (rows: %r)' % (what, rows_now(t)[:5]))


def _pids(s):
    lines = s.lines()
    ch = vp.column_header_line(lines)
    if ch is None:
        return None
    return pids_of(vp.list_rows(lines, ch), lines[ch])


def _pids_t(t):
    with t.cond:
        return _pids(t.screen)


def _rows(s):
    lines = s.lines()
    ch = vp.column_header_line(lines)
    if ch is None:
        return []
    return vp.list_rows(lines, ch)


SORT_KEYS = [('M', 'RSS'), ('P', 'PSS'), ('U', 'USS'), ('S', 'SWAP'), ('F', 'MINFLT/s'),
             ('J', 'MAJFLT/s'), ('N', 'PID')]
DOWN_MARKS = '\u25bc\u2193v'
UP_MARKS = '\u25b2\u2191^'


def _same_col(got, want, s):
    """got is want, or want cut by the right edge of the screen (reported elsewhere)."""
    if got == want:
        return True
    if not got or not want.startswith(got):
        return False
    lines = s.lines()
    row = vp.column_header_line(lines)
    return row is not None and lines[row].rstrip().endswith(got) and \
        len(lines[row].rstrip()) >= s.cols - 1


def part_sort(check, t, what):
    name, how = sort_col(t)
    check.eq('%s: the sort column marked at start (default rss; %s)' % (what, how), 'RSS', name)
    for key, col in SORT_KEYS:
        t.send(key)
        ok = t.wait_for(lambda s: _same_col(_sort_of(s), col, s), 3)
        name, how = sort_col(t)
        if not check.ok(ok, '%s: after key %s the marked sort column should be %s, got %s (%s)'
                        % (what, key, col, name, how)):
            continue
        if col == 'RSS':
            _check_order(check, t, what, key, col, descending=True)
        if col == 'PID':
            # the model sorts PIDs smallest first (numbers otherwise largest first)
            _check_order(check, t, what, key, col, descending=False)
            _check_arrow(check, t, what, key, descending=False)
    t.send('I')
    ok = t.wait_for(lambda s: _order_ok(s, 'PID', descending=True), 3)
    check.ok(ok, '%s: after N then I (reverse), PIDs should go down: %r'
             % (what, _col_values(t, 'PID')[:10]))
    _check_arrow(check, t, what, 'N I', descending=True)
    t.send('I')
    t.send('M')
    t.wait_for(lambda s: _sort_of(s) == 'RSS', 3)
    _check_arrow(check, t, what, 'M', descending=True)


def _check_arrow(check, t, what, keys, descending):
    lines = t.lines()
    row = vp.column_header_line(lines)
    if row is None:
        return
    marks = [c for c in lines[row] if c in DOWN_MARKS + UP_MARKS]
    if not marks:
        return  # marked by attributes only: no direction to check
    check.ok((marks[0] in DOWN_MARKS) == descending,
             '%s: after %s the rows go %s but the sort mark is %r: %r'
             % (what, keys, 'down (largest first)' if descending else 'up (smallest first)',
                marks[0], lines[row].strip()))


def _sort_of(s):
    lines = s.lines()
    row = vp.column_header_line(lines)
    if row is None:
        return None
    return vp.sort_column(lines, s.buf.attrs, s.buf.chars, row)[0]


def _values(s, col):
    lines = s.lines()
    ch = vp.column_header_line(lines)
    if ch is None:
        return []
    out = []
    for r in vp.list_rows(lines, ch):
        v = vp.split_row(lines[ch], r).get(col, '')
        n = int(v) if v.isdigit() else vp.parse_size(v)
        if n is not None:
            out.append(n)
    return out


def _col_values(t, col):
    with t.cond:
        return _values(t.screen, col)


def _order_ok(s, col, descending):
    v = _values(s, col)
    if len(v) < 3:
        return False
    return v == sorted(v, reverse=descending)


def _check_order(check, t, what, key, col, descending):
    # sizes are rounded for display: only a clear inversion counts
    ok = t.wait_for(lambda s: _order_ok(s, col, descending), 3)
    v = _col_values(t, col)
    check.ok(ok, '%s: after key %s the rows should be sorted by %s %s: %r'
             % (what, key, col, 'largest first' if descending else 'smallest first', v[:12]))


def part_tree(check, t, what, hs):
    # wide enough for COMMAND, before which the branches are drawn
    t.set_size(30, 200)
    t.wait_for(vp.is_list_screen, 5)
    t.settle(0.2, 2)
    want = sorted([hs.b.pid] + hs.b.info['children'])
    set_filter(t, hs.tok_b)
    if not check.ok(t.wait_for(lambda s: sorted(_pids(s) or []) == want, 3),
                    '%s: filter %s: expected the rows of helper B and its 2 children %r, got %r'
                    % (what, hs.tok_b, want, _pids_t(t))):
        vp.dump_screen(t, what)
        t.send('\\')
        t.set_size(24, 80)
        return
    t.send('t')
    ok = t.wait_for(lambda s: sum(any(g in r for g in TREE_GLYPHS) for r in _rows(s)) == 2, 3)
    rows = rows_now(t)
    if check.ok(ok, '%s: "t" (tree view): expected the 2 children drawn with tree branches '
                '(%s) under helper B: %r' % (what, ' '.join(TREE_GLYPHS[:2]), rows)):
        check.eq('%s: tree view: the first row is the parent' % what, hs.b.pid,
                 (_pids_t(t) or [None])[0])
        check.ok(rows[-1].find('\u2514') >= 0 or rows[-1].find('\\-') >= 0 or
                 rows[-1].find('`-') >= 0,
                 '%s: tree view: the last child should be drawn with "\u2514\u2500": %r'
                 % (what, rows[-1]))
    t.send('t')
    check.ok(t.wait_for(lambda s: len(_rows(s)) == 3 and
                        not any(g in r for g in TREE_GLYPHS for r in _rows(s)), 3),
             '%s: "t" again did not leave the tree view: %r' % (what, rows_now(t)))
    t.send('\\')
    t.set_size(24, 80)
    t.wait_for(lambda s: vp.is_list_screen(s) and len(_rows(s)) > 3, 5)


def _chooser_selected(s):
    """The text of the highlighted item of the column chooser (items start with "[x]" or
    "[ ]"): the one whose attributes differ from the others'."""
    lines, attrs, chars = s.lines(), s.buf.attrs, s.buf.chars
    items = []
    for y, l in enumerate(lines):
        if re.match(r'^\s*\[[ xX*]\]', l):
            cells = [attrs[y][x] for x, c in enumerate(chars[y][:len(l) + 1]) if c.strip()]
            items.append((l, frozenset(cells)))
    if len(items) < 3:
        return None
    counts = {}
    for _, a in items:
        counts[a] = counts.get(a, 0) + 1
    odd = [l for l, a in items if counts[a] == 1]
    return odd[0] if len(odd) == 1 else None


def _chooser_selected_t(t):
    with t.cond:
        return _chooser_selected(t.screen)


def part_columns(check, t, what):
    t.send('c')
    ok = t.wait_for(lambda s: 'minflt_total' in s.text().lower(), 3)
    if not check.ok(ok, '%s: "c" did not open a column chooser listing the columns' % what):
        vp.dump_screen(t, what + ' after c')
        back_to_list(t)
        return
    t.settle(0.3, 3)
    text = t.text().lower()
    missing = [c for c in HELP_COLUMNS if c not in text and
               vp.COLUMN_HEADERS[c].lower() not in text]
    check.ok(not missing, '%s: the column chooser does not list %s' % (what, missing))
    if not _toggle_column(check, t, what, 'ppid'):
        back_to_list(t)
        return
    t.send('enter')
    ok = t.wait_for(lambda s: vp.is_list_screen(s) and
                    'PPID' in s.lines()[vp.column_header_line(s.lines())].split(), 3)
    check.ok(ok, '%s: after toggling ppid in the column chooser, the column header should show '
             'PPID: %r' % (what, _colhead(t)))
    t.send('c')
    t.wait_for(lambda s: 'minflt_total' in s.text().lower(), 3)
    if _toggle_column(check, t, what, 'ppid'):
        t.send('esc')
        ok = t.wait_for(lambda s: vp.is_list_screen(s) and
                        'PPID' not in s.lines()[vp.column_header_line(s.lines())].split(), 3)
        check.ok(ok, '%s: toggling ppid again then Esc should remove PPID: %r'
                 % (what, _colhead(t)))
    back_to_list(t)


def _colhead(t):
    lines = t.lines()
    ch = vp.column_header_line(lines)
    return lines[ch] if ch is not None else None


def _toggle_column(check, t, what, name):
    t.settle(0.2, 2)
    for _ in range(20):
        sel = _chooser_selected_t(t)
        if sel and re.search(r'(?<![a-z_])%s(?![a-z_])' % name, sel.lower()):
            before = sel
            t.send('space')
            changed = t.wait_for(lambda s: _chooser_selected(s) not in (before, None), 2)
            check.ok(changed, '%s: Space on %r in the column chooser did not change its mark'
                     % (what, sel))
            t.settle(0.1, 1)
            return True
        t.send('down')
        t.wait_for(lambda s: _chooser_selected(s) != sel, 1)
        t.settle(0.1, 1)
    check.fail('%s: could not move the column chooser\'s highlight to "%s" with Down (the '
               'highlighted row: %r)' % (what, name, _chooser_selected_t(t)))
    vp.dump_screen(t, what)
    return False


def part_detail(check, t, what, hs):
    t.set_size(50, 200)
    t.wait_for(vp.is_list_screen, 5)
    t.settle(0.2, 2)
    set_filter(t, hs.tok_a)
    if not check.ok(t.wait_for(lambda s: _pids(s) == [hs.a.pid], 3),
                    '%s: filter %s: expected the row of helper A (pid %d) only: %r'
                    % (what, hs.tok_a, hs.a.pid, rows_now(t))):
        t.send('\\')
        t.set_size(24, 80)
        return
    t.send('enter')
    base = os.path.basename(hs.map)
    ok = t.wait_for(lambda s: 'START' in s.text() and base in s.text(), 5)
    if check.ok(ok, '%s: Enter on helper A (pid %d): expected its detail with the mappings '
                'table (START ...) listing %s within 5 s' % (what, hs.a.pid, base)):
        t.settle(0.3, 3)  # the whole screen, not the first lines drawn
        text = t.text()
        check.ok(str(hs.a.pid) in text, '%s: the detail does not show the pid %d'
                 % (what, hs.a.pid))
        for word in ('START', 'SIZE', 'RSS', 'PSS', 'SWAP', 'PERM', 'KIND', 'NAME'):
            check.ok(re.search(r'\b%s\b' % word, text) is not None,
                     '%s: the mappings table has no %s column' % (what, word))
        for word in ('USS', 'SwapPss'):
            check.ok(word.lower() in text.lower(), '%s: the detail does not show %s'
                     % (what, word))
        check.ok('[heap]' in text or '[stack]' in text,
                 '%s: the mappings table shows neither [heap] nor [stack]' % what)
    else:
        vp.dump_screen(t, what + ' detail')
    t.send('m')
    cells = re.compile(r'[#f.HSGz?]{8,}')
    ok = t.wait_for(lambda s: sum(1 for l in s.lines() if cells.search(l)) >= 2 and
                    re.search(r'[0-9a-f]{8,}', s.text()) is not None, 8)
    if check.ok(ok, '%s: "m" in the detail: expected the page map (lines of cells # f . ... '
                'with addresses at left) within 8 s' % what):
        t.settle(0.3, 3)
        text = t.text()
        check.ok('exited' not in text,
                 '%s: the page map of helper A (alive, not stopped) says it exited: %r'
                 % (what, [l.strip() for l in t.lines() if 'exited' in l or 'walk' in l]))
        check.ok('#' in ''.join(m.group(0) for m in cells.finditer(text)),
                 '%s: the page map shows no "#" (present anonymous page): helper A wrote 64 '
                 'pages' % what)
        check.ok('f' in ''.join(m.group(0) for m in cells.finditer(text)),
                 '%s: the page map shows no "f" (present file page) on this screen' % what)
    else:
        vp.dump_screen(t, what + ' page map')
    t.send('esc')
    check.ok(t.wait_for(lambda s: 'START' in s.text(), 3),
             '%s: Esc on the page map did not go back to the detail' % what)
    t.send('esc')
    check.ok(t.wait_for(vp.is_list_screen, 3),
             '%s: Esc on the detail did not go back to the list' % what)
    t.send('\\')
    t.set_size(24, 80)
    t.wait_for(lambda s: vp.is_list_screen(s) and len(_rows(s)) > 3, 5)


def part_main(args, check, user):
    what = 'vmtop -d %s (as %s, 24x80 xterm-256color)' % (DELAY, vp.who(user))
    hs = Helpers(args, user)
    try:
        with vp.start_vmtop(args, '-d', DELAY, user=user) as t:
            if not vp.wait_list(check, t, what):
                return
            t.settle(0.3, 3)
            lines = t.lines()
            hl = vp.header_line(lines)
            check.ok(re.search(r'delay 0\.5s', lines[hl]) is not None,
                     '%s: the header line should say "delay 0.5s": %r' % (what, lines[hl]))
            check.ok(any(l.lstrip().startswith('Mem') for l in lines) and
                     any(l.lstrip().startswith('Swap') for l in lines),
                     '%s: no Mem and Swap bars in the header' % what)
            ch = vp.column_header_line(lines)
            names = [n for n, s, e, w in vp.header_spans(lines[ch])]
            want = ['PID', 'USER', 'RSS', 'PSS', 'USS', 'SWAP', 'MINFLT/s', 'MAJFLT/s',
                    'COMMAND']
            check.ok(names == want, '%s: the default columns should all fit in 80 columns, '
                     'COMMAND last with the rest of the width: expected %r, the column header '
                     'is %r' % (what, want, lines[ch]))
            check.ok('F1' in lines[-1], '%s: the status line (last line) should hint "F1 help": '
                     '%r' % (what, lines[-1]))
            for part in (part_help, part_filter, part_sort, part_tree, part_columns,
                         part_detail):
                if not t.alive():
                    break
                try:
                    if part in (part_filter, part_tree, part_detail):
                        part(check, t, what, hs)
                    else:
                        part(check, t, what)
                except Failed as e:
                    check.fail(str(e))
                if not back_to_list(t):
                    check.fail('%s: could not get back to the list after %s'
                               % (what, part.__name__))
                    vp.dump_screen(t, what)
                    break
            if check.ok(t.alive(), '%s: vmtop ended during the keys: %s; stderr: %s'
                        % (what, vp.describe_status(t.status), t.stderr()[:800])):
                vp.quit_and_check(check, t, what)
            _no_sanitizer(check, t, what)
    finally:
        hs.close()


def _no_sanitizer(check, t, what):
    rep = vp.sanitizer_report(t.stderr())
    check.ok(rep is None, '%s: a sanitizer or libc report on stderr:\n%s' % (what, rep))


# ---------------------------------------------------------------------------
# signals, crashes, suspend


def expect_fatal(check, t, what, sig):
    st = t.wait_exit(5)
    ok = st in (('exit', 128 + sig), ('signal', sig))
    check.ok(ok, '%s: expected exit status %d (or death by %s), got %s; stderr: %s'
             % (what, 128 + sig, signal.Signals(sig).name, vp.describe_status(st),
                t.stderr().strip()[:400]))
    if st is None:
        return
    vp.check_restored(check, t, what)


def part_signals(args, check, user):
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        what = 'vmtop (as %s), %s' % (vp.who(user), sig.name)
        with vp.start_vmtop(args, '-d', DELAY, user=user) as t:
            if not vp.wait_list(check, t, what):
                continue
            t.kill(sig)
            expect_fatal(check, t, what, sig)
    what = 'vmtop (as %s), key f10' % vp.who(user)
    with vp.start_vmtop(args, '-d', DELAY, user=user) as t:
        if vp.wait_list(check, t, what):
            vp.quit_and_check(check, t, what, key='f10')
    # Ctrl-C: a key in raw mode (exit 0), or SIGINT from the terminal (130)
    what = 'vmtop (as %s), key Ctrl-C' % vp.who(user)
    with vp.start_vmtop(args, '-d', DELAY, user=user) as t:
        if vp.wait_list(check, t, what):
            t.send('ctrl-c')
            st = t.wait_exit(5)
            if check.ok(st in (('exit', 0), ('exit', 130), ('signal', signal.SIGINT)),
                        '%s: expected exit 0 or 130 (or death by SIGINT), got %s'
                        % (what, vp.describe_status(st))):
                note('%s: %s' % (what, vp.describe_status(st)))
                vp.check_restored(check, t, what)


def part_crash(args, check, user):
    for name, sig in (('segv', signal.SIGSEGV), ('abort', signal.SIGABRT)):
        what = 'VMTOP_TEST_CRASH=%s vmtop (as %s)' % (name, vp.who(user))
        env = vp.base_env(extra={'VMTOP_TEST_CRASH': name})
        with vp.start_vmtop(args, '-d', DELAY, user=user, env=env) as t:
            st = t.wait_exit(10)
            if not check.ok(st is not None, '%s: vmtop did not die within 10 s (the test hook '
                            'VMTOP_TEST_CRASH is missing?)' % what):
                continue
            check.eq('%s: how it ended' % what, 'killed by %s' % sig.name,
                     vp.describe_status(st))
            check.ok(t.raw_bytes().find(b'\x1b[?1049h') >= 0,
                     '%s: it died before setting up the screen' % what)
            vp.check_restored(check, t, what)


def part_tstp(args, check, user):
    what = 'vmtop (as %s), SIGTSTP then SIGCONT' % vp.who(user)
    with vp.start_vmtop(args, '-d', DELAY, user=user) as t:
        if not vp.wait_list(check, t, what):
            return
        t.settle(0.3, 3)
        t.kill(signal.SIGTSTP)
        if not check.ok(t.wait_stopped(5), '%s: vmtop did not stop within 5 s of SIGTSTP (%s)'
                        % (what, vp.describe_status(t.status))):
            return
        t.settle(0.2, 2)
        now = t.termios_now()
        check.ok(now == t.termios_before, '%s: while stopped, the terminal modes are not the '
                 'original ones: %s' % (what, vp.termios_diff(t.termios_before, now)))
        check.ok(not t.screen.in_alt and t.screen.cursor_visible,
                 '%s: while stopped, the alternate screen should be left and the cursor shown '
                 '(alternate %s, cursor visible %s)' % (what, t.screen.in_alt,
                                                        t.screen.cursor_visible))
        mark = len(t.raw_bytes())
        t.kill(signal.SIGCONT)
        check.ok(t.wait_continued(5), '%s: no "continued" after SIGCONT' % what)
        ok = t.wait_for(lambda s: s.in_alt and vp.is_list_screen(s), 5)
        check.ok(ok, '%s: after SIGCONT the list was not redrawn on the alternate screen '
                 'within 5 s' % what)
        check.ok(t.termios_now() != t.termios_before,
                 '%s: after SIGCONT the terminal is still in its original (cooked) mode' % what)
        check.ok(len(t.raw_bytes()) > mark, '%s: nothing drawn after SIGCONT' % what)
        t.send('h')
        check.ok(t.wait_for(lambda s: not vp.is_list_screen(s), 3),
                 '%s: after resuming, "h" did not open the help' % what)
        t.send('esc')
        check.ok(t.wait_for(vp.is_list_screen, 3), '%s: after resuming, Esc did not come back'
                 % what)
        vp.quit_and_check(check, t, what)


# ---------------------------------------------------------------------------
# resizes


TOO_SMALL = 'terminal too small'


def _tiny_ok(s):
    """Every visible line is a piece of the "too small" message (clipped)."""
    for l in s.lines():
        l = l.strip()
        if l and l not in TOO_SMALL and TOO_SMALL not in l:
            return False
    return True


def part_resize(args, check, user):
    what = 'vmtop (as %s), resizes' % vp.who(user)
    with vp.start_vmtop(args, '-d', DELAY, user=user) as t:
        if not vp.wait_list(check, t, what):
            return
        for rows, cols in ((1, 1), (2, 5), (0, 0), (3, 3), (4, 40), (24, 19), (1000, 1000),
                           (24, 80)):
            w = '%s: %dx%d' % (what, rows, cols)
            t.set_size(rows, cols)
            if (rows, cols) in ((4, 40), (24, 19)):
                ok = t.wait_text('too small', 3)
                if not check.ok(ok, '%s: expected "%s"' % (w, TOO_SMALL)):
                    vp.dump_screen(t, w)
            elif rows and cols and rows < 5:
                ok = t.wait_for(lambda s: _tiny_ok(s) and s.text().strip(), 3) or \
                    t.wait_for(_tiny_ok, 0.1)
                if not check.ok(ok, '%s: expected (a piece of) "%s", nothing else'
                                % (w, TOO_SMALL)):
                    vp.dump_screen(t, w)
            elif rows >= 24 and cols >= 80:
                ok = t.wait_for(lambda s: vp.is_list_screen(s) and 'F1' in s.lines()[-1],
                                20 if rows > 100 else 5)
                check.ok(ok, '%s: the list and the status line (on the last line) did not come '
                         'back' % w)
                if not ok:
                    vp.dump_screen(t, w)
            else:
                time.sleep(0.5)
            if not check.ok(t.alive(), '%s: vmtop died: %s; stderr: %s'
                            % (w, vp.describe_status(t.status), t.stderr()[:800])):
                return
        # a storm: 1000 sizes as fast as we can
        rnd = random.Random(1)
        t0 = time.monotonic()
        for i in range(1000):
            r = rnd.choice([0, 1, 2, 3, 5, 10, 24, 50, 200, rnd.randrange(0, 300)])
            c = rnd.choice([0, 1, 2, 5, 19, 20, 80, 133, 400, rnd.randrange(0, 500)])
            t.set_size(r, c)
        t.set_size(24, 80)
        note('%s: 1000 resizes sent in %.2f s' % (what, time.monotonic() - t0))
        ok = t.wait_for(lambda s: vp.is_list_screen(s) and 'F1' in s.lines()[-1], 15)
        if not check.ok(ok and t.alive(), '%s: after a storm of 1000 resizes the 24x80 list did '
                        'not come back within 15 s (%s)' % (what, vp.describe_status(t.status))):
            vp.dump_screen(t, what)
        if t.alive():
            t.send('ctrl-l')
            check.ok(t.wait_for(vp.is_list_screen, 3), '%s: Ctrl-L: no list' % what)
            vp.quit_and_check(check, t, what)
        _no_sanitizer(check, t, what)


# ---------------------------------------------------------------------------
# H8: the process of the open detail exits; its PID is reused


def _start_with_pid(args, pid, mapf, tok, tries=20):
    """vmtop_helper idle with exactly this pid (root: ns_last_pid), or None."""
    for _ in range(tries):
        try:
            with open(NS_LAST_PID, 'w') as f:
                f.write(str(pid - 1))
        except OSError as e:
            note('cannot write %s: %s' % (NS_LAST_PID, e))
            return None
        h = vmlive.Helper([args.helper, 'idle', '--pages', '8', '--map', mapf, '--', tok],
                          name='vmtop_helper (new)')
        if h.pid == pid:
            return h
        h.close()
    return None


def part_exited(args, check, user):
    what = 'vmtop (as %s), the detail\'s process exits' % vp.who(user)
    d = tempfile.mkdtemp(prefix='vmtop-exit-')
    os.chmod(d, 0o755)
    old_map, new_map = os.path.join(d, 'old.map'), os.path.join(d, 'reused.map')
    for f in (old_map, new_map):
        with open(f, 'wb') as fh:
            fh.write(b'x' * 4 * vmlive.PAGE)
        os.chmod(f, 0o644)
    tok = 'vmtpx%04x' % random.randrange(1 << 16)
    h = new = None
    try:
        h = vmlive.Helper([args.helper, 'idle', '--pages', '8', '--map', old_map, '--', tok],
                          user=user, name='vmtop_helper (old)')
        pid = h.pid
        with vp.start_vmtop(args, '-d', DELAY, user=user, rows=40, cols=200) as t:
            if not vp.wait_list(check, t, what):
                return
            t.settle(0.2, 2)
            set_filter(t, tok)
            if not check.ok(t.wait_for(lambda s: _pids(s) == [pid], 3),
                            '%s: filter %s: expected pid %d only, got %r'
                            % (what, tok, pid, _pids_t(t))):
                return
            t.send('enter')
            if not check.ok(t.wait_text('old.map', 5), '%s: the detail of pid %d does not list '
                            'old.map' % (what, pid)):
                vp.dump_screen(t, what)
                return
            h.close()
            h = None
            ok = t.wait_for(lambda s: re.search(r'\bexited\b', s.text()) is not None and
                            str(pid) in s.text(), 5)
            if not check.ok(ok, '%s: pid %d was killed: the detail should say "process %d '
                            'exited" within 5 s' % (what, pid, pid)):
                vp.dump_screen(t, what)
            if os.geteuid() == 0:
                new = _start_with_pid(args, pid, new_map, tok)
                if new is None:
                    note('%s: PID reuse NOT CHECKED: could not get pid %d again' % (what, pid))
                else:
                    time.sleep(3)  # several frames: the detail is read again every few
                    text = t.text()
                    check.ok('reused.map' not in text,
                             '%s: pid %d was reused by a new process: the detail shows the new '
                             'process\'s mapping reused.map (stale identity)' % (what, pid))
                    check.ok(re.search(r'\bexited\b', text) is not None,
                             '%s: after the PID was reused the detail should still say the '
                             'process exited' % what)
                    if 'reused.map' in text or 'exited' not in text:
                        vp.dump_screen(t, what)
            t.send('esc')
            check.ok(t.wait_for(vp.is_list_screen, 3), '%s: Esc did not go back to the list'
                     % what)
            vp.quit_and_check(check, t, what)
            _no_sanitizer(check, t, what)
    finally:
        for x in (h, new):
            if x:
                x.close()
        shutil.rmtree(d, ignore_errors=True)


def part_denied(args, check, user):
    """As nobody: the detail and the page map of PID 1 (root's) say why they cannot be
    read; nothing crashes (the sanitizer build checks the paths of empty results)."""
    if user != 'nobody':
        return
    what = 'vmtop -p 1 (as nobody), detail and page map of a root process'
    with vp.start_vmtop(args, '-d', DELAY, '-p', '1', user=user, rows=30, cols=120) as t:
        if not vp.wait_list(check, t, what):
            return
        t.settle(0.2, 2)
        t.send('enter')
        ok = t.wait_for(lambda s: not vp.is_list_screen(s) and
                        re.search(r'denied|permission|CAP_SYS_PTRACE', s.text(), re.I), 5)
        if not check.ok(ok, '%s: the detail should say the mappings cannot be read (denied)'
                        % what):
            vp.dump_screen(t, what)
        t.send('m')
        ok = t.wait_for(lambda s: 'page map' in s.text().lower() and
                        re.search(r'denied|permission|CAP_SYS_PTRACE', s.text(), re.I), 5)
        if not check.ok(ok, '%s: the page map should say it cannot be read (denied)' % what):
            vp.dump_screen(t, what)
        t.settle(0.3, 2)
        t.send('esc')
        t.send('esc')
        check.ok(t.wait_for(vp.is_list_screen, 3), '%s: Esc Esc did not go back to the list'
                 % what)
        vp.quit_and_check(check, t, what)
        _no_sanitizer(check, t, what)


# ---------------------------------------------------------------------------
# random keys


SEQS = [b'\x1bOA', b'\x1bOB', b'\x1bOC', b'\x1bOD', b'\x1b[A', b'\x1b[B', b'\x1b[5~', b'\x1b[6~',
        b'\x1bOH', b'\x1bOF', b'\x1bOP', b'\x1b[15~', b'\x1b[1;5C', b'\x1b[3~', b'\x1b[2~',
        b'\x1b', b'\r', b'\x7f', b'\x1b[200~paste\x1b[201~', b'\x1b[', b'\x1bO', b'\x1b[999999999A',
        b'\x1b[?1;2c', b'\x1b]0;x\x07', b'\x1b[1;1R']
FORBIDDEN = set(b'q\x03\x1a\x1c\x11\x13')


def random_burst(rnd):
    # no quitting byte anywhere, not even inside a mouse report: vmtop does not ask
    # for mouse reports, so their bytes are keys to it
    return bytes(b for b in _random_burst(rnd) if b not in FORBIDDEN).replace(b'\x1b[21~', b'')


def _random_burst(rnd):
    k = rnd.random()
    if k < 0.45:
        return bytes(b for b in (rnd.randrange(256) for _ in range(rnd.randrange(1, 16)))
                     if b not in FORBIDDEN)
    if k < 0.75:
        return rnd.choice(SEQS)
    if k < 0.85:  # X10 and SGR mouse reports
        return bytes([0x1b, 0x5b, 0x4d, 32 + rnd.randrange(4), 32 + rnd.randrange(1, 95),
                      32 + rnd.randrange(1, 95)])
    if k < 0.95:
        return ('\x1b[<%d;%d;%d%s' % (rnd.randrange(70), rnd.randrange(300), rnd.randrange(300),
                                      rnd.choice('Mm'))).encode()
    return rnd.choice([b'hjkl', b'/x\r', b'u0\r', b'\\', b'c  \x1b', b'\rm+++---\x1b\x1b', b'tt',
                       b'<><>', b'IR', b'Z Z', b'gG'])


def part_random(args, check, user):
    seed = int(time.time())
    what = 'vmtop (as %s), %.0f s of random keys (seed %d)' % (vp.who(user), args.random_seconds,
                                                                seed)
    rnd = random.Random(seed)
    with vp.start_vmtop(args, '-d', '0.2', user=user) as t:
        if not vp.wait_list(check, t, what):
            return
        end = time.monotonic() + args.random_seconds
        sent = b''
        while time.monotonic() < end and t.alive():
            b = random_burst(rnd)
            t.send(b)
            sent += b
            time.sleep(rnd.choice([0, 0.001, 0.005, 0.02, 0.05]))
        note('%s: %d bytes sent' % (what, len(sent)))
        if not check.ok(t.alive(), '%s: vmtop ended: %s; the last bytes sent: %r; stderr: %s'
                        % (what, vp.describe_status(t.status), sent[-80:],
                           t.stderr()[:1500])):
            vp.check_restored(check, t, what)
            return
        # out of any prompt or screen, then q
        for _ in range(4):
            t.send('esc')
            time.sleep(0.3)
        t.send('q')
        st = t.wait_exit(5)
        if st is None:
            for _ in range(4):
                t.send('\x1b')
                time.sleep(0.5)
            t.send('q')
            st = t.wait_exit(5)
        if not check.eq('%s: q after Esc Esc Esc Esc' % what, ('exit', 0), st):
            vp.dump_screen(t, what)
        else:
            vp.check_restored(check, t, what)
        _no_sanitizer(check, t, what)


def body(args, check):
    parts = PARTS if args.part == 'all' else [args.part]
    fns = {'main': part_main, 'signals': part_signals, 'crash': part_crash, 'tstp': part_tstp,
           'resize': part_resize, 'random': part_random, 'exited': part_exited,
           'denied': part_denied}
    for user in vp.users(args):
        for p in parts:
            try:
                fns[p](args, check, user)
            except Failed as e:
                check.fail(str(e))


if __name__ == '__main__':
    vp.run_test(body, extra_args)
