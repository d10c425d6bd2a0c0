// The notice stack in the bottom-left corner, above the sidebar's foot: errors with advice
// (dismissed by hand) and short information messages (they fade by themselves), newest at the
// bottom. Its height is published as `--notices-height`, so the host list above can scroll
// every row clear of it: notices never hide a control for good.
import type { JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { dismissNotice, notices } from "../state/store";
import { ErrorBox } from "./ErrorBox";

/** All current notices. */
export function Notices(): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const root = document.documentElement;
    const publish = () => root.style.setProperty("--notices-height", `${Math.ceil(el.getBoundingClientRect().height)}px`);
    publish();
    const ro = new ResizeObserver(publish);
    ro.observe(el);
    return () => {
      ro.disconnect();
      root.style.removeProperty("--notices-height");
    };
  }, []);
  return (
    <div class="notices notices-dock" aria-live="polite" data-testid="notices" ref={box}>
      {notices.value.map((n) =>
        n.kind === "error" && n.error ? (
          <ErrorBox key={n.id} compact error={n.error} context={n.context} onClose={() => dismissNotice(n.id)} />
        ) : (
          <div key={n.id} class="info-box" role="status" data-testid="info-notice">
            <span>{n.text}</span>
            <button class="icon-button small" title="Dismiss" aria-label="Dismiss" onClick={() => dismissNotice(n.id)}>
              ×
            </button>
          </div>
        ),
      )}
    </div>
  );
}
