# SPDX-License-Identifier: GPL-2.0-or-later
# fish completion for vmfault(1); installed in vendor_completions.d, loaded on demand.

set -l vmfault_columns pid tid ppid user uid state comm cmdline minflt majflt minflt_rate \
    majflt_rate cminflt cmajflt rss vsz status

# Print the candidates for the last item of a comma-separated list: each word
# of $argv not yet in the list, prefixed with what the token already holds.
function __vmfault_list
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

function __vmfault_pids
    string replace -rf -- '^/proc/([0-9]+)$' '$1' /proc/*
end

# The command to run and its arguments, so far: the words after "--" (not a
# "--" that is an option's argument), or from the first word that is not an
# option, where the options end.  Prints them; false when there is no command yet.
function __vmfault_command_words
    set -l tokens (commandline -opc)
    set -e tokens[1]
    while set -q tokens[1]
        switch $tokens[1]
            case -p --pid -i --interval -c --count -N --top --output-file -o --output \
                --format -s --sort --root
                set -e tokens[1..2]
            case --
                set -e tokens[1]
                set -q tokens[1]; and printf '%s\n' $tokens
                return 0
            case '-*'
                set -e tokens[1]
            case '*'
                printf '%s\n' $tokens
                return 0
        end
    end
    return 1
end

# True until the command: vmfault's own options are completed only there.
function __vmfault_options
    not __vmfault_command_words >/dev/null
end

# True where the command's name may come: no command yet, and no -p (which
# excludes one).
function __vmfault_command_may_start
    __vmfault_options; or return 1
    not string match -qr -- '^(-p.*|--pid|--pid=.*)$' (commandline -opc)
end

# After "--", complete the command line that follows as fish would on its own.
function __vmfault_command
    set -l words (__vmfault_command_words)
    complete -C (string join ' ' -- (string escape -- $words) (commandline -ct))
end

complete -c vmfault -f
complete -c vmfault -n 'not __vmfault_options' -x -a '(__vmfault_command)'
complete -c vmfault -n __vmfault_command_may_start -a -- -d 'Run a command: all that follows'
complete -c vmfault -n __vmfault_command_may_start -a '(__fish_complete_command)'

complete -c vmfault -n __vmfault_options -s p -l pid -x -d 'Watch these PIDs (comma separated)' \
    -a '(__vmfault_list (__vmfault_pids))'
complete -c vmfault -n __vmfault_options -s T -l threads \
    -d 'One row per thread as well (with -p or a command)'
complete -c vmfault -n __vmfault_options -s i -l interval -x \
    -d 'Seconds between samples (0.01 to 86400)'
complete -c vmfault -n __vmfault_options -s c -l count -x -d 'Stop after N samples'
complete -c vmfault -n __vmfault_options -s N -l top -x \
    -d 'System view: only the N processes that fault most (0: all)'
complete -c vmfault -n __vmfault_options -l where -d 'Attribute faults to mappings (perf events)'
complete -c vmfault -n __vmfault_options -l tlb -d 'Data-TLB loads and misses (hardware counters)'
complete -c vmfault -n __vmfault_options -l output-file -r -F \
    -d 'With a command: write the report to FILE'
complete -c vmfault -n __vmfault_options -s o -l output -x \
    -d 'Columns to print (+LIST adds to the default)' -a "(__vmfault_list $vmfault_columns)"
complete -c vmfault -n __vmfault_options -l output-all -d 'Print every column'
complete -c vmfault -n __vmfault_options -s J -l json -d 'JSON output (one line per sample)'
complete -c vmfault -n __vmfault_options -l format -x -d 'Output format' \
    -a 'table raw json openmetrics'
complete -c vmfault -n __vmfault_options -s r -l raw -d 'Raw output: unaligned, sizes in bytes'
complete -c vmfault -n __vmfault_options -s n -l noheadings -d 'Do not print the header lines'
complete -c vmfault -n __vmfault_options -s b -l bytes -d 'Print sizes in bytes'
complete -c vmfault -n __vmfault_options -s s -l sort -x -d 'Sort by column' -a "$vmfault_columns"
complete -c vmfault -n __vmfault_options -l reverse -d 'Reverse the sort order'
complete -c vmfault -n __vmfault_options -l root -x \
    -d 'Read a snapshot or fixture directory (repeat: a series)' -a '(__fish_complete_directories)'
complete -c vmfault -n __vmfault_options -s h -l help -d 'Show help and exit'
complete -c vmfault -n __vmfault_options -s V -l version -d 'Show version and exit'
