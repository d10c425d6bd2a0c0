// Which host's forwards panel is open. Set from the sidebar; rendered by Forwards.tsx.
import { signal } from "@preact/signals";

/** The host whose forwards panel is open, if any. */
export const forwardsOf = signal<string | null>(null);

/** Opens the forwards panel of `host`. */
export function openForwards(host: string): void {
  forwardsOf.value = host;
}
