#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Static analysis: builds lib/, cmd/ and the tests' C code afresh under scan-build (clang's
# analyser) and fails on any finding or clang warning, each listed as text with its path.
#
# usage: tests/static/run-scan-build.sh [BUILD_DIR]
#   BUILD_DIR must not exist, or be empty, or be a meson build directory (which is wiped);
#   without it a temporary directory is used, and removed when the tree is clean.
# Exit status: 0 clean, 1 findings (or the build failed), 2 could not run.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
here=$top/tests/static
scan_build=$(command -v scan-build || command -v scan-build-14) || {
	echo "run-scan-build: scan-build is not installed (Debian: clang-tools)"
	exit 2
}
for tool in clang meson ninja /usr/bin/python3; do
	command -v "$tool" >/dev/null || {
		echo "run-scan-build: $tool is not installed"
		exit 2
	}
done

tmp=
if [ $# -ge 1 ]; then
	build=$1
	if [ -d "$build/meson-private" ]; then
		rm -rf "$build"
	elif [ -e "$build" ] && [ -n "$(ls -A "$build" 2>/dev/null)" ]; then
		echo "run-scan-build: $build is not empty and not a meson build directory"
		exit 2
	fi
else
	build=$(mktemp -d "${TMPDIR:-/tmp}/build-static.XXXXXX") || exit 2
	tmp=$build
fi
setup_reports=$(mktemp -d "${TMPDIR:-/tmp}/scan-setup.XXXXXX") || exit 2
start=$(date +%s)

# scan-build puts its compiler wrapper in CC for meson to record; ninja must then run under
# scan-build too, which tells the wrapper where the reports go.  clang compiles as well as
# analyses, so that its warnings are those of the code the analyser saw.  The configure
# checks' reports are dropped: they are meson's test programs, not ours.
if ! "$scan_build" --use-cc=clang -o "$setup_reports" \
	meson setup "$build" "$top" -Dbuildtype=debug -Dwerror=false -Dtests=enabled \
	-Dman=disabled >"$setup_reports.log" 2>&1; then
	cat "$setup_reports.log"
	echo "run-scan-build: meson setup failed"
	rm -rf "$setup_reports" "$setup_reports.log"
	exit 2
fi
rm -rf "$setup_reports" "$setup_reports.log"

reports=$build/scan-reports
log=$build/scan-build.log
mkdir -p "$reports" || exit 2
"$scan_build" --use-cc=clang -plist-html --keep-empty -o "$reports" ninja -C "$build" >"$log" 2>&1
build_status=$?
elapsed=$(($(date +%s) - start))

if [ $build_status != 0 ]; then
	grep -E 'FAILED:|error:' "$log" | head -50
	echo "run-scan-build: the build failed (log: $log)"
	exit 1
fi
/usr/bin/python3 "$here/scan-report.py" "$reports" "$build" "$top" "$log"
found=$?
if [ $found = 0 ]; then
	echo "run-scan-build: no findings, no clang warnings (${elapsed} s)"
	[ -n "$tmp" ] && rm -rf "$tmp"
	exit 0
fi
if [ $found -ge 100 ]; then
	echo "run-scan-build: 100 or more findings and clang warnings (${elapsed} s)"
else
	echo "run-scan-build: $found findings and clang warnings (${elapsed} s)"
fi
echo "run-scan-build: HTML reports under $reports; log: $log"
exit 1
