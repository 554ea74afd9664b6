# SPDX-License-Identifier: GPL-2.0-or-later
"""outlib: shared code for the output suite: arguments, running commands, a strict JSON reader."""

# Every script of tests/output imports this module (Python puts the script's
# own directory first on sys.path).  Plain standard library only.

import argparse
import base64
import contextlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile

SKIP_STATUS = 77
NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups']
NOBODY_UID = 65534
COMMANDS = ['vmrank', 'vmmap', 'vmwalk', 'vmfault', 'vmswap', 'vmsnap', 'vmtop']
TWO53 = 1 << 53


class Skip(Exception):
    """The test cannot run here; the message says why."""


class Failed(Exception):
    """A fatal failure: the test cannot go on."""


class Checker:
    """Collects failures, so that one run reports all of them."""

    def __init__(self):
        self.failures = []
        self.passed = 0

    def fail(self, msg):
        self.failures.append(msg)
        print('FAIL: ' + msg, flush=True)

    def ok(self, cond, msg):
        if cond:
            self.passed += 1
        else:
            self.fail(msg)
        return cond

    def eq(self, what, expected, got):
        if expected == got:
            self.passed += 1
            return True
        self.fail('%s: expected %r, got %r' % (what, expected, got))
        return False


def note(msg):
    print('# ' + msg, flush=True)


def _sigterm(signum, frame):
    # meson's timeout: unwind, so that every finally: runs (helpers, mounts)
    raise SystemExit(128 + signum)


def parse_args(extra=None):
    p = argparse.ArgumentParser()
    p.add_argument('--cmd', action='append', default=[], metavar='NAME=PATH',
                   help='a built command (those not given are not built)')
    p.add_argument('--fixtures', required=True, help='tests/fixtures')
    p.add_argument('--source', required=True, help='the source tree (README.md, contrib/)')
    p.add_argument('--hostile-proc', required=True, help='tests/output/hostile_proc')
    p.add_argument('--workdir', required=True, help='a scratch directory (build dir)')
    if extra:
        extra(p)
    args = p.parse_args()
    args.bin = {}
    for c in args.cmd:
        name, _, path = c.partition('=')
        if os.access(path, os.X_OK):
            args.bin[name] = path
    return args


def run_test(body, extra=None):
    """Run body(args, check): exit 0, 1 with the failures, or 77 on Skip."""
    signal.signal(signal.SIGTERM, _sigterm)
    args = parse_args(extra)
    check = Checker()
    try:
        body(args, check)
    except Skip as e:
        if check.failures:
            print('%d check(s) failed' % len(check.failures), flush=True)
            sys.exit(1)
        print('SKIP: %s' % e, flush=True)
        sys.exit(SKIP_STATUS)
    except Failed as e:
        check.fail(str(e))
    if check.failures:
        print('%d check(s) failed, %d passed' % (len(check.failures), check.passed), flush=True)
        sys.exit(1)
    print('ok: %d checks passed' % check.passed, flush=True)
    sys.exit(0)


def need(args, *names):
    """The paths of commands @names; Skip when one is not built."""
    missing = [n for n in names if n not in args.bin]
    if missing:
        raise Skip('not built: %s' % ', '.join(missing))
    return [args.bin[n] for n in names]


def fixture(args, name):
    return os.path.join(args.fixtures, name)


def is_root():
    return os.geteuid() == 0


class Result:
    def __init__(self, argv, status, out, err):
        self.argv = argv
        self.status = status
        self.out = out
        self.err = err

    def describe(self):
        return '%s: exit %s, stderr %r' % (' '.join(str(a) for a in self.argv), self.status,
                                           self.err[-400:])


def run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, user=None, umask=None,
        env=None, timeout=60, restore_signals=True, preexec=None):
    """Run @argv (as nobody when @user is 'nobody'); stdout as bytes, stderr as text."""
    argv = [str(a) for a in argv]
    if user == 'nobody':
        argv = NOBODY + argv

    def pre():
        if umask is not None:
            os.umask(umask)
        if preexec:
            preexec()
    p = subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE,
                         env=env, restore_signals=restore_signals, preexec_fn=pre)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise Failed('%s did not finish in %d s' % (' '.join(argv), timeout))
    return Result(argv, p.returncode, out, err.decode('utf-8', 'replace'))


@contextlib.contextmanager
def scratch(args, name):
    """A fresh directory under the build dir (0755 so that nobody can reach it), removed after."""
    d = tempfile.mkdtemp(prefix=name + '-', dir=args.workdir)
    os.chmod(d, 0o755)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def nobody_can_run(args):
    """Can nobody execute the built commands and read the fixtures (the build dir's modes)?"""
    if not is_root() or not shutil.which('setpriv'):
        return False
    r = run([args.bin.get('vmrank', '/bin/true'), '--version'], user='nobody')
    return r.status == 0


# ---------------------------------------------------------------------------
# Strict JSON


class JSONError(Exception):
    pass


def _no_dup(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise JSONError('key %r twice in one object' % k)
        d[k] = v
    return d


def _no_constant(name):
    raise JSONError('%s is not JSON' % name)


def strict_loads(data):
    """Bytes -> object: valid UTF-8 (strict), no duplicate key, no NaN/Infinity."""
    try:
        text = data.decode('utf-8', errors='strict')
    except UnicodeDecodeError as e:
        raise JSONError('not valid UTF-8: %s' % e)
    try:
        return json.loads(text, object_pairs_hook=_no_dup, parse_constant=_no_constant)
    except ValueError as e:
        raise JSONError(str(e))


def strict_documents(data):
    """One JSON document, or NDJSON (one per line): the list of documents."""
    try:
        return [strict_loads(data)]
    except JSONError as whole:
        lines = [l for l in data.split(b'\n') if l.strip()]
        if len(lines) < 2:
            raise whole
        return [strict_loads(l) for l in lines]


HEX = '0123456789abcdef'


def is_hex(v):
    return isinstance(v, str) and v.startswith('0x') and len(v) > 2 and \
        all(c in HEX for c in v[2:])


# Keys whose values are addresses or frame numbers (F9): a hex string or null.
HEX_KEYS = {'start', 'end', 'address', 'page', 'pfn', 'physical_address', 'entry', 'offset',
            'page_offset'}


def json_problems(doc, path='$'):
    """What in @doc breaks the schema's rules for numbers and strings (F8, F9)."""
    out = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            p = '%s.%s' % (path, k)
            hexkey = k in HEX_KEYS or k.startswith('address') or k.endswith('pfn') or \
                k.endswith('_address')
            if hexkey and not (v is None or is_hex(v) or isinstance(v, (dict, list))):
                out.append('%s: an address or PFN that is not a hex string: %r' % (p, v))
            out += json_problems(v, p)
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += json_problems(v, '%s[%d]' % (path, i))
    elif isinstance(doc, bool) or doc is None:
        pass
    elif isinstance(doc, int):
        if abs(doc) > TWO53:
            out.append('%s: integer %d past 2^53 (must be a string)' % (path, doc))
    elif isinstance(doc, float):
        if not math.isfinite(doc):
            out.append('%s: %r' % (path, doc))
    elif isinstance(doc, str):
        for ch in doc:
            if 0xd800 <= ord(ch) <= 0xdfff:
                out.append('%s: a lone surrogate in %r' % (path, doc[:60]))
                break
    return out


def b64_pairs(doc):
    """Every (key, text, raw bytes) for which @doc holds "key" and "key_b64"."""
    out = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k.endswith('_b64') and isinstance(v, str):
                base = k[:-4]
                out.append((base, doc.get(base), base64.b64decode(v, validate=True)))
            out += b64_pairs(v)
    elif isinstance(doc, list):
        for v in doc:
            out += b64_pairs(v)
    return out


def strings(doc):
    """Every string value in @doc."""
    if isinstance(doc, dict):
        for v in doc.values():
            yield from strings(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from strings(v)
    elif isinstance(doc, str):
        yield doc
