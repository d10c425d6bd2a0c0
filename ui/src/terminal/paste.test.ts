import { describe, expect, it } from "vitest";
import { hasLineBreak, lineCount, preparePaste, sanitizePaste } from "./paste";

describe("sanitizePaste", () => {
  it("removes a bracket break-out so the rest stays pasted text", () => {
    expect(sanitizePaste("echo a\u001b[201~; echo PWNED\r")).toBe("echo a; echo PWNED\r");
    expect(sanitizePaste("\u001b[200~x\u001b[201~")).toBe("x");
    expect(sanitizePaste("a\u009b201~b")).toBe("ab");
  });

  it("cannot be tricked into leaving a marker behind", () => {
    const out = sanitizePaste("\u001b[20\u001b[201~1~ \u001b\u001b[201~[201~");
    expect(out).not.toContain("\u001b");
    expect(out).not.toMatch(/\u001b\[20[01]~/);
  });

  it("keeps tab, CR and LF and printable text; drops other C0, DEL and C1", () => {
    expect(sanitizePaste("a\tb\r\nc\nd")).toBe("a\tb\r\nc\nd");
    expect(sanitizePaste("x\u0000\u0003\u0004\u0008\u001b]52;c;eA==\u0007y")).toBe("x]52;c;eA==y");
    expect(sanitizePaste("del\u007f c1\u0080\u009b\u009d\u009f é ü 日本")).toBe("del c1 é ü 日本");
    expect(sanitizePaste("\u000b\u000c\u000e\u001f")).toBe("");
  });
});

describe("line breaks", () => {
  it("finds CR or LF", () => {
    expect(hasLineBreak("ls -l")).toBe(false);
    expect(hasLineBreak("ls\r")).toBe(true);
    expect(hasLineBreak("a\nb")).toBe(true);
  });

  it("counts lines, a trailing break not starting one", () => {
    expect(lineCount("one")).toBe(1);
    expect(lineCount("one\n")).toBe(1);
    expect(lineCount("one\r\ntwo\rthree\n")).toBe(3);
  });
});

describe("preparePaste", () => {
  const asking = (answer: boolean) => {
    const asked: Array<[number, string]> = [];
    return {
      asked,
      guard: {
        confirmMultiLine: true,
        confirm: (lines: number, text: string) => {
          asked.push([lines, text]);
          return Promise.resolve(answer);
        },
      },
    };
  };

  it("pastes a single line without asking, sanitised", async () => {
    const { asked, guard } = asking(false);
    expect(await preparePaste("ls \u001b[201~-l", guard)).toBe("ls -l");
    expect(asked).toEqual([]);
  });

  it("asks before a multi-line paste and pastes nothing when declined", async () => {
    const { asked, guard } = asking(false);
    expect(await preparePaste("echo a\u001b[201~; echo PWNED\r", guard)).toBeNull();
    expect(asked).toEqual([[1, "echo a; echo PWNED\r"]]);
  });

  it("pastes the sanitised text when confirmed", async () => {
    const { guard } = asking(true);
    expect(await preparePaste("a\nb\u001b[201~\n", guard)).toBe("a\nb\n");
  });

  it("does not ask when the setting is off", async () => {
    const { asked, guard } = asking(false);
    expect(await preparePaste("a\nb", { ...guard, confirmMultiLine: false })).toBe("a\nb");
    expect(asked).toEqual([]);
  });

  it("pastes nothing for text of controls only", async () => {
    const { guard } = asking(true);
    expect(await preparePaste("\u001b[201~\u0003", guard)).toBeNull();
  });
});
