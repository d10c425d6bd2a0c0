// Which view of a session answers the terminal's questions (pure state, one per window).
//
// The same session may be shown in several panes; each pane's xterm parses the same output, and
// each would answer a program's question (`CSI 6n`, `CSI c`, `OSC 11;?`), so the program would get
// the answer twice and read the second as typing. One view per session answers: the one the
// user focused last, else the first that meets a question; the others stay silent.

/** The answering view of each session, by `host/session_id`. */
export class Responders<V> {
  private readonly views = new Map<string, V>();

  /** `view` was focused: it answers for `session` from now on. */
  focus(session: string, view: V): void {
    this.views.set(session, view);
  }

  /** Whether `view` answers for `session` (the first to ask becomes the answerer). */
  answers(session: string, view: V): boolean {
    const current = this.views.get(session);
    if (current === undefined) {
      this.views.set(session, view);
      return true;
    }
    return current === view;
  }

  /** `view` is gone: another view of `session` answers next. */
  leave(session: string, view: V): void {
    if (this.views.get(session) === view) this.views.delete(session);
  }
}
