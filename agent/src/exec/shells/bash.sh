# Outpost shell integration for bash, read with `bash --init-file` (the user's files are not
# edited). It reads what the user's bash would read, then marks prompts and command ends with
# OSC 133 A/B/C/D and the directory with OSC 7. The A/B/C/D marks carry the session's secret
# nonce, kept in an unexported variable, so output that imitates a mark is never trusted.
__outpost_nonce=${OUTPOST_EXEC_NONCE-}
unset OUTPOST_EXEC_NONCE
if [ -n "${OUTPOST_EXEC_LOGIN-}" ]; then
    # Started in place of the user's login shell: read what a login bash reads.
    unset OUTPOST_EXEC_LOGIN
    if [ -r /etc/profile ]; then . /etc/profile; fi
    if [ -r ~/.bash_profile ]; then . ~/.bash_profile
    elif [ -r ~/.bash_login ]; then . ~/.bash_login
    elif [ -r ~/.profile ]; then . ~/.profile
    fi
else
    if [ -r ~/.bashrc ]; then . ~/.bashrc; fi
fi

if [ -n "$__outpost_nonce" ]; then
    # First in PROMPT_COMMAND: report the directory and the last command's end, keeping $?.
    __outpost_precmd() {
        local s=$?
        printf '\033]7;file://%s%s\007' "${HOSTNAME-}" "${PWD//%/%25}"
        printf '\033]133;D;%s;op=%s\007' "$s" "$__outpost_nonce"
        return $s
    }
    # Last in PROMPT_COMMAND: put the marks back into PS1 and PS0, which prompt frameworks may
    # have rewritten since the last prompt.
    __outpost_postcmd() {
        local s=$?
        local a='\[\e]133;A;op='"$__outpost_nonce"'\a\]'
        local b='\[\e]133;B;op='"$__outpost_nonce"'\a\]'
        local c='\e]133;C;op='"$__outpost_nonce"'\a'
        case $PS1 in "$a"*) ;; *) PS1="$a${PS1//"$a"/}" ;; esac
        case $PS1 in *"$b") ;; *) PS1="${PS1//"$b"/}$b" ;; esac
        case ${PS0-} in *"$c"*) ;; *) PS0="${PS0-}$c" ;; esac
        return $s
    }
    if [[ "$(declare -p PROMPT_COMMAND 2>/dev/null)" == "declare -a"* ]]; then
        PROMPT_COMMAND=(__outpost_precmd "${PROMPT_COMMAND[@]}" __outpost_postcmd)
    elif (( BASH_VERSINFO[0] > 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] >= 1) )); then
        PROMPT_COMMAND=(__outpost_precmd ${PROMPT_COMMAND:+"$PROMPT_COMMAND"} __outpost_postcmd)
    else
        PROMPT_COMMAND="__outpost_precmd${PROMPT_COMMAND:+; $PROMPT_COMMAND}; __outpost_postcmd"
    fi
fi
