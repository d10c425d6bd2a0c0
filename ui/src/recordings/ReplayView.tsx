// The content of one replay tab: an xterm.js terminal of the recording's size (and of each size
// it was resized to) played by player.ts, with play/pause, the speed (0.5× to 4×), skipping idle
// gaps, a seek bar and the position. Input and marker events are not written to the terminal.
// Every replay tab stays mounted while open (switching tabs keeps its place); only the shown one
// is visible.
import { Terminal } from "@xterm/xterm";
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { toApiError } from "../api/errors";
import * as api from "../api/tauri";
import type { ApiError } from "../api/types";
import { ErrorBox } from "../dialogs/ErrorBox";
import { settings } from "../state/store";
import { fontStack, terminalTheme } from "../terminal/theme";
import { parseCast, SPEEDS } from "./cast";
import { durationText } from "./format";
import { Player, type ReplaySink } from "./player";
import type { ReplayTab } from "./state";

/** What the controls show, copied from the player after each change and tick. */
interface Shown {
  state: "loading" | "playing" | "paused" | "ended" | "error";
  position: number;
  duration: number;
  speed: number;
  skipIdle: boolean;
}

/** A sink writing to `term` in order: a reset is the terminal's own full reset (ESC c) and a
 * resize happens once what was written before it has been parsed. */
function xtermSink(term: Terminal): ReplaySink {
  return {
    write: (data) => term.write(data),
    resize: (cols, rows) => term.write("", () => term.resize(cols, rows)),
    reset: () => term.write("\x1bc"),
  };
}

/** One replay tab's content. */
export function ReplayView({ tab, shown }: { tab: ReplayTab; shown: boolean }): JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const player = useRef<Player | null>(null);
  const timer = useRef(0);
  const [error, setError] = useState<ApiError | null>(null);
  const [view, setView] = useState<Shown>({ state: "loading", position: 0, duration: 0, speed: 1, skipIdle: true });

  const show = (p: Player) =>
    setView({
      state: p.playing() ? "playing" : p.ended() ? "ended" : "paused",
      position: p.position(),
      duration: p.duration(),
      speed: p.speed(),
      skipIdle: p.skipsIdle(),
    });

  // One timer at a time: each tick writes what is due and waits for the next event.
  const drive = () => {
    window.clearTimeout(timer.current);
    const p = player.current;
    if (p === null) return;
    const wait = p.tick();
    show(p);
    if (wait !== null) timer.current = window.setTimeout(drive, wait);
  };

  useEffect(() => {
    let alive = true;
    let term: Terminal | null = null;
    api
      .recordingLoad(tab.host, tab.name)
      .then((text) => {
        const el = host.current;
        if (!alive || el === null) return;
        const cast = parseCast(text);
        const s = settings.peek();
        term = new Terminal({
          cols: cast.width,
          rows: cast.height,
          fontFamily: fontStack(s.font_family),
          fontSize: s.font_size,
          theme: terminalTheme(s.theme),
          disableStdin: true,
          scrollback: 1000,
        });
        term.open(el);
        const p = new Player(cast, xtermSink(term), () => performance.now());
        player.current = p;
        p.play();
        drive();
      })
      .catch((e: unknown) => {
        if (!alive) return;
        setError(toApiError(e));
        setView((v) => ({ ...v, state: "error" }));
      });
    return () => {
      alive = false;
      window.clearTimeout(timer.current);
      player.current = null;
      term?.dispose();
    };
  }, [tab.host, tab.name]);

  /** Runs `f` on the player, then shows and drives it. */
  const act = (f: (p: Player) => void) => {
    const p = player.current;
    if (p === null) return;
    f(p);
    drive();
  };
  const ready = view.state !== "loading" && view.state !== "error";

  return (
    <div class={`replay ${shown ? "shown" : "hidden"}`} data-testid="replay" data-replay-id={tab.id} data-state={view.state}>
      <div class="replay-bar">
        <button
          data-testid="replay-toggle"
          class="replay-toggle"
          disabled={!ready}
          onClick={() => act((p) => (p.playing() ? p.pause() : p.play()))}
        >
          {view.state === "playing" ? "Pause" : "Play"}
        </button>
        <input
          type="range"
          class="replay-seek"
          data-testid="replay-seek"
          aria-label="Position"
          min={0}
          max={view.duration}
          step={0.05}
          value={view.position}
          disabled={!ready}
          onInput={(e) => {
            const pos = Number((e.target as HTMLInputElement).value);
            act((p) => p.seek(pos));
          }}
        />
        <span class="replay-pos" data-testid="replay-position">
          {durationText(view.position * 1000)} / {durationText(view.duration * 1000)}
        </span>
        <label title="Speed">
          <select
            data-testid="replay-speed"
            aria-label="Speed"
            value={String(view.speed)}
            disabled={!ready}
            onChange={(e) => {
              const speed = Number((e.target as HTMLSelectElement).value);
              act((p) => p.setSpeed(speed));
            }}
          >
            {SPEEDS.map((s) => (
              <option key={s} value={String(s)}>
                {s}×
              </option>
            ))}
          </select>
        </label>
        <label class="replay-idle" title="Shorten every pause longer than a second to a second">
          <input
            type="checkbox"
            data-testid="replay-skip-idle"
            checked={view.skipIdle}
            disabled={!ready}
            onChange={(e) => {
              const on = (e.target as HTMLInputElement).checked;
              act((p) => p.setSkipIdle(on));
            }}
          />{" "}
          Skip idle gaps
        </label>
        <span class="replay-name muted" title={tab.name}>
          {tab.name}
        </span>
      </div>
      {error ? <ErrorBox error={error} /> : null}
      <div class="replay-term" ref={host} data-testid="replay-terminal" />
    </div>
  );
}
