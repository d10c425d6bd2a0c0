// Tests of the answer watch with xterm's real parser (@xterm/headless): the answers xterm makes
// to a program's questions are flagged while they are made, input typed afterwards is not.
import { Terminal } from "@xterm/headless";
import { describe, expect, it } from "vitest";
import type { ReportParser } from "../terminal/reports";
import { AnswerWatch } from "./answers";

function setup() {
  const term = new Terminal({ allowProposedApi: true, cols: 80, rows: 24, windowOptions: { getWinSizeChars: true } });
  const watch = new AnswerWatch(term.parser as unknown as ReportParser);
  const seen: { data: string; answering: boolean }[] = [];
  term.onData((data) => seen.push({ data, answering: watch.answering() }));
  const write = (s: string) => new Promise<void>((resolve) => term.write(s, resolve));
  return { term, watch, seen, write };
}

describe("answer watch", () => {
  it("flags every answer to a question, and typing after it is not flagged", async () => {
    const t = setup();
    await t.write("\x1b[6n\x1b[c\x1b[>c\x1b[18t\x1bP$qm\x1b\\\x1b[?2004$p");
    expect(t.seen.length).toBeGreaterThanOrEqual(6);
    expect(t.seen.every((s) => s.answering)).toBe(true);
    expect(t.seen.map((s) => s.data).join("")).toContain("\x1b[1;1R");
    // The flag clears before the next task: typing then is typing.
    await new Promise((r) => setTimeout(r, 0));
    expect(t.watch.answering()).toBe(false);
    t.term.input("ls\r", true);
    expect(t.seen[t.seen.length - 1]).toEqual({ data: "ls\r", answering: false });
  });

  it("does not flag output that asks nothing, and stops after dispose", async () => {
    const t = setup();
    await t.write("hello \x1b[1mbold\x1b[0m \x1b]0;title\x07 \x1b[8;30;100t");
    expect(t.watch.answering()).toBe(false);
    t.watch.dispose();
    await t.write("\x1b[6n");
    expect(t.seen.some((s) => s.answering)).toBe(false);
  });
});
