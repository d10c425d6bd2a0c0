// A host's live sessions, from its agent: refreshed when shown, after actions and every 5 s
// while shown. Clicking a session attaches it in a new tab; the stop button ends it (after a
// confirmation).
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { endSession, openSessionTab } from "../actions";
import * as api from "../api/tauri";
import { toApiError } from "../api/errors";
import type { ApiError, SessionInfo } from "../api/types";
import { ErrorBox } from "../dialogs/ErrorBox";
import { Icon } from "../icons";
import { allPanes } from "../state/layout";
import { layout, sessionsEpoch } from "../state/store";

/** How often an expanded list refreshes. */
const REFRESH_MS = 5000;

function describe(s: SessionInfo): string {
  const what = s.kind === "ssh" ? `ssh ${s.target ?? ""}`.trim() : "shell";
  const state =
    s.state === "exited"
      ? s.exit_signal
        ? `killed (${s.exit_signal})`
        : s.exit_code !== null && s.exit_code !== undefined
          ? `exited (${s.exit_code})`
          : "exited"
      : s.kind === "ssh" && s.link && s.link !== "up"
        ? `link ${s.link}`
        : s.state;
  const clients = s.attached_clients > 0 ? ` · ${s.attached_clients} attached` : "";
  return `${what} · ${state}${clients}`;
}

/** The sessions of one host. */
export function SessionList({ host }: { host: string }): JSX.Element {
  const [sessions, setSessions] = useState<SessionInfo[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
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
        {(sessions ?? []).map((s) => (
          <li
            key={s.session_id}
            class={`session-row ${s.state === "exited" ? "exited" : ""}`}
            data-testid={`session-${s.session_id}`}
            role="button"
            tabIndex={0}
            title="Attach in a new tab"
            onClick={() => openSessionTab(host, s)}
            onKeyDown={(e) => {
              if (e.key === "Enter") openSessionTab(host, s);
            }}
          >
            <span class={`dot ${s.state === "exited" ? "off" : open.has(s.session_id) ? "on" : "idle"}`} />
            <span class="session-text">
              <span class="session-title">{s.title || s.session_id}</span>
              <span class="session-meta">{describe(s)}</span>
            </span>
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
        ))}
      </ul>
    </div>
  );
}
