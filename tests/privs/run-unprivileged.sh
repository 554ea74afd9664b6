#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# CI: build a copy of the checkout as nobody and run the test suite as nobody, so the
# tests check vmscope's degraded output (hidden PFNs, denied processes counted, hints).
#
# usage: run-unprivileged.sh [-s 'MESON SETUP ARGS'] [-k] SRCDIR [MESON TEST ARGS...]
#   -s  extra arguments for meson setup (e.g. the sanitizer build's options)
#   -k  keep the temporary directory (its path is printed)
# Without MESON TEST ARGS: meson test --print-errorlogs, every suite but the benchmarks.
# The last lines are meson's summary ("Ok: N", "Fail: N", "Skipped: N", ...); the exit
# status is meson test's (or 1 if the setup or the build failed).
set -u
usage() {
	echo "usage: $0 [-s 'SETUP ARGS'] [-k] SRCDIR [MESON TEST ARGS...]" >&2
	exit 2
}
setup_args=""
keep=0
while getopts s:k opt; do
	case $opt in
	s) setup_args=$OPTARG ;;
	k) keep=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
src=$(cd "$1" && pwd) || exit 2
shift
[ -f "$src/meson.build" ] || { echo "$0: $src is not the vmscope source" >&2; exit 2; }
if [ $# -eq 0 ]; then
	# The benchmarks time things for people, they check nothing about privileges.
	set -- --print-errorlogs --no-suite bench --no-suite bench-smoke
fi

# Run a shell command as nobody, or as ourselves when we are not root (then we
# already are the unprivileged user the suite must cope with).
if [ "$(id -u)" = 0 ]; then
	if ! id nobody >/dev/null 2>&1; then
		echo "$0: there is no user 'nobody'" >&2
		exit 1
	fi
	group=$(id -gn nobody)
	if command -v setpriv >/dev/null 2>&1; then
		as_user() {
			setpriv --reuid=nobody --regid="$group" --clear-groups --reset-env \
				env HOME="$home" TMPDIR="$tmp" PATH="$PATH" LANG=C.UTF-8 sh -c "$1"
		}
	elif command -v runuser >/dev/null 2>&1; then
		as_user() {
			runuser -u nobody -- env -i HOME="$home" TMPDIR="$tmp" PATH="$PATH" \
				LANG=C.UTF-8 sh -c "$1"
		}
	else
		echo "$0: needs setpriv or runuser to become nobody" >&2
		exit 1
	fi
else
	as_user() { env HOME="$home" TMPDIR="$tmp" sh -c "$1"; }
fi

# /tmp must let nobody in (a 0700 TMPDIR would not).
tmp=$(mktemp -d /tmp/vmscope-unpriv.XXXXXX) || exit 1
cleanup() {
	if [ $keep = 1 ]; then
		echo "kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
chmod 755 "$tmp"
home=$tmp/home
mkdir "$tmp/src" "$home"

# A copy of the checkout without its build directories or .git: nobody cannot
# write into the original, and meson refuses a source dir that holds the build dir.
(cd "$src" && find . -mindepth 1 -maxdepth 1 ! -name .git ! -name 'build*' ! -name 'ci-*.log' \
	-exec cp -a {} "$tmp/src/" \;) || exit 1
[ "$(id -u)" = 0 ] && chown -R "nobody:$group" "$tmp"

echo "== unprivileged build and test as $( [ "$(id -u)" = 0 ] && echo nobody || id -un) in $tmp"
if ! as_user "cd '$tmp/src' && meson setup '$tmp/build' -Dwerror=true $setup_args \
	>'$tmp/setup.log' 2>&1"; then
	cat "$tmp/setup.log"
	echo "the unprivileged meson setup failed"
	exit 1
fi
if ! as_user "ninja -C '$tmp/build' >'$tmp/ninja.log' 2>&1"; then
	tail -n 50 "$tmp/ninja.log"
	echo "the unprivileged build failed"
	exit 1
fi
# Quote each meson test argument for the inner shell.
targs=""
for a in "$@"; do
	targs="$targs '$(printf '%s' "$a" | sed "s/'/'\\\\''/g")'"
done
as_user "cd '$tmp/build' && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C '$tmp/build' $targs"
