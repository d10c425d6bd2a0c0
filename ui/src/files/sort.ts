// The file panel's order: folders first, then by the chosen column.
import type { FileEntry } from "../api/generated/types";

/** The columns the list sorts by. */
export type SortKey = "name" | "size" | "mtime";

/** A sort: its column and direction. */
export interface Sort {
  key: SortKey;
  descending: boolean;
}

const byName = (a: FileEntry, b: FileEntry) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** `entries` sorted (a new array): directories first, then by `sort`, ties by name. */
export function sortEntries(entries: readonly FileEntry[], sort: Sort): FileEntry[] {
  const sign = sort.descending ? -1 : 1;
  return [...entries].sort((a, b) => {
    const dirs = Number(b.kind === "dir") - Number(a.kind === "dir");
    if (dirs !== 0) return dirs;
    let c = 0;
    if (sort.key === "size") c = a.size - b.size;
    else if (sort.key === "mtime") c = a.mtime - b.mtime;
    if (c === 0) c = byName(a, b);
    return sign * c;
  });
}

/** The sort after clicking column `key`: the same column flips, another starts ascending. */
export function toggleSort(sort: Sort, key: SortKey): Sort {
  return sort.key === key ? { key, descending: !sort.descending } : { key, descending: false };
}
