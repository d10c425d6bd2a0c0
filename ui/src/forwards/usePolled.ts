// What both parts of the forwards panel do with their list: load it now, every `ms`, and again
// after each action; an action's failure (or a load's) lands in `error`, and `busy` is set while
// an action runs.
import { useEffect, useState } from "preact/hooks";
import { toApiError } from "../api/errors";
import type { ApiError } from "../api/types";

/** A list kept fresh, with the actions on it. */
export interface Polled<T> {
  data: T | null;
  error: ApiError | null;
  setError: (e: ApiError | null) => void;
  busy: boolean;
  /** Runs `f` (busy meanwhile), keeps its error or clears the last one, then reloads. */
  act: (f: () => Promise<unknown>) => Promise<void>;
}

/** Loads `load()` now and every `ms`; `key` changing starts again. */
export function usePolled<T>(load: () => Promise<T>, ms: number, key: string): Polled<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [epoch, setEpoch] = useState(0);

  useEffect(() => {
    let alive = true;
    const once = () =>
      load()
        .then((d) => alive && setData(d))
        .catch((e: unknown) => alive && setError(toApiError(e)));
    void once();
    const timer = window.setInterval(() => void once(), ms);
    return () => {
      alive = false;
      window.clearInterval(timer);
    };
    // `load` is a new closure each render; `key` names what it loads.
  }, [key, epoch, ms]);

  const act = async (f: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await f();
      setError(null);
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setBusy(false);
      setEpoch((n) => n + 1);
    }
  };
  return { data, error, setError, busy, act };
}
