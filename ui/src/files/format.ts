// How the file panel writes modes, times and rates; sizes use the recordings' `sizeText`.
import type { FileEntry } from "../api/generated/types";
import { sizeText } from "../recordings/format";

const TYPE_LETTER: Record<FileEntry["kind"], string> = { dir: "d", symlink: "l", file: "-", other: "?" };

/** `drwxr-xr-x`-style modes (setuid, setgid and sticky shown as `ls` does). */
export function modeText(kind: FileEntry["kind"], mode: number): string {
  const bit = (m: number, c: string) => (mode & m ? c : "-");
  const special = (exec: boolean, on: boolean, upper: string, lower: string) => (on ? (exec ? lower : upper) : exec ? "x" : "-");
  return (
    TYPE_LETTER[kind] +
    bit(0o400, "r") +
    bit(0o200, "w") +
    special((mode & 0o100) !== 0, (mode & 0o4000) !== 0, "S", "s") +
    bit(0o040, "r") +
    bit(0o020, "w") +
    special((mode & 0o010) !== 0, (mode & 0o2000) !== 0, "S", "s") +
    bit(0o004, "r") +
    bit(0o002, "w") +
    special((mode & 0o001) !== 0, (mode & 0o1000) !== 0, "T", "t")
  );
}

const pad = (n: number) => String(n).padStart(2, "0");

/** `2026-12-05 01:02`-style local times from seconds since the epoch. */
export function mtimeText(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** An entry's size column: directories show none. */
export function entrySize(e: FileEntry): string {
  return e.kind === "dir" ? "" : sizeText(e.size);
}

/** `12.3 MiB/s`-style rates, "" when unknown. */
export function rateText(bytesPerSecond: number | null): string {
  if (bytesPerSecond === null || !Number.isFinite(bytesPerSecond)) return "";
  return `${sizeText(Math.round(bytesPerSecond))}/s`;
}

/** `1:05`-style time left, "" when unknown. */
export function etaText(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "";
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)}:${pad(m % 60)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}
