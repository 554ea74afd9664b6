# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: --format openmetrics output passes a strict parser, escapes label values,
and carries the kernel's figures for the layout processes."""

# The parser below accepts only what the OpenMetrics text format allows for
# the lines vmrank should print: "# TYPE", "# UNIT", "# HELP" before a
# family's samples, families not interleaved, gauge samples named as their
# family, counter samples named FAMILY_total, a unit that is the family
# name's suffix, label values with only \\ \" \n escapes, and "# EOF" last.
# The layout helper runs with a command name holding a quote, a backslash and
# a newline, so the label escaping is exercised.

import pwd
import os
import re

import vmlive

HOSTILE_COMM = 'om"x\\y\nz'
GAUGES = {  # family -> vmrank figure
    'vmscope_process_rss_bytes': 'rss', 'vmscope_process_pss_bytes': 'pss',
    'vmscope_process_uss_bytes': 'uss', 'vmscope_process_swap_bytes': 'swap',
    'vmscope_process_swap_pss_bytes': 'swap_pss', 'vmscope_process_pss_anon_bytes': 'pss_anon',
    'vmscope_process_pss_file_bytes': 'pss_file',
    'vmscope_process_pss_shmem_bytes': 'pss_shmem',
}
COUNTERS = {'vmscope_process_minor_faults': 'minflt',
            'vmscope_process_major_faults': 'majflt'}

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*'
NUMBER = re.compile(r'^(?:[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?Inf|NaN)$')


class ParseError(Exception):
    pass


def parse_labels(s, lineno):
    """'{a="x",b="y"}' -> {'a': 'x', 'b': 'y'} (escapes undone), strictly."""
    labels = {}
    i = 1
    if s == '{}':
        return labels
    while True:
        m = re.compile(LABEL).match(s, i)
        if not m or s[m.end():m.end() + 2] != '="':
            raise ParseError('line %d: bad label name at %r' % (lineno, s[i:]))
        name = m.group(0)
        i = m.end() + 2
        val = []
        while True:
            if i >= len(s):
                raise ParseError('line %d: unterminated label value' % lineno)
            c = s[i]
            if c == '\\':
                nxt = s[i + 1:i + 2]
                if nxt not in ('\\', '"', 'n'):
                    raise ParseError('line %d: bad escape \\%s in label %s' % (lineno, nxt, name))
                val.append({'\\': '\\', '"': '"', 'n': '\n'}[nxt])
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == '\n':
                raise ParseError('line %d: raw newline in label value' % lineno)
            else:
                val.append(c)
                i += 1
        if name in labels:
            raise ParseError('line %d: label %s twice' % (lineno, name))
        labels[name] = ''.join(val)
        if s[i:i + 1] == ',':
            i += 1
            continue
        if s[i:] == '}':
            return labels
        raise ParseError('line %d: expected "," or "}" at %r' % (lineno, s[i:]))


def split_sample(line):
    """name, label text, rest -- the label text may hold spaces and braces in quotes."""
    m = re.match(NAME, line)
    if not m:
        return None, None, line
    name, i = m.group(0), m.end()
    if line[i:i + 1] != '{':
        return name, '{}', line[i:]
    j, quoted = i + 1, False
    while j < len(line):
        c = line[j]
        if quoted and c == '\\':
            j += 2
            continue
        if c == '"':
            quoted = not quoted
        elif c == '}' and not quoted:
            return name, line[i:j + 1], line[j + 1:]
        j += 1
    return name, None, ''


def parse(text):
    """OpenMetrics text -> {family: {'type','unit','help','samples': [(name, labels, value)]}}."""
    if not text.endswith('# EOF\n') and not text.endswith('# EOF'):
        raise ParseError('the output does not end with "# EOF": %r' % text[-40:])
    lines = text.split('\n')
    if lines[-1] == '':
        lines.pop()
    if lines[-1] != '# EOF':
        raise ParseError('last line is %r, not "# EOF"' % lines[-1])
    families = {}
    order = []
    cur = None
    for n, line in enumerate(lines[:-1], 1):
        if line == '':
            raise ParseError('line %d: empty line' % n)
        if line.startswith('#'):
            m = re.match(r'^# (TYPE|UNIT|HELP) (%s)(?: (.*))?$' % NAME, line)
            if not m:
                raise ParseError('line %d: not a TYPE/UNIT/HELP line: %r' % (n, line))
            kind, fam, arg = m.group(1), m.group(2), m.group(3) or ''
            if fam != cur:
                if fam in families:
                    raise ParseError('line %d: family %s interleaved with another' % (n, fam))
                families[fam] = {'type': None, 'unit': None, 'help': None, 'samples': []}
                order.append(fam)
                cur = fam
            f = families[fam]
            if f['samples']:
                raise ParseError('line %d: %s of %s after its samples' % (n, kind, fam))
            key = kind.lower()
            if f[key] is not None:
                raise ParseError('line %d: second %s for %s' % (n, kind, fam))
            if kind == 'TYPE' and arg not in ('counter', 'gauge', 'histogram',
                                              'gaugehistogram', 'stateset', 'info',
                                              'summary', 'unknown'):
                raise ParseError('line %d: unknown type %r' % (n, arg))
            if kind == 'UNIT' and arg and not fam.endswith('_' + arg):
                raise ParseError('line %d: family %s does not end with its unit _%s'
                                 % (n, fam, arg))
            if kind == 'HELP' and re.search(r'\\[^\\n"]', arg):
                raise ParseError('line %d: bad escape in HELP: %r' % (n, arg))
            f[key] = arg
            continue
        name, ltext, rest = split_sample(line)
        if name is None or ltext is None:
            raise ParseError('line %d: not a sample: %r' % (n, line))
        labels = parse_labels(ltext, n)
        parts = rest.split(' ')
        if len(parts) not in (2, 3) or parts[0] != '' or not NUMBER.match(parts[1]):
            raise ParseError('line %d: bad value part %r' % (n, rest))
        if cur is None:
            raise ParseError('line %d: sample before any TYPE' % n)
        f = families[cur]
        if f['type'] == 'counter':
            if name not in (cur + '_total', cur + '_created'):
                raise ParseError('line %d: counter family %s has sample %s (must be %s_total)'
                                 % (n, cur, name, cur))
        elif name != cur:
            raise ParseError('line %d: sample %s inside family %s' % (n, name, cur))
        key = (name, tuple(sorted(labels.items())))
        if key in {(s[0], tuple(sorted(s[1].items()))) for s in f['samples']}:
            raise ParseError('line %d: duplicate sample %s%r' % (n, name, labels))
        f['samples'].append((name, labels, float(parts[1]) if '.' in parts[1] or 'e' in
                             parts[1].lower() or parts[1] in ('NaN', '+Inf', '-Inf', 'Inf')
                             else int(parts[1])))
    for fam in order:
        if families[fam]['type'] is None:
            raise ParseError('family %s has no TYPE' % fam)
    return families


def body(args, check):
    with vmlive.start_layout(args, '--dir', vmlive.disk_dir(args), '--comm',
                             HOSTILE_COMM) as h:
        parent, child = h.info['pid'], h.info['child']
        pids = [parent, child]
        with vmlive.stopped(pids):
            for attempt in range(5):
                before = {p: (vmlive.read_rollup(p), vmlive.read_stat(p)) for p in pids}
                r = vmlive.vmrank(args, '--format', 'openmetrics', '-p',
                                  '%d,%d' % (parent, child))
                after = {p: (vmlive.read_rollup(p), vmlive.read_stat(p)) for p in pids}
                if before == after:
                    break
            else:
                raise vmlive.Failed('figures of stopped processes kept changing')
        what = 'vmrank --format openmetrics -p %d,%d' % (parent, child)
        check.eq('%s: exit status' % what, 0, r.status)
        check.eq('%s: stderr' % what, '', r.err)
        try:
            text = r.out.decode('utf-8')
            fams = parse(text)
        except (UnicodeDecodeError, ParseError) as e:
            check.fail('%s: not valid OpenMetrics: %s\n--- output ---\n%s'
                       % (what, e, r.out.decode(errors='replace')[:3000]))
            return
        user = pwd.getpwuid(os.geteuid()).pw_name
        for fam, fig in sorted(GAUGES.items()) + sorted(COUNTERS.items()):
            f = fams.get(fam)
            if not check.ok(f is not None, '%s: family %s missing (families: %s)'
                            % (what, fam, ', '.join(sorted(fams)))):
                continue
            gauge = fam in GAUGES
            check.eq('%s: # TYPE %s' % (what, fam), 'gauge' if gauge else 'counter', f['type'])
            if gauge:
                check.eq('%s: # UNIT %s' % (what, fam), 'bytes', f['unit'])
            check.ok(bool(f['help']), '%s: family %s has no HELP' % (what, fam))
            by_pid = {}
            for name, labels, value in f['samples']:
                by_pid.setdefault(labels.get('pid'), []).append((name, labels, value))
            for p in pids:
                samples = by_pid.get(str(p), [])
                if not check.ok(len(samples) == 1, '%s: %s: expected one sample for pid %d, '
                                'got %r' % (what, fam, p, samples)):
                    continue
                name, labels, value = samples[0]
                check.eq('%s: %s{pid="%d"} comm label (unescaped)' % (what, fam, p),
                         HOSTILE_COMM, labels.get('comm'))
                check.eq('%s: %s{pid="%d"} user label' % (what, fam, p), user,
                         labels.get('user'))
                if gauge:
                    want = vmlive.figures_from_counters(before[p][0]).get(fig)
                else:
                    want = before[p][1][fig]
                check.eq('%s: %s{pid="%d"}' % (what, name, p), want, value)

        # JSON carries the same hostile name exactly.
        r = vmlive.vmrank_json(args, '-p', '%d,%d' % (parent, child))
        for p in pids:
            row = vmlive.rows_by_pid(r.doc).get(p) or {}
            check.eq('vmrank -J: pid %d comm' % p, HOSTILE_COMM, row.get('comm'))


if __name__ == '__main__':
    vmlive.run_test(body)
