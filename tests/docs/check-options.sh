#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Drift check: a command's --help, man page and bash/zsh/fish completions name the same options.
#
# usage: check-options.sh NAME BINARY SRCDIR
#   NAME    the command (vmrank): its pages are SRCDIR/man/NAME.1.scd,
#           SRCDIR/completions/bash/NAME, .../zsh/_NAME and .../fish/NAME.fish
#   BINARY  the built command, run as "BINARY --help"
#   SRCDIR  the top of the source tree
#
# Fails when an option of --help is missing from a file, or when a file names a
# long option that --help does not have; also when a column that --help lists
# under "Columns:" is missing from a file.  Every problem is reported, not just
# the first.

set -u

if [ $# -ne 3 ]; then
	echo "usage: $0 NAME BINARY SRCDIR" >&2
	exit 2
fi
name=$1
bin=$2
src=$3

man=man/$name.1.scd
bash_c=completions/bash/$name
zsh_c=completions/zsh/_$name
fish_c=completions/fish/$name.fish

failures=0
fail()
{
	echo "FAIL: $*"
	failures=$((failures + 1))
}

for f in "$man" "$bash_c" "$zsh_c" "$fish_c"; do
	if [ ! -f "$src/$f" ]; then
		fail "$f does not exist (every command needs a man page and three completions)"
	fi
done
[ "$failures" -eq 0 ] || exit 1

help=$("$bin" --help)
rc=$?
if [ "$rc" -ne 0 ]; then
	fail "'$name --help' exited with status $rc, expected 0"
	exit 1
fi

# The options --help defines: lines like "  -o, --output LIST  text" or
# "      --output-all  text".  Mentions inside descriptions do not define one.
help_long=$(printf '%s\n' "$help" |
	sed -n 's/^[[:space:]]*\(-[[:alnum:]],[[:space:]]*\)\{0,1\}\(--[a-z][a-z0-9-]*\).*/\2/p' |
	sort -u)
help_short=$(printf '%s\n' "$help" |
	sed -n 's/^[[:space:]]*-\([[:alnum:]]\)\([,[:space:]].*\)\{0,1\}$/\1/p' |
	sort -u)

if [ -z "$help_long" ]; then
	fail "found no long option in '$name --help' (expected lines like '  -o, --output LIST   text')"
	exit 1
fi

# Every --word of a text, one per line.
long_tokens()
{
	grep -o -- '--[a-z][a-z0-9-]*' "$1" | sed 's/-*$//' | sort -u
}

# True when the long option $1 is one --help defines.
in_help()
{
	printf '%s\n' "$help_long" | grep -qx -- "$1"
}

# --help mentions only options it defines.
for opt in $(printf '%s\n' "$help" | grep -o -- '--[a-z][a-z0-9-]*' | sed 's/-*$//' | sort -u); do
	in_help "$opt" ||
		fail "'$name --help' mentions $opt but defines no such option"
done

# The man page: each option of --help has its entry in the OPTIONS section,
# spelt as --help pairs them ("*-o*, *--output*" or "*--output-all*"), and the
# page names no long option that --help does not have.
man_terms=$(awk '/^# / { in_opts = ($0 == "# OPTIONS") } in_opts && /^[*]-/' "$src/$man")
if [ -z "$man_terms" ]; then
	fail "$man has no '# OPTIONS' section with entries like '*-o*, *--output* _LIST_'"
fi
# "-o,--output", "--output-all" or "-x": one word per option entry of --help.
help_entries=$(printf '%s\n' "$help" |
	sed -n -e 's/^[[:space:]]*\(-[[:alnum:]]\),[[:space:]]*\(--[a-z][a-z0-9-]*\).*/\1,\2/p' \
	       -e 's/^[[:space:]]*\(--[a-z][a-z0-9-]*\).*/\1/p' \
	       -e 's/^[[:space:]]*\(-[[:alnum:]]\)\([[:space:]].*\)\{0,1\}$/\1/p')
for e in $help_entries; do
	case $e in
	*,*)
		entry="*${e%%,*}*, *${e#*,}*"
		what="${e%%,*}, ${e#*,}"
		;;
	*)
		entry="*$e*"
		what=$e
		;;
	esac
	printf '%s\n' "$man_terms" | cut -c1-${#entry} | grep -qxF -- "$entry" ||
		fail "'$what' is in '$name --help' but $man has no OPTIONS entry starting '$entry'"
done
for opt in $(long_tokens "$src/$man"); do
	in_help "$opt" ||
		fail "$man names $opt, which '$name --help' does not have"
done

# bash and zsh completions name options as words: --output, -o.
for f in "$bash_c" "$zsh_c"; do
	for opt in $help_long; do
		grep -qE -- "(^|[^[:alnum:]-])$opt([^[:alnum:]-]|\$)" "$src/$f" ||
			fail "$opt is in '$name --help' but missing from $f"
	done
	for opt in $help_short; do
		grep -qE -- "(^|[^[:alnum:]-])-$opt([^[:alnum:]-]|\$)" "$src/$f" ||
			fail "-$opt is in '$name --help' but missing from $f"
	done
	for opt in $(long_tokens "$src/$f"); do
		in_help "$opt" ||
			fail "$f names $opt, which '$name --help' does not have"
	done
done

# fish names options in "complete" lines as "-l output" and "-s o".
fish_long=$(awk '$1 == "complete" {
		for (i = 2; i < NF; i++)
			if ($i == "-l" || $i == "--long-option" || $i == "--long")
				print "--" $(i + 1)
	}' "$src/$fish_c" | sort -u)
fish_short=$(awk '$1 == "complete" {
		for (i = 2; i < NF; i++)
			if ($i == "-s" || $i == "--short-option" || $i == "--short")
				print $(i + 1)
	}' "$src/$fish_c" | sort -u)
for opt in $help_long; do
	printf '%s\n' "$fish_long" | grep -qx -- "$opt" ||
		fail "$opt is in '$name --help' but missing from $fish_c (expected complete ... -l ${opt#--})"
done
for opt in $help_short; do
	printf '%s\n' "$fish_short" | grep -qx -- "$opt" ||
		fail "-$opt is in '$name --help' but missing from $fish_c (expected complete ... -s $opt)"
done
for opt in $fish_long; do
	in_help "$opt" ||
		fail "$fish_c names $opt, which '$name --help' does not have"
done

# Column names, when --help lists them under "Columns:" ("      pss  text"):
# each is documented in the man page (*pss\_anon*, scdoc escapes "_") and
# offered by each completion.
help_columns=$(printf '%s\n' "$help" |
	awk '/^[^[:space:]]/ { in_cols = ($0 ~ /^Columns:/); next }
	     in_cols && $1 ~ /^[a-z][a-z0-9_]*$/ { print $1 }')
for col in $help_columns; do
	grep -qF -- "*$(printf '%s' "$col" | sed 's/_/\\_/g')*" "$src/$man" ||
		fail "column $col is in '$name --help' but not documented in $man"
	for f in "$bash_c" "$zsh_c" "$fish_c"; do
		grep -qE -- "(^|[[:space:]'\"(])$col([[:space:]'\")\\]|\$)" "$src/$f" ||
			fail "column $col is in '$name --help' but missing from $f"
	done
done

nlong=$(printf '%s\n' "$help_long" | wc -l)
nshort=$(printf '%s\n' "$help_short" | grep -c .)
if [ "$failures" -ne 0 ]; then
	echo "$name: $failures problem(s) between --help, $man and the completions"
	exit 1
fi
ncols=$(printf '%s\n' "$help_columns" | grep -c .)
echo "$name: $nlong long and $nshort short options and $ncols columns agree in --help, $man," \
	"$bash_c, $zsh_c and $fish_c"
exit 0
