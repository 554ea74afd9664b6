#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Quick test of the static-analysis scripts (the analyses themselves run from .ci/run): they are
# executable, shellcheck-clean, and scan-report.py turns a report into a finding, in text.
top=$1
here=$top/tests/static
bad=0
[ -x /usr/bin/python3 ] || {
	echo "SKIP: /usr/bin/python3 is not installed"
	exit 77
}
for f in run-scan-build.sh run-clang-tidy.sh scan-report.py; do
	if [ ! -x "$here/$f" ]; then
		echo "FAIL: tests/static/$f is not executable"
		bad=1
	fi
done
if command -v shellcheck >/dev/null; then
	if ! shellcheck "$here/run-scan-build.sh" "$here/run-clang-tidy.sh" "$here/check-scripts.sh"; then
		echo "FAIL: shellcheck"
		bad=1
	fi
else
	echo "shellcheck is not installed: the shell scripts were not checked"
fi

# a report as scan-build -plist-html writes it, with a path relative to the build directory
work=$(mktemp -d "${TMPDIR:-/tmp}/static-scripts.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/build" "$work/reports/run"
cat >"$work/reports/run/report-1.plist" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
 <key>files</key>
 <array><string>$top/lib/ctx.c</string></array>
 <key>diagnostics</key>
 <array>
  <dict>
   <key>description</key><string>Dereference of null pointer</string>
   <key>check_name</key><string>core.NullDereference</string>
   <key>location</key>
   <dict><key>line</key><integer>12</integer><key>col</key><integer>3</integer><key>file</key><integer>0</integer></dict>
   <key>path</key>
   <array>
    <dict>
     <key>kind</key><string>event</string>
     <key>location</key>
     <dict><key>line</key><integer>10</integer><key>col</key><integer>2</integer><key>file</key><integer>0</integer></dict>
     <key>message</key><string>'p' initialized to a null pointer value</string>
    </dict>
   </array>
  </dict>
 </array>
</dict>
</plist>
EOF
# the same file analysed twice (two targets): one finding
cp "$work/reports/run/report-1.plist" "$work/reports/run/report-2.plist"
printf '%s\n' "../x/cmd/vmmap.c:5:1: warning: format string is not a string literal [-Wformat-nonliteral]" \
	"lib/ctx.c:12:3: warning: Dereference of null pointer [core.NullDereference]" >"$work/log"
mkdir -p "$work/x/cmd"
out=$(/usr/bin/python3 "$here/scan-report.py" "$work/reports" "$work/build" "$top" "$work/log")
status=$?
want="lib/ctx.c:12:3: warning: Dereference of null pointer [core.NullDereference]
    lib/ctx.c:10: 'p' initialized to a null pointer value
$work/x/cmd/vmmap.c:5:1: warning: format string is not a string literal [-Wformat-nonliteral]"
if [ "$status" != 2 ] || [ "$out" != "$want" ]; then
	echo "FAIL: scan-report.py gave (status $status):"
	echo "$out"
	echo "instead of (status 2):"
	echo "$want"
	bad=1
fi
rm -rf "$work/reports"/*
if ! /usr/bin/python3 "$here/scan-report.py" "$work/reports" "$work/build" "$top" >/dev/null; then
	echo "FAIL: scan-report.py found something in no reports"
	bad=1
fi
[ $bad = 0 ] && echo "ok"
exit $bad
