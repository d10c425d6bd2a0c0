// Tests of the prompt marks with xterm's real parser and buffer (@xterm/headless): OSC 133;A
// marks become the lines of their prompts, which follow scrolling, die with trimmed scrollback and
// a reset; and of the pure choice of the previous/next prompt line.
import { Terminal } from "@xterm/headless";
import { describe, expect, it } from "vitest";
import { type MarkTerminal, PromptMarks, promptTarget, startsPrompt } from "./prompts";

const write = (term: Terminal, s: string) => new Promise<void>((resolve) => term.write(s, resolve));
const prompt = (n: number) => `\x1b]133;A\x07p${n}$ \x1b]133;B\x07cmd${n}\r\n\x1b]133;C\x07`;

function setup(scrollback = 1000) {
  const term = new Terminal({ allowProposedApi: true, cols: 40, rows: 5, scrollback });
  const marks = new PromptMarks(term as unknown as MarkTerminal);
  return { term, marks };
}

describe("prompt target", () => {
  it("picks the nearest line above or below the viewport's top", () => {
    const lines = [30, 2, 14];
    expect(promptTarget(lines, 20, -1)).toBe(14);
    expect(promptTarget(lines, 14, -1)).toBe(2);
    expect(promptTarget(lines, 2, -1)).toBeNull();
    expect(promptTarget(lines, 2, 1)).toBe(14);
    expect(promptTarget(lines, 14, 1)).toBe(30);
    expect(promptTarget(lines, 30, 1)).toBeNull();
    expect(promptTarget([], 0, 1)).toBeNull();
    expect(promptTarget([-1], 5, -1)).toBeNull();
  });
  it("knows a prompt's start", () => {
    expect(startsPrompt("A")).toBe(true);
    expect(startsPrompt("A;op=x")).toBe(true);
    expect(startsPrompt("B")).toBe(false);
    expect(startsPrompt("D;0")).toBe(false);
    expect(startsPrompt("Ab")).toBe(false);
  });
});

describe("prompt marks", () => {
  it("records each prompt's line, following the output", async () => {
    const { term, marks } = setup();
    for (let i = 0; i < 3; i++) await write(term, `${prompt(i)}out${i}a\r\nout${i}b\r\n`);
    const lines = marks.lines();
    expect(lines).toEqual([0, 3, 6]);
    const buf = term.buffer.active;
    expect(lines.map((l) => buf.getLine(l)?.translateToString(true))).toEqual(["p0$ cmd0", "p1$ cmd1", "p2$ cmd2"]);
  });
  it("counts a prompt redrawn on its line once, and lets other OSC 133 handlers run", async () => {
    const { term, marks } = setup();
    const seen: string[] = [];
    term.parser.registerOscHandler(133, (d) => (seen.push(d), false));
    const other = new PromptMarks(term as unknown as MarkTerminal);
    await write(term, "\x1b]133;A\x07p$ \r\x1b]133;A\x07p$ ");
    expect(marks.lines()).toEqual([0]);
    expect(other.lines()).toEqual([0]);
    expect(seen).toEqual(["A", "A"]);
  });
  it("drops the prompts that scrollback trimming or a reset removes", async () => {
    const { term, marks } = setup(10);
    await write(term, prompt(0));
    for (let i = 0; i < 30; i++) await write(term, `line${i}\r\n`);
    await write(term, prompt(1));
    const lines = marks.lines();
    expect(lines).toHaveLength(1);
    expect(term.buffer.active.getLine(lines[0] ?? -1)?.translateToString(true)).toBe("p1$ cmd1");
    term.reset();
    marks.reset();
    expect(marks.lines()).toEqual([]);
    await write(term, prompt(2));
    expect(marks.lines()).toEqual([0]);
    // A program's full reset (RIS) forgets them too.
    await write(term, `\x1bc${prompt(3)}`);
    expect(marks.lines()).toEqual([0]);
    expect(term.buffer.active.getLine(0)?.translateToString(true)).toBe("p3$ cmd3");
  });
  it("stops watching once disposed", async () => {
    const { term, marks } = setup();
    await write(term, prompt(0));
    marks.dispose();
    await write(term, prompt(1));
    expect(marks.lines()).toEqual([]);
  });
});
