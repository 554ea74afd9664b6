#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Syntax check: every man/*.scd page of the source tree builds with scdoc.
#
# usage: check-scdoc.sh SCDOC SRCDIR   (SCDOC empty when scdoc was not found: SKIP)

set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 SCDOC SRCDIR" >&2
	exit 2
fi
scdoc=$1
src=$2

if [ -z "$scdoc" ] || [ ! -x "$scdoc" ]; then
	echo "SKIP: scdoc not found (install the scdoc package)"
	exit 77
fi

failures=0
pages=0
for page in "$src"/man/*.scd; do
	[ -e "$page" ] || continue
	pages=$((pages + 1))
	# scdoc names the line and column of the first error on stderr.
	if ! err=$("$scdoc" < "$page" 2>&1 >/dev/null); then
		echo "FAIL: man/${page##*/}: $err"
		failures=$((failures + 1))
	fi
done

if [ "$pages" -eq 0 ]; then
	echo "FAIL: no man/*.scd page found under $src"
	exit 1
fi
if [ "$failures" -ne 0 ]; then
	echo "$failures of $pages man page(s) do not build with scdoc"
	exit 1
fi
echo "all $pages man pages build with scdoc"
