// What a paste may put into a terminal. Pasted text is data, never control: the bracketed-paste
// markers (ESC[200~ / ESC[201~, also in their 8-bit CSI form) are removed, so a paste cannot end
// the bracket early and have its newlines run as commands, and so are every C0 control except
// tab, CR and LF, DEL, and every C1 control. A paste with a line break may run commands even
// without a break-out (a program that did not ask for bracketed paste): the controller asks
// first when the "confirm multi-line paste" setting is on. Pure.

/** The bracketed-paste markers, 7-bit (ESC [) and 8-bit (CSI) forms. */
const BRACKETS = /(?:\u001b\[|\u009b)20[01]~/g;

/** C0 except tab, LF and CR; DEL; C1. */
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

/** `text` with the bracket markers and the control characters a paste must not carry removed. */
export function sanitizePaste(text: string): string {
  // Markers first (whole), then every remaining ESC/CSI with the other controls: whatever is
  // left can no longer form a marker.
  return text.replace(BRACKETS, "").replace(CONTROLS, "");
}

/** Whether pasting `text` types a line break (CR or LF), i.e. may run a command. */
export function hasLineBreak(text: string): boolean {
  return /[\r\n]/.test(text);
}

/** How many lines `text` spans (a trailing line break does not start a new line). */
export function lineCount(text: string): number {
  const body = text.replace(/(?:\r\n|\r|\n)$/, "");
  return body.split(/\r\n|\r|\n/).length;
}

/** How a paste is confirmed: the setting, and the question (resolves to the user's answer). */
export interface PasteGuard {
  confirmMultiLine: boolean;
  confirm: (lines: number, text: string) => Promise<boolean>;
}

/**
 * The text to paste for clipboard `text`: sanitised, and for text with a line break confirmed
 * first when the guard says so. `null` means paste nothing (empty, or the user declined).
 */
export async function preparePaste(text: string, guard: PasteGuard): Promise<string | null> {
  const clean = sanitizePaste(text);
  if (clean.length === 0) return null;
  if (guard.confirmMultiLine && hasLineBreak(clean) && !(await guard.confirm(lineCount(clean), clean))) return null;
  return clean;
}
