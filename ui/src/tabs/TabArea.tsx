// The terminal area: every open tab stays mounted (so its terminals and attachments live on); only
// the active one is shown. A tab's panes are laid out from its pane tree as boxes positioned in
// one container (so splitting or closing a pane never re-mounts the others), with a draggable
// divider between neighbours; a zoomed tab shows its focused pane over the whole area. The
// appearance settings (font, cursor, scrollback, contrast) are applied to every terminal here.
// Replay tabs (recordings/ReplayView.tsx) stay mounted beside them; a shown replay hides the
// session tabs.
import type { JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { hostLabel, newShell } from "../actions";
import { followDrag } from "../panels/drag";
import { ReplayView } from "../recordings/ReplayView";
import { activeReplay, replayTabs } from "../recordings/state";
import { type Divider, dragSizes, focusedPane, geometry, nodeAt, type Rect, type Tab, tabPanes } from "../state/layout";
import { dispatch, hosts, layout, settings } from "../state/store";
import { allControllers, controllerOf } from "../terminal/registry";
import { applyAppearance } from "../terminal/theme";
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
      <p class="muted small">
        {shortcutLabel("new_shell")} opens a shell on the current tab's host; {shortcutLabel("palette")} lists everything
        else.
      </p>
    </div>
  );
}

const pct = (v: number) => `${(v * 100).toFixed(4)}%`;

/** A pane's box: its rectangle, less one pixel on the sides it shares with a neighbour. */
function boxStyle(r: Rect): Record<string, string> {
  const dx = r.x > 1e-6 ? 1 : 0;
  const dy = r.y > 1e-6 ? 1 : 0;
  return {
    left: `calc(${pct(r.x)} + ${dx}px)`,
    top: `calc(${pct(r.y)} + ${dy}px)`,
    width: `calc(${pct(r.w)} - ${dx}px)`,
    height: `calc(${pct(r.h)} - ${dy}px)`,
  };
}

function DividerBar({ tab, d, container }: { tab: Tab; d: Divider; container: () => HTMLElement | null }): JSX.Element {
  const row = d.direction === "row";
  const style = row
    ? { left: `calc(${pct(d.at)} - 3px)`, top: pct(d.area.y), height: pct(d.area.h) }
    : { top: `calc(${pct(d.at)} - 3px)`, left: pct(d.area.x), width: pct(d.area.w) };
  const onPointerDown = (e: PointerEvent) => {
    const el = container();
    if (el === null || e.button !== 0) return;
    followDrag(e, (ev) => {
      const rect = el.getBoundingClientRect();
      const frac = row ? (ev.clientX - rect.left) / rect.width : (ev.clientY - rect.top) / rect.height;
      const pos = row ? (frac - d.area.x) / d.area.w : (frac - d.area.y) / d.area.h;
      const current = layout.peek().tabs.find((t) => t.tab_id === tab.tab_id);
      const node = current ? nodeAt(current.root, d.path) : null;
      if (node?.type !== "split" || !Number.isFinite(pos)) return;
      dispatch({ type: "resize", tab_id: tab.tab_id, path: d.path, sizes: dragSizes(node.sizes, d.index, pos) });
    });
  };
  return (
    <div
      class={`pane-divider ${row ? "row" : "column"}`}
      data-testid="pane-divider"
      role="separator"
      aria-orientation={row ? "vertical" : "horizontal"}
      style={style}
      onPointerDown={onPointerDown}
    />
  );
}

function TabPanes({ tab, shown, order }: { tab: Tab; shown: boolean; order: (id: string) => number }): JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  const { panes: rects, dividers } = geometry(tab.root);
  // A stable order of boxes: Preact then never moves a terminal's element.
  const panes = [...tabPanes(tab)].sort((a, b) => order(a.pane_id) - order(b.pane_id));
  const split = panes.length > 1;
  return (
    <div ref={ref} class={`tab-panes ${shown ? "shown" : "hidden"} ${tab.zoomed ? "zoomed" : ""}`} data-tab-id={tab.tab_id} data-panes={panes.length}>
      {panes.map((p) => {
        const r = rects.get(p.pane_id) ?? { x: 0, y: 0, w: 1, h: 1 };
        const focused = p.pane_id === tab.focused;
        const zoomTarget = tab.zoomed && focused;
        return (
          <div
            key={p.pane_id}
            class={`pane-slot ${zoomTarget ? "zoom-target" : ""}`}
            data-testid="pane-slot"
            data-pane-id={p.pane_id}
            data-session-id={p.session_id}
            data-focused={focused ? "true" : "false"}
            style={tab.zoomed ? {} : boxStyle(r)}
          >
            <TerminalPane tab_id={tab.tab_id} pane={p} focused={focused} split={split} />
          </div>
        );
      })}
      {tab.zoomed ? null : dividers.map((d) => <DividerBar key={`${d.path.join(".")}:${d.index}`} tab={tab} d={d} container={() => ref.current} />)}
    </div>
  );
}

/** All tabs' contents. */
export function TabArea(): JSX.Element {
  const l = layout.value;
  const active = l.tabs.find((t) => t.tab_id === l.active) ?? null;
  const replaying = activeReplay.value;
  const focusedId = active ? focusedPane(active)?.pane_id ?? null : null;
  const seen = useRef(new Map<string, number>());
  const order = (id: string) => {
    const m = seen.current;
    if (!m.has(id)) m.set(id, m.size);
    return m.get(id) ?? 0;
  };

  useEffect(() => {
    if (focusedId === null || replaying !== null) return;
    const f = requestAnimationFrame(() => {
      const c = controllerOf(focusedId);
      c?.fit();
      c?.focus();
    });
    return () => cancelAnimationFrame(f);
  }, [focusedId, l.active, active?.zoomed, replaying]);

  // Terminals created since, and every terminal when the appearance changes.
  const s = settings.value;
  const paneCount = l.tabs.reduce((n, t) => n + tabPanes(t).length, 0);
  useEffect(() => {
    for (const c of allControllers()) applyAppearance(c, s);
  }, [s.font_family, s.cursor_style, s.scrollback, s.theme, paneCount]);

  return (
    <div class="tab-content" data-testid="tab-content">
      {l.tabs.length === 0 && replaying === null ? <Empty /> : null}
      {l.tabs.map((t) => (
        <TabPanes key={t.tab_id} tab={t} shown={t.tab_id === l.active && replaying === null} order={order} />
      ))}
      {replayTabs.value.map((r) => (
        <ReplayView key={r.id} tab={r} shown={r.id === replaying} />
      ))}
    </div>
  );
}
