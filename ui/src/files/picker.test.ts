import { beforeEach, describe, expect, it, vi } from "vitest";

const dialog = vi.hoisted(() => ({ open: vi.fn(), save: vi.fn(), invoke: vi.fn() }));
vi.mock("@tauri-apps/plugin-dialog", () => ({ open: dialog.open, save: dialog.save }));
vi.mock("@tauri-apps/api/core", () => ({ invoke: dialog.invoke }));

import { chosen, filesDownloadAs, pickFolder, pickSaveAs, pickUploads } from "./picker";

beforeEach(() => {
  dialog.open.mockReset();
  dialog.save.mockReset();
  dialog.invoke.mockReset();
});

describe("the native pickers", () => {
  it("read a cancelled dialog as no choice", async () => {
    expect(chosen(null)).toEqual([]);
    expect(chosen(undefined)).toEqual([]);
    dialog.open.mockResolvedValue(null);
    dialog.save.mockResolvedValue(null);
    expect(await pickUploads("Upload", false)).toEqual([]);
    expect(await pickFolder("Folder", "/home/u")).toBeNull();
    expect(await pickSaveAs("Save", "/home/u/Downloads", "a.txt")).toBeNull();
  });

  it("pick several files, or one folder", async () => {
    dialog.open.mockResolvedValueOnce(["/tmp/a", "/tmp/b"]);
    expect(await pickUploads("Upload to h: /srv", false)).toEqual(["/tmp/a", "/tmp/b"]);
    expect(dialog.open).toHaveBeenLastCalledWith({ title: "Upload to h: /srv", multiple: true, directory: false });
    dialog.open.mockResolvedValueOnce("/tmp/tree");
    expect(await pickUploads("Upload", true)).toEqual(["/tmp/tree"]);
    expect(dialog.open).toHaveBeenLastCalledWith({ title: "Upload", multiple: false, directory: true });
  });

  it("start a folder picker in the current folder, when there is one", async () => {
    dialog.open.mockResolvedValue("/data");
    expect(await pickFolder("Folder", "/home/u/Downloads")).toBe("/data");
    expect(dialog.open).toHaveBeenLastCalledWith({ title: "Folder", directory: true, multiple: false, defaultPath: "/home/u/Downloads" });
    await pickFolder("Folder", "");
    expect(dialog.open).toHaveBeenLastCalledWith({ title: "Folder", directory: true, multiple: false, defaultPath: undefined });
  });

  it("propose the remote name in the download folder when saving", async () => {
    dialog.save.mockResolvedValue("/data/renamed.bin");
    expect(await pickSaveAs("Save", "/home/u/Downloads", "r.bin")).toBe("/data/renamed.bin");
    expect(dialog.save).toHaveBeenLastCalledWith({ title: "Save", defaultPath: "/home/u/Downloads/r.bin" });
    await pickSaveAs("Save", "not absolute", "r.bin");
    expect(dialog.save).toHaveBeenLastCalledWith({ title: "Save", defaultPath: "r.bin" });
  });

  it("download to the chosen file, and turn a refusal into an ApiError", async () => {
    const started = { id: "t1", direction: "download", source: "h:/r.bin", dest: "/data/x" };
    dialog.invoke.mockResolvedValueOnce(started);
    const at = { host: "h", session: null };
    expect(await filesDownloadAs(at, "/r.bin", "/data/x")).toEqual(started);
    expect(dialog.invoke).toHaveBeenLastCalledWith("files_download_as", { host: "h", session: null, path: "/r.bin", file: "/data/x" });
    dialog.invoke.mockRejectedValueOnce({ code: "invalid", message: "/data is a folder", details: null });
    await expect(filesDownloadAs(at, "/r.bin", "/data")).rejects.toEqual({ code: "invalid", message: "/data is a folder", details: null });
  });
});
