# SPDX-License-Identifier: GPL-2.0-or-later
# fish completion for vmmap(1); installed in vendor_completions.d, loaded on demand.

set -l vmmap_columns address start end perms offset device inode kind object thread \
    size rss pss uss dirty swap swap_pss kernel_page_size mmu_page_size pss_dirty \
    shared_clean shared_dirty private_clean private_dirty \
    referenced anonymous ksm lazy_free anon_huge_pages shmem_pmd_mapped file_pmd_mapped \
    shared_hugetlb private_hugetlb locked thp_eligible protection_key vm_flags mapping \
    pg_present pg_swapped pg_file pg_exclusive pg_soft_dirty pg_thp pg_guard pg_none \
    pg_unknown pg_active pg_inactive pg_referenced pg_dirty pg_ksm pg_zero

# Print the candidates for the last item of a comma-separated list: each word
# of $argv not yet in the list, prefixed with what the token already holds.
function __vmmap_list
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

complete -c vmmap -f
# The PIDs: running processes, described by their command names.
complete -c vmmap -a '(__fish_complete_pids)'

complete -c vmmap -s o -l output -x -d 'Columns to show (+LIST adds to the default)' \
    -a "(__vmmap_list $vmmap_columns)"
complete -c vmmap -l output-all -d 'Show every column'
complete -c vmmap -s x -l extended -d 'Every smaps figure of each mapping'
complete -c vmmap -s g -l group -x -d 'One row per kind or per mapped file' -a 'kind path'
complete -c vmmap -l layout -d 'Draw the address space, top to bottom'
complete -c vmmap -l ascii -d 'Draw --layout with ASCII characters only'
complete -c vmmap -s A -l range -x -d 'Only mappings overlapping LOW,HIGH (hex)'
complete -c vmmap -l pages -d 'Count the pages of each mapping by state'
complete -c vmmap -s J -l json -d 'JSON output'
complete -c vmmap -s r -l raw -d 'Raw output: no alignment, spaces escaped'
complete -c vmmap -s n -l noheadings -d 'Do not print the header line'
complete -c vmmap -s b -l bytes -d 'Print sizes in bytes'
# With -g, the groups sort by their own columns, count among them.
complete -c vmmap -s s -l sort -x -d 'Sort by column' -a "$vmmap_columns count"
complete -c vmmap -l reverse -d 'Reverse the order'
complete -c vmmap -s T -l no-totals -d 'No totals row'
complete -c vmmap -l root -x -d 'Read a snapshot or fixture directory' \
    -a '(__fish_complete_directories)'
complete -c vmmap -s h -l help -d 'Show help and exit'
complete -c vmmap -s V -l version -d 'Show version and exit'
