// A clock for live countdowns: the current time, refreshed while `running` is true.
import { useEffect, useState } from "preact/hooks";

/** `Date.now()`, updated every `everyMs` while `running`. */
export function useNow(running: boolean, everyMs = 250): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [running, everyMs]);
  return now;
}
