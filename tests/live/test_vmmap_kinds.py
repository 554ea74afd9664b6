# SPDX-License-Identifier: GPL-2.0-or-later
"""Live test: vmmap tells every kind of mapping apart, on the mapzoo helper:
kind, object and thread in JSON, and the KIND column of the default table."""

# mapzoo holds one mapping of each kind (see tests/helpers/mapzoo.c) and says
# which kind each must be.  Beyond its own list, the rules of the spec are
# applied to what /proc/PID/maps shows: the mappings of every code object
# (a file with an executable mapping: the program, libc, ld.so) are text /
# rodata / data / guard by their permissions, the anonymous mapping that
# starts where a code object's last mapping ends is its bss, and the kernel's
# [vdso], [vvar], [vvar_vclock], [vsyscall] pages are vdso / vvar / vsyscall.
#
# The thread stack: vmmap finds it from /proc/PID/task/TID/syscall, which
# needs ptrace access.  As root it must be thread-stack with the TID;
# otherwise thread-stack with the TID, or anon with no thread, are accepted.
#
# hugetlb: as root, when no huge page is reserved, one is (vm.nr_hugepages)
# for the duration of the test and the old value restored; when the kernel
# still refuses, that region is skipped (said loudly).
#
# The helper is not stopped (its thread must stay blocked in read()); it is
# idle, and smaps is read before and after each run, retried if it moved.

import contextlib
import os
import re

import vmlive
import vmmaplive

NR_HUGEPAGES = '/proc/sys/vm/nr_hugepages'
HEADERS = ['ADDRESS', 'PERM', 'KIND', 'SIZE', 'RSS', 'PSS', 'USS', 'DIRTY', 'SWAP', 'MAPPING']
KERNEL_PAGES = {'[vdso]': 'vdso', '[vvar]': 'vvar', '[vvar_vclock]': 'vvar',
                '[vsyscall]': 'vsyscall', '[heap]': 'heap', '[stack]': 'stack'}


@contextlib.contextmanager
def hugetlb_page():
    """Yield None with at least one free huge page, else the reason there is none."""
    try:
        old = int(open(NR_HUGEPAGES).read())
    except (OSError, ValueError) as e:
        yield 'no %s (%s)' % (NR_HUGEPAGES, e)
        return
    free = vmlive.parse_counters(vmlive.read_text('/proc/meminfo')).get('HugePages_Free', 0)
    if free > 0:
        yield None
        return
    if os.geteuid() != 0:
        yield 'no free huge page, and only root can reserve one'
        return
    raised = False
    try:
        try:
            with open(NR_HUGEPAGES, 'w') as f:
                f.write('%d\n' % (old + 1))
            raised = True
        except OSError as e:
            yield 'cannot raise %s: %s' % (NR_HUGEPAGES, e)
            return
        free = vmlive.parse_counters(vmlive.read_text('/proc/meminfo')).get('HugePages_Free', 0)
        if free < 1:
            yield 'the kernel could not reserve a huge page (memory too fragmented?)'
            return
        vmlive.note('reserved a huge page (%s %d -> %d) for the test' % (NR_HUGEPAGES, old,
                                                                         old + 1))
        yield None
    finally:
        if raised:
            try:
                with open(NR_HUGEPAGES, 'w') as f:
                    f.write('%d\n' % old)
            except OSError as e:
                print('WARNING: could not restore %s to %d: %s' % (NR_HUGEPAGES, old, e),
                      flush=True)


def empty(v):
    return v is None or v == ''


def code_objects(maps):
    """{path: [mapping tuples]} for each file with an executable mapping."""
    files = {}
    for t in maps:
        if t[3].startswith('/'):
            files.setdefault(t[3], []).append(t)
    return {p: ms for p, ms in files.items() if any(m[2][2] == 'x' for m in ms)}


def body(args, check):
    d = vmlive.disk_dir(args)
    with hugetlb_page() as no_huge:
        opts = ['--dir', d] + ([] if no_huge else ['--hugetlb'])
        h = vmmaplive.start_mapzoo(args, *opts)
        try:
            run_checks(args, check, h.info, no_huge)
        finally:
            h.close()
            vmmaplive.cleanup_mapzoo_files(h.info)


def run_checks(args, check, info, no_huge):
    pid, tid = info['pid'], info['tid']
    regs = info['regions']
    if no_huge or 'hugetlb' in info['missing']:
        vmmaplive.skip_part('the hugetlb region', no_huge or info['missing']['hugetlb'])
    for name, why in info['missing'].items():
        if name != 'hugetlb':
            vmmaplive.skip_part('region %s' % name, why)
    exe = os.path.realpath('/proc/%d/exe' % pid)

    smaps, r = vmmaplive.measure([pid], lambda: vmmaplive.vmmap_json(args, pid), stop=False)
    what = 'vmmap -J %d (mapzoo)' % pid
    maps = vmmaplive.mappings_of(r, pid)
    check.eq('%s: exit status' % what, 0, r.status)
    # Everything equals smaps (names with " (deleted)", shared memory...).
    # mapzoo is linked dynamically: libc and ld.so are shared with vmmap, whose
    # own mappings of them change their PSS while it runs.
    loose = vmmaplive.shared_with(pid)
    vmlive.note('PSS of %s is only bounded (shared with vmmap)' % ', '.join(sorted(loose)))
    vmmaplive.compare_process(check, what, smaps[pid], maps, loose_names=loose)
    vmmaplive.compare_totals(check, what, smaps[pid],
                             (vmmaplive.process(r.doc, pid) or {}).get('totals'), maps=maps,
                             loose_names=loose)

    # 1. The helper's own list.
    for name, rg in regs.items():
        a = int(rg['addr'], 16)
        m = vmmaplive.containing(maps, a)
        rw = '%s: region %s (%s)' % (what, name, rg['vma_name'] or 'anonymous')
        if not check.ok(m is not None, '%s: no mapping holds %s' % (rw, rg['addr'])):
            continue
        if rg['start']:
            check.eq('%s: start' % rw, rg['start'], m.get('start'))
            check.eq('%s: end' % rw, rg['end'], m.get('end'))
        else:
            check.eq('%s: start' % rw, rg['vma_start'], m.get('start'))
            check.eq('%s: end' % rw, rg['vma_end'], m.get('end'))
        if name == 'thread_stack' and os.geteuid() != 0:
            ok = (m.get('kind') == 'thread-stack' and m.get('thread') in (tid, str(tid))) or \
                 (m.get('kind') == 'anon' and empty(m.get('thread')))
            check.ok(ok, '%s: not root: expected kind thread-stack with thread %d, or anon '
                     'without a thread; got kind %r thread %r'
                     % (rw, tid, m.get('kind'), m.get('thread')))
            continue
        check.eq('%s: kind' % rw, rg['kind'], m.get('kind'))
        if rg['object']:
            check.eq('%s: object' % rw, rg['object'], m.get('object'))
        else:
            check.ok(empty(m.get('object')), '%s: object: expected empty, got %r'
                     % (rw, m.get('object')))
        if name == 'thread_stack':
            check.ok(m.get('thread') in (tid, str(tid)), '%s: thread: expected the TID %d, '
                     'got %r' % (rw, tid, m.get('thread')))
        else:
            check.ok(empty(m.get('thread')), '%s: thread: expected empty, got %r'
                     % (rw, m.get('thread')))
        if name in ('deleted', 'spoof', 'data_file'):
            check.eq('%s: "deleted"' % rw, name == 'deleted', m.get('deleted'))
            check.ok(m.get('mapping') in (rg['vma_name'],
                                          vmmaplive.strip_deleted(rg['vma_name'])),
                     '%s: mapping: expected %r, got %r' % (rw, rg['vma_name'], m.get('mapping')))
        if name == 'spoof':
            check.ok(m.get('mapping', '').endswith(' (deleted)'),
                     '%s: the file\'s real name ends in " (deleted)"; mapping must keep it, '
                     'got %r' % (rw, m.get('mapping')))
        if name in ('anon_named', 'shared_anon_named') and rg['named']:
            want = '[anon:vmscope-mapzoo]' if name == 'anon_named' \
                else '[anon_shmem:vmscope-mapzoo]'
            check.eq('%s: mapping' % rw, want, m.get('mapping'))
        elif name in ('anon_named', 'shared_anon_named'):
            vmlive.note('%s: the kernel refused PR_SET_VMA_ANON_NAME (no CONFIG_ANON_VMA_NAME?);'
                        ' the region is unnamed' % rw)
        if name == 'thp':
            check.eq('%s: anon_huge_pages (what the helper saw)' % rw, rg['anon_huge_pages'],
                     m.get('anon_huge_pages'))
            if rg['anon_huge_pages'] == 0:
                vmlive.note('%s: no transparent huge page was given' % rw)
        if name == 'hugetlb':
            check.eq('%s: private_hugetlb' % rw, rg['private_hugetlb'],
                     m.get('private_hugetlb'))
            check.ok(rg['private_hugetlb'] > 0, '%s: the helper saw Private_Hugetlb 0' % rw)

    # 2. The spec's rules, applied to every mapping /proc shows.
    pmaps = vmmaplive.read_maps(pid)
    objs = code_objects(pmaps)
    check.ok(exe in objs, '%s: the program %s has no executable mapping?' % (what, exe))
    libc = [p for p in objs if re.search(r'/libc(\.so\.6|-[0-9.]+\.so)$', p)]
    check.ok(len(libc) == 1, '%s: expected one libc among the code objects, got %r'
             % (what, sorted(objs)))
    for path, ms in objs.items():
        obj = 'program' if path == exe else 'library'
        for (s, e, perms, name) in ms:
            m = vmmaplive.exact(maps, s, e)
            mw = '%s: %s %x-%x %s' % (what, os.path.basename(path), s, e, perms)
            if not check.ok(m is not None, '%s: not exactly one mapping' % mw):
                continue
            if perms[2] == 'x':
                want = 'text'
            elif perms[:3] == '---':
                want = 'guard'
            elif perms[1] == 'w':
                want = 'data'
            else:
                want = 'rodata'
            check.eq('%s: kind' % mw, want, m.get('kind'))
            if want != 'guard':
                check.eq('%s: object' % mw, obj, m.get('object'))
        last = max(e for (s, e, perms, name) in ms)
        after = [t for t in pmaps if t[0] == last and t[3] == '' and t[2][1] == 'w']
        for (s, e, perms, name) in after:
            m = vmmaplive.exact(maps, s, e)
            mw = '%s: anonymous %x-%x right after %s' % (what, s, e, os.path.basename(path))
            if check.ok(m is not None, '%s: not exactly one mapping' % mw):
                check.eq('%s: kind' % mw, 'bss', m.get('kind'))
                check.eq('%s: object' % mw, obj, m.get('object'))
    for (s, e, perms, name) in pmaps:
        m = vmmaplive.exact(maps, s, e)
        if m is None:
            continue
        mw = '%s: %x-%x %s %s' % (what, s, e, perms, name or '(anonymous)')
        if name in KERNEL_PAGES:
            check.eq('%s: kind' % mw, KERNEL_PAGES[name], m.get('kind'))
        elif name == '' and perms[:3] == '---':
            check.eq('%s: kind' % mw, 'guard', m.get('kind'))

    # 3. The default table: a row per region with its KIND.
    r = vmmaplive.vmmap(args, pid)
    tw = '`vmmap %d` (table)' % pid
    check.eq('%s: exit status' % tw, 0, r.status)
    text = r.out.decode('utf-8', 'replace')
    sections, nheaders = vmmaplive.table_rows(text, HEADERS)
    if not check.eq('%s: header lines "%s"' % (tw, ' '.join(HEADERS)), 1, nheaders):
        vmlive.note('%s output:\n%s' % (tw, text[:3000]))
        return
    rows = {}
    for toks, line in sections[0]:
        rng = vmmaplive.parse_table_address(toks[0])
        if rng:
            rows[rng] = (toks, line)
        else:
            check.ok(line == sections[0][-1][1],
                     '%s: a row other than the last (totals) without an ADDRESS: %r'
                     % (tw, line))
    check.eq('%s: rows with an address' % tw, len(smaps[pid]), len(rows))
    for name, rg in regs.items():
        rng = (int(rg['vma_start'], 16), int(rg['vma_end'], 16))
        row = rows.get(rng)
        rw = '%s: region %s' % (tw, name)
        if not check.ok(row is not None, '%s: no row for %x-%x' % (rw, rng[0], rng[1])):
            continue
        toks, line = row
        if name == 'thread_stack' and os.geteuid() != 0:
            check.ok(toks[2] in ('thread-stack', 'anon'), '%s: KIND %r' % (rw, toks[2]))
            continue
        check.eq('%s: KIND' % rw, rg['kind'], toks[2])
        if rg['path']:
            check.ok(os.path.basename(rg['path']) in line,
                     '%s: MAPPING: expected %r in the row, got %r' % (rw, rg['path'], line))
        if name == 'spoof':
            check.ok(line.rstrip().endswith(' (deleted)'),
                     '%s: MAPPING: the real name ends in " (deleted)": %r' % (rw, line))
    for toks, line in rows.values():
        check.ok(toks[2] in vmmaplive.KINDS, '%s: KIND %r is not a kind of the spec: %r'
                 % (tw, toks[2], line))


if __name__ == '__main__':
    vmmaplive.run_test(body)
