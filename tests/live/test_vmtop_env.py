# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: vmtop's environment checks (hazards B1-B4, I1): TERM unset, bogus or dumb,
stdout or stdin not a terminal -> exit 2 with the message and not one escape byte;
a setuid copy refused; LANG=C draws ASCII only, C.UTF-8 draws UTF-8, a bogus locale runs;
absurd LINES/COLUMNS are ignored."""

import os
import re
import shutil
import signal
import subprocess
import tempfile

import vmlive
import vmtop_pty as vp
from vmlive import note

NEEDS_TTY = 'vmtop: interactive mode needs a terminal; use --batch'


def refused(check, what, t, message_re, stdout_file=None):
    st = t.wait_exit(10)
    err = t.stderr()
    if not check.eq('%s: exit status' % what, ('exit', 2), st):
        note('%s: stderr: %s' % (what, err.strip()[:400]))
        return
    check.ok(re.search(message_re, err) is not None,
             '%s: expected a message matching %r on stderr, got %r' % (what, message_re, err))
    raw = t.raw_bytes()
    check.ok(b'\x1b' not in raw, '%s: escape bytes were written to the terminal before the '
             'check: %r' % (what, raw[:200]))
    check.ok(t.termios_now() == t.termios_before, '%s: the terminal modes changed' % what)
    if stdout_file is not None:
        stdout_file.seek(0)
        data = stdout_file.read()
        check.ok(b'\x1b' not in data, '%s: escape bytes in the file on stdout: %r'
                 % (what, data[:200]))


def part_term(args, check, user):
    for term in (None, 'bogus', 'dumb', ''):
        what = 'vmtop with TERM %s (as %s)' % ('unset' if term is None else repr(term),
                                             vp.who(user))
        env = vp.base_env(term=term)
        # a TERMINFO directory in the environment must not help a bogus TERM either
        with vp.start_vmtop(args, '-d', '0.5', user=user, env=env) as t:
            name = re.escape(term) if term else "[^']*"
            rx = r"vmtop: cannot use terminal type '%s'( \([^)]*\))?; use --batch" % name
            refused(check, what, t, rx)


def part_notty(args, check, user):
    with tempfile.TemporaryFile() as f:
        what = 'vmtop > file (as %s)' % vp.who(user)
        with vp.start_vmtop(args, '-d', '0.5', user=user, stdout=f) as t:
            refused(check, what, t, re.escape(NEEDS_TTY), stdout_file=f)
    with open(os.devnull, 'rb') as null:
        what = 'vmtop < /dev/null (as %s)' % vp.who(user)
        with vp.start_vmtop(args, '-d', '0.5', user=user, stdin=null) as t:
            refused(check, what, t, re.escape(NEEDS_TTY))
    # both, as from cron: a pipe
    what = 'vmtop < /dev/null | cat (as %s)' % vp.who(user)
    argv = [args.vmtop, '-d', '0.5']
    if user == 'nobody':
        argv = vmlive.NOBODY + argv
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=vp.base_env(), timeout=30)
    check.eq('%s: exit status' % what, 2, p.returncode)
    check.ok(NEEDS_TTY in p.stderr.decode('utf-8', 'replace'),
             '%s: expected %r on stderr, got %r' % (what, NEEDS_TTY, p.stderr[:300]))
    check.ok(p.stdout == b'', '%s: nothing may be written on stdout, got %r'
             % (what, p.stdout[:200]))


def absolute_runpath(args, copy, d):
    """The loader ignores a $ORIGIN run path in a setuid program: write an absolute
    one (a short symlink to the build's lib/) over it in the copy, in place.  meson
    leaves room after the build run path (the X padding for the install one)."""
    with open(copy, 'rb') as f:
        data = f.read()
    i = data.find(b'$ORIGIN/')
    if i < 0:
        return
    end = data.index(b'\0', i)
    old = data[i:end]
    new = []
    for part in old.split(b':'):
        if part.startswith(b'$ORIGIN/'):
            target = os.path.normpath(os.path.join(os.path.dirname(os.path.realpath(
                args.vmtop)).encode(), part[len(b'$ORIGIN/'):]))
            link = os.path.join(d, 'l%d' % len(new)).encode()
            os.symlink(target, link)
            new.append(link)
    new = b':'.join(new)
    if len(new) > len(old):
        note('setuid copy: the absolute run path %r does not fit over %r' % (new, old))
        return
    data = data[:i] + new + b'\0' * (len(old) - len(new)) + data[end:]
    with open(copy, 'wb') as f:
        f.write(data)


def part_setuid(args, check):
    if os.geteuid() != 0:
        note('setuid copy: not checked (needs root to make a setuid-root copy)')
        return
    # short: the absolute run path written into the copy must fit where $ORIGIN/.. was
    d = tempfile.mkdtemp(prefix='vs', dir='/tmp')
    try:
        st = os.statvfs(d)
        if st.f_flag & os.ST_NOSUID:
            note('setuid copy: NOT CHECKED: %s is on a nosuid file system' % d)
            return
        os.chmod(d, 0o755)
        copy = os.path.join(d, 'vmtop')
        shutil.copy2(args.vmtop, copy)
        absolute_runpath(args, copy, d)
        os.chown(copy, 0, 0)
        os.chmod(copy, 0o4755)
        what = 'a setuid-root copy of vmtop run as nobody'
        with vp.Term([copy, '-d', '0.5'], user='nobody', env=vp.base_env()) as t:
            stt = t.wait_exit(10)
            err = t.stderr()
            if stt == ('exit', 127) and 'error while loading shared libraries' in err:
                # the dynamic loader ignores $ORIGIN run paths in a setuid program: the
                # build tree's vmtop cannot even start there
                note('setuid copy: NOT CHECKED: the loader refused the copy before vmtop ran '
                     '(%s): its run path uses $ORIGIN' % err.strip()[:200])
                return
            check.eq('%s: exit status' % what, ('exit', 2), stt)
            check.ok('must not be installed setuid' in err,
                     '%s: expected "must not be installed setuid" on stderr, got %r'
                     % (what, err[:300]))
            check.ok(b'\x1b' not in t.raw_bytes(), '%s: escape bytes on the terminal' % what)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def part_locale(args, check, user):
    # A helper whose command line holds non-ASCII text, with two children: the
    # tree view draws branches before them.
    word = '\u6f22\u5b57-caf\u00e9'
    with vmlive.Helper([args.helper, 'idle', '--children', '2', '--', 'vmtoploc', word],
                       user=user, name='vmtop_helper') as h:
        pids = ','.join(str(p) for p in [h.pid] + h.info['children'])
        runs = [
            ('LANG=C', {'LANG': 'C'}, False),
            ('LANG=POSIX', {'LANG': 'POSIX'}, False),
            ('LC_ALL=xx_YY.bogus', {'LC_ALL': 'xx_YY.bogus', 'LANG': None}, False),
            ('LANG=C.UTF-8', {'LANG': 'C.UTF-8'}, True),
        ]
        for name, extra, utf8 in runs:
            what = 'vmtop -t -p %s with %s (as %s)' % (pids, name, vp.who(user))
            env = vp.base_env(lang=None, extra=extra)
            with vp.start_vmtop(args, '-t', '-d', '0.3', '-p', pids, user=user, env=env,
                                cols=250) as t:
                if not vp.wait_list(check, t, what):
                    continue
                if utf8:
                    ok = t.wait_for(lambda s: word in s.text() and
                                    ('\u251c\u2500' in s.text() or '\u2514\u2500' in s.text()), 5)
                    check.ok(ok, '%s: expected %r and tree branches \u251c\u2500 \u2514\u2500 on '
                             'screen' % (what, word))
                else:
                    esc = r'\xe6\xbc\xa2'
                    ok = t.wait_for(lambda s: esc in s.text() and
                                    ('|-' in s.text() or '\\-' in s.text() or '`-' in s.text()),
                                    5)
                    check.ok(ok, '%s: expected the non-ASCII argument escaped (%s...) and ASCII '
                             'tree branches (|- \\-) on screen' % (what, esc))
                if not ok:
                    vp.dump_screen(t, what)
                t.send('h')
                t.wait_for(lambda s: not vp.is_list_screen(s), 3)
                t.settle(0.3, 3)
                t.send('esc')
                t.wait_for(vp.is_list_screen, 3)
                vp.quit_and_check(check, t, what)
                raw = t.raw_bytes()
                if utf8:
                    try:
                        raw.decode('utf-8')
                        check.ok(True, '')
                    except UnicodeDecodeError as e:
                        check.fail('%s: the terminal output is not valid UTF-8: %s (%r)'
                                   % (what, e, raw[max(0, e.start - 40):e.start + 40]))
                else:
                    hi = [i for i, b in enumerate(raw) if b >= 0x80]
                    check.ok(not hi, '%s: %d bytes >= 0x80 in the terminal output (ASCII only '
                             'expected), first at %s: %r' % (what, len(hi), hi[:1],
                                                             raw[hi[0] - 30:hi[0] + 30]
                                                             if hi else b''))


def part_size_env(args, check, user):
    for extra in ({'COLUMNS': '-5'}, {'COLUMNS': '999999999'}, {'LINES': 'abc'},
                  {'LINES': '999999999', 'COLUMNS': '999999999'}, {'LINES': '0', 'COLUMNS': '0'}):
        what = 'vmtop -n 3 -d 0.2 with %s (as %s)' % (
            ' '.join('%s=%s' % kv for kv in extra.items()), vp.who(user))
        with vp.start_vmtop(args, '-n', '3', '-d', '0.2', user=user,
                            env=vp.base_env(extra=extra)) as t:
            ok = t.wait_for(vp.is_list_screen, 10)
            if ok:
                lines = t.lines()
                check.ok(all(len(l) <= 80 for l in lines),
                         '%s: lines wider than the 80-column terminal' % what)
            st = t.wait_exit(15)
            if not check.eq('%s: exit status' % what, ('exit', 0), st):
                note('%s: stderr: %s' % (what, t.stderr()[:600]))
                if st is None:
                    t.kill(signal.SIGKILL)
                continue
            check.ok(ok, '%s: the list was not drawn at 24x80' % what)
            vp.check_restored(check, t, what)


def body(args, check):
    for user in vp.users(args):
        part_term(args, check, user)
        part_notty(args, check, user)
        part_locale(args, check, user)
        part_size_env(args, check, user)
    part_setuid(args, check)


if __name__ == '__main__':
    vp.run_test(body)
