// The command palette (Ctrl+Shift+P): every action of the registry with its shortcut, and every
// open tab, filtered as you type (fuzzy); arrows move, Enter runs, Escape closes.
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ACTIONS, hostLabel, runAction } from "../actions";
import { focusedPane } from "../state/layout";
import { dialog, dispatch, layout } from "../state/store";
import { shortcutLabel } from "../shortcuts";
import { labelOf } from "../tabs/TabBar";
import { filterItems, type PaletteItem } from "./filter";

/** One line of the palette. */
interface Entry extends PaletteItem {
  hint: string;
  enabled: boolean;
  run: () => void;
}

function entries(): Entry[] {
  const actions = ACTIONS.filter((a) => a.id !== "palette").map(
    (a): Entry => ({
      id: a.id,
      label: a.label,
      hint: shortcutLabel(a.id),
      enabled: a.enabled === undefined || a.enabled(),
      run: () => runAction(a.id),
    }),
  );
  const tabs = layout.value.tabs.map((t): Entry => {
    const p = focusedPane(t);
    return {
      id: `tab:${t.tab_id}`,
      label: `Go to tab: ${labelOf(t)}`,
      hint: p ? hostLabel(p.host) : "",
      enabled: true,
      run: () => dispatch({ type: "activate", tab_id: t.tab_id }),
    };
  });
  return [...actions, ...tabs];
}

function Highlighted({ text, positions }: { text: string; positions: number[] }): JSX.Element {
  const marks = new Set(positions);
  return <>{Array.from(text).map((ch, i) => (marks.has(i) ? <mark key={i}>{ch}</mark> : ch))}</>;
}

/** The palette. */
export function Palette(): JSX.Element {
  const [query, setQuery] = useState("");
  const [index, setIndex] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const list = useRef<HTMLUListElement>(null);
  const matches = filterItems(entries(), query);
  const selected = Math.min(index, Math.max(0, matches.length - 1));

  useEffect(() => input.current?.focus(), []);
  useEffect(() => {
    list.current?.querySelector(".palette-item.selected")?.scrollIntoView({ block: "nearest" });
  }, [selected, query]);

  const close = () => (dialog.value = null);
  const run = (e: Entry | undefined) => {
    if (e === undefined || !e.enabled) return;
    close();
    // After the palette is gone, so an action that opens a dialog or focuses a terminal keeps it.
    requestAnimationFrame(() => e.run());
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const n = matches.length;
      if (n > 0) setIndex((selected + (e.key === "ArrowDown" ? 1 : n - 1)) % n);
    } else if (e.key === "Enter") {
      e.preventDefault();
      run(matches[selected]?.item);
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      close();
    }
  };

  return (
    <div class="palette-backdrop" onMouseDown={(e) => e.target === e.currentTarget && close()}>
      <div class="palette" role="dialog" aria-modal="true" aria-label="Command palette" data-testid="palette">
        <input
          ref={input}
          class="palette-input"
          data-testid="palette-input"
          placeholder="Type a command or a tab’s name…"
          value={query}
          onInput={(e) => {
            setQuery(e.currentTarget.value);
            setIndex(0);
          }}
          onKeyDown={onKey}
        />
        <ul ref={list} class="palette-list" role="listbox">
          {matches.map((m, i) => (
            <li
              key={m.item.id}
              role="option"
              aria-selected={i === selected}
              aria-disabled={!m.item.enabled}
              class={`palette-item ${i === selected ? "selected" : ""} ${m.item.enabled ? "" : "disabled"}`}
              data-testid="palette-item"
              data-action={m.item.id}
              onMouseMove={() => i !== selected && setIndex(i)}
              onClick={() => run(m.item)}
            >
              <span class="palette-label">
                <Highlighted text={m.item.label} positions={m.positions} />
              </span>
              {m.item.hint ? <kbd class="palette-hint">{m.item.hint}</kbd> : null}
            </li>
          ))}
          {matches.length === 0 ? <li class="palette-empty muted">No command matches “{query}”.</li> : null}
        </ul>
      </div>
    </div>
  );
}
