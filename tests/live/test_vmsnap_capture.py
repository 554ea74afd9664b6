# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: what vmrank and vmmap say of a vmsnap capture equals what they say live,
for the layout helper (held still), as root and as nobody, for a directory and every
archive kind, for its PIDs and for a capture of every process; kernel threads and a
zombie leader are captured as the library reads them."""

# With the helper's processes stopped (SIGSTOP), `vmrank -J -p PIDS` and
# `vmmap -J PID` are run live, the capture is taken, and the two commands are
# run again live; when the live runs agree (nothing moved), the same commands
# with --root on the capture must print the same process rows and mappings.
# vmrank's rows and vmmap's mappings are compared whole: any field that reads
# differently from a snapshot is a capture that lost something.

import os

import vmlive
import vmmaplive
import vmsnaplive
from vmlive import Failed

TRIES = 4


def rank_rows(args, pids, user, root=None):
    opts = ['-p', ','.join(str(p) for p in pids)] + (['--root', root] if root else [])
    r = vmlive.vmrank_json(args, *opts, user=user)
    return {p: row for p, row in vmlive.rows_by_pid(r.doc).items() if p in pids}


def map_rows(args, pid, user, root=None, pages=False):
    opts = [pid] + (['--root', root] if root else []) + (['--pages'] if pages else [])
    r = vmmaplive.vmmap_json(args, *opts, user=user)
    procs = r.doc.get('processes') or []
    if len(procs) != 1:
        raise Failed('%s: expected one process, got %d' % (r.cmd(), len(procs)))
    maps = procs[0].get('mappings') or []
    for m in maps:
        if m.get('mapping') == '[vdso]' and isinstance(m.get('pages'), dict):
            for k in SHARED_FLAGS:
                m['pages'].pop(k, None)
    return maps


# The page flags of the frames every process maps ([vdso]) move with the whole
# system's activity, not the helper's: left out of what is compared.
SHARED_FLAGS = {'active', 'inactive', 'referenced'}
# Without the frame numbers, live vmmap still tells THP and zero pages through
# PAGEMAP_SCAN; a snapshot holds the raw entries only: unknown (null) there.
SCAN_ONLY = {'thp', 'zero'}


def page_diff(a, b, privileged):
    out = {}
    for k in sorted(set(a) | set(b)):
        x, y = a.get(k), b.get(k)
        if x == y:
            continue
        if not privileged and k in SCAN_ONLY and y is None:
            continue
        out[k] = (x, y)
    return out


def check_mappings(check, what, live, snap, privileged=True):
    """The same mappings, field by field; a failure names the fields that differ."""
    if not check.eq('%s: number of mappings' % what, len(live or []), len(snap or [])):
        return
    diffs = []
    for a, b in zip(live, snap):
        d = {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}
        if 'pages' in d:
            pd = page_diff(a.get('pages') or {}, b.get('pages') or {}, privileged)
            if pd:
                d['pages'] = pd
            else:
                del d['pages']
        if d:
            diffs.append('%s %s: %s' % (a.get('start'), a.get('mapping'), d))
    check.eq('%s: mappings that differ (live, capture)' % what, [], diffs)


def compare_capture(args, check, user, pids, out, all_procs=False, pages=False):
    """Capture (all processes, or @pids) into @out and compare the commands' views;
    with @pages, the capture has the pagemaps and vmmap shows the pages' states."""
    main = pids[0]
    for attempt in range(TRIES):
        rank_before = rank_rows(args, pids, user)
        map_before = map_rows(args, main, user, pages=pages)
        r = vmsnaplive.capture(args, out, *([] if all_procs else pids), user=user,
                               options=['--pages'] if pages else [])
        rank_after = rank_rows(args, pids, user)
        map_after = map_rows(args, main, user, pages=pages)
        if rank_before == rank_after and map_before == map_after:
            break
        vmlive.note('live figures moved during the capture (attempt %d), retrying'
                    % (attempt + 1))
        vmsnaplive.remove(out)
    else:
        raise Failed('the live figures of stopped processes %s kept changing' % pids)
    what = '%s, %s' % (vmsnaplive.who(user), os.path.basename(out.rstrip('/')))
    check.eq('%s: vmsnap stdout' % what, b'', r.out)
    vmsnaplive.check_modes(check, what, out)
    rank_snap = rank_rows(args, pids, user, root=out)
    for pid in pids:
        check.eq('%s: vmrank -J -p %d row, capture vs live' % (what, pid), rank_after.get(pid),
                 rank_snap.get(pid))
    check_mappings(check, '%s: vmmap -J%s %d, capture vs live'
                   % (what, ' --pages' if pages else '', main), map_after,
                   map_rows(args, main, user, root=out, pages=pages),
                   privileged=user is None and os.geteuid() == 0)
    return r


def check_description(check, what, out, user, pids=None):
    desc = vmsnaplive.description(out)
    for key in ('format', 'kernel', 'page_size', 'time', 'host', 'privileged', 'captured'):
        check.ok(key in desc, '%s: no "%s" line in vmscope-snapshot: %r' % (what, key, desc))
    check.eq('%s: format' % what, '1', desc.get('format'))
    check.eq('%s: kernel' % what, os.uname().release, desc.get('kernel'))
    check.eq('%s: page_size' % what, str(vmlive.PAGE), desc.get('page_size'))
    check.eq('%s: privileged' % what, '1' if user is None and os.geteuid() == 0 else '0',
             desc.get('privileged'))
    if pids is not None:
        check.eq('%s: captured' % what, str(len(pids)), desc.get('captured'))
    return desc


def check_all(args, check, user, h, scratch):
    """A capture of every process: the helper's rows as live; the counts add up."""
    pids = h.pids()
    out = os.path.join(scratch, 'all-%s/' % vmsnaplive.who(user))
    r = compare_capture(args, check, user, pids, out, all_procs=True)
    what = '%s, all processes' % vmsnaplive.who(user)
    desc = check_description(check, what, out, user)
    dirs = sorted(int(d) for d in os.listdir(os.path.join(out, 'proc')) if d.isdigit())
    check.eq('%s: "captured" is the number of proc/PID directories' % what, str(len(dirs)),
             desc.get('captured'))
    for pid in vmsnaplive.pid_list(desc, 'vanished'):
        check.ok(pid not in dirs, '%s: pid %d is "vanished" but has a directory' % (what, pid))
    for pid in vmsnaplive.pid_list(desc, 'partial'):
        check.ok(os.path.exists(os.path.join(out, 'proc', str(pid), 'stat')),
                 '%s: pid %d is "partial" but has no stat' % (what, pid))
    if user == 'nobody':
        check.ok('captured without their memory files: permission denied' in r.err,
                 '%s: expected the count of processes captured without their memory files '
                 'on stderr, got %r' % (what, r.err))
    # kernel threads: their table entry only
    for pid in dirs:
        if vmlive.is_kthread(pid):
            files = sorted(os.listdir(os.path.join(out, 'proc', str(pid))))
            check.eq('%s: files of kernel thread %d' % (what, pid),
                     ['cmdline', 'stat', 'status'], files)
            break


def body(args, check):
    with vmsnaplive.scratch(args) as scratch:
        # the layout's file on the build directory's disk, where nobody may write too
        vmlive.disk_dir(args)
        for user in vmsnaplive.users():
            with vmlive.start_layout(args, '--dir', scratch, '--anon', '1M', '--untouched', '1M',
                                     '--file', '512K', '--cow', '1M', user=user) as h:
                pids = h.pids()
                with vmlive.stopped(pids):
                    for kind in vmsnaplive.KINDS:
                        out = os.path.join(scratch, 'snap-%s%s' % (vmsnaplive.who(user), kind))
                        compare_capture(args, check, user, pids, out)
                        if kind in ('/', '.tar.gz', '.tar.xz'):
                            check_description(check, '%s, %s' % (vmsnaplive.who(user), kind),
                                              out, user, pids)
                    for kind in ('/', '.tar.zst'):
                        out = os.path.join(scratch, 'pages-%s%s' % (vmsnaplive.who(user), kind))
                        compare_capture(args, check, user, pids, out, pages=True)
                    check_all(args, check, user, h, scratch)

        # a zombie leader: its memory, read through a live thread, as live
        with vmlive.Helper([args.zombie_leader, '8'], name='zombie_leader') as z:
            pid, tid = z.info['pid'], z.info['tid']
            with vmlive.stopped([pid]):
                out = os.path.join(scratch, 'zombie/')
                compare_capture(args, check, None, [pid], out)
                check.ok(os.path.exists(os.path.join(out, 'proc', str(pid), 'task', str(tid),
                                                     'smaps_rollup')),
                         'zombie leader %d: no task/%d/smaps_rollup in the capture' % (pid, tid))


if __name__ == '__main__':
    vmsnaplive.run_test(body)
