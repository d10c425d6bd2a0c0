// Turning whatever a rejected command or a thrown exception carries into an `ApiError`
// ({code, message}); pure, so the UI can rely on the shape everywhere.
import type { ApiError } from "./types";

/** The code used when something failed without a code of its own. */
export const UNKNOWN_CODE = "unknown";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Normalises a rejection value into `{code, message}`. */
export function toApiError(value: unknown): ApiError {
  if (isRecord(value) && typeof value.code === "string" && typeof value.message === "string") {
    return { code: value.code, message: value.message };
  }
  if (isRecord(value) && typeof value.message === "string") {
    return { code: UNKNOWN_CODE, message: value.message };
  }
  if (typeof value === "string" && value.length > 0) {
    return { code: UNKNOWN_CODE, message: value };
  }
  return { code: UNKNOWN_CODE, message: "something went wrong, and no details were given" };
}

/** True when `value` is an `ApiError` with this code. */
export function hasCode(value: unknown, code: string): boolean {
  return toApiError(value).code === code;
}
