// A host's live sessions, from its agent: refreshed when shown, after actions and every 5 s
// while shown. Each row shows the session's title, what runs in it, its working directory, age and
// state, and the last line on its screen when the agent knows them. Clicking a session shows it
// (focusing the tab that already does, or attaching in a new tab); its menu opens a second view
// in another tab or ends it (after a confirmation).
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { endSession, openSessionTab } from "../actions";
import * as api from "../api/tauri";
import { toApiError } from "../api/errors";
import type { ApiError, SessionInfo } from "../api/types";
import { ErrorBox } from "../dialogs/ErrorBox";
import { openFiles } from "../files/state";
import { openRecordings } from "../recordings/state";
import { Icon } from "../icons";
import { allPanes } from "../state/layout";
import { layout, sessionsEpoch, setHostSessions } from "../state/store";
import { ageText, cwdText, extras, paneTitle, runningText, stateText } from "../state/titles";
import { useDismiss } from "../tabs/useDismiss";
import { useNow } from "../tabs/useNow";

/** How often an expanded list refreshes. */
const REFRESH_MS = 5000;

/** A session row's menu. */
function RowMenu({ host, s, x, y, onClose }: { host: string; s: SessionInfo; x: number; y: number; onClose: () => void }): JSX.Element {
  useDismiss(onClose);
  const title = s.title || s.session_id;
  return (
    <div class="menu" role="menu" style={{ left: `${x}px`, top: `${y}px` }} data-testid="session-menu">
      <button class="menu-item" role="menuitem" data-testid="session-open" onClick={() => (onClose(), openSessionTab(host, s))}>
        <span>Show</span>
      </button>
      <button class="menu-item" role="menuitem" data-testid="session-open-another" onClick={() => (onClose(), openSessionTab(host, s, true))}>
        <span>Open in another tab</span>
      </button>
      <button class="menu-item" role="menuitem" data-testid="session-recordings" onClick={() => (onClose(), openRecordings(host, s.session_id, title))}>
        <span>Recordings…</span>
      </button>
      {s.kind === "ssh" ? (
        <button
          class="menu-item"
          role="menuitem"
          data-testid="session-files"
          onClick={() => (onClose(), openFiles(host, s.session_id, `${title} via ${host}`))}
        >
          <span>Files on the target…</span>
        </button>
      ) : null}
      <div class="menu-sep" />
      <button class="menu-item danger" role="menuitem" data-testid="session-end" onClick={() => (onClose(), void endSession(host, s.session_id, title))}>
        <span>End session…</span>
      </button>
    </div>
  );
}

/** The sessions of one host. */
export function SessionList({ host }: { host: string }): JSX.Element {
  const [sessions, setSessions] = useState<SessionInfo[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [menu, setMenu] = useState<{ s: SessionInfo; x: number; y: number } | null>(null);
  const now = useNow(true, 30_000);
  const seq = useRef(0);
  const epoch = sessionsEpoch.value;

  useEffect(() => {
    let alive = true;
    const load = async () => {
      const mine = ++seq.current;
      try {
        const list = await api.sessionsList(host);
        if (alive && mine === seq.current) {
          setSessions([...list].sort((a, b) => a.created_at.localeCompare(b.created_at)));
          setHostSessions(host, list);
          setError(null);
        }
      } catch (e) {
        if (alive && mine === seq.current) setError(toApiError(e));
      }
    };
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [host, epoch]);

  const open = new Set(allPanes(layout.value).filter((p) => p.host === host).map((p) => p.session_id));

  return (
    <div class="session-list">
      {error ? <ErrorBox compact error={error} context="Listing sessions" /> : null}
      {sessions === null && error === null ? <div class="muted small pad">Loading sessions…</div> : null}
      {sessions !== null && sessions.length === 0 ? <div class="muted small pad">No sessions. Start one with the buttons above.</div> : null}
      <ul>
        {(sessions ?? []).map((s) => {
          const x = extras(s);
          const title = paneTitle(null, x.terminal_title, s.title || s.session_id);
          const cwd = cwdText(x.cwd);
          const age = ageText(s.created_at, now);
          const preview = (x.preview ?? "").trim();
          const shown = open.has(s.session_id);
          return (
            <li
              key={s.session_id}
              class={`session-row ${s.state === "exited" ? "exited" : ""}`}
              data-testid={`session-${s.session_id}`}
              data-open={shown ? "true" : "false"}
              role="button"
              tabIndex={0}
              title={shown ? "Show its tab" : "Attach in a new tab"}
              onClick={() => openSessionTab(host, s)}
              onContextMenu={(e) => {
                e.preventDefault();
                setMenu({ s, x: e.clientX, y: e.clientY });
              }}
              onKeyDown={(e) => {
                if (e.key === "Enter") openSessionTab(host, s);
              }}
            >
              <span class={`dot ${s.state === "exited" ? "off" : shown ? "on" : "idle"}`} />
              <span class="session-text">
                <span class="session-title" data-testid="session-title">
                  {title}
                </span>
                <span class="session-meta" data-testid="session-meta">
                  <span class="session-running">{runningText(s)}</span>
                  {cwd ? <span class="session-cwd">{cwd}</span> : null}
                  {age ? <span title={new Date(s.created_at).toLocaleString()}>{age}</span> : null}
                  <span>{stateText(s)}</span>
                </span>
                {preview ? (
                  <span class="session-preview mono" data-testid="session-preview">
                    {preview}
                  </span>
                ) : null}
              </span>
              <button
                class="icon-button small"
                data-testid={`session-menu-${s.session_id}`}
                title="More…"
                aria-label="Session menu"
                onClick={(e) => {
                  e.stopPropagation();
                  const r = (e.currentTarget as HTMLElement).getBoundingClientRect();
                  setMenu({ s, x: r.left, y: r.bottom });
                }}
              >
                <Icon name="more" />
              </button>
              <button
                class="icon-button small danger-hover"
                data-testid={`close-session-${s.session_id}`}
                title="End session"
                aria-label="End session"
                onClick={(e) => {
                  e.stopPropagation();
                  void endSession(host, s.session_id, s.title || s.session_id);
                }}
              >
                <Icon name="stop" />
              </button>
            </li>
          );
        })}
      </ul>
      {menu ? <RowMenu host={host} s={menu.s} x={menu.x} y={menu.y} onClose={() => setMenu(null)} /> : null}
    </div>
  );
}
