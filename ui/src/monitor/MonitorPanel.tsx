// The monitoring panel on the right: the agent host of the selected tab, and the target of
// every open ssh session. Unmounting it (hiding the panel) ends every subscription.
import type { JSX } from "preact";
import { hostLabel } from "../actions";
import type { MonitorTarget } from "../api/types";
import { allPanes } from "../state/layout";
import { currentPane, layout } from "../state/store";
import { HostMonitor } from "./HostMonitor";

interface Monitored {
  key: string;
  host: string;
  target: MonitorTarget;
  label: string;
}

/** What the panel shows, in order. */
function monitored(): Monitored[] {
  const agentHost = currentPane.value?.host ?? "local";
  const out: Monitored[] = [{ key: `${agentHost}|agent`, host: agentHost, target: "agent", label: hostLabel(agentHost) }];
  const seen = new Set<string>();
  for (const p of allPanes(layout.value)) {
    if (p.kind !== "ssh") continue;
    const key = `${p.host}|${p.session_id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ key, host: p.host, target: { session_id: p.session_id }, label: `${p.title} via ${hostLabel(p.host)}` });
  }
  return out;
}

/** The panel. */
export function MonitorPanel(): JSX.Element {
  return (
    <aside class="monitor-panel" data-testid="monitor-panel">
      <div class="panel-head">Monitoring</div>
      <div class="monitor-scroll">
        {monitored().map((m) => (
          <HostMonitor key={m.key} host={m.host} target={m.target} label={m.label} />
        ))}
      </div>
    </aside>
  );
}
