#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Prints scan-build's findings (its .plist reports) as text: one line each, then its path.
"""scan-report.py REPORT_DIR BUILD_DIR SOURCE_DIR [BUILD_LOG]

Reads every .plist file under REPORT_DIR (scan-build -plist-html), prints each
finding once (a file compiled into two targets is analysed twice) as
"file:line:col: warning: what [checker]" followed by the steps of its path,
with file names relative to SOURCE_DIR; then the compiler's own warnings
found in BUILD_LOG.  Exit status: the number of findings and warnings (at
most 100), so 0 means none.
"""
import os
import plistlib
import re
import sys

# a compiler warning, as clang prints it: "file:line:col: warning: text [-Wname]"
WARNING = re.compile(r'^(\S+?):(\d+):(\d+): warning: (.*) \[(-W[^\]]+)\]$')

MAX_STEPS = 40


def main():
    if len(sys.argv) not in (4, 5):
        sys.stderr.write(__doc__)
        return 2
    report_dir, build_dir, top = (os.path.realpath(a) for a in sys.argv[1:4])

    def rel(path):
        # the compiler saw paths relative to the build directory, or absolute ones
        path = os.path.normpath(os.path.join(build_dir, path))
        r = os.path.relpath(path, top)
        return path if r.startswith('..') else r

    def name(files, idx):
        return rel(files[idx])

    seen = {}
    for root, _dirs, names in os.walk(report_dir):
        for n in sorted(names):
            if not n.endswith('.plist'):
                continue
            with open(os.path.join(root, n), 'rb') as f:
                try:
                    plist = plistlib.load(f)
                except Exception as e:  # a broken report is a finding too
                    seen[(n, 0, 0, 'plist')] = ('%s: unreadable report: %s' % (n, e), [])
                    continue
            files = plist.get('files', [])
            for d in plist.get('diagnostics', []):
                loc = d['location']
                where = name(files, loc['file'])
                key = (where, loc['line'], loc['col'], d.get('check_name', ''),
                       d.get('description', ''))
                if key in seen:
                    continue
                steps = []
                for p in d.get('path', []):
                    if p.get('kind') != 'event':
                        continue
                    ploc = p['location']
                    steps.append('%s:%d: %s' % (name(files, ploc['file']), ploc['line'],
                                                p.get('message', '')))
                head = '%s:%d:%d: warning: %s [%s]' % (where, loc['line'], loc['col'],
                                                       d.get('description', '?'),
                                                       d.get('check_name', d.get('type', '?')))
                seen[key] = (head, steps)
    for key in sorted(seen):
        head, steps = seen[key]
        print(head)
        for s in steps[:MAX_STEPS]:
            print('    ' + s)
        if len(steps) > MAX_STEPS:
            print('    ... %d more steps' % (len(steps) - MAX_STEPS))

    warnings = set()
    if len(sys.argv) == 5:
        with open(sys.argv[4], errors='replace') as f:
            for line in f:
                m = WARNING.match(line.rstrip('\n'))
                if m:
                    warnings.add((rel(m.group(1)), int(m.group(2)), int(m.group(3)),
                                  m.group(4), m.group(5)))
    for w in sorted(warnings):
        print('%s:%d:%d: warning: %s [%s]' % w)
    return min(len(seen) + len(warnings), 100)


if __name__ == '__main__':
    sys.exit(main())
