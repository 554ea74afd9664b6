# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: hostile process names never reach the terminal (hazards H5, H6, I4): helpers
whose comm, command line and mapped file name hold OSC title and clipboard sequences,
ESC [2J, C1 CSI, BEL, U+202E, zero-width, CJK wide and invalid UTF-8; in the pty output
nothing of them acts (compared with a run on benign names), their escaped forms are on
screen and the columns stay aligned; in batch mode, to a pipe or a tty, no ESC at all."""

import os
import re
import shutil
import subprocess
import tempfile

import vmlive
import vmtop_pty as vp
from vmlive import note

# Every payload, as raw bytes in the command line, and the escaped form
# (cx_sanitize: \xNN for controls, C1, bidi controls and invalid UTF-8) that
# must be on screen instead.
PAYLOADS = [
    (b'T1\x1b]0;pwned\x07', r'T1\x1b]0;pwned\x07'),
    (b'T2\x1b[2J', r'T2\x1b[2J'),
    (b'T3\x1b]52;c;cHduZWQ=\x07', r'T3\x1b]52;c;cHduZWQ=\x07'),
    (b'T4\x9b6n', r'T4\x9b6n'),
    (b'T5\xc2\x9b6n', r'T5\xc2\x9b6n'),  # U+009B, valid UTF-8 C1 CSI
    (b'T6\xe2\x80\xaeevil', r'T6\xe2\x80\xaeevil'),  # U+202E RIGHT-TO-LEFT OVERRIDE
    (b'T7\x07\x08\x7f', r'T7\x07\x08\x7f'),
    (b'T8\xff\xfe\xc3', r'T8\xff\xfe\xc3'),
    (b'T9\x1bP+q544e\x1b\\', 'T9\\x1bP+q544e\\x1b\\'),  # a backslash stays one
]
WIDE = '\u6f22\u5b57\u200bwide'  # CJK (2 columns each) and a zero-width space
# on screen: the CJK as it is; the zero-width space as it is, or visibly replaced
WIDE_SHOWN = re.compile('\u6f22\u5b57(\u200b|\\?|\\\\xe2\\\\x80\\\\x8b|\\\\u200b)wide')
HOSTILE_COMM = b'\x1b]0;pwned\x07ab'  # 13 bytes: fits in comm
BENIGN_COMM = b'benign-comm-ab'
MAP_NAME = b'map\x1b]0;pwned\x07\x1b[2J.dat'
COLS = 400  # the whole escaped command line fits


def raw_dangers(raw, screen):
    """What in a pty output can only come from data: (name, detail) pairs."""
    out = []
    text = raw.decode('utf-8', 'surrogateescape')
    for ch, name in (('\u202e', 'U+202E'), ('\u202d', 'U+202D'), ('\u2066', 'U+2066'),
                     ('\x9b', 'U+009B (C1 CSI)'), ('\udc9b', 'a raw 0x9b byte')):
        if ch in text:
            out.append((name, text.index(ch)))
    for osc in screen.events['osc']:
        if 'pwned' in osc or osc.startswith('52;') or osc.startswith('0;') or \
                osc.startswith('2;'):
            out.append(('OSC ' + osc, None))
    for d in screen.events['dcs']:
        out.append(('DCS/APC/PM ' + d, None))
    if screen.events['bel']:
        out.append(('%d BEL outside an OSC' % screen.events['bel'], None))
    if screen.events['c1']:
        out.append(('C1 controls %r' % screen.events['c1'], None))
    if screen.events['dsr']:
        out.append(('%d device status requests (ESC [ n)' % screen.events['dsr'], None))
    for m in re.finditer(rb'\x1b\[2J', raw):
        if not raw[:m.start()].endswith(b'\x1b[H'):
            out.append(('ESC [2J not after ESC [H (not ncurses\' clear)', m.start()))
    return out


def seq_shapes(raw):
    """The kinds of escape sequences in raw, numbers blanked: {shape}."""
    shapes = set()
    for m in re.finditer(rb'\x1b(\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]|\][^\x07\x1b]*|.)', raw,
                         re.S):
        s = re.sub(rb'\d+', b'N', m.group(0))
        shapes.add(s)
    return shapes


def start_helpers(args, user, d, hostile):
    """(main helper, comm-only helper): the first has the payloads in its command line
    and maps a file; the second has an empty command line, so its comm is shown."""
    if hostile:
        argv = [a for a, _ in PAYLOADS] + [WIDE.encode()]
        comm, mapf = HOSTILE_COMM, os.path.join(d, MAP_NAME)
    else:
        argv = [('B%d' % i).encode() + b'x' * (len(a) - 2) for i, (a, _) in enumerate(PAYLOADS)] \
            + [b'benignwide']
        comm, mapf = BENIGN_COMM, os.path.join(d, b'map-benign.dat')
    with open(mapf, 'wb') as f:
        f.write(b'x' * vmlive.PAGE * 4)
    os.chmod(mapf, 0o644)
    h1 = vmlive.Helper([args.helper.encode(), b'idle', b'--comm', comm, b'--map', mapf,
                        b'--', b'vmtophostile'] + argv, user=user, name='vmtop_helper')
    try:
        h2 = vmlive.Helper([args.helper.encode(), b'idle', b'--comm', comm, b'--empty-cmdline'],
                           user=user, name='vmtop_helper (empty cmdline)')
    except BaseException:
        h1.close()
        raise
    return h1, h2


def interactive(args, check, user, h1, h2, hostile):
    """vmtop on the two helpers, then the detail and page map of the first; returns the
    Term (closed) for the comparison."""
    kind = 'hostile' if hostile else 'benign'
    what = 'vmtop -p %d,%d (%s names, as %s, 40x%d)' % (h1.pid, h2.pid, kind, vp.who(user), COLS)
    with vp.start_vmtop(args, '-d', '0.3', '-p', '%d,%d' % (h1.pid, h2.pid), '-s', 'pid',
                        '-o', 'pid,user,rss,pss,command', user=user, rows=40, cols=COLS) as t:
        if not vp.wait_list(check, t, what):
            return t
        ok = t.wait_for(lambda s: len(_rows(s)) == 2, 5)
        t.settle(0.5, 3)
        lines = t.lines()
        ch = vp.column_header_line(lines)
        rows = vp.list_rows(lines, ch)
        if not check.ok(ok, '%s: expected 2 rows, got %r' % (what, rows)):
            vp.dump_screen(t, what)
            return t
        hl = vp.header_line(lines)
        check.ok(hl == 0, '%s: the header is no longer on the first line' % what)
        text = t.text()
        if hostile:
            missing = [esc for _, esc in PAYLOADS if esc not in text]
            check.ok(not missing, '%s: these escaped forms are not on screen: %s'
                     % (what, missing))
            check.ok(WIDE_SHOWN.search(text) is not None,
                     '%s: %r (CJK and a zero-width space) not on screen' % (what, WIDE))
            check.ok(r'[\x1b]0;pwned\x07ab]' in text,
                     '%s: the empty-cmdline helper should show as [\\x1b]0;pwned\\x07ab]' % what)
        # alignment: under the header, in cells
        col_x = t.screen.cell_x(ch, lines[ch].index('COMMAND'))
        pid_end = t.screen.cell_x(ch, lines[ch].index('PID') + 3)
        for r in rows:
            y = lines.index(r)
            cells = t.screen.buf.chars[y]
            pid = ''.join(cells[:pid_end]).strip()
            check.ok(pid in (str(h1.pid), str(h2.pid)),
                     '%s: a row whose PID column (cells 0..%d) is %r: %r'
                     % (what, pid_end, pid, r))
            check.ok(cells[col_x - 1] == ' ' and cells[col_x] not in (' ', ''),
                     '%s: the command does not start under COMMAND (cell %d): %r'
                     % (what, col_x, r))
        check.ok(all(len(l) <= COLS for l in lines), '%s: a line is wider than the terminal'
                 % what)
        # the detail and the page map of the first helper
        t.send('N')
        t.send('I')  # smallest pid first: h1
        t.wait_for(lambda s: _rows(s) and _rows(s)[0].lstrip().startswith(str(h1.pid)), 3)
        t.send('enter')
        mapname = vp_escaped(MAP_NAME) if hostile else 'map-benign.dat'
        ok = t.wait_for(lambda s: 'START' in s.text() and mapname in s.text(), 5)
        if not check.ok(ok, '%s: the detail of pid %d does not show the mapping %s'
                        % (what, h1.pid, mapname)):
            vp.dump_screen(t, what + ' detail')
        t.send('m')
        t.wait_for(lambda s: re.search(r'[#f.]{8,}', s.text()) is not None, 8)
        t.settle(0.5, 3)
        t.send('esc')
        t.send('esc')
        t.wait_for(vp.is_list_screen, 3)
        vp.quit_and_check(check, t, what)
    return t


def vp_escaped(b):
    out = ''
    for c in b:
        out += chr(c) if 0x20 <= c < 0x7f else '\\x%02x' % c
    return out


def _rows(s):
    lines = s.lines()
    ch = vp.column_header_line(lines)
    return vp.list_rows(lines, ch) if ch is not None else []


def batch(args, check, user, h1, h2, lang):
    what = 'vmtop -b -n 1 -p %d,%d (LANG=%s, as %s)' % (h1.pid, h2.pid, lang, vp.who(user))
    argv = [args.vmtop, '-b', '-n', '1', '-p', '%d,%d' % (h1.pid, h2.pid)]
    if user == 'nobody':
        argv = vmlive.NOBODY + argv
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=vp.base_env(lang=lang), timeout=60)
    if not check.eq('%s: exit status' % what, 0, p.returncode):
        note('%s: stderr: %s' % (what, p.stderr[:500]))
        return
    out = p.stdout
    for b, name in ((0x1b, 'ESC'), (0x07, 'BEL'), (0x9b, 'CSI (0x9b)')):
        check.ok(b not in out, '%s: a raw %s byte in the output at %d: %r'
                 % (what, name, out.find(bytes([b])), out[max(0, out.find(bytes([b])) - 40):
                                                        out.find(bytes([b])) + 40]))
    text = out.decode('utf-8', 'surrogateescape')
    missing = [esc for _, esc in PAYLOADS if esc not in text]
    check.ok(not missing, '%s: these escaped forms are not in the output: %s' % (what, missing))
    if lang == 'C':
        check.ok(all(b < 0x80 for b in out), '%s: bytes >= 0x80 in the output with LANG=C'
                 % what)
        check.ok(r'\xe6\xbc\xa2' in text, '%s: the CJK argument should be escaped with LANG=C'
                 % what)
    else:
        check.ok(WIDE_SHOWN.search(text) is not None, '%s: %r not in the output'
                 % (what, WIDE))
        for ch in ('\u202e', '\x9b'):
            check.ok(ch not in text, '%s: %r reached the output' % (what, ch))
    check.ok(r'[\x1b]0;pwned\x07ab]' in text,
             '%s: the empty-cmdline helper should show as [\\x1b]0;pwned\\x07ab]: %r'
             % (what, text[-600:]))


def batch_on_tty(args, check, user, h1, h2):
    """I4: batch mode with stdout a terminal: still no ESC at all."""
    what = 'vmtop -b -n 2 -d 0.2 -p %d,%d on a tty (as %s)' % (h1.pid, h2.pid, vp.who(user))
    with vp.start_vmtop(args, '-b', '-n', '2', '-d', '0.2', '-p', '%d,%d' % (h1.pid, h2.pid),
                        user=user, cols=COLS) as t:
        st = t.wait_exit(30)
        if not check.eq('%s: exit status' % what, ('exit', 0), st):
            note('%s: stderr: %s' % (what, t.stderr()[:500]))
            return
        raw = t.raw_bytes()
        check.ok(b'\x1b' not in raw and b'\x07' not in raw,
                 '%s: ESC or BEL bytes on the tty: first ESC at %d: %r'
                 % (what, raw.find(b'\x1b'), raw[max(0, raw.find(b'\x1b') - 40):
                                                 raw.find(b'\x1b') + 40]))
        check.ok(r'T1\x1b]0;pwned\x07' in raw.decode('utf-8', 'replace'),
                 '%s: the escaped payload is not in the output' % what)
        check.ok(t.termios_now() == t.termios_before, '%s: batch mode changed the terminal modes'
                 % what)


def body(args, check):
    for user in vp.users(args):
        d = tempfile.mkdtemp(prefix='vmtop-hostile-').encode()
        os.chmod(d, 0o755)
        try:
            runs = {}
            for hostile in (False, True):
                h1, h2 = start_helpers(args, user, d, hostile)
                try:
                    t = interactive(args, check, user, h1, h2, hostile)
                    runs[hostile] = t
                    if hostile:
                        for lang in ('C.UTF-8', 'C'):
                            batch(args, check, user, h1, h2, lang)
                        batch_on_tty(args, check, user, h1, h2)
                finally:
                    h1.close()
                    h2.close()
            if len(runs) == 2:
                what = 'vmtop on hostile names (as %s)' % vp.who(user)
                benign, hostile = runs[False], runs[True]
                found = raw_dangers(hostile.raw_bytes(), hostile.screen)
                base = raw_dangers(benign.raw_bytes(), benign.screen)
                extra = [f for f in found if f[0] not in [b[0] for b in base]]
                check.ok(not extra, '%s: the pty output holds what only data can have put '
                         'there: %s' % (what, extra))
                new = seq_shapes(hostile.raw_bytes()) - seq_shapes(benign.raw_bytes())
                # the screens differ (wide characters, other lengths): ncurses may choose
                # other moves; only sequences that do something other than draw count
                bad = [s for s in new if re.match(rb'\x1b(\]|P|_|\^|X|\[N?[nctq]|\[\?)', s)]
                check.ok(not bad, '%s: escape sequences in the hostile run that the benign '
                         'run does not have: %r' % (what, sorted(bad)))
                if new - set(bad):
                    note('%s: other sequence shapes only in the hostile run (drawing): %r'
                         % (what, sorted(new - set(bad))[:20]))
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == '__main__':
    vp.run_test(body)
