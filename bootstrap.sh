#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Quick start on a fresh Debian 12: install what the build needs, build, and
# run vmrank.  Re-running it is harmless.
set -eu
cd "$(dirname "$0")"
pkgs=$(grep -v '^#' tools/debian-packages | tr '\n' ' ')
missing=$(dpkg-query -W -f='${Package} ${Status}\n' $pkgs 2>/dev/null |
	awk '$NF != "installed" { print $1 }'; for p in $pkgs; do
	dpkg-query -W "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
	sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	# shellcheck disable=SC2086
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(echo "$missing" | sort -u) >/dev/null
fi
[ -d build ] || meson setup build -Dwerror=true >/dev/null
ninja -C build >/dev/null
exec ./build/cmd/vmrank "$@"
