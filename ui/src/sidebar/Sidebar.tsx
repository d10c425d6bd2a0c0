// The hosts sidebar: "This computer" first, then saved and imported hosts; buttons to add a
// host and to import ~/.ssh/config.
import type { JSX } from "preact";
import { importSshConfig } from "../actions";
import { Icon } from "../icons";
import { dialog, hosts, hostsLoaded } from "../state/store";
import { ConfigAliases } from "./ConfigAliases";
import { HostRow } from "./HostRow";

/** The sidebar. */
export function Sidebar(): JSX.Element {
  const list = [...hosts.value].sort((a, b) => (a.name === "local" ? -1 : b.name === "local" ? 1 : 0));
  return (
    <aside class="sidebar">
      <div class="sidebar-head">
        <span class="brand">Outpost</span>
        <span class="spacer" />
        <button class="icon-button" title="Import hosts from ~/.ssh/config" aria-label="Import hosts from ~/.ssh/config" data-testid="import-ssh-config" onClick={() => void importSshConfig()}>
          <Icon name="import" />
        </button>
        <button class="icon-button" data-testid="add-host" title="Add host" aria-label="Add host" onClick={() => (dialog.value = { kind: "host_form", host: null })}>
          <Icon name="plus" />
        </button>
      </div>
      <div class="sidebar-section">Hosts</div>
      <ul class="host-list">
        {list.map((h) => (
          <HostRow key={h.name} host={h} />
        ))}
      </ul>
      {hostsLoaded.value && list.length === 0 ? <div class="muted small pad">No hosts could be listed.</div> : null}
      <ConfigAliases />
      <div class="sidebar-foot">
        <button class="icon-button" data-testid="open-settings" title="Settings" aria-label="Settings" onClick={() => (dialog.value = { kind: "settings" })}>
          <Icon name="settings" />
        </button>
      </div>
    </aside>
  );
}
