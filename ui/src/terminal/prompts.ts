// Where the shell's prompts are in a terminal's buffer, for "Previous prompt" / "Next prompt".
//
// A shell integration marks each prompt's start with OSC 133;A (the agent records the same marks
// with their output offsets, `session.marks`). The pane does not map offsets to lines: it watches
// the marks as xterm parses them and puts an xterm marker on the line the cursor is on, so a
// prompt's line follows the buffer by itself: markers move as lines scroll and die when
// scrollback trimming drops their line; a reset (the pane's, or RIS from a program) forgets them
// all; a reattach that replays the bytes parses the marks again (a screen snapshot carries no
// marks, and the prompts above it are not in the buffer anyway). `promptTarget` is the pure
// choice of where to scroll.
import type { IDisposable, IMarker, IParser } from "@xterm/xterm";

/** The parts of a terminal the prompt marks use. */
export interface MarkTerminal {
  parser: Pick<IParser, "registerOscHandler" | "registerEscHandler">;
  registerMarker(cursorYOffset?: number): IMarker;
}

/** The most prompts a pane remembers (xterm's scrollback trims older lines anyway). */
export const PROMPTS_MAX = 10_000;

/** Whether an OSC 133 payload starts a prompt ("A", "A;…"). */
export function startsPrompt(data: string): boolean {
  return data === "A" || data.startsWith("A;");
}

/**
 * The buffer line to scroll to from a viewport whose first line is `top`: the nearest prompt
 * line above it (`-1`) or below it (`1`), or null when there is none. `lines` need not be sorted.
 */
export function promptTarget(lines: readonly number[], top: number, dir: -1 | 1): number | null {
  let best: number | null = null;
  for (const l of lines) {
    if (l < 0) continue;
    if (dir < 0 ? l < top && (best === null || l > best) : l > top && (best === null || l < best)) best = l;
  }
  return best;
}

/** The prompt lines of one terminal, kept as xterm markers. */
export class PromptMarks {
  private markers: IMarker[] = [];
  private readonly handlers: IDisposable[];

  constructor(private readonly term: MarkTerminal) {
    this.handlers = [
      term.parser.registerOscHandler(133, (data) => {
        if (startsPrompt(data)) this.add();
        // Not consumed: other OSC 133 handlers still see it.
        return false;
      }),
      // A full reset (RIS) empties the buffer but leaves xterm's markers where they were.
      term.parser.registerEscHandler({ final: "c" }, () => {
        this.reset();
        return false;
      }),
    ];
  }

  private add(): void {
    const m = this.term.registerMarker(0);
    this.markers = this.markers.filter((x) => !x.isDisposed && x.line >= 0);
    // Two marks on one line (a prompt redrawn in place) count once.
    if (this.markers.some((x) => x.line === m.line)) {
      m.dispose();
      return;
    }
    this.markers.push(m);
    while (this.markers.length > PROMPTS_MAX) this.markers.shift()?.dispose();
  }

  /** The buffer lines of the prompts still in the buffer. */
  lines(): number[] {
    return this.markers.filter((m) => !m.isDisposed && m.line >= 0).map((m) => m.line);
  }

  /** Forgets every prompt: the terminal was reset (xterm keeps its markers through `reset()`). */
  reset(): void {
    for (const m of this.markers) m.dispose();
    this.markers = [];
  }

  dispose(): void {
    for (const h of this.handlers) h.dispose();
    this.reset();
  }
}
