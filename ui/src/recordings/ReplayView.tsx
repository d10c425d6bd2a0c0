// The replay of one recording over the tabs: an xterm.js terminal of the recording's size fed
// the output events on the player's clock (cast.ts), with play/pause, restart, a speed control
// and the position. Input and marker events are not written to the terminal.
import { Terminal } from "@xterm/xterm";
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { toApiError } from "../api/errors";
import * as api from "../api/tauri";
import type { ApiError } from "../api/types";
import { ErrorBox } from "../dialogs/ErrorBox";
import { settings } from "../state/store";
import { fontStack, terminalTheme } from "../terminal/theme";
import { type Cast, dueUntil, parseCast, parseSize, PlayClock, playTimes, SPEEDS } from "./cast";
import { durationText } from "./format";
import { type Replaying, replaying } from "./state";

/** The replay. */
export function ReplayView({ r }: { r: Replaying }): JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const [cast, setCast] = useState<Cast | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [speed, setSpeed] = useState(1);
  const [playing, setPlaying] = useState(true);
  const [pos, setPos] = useState(0);
  const [restarts, setRestarts] = useState(0);
  const clock = useRef(new PlayClock(() => performance.now()));

  useEffect(() => {
    let alive = true;
    api
      .recordingLoad(r.host, r.name)
      .then((text) => alive && setCast(parseCast(text)))
      .catch((e: unknown) => alive && setError(toApiError(e)));
    return () => {
      alive = false;
    };
  }, [r.host, r.name]);

  useEffect(() => {
    const el = host.current;
    if (cast === null || el === null) return;
    const term = new Terminal({
      cols: cast.width,
      rows: cast.height,
      fontFamily: fontStack(settings.value.font_family),
      fontSize: settings.value.font_size,
      theme: terminalTheme(settings.value.theme),
      disableStdin: true,
      scrollback: 1000,
    });
    term.open(el);
    const times = playTimes(cast.events);
    const c = clock.current;
    c.reset();
    c.play();
    let next = 0;
    let timer = 0;
    const tick = () => {
      const now = c.position();
      const until = dueUntil(times, next, now);
      for (; next < until; next++) {
        const e = cast.events[next];
        if (e === undefined) break;
        if (e.code === "o") term.write(e.data);
        else if (e.code === "r") {
          const size = parseSize(e.data);
          if (size) term.resize(size.cols, size.rows);
        }
      }
      setPos(Math.min(now, times[times.length - 1] ?? 0));
      if (next >= times.length) c.pause();
      setPlaying(c.playing());
      timer = window.setTimeout(tick, 30);
    };
    tick();
    return () => {
      window.clearTimeout(timer);
      term.dispose();
    };
  }, [cast, restarts]);

  const total = cast ? (playTimes(cast.events).at(-1) ?? 0) : 0;
  const toggle = () => {
    const c = clock.current;
    if (c.playing()) c.pause();
    else c.play();
    setPlaying(c.playing());
  };
  const changeSpeed = (s: number) => {
    clock.current.setSpeed(s);
    setSpeed(s);
  };

  return (
    <div class="replay" data-testid="replay" role="dialog" aria-label={`Replay of ${r.name}`}>
      <div class="replay-bar">
        <span class="replay-name" title={r.name}>
          Replay: {r.name}
        </span>
        <button data-testid="replay-toggle" onClick={toggle} disabled={cast === null}>
          {playing ? "Pause" : "Play"}
        </button>
        <button data-testid="replay-restart" onClick={() => setRestarts((n) => n + 1)} disabled={cast === null}>
          Restart
        </button>
        <label>
          Speed{" "}
          <select
            data-testid="replay-speed"
            value={String(speed)}
            onChange={(e) => changeSpeed(Number((e.target as HTMLSelectElement).value))}
          >
            {SPEEDS.map((s) => (
              <option key={s} value={String(s)}>
                {s}×
              </option>
            ))}
          </select>
        </label>
        <span class="replay-pos" data-testid="replay-position">
          {durationText(pos * 1000)} / {durationText(total * 1000)}
        </span>
        <button data-testid="replay-close" onClick={() => (replaying.value = null)}>
          Close
        </button>
      </div>
      {error ? <ErrorBox error={error} /> : null}
      <div class="replay-term" ref={host} data-testid="replay-terminal" />
    </div>
  );
}
