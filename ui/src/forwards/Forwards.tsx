// Where the forwards panel is mounted (once, in the app).
import type { JSX } from "preact";
import { ForwardsPanel } from "./ForwardsPanel";
import { forwardsOf } from "./state";

/** The open forwards panel. */
export function Forwards(): JSX.Element | null {
  const host = forwardsOf.value;
  return host ? <ForwardsPanel key={host} host={host} /> : null;
}
