// The window's primary selection: the text last selected in any of its terminals, which a
// middle click pastes (X11's PRIMARY, kept by the app itself because xterm.js draws its own
// selection and the webview does not paste it on a middle click).

let text = "";

/** Records a terminal's new selection (an empty one keeps the last). */
export function selected(t: string): void {
  if (t.length > 0) text = t;
}

/** The text a middle click pastes ("" when nothing was selected yet). */
export function primaryText(): string {
  return text;
}
