// The draggable edge of a side panel (hosts sidebar, monitoring panel): dragging it sets the
// panel's width in the settings (saved once the drag settles, restored with the app);
// double-clicking it goes back to the default width. Widths come from width.ts.
import type { JSX } from "preact";
import { updateSettings } from "../actions";
import { settings } from "../state/store";
import { followDrag } from "./drag";
import { dragWidth, type Panel } from "./width";

/** The width the other panel takes now (its element's, or 0 when it is hidden). */
function otherWidth(panel: Panel): number {
  const css = panel === "sidebar" ? ".monitor-panel" : ".sidebar, .sidebar-rail";
  return document.querySelector<HTMLElement>(css)?.getBoundingClientRect().width ?? 0;
}

function setWidth(panel: Panel, width: number | null): void {
  updateSettings(panel === "sidebar" ? { sidebar_width: width } : { monitor_width: width });
}

/** The divider on the inner edge of `panel`. */
export function PanelDivider({ panel }: { panel: Panel }): JSX.Element {
  const onPointerDown = (e: PointerEvent) => {
    if (e.button !== 0) return;
    const bar = e.currentTarget as HTMLElement;
    bar.classList.add("dragging");
    const other = otherWidth(panel);
    followDrag(
      e,
      (ev) => setWidth(panel, dragWidth(panel, ev.clientX, window.innerWidth, other)),
      () => bar.classList.remove("dragging"),
    );
  };
  const width = panel === "sidebar" ? settings.value.sidebar_width : settings.value.monitor_width;
  return (
    <div
      class={`panel-divider at-${panel}`}
      data-testid={`${panel}-divider`}
      role="separator"
      aria-orientation="vertical"
      aria-label={panel === "sidebar" ? "Sidebar width (drag; double-click resets)" : "Monitoring panel width (drag; double-click resets)"}
      aria-valuenow={width ?? undefined}
      title="Drag to resize; double-click for the default width"
      onPointerDown={onPointerDown}
      onDblClick={() => setWidth(panel, null)}
    />
  );
}
