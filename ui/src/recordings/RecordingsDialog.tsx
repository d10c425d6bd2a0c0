// The recordings of one session: name, start, length and size of each file, a Replay button per
// file (it opens the recording in a replay tab), and starting or stopping the session's recording.
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { toApiError } from "../api/errors";
import * as api from "../api/tauri";
import type { ApiError, RecordingInfo } from "../api/types";
import { ErrorBox } from "../dialogs/ErrorBox";
import { Modal } from "../dialogs/Modal";
import { durationText, sizeText } from "./format";
import { openReplay, type RecordingsOf, recordingsOf } from "./state";

/** The dialog. */
export function RecordingsDialog({ of }: { of: RecordingsOf }): JSX.Element {
  const [list, setList] = useState<RecordingInfo[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [epoch, setEpoch] = useState(0);
  const close = () => (recordingsOf.value = null);

  useEffect(() => {
    let alive = true;
    api
      .recordingsList(of.host, of.session_id)
      .then((l) => alive && (setList(l), setError(null)))
      .catch((e: unknown) => alive && setError(toApiError(e)));
    return () => {
      alive = false;
    };
  }, [of.host, of.session_id, epoch]);

  const record = (on: boolean) =>
    api
      .sessionRecord(of.host, of.session_id, on)
      .then(() => setEpoch((n) => n + 1))
      .catch((e: unknown) => setError(toApiError(e)));

  return (
    <Modal title={`Recordings of ${of.title}`} testid="recordings-dialog" onCancel={close} wide>
      {error ? <ErrorBox error={error} /> : null}
      {list === null ? (
        <p class="muted">Loading…</p>
      ) : list.length === 0 ? (
        <p class="muted" data-testid="recordings-empty">
          This session has no recordings.
        </p>
      ) : (
        <table class="recordings-table" data-testid="recordings-list">
          <thead>
            <tr>
              <th>Started</th>
              <th>Length</th>
              <th>Size</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {[...list].reverse().map((r) => (
              <tr key={r.name} data-testid="recording-row" title={r.name}>
                <td>{new Date(r.started).toLocaleString()}</td>
                <td>{durationText(r.duration_ms)}</td>
                <td>{sizeText(r.bytes)}</td>
                <td>
                  <button
                    data-testid="recording-replay"
                    onClick={() => {
                      openReplay(of.host, r.name, of.title);
                      close();
                    }}
                  >
                    Replay
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="modal-actions">
        <button data-testid="recording-start" onClick={() => void record(true)}>
          Start recording
        </button>
        <button data-testid="recording-stop" onClick={() => void record(false)}>
          Stop recording
        </button>
        <button class="primary" onClick={close}>
          Close
        </button>
      </div>
    </Modal>
  );
}
