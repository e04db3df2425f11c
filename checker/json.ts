/**
 * JSON as the checker reads it (the certificate, the safetensors header). A pre-scan of the text, run before
 * JSON.parse: hostile nesting or element counts are rejected before they can exhaust the stack or the heap
 * (limits.MAX_JSON_DEPTH, limits.MAX_JSON_VALUES), and a duplicated object key is found at all (JSON.parse keeps the
 * last value silently, another reader may keep the first: the same hashed text would then claim two things), and so is
 * a number not written as an integer of at most 15 digits (JSON.parse reads `4.0`, `4e0` and `3.9999999999999999`
 * all as 4, and 9007199254740993 as …992, where an exact reader sees another value: every number either file format
 * holds is an integer). One linear pass that never recurses; its memory is the keys of the objects still open, and
 * it stops at the first limit passed (nesting, element count, members of one object), leaving the other fields partial.
 */
import { MAX_JSON_DEPTH, MAX_JSON_OBJECT_MEMBERS, MAX_JSON_VALUES } from './limits.js';

export interface JsonShape {
  /** Deepest nesting of arrays and objects. */
  depth: number;
  /** Array elements plus object members (commas + 1 each). */
  values: number;
  /** The first key that occurs twice in one object (decoded), or null. */
  duplicateKey: string | null;
  /** The first number token not written as an integer of at most 15 digits, or null. */
  inexactNumber: string | null;
  /** Whether an object has more than MAX_JSON_OBJECT_MEMBERS keys. */
  tooWide: boolean;
}

/** An open array (null) or object (the keys seen so far) during the scan. */
type Frame = Set<string> | null;

export function jsonShape(text: string): JsonShape {
  const open: Frame[] = [];
  let deepest = 0;
  let values = 0;
  let expectKey = false;
  let duplicateKey: string | null = null;
  let inexactNumber: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22) {
      const start = i;
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      const keys = open[open.length - 1];
      if (expectKey && keys && duplicateKey === null) duplicateKey = noteKey(keys, text.slice(start, i + 1));
      if (keys && keys.size > MAX_JSON_OBJECT_MEMBERS) return { depth: deepest, values, duplicateKey, inexactNumber, tooWide: true };
      expectKey = false;
    } else if (ch === 0x5b || ch === 0x7b) {
      open.push(ch === 0x7b ? new Set() : null);
      deepest = Math.max(deepest, open.length);
      expectKey = ch === 0x7b;
      values++;
      // Past a limit the scan stops: 255 MiB of `[` would otherwise keep an entry for each (gigabytes).
      if (deepest > MAX_JSON_DEPTH || values > MAX_JSON_VALUES) break;
    } else if (ch === 0x2c) {
      if (++values > MAX_JSON_VALUES) break;
      expectKey = open[open.length - 1] instanceof Set;
    } else if (ch === 0x5d || ch === 0x7d) open.pop();
    else if (ch === 0x2d || (ch >= 0x30 && ch <= 0x39)) {
      // A number token: exact when it is digits only (after a leading minus), at most 15 of them, and not −0. Its
      // characters: + (2b), - (2d), . (2e), digits (30-39), E and e; any but a digit makes it inexact.
      const start = i;
      let digitsOnly = true;
      for (let c = text.charCodeAt(i + 1); (c >= 0x2b && c <= 0x39 && c !== 0x2c && c !== 0x2f) || c === 0x45 || c === 0x65; c = text.charCodeAt(++i + 1)) {
        if (c < 0x30 || c > 0x39) digitsOnly = false;
      }
      const digits = i - start + (ch === 0x2d ? 0 : 1);
      const minusZero = ch === 0x2d && digits === 1 && text.charCodeAt(i) === 0x30;
      if (inexactNumber === null && !(digitsOnly && digits <= 15 && !minusZero)) inexactNumber = text.slice(start, i + 1);
    }
  }
  return { depth: deepest, values, duplicateKey, inexactNumber, tooWide: false };
}

/** Adds the key whose JSON string literal is `literal`; returns it when it was already there. */
function noteKey(keys: Set<string>, literal: string): string | null {
  let key: string;
  try {
    key = JSON.parse(literal) as string;
  } catch {
    return null; // not a valid string literal: JSON.parse of the whole text rejects it
  }
  if (keys.has(key)) return key;
  keys.add(key);
  return null;
}

/**
 * The JSON value of UTF-8 bytes, and its text, read strictly: `fail(limit, message)` reports a limit reached (limit
 * true: nesting, element count) or bytes that are not acceptable JSON. A leading byte-order mark is refused:
 * TextDecoder would drop it silently, and the bytes hashed would then differ from the text read.
 */
export function parseJson(bytes: Uint8Array, name: string, fail: (limit: boolean, message: string) => never): { text: string; value: unknown } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) fail(false, `${name} starts with a byte-order mark (EF BB BF)`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fail(false, `${name} is not UTF-8 JSON`);
  }
  const shape = jsonShape(text);
  if (shape.depth > MAX_JSON_DEPTH) fail(true, `${name} nests deeper than ${MAX_JSON_DEPTH}`);
  if (shape.values > MAX_JSON_VALUES) fail(true, `${name} holds more than ${MAX_JSON_VALUES} array elements and object members`);
  if (shape.tooWide) fail(true, `${name} has an object of more than ${MAX_JSON_OBJECT_MEMBERS} members`);
  if (shape.duplicateKey !== null) fail(false, `${name} repeats the key ${JSON.stringify(shape.duplicateKey)}`);
  if (shape.inexactNumber !== null) fail(false, `${name} number ${shape.inexactNumber} is not written as an integer of at most 15 digits`);
  try {
    return { text, value: JSON.parse(text) };
  } catch (e) {
    return fail(false, `${name} is not JSON: ${(e as Error).message}`);
  }
}
