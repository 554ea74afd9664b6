# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: vmfault -- COMMAND: exact totals, exit status passed through, stdin/stdout untouched."""

# faultzoo exit-rusage writes its own getrusage(RUSAGE_SELF) and
# (RUSAGE_CHILDREN) to stderr as the very last thing before it ends, with
# nothing that could fault in between: vmfault's totals (wait4's rusage)
# must be self + children exactly, and max_rss the larger of the two.
# Then: the exit status passes through (0, 7, 255; 128 + N for signal N),
# 127 and "cannot run 'X': No such file or directory" for a missing path
# ("command not found" for a bare name not on PATH),
# 126 for a file that is not executable, the command's stdin and stdout are
# untouched (bytes compared) while the report goes to stderr or to
# --output-file (a new file 0600, whatever the umask, replacing an old one),
# vmfault ignores SIGINT while the command runs and leaks no fd to it, and
# the timeline of a command that faults at a known rate shows that rate.
# As root everything that makes sense as an ordinary user runs as nobody too.

import json
import os
import signal
import stat
import subprocess
import tempfile
import time

import vmlive
from vmlive import Failed
import vmfaultlive as vf


def check_totals(args, check, user, fork):
    opts = ['exit-rusage', '--pages', 1000] + (['--fork'] if fork else [])
    r = vf.vmfault(args, '--json', '--', args.faultzoo, *opts, user=user)
    what = '%s (as %s)' % (r.cmd(), vf.who(user))
    if not check.eq('%s: exit status' % what, 0, r.status):
        vmlive.note(r.describe())
        return
    check.eq('%s: stdout (the command printed nothing)' % what, b'', r.out)
    helper, rest = vf.split_stderr(r.err, 'exit-rusage')
    if not check.ok(helper is not None, '%s: the helper\'s rusage line is missing from stderr: %r'
                    % (what, r.err[:400])):
        return
    doc = vf.parse_report(check, rest, what)
    if doc is None:
        return
    run = doc['run']
    me, kids = helper['self'], helper['children']
    check.eq('%s: run.minflt = getrusage self %d + children %d' % (what, me['minflt'],
                                                                  kids['minflt']),
             me['minflt'] + kids['minflt'], run.get('minflt'))
    check.eq('%s: run.majflt = getrusage self + children' % what,
             me['majflt'] + kids['majflt'], run.get('majflt'))
    check.ok(me['minflt'] >= 1000 and (not fork or kids['minflt'] >= 1000),
             '%s: the helper counted fewer faults than pages it wrote: %r' % (what, helper))
    check.eq('%s: run.max_rss = max(self, children) ru_maxrss in bytes' % what,
             max(me['maxrss'], kids['maxrss']) * 1024, run.get('max_rss'))
    check.eq('%s: run.exit_status' % what, 0, run.get('exit_status'))
    check.eq('%s: run.signal' % what, None, run.get('signal'))
    check.eq('%s: run.argv' % what, [args.faultzoo] + [str(o) for o in opts], run.get('argv'))
    for k in ('elapsed', 'user_time', 'system_time'):
        check.ok(vf.is_num(run.get(k)) and run[k] >= 0,
                 '%s: run.%s = %r, expected seconds' % (what, k, run.get(k)))
    for k in ('voluntary_ctxt_switches', 'involuntary_ctxt_switches'):
        check.ok(isinstance(run.get(k), int) and run[k] >= 0,
                 '%s: run.%s = %r, expected a count' % (what, k, run.get(k)))
    check.ok(isinstance(run.get('timeline'), list),
             '%s: run.timeline is not a list: %r' % (what, run.get('timeline')))
    check.ok('where' not in run and 'tlb' not in run,
             '%s: "where"/"tlb" present without --where/--tlb' % what)

    # The text report (stderr) carries the same total.
    t = vf.vmfault(args, '--', args.faultzoo, *opts, user=user)
    what = '%s (as %s)' % (t.cmd(), vf.who(user))
    check.eq('%s: exit status' % what, 0, t.status)
    helper, rest = vf.split_stderr(t.err, 'exit-rusage')
    if helper:
        total = helper['self']['minflt'] + helper['children']['minflt']
        check.ok(str(total) in rest,
                 '%s: the text report does not show the %d minor faults: %r'
                 % (what, total, rest[:600]))


def check_status(args, check, user):
    for status in (0, 7, 255):
        r = vf.vmfault(args, '--', args.faultzoo, 'exit-rusage', '--pages', 10, '--status',
                       status, user=user)
        check.eq('%s (as %s): exit status passed through' % (r.cmd(), vf.who(user)), status,
                 r.status)
    r = vf.vmfault(args, '--json', '--', args.faultzoo, 'exit-rusage', '--pages', 10,
                   '--status', 7, user=user)
    _, rest = vf.split_stderr(r.err, 'exit-rusage')
    doc = vf.parse_report(check, rest, r.cmd())
    if doc:
        check.eq('%s: run.exit_status' % r.cmd(), 7, doc['run'].get('exit_status'))
    for sig in (signal.SIGKILL, signal.SIGTERM):
        r = vf.vmfault(args, '--json', '--', args.faultzoo, 'exit-rusage', '--pages', 10,
                       '--signal', int(sig), user=user)
        what = '%s (as %s)' % (r.cmd(), vf.who(user))
        check.eq('%s: exit status 128 + %d' % (what, sig), 128 + sig, r.status)
        helper, rest = vf.split_stderr(r.err, 'exit-rusage')
        doc = vf.parse_report(check, rest, what)
        if doc and helper:
            s = doc['run'].get('signal')
            check.ok(s in (int(sig), sig.name, sig.name[3:]),
                     '%s: run.signal %r, expected %d (%s)' % (what, s, sig, sig.name))
            check.eq('%s: run.minflt (killed, still counted)' % what,
                     helper['self']['minflt'] + helper['children']['minflt'],
                     doc['run'].get('minflt'))


def check_cannot_run(args, check, user):
    r = vf.vmfault(args, '--', '/nonexistent/cmd', 'arg', user=user)
    what = '%s (as %s)' % (r.cmd(), vf.who(user))
    check.eq('%s: exit status (like a shell)' % what, 127, r.status)
    check.ok("vmfault: cannot run '/nonexistent/cmd': No such file or directory" in r.err,
             "%s: expected \"vmfault: cannot run '/nonexistent/cmd': No such file or "
             "directory\" on stderr, got %r" % (what, r.err))
    check.eq('%s: stdout' % what, b'', r.out)
    r = vf.vmfault(args, '--json', '--', 'vmscope-no-such-command-xyz', user=user,
                   path='/usr/bin:/bin')
    what = '%s (as %s, PATH=/usr/bin:/bin)' % (r.cmd(), vf.who(user))
    check.eq('%s: exit status (not on PATH)' % what, 127, r.status)
    # a bare name looked up on PATH is "not found", as a shell says
    check.ok("vmfault: cannot run 'vmscope-no-such-command-xyz': command not found"
             in r.err, '%s: expected "vmfault: cannot run \'vmscope-no-such-command-xyz\': '
             'command not found", got %r' % (what, r.err))
    # A file without any x bit: EACCES, even for root.
    d = tempfile.mkdtemp(prefix='vmfault-noexec-', dir=args.workdir)
    path = os.path.join(d, 'script')
    try:
        if user == 'nobody':
            # A directory on PATH that nobody may not search (d is 0700 and
            # root's): a shell says "command not found" and exits 127 for a
            # command that is nowhere; execvp() alone would answer EACCES.
            r = vf.vmfault(args, '--', 'vmscope-no-such-command-xyz', user=user,
                           path=d + ':/usr/bin:/bin')
            what = '%s (as nobody, PATH=%s:/usr/bin:/bin, the first not searchable)' \
                % (r.cmd(), d)
            check.eq('%s: exit status (not found anywhere, like a shell)' % what, 127, r.status)
        os.chmod(d, 0o755)
        with open(path, 'w') as f:
            f.write('#!/bin/sh\necho should not run\n')
        os.chmod(path, 0o644)
        r = vf.vmfault(args, '--', path, user=user)
        what = '%s (as %s)' % (r.cmd(), vf.who(user))
        check.eq('%s: exit status (not executable)' % what, 126, r.status)
        check.ok("vmfault: cannot run '%s': Permission denied" % path in r.err,
                 "%s: expected \"vmfault: cannot run '%s': Permission denied\", got %r"
                 % (what, path, r.err))
        check.eq('%s: stdout' % what, b'', r.out)
    finally:
        os.unlink(path)
        os.rmdir(d)


def check_passthrough(args, check, user):
    data = bytes(range(256)) * 512 + b'\r\n\x00no newline at the end'
    for opts in ([], ['--json']):
        r = vf.vmfault(args, *opts, '--', args.faultzoo, 'cat', user=user, input=data)
        what = '%s (as %s)' % (r.cmd(), vf.who(user))
        check.eq('%s: exit status' % what, 0, r.status)
        check.ok(r.out == data, '%s: stdout is not the %d bytes fed to stdin (got %d bytes%s)'
                 % (what, len(data), len(r.out),
                    ', first difference at %d' % next((i for i, (a, b) in
                                                         enumerate(zip(data, r.out)) if a != b),
                                                        min(len(data), len(r.out)))
                    if r.out != data else ''))
        if opts:
            vf.parse_report(check, r.err, what)
        else:
            check.ok(r.err.strip() != '', '%s: no report on stderr' % what)


def check_output_file(args, check, user):
    d = tempfile.mkdtemp(prefix='vmfault-out-', dir=args.workdir)
    out = os.path.join(d, 'report.json')
    try:
        if user == 'nobody':
            os.chown(d, 65534, 65534)
        # An old file with other contents and a wide mode: replaced, not reused.
        with open(out, 'w') as f:
            f.write('old contents ' * 1000)
        os.chmod(out, 0o666)
        if user == 'nobody':
            os.chown(out, 65534, 65534)
        data = b'through\nthe pipe\x00\xff'
        r = vf.vmfault(args, '--json', '--output-file', out, '--', args.faultzoo, 'cat',
                       user=user, input=data, umask=0)
        what = '%s (as %s, umask 0)' % (r.cmd(), vf.who(user))
        check.eq('%s: exit status' % what, 0, r.status)
        check.eq('%s: stdout' % what, data, r.out)
        check.eq('%s: stderr (the report went to the file)' % what, '', r.err)
        st = os.stat(out)
        check.eq('%s: mode of %s' % (what, out), '0o600', oct(stat.S_IMODE(st.st_mode)))
        with open(out) as f:
            doc = vf.parse_report(check, f.read(), '%s: %s' % (what, out))
        if doc:
            check.eq('%s: run.exit_status in the file' % what, 0, doc['run'].get('exit_status'))
        # exit-rusage writes its line to stderr: stderr is exactly that line.
        r = vf.vmfault(args, '--json', '--output-file', out, '--', args.faultzoo,
                       'exit-rusage', '--pages', 100, user=user)
        what = '%s (as %s)' % (r.cmd(), vf.who(user))
        helper, rest = vf.split_stderr(r.err, 'exit-rusage')
        check.ok(helper is not None and rest == '',
                 '%s: stderr should be only the command\'s own line, got %r' % (what, r.err))
        with open(out) as f:
            doc = vf.parse_report(check, f.read(), '%s: %s' % (what, out))
        if doc and helper:
            check.eq('%s: run.minflt in the file' % what,
                     helper['self']['minflt'] + helper['children']['minflt'],
                     doc['run'].get('minflt'))
        check.eq('%s: files in %s (no temporary file left)' % (what, d), ['report.json'],
                 sorted(os.listdir(d)))
        # A command that cannot run: exit 127, no temporary file left behind.
        r = vf.vmfault(args, '--json', '--output-file', os.path.join(d, 'none.json'), '--',
                       '/nonexistent/cmd', user=user)
        what = '%s (as %s)' % (r.cmd(), vf.who(user))
        check.eq('%s: exit status' % what, 127, r.status)
        check.ok("cannot run '/nonexistent/cmd'" in r.err,
                 '%s: expected "cannot run \'/nonexistent/cmd\'" on stderr, got %r' % (what, r.err))
        left = sorted(n for n in os.listdir(d) if n.startswith('none.json.'))
        check.eq('%s: temporary files left in %s' % (what, d), [], left)
    finally:
        for name in os.listdir(d):
            os.unlink(os.path.join(d, name))
        os.rmdir(d)


def fds_of(pid):
    return sorted(int(fd) for fd in os.listdir('/proc/%d/fd' % pid))


def check_sigint_and_fds(args, check, user):
    """SIGINT to vmfault alone while the command runs: ignored; and the command
    sees no fd of vmfault's (perf events, /proc, the output file)."""
    d = tempfile.mkdtemp(prefix='vmfault-fds-', dir=args.workdir)
    out = os.path.join(d, 'report.json')
    if user == 'nobody':
        os.chown(d, 65534, 65534)
    argv = vf.as_user([args.vmfault, '-i', 0.2, '--json', '--where', '--output-file', out, '--',
                       args.faultzoo, 'idle', '--pages', 10], user)
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True, close_fds=True)
    what = '%s (as %s)' % (' '.join(argv), vf.who(user))
    try:
        h = type('H', (), {})()
        h.proc, h.name = p, 'vmfault -- faultzoo idle'
        try:
            info = vf.read_json_line(h, what='start')
        except Failed as e:
            p.kill()
            err = p.communicate(timeout=10)[1].decode(errors='replace')
            check.fail('%s: %s; stderr %r' % (what, e, err))
            return
        helper = info['pid']
        time.sleep(0.5)
        fds = fds_of(helper)
        check.eq('%s: the command\'s open fds (vmfault\'s own are close-on-exec)' % what,
                 [0, 1, 2], fds)
        if fds != [0, 1, 2]:
            for fd in fds:
                try:
                    vmlive.note('fd %d -> %s' % (fd, os.readlink('/proc/%d/fd/%d' % (helper, fd))))
                except OSError:
                    pass
        vmfault_pid = int(vmlive.read_stat(helper)['ppid'])
        check.ok(vmfault_pid == p.pid,  # setpriv execs vmfault: the same pid
                 '%s: the command\'s parent is %d, not vmfault %d' % (what, vmfault_pid, p.pid))
        os.kill(vmfault_pid, signal.SIGINT)
        time.sleep(0.3)
        check.ok(p.poll() is None and vmlive.proc_state(helper) not in (None, 'Z'),
                 '%s: SIGINT to vmfault while the command runs ended it (status %r)'
                 % (what, p.poll()))
        p.stdin.close()  # EOF: faultzoo idle exits 0
        p.stdin = None
        try:
            rest, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            rest, err = p.communicate()
            check.fail('%s: did not end after the command exited' % what)
        check.eq('%s: exit status (the command\'s)' % what, 0, p.returncode)
        check.eq('%s: stderr' % what, '', err.decode(errors='replace'))
        try:
            with open(out) as f:
                doc = vf.parse_report(check, f.read(), '%s: %s' % (what, out))
        except OSError as e:
            check.fail('%s: no report file: %s' % (what, e))
            doc = None
        if doc:
            run = doc['run']
            check.ok(isinstance(run.get('where'), dict),
                     '%s: no run.where with --where' % what)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        for f in (p.stdout, p.stderr):
            f.close()
        for name in os.listdir(d):
            os.unlink(os.path.join(d, name))
        os.rmdir(d)


def check_timeline(args, check, user):
    rate = 2000
    r = vf.vmfault(args, '-i', 0.5, '--json', '--', args.faultzoo, 'rate', '--rate', rate,
                   '--pages', 256, '--seconds', 3, '--ignore-stdin', user=user)
    what = '%s (as %s)' % (r.cmd(), vf.who(user))
    if not check.eq('%s: exit status' % what, 0, r.status):
        vmlive.note(r.describe())
        return
    lines = [json.loads(l) for l in r.out.decode().splitlines() if l.startswith('{')]
    done = [l['faults'] for l in lines if 'faults' in l]
    doc = vf.parse_report(check, r.err, what)
    if doc is None:
        return
    run = doc['run']
    tl = run.get('timeline') or []
    check.ok(len(tl) >= 5, '%s: expected about 6 timeline entries at 0.5 s over 3 s, got %d'
             % (what, len(tl)))
    if done:
        check.ok(vf.is_num(run.get('minflt')) and run['minflt'] >= done[0],
                 '%s: run.minflt %r < the %d faults the helper made' % (what, run.get('minflt'),
                                                                       done[0]))
    # Entries well inside the run (not the start-up, not the end).
    inner = [e for e in tl if vf.is_num(e.get('t')) and 0.9 <= e['t'] <= 2.6]
    check.ok(len(inner) >= 3, '%s: timeline entries between 0.9 s and 2.6 s: %r' % (what, tl))
    for e in inner:
        x = e.get('minflt_rate')
        check.ok(vf.is_num(x) and abs(x - rate) <= 0.15 * rate,
                 '%s: timeline t=%s: minflt_rate %r, expected %d +- 15%% (0.5 s intervals)'
                 % (what, e.get('t'), x, rate))
        check.eq('%s: timeline t=%s: processes' % (what, e.get('t')), 1, e.get('processes'))
        check.ok(vf.is_num(e.get('rss')) and e['rss'] > 0,
                 '%s: timeline t=%s: rss %r' % (what, e.get('t'), e.get('rss')))
    bad = [e for e in tl if any(vf.is_num(e.get(k)) and e[k] < 0
                                for k in ('minflt_rate', 'majflt_rate', 'minflt', 'majflt'))]
    check.ok(not bad, '%s: negative figures in the timeline: %r' % (what, bad))


def body(args, check):
    for user in vf.users():
        check_totals(args, check, user, fork=True)
        check_totals(args, check, user, fork=False)
        check_status(args, check, user)
        check_cannot_run(args, check, user)
        check_passthrough(args, check, user)
        check_output_file(args, check, user)
        check_sigint_and_fds(args, check, user)
    check_timeline(args, check, None)


if __name__ == '__main__':
    vf.run_test(body)
