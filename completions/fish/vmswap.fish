# SPDX-License-Identifier: GPL-2.0-or-later
# fish completion for vmswap(1); installed in vendor_completions.d, loaded on demand.

set -l vmswap_columns pid ppid user uid comm cmdline status swap swap_pss rss swap_pct \
    majflt majflt_rate oom_score oom_score_adj cgroup swapped unique proportional \
    points vm_rss vm_swap vm_pte

# Print the candidates for the last item of a comma-separated list: each word
# of $argv not yet in the list, prefixed with what the token already holds.
function __vmswap_list
    set -l tok (commandline -ct)
    # The value of "--output=a,b" or of "-oa,b" is what follows the option.
    set tok (string replace -r -- '^--[a-z-]+=' '' $tok)
    set tok (string replace -r -- '^-[A-Za-z]' '' $tok)
    set -l head (string match -r -- '^\+?(?:.*,)?' $tok)
    set -l used (string split , -- (string replace -r -- '^\+' '' $head))
    for w in $argv
        contains -- $w $used; or printf '%s%s\n' $head $w
    end
end

function __vmswap_pids
    string replace -rf -- '^/proc/([0-9]+)$' '$1' /proc/*
end

# True while none of the views --exact, --activity and --oom is on the command
# line: they exclude each other.
function __vmswap_no_view
    set -l tokens (commandline -opc)
    not contains -- --exact $tokens; and not contains -- --activity $tokens
    and not contains -- --oom $tokens
end

complete -c vmswap -f

complete -c vmswap -s p -l pid -x -d 'Only these PIDs (comma separated)' \
    -a '(__vmswap_list (__vmswap_pids))'
complete -c vmswap -s a -l all -d 'List processes with no swap too'
complete -c vmswap -s N -l top -x -d 'Only the first N rows (0: all)'
complete -c vmswap -s i -l interval -x \
    -d 'Seconds for MAJFLT/s, or between --activity samples'
complete -c vmswap -s c -l count -x -d 'With --activity: stop after N samples'
complete -c vmswap -n __vmswap_no_view -l exact \
    -d 'Swap from the page tables: unique, proportional, per device (root)'
complete -c vmswap -n __vmswap_no_view -l activity \
    -d 'Swap-in/out rates and the processes paging most'
complete -c vmswap -n __vmswap_no_view -l oom \
    -d 'Processes in the order the OOM killer picks them'
complete -c vmswap -s o -l output -x \
    -d 'Columns to print (+LIST adds to the default)' -a "(__vmswap_list $vmswap_columns)"
complete -c vmswap -l output-all -d 'Print every column'
complete -c vmswap -s J -l json -d 'JSON output'
complete -c vmswap -l format -x -d 'Output format' -a 'table raw json openmetrics'
complete -c vmswap -s r -l raw -d 'Raw output: unaligned, sizes in bytes'
complete -c vmswap -s n -l noheadings -d 'Do not print the header lines'
complete -c vmswap -s b -l bytes -d 'Print sizes in bytes'
complete -c vmswap -s s -l sort -x -d 'Sort by column' -a "$vmswap_columns"
complete -c vmswap -l reverse -d 'Reverse the sort order'
complete -c vmswap -l root -x \
    -d 'Read a snapshot or fixture directory (repeat: a series)' -a '(__fish_complete_directories)'
complete -c vmswap -s h -l help -d 'Show help and exit'
complete -c vmswap -s V -l version -d 'Show version and exit'
