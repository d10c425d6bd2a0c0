// What is known about a pane beyond its layout entry, read from the store: its title (the one the
// terminal set, else the agent's, else the session's), its bell and activity marks, and its host's
// colour. Small accessors so the
// tab strip, the palette and the session list agree.
import { hostColorCss } from "../sidebar/hostColor";
import type { PaneRef } from "./layout";
import { hosts, localHome, paneMarks, sessionInfo, sessionKey } from "./store";
import { extras, homeOf, paneTitle } from "./titles";

/** The CSS colour the user gave a host, if any. */
export function hostColor(host: string): string | null {
  return hostColorCss(hosts.value.find((x) => x.name === host));
}

/** The title the pane's terminal last set (OSC 0/2), if any. */
export function terminalTitle(p: PaneRef): string | null {
  return paneMarks.value[p.pane_id]?.title ?? null;
}

/** Whether any of the panes rang the bell, or printed, while not on screen. */
export function attention(panes: readonly PaneRef[]): { bell: boolean; activity: boolean } {
  const marks = paneMarks.value;
  return {
    bell: panes.some((p) => marks[p.pane_id]?.bell === true),
    activity: panes.some((p) => marks[p.pane_id]?.activity === true),
  };
}

/** A pane's title (without one: its program and directory, the host's home as "~"). */
export function paneLabel(p: PaneRef): string {
  const info = sessionInfo.value[sessionKey(p.host, p.session_id)];
  const more = info ? extras(info) : {};
  const user = hosts.value.find((x) => x.name === p.host)?.user;
  return paneTitle(terminalTitle(p), more.terminal_title, info?.title || p.title, {
    foreground: more.foreground,
    cwd: more.cwd,
    home: homeOf(p.host, user, localHome.value),
  });
}
