# SPDX-License-Identifier: GPL-2.0-or-later
# fish completion for vmtop(1); installed in vendor_completions.d, loaded on demand.

set -l vmtop_columns pid ppid user state vsz rss pss uss swap minflt majflt minflt_total \
    majflt_total command

# Print the candidates for the last item of a comma-separated list: each word
# of $argv not yet in the list, prefixed with what the token already holds.
function __vmtop_list
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

function __vmtop_pids
    string replace -rf -- '^/proc/([0-9]+)$' '$1' /proc/*
end

complete -c vmtop -f

complete -c vmtop -s d -l delay -x -d 'Seconds between refreshes (0.1 to 86400)'
complete -c vmtop -s p -l pid -x -d 'Show only these PIDs (comma separated)' \
    -a '(__vmtop_list (__vmtop_pids))'
complete -c vmtop -s u -l user -x -d 'Show only the processes of USER (name or uid)' \
    -a '(__fish_complete_users)'
complete -c vmtop -s s -l sort -x -d 'Sort by column' -a "$vmtop_columns"
complete -c vmtop -l reverse -d 'Reverse the sort (smallest first)'
complete -c vmtop -s o -l output -x \
    -d 'Columns to show (+LIST adds to the default)' -a "(__vmtop_list $vmtop_columns)"
complete -c vmtop -s t -l tree -d 'Start in the tree view'
complete -c vmtop -s n -l iterations -x -d 'Stop after N frames'
complete -c vmtop -s b -l batch -d 'Plain-text frames on stdout, no escape codes'
complete -c vmtop -s w -l width -x -d 'Batch: width of a frame (0: no limit)'
complete -c vmtop -l root -r -F \
    -d 'Replay a snapshot, archive or directory (repeat: a series)'
complete -c vmtop -l no-color -d 'Monochrome (as NO_COLOR=1)'
complete -c vmtop -s h -l help -d 'Show help and exit'
complete -c vmtop -s V -l version -d 'Show version and exit'
