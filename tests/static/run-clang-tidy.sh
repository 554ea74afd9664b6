#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# clang-tidy over every C file of a clang build (lib/, cmd/, tests/) with the checks of the
# top-level .clang-tidy; fails on any warning, each listed once.
#
# usage: tests/static/run-clang-tidy.sh [BUILD_DIR]
#   BUILD_DIR must not exist, or be empty, or be a meson build directory (which is wiped); it
#   is only configured (for its compile_commands.json), never built.  Without it a temporary
#   directory is used and removed.
# Exit status: 0 clean, 1 warnings, 2 could not run.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
tidy=$(command -v clang-tidy || command -v clang-tidy-14) || {
	echo "run-clang-tidy: clang-tidy is not installed (Debian: clang-tidy)"
	exit 2
}
for tool in clang meson /usr/bin/python3; do
	command -v "$tool" >/dev/null || {
		echo "run-clang-tidy: $tool is not installed"
		exit 2
	}
done

tmp=
if [ $# -ge 1 ]; then
	build=$1
	if [ -d "$build/meson-private" ]; then
		rm -rf "$build"
	elif [ -e "$build" ] && [ -n "$(ls -A "$build" 2>/dev/null)" ]; then
		echo "run-clang-tidy: $build is not empty and not a meson build directory"
		exit 2
	fi
else
	build=$(mktemp -d "${TMPDIR:-/tmp}/build-tidy.XXXXXX") || exit 2
	tmp=$build
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/clang-tidy.XXXXXX") || exit 2
cleanup() {
	rm -rf "$work"
	[ -n "$tmp" ] && rm -rf "$tmp"
}
start=$(date +%s)

# clang's own flags: the compile commands are those clang-tidy parses with
if ! CC=clang meson setup "$build" "$top" -Dbuildtype=debug -Dtests=enabled -Dman=disabled \
	>"$work/setup.log" 2>&1; then
	cat "$work/setup.log"
	echo "run-clang-tidy: meson setup failed"
	cleanup
	exit 2
fi

# each source once (some are compiled into two targets), two at a time
/usr/bin/python3 -c '
import json, os, sys
seen = set()
for e in json.load(open(sys.argv[1])):
    f = os.path.realpath(os.path.join(e["directory"], e["file"]))
    if f.endswith(".c") and f not in seen:
        seen.add(f)
        print(f)
' "$build/compile_commands.json" | sort >"$work/files"
xargs -n 4 -P 2 "$tidy" -p "$build" --quiet --header-filter="^$top/(lib|cmd|tests)/" \
	<"$work/files" >"$work/log" 2>&1
elapsed=$(($(date +%s) - start))

# "path:line:col: warning: text [check]", paths made relative to the tree, each once
findings=$(grep -E ': (warning|error): ' "$work/log" | while IFS= read -r line; do
	file=${line%%:*}
	case $file in
	/*) ;;
	*) file=$build/$file ;;
	esac
	file=$(realpath -m "$file")
	echo "${file#"$top"/}:${line#*:}"
done | sort -u)
files=$(wc -l <"$work/files")
cleanup
if [ -z "$findings" ]; then
	echo "run-clang-tidy: no warnings in $files files (${elapsed} s)"
	exit 0
fi
echo "$findings"
echo "run-clang-tidy: $(echo "$findings" | wc -l) warnings (${elapsed} s)"
exit 1
