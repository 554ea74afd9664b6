#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the fuzz targets with clang (libFuzzer, ASan, UBSan) in a build directory of
# their own and run each for SECONDS (default 60), two at a time, over a copy of the
# committed corpus; copy what they find into tests/fuzz/crashes/TARGET/ and fail then.
#
#   tests/fuzz/run-fuzz.sh [SECONDS] [TARGET...]
#
# Environment: FUZZ_BUILDDIR (default $TMPDIR/vmscope-build-fuzz-clang), FUZZ_JOBS (2),
# FUZZ_MERGE=1 to minimise the corpus the run grew back into tests/fuzz/corpus/
# (-merge=1), for committing.
set -u

secs=${1:-60}
[ $# -gt 0 ] && shift
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${FUZZ_BUILDDIR:-${TMPDIR:-/tmp}/vmscope-build-fuzz-clang}
jobs=${FUZZ_JOBS:-2}

case $secs in
'' | *[!0-9]*)
	echo "usage: $0 [SECONDS] [TARGET...]" >&2
	exit 2
	;;
esac
if [ $# -gt 0 ]; then
	targets=("$@")
else
	targets=()
	for d in "$here"/corpus/*/; do
		targets+=("$(basename "$d")")
	done
fi

# ---- the clang build: coverage everywhere, the libFuzzer binaries only ----
if [ ! -f "$build/build.ninja" ]; then
	if ! CC=clang meson setup "$build" "$src" -Dbuildtype=debugoptimized \
		-Db_sanitize=address,undefined -Db_lundef=false -Dman=disabled \
		-Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=all' \
		>"$build.setup.log" 2>&1; then
		echo "fuzz: meson setup failed, see $build.setup.log" >&2
		exit 1
	fi
fi
# the targets of this build (argv-vmtop needs ncursesw)
known=$(ninja -C "$build" -t targets all 2>/dev/null | sed -n 's|^tests/fuzz/fuzz-\([a-z0-9-]*\):.*|\1|p')
have=()
for t in "${targets[@]}"; do
	if grep -qx -- "$t" <<<"$known" && [[ $t != replay-* ]]; then
		have+=("$t")
	elif [ $# -gt 0 ]; then
		echo "fuzz: no target $t" >&2
		exit 2
	fi
done
targets=("${have[@]}")
if ! ninja -C "$build" "${targets[@]/#/tests/fuzz/fuzz-}" >"$build.ninja.log" 2>&1; then
	echo "fuzz: build failed, see $build.ninja.log" >&2
	tail -n 20 "$build.ninja.log" >&2
	exit 1
fi

# ---- runs ----
work=$(mktemp -d "${TMPDIR:-/tmp}/vmscope-fuzz-run.XXXXXX")
# scratch files of the targets (snapshot trees, unpacked archives) on tmpfs when there is one
scratch=$work
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	scratch=$(mktemp -d /dev/shm/vmscope-fuzz.XXXXXX)
fi
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$work"
	[ "$scratch" != "$work" ] && rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

run_one() {
	local t=$1 dir=$work/$1 leaks=1 maxlen start end
	mkdir -p "$dir/corpus" "$dir/artifacts" "$scratch/$t"
	cp -r "$here/corpus/$t/." "$dir/corpus/" 2>/dev/null
	# a command's parsing ends in exit(): what it had allocated is no leak
	case $t in argv-* | cxparse) leaks=0 ;; esac
	# inputs of a few KiB find what bigger ones do, many times faster
	case $t in snapshot | archive) maxlen=65536 ;; *) maxlen=16384 ;; esac
	start=$(date +%s)
	TMPDIR=$scratch/$t \
		ASAN_OPTIONS=detect_leaks=$leaks:allocator_may_return_null=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"$build/tests/fuzz/fuzz-$t" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -max_len=$maxlen \
		-detect_leaks=$leaks -print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
		"$dir/corpus" >"$dir/log" 2>&1
	end=$(date +%s)
	echo $((end - start)) >"$dir/time"
}

for t in "${targets[@]}"; do
	# two at a time (the CI machine has 2 cores)
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n
	done
	run_one "$t" &
	pids+=($!)
done
wait
pids=()

# The corpus to commit: the inputs that reach every edge (smallest first, counters not
# told apart), then at most 100 files and 200 KB of them, the smallest.
merge() {
	local t=$1 dir=$work/$1 n=0 total=0 f sz
	rm -rf "$dir/merged" "$dir/kept"
	mkdir "$dir/merged" "$dir/kept"
	TMPDIR=$scratch/$t ASAN_OPTIONS=detect_leaks=0 "$build/tests/fuzz/fuzz-$t" -merge=1 \
		-use_counters=0 -detect_leaks=0 "$dir/merged" "$here/corpus/$t" "$dir/corpus" \
		>"$dir/merge.log" 2>&1 || return
	while read -r sz f; do
		[ $n -lt 100 ] && [ $((total + sz)) -le 204800 ] || break
		cp "$f" "$dir/kept/"
		n=$((n + 1))
		total=$((total + sz))
	done < <(find "$dir/merged" -type f -printf '%s %p\n' | sort -n)
	rm -rf "$here/corpus/$t"
	cp -r "$dir/kept" "$here/corpus/$t"
}

failed=0
for t in "${targets[@]}"; do
	dir=$work/$t
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
	found=()
	for f in "$dir"/artifacts/crash-* "$dir"/artifacts/leak-* "$dir"/artifacts/timeout-* \
		"$dir"/artifacts/oom-*; do
		[ -e "$f" ] && found+=("$f")
	done
	# an abort without an artifact (the fuzzer itself died) is a finding too
	if [ ${#found[@]} -eq 0 ] && grep -q -E "^==[0-9]+==ERROR|^SUMMARY: |deadly signal" "$dir/log"; then
		found+=("$dir/log")
	fi
	echo "fuzz $t: ${execs:-0} execs in $(cat "$dir/time") s, ${#found[@]} crashes"
	if [ ${#found[@]} -gt 0 ]; then
		failed=1
		mkdir -p "$here/crashes/$t"
		for f in "${found[@]}"; do
			cp "$f" "$here/crashes/$t/"
		done
		grep -m 1 -E "ERROR|SUMMARY|property broken|runtime error" "$dir/log" | sed 's/^/  /'
		echo "  reproducer in tests/fuzz/crashes/$t/, log: run again with the file as argument"
	fi
	if [ "${FUZZ_MERGE:-0}" = 1 ]; then
		merge "$t"
	fi
done
[ $failed = 0 ] || echo "fuzz: findings copied to tests/fuzz/crashes/ (replayed by meson test --suite fuzz)"
exit $failed
