// Keeps what tab labels read about open sessions current: the home directory of this computer
// (once), every `session-changed` event (a title or working directory the agent saw change), and
// every few seconds the session list of each host that has open panes (the foreground program is
// only listed, never pushed). A failed list changes nothing; the sidebar shows list errors.
import * as api from "../api/tauri";
import { allPanes } from "./layout";
import { layout, localHome, patchSession, setHostSessions } from "./store";

/** How often the hosts of open panes are listed. */
export const WATCH_MS = 5000;

async function listOpenHosts(): Promise<void> {
  const hosts = new Set(allPanes(layout.peek()).map((p) => p.host));
  await Promise.all(
    [...hosts].map(async (host) => {
      try {
        setHostSessions(host, await api.sessionsList(host));
      } catch {
        // Unreachable for now: keep what was known.
      }
    }),
  );
}

/** Starts watching; runs for the life of the window. */
export async function watchSessions(): Promise<void> {
  api.appInfo().then(
    (info) => (localHome.value = info.home ?? null),
    () => {},
  );
  try {
    await api.onSessionChanged((c) => patchSession(c.host, c.session_id, { terminal_title: c.terminal_title, cwd: c.cwd }));
  } catch {
    // Without the event the periodic list still brings changes.
  }
  let busy = false;
  const tick = () => {
    if (busy) return;
    busy = true;
    void listOpenHosts().finally(() => (busy = false));
  };
  tick();
  setInterval(tick, WATCH_MS);
}
