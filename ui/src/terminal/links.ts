// When a click on a link in a terminal opens it, and what the user is asked first (pure).
//
// A plain click never opens anything (it selects, like any text); Ctrl+click (Cmd+click on
// macOS) does. Links found in the text open at once when the text is the address; an OSC 8
// hyperlink (a program chose both its text and its address) and any link whose visible text
// differs from its address are shown to the user first. The address itself is checked by the
// backend's `link_open`, the one path that opens links.

/** The modifier state of a click. */
export interface ClickLike {
  ctrlKey: boolean;
  metaKey: boolean;
}

/** Where a link came from: found in the text, or an OSC 8 hyperlink. */
export type LinkSource = "text" | "osc8";

/** The question to ask before opening. */
export interface LinkQuestion {
  title: string;
  body: string;
}

/** The longest visible text quoted in a question. */
const MAX_QUOTED = 200;

/** Whether a click asks to open the link under it. */
export function opensLink(e: ClickLike, mac: boolean): boolean {
  return mac ? e.metaKey : e.ctrlKey;
}

function quoted(text: string): string {
  const t = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ").replace(/\s+/g, " ").trim();
  return t.length > MAX_QUOTED ? `${t.slice(0, MAX_QUOTED - 1)}…` : t;
}

/** What to ask before opening `uri` shown as `visible`; null when it opens at once. */
export function linkQuestion(uri: string, visible: string, source: LinkSource): LinkQuestion | null {
  const text = quoted(visible);
  if (source === "text" && text === uri) return null;
  const shown = text.length > 0 && text !== uri ? `The link reads “${text}” but leads to ${uri}` : `The link leads to ${uri}`;
  return {
    title: source === "osc8" ? "Open this link from the terminal?" : "Open this link?",
    body: `${shown} — it opens in your browser or mail program. A program in the terminal chose this address: open it only if you trust it.`,
  };
}
