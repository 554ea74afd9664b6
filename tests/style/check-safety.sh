#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Safety invariants checked on the source: no shell-outs or dynamic loading,
# no writes to a target process, every open() with O_CLOEXEC in the library.
top=$1
cd "$top" || exit 1
bad=0
# The one exception: vmfault -- COMMAND runs the command it was given, at
# the line that says so.
# (every exec* and posix_spawn*, in the headers too: hazard I2)
if grep -nE '\b(system|popen|exec[lv]p?e?|fexecve|posix_spawnp?|dlopen|dlmopen|process_vm_readv|process_vm_writev|ptrace)\s*\(' \
	lib/*.[ch] cmd/*.[ch] cmd/*/*.[ch] |
	grep -v '^cmd/vmfault\.c:[0-9]*:.*/\* the COMMAND vmfault was given \*/$'; then
	echo "FAIL: lib/ and cmd/ must not run programs, load code or touch a target's memory"
	bad=1
fi
if grep -nE '"/?mem"|/mem"' lib/*.[ch] cmd/*.[ch] cmd/*/*.[ch]; then
	echo "FAIL: lib/ and cmd/ must never open /proc/PID/mem"
	bad=1
fi
# a stdio stream must be close-on-exec too: fopen's mode has an "e"
if grep -nE '\bfopen\s*\([^,]*,\s*"[^"e]*"' lib/*.[ch] cmd/*.[ch] cmd/*/*.[ch]; then
	echo 'FAIL: fopen without the "e" (O_CLOEXEC) mode'
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
