// Tests for output slicing and binary input conversion.
import { describe, expect, it } from "vitest";
import { binaryStringToBytes, sliceChunk } from "./chunks";

describe("sliceChunk", () => {
  it("leaves small chunks alone and drops empty ones", () => {
    const b = new Uint8Array([1, 2, 3]);
    expect(sliceChunk(b, 4)).toEqual([b]);
    expect(sliceChunk(new Uint8Array(0), 4)).toEqual([]);
  });
  it("slices into views that cover every byte once, in order", () => {
    const b = new Uint8Array(10).map((_, i) => i);
    const parts = sliceChunk(b, 4);
    expect(parts.map((p) => p.length)).toEqual([4, 4, 2]);
    expect(parts.flatMap((p) => Array.from(p))).toEqual(Array.from(b));
    expect(parts[0]?.buffer).toBe(b.buffer);
  });
  it("rejects a non-positive size", () => {
    expect(() => sliceChunk(new Uint8Array(1), 0)).toThrow();
  });
});

describe("binaryStringToBytes", () => {
  it("maps one character to one byte", () => {
    expect(binaryStringToBytes("\x1b[M\xff\x00")).toEqual([0x1b, 0x5b, 0x4d, 0xff, 0x00]);
  });
});
