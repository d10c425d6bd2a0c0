// Broadcast typing, as pure functions over the layout: which tabs are in the broadcast set (tab
// ids; tabs that closed drop out), how the set is chosen (one tab toggled, every tab of a host,
// every tab), and where one keystroke typed in a pane goes: to every other session shown in a
// tab of the set, each session once (two panes of one session must not type twice), never back
// to the session it was typed in. Input that is not typing — the answers a terminal makes to a
// program's questions, mouse and focus reports — is never broadcast (`isTerminalReport`).
import { allPanes, type Layout, type PaneRef, tabPanes } from "../state/layout";

/** The tabs of the set that still exist, in strip order. */
export function liveMembers(layout: Layout, members: ReadonlySet<string>): string[] {
  return layout.tabs.filter((t) => members.has(t.tab_id)).map((t) => t.tab_id);
}

/** `members` with `tab_id` added when absent, removed when present. */
export function toggleMember(members: ReadonlySet<string>, tab_id: string): Set<string> {
  const next = new Set(members);
  if (next.has(tab_id)) next.delete(tab_id);
  else next.add(tab_id);
  return next;
}

/** Every tab with a pane on `host`. */
export function hostTabs(layout: Layout, host: string): Set<string> {
  return new Set(layout.tabs.filter((t) => tabPanes(t).some((p) => p.host === host)).map((t) => t.tab_id));
}

/** Every tab. */
export function everyTab(layout: Layout): Set<string> {
  return new Set(layout.tabs.map((t) => t.tab_id));
}

/** The tab holding pane `pane_id`, or null. */
export function tabOfPane(layout: Layout, pane_id: string): string | null {
  return layout.tabs.find((t) => tabPanes(t).some((p) => p.pane_id === pane_id))?.tab_id ?? null;
}

/**
 * Where input typed in pane `source` also goes: one pane per session shown in the set's tabs,
 * leaving out the source's own session. Empty when the source's tab is not in the set.
 */
export function broadcastTargets(layout: Layout, members: ReadonlySet<string>, source: string): PaneRef[] {
  const from = allPanes(layout).find((p) => p.pane_id === source);
  const fromTab = tabOfPane(layout, source);
  if (from === undefined || fromTab === null || !members.has(fromTab)) return [];
  const seen = new Set<string>([`${from.host}/${from.session_id}`]);
  const out: PaneRef[] = [];
  for (const t of layout.tabs) {
    if (!members.has(t.tab_id)) continue;
    for (const p of tabPanes(t)) {
      const key = `${p.host}/${p.session_id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(p);
    }
  }
  return out;
}

// Reports xterm.js makes on its own (through the same onData as typing): mouse reports in SGR
// (`CSI < b;x;y M/m`), urxvt (`CSI b;x;y M`) and X10/UTF-8 (`CSI M` + three characters) forms,
// and focus in/out (`CSI I`, `CSI O`). Answers to a program's questions are recognised as they
// are made (see `AnswerWatch`), not by their text, since some look like keys (F3 with a modifier
// is `CSI 1;5R`, a cursor position report too).
const MOUSE_SGR = /^\x1b\[<\d+;\d+;\d+[Mm]$/;
const MOUSE_URXVT = /^\x1b\[\d+;\d+;\d+M$/;
const MOUSE_X10 = /^\x1b\[M[\s\S]{3}$/;
const FOCUS = /^\x1b\[[IO]$/;

/** Whether `data` (one onData event) is a mouse or focus report rather than typing. */
export function isTerminalReport(data: string): boolean {
  return MOUSE_SGR.test(data) || MOUSE_URXVT.test(data) || MOUSE_X10.test(data) || FOCUS.test(data);
}
