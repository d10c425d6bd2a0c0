// The result of "Test connection" (of a saved host or of the host form's values): what the
// connection found, or the error with its advice.
import type { JSX } from "preact";
import type { ApiError, ConnectInfo } from "../api/types";
import { ErrorBox } from "../dialogs/ErrorBox";

/** Where a connection test stands. */
export type TestState = { kind: "idle" } | { kind: "testing" } | { kind: "ok"; info: ConnectInfo } | { kind: "error"; error: ApiError };

/** A successful test's facts. */
export function TestResult({ info, onClose }: { info: ConnectInfo; onClose: () => void }): JSX.Element {
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

/** A test's state as shown under a host row or in the form. */
export function TestOutcome({ test, label, onClose }: { test: TestState; label: string; onClose: () => void }): JSX.Element | null {
  if (test.kind === "testing") return <div class="test-result pending">Connecting to {label}…</div>;
  if (test.kind === "ok") return <TestResult info={test.info} onClose={onClose} />;
  if (test.kind === "error") return <ErrorBox compact error={test.error} context={`Testing ${label}`} onClose={onClose} />;
  return null;
}
