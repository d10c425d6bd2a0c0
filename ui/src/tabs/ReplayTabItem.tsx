// A replay tab in the tab strip: "Replay: TITLE", shown by a click, closed by its close button
// or a middle click like a session tab. Its content is recordings/ReplayView.tsx.
import type { JSX } from "preact";
import { Icon } from "../icons";
import { activeReplay, closeReplay, type ReplayTab } from "../recordings/state";

/** One replay tab. */
export function ReplayTabItem({ tab, active }: { tab: ReplayTab; active: boolean }): JSX.Element {
  const label = `Replay: ${tab.title}`;
  return (
    <div
      class={`tab replay-tab ${active ? "active" : ""}`}
      data-testid="replay-tab"
      data-replay-id={tab.id}
      data-active={active ? "true" : "false"}
      data-label={label}
      role="tab"
      aria-selected={active}
      title={`${label} — ${tab.name} on ${tab.host}`}
      onMouseDown={(e) => {
        if (e.button === 1) {
          e.preventDefault();
          closeReplay(tab.id);
        }
      }}
      onClick={() => (activeReplay.value = tab.id)}
    >
      <span class="replay-mark" aria-hidden="true">
        ▶
      </span>
      <span class="tab-title" data-testid="tab-title">
        {label}
      </span>
      <button
        class="tab-close"
        data-testid="replay-tab-close"
        title="Close the replay"
        aria-label="Close the replay"
        onClick={(e) => {
          e.stopPropagation();
          closeReplay(tab.id);
        }}
      >
        <Icon name="close" />
      </button>
    </div>
  );
}
