# SPDX-License-Identifier: GPL-2.0-or-later
"""vmtop_pty: a pseudo-terminal harness for vmtop's live tests: a pty with a job-control
session around the program, a small xterm screen emulator, keys, resizes, termios."""

# Plain standard library.  The program runs on the slave side of a pty under a
# tiny session leader (this file run with --leader): the leader owns the
# session and the controlling terminal, puts the program in a process group
# of its own in the foreground, and reports its pid and every wait status
# (stopped, continued, exited, killed) on a pipe.  So the program sees what a
# shell gives it: SIGWINCH on a resize, a process group that is not orphaned
# (SIGTSTP stops it), a terminal it may set modes on.
#
# A reader thread drains the master at all times (the program never blocks on
# a full pty) and feeds the bytes to Screen, which keeps the text of the
# normal and the alternate screen, the cursor, its visibility, the modes and
# every OSC, BEL or C1 control it met.

import argparse
import codecs
import contextlib
import fcntl
import functools
import os
import pwd
import grp
import re
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import unicodedata

import vmlive
from vmlive import Checker, Failed, Skip, note  # noqa: F401 (re-exported for the tests)

SKIP_STATUS = 77
HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------------------
# Keys as an xterm sends them (application cursor keys once the program sent
# smkx, as ncurses does after keypad(TRUE)).

KEYS = {
    'esc': b'\x1b', 'enter': b'\r', 'tab': b'\t', 'backspace': b'\x7f', 'space': b' ',
    'ctrl-c': b'\x03', 'ctrl-l': b'\x0c', 'ctrl-z': b'\x1a',
    'pgup': b'\x1b[5~', 'pgdn': b'\x1b[6~', 'delete': b'\x1b[3~', 'insert': b'\x1b[2~',
    'f1': b'\x1bOP', 'f2': b'\x1bOQ', 'f3': b'\x1bOR', 'f4': b'\x1bOS',
    'f5': b'\x1b[15~', 'f6': b'\x1b[17~', 'f7': b'\x1b[18~', 'f8': b'\x1b[19~',
    'f9': b'\x1b[20~', 'f10': b'\x1b[21~', 'f11': b'\x1b[23~', 'f12': b'\x1b[24~',
}
CURSOR_KEYS = {'up': 'A', 'down': 'B', 'right': 'C', 'left': 'D', 'home': 'H', 'end': 'F'}


# ---------------------------------------------------------------------------
# The screen emulator

DEC_GRAPHICS = dict(zip(
    '`abcdefghijklmnopqrstuvwxyz{|}~',
    '\u25c6\u2592\u2409\u240c\u240d\u240a\u00b0\u00b1\u2424\u240b\u2518\u2510\u250c\u2514'
    '\u253c\u23ba\u23bb\u2500\u23bc\u23bd\u251c\u2524\u2534\u252c\u2502\u2264\u2265\u03c0'
    '\u2260\u00a3\u00b7'))

_ASCII_RUN = re.compile(r'[\x20-\x7e]+')
DEFAULT_ATTR = (0, -1, -1)  # (flags, fg, bg)
A_BOLD, A_DIM, A_ITALIC, A_UNDERLINE, A_BLINK, A_REVERSE, A_INVIS = (1, 2, 4, 8, 16, 32, 64)


@functools.lru_cache(maxsize=4096)
def char_width(c):
    """Columns a code point takes on the terminal: -1 control, 0, 1 or 2."""
    o = ord(c)
    if o < 0x20 or 0x7f <= o < 0xa0:
        return -1
    if 0xd800 <= o <= 0xdfff:  # an undecodable byte (surrogateescape)
        return 1
    if o == 0xad:
        return 1
    if unicodedata.combining(c) or unicodedata.category(c) in ('Mn', 'Me', 'Cf'):
        return 0
    if unicodedata.east_asian_width(c) in ('W', 'F'):
        return 2
    return 1


class _Buffer:
    def __init__(self, rows, cols):
        self.chars = [[' '] * cols for _ in range(rows)]
        self.attrs = [[DEFAULT_ATTR] * cols for _ in range(rows)]
        self.saved = None  # DECSC: (y, x, attr, charsets, origin)


class Screen:
    """What an xterm would show after reading the bytes fed to it (attributes kept
    per cell as (flags, fg, bg); colours by number)."""

    def __init__(self, rows, cols):
        self.rows, self.cols = max(1, rows), max(1, cols)
        self.main = _Buffer(self.rows, self.cols)
        self.alt = _Buffer(self.rows, self.cols)
        self.buf = self.main
        self.in_alt = False
        self._decoder = codecs.getincrementaldecoder('utf-8')('surrogateescape')
        self.events = {'bel': 0, 'osc': [], 'c1': [], 'dcs': [], 'dsr': 0, 'unknown': []}
        self.modes = {}
        self._reset_state()
        self.state = 'ground'
        self._seq = ''

    def _reset_state(self):
        self.y = self.x = 0
        self.attr = DEFAULT_ATTR
        self.wrap_pending = False
        self.autowrap = True
        self.origin = False
        self.insert = False
        self.cursor_visible = True
        self.app_cursor = False
        self.top, self.bottom = 0, self.rows - 1
        self.charsets = ['B', 'B']
        self.gl = 0
        self.last_char = ' '
        self.tabs = set(range(0, self.cols, 8))

    # -- geometry
    def resize(self, rows, cols):
        rows, cols = max(1, rows), max(1, cols)
        for b in (self.main, self.alt):
            for r in range(len(b.chars)):
                if cols < self.cols:
                    del b.chars[r][cols:]
                    del b.attrs[r][cols:]
                    if b.chars[r] and b.chars[r][-1] != '' and \
                            char_width(b.chars[r][-1][:1] or ' ') == 2:
                        b.chars[r][-1] = ' '
                else:
                    b.chars[r].extend([' '] * (cols - self.cols))
                    b.attrs[r].extend([DEFAULT_ATTR] * (cols - self.cols))
            if rows < self.rows:
                del b.chars[rows:]
                del b.attrs[rows:]
            else:
                for _ in range(rows - self.rows):
                    b.chars.append([' '] * cols)
                    b.attrs.append([DEFAULT_ATTR] * cols)
        self.rows, self.cols = rows, cols
        self.top, self.bottom = 0, rows - 1
        self.y = min(self.y, rows - 1)
        self.x = min(self.x, cols - 1)
        self.wrap_pending = False
        self.tabs = set(range(0, cols, 8))

    # -- reading it
    def lines(self):
        """The text of each row, right-trimmed (a wide character's right half is
        no character)."""
        return [''.join(r).rstrip() for r in self.buf.chars]

    def text(self):
        return '\n'.join(self.lines())

    def find(self, needle):
        """(row, col) of the first row holding needle, or None."""
        for i, l in enumerate(self.lines()):
            c = l.find(needle)
            if c >= 0:
                return i, c
        return None

    def contains(self, needle):
        return self.find(needle) is not None

    def row_attrs(self, row):
        return list(self.buf.attrs[row])

    def cell_x(self, row, col_in_text):
        """The column on screen of the col_in_text-th character of lines()[row]
        (wide characters take two cells)."""
        n = 0
        for x, c in enumerate(self.buf.chars[row]):
            if c == '':
                continue
            if n == col_in_text:
                return x
            n += 1
        return len(self.buf.chars[row])

    # -- feeding it
    def feed(self, data):
        s = self._decoder.decode(data)
        i, n = 0, len(s)
        while i < n:
            if self.state == 'ground':
                m = _ASCII_RUN.match(s, i)
                if m and self.charsets[self.gl] == 'B' and not self.insert:
                    self._put_run(m.group(0))
                    i = m.end()
                    continue
                c = s[i]
                i += 1
                o = ord(c)
                if o < 0x20 or o == 0x7f:
                    self._control(c)
                elif 0x80 <= o < 0xa0:
                    self.events['c1'].append(o)
                else:
                    self._put_char(c)
                continue
            c = s[i]
            i += 1
            self._escape_char(c)

    def _control(self, c):
        if c == '\x1b':
            self.state = 'esc'
            self._seq = ''
        elif c == '\x07':
            self.events['bel'] += 1
        elif c == '\b':
            self.wrap_pending = False
            self.x = max(0, self.x - 1)
        elif c == '\t':
            self.wrap_pending = False
            nxt = [t for t in self.tabs if t > self.x]
            self.x = min(min(nxt) if nxt else self.cols - 1, self.cols - 1)
        elif c in '\n\x0b\x0c':
            self.wrap_pending = False
            self._index()
        elif c == '\r':
            self.wrap_pending = False
            self.x = 0
        elif c == '\x0e':
            self.gl = 1
        elif c == '\x0f':
            self.gl = 0
        # NUL, DEL and the rest: nothing

    def _index(self):
        if self.y == self.bottom:
            self._scroll_up(1)
        elif self.y < self.rows - 1:
            self.y += 1

    def _rindex(self):
        if self.y == self.top:
            self._scroll_down(1)
        elif self.y > 0:
            self.y -= 1

    def _blank_row(self):
        return [' '] * self.cols, [(0, -1, self.attr[2])] * self.cols

    def _scroll_up(self, n, top=None, bottom=None):
        top = self.top if top is None else top
        bottom = self.bottom if bottom is None else bottom
        n = min(n, bottom - top + 1)
        for _ in range(n):
            del self.buf.chars[top]
            del self.buf.attrs[top]
            c, a = self._blank_row()
            self.buf.chars.insert(bottom, c)
            self.buf.attrs.insert(bottom, a)

    def _scroll_down(self, n, top=None, bottom=None):
        top = self.top if top is None else top
        bottom = self.bottom if bottom is None else bottom
        n = min(n, bottom - top + 1)
        for _ in range(n):
            del self.buf.chars[bottom]
            del self.buf.attrs[bottom]
            c, a = self._blank_row()
            self.buf.chars.insert(top, c)
            self.buf.attrs.insert(top, a)

    def _wrap(self):
        self.wrap_pending = False
        self.x = 0
        self._index()

    def _fix_wide(self, row, x0, x1):
        """Cells x0..x1-1 are about to be overwritten: a wide character cut in half
        at either edge loses its other half."""
        chars = self.buf.chars[row]
        if 0 < x0 < self.cols and chars[x0] == '':
            chars[x0 - 1] = ' '
        if x1 < self.cols and chars[x1] == '':
            chars[x1] = ' '

    def _put_run(self, s):
        self.last_char = s[-1]
        while s:
            if self.wrap_pending:
                if self.autowrap:
                    self._wrap()
                else:
                    self.wrap_pending = False
            room = self.cols - self.x
            if not self.autowrap and len(s) > room:
                s = s[:room - 1] + s[-1]
            chunk, s = s[:room], s[room:]
            x0, x1 = self.x, self.x + len(chunk)
            self._fix_wide(self.y, x0, x1)
            self.buf.chars[self.y][x0:x1] = list(chunk)
            self.buf.attrs[self.y][x0:x1] = [self.attr] * len(chunk)
            if x1 >= self.cols:
                self.x = self.cols - 1
                self.wrap_pending = True
            else:
                self.x = x1

    def _put_char(self, c):
        if self.charsets[self.gl] == '0' and c in DEC_GRAPHICS:
            c = DEC_GRAPHICS[c]
        w = char_width(c)
        if w < 0:
            return
        if 0xd800 <= ord(c) <= 0xdfff:
            c = '\ufffd'
        if w == 0:
            # combines with the character before the cursor
            y, x = self.y, self.x if self.wrap_pending else self.x - 1
            if x >= 0:
                chars = self.buf.chars[y]
                if chars[x] == '' and x > 0:
                    x -= 1
                chars[x] += c
            return
        self.last_char = c
        if self.wrap_pending:
            if self.autowrap:
                self._wrap()
            else:
                self.wrap_pending = False
        if w == 2 and self.x == self.cols - 1:
            if self.autowrap and self.cols > 1:
                self.buf.chars[self.y][self.x] = ' '
                self._wrap()
            else:
                c, w = ' ', 1
        if w == 2 and self.cols < 2:
            c, w = ' ', 1
        if self.insert:
            self._insert_blanks(w)
        x0, x1 = self.x, self.x + w
        self._fix_wide(self.y, x0, x1)
        self.buf.chars[self.y][x0] = c
        self.buf.attrs[self.y][x0] = self.attr
        if w == 2:
            self.buf.chars[self.y][x0 + 1] = ''
            self.buf.attrs[self.y][x0 + 1] = self.attr
        if x1 >= self.cols:
            self.x = self.cols - 1
            self.wrap_pending = True
        else:
            self.x = x1

    def _insert_blanks(self, n):
        row, arow = self.buf.chars[self.y], self.buf.attrs[self.y]
        n = min(n, self.cols - self.x)
        self._fix_wide(self.y, self.x, self.x)
        for _ in range(n):
            row.insert(self.x, ' ')
            arow.insert(self.x, (0, -1, self.attr[2]))
        del row[self.cols:]
        del arow[self.cols:]
        if row[-1] == '' and len(row) > 1:
            row[-1] = ' '

    def _erase(self, y, x0, x1):
        x0, x1 = max(0, x0), min(self.cols, x1)
        if x0 >= x1:
            return
        self._fix_wide(y, x0, x1)
        self.buf.chars[y][x0:x1] = [' '] * (x1 - x0)
        self.buf.attrs[y][x0:x1] = [(0, -1, self.attr[2])] * (x1 - x0)

    # -- escape sequences
    def _escape_char(self, c):
        st = self.state
        if st == 'esc':
            self._esc(c)
        elif st == 'esc-charset':
            self.charsets[self._seq_target] = c
            self.state = 'ground'
        elif st == 'esc-skip1':
            self.state = 'ground'
        elif st == 'csi':
            o = ord(c)
            if 0x40 <= o <= 0x7e:
                self.state = 'ground'
                self._csi(self._seq, c)
            elif o == 0x1b:
                self.events['unknown'].append('CSI ' + self._seq + ' cut by ESC')
                self.state = 'esc'
                self._seq = ''
            elif o < 0x20:
                self._control(c)  # executed inside the sequence, as xterm does
            else:
                self._seq += c
                if len(self._seq) > 256:
                    self.events['unknown'].append('CSI too long')
                    self.state = 'ground'
        elif st in ('osc', 'string'):
            if c == '\x07' and st == 'osc':
                self._string_end()
            elif c == '\x1b':
                self.state = st + '-esc'
            elif c == '\x9c':
                self._string_end()
            else:
                self._seq += c
        elif st in ('osc-esc', 'string-esc'):
            if c == '\\':
                self.state = st[:-4]
                self._string_end()
            else:
                self.state = st[:-4]
                self._string_end()
                self.state = 'esc'
                self._seq = ''
                self._esc(c)

    def _string_end(self):
        if self.state == 'osc':
            self.events['osc'].append(self._seq)
        else:
            self.events['dcs'].append(self._seq)
        self.state = 'ground'
        self._seq = ''

    def _esc(self, c):
        self.state = 'ground'
        if c == '[':
            self.state = 'csi'
            self._seq = ''
        elif c == ']':
            self.state = 'osc'
            self._seq = ''
        elif c in 'P_^X':
            self.state = 'string'
            self._seq = c
        elif c in '()*+':
            self.state = 'esc-charset'
            self._seq_target = 0 if c == '(' else 1
        elif c in '#%- ./':
            self.state = 'esc-skip1'
        elif c == '7':
            self.buf.saved = (self.y, self.x, self.attr, list(self.charsets), self.gl,
                              self.origin, self.wrap_pending)
        elif c == '8':
            self._restore_cursor()
        elif c == 'D':
            self.wrap_pending = False
            self._index()
        elif c == 'E':
            self.wrap_pending = False
            self.x = 0
            self._index()
        elif c == 'M':
            self.wrap_pending = False
            self._rindex()
        elif c == 'H':
            self.tabs.add(self.x)
        elif c == 'c':
            self.buf = self.main
            self.in_alt = False
            self.main = _Buffer(self.rows, self.cols)
            self.buf = self.main
            self._reset_state()
        elif c in '=>':
            self.modes['keypad'] = c == '='
        elif c == '\\':
            pass  # a stray ST
        elif c in 'NO':
            self.state = 'esc-skip1'  # single shift: the next character
        elif c == '\x1b':
            self.state = 'esc'
        else:
            self.events['unknown'].append('ESC ' + c)

    def _restore_cursor(self):
        s = self.buf.saved
        if s is None:
            self.y = self.x = 0
            self.attr = DEFAULT_ATTR
            self.wrap_pending = False
            return
        self.y, self.x, self.attr, cs, self.gl, self.origin, self.wrap_pending = s
        self.charsets = list(cs)
        self.y = min(self.y, self.rows - 1)
        self.x = min(self.x, self.cols - 1)

    def _csi(self, seq, final):
        priv = ''
        if seq and seq[0] in '<=>?':
            priv, seq = seq[0], seq[1:]
        inter = ''
        while seq and 0x20 <= ord(seq[-1]) <= 0x2f:
            inter = seq[-1] + inter
            seq = seq[:-1]
        params = []
        for p in seq.split(';') if seq else []:
            p = p.split(':')[0]
            try:
                params.append(int(p) if p else None)
            except ValueError:
                params.append(None)

        def arg(i, default):
            v = params[i] if i < len(params) else None
            return default if v is None or v == 0 else v

        if inter:
            if final == 'p' and inter == '!':  # DECSTR
                self.insert = False
                self.origin = False
                self.autowrap = True
                self.cursor_visible = True
                self.top, self.bottom = 0, self.rows - 1
                self.attr = DEFAULT_ATTR
            return  # DECSCUSR and the like: nothing on screen
        if priv in '<=>' and priv:
            return  # xterm modifyKeys, DA2 and the like
        if final in 'hl':
            on = final == 'h'
            for p in params:
                if p is None:
                    continue
                if priv == '?':
                    self._decset(p, on)
                elif p == 4:
                    self.insert = on
                else:
                    self.modes['ansi%d' % p] = on
            return
        if priv == '?':
            if final not in 'Jn':
                return
        self.wrap_pending = self.wrap_pending and final in 'mnctsq'
        if final == 'A':
            self.y = max(self.top if self.y >= self.top else 0, self.y - arg(0, 1))
        elif final == 'B' or final == 'e':
            self.y = min(self.bottom if self.y <= self.bottom else self.rows - 1,
                         self.y + arg(0, 1))
        elif final == 'C' or final == 'a':
            self.x = min(self.cols - 1, self.x + arg(0, 1))
        elif final == 'D':
            self.x = max(0, self.x - arg(0, 1))
        elif final == 'E':
            self.y = min(self.rows - 1, self.y + arg(0, 1))
            self.x = 0
        elif final == 'F':
            self.y = max(0, self.y - arg(0, 1))
            self.x = 0
        elif final in 'G`':
            self.x = min(self.cols - 1, arg(0, 1) - 1)
        elif final in 'Hf':
            y = arg(0, 1) - 1
            if self.origin:
                y = min(self.bottom, y + self.top)
            self.y = min(self.rows - 1, y)
            self.x = min(self.cols - 1, arg(1, 1) - 1)
        elif final == 'd':
            y = arg(0, 1) - 1
            if self.origin:
                y += self.top
            self.y = min(self.rows - 1, y)
        elif final == 'I':
            for _ in range(arg(0, 1)):
                self._control('\t')
        elif final == 'Z':
            for _ in range(arg(0, 1)):
                prev = [t for t in self.tabs if t < self.x]
                self.x = max(prev) if prev else 0
        elif final == 'J':
            mode = params[0] if params and params[0] is not None else 0
            if mode == 0:
                self._erase(self.y, self.x, self.cols)
                for y in range(self.y + 1, self.rows):
                    self._erase(y, 0, self.cols)
            elif mode == 1:
                for y in range(0, self.y):
                    self._erase(y, 0, self.cols)
                self._erase(self.y, 0, self.x + 1)
            elif mode == 2:
                for y in range(self.rows):
                    self._erase(y, 0, self.cols)
        elif final == 'K':
            mode = params[0] if params and params[0] is not None else 0
            if mode == 0:
                self._erase(self.y, self.x, self.cols)
            elif mode == 1:
                self._erase(self.y, 0, self.x + 1)
            elif mode == 2:
                self._erase(self.y, 0, self.cols)
        elif final == 'X':
            self._erase(self.y, self.x, self.x + arg(0, 1))
        elif final == '@':
            self._insert_blanks(arg(0, 1))
        elif final == 'P':
            n = min(arg(0, 1), self.cols - self.x)
            row, arow = self.buf.chars[self.y], self.buf.attrs[self.y]
            self._fix_wide(self.y, self.x, self.x + n)
            del row[self.x:self.x + n]
            del arow[self.x:self.x + n]
            row.extend([' '] * n)
            arow.extend([(0, -1, self.attr[2])] * n)
        elif final == 'L':
            if self.top <= self.y <= self.bottom:
                self._scroll_down(arg(0, 1), self.y, self.bottom)
                self.x = 0
        elif final == 'M':
            if self.top <= self.y <= self.bottom:
                self._scroll_up(arg(0, 1), self.y, self.bottom)
                self.x = 0
        elif final == 'S':
            self._scroll_up(arg(0, 1))
        elif final == 'T':
            if len(params) <= 1:
                self._scroll_down(arg(0, 1))
        elif final == 'b':
            c = self.last_char
            for _ in range(min(arg(0, 1), self.rows * self.cols)):
                self._put_char(c)
        elif final == 'g':
            mode = params[0] if params and params[0] is not None else 0
            if mode == 0:
                self.tabs.discard(self.x)
            elif mode == 3:
                self.tabs.clear()
        elif final == 'm':
            self._sgr(params)
        elif final == 'n':
            self.events['dsr'] += 1
        elif final == 'r':
            top, bottom = arg(0, 1) - 1, arg(1, self.rows) - 1
            bottom = min(bottom, self.rows - 1)
            if top < bottom:
                self.top, self.bottom = top, bottom
                self.y, self.x = (self.top if self.origin else 0), 0
        elif final == 's':
            self.buf.saved = (self.y, self.x, self.attr, list(self.charsets), self.gl,
                              self.origin, False)
        elif final == 'u':
            self._restore_cursor()
        elif final in 'tcq':
            pass  # window operations, device attributes
        else:
            self.events['unknown'].append('CSI %s%s%s' % (priv, seq, final))

    def _decset(self, p, on):
        if p == 25:
            self.cursor_visible = on
        elif p == 7:
            self.autowrap = on
        elif p == 6:
            self.origin = on
            self.y, self.x = (self.top if on else 0), 0
        elif p == 1:
            self.app_cursor = on
        elif p in (47, 1047, 1049):
            if p == 1049 and on:
                self._esc('7')
            if on and not self.in_alt:
                self.in_alt = True
                self.buf = self.alt
                if p in (1047, 1049):
                    self.alt.chars = [[' '] * self.cols for _ in range(self.rows)]
                    self.alt.attrs = [[DEFAULT_ATTR] * self.cols for _ in range(self.rows)]
            elif not on and self.in_alt:
                self.in_alt = False
                self.buf = self.main
            if p == 1049 and not on:
                self._restore_cursor()
        elif p == 1048:
            self._esc('7' if on else '8')
        else:
            self.modes['?%d' % p] = on

    def _sgr(self, params):
        flags, fg, bg = self.attr
        if not params:
            params = [0]
        i = 0
        while i < len(params):
            p = params[i] or 0
            if p == 0:
                flags, fg, bg = DEFAULT_ATTR
            elif p in (1, 2, 3, 4, 5, 7, 8):
                flags |= {1: A_BOLD, 2: A_DIM, 3: A_ITALIC, 4: A_UNDERLINE, 5: A_BLINK,
                          7: A_REVERSE, 8: A_INVIS}[p]
            elif p == 22:
                flags &= ~(A_BOLD | A_DIM)
            elif p in (23, 24, 25, 27, 28):
                flags &= ~{23: A_ITALIC, 24: A_UNDERLINE, 25: A_BLINK, 27: A_REVERSE,
                           28: A_INVIS}[p]
            elif 30 <= p <= 37:
                fg = p - 30
            elif 90 <= p <= 97:
                fg = p - 90 + 8
            elif p == 39:
                fg = -1
            elif 40 <= p <= 47:
                bg = p - 40
            elif 100 <= p <= 107:
                bg = p - 100 + 8
            elif p == 49:
                bg = -1
            elif p in (38, 48):
                v = -1
                if i + 2 < len(params) + 1 and i + 1 < len(params) and params[i + 1] == 5:
                    v = params[i + 2] if i + 2 < len(params) and params[i + 2] else 0
                    i += 2
                elif i + 1 < len(params) and params[i + 1] == 2:
                    rgb = [(params[j] or 0) if j < len(params) else 0
                           for j in range(i + 2, i + 5)]
                    v = 0x1000000 | (rgb[0] << 16) | (rgb[1] << 8) | rgb[2]
                    i += 4
                if p == 38:
                    fg = v
                else:
                    bg = v
            i += 1
        self.attr = (flags, fg, bg)


# ---------------------------------------------------------------------------
# The session leader (this file run as a program)


def _leader_main(argv):
    """Run argv in its own foreground process group on our controlling terminal;
    report "pid N", "stopped SIG", "continued", "exit N", "signal SIG [core]" on
    the status fd."""
    status_fd, tty_fd = int(argv[0]), int(argv[1])
    prog = argv[2:]
    for s in (signal.SIGTTOU, signal.SIGTTIN, signal.SIGTSTP, signal.SIGINT, signal.SIGQUIT,
              signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(w)
            os.setpgid(0, 0)
            os.read(r, 1)  # until the parent made our group the foreground one
            os.close(r)
            for s in range(1, signal.NSIG):
                with contextlib.suppress(OSError, ValueError, RuntimeError):
                    if s not in (signal.SIGKILL, signal.SIGSTOP):
                        signal.signal(s, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_SETMASK, [])
            if tty_fd > 2:
                os.close(tty_fd)
            os.close(status_fd)
            env = dict(os.environ)
            # ours, not the program's (see Term)
            for k in env.pop('VMTOP_PTY_UNSET', '').split(','):
                env.pop(k, None)
            os.execvpe(prog[0], prog, env)
        except OSError as e:
            os.write(2, ('vmtop_pty leader: cannot run %s: %s\n' % (prog[0], e)).encode())
        os._exit(127)
    os.close(r)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)
    with contextlib.suppress(OSError):
        os.tcsetpgrp(tty_fd, pid)
    os.write(w, b'g')
    os.close(w)
    os.write(status_fd, b'pid %d\n' % pid)
    while True:
        try:
            _, st = os.waitpid(pid, os.WUNTRACED | os.WCONTINUED)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if os.WIFSTOPPED(st):
            os.write(status_fd, b'stopped %d\n' % os.WSTOPSIG(st))
        elif os.WIFCONTINUED(st):
            os.write(status_fd, b'continued\n')
        elif os.WIFEXITED(st):
            os.write(status_fd, b'exit %d\n' % os.WEXITSTATUS(st))
            break
        elif os.WIFSIGNALED(st):
            os.write(status_fd, b'signal %d%s\n' % (os.WTERMSIG(st),
                                                    b' core' if os.WCOREDUMP(st) else b''))
            break
    os._exit(0)


# ---------------------------------------------------------------------------
# A program on a pty


def nobody_ids():
    try:
        uid = pwd.getpwnam('nobody').pw_uid
    except KeyError:
        raise Skip('no user nobody')
    try:
        gid = grp.getgrnam('nogroup').gr_gid
    except KeyError:
        gid = pwd.getpwnam('nobody').pw_gid
    return uid, gid


def base_env(term='xterm-256color', lang='C.UTF-8', extra=None):
    """The environment of a run: ours without the locale, size and colour
    variables, then TERM and LANG (None: unset) and extra (None values unset)."""
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith('LC_') or k in ('LANG', 'LANGUAGE', 'TERM', 'LINES', 'COLUMNS',
                                                 'NO_COLOR', 'TERMINFO', 'TERMINFO_DIRS',
                                                 'ESCDELAY', 'TERMCAP'))}
    if term is not None:
        env['TERM'] = term
    if lang is not None:
        env['LANG'] = lang
    for k, v in (extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


class Term:
    """argv running on a fresh pty of rows x cols.  stdin/stdout/stderr: 'pty', or
    an open file / fd (stderr 'file' (default): a temporary file, see .stderr())."""

    def __init__(self, argv, rows=24, cols=80, env=None, user=None, stdin='pty', stdout='pty',
                 stderr='file', start_timeout=15, no_core=True):
        self.argv = [str(a) for a in argv]
        self.user = user
        self.cond = threading.Condition()
        self.raw = bytearray()
        self.chunks = []  # (monotonic time, offset in raw) of each read
        self.screen = Screen(rows, cols)
        self.status = None  # ('exit', n) or ('signal', n)
        self.stops = []  # wait statuses seen: 'stopped N', 'continued'
        self.pid = None
        self.leader_gone = False
        self._stop = False
        self.master, self.slave = os.openpty()
        self.set_size(rows, cols, signal_it=False)
        self.termios_before = termios.tcgetattr(self.slave)
        if user == 'nobody':
            uid, _ = nobody_ids()
            try:
                tty_gid = grp.getgrnam('tty').gr_gid
            except KeyError:
                tty_gid = -1
            os.fchown(self.slave, uid, tty_gid)
            os.fchmod(self.slave, 0o620)
            self.argv = vmlive.NOBODY + self.argv
        elif user is not None:
            raise ValueError(user)
        self._errfile = None
        fds = {}
        for name, spec in (('stdin', stdin), ('stdout', stdout), ('stderr', stderr)):
            if spec == 'pty':
                fds[name] = self.slave
            elif spec == 'file':
                self._errfile = tempfile.TemporaryFile()
                fds[name] = self._errfile
            else:
                fds[name] = spec
        st_r, st_w = os.pipe()
        self._status_r = st_r
        slave = self.slave

        def preexec():
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            if no_core:
                import resource
                resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

        leader = [sys.executable, os.path.join(HERE, 'vmtop_pty.py'), '--leader', str(st_w),
                  str(self.slave)] + self.argv
        env = dict(env if env is not None else base_env())
        # Python in a C locale would set LC_CTYPE=C.UTF-8 for its children (PEP 538):
        # the leader must not change the program's locale
        if 'PYTHONCOERCECLOCALE' not in env:
            env['PYTHONCOERCECLOCALE'] = '0'
            env['VMTOP_PTY_UNSET'] = 'PYTHONCOERCECLOCALE'
        try:
            self.leader = subprocess.Popen(leader, stdin=fds['stdin'], stdout=fds['stdout'],
                                           stderr=fds['stderr'], pass_fds=(st_w, self.slave),
                                           env=env,
                                           start_new_session=True, preexec_fn=preexec)
        finally:
            os.close(st_w)
        self._thread = threading.Thread(target=self._reader, daemon=True)
        self._thread.start()
        with self.cond:
            if not self.cond.wait_for(lambda: self.pid is not None or self.leader_gone,
                                      start_timeout):
                self.close()
                raise Failed('%s: the pty session did not start within %d s'
                             % (self.cmd(), start_timeout))
        if self.pid is None:
            self.close()
            raise Failed('%s: the pty session leader failed' % self.cmd())

    def cmd(self):
        return ' '.join(self.argv)

    # -- the reader thread
    def _reader(self):
        status_buf = b''
        fds = [self.master, self._status_r]
        while not self._stop:
            try:
                ready, _, _ = select.select(fds, [], [], 0.05)
            except (OSError, ValueError):
                return
            for fd in ready:
                try:
                    data = os.read(fd, 1 << 16)
                except OSError:
                    data = b''
                if fd == self.master:
                    if not data:
                        fds.remove(fd)
                        continue
                    with self.cond:
                        self.chunks.append((time.monotonic(), len(self.raw)))
                        self.raw += data
                        self.screen.feed(data)
                        self.cond.notify_all()
                    continue
                if not data:
                    fds.remove(fd)
                    with self.cond:
                        self.leader_gone = True
                        self.cond.notify_all()
                    continue
                status_buf += data
                while b'\n' in status_buf:
                    line, status_buf = status_buf.split(b'\n', 1)
                    self._status_line(line.decode())
            if not fds:
                return

    def _status_line(self, line):
        w = line.split()
        with self.cond:
            if w[0] == 'pid':
                self.pid = int(w[1])
            elif w[0] in ('stopped', 'continued'):
                self.stops.append(line)
            elif w[0] == 'exit':
                self.status = ('exit', int(w[1]))
            elif w[0] == 'signal':
                self.status = ('signal', int(w[1]))
            self.cond.notify_all()

    # -- driving it
    def set_size(self, rows, cols, signal_it=True):
        """The emulator takes the new size (0 counts as 1), then TIOCSWINSZ on the
        master (the kernel sends SIGWINCH to the foreground group): as a terminal
        does, so that whatever the program draws after the signal lands on the new
        grid (the reader thread waits for the lock meanwhile)."""
        if not signal_it:
            fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
            return
        with self.cond:
            self.screen.resize(rows, cols)
            fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))

    def send(self, data):
        """Bytes, or a key name from KEYS / CURSOR_KEYS; returns the time sent."""
        if isinstance(data, str):
            if data in KEYS:
                data = KEYS[data]
            elif data in CURSOR_KEYS:
                data = (b'\x1bO' if self.screen.app_cursor else b'\x1b[') + \
                    CURSOR_KEYS[data].encode()
            else:
                data = data.encode()
        t = time.monotonic()
        os.write(self.master, data)
        return t

    def type(self, text, gap=0.0):
        for ch in text:
            self.send(ch)
            if gap:
                time.sleep(gap)

    def kill(self, sig):
        os.kill(self.pid, sig)

    # -- waiting
    def wait_for(self, pred, timeout=5.0):
        """Until pred(screen) is true: True, or False after timeout."""
        with self.cond:
            return self.cond.wait_for(lambda: pred(self.screen), timeout)

    def wait_text(self, needle, timeout=5.0):
        if isinstance(needle, re.Pattern):
            return self.wait_for(lambda s: needle.search(s.text()), timeout)
        return self.wait_for(lambda s: s.contains(needle), timeout)

    def wait_gone_text(self, needle, timeout=5.0):
        return self.wait_for(lambda s: not s.contains(needle), timeout)

    def settle(self, quiet=0.25, timeout=5.0):
        """Until no output came for quiet seconds (or timeout)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.cond:
                last = self.chunks[-1][0] if self.chunks else 0
            left = quiet - (time.monotonic() - last)
            if left <= 0:
                return True
            time.sleep(min(left, max(0.01, end - time.monotonic())))
        return False

    def lines(self):
        with self.cond:
            return self.screen.lines()

    def text(self):
        with self.cond:
            return self.screen.text()

    def snapshot(self):
        """(lines, attrs of every row) at one moment."""
        with self.cond:
            return self.screen.lines(), [list(r) for r in self.screen.buf.attrs], \
                [list(r) for r in self.screen.buf.chars]

    def raw_bytes(self):
        with self.cond:
            return bytes(self.raw)

    def alive(self):
        with self.cond:
            return self.status is None

    def wait_exit(self, timeout=10.0):
        """('exit', n) or ('signal', n), or None when it is still running."""
        with self.cond:
            self.cond.wait_for(lambda: self.status is not None or self.leader_gone, timeout)
            st = self.status
        if st is not None:
            # what it wrote last is in the pty already: read it before looking
            self._drain()
        return st

    def wait_stopped(self, timeout=5.0):
        with self.cond:
            return self.cond.wait_for(
                lambda: self.stops and self.stops[-1].startswith('stopped'), timeout)

    def wait_continued(self, timeout=5.0):
        with self.cond:
            return self.cond.wait_for(
                lambda: self.stops and self.stops[-1] == 'continued', timeout)

    def _drain(self, quiet=0.15, timeout=3.0):
        self.settle(quiet, timeout)

    def termios_now(self):
        return termios.tcgetattr(self.slave)

    def stderr(self):
        if self._errfile is None:
            return ''
        self._errfile.seek(0)
        return self._errfile.read().decode('utf-8', 'replace')

    def close(self):
        """Kill whatever is left (the program's group, then the leader), stop the
        reader, close the pty."""
        if self.pid is not None and self.status is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, signal.SIGCONT)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, signal.SIGKILL)
        try:
            self.leader.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                self.leader.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.leader.wait(timeout=5)
        self._stop = True
        self._thread.join(timeout=5)
        for fd in (self.master, self.slave, self._status_r):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self._errfile is not None:
            with contextlib.suppress(OSError):
                self._errfile.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# ---------------------------------------------------------------------------
# Reading vmtop's screens (spec/vmtop.md)

HEADER_RE = re.compile(r'^vmtop \d\d:\d\d:\d\d\s+\d+ process(es)?\b')
COLUMN_HEADERS = {
    'pid': 'PID', 'ppid': 'PPID', 'user': 'USER', 'state': 'S', 'vsz': 'VSZ', 'rss': 'RSS',
    'pss': 'PSS', 'uss': 'USS', 'swap': 'SWAP', 'minflt': 'MINFLT/s', 'majflt': 'MAJFLT/s',
    'minflt_total': 'MINFLT', 'majflt_total': 'MAJFLT', 'command': 'COMMAND',
}
SORT_MARKS = '\u25bc\u25b2\u2193\u2191*^v<>+-'


def header_line(lines):
    for i, l in enumerate(lines):
        if HEADER_RE.match(l.lstrip()):
            return i
    return None


def column_header_line(lines):
    """The row of the list's column header: PID ... COMMAND."""
    for i, l in enumerate(lines):
        w = l.split()
        names = [t.strip(SORT_MARKS) for t in w]
        if 'PID' in names and ('COMMAND' in names or 'RSS' in names) and i > 0:
            return i
    return None


def is_list_screen(screen):
    lines = screen.lines()
    return header_line(lines) is not None and column_header_line(lines) is not None


def header_spans(line):
    """[(name without sort marks, start, end)] of the words of a column header."""
    out = []
    for m in re.finditer(r'\S+', line):
        out.append((m.group(0).strip(SORT_MARKS), m.start(), m.end(), m.group(0)))
    return out


def sort_column(lines, attrs, chars, row):
    """The column the header marks as the sort column: a mark character next to a
    name, else the name whose cells' attributes differ from the rest of the line.
    Returns (name or None, how)."""
    spans = header_spans(lines[row])
    for name, s, e, word in spans:
        if word != name and name:
            return name, 'mark %r' % word
    # attributes: the cells of each name
    cells = chars[row]
    # map text offsets to cell offsets (wide characters take two cells)
    xs = []
    for x, c in enumerate(cells):
        if c != '':
            xs.append(x)
    groups = {}
    for name, s, e, word in spans:
        a = set(attrs[row][xs[k]] for k in range(s, e) if k < len(xs))
        groups[name] = frozenset(a)
    counts = {}
    for g in groups.values():
        counts[g] = counts.get(g, 0) + 1
    odd = [n for n, g in groups.items() if counts[g] == 1]
    if len(odd) == 1 and len(groups) > 2:
        return odd[0], 'attributes'
    return None, 'no mark found in %r' % lines[row]


def list_rows(lines, col_row):
    """The rows under the column header, up to the first blank line or the status
    line (the last line of the screen)."""
    out = []
    for l in lines[col_row + 1:]:
        if not l.strip():
            break
        out.append(l)
    # the status line at the bottom: not a row
    if out and len(lines) and out[-1] == lines[-1].rstrip() and \
            ('F1' in out[-1] or 'help' in out[-1].lower()):
        out.pop()
    return out


def split_row(header, row):
    """{header name: text} of a row, by the header's geometry: numeric columns are
    right-aligned under their name, USER/COMMAND/S left-aligned."""
    spans = header_spans(header)
    out = {}
    for i, (name, s, e, word) in enumerate(spans):
        prev_end = spans[i - 1][2] if i else 0
        nxt_start = spans[i + 1][1] if i + 1 < len(spans) else None
        if name in ('USER', 'COMMAND', 'S'):
            out[name] = (row[s:nxt_start] if nxt_start is not None else row[s:]).strip()
            if name == 'COMMAND':
                out[name] = row[s:].rstrip()
        else:
            out[name] = row[prev_end:e].strip()
    return out


_SIZE_RE = re.compile(r'^(\d+(?:\.\d)?) (B|KiB|MiB|GiB|TiB|PiB|EiB)$')
_UNITS = {'B': 1, 'KiB': 1 << 10, 'MiB': 1 << 20, 'GiB': 1 << 30, 'TiB': 1 << 40,
          'PiB': 1 << 50, 'EiB': 1 << 60}


def parse_size(text):
    """'12.3 MiB' -> bytes (approximate for a decimal), None if not a size."""
    m = _SIZE_RE.match(text.strip())
    if not m:
        return None
    return float(m.group(1)) * _UNITS[m.group(2)]


def human(n):
    """A size as vmtop prints it (cx_human_size: 1024-based units, one decimal
    rounded half up, none when the value is whole in its unit)."""
    units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB']
    u, div = 0, 1
    while u + 1 < len(units) and n // div >= 1024:
        div *= 1024
        u += 1
    whole, tenths = n // div, 0
    if n % div:
        tenths = whole * 10 + ((n % div) * 10 + div // 2) // div
        whole, tenths = tenths // 10, tenths % 10
        if not tenths and whole == 1024 and u + 1 < len(units):
            whole, u = 1, u + 1
    return ('%d.%d %s' % (whole, tenths, units[u])) if tenths else ('%d %s' % (whole, units[u]))


# ---------------------------------------------------------------------------
# Running a test script


def more_args(p):
    p.add_argument('--vmtop', required=True, help='the built vmtop')
    p.add_argument('--helper', required=True, help='tests/helpers/vmtop_helper')
    p.add_argument('--faultzoo', help='tests/helpers/faultzoo')
    p.add_argument('--workdir', default=tempfile.gettempdir(),
                   help='a build directory for scratch files')
    p.add_argument('--user', choices=['all', 'self', 'nobody'], default='all',
                   help='run as: all (ourselves, and nobody when root), self, nobody')


def _sigterm(signum, frame):
    raise SystemExit(128 + signum)


def run_test(body, extra=None, need_helper=True):
    """body(args, check); exit 0, 1 with the failures, or 77 with SKIP: reason."""
    signal.signal(signal.SIGTERM, _sigterm)
    p = argparse.ArgumentParser()
    more_args(p)
    if extra:
        extra(p)
    args = p.parse_args()
    check = Checker()
    try:
        if not os.access(args.vmtop, os.X_OK):
            raise Skip('vmtop not built: %s (ncursesw not found at configure time?)'
                       % args.vmtop)
        if need_helper and not os.access(args.helper, os.X_OK):
            raise Skip('vmtop_helper not built: ' + args.helper)
        body(args, check)
    except Skip as e:
        if check.failures:
            check.report()
            sys.exit(1)
        print('SKIP: %s' % e, flush=True)
        sys.exit(SKIP_STATUS)
    except Failed as e:
        check.fail(str(e))
    if check.failures:
        check.report()
        sys.exit(1)
    print('ok: %d checks passed' % check.passed, flush=True)
    sys.exit(0)


def users(args):
    """Who to run vmtop as: None (ourselves) and 'nobody' when we are root."""
    if args.user == 'self':
        return [None]
    if args.user == 'nobody':
        if os.geteuid() != 0:
            raise Skip('--user nobody needs root')
        return ['nobody']
    return [None, 'nobody'] if os.geteuid() == 0 else [None]


def who(user):
    return user or ('root' if os.geteuid() == 0 else 'uid %d' % os.geteuid())


def describe_status(st):
    if st is None:
        return 'still running'
    if st[0] == 'exit':
        return 'exit status %d' % st[1]
    return 'killed by %s' % signal.Signals(st[1]).name


def dump_screen(t, what):
    """Print the screen for the log (when a check fails)."""
    note('%s: screen (%dx%d, %s):' % (what, t.screen.rows, t.screen.cols,
                                      'alternate' if t.screen.in_alt else 'normal'))
    for i, l in enumerate(t.lines()):
        if l:
            print('#   %2d|%s' % (i, l), flush=True)


def termios_diff(before, after):
    names = ['iflag', 'oflag', 'cflag', 'lflag', 'ispeed', 'ospeed', 'cc']
    out = []
    for n, a, b in zip(names, before, after):
        if a != b:
            if n == 'cc':
                idx = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
                out.append('cc[%s] %r -> %r' % (idx, [a[i] for i in idx], [b[i] for i in idx]))
            else:
                out.append('%s %#o -> %#o' % (n, a, b) if isinstance(a, int) else
                           '%s %r -> %r' % (n, a, b))
    return '; '.join(out)


def check_restored(check, t, what, screen_too=True):
    """termios as before the start; the cursor visible and the normal screen back."""
    now = t.termios_now()
    check.ok(now == t.termios_before, '%s: termios after exit differs from before the start: %s'
             % (what, termios_diff(t.termios_before, now)))
    if not screen_too:
        return
    raw = t.raw_bytes()
    check.ok(not t.screen.in_alt,
             '%s: the alternate screen was not left (last ?1049h at byte %d, last ?1049l at %d)'
             % (what, raw.rfind(b'\x1b[?1049h'), raw.rfind(b'\x1b[?1049l')))
    check.ok(t.screen.cursor_visible,
             '%s: the cursor was left hidden (last ?25l at byte %d, last ?25h at %d)'
             % (what, raw.rfind(b'\x1b[?25l'), raw.rfind(b'\x1b[?25h')))


def start_vmtop(args, *options, rows=24, cols=80, user=None, env=None, **kw):
    return Term([args.vmtop] + [str(o) for o in options], rows=rows, cols=cols,
                env=env if env is not None else base_env(), user=user, **kw)


def wait_list(check, t, what, timeout=10):
    """Wait for the header and the column header; False (after a failure) if not."""
    ok = t.wait_for(is_list_screen, timeout)
    if not ok:
        check.fail('%s: no header ("vmtop HH:MM:SS  N processes ...") and column header '
                   '(PID ... COMMAND) within %d s (%s; stderr: %s)'
                   % (what, timeout, describe_status(t.status), t.stderr().strip()[:500]))
        dump_screen(t, what)
    return ok


def quit_and_check(check, t, what, key='q', timeout=10):
    t.send(key)
    st = t.wait_exit(timeout)
    if not check.eq('%s: after %r' % (what, key), ('exit', 0), st):
        note('%s: stderr: %s' % (what, t.stderr().strip()[:800]))
        dump_screen(t, what)
        return False
    check_restored(check, t, what)
    return True


def sanitizer_report(text):
    """The first sanitizer or glibc abort report in text, or None."""
    for pat in ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:',
                'ERROR: ThreadSanitizer', 'WARNING: ThreadSanitizer', 'malloc(): ', 'free(): ',
                'double free', 'stack smashing detected'):
        i = text.find(pat)
        if i >= 0:
            return text[max(0, i - 200):i + 1200]
    return None


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == '--leader':
        _leader_main(sys.argv[2:])
    print('vmtop_pty: a library for the tests (run with --leader STATUSFD TTYFD ARGV...)',
          file=sys.stderr)
    sys.exit(2)
