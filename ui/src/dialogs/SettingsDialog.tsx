// Settings: colour scheme, terminal font (size and family), cursor, scrollback, copy on selection,
// close on exit, panels; the AI agents' (MCP) policy; the keyboard shortcuts of every action, rebindable (a conflict is named
// and the chord is not taken); the app's version and configuration directory.
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ACTIONS, stepFontSize, updateSettings } from "../actions";
import * as api from "../api/tauri";
import type { AppInfo } from "../api/types";
import { type CloseOnExit, type CursorStyle, FONT_MAX, FONT_MIN, SCHEMES, SCROLLBACK_MAX, SCROLLBACK_MIN } from "../state/settings";
import { dialog, recordingShortcut, settings } from "../state/store";
import { chordOf, chordProblem, conflicts, DEFAULT_KEYS, effectiveKeys } from "../shortcuts";
import { SCHEME_NAMES } from "../terminal/theme";
import { Modal } from "./Modal";
import { PolicySection } from "./settings/PolicySection";

const FONTS = ["JetBrains Mono", "DejaVu Sans Mono", "Liberation Mono", "Fira Code", "Source Code Pro", "Ubuntu Mono", "Noto Sans Mono", "monospace"];

/** The shortcut table: each action's chords, a button to record a new one, and reset. */
function Shortcuts(): JSX.Element {
  const s = settings.value;
  const keys = effectiveKeys(s.keybindings);
  const [recording, setRecording] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const bind = (action: string, chords: readonly string[]) => updateSettings({ keybindings: { ...s.keybindings, [action]: [...chords] } });
  const reset = (action: string) => {
    const next = { ...s.keybindings };
    delete next[action];
    updateSettings({ keybindings: next });
  };

  useEffect(() => {
    recordingShortcut.value = recording !== null;
    if (recording === null) return;
    const onKey = (e: KeyboardEvent) => {
      e.preventDefault();
      e.stopPropagation();
      if (e.key === "Escape") {
        setRecording(null);
        return;
      }
      const chord = chordOf(e);
      if (chord === null) return;
      const why = chordProblem(chord);
      if (why !== null) {
        setProblem(why);
        return;
      }
      const clash = conflicts({ ...keys, [recording]: [chord] }).find((c) => c.chord === chord);
      const other = clash?.actions.find((a) => a !== recording);
      if (other !== undefined) {
        setProblem(`${chord} is already “${ACTIONS.find((a) => a.id === other)?.label ?? other}”. Change that one first.`);
        return;
      }
      setProblem(null);
      setRecording(null);
      bind(recording, [chord]);
    };
    window.addEventListener("keydown", onKey, true);
    return () => {
      recordingShortcut.value = false;
      window.removeEventListener("keydown", onKey, true);
    };
  }, [recording, s.keybindings]);

  const clashes = conflicts(keys);
  return (
    <>
      <h3 class="subhead">Keyboard shortcuts</h3>
      {problem ? (
        <p class="settings-problem" data-testid="shortcut-problem" role="alert">
          {problem}
        </p>
      ) : null}
      {clashes.length > 0 ? (
        <p class="settings-problem" data-testid="shortcut-conflicts">
          Bound twice: {clashes.map((c) => `${c.chord} (${c.actions.join(", ")})`).join("; ")}
        </p>
      ) : null}
      <table class="shortcuts" data-testid="shortcuts">
        <tbody>
          {ACTIONS.map((a) => {
            const chords = keys[a.id] ?? [];
            const changed = a.id in s.keybindings;
            return (
              <tr key={a.id} data-action={a.id}>
                <td>{a.label}</td>
                <td>
                  {recording === a.id ? (
                    <span class="recording">Press the new shortcut (Escape cancels)…</span>
                  ) : chords.length > 0 ? (
                    chords.map((c) => <kbd key={c}>{c}</kbd>)
                  ) : (
                    <span class="muted small">none</span>
                  )}
                </td>
                <td class="shortcut-buttons">
                  {a.id in DEFAULT_KEYS ? (
                    <>
                      <button class="small" data-testid={`rebind-${a.id}`} onClick={() => (setProblem(null), setRecording(a.id))}>
                        Change
                      </button>
                      {chords.length > 0 ? (
                        <button class="small" onClick={() => bind(a.id, [])} title="No shortcut for this action">
                          Clear
                        </button>
                      ) : null}
                      {changed ? (
                        <button class="small" onClick={() => reset(a.id)}>
                          Reset
                        </button>
                      ) : null}
                    </>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

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
        <label class="setting">
          <span class="setting-label">Colour scheme</span>
          <select data-testid="scheme" value={s.theme} onChange={(e) => updateSettings({ theme: e.currentTarget.value as (typeof SCHEMES)[number] })}>
            {SCHEMES.map((t) => (
              <option key={t} value={t}>
                {SCHEME_NAMES[t]}
              </option>
            ))}
          </select>
        </label>
        <label class="setting">
          <span class="setting-label">Terminal font</span>
          <input
            data-testid="font-family"
            list="font-families"
            placeholder="JetBrains Mono (built-in stack)"
            value={s.font_family}
            onChange={(e) => updateSettings({ font_family: e.currentTarget.value })}
          />
          <datalist id="font-families">
            {FONTS.map((f) => (
              <option key={f} value={f} />
            ))}
          </datalist>
        </label>
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
          <span class="setting-label">Cursor</span>
          <select data-testid="cursor-style" value={s.cursor_style} onChange={(e) => updateSettings({ cursor_style: e.currentTarget.value as CursorStyle })}>
            <option value="block">Block</option>
            <option value="underline">Underline</option>
            <option value="bar">Bar</option>
          </select>
        </label>
        <label class="setting">
          <span class="setting-label">Scrollback (lines)</span>
          <input
            data-testid="scrollback"
            type="number"
            min={SCROLLBACK_MIN}
            max={SCROLLBACK_MAX}
            step={1000}
            value={s.scrollback}
            onChange={(e) => updateSettings({ scrollback: Number(e.currentTarget.value) })}
          />
        </label>
        <label class="setting">
          <span class="setting-label">When a session exits</span>
          <select data-testid="close-on-exit" value={s.close_on_exit} onChange={(e) => updateSettings({ close_on_exit: e.currentTarget.value as CloseOnExit })}>
            <option value="clean">Close its tab and end it if it exited with code 0</option>
            <option value="always">Close its tab and end it on any exit</option>
            <option value="never">Keep the tab showing how it exited</option>
          </select>
        </label>
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
          <span class="setting-label">Show the sidebar</span>
          <input type="checkbox" data-testid="sidebar-open" checked={s.sidebar_open} onChange={(e) => updateSettings({ sidebar_open: e.currentTarget.checked })} />
        </label>
        <label class="setting">
          <span class="setting-label">Show the monitoring panel</span>
          <input type="checkbox" checked={s.monitor_open} onChange={(e) => updateSettings({ monitor_open: e.currentTarget.checked })} />
        </label>
        <label class="setting">
          <span class="setting-label">
            Allow <span class="mono">Match exec</span> in ssh_config
            <span class="setting-note muted small" data-testid="ssh-match-exec-risk">
              Reading your ssh_config then runs the commands of its <span class="mono">Match exec</span> lines on this computer, as{" "}
              <span class="mono">ssh</span> does: anyone who can edit that file can run programs as you.
            </span>
          </span>
          <input type="checkbox" data-testid="ssh-match-exec" checked={s.ssh_match_exec} onChange={(e) => updateSettings({ ssh_match_exec: e.currentTarget.checked })} />
        </label>
      </div>
      <Shortcuts />
      <PolicySection />
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
