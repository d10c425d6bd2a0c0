// Tests of the history guard and the report filter with xterm's real parser (@xterm/headless):
// questions in replayed history get no answer, live questions do, and history still draws.
import { Terminal } from "@xterm/headless";
import { describe, expect, it } from "vitest";
import { filterReports, oscAsks, type ReportParser } from "./reports";
import { ReplayGuard, type TermWrite, writeMarker, writeOutput } from "./replay";

const enc = new TextEncoder();

/** A headless terminal with the filter, and everything it answers. */
function setup() {
  const term = new Terminal({ allowProposedApi: true, cols: 80, rows: 24, windowOptions: { getWinSizeChars: true, pushTitle: true, popTitle: true } });
  const guard = new ReplayGuard();
  filterReports(term.parser as unknown as ReportParser, () => guard.inHistory());
  const answers: string[] = [];
  term.onData((d) => answers.push(d));
  const write: TermWrite = (data, parsed) => term.write(data, parsed);
  const flush = () => new Promise<void>((resolve) => term.write("", resolve));
  const line = (y: number) => term.buffer.active.getLine(y)?.translateToString(true) ?? "";
  return { term, guard, answers, write, flush, line };
}

// What vim, a prompt theme or a TUI library asks at startup.
const QUESTIONS = [
  "\x1b[6n", // cursor position
  "\x1b[5n", // status
  "\x1b[?6n", // extended cursor position
  "\x1b[c", // DA1
  "\x1b[>c", // DA2
  "\x1b[?2004$p", // DECRQM (bracketed paste)
  "\x1b[4$p", // DECRQM (insert mode)
  "\x1b[18t", // text area size in characters
  "\x1bP$qm\x1b\\", // DECRQSS (SGR)
  "\x1b[>q", // XTVERSION
  "\x1b]10;?\x07", // foreground colour
  "\x1b]11;?\x1b\\", // background colour
  "\x1b]4;1;?\x07", // palette colour 1
].join("");

describe("report filter with xterm's parser", () => {
  it("xterm answers the questions when they are live (the oracle: no filter effect)", async () => {
    const t = setup();
    t.guard.attaching(0);
    t.guard.connected(0);
    writeOutput(t.guard, t.write, enc.encode(QUESTIONS), null);
    await t.flush();
    const all = t.answers.join("");
    expect(all).toContain("\x1b[1;1R");
    expect(all).toContain("\x1b[0n");
    expect(all).toContain("\x1b[?1;2c");
    expect(all).toContain("\x1b[>0;276;0c");
    expect(all).toContain("$y");
    expect(all).toContain("\x1b[8;24;80t");
    expect(all).toContain("\x1bP1$r");
  });

  it("answers nothing for questions in history, and still draws history", async () => {
    const t = setup();
    const history = enc.encode(`$ vim\r\n${QUESTIONS}\x1b]2;vim title\x07drawn\r\n`);
    t.guard.attaching(history.length);
    t.guard.connected(0);
    const acked: number[] = [];
    writeOutput(t.guard, t.write, history, (n) => acked.push(n));
    await t.flush();
    expect(t.answers).toEqual([]);
    expect(t.line(0)).toBe("$ vim");
    expect(t.line(1)).toBe("drawn");
    expect(acked).toEqual([history.length]);
  });

  it("splits a chunk at the live offset: only the live question is answered", async () => {
    const t = setup();
    const before = enc.encode("old\x1b[6n\x1b[c");
    const after = enc.encode("\x1b[6n");
    const chunk = new Uint8Array([...before, ...after]);
    t.guard.attaching(1000 + before.length);
    t.guard.connected(1000);
    const acked: number[] = [];
    writeOutput(t.guard, t.write, chunk, (n) => acked.push(n));
    await t.flush();
    expect(t.answers).toEqual(["\x1b[1;4R"]);
    expect(acked).toEqual([before.length, after.length]);
  });

  it("keeps history across chunks and answers once live", async () => {
    const t = setup();
    const a = enc.encode("\x1b[6n");
    const b = enc.encode("\x1b[>c");
    t.guard.attaching(a.length + b.length);
    t.guard.connected(0);
    writeOutput(t.guard, t.write, a, null);
    writeOutput(t.guard, t.write, b, null);
    writeMarker(t.guard, t.write, "\r\n[marker]\r\n");
    writeOutput(t.guard, t.write, enc.encode("\x1b[5n"), null);
    await t.flush();
    expect(t.answers).toEqual(["\x1b[0n"]);
  });

  it("treats a reconnect's replay as history until the live offset is known", async () => {
    const t = setup();
    t.guard.attaching(0);
    t.guard.connected(0);
    writeOutput(t.guard, t.write, enc.encode("live\x1b[5n"), null);
    await t.flush();
    expect(t.answers).toEqual(["\x1b[0n"]);
    // The connection dropped; the stream resumes at offset 9 with what was missed.
    t.guard.connected(9, null);
    writeOutput(t.guard, t.write, enc.encode("\x1b[6n"), null);
    t.guard.setLiveFrom(13);
    writeOutput(t.guard, t.write, enc.encode("\x1b[c"), null);
    await t.flush();
    expect(t.answers).toEqual(["\x1b[0n", "\x1b[?1;2c"]);
  });

  it("counts output that arrives before the stream's start as history", async () => {
    const t = setup();
    t.guard.attaching(50);
    writeOutput(t.guard, t.write, enc.encode("\x1b[6n"), null);
    t.guard.connected(40);
    // 40 + 4 early bytes: 6 more bytes of history, then live.
    writeOutput(t.guard, t.write, enc.encode("\x1b[5n..\x1b[c"), null);
    await t.flush();
    expect(t.answers).toEqual(["\x1b[?1;2c"]);
  });

  it("keeps window operations that change state, swallows those that report", async () => {
    const t = setup();
    const titles: string[] = [];
    t.term.onTitleChange((x) => titles.push(x));
    const h = enc.encode("\x1b]2;one\x07\x1b[22;0t\x1b]2;two\x07\x1b[23;0t\x1b[18t");
    t.guard.attaching(h.length);
    t.guard.connected(0);
    writeOutput(t.guard, t.write, h, null);
    await t.flush();
    expect(t.answers).toEqual([]);
    // Push and pop of the title stack still ran: the title went back to "one".
    expect(titles).toEqual(["one", "two", "one"]);
  });
});

describe("ReplayGuard", () => {
  it("splits by offset", () => {
    const g = new ReplayGuard();
    g.attaching(10);
    g.connected(4);
    expect(g.take(4)).toEqual({ history: 4, live: 0 });
    expect(g.take(4)).toEqual({ history: 2, live: 2 });
    expect(g.take(4)).toEqual({ history: 0, live: 4 });
  });

  it("counts a screen snapshot as history outside the offsets", () => {
    const g = new ReplayGuard();
    g.attaching(100);
    g.connected(90);
    // 6 snapshot bytes standing for everything before offset 96, then output from 96.
    g.snapshot(6, 96);
    expect(g.take(4)).toEqual({ history: 4, live: 0 });
    expect(g.take(4)).toEqual({ history: 4, live: 0 }); // 2 snapshot + 2 replayed (96, 97)
    expect(g.take(4)).toEqual({ history: 2, live: 2 }); // 98, 99 history; 100, 101 live
    expect(g.take(3)).toEqual({ history: 0, live: 3 });
  });

  it("resumes at the snapshot's offset when the snapshot is empty", () => {
    const g = new ReplayGuard();
    g.attaching(50);
    g.connected(0);
    g.snapshot(0, 50);
    expect(g.take(5)).toEqual({ history: 0, live: 5 });
  });

  it("is all live for a session with nothing before the attach", () => {
    const g = new ReplayGuard();
    g.attaching(0);
    expect(g.take(3)).toEqual({ history: 0, live: 3 });
    g.connected(0);
    expect(g.take(3)).toEqual({ history: 0, live: 3 });
  });

  it("follows the write queue in order", () => {
    const g = new ReplayGuard();
    const a = g.writing(true);
    const b = g.writing(false);
    const c = g.writing(true);
    expect(g.inHistory()).toBe(true);
    a();
    a(); // A second call changes nothing.
    expect(g.inHistory()).toBe(false);
    b();
    expect(g.inHistory()).toBe(true);
    c();
    expect(g.inHistory()).toBe(false);
  });

  it("stays in step over many writes", () => {
    const g = new ReplayGuard();
    for (let i = 0; i < 5000; i++) {
      const done = g.writing(i % 3 === 0);
      expect(g.inHistory()).toBe(i % 3 === 0);
      done();
    }
    expect(g.inHistory()).toBe(false);
  });
});

describe("oscAsks", () => {
  it("finds a question field", () => {
    expect(oscAsks("?")).toBe(true);
    expect(oscAsks("1;?")).toBe(true);
    expect(oscAsks("1;rgb:ff/00/00")).toBe(false);
    expect(oscAsks("c;?")).toBe(true);
    expect(oscAsks("#?abc")).toBe(false);
  });
});
