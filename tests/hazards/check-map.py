# SPDX-License-Identifier: GPL-2.0-or-later
"""Check tests/hazards/MAP.md: every hazard row A1..I7 of the hardening list is there exactly
once, none is PENDING or empty, and every repository path it cites (`tests/...`, with
`:name` for a test function, part or check) exists and holds that name."""

import os
import re
import sys

# The rows of the hazards list (issue 9), section by section: letter and last number.
ROWS = {'A': 11, 'B': 10, 'C': 19, 'D': 8, 'E': 7, 'F': 9, 'G': 5, 'H': 9, 'I': 7}
CITED = re.compile(r'`((?:tests|lib|cmd|man|completions|tools|contrib)/[\w./+-]+)(?::(\w+))?`')


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(
        os.path.abspath(__file__)), '..', '..')
    path = os.path.join(top, 'tests', 'hazards', 'MAP.md')
    want = ['%s%d' % (s, i) for s, n in ROWS.items() for i in range(1, n + 1)]
    seen = {}
    errors = []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            m = re.match(r'\|\s*([A-I]\d+)\s*\|(.*)\|\s*$', line)
            if not m:
                continue
            rid, text = m.group(1), m.group(2).strip()
            if rid in seen:
                errors.append('MAP.md:%d: %s is there twice (also line %d)'
                              % (lineno, rid, seen[rid]))
                continue
            seen[rid] = lineno
            if rid not in want:
                errors.append('MAP.md:%d: %s is no row of the hazards list' % (lineno, rid))
            if not text:
                errors.append('MAP.md:%d: %s: no test and no decision' % (lineno, rid))
            elif 'PENDING' in text:
                errors.append('MAP.md:%d: %s is PENDING' % (lineno, rid))
            elif not CITED.search(text) and not text.startswith('decision:'):
                errors.append('MAP.md:%d: %s cites no test and is no decision' % (lineno, rid))
            for cm in CITED.finditer(text):
                rel, name = cm.group(1), cm.group(2)
                full = os.path.join(top, rel)
                if not os.path.exists(full):
                    errors.append('MAP.md:%d: %s: %s does not exist' % (lineno, rid, rel))
                    continue
                if name:
                    with open(full, encoding='utf-8', errors='replace') as t:
                        if not re.search(r'\b%s\b' % re.escape(name), t.read()):
                            errors.append('MAP.md:%d: %s: %s has no %s'
                                          % (lineno, rid, rel, name))
    for rid in want:
        if rid not in seen:
            errors.append('MAP.md: %s is missing' % rid)
    for e in errors:
        print('FAIL: ' + e)
    if errors:
        print('%d problems in %s' % (len(errors), path))
        return 1
    print('ok: %d rows mapped' % len(want))
    return 0


if __name__ == '__main__':
    sys.exit(main())
