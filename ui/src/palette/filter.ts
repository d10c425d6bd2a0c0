// The command palette's fuzzy filter (pure): the query's characters in order anywhere in the label
// (case-insensitive), ranked by how tight and how early the match is, word starts first.

/** One entry the palette can show. */
export interface PaletteItem {
  id: string;
  label: string;
}

/** A match: the item and the label positions that matched (for highlighting). */
export interface Match<T extends PaletteItem> {
  item: T;
  score: number;
  positions: number[];
}

function isWordStart(label: string, i: number): boolean {
  if (i === 0) return true;
  const prev = label[i - 1] ?? " ";
  return /[\s\-_/.:(]/.test(prev);
}

/** How well `query` matches `label` (higher is better), with the matched positions; null when it does not. */
export function fuzzyScore(query: string, label: string): { score: number; positions: number[] } | null {
  const q = query.toLowerCase().replace(/\s+/g, "");
  const l = label.toLowerCase();
  if (q.length === 0) return { score: 0, positions: [] };
  // Prefer a contiguous substring at a word start, then any substring, then a subsequence.
  const sub = l.indexOf(q);
  if (sub >= 0) {
    const positions = Array.from({ length: q.length }, (_, i) => sub + i);
    return { score: 1000 - sub + (isWordStart(label, sub) ? 500 : 0), positions };
  }
  const positions: number[] = [];
  let score = 0;
  let from = 0;
  for (const ch of q) {
    const at = l.indexOf(ch, from);
    if (at < 0) return null;
    positions.push(at);
    score += isWordStart(label, at) ? 10 : 0;
    score -= at - from;
    from = at + 1;
  }
  return { score, positions };
}

/** The items matching `query`, best first (all of them in their order for an empty query). */
export function filterItems<T extends PaletteItem>(items: readonly T[], query: string): Match<T>[] {
  const out: (Match<T> & { index: number })[] = [];
  items.forEach((item, index) => {
    const m = fuzzyScore(query, item.label);
    if (m !== null) out.push({ item, index, ...m });
  });
  out.sort((a, b) => b.score - a.score || a.index - b.index);
  return out.map(({ item, score, positions }) => ({ item, score, positions }));
}
