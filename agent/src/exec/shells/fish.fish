# Outpost shell integration for fish, read by `fish --init-command` after the user's config
# (which is not edited). It marks prompts and command ends with OSC 133 A/C/D and the directory
# with OSC 7. The marks carry the session's secret nonce, kept in an unexported variable, so
# output that imitates a mark is never trusted.
set -g __outpost_nonce $OUTPOST_EXEC_NONCE
set -e OUTPOST_EXEC_NONCE
set -e OUTPOST_EXEC_INIT
if test -n "$__outpost_nonce"
    function __outpost_end
        printf '\e]7;file://%s%s\a' $hostname (string replace -a % %25 -- $PWD)
        printf '\e]133;D;%s;op=%s\a' $argv[1] $__outpost_nonce
    end
    # A line fish cannot parse runs no command and fires no fish_postexec: the prompt then
    # ends it (with the parser's status).
    function __outpost_prompt --on-event fish_prompt
        set -l s $status
        if not set -q __outpost_ended
            __outpost_end $s
        end
        set -e __outpost_ended
        printf '\e]133;A;op=%s\a' $__outpost_nonce
    end
    function __outpost_preexec --on-event fish_preexec
        printf '\e]133;C;op=%s\a' $__outpost_nonce
    end
    function __outpost_postexec --on-event fish_postexec
        set -l s $status
        __outpost_end $s
        set -g __outpost_ended 1
    end
end
