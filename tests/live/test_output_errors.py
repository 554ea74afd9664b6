# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: output errors: a full disk is an error (exit 1, "No space left on
device"); a closed pipe is not (quiet, exit 0, or death by SIGPIPE)."""

import fcntl
import os
import re
import signal
import subprocess

import vmlive

F_SETPIPE_SZ = getattr(fcntl, 'F_SETPIPE_SZ', 1031)
# A full scan may legitimately end with one summary line per reason for the
# processes it skipped ("vmrank: 1 process not readable: permission denied"
# even as root when an LSM denies pid 1; "... vanished while being read" when
# processes come and go).  Those are not output errors.
SKIP_SUMMARY = re.compile(r'^vmrank: \d+ process(?:es)? .*\n?', re.M)


def head_c1(args, options, ignore_sigpipe):
    """Like `vmrank OPTIONS | head -c1`, with a one-page pipe so that vmrank
    surely writes after the reader has gone."""
    r, w = os.pipe()
    try:
        fcntl.fcntl(w, F_SETPIPE_SZ, 4096)
    except OSError:
        pass
    # Python ignores SIGPIPE; restore_signals=True gives the child the default
    # action (as a shell does), False leaves it ignored (as some daemons do).
    p = subprocess.Popen([args.vmrank] + options, stdout=w, stderr=subprocess.PIPE,
                         restore_signals=not ignore_sigpipe)
    os.close(w)
    first = os.read(r, 1)
    os.close(r)
    try:
        _, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise vmlive.Failed('vmrank %s | head -c1 did not finish' % ' '.join(options))
    return first, p.returncode, err.decode(errors='replace')


def body(args, check):
    if not os.path.exists('/dev/full'):
        raise vmlive.Skip('/dev/full is missing')
    for opts in ([], ['-J']):
        what = 'vmrank %s> /dev/full' % (' '.join(opts) + ' ' if opts else '')
        with open('/dev/full', 'wb') as full:
            r = vmlive.vmrank(args, *opts, stdout=full)
        check.eq('%s: exit status' % what, 1, r.status)
        check.ok('No space left on device' in r.err,
                 '%s: expected "No space left on device" on stderr, got %r' % (what, r.err))

    for ignore in (False, True):
        what = 'vmrank -J | head -c1 (SIGPIPE %s)' % ('ignored' if ignore else 'default')
        first, status, err = head_c1(args, ['-J'], ignore)
        check.eq('%s: first byte' % what, b'{', first)
        if ignore:
            check.eq('%s: exit status (EPIPE is not an error)' % what, 0, status)
        else:
            check.ok(status in (0, -signal.SIGPIPE),
                     '%s: expected exit 0 or death by SIGPIPE, got %s' % (what, status))
        check.eq('%s: stderr (besides skipped-process summaries)' % what, '',
                 SKIP_SUMMARY.sub('', err))


if __name__ == '__main__':
    vmlive.run_test(body)
