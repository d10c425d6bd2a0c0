// Small line icons drawn as inline SVG (no icon font, nothing downloaded).
import type { JSX } from "preact";

const PATHS = {
  plus: "M12 5v14M5 12h14",
  terminal: "M4 5h16v14H4zM7 9l3 3-3 3M12 15h5",
  ssh: "M3 12h11M10 8l4 4-4 4M17 5h3v14h-3",
  pulse: "M3 12h4l2-5 4 10 2-5h6",
  edit: "M4 20h4L19 9l-4-4L4 16zM13 7l4 4",
  trash: "M5 7h14M10 7V4h4v3M7 7l1 13h8l1-13",
  close: "M6 6l12 12M18 6L6 18",
  chevron: "M9 6l6 6-6 6",
  splitRow: "M4 5h16v14H4zM12 5v14",
  splitColumn: "M4 5h16v14H4zM4 12h16",
  search: "M11 5a6 6 0 1 0 0 12a6 6 0 1 0 0-12M15.5 15.5L20 20",
  settings: "M12 9a3 3 0 1 0 0 6a3 3 0 1 0 0-6M12 3v3M12 18v3M3 12h3M18 12h3M5.6 5.6l2.1 2.1M16.3 16.3l2.1 2.1M5.6 18.4l2.1-2.1M16.3 7.7l2.1-2.1",
  monitor: "M3 17l5-6 4 4 5-7 4 5",
  import: "M12 4v11M8 11l4 4 4-4M5 20h14",
  up: "M6 15l6-6 6 6",
  down: "M6 9l6 6 6-6",
  stop: "M6 6h12v12H6z",
  more: "M6 12h.01M12 12h.01M18 12h.01",
  refresh: "M19 12a7 7 0 1 1-2-5M19 4v4h-4",
  key: "M14 10a4 4 0 1 0-4 4l-6 6M7 17l2 2M10 14l3 3",
  computer: "M4 5h16v11H4zM9 20h6M12 16v4",
  server: "M4 5h16v6H4zM4 13h16v6H4zM7 8h.01M7 16h.01",
  folder: "M3 6h6l2 2h10v11H3z",
  forward: "M4 12h13M13 7l5 5-5 5M4 7v10",
};

/** An icon name. */
export type IconName = keyof typeof PATHS;

/** An inline icon, sized by the surrounding font. */
export function Icon({ name, title }: { name: IconName; title?: string }): JSX.Element {
  return (
    <svg class="icon" viewBox="0 0 24 24" aria-hidden={title ? undefined : "true"} role={title ? "img" : undefined}>
      {title ? <title>{title}</title> : null}
      <path d={PATHS[name]} />
    </svg>
  );
}
