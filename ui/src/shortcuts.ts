// Every keyboard shortcut of the app, in one table, and the pure matcher that turns a key event
// into an action. The handler that acts on them lives in app.tsx.

/** What a shortcut does. */
export type ShortcutAction =
  | "copy"
  | "paste"
  | "find"
  | "font_bigger"
  | "font_smaller"
  | "font_reset"
  | "new_shell"
  | "close_tab"
  | "next_tab"
  | "prev_tab"
  | "split_row"
  | "split_column"
  | "toggle_monitor";

/** The parts of a KeyboardEvent the matcher looks at. */
export interface KeyLike {
  key: string;
  code?: string;
  ctrlKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  metaKey: boolean;
}

interface Binding {
  action: ShortcutAction;
  /** Human-readable, for menus and the settings dialog. */
  label: string;
  shift: boolean;
  /** Accepted `key` values (compared case-insensitively) or `code` values. */
  keys: string[];
  codes?: string[];
  /** When true, Shift may be either up or down (e.g. Ctrl+= vs Ctrl++). */
  anyShift?: boolean;
}

/** The shortcut table. All use Ctrl (no Alt, no Meta). */
export const SHORTCUTS: readonly Binding[] = [
  { action: "copy", label: "Ctrl+Shift+C", shift: true, keys: ["c"] },
  { action: "paste", label: "Ctrl+Shift+V", shift: true, keys: ["v"] },
  { action: "find", label: "Ctrl+Shift+F", shift: true, keys: ["f"] },
  { action: "font_bigger", label: "Ctrl+=", shift: false, anyShift: true, keys: ["=", "+"], codes: ["NumpadAdd"] },
  { action: "font_smaller", label: "Ctrl+-", shift: false, keys: ["-", "_"], codes: ["NumpadSubtract"] },
  { action: "font_reset", label: "Ctrl+0", shift: false, keys: ["0"], codes: ["Numpad0", "Digit0"] },
  { action: "new_shell", label: "Ctrl+Shift+T", shift: true, keys: ["t"] },
  { action: "close_tab", label: "Ctrl+Shift+W", shift: true, keys: ["w"] },
  { action: "next_tab", label: "Ctrl+PageDown", shift: false, keys: ["PageDown"] },
  { action: "prev_tab", label: "Ctrl+PageUp", shift: false, keys: ["PageUp"] },
  { action: "split_row", label: "Ctrl+Shift+E", shift: true, keys: ["e"] },
  { action: "split_column", label: "Ctrl+Shift+O", shift: true, keys: ["o"] },
  { action: "toggle_monitor", label: "Ctrl+Shift+M", shift: true, keys: ["m"] },
];

/** The action bound to a key event, or null. */
export function matchShortcut(e: KeyLike): ShortcutAction | null {
  if (!e.ctrlKey || e.altKey || e.metaKey) return null;
  const key = e.key.toLowerCase();
  for (const b of SHORTCUTS) {
    if (!b.anyShift && b.shift !== e.shiftKey) continue;
    if (b.keys.some((k) => k.toLowerCase() === key) || (e.code !== undefined && b.codes?.includes(e.code))) {
      return b.action;
    }
  }
  return null;
}

/** The label of an action's shortcut ("Ctrl+Shift+F"). */
export function shortcutLabel(action: ShortcutAction): string {
  return SHORTCUTS.find((b) => b.action === action)?.label ?? "";
}
