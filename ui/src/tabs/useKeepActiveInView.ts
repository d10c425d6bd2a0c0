// Keeping the active tab in view of the tab strip: when a tab becomes active, and again whenever
// a tab or the strip changes size (a label that grows when the shell reports its directory or
// title, a state badge, a window resize), the active tab is scrolled into view. Scrolling only
// when it became active left it cut off once its own label grew.
import type { RefObject } from "preact";
import { useEffect } from "preact/hooks";

/** Scrolls the strip's `.tab.active` into view, now and on every size change of a tab or the strip. */
export function useKeepActiveInView(strip: RefObject<HTMLElement>): void {
  useEffect(() => {
    const el = strip.current;
    if (el === null) return;
    const keep = () => el.querySelector<HTMLElement>(".tab.active")?.scrollIntoView({ block: "nearest", inline: "nearest" });
    const sizes = new ResizeObserver(keep);
    const watchAll = () => {
      sizes.disconnect();
      sizes.observe(el);
      for (const tab of Array.from(el.querySelectorAll<HTMLElement>(".tab"))) sizes.observe(tab);
    };
    // Tabs come and go (the strip's own children), and one becomes active: watch the new set
    // and scroll. Changes deeper inside a tab matter only through its size.
    const changes = new MutationObserver((records) => {
      if (!records.some((r) => r.type === "attributes" || r.target === el)) return;
      watchAll();
      keep();
    });
    changes.observe(el, { childList: true, subtree: true, attributes: true, attributeFilter: ["data-active"] });
    watchAll();
    keep();
    return () => {
      sizes.disconnect();
      changes.disconnect();
    };
  }, [strip]);
}
