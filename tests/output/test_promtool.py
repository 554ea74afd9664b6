# SPDX-License-Identifier: GPL-2.0-or-later
"""Output suite: `--format openmetrics` of vmrank, vmswap and vmfault checked with
`promtool check metrics` (and tests/live/test_openmetrics.py's strict OpenMetrics parser),
on the fixtures and live, with a process of hostile name running so that label escaping
is exercised."""

# promtool (2.42 in Debian 12) reads the Prometheus text format, not OpenMetrics.
# The two differ for counters: OpenMetrics names the family without "_total"
# (# TYPE x counter, then x_total samples), the text format with it.  So on
# OpenMetrics input promtool reports exactly one finding per counter family,
# "x_total no help text", and nothing else may be reported: any parse error or
# any other lint (a unit, a suffix, a missing HELP) fails.  The same output with
# its counter families renamed to the text format's convention must pass
# promtool with no finding at all.

import os
import re
import shutil
import subprocess
import sys

import outlib
from outlib import note

FINDING = re.compile(r'^(\S+)_total no help text$')


def counter_families(text):
    return set(re.findall(r'(?m)^# TYPE (\S+) counter$', text))


def to_text_format(text):
    """OpenMetrics -> Prometheus text 0.0.4: counter families named *_total, no UNIT, no EOF."""
    counters = counter_families(text)
    out = []
    for line in text.split('\n'):
        m = re.match(r'^# (TYPE|HELP|UNIT) (\S+)(.*)$', line)
        if m and m.group(1) == 'UNIT':
            continue
        if m and m.group(2) in counters:
            line = '# %s %s_total%s' % (m.group(1), m.group(2), m.group(3))
        if line == '# EOF':
            continue
        out.append(line)
    return '\n'.join(out)


def promtool(text):
    p = subprocess.run(['promtool', 'check', 'metrics'], input=text.encode('utf-8'),
                       capture_output=True, timeout=60)
    findings = (p.stdout + p.stderr).decode('utf-8', 'replace').splitlines()
    return p.returncode, [f for f in findings if f.strip()]


def check_output(check, what, raw, strict_parse):
    try:
        text = raw.decode('utf-8', errors='strict')
    except UnicodeDecodeError as e:
        check.fail('%s: not UTF-8: %s' % (what, e))
        return
    if not check.ok(text.endswith('# EOF\n'), '%s: does not end with "# EOF"' % what):
        return
    counters = counter_families(text)
    status, findings = promtool(text)
    check.ok(status in (0, 3), '%s: promtool check metrics: exit %d (parse error?): %r'
             % (what, status, findings[:3]))
    other = [f for f in findings if not (FINDING.match(f) and FINDING.match(f).group(1)
                                         in counters)]
    check.eq('%s: promtool findings besides "COUNTER_total no help text"' % what, [],
             other[:5])
    status, findings = promtool(to_text_format(text))
    check.eq('%s: promtool on the text-format form: exit status' % what, 0, status)
    check.eq('%s: promtool on the text-format form: findings' % what, [], findings[:5])
    if strict_parse:
        try:
            strict_parse(text)
        except Exception as e:  # the strict parser's ParseError
            check.fail('%s: strict OpenMetrics parser: %s' % (what, e))
    return counters


def cases(args, helper_pid):
    b = args.bin
    fx = lambda n: ['--root', outlib.fixture(args, n)]
    om = ['--format', 'openmetrics']
    out = []
    readable = os.access(os.path.join(outlib.fixture(args, 'basic'), 'vmscope-snapshot'),
                         os.R_OK)
    if 'vmrank' in b:
        if readable:
            out += [('vmrank basic', [b['vmrank']] + fx('basic') + om),
                    ('vmrank hostile', [b['vmrank']] + fx('hostile') + om +
                     ['-p', '4001,4002,4003']),
                    ('vmrank pages --exact --by user', [b['vmrank']] + fx('pages') + om +
                     ['--exact', '--by', 'user']),
                    ('vmrank basic -w', [b['vmrank']] + fx('basic') + om + ['-w'])]
        out += [('vmrank live', [b['vmrank']] + om),
                ('vmrank live -t', [b['vmrank']] + om + ['-t']),
                ('vmrank live -p helper', [b['vmrank']] + om + ['-p', str(helper_pid)])]
        for by in ('user', 'program', 'cgroup', 'mapping'):
            out.append(('vmrank live --by %s' % by, [b['vmrank']] + om + ['--by', by]))
        out.append(('vmrank live -w', [b['vmrank']] + om + ['-w']))
    if 'vmswap' in b:
        if readable:
            out += [('vmswap swap-multi', [b['vmswap']] + fx('swap-multi') + om),
                    ('vmswap swap-multi --oom', [b['vmswap']] + fx('swap-multi') + om +
                     ['--oom']),
                    ('vmswap pages --exact', [b['vmswap']] + fx('pages') + om + ['--exact']),
                    ('vmswap hostile', [b['vmswap']] + fx('hostile') + om + ['-a'])]
        out += [('vmswap live', [b['vmswap']] + om + ['-a']),
                ('vmswap live --oom', [b['vmswap']] + om + ['--oom'])]
    if 'vmfault' in b:
        if readable:
            out += [('vmfault basic', [b['vmfault']] + fx('basic') + om),
                    ('vmfault hostile', [b['vmfault']] + fx('hostile') + om)]
        out += [('vmfault live', [b['vmfault']] + om),
                ('vmfault live -p helper', [b['vmfault']] + om + ['-p', str(helper_pid)])]
    return out


def strict_parser(args):
    """tests/live/test_openmetrics.py's parse(), or None."""
    live = os.path.join(args.source, 'tests', 'live')
    sys.path.insert(0, live)
    try:
        import test_openmetrics
        return test_openmetrics.parse
    except Exception as e:
        note('the strict parser of tests/live/test_openmetrics.py is not usable: %s' % e)
        return None
    finally:
        sys.path.remove(live)


def body(args, check):
    if not shutil.which('promtool'):
        raise outlib.Skip('promtool not found (Debian package prometheus)')
    if not any(c in args.bin for c in ('vmrank', 'vmswap', 'vmfault')):
        raise outlib.Skip('none of vmrank, vmswap, vmfault is built')
    parse = strict_parser(args)
    # a process whose comm holds a quote, a backslash, a newline, ESC and 0xFF
    comm = b'om"x\\y\nz\x1b\xff'
    h = subprocess.Popen([b'om-helper'], executable=args.hostile_proc, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)
    try:
        h.stdin.write(comm + b'\0\0')
        h.stdin.flush()
        if not h.stdout.readline().startswith(b'ready'):
            raise outlib.Failed('hostile_proc did not start')
        seen_counters = set()
        for what, argv in cases(args, h.pid):
            r = outlib.run(argv, timeout=120)
            if not check.ok(r.status == 0, '%s: %s' % (what, r.describe())):
                continue
            counters = check_output(check, what, r.out, parse)
            seen_counters |= counters or set()
            if what.endswith('-p helper'):
                check.ok(b'comm="om\\"x\\\\y\\nz' in r.out,
                         '%s: the helper\'s comm is not in a label, escaped' % what)
        check.ok(seen_counters, 'no counter family seen at all')
        note('counter families: %s' % ', '.join(sorted(seen_counters)))
    finally:
        h.stdin.close()
        h.wait(timeout=10)


if __name__ == '__main__':
    outlib.run_test(body)
