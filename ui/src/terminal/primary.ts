// The primary selection a middle click pastes (X11's PRIMARY). The desktop's PRIMARY is read
// through the backend (`primary_read`, GTK), so text selected in other apps pastes too; the
// window's own last terminal selection is the fallback when PRIMARY cannot be read or holds no
// text. A terminal's selection is also made the desktop's PRIMARY (`primary_write`), so other
// apps can paste it. The text read is hostile: the controller pastes it through paste.ts.

let text = "";

/** Records a terminal's new selection (an empty one keeps the last). */
export function selected(t: string): void {
  if (t.length > 0) text = t;
}

/** The window's own last selection ("" when nothing was selected yet). */
export function primaryText(): string {
  return text;
}

/**
 * The text a middle click pastes: the desktop's PRIMARY as `read` gives it, else (unreadable,
 * or no text in it) the window's own last selection.
 */
export async function middleClickText(read: () => Promise<string | null>): Promise<string> {
  try {
    const t = await read();
    if (typeof t === "string" && t.length > 0) return t;
  } catch {
    // No PRIMARY here (or its owner did not answer): the window's own selection.
  }
  return text;
}
