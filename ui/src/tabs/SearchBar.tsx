// Find in a pane's scrollback: Enter / Shift+Enter (or the arrows) for next / previous, Escape
// to close; shows "n of m" from the search addon.
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { Icon } from "../icons";
import { searchPane } from "../state/store";
import { controllerOf } from "../terminal/registry";

/** The search bar of one pane. */
export function SearchBar({ pane_id }: { pane_id: string }): JSX.Element {
  const [query, setQuery] = useState("");
  const [result, setResult] = useState<{ index: number; count: number } | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const c = controllerOf(pane_id);

  useEffect(() => {
    input.current?.focus();
    input.current?.select();
    if (c === undefined) return;
    return c.onSearchResults((index, count) => setResult({ index, count }));
  }, [c]);

  const close = () => {
    c?.clearSearch();
    searchPane.value = null;
    c?.focus();
  };
  const go = (backwards: boolean) => {
    if (c === undefined) return;
    const found = c.find(query, backwards);
    if (!found) setResult({ index: -1, count: 0 });
  };

  const counter =
    query.length === 0 || result === null ? "" : result.count === 0 ? "No matches" : result.index >= 0 ? `${result.index + 1} of ${result.count}` : `${result.count}+ matches`;

  return (
    <div class="search-bar" data-testid="search-bar" onMouseDown={(e) => e.stopPropagation()}>
      <Icon name="search" />
      <input
        ref={input}
        data-testid="search-input"
        placeholder="Find in scrollback"
        spellcheck={false}
        value={query}
        onInput={(e) => {
          const q = e.currentTarget.value;
          setQuery(q);
          if (c === undefined) return;
          if (q.length === 0) {
            c.clearSearch();
            setResult(null);
          } else if (!c.find(q, false, true)) {
            setResult({ index: -1, count: 0 });
          }
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            go(e.shiftKey);
          } else if (e.key === "Escape") {
            e.preventDefault();
            close();
          }
        }}
      />
      <span class="search-count">{counter}</span>
      <button class="icon-button small" title="Previous (Shift+Enter)" aria-label="Previous match" data-testid="search-prev" onClick={() => go(true)}>
        <Icon name="up" />
      </button>
      <button class="icon-button small" title="Next (Enter)" aria-label="Next match" data-testid="search-next" onClick={() => go(false)}>
        <Icon name="down" />
      </button>
      <button class="icon-button small" title="Close (Escape)" aria-label="Close search" data-testid="search-close" onClick={close}>
        <Icon name="close" />
      </button>
    </div>
  );
}
