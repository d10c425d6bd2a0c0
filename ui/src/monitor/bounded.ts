// Lists and texts from a monitored host, bounded before they are rendered: a hostile agent or
// target could send any number of cores, disks or processes, or names of any length. The bounds
// are the ones the agent itself enforces (generated from the protocol's constants).

/** The first `max` items of `list`, and how many more there were. */
export function bounded<T>(list: readonly T[], max: number): { shown: readonly T[]; more: number } {
  if (list.length <= max) return { shown: list, more: 0 };
  return { shown: list.slice(0, max), more: list.length - max };
}

/** `text` cut to at most `max` UTF-16 code units, marked with an ellipsis when it was longer. */
export function clipped(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}
