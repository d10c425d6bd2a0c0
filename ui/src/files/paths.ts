// Remote paths as the file panel writes them: `/`-separated, absolute (the panel resolves
// relative ones through the engine first). Pure, so navigation is tested without a window.

/** `dir/name`, with one `/` between them. */
export function joinPath(dir: string, name: string): string {
  if (dir === "") return name;
  return dir.endsWith("/") ? `${dir}${name}` : `${dir}/${name}`;
}

/** The directory holding `path`; `/` for `/` itself and for top-level entries. */
export function parentPath(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  const i = trimmed.lastIndexOf("/");
  return i <= 0 ? "/" : trimmed.slice(0, i);
}

/** The last component of `path`. */
export function baseName(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  if (trimmed === "") return "/";
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** One step of the path bar. */
export interface Crumb {
  name: string;
  path: string;
}

/** The path bar's steps of an absolute `path`: `/`, then each directory down to it. */
export function crumbs(path: string): Crumb[] {
  const out: Crumb[] = [{ name: "/", path: "/" }];
  let at = "";
  for (const part of path.split("/")) {
    if (part === "") continue;
    at = `${at}/${part}`;
    out.push({ name: part, path: at });
  }
  return out;
}

/** Why `name` cannot name a new file or folder in a directory, or null when it can. */
export function nameProblem(name: string): string | null {
  if (name.trim() === "") return "Enter a name.";
  if (name.includes("/")) return "A name cannot contain “/”.";
  if (name === "." || name === "..") return "“.” and “..” are not names.";
  if (name.includes("\0")) return "A name cannot contain NUL.";
  if (new TextEncoder().encode(name).length > 255) return "A name is at most 255 bytes.";
  return null;
}

/** The local path typed or pasted into the upload field, split into absolute paths (one per line). */
export function localPaths(text: string): { paths: string[]; problem: string | null } {
  const paths = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  if (paths.length === 0) return { paths, problem: "Enter the path of a file on this computer." };
  const relative = paths.find((p) => !p.startsWith("/"));
  if (relative !== undefined) return { paths, problem: `“${relative}” is not an absolute path (start it with /).` };
  return { paths, problem: null };
}
