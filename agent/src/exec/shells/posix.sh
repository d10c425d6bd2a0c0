# Outpost shell integration for POSIX shells (dash, busybox sh), read as the shell's ENV file
# (the user's files are not edited). These shells have no hooks: the marks ride in PS1, whose
# parameters the shell expands at every prompt — OSC 7 with the directory, OSC 133 D with the
# last command's status, OSC 133 A, the user's prompt, OSC 133 B. The marks carry the session's
# secret nonce, kept in an unexported variable, so output that imitates a mark is never trusted.
__outpost_nonce=${OUTPOST_EXEC_NONCE-}
unset OUTPOST_EXEC_NONCE
if [ -n "${OUTPOST_EXEC_ENV-}" ]; then
    ENV=$OUTPOST_EXEC_ENV
    unset OUTPOST_EXEC_ENV
    if [ -r "$ENV" ]; then . "$ENV"; fi
else
    unset ENV
fi
if [ -n "$__outpost_nonce" ]; then
    __outpost_e=$(printf '\033')
    __outpost_a=$(printf '\007')
    PS1='${__outpost_e}]7;file://${PWD}${__outpost_a}${__outpost_e}]133;D;$?;op='"$__outpost_nonce"'${__outpost_a}${__outpost_e}]133;A;op='"$__outpost_nonce"'${__outpost_a}'"${PS1-\$ }"'${__outpost_e}]133;B;op='"$__outpost_nonce"'${__outpost_a}'
fi
