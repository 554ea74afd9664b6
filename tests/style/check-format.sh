#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Style test: every C file of the tree is as clang-format (.clang-format) writes it.
top=$1
command -v clang-format >/dev/null || { echo "SKIP: clang-format is not installed"; exit 77; }
cd "$top" || exit 1
files=$(find lib cmd tests -name '*.[ch]' -not -path '*/data/*' | sort)
bad=0
for f in $files; do
	if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "FAIL: $f is not clang-formatted (run: clang-format -i $f)"
		bad=1
	fi
done
[ $bad = 0 ] && echo "$(echo "$files" | wc -l) files formatted"
exit $bad
