# Outpost shell integration for zsh: the `.zshenv` of a private ZDOTDIR (the user's files are
# not edited). It puts ZDOTDIR back as the user had it, so zsh reads the user's own startup
# files, reads the user's .zshenv, and adds hooks that mark prompts and command ends with
# OSC 133 A/C/D and the directory with OSC 7. The marks carry the session's secret nonce, kept
# in an unexported variable, so output that imitates a mark is never trusted.
typeset -g __outpost_nonce=${OUTPOST_EXEC_NONCE-}
unset OUTPOST_EXEC_NONCE
if (( ${+OUTPOST_EXEC_ZDOTDIR} )); then
    ZDOTDIR=$OUTPOST_EXEC_ZDOTDIR
    unset OUTPOST_EXEC_ZDOTDIR
else
    unset ZDOTDIR
fi
if [[ -r ${ZDOTDIR:-$HOME}/.zshenv ]]; then
    source ${ZDOTDIR:-$HOME}/.zshenv
fi

if [[ -o interactive && -n $__outpost_nonce ]]; then
    __outpost_precmd() {
        local s=$?
        printf '\033]7;file://%s%s\007' "${HOST-}" "${PWD//\%/%25}"
        printf '\033]133;D;%s;op=%s\007' "$s" "$__outpost_nonce"
        printf '\033]133;A;op=%s\007' "$__outpost_nonce"
        # zsh prints PROMPT_EOL_MARK (PROMPT_SP) before precmd runs: the end mark leads it, so
        # that output stays out of the command's output.
        local m=$'%{\e]7;file://'"${HOST-}"$'%d\a\e]133;D;%?;op='"$__outpost_nonce"$'\a%}'
        if [[ $PROMPT_EOL_MARK != "$m"* ]]; then
            PROMPT_EOL_MARK="$m${PROMPT_EOL_MARK-%B%S%#%s%b}"
        fi
        return $s
    }
    __outpost_preexec() {
        printf '\033]133;C;op=%s\007' "$__outpost_nonce"
    }
    autoload -Uz add-zsh-hook
    add-zsh-hook precmd __outpost_precmd
    add-zsh-hook preexec __outpost_preexec
fi
