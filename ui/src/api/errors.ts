// Turning whatever a rejected command or a thrown exception carries into an `ApiError`
// ({code, message, details}); pure, so the UI can rely on the shape everywhere. The details are
// the engine's typed facts (generated `ErrorDetails`), passed through as they came.
import type { ApiError, ErrorDetails } from "./types";

/** The code used when something failed without a code of its own. */
export const UNKNOWN_CODE = "unknown";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function detailsOf(value: Record<string, unknown>): ErrorDetails | null {
  const d = value.details;
  // The invoke boundary trusts the contract: details the engine sent are an `ErrorDetails`.
  return isRecord(d) && typeof d.kind === "string" ? (d as ErrorDetails) : null;
}

/** Normalises a rejection value into `{code, message, details}`. */
export function toApiError(value: unknown): ApiError {
  if (isRecord(value) && typeof value.code === "string" && typeof value.message === "string") {
    return { code: value.code, message: value.message, details: detailsOf(value) };
  }
  if (isRecord(value) && typeof value.message === "string") {
    return { code: UNKNOWN_CODE, message: value.message, details: null };
  }
  if (typeof value === "string" && value.length > 0) {
    return { code: UNKNOWN_CODE, message: value, details: null };
  }
  return { code: UNKNOWN_CODE, message: "something went wrong, and no details were given", details: null };
}

/** True when `value` is an `ApiError` with this code. */
export function hasCode(value: unknown, code: string): boolean {
  return toApiError(value).code === code;
}

/** An error of the UI's own (no engine facts). */
export function uiError(code: string, message: string): ApiError {
  return { code, message, details: null };
}
