# SPDX-License-Identifier: GPL-2.0-or-later
# fish completion for vmwalk(1); installed in vendor_completions.d, loaded on demand.

set -l vmwalk_columns address state flags entry pfn swap kind mapping
set -l vmwalk_kinds anon file text rodata data bss heap stack thread-stack vdso vvar \
    shared-anon shmem sysv-shm memfd hugetlb deleted guard pseudo

# Print the candidates for the last item of a comma-separated list: each word
# of $argv not yet in the list, prefixed with what the token already holds.
function __vmwalk_list
    set -l tok (commandline -ct)
    set tok (string replace -r -- '^--[a-z-]+=' '' $tok)
    set tok (string replace -r -- '^-[A-Za-z]' '' $tok)
    set -l head (string match -r -- '^\+?(?:.*,)?' $tok)
    set -l used (string split , -- (string replace -r -- '^\+' '' $head))
    for w in $argv
        contains -- $w $used; or printf '%s%s\n' $head $w
    end
end

complete -c vmwalk -f
# The first argument is a PID; the address after it cannot be guessed.
complete -c vmwalk -n '__fish_is_first_arg' -a '(__fish_complete_pids)'

complete -c vmwalk -l mapping -x -d 'Walk every mapping whose name contains NAME, or of KIND' \
    -a "$vmwalk_kinds"
complete -c vmwalk -l pfn -x -d 'Which processes map this physical frame'
complete -c vmwalk -l shared-with -x -d 'The frames both processes map' \
    -a '(__fish_complete_pids)'
complete -c vmwalk -l pages -d 'One row per page'
complete -c vmwalk -l method -x -d 'How to read pagemap' -a 'auto scan read'
complete -c vmwalk -s o -l output -x -d 'Columns of the --pages table' \
    -a "(__vmwalk_list $vmwalk_columns)"
complete -c vmwalk -l output-all -d 'Every column of the --pages table'
complete -c vmwalk -s J -l json -d 'JSON output'
complete -c vmwalk -s r -l raw -d 'Raw output: no alignment, spaces escaped'
complete -c vmwalk -s n -l noheadings -d 'No header lines'
complete -c vmwalk -s b -l bytes -d 'Print sizes in bytes'
complete -c vmwalk -s s -l sort -x -d 'Sort the --pages table by column' -a "$vmwalk_columns"
complete -c vmwalk -l reverse -d 'Reverse the order of the --pages table'
complete -c vmwalk -l root -x -d 'Read a snapshot or fixture directory' \
    -a '(__fish_complete_directories)'
complete -c vmwalk -s h -l help -d 'Show help and exit'
complete -c vmwalk -s V -l version -d 'Show version and exit'
