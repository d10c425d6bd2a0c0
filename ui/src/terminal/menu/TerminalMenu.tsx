// The terminal's right-click menu: copy, paste, select all, split right or down, find, and open
// the same session in another tab. Each entry calls the app's action (actions.ts); the menu
// closes on a choice, Escape, a click elsewhere or the window losing focus, and moves with the
// arrow keys.
import type { JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { copySelection, openSearch, openSessionTab, pasteClipboard, splitActive } from "../../actions";
import type { PaneRef } from "../../state/layout";
import { shortcutLabel } from "../../shortcuts";
import { controllerOf } from "../registry";
import { menuPosition } from "./position";

/** Where the menu opened, and for which pane. */
export interface TerminalMenuAt {
  x: number;
  y: number;
  pane: PaneRef;
}

interface Entry {
  id: string;
  label: string;
  hint: string;
  disabled?: boolean;
  run: () => void;
}

/** The menu of one pane. */
export function TerminalMenu({ at, onClose }: { at: TerminalMenuAt; onClose: () => void }): JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  const c = controllerOf(at.pane.pane_id);
  const hasSelection = (c?.selection() ?? "").length > 0;
  const back = () => c?.focus();
  const entries: (Entry | "sep")[] = [
    { id: "copy", label: "Copy", hint: shortcutLabel("copy"), disabled: !hasSelection, run: () => void copySelection().then(back) },
    { id: "paste", label: "Paste", hint: shortcutLabel("paste"), run: () => void pasteClipboard() },
    { id: "select-all", label: "Select all", hint: "", run: () => c?.selectAll() },
    "sep",
    { id: "split-row", label: "Split right", hint: shortcutLabel("split_row"), run: () => void splitActive("row") },
    { id: "split-column", label: "Split down", hint: shortcutLabel("split_column"), run: () => void splitActive("column") },
    { id: "find", label: "Find…", hint: shortcutLabel("find"), run: openSearch },
    "sep",
    {
      id: "another-tab",
      label: "Open in another tab",
      hint: "",
      run: () => openSessionTab(at.pane.host, { session_id: at.pane.session_id, title: at.pane.title, kind: at.pane.kind ?? "shell" }, true),
    },
  ];

  useEffect(() => {
    const el = ref.current;
    if (el === null) return;
    const pos = menuPosition(at, { width: el.offsetWidth, height: el.offsetHeight }, { width: window.innerWidth, height: window.innerHeight });
    el.style.left = `${pos.x}px`;
    el.style.top = `${pos.y}px`;
    el.querySelector<HTMLButtonElement>("button:not([disabled])")?.focus();
    const away = (e: Event) => {
      if (!el.contains(e.target as Node)) onClose();
    };
    // The right click that opened the menu is still being handled: listen from the next tick.
    const timer = setTimeout(() => {
      document.addEventListener("mousedown", away, true);
      window.addEventListener("blur", onClose);
    }, 0);
    return () => {
      clearTimeout(timer);
      document.removeEventListener("mousedown", away, true);
      window.removeEventListener("blur", onClose);
    };
  }, []);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      onClose();
      back();
      return;
    }
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    e.preventDefault();
    const buttons = Array.from(ref.current?.querySelectorAll<HTMLButtonElement>("button:not([disabled])") ?? []);
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const next = buttons[(i + (e.key === "ArrowDown" ? 1 : buttons.length - 1)) % buttons.length];
    next?.focus();
  };

  return (
    <div ref={ref} class="menu terminal-menu" role="menu" data-testid="terminal-menu" style={{ left: `${at.x}px`, top: `${at.y}px` }} onKeyDown={onKeyDown}>
      {entries.map((e, i) =>
        e === "sep" ? (
          <div key={`sep${i}`} class="menu-sep" />
        ) : (
          <button
            key={e.id}
            class="menu-item"
            role="menuitem"
            data-testid={`terminal-menu-${e.id}`}
            disabled={e.disabled}
            onClick={() => {
              onClose();
              e.run();
            }}
          >
            <span>{e.label}</span>
            <span class="menu-hint">{e.hint}</span>
          </button>
        ),
      )}
    </div>
  );
}
