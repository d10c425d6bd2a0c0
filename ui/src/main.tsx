// Entry point: outside the Tauri shell it explains what is missing instead of failing; inside,
// it renders the app, starts listening for prompts, then loads settings, hosts and the saved
// tabs (which re-attach their sessions).
import "./locale-guard";
import { render } from "preact";
import "@xterm/xterm/css/xterm.css";
import "./styles/app.css";
import "./styles/tabs.css";
import "./styles/monitor.css";
import "./styles/errors.css";
import "./styles/hosts.css";
import "./styles/settings.css";
import "./styles/policy.css";
import "./styles/panels.css";
import "./styles/recordings.css";
import "./styles/replay.css";
import "./styles/forwarding.css";
import "./styles/automation.css";
import "./styles/files.css";
import "./styles/forwards.css";
import "./styles/forwards-agent.css";
import { loadHosts, loadSettings, restoreWorkspace, watchExits } from "./actions";
import { watchSessions } from "./state/sessionWatch";
import * as api from "./api/tauri";
import { App } from "./app";
import { prompts, reportError } from "./state/store";

function NoTauri() {
  return (
    <div class="no-tauri" data-testid="no-tauri">
      <h1>Outpost</h1>
      <p>
        This is the interface of the Outpost desktop app. It needs the app's own window to reach hosts and sessions, and
        it was opened somewhere else (for example, in a web browser).
      </p>
      <p class="muted">Start the Outpost desktop app instead.</p>
    </div>
  );
}

async function start(root: HTMLElement): Promise<void> {
  render(<App />, root);
  try {
    await api.onPrompt((p) => {
      prompts.value = [...prompts.value, p];
    });
  } catch (e) {
    reportError(e, "Listening for prompts");
  }
  await loadSettings();
  const hostsLoading = loadHosts();
  await restoreWorkspace();
  watchExits();
  void watchSessions();
  await hostsLoading;
}

const root = document.getElementById("app");
if (root !== null) {
  if (api.isTauri()) {
    void start(root);
  } else {
    render(<NoTauri />, root);
    document.body.dataset.ready = "false";
  }
}
