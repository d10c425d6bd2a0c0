// Settings: theme, terminal font size, copy on selection; the keyboard shortcuts; the app's
// version and configuration directory.
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { stepFontSize, updateSettings } from "../actions";
import * as api from "../api/tauri";
import type { AppInfo } from "../api/types";
import { FONT_MAX, FONT_MIN } from "../state/settings";
import { dialog, settings } from "../state/store";
import { SHORTCUTS } from "../shortcuts";
import { Modal } from "./Modal";

const NAMES: Record<string, string> = {
  copy: "Copy selection",
  paste: "Paste",
  find: "Find in scrollback",
  font_bigger: "Bigger font",
  font_smaller: "Smaller font",
  font_reset: "Default font size",
  new_shell: "New shell on the current host",
  close_tab: "Close tab (session keeps running)",
  next_tab: "Next tab",
  prev_tab: "Previous tab",
  split_row: "Split right",
  split_column: "Split down",
  toggle_monitor: "Show or hide monitoring",
};

/** The settings dialog. */
export function SettingsDialog(): JSX.Element {
  const s = settings.value;
  const [info, setInfo] = useState<AppInfo | null>(null);
  useEffect(() => {
    api.appInfo().then(setInfo, () => setInfo(null));
  }, []);
  const close = () => (dialog.value = null);
  return (
    <Modal title="Settings" testid="dialog-settings" onCancel={close} wide>
      <div class="settings-grid">
        <div class="setting">
          <span class="setting-label">Theme</span>
          <div class="segmented" role="radiogroup">
            {(["dark", "light"] as const).map((t) => (
              <button key={t} role="radio" aria-checked={s.theme === t} class={s.theme === t ? "on" : ""} data-testid={`theme-${t}`} onClick={() => updateSettings({ theme: t })}>
                {t === "dark" ? "Dark" : "Light"}
              </button>
            ))}
          </div>
        </div>
        <div class="setting">
          <span class="setting-label">Terminal font size</span>
          <div class="stepper">
            <button aria-label="Smaller" onClick={() => stepFontSize(-1)} disabled={s.font_size <= FONT_MIN}>
              −
            </button>
            <input
              data-testid="font-size"
              type="number"
              min={FONT_MIN}
              max={FONT_MAX}
              value={s.font_size}
              onChange={(e) => updateSettings({ font_size: Number(e.currentTarget.value) })}
            />
            <button aria-label="Bigger" onClick={() => stepFontSize(1)} disabled={s.font_size >= FONT_MAX}>
              +
            </button>
            <button onClick={() => stepFontSize(0)}>Reset</button>
          </div>
        </div>
        <label class="setting">
          <span class="setting-label">Copy on selection</span>
          <input type="checkbox" data-testid="copy-on-select" checked={s.copy_on_select} onChange={(e) => updateSettings({ copy_on_select: e.currentTarget.checked })} />
        </label>
        <label class="setting">
          <span class="setting-label">Ask before pasting several lines</span>
          <input
            type="checkbox"
            data-testid="confirm-multiline-paste"
            checked={s.confirm_multiline_paste}
            onChange={(e) => updateSettings({ confirm_multiline_paste: e.currentTarget.checked })}
          />
        </label>
        <label class="setting">
          <span class="setting-label">Show the monitoring panel</span>
          <input type="checkbox" checked={s.monitor_open} onChange={(e) => updateSettings({ monitor_open: e.currentTarget.checked })} />
        </label>
      </div>
      <h3 class="subhead">Keyboard shortcuts</h3>
      <table class="shortcuts">
        <tbody>
          {SHORTCUTS.map((b) => (
            <tr key={b.action}>
              <td>{NAMES[b.action] ?? b.action}</td>
              <td>
                <kbd>{b.label}</kbd>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {info ? (
        <p class="muted small">
          Outpost {info.version} · settings in <span class="mono">{info.config_dir}</span>
        </p>
      ) : null}
      <div class="modal-actions">
        <button class="primary" onClick={close}>
          Done
        </button>
      </div>
    </Modal>
  );
}
