// Pure helpers for the terminal's byte stream: slicing big output chunks into views (no copies)
// so xterm can yield between them, and turning xterm's binary input into bytes.

/** The largest slice handed to xterm in one write. */
export const WRITE_SLICE_BYTES = 32 * 1024;

/** Views of `bytes` of at most `max` bytes each, in order (no copying). */
export function sliceChunk(bytes: Uint8Array, max: number = WRITE_SLICE_BYTES): Uint8Array[] {
  if (max <= 0) throw new RangeError("slice size must be positive");
  if (bytes.length <= max) return bytes.length === 0 ? [] : [bytes];
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += max) out.push(bytes.subarray(i, Math.min(i + max, bytes.length)));
  return out;
}

/** xterm's `onBinary` gives one character per byte (code points 0..255); these are the bytes. */
export function binaryStringToBytes(data: string): number[] {
  const out = new Array<number>(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data.charCodeAt(i) & 0xff;
  return out;
}
