// The terminal area: every open tab stays mounted (so its terminal and attachment live on);
// only the active one is shown. A split tab lays its two panes side by side or stacked.
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import { hostLabel, newShell } from "../actions";
import { focusedPane } from "../state/layout";
import { hosts, layout } from "../state/store";
import { controllerOf } from "../terminal/registry";
import { shortcutLabel } from "../shortcuts";
import { TerminalPane } from "./TerminalPane";

function Empty(): JSX.Element {
  const first = hosts.value[0]?.name ?? "local";
  return (
    <div class="empty-state">
      <h2>No open tabs</h2>
      <p class="muted">
        Start a shell, or pick a host in the sidebar and attach one of its sessions. Sessions keep running when you close
        a tab or the app.
      </p>
      <button class="primary" onClick={() => void newShell(first)}>
        New shell on {hostLabel(first)}
      </button>
      <p class="muted small">{shortcutLabel("new_shell")} opens a shell on the current tab's host.</p>
    </div>
  );
}

/** All tabs' contents. */
export function TabArea(): JSX.Element {
  const l = layout.value;
  const active = l.tabs.find((t) => t.tab_id === l.active) ?? null;
  const focusedId = active ? focusedPane(active)?.pane_id ?? null : null;

  useEffect(() => {
    if (focusedId === null) return;
    const f = requestAnimationFrame(() => {
      const c = controllerOf(focusedId);
      c?.fit();
      c?.focus();
    });
    return () => cancelAnimationFrame(f);
  }, [focusedId, l.active]);

  return (
    <div class="tab-content">
      {l.tabs.length === 0 ? <Empty /> : null}
      {l.tabs.map((t) => (
        <div key={t.tab_id} class={`tab-panes dir-${t.direction} ${t.tab_id === l.active ? "shown" : "hidden"}`} data-tab-id={t.tab_id}>
          {t.panes.map((p, i) => (
            <TerminalPane key={p.pane_id} tab_id={t.tab_id} pane={p} focused={i === t.focused} split={t.panes.length > 1} />
          ))}
        </div>
      ))}
    </div>
  );
}
