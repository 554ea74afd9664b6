# SPDX-License-Identifier: GPL-2.0-or-later
# fish completion for vmrank(1); installed in vendor_completions.d, loaded on demand.

set -l vmrank_columns pid ppid user uid state comm cmdline name procs vsz rss pss uss \
    swap swap_pss pss_anon pss_file pss_shmem pss_dirty anonymous anon_huge_pages locked \
    minflt majflt oom_score oom_score_adj shared_clean shared_dirty private_clean \
    private_dirty referenced ksm lazy_free shmem_pmd_mapped file_pmd_mapped \
    shared_hugetlb private_hugetlb frames only only_anon only_file

# Print the candidates for the last item of a comma-separated list: each word
# of $argv not yet in the list, prefixed with what the token already holds.
function __vmrank_list
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

function __vmrank_pids
    string replace -rf -- '^/proc/([0-9]+)$' '$1' /proc/*
end

complete -c vmrank -f

complete -c vmrank -s o -l output -x -d 'Columns to print (+LIST adds to the default)' \
    -a "(__vmrank_list $vmrank_columns)"
complete -c vmrank -l output-all -d 'Print every column'
complete -c vmrank -s J -l json -d 'JSON output'
complete -c vmrank -l format -x -d 'Output format' -a 'table raw json openmetrics'
complete -c vmrank -s r -l raw -d 'Raw output: unaligned, sizes in bytes'
complete -c vmrank -s n -l noheadings -d 'Do not print the header line'
complete -c vmrank -s b -l bytes -d 'Print sizes in bytes'
complete -c vmrank -s s -l sort -x -d 'Sort by column' -a "$vmrank_columns"
complete -c vmrank -l reverse -d 'Reverse the sort order'
complete -c vmrank -s t -l totals -d 'Add a total row'
complete -c vmrank -l by -x -d 'Group rows' -a 'user program cgroup mapping'
complete -c vmrank -l tree -d "List each group's processes under it"
complete -c vmrank -l exact -d 'Distinct physical frames per group (needs root)'
complete -c vmrank -s p -l pid -x -d 'Only these PIDs (comma separated)' \
    -a '(__vmrank_list (__vmrank_pids))'
complete -c vmrank -s U -l user -x -d 'Only processes of these users (comma separated)' \
    -a '(__vmrank_list (__fish_complete_users | string replace -r "\t.*" ""))'
complete -c vmrank -s P -l command -x -d 'Only commands matching a POSIX extended regex'
complete -c vmrank -s N -l top -x -d 'Only the first N rows'
complete -c vmrank -l kthreads -d 'Also list kernel threads'
complete -c vmrank -s w -l system -d 'Whole-system ledger from /proc/meminfo'
complete -c vmrank -s j -l jobs -x -d 'Read processes with N threads'
complete -c vmrank -l root -x -d 'Read a snapshot or fixture directory' \
    -a '(__fish_complete_directories)'
complete -c vmrank -s h -l help -d 'Show help and exit'
complete -c vmrank -s V -l version -d 'Show version and exit'
