// Telling a terminal's own answers from typing. xterm.js sends both through `onData`: a program
// that asks for the cursor position (`CSI 6n`), the device attributes or a colour gets its
// answer typed back like keys. A broadcast must not copy those answers into other sessions.
// xterm answers synchronously while it parses the question, so a handler registered on its
// parser for every question (the list in terminal/reports.ts), which lets xterm go on to answer
// (returns false), marks "answering" until the current task's microtasks run: onData calls made
// meanwhile are answers. Typing happens in tasks of its own (key and paste events).
import type { IDisposable } from "@xterm/xterm";
import { CSI_QUERIES, DCS_QUERIES, OSC_QUERIES, oscAsks, type ReportParser, WINDOW_REPORTS } from "../terminal/reports";

/** Watches a terminal's parser for the questions it answers. */
export class AnswerWatch implements IDisposable {
  private marked = false;
  private readonly ds: IDisposable[] = [];

  constructor(parser: ReportParser) {
    const mark = (): boolean => {
      if (!this.marked) {
        this.marked = true;
        queueMicrotask(() => {
          this.marked = false;
        });
      }
      return false;
    };
    for (const id of CSI_QUERIES) this.ds.push(parser.registerCsiHandler(id, mark));
    this.ds.push(
      parser.registerCsiHandler({ final: "t" }, (params) => {
        const p = params[0];
        const n = p === undefined ? 0 : typeof p === "number" ? p : (p[0] ?? 0);
        return WINDOW_REPORTS.has(n) ? mark() : false;
      }),
    );
    for (const id of DCS_QUERIES) this.ds.push(parser.registerDcsHandler(id, mark));
    for (const n of OSC_QUERIES) this.ds.push(parser.registerOscHandler(n, (data) => (oscAsks(data) ? mark() : false)));
  }

  /** Whether the terminal is answering a question right now (onData now is not typing). */
  answering(): boolean {
    return this.marked;
  }

  /** Removes the handlers. */
  dispose(): void {
    for (const d of this.ds.splice(0)) d.dispose();
  }
}
