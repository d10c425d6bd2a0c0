// Broadcast typing in the window: the mark on each tab of the broadcast set (the tab typed in,
// the source, reads differently from the ones that receive), the pill in the tab bar while
// typing is broadcast (how many tabs, stop), and the "Broadcast typing to…" chooser (a tick per
// tab, every tab of a host at once).
import type { JSX } from "preact";
import { hostLabel } from "../actions";
import { Modal } from "../dialogs/Modal";
import { focusedPane, type Tab, tabPanes } from "../state/layout";
import { paneLabel } from "../state/paneMeta";
import { layout } from "../state/store";
import { hostTabs } from "./broadcast";
import { broadcastChooser, broadcastSet, broadcastTabs, broadcasting, stopBroadcast } from "./state";

/** The mark on a tab of the broadcast set; `active`: the tab typed in (the source). */
export function TabBroadcastMark({ tab, active }: { tab: Tab; active: boolean }): JSX.Element | null {
  if (!broadcastSet.value.has(tab.tab_id)) return null;
  const n = broadcastTabs.value.length;
  const others = n - 1;
  const title = !broadcasting.value
    ? "In the broadcast set, alone: add another tab to broadcast typing"
    : active
      ? `Typing here also goes to ${others} other tab${others === 1 ? "" : "s"}`
      : `Receives what is typed in the ${others} other broadcast tab${others === 1 ? "" : "s"}`;
  return (
    <span
      class={`tab-broadcast ${active ? "source" : "receiver"} ${broadcasting.value ? "on" : "alone"}`}
      data-testid="tab-broadcast"
      data-role={active ? "source" : "receiver"}
      title={title}
      aria-label={title}
    >
      {active ? "⇉" : "⇶"}
    </span>
  );
}

/** The pill in the tab bar while typing is broadcast. */
export function BroadcastPill(): JSX.Element | null {
  const n = broadcastTabs.value.length;
  if (n === 0) return null;
  return (
    <div class={`broadcast-pill ${broadcasting.value ? "on" : "alone"}`} data-testid="broadcast-pill" data-tabs={n} role="status">
      <button
        class="broadcast-pill-label"
        title={`${broadcasting.value ? `Typing is broadcast to ${n} tabs` : "One tab in the broadcast set: add another to broadcast typing"}. Click to choose the tabs.`}
        onClick={() => (broadcastChooser.value = true)}
      >
        ⇶ Broadcast: {n}
      </button>
      <button class="icon-button small" data-testid="broadcast-stop" title="Stop broadcasting typing" aria-label="Stop broadcasting" onClick={stopBroadcast}>
        ×
      </button>
    </div>
  );
}

/** The "Broadcast typing to…" chooser. */
export function BroadcastChooser(): JSX.Element | null {
  if (!broadcastChooser.value) return null;
  const l = layout.value;
  const chosen = broadcastSet.value;
  const close = () => (broadcastChooser.value = false);
  const hostsShown = [...new Set(l.tabs.flatMap((t) => tabPanes(t).map((p) => p.host)))];
  const set = (tab_id: string, on: boolean) => {
    const next = new Set(chosen);
    if (on) next.add(tab_id);
    else next.delete(tab_id);
    broadcastSet.value = next;
  };
  return (
    <Modal title="Broadcast typing to…" testid="broadcast-chooser" onCancel={close}>
      <p class="modal-text muted">What is typed in any ticked tab is typed into every ticked tab's session.</p>
      <div class="automation-hosts">
        {hostsShown.map((h) => (
          <button key={h} data-testid={`broadcast-host-${h}`} onClick={() => (broadcastSet.value = new Set([...chosen, ...hostTabs(l, h)]))}>
            All tabs of {hostLabel(h)}
          </button>
        ))}
      </div>
      <ul class="automation-list">
        {l.tabs.map((t) => {
          const p = focusedPane(t);
          return (
            <li key={t.tab_id}>
              <label>
                <input
                  type="checkbox"
                  data-testid="broadcast-choice"
                  data-tab-id={t.tab_id}
                  checked={chosen.has(t.tab_id)}
                  onChange={(e) => set(t.tab_id, (e.target as HTMLInputElement).checked)}
                />
                <span class="automation-title">{t.name ?? (p ? paneLabel(p) : t.tab_id)}</span>
                <span class="muted small">{p ? hostLabel(p.host) : ""}</span>
              </label>
            </li>
          );
        })}
      </ul>
      <div class="modal-actions">
        <button onClick={stopBroadcast}>Clear</button>
        <button class="primary" data-testid="broadcast-done" onClick={close}>
          Done
        </button>
      </div>
    </Modal>
  );
}
