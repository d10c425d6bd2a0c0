// Ordered input: one input command in flight per pane at a time, with everything typed
// meanwhile merged into the next one. Commands to the backend may otherwise run concurrently
// and reorder keystrokes. Pure apart from the injected senders, so it is unit-tested.

/** A piece of input: text (xterm onData) or raw bytes (xterm onBinary). */
export type InputItem = { kind: "text"; data: string } | { kind: "bytes"; data: number[] };

/** Sends one item; resolves when the backend has taken it. */
export type SendInput = (item: InputItem) => Promise<void>;

/** The most input held while waiting (a paste larger than this is cut, never reordered). */
export const MAX_QUEUED_CHARS = 4 * 1024 * 1024;

/** Queues input and sends it in order, merging neighbours of the same kind. */
export class OrderedInput {
  private queue: InputItem[] = [];
  private queued = 0;
  private inFlight = false;
  private target: SendInput | null = null;
  private closed = false;

  /** `onError` hears failures of individual sends (sending goes on with the next item). */
  constructor(private readonly onError: (e: unknown) => void = () => {}) {}

  /** Number of characters or bytes waiting. */
  get waiting(): number {
    return this.queued;
  }

  /** Starts (or switches) delivery through `send`; null holds input until set again. */
  setTarget(send: SendInput | null): void {
    this.target = send;
    this.pump();
  }

  /** Adds typed text. */
  text(data: string): void {
    this.push({ kind: "text", data });
  }

  /** Adds raw bytes. */
  bytes(data: number[]): void {
    this.push({ kind: "bytes", data });
  }

  /** Drops everything waiting and stops. */
  close(): void {
    this.closed = true;
    this.queue = [];
    this.queued = 0;
  }

  private push(item: InputItem): void {
    if (this.closed || item.data.length === 0) return;
    if (this.queued + item.data.length > MAX_QUEUED_CHARS) return;
    const last = this.queue[this.queue.length - 1];
    if (last !== undefined && last.kind === "text" && item.kind === "text") {
      last.data += item.data;
    } else if (last !== undefined && last.kind === "bytes" && item.kind === "bytes") {
      for (const b of item.data) last.data.push(b);
    } else {
      this.queue.push(item.kind === "text" ? { ...item } : { kind: "bytes", data: [...item.data] });
    }
    this.queued += item.data.length;
    this.pump();
  }

  private pump(): void {
    if (this.inFlight || this.closed || this.target === null) return;
    const item = this.queue.shift();
    if (item === undefined) return;
    this.queued -= item.data.length;
    this.inFlight = true;
    const send = this.target;
    send(item)
      .catch((e: unknown) => this.onError(e))
      .finally(() => {
        this.inFlight = false;
        this.pump();
      });
  }
}
