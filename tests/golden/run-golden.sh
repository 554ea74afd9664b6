#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Golden test: run a command on a fixture and compare stdout, stderr and the
# exit status with the expected files beside the case.
# Usage: run-golden.sh BINARY FIXTURES_DIR CASE.args
# CASE.args holds the arguments, one per line; "@FIX name" is replaced by
# "--root FIXTURES_DIR/name", and "@PATH name" by "FIXTURES_DIR/name" alone.
# VMSCOPE_UPDATE_GOLDEN=1 rewrites the expected files.
set -u
bin=$1 fixtures=$2 case=$3
base=${case%.args}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

set --
while IFS= read -r line || [ -n "$line" ]; do
	case "$line" in
	"@FIX "*) set -- "$@" --root "$fixtures/${line#@FIX }" ;;
	"@PATH "*) set -- "$@" "$fixtures/${line#@PATH }" ;;
	*) set -- "$@" "$line" ;;
	esac
done <"$case"

# the same environment on every machine
env -i PATH=/usr/bin:/bin LC_ALL=C.UTF-8 SOURCE_DATE_EPOCH=1700000000 \
	"$bin" "$@" >"$tmp/out" 2>"$tmp/err"
echo $? >"$tmp/rc"
# the fixture path differs between checkouts
sed -i "s|$fixtures|FIXTURES|g" "$tmp/out" "$tmp/err"

if [ "${VMSCOPE_UPDATE_GOLDEN:-}" = 1 ]; then
	cp "$tmp/out" "$base.out"
	cp "$tmp/err" "$base.err"
	cp "$tmp/rc" "$base.rc"
	echo "updated $base"
	exit 0
fi
fail=0
for k in out err rc; do
	if ! cmp -s "$base.$k" "$tmp/$k"; then
		echo "FAIL: $(basename "$base"): $k differs from the expected $base.$k:"
		diff -u "$base.$k" "$tmp/$k" | head -40
		fail=1
	fi
done
exit $fail
