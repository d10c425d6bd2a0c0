// One host in the sidebar: its name and address, its actions (new shell, new SSH, test, edit,
// remove), the connection test's result, and, when expanded, its live sessions.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { hostLabel, loadHosts, newShell } from "../actions";
import * as api from "../api/tauri";
import { toApiError } from "../api/errors";
import type { ApiError, ConnectInfo, Host } from "../api/types";
import { ErrorBox } from "../dialogs/ErrorBox";
import { Icon } from "../icons";
import { confirm, dialog, reportError } from "../state/store";
import { hostAddress } from "./hostForm";
import { SessionList } from "./SessionList";

type TestState = { kind: "idle" } | { kind: "testing" } | { kind: "ok"; info: ConnectInfo } | { kind: "error"; error: ApiError };

function TestResult({ info, onClose }: { info: ConnectInfo; onClose: () => void }): JSX.Element {
  return (
    <div class="test-result" data-testid="host-test-result" role="status">
      <div class="error-head">
        <strong>Connection works</strong>
        <button class="icon-button small" aria-label="Dismiss" title="Dismiss" onClick={onClose}>
          ×
        </button>
      </div>
      <dl class="facts tight">
        <dt>Host name</dt>
        <dd>{info.hostname}</dd>
        <dt>Platform</dt>
        <dd>{info.platform}</dd>
        <dt>User</dt>
        <dd>{info.user}</dd>
        <dt>Latency</dt>
        <dd>
          {Math.round(info.latency_ms)} ms <span class="muted">(connect {Math.round(info.connect_ms)} ms)</span>
        </dd>
        <dt>Agent</dt>
        <dd>
          {info.agent_version} <span class="muted">{info.deployed ? "— installed just now" : "— already installed"}</span>
        </dd>
      </dl>
      {info.preamble.length > 0 ? (
        <div class="preamble">
          The host's shell printed this before the agent started (harmless, but it slows every connection; check your
          shell startup files):
          <pre>{info.preamble.join("\n")}</pre>
        </div>
      ) : null}
    </div>
  );
}

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
    <li class={`host-item ${expanded ? "expanded" : ""}`}>
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
          <span class="host-icon">
            <Icon name={builtin ? "computer" : "server"} />
          </span>
          <span class="host-text">
            <span class="host-name">{hostLabel(name)}</span>
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
      {test.kind === "testing" ? <div class="test-result pending">Connecting to {hostLabel(name)}…</div> : null}
      {test.kind === "ok" ? <TestResult info={test.info} onClose={() => setTest({ kind: "idle" })} /> : null}
      {test.kind === "error" ? (
        <ErrorBox compact error={test.error} context={`Testing ${hostLabel(name)}`} onClose={() => setTest({ kind: "idle" })} />
      ) : null}
      {expanded ? <SessionList host={name} /> : null}
    </li>
  );
}
