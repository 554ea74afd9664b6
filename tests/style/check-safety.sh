#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Safety invariants checked on the source: no shell-outs or dynamic loading,
# no writes to a target process, every open() with O_CLOEXEC in the library.
top=$1
cd "$top" || exit 1
bad=0
# The one exception: vmfault -- COMMAND runs the command it was given, at
# the line that says so.
if grep -nE '\b(system|popen|execv|execl|execvp|dlopen|process_vm_readv|ptrace)\s*\(' \
	lib/*.c cmd/*.c cmd/*/*.c |
	grep -v '^cmd/vmfault\.c:[0-9]*:.*/\* the COMMAND vmfault was given \*/$'; then
	echo "FAIL: lib/ and cmd/ must not run programs, load code or touch a target's memory"
	bad=1
fi
if grep -n '"mem"' lib/*.c; then
	echo "FAIL: lib/ must never open /proc/PID/mem"
	bad=1
fi
# a call may span lines: look at the call and the two lines after it
for f in lib/*.c cmd/*.c cmd/*/*.c; do
	if awk '/[^_a-z](open|openat)\(/ { s = $0; getline a; getline b; s = s a b;
		if (s !~ /O_CLOEXEC/) { print FILENAME ":" NR ": " $0; bad = 1 } }
		END { exit !bad }' "$f"; then
		echo "FAIL: $f: open without O_CLOEXEC"
		bad=1
	fi
done
[ $bad = 0 ] && echo "ok"
exit $bad
