// "Run in selected sessions": a command, the sessions to run it in (a tick per session shown in
// a tab; the broadcast set's, else the current tab's, ticked to begin with), a timeout, then a
// results view with one row per session — host, title, exit code (or the error's code, such as
// `session_busy`, as data), duration — and each session's output. The command runs through the
// backend's `run_in_sessions` (`session.exec` in each shell).
import type { JSX } from "preact";
import { useMemo, useState } from "preact/hooks";
import { hostLabel } from "../actions";
import { EXEC_COMMAND_MAX_BYTES, EXEC_TIMEOUT_MAX_MS, RUN_SESSIONS_MAX } from "../api/generated/limits";
import * as api from "../api/tauri";
import { toApiError } from "../api/errors";
import type { ApiError } from "../api/types";
import { Modal } from "../dialogs/Modal";
import { paneLabel } from "../state/paneMeta";
import { layout } from "../state/store";
import { durationText, keysOfTabs, requestProblem, type ResultRow, resultRows, sessionChoices, summary, timeoutMs } from "./runView";
import { runDialog } from "./state";

function ResultsView({ rows, command }: { rows: ResultRow[]; command: string }): JSX.Element {
  return (
    <div class="run-results" data-testid="run-results">
      <div class="run-summary" data-testid="run-summary">
        <code>{command}</code> — {summary(rows)}
      </div>
      <table class="run-table">
        <thead>
          <tr>
            <th>Host</th>
            <th>Session</th>
            <th>Exit</th>
            <th>Time</th>
          </tr>
        </thead>
        {rows.map((r) => (
          <tbody key={r.key} data-testid="run-row" data-host={r.host} data-session-id={r.session_id} data-state={r.state} data-exit={r.exit_code ?? ""} data-code={r.error?.code ?? ""}>
            <tr>
              <td>{hostLabel(r.host)}</td>
              <td class="automation-title" title={r.session_id}>
                {r.title} <span class="muted small">{r.session_id}</span>
              </td>
              <td class={`run-exit state-${r.state}`} data-testid="run-exit">
                {r.error !== null ? r.error.code : r.exit_code !== null ? String(r.exit_code) : "running"}
              </td>
              <td>{durationText(r.duration_ms)}</td>
            </tr>
            <tr>
              <td colSpan={4}>
                {r.error !== null ? (
                  <div class="run-error" data-testid="run-error">
                    {r.error.message}
                  </div>
                ) : (
                  <pre class="run-output" data-testid="run-output">
                    {r.output}
                    {r.truncated ? "\n[output cut]" : ""}
                    {r.timed_out ? "\n[timed out; the command goes on]" : ""}
                  </pre>
                )}
              </td>
            </tr>
          </tbody>
        ))}
      </table>
    </div>
  );
}

/** The dialog, while open. */
export function RunDialog(): JSX.Element | null {
  const open = runDialog.value;
  if (open === null) return null;
  return <RunForm preselect={open.preselect} />;
}

function RunForm({ preselect }: { preselect: string[] }): JSX.Element {
  const l = layout.value;
  const choices = useMemo(() => sessionChoices(l, paneLabel), [l]);
  const [chosen, setChosen] = useState<Set<string>>(() => new Set(keysOfTabs(l, preselect)));
  const [command, setCommand] = useState("");
  const [timeout, setTimeoutText] = useState("");
  const [interrupt, setInterrupt] = useState(false);
  const [running, setRunning] = useState(false);
  const [rows, setRows] = useState<ResultRow[] | null>(null);
  const [ran, setRan] = useState("");
  const [failed, setFailed] = useState<ApiError | null>(null);
  const close = () => (runDialog.value = null);
  const picked = choices.filter((c) => chosen.has(c.key));
  const t = timeoutMs(timeout, EXEC_TIMEOUT_MAX_MS);
  const problem = t === "invalid" ? "The timeout is a number of seconds." : requestProblem(command, picked.length, EXEC_COMMAND_MAX_BYTES, RUN_SESSIONS_MAX);

  const run = async () => {
    if (problem !== null || running || t === "invalid") return;
    setRunning(true);
    setFailed(null);
    try {
      const outcomes = await api.runInSessions({
        targets: picked.map((c) => ({ host: c.host, session_id: c.session_id })),
        command,
        timeout_ms: t,
        interrupt_on_timeout: interrupt,
      });
      setRows(resultRows(outcomes, new Map(choices.map((c) => [c.key, c.title]))));
      setRan(command);
    } catch (e) {
      setFailed(toApiError(e));
    } finally {
      setRunning(false);
    }
  };

  return (
    <Modal title="Run in selected sessions" testid="run-dialog" onCancel={close} wide>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label class="field">
          <span>Command (typed at each shell's prompt; a shell that is not at its prompt is left alone)</span>
          <input data-testid="run-command" value={command} maxLength={EXEC_COMMAND_MAX_BYTES} onInput={(e) => setCommand((e.target as HTMLInputElement).value)} spellcheck={false} autocomplete="off" />
        </label>
        <div class="run-options">
          <label>
            Timeout (s){" "}
            <input data-testid="run-timeout" class="run-timeout" value={timeout} placeholder="default" onInput={(e) => setTimeoutText((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            <input type="checkbox" checked={interrupt} onChange={(e) => setInterrupt((e.target as HTMLInputElement).checked)} /> Interrupt at the timeout
          </label>
        </div>
        <ul class="automation-list">
          {choices.map((c) => (
            <li key={c.key}>
              <label>
                <input
                  type="checkbox"
                  data-testid="run-choice"
                  data-host={c.host}
                  data-session-id={c.session_id}
                  checked={chosen.has(c.key)}
                  onChange={(e) => {
                    const next = new Set(chosen);
                    if ((e.target as HTMLInputElement).checked) next.add(c.key);
                    else next.delete(c.key);
                    setChosen(next);
                  }}
                />
                <span class="automation-title">{c.title}</span>
                <span class="muted small">
                  {hostLabel(c.host)} · {c.session_id}
                </span>
              </label>
            </li>
          ))}
        </ul>
        {problem !== null && command.length > 0 ? <div class="muted small" data-testid="run-problem">{problem}</div> : null}
        {failed !== null ? (
          <div class="run-error" data-testid="run-failed" data-code={failed.code}>
            {failed.code}: {failed.message}
          </div>
        ) : null}
        <div class="modal-actions">
          <button type="button" onClick={close}>
            Close
          </button>
          <button type="submit" class="primary" data-testid="run-submit" disabled={problem !== null || running}>
            {running ? "Running…" : `Run in ${picked.length} session${picked.length === 1 ? "" : "s"}`}
          </button>
        </div>
      </form>
      {rows !== null ? <ResultsView rows={rows} command={ran} /> : null}
    </Modal>
  );
}
