// The window's automation state and what changes it: the broadcast set (tab ids) with its
// choosers (toggle a tab, every tab of a host, every tab, off), the mirroring of typed input
// from a pane of the set to the others (through each target pane's own ordered input, so every
// session gets the keys in order; panes whose tab closed are skipped), and the open "Run in
// selected sessions" dialog. Pure decisions are in broadcast.ts.
import { computed, signal } from "@preact/signals";
import type { PaneRef } from "../state/layout";
import { currentPane, currentTab, layout } from "../state/store";
import { controllerOf } from "../terminal/registry";
import { broadcastTargets, everyTab, hostTabs, liveMembers, toggleMember } from "./broadcast";

/** The tabs typing is broadcast to, as chosen (closed tabs are ignored; see `broadcastTabs`). */
export const broadcastSet = signal<ReadonlySet<string>>(new Set());

/** The tabs of the broadcast set that exist, in strip order. */
export const broadcastTabs = computed(() => liveMembers(layout.value, broadcastSet.value));

/** Whether typing is being broadcast (two or more tabs in the set). */
export const broadcasting = computed(() => broadcastTabs.value.length >= 2);

/** Whether tab `tab_id` is in the broadcast set. */
export function inBroadcast(tab_id: string): boolean {
  return broadcastSet.value.has(tab_id);
}

/** Puts the current tab into the broadcast set, or takes it out. */
export function toggleBroadcastTab(tab_id?: string): void {
  const id = tab_id ?? currentTab.value?.tab_id;
  if (id === undefined) return;
  broadcastSet.value = toggleMember(new Set(broadcastTabs.value), id);
}

/** Broadcasts to every tab of the current pane's host. */
export function broadcastToHost(): void {
  const host = currentPane.value?.host;
  if (host !== undefined) broadcastSet.value = hostTabs(layout.value, host);
}

/** Broadcasts to every tab. */
export function broadcastToAll(): void {
  broadcastSet.value = everyTab(layout.value);
}

/** Stops broadcasting. */
export function stopBroadcast(): void {
  broadcastSet.value = new Set();
}

/** What a pane typed: keys (text as xterm sends it) or a paste (the clean text). */
export type Typed = { kind: "text"; data: string } | { kind: "paste"; data: string };

/** What a pane that receives broadcast input can do. */
export interface Receiver {
  /** Types `data` into the pane's session. */
  inject(data: string): void;
  /** Pastes `text` into the pane's session (bracketed when its program asked for it). */
  injectPaste(text: string): void;
}

/** True while broadcast input is being delivered (a paste into a target must not echo back). */
let delivering = false;

/**
 * Copies what was typed in pane `source` to the other sessions of the broadcast set. `lookup`
 * finds a pane's receiver (the live terminal controllers by default).
 */
export function mirrorInput(source: string, typed: Typed, lookup: (pane_id: string) => Receiver | undefined = controllerOf): PaneRef[] {
  if (delivering || broadcastSet.peek().size === 0) return [];
  const targets = broadcastTargets(layout.peek(), broadcastSet.peek(), source);
  delivering = true;
  try {
    for (const p of targets) {
      const r = lookup(p.pane_id);
      if (r === undefined) continue;
      if (typed.kind === "paste") r.injectPaste(typed.data);
      else r.inject(typed.data);
    }
  } finally {
    delivering = false;
  }
  return targets;
}

/** Whether the "Broadcast typing to…" chooser is open. */
export const broadcastChooser = signal(false);

/** The "Run in selected sessions" dialog: open (with the panes preselected) or closed. */
export const runDialog = signal<{ preselect: string[] } | null>(null);

/** Opens "Run in selected sessions", preselecting the broadcast set's panes (else the current one). */
export function openRunDialog(): void {
  const tabs = new Set(broadcastTabs.value);
  const l = layout.value;
  const pre = l.tabs.filter((t) => tabs.has(t.tab_id)).map((t) => t.tab_id);
  const cur = currentTab.value?.tab_id;
  runDialog.value = { preselect: pre.length > 0 ? pre : cur !== undefined ? [cur] : [] };
}
