// The ~/.ssh/config aliases in the sidebar, live: the list the engine reads, replaced whenever it
// reports that the file (or a file it includes) changed. Each alias connects by name without being
// saved (the engine resolves it as `ssh ALIAS` would); aliases already saved as hosts are listed
// with the hosts instead. An alias whose resolved `ForwardAgent` forwards the ssh-agent gets the
// same key badge as a saved host with forwarding on.
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { newShell } from "../actions";
import * as api from "../api/tauri";
import type { ConfigAlias } from "../api/types";
import { Icon } from "../icons";
import { dialog, hosts, reportError } from "../state/store";
import { HostName } from "./ForwardBadge";

/** The most aliases shown (a huge generated config stays usable). */
const MAX_SHOWN = 500;

/** The live list of ~/.ssh/config aliases. */
export function ConfigAliases(): JSX.Element | null {
  const [aliases, setAliases] = useState<ConfigAlias[]>([]);
  const [busy, setBusy] = useState<string | null>(null);

  useEffect(() => {
    if (!api.isTauri()) return;
    let stop: (() => void) | null = null;
    let live = true;
    void api
      .onSshConfigAliases((list) => setAliases(list))
      .then((unlisten) => {
        if (live) stop = unlisten;
        else unlisten();
      })
      .catch(() => undefined);
    void api
      .sshConfigAliases()
      .then((list) => live && setAliases(list))
      .catch(() => undefined);
    return () => {
      live = false;
      stop?.();
    };
  }, []);

  const saved = new Set(hosts.value.map((h) => h.name));
  const shown = aliases.filter((a) => !saved.has(a.name)).slice(0, MAX_SHOWN);
  if (shown.length === 0) return null;

  const shell = async (alias: string) => {
    setBusy(alias);
    try {
      await newShell(alias);
    } catch (e) {
      reportError(e, `Connecting to ${alias}`);
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      <div class="sidebar-section" title="Hosts from ~/.ssh/config, connected by name (not saved)">
        ~/.ssh/config
      </div>
      <ul class="host-list" data-testid="ssh-config-aliases">
        {shown.map(({ name: alias, forwards_agent }) => (
          <li key={alias} class="host-item">
            <div class="host-head">
              <div class="host-row" data-testid={`alias-${alias}`} title={`ssh ${alias}`}>
                <span class="host-icon">
                  <Icon name="server" />
                </span>
                <span class="host-text">
                  <HostName name={alias} forwards={forwards_agent}>
                    {alias}
                  </HostName>
                  <span class="host-address">~/.ssh/config</span>
                </span>
              </div>
              <div class="host-actions">
                <button
                  class="icon-button"
                  data-testid={`alias-shell-${alias}`}
                  title="New shell"
                  aria-label={`New shell on ${alias}`}
                  disabled={busy === alias}
                  onClick={() => void shell(alias)}
                >
                  <Icon name="terminal" />
                </button>
                <button
                  class="icon-button"
                  data-testid={`alias-ssh-${alias}`}
                  title="New SSH to…"
                  aria-label={`New SSH from ${alias} to…`}
                  onClick={() => (dialog.value = { kind: "new_ssh", host: alias })}
                >
                  <Icon name="ssh" />
                </button>
              </div>
            </div>
          </li>
        ))}
      </ul>
    </>
  );
}
