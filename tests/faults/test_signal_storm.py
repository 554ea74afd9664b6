# SPDX-License-Identifier: GPL-2.0-or-later
"""Fault test C15: a signal storm during a scan.  Another process (this test) sends at
least 10,000 SIGWINCH, SIGCHLD and SIGALRM to a command while it reads: it must finish
as it would have without them, with no "Interrupted system call" and no early end."""

# Two rounds:
#   default  the commands' own signal dispositions: SIGWINCH and SIGCHLD are
#            ignored by default (SIGALRM would end any program that does not
#            handle it, as it ends cat or ps: it is not sent here);
#   handled  the shim installs a handler that does nothing, WITHOUT
#            SA_RESTART, for SIGALRM, SIGWINCH and SIGCHLD before main():
#            every blocking call the command makes (the sleep between
#            samples, poll, waitpid, reads) may then fail with EINTR, and
#            must be retried; the storm starts once the handlers are in
#            place (SigCgt in /proc/PID/status).
# Output goes to a file: writes to a regular file are never interrupted,
# so what is tested is the commands' own calls, not stdio's.  Short reads
# (8 bytes) make the scans take long enough to be stormed.

import os
import signal
import subprocess
import time

import faultlib as fl

STORM_MIN = 10000
# The storm stops after this many: a slow command (the sanitizer build, reads cut to
# 8 bytes) would otherwise spend all its time in signal delivery and never end.
STORM_MAX = 20 * STORM_MIN
SIGS_DEFAULT = (signal.SIGWINCH, signal.SIGCHLD)
SIGS_HANDLED = (signal.SIGALRM, signal.SIGWINCH, signal.SIGCHLD)


def caught(pid):
    """The signals @pid catches (SigCgt of its status), or None once it is gone."""
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('SigCgt:'):
                    return int(line.split()[1], 16)
    except OSError:
        return None
    return None


def storm(argv, out_path, sigs, env=None, wait_caught=False, timeout=120):
    """Run argv, stdout to @out_path, and send it signals from @sigs until it
    ends (and at least STORM_MIN, unless it ended first).  Returns
    (Result, signals sent, whether the storm began before the end)."""
    with open(out_path, 'wb') as out:
        p = subprocess.Popen([str(a) for a in argv], stdout=out, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL, env=env)
        sent = 0
        began = True
        try:
            if wait_caught:
                mask = 0
                for s in sigs:
                    mask |= 1 << (s - 1)
                deadline = time.monotonic() + 10
                while True:
                    c = caught(p.pid)
                    if c is None or p.poll() is not None:
                        began = False
                        break
                    if c & mask == mask:
                        break
                    if time.monotonic() > deadline:
                        raise fl.Failed('%s: the shim\'s handlers never appeared' % argv[0])
                    time.sleep(0.0005)
            deadline = time.monotonic() + timeout
            while (began and p.poll() is None and sent < STORM_MAX and
                   time.monotonic() < deadline):
                for i in range(500):
                    try:
                        os.kill(p.pid, sigs[(sent + i) % len(sigs)])
                    except ProcessLookupError:
                        break
                sent += 500
            err = p.stderr.read()
            p.wait(timeout=timeout)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stderr.close()
    with open(out_path, 'rb') as f:
        data = f.read()
    return fl.Result([str(a) for a in argv], p.returncode, data, err), sent, began


def body(args, check):
    with fl.victim(args) as v, fl.victim(args, '--regions', '20') as w, \
            fl.tempdir(args) as d:
        out = os.path.join(d, 'out')
        snap = os.path.join(d, 'snap')
        report = os.path.join(d, 'report.json')
        rng = '%s-%s' % (v.info['first'], v.info['last_end'])
        cases = [
            # (argv, compare with a normal run's output?)
            ([args.vmrank, '-J'], False),
            ([args.vmrank, '-J', '--by', 'mapping', '-p', '%d,%d' % (v.pid, w.pid)], True),
            ([args.vmmap, '-J', v.pid, w.pid], True),
            ([args.vmmap, '--pages', '-J', v.pid], True),
            ([args.vmwalk, '-J', '--method', 'read', v.pid, rng], True),
            ([args.vmswap, '-J', '-i', '0.2', '-p', '%d,%d' % (v.pid, w.pid)], True),
            ([args.vmfault, '-J', '-i', '0.05', '-c', '12', '-p', '%d,%d' % (v.pid, w.pid)],
             False),
            ([args.vmfault, '-J', '--output-file', report, '--', '/bin/sleep', '0.4'], False),
            ([args.vmswap, '--activity', '-J', '-i', '0.05', '-c', '8'], False),
            ([args.vmsnap, '-q', '-o', snap + '.tar', v.pid, w.pid], False),
        ]
        refs = {}
        for argv, compare in cases:
            if compare:
                refs[id(argv)] = fl.run(argv)
        volatile = ('time', 'interval', 'referenced', 'pg_active', 'pg_inactive',
                    'pg_referenced', 'pg_dirty', 'minflt_rate', 'majflt_rate')
        for mode, sigs in (('default', SIGS_DEFAULT), ('handled', SIGS_HANDLED)):
            for argv, compare in cases:
                if mode == 'default':
                    env = fl.shim_env(args, read_max=8, read_skip_from='libproc2')
                else:
                    env = fl.shim_env(args, read_max=8, read_skip_from='libproc2',
                                      signals='ALRM,WINCH,CHLD')
                for f in (snap + '.tar', report):
                    if os.path.exists(f):
                        os.unlink(f)
                r, sent, began = storm(argv, out, sigs, env=env, wait_caught=mode == 'handled')
                what = '%s (storm of %d signals, %s dispositions)' % (r.cmd(), sent, mode)
                fl.check_clean(check, r, what)
                check.eq('%s: exit status' % what, 0, r.status)
                check.ok('Interrupted system call' not in r.err,
                         '%s: EINTR reached the user: %s' % (what, r.describe()))
                if not began:
                    fl.note('%s: ended before the storm could begin' % what)
                elif sent < STORM_MIN:
                    fl.note('%s: ended after %d signals' % (what, sent))
                if r.status != 0:
                    continue
                if argv[0] == args.vmsnap:
                    check.ok(os.path.getsize(snap + '.tar') > 0, '%s: no snapshot' % what)
                    continue
                try:
                    if '--output-file' in argv:
                        with open(report, 'rb') as f:
                            docs = fl.json_docs(f.read())
                    else:
                        docs = fl.json_docs(r.out)
                except ValueError as e:
                    check.fail('%s: invalid JSON (%s)' % (what, e))
                    continue
                if '-c' in argv:
                    n = int(argv[argv.index('-c') + 1])
                    check.eq('%s: samples' % what, n, len(docs) if isinstance(docs, list) else 1)
                if compare:
                    ref = refs[id(argv)]
                    a = fl.strip_volatile(fl.json_docs(ref.out), volatile)
                    b = fl.strip_volatile(docs, volatile)
                    check.ok(a == b, '%s: the output differs from a normal run\'s at %s'
                             % (what, fl.first_diff(a, b)))


if __name__ == '__main__':
    fl.run_test(body)
