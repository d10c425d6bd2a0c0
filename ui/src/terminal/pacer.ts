// Paces the output written into a terminal that is not on screen.
//
// A visible pane writes output as it comes. A hidden one (its tab is in the background) writes
// at most `sliceBytes` every `intervalMs`: ordinary background output still lands in its
// scrollback as it arrives, but a flood in a background tab cannot keep the page's one thread
// busy parsing text nobody sees. What is not written yet is not acknowledged, so the backend's
// flow control pauses the stream (the agent's ring keeps it) until the pane catches up; when the
// pane shows again, the queue is written at once.

/** Called with a byte count once that many bytes of an item were written (the acknowledgement). */
export type Done = ((bytes: number) => void) | null;

/** One piece of output and what to call once it has been written. */
interface Item {
  data: Uint8Array | string;
  done: Done;
  /** A step to run in order with the output instead of writing (see `then`). */
  run?: () => void;
}

/** Writes into the terminal; calls `done(data.length)` once the terminal has processed `data`. */
export type PacerSink = (data: Uint8Array | string, done: Done) => void;

/** Timer functions (injected so the pacing is testable). */
export interface PacerClock {
  schedule: (f: () => void, ms: number) => unknown;
  cancel: (handle: unknown) => void;
}

/** How much a hidden pane writes per step, and how often. */
export interface PacerOptions {
  sliceBytes: number;
  intervalMs: number;
}

export const BACKGROUND_PACE: PacerOptions = { sliceBytes: 64 * 1024, intervalMs: 100 };

/** Queues output while the pane is hidden and releases it at a bounded pace. */
export class OutputPacer {
  private queue: Item[] = [];
  private visible = true;
  private timer: unknown = null;

  constructor(
    private readonly sink: PacerSink,
    private readonly clock: PacerClock = {
      schedule: (f, ms) => setTimeout(f, ms),
      cancel: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    },
    private readonly options: PacerOptions = BACKGROUND_PACE,
  ) {}

  /** Output (or a marker) to write, in order with everything before it. */
  push(data: Uint8Array | string, done: Done): void {
    if (this.visible && this.queue.length === 0) {
      this.sink(data, done);
      return;
    }
    this.queue.push({ data, done });
    if (this.visible) this.flush();
    else this.arm();
  }

  /** Runs `f` once everything pushed before it has been handed to the sink (in stream order). */
  then(f: () => void): void {
    if (this.visible && this.queue.length === 0) {
      f();
      return;
    }
    this.queue.push({ data: "", done: null, run: f });
    if (this.visible) this.flush();
  }

  /** Whether the pane is on screen. */
  setVisible(visible: boolean): void {
    if (visible === this.visible) return;
    this.visible = visible;
    if (visible) {
      this.disarm();
      this.flush();
    } else if (this.queue.length > 0) {
      this.arm();
    }
  }

  /** Bytes waiting. */
  pending(): number {
    return this.queue.reduce((n, i) => n + i.data.length, 0);
  }

  /** Drops what waits (a new attachment replays from scratch); nothing is acknowledged. */
  clear(): void {
    this.queue = [];
    this.disarm();
  }

  private flush(): void {
    const items = this.queue;
    this.queue = [];
    for (const i of items) this.hand(i);
  }

  private hand(i: Item): void {
    if (i.run !== undefined) i.run();
    else this.sink(i.data, i.done);
  }

  private arm(): void {
    if (this.timer === null) this.timer = this.clock.schedule(() => this.step(), this.options.intervalMs);
  }

  private disarm(): void {
    if (this.timer !== null) this.clock.cancel(this.timer);
    this.timer = null;
  }

  private step(): void {
    this.timer = null;
    let budget = this.options.sliceBytes;
    while (this.queue.length > 0 && budget > 0) {
      const head = this.queue[0] as Item;
      if (head.data.length <= budget) {
        this.queue.shift();
        budget -= head.data.length;
        this.hand(head);
      } else if (typeof head.data === "string") {
        // Markers are short; never split them.
        this.queue.shift();
        budget = 0;
        this.sink(head.data, head.done);
      } else {
        // Split: the first part is written (and acknowledged) now, the rest later.
        const part = head.data.subarray(0, budget);
        head.data = head.data.subarray(budget);
        this.sink(part, head.done);
        budget = 0;
      }
    }
    if (this.queue.length > 0) this.arm();
  }
}
