// Files dropped on the window: the webview reports drags with the dropped files' paths (Tauri's
// drag-drop event, positions in physical pixels); a drop inside the open file panel uploads them
// into the directory it shows. Pure: the panel's box and the scale are parameters.

/** What the webview reports about a drag. */
export type DragDrop =
  | { type: "enter"; paths: string[]; position: { x: number; y: number } }
  | { type: "over"; position: { x: number; y: number } }
  | { type: "drop"; paths: string[]; position: { x: number; y: number } }
  | { type: "leave" };

/** The panel's box in CSS pixels. */
export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** What the panel does about a drag. */
export type DropAction = { kind: "hover"; on: boolean } | { kind: "upload"; paths: string[] } | null;

/** The action for `ev` when the panel occupies `box` (null: no panel open) at device scale `scale`. */
export function dropAction(ev: DragDrop, box: Box | null, scale: number): DropAction {
  if (box === null) return null;
  if (ev.type === "leave") return { kind: "hover", on: false };
  const x = ev.position.x / scale;
  const y = ev.position.y / scale;
  const inside = x >= box.left && x <= box.right && y >= box.top && y <= box.bottom;
  if (ev.type !== "drop") return { kind: "hover", on: inside };
  const paths = ev.paths.filter((p) => p.startsWith("/"));
  return inside && paths.length > 0 ? { kind: "upload", paths } : { kind: "hover", on: false };
}
