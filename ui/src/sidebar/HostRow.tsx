// One host in the sidebar: its colour mark, name and address, a key badge when it forwards the
// ssh-agent, its actions (new shell, new SSH, test, edit, remove), the connection test's result,
// and, when expanded, its live sessions.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { hostLabel, loadHosts, newShell } from "../actions";
import * as api from "../api/tauri";
import { toApiError } from "../api/errors";
import type { Host } from "../api/types";
import { Icon } from "../icons";
import { confirm, dialog, reportError } from "../state/store";
import { openFiles } from "../files/state";
import { openForwards } from "../forwards/state";
import { HostName } from "./ForwardBadge";
import { HOST_COLORS } from "./hostColor";
import { hostAddress } from "./hostForm";
import { TestOutcome, type TestState } from "./TestResult";
import { SessionList } from "./SessionList";

/** A host row with its sessions. */
export function HostRow({ host }: { host: Host }): JSX.Element {
  const [expanded, setExpanded] = useState(false);
  const [test, setTest] = useState<TestState>({ kind: "idle" });
  const [busy, setBusy] = useState(false);
  const name = host.name;
  const builtin = host.source === "builtin";

  const runTest = async () => {
    setTest({ kind: "testing" });
    try {
      setTest({ kind: "ok", info: await api.hostTest(name) });
    } catch (e) {
      const error = toApiError(e);
      setTest({ kind: "error", error });
      if (error.code === "host_key_changed") reportError(error);
    }
  };

  const remove = async () => {
    const yes = await confirm(
      `Remove ${name}?`,
      `The saved host “${name}” is removed from Outpost. Sessions already running on it keep running; nothing on the host changes.`,
      "Remove",
      true,
    );
    if (!yes) return;
    try {
      await api.hostRemove(name);
      await loadHosts();
    } catch (e) {
      reportError(e, `Removing ${name}`);
    }
  };

  const shell = async () => {
    setBusy(true);
    try {
      await newShell(name);
    } finally {
      setBusy(false);
    }
  };

  return (
    <li
      class={`host-item ${expanded ? "expanded" : ""} ${host.color ? "coloured" : ""}`}
      style={host.color ? { "--host-color": HOST_COLORS[host.color].css } : undefined}
    >
      <div class="host-head">
        <div
          class="host-row"
          data-testid={`host-${name}`}
          role="button"
          tabIndex={0}
          aria-expanded={expanded}
          title={expanded ? "Hide sessions" : "Show sessions"}
          onClick={() => setExpanded(!expanded)}
          onKeyDown={(e) => {
            if (e.key === "Enter" || e.key === " ") {
              e.preventDefault();
              setExpanded(!expanded);
            }
          }}
        >
          <span class="chevron">
            <Icon name="chevron" />
          </span>
          <span
            class={`host-icon ${host.color ? "coloured" : ""}`}
            data-testid={`host-color-${name}`}
            data-color={host.color ?? ""}
            title={host.color ? `Colour: ${HOST_COLORS[host.color].label}` : undefined}
          >
            <Icon name={builtin ? "computer" : "server"} />
          </span>
          <span class="host-text">
            <HostName name={name} forwards={host.forward_agent === true}>
              {hostLabel(name)}
            </HostName>
            <span class="host-address">
              {builtin ? "local agent" : hostAddress(host)}
              {host.proxy_jump.length > 0 ? ` via ${host.proxy_jump.join(" → ")}` : ""}
            </span>
          </span>
        </div>
        <div class="host-actions">
          <button class="icon-button" data-testid={`new-shell-${name}`} title="New shell" aria-label="New shell" disabled={busy} onClick={shell}>
            <Icon name="terminal" />
          </button>
          <button
            class="icon-button"
            data-testid={`new-ssh-${name}`}
            title="New SSH to…"
            aria-label="New SSH to…"
            onClick={() => (dialog.value = { kind: "new_ssh", host: name })}
          >
            <Icon name="ssh" />
          </button>
          <button
            class="icon-button"
            data-testid={`test-host-${name}`}
            title="Test connection"
            aria-label="Test connection"
            disabled={test.kind === "testing"}
            onClick={runTest}
          >
            <Icon name="pulse" />
          </button>
          {builtin ? null : (
            <>
              <button
                class="icon-button"
                data-testid={`files-host-${name}`}
                title="Files"
                aria-label="Files"
                onClick={() => openFiles(name, null, hostLabel(name))}
              >
                <Icon name="folder" />
              </button>
              <button
                class="icon-button"
                data-testid={`forwards-host-${name}`}
                title="Port forwards"
                aria-label="Port forwards"
                onClick={() => openForwards(name)}
              >
                <Icon name="forward" />
              </button>
              <button
                class="icon-button"
                data-testid={`edit-host-${name}`}
                title="Edit host"
                aria-label="Edit host"
                onClick={() => (dialog.value = { kind: "host_form", host })}
              >
                <Icon name="edit" />
              </button>
              <button class="icon-button" data-testid={`remove-host-${name}`} title="Remove host" aria-label="Remove host" onClick={remove}>
                <Icon name="trash" />
              </button>
            </>
          )}
        </div>
      </div>
      <TestOutcome test={test} label={hostLabel(name)} onClose={() => setTest({ kind: "idle" })} />
      {expanded ? <SessionList host={name} /> : null}
    </li>
  );
}
