// Which bytes written into a terminal are history, and whether xterm is parsing history now.
//
// When a pane attaches, the agent replays what it holds and then streams live output. Bytes
// below the session's live offset at attach time (its `output_end`, read just before attaching)
// are history: the programs that asked questions in them are gone or were answered long ago, so
// `reports.ts` must not let xterm answer them. The guard:
//
// - follows output offsets: `attaching(liveFrom)` before an attach, `connected(replayFrom)` when
//   the stream (re)starts, `take(n)` for each chunk of output in order — which splits it into its
//   history and live parts. Until the live offset is known (after a reconnect, before it is read
//   again) every byte counts as history. A screen snapshot (`snapshot(bytes, offset)`) is
//   history that takes no offsets: output after it starts at the offset it stands for;
// - follows xterm's write queue: xterm parses writes in order and calls each write's callback
//   once it is parsed, so the write being parsed is the oldest whose callback has not run.
//   `writing(history)` records a write and returns its callback; `inHistory()` says whether the
//   write being parsed is history. Anything else written as history (e.g. a screen snapshot
//   restored on attach) goes through `writing(true)` too.

/** The history and live byte counts of a chunk, in that order. */
export interface Split {
  history: number;
  live: number;
}

/** Tracks history and live output of one terminal. */
export class ReplayGuard {
  /** The offset of the next output byte, once the stream's start is known. */
  private offset: number | null = null;
  /** Output bytes taken before the stream's start was known. */
  private early = 0;
  /** Bytes below this offset are history; null: not known yet (all history). */
  private liveFrom: number | null = null;
  /** Bytes of a screen snapshot still to come (history, outside the offsets). */
  private snapshotLeft = 0;
  /** The output offset the snapshot stands for: where output resumes after it. */
  private snapshotOffset = 0;
  /** Whether each write not parsed yet is history, oldest first (from `head`). */
  private queue: boolean[] = [];
  private head = 0;

  /** A new attach is starting; `liveFrom` is the session's live offset (null when unknown). */
  attaching(liveFrom: number | null): void {
    this.offset = null;
    this.early = 0;
    this.liveFrom = liveFrom;
  }

  /** The stream (re)starts at `replayFrom`; its live offset is `liveFrom` (null: not known yet). */
  connected(replayFrom: number, liveFrom: number | null = this.liveFrom): void {
    this.offset = replayFrom + this.early;
    this.early = 0;
    this.liveFrom = liveFrom;
  }

  /** The live offset became known (after a reconnect). */
  setLiveFrom(liveFrom: number): void {
    this.liveFrom = liveFrom;
  }

  /**
   * A screen snapshot of `bytes` bytes comes next, standing for the output before `offset`:
   * its bytes are history and take no offsets; output after it starts at `offset`.
   */
  snapshot(bytes: number, offset: number): void {
    this.snapshotLeft = bytes;
    this.snapshotOffset = offset;
    if (bytes === 0) this.resumeAt(offset);
  }

  private resumeAt(offset: number): void {
    this.offset = offset;
    this.early = 0;
  }

  /** Accounts for `n` more bytes of output and says how many of them (first) are history. */
  take(n: number): Split {
    if (this.snapshotLeft > 0) {
      const drawn = Math.min(n, this.snapshotLeft);
      this.snapshotLeft -= drawn;
      if (this.snapshotLeft === 0) this.resumeAt(this.snapshotOffset);
      if (drawn === n) return { history: n, live: 0 };
      const rest = this.take(n - drawn);
      return { history: drawn + rest.history, live: rest.live };
    }
    let history = n;
    if (this.offset === null) {
      // Output before the stream's start is known: the replay's first bytes.
      this.early += n;
      if (this.liveFrom === null) return { history: n, live: 0 };
      // Nothing is history when the live offset is 0 (a new session); otherwise wait.
      if (this.liveFrom === 0) return { history: 0, live: n };
      return { history: n, live: 0 };
    }
    if (this.liveFrom !== null) history = Math.max(0, Math.min(n, this.liveFrom - this.offset));
    this.offset += n;
    return { history, live: n - history };
  }

  /** Records a write into xterm; call the result once xterm has parsed it. */
  writing(history: boolean): () => void {
    this.queue.push(history);
    let called = false;
    return () => {
      if (called) return;
      called = true;
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
    };
  }

  /** Whether xterm is parsing (or about to parse) a history write. */
  inHistory(): boolean {
    return this.queue[this.head] === true;
  }
}

/** Writes into xterm, calling `parsed` once xterm has parsed `data`. */
export type TermWrite = (data: Uint8Array | string, parsed: () => void) => void;

/**
 * Writes a chunk of output through `guard`: its history part and its live part as separate
 * writes, each marked, with `done(n)` once each is parsed (for the acknowledgement). Returns
 * the number of live bytes.
 */
export function writeOutput(guard: ReplayGuard, write: TermWrite, data: Uint8Array, done: ((bytes: number) => void) | null): number {
  const { history } = guard.take(data.length);
  const parts: [Uint8Array, boolean][] =
    history === 0 ? [[data, false]] : history === data.length ? [[data, true]] : [[data.subarray(0, history), true], [data.subarray(history), false]];
  for (const [part, isHistory] of parts) {
    const parsed = guard.writing(isHistory);
    write(part, () => {
      parsed();
      done?.(part.length);
    });
  }
  return data.length - history;
}

/** Writes text the app adds (markers) as live output, keeping the guard's queue in step. */
export function writeMarker(guard: ReplayGuard, write: TermWrite, text: string): void {
  write(text, guard.writing(false));
}
