// Flow-control acknowledgements, coalesced: bytes the terminal has processed are reported to the
// backend at most every 16 ms, or at once when 256 KiB have piled up. Pure apart from the
// injected timer, so it is tested with a fake clock.

/** How long acks may wait before they are sent. */
export const ACK_DELAY_MS = 16;
/** Send at once when this many bytes are waiting. */
export const ACK_BYTES = 256 * 1024;

/** A timer: runs `fn` after `ms` and returns a function that cancels it. */
export type Schedule = (fn: () => void, ms: number) => () => void;

/** The default timer, over `setTimeout`. */
export const realSchedule: Schedule = (fn, ms) => {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
};

/** Collects processed byte counts and sends them in batches. */
export class AckCoalescer {
  private pending = 0;
  private cancelTimer: (() => void) | null = null;
  private ready = false;
  private closed = false;

  /**
   * `send` delivers one batch; acks are held until `setReady()` (the attachment id is known).
   */
  constructor(
    private readonly send: (bytes: number) => void,
    private readonly schedule: Schedule = realSchedule,
  ) {}

  /** Bytes not yet sent. */
  get waiting(): number {
    return this.pending;
  }

  /** Records `bytes` processed by the terminal. */
  add(bytes: number): void {
    if (this.closed || bytes <= 0) return;
    this.pending += bytes;
    if (!this.ready) return;
    if (this.pending >= ACK_BYTES) {
      this.flush();
    } else if (this.cancelTimer === null) {
      this.cancelTimer = this.schedule(() => {
        this.cancelTimer = null;
        this.flush();
      }, ACK_DELAY_MS);
    }
  }

  /** Allows sending (the attachment exists); sends what waited. */
  setReady(): void {
    if (this.closed) return;
    this.ready = true;
    if (this.pending > 0) this.flush();
  }

  /** Sends everything waiting now. */
  flush(): void {
    if (this.cancelTimer !== null) {
      this.cancelTimer();
      this.cancelTimer = null;
    }
    if (this.closed || !this.ready || this.pending === 0) return;
    const bytes = this.pending;
    this.pending = 0;
    this.send(bytes);
  }

  /** Stops for good: nothing more is sent. */
  close(): void {
    if (this.cancelTimer !== null) this.cancelTimer();
    this.cancelTimer = null;
    this.closed = true;
    this.pending = 0;
  }
}
