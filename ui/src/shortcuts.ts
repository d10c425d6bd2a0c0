// Keyboard shortcuts as data: every action's default chords, the user's rebindings on top, the
// pure matcher that turns a key event into an action id, and conflict detection. A chord is text
// such as "Ctrl+Shift+T": modifiers in the order Ctrl, Alt, Shift, Meta, then the key. The
// actions themselves (labels, what they do) are in actions.ts; the window's key handler in app.tsx.

/** The parts of a KeyboardEvent the matcher looks at. */
export interface KeyLike {
  key: string;
  code?: string;
  ctrlKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  metaKey: boolean;
}

/** Action id → chords. */
export type Keymap = Record<string, readonly string[]>;

/** The shortcuts of a fresh install. */
export const DEFAULT_KEYS: Keymap = {
  copy: ["Ctrl+Shift+C"],
  paste: ["Ctrl+Shift+V"],
  find: ["Ctrl+Shift+F"],
  prev_prompt: ["Ctrl+Shift+ArrowUp"],
  next_prompt: ["Ctrl+Shift+ArrowDown"],
  font_bigger: ["Ctrl+=", "Ctrl+Shift++", "Ctrl++", "Ctrl+NumpadAdd"],
  font_smaller: ["Ctrl+-", "Ctrl+Shift+_", "Ctrl+NumpadSubtract"],
  font_reset: ["Ctrl+0", "Ctrl+Numpad0"],
  new_shell: ["Ctrl+Shift+T"],
  close_tab: ["Ctrl+Shift+W"],
  next_tab: ["Ctrl+Tab", "Ctrl+PageDown"],
  prev_tab: ["Ctrl+Shift+Tab", "Ctrl+PageUp"],
  tab_1: ["Ctrl+1"],
  tab_2: ["Ctrl+2"],
  tab_3: ["Ctrl+3"],
  tab_4: ["Ctrl+4"],
  tab_5: ["Ctrl+5"],
  tab_6: ["Ctrl+6"],
  tab_7: ["Ctrl+7"],
  tab_8: ["Ctrl+8"],
  tab_9: ["Ctrl+9"],
  split_row: ["Ctrl+Shift+E"],
  split_column: ["Ctrl+Shift+O"],
  close_pane: ["Ctrl+Shift+X"],
  zoom_pane: ["Ctrl+Shift+Z"],
  focus_left: ["Alt+ArrowLeft"],
  focus_right: ["Alt+ArrowRight"],
  focus_up: ["Alt+ArrowUp"],
  focus_down: ["Alt+ArrowDown"],
  rename_tab: ["Ctrl+Shift+R"],
  palette: ["Ctrl+Shift+P"],
  toggle_sidebar: ["Ctrl+Shift+B"],
  toggle_monitor: ["Ctrl+Shift+M"],
  settings: ["Ctrl+,"],
  broadcast_tab: ["Ctrl+Shift+A"],
  run_in_sessions: ["Ctrl+Shift+J"],
  // No default chord, but rebindable.
  broadcast_host: [],
  broadcast_all: [],
  broadcast_choose: [],
  broadcast_off: [],
  new_ssh: [],
  end_session: [],
  add_host: [],
  import_ssh_config: [],
};

const MODIFIERS = new Set(["Control", "Shift", "Alt", "Meta", "AltGraph", "CapsLock", "OS", "Super", "Hyper"]);

/** The key part of a chord: letters upper case, digits and letters by position where the layout differs. */
function keyName(e: KeyLike): string {
  const code = e.code ?? "";
  if (/^Numpad/.test(code)) return code;
  if (/^Digit[0-9]$/.test(code)) return code.slice(5);
  if (e.key.length === 1 && /^[a-z]$/i.test(e.key)) return e.key.toUpperCase();
  if (/^Key[A-Z]$/.test(code) && e.key.length === 1 && !/^[\x21-\x7e]$/.test(e.key)) return code.slice(3);
  if (e.key === " ") return "Space";
  return e.key;
}

/** The chord of a key event ("Ctrl+Shift+T"), or null for a lone modifier. */
export function chordOf(e: KeyLike): string | null {
  if (MODIFIERS.has(e.key) || e.key === "Dead" || e.key === "Unidentified" || e.key.length === 0) return null;
  const parts: string[] = [];
  if (e.ctrlKey) parts.push("Ctrl");
  if (e.altKey) parts.push("Alt");
  if (e.shiftKey) parts.push("Shift");
  if (e.metaKey) parts.push("Meta");
  parts.push(keyName(e));
  return parts.join("+");
}

/** Why a chord cannot be a shortcut (it would take keys the terminal needs), or null when it can. */
export function chordProblem(chord: string): string | null {
  const parts = chord.split("+");
  const key = chord.endsWith("++") ? "+" : parts[parts.length - 1] ?? "";
  const mods = chord.endsWith("++") ? parts.slice(0, -2) : parts.slice(0, -1);
  if (key.length === 0) return "A shortcut needs a key.";
  if (mods.some((m) => !["Ctrl", "Alt", "Shift", "Meta"].includes(m))) return `Unknown modifier in “${chord}”.`;
  const fkey = /^F([1-9]|1[0-9]|2[0-4])$/.test(key);
  if (!fkey && !mods.includes("Ctrl") && !mods.includes("Alt") && !mods.includes("Meta")) {
    return "A shortcut needs Ctrl, Alt or Meta (other keys are typed into the terminal).";
  }
  if (mods.length === 1 && mods[0] === "Ctrl" && /^[A-Z]$/.test(key)) return `Ctrl+${key} belongs to the terminal (programs use it).`;
  return null;
}

/** The effective chords of every action: the defaults with the user's rebindings on top. */
export function effectiveKeys(overrides: Readonly<Record<string, readonly string[]>>): Keymap {
  const out: Record<string, readonly string[]> = { ...DEFAULT_KEYS };
  for (const [action, chords] of Object.entries(overrides)) {
    if (action in DEFAULT_KEYS) out[action] = chords.filter((c) => chordProblem(c) === null);
  }
  return out;
}

/** Chords bound to more than one action, each with its actions (in keymap order). */
export function conflicts(keys: Keymap): { chord: string; actions: string[] }[] {
  const by = new Map<string, string[]>();
  for (const [action, chords] of Object.entries(keys)) {
    for (const c of new Set(chords)) by.set(c, [...(by.get(c) ?? []), action]);
  }
  return [...by.entries()].filter(([, a]) => a.length > 1).map(([chord, actions]) => ({ chord, actions }));
}

/** Chord → action; where two actions share a chord, the first in keymap order wins. */
export function chordTable(keys: Keymap): Map<string, string> {
  const table = new Map<string, string>();
  for (const [action, chords] of Object.entries(keys)) {
    for (const c of chords) if (!table.has(c)) table.set(c, action);
  }
  return table;
}

let current: Keymap = DEFAULT_KEYS;
let table = chordTable(DEFAULT_KEYS);

/** Makes `keys` the keymap `matchShortcut` and `shortcutLabel` use. */
export function setKeymap(keys: Keymap): void {
  current = keys;
  table = chordTable(keys);
}

/** The action bound to a key event, or null. */
export function matchShortcut(e: KeyLike): string | null {
  const chord = chordOf(e);
  return chord === null ? null : table.get(chord) ?? null;
}

/** The label of an action's first shortcut ("Ctrl+Shift+F"), or "". */
export function shortcutLabel(action: string): string {
  return current[action]?.[0] ?? "";
}
