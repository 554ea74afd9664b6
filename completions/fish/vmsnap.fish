# SPDX-License-Identifier: GPL-2.0-or-later
# fish completion for vmsnap(1); installed in vendor_completions.d, loaded on demand.

set -l vmsnap_columns pid user status rss_old rss_new rss_delta pss_old pss_new pss_delta \
    uss_old uss_new uss_delta swap_old swap_new swap_delta comm cmdline

# Print the candidates for the last item of a comma-separated list: each word
# of $argv not yet in the list, prefixed with what the token already holds.
function __vmsnap_list
    set -l tok (commandline -ct)
    set tok (string replace -r -- '^--[a-z-]+=' '' $tok)
    set -l head (string match -r -- '^\+?(?:.*,)?' $tok)
    set -l used (string split , -- (string replace -r -- '^\+' '' $head))
    for w in $argv
        contains -- $w $used; or printf '%s%s\n' $head $w
    end
end

function __vmsnap_diff
    set -l tokens (commandline -opc)
    test (count $tokens) -ge 2; and test "$tokens[2]" = diff
end

function __vmsnap_capture
    not __vmsnap_diff
end

function __vmsnap_first
    test (count (commandline -opc)) -eq 1
end

function __vmsnap_pids
    string replace -rf -- '^/proc/([0-9]+)$' '$1' /proc/*
end

complete -c vmsnap -f

# capture
complete -c vmsnap -n __vmsnap_first -a diff -d 'Compare two snapshots'
complete -c vmsnap -n __vmsnap_capture -a '(__vmsnap_pids)' -d PID
complete -c vmsnap -n __vmsnap_capture -s o -l output-file -r -F \
    -d 'The snapshot: DIR/ or FILE.tar.zst, .tar.xz, .tar.gz, .tar'
complete -c vmsnap -n __vmsnap_capture -l force -d 'Replace an existing snapshot'
complete -c vmsnap -n __vmsnap_capture -l pages \
    -d 'Also the pagemaps and, as root, the frames they map'
complete -c vmsnap -n __vmsnap_capture -s q -l quiet -d 'No progress on the terminal'

# diff OLD NEW
complete -c vmsnap -n __vmsnap_diff -F
complete -c vmsnap -n __vmsnap_diff -s a -l all -d 'Also the processes that did not change'
complete -c vmsnap -n __vmsnap_diff -s N -l top -x -d 'Only the N processes that changed most'
complete -c vmsnap -n __vmsnap_diff -s s -l sort -x -d 'The change to sort by' \
    -a 'rss pss uss swap'
complete -c vmsnap -n __vmsnap_diff -l output -x \
    -d 'Columns to print (+LIST adds to the default)' -a "(__vmsnap_list $vmsnap_columns)"
complete -c vmsnap -n __vmsnap_diff -l output-all -d 'Print every column'
complete -c vmsnap -n __vmsnap_diff -s J -l json -d 'JSON output'
complete -c vmsnap -n __vmsnap_diff -s r -l raw \
    -d 'Raw output: the process table only, sizes in bytes'
complete -c vmsnap -n __vmsnap_diff -s n -l noheadings -d 'Do not print the header lines'
complete -c vmsnap -n __vmsnap_diff -s b -l bytes -d 'Print sizes in bytes'

complete -c vmsnap -s h -l help -d 'Show help and exit'
complete -c vmsnap -s V -l version -d 'Show version and exit'
