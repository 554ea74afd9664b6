# SPDX-License-Identifier: GPL-2.0-or-later
"""Output suite: JSON for hostile names and paths (hazards F8, F9).  A helper process with
ESC, BEL, quotes, backslashes, newlines, 0xFF and other invalid UTF-8, U+202E and a 10 KB
path in its comm, command line and mapped files; every command's JSON about it (live and
from a snapshot of it) must be valid UTF-8 that a strict parser takes (no duplicate key,
no NaN or Infinity), with control characters escaped, invalid bytes as U+FFFD plus the
exact bytes in "KEY_b64", addresses and PFNs as hex strings, no integer past 2^53, and
the schema named.  A copy of a fixture with counters past 2^53 checks those as strings."""

import base64
import os
import re
import shutil
import subprocess

import outlib
from outlib import note

# The mapped files: name bytes (a file in the scratch directory).
FILE_NAMES = [
    b'esc\x1b[31mred\x07bel',
    b'quote"back\\slash',
    b'new\nline',
    b'tab\tcr\rdel\x7f',
    b'bad\xff\xfeutf8',
    b'trunc\xe2\x82end',
    b'overlong\xc0\xafsurrogate\xed\xa0\x80big\xf4\x90\x80\x80',
    b'rlo\xe2\x80\xaegnp.exe',
    b'c1\xc2\x9b31m',
]
# The command line: argv[0] and the arguments (no NUL can be in one).
ARGV = [b'hostile\x1b]0;pwned\x07', b'\xff\xfe', b'quote"\\', b'new\nline', b'\xe2\x80\xae',
        b'\x01\x02\x7f', b'ok']
COMM = b'c\x1b[2J\xff"\\\n\x07z'  # 13 bytes: the whole of it fits
# more than the kernel maps around the first fault (fault_around_bytes, 64 KiB), so
# that touching every page changes the RSS of each mapping
FILE_SIZE = 256 * 1024
LONG_DEPTH = 42  # directories of 250 bytes: a path of about 10.5 KB


def per_byte_utf8(raw):
    """@raw decoded as vmscope documents it: each invalid byte becomes U+FFFD."""
    out = []
    i = 0
    while i < len(raw):
        b = raw[i]
        n = 1 if b < 0x80 else 2 if 0xc2 <= b <= 0xdf else 3 if 0xe0 <= b <= 0xef else \
            4 if 0xf0 <= b <= 0xf4 else 0
        try:
            if n == 0:
                raise UnicodeDecodeError('utf-8', raw, i, i + 1, 'invalid lead byte')
            ch = raw[i:i + n].decode('utf-8', errors='strict')
            if len(ch) != 1:
                raise UnicodeDecodeError('utf-8', raw, i, i + n, 'not one character')
            out.append(ch)
            i += n
        except UnicodeDecodeError:
            out.append('\ufffd')
            i += 1
    return ''.join(out)


def make_long_path(top):
    """A file at the end of LONG_DEPTH nested directories; its path as bytes."""
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    parts = []
    try:
        for i in range(LONG_DEPTH):
            name = 'd%03d' % i + 'x' * 246
            os.mkdir(name, dir_fd=fd)
            nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = nfd
            parts.append(name)
        f = os.open('long-file', os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(f, b'L' * FILE_SIZE)
        os.close(f)
    finally:
        os.close(fd)
    return os.fsencode(top) + b'/' + '/'.join(parts).encode() + b'/long-file'


class Hostile:
    """The helper process, with its files."""

    def __init__(self, args, d):
        self.paths = []
        for name in FILE_NAMES:
            p = os.path.join(os.fsencode(d), name)
            with open(p, 'wb') as f:
                f.write(b'H' * FILE_SIZE)
            self.paths.append(p)
        longdir = os.path.join(d, 'long')
        os.mkdir(longdir)
        self.long_path = make_long_path(longdir)
        self.paths.append(self.long_path)
        self.p = subprocess.Popen(ARGV, executable=args.hostile_proc, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE)
        self.p.stdin.write(COMM + b'\0' + b''.join(p + b'\0' for p in self.paths) + b'\0')
        self.p.stdin.flush()
        line = self.p.stdout.readline().decode()
        if not line.startswith('ready'):
            self.close()
            raise outlib.Failed('hostile_proc did not start: %r' % line)
        self.addrs = [int(a, 16) for a in line.split()[1:]]
        self.pid = self.p.pid

    def touch_all(self):
        self.p.stdin.write(b't')
        self.p.stdin.flush()
        self.p.stdout.readline()

    def close(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()

    # what the kernel shows for each: maps escapes a newline as \012
    def shown_path(self, p):
        return p.replace(b'\n', b'\\012')


def check_doc_rules(check, what, raw):
    """F8/F9 for one output: the documents, or None."""
    try:
        docs = outlib.strict_documents(raw)
    except outlib.JSONError as e:
        check.fail('%s: not strict JSON: %s (output starts %r)' % (what, e, raw[:200]))
        return None
    # a control character never raw in the bytes (JSON whitespace \t \n \r aside: the
    # indentation); inside strings they are \u00XX or \n-style escapes
    ctl = sorted({b for b in raw if b < 0x20 and b not in (0x09, 0x0a, 0x0d)})
    check.eq('%s: raw control bytes in the output' % what, [], ctl)
    for i, doc in enumerate(docs):
        w = '%s (document %d)' % (what, i) if len(docs) > 1 else what
        if not check.ok(isinstance(doc, dict), '%s: not an object' % w):
            continue
        check.eq('%s: "schema"' % w, 'vmscope/1', doc.get('schema'))
        check.eq('%s: schema problems' % w, [], outlib.json_problems(doc)[:5])
        for key, text, data in outlib.b64_pairs(doc):
            check.ok(isinstance(text, str) and '\ufffd' in text,
                     '%s: %s_b64 beside a %s without U+FFFD: %r' % (w, key, key, text))
            check.eq('%s: %s is %s_b64 with each invalid byte as U+FFFD' % (w, key, key),
                     per_byte_utf8(data), text)
            try:
                data.decode('utf-8', errors='strict')
                check.fail('%s: %s_b64 for bytes that are valid UTF-8: %r' % (w, key, data))
            except UnicodeDecodeError:
                pass
    return docs


def values_of(docs, key):
    """Every (value, object) with @key in @docs."""
    out = []

    def walk(x):
        if isinstance(x, dict):
            if key in x:
                out.append((x[key], x))
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
    for d in docs:
        walk(d)
    return out


def exact_bytes(value, obj, key):
    """The bytes a JSON string stands for: its _b64 when present, else its UTF-8."""
    b = obj.get(key + '_b64')
    return base64.b64decode(b) if b is not None else value.encode('utf-8')


def check_names(check, what, docs, h, expect_maps=True, expect_cmdline=True):
    """The helper's comm, command line and mapping paths, exact."""
    comms = [exact_bytes(v, o, 'comm') for v, o in values_of(docs, 'comm')
             if o.get('pid') == h.pid and isinstance(v, str)]
    if comms:
        check.ok(all(c == COMM for c in comms), '%s: comm %r, expected %r' % (what, comms[0],
                                                                              COMM))
    cmdlines = [exact_bytes(v, o, 'cmdline') for v, o in values_of(docs, 'cmdline')
                if o.get('pid') == h.pid and isinstance(v, str)]
    if expect_cmdline:
        check.ok(cmdlines and all(c == b' '.join(ARGV) for c in cmdlines),
                 '%s: cmdline %r, expected %r' % (what, cmdlines[:1], b' '.join(ARGV)))
    if expect_maps:
        names = set()
        for key in ('mapping', 'name'):
            for v, o in values_of(docs, key):
                if isinstance(v, str):
                    names.add(exact_bytes(v, o, key))
        missing = [p for p in h.paths if h.shown_path(p) not in names]
        check.eq('%s: mapped paths not found exactly' % what, [], [m[:80] for m in missing])


def live_commands(args, h):
    """[(label, argv, what is in it)] for the helper."""
    b = args.bin
    pid = str(h.pid)
    addr = '%#x' % h.addrs[0]
    long_addr = '%#x' % h.addrs[-1]
    out = []
    if 'vmrank' in b:
        out.append(('vmrank -J', [b['vmrank'], '-J', '--output-all', '-p', pid], 'pc'))
        out.append(('vmrank -J --by mapping', [b['vmrank'], '-J', '--by', 'mapping', '-p',
                                               pid], 'm'))
        out.append(('vmrank -J --by program', [b['vmrank'], '-J', '--by', 'program', '-p',
                                               pid], ''))
        out.append(('vmrank -J -w', [b['vmrank'], '-J', '-w', '-t'], ''))
    if 'vmmap' in b:
        out.append(('vmmap -J', [b['vmmap'], '-J', '--output-all', pid], 'mpc'))
        out.append(('vmmap -J -g path', [b['vmmap'], '-J', '-g', 'path', pid], ''))
        out.append(('vmmap -J --pages', [b['vmmap'], '-J', '--pages', pid], 'm'))
    if 'vmwalk' in b:
        out.append(('vmwalk -J ADDR', [b['vmwalk'], '-J', pid, addr], ''))
        out.append(('vmwalk -J LONG', [b['vmwalk'], '-J', pid, long_addr], ''))
        out.append(('vmwalk -J --pages', [b['vmwalk'], '-J', '--pages', pid,
                                          '%s+0x10000' % addr], ''))
    if 'vmfault' in b:
        out.append(('vmfault -J', [b['vmfault'], '-J', '-N', '0', '-c', '1', '-p', pid], 'pc'))
        out.append(('vmfault -J -i (NDJSON)', [b['vmfault'], '-J', '-i', '0.1', '-c', '2',
                                               '-p', pid], 'pc'))
        out.append(('vmfault -J (system)', [b['vmfault'], '-J', '-N', '0', '-c', '1'], ''))
    if 'vmswap' in b:
        out.append(('vmswap -J', [b['vmswap'], '-J', '-a', '-p', pid], 'pc'))
        out.append(('vmswap -J --oom', [b['vmswap'], '-J', '--oom', '-p', pid], ''))
    return out


def run_json(check, label, argv, statuses=(0,)):
    r = outlib.run(argv, timeout=120)
    check.ok(r.status in statuses, '%s: %s' % (label, r.describe()))
    return r.out


def check_live(args, check, h):
    for label, argv, has in live_commands(args, h):
        raw = run_json(check, label, argv)
        docs = check_doc_rules(check, label, raw)
        if docs is None:
            continue
        check_names(check, label, docs, h, expect_maps='m' in has,
                    expect_cmdline='c' in has)
        if label.startswith('vmwalk -J LONG'):
            names = [exact_bytes(v, o, 'mapping') for v, o in values_of(docs, 'mapping')
                     if isinstance(v, str)]
            check.ok(h.long_path in names, '%s: the 10 KB path is not whole: %r'
                     % (label, [n[:60] for n in names]))
        # the valid UTF-8 ones come back as they are, escaped only by JSON
        if label == 'vmmap -J':
            raw_text = raw.decode('utf-8')
            check.ok('\\u001b[31mred\\u0007bel' in raw_text,
                     '%s: ESC and BEL not written as \\u001b and \\u0007' % label)
            check.ok('quote\\"back\\\\slash' in raw_text,
                     '%s: a quote and a backslash not escaped as \\" and \\\\' % label)


def check_snapshot(args, check, h, d):
    """The same names read back from a snapshot of the helper, and vmsnap diff."""
    if 'vmsnap' not in args.bin:
        return
    snaps = []
    for i in range(2):
        out = os.path.join(d, 'snap-%d/' % i)
        r = outlib.run([args.bin['vmsnap'], '-q', '--pages', '-o', out, str(h.pid)],
                       timeout=120)
        if not check.ok(r.status == 0, 'vmsnap of the helper: %s' % r.describe()):
            return
        snaps.append(out)
        h.touch_all()  # the second capture differs: its mappings are in the diff
    raw = run_json(check, 'vmsnap diff -J', [args.bin['vmsnap'], 'diff', '-J', '--output-all',
                                             '-a', snaps[0], snaps[1]])
    docs = check_doc_rules(check, 'vmsnap diff -J', raw)
    if docs:
        check_names(check, 'vmsnap diff -J', docs, h)
    b = args.bin
    root = ['--root', snaps[1]]
    for label, argv, has in [
            ('vmrank -J --root SNAP', [b.get('vmrank'), '-J', '-p', str(h.pid)] + root, 'pc'),
            ('vmmap -J --root SNAP', [b.get('vmmap'), '-J', str(h.pid)] + root, 'mpc'),
            ('vmwalk -J --root SNAP', [b.get('vmwalk'), '-J', str(h.pid),
                                       '%#x' % h.addrs[-1]] + root, ''),
            ('vmfault -J --root SNAP', [b.get('vmfault'), '-J', '-p', str(h.pid)] + root, 'pc'),
            ('vmswap -J --root SNAP', [b.get('vmswap'), '-J', '-a', '-p', str(h.pid)] + root,
             'pc')]:
        if argv[0] is None:
            continue
        raw = run_json(check, label, argv)
        docs = check_doc_rules(check, label, raw)
        if docs:
            check_names(check, label, docs, h, expect_maps='m' in has,
                        expect_cmdline='c' in has)


# ---------------------------------------------------------------------------
# F9: numbers past 2^53, on a copy of a fixture

BIG = (1 << 64) - 1
BIG2 = (1 << 53) + 1


def big_fixture(args, d):
    """tests/fixtures/basic with a process's fault counters and vmstat's past 2^53."""
    src = outlib.fixture(args, 'basic')
    dst = os.path.join(d, 'big')
    shutil.copytree(src, dst, symlinks=True)
    proc = os.path.join(dst, 'proc')
    # a process with memory (a kernel thread is not listed)
    pid = min(int(p) for p in os.listdir(proc)
              if p.isdigit() and os.path.exists(os.path.join(proc, p, 'smaps_rollup')))
    with open(os.path.join(proc, str(pid), 'stat'), 'rb') as f:
        st = f.read()
    head, rest = st[:st.rindex(b')') + 2], st[st.rindex(b')') + 2:].split(b' ')
    rest[7] = str(BIG).encode()   # minflt (field 10)
    rest[9] = str(BIG2).encode()  # majflt (field 12)
    with open(os.path.join(proc, str(pid), 'stat'), 'wb') as f:
        f.write(head + b' '.join(rest))
    with open(os.path.join(proc, 'vmstat'), 'rb') as f:
        vm = f.read()
    vm = re.sub(rb'(?m)^pgfault \d+$', b'pgfault %d' % BIG, vm)
    vm = re.sub(rb'(?m)^pgmajfault \d+$', b'pgmajfault %d' % BIG2, vm)
    with open(os.path.join(proc, 'vmstat'), 'wb') as f:
        f.write(vm)
    return dst, pid


def check_big(args, check, d):
    if not os.access(os.path.join(outlib.fixture(args, 'basic'), 'vmscope-snapshot'), os.R_OK):
        note('F9: the fixtures cannot be read by uid %d here' % os.geteuid())
        return
    root, pid = big_fixture(args, d)
    b = args.bin
    cases = []
    if 'vmfault' in b:
        cases.append(('vmfault -J (counters past 2^53)',
                      [b['vmfault'], '--root', root, '-J', '-N', '0'],
                      [('minflt', BIG), ('majflt', BIG2), ('pgfault', BIG),
                       ('pgmajfault', BIG2)]))
    if 'vmrank' in b:
        cases.append(('vmrank -J -o +minflt,majflt (past 2^53)',
                      [b['vmrank'], '--root', root, '-J', '-o', '+minflt,majflt'],
                      [('minflt', BIG), ('majflt', BIG2)]))
    for label, argv, want in cases:
        raw = run_json(check, label, argv)
        docs = check_doc_rules(check, label, raw)
        if not docs:
            continue
        for key, value in want:
            vals = [v for v, o in values_of(docs, key) if o.get('pid', pid) == pid]
            check.ok(str(value) in vals,
                     '%s: %s %d not given as the string "%d": %r' % (label, key, value, value,
                                                                    vals[:3]))


def check_fixture(args, check):
    """The same rules on tests/fixtures/hostile (names captured with escape bytes, bidi
    overrides, invalid UTF-8; a zombie; an old kernel's smaps_rollup)."""
    fx = outlib.fixture(args, 'hostile')
    if not os.access(os.path.join(fx, 'vmscope-snapshot'), os.R_OK):
        note('the fixtures cannot be read by uid %d here' % os.geteuid())
        return
    b = args.bin
    root = ['--root', fx]
    cases = []
    if 'vmrank' in b:
        cases += [('vmrank', [b['vmrank'], '-J', '--output-all'], (0,)),
                  ('vmrank --by mapping', [b['vmrank'], '-J', '--by', 'mapping'], (0,)),
                  ('vmrank --by user --tree', [b['vmrank'], '-J', '--by', 'user', '--tree'],
                   (0,))]
    if 'vmmap' in b:
        cases += [('vmmap %s' % p, [b['vmmap'], '-J', '--output-all', p], (0, 1))
                  for p in ('4001', '4002', '4003', '4010', '20988')]
    if 'vmfault' in b:
        cases.append(('vmfault', [b['vmfault'], '-J', '-N', '0', '--output-all'], (0,)))
    if 'vmswap' in b:
        cases.append(('vmswap', [b['vmswap'], '-J', '-a', '--output-all'], (0,)))
    nb64 = 0
    for label, argv, statuses in cases:
        label += ' -J --root hostile'
        raw = run_json(check, label, argv + root, statuses)
        docs = check_doc_rules(check, label, raw)
        if docs:
            nb64 += len([1 for d in docs for _ in outlib.b64_pairs(d)])
    check.ok(nb64 > 0, 'the hostile fixture gave no "_b64" key at all')


def body(args, check):
    if not any(c in args.bin for c in ('vmrank', 'vmmap', 'vmwalk', 'vmfault', 'vmswap')):
        raise outlib.Skip('no command built')
    with outlib.scratch(args, 'hostile') as d:
        h = Hostile(args, d)
        try:
            check_live(args, check, h)
            check_snapshot(args, check, h, d)
        finally:
            h.close()
        check_big(args, check, d)
    check_fixture(args, check)


if __name__ == '__main__':
    outlib.run_test(body)
