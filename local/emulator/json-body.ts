/**
 * Limits on what a request body may be, applied before anything else reads it: a size limit (an
 * oversized body is answered 413, as AWS's front ends do) and a nesting limit checked on the raw
 * text, so a body nested a million levels deep is refused before any recursive code (parsing,
 * validation, the call log, the state file) could overflow the stack on it.
 */

/**
 * Bytes a request body may have. The largest legitimate Organizations request is a policy of
 * 1,000,000 characters, which JSON-escaped and UTF-8-encoded stays well below this.
 */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Levels of arrays and objects a body may nest. Organizations inputs nest 3 levels; stack documents a few more. */
export const MAX_JSON_DEPTH = 64;

/** A body as read: its JSON value, or why it is refused. */
export type ParsedBody =
  | { readonly ok: true; readonly value: unknown; readonly empty: boolean }
  | { readonly ok: false; readonly code: 'SerializationException' | 'RequestEntityTooLargeException'; readonly message: string };

export const tooLarge = (bytes: number): ParsedBody => ({
  ok: false,
  code: 'RequestEntityTooLargeException',
  message: `The request body has ${bytes} bytes; the limit is ${MAX_BODY_BYTES}.`,
});

/** True when `text` nests arrays and objects deeper than `max` levels (a scan without recursion). */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/** The body's JSON value (`{}` when empty), or a SerializationException when it is not JSON or nests too deep. */
export function parseBody(text: string): ParsedBody {
  if (text.trim() === '') return { ok: true, value: {}, empty: true };
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    return { ok: false, code: 'SerializationException', message: `The request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels.` };
  }
  try {
    return { ok: true, value: JSON.parse(text), empty: false };
  } catch {
    return { ok: false, code: 'SerializationException', message: 'The request body is not valid JSON.' };
  }
}
