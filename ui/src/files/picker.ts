// The file panel's native pickers, through the Tauri dialog plugin (GTK's file chooser on
// Linux): files or a folder to upload, a folder to download into, and the file a download is
// saved as. A cancelled dialog is no choice, never an error. The "save as" download goes to the
// `files_download_as` command (src-tauri/src/gui/commands/files_picker.rs).
import { invoke } from "@tauri-apps/api/core";
import { open, save } from "@tauri-apps/plugin-dialog";
import { toApiError } from "../api/errors";
import type { TransferStarted } from "../api/generated/types";
import type { FilePlace } from "../api/tauri";
import { joinPath } from "./paths";

/** What an open dialog returned, as the paths chosen: none when it was cancelled. */
export function chosen(result: string | string[] | null | undefined): string[] {
  if (result === null || result === undefined) return [];
  return (Array.isArray(result) ? result : [result]).filter((p) => p !== "");
}

/** Local files to upload (several at once), or with `folder` one folder (uploaded with its contents). */
export async function pickUploads(title: string, folder: boolean): Promise<string[]> {
  return chosen(await open({ title, multiple: !folder, directory: folder }));
}

/** A local folder, starting in `from` when it is one; null when cancelled. */
export async function pickFolder(title: string, from: string): Promise<string | null> {
  const [dir] = chosen(await open({ title, directory: true, multiple: false, defaultPath: from || undefined }));
  return dir ?? null;
}

/** The local file to save remote file `name` as, proposed in folder `dir`; null when cancelled. */
export async function pickSaveAs(title: string, dir: string, name: string): Promise<string | null> {
  const [file] = chosen(await save({ title, defaultPath: dir.startsWith("/") ? joinPath(dir, name) : name }));
  return file ?? null;
}

/** Downloads remote `path` to local file `file` (not into a folder). */
export async function filesDownloadAs(at: FilePlace, path: string, file: string): Promise<TransferStarted> {
  try {
    return await invoke<TransferStarted>("files_download_as", { ...at, path, file });
  } catch (e) {
    throw toApiError(e);
  }
}
