// One terminal pane: mounts a TerminalController on its element (attaching on mount, detaching
// on unmount), follows settings, and shows the attachment's state over the terminal
// (reconnecting countdown, exit, errors such as a session that no longer exists). It publishes
// the terminal's title, bell and background activity (`paneMarks`), opens Ctrl+clicked links
// through the backend's checked `link_open` (asking first when links.ts says so), and shows the
// right-click menu.
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { closePane, defaultGrid, endSession, hostLabel } from "../actions";
import * as api from "../api/tauri";
import { mirrorInput, inBroadcast } from "../automation/state";
import { adviceFor } from "../dialogs/advice";
import { confirm, dispatch, paneStatus, reportError, searchPane, setPaneMarks, setPaneStatus, settings } from "../state/store";
import type { PaneRef } from "../state/layout";
import { TerminalController } from "../terminal/controller";
import { type LinkSource, linkQuestion } from "../terminal/links";
import { TerminalMenu, type TerminalMenuAt } from "../terminal/menu/TerminalMenu";
import { register, unregister } from "../terminal/registry";
import { countdownText, exitText } from "../terminal/status";
import { SearchBar } from "./SearchBar";
import { useNow } from "./useNow";

/** Opens a Ctrl+clicked link, after asking when its address is not what it shows. */
async function openLink(uri: string, visible: string, source: LinkSource): Promise<void> {
  const q = linkQuestion(uri, visible, source);
  if (q !== null && !(await confirm(q.title, q.body, "Open link"))) return;
  try {
    await api.linkOpen(uri);
  } catch (e) {
    reportError(e, "Opening a link");
  }
}

/** A pane of a tab. */
export function TerminalPane({ tab_id, pane, focused, split }: { tab_id: string; pane: PaneRef; focused: boolean; split: boolean }): JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const ctl = useRef<TerminalController | null>(null);
  const [, setReady] = useState(false);
  const [menu, setMenu] = useState<TerminalMenuAt | null>(null);
  const status = paneStatus.value[pane.pane_id] ?? { state: "connecting" as const };
  const s = settings.value;
  const now = useNow(status.state === "reconnecting");

  useEffect(() => {
    const el = host.current;
    if (el === null) return;
    const c = new TerminalController(el, {
      host: pane.host,
      session_id: pane.session_id,
      fontSize: settings.peek().font_size,
      theme: settings.peek().theme,
      copyOnSelect: settings.peek().copy_on_select,
      onStatus: (st) => setPaneStatus(pane.pane_id, st),
      onFocus: () => dispatch({ type: "focus_pane", tab_id, pane_id: pane.pane_id }),
      onTitle: (title) => setPaneMarks(pane.pane_id, { title }),
      onMark: (mark) =>
        setPaneMarks(pane.pane_id, mark === "seen" ? { bell: false, activity: false } : mark === "bell" ? { bell: true } : { activity: true }),
      onError: (e) => reportError(e, `${pane.title} on ${hostLabel(pane.host)}`),
      onLink: (uri, visible, source) => void openLink(uri, visible, source),
      hiddenGrid: defaultGrid,
      onTyped: (typed) => void mirrorInput(pane.pane_id, typed),
    });
    ctl.current = c;
    register(pane.pane_id, c);
    setReady(true);
    return () => {
      unregister(pane.pane_id, c);
      setPaneMarks(pane.pane_id, null);
      ctl.current = null;
      if (searchPane.peek() === pane.pane_id) searchPane.value = null;
      c.dispose();
    };
    // A pane is one attachment for its whole life: its host and session never change.
  }, []);

  useEffect(() => {
    ctl.current?.setFontSize(s.font_size);
  }, [s.font_size]);
  useEffect(() => {
    ctl.current?.setTheme(s.theme);
  }, [s.theme]);
  useEffect(() => {
    ctl.current?.setCopyOnSelect(s.copy_on_select);
  }, [s.copy_on_select]);

  const retry = () => ctl.current?.retry();
  const onContextMenu = (e: MouseEvent) => {
    e.preventDefault();
    // A program that takes mouse clicks (vim with mouse=a) gets the right click; Shift shows the menu.
    if (ctl.current?.wantsMouse() && !e.shiftKey) return;
    setMenu({ x: e.clientX, y: e.clientY, pane });
  };
  const close = () => closePane(tab_id, pane.pane_id);
  const end = () => void endSession(pane.host, pane.session_id, pane.title);

  let overlay: JSX.Element | null = null;
  if (status.state === "reconnecting") {
    overlay = (
      <div
        class="pane-banner warn"
        data-testid="pane-reconnecting"
        title={`${status.reason ?? "The connection was lost"}. The session keeps running on ${hostLabel(pane.host)}; output that arrives meanwhile is kept.`}
      >
        <span class="dot state-reconnecting" />
        <strong>{status.retry_at !== undefined ? countdownText(status.retry_at, now, status.attempt) : "Reconnecting"}</strong>
        {status.reason ? <span class="banner-reason muted">{status.reason}</span> : null}
      </div>
    );
  } else if (status.state === "exited") {
    overlay = (
      <div class="pane-banner bottom" data-testid="pane-exited">
        <span class="banner-reason" title="Its output stays readable here and in the sessions list until you end the session.">
          The session {exitText(status.exit_code, status.exit_signal)}.
        </span>
        <button onClick={close}>{split ? "Close pane" : "Close tab"}</button>
        <button class="danger" onClick={end}>
          End session…
        </button>
      </div>
    );
  } else if (status.state === "error" && status.error) {
    const gone = status.error.code === "rpc_32001";
    const detached = status.error.code === "detached";
    const a = adviceFor(status.error);
    overlay = (
      <div class="pane-overlay" data-testid="pane-error" data-code={status.error.code}>
        <div class="pane-card">
          <h3>{gone ? "This session no longer exists" : detached ? "Detached" : a.title}</h3>
          <p>
            {gone ? (
              <>
                “{pane.title}” on {hostLabel(pane.host)} was ended, or the host restarted. What was shown before is kept
                below.
              </>
            ) : (
              status.error.message
            )}
          </p>
          {!gone && a.next ? <p class="muted">{a.next}</p> : null}
          <div class="modal-actions">
            <button onClick={close}>{split ? "Close pane" : "Close tab"}</button>
            {gone ? null : (
              <button class="primary" onClick={retry}>
                {detached ? "Reattach" : "Try again"}
              </button>
            )}
          </div>
        </div>
      </div>
    );
  }

  return (
    <div
      class={`terminal-pane ${split ? "split" : ""} ${focused && split ? "focused" : ""} state-${status.state} ${inBroadcast(tab_id) ? "broadcasting" : ""}`}
      data-session-id={pane.session_id}
      data-host={pane.host}
      data-pane-id={pane.pane_id}
      onMouseDown={() => dispatch({ type: "focus_pane", tab_id, pane_id: pane.pane_id })}
    >
      {split ? (
        <div class="pane-head">
          <span class={`dot state-${status.state}`} />
          <span class="pane-title">{pane.title}</span>
          <span class="muted small">{hostLabel(pane.host)}</span>
          <span class="spacer" />
          <button class="icon-button small" title="Close pane (the session keeps running)" aria-label="Close pane" data-testid="pane-close" onClick={close}>
            ×
          </button>
        </div>
      ) : null}
      <div class="terminal-host" ref={host} onContextMenu={onContextMenu} />
      {searchPane.value === pane.pane_id ? <SearchBar pane_id={pane.pane_id} /> : null}
      {overlay}
      {menu !== null ? <TerminalMenu at={menu} onClose={() => setMenu(null)} /> : null}
    </div>
  );
}
