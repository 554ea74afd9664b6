#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Rebuilds the fixture tree root-basic/ from live processes of this machine (run as root).
#
# Each process's files are copied from /proc and renumbered (the fixture's pids are fixed so
# that the tests can name them): 1 = a root shell, 2 = kthreadd (its status with the
# "Kthread:" line removed, as on kernels before 6.0, so that only PF_KTHREAD tells),
# 1000 = "sleep 100" run as uid 1000, 1001 = a zombie, 1002 = a zombie leader whose second
# thread (1003) still runs and holds 8 MiB.  1004 (a comm with a raw newline and ESC) is
# written by hand below, since no process needs to exist for that.
#
# test_fixture_root.c asserts the exact figures of the committed capture: after running this
# again, update the expected values there.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/root-basic}
work=$(mktemp -d)
cleanup() {
	local j

	for j in $(jobs -p); do
		kill "$j" 2>/dev/null || :
	done
	rm -rf "$work"
}
trap cleanup EXIT

rm -rf "$out"
mkdir -p "$out/proc" "$out/etc" "$out/proc/sys/kernel"
printf '%s\n' 'format 1' 'kernel 6.18.44' 'page_size 4096' 'time 2026-11-21T10:00:00Z' \
	'privileged 1' 'host fixture' >"$out/vmscope-snapshot"
printf '%s\n' 'root:x:0:0:root:/root:/bin/bash' 'alice:x:1000:1000:Alice:/home/alice:/bin/sh' \
	>"$out/etc/passwd"
cat /proc/meminfo >"$out/proc/meminfo"
cat /proc/vmstat >"$out/proc/vmstat"
cp "$here/real-6.18-file.swaps" "$out/proc/swaps"

echo 4194304 >"$out/proc/sys/kernel/pid_max"

# renumber FILE: rewrite pids in stat (fields 1 and 4) and status (Tgid, Pid, PPid, NStgid,
# NSpid) from the environment's MAP ("old=new,old=new").
renumber() {
	python3 - "$1" <<'PY'
import os, re, sys
path = sys.argv[1]
m = dict(kv.split('=') for kv in os.environ['MAP'].split(','))
data = open(path, 'rb').read()
if path.endswith('stat'):
    head, sep, tail = data.rpartition(b')')
    pid, comm = head.split(b' (', 1)
    f = tail.split(b' ')
    f[2] = m.get(f[2].decode(), f[2].decode()).encode()  # ppid (f[0] is '', f[1] state)
    data = m.get(pid.decode(), pid.decode()).encode() + b' (' + comm + sep + b' '.join(f)
else:
    def sub(mo):
        vals = [m.get(v, v) for v in mo.group(2).decode().split('\t')]
        return mo.group(1) + '\t'.join(vals).encode()
    data = re.sub(rb'^((?:Tgid|Pid|PPid|NStgid|NSpid|NSpgid|NSsid):\t)(.*)$', sub, data, flags=re.M)
open(path, 'wb').write(data)
PY
}

# copy SRC DST [FILES...]: copy a /proc/PID (or task/TID) directory's files.
copy() {
	local src=$1 dst=$2 f
	shift 2
	mkdir -p "$dst"
	for f in "$@"; do
		cat "$src/$f" >"$dst/$f" 2>/dev/null || rm -f "$dst/$f"
	done
}
files='stat status cmdline smaps_rollup smaps maps oom_score oom_score_adj cgroup'

bash -c 'exec sleep 300' &
root_pid=$!
setpriv --reuid=1000 --regid=1000 --clear-groups sleep 100 &
alice=$!
echo 200 >/proc/$alice/oom_score_adj
bash -c '(exec sleep 0) & exec sleep 300' &
zparent=$!
cc -O2 -pthread -o "$work/zl" -x c - <<'C'
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static char *volatile keep;

static void *worker(void *arg)
{
	keep = malloc(8 << 20);
	memset(keep, 1, 8 << 20);
	for (;;)
		pause();
	return arg;
}
int main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, worker, NULL);
	pthread_exit(NULL);
}
C
"$work/zl" &
zl=$!
sleep 1
zombie=$(pgrep -P "$zparent")
zl_thread=$(ls /proc/$zl/task | grep -vx "$zl")

export MAP="$root_pid=1,$alice=1000,$zombie=1001,$zparent=1,$zl=1002,$zl_thread=1003,$$=1"
copy /proc/$root_pid "$out/proc/1" $files
copy /proc/2 "$out/proc/2" stat status cmdline maps smaps oom_score oom_score_adj cgroup
sed -i '/^Kthread:/d' "$out/proc/2/status"
copy /proc/$alice "$out/proc/1000" $files
printf '0::/user.slice/user-1000.slice/session-3.scope\n' >"$out/proc/1000/cgroup"
copy /proc/$zombie "$out/proc/1001" stat status cmdline maps smaps oom_score oom_score_adj cgroup
copy /proc/$zl "$out/proc/1002" stat status cmdline maps smaps oom_score oom_score_adj cgroup
copy /proc/$zl/task/$zl "$out/proc/1002/task/1002" stat status maps smaps
copy /proc/$zl/task/$zl_thread "$out/proc/1002/task/1003" stat status cmdline maps smaps smaps_rollup
for f in "$out"/proc/[0-9]*/stat "$out"/proc/[0-9]*/status "$out"/proc/*/task/*/stat \
	 "$out"/proc/*/task/*/status; do
	renumber "$f"
done

# Keep this machine's cgroup names out of the fixture.
sed -i 's|^\([0-9]*:memory:\)/.*|\1/|' "$out"/proc/*/cgroup

# The root shell stands for init: its parent is 0.
sed -i 's/^\(1 ([^)]*) [A-Z]\) 1 /\1 0 /' "$out/proc/1/stat"
sed -i 's/^PPid:\t1$/PPid:\t0/' "$out/proc/1/status"

# 1004: a comm set with prctl(PR_SET_NAME, "x) R 1 2\n\e[2Jz"); status escapes only the newline.
mkdir -p "$out/proc/1004"
printf '1004 (x) R 1 2\n\033[2Jz) S 1 1004 1004 0 -1 4194304 7 0 3 0 0 0 0 0 20 0 1 0 999 2220032 90 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n' \
	>"$out/proc/1004/stat"
printf 'Name:\tx) R 1 2\\n\033[2Jz\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t1004\nNgid:\t0\nPid:\t1004\nPPid:\t1\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nKthread:\t0\nThreads:\t1\n' \
	>"$out/proc/1004/status"
printf 'evil\0arg\0' >"$out/proc/1004/cmdline"
echo 0 >"$out/proc/1004/oom_score"
echo 0 >"$out/proc/1004/oom_score_adj"
