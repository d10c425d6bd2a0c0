// The file panel of one place (a host, or a session's target through it): a path bar with the
// parent and refresh buttons, the directory's entries (name, size, modified, mode; sortable),
// per entry Download, Download to… (a native save dialog), Rename and Delete (confirmed), a new
// folder, uploads picked in a native dialog (files, or a folder), typed as a path (the keyboard
// and automation fallback) or dropped on the panel, the folder downloads go to, and the
// transfers list.
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { toApiError } from "../api/errors";
import * as api from "../api/tauri";
import type { FileEntry, Listing } from "../api/generated/types";
import type { ApiError } from "../api/types";
import { ErrorBox } from "../dialogs/ErrorBox";
import { Modal } from "../dialogs/Modal";
import { Icon } from "../icons";
import { confirm } from "../state/store";
import { dropAction } from "./drop";
import { entrySize, modeText, mtimeText } from "./format";
import { crumbs, joinPath, localPaths, nameProblem, parentPath } from "./paths";
import { filesDownloadAs, pickFolder, pickSaveAs, pickUploads } from "./picker";
import { sortEntries, toggleSort, type Sort, type SortKey } from "./sort";
import { addTransfers, type FilesOf, filesOf, transfers } from "./state";
import { Transfers } from "./Transfers";

/** The inline editor open in the list: a new folder, or renaming an entry. */
type Editing = { kind: "mkdir"; name: string } | { kind: "rename"; from: string; name: string } | null;

function SortHead({ label, k, sort, onSort }: { label: string; k: SortKey; sort: Sort; onSort: (k: SortKey) => void }): JSX.Element {
  const mark = sort.key === k ? (sort.descending ? " ▾" : " ▴") : "";
  return (
    <th>
      <button class="link-button" data-testid={`files-sort-${k}`} onClick={() => onSort(k)}>
        {label}
        {mark}
      </button>
    </th>
  );
}

/** The panel. */
export function FilesPanel({ of }: { of: FilesOf }): JSX.Element {
  const at: api.FilePlace = { host: of.host, session: of.session };
  const [listing, setListing] = useState<Listing | null>(null);
  const [path, setPath] = useState(".");
  const [typedPath, setTypedPath] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [sort, setSort] = useState<Sort>({ key: "name", descending: false });
  const [editing, setEditing] = useState<Editing>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [uploadText, setUploadText] = useState("");
  const [downloadDir, setDownloadDir] = useState("");
  const [hover, setHover] = useState(false);
  // A native dialog is open: its buttons wait until it closes.
  const [picking, setPicking] = useState(false);
  const [epoch, setEpoch] = useState(0);
  const box = useRef<HTMLDivElement>(null);

  const close = () => {
    filesOf.value = null;
    void api.filesClose(at).catch(() => undefined);
  };
  const reload = () => setEpoch((n) => n + 1);
  const go = (p: string) => {
    setError(null);
    setPath(p);
  };

  useEffect(() => {
    let alive = true;
    api
      .filesList(at, path)
      .then((l) => {
        if (!alive) return;
        setListing(l);
        setTypedPath(l.path);
      })
      .catch((e: unknown) => alive && setError(toApiError(e)));
    return () => {
      alive = false;
    };
  }, [of.host, of.session, path, epoch]);

  useEffect(() => {
    api
      .filesDownloadsDir()
      .then((d) => setDownloadDir((cur) => cur || d))
      .catch(() => undefined);
  }, []);

  // A finished transfer may have changed the directory shown.
  const finished = transfers.value.filter((t) => t.state === "done").length;
  useEffect(() => {
    if (finished > 0) reload();
  }, [finished]);

  const here = listing?.path ?? null;
  const run = async (what: string, f: () => Promise<unknown>) => {
    try {
      await f();
      setError(null);
      reload();
    } catch (e) {
      const err = toApiError(e);
      setError({ ...err, message: err.message || `${what} failed` });
    }
  };

  const upload = async (paths: string[]) => {
    if (here === null) return;
    try {
      addTransfers(await api.filesUpload(at, paths, here));
      setError(null);
    } catch (e) {
      setError(toApiError(e));
    }
  };

  // Files dropped on the panel are uploaded into the directory shown.
  useEffect(() => {
    let stop: (() => void) | null = null;
    let gone = false;
    api
      .onDragDrop((ev) => {
        const r = box.current?.getBoundingClientRect();
        const action = dropAction(ev, r ? { left: r.left, top: r.top, right: r.right, bottom: r.bottom } : null, window.devicePixelRatio || 1);
        if (action?.kind === "hover") setHover(action.on);
        if (action?.kind === "upload") {
          setHover(false);
          void upload(action.paths);
        }
      })
      .then((s) => (gone ? s() : (stop = s)))
      .catch(() => undefined);
    return () => {
      gone = true;
      stop?.();
    };
  }, [here]);

  const submitEdit = async () => {
    if (editing === null || here === null) return;
    const p = nameProblem(editing.name);
    if (p !== null) {
      setProblem(p);
      return;
    }
    setProblem(null);
    const e = editing;
    setEditing(null);
    if (e.kind === "mkdir") await run("Creating the folder", () => api.filesMkdir(at, joinPath(here, e.name)));
    else if (e.name !== e.from) await run("Renaming", () => api.filesRename(at, joinPath(here, e.from), joinPath(here, e.name)));
  };

  const remove = async (entry: FileEntry) => {
    if (here === null) return;
    const what = entry.kind === "dir" ? "folder" : "file";
    const yes = await confirm(
      `Delete ${entry.name}?`,
      `The ${what} “${joinPath(here, entry.name)}” on ${of.title} is deleted${entry.kind === "dir" ? " with everything in it" : ""}. This cannot be undone.`,
      "Delete",
      true,
    );
    if (yes) await run("Deleting", () => api.filesRemove(at, joinPath(here, entry.name)));
  };

  const download = async (entry: FileEntry) => {
    if (here === null) return;
    const dir = downloadDir.trim();
    if (!dir.startsWith("/")) {
      setProblem("The download folder must be an absolute path.");
      return;
    }
    setProblem(null);
    try {
      addTransfers(await api.filesDownload(at, [joinPath(here, entry.name)], dir));
    } catch (e) {
      setError(toApiError(e));
    }
  };

  // Runs `f` with a native dialog open; a cancelled dialog does nothing.
  const pick = async (f: () => Promise<void>) => {
    if (picking) return;
    setPicking(true);
    try {
      await f();
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setPicking(false);
    }
  };

  const uploadPicked = (folder: boolean) =>
    pick(async () => {
      if (here === null) return;
      const paths = await pickUploads(`Upload to ${of.title}: ${here}`, folder);
      if (paths.length > 0) await upload(paths);
    });

  const downloadTo = (entry: FileEntry) =>
    pick(async () => {
      if (here === null) return;
      const remote = joinPath(here, entry.name);
      if (entry.kind === "dir") {
        const dir = await pickFolder(`Download “${entry.name}” into`, downloadDir.trim());
        if (dir !== null) addTransfers(await api.filesDownload(at, [remote], dir));
      } else {
        const file = await pickSaveAs(`Save “${entry.name}” as`, downloadDir.trim(), entry.name);
        if (file !== null) addTransfers([await filesDownloadAs(at, remote, file)]);
      }
    });

  const chooseDownloadDir = () =>
    pick(async () => {
      const dir = await pickFolder("Download to folder", downloadDir.trim());
      if (dir !== null) setDownloadDir(dir);
    });

  const submitUpload = () => {
    const { paths, problem: p } = localPaths(uploadText);
    setProblem(p);
    if (p === null) {
      setUploadText("");
      void upload(paths);
    }
  };

  const editor = (value: string, testid: string) => (
    <input
      class="files-edit"
      data-testid={testid}
      value={value}
      autoFocus
      onInput={(e) => editing && setEditing({ ...editing, name: e.currentTarget.value })}
      onKeyDown={(e) => {
        if (e.key === "Enter") {
          e.preventDefault();
          void submitEdit();
        } else if (e.key === "Escape") {
          e.preventDefault();
          e.stopPropagation();
          setEditing(null);
          setProblem(null);
        }
      }}
    />
  );

  const entries = listing ? sortEntries(listing.entries, sort) : [];
  return (
    <Modal title={`Files on ${of.title}`} testid="files-panel" onCancel={close} wide>
      <div ref={box} class={`files ${hover ? "drop-target" : ""}`} data-testid="files-drop">
        <div class="files-bar">
          <button
            class="icon-button"
            data-testid="files-parent"
            title="Parent folder"
            aria-label="Parent folder"
            disabled={here === null || here === "/"}
            onClick={() => here && go(parentPath(here))}
          >
            ↑
          </button>
          <nav class="files-crumbs" data-testid="files-crumbs" aria-label="Path">
            {here === null
              ? null
              : crumbs(here).map((c) => (
                  <button key={c.path} class="link-button" data-testid="files-crumb" data-path={c.path} onClick={() => go(c.path)}>
                    {c.name}
                  </button>
                ))}
          </nav>
          <form
            class="files-go"
            onSubmit={(e) => {
              e.preventDefault();
              if (typedPath.trim() !== "") go(typedPath.trim());
            }}
          >
            <input data-testid="files-path" aria-label="Go to path" value={typedPath} onInput={(e) => setTypedPath(e.currentTarget.value)} />
          </form>
          <button class="icon-button" data-testid="files-refresh" title="Refresh" aria-label="Refresh" onClick={reload}>
            ⟳
          </button>
          <button data-testid="files-mkdir" disabled={here === null} onClick={() => setEditing({ kind: "mkdir", name: "" })}>
            New folder
          </button>
        </div>
        {error ? <ErrorBox error={error} compact onClose={() => setError(null)} /> : null}
        {problem ? (
          <p class="field-error" data-testid="files-problem" role="alert">
            {problem}
          </p>
        ) : null}
        <div class="files-table-wrap">
          <table class="files-table" data-testid="files-list" data-path={here ?? ""}>
            <thead>
              <tr>
                <SortHead label="Name" k="name" sort={sort} onSort={(k) => setSort(toggleSort(sort, k))} />
                <SortHead label="Size" k="size" sort={sort} onSort={(k) => setSort(toggleSort(sort, k))} />
                <SortHead label="Modified" k="mtime" sort={sort} onSort={(k) => setSort(toggleSort(sort, k))} />
                <th>Mode</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {editing?.kind === "mkdir" ? (
                <tr>
                  <td colSpan={5}>{editor(editing.name, "files-mkdir-name")}</td>
                </tr>
              ) : null}
              {entries.map((e) => (
                <tr key={e.name} data-testid={`file-row-${e.name}`} data-kind={e.kind} class={`file-${e.kind}`}>
                  <td class="file-name">
                    {editing?.kind === "rename" && editing.from === e.name ? (
                      editor(editing.name, "files-rename-name")
                    ) : e.kind === "dir" ? (
                      <button class="link-button" data-testid={`file-open-${e.name}`} onClick={() => here && go(joinPath(here, e.name))}>
                        <Icon name="folder" /> {e.name}
                      </button>
                    ) : (
                      <span>{e.name}</span>
                    )}
                  </td>
                  <td class="num" data-testid="file-size">
                    {entrySize(e)}
                  </td>
                  <td>{mtimeText(e.mtime)}</td>
                  <td class="mono">{modeText(e.kind, e.mode)}</td>
                  <td class="file-actions">
                    <button class="small" data-testid={`file-download-${e.name}`} onClick={() => void download(e)}>
                      Download
                    </button>
                    <button class="small" data-testid={`file-download-to-${e.name}`} disabled={picking} onClick={() => void downloadTo(e)}>
                      Download to…
                    </button>
                    <button class="small" data-testid={`file-rename-${e.name}`} onClick={() => setEditing({ kind: "rename", from: e.name, name: e.name })}>
                      Rename
                    </button>
                    <button class="small danger" data-testid={`file-delete-${e.name}`} onClick={() => void remove(e)}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {listing !== null && entries.length === 0 ? (
            <p class="muted" data-testid="files-empty">
              This folder is empty. Drop files here or use “Upload files…” to upload them.
            </p>
          ) : null}
          {listing !== null && listing.omitted > 0 ? <p class="muted">{listing.omitted} more entries are not shown.</p> : null}
        </div>
        <div class="files-io">
          <label>
            Upload from this computer
            <span class="files-io-row">
              <input
                data-testid="files-upload-path"
                placeholder="/home/you/file.txt (or drop files on the panel)"
                value={uploadText}
                onInput={(e) => setUploadText(e.currentTarget.value)}
                onKeyDown={(e) => {
                  if (e.key === "Enter") {
                    e.preventDefault();
                    submitUpload();
                  }
                }}
              />
              <button data-testid="files-upload" disabled={here === null} onClick={submitUpload}>
                Upload
              </button>
              <button data-testid="files-upload-pick" disabled={here === null || picking} onClick={() => void uploadPicked(false)}>
                Upload files…
              </button>
              <button data-testid="files-upload-pick-folder" disabled={here === null || picking} onClick={() => void uploadPicked(true)}>
                Upload folder…
              </button>
            </span>
          </label>
          <label>
            Download to
            <span class="files-io-row">
              <input data-testid="files-download-dir" value={downloadDir} onInput={(e) => setDownloadDir(e.currentTarget.value)} />
              <button data-testid="files-download-dir-pick" disabled={picking} onClick={() => void chooseDownloadDir()}>
                Choose…
              </button>
            </span>
          </label>
        </div>
        <Transfers />
      </div>
      <div class="modal-actions">
        <button class="primary" data-testid="files-close" onClick={close}>
          Close
        </button>
      </div>
    </Modal>
  );
}
